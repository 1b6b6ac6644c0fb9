// Inbound record framing and handshake message reassembly.
// RFC 5246 Section 6.2.1 (TLSPlaintext), RFC 8446 Section 5.1.

/** 2^14: the largest plaintext fragment (RFC 5246 Section 6.2.1). */
export const MAX_FRAGMENT = 16384;

/** A record as framed from the wire: header fields and the (possibly protected) body. */
export interface RawRecord {
  readonly contentType: number;
  readonly version: number;
  readonly body: Uint8Array;
}

/**
 * Splits received bytes into records. `next()` returns the next whole record or
 * null when more bytes are needed. It throws TlsError: record_overflow when the
 * length exceeds `maxBodyLength`, decode_error for a zero-length header field
 * where none may be, unexpected_message for an unknown content type, and
 * protocol_version when the version's major byte is not 3.
 */
export declare class RecordFramer {
  push(bytes: Uint8Array): void;
  next(maxBodyLength: number): RawRecord | null;
  /** Bytes received but not yet returned as records. */
  get buffered(): number;
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
export declare class HandshakeJoiner {
  constructor(maxMessageSize?: number);
  push(fragment: Uint8Array): void;
  next(): HandshakeFrame | null;
  /** True while part of a message is buffered (a record boundary inside a message). */
  get pending(): boolean;
}
