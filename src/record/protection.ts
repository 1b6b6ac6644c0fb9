// Record protection per cipher suite. RFC 5246 Section 6.2.3, RFC 5288 (AES-GCM),
// RFC 7905 (ChaCha20-Poly1305), RFC 7366 (encrypt_then_mac), RFC 8446 Section 5.2.

import type { AeadAlgorithm, CbcAlgorithm, CryptoProvider, HashAlgorithm } from '../crypto/provider.js';

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
   * Returns the record body for `plaintext`. For TLS 1.3 the record's outer type
   * is application_data and `contentType` goes inside (TLSInnerPlaintext).
   */
  seal(contentType: number, version: number, seq: number, plaintext: Uint8Array): Uint8Array;
  /**
   * Returns the plaintext and its real content type. Throws TlsError(bad_record_mac)
   * for any authentication or padding failure, the same way for both, without
   * an early exit (CBC: RFC 5246 Section 6.2.3.2, Lucky Thirteen).
   */
  open(contentType: number, version: number, seq: number, body: Uint8Array): { contentType: number; plaintext: Uint8Array };
}

export declare const nullProtection: RecordProtection;

/** TLS 1.2 AEAD: AES-GCM with an 8-byte explicit nonce (RFC 5288), ChaCha20-Poly1305 with the nonce from the IV XOR seq (RFC 7905). */
export declare function aead12Protection(provider: CryptoProvider, algorithm: AeadAlgorithm, key: Uint8Array, fixedIv: Uint8Array): RecordProtection;

/** TLS 1.3 AEAD with TLSInnerPlaintext (RFC 8446 Section 5.2, 5.3). */
export declare function aead13Protection(provider: CryptoProvider, algorithm: AeadAlgorithm, key: Uint8Array, iv: Uint8Array): RecordProtection;

/**
 * CBC with HMAC: MAC-then-encrypt (RFC 5246 Section 6.2.3.2) or encrypt-then-MAC
 * (RFC 7366). An explicit per-record IV from TLS 1.1 on; in TLS 1.0 the IV
 * chains from the previous record (`implicitIv` is the initial one).
 */
export declare function cbcProtection(
  provider: CryptoProvider,
  options: {
    algorithm: CbcAlgorithm;
    key: Uint8Array;
    macHash: HashAlgorithm;
    macKey: Uint8Array;
    encryptThenMac: boolean;
    implicitIv?: Uint8Array;
  },
): RecordProtection;
