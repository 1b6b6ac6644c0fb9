// The TLS 1.2 key schedule. RFC 5246 Section 5 (PRF), 6.3 (key block),
// 7.4.9 (Finished), 8.1 (master secret); RFC 7627 (extended master secret).

import type { CryptoProvider, HashAlgorithm } from '../crypto/provider.js';

/** P_hash(secret, label + seed) cut to `length` bytes. (TLS 1.0/1.1: pass hash 'md5+sha1' later.) */
export declare function prf(provider: CryptoProvider, hash: HashAlgorithm, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Uint8Array;

/** master_secret = PRF(pre_master_secret, "master secret", ClientHello.random + ServerHello.random)[0..47] */
export declare function masterSecret(provider: CryptoProvider, hash: HashAlgorithm, preMasterSecret: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array): Uint8Array;

/** RFC 7627 Section 4: PRF(pre_master_secret, "extended master secret", session_hash)[0..47] */
export declare function extendedMasterSecret(provider: CryptoProvider, hash: HashAlgorithm, preMasterSecret: Uint8Array, sessionHash: Uint8Array): Uint8Array;

export interface KeyBlock {
  readonly clientWriteMacKey: Uint8Array;
  readonly serverWriteMacKey: Uint8Array;
  readonly clientWriteKey: Uint8Array;
  readonly serverWriteKey: Uint8Array;
  readonly clientWriteIv: Uint8Array;
  readonly serverWriteIv: Uint8Array;
}

/** key_block = PRF(master_secret, "key expansion", server_random + client_random), split in RFC 5246 Section 6.3 order. */
export declare function keyBlock(
  provider: CryptoProvider, hash: HashAlgorithm, masterSecret: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array,
  lengths: { macKey: number; key: number; iv: number },
): KeyBlock;

/** verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..11] */
export declare function verifyData(provider: CryptoProvider, hash: HashAlgorithm, masterSecret: Uint8Array, label: 'client finished' | 'server finished', handshakeHash: Uint8Array): Uint8Array;
