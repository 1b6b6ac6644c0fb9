// Inbound record framing and handshake message reassembly.
// RFC 5246 Section 6.2.1 (TLSPlaintext), RFC 8446 Section 5.1.

import { TlsError } from '../errors.js';
import { ContentType } from '../wire/enums.js';

/** 2^14: the largest plaintext fragment (RFC 5246 Section 6.2.1). */
export const MAX_FRAGMENT = 16384;

/** The record header: type (1), version (2), length (2). RFC 5246 Section 6.2.1. */
export const RECORD_HEADER_LENGTH = 5;

/** The handshake message header: msg_type (1), length (3). RFC 5246 Section 7.4. */
export const HANDSHAKE_HEADER_LENGTH = 4;

/**
 * The default largest handshake message the joiner accepts: 256 KiB, room for
 * long Certificate chains (OpenSSL's default max_cert_list is 100 KiB; Go allows
 * 64 KiB plus the certificate chain).
 */
export const DEFAULT_MAX_HANDSHAKE_MESSAGE = 256 * 1024;

/** The largest body the joiner takes for a message type: one bound for all, or one per type. */
export type HandshakeSizeLimit = number | ((type: number) => number);

/**
 * Received bytes as a list of chunks and an offset into the first: pushing never
 * copies what is already buffered, and taking copies each byte once.
 */
class ByteQueue {
  private chunks: Uint8Array[] = [];
  /** Per chunk: whether its owner gave it away (push(bytes, true)), so that views of it may be written. */
  private owned: boolean[] = [];
  /** Whether the array the last view() returned may be written: a copy, or a view of an owned chunk. */
  lastViewWritable = false;
  /** Index of the first chunk still in use (chunks before it are consumed). */
  private head = 0;
  /** Offset of the first unread byte in chunks[head]. */
  private offset = 0;
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(bytes: Uint8Array, owned = false): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.owned.push(owned);
    this.total += bytes.length;
  }

  /** The byte at position `i` from the first unread byte; the caller checks `i < length`. */
  peek(i: number): number {
    let k = this.head;
    let at = this.offset + i;
    while (at >= this.chunks[k]!.length) {
      at -= this.chunks[k]!.length;
      k++;
    }
    return this.chunks[k]![at]!;
  }

  /** Removes the next `n` bytes (n <= length) and returns them as a fresh array. */
  take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[this.head]!;
      const count = Math.min(n - filled, chunk.length - this.offset);
      out.set(chunk.subarray(this.offset, this.offset + count), filled);
      filled += count;
      this.offset += count;
      if (this.offset === chunk.length) {
        this.head++;
        this.offset = 0;
      }
    }
    this.total -= n;
    this.compact();
    return out;
  }

  /**
   * Removes the next `n` bytes (n <= length) and returns them as a view of the pushed chunk
   * when they lie in one (no copy), or else as a fresh array.
   */
  view(n: number): Uint8Array {
    const chunk = this.chunks[this.head]!;
    if (n === 0 || this.offset + n > chunk.length) {
      this.lastViewWritable = true;
      return this.take(n);
    }
    this.lastViewWritable = this.owned[this.head]!;
    const out = chunk.subarray(this.offset, this.offset + n);
    this.offset += n;
    if (this.offset === chunk.length) {
      this.head++;
      this.offset = 0;
    }
    this.total -= n;
    this.compact();
    return out;
  }

  /** The first chunk, when it was given away (owned) and its unread bytes, chunk[headOffset..], hold a record header. */
  ownedHead(): Uint8Array | undefined {
    const chunk = this.chunks[this.head];
    return chunk !== undefined && this.owned[this.head] === true && chunk.length - this.offset >= RECORD_HEADER_LENGTH ? chunk : undefined;
  }

  /** The chunk after the first, when it was given away. */
  ownedSecond(): Uint8Array | undefined {
    return this.owned[this.head + 1] === true ? this.chunks[this.head + 1] : undefined;
  }

  get headOffset(): number {
    return this.offset;
  }

  /** Drops the next `n` bytes (n <= length). */
  skip(n: number): void {
    this.total -= n;
    while (n > 0) {
      const left = this.chunks[this.head]!.length - this.offset;
      const step = Math.min(n, left);
      this.offset += step;
      n -= step;
      if (step === left) {
        this.head++;
        this.offset = 0;
      }
    }
    this.compact();
  }

  /** Drops consumed chunks now and then, so the list does not grow without bound. */
  private compact(): void {
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.owned = [];
      this.head = 0;
    } else if (this.head > 32 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.owned = this.owned.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * How a protocol_version error for a record header's version begins (node reports it as "wrong
 * version number"): the framer's for a major byte other than 3, the record layer's for a version
 * other than the negotiated one.
 */
export const BAD_RECORD_VERSION = 'record has version';

/** A record as framed from the wire: header fields and the (possibly protected) body. */
export interface RawRecord {
  readonly contentType: number;
  readonly version: number;
  readonly body: Uint8Array;
  /** nextView() only: the body's memory is the framer's to give away (a copy, or owned bytes). */
  readonly writable?: boolean;
}

/**
 * Splits received bytes into records. `next()` returns the next whole record or
 * null when more bytes are needed. It throws TlsError: record_overflow when the
 * length exceeds `maxBodyLength`, protocol_version when the version's major byte
 * is not 3 (its message starts with BAD_RECORD_VERSION), and unexpected_message for an unknown
 * content type.
 *
 * A zero-length body is returned as is: whether it is allowed depends on the
 * content type and the protection, which the record layer knows.
 * The header is checked as soon as its five bytes are here, before the body.
 */
export class RecordFramer {
  private readonly queue = new ByteQueue();

  /**
   * Buffers `bytes`. The framer keeps a reference: do not modify them afterwards. With `owned`
   * the caller gives the memory away: records framed from it by nextView() are `writable`, and
   * decryption may write the plaintext over them.
   */
  push(bytes: Uint8Array, owned = false): void {
    this.queue.push(bytes, owned);
  }

  next(maxBodyLength: number): RawRecord | null {
    return this.frame(maxBodyLength, false);
  }

  /**
   * Like next(), but the body is a view of the pushed bytes when the record lies in one pushed
   * chunk (no copy). For bodies that are consumed at once and not kept (protected records:
   * decryption makes the plaintext a new array), so a view never holds a large chunk alive.
   */
  nextView(maxBodyLength: number): RawRecord | null {
    return this.frame(maxBodyLength, true);
  }

  private frame(maxBodyLength: number, view: boolean): RawRecord | null {
    const q = this.queue;
    if (q.length < RECORD_HEADER_LENGTH) return null;
    const contentType = q.peek(0);
    const versionMajor = q.peek(1);
    const version = (versionMajor << 8) | q.peek(2);
    // RFC 5246 Appendix E.1: every TLS version has major version 3; the minor
    // version is left to the handshake (the first ClientHello may say 3.0 or 3.1).
    // Checked before the content type, as OpenSSL does: bytes that are not TLS at all
    // get protocol_version, whatever their first byte. An SSL 2.0 ClientHello header
    // (high bit set, message type 1 where the minor byte would be) is left to the
    // content-type check: it is a record format, not a version.
    const sslv2Hello = (contentType & 0x80) !== 0 && q.peek(2) === 1;
    if (versionMajor !== 3 && !sslv2Hello) {
      throw new TlsError('protocol_version', `${BAD_RECORD_VERSION} major byte ${versionMajor}, not 3`);
    }
    // RFC 5246 Section 6: "If a TLS implementation receives an unexpected record
    // type, it MUST send an unexpected_message alert." (RFC 8446 Section 5 too.)
    if (contentType < ContentType.change_cipher_spec || contentType > ContentType.application_data) {
      throw new TlsError('unexpected_message', `record has an unknown content type ${contentType}`);
    }
    const length = (q.peek(3) << 8) | q.peek(4);
    // RFC 5246 Section 6.2.3 and RFC 8446 Section 5.2: a longer record calls for record_overflow.
    if (length > maxBodyLength) {
      throw new TlsError('record_overflow', `record of ${length} bytes is over the limit of ${maxBodyLength}`);
    }
    if (q.length < RECORD_HEADER_LENGTH + length) return null;
    if (!view) return { contentType, version, body: q.take(RECORD_HEADER_LENGTH + length).subarray(RECORD_HEADER_LENGTH) };
    const record = q.view(RECORD_HEADER_LENGTH + length);
    return { contentType, version, body: record.subarray(RECORD_HEADER_LENGTH), writable: q.lastViewWritable };
  }

  /**
   * For a batch open in place: the first pushed chunk when it is owned and holds the next record's
   * header (its unread part is chunk[ownedStart..]), else undefined; ownedSecond() the chunk after
   * it when that is owned too. The caller decrypts in place and then consume()s what it took.
   */
  ownedFirst(): Uint8Array | undefined {
    return this.queue.ownedHead();
  }

  ownedSecond(): Uint8Array | undefined {
    return this.queue.ownedSecond();
  }

  get ownedStart(): number {
    return this.queue.headOffset;
  }

  /** Drops `n` buffered bytes (records a batch opened). */
  consume(n: number): void {
    this.queue.skip(n);
  }

  /** Bytes received but not yet returned as records. */
  get buffered(): number {
    return this.queue.length;
  }
}

/** One whole handshake message: its type, its body and its full encoding (4-byte header + body) for the transcript. */
export interface HandshakeFrame {
  readonly type: number;
  readonly body: Uint8Array;
  readonly raw: Uint8Array;
}

/**
 * Joins handshake record fragments into messages: a message may span records
 * and a record may hold several messages. Throws TlsError(decode_error) when a
 * message is longer than `maxMessageSize`.
 */
export class HandshakeJoiner {
  private readonly queue = new ByteQueue();

  constructor(private readonly maxMessageSize: HandshakeSizeLimit = DEFAULT_MAX_HANDSHAKE_MESSAGE) {}

  /** Buffers a handshake record's plaintext. The joiner keeps a reference: do not modify it afterwards. */
  push(fragment: Uint8Array): void {
    this.queue.push(fragment);
  }

  next(): HandshakeFrame | null {
    const q = this.queue;
    if (q.length < HANDSHAKE_HEADER_LENGTH) return null;
    const type = q.peek(0);
    const length = (q.peek(1) << 16) | (q.peek(2) << 8) | q.peek(3);
    // RFC 5246 Section 7.4 allows 2^24-1 bytes; a bound, checked before any of the body is
    // buffered, keeps a peer from making us hold that much (Go: maxHandshake, rustls:
    // MAX_HANDSHAKE_SIZE; OpenSSL bounds each message type by its own structure, as the
    // connection's limit does).
    const limit = typeof this.maxMessageSize === 'number' ? this.maxMessageSize : this.maxMessageSize(type);
    if (length > limit) {
      throw new TlsError('decode_error', `handshake message of type ${type} is ${length} bytes, over the limit of ${limit}`);
    }
    if (q.length < HANDSHAKE_HEADER_LENGTH + length) return null;
    const raw = q.take(HANDSHAKE_HEADER_LENGTH + length);
    return { type, body: raw.subarray(HANDSHAKE_HEADER_LENGTH), raw };
  }

  /** True while part of a message is buffered (a record boundary inside a message). */
  get pending(): boolean {
    return this.queue.length > 0;
  }
}
