// The handshake transcript: the running hash of every handshake message.

import type { CryptoProvider, HashAlgorithm } from '../crypto/provider.js';

/**
 * Buffers messages until the hash is known (it depends on the cipher suite),
 * then hashes as it goes. `keepMessages` keeps the raw messages too, for a TLS 1.2
 * CertificateVerify, which signs the messages themselves.
 */
export declare class Transcript {
  constructor(provider: CryptoProvider);
  /** Adds one handshake message (4-byte header + body). */
  add(message: Uint8Array): void;
  /** Fixes the hash; the buffered messages are hashed now. */
  startHash(algorithm: HashAlgorithm): void;
  get algorithm(): HashAlgorithm | undefined;
  /** The hash of every message so far. Throws if the hash is not fixed yet. */
  hash(): Uint8Array;
  /** Keep the raw messages from now on (must be called before startHash to keep the earlier ones). */
  keepMessages(): void;
  /** The concatenated messages so far, when kept. */
  messages(): Uint8Array;
  /** TLS 1.3 HelloRetryRequest: replace ClientHello1 by message_hash (RFC 8446 Section 4.4.1). */
  rollupForHelloRetry(): void;
}
