// The record layer: two half-connections {protection, sequence number}.

import { TlsError } from '../errors.js';
import type { Annotator, Side } from '../trace.js';
import { ContentType, ProtocolVersion } from '../wire/enums.js';
import { BAD_RECORD_VERSION, MAX_FRAGMENT, RECORD_HEADER_LENGTH, RecordFramer } from './framer.js';
import { nullProtection, type OpenedRecord, type RecordProtection } from './protection.js';

/**
 * RFC 5246 Section 6.1: sequence numbers are uint64 and "MUST NOT wrap". Kept
 * as a number, they stop at 2^53 - 1, far beyond any real connection (and
 * beyond the AEAD usage limits, RFC 8446 Section 5.5).
 */
function nextSeq(seq: number): number {
  return skipSeq(seq, 1);
}

function skipSeq(seq: number, count: number): number {
  if (seq + count > Number.MAX_SAFE_INTEGER) {
    throw new TlsError('internal_error', 'record sequence number is exhausted');
  }
  return seq + count;
}

/**
 * The size of a reusable output buffer: four full AEAD records with their headers (TLS 1.2's
 * explicit nonce included), which is what a 64 KiB write becomes.
 */
const OUTPUT_SLAB = 66 * 1024;
/**
 * The most output slabs kept for reuse, shared by every connection of the process: an idle
 * connection keeps none of its own.
 */
const MAX_SPARE_SLABS = 4;
/** Writes smaller than this are sealed into a slice of the shared small-output pool instead. */
const MIN_SLAB_WRITE = 8 * 1024;
/** The size of the small-output pool: a new one every 64 KiB of small writes, not an array per write. */
const SMALL_OUTPUT_POOL = 64 * 1024;

/**
 * Slices for small writes, handed out one after the other and never reused (the pool is dropped
 * when full and collected once no slice of it is referenced), shared by every connection, as
 * node's Buffer.allocUnsafe pool is. Every byte of a slice is written by the sealing.
 */
const smallOutput = { pool: new Uint8Array(0), used: 0 };
function smallOutputSlice(length: number): Uint8Array {
  if (smallOutput.used + length > smallOutput.pool.length) {
    smallOutput.pool = new Uint8Array(SMALL_OUTPUT_POOL);
    smallOutput.used = 0;
  }
  const slice = smallOutput.pool.subarray(smallOutput.used, smallOutput.used + length);
  // Keep slices 8-byte aligned, as node's pool does.
  smallOutput.used = (smallOutput.used + length + 7) & ~7;
  return slice;
}

/**
 * Output slabs: the spares ready to be sealed into again, the memory of every slab made, and the
 * slabs takeOutput() handed out and not yet handed back (recycleOutput() takes back these only,
 * once). A slab goes back to the spares once the transport is done with it, for any connection.
 */
const slabs = { spare: [] as Uint8Array[], made: new WeakSet<ArrayBufferLike>(), handedOut: new WeakSet<ArrayBufferLike>() };

function keepSpare(buffer: ArrayBufferLike): void {
  if (slabs.spare.length < MAX_SPARE_SLABS) slabs.spare.push(new Uint8Array(buffer, 0, OUTPUT_SLAB));
}

/** A spare output slab, or a new one (never zeroed again: every byte sealed into it is written). */
function slab(): Uint8Array {
  const spare = slabs.spare.pop();
  if (spare !== undefined) return spare;
  const made = new Uint8Array(OUTPUT_SLAB);
  slabs.made.add(made.buffer);
  return made;
}

/** What takeOutput() returns when nothing is queued (no array made per call). */
const NO_OUTPUT = new Uint8Array(0);

/** A protection that can seal into a caller's buffer (null and AEAD protection). */
type SealingProtection = RecordProtection & Required<Pick<RecordProtection, 'sealedLength' | 'sealInto'>>;

/**
 * Frames, protects and unprotects records. Starts with null protection in both
 * directions; `setReadProtection` / `setWriteProtection` switch a direction and
 * reset its sequence number to 0 (the ChangeCipherSpec point in TLS 1.2, a new
 * traffic secret in TLS 1.3).
 */
export class RecordLayer {
  /** The version written in outgoing record headers (0x0301 for a first ClientHello, then the negotiated one). */
  writeVersion: number = ProtocolVersion.TLSv1;
  /**
   * The version every incoming record must say once TLS 1.0-1.2 is negotiated (RFC 5246 Appendix
   * E.1: both sides use the negotiated version in the records after the ServerHello; OpenSSL and Go
   * refuse any other). Undefined before, and in TLS 1.3, whose record version is ignored (RFC 8446 5.1).
   */
  readVersion: number | undefined = undefined;
  /** The largest plaintext we put in one record: 2^14, or less when the peer set a record_size_limit (RFC 8449). */
  maxFragmentOut: number = MAX_FRAGMENT;
  /** The largest plaintext we accept in one record: 2^14, or the record_size_limit we announced (RFC 8449). */
  maxFragmentIn: number = MAX_FRAGMENT;

  private readonly side: Side;
  private readonly trace: Annotator | undefined;
  private readonly framer = new RecordFramer();
  private readProtection: RecordProtection = nullProtection;
  private writeProtection: RecordProtection = nullProtection;
  private readSeq = 0;
  private writeSeq = 0;
  /** An unprotected alert is read as one (see setReadProtection). */
  private plainAlertsAllowed = false;
  /**
   * Whether whole records of a read are opened in one batch (the protection's openRecords()), set
   * once the handshake is done: during it, each record may change what the next is read with.
   */
  batchReads = false;
  /** Records a batch opened and readRecord() has not returned yet, from `openedAt` on. */
  private opened: OpenedRecord[] = [];
  private openedAt = 0;
  /** Headers and bodies queued for sending, joined once in takeOutput(). */
  private output: Uint8Array[] = [];
  private outputLength = 0;

  constructor(options: { side?: Side; trace?: Annotator } = {}) {
    this.side = options.side ?? 'client';
    this.trace = options.trace;
  }

  setReadProtection(protection: RecordProtection): void {
    // A batch stops after any record that is not application data, so none is left over a key change.
    if (this.openedAt < this.opened.length) throw new TlsError('internal_error', 'read keys changed with opened records pending');
    // A TLS 1.3 server's first read key: until a record opens under it, the client may not have read
    // our ServerHello yet and can only send its alert in the clear (OpenSSL accepts such alerts too).
    this.plainAlertsAllowed = this.side === 'server' && !this.readProtection.encrypted && protection.outerContentType !== undefined;
    this.readProtection = protection;
    this.readSeq = 0;
  }

  setWriteProtection(protection: RecordProtection): void {
    this.writeProtection = protection;
    this.writeSeq = 0;
  }

  /** The protection and the next sequence number of one direction (for Connection.trafficKeys). */
  direction(which: 'read' | 'write'): { readonly protection: RecordProtection; readonly seq: number } {
    return which === 'read' ? { protection: this.readProtection, seq: this.readSeq } : { protection: this.writeProtection, seq: this.writeSeq };
  }

  /** `count` records of one direction were opened or sealed outside the layer: their sequence numbers are used. */
  skipRecords(which: 'read' | 'write', count: number): void {
    if (which === 'read') {
      this.readSeq = skipSeq(this.readSeq, count);
      this.plainAlertsAllowed = false;
    } else {
      this.writeSeq = skipSeq(this.writeSeq, count);
    }
  }

  get readEncrypted(): boolean {
    return this.readProtection.encrypted;
  }

  get writeEncrypted(): boolean {
    return this.writeProtection.encrypted;
  }

  /**
   * Buffers received bytes. The layer keeps a reference: do not modify them afterwards. With
   * `owned` the caller gives the memory away, and protected records are decrypted in place in it
   * (the plaintext handed up is then a view of these bytes).
   */
  receive(bytes: Uint8Array, owned = false): void {
    this.framer.push(bytes, owned);
  }

  /** Bytes received but not yet returned as records. */
  get buffered(): number {
    return this.framer.buffered;
  }

  /** Whether received input waits here: bytes not yet framed, or records a batch opened and readRecord() has not returned. */
  get holdsInput(): boolean {
    return this.framer.buffered > 0 || this.openedAt < this.opened.length;
  }

  /**
   * The next record, unprotected, or null when more bytes are needed. Throws
   * TlsError: record_overflow (body over 2^14 + expansion, or plaintext over
   * 2^14), bad_record_mac, decode_error, unexpected_message (unknown type).
   */
  readRecord(): { contentType: number; plaintext: Uint8Array } | null {
    if (this.openedAt < this.opened.length || this.openBatch()) return this.nextOpened();
    const protection = this.readProtection;
    // RFC 5246 Section 6.2.3 and RFC 8446 Section 5.2: the body may exceed 2^14 by
    // the protection's expansion only.
    // A protected body is decrypted into a new array and not kept: it may stay a view of the
    // received bytes. A plaintext body (handshake messages kept for later) is copied out.
    const limit = MAX_FRAGMENT + protection.maxExpansion;
    const record = protection.encrypted ? this.framer.nextView(limit) : this.framer.next(limit);
    if (record === null) return null;
    if (this.readVersion !== undefined && record.version !== this.readVersion) {
      const hex = (v: number) => `0x${v.toString(16).padStart(4, '0')}`;
      throw new TlsError('protocol_version', `${BAD_RECORD_VERSION} ${hex(record.version)} where ${hex(this.readVersion)} was negotiated`);
    }
    this.trace?.({
      kind: 'record', side: this.side, direction: 'received',
      contentType: record.contentType, length: record.body.length, encrypted: protection.encrypted,
    });
    // RFC 8446 Section 5: an unprotected change_cipher_spec may arrive while the
    // handshake is protected; it is passed up (the handshake drops a valid one
    // and refuses any other) and takes no sequence number.
    if (protection.outerContentType !== undefined && record.contentType === ContentType.change_cipher_spec) {
      return { contentType: record.contentType, plaintext: record.body };
    }
    if (this.plainAlertsAllowed && record.contentType === ContentType.alert) {
      return { contentType: record.contentType, plaintext: record.body.slice() };
    }
    const seq = this.readSeq;
    const opened = protection.open(record.contentType, record.version, seq, record.body, record.writable === true);
    this.readSeq = nextSeq(seq);
    this.plainAlertsAllowed = false;
    this.checkPlaintext(opened.contentType, opened.plaintext.length);
    return opened;
  }

  /** What an opened record's plaintext of `length` bytes may be. */
  private checkPlaintext(contentType: number, length: number): void {
    // RFC 5246 Section 6.2.1: the plaintext fragment is at most 2^14 bytes (RFC 8449: or our record_size_limit).
    if (length > this.maxFragmentIn) {
      throw new TlsError('record_overflow', `record plaintext of ${length} bytes is over the limit of ${this.maxFragmentIn}`);
    }
    // RFC 5246 Section 6.2.1, RFC 8446 Section 5.1: zero-length fragments are
    // allowed for application data only.
    if (length === 0 && contentType !== ContentType.application_data) {
      throw new TlsError('unexpected_message', `empty record of content type ${contentType}`);
    }
  }

  /**
   * Opens the whole records at the start of the next received chunk in one call, when the
   * protection can and the chunk is ours to decrypt in place; true when it opened any.
   */
  private openBatch(): boolean {
    const protection = this.readProtection;
    if (!this.batchReads || protection.openRecords === undefined) return false;
    const first = this.framer.ownedFirst();
    if (first === undefined) return false;
    const start = this.framer.ownedStart;
    this.opened = [];
    this.openedAt = 0;
    const length = (first[start + 3]! << 8) | first[start + 4]!;
    if (first.length - start - RECORD_HEADER_LENGTH >= length) {
      this.framer.consume(protection.openRecords(this.readVersion, first, start, first.length, this.readSeq, this.opened));
    } else {
      // A record cut by the end of a read: opened in its two pieces when the next read holds its end.
      const second = this.framer.ownedSecond();
      if (second === undefined || protection.openSplitRecord === undefined) return false;
      const taken = protection.openSplitRecord(this.readVersion, first, start, second, this.readSeq, this.opened);
      if (taken >= 0) this.framer.consume(first.length - start + taken);
    }
    return this.opened.length > 0;
  }

  /** The next record a batch opened, checked as readRecord() checks one it opens itself. */
  private nextOpened(): { contentType: number; plaintext: Uint8Array } {
    const record = this.opened[this.openedAt++]!;
    if (this.openedAt === this.opened.length) {
      this.opened = [];
      this.openedAt = 0;
    }
    // The second piece of a record opened in two: counted and checked with the first.
    if (record.continued === true) return record;
    this.trace?.({
      kind: 'record', side: this.side, direction: 'received',
      contentType: ContentType.application_data, length: record.bodyLength, encrypted: true,
    });
    if (record.error !== undefined) throw record.error;
    this.readSeq = nextSeq(this.readSeq);
    this.plainAlertsAllowed = false;
    // A record opened in two pieces is checked by its whole length (each piece holds some of it).
    this.checkPlaintext(record.contentType, record.total ?? record.plaintext.length);
    return record;
  }

  /** Fragments `data` into records of at most 2^14 bytes, protects them and queues them for sending. */
  writeRecord(contentType: number, data: Uint8Array): void {
    if (data.length === 0) {
      // RFC 5246 Section 6.2.1: "Implementations MUST NOT send zero-length fragments
      // of Handshake, Alert, or ChangeCipherSpec content types."
      if (contentType === ContentType.application_data) return;
      throw new TlsError('internal_error', `refusing to send an empty record of content type ${contentType}`);
    }
    const protection = this.writeProtection;
    // RFC 8446 Section 5.2: protected TLS 1.3 records are application_data, version 0x0303.
    const outerType = protection.outerContentType ?? contentType;
    const version = protection.outerContentType !== undefined ? ProtocolVersion['TLSv1.2'] : this.writeVersion;
    if (protection.sealedLength !== undefined && protection.sealInto !== undefined) {
      this.sealRecords(protection as SealingProtection, outerType, contentType, version, data);
      return;
    }
    const max = this.maxFragmentOut;
    for (let offset = 0; offset < data.length; offset += max) {
      const fragment = data.subarray(offset, Math.min(offset + max, data.length));
      const seq = this.writeSeq;
      const body = protection.seal(contentType, version, seq, fragment);
      this.writeSeq = nextSeq(seq);
      const header = Uint8Array.of(outerType, version >>> 8, version & 0xff, body.length >>> 8, body.length & 0xff);
      this.output.push(header, body);
      this.outputLength += RECORD_HEADER_LENGTH + body.length;
      this.trace?.({
        kind: 'record', side: this.side, direction: 'sent',
        contentType: outerType, length: body.length, encrypted: protection.encrypted,
      });
    }
  }

  /**
   * writeRecord() where the protection knows its body lengths up front: every record of the
   * write, headers included, is sealed into one buffer (no per-record arrays, no joining).
   */
  private sealRecords(
    protection: SealingProtection,
    outerType: number,
    contentType: number,
    version: number,
    data: Uint8Array,
  ): void {
    const max = this.maxFragmentOut;
    const full = Math.floor(data.length / max);
    const rest = data.length - full * max;
    const fullLength = full > 0 ? protection.sealedLength(max) : 0;
    const restLength = rest > 0 ? protection.sealedLength(rest) : 0;
    const total = full * (RECORD_HEADER_LENGTH + fullLength) + (rest > 0 ? RECORD_HEADER_LENGTH + restLength : 0);
    const out =
      total < MIN_SLAB_WRITE ? smallOutputSlice(total) : total <= OUTPUT_SLAB ? slab().subarray(0, total) : new Uint8Array(total);
    const records = full + (rest > 0 ? 1 : 0);
    const seqAfter = skipSeq(this.writeSeq, records);
    if (protection.sealRecords !== undefined && protection.sealRecords(contentType, version, this.writeSeq, data, max, out, 0) >= 0) {
      this.writeSeq = seqAfter;
      if (this.trace) {
        for (let i = 0; i < records; i++) {
          const length = i < full ? fullLength : restLength;
          this.trace({ kind: 'record', side: this.side, direction: 'sent', contentType: outerType, length, encrypted: true });
        }
      }
      this.output.push(out);
      this.outputLength += total;
      return;
    }
    let at = 0;
    for (let offset = 0; offset < data.length; offset += max) {
      const end = Math.min(offset + max, data.length);
      const bodyLength = end - offset === max ? fullLength : restLength;
      // RFC 5246 Section 6.2.1 / RFC 8446 Section 5.1: type (1), version (2), length (2).
      out[at] = outerType;
      out[at + 1] = version >>> 8;
      out[at + 2] = version & 0xff;
      out[at + 3] = bodyLength >>> 8;
      out[at + 4] = bodyLength & 0xff;
      const seq = this.writeSeq;
      protection.sealInto(contentType, version, seq, data.subarray(offset, end), out, at + RECORD_HEADER_LENGTH);
      this.writeSeq = nextSeq(seq);
      at += RECORD_HEADER_LENGTH + bodyLength;
      this.trace?.({
        kind: 'record', side: this.side, direction: 'sent',
        contentType: outerType, length: bodyLength, encrypted: protection.encrypted,
      });
    }
    this.output.push(out);
    this.outputLength += total;
  }

  /** All queued bytes to send, in one buffer; empties the queue. */
  takeOutput(): Uint8Array {
    if (this.outputLength === 0) return NO_OUTPUT;
    if (this.output.length === 1) {
      // One write's records are already one buffer: hand it over as is.
      const only = this.output[0]!;
      this.output = [];
      this.outputLength = 0;
      if (slabs.made.has(only.buffer)) slabs.handedOut.add(only.buffer);
      return only;
    }
    const out = new Uint8Array(this.outputLength);
    let at = 0;
    for (const chunk of this.output) {
      out.set(chunk, at);
      at += chunk.length;
      // Copied: a slab among the chunks is free again.
      if (slabs.made.has(chunk.buffer)) keepSpare(chunk.buffer);
    }
    this.output = [];
    this.outputLength = 0;
    return out;
  }

  /**
   * Hands back an array takeOutput() returned, once the transport is done with it (its bytes
   * are in the kernel, not just queued in a stream that still refers to them): an output slab
   * is then sealed into again instead of allocating a new buffer for every write. Anything else
   * is ignored, and so is a slab handed back twice.
   */
  recycleOutput(bytes: Uint8Array): void {
    if (bytes.byteOffset === 0 && slabs.handedOut.delete(bytes.buffer)) keepSpare(bytes.buffer);
  }

  get hasOutput(): boolean {
    return this.outputLength > 0;
  }
}
