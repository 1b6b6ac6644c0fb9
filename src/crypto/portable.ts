// The portable crypto provider: the whole CryptoProvider in JavaScript, for runtimes without
// node:crypto (browsers, Cloudflare Workers, Deno, Bun). No node:* import, no Buffer, no native
// code; synchronous like the interface.
//
//   hashes, HMAC            @noble/hashes (SHA-1, SHA-2, and MD5 for TLS 1.0/1.1 from legacy.js)
//   AES-GCM, ChaCha20-Poly1305, AES-CBC       @noble/ciphers (AES-GCM through ./gcm.ts, which keeps the
//                                             per-key tables noble rebuilds for every record)
//   X25519, X448, P-256/384/521 ECDH and ECDSA, Ed25519   @noble/curves
//   ML-KEM-768 (X25519MLKEM768)               @noble/post-quantum
//   FFDHE and DHE, RSA      BigInt arithmetic (./rsa.ts says why and what it promises)
//   key loading             PEM and DER (PKCS#8, PKCS#1, SEC1, SPKI) read with src/x509/der.ts
//   randomness              globalThis.crypto.getRandomValues
//
// The noble libraries are audited, have no dependencies beyond each other, and run unchanged
// in every JavaScript runtime; they take care to avoid secret-dependent branches in the curve
// and cipher code, but JavaScript itself gives no constant-time guarantee (see docs/portable.md).

import { hmac } from '@noble/hashes/hmac.js';
import { md5, sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { cbc as aesCbc } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { x448 } from '@noble/curves/ed448.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { TlsError } from '../errors.js';
import { AesGcm } from './gcm.js';
import { dhPublicInRange, ffdheGroup, ffdheGroups } from '../keys/ffdhe.js';
import { NamedGroup } from '../wire/enums.js';
import { der, DerReader, Tag } from '../x509/der.js';
import { pemDecode } from '../x509/pem.js';
import type {
  Aead, AeadAlgorithm, CbcAlgorithm, CbcCipher, CryptoProvider, HashAlgorithm, HashContext, KeyAlgorithm, KeyShare, PrivateKey, PublicKey,
} from './provider.js';
import { AesCcm } from './ccm.js';
import { schemeInfo, type SchemeInfo } from './provider.js';
import {
  bigIntToBytes, bitLength, bytesToBigInt, digestInfoPrefix, emsaPkcs1Encode, emsaPssEncode, emsaPssVerify, modPow, modulusBytes,
  rsaesPkcs1Encrypt, rsaPrivate, rsaPublic, type HashFunction, type RsaPrivateComponents, type RsaPublicComponents,
} from './rsa.js';

// --- hashes -----------------------------------------------------------------------------

/** A noble hash: one-shot call, outputLen, and create() for a running state. */
interface NobleHash extends HashFunction {
  create(): NobleHashState;
}
interface NobleHashState {
  update(data: Uint8Array): NobleHashState;
  digest(): Uint8Array;
  clone(): NobleHashState;
}

const hashes: Record<HashAlgorithm, NobleHash> = {
  md5: md5 as unknown as NobleHash,
  sha1: sha1 as unknown as NobleHash,
  sha256: sha256 as unknown as NobleHash,
  sha384: sha384 as unknown as NobleHash,
  sha512: sha512 as unknown as NobleHash,
};

class PortableHash implements HashContext {
  constructor(private readonly state: NobleHashState) {}
  update(data: Uint8Array): void {
    this.state.update(data);
  }
  digest(): Uint8Array {
    return this.state.clone().digest();
  }
  clone(): HashContext {
    return new PortableHash(this.state.clone());
  }
}

// --- record ciphers -----------------------------------------------------------------------

const TAG = 16;

class PortableAead implements Aead {
  /**
   * AES-GCM's key schedule and GHASH tables (./gcm.ts), made at the key's first record and kept for its
   * life: a key whose records WebCrypto protects (typetls/web) never pays for them. ChaCha20-Poly1305
   * has no per-key setup to keep.
   */
  private gcm: AesGcm | undefined;

  constructor(readonly algorithm: AeadAlgorithm, private readonly key: Uint8Array) {
    const expected = algorithm === 'AES-128-GCM' ? 16 : 32;
    if (key.length !== expected) throw new RangeError(`${algorithm} takes a ${expected}-byte key`);
  }
  private aesGcm(): AesGcm | undefined {
    if (this.algorithm === 'CHACHA20-POLY1305') return undefined;
    return (this.gcm ??= new AesGcm(this.key));
  }
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const gcm = this.aesGcm();
    return gcm ? gcm.seal(nonce, aad, plaintext) : chacha20poly1305(this.key, nonce, aad).encrypt(plaintext);
  }
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    if (ciphertext.length < TAG) return null;
    const gcm = this.aesGcm();
    if (gcm) return gcm.open(nonce, aad, ciphertext);
    try {
      return chacha20poly1305(this.key, nonce, aad).decrypt(ciphertext);
    } catch {
      return null;
    }
  }
}

class PortableCbc implements CbcCipher {
  constructor(readonly algorithm: CbcAlgorithm, private readonly key: Uint8Array) {
    const expected = algorithm === 'AES-128-CBC' ? 16 : 32;
    if (key.length !== expected) throw new RangeError(`${algorithm} takes a ${expected}-byte key`);
  }
  encrypt(iv: Uint8Array, data: Uint8Array): Uint8Array {
    return aesCbc(this.key, iv, { disablePadding: true }).encrypt(data);
  }
  decrypt(iv: Uint8Array, data: Uint8Array): Uint8Array {
    return aesCbc(this.key, iv, { disablePadding: true }).decrypt(data);
  }
}

// --- key exchange ---------------------------------------------------------------------------

function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}

type Random = (length: number) => Uint8Array;

/** X25519 and X448 (RFC 7748): a random scalar, the share is X(k, base point). */
class MontgomeryShare implements KeyShare {
  readonly publicKey: Uint8Array;
  private readonly curve: typeof x25519;
  private readonly size: number;
  private readonly name: string;
  constructor(readonly group: number, private readonly secretKey: Uint8Array) {
    this.curve = group === NamedGroup.x448 ? (x448 as unknown as typeof x25519) : x25519;
    this.size = group === NamedGroup.x448 ? 56 : 32;
    this.name = group === NamedGroup.x448 ? 'X448' : 'X25519';
    this.publicKey = this.curve.getPublicKey(secretKey);
  }
  agree(peer: Uint8Array): Uint8Array {
    // RFC 7748 Section 6, RFC 8422 Section 5.11, RFC 8446 Section 7.4.2: the right length,
    // and an all-zero result (a low-order point) is refused.
    if (peer.length !== this.size) throw new TlsError('illegal_parameter', `${this.name} public key is not ${this.size} bytes`);
    let secret: Uint8Array;
    try {
      secret = this.curve.getSharedSecret(this.secretKey, peer);
    } catch {
      throw new TlsError('illegal_parameter', `${this.name} public key is a low-order point`);
    }
    if (isAllZero(secret)) throw new TlsError('illegal_parameter', `${this.name} shared secret is all zeros`);
    return secret;
  }
}

/** The NIST curves by named group: noble's curve, field size in bytes, SPKI curve OID. */
const nistCurves = new Map<number, { curve: typeof p256; size: number; oid: string }>([
  [NamedGroup.secp256r1, { curve: p256, size: 32, oid: '1.2.840.10045.3.1.7' }],
  [NamedGroup.secp384r1, { curve: p384, size: 48, oid: '1.3.132.0.34' }],
  [NamedGroup.secp521r1, { curve: p521, size: 66, oid: '1.3.132.0.35' }],
]);

class EcdhShare implements KeyShare {
  readonly publicKey: Uint8Array;
  private readonly curve: typeof p256;
  private readonly size: number;
  constructor(readonly group: number, private readonly secretKey: Uint8Array) {
    const c = nistCurves.get(group)!;
    this.curve = c.curve;
    this.size = c.size;
    this.publicKey = this.curve.getPublicKey(secretKey, false);
  }
  agree(peer: Uint8Array): Uint8Array {
    // RFC 8422 Section 5.4.1 / RFC 8446 Section 4.2.8.2: uncompressed points only.
    if (peer.length !== 1 + 2 * this.size || peer[0] !== 4) {
      throw new TlsError('illegal_parameter', 'ECDH public key is not an uncompressed point of the right size');
    }
    let point: Uint8Array;
    try {
      // Decoding checks the point is on the curve (SP 800-56A Section 5.6.2.3.4).
      point = this.curve.getSharedSecret(this.secretKey, peer, true);
    } catch {
      throw new TlsError('illegal_parameter', 'ECDH public key is not a point on the curve');
    }
    // The shared secret is the x-coordinate (RFC 8422 Section 5.10).
    return point.slice(1);
  }
}

function nistSecretKey(curve: typeof p256, random: Random): Uint8Array {
  return curve.utils.randomSecretKey(random(curve.lengths.seed!));
}

/**
 * Private exponent lengths for the RFC 7919 groups (Section 5.2: twice the security level is
 * enough for these safe primes), as OpenSSL uses for named groups.
 */
const ffdheExponentBits: Record<number, number> = { 2048: 225, 3072: 275, 4096: 325, 6144: 375, 8192: 400 };

/** Finite-field Diffie-Hellman over p with generator g, a random private exponent. */
class DhShare implements KeyShare {
  readonly publicKey: Uint8Array;
  private readonly p: bigint;
  private readonly x: bigint;
  constructor(
    readonly group: number,
    private readonly pBytes: Uint8Array,
    g: Uint8Array,
    random: Random,
    /** TLS 1.3 pads public values to the length of p (RFC 8446 Section 4.2.8.1); TLS 1.2 DHE does not. */
    private readonly padPublic: boolean,
  ) {
    this.p = bytesToBigInt(pBytes);
    if (this.p < 5n || (this.p & 1n) === 0n) throw new TlsError('illegal_parameter', 'DH prime is malformed');
    const pBits = bitLength(this.p);
    const xBits = group !== 0 ? (ffdheExponentBits[pBits] ?? pBits - 1) : pBits - 1;
    let x = 0n;
    while (x < 2n) x = bytesToBigInt(random((xBits + 7) >> 3)) & ((1n << BigInt(xBits)) - 1n);
    this.x = x;
    const y = modPow(bytesToBigInt(g), x, this.p);
    this.publicKey = padPublic ? bigIntToBytes(y, pBytes.length) : bigIntToBytes(y, Math.max(1, (bitLength(y) + 7) >> 3));
  }
  agree(peer: Uint8Array): Uint8Array {
    if ((this.padPublic && peer.length !== this.pBytes.length) || !dhPublicInRange(peer, this.pBytes)) {
      throw new TlsError('illegal_parameter', 'DH public value has the wrong length or is out of range');
    }
    // Z with its leading zeros, the length of p (the caller strips them for TLS 1.2).
    return bigIntToBytes(modPow(bytesToBigInt(peer), this.x, this.p), this.pBytes.length);
  }
}

/**
 * X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem, code point 0x11EC): the client's share is an
 * ML-KEM-768 encapsulation key (1184 bytes) followed by an X25519 public key (32); the
 * server's is the ML-KEM ciphertext (1088) followed by its X25519 public key; the shared
 * secret is the ML-KEM secret followed by the X25519 secret.
 */
const MLKEM768_EK = 1184;
const MLKEM768_CT = 1088;

class X25519MlKem768Share implements KeyShare {
  readonly group = NamedGroup.X25519MLKEM768;
  readonly publicKey: Uint8Array;
  private readonly kem: { publicKey: Uint8Array; secretKey: Uint8Array };
  private readonly x25519: KeyShare;
  constructor(random: Random) {
    this.kem = ml_kem768.keygen(random(64));
    this.x25519 = new MontgomeryShare(NamedGroup.x25519, random(32));
    this.publicKey = new Uint8Array(MLKEM768_EK + 32);
    this.publicKey.set(this.kem.publicKey, 0);
    this.publicKey.set(this.x25519.publicKey, MLKEM768_EK);
  }
  agree(peer: Uint8Array): Uint8Array {
    if (peer.length !== MLKEM768_CT + 32) throw new TlsError('illegal_parameter', 'X25519MLKEM768 server share has the wrong length');
    const kemSecret = ml_kem768.decapsulate(peer.subarray(0, MLKEM768_CT), this.kem.secretKey);
    const ecdhSecret = this.x25519.agree(peer.subarray(MLKEM768_CT));
    const out = new Uint8Array(64);
    out.set(kemSecret, 0);
    out.set(ecdhSecret, 32);
    return out;
  }
}

/**
 * An X25519 or X448 share from a known private key: for known-answer tests (RFC 7748, RFC 8448)
 * and for applications that bring their own randomness. Everything else draws keys from random().
 */
export function montgomeryKeyShare(group: number, secretKey: Uint8Array): KeyShare {
  const size = group === NamedGroup.x448 ? 56 : group === NamedGroup.x25519 ? 32 : 0;
  if (size === 0 || secretKey.length !== size) throw new RangeError('an X25519 key is 32 bytes and an X448 key 56');
  return new MontgomeryShare(group, secretKey.slice());
}

function acceptX25519MlKem768(clientShare: Uint8Array, random: Random): { publicKey: Uint8Array; sharedSecret: Uint8Array } {
  if (clientShare.length !== MLKEM768_EK + 32) throw new TlsError('illegal_parameter', 'X25519MLKEM768 client share has the wrong length');
  let encapsulated: { cipherText: Uint8Array; sharedSecret: Uint8Array };
  try {
    // FIPS 203 Section 7.2: the encapsulation key check is part of encapsulate.
    encapsulated = ml_kem768.encapsulate(clientShare.subarray(0, MLKEM768_EK), random(32));
  } catch {
    throw new TlsError('illegal_parameter', 'X25519MLKEM768 client share is not a valid ML-KEM-768 key');
  }
  const share = new MontgomeryShare(NamedGroup.x25519, random(32));
  const ecdhSecret = share.agree(clientShare.subarray(MLKEM768_EK));
  const publicKey = new Uint8Array(MLKEM768_CT + 32);
  publicKey.set(encapsulated.cipherText, 0);
  publicKey.set(share.publicKey, MLKEM768_CT);
  const sharedSecret = new Uint8Array(64);
  sharedSecret.set(encapsulated.sharedSecret, 0);
  sharedSecret.set(ecdhSecret, 32);
  return { publicKey, sharedSecret };
}

// --- keys -----------------------------------------------------------------------------------

const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  ed25519: '1.3.101.112',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

const curveByOid = new Map([...nistCurves].map(([group, c]) => [c.oid, group]));
const pssHashByOid = new Map<string, HashAlgorithm>([[OID.sha1, 'sha1'], [OID.sha256, 'sha256'], [OID.sha384, 'sha384'], [OID.sha512, 'sha512']]);

/** What the provider keeps in a key's handle. */
type KeyMaterial =
  | { kind: 'rsa'; rsa: RsaPublicComponents; priv?: RsaPrivateComponents; pssHash?: HashAlgorithm }
  | { kind: 'ec'; group: number; point: Uint8Array; scalar?: Uint8Array }
  | { kind: 'ed25519'; point: Uint8Array; seed?: Uint8Array };

/** The largest RSA modulus taken, and the exponent limit above 3072 bits (OpenSSL's). */
const RSA_MAX_BITS = 16384;
const RSA_SMALL_MODULUS_BITS = 3072;
const RSA_MAX_PUBEXP_BITS = 64;

function positive(b: Uint8Array, field: string): bigint {
  if (b.length > 0 && b[0]! & 0x80) throw new TlsError('bad_certificate', `${field} is negative`);
  return bytesToBigInt(b);
}

function checkRsaPublic(n: bigint, e: bigint): void {
  const bits = bitLength(n);
  if (bits > RSA_MAX_BITS) throw new TlsError('bad_certificate', `RSA modulus of ${bits} bits is above ${RSA_MAX_BITS}`);
  if (e < 3n || (e & 1n) === 0n || e >= n) throw new TlsError('bad_certificate', 'RSA public exponent is malformed');
  if (bits > RSA_SMALL_MODULUS_BITS && bitLength(e) > RSA_MAX_PUBEXP_BITS) {
    throw new TlsError('bad_certificate', 'RSA public exponent is too large for the modulus');
  }
}

/** RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 Appendix A.1.1). */
function readRsaPublicKey(bytes: Uint8Array): RsaPublicComponents {
  return DerReader.readAll(bytes, 'RSAPublicKey', (r) => {
    const s = r.sequence('RSAPublicKey');
    const n = positive(s.integer('modulus'), 'RSA modulus');
    const e = positive(s.integer('publicExponent'), 'RSA public exponent');
    s.end();
    checkRsaPublic(n, e);
    return { n, e };
  });
}

/** RSAPrivateKey (RFC 8017 Appendix A.1.2), two primes. */
function readRsaPrivateKey(bytes: Uint8Array): RsaPrivateComponents {
  return DerReader.readAll(bytes, 'RSAPrivateKey', (r) => {
    const s = r.sequence('RSAPrivateKey');
    if (s.smallInteger('version') !== 0) throw new TlsError('bad_certificate', 'multi-prime RSA keys are not supported');
    const [n, e, d, p, q, dp, dq, qi] = ['modulus', 'publicExponent', 'privateExponent', 'prime1', 'prime2', 'exponent1', 'exponent2', 'coefficient']
      .map((field) => positive(s.integer(field), `RSA ${field}`)) as [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
    s.end();
    checkRsaPublic(n, e);
    // The CRT values must describe this modulus, else every private operation would fail its check.
    if (p * q !== n || p < 3n || q < 3n || (qi * q) % p !== 1n) throw new TlsError('bad_certificate', 'RSA private key is inconsistent');
    return { n, e, d, p, q, dp, dq, qi };
  });
}

/** RSASSA-PSS-params (RFC 4055 Section 3.1): only the hash restriction is kept. */
function readPssHash(params: Uint8Array | undefined): HashAlgorithm | undefined {
  if (params === undefined || params.length === 0) return undefined;
  return DerReader.readAll(params, 'RSASSA-PSS-params', (r) => {
    const s = r.sequence('params');
    const hash = s.explicit(0, 'hashAlgorithm');
    if (hash === undefined) return 'sha1'; // the DEFAULT is sha1 (RFC 4055 Section 3.1)
    const oid = hash.sequence('AlgorithmIdentifier').oid('algorithm');
    const name = pssHashByOid.get(oid);
    if (name === undefined) throw new TlsError('bad_certificate', `RSA-PSS key restricted to an unsupported hash ${oid}`);
    return name;
  });
}

/** AlgorithmIdentifier: its OID, the raw parameters (one element or absent) and the whole encoding. */
function readAlgorithm(r: DerReader): { oid: string; params: Uint8Array | undefined; paramsTag: number | undefined; raw: Uint8Array } {
  const el = r.expectElement(Tag.SEQUENCE, 'algorithm');
  const s = new DerReader(el.contents, 'AlgorithmIdentifier');
  const oid = s.oid('algorithm');
  const params = s.empty() ? undefined : s.element('parameters');
  s.end();
  return { oid, params: params?.raw, paramsTag: params?.tag, raw: el.raw };
}

function curveOf(params: Uint8Array | undefined): number {
  if (params === undefined) throw new TlsError('bad_certificate', 'EC key without named curve parameters');
  const oid = DerReader.readAll(params, 'ECParameters', (r) => r.oid('namedCurve'));
  const group = curveByOid.get(oid);
  if (group === undefined) throw new TlsError('bad_certificate', `unsupported EC curve ${oid}`);
  return group;
}

function ecPointValid(group: number, point: Uint8Array): boolean {
  try {
    nistCurves.get(group)!.curve.Point.fromBytes(point);
    return true;
  } catch {
    return false;
  }
}

function describe(m: KeyMaterial, rsaPss = false): { algorithm: KeyAlgorithm; namedCurve?: number; bits: number } {
  switch (m.kind) {
    case 'rsa':
      return { algorithm: rsaPss ? 'rsa-pss' : 'rsa', bits: bitLength(m.rsa.n) };
    case 'ec':
      return { algorithm: 'ec', namedCurve: m.group, bits: nistCurves.get(m.group)!.size * 8 };
    case 'ed25519':
      return { algorithm: 'ed25519', bits: 256 };
  }
}

/** SubjectPublicKeyInfo (RFC 5280 Section 4.1.2.7) → key material. */
function readSpki(spki: Uint8Array): { material: KeyMaterial; rsaPss: boolean } {
  return DerReader.readAll(spki, 'SubjectPublicKeyInfo', (r) => {
    const s = r.sequence('SubjectPublicKeyInfo');
    const alg = readAlgorithm(s);
    const { bytes, unusedBits } = s.bitString('subjectPublicKey');
    s.end();
    if (unusedBits !== 0) throw new TlsError('bad_certificate', 'public key BIT STRING has unused bits');
    switch (alg.oid) {
      case OID.rsaEncryption:
        return { material: { kind: 'rsa', rsa: readRsaPublicKey(bytes) }, rsaPss: false };
      case OID.rsassaPss: {
        const pssHash = readPssHash(alg.params);
        return { material: { kind: 'rsa', rsa: readRsaPublicKey(bytes), ...(pssHash ? { pssHash } : {}) }, rsaPss: true };
      }
      case OID.ecPublicKey: {
        const group = curveOf(alg.params);
        if (!ecPointValid(group, bytes)) throw new TlsError('bad_certificate', 'EC public key is not a point on its curve');
        return { material: { kind: 'ec', group, point: bytes.slice() }, rsaPss: false };
      }
      case OID.ed25519:
        if (alg.params !== undefined || bytes.length !== 32) throw new TlsError('bad_certificate', 'Ed25519 public key is malformed');
        return { material: { kind: 'ed25519', point: bytes.slice() }, rsaPss: false };
      default:
        throw new TlsError('bad_certificate', `unsupported key type ${alg.oid}`);
    }
  });
}

/** ECPrivateKey (RFC 5915 Section 3); the curve comes from here or from PKCS#8. */
function readEcPrivateKey(bytes: Uint8Array, outerGroup: number | undefined): KeyMaterial {
  return DerReader.readAll(bytes, 'ECPrivateKey', (r) => {
    const s = r.sequence('ECPrivateKey');
    if (s.smallInteger('version') !== 1) throw new TlsError('bad_certificate', 'ECPrivateKey version is not 1');
    const scalar = s.octetString('privateKey');
    const params = s.explicit(0, 'parameters');
    const innerGroup = params ? curveOf(params.element('namedCurve').raw) : undefined;
    s.explicit(1, 'publicKey');
    s.end();
    const group = outerGroup ?? innerGroup;
    if (group === undefined) throw new TlsError('bad_certificate', 'EC private key names no curve');
    if (innerGroup !== undefined && innerGroup !== group) throw new TlsError('bad_certificate', 'EC private key names two curves');
    const c = nistCurves.get(group)!;
    // RFC 5915 Section 3 fixes the length; some encoders drop leading zero bytes, which are put back.
    if (scalar.length > c.size) throw new TlsError('bad_certificate', 'EC private key is longer than its curve');
    const padded = new Uint8Array(c.size);
    padded.set(scalar, c.size - scalar.length);
    if (!c.curve.utils.isValidSecretKey(padded)) throw new TlsError('bad_certificate', 'EC private key is out of range');
    // The public point is computed from the scalar, never taken from the file.
    return { kind: 'ec', group, scalar: padded, point: c.curve.getPublicKey(padded, false) };
  });
}

/** PrivateKeyInfo / OneAsymmetricKey (RFC 5208, RFC 5958). */
function readPkcs8(bytes: Uint8Array): { material: KeyMaterial; rsaPss: boolean; algorithm: Uint8Array } {
  return DerReader.readAll(bytes, 'PrivateKeyInfo', (r) => {
    const s = r.sequence('PrivateKeyInfo');
    const version = s.smallInteger('version');
    if (version !== 0 && version !== 1) throw new TlsError('bad_certificate', `PrivateKeyInfo version ${version}`);
    const alg = readAlgorithm(s);
    const privateKey = s.octetString('privateKey');
    s.optional(0xa0, 'attributes');
    s.optional(0x81, 'publicKey');
    s.end();
    switch (alg.oid) {
      case OID.rsaEncryption:
        return { material: rsaMaterial(readRsaPrivateKey(privateKey)), rsaPss: false, algorithm: alg.raw };
      case OID.rsassaPss: {
        const pssHash = readPssHash(alg.params);
        return { material: { ...rsaMaterial(readRsaPrivateKey(privateKey)), ...(pssHash ? { pssHash } : {}) }, rsaPss: true, algorithm: alg.raw };
      }
      case OID.ecPublicKey:
        return { material: readEcPrivateKey(privateKey, curveOf(alg.params)), rsaPss: false, algorithm: alg.raw };
      case OID.ed25519: {
        // CurvePrivateKey ::= OCTET STRING (RFC 8410 Section 7).
        const seed = DerReader.readAll(privateKey, 'CurvePrivateKey', (k) => k.octetString('CurvePrivateKey'));
        if (seed.length !== 32) throw new TlsError('bad_certificate', 'Ed25519 private key is not 32 bytes');
        return { material: { kind: 'ed25519', seed: seed.slice(), point: ed25519.getPublicKey(seed) }, rsaPss: false, algorithm: alg.raw };
      }
      default:
        throw new TlsError('bad_certificate', `unsupported private key type ${alg.oid}`);
    }
  });
}

function rsaMaterial(priv: RsaPrivateComponents): KeyMaterial {
  return { kind: 'rsa', rsa: { n: priv.n, e: priv.e }, priv };
}

const uint = (n: bigint): Uint8Array => der.unsignedInteger(bigIntToBytes(n, Math.max(1, (bitLength(n) + 7) >> 3)));

/** The DER SubjectPublicKeyInfo of a loaded private key, as OpenSSL writes it. */
function spkiOf(m: KeyMaterial, algorithm: Uint8Array | undefined): Uint8Array {
  switch (m.kind) {
    case 'rsa':
      return der.sequence(algorithm ?? der.sequence(der.oid(OID.rsaEncryption), der.null()), der.bitString(der.sequence(uint(m.rsa.n), uint(m.rsa.e))));
    case 'ec':
      return der.sequence(der.sequence(der.oid(OID.ecPublicKey), der.oid(nistCurves.get(m.group)!.oid)), der.bitString(m.point));
    case 'ed25519':
      return der.sequence(der.sequence(der.oid(OID.ed25519)), der.bitString(m.point));
  }
}

function keyError(message: string, cause?: unknown): TlsError {
  return new TlsError('api_misuse', `private key could not be loaded: ${message}`, { code: 'ERR_TLS_UNSUPPORTED_KEY', cause });
}

// --- signatures -----------------------------------------------------------------------------


/** Whether a key of this algorithm can make signatures of this kind (as the node provider decides). */
function fits(algorithm: KeyAlgorithm, material: KeyMaterial, info: SchemeInfo): boolean {
  switch (info.kind) {
    case 'pkcs1':
      return algorithm === 'rsa';
    case 'pss':
      // A key restricted by its RSASSA-PSS parameters signs with that hash only (RFC 4055 Section 3.1).
      return (algorithm === 'rsa' || algorithm === 'rsa-pss') && (material.kind !== 'rsa' || material.pssHash === undefined || material.pssHash === info.hash);
    case 'ecdsa':
      return algorithm === 'ec';
    case 'eddsa':
      return algorithm === 'ed25519';
  }
}

function digest(hash: HashAlgorithm | 'MD5-SHA1', data: Uint8Array): Uint8Array {
  if (hash !== 'MD5-SHA1') return hashes[hash](data);
  const out = new Uint8Array(36);
  out.set(md5(data), 0);
  out.set(sha1(data), 16);
  return out;
}

// --- the provider ---------------------------------------------------------------------------

/** crypto.getRandomValues fills at most 65536 bytes per call (WebCrypto Section 10.1.1). */
const RANDOM_CHUNK = 65536;

export class PortableCryptoProvider implements CryptoProvider {
  readonly name: string = 'portable';

  random(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let at = 0; at < length; at += RANDOM_CHUNK) globalThis.crypto.getRandomValues(out.subarray(at, Math.min(length, at + RANDOM_CHUNK)));
    return out;
  }

  hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array {
    return hashes[algorithm](data);
  }

  createHash(algorithm: HashAlgorithm): HashContext {
    return new PortableHash(hashes[algorithm].create());
  }

  hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
    return hmac(hashes[algorithm] as unknown as typeof sha256, key, data);
  }

  aead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
    if (algorithm === 'AES-128-CCM' || algorithm === 'AES-128-CCM-8') return new AesCcm(algorithm, key.slice());
    return new PortableAead(algorithm, key.slice());
  }

  cbc(algorithm: CbcAlgorithm, key: Uint8Array): CbcCipher {
    return new PortableCbc(algorithm, key.slice());
  }

  supportedGroups(): readonly number[] {
    return [
      NamedGroup.X25519MLKEM768, NamedGroup.x25519, NamedGroup.x448, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1,
      ...ffdheGroups.map((g) => g.group),
    ];
  }

  generateKeyShare(group: number): KeyShare {
    const random = (n: number) => this.random(n);
    if (group === NamedGroup.x25519) return new MontgomeryShare(group, random(32));
    if (group === NamedGroup.x448) return new MontgomeryShare(group, random(56));
    if (group === NamedGroup.X25519MLKEM768) return new X25519MlKem768Share(random);
    const nist = nistCurves.get(group);
    if (nist) return new EcdhShare(group, nistSecretKey(nist.curve, random));
    const ffdhe = ffdheGroup(group);
    if (ffdhe) return new DhShare(ffdhe.group, ffdhe.p, ffdhe.g, random, true);
    throw new TlsError('internal_error', `no key exchange for group 0x${group.toString(16)}`);
  }

  generateDhKeyShare(p: Uint8Array, g: Uint8Array): KeyShare {
    // A server that sends an RFC 7919 group gets that group's short exponent; any other prime a full-length one.
    const known = ffdheGroups.find((f) => f.p.length === p.length && f.p.every((x, i) => x === p[i]) && g.length === 1 && g[0] === f.g[0]);
    return new DhShare(known?.group ?? 0, p, g, (n) => this.random(n), false);
  }

  acceptKeyShare(group: number, clientShare: Uint8Array): { publicKey: Uint8Array; sharedSecret: Uint8Array } {
    if (group === NamedGroup.X25519MLKEM768) return acceptX25519MlKem768(clientShare, (n) => this.random(n));
    const share = this.generateKeyShare(group);
    return { publicKey: share.publicKey, sharedSecret: share.agree(clientShare) };
  }

  loadPrivateKey(key: string | Uint8Array): PrivateKey {
    let loaded: { material: KeyMaterial; rsaPss: boolean; algorithm?: Uint8Array };
    try {
      if (typeof key === 'string') {
        const block = pemDecode(key).find((b) => /^(RSA |EC |ENCRYPTED )?PRIVATE KEY$/.test(b.label));
        if (block === undefined) throw keyError('no PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY PEM block');
        if (block.label === 'ENCRYPTED PRIVATE KEY') throw keyError('the key is encrypted');
        if (block.label === 'RSA PRIVATE KEY') loaded = { material: rsaMaterial(readRsaPrivateKey(block.der)), rsaPss: false };
        else if (block.label === 'EC PRIVATE KEY') loaded = { material: readEcPrivateKey(block.der, undefined), rsaPss: false };
        else loaded = readPkcs8(block.der);
      } else {
        loaded = readPkcs8(key);
      }
    } catch (e) {
      if (e instanceof TlsError && e.kind === 'api_misuse') throw e;
      throw keyError(e instanceof Error ? e.message.replace(/^malformed certificate: /, 'malformed key: ') : String(e), e);
    }
    const spki = spkiOf(loaded.material, loaded.material.kind === 'rsa' ? loaded.algorithm : undefined);
    return { ...describe(loaded.material, loaded.rsaPss), spki, handle: loaded.material };
  }

  loadPublicKey(spki: Uint8Array): PublicKey {
    let loaded: { material: KeyMaterial; rsaPss: boolean };
    try {
      loaded = readSpki(spki);
    } catch (e) {
      if (e instanceof TlsError && e.kind === 'bad_certificate' && !e.message.startsWith('malformed certificate')) throw e;
      throw new TlsError('bad_certificate', 'certificate public key could not be loaded', { cause: e });
    }
    return { ...describe(loaded.material, loaded.rsaPss), handle: loaded.material };
  }

  sign(key: PrivateKey, scheme: number, data: Uint8Array): Uint8Array {
    const m = key.handle as KeyMaterial;
    const info = schemeInfo.get(scheme);
    if (!info || !fits(key.algorithm, m, info)) {
      throw new TlsError('internal_error', `cannot sign with scheme 0x${scheme.toString(16)} and a ${key.algorithm} key`);
    }
    switch (m.kind) {
      case 'rsa': {
        const k = modulusBytes(m.rsa);
        const h = digest(info.hash!, data);
        const em = info.kind === 'pkcs1'
          ? emsaPkcs1Encode(digestInfoPrefix[info.hash!], h, k)
          // RFC 8446 Section 4.2.3: the salt is as long as the digest.
          : emsaPssEncode(hashes[info.hash as HashAlgorithm], h, this.random(h.length), bitLength(m.rsa.n) - 1);
        return bigIntToBytes(rsaPrivate(m.priv!, bytesToBigInt(em), (n) => this.random(n)), k);
      }
      case 'ec': {
        const { curve } = nistCurves.get(m.group)!;
        // Hedged ECDSA: RFC 6979 nonces with fresh randomness mixed in (RFC 6979 Section 3.6).
        return curve.sign(digest(info.hash!, data), m.scalar!, { prehash: false, lowS: false, format: 'der', extraEntropy: this.random(32) });
      }
      case 'ed25519':
        return ed25519.sign(data, m.seed!);
    }
  }

  verify(key: PublicKey, scheme: number, data: Uint8Array, signature: Uint8Array): boolean {
    const m = key.handle as KeyMaterial;
    const info = schemeInfo.get(scheme);
    if (!info || !fits(key.algorithm, m, info)) return false;
    try {
      switch (m.kind) {
        case 'rsa': {
          const k = modulusBytes(m.rsa);
          if (signature.length !== k) return false;
          const s = bytesToBigInt(signature);
          if (s >= m.rsa.n) return false;
          const em = bigIntToBytes(rsaPublic(m.rsa, s), k);
          const h = digest(info.hash!, data);
          if (info.kind === 'pss') {
            const emBits = bitLength(m.rsa.n) - 1;
            // RFC 8017 Section 8.1.2: EM is emLen bytes; with emBits a multiple of 8 the top byte is zero.
            if (((emBits + 7) >> 3) < k && em[0] !== 0) return false;
            return emsaPssVerify(hashes[info.hash as HashAlgorithm], h, em.subarray(k - ((emBits + 7) >> 3)), emBits, h.length);
          }
          const expected = emsaPkcs1Encode(digestInfoPrefix[info.hash!], h, k);
          let diff = 0;
          for (let i = 0; i < k; i++) diff |= expected[i]! ^ em[i]!;
          return diff === 0;
        }
        case 'ec': {
          const { curve } = nistCurves.get(m.group)!;
          return curve.verify(signature, digest(info.hash!, data), m.point, { prehash: false, lowS: false, format: 'der' });
        }
        case 'ed25519':
          // RFC 8032 Section 5.1.7 as written (canonical encodings), not ZIP 215's relaxed rules.
          return ed25519.verify(signature, data, m.point, { zip215: false });
      }
    } catch {
      return false;
    }
  }

  rsaEncryptPkcs1(key: PublicKey, data: Uint8Array): Uint8Array {
    const m = key.handle as KeyMaterial;
    if (m.kind !== 'rsa') throw new TlsError('bad_certificate', 'server key is not an RSA key');
    if ((m.rsa.n & 1n) === 0n || modulusBytes(m.rsa) < data.length + 11) {
      throw new TlsError('bad_certificate', 'server RSA key cannot encrypt: its modulus is malformed');
    }
    return rsaesPkcs1Encrypt(m.rsa, data, (n) => this.random(n));
  }

  rsaDecryptRaw(key: PrivateKey, ciphertext: Uint8Array): Uint8Array | null {
    const m = key.handle as KeyMaterial;
    if (m.kind !== 'rsa' || !m.priv) return null;
    const k = modulusBytes(m.rsa);
    if (ciphertext.length !== k) return null;
    const c = bytesToBigInt(ciphertext);
    if (c >= m.rsa.n) return null;
    return bigIntToBytes(rsaPrivate(m.priv, c, (n) => this.random(n)), k);
  }
}

export const portableCryptoProvider: CryptoProvider = new PortableCryptoProvider();
