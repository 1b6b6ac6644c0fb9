// Record protection per cipher suite. RFC 5246 Section 6.2.3, RFC 5288 (AES-GCM),
// RFC 7905 (ChaCha20-Poly1305), RFC 7366 (encrypt_then_mac), RFC 8446 Section 5.2.

import type { Aead, AeadAlgorithm, AeadRecords, CbcAlgorithm, CryptoProvider, HashAlgorithm } from '../crypto/provider.js';
import { aeadTagLength, constantTimeEqual, hashLength } from '../crypto/provider.js';
import { TlsError } from '../errors.js';
import { ContentType } from '../wire/enums.js';
import { MAX_FRAGMENT, RECORD_HEADER_LENGTH } from './framer.js';

/** A record opened by RecordProtection.openRecords(), or the error that ends a batch. */
export interface OpenedRecord {
  readonly contentType: number;
  readonly plaintext: Uint8Array;
  /** The protected body's length (for the trace). */
  readonly bodyLength: number;
  /** Set on the batch's last entry when this record failed: it is thrown when the record is read. */
  readonly error?: TlsError;
  /**
   * A record opened in two pieces (openSplitRecord): the first piece's entry has `total`, the
   * plaintext length of the whole record, and the second piece's entry `continued`.
   */
  readonly total?: number;
  readonly continued?: boolean;
}

/**
 * Protects and unprotects the bodies of records of one direction. The caller
 * (RecordLayer) keeps the sequence number and writes the 5-byte headers.
 */
export interface RecordProtection {
  /** False only for the initial null protection. */
  readonly encrypted: boolean;
  /** The most a body can grow over its plaintext (for the record_overflow limit: 2^14 + this). */
  readonly maxExpansion: number;
  /**
   * Set by TLS 1.3 protection only: the outer content type of every protected
   * record (application_data, RFC 8446 Section 5.2). The record layer writes it
   * in the header instead of the real type, and passes an unprotected
   * change_cipher_spec record through (RFC 8446 Section 5).
   */
  readonly outerContentType?: number;
  /**
   * Returns the record body for `plaintext`. For TLS 1.3 the record's outer type
   * is application_data and `contentType` goes inside (TLSInnerPlaintext).
   */
  seal(contentType: number, version: number, seq: number, plaintext: Uint8Array): Uint8Array;
  /**
   * Returns the plaintext and its real content type. Throws TlsError(bad_record_mac)
   * for any authentication or padding failure, the same way for both, without
   * an early exit (CBC: RFC 5246 Section 6.2.3.2, Lucky Thirteen). With `inPlace` the body's
   * memory is the protection's to overwrite: the plaintext may be a view of it.
   */
  open(contentType: number, version: number, seq: number, body: Uint8Array, inPlace?: boolean): { contentType: number; plaintext: Uint8Array };
  /**
   * Optional, where the body length is known up front (null and AEAD protection): the length
   * seal() returns for a plaintext of `plaintextLength` bytes.
   */
  sealedLength?(plaintextLength: number): number;
  /**
   * Optional, with sealedLength: seal() writing the body at out[offset .. offset + sealedLength)
   * instead of returning a new array, so that the record layer seals a whole write into one
   * buffer, headers included, without joining copies afterwards.
   */
  sealInto?(contentType: number, version: number, seq: number, plaintext: Uint8Array, out: Uint8Array, offset: number): void;
  /**
   * AEAD protection only: the algorithm, key and IV it protects with (TLS 1.3: the 12-byte IV; TLS 1.2
   * AES-GCM: the 4-byte salt; TLS 1.2 ChaCha20-Poly1305: the 12-byte IV), for a caller that protects
   * application data records itself (Connection.trafficKeys). Never traced or logged.
   */
  readonly keys?: RecordKeys;
  /**
   * Optional, where the provider seals whole records in one call (AeadRecords): every record of
   * `data` (fragments of at most `maxFragment` bytes, the first with sequence number `seq`), headers
   * included, written at out[offset..]; each takes RECORD_HEADER_LENGTH + sealedLength(fragment)
   * bytes. Returns how many records, or -1 when it does not seal in one call (the provider cannot,
   * or TLS 1.3 records are padded): the caller then seals record by record.
   */
  sealRecords?(contentType: number, version: number, seq: number, data: Uint8Array, maxFragment: number, out: Uint8Array, offset: number): number;
  /**
   * Optional, where the provider opens whole records in one call (AeadRecords): opens in place the
   * application_data records at the start of buffer[start..end) (the first with sequence number
   * `seq`; `version`, when defined, the one every record must say), appends them to `into` in order,
   * and returns how many bytes they took. A record that fails ends the batch as an entry with
   * `error`, after the good ones before it. Records it does not take (not whole, another type or
   * version, at a limit) are left for open().
   */
  openRecords?(version: number | undefined, buffer: Uint8Array, start: number, end: number, seq: number, into: OpenedRecord[]): number;
  /**
   * Optional, with openRecords: the record that begins at first[start..] and ends in `second`,
   * opened in place in its two pieces (no joined copy) and appended to `into`; returns how many
   * bytes of `second` it took, or -1 when it leaves the record to open().
   */
  openSplitRecord?(version: number | undefined, first: Uint8Array, start: number, second: Uint8Array, seq: number, into: OpenedRecord[]): number;
}

/** The key material of one direction's AEAD protection. */
export interface RecordKeys {
  readonly algorithm: AeadAlgorithm;
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

function hasRecords(aead: Aead): aead is Aead & AeadRecords {
  const a = aead as Partial<AeadRecords>;
  return typeof a.sealRecords === 'function' && typeof a.openRecords === 'function' && typeof a.openSplitRecord === 'function';
}

/** The records' modes of AeadRecords. */
const MODE_TLS13 = 0;
const MODE_TLS12_GCM = 1;
const MODE_TLS12_CHACHA = 2;

/** openRecords()' results, four numbers a record, shared by every connection (read at once, never kept). */
const openResults = new Int32Array(4 * 64);
const NO_PLAINTEXT = new Uint8Array(0);

/** The content type's error, for a record opened by AeadRecords (-1: the tag failed). */
function openedTypeError(type: number): TlsError | undefined {
  if (type === -1) return badRecordMac();
  // RFC 8446 Section 5.4: "If a receiving implementation does not find a non-zero octet in the
  // cleartext, it MUST terminate the connection with an unexpected_message alert."
  if (type === 0) return new TlsError('unexpected_message', 'protected record has no content type');
  // RFC 8446 Section 5: a protected change_cipher_spec, or an unknown type, is unexpected_message.
  if (type !== ContentType.alert && type !== ContentType.handshake && type !== ContentType.application_data) {
    return new TlsError('unexpected_message', `protected record has content type ${type}`);
  }
  return undefined;
}

/**
 * AeadRecords' split open, its results turned into OpenedRecord entries: application data in two
 * (the pieces where the two reads hold them), anything else joined into one.
 */
function openSplit(
  aead: AeadRecords, iv: Uint8Array, mode: number, maxBody: number,
  version: number | undefined, first: Uint8Array, start: number, second: Uint8Array, seq: number, into: OpenedRecord[],
): number {
  if (aead.openSplitRecord(iv, seq, mode, version ?? -1, first, start, second, maxBody, openResults) === 0) return -1;
  const at = openResults[0]!;
  const inFirst = openResults[1]!;
  const type = openResults[2]!;
  const end = openResults[3]!;
  const inSecond = openResults[4]!;
  const bodyLength = first.length - start - RECORD_HEADER_LENGTH + end;
  const error = openedTypeError(type);
  const a = first.subarray(at, at + inFirst);
  const b = second.subarray(0, inSecond);
  if (error !== undefined) {
    into.push({ contentType: ContentType.application_data, plaintext: NO_PLAINTEXT, bodyLength, error });
  } else if (type !== ContentType.application_data || inFirst === 0 || inSecond === 0) {
    let plaintext = inFirst === 0 ? b : a;
    if (inFirst > 0 && inSecond > 0) {
      plaintext = new Uint8Array(inFirst + inSecond);
      plaintext.set(a, 0);
      plaintext.set(b, inFirst);
    }
    into.push({ contentType: type, plaintext, bodyLength });
  } else {
    into.push({ contentType: type, plaintext: a, bodyLength, total: inFirst + inSecond });
    into.push({ contentType: type, plaintext: b, bodyLength: 0, continued: true });
  }
  return end;
}

/** The batch open of AeadRecords, its results turned into OpenedRecord entries. */
function openBatch(
  aead: AeadRecords, iv: Uint8Array, mode: number, maxBody: number,
  version: number | undefined, buffer: Uint8Array, start: number, end: number, seq: number, into: OpenedRecord[],
): number {
  const n = aead.openRecords(iv, seq, mode, version ?? -1, buffer, start, end, maxBody, openResults);
  let at = start;
  for (let i = 0; i < n; i++) {
    const k = 4 * i;
    const plaintextAt = openResults[k]!;
    const type = openResults[k + 2]!;
    const recordEnd = openResults[k + 3]!;
    const bodyLength = recordEnd - at - RECORD_HEADER_LENGTH;
    at = recordEnd;
    const error = openedTypeError(type);
    if (error !== undefined) {
      into.push({ contentType: ContentType.application_data, plaintext: NO_PLAINTEXT, bodyLength, error });
      break;
    }
    into.push({ contentType: type, plaintext: buffer.subarray(plaintextAt, plaintextAt + openResults[k + 1]!), bodyLength });
  }
  return at - start;
}

/**
 * A fast path a provider's Aead may offer (the node:crypto one does): seal `plaintext`
 * followed by `suffix` (TLS 1.3's inner content type) and write ciphertext || tag at
 * out[offset..], without building the joined plaintext or a separate result first.
 */
interface AeadSealInto {
  sealInto(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, suffix: Uint8Array | undefined, out: Uint8Array, offset: number): void;
}

function hasSealInto(aead: Aead): aead is Aead & AeadSealInto {
  return typeof (aead as Partial<AeadSealInto>).sealInto === 'function';
}

/** Seals plaintext || suffix into out[offset..], through the provider's fast path when it has one. */
function aeadSealInto(aead: Aead, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, suffix: Uint8Array | undefined, out: Uint8Array, offset: number): void {
  if (hasSealInto(aead)) {
    aead.sealInto(nonce, aad, plaintext, suffix, out, offset);
    return;
  }
  let input = plaintext;
  if (suffix !== undefined) {
    input = new Uint8Array(plaintext.length + suffix.length);
    input.set(plaintext, 0);
    input.set(suffix, plaintext.length);
  }
  out.set(aead.seal(nonce, aad, input), offset);
}

/** The one error every authentication or padding failure becomes (RFC 5246 Section 7.2.2). */
function badRecordMac(): TlsError {
  return new TlsError('bad_record_mac', 'record authentication failed');
}

const AEAD_TAG_LENGTH = 16;
const SEQ_LENGTH = 8;

/** Writes `seq` as a 64-bit big-endian number at `out[at..at+8]` (seq is at most 2^53-1). */
export function writeSeq(out: Uint8Array, at: number, seq: number): void {
  const hi = Math.floor(seq / 0x1_0000_0000);
  const lo = seq >>> 0;
  out[at] = hi >>> 24;
  out[at + 1] = (hi >>> 16) & 0xff;
  out[at + 2] = (hi >>> 8) & 0xff;
  out[at + 3] = hi & 0xff;
  out[at + 4] = lo >>> 24;
  out[at + 5] = (lo >>> 16) & 0xff;
  out[at + 6] = (lo >>> 8) & 0xff;
  out[at + 7] = lo & 0xff;
}

/**
 * The TLS 1.2 MAC and AEAD header: seq_num (8) + type (1) + version (2) + length (2).
 * RFC 5246 Section 6.2.3.1 (MAC) and 6.2.3.3 (additional_data).
 */
export function pseudoHeader(seq: number, contentType: number, version: number, length: number): Uint8Array {
  const out = new Uint8Array(13);
  writeSeq(out, 0, seq);
  out[8] = contentType;
  out[9] = version >>> 8;
  out[10] = version & 0xff;
  out[11] = length >>> 8;
  out[12] = length & 0xff;
  return out;
}

/** TLS 1.2 AES-GCM's nonce (RFC 5288 Section 3): salt (4, the client/server_write_IV) || nonce_explicit (8). */
export function gcm12Nonce(salt: Uint8Array, explicit: Uint8Array): Uint8Array {
  const nonce = new Uint8Array(12);
  nonce.set(salt, 0);
  nonce.set(explicit, 4);
  return nonce;
}

/** The per-record nonce of RFC 7905 Section 2 and RFC 8446 Section 5.3: the IV XOR the padded sequence number. */
export function xorNonce(iv: Uint8Array, seq: number): Uint8Array {
  const nonce = iv.slice();
  const at = nonce.length - 8;
  const hi = Math.floor(seq / 0x1_0000_0000);
  const lo = seq >>> 0;
  nonce[at]! ^= hi >>> 24;
  nonce[at + 1]! ^= (hi >>> 16) & 0xff;
  nonce[at + 2]! ^= (hi >>> 8) & 0xff;
  nonce[at + 3]! ^= hi & 0xff;
  nonce[at + 4]! ^= lo >>> 24;
  nonce[at + 5]! ^= (lo >>> 16) & 0xff;
  nonce[at + 6]! ^= (lo >>> 8) & 0xff;
  nonce[at + 7]! ^= lo & 0xff;
  return nonce;
}

export const nullProtection: RecordProtection = {
  encrypted: false,
  maxExpansion: 0,
  seal: (_contentType, _version, _seq, plaintext) => plaintext,
  open: (contentType, _version, _seq, body) => ({ contentType, plaintext: body }),
  sealedLength: (plaintextLength) => plaintextLength,
  sealInto: (_contentType, _version, _seq, plaintext, out, offset) => out.set(plaintext, offset),
};

/**
 * What every AEAD protection shares: the provider's Aead, and its whole-record calls when it has
 * them (AeadRecords). A class, not closures: a connection holds two protections for its lifetime,
 * and methods on a prototype cost it nothing per connection.
 */
abstract class AeadProtection implements RecordProtection {
  readonly encrypted = true;
  abstract readonly maxExpansion: number;
  private readonly records: AeadRecords | undefined;
  /** The record keys, for a caller that seals or opens records elsewhere (typetls/web's WebCrypto path). */
  readonly keys: RecordKeys;

  /**
   * `iv`: the IV or TLS 1.2 AES-GCM's salt; `mode`: the AeadRecords mode; `maxBody`: the longest body
   * a batch takes (a longer one is open()'s, which reports it); `batchSeal` false: sealing stays
   * record by record (TLS 1.3 padding).
   */
  constructor(
    protected readonly aead: Aead,
    key: Uint8Array,
    protected readonly iv: Uint8Array,
    private readonly mode: number,
    private readonly maxBody: number,
    private readonly batchSeal = true,
  ) {
    this.records = hasRecords(aead) ? aead : undefined;
    this.keys = { algorithm: aead.algorithm, key: key.slice(), iv };
  }

  abstract sealedLength(plaintextLength: number): number;
  abstract sealInto(contentType: number, version: number, seq: number, plaintext: Uint8Array, out: Uint8Array, offset: number): void;
  abstract open(contentType: number, version: number, seq: number, body: Uint8Array, inPlace?: boolean): { contentType: number; plaintext: Uint8Array };

  seal(contentType: number, version: number, seq: number, plaintext: Uint8Array): Uint8Array {
    const body = new Uint8Array(this.sealedLength(plaintext.length));
    this.sealInto(contentType, version, seq, plaintext, body, 0);
    return body;
  }

  sealRecords(contentType: number, version: number, seq: number, data: Uint8Array, maxFragment: number, out: Uint8Array, offset: number): number {
    if (this.records === undefined || !this.batchSeal) return -1;
    return this.records.sealRecords(this.iv, seq, this.mode, contentType, version, data, maxFragment, out, offset);
  }

  openRecords(version: number | undefined, buffer: Uint8Array, start: number, end: number, seq: number, into: OpenedRecord[]): number {
    if (this.records === undefined) return 0;
    return openBatch(this.records, this.iv, this.mode, this.maxBody, version, buffer, start, end, seq, into);
  }

  openSplitRecord(version: number | undefined, first: Uint8Array, start: number, second: Uint8Array, seq: number, into: OpenedRecord[]): number {
    if (this.records === undefined) return -1;
    return openSplit(this.records, this.iv, this.mode, this.maxBody, version, first, start, second, seq, into);
  }
}

/** TLS 1.2 ChaCha20-Poly1305: the nonce is the IV XOR the padded sequence number, no explicit nonce (RFC 7905 Section 2). */
class Aead12ChaChaProtection extends AeadProtection {
  readonly maxExpansion = AEAD_TAG_LENGTH;
  constructor(aead: Aead, key: Uint8Array, iv: Uint8Array) {
    super(aead, key, iv, MODE_TLS12_CHACHA, MAX_FRAGMENT + AEAD_TAG_LENGTH);
  }
  sealedLength(plaintextLength: number): number {
    return plaintextLength + AEAD_TAG_LENGTH;
  }
  sealInto(contentType: number, version: number, seq: number, plaintext: Uint8Array, out: Uint8Array, offset: number): void {
    aeadSealInto(this.aead, xorNonce(this.iv, seq), pseudoHeader(seq, contentType, version, plaintext.length), plaintext, undefined, out, offset);
  }
  open(contentType: number, version: number, seq: number, body: Uint8Array, inPlace?: boolean): { contentType: number; plaintext: Uint8Array } {
    if (body.length < AEAD_TAG_LENGTH) throw badRecordMac();
    const aad = pseudoHeader(seq, contentType, version, body.length - AEAD_TAG_LENGTH);
    const plaintext = this.aead.open(xorNonce(this.iv, seq), aad, body, inPlace);
    if (plaintext === null) throw badRecordMac();
    return { contentType, plaintext };
  }
}

/**
 * TLS 1.2 AES-GCM (RFC 5288 Section 3): nonce = salt (4, the client/server_write_IV) ||
 * nonce_explicit (8). The explicit part is the sequence number, as Go, OpenSSL and rustls send it.
 */
class Aead12GcmProtection extends AeadProtection {
  readonly maxExpansion = SEQ_LENGTH + AEAD_TAG_LENGTH;
  constructor(aead: Aead, key: Uint8Array, salt: Uint8Array) {
    super(aead, key, salt, MODE_TLS12_GCM, MAX_FRAGMENT + SEQ_LENGTH + AEAD_TAG_LENGTH);
  }
  sealedLength(plaintextLength: number): number {
    return SEQ_LENGTH + plaintextLength + AEAD_TAG_LENGTH;
  }
  sealInto(contentType: number, version: number, seq: number, plaintext: Uint8Array, out: Uint8Array, offset: number): void {
    // GenericAEADCipher: nonce_explicit (8) || aead-ciphered content (RFC 5246 Section 6.2.3.3).
    writeSeq(out, offset, seq);
    const nonce = gcm12Nonce(this.iv, out.subarray(offset, offset + SEQ_LENGTH));
    aeadSealInto(this.aead, nonce, pseudoHeader(seq, contentType, version, plaintext.length), plaintext, undefined, out, offset + SEQ_LENGTH);
  }
  open(contentType: number, version: number, seq: number, body: Uint8Array, inPlace?: boolean): { contentType: number; plaintext: Uint8Array } {
    if (body.length < SEQ_LENGTH + AEAD_TAG_LENGTH) throw badRecordMac();
    const nonce = gcm12Nonce(this.iv, body.subarray(0, SEQ_LENGTH));
    const aad = pseudoHeader(seq, contentType, version, body.length - SEQ_LENGTH - AEAD_TAG_LENGTH);
    const plaintext = this.aead.open(nonce, aad, body.subarray(SEQ_LENGTH), inPlace);
    if (plaintext === null) throw badRecordMac();
    return { contentType, plaintext };
  }
}

/** TLS 1.2 AEAD: AES-GCM with an 8-byte explicit nonce (RFC 5288), ChaCha20-Poly1305 with the nonce from the IV XOR seq (RFC 7905). */
export function aead12Protection(provider: CryptoProvider, algorithm: AeadAlgorithm, key: Uint8Array, fixedIv: Uint8Array): RecordProtection {
  const aead = provider.aead(algorithm, key);
  if (algorithm === 'CHACHA20-POLY1305') {
    if (fixedIv.length !== 12) throw new TlsError('internal_error', `ChaCha20-Poly1305 needs a 12-byte IV, got ${fixedIv.length}`);
    return new Aead12ChaChaProtection(aead, key, fixedIv.slice());
  }
  if (fixedIv.length !== 4) throw new TlsError('internal_error', `${algorithm} in TLS 1.2 needs a 4-byte salt, got ${fixedIv.length}`);
  return new Aead12GcmProtection(aead, key, fixedIv.slice());
}

/** RFC 8446 Section 5.2: the encrypted_record may be at most 2^14 + 256 bytes. */
const TLS13_MAX_EXPANSION = 256;

/**
 * RFC 8446 Section 5.4 record padding: given the length of a TLSInnerPlaintext without padding
 * (content and type byte), the length to pad it to (at least that, at most 2^14 + 1).
 */
export type PaddingPolicy = (innerLength: number) => number;

/** The one-byte suffix of TLSInnerPlaintext per content type, shared (only ever read). */
const innerTypes: Uint8Array[] = [];
function innerTypeSuffix(contentType: number): Uint8Array {
  return (innerTypes[contentType] ??= Uint8Array.of(contentType));
}

/** additional_data = opaque_type || legacy_record_version || length (RFC 8446 Section 5.2). */
function header13(contentType: number, version: number, length: number): Uint8Array {
  return Uint8Array.of(contentType, version >>> 8, version & 0xff, length >>> 8, length & 0xff);
}

/** TLS 1.3 AEAD with TLSInnerPlaintext (RFC 8446 Section 5.2, 5.3). */
class Aead13Protection extends AeadProtection {
  readonly maxExpansion = TLS13_MAX_EXPANSION;
  readonly outerContentType = ContentType.application_data;
  constructor(aead: Aead, key: Uint8Array, iv: Uint8Array, private readonly tagLength: number, private readonly padding: PaddingPolicy | undefined) {
    // The batch takes bodies up to a full TLSInnerPlaintext (2^14 + 1) and its tag; a longer one is
    // open()'s, which reports record_overflow.
    super(aead, key, iv, MODE_TLS13, MAX_FRAGMENT + 1 + tagLength, padding === undefined);
  }
  /** The inner plaintext length after padding (RFC 8446 Section 5.4), never past 2^14 + 1. */
  private innerLength(plaintextLength: number): number {
    const padding = this.padding;
    return padding ? Math.min(Math.max(padding(plaintextLength + 1), plaintextLength + 1), MAX_FRAGMENT + 1) : plaintextLength + 1;
  }
  sealedLength(plaintextLength: number): number {
    return this.innerLength(plaintextLength) + this.tagLength;
  }
  sealInto(contentType: number, version: number, seq: number, plaintext: Uint8Array, out: Uint8Array, offset: number): void {
    // TLSInnerPlaintext = content || ContentType type || zeros; the type byte (and any padding)
    // is sealed as a suffix, so the content is never copied to build it.
    const inner = this.innerLength(plaintext.length);
    let suffix: Uint8Array;
    if (inner > plaintext.length + 1) {
      suffix = new Uint8Array(inner - plaintext.length);
      suffix[0] = contentType;
    } else {
      suffix = innerTypeSuffix(contentType);
    }
    const aad = header13(ContentType.application_data, version, inner + this.tagLength);
    aeadSealInto(this.aead, xorNonce(this.iv, seq), aad, plaintext, suffix, out, offset);
  }
  open(contentType: number, version: number, seq: number, body: Uint8Array, inPlace?: boolean): { contentType: number; plaintext: Uint8Array } {
    // RFC 8446 Section 5.2: opaque_type is always application_data for protected records.
    if (contentType !== ContentType.application_data) {
      throw new TlsError('unexpected_message', `record of type ${contentType} is not protected`);
    }
    if (body.length < this.tagLength) throw badRecordMac();
    const inner = this.aead.open(xorNonce(this.iv, seq), header13(contentType, version, body.length), body, inPlace);
    if (inner === null) throw badRecordMac();
    // RFC 8446 Section 5.4: the full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets.
    if (inner.length > MAX_FRAGMENT + 1) {
      throw new TlsError('record_overflow', `record plaintext of ${inner.length} bytes is over 2^14 + 1`);
    }
    // RFC 8446 Section 5.4: the real type is the last non-zero byte.
    let end = inner.length;
    while (end > 0 && inner[end - 1] === 0) end--;
    const error = openedTypeError(end === 0 ? 0 : inner[end - 1]!);
    if (error !== undefined) throw error;
    return { contentType: inner[end - 1]!, plaintext: inner.subarray(0, end - 1) };
  }
}

export function aead13Protection(
  provider: CryptoProvider, algorithm: AeadAlgorithm, key: Uint8Array, iv: Uint8Array, padding?: PaddingPolicy,
): RecordProtection {
  // RFC 8446 Section 5.3: iv_length is max(8, N_MIN) = 12 for every AEAD defined.
  if (iv.length !== 12) throw new TlsError('internal_error', `TLS 1.3 needs a 12-byte IV, got ${iv.length}`);
  return new Aead13Protection(provider.aead(algorithm, key), key, iv.slice(), aeadTagLength[algorithm], padding);
}

const CBC_BLOCK = 16;

/**
 * Checks TLS CBC padding in constant time (Go crypto/tls `extractPadding`).
 * Returns how many bytes to remove from the end (padding + its length byte) and
 * `good` = 0xff when the padding is well formed, 0 when not. On bad padding,
 * `toRemove` is 1, so that every other byte goes through the MAC.
 * RFC 5246 Section 6.2.3.2: each padding byte holds the padding length.
 */
function extractPadding(payload: Uint8Array): { toRemove: number; good: number } {
  const length = payload.length;
  if (length < 1) return { toRemove: 0, good: 0 };
  let paddingLength = payload[length - 1]!;
  const t = length - 1 - paddingLength;
  // t >= 0 when the padding fits the payload: then ~t is negative and its sign bit spreads to 0xff.
  let good = (~t >> 31) & 0xff;
  // The most padding there can be (255) plus its length byte; the payload length is public.
  const toCheck = Math.min(256, length);
  for (let i = 0; i < toCheck; i++) {
    // mask = 0xff when i <= paddingLength, 0 otherwise.
    const mask = (~(paddingLength - i) >> 31) & 0xff;
    const b = payload[length - 1 - i]!;
    good &= ~((mask & paddingLength) ^ (mask & b)) & 0xff;
  }
  // AND all eight bits of good together and spread the result over the byte.
  good &= good << 4;
  good &= good << 2;
  good &= good << 1;
  good = -((good >> 7) & 1) & 0xff;
  paddingLength &= good;
  return { toRemove: paddingLength + 1, good };
}

/**
 * CBC with HMAC: MAC-then-encrypt (RFC 5246 Section 6.2.3.2) or encrypt-then-MAC
 * (RFC 7366). An explicit per-record IV from TLS 1.1 on; in TLS 1.0 the IV
 * chains from the previous record (`implicitIv` is the initial one).
 */
export function cbcProtection(
  provider: CryptoProvider,
  options: {
    algorithm: CbcAlgorithm;
    key: Uint8Array;
    macHash: HashAlgorithm;
    macKey: Uint8Array;
    encryptThenMac: boolean;
    implicitIv?: Uint8Array;
  },
): RecordProtection {
  const cipher = provider.cbc(options.algorithm, options.key);
  const { macHash, encryptThenMac } = options;
  const macKey = options.macKey.slice();
  const macLength = hashLength[macHash];
  if (options.implicitIv !== undefined && options.implicitIv.length !== CBC_BLOCK) {
    throw new TlsError('internal_error', `CBC needs a ${CBC_BLOCK}-byte IV, got ${options.implicitIv.length}`);
  }
  /** TLS 1.0 (RFC 2246 Section 6.2.3.2): the last ciphertext block of the previous record. Undefined from TLS 1.1 on. */
  let chainedIv = options.implicitIv?.slice();
  const explicitIvLength = chainedIv === undefined ? CBC_BLOCK : 0;

  const mac = (seq: number, contentType: number, version: number, data: Uint8Array): Uint8Array => {
    const input = new Uint8Array(13 + data.length);
    input.set(pseudoHeader(seq, contentType, version, data.length), 0);
    input.set(data, 13);
    return provider.hmac(macHash, macKey, input);
  };

  /** content || padding, where the padding_length + 1 bytes all hold padding_length (RFC 5246 Section 6.2.3.2). */
  const pad = (parts: readonly Uint8Array[]): Uint8Array => {
    let length = 0;
    for (const p of parts) length += p.length;
    const paddingLength = (CBC_BLOCK - ((length + 1) % CBC_BLOCK)) % CBC_BLOCK;
    const out = new Uint8Array(length + paddingLength + 1);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    out.fill(paddingLength, at);
    return out;
  };

  /** Encrypts with a fresh explicit IV (TLS 1.1+, RFC 4346 Section 6.2.3.2) or the chained one; returns IV || ciphertext or the ciphertext. */
  const encrypt = (data: Uint8Array): Uint8Array => {
    if (chainedIv === undefined) {
      const iv = provider.random(CBC_BLOCK);
      const encrypted = cipher.encrypt(iv, data);
      const out = new Uint8Array(CBC_BLOCK + encrypted.length);
      out.set(iv, 0);
      out.set(encrypted, CBC_BLOCK);
      return out;
    }
    const encrypted = cipher.encrypt(chainedIv, data);
    chainedIv = encrypted.slice(encrypted.length - CBC_BLOCK);
    return encrypted;
  };

  /** Decrypts IV || ciphertext (or the ciphertext with the chained IV); the length is checked by the caller. */
  const decrypt = (data: Uint8Array): Uint8Array => {
    if (chainedIv === undefined) {
      return cipher.decrypt(data.subarray(0, CBC_BLOCK), data.subarray(CBC_BLOCK));
    }
    const iv = chainedIv;
    chainedIv = data.slice(data.length - CBC_BLOCK);
    return cipher.decrypt(iv, data);
  };

  // The shortest ciphertext: one block (EtM), or enough blocks for the MAC and a padding byte (MtE).
  const minCiphertext = encryptThenMac ? CBC_BLOCK : Math.ceil((macLength + 1) / CBC_BLOCK) * CBC_BLOCK;

  return {
    encrypted: true,
    maxExpansion: CBC_BLOCK + macLength + 256,
    seal(contentType, version, seq, plaintext) {
      if (encryptThenMac) {
        // RFC 7366 Section 3: MAC(seq_num + type + version + length + IV + ENC(content + padding + padding_length)).
        const encrypted = encrypt(pad([plaintext]));
        const tag = mac(seq, contentType, version, encrypted);
        const body = new Uint8Array(encrypted.length + tag.length);
        body.set(encrypted, 0);
        body.set(tag, encrypted.length);
        return body;
      }
      // RFC 5246 Section 6.2.3.1 and 6.2.3.2: ENC(content || MAC || padding || padding_length).
      const tag = mac(seq, contentType, version, plaintext);
      return encrypt(pad([plaintext, tag]));
    },
    open(contentType, version, seq, body) {
      if (encryptThenMac) {
        // RFC 7366 Section 3: check the MAC over the ciphertext first, then decrypt.
        const encryptedLength = body.length - macLength;
        if (encryptedLength < explicitIvLength + minCiphertext || (encryptedLength - explicitIvLength) % CBC_BLOCK !== 0) {
          throw badRecordMac();
        }
        const encrypted = body.subarray(0, encryptedLength);
        const expected = mac(seq, contentType, version, encrypted);
        if (!constantTimeEqual(expected, body.subarray(encryptedLength))) throw badRecordMac();
        const data = decrypt(encrypted);
        const { toRemove, good } = extractPadding(data);
        if (good !== 0xff) throw badRecordMac();
        return { contentType, plaintext: data.subarray(0, data.length - toRemove) };
      }
      // RFC 5246 Section 6.2.3.2: the ciphertext is a whole number of blocks, long enough for the MAC.
      const encryptedLength = body.length - explicitIvLength;
      if (encryptedLength < minCiphertext || encryptedLength % CBC_BLOCK !== 0) throw badRecordMac();
      const data = decrypt(body);
      // Lucky Thirteen (RFC 5246 Section 6.2.3.2 note, AlFardan and Paterson 2013): the padding
      // check has no branch, the MAC is always computed, and over the same amount of data
      // whatever the padding says (Go crypto/tls halfConn.decrypt).
      const { toRemove, good } = extractPadding(data);
      let n = data.length - macLength - toRemove;
      n &= ~(n >> 31); // n = max(n, 0) without a branch
      const received = data.subarray(n, n + macLength);
      const expected = mac(seq, contentType, version, data.subarray(0, n));
      // The bytes the MAC did not cover go through the MAC function too, so that
      // its work does not depend on the padding length.
      void provider.hmac(macHash, macKey, data.subarray(n + macLength));
      const macGood = constantTimeEqual(expected, received) ? 0xff : 0;
      if ((macGood & good) !== 0xff) throw badRecordMac();
      return { contentType, plaintext: data.subarray(0, n) };
    },
  };
}
