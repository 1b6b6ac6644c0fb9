// Application data records with WebCrypto, beside the synchronous engine.
//
// WebCrypto is asynchronous and the engine is not; the engine hands its AEAD keys and sequence
// numbers over instead (Connection.trafficKeys / skipRecords), as OpenSSL hands them to the
// Linux kernel for kTLS. The web adapter seals and opens AES-GCM application data records here,
// several at once, and passes every other record (handshake messages after the handshake, alerts,
// a record that does not open) to the engine as it came, at the sequence number the engine expects:
// the engine answers it as always (KeyUpdate, NewSessionTicket, close_notify, bad_record_mac).
// ChaCha20-Poly1305 has no WebCrypto: its records stay on the provider.

import type { TrafficKeys } from '../connection.js';
import { MAX_FRAGMENT, RECORD_HEADER_LENGTH } from '../record/framer.js';
import { gcm12Nonce, pseudoHeader, writeSeq, xorNonce } from '../record/protection.js';
import { concatBytes } from '../wire/bytes.js';
import { ContentType, ProtocolVersion } from '../wire/enums.js';

/** The part of WebCrypto's SubtleCrypto used here (browsers, Workers, Deno, Node's globalThis.crypto). */
export interface SubtleLike {
  importKey(format: 'raw', keyData: Uint8Array, algorithm: { name: string }, extractable: boolean, usages: string[]): Promise<unknown>;
  encrypt(algorithm: AesGcmParams, key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
  decrypt(algorithm: AesGcmParams, key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
}

interface AesGcmParams {
  readonly name: 'AES-GCM';
  readonly iv: Uint8Array;
  readonly additionalData: Uint8Array;
  readonly tagLength: 128;
}

/** The runtime's WebCrypto, when it has one (a page served over plain http from another host has none). */
export function runtimeSubtle(): SubtleLike | undefined {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleLike } }).crypto?.subtle;
  return subtle !== undefined && typeof subtle.decrypt === 'function' ? subtle : undefined;
}

const TAG_LENGTH = 16;
const EXPLICIT_NONCE_LENGTH = 8;
/** The largest TLS 1.2 body (RFC 5246 Section 6.2.3: 2^14 + 2048); a longer header goes to the engine, which refuses it. */
const MAX_BODY = MAX_FRAGMENT + 2048;

/** AES-GCM application data records of one connection, through WebCrypto. */
export class WebCryptoRecords {
  /** The imported key per traffic key (the engine's key arrays live as long as their protection). */
  private readonly imported = new WeakMap<Uint8Array, Promise<unknown>>();

  constructor(private readonly subtle: SubtleLike) {}

  /** Whether these keys' records can be protected here: TLS 1.3 or 1.2 with AES-GCM. */
  supports(keys: TrafficKeys): boolean {
    return (keys.algorithm === 'AES-128-GCM' || keys.algorithm === 'AES-256-GCM') &&
      (keys.version === ProtocolVersion['TLSv1.3'] || (keys.version === ProtocolVersion['TLSv1.2'] && keys.iv.length === 4));
  }

  private cryptoKey(keys: TrafficKeys): Promise<unknown> {
    let key = this.imported.get(keys.key);
    if (key === undefined) {
      key = this.subtle.importKey('raw', keys.key, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
      this.imported.set(keys.key, key);
    }
    return key;
  }

  /**
   * Opens `record` (header and body) as the application data record number `seq`: its plaintext, or
   * undefined when it is anything else — another content type, an empty or oversized record, one
   * that does not open — which the engine must then read itself. Never rejects.
   */
  async open(keys: TrafficKeys, seq: number, record: Uint8Array): Promise<Uint8Array | undefined> {
    if (record[0] !== ContentType.application_data) return undefined;
    try {
      const key = await this.cryptoKey(keys);
      if (keys.version === ProtocolVersion['TLSv1.3']) {
        // RFC 8446 Section 5.2: additional_data is the record header; the body is TLSInnerPlaintext sealed.
        const body = record.subarray(RECORD_HEADER_LENGTH);
        if (body.length <= TAG_LENGTH) return undefined;
        const params: AesGcmParams = { name: 'AES-GCM', iv: xorNonce(keys.iv, seq), additionalData: record.subarray(0, RECORD_HEADER_LENGTH), tagLength: 128 };
        const inner = new Uint8Array(await this.subtle.decrypt(params, key, body));
        // RFC 8446 Section 5.4: the content type is the last non-zero byte.
        let end = inner.length;
        while (end > 0 && inner[end - 1] === 0) end--;
        if (end < 2 || inner[end - 1] !== ContentType.application_data || end - 1 > keys.maxFragment) return undefined;
        return inner.subarray(0, end - 1);
      }
      // RFC 5288 Section 3: nonce = salt || nonce_explicit; RFC 5246 Appendix E.1: the negotiated version.
      if (record[1] !== 3 || record[2] !== 3) return undefined;
      const length = record.length - RECORD_HEADER_LENGTH - EXPLICIT_NONCE_LENGTH - TAG_LENGTH;
      if (length <= 0 || length > keys.maxFragment) return undefined;
      const nonce = gcm12Nonce(keys.iv, record.subarray(RECORD_HEADER_LENGTH, RECORD_HEADER_LENGTH + EXPLICIT_NONCE_LENGTH));
      const params: AesGcmParams = { name: 'AES-GCM', iv: nonce, additionalData: pseudoHeader(seq, ContentType.application_data, ProtocolVersion['TLSv1.2'], length), tagLength: 128 };
      return new Uint8Array(await this.subtle.decrypt(params, key, record.subarray(RECORD_HEADER_LENGTH + EXPLICIT_NONCE_LENGTH)));
    } catch {
      // Authentication failed (or WebCrypto refused): the engine opens it again and says why.
      return undefined;
    }
  }

  /** How many records `length` bytes of application data take. */
  static recordCount(keys: TrafficKeys, length: number): number {
    return Math.ceil(length / keys.maxFragment);
  }

  /**
   * Seals `data` as application data records numbered from `keys.seq` (the caller has taken their
   * sequence numbers with skipRecords), all of them sealed at once; one buffer, headers included.
   */
  async seal(keys: TrafficKeys, data: Uint8Array): Promise<Uint8Array> {
    const key = await this.cryptoKey(keys);
    const tls13 = keys.version === ProtocolVersion['TLSv1.3'];
    const overhead = RECORD_HEADER_LENGTH + TAG_LENGTH + (tls13 ? 1 : EXPLICIT_NONCE_LENGTH);
    const sealed: Promise<ArrayBuffer>[] = [];
    const headers: Uint8Array[] = [];
    let total = 0;
    for (let at = 0, seq = keys.seq; at < data.length; at += keys.maxFragment, seq++) {
      const fragment = data.subarray(at, Math.min(at + keys.maxFragment, data.length));
      const header = new Uint8Array(RECORD_HEADER_LENGTH + (tls13 ? 0 : EXPLICIT_NONCE_LENGTH));
      const bodyLength = fragment.length + overhead - RECORD_HEADER_LENGTH;
      // RFC 8446 Section 5.1 / RFC 5246 Section 6.2: type, legacy_record_version 0x0303, length.
      header.set([ContentType.application_data, 3, 3, bodyLength >>> 8, bodyLength & 0xff]);
      if (tls13) {
        // TLSInnerPlaintext: content || ContentType (no padding); additional_data is the header.
        const inner = new Uint8Array(fragment.length + 1);
        inner.set(fragment);
        inner[fragment.length] = ContentType.application_data;
        sealed.push(this.subtle.encrypt({ name: 'AES-GCM', iv: xorNonce(keys.iv, seq), additionalData: header, tagLength: 128 }, key, inner));
      } else {
        // RFC 5288: the explicit nonce is the sequence number, as Go, OpenSSL and the engine send it.
        writeSeq(header, RECORD_HEADER_LENGTH, seq);
        const nonce = gcm12Nonce(keys.iv, header.subarray(RECORD_HEADER_LENGTH));
        sealed.push(this.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: pseudoHeader(seq, ContentType.application_data, ProtocolVersion['TLSv1.2'], fragment.length), tagLength: 128 }, key, fragment));
      }
      headers.push(header);
      total += fragment.length + overhead;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < sealed.length; i++) {
      out.set(headers[i]!, at);
      at += headers[i]!.length;
      const body = new Uint8Array(await sealed[i]!);
      out.set(body, at);
      at += body.length;
    }
    return out;
  }
}

/**
 * Splits received bytes into whole records (header and body), as views of the received chunks
 * where a record lies in one. A header no TLS record can have (an unknown type, a major version
 * other than 3, a body over 2^14 + 2048) ends the splitting: everything from there on is handed on
 * as it came, for the engine to refuse (or, for a server, to read an SSL 2.0 ClientHello).
 */
export class RecordSplitter {
  private partial: Uint8Array | undefined;
  private partialLength = 0;
  private chunk: Uint8Array = new Uint8Array(0);
  private broken = false;

  push(bytes: Uint8Array): void {
    this.chunk = this.chunk.length === 0 ? bytes : concatBytes(this.chunk, bytes);
  }

  /** The next whole record, or (once broken) the raw bytes left; undefined when more bytes are needed. */
  next(): Uint8Array | undefined {
    if (this.broken) {
      if (this.chunk.length === 0) return undefined;
      const rest = this.chunk;
      this.chunk = new Uint8Array(0);
      return rest;
    }
    if (this.partial !== undefined) {
      // A record begun in an earlier chunk: fill it.
      const take = Math.min(this.partial.length - this.partialLength, this.chunk.length);
      this.partial.set(this.chunk.subarray(0, take), this.partialLength);
      this.partialLength += take;
      this.chunk = this.chunk.subarray(take);
      if (this.partialLength < this.partial.length) return undefined;
      const record = this.partial;
      this.partial = undefined;
      return record;
    }
    const c = this.chunk;
    if (c.length < RECORD_HEADER_LENGTH) return undefined;
    const length = (c[3]! << 8) | c[4]!;
    // Not a TLS record header (RFC 5246 Section 6.2.1: a known type, major version 3), or longer than
    // any record: the engine decides on these bytes at once, as they came.
    if (c[0]! < ContentType.change_cipher_spec || c[0]! > ContentType.application_data || c[1] !== 3 || length > MAX_BODY) {
      this.broken = true;
      return this.next();
    }
    const size = RECORD_HEADER_LENGTH + length;
    if (c.length >= size) {
      this.chunk = c.subarray(size);
      return c.subarray(0, size);
    }
    this.partial = new Uint8Array(size);
    this.partial.set(c);
    this.partialLength = c.length;
    this.chunk = new Uint8Array(0);
    return undefined;
  }
}
