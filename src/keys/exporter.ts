// Keying material exporters: RFC 5705 (TLS 1.2 and before) and RFC 8446 Section 7.5 (TLS 1.3).

import type { CryptoProvider, HashAlgorithm } from '../crypto/provider.js';
import { concatBytes } from '../wire/bytes.js';
import { prf, prf10 } from './prf.js';
import { deriveSecret, emptyHash, hkdfExpandLabel } from './tls13.js';

/**
 * RFC 8446 Section 7.5:
 *   TLS-Exporter(label, context_value, key_length) =
 *     HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter", Hash(context_value), key_length)
 * "no context" and an empty context are the same in TLS 1.3.
 */
export function exporter13(
  provider: CryptoProvider, hash: HashAlgorithm, exporterMasterSecret: Uint8Array,
  label: string, context: Uint8Array | undefined, length: number,
): Uint8Array {
  const secret = deriveSecret(provider, hash, exporterMasterSecret, label, emptyHash(provider, hash));
  return hkdfExpandLabel(provider, hash, secret, 'exporter', provider.hash(hash, context ?? new Uint8Array(0)), length);
}

/**
 * RFC 5705 Section 4: PRF(master_secret, label, client_random + server_random
 * [+ context_value_length + context_value]); with no context the seed stops after the randoms.
 * `hash` is the suite's PRF hash in TLS 1.2, undefined for TLS 1.0/1.1 (MD5 XOR SHA-1).
 */
export function exporter12(
  provider: CryptoProvider, hash: HashAlgorithm | undefined, masterSecret: Uint8Array,
  clientRandom: Uint8Array, serverRandom: Uint8Array,
  label: string, context: Uint8Array | undefined, length: number,
): Uint8Array {
  const seed = context === undefined
    ? concatBytes(clientRandom, serverRandom)
    : concatBytes(clientRandom, serverRandom, Uint8Array.of(context.length >> 8, context.length & 0xff), context);
  return hash === undefined ? prf10(provider, masterSecret, label, seed, length) : prf(provider, hash, masterSecret, label, seed, length);
}
