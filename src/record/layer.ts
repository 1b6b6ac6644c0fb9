// The record layer: two half-connections {protection, sequence number}.

import type { Annotator, Side } from '../trace.js';
import type { RecordProtection } from './protection.js';

/**
 * Frames, protects and unprotects records. Starts with null protection in both
 * directions; `setReadProtection` / `setWriteProtection` switch a direction and
 * reset its sequence number to 0 (the ChangeCipherSpec point in TLS 1.2, a new
 * traffic secret in TLS 1.3).
 */
export declare class RecordLayer {
  constructor(options?: { side?: Side; trace?: Annotator });
  /** The version written in outgoing record headers (0x0301 for a first ClientHello, then the negotiated one). */
  writeVersion: number;
  setReadProtection(protection: RecordProtection): void;
  setWriteProtection(protection: RecordProtection): void;
  get readEncrypted(): boolean;
  get writeEncrypted(): boolean;

  /** Buffers received bytes. */
  receive(bytes: Uint8Array): void;
  /**
   * The next record, unprotected, or null when more bytes are needed. Throws
   * TlsError: record_overflow (body over 2^14 + expansion, or plaintext over
   * 2^14), bad_record_mac, decode_error, unexpected_message (unknown type).
   */
  readRecord(): { contentType: number; plaintext: Uint8Array } | null;

  /** Fragments `data` into records of at most 2^14 bytes, protects them and queues them for sending. */
  writeRecord(contentType: number, data: Uint8Array): void;
  /** All queued bytes to send, in one buffer; empties the queue. */
  takeOutput(): Uint8Array;
  get hasOutput(): boolean;
}
