// RSA in BigInt arithmetic for the portable provider (RFC 8017): RSASP1/RSADP with the Chinese
// remainder theorem, base and exponent blinding and a check of every private result;
// EMSA-PKCS1-v1_5 and EMSA-PSS encoding and verification; RSAES-PKCS1-v1_5 encryption.
//
// Why our own code rather than a library: the one maintained pure-JavaScript RSA of the noble
// family (micro-rsa-dsa-dh 0.2) computes c^d mod n directly, without CRT (four times slower) and
// without blinding, and a TLS server signs and decrypts whatever a stranger sends it. What this
// file promises about timing: JavaScript BigInt arithmetic is not constant-time, so nothing here
// is either; blinding makes the operands of every private exponentiation random (the ciphertext
// or message is multiplied by r^e, the CRT exponents get a random multiple of p-1 and q-1 added),
// so that the time taken does not follow the attacker's input or repeat for the same key. The
// padding check of the RSA key exchange stays with the engine (implicit rejection, RFC 5246
// Section 7.4.7.1), which receives the raw result here whatever the padding.

export interface RsaPublicComponents {
  readonly n: bigint;
  readonly e: bigint;
}

export interface RsaPrivateComponents extends RsaPublicComponents {
  readonly d: bigint;
  readonly p: bigint;
  readonly q: bigint;
  readonly dp: bigint;
  readonly dq: bigint;
  readonly qi: bigint;
}

export function bytesToBigInt(b: Uint8Array): bigint {
  let hex = '';
  for (const x of b) hex += x.toString(16).padStart(2, '0');
  return hex.length === 0 ? 0n : BigInt('0x' + hex);
}

/** `n` as exactly `length` big-endian bytes; throws when it does not fit. */
export function bigIntToBytes(n: bigint, length: number): Uint8Array {
  const hex = n.toString(16);
  if (n < 0n || hex.length > 2 * length) throw new RangeError('integer does not fit');
  const padded = hex.padStart(2 * length, '0');
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = parseInt(padded.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** base^exponent mod modulus, left to right with a fixed 4-bit window. */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  if (modulus === 1n) return 0n;
  const b = ((base % modulus) + modulus) % modulus;
  const table: bigint[] = [1n, b];
  for (let i = 2; i < 16; i++) table.push((table[i - 1]! * b) % modulus);
  const hex = exponent.toString(16);
  let result = 1n;
  for (let i = 0; i < hex.length; i++) {
    if (i > 0) for (let s = 0; s < 4; s++) result = (result * result) % modulus;
    const digit = parseInt(hex[i]!, 16);
    if (digit !== 0) result = (result * table[digit]!) % modulus;
  }
  return result;
}

/** The inverse of a mod m (extended Euclid); throws when there is none. */
export function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  if (oldR !== 1n) throw new RangeError('no modular inverse');
  return ((oldS % m) + m) % m;
}

/** The modulus length in bytes, k of RFC 8017. */
export function modulusBytes(key: RsaPublicComponents): number {
  return (bitLength(key.n) + 7) >> 3;
}

/** RSAEP / RSAVP1 (RFC 8017 Sections 5.1.1 and 5.2.2). */
export function rsaPublic(key: RsaPublicComponents, m: bigint): bigint {
  return modPow(m, key.e, key.n);
}

/**
 * RSADP / RSASP1 (RFC 8017 Sections 5.1.2 and 5.2.1) for 0 <= c < n, through the CRT with
 * blinding; `random` gives fresh random bytes. The result is checked against the public key
 * before it is released, so that a fault in one half of the CRT cannot reveal a factor of n.
 */
export function rsaPrivate(key: RsaPrivateComponents, c: bigint, random: (length: number) => Uint8Array): bigint {
  const { n, e, p, q, dp, dq, qi } = key;
  // Base blinding: c' = c * r^e, so m' = m * r (RFC 8017 Section 5.1.2, note; Kocher 1996).
  let r = 0n;
  let rInverse = 0n;
  for (;;) {
    r = bytesToBigInt(random(modulusBytes(key) + 8)) % n;
    if (r < 2n) continue;
    try {
      rInverse = modInverse(r, n);
      break;
    } catch {
      // r shares a factor with n: astronomically unlikely; draw again.
    }
  }
  const blinded = (c * modPow(r, e, n)) % n;
  // Exponent blinding: d_p + k (p - 1) gives the same result mod p for any k.
  const k1 = bytesToBigInt(random(8));
  const k2 = bytesToBigInt(random(8));
  const m1 = modPow(blinded % p, dp + k1 * (p - 1n), p);
  const m2 = modPow(blinded % q, dq + k2 * (q - 1n), q);
  // Garner's recombination: h = qInv (m1 - m2) mod p, m = m2 + h q.
  const h = (((m1 - m2) % p) + p) % p;
  const mBlinded = m2 + ((qi * h) % p) * q;
  if (modPow(mBlinded, e, n) !== blinded) throw new Error('RSA private operation failed its consistency check');
  return (mBlinded * rInverse) % n;
}

/** A hash function over bytes, and its output length. */
export interface HashFunction {
  (data: Uint8Array): Uint8Array;
  readonly outputLen: number;
}

/** The DER DigestInfo prefixes of EMSA-PKCS1-v1_5 (RFC 8017 Section 9.2, note 1). */
export const digestInfoPrefix = {
  md5: '3020300c06082a864886f70d020505000410',
  sha1: '3021300906052b0e03021a05000414',
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
  /** TLS 1.0/1.1: MD5 || SHA-1 without a DigestInfo (RFC 2246 Section 7.4.3). */
  'MD5-SHA1': '',
} as const;

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** EMSA-PKCS1-v1_5-ENCODE (RFC 8017 Section 9.2) of an already computed digest. */
export function emsaPkcs1Encode(digestInfoHex: string, digest: Uint8Array, emLen: number): Uint8Array {
  const t = new Uint8Array(digestInfoHex.length / 2 + digest.length);
  t.set(hexToBytes(digestInfoHex), 0);
  t.set(digest, t.length - digest.length);
  if (emLen < t.length + 11) throw new RangeError('intended encoded message length too short');
  const em = new Uint8Array(emLen).fill(0xff);
  em[0] = 0x00;
  em[1] = 0x01;
  em[emLen - t.length - 1] = 0x00;
  em.set(t, emLen - t.length);
  return em;
}

/** MGF1 (RFC 8017 Appendix B.2.1). */
export function mgf1(hash: HashFunction, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const block = new Uint8Array(seed.length + 4);
  block.set(seed, 0);
  for (let counter = 0, at = 0; at < length; counter++) {
    block[seed.length] = counter >>> 24;
    block[seed.length + 1] = (counter >>> 16) & 0xff;
    block[seed.length + 2] = (counter >>> 8) & 0xff;
    block[seed.length + 3] = counter & 0xff;
    const h = hash(block);
    out.set(h.subarray(0, Math.min(h.length, length - at)), at);
    at += h.length;
  }
  return out;
}

/** EMSA-PSS-ENCODE (RFC 8017 Section 9.1.1), MGF1 with the same hash, the salt given. */
export function emsaPssEncode(hash: HashFunction, mHash: Uint8Array, salt: Uint8Array, emBits: number): Uint8Array {
  const hLen = hash.outputLen;
  const emLen = (emBits + 7) >> 3;
  if (emLen < hLen + salt.length + 2) throw new RangeError('encoding error: modulus too small for PSS');
  const mPrime = new Uint8Array(8 + hLen + salt.length);
  mPrime.set(mHash, 8);
  mPrime.set(salt, 8 + hLen);
  const h = hash(mPrime);
  const db = new Uint8Array(emLen - hLen - 1);
  db[emLen - salt.length - hLen - 2] = 0x01;
  db.set(salt, db.length - salt.length);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >>> (8 * emLen - emBits);
  const em = new Uint8Array(emLen);
  em.set(db, 0);
  em.set(h, db.length);
  em[emLen - 1] = 0xbc;
  return em;
}

/** EMSA-PSS-VERIFY (RFC 8017 Section 9.1.2) with the salt length fixed at `sLen`. */
export function emsaPssVerify(hash: HashFunction, mHash: Uint8Array, em: Uint8Array, emBits: number, sLen: number): boolean {
  const hLen = hash.outputLen;
  const emLen = (emBits + 7) >> 3;
  if (em.length !== emLen || emLen < hLen + sLen + 2) return false;
  if (em[emLen - 1] !== 0xbc) return false;
  const db = em.slice(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const topMask = 0xff >>> (8 * emLen - emBits);
  if ((db[0]! & ~topMask) !== 0) return false;
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= topMask;
  const zeros = emLen - hLen - sLen - 2;
  for (let i = 0; i < zeros; i++) if (db[i] !== 0) return false;
  if (db[zeros] !== 0x01) return false;
  const salt = db.subarray(db.length - sLen);
  const mPrime = new Uint8Array(8 + hLen + sLen);
  mPrime.set(mHash, 8);
  mPrime.set(salt, 8 + hLen);
  const expected = hash(mPrime);
  let diff = 0;
  for (let i = 0; i < hLen; i++) diff |= expected[i]! ^ h[i]!;
  return diff === 0;
}

/** RSAES-PKCS1-V1_5-ENCRYPT (RFC 8017 Section 7.2.1); PS is nonzero random bytes. */
export function rsaesPkcs1Encrypt(key: RsaPublicComponents, message: Uint8Array, random: (length: number) => Uint8Array): Uint8Array {
  const k = modulusBytes(key);
  if (message.length > k - 11) throw new RangeError('message too long');
  const em = new Uint8Array(k);
  em[1] = 0x02;
  const psLength = k - message.length - 3;
  for (let filled = 0; filled < psLength; ) {
    for (const b of random(psLength - filled)) if (b !== 0 && filled < psLength) em[2 + filled++] = b;
  }
  em.set(message, k - message.length);
  return bigIntToBytes(rsaPublic(key, bytesToBigInt(em)), k);
}
