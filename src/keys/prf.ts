// The TLS 1.2 key schedule. RFC 5246 Section 5 (PRF), 6.3 (key block),
// 7.4.9 (Finished), 8.1 (master secret); RFC 7627 (extended master secret).
// And the TLS 1.0/1.1 PRF (RFC 2246 Section 5).

import { concatBytes } from '../wire/bytes.js';
import type { CryptoProvider, HashAlgorithm } from '../crypto/provider.js';
import { zeroize } from '../crypto/provider.js';

/** PRF labels are ASCII (RFC 5246 Section 5: "an ASCII string"). */
function ascii(label: string): Uint8Array {
  const out = new Uint8Array(label.length);
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (c > 0x7f) throw new RangeError(`PRF label is not ASCII: ${label}`);
    out[i] = c;
  }
  return out;
}


/**
 * RFC 5246 Section 5:
 *   P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) + HMAC_hash(secret, A(2) + seed) + ...
 *   A(0) = seed, A(i) = HMAC_hash(secret, A(i-1))
 */
export function pHash(provider: CryptoProvider, hash: HashAlgorithm, secret: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  // In one call when the provider can (the Node provider's addon, for SHA-2).
  if (provider.pHash !== undefined && hash !== 'md5' && hash !== 'sha1') {
    provider.pHash(hash, secret, seed, out);
    return out;
  }
  let a = seed;
  let filled = 0;
  while (filled < length) {
    a = provider.hmac(hash, secret, a);
    const block = provider.hmac(hash, secret, concatBytes(a, seed));
    const count = Math.min(block.length, length - filled);
    out.set(block.subarray(0, count), filled);
    filled += count;
  }
  return out;
}

/** P_hash(secret, label + seed) cut to `length` bytes. (TLS 1.0/1.1: see prf10.) */
export function prf(provider: CryptoProvider, hash: HashAlgorithm, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Uint8Array {
  // RFC 5246 Section 5: PRF(secret, label, seed) = P_<hash>(secret, label + seed)
  return pHash(provider, hash, secret, concatBytes(ascii(label), seed), length);
}

/**
 * The TLS 1.0 and 1.1 PRF (RFC 2246 Section 5, RFC 4346 Section 5): the secret is
 * split in two halves (sharing the middle byte when its length is odd), and
 * PRF = P_MD5(S1, label + seed) XOR P_SHA-1(S2, label + seed).
 */
export function prf10(provider: CryptoProvider, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Uint8Array {
  const half = Math.ceil(secret.length / 2);
  const s1 = secret.subarray(0, half);
  const s2 = secret.subarray(secret.length - half);
  const labelAndSeed = concatBytes(ascii(label), seed);
  const out = pHash(provider, 'md5', s1, labelAndSeed, length);
  const sha1 = pHash(provider, 'sha1', s2, labelAndSeed, length);
  for (let i = 0; i < length; i++) out[i]! ^= sha1[i]!;
  zeroize(sha1);
  return out;
}

/** The master secret is 48 bytes (RFC 5246 Section 8.1). */
const MASTER_SECRET_LENGTH = 48;

/** master_secret = PRF(pre_master_secret, "master secret", ClientHello.random + ServerHello.random)[0..47] */
export function masterSecret(provider: CryptoProvider, hash: HashAlgorithm, preMasterSecret: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array): Uint8Array {
  return prf(provider, hash, preMasterSecret, 'master secret', concatBytes(clientRandom, serverRandom), MASTER_SECRET_LENGTH);
}

/** RFC 7627 Section 4: PRF(pre_master_secret, "extended master secret", session_hash)[0..47] */
export function extendedMasterSecret(provider: CryptoProvider, hash: HashAlgorithm, preMasterSecret: Uint8Array, sessionHash: Uint8Array): Uint8Array {
  return prf(provider, hash, preMasterSecret, 'extended master secret', sessionHash, MASTER_SECRET_LENGTH);
}

export interface KeyBlock {
  readonly clientWriteMacKey: Uint8Array;
  readonly serverWriteMacKey: Uint8Array;
  readonly clientWriteKey: Uint8Array;
  readonly serverWriteKey: Uint8Array;
  readonly clientWriteIv: Uint8Array;
  readonly serverWriteIv: Uint8Array;
}

/** Splits a key block in RFC 5246 Section 6.3 order; each part is a copy and the block is cleared. */
export function splitKeyBlock(block: Uint8Array, lengths: { macKey: number; key: number; iv: number }): KeyBlock {
  let at = 0;
  const take = (n: number): Uint8Array => {
    const part = block.slice(at, at + n);
    at += n;
    return part;
  };
  const clientWriteMacKey = take(lengths.macKey);
  const serverWriteMacKey = take(lengths.macKey);
  const clientWriteKey = take(lengths.key);
  const serverWriteKey = take(lengths.key);
  const clientWriteIv = take(lengths.iv);
  const serverWriteIv = take(lengths.iv);
  zeroize(block);
  return { clientWriteMacKey, serverWriteMacKey, clientWriteKey, serverWriteKey, clientWriteIv, serverWriteIv };
}

/** The key block's length for these key sizes (RFC 5246 Section 6.3). */
export function keyBlockLength(lengths: { macKey: number; key: number; iv: number }): number {
  return 2 * (lengths.macKey + lengths.key + lengths.iv);
}

/** key_block = PRF(master_secret, "key expansion", server_random + client_random), split in RFC 5246 Section 6.3 order. */
export function keyBlock(
  provider: CryptoProvider, hash: HashAlgorithm, masterSecret: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array,
  lengths: { macKey: number; key: number; iv: number },
): KeyBlock {
  // Note the order: server_random first here, client_random first for the master secret.
  const block = prf(provider, hash, masterSecret, 'key expansion', concatBytes(serverRandom, clientRandom), keyBlockLength(lengths));
  return splitKeyBlock(block, lengths);
}

/** verify_data is 12 bytes for every suite typetls has (RFC 5246 Section 7.4.9). */
const VERIFY_DATA_LENGTH = 12;

/** verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..11] */
export function verifyData(provider: CryptoProvider, hash: HashAlgorithm, masterSecret: Uint8Array, label: 'client finished' | 'server finished', handshakeHash: Uint8Array): Uint8Array {
  return prf(provider, hash, masterSecret, label, handshakeHash, VERIFY_DATA_LENGTH);
}
