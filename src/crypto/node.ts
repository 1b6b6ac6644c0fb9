import * as crypto from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { TlsError } from '../errors.js';
import { NamedGroup } from '../wire/enums.js';
import { dhPublicInRange, ffdheGroup, ffdheGroups } from '../keys/ffdhe.js';
import type {
  Aead, AeadAlgorithm, AeadRecords, CbcAlgorithm, CbcCipher, CryptoProvider, HashAlgorithm, HashContext, KeyAlgorithm,
  KeyShare, PrivateKey, PublicKey,
} from './provider.js';
import { aeadTagLength, schemeInfo, type SchemeInfo } from './provider.js';

// The node:crypto provider: OpenSSL underneath. The only crypto file that imports node:*.

const aeadCipherName: Record<AeadAlgorithm, string> = {
  'AES-128-GCM': 'aes-128-gcm',
  'AES-256-GCM': 'aes-256-gcm',
  'CHACHA20-POLY1305': 'chacha20-poly1305',
  'AES-128-CCM': 'aes-128-ccm',
  'AES-128-CCM-8': 'aes-128-ccm',
};
const cbcCipherName: Record<CbcAlgorithm, string> = { 'AES-128-CBC': 'aes-128-cbc', 'AES-256-CBC': 'aes-256-cbc' };

/** One options object per tag length (GCM and ChaCha20-Poly1305 need nothing else; CCM also takes plaintextLength per call). */
const AUTH_TAG_OPTIONS: Record<number, { authTagLength: number }> = { 16: { authTagLength: 16 }, 8: { authTagLength: 8 } };

function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

class NodeHash implements HashContext {
  constructor(private readonly h: crypto.Hash) {}
  update(data: Uint8Array): void {
    this.h.update(data);
  }
  digest(): Uint8Array {
    return u8(this.h.copy().digest());
  }
  clone(): HashContext {
    return new NodeHash(this.h.copy());
  }
}

/** A running hash in the addon: one EVP_MD_CTX, digested through a copy in C. */
class NativeHash implements HashContext {
  constructor(
    private readonly addon: NativeModule,
    private readonly algorithm: HashAlgorithm,
    private readonly context: object,
  ) {}
  update(data: Uint8Array): void {
    this.addon.hashUpdate(this.context, data);
  }
  digest(): Uint8Array {
    const out = new Uint8Array(digestLength[this.algorithm]);
    this.addon.hashDigest(this.context, out);
    return out;
  }
  clone(): HashContext {
    return new NativeHash(this.addon, this.algorithm, this.addon.hashClone(this.context));
  }
}

class NodeAead implements Aead {
  private readonly cipherName: string;
  private readonly tagLength: number;
  /** CCM (RFC 3610) needs the plaintext length before the AAD, and one update() call. */
  private readonly ccm: boolean;
  constructor(readonly algorithm: AeadAlgorithm, private readonly key: crypto.KeyObject) {
    this.cipherName = aeadCipherName[algorithm];
    this.tagLength = aeadTagLength[algorithm];
    this.ccm = algorithm === 'AES-128-CCM' || algorithm === 'AES-128-CCM-8';
  }
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const out = new Uint8Array(plaintext.length + this.tagLength);
    this.sealInto(nonce, aad, plaintext, undefined, out, 0);
    return out;
  }
  /**
   * The record layer's fast path (see record/protection.ts): seals plaintext || suffix and
   * writes ciphertext || tag at out[offset..], so that a record is built in place, with one
   * copy of the cipher's output and no joined plaintext.
   */
  sealInto(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, suffix: Uint8Array | undefined, out: Uint8Array, offset: number): void {
    if (this.ccm && suffix !== undefined) {
      const joined = new Uint8Array(plaintext.length + suffix.length);
      joined.set(plaintext);
      joined.set(suffix, plaintext.length);
      plaintext = joined;
      suffix = undefined;
    }
    const c = crypto.createCipheriv(this.cipherName as crypto.CipherGCMTypes, this.key, nonce, AUTH_TAG_OPTIONS[this.tagLength]!);
    if (this.ccm) (c as unknown as crypto.CipherCCM).setAAD(aad, { plaintextLength: plaintext.length });
    else c.setAAD(aad);
    let at = offset;
    const body = c.update(plaintext);
    out.set(body, at);
    at += body.length;
    if (suffix !== undefined) {
      const tail = c.update(suffix);
      out.set(tail, at);
      at += tail.length;
    }
    const fin = c.final();
    if (fin.length > 0) {
      out.set(fin, at);
      at += fin.length;
    }
    out.set(c.getAuthTag(), at);
  }
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    if (ciphertext.length < this.tagLength) return null;
    const bodyLength = ciphertext.length - this.tagLength;
    const d = crypto.createDecipheriv(this.cipherName as crypto.CipherGCMTypes, this.key, nonce, AUTH_TAG_OPTIONS[this.tagLength]!);
    d.setAuthTag(ciphertext.subarray(bodyLength));
    if (this.ccm) (d as unknown as crypto.DecipherCCM).setAAD(aad, { plaintextLength: bodyLength });
    else d.setAAD(aad);
    try {
      // CCM checks the tag in update(); GCM and ChaCha20-Poly1305 in final().
      const body = d.update(ciphertext.subarray(0, bodyLength));
      const fin = d.final();
      if (fin.length === 0) return u8(body);
      return u8(Buffer.concat([body, fin]));
    } catch {
      return null;
    }
  }
}

/**
 * The native addon (src/crypto/native/crypto.c, built by `npm install` with node-gyp against the
 * OpenSSL inside Node) for the calls where node:crypto's per-call objects cost more than the work:
 * record AEAD with one cipher context per key and direction, re-IVed per record and sealing into
 * the caller's buffer (node:crypto builds a new cipher and several Buffers per record), HMAC and
 * X25519 on raw bytes (no Hmac or KeyObject per call).
 */
interface NativeModule {
  create(algorithm: number, key: Uint8Array): object;
  seal(context: object, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, suffix: Uint8Array | undefined, out: Uint8Array, offset: number): void;
  open(context: object, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, out: Uint8Array): boolean;
  /** Absent from an addon built before it: the record layer then seals and opens record by record. */
  sealRecords?(
    context: object, iv: Uint8Array, seq: number, mode: number, contentType: number, version: number,
    plaintext: Uint8Array, maxFragment: number, out: Uint8Array, offset: number,
  ): number;
  openRecords?(
    context: object, iv: Uint8Array, seq: number, mode: number, version: number,
    buffer: Uint8Array, start: number, end: number, maxBody: number, results: Int32Array,
  ): number;
  openSplitRecord?(
    context: object, iv: Uint8Array, seq: number, mode: number, version: number,
    first: Uint8Array, start: number, second: Uint8Array, maxBody: number, results: Int32Array,
  ): number;
  hmac(hash: number, key: Uint8Array, data: Uint8Array, out: Uint8Array): void;
  hash(hash: number, data: Uint8Array, out: Uint8Array): void;
  hashCreate(hash: number): object;
  hashUpdate(context: object, data: Uint8Array): void;
  hashDigest(context: object, out: Uint8Array): void;
  hashClone(context: object): object;
  /** Absent from an addon built before them: HMAC by HMAC, and X25519 through x25519Key/x25519Derive. */
  keySchedule?(hash: number, secret: Uint8Array, program: Uint8Array, out: Uint8Array): void;
  tls12Prf?(hash: number, secret: Uint8Array, labelAndSeed: Uint8Array, out: Uint8Array): void;
  x25519?(scalar: Uint8Array, point: Uint8Array, out: Uint8Array): boolean;
  x25519Key(scalar: Uint8Array, publicOut: Uint8Array): object;
  x25519Derive(key: object, peer: Uint8Array, out: Uint8Array): boolean;
}

/** The AEADs the addon does; AES-CCM (TLS 1.3's CCM suites, rarely used) goes through node:crypto. */
const nativeAlgorithm: Partial<Record<AeadAlgorithm, number>> = { 'AES-128-GCM': 0, 'AES-256-GCM': 1, 'CHACHA20-POLY1305': 2 };
const nativeHash: Record<HashAlgorithm, number> = { sha256: 0, sha384: 1, sha512: 2, sha1: 3, md5: 4 };
const digestLength: Record<HashAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64, sha1: 20, md5: 16 };

/**
 * The addon from build/Release of the package (dist/src/crypto/ or src/crypto/ up to the root), or
 * undefined when it was not built or TYPETLS_NATIVE=0 asks for node:crypto alone.
 */
function loadNative(): NativeModule | undefined {
  if (process.env['TYPETLS_NATIVE'] === '0') return undefined;
  const require = createRequire(import.meta.url);
  for (const up of ['../../../', '../../']) {
    const path = new URL(`${up}build/Release/typetls_crypto.node`, import.meta.url);
    if (!existsSync(path)) continue;
    try {
      return require(path.pathname) as NativeModule;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

let nativeModule: NativeModule | undefined | null = null;
function native(): NativeModule | undefined {
  if (nativeModule === null) nativeModule = loadNative();
  return nativeModule;
}

/** The addon's AEADs all have 16-byte tags. */
const TAG = 16;

class NativeAead implements Aead {
  protected readonly context: object;
  constructor(readonly algorithm: AeadAlgorithm, key: Uint8Array, protected readonly addon: NativeModule) {
    this.context = addon.create(nativeAlgorithm[algorithm]!, key);
  }
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const out = new Uint8Array(plaintext.length + TAG);
    this.addon.seal(this.context, nonce, aad, plaintext, undefined, out, 0);
    return out;
  }
  sealInto(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, suffix: Uint8Array | undefined, out: Uint8Array, offset: number): void {
    this.addon.seal(this.context, nonce, aad, plaintext, suffix, out, offset);
  }
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, inPlace = false): Uint8Array | null {
    if (ciphertext.length < TAG) return null;
    // In place, OpenSSL decrypts over the ciphertext (in == out is allowed for EVP AEAD ciphers).
    // Otherwise not zero-filled: the addon writes every byte, or clears them all when the tag fails.
    const out = inPlace ? ciphertext.subarray(0, ciphertext.length - TAG) : u8(Buffer.allocUnsafe(ciphertext.length - TAG));
    return this.addon.open(this.context, nonce, aad, ciphertext, out) ? out : null;
  }
}

/**
 * With an addon that has them, the record-batch calls (AeadRecords in src/record/protection.ts) as
 * methods: nothing made per key beyond the cipher context.
 */
class NativeRecordsAead extends NativeAead implements AeadRecords {
  sealRecords(
    iv: Uint8Array, seq: number, mode: number, contentType: number, version: number, plaintext: Uint8Array, maxFragment: number, out: Uint8Array, offset: number,
  ): number {
    return this.addon.sealRecords!(this.context, iv, seq, mode, contentType, version, plaintext, maxFragment, out, offset);
  }
  openRecords(
    iv: Uint8Array, seq: number, mode: number, version: number, buffer: Uint8Array, start: number, end: number, maxBody: number, results: Int32Array,
  ): number {
    return this.addon.openRecords!(this.context, iv, seq, mode, version, buffer, start, end, maxBody, results);
  }
  openSplitRecord(
    iv: Uint8Array, seq: number, mode: number, version: number, first: Uint8Array, start: number, second: Uint8Array, maxBody: number, results: Int32Array,
  ): number {
    return this.addon.openSplitRecord!(this.context, iv, seq, mode, version, first, start, second, maxBody, results);
  }
}

class NodeCbc implements CbcCipher {
  constructor(readonly algorithm: CbcAlgorithm, private readonly key: crypto.KeyObject) {}
  private run(encrypt: boolean, iv: Uint8Array, data: Uint8Array): Uint8Array {
    const name = cbcCipherName[this.algorithm];
    const c = encrypt ? crypto.createCipheriv(name, this.key, iv) : crypto.createDecipheriv(name, this.key, iv);
    c.setAutoPadding(false);
    return u8(Buffer.concat([c.update(data), c.final()]));
  }
  encrypt(iv: Uint8Array, data: Uint8Array): Uint8Array {
    return this.run(true, iv, data);
  }
  decrypt(iv: Uint8Array, data: Uint8Array): Uint8Array {
    return this.run(false, iv, data);
  }
}

function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}

/** X25519 and X448 (RFC 7748) as node:crypto names them, with what their shares look like. */
interface XdhCurve {
  readonly group: number;
  /** The JWK curve name and the node:crypto key type (lower case). */
  readonly crv: 'X25519' | 'X448';
  /** The length of a public key and of the shared secret. */
  readonly size: number;
  /** The DER SubjectPublicKeyInfo is this prefix and the raw key (RFC 8410 Section 4). */
  readonly spkiPrefix: Buffer;
  /** The base point's u-coordinate (RFC 7748 Section 4.1: 9; Section 4.2: 5). */
  readonly baseU: number;
}

const xdhCurves = {
  x25519: { group: NamedGroup.x25519, crv: 'X25519', size: 32, spkiPrefix: Buffer.from('302a300506032b656e032100', 'hex'), baseU: 9 },
  x448: { group: NamedGroup.x448, crv: 'X448', size: 56, spkiPrefix: Buffer.from('3042300506032b656f033900', 'hex'), baseU: 5 },
} as const satisfies Record<string, XdhCurve>;

const basePoints = new Map<number, crypto.KeyObject>();
/** The curve's base point as a public key, loaded once. */
function xdhBasePoint(curve: XdhCurve): crypto.KeyObject {
  let basePoint = basePoints.get(curve.group);
  if (basePoint === undefined) {
    const u = new Uint8Array(curve.size);
    u[0] = curve.baseU;
    basePoint = crypto.createPublicKey({ key: Buffer.concat([curve.spkiPrefix, u]), format: 'der', type: 'spki' });
    basePoints.set(curve.group, basePoint);
  }
  return basePoint;
}

/** Random bytes: the provider's pool (NodeCryptoProvider.random). */
type RandomBytes = (length: number) => Uint8Array;

/** X25519 on raw bytes through the addon: a random scalar, X25519(k, 9) as the share (RFC 7748 Section 6.1). */
class NativeX25519Share implements KeyShare {
  readonly group = NamedGroup.x25519;
  readonly publicKey = new Uint8Array(32);
  private readonly key: object | undefined;
  /** The scalar, with an addon that has x25519(): held as long as the share, as OpenSSL held the key object. */
  private readonly scalar: Uint8Array | undefined;
  constructor(private readonly addon: NativeModule, random: RandomBytes) {
    // The scalar is cut from the provider's pool of CSPRNG output (a copy, cleared there).
    const scalar = random(32);
    if (addon.x25519 !== undefined) {
      addon.x25519(scalar, X25519_BASE_POINT, this.publicKey);
      this.scalar = scalar;
    } else {
      // An older addon: OpenSSL holds the key, and the scalar is cleared here.
      this.key = addon.x25519Key(scalar, this.publicKey);
      scalar.fill(0);
    }
  }
  agree(peer: Uint8Array): Uint8Array {
    // RFC 7748 Section 6.1, RFC 8422 Section 5.11: 32 bytes, and an all-zero result is refused.
    if (peer.length !== 32) throw new TlsError('illegal_parameter', 'X25519 public key is not 32 bytes');
    const secret = new Uint8Array(32);
    // OpenSSL refuses low-order points itself (the all-zero result).
    const ok = this.scalar !== undefined ? this.addon.x25519!(this.scalar, peer, secret) : this.addon.x25519Derive(this.key!, peer, secret);
    if (!ok) throw new TlsError('illegal_parameter', 'X25519 public key is a low-order point');
    if (isAllZero(secret)) throw new TlsError('illegal_parameter', 'X25519 shared secret is all zeros');
    return secret;
  }
}

/** RFC 7748 Section 4.1: the base point's u-coordinate, 9. */
const X25519_BASE_POINT = Uint8Array.of(9, ...new Uint8Array(31));

/**
 * A server's answer to an X25519 share (RFC 7748 Section 6.1), with an addon that has x25519(): the
 * scalar from the pool, X25519(k, 9) and X25519(k, peer), and the scalar cleared; no key object.
 */
function acceptX25519(x25519: NonNullable<NativeModule['x25519']>, clientShare: Uint8Array, random: RandomBytes): { publicKey: Uint8Array; sharedSecret: Uint8Array } {
  // RFC 8422 Section 5.11: 32 bytes, and an all-zero result is refused.
  if (clientShare.length !== 32) throw new TlsError('illegal_parameter', 'X25519 public key is not 32 bytes');
  const scalar = random(32);
  const publicKey = new Uint8Array(32);
  const sharedSecret = new Uint8Array(32);
  const ok = x25519(scalar, X25519_BASE_POINT, publicKey) && x25519(scalar, clientShare, sharedSecret);
  scalar.fill(0);
  // OpenSSL refuses low-order points itself (the all-zero result).
  if (!ok || isAllZero(sharedSecret)) throw new TlsError('illegal_parameter', 'X25519 public key is a low-order point');
  return { publicKey, sharedSecret };
}

/** An X25519 share through the addon when it is loaded, else through node:crypto KeyObjects. */
function x25519Share(addon: NativeModule | undefined, random: RandomBytes): KeyShare {
  return addon !== undefined ? new NativeX25519Share(addon, random) : new XdhShare(xdhCurves.x25519);
}

/** X25519 or X448 through node:crypto KeyObjects. */
class XdhShare implements KeyShare {
  readonly group: number;
  readonly publicKey: Uint8Array;
  private readonly privateKey: crypto.KeyObject;
  constructor(private readonly curve: XdhCurve) {
    this.group = curve.group;
    // The public key comes out as DER, not JWK: exporting JWK from a freshly generated key can
    // deadlock Node 20 when a garbage collection runs the key generation job's cleanup.
    // It is computed as X25519(k, 9) or X448(k, 5), the scalar multiplication of the base point
    // (RFC 7748 Section 6): one diffieHellman call takes half the time of OpenSSL 3's DER export.
    const { privateKey } = curve.crv === 'X25519' ? crypto.generateKeyPairSync('x25519') : crypto.generateKeyPairSync('x448');
    this.privateKey = privateKey;
    this.publicKey = u8(crypto.diffieHellman({ privateKey, publicKey: xdhBasePoint(curve) }));
  }
  agree(peer: Uint8Array): Uint8Array {
    // RFC 7748 Section 6, RFC 8422 Section 5.11, RFC 8446 Section 7.4.2: a key of the curve's
    // size, and an all-zero result is refused.
    const { crv, size } = this.curve;
    if (peer.length !== size) throw new TlsError('illegal_parameter', `${crv} public key is not ${size} bytes`);
    let publicKey: crypto.KeyObject;
    try {
      // JWK import builds the key from its raw bytes, an order of magnitude faster than OpenSSL 3's
      // DER decoders. (Only JWK *export* of a generated key risks the deadlock noted above.)
      publicKey = crypto.createPublicKey({ key: { kty: 'OKP', crv, x: Buffer.from(peer).toString('base64url') }, format: 'jwk' });
    } catch {
      throw new TlsError('illegal_parameter', `${crv} public key could not be loaded`);
    }
    let secret: Uint8Array;
    try {
      secret = u8(crypto.diffieHellman({ privateKey: this.privateKey, publicKey }));
    } catch {
      // OpenSSL refuses low-order points itself (the all-zero result).
      throw new TlsError('illegal_parameter', `${crv} public key is a low-order point`);
    }
    if (isAllZero(secret)) throw new TlsError('illegal_parameter', `${crv} shared secret is all zeros`);
    return secret;
  }
}

const curveName: Record<number, { name: string; size: number }> = {
  [NamedGroup.secp256r1]: { name: 'prime256v1', size: 32 },
  [NamedGroup.secp384r1]: { name: 'secp384r1', size: 48 },
  [NamedGroup.secp521r1]: { name: 'secp521r1', size: 66 },
};

class EcdhShare implements KeyShare {
  readonly publicKey: Uint8Array;
  private readonly ecdh: crypto.ECDH;
  constructor(readonly group: number) {
    this.ecdh = crypto.createECDH(curveName[group]!.name);
    this.publicKey = u8(this.ecdh.generateKeys());
  }
  agree(peer: Uint8Array): Uint8Array {
    // RFC 8422 Section 5.4.1 / RFC 8446 Section 4.2.8.2: uncompressed points only.
    const size = curveName[this.group]!.size;
    if (peer.length !== 1 + 2 * size || peer[0] !== 4) {
      throw new TlsError('illegal_parameter', 'ECDH public key is not an uncompressed point of the right size');
    }
    try {
      return u8(this.ecdh.computeSecret(peer));
    } catch {
      throw new TlsError('illegal_parameter', 'ECDH public key is not a point on the curve');
    }
  }
}

/**
 * X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem, code point 0x11EC): the client's
 * share is an ML-KEM-768 encapsulation key (1184 bytes) followed by an X25519
 * public key (32); the server's is the ML-KEM ciphertext (1088) followed by its
 * X25519 public key; the shared secret is the ML-KEM secret followed by the
 * X25519 secret. ML-KEM comes from @noble/post-quantum, as OpenSSL 3.0 has none.
 */
const MLKEM768_EK = 1184;
const MLKEM768_CT = 1088;

class X25519MlKem768Share implements KeyShare {
  readonly group = NamedGroup.X25519MLKEM768;
  readonly publicKey: Uint8Array;
  private readonly kem = ml_kem768.keygen();
  private readonly x25519: KeyShare;
  constructor(addon: NativeModule | undefined, random: RandomBytes) {
    this.x25519 = x25519Share(addon, random);
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

function acceptX25519MlKem768(clientShare: Uint8Array, addon: NativeModule | undefined, random: RandomBytes): { publicKey: Uint8Array; sharedSecret: Uint8Array } {
  if (clientShare.length !== MLKEM768_EK + 32) throw new TlsError('illegal_parameter', 'X25519MLKEM768 client share has the wrong length');
  let encapsulated: { cipherText: Uint8Array; sharedSecret: Uint8Array };
  try {
    // FIPS 203 Section 7.2: the encapsulation key check is part of encapsulate.
    encapsulated = ml_kem768.encapsulate(clientShare.subarray(0, MLKEM768_EK));
  } catch {
    throw new TlsError('illegal_parameter', 'X25519MLKEM768 client share is not a valid ML-KEM-768 key');
  }
  const x25519 = x25519Share(addon, random);
  const ecdhSecret = x25519.agree(clientShare.subarray(MLKEM768_EK));
  const publicKey = new Uint8Array(MLKEM768_CT + 32);
  publicKey.set(encapsulated.cipherText, 0);
  publicKey.set(x25519.publicKey, MLKEM768_CT);
  const sharedSecret = new Uint8Array(64);
  sharedSecret.set(encapsulated.sharedSecret, 0);
  sharedSecret.set(ecdhSecret, 32);
  return { publicKey, sharedSecret };
}

function leftPad(b: Uint8Array, length: number): Uint8Array {
  if (b.length === length) return b;
  const out = new Uint8Array(length);
  out.set(b, length - b.length);
  return out;
}

/**
 * An RFC 7919 group as a named key share (TLS 1.3, RFC 8446 Section 4.2.8.1):
 * public values and the shared secret are padded to the length of the prime.
 */
class FfdheShare implements KeyShare {
  readonly publicKey: Uint8Array;
  private readonly dh: crypto.DiffieHellman;
  constructor(readonly group: number, private readonly p: Uint8Array, g: Uint8Array) {
    this.dh = crypto.createDiffieHellman(p, g);
    this.publicKey = leftPad(u8(this.dh.generateKeys()), p.length);
  }
  agree(peer: Uint8Array): Uint8Array {
    if (peer.length !== this.p.length || !dhPublicInRange(peer, this.p)) {
      throw new TlsError('illegal_parameter', 'FFDHE public value has the wrong length or is out of range');
    }
    try {
      return leftPad(u8(this.dh.computeSecret(peer)), this.p.length);
    } catch {
      throw new TlsError('illegal_parameter', 'FFDHE public value was refused');
    }
  }
}


/** Whether a key of this algorithm can make signatures of this kind. */
function fits(algorithm: KeyAlgorithm, kind: SchemeInfo['kind']): boolean {
  switch (kind) {
    case 'pkcs1':
      return algorithm === 'rsa';
    case 'pss':
      return algorithm === 'rsa' || algorithm === 'rsa-pss';
    case 'ecdsa':
      return algorithm === 'ec';
    case 'eddsa':
      return algorithm === 'ed25519';
  }
}

const ecCurveGroup: Record<string, number> = {
  prime256v1: NamedGroup.secp256r1,
  secp384r1: NamedGroup.secp384r1,
  secp521r1: NamedGroup.secp521r1,
};

function describeKey(key: crypto.KeyObject): { algorithm: KeyAlgorithm; namedCurve?: number; bits: number } {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return { algorithm: 'rsa', bits: details.modulusLength ?? 0 };
    case 'rsa-pss':
      return { algorithm: 'rsa-pss', bits: details.modulusLength ?? 0 };
    case 'ec': {
      const group = ecCurveGroup[details.namedCurve ?? ''];
      if (group === undefined) throw new TlsError('bad_certificate', `unsupported EC curve ${details.namedCurve}`);
      return { algorithm: 'ec', namedCurve: group, bits: curveName[group]!.size * 8 };
    }
    case 'ed25519':
      return { algorithm: 'ed25519', bits: 256 };
    default:
      throw new TlsError('bad_certificate', `unsupported key type ${key.asymmetricKeyType}`);
  }
}

function signOptions(info: SchemeInfo, key: crypto.KeyObject): crypto.SignKeyObjectInput & crypto.VerifyKeyObjectInput {
  switch (info.kind) {
    case 'pkcs1':
      return { key, padding: crypto.constants.RSA_PKCS1_PADDING };
    case 'pss':
      return { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST };
    case 'ecdsa':
      return { key, dsaEncoding: 'der' };
    case 'eddsa':
      return { key };
  }
}

/** Bytes of CSPRNG output NodeCryptoProvider draws at a time for small random() requests. */
const RANDOM_POOL_SIZE = 4096;

/** How many loaded public keys NodeCryptoProvider keeps (CA and server keys seen again and again). */
const PUBLIC_KEY_CACHE_SIZE = 512;

export interface NodeCryptoProviderOptions {
  /**
   * Record AEAD, hashing, HMAC and X25519 through the native addon when it is built (the default), or
   * through node:crypto alone (false). Both are the same OpenSSL; the addon saves a cipher object
   * and several Buffers per record, and an Hmac or KeyObject per handshake step.
   */
  native?: boolean;
}

export class NodeCryptoProvider implements CryptoProvider {
  readonly name = 'node:crypto';
  private readonly addon: NativeModule | undefined;
  /** Unused CSPRNG bytes from randomPool[randomAt] on (the pool starts used up). */
  private readonly randomPool = new Uint8Array(RANDOM_POOL_SIZE);
  private randomAt = RANDOM_POOL_SIZE;
  /** random(), bound, for the key shares made from it. */
  private readonly randomBytes: RandomBytes = (length) => this.random(length);

  constructor(options: NodeCryptoProviderOptions = {}) {
    const addon = options.native === false ? undefined : native();
    this.addon = addon;
    // The key schedule's HMACs (TLS 1.3 stages, the TLS 1.2 PRF) in one call each, for SHA-2.
    const { keySchedule, tls12Prf } = addon ?? {};
    if (keySchedule !== undefined) this.keySchedule = (algorithm, secret, program, out) => keySchedule(nativeHash[algorithm], secret, program, out);
    if (tls12Prf !== undefined) this.pHash = (algorithm, secret, seed, out) => tls12Prf(nativeHash[algorithm], secret, seed, out);
  }

  /** Which implementation does record AEAD, hashing, HMAC and X25519: 'native' (the addon) or 'node:crypto'. */
  get implementation(): 'native' | 'node:crypto' {
    return this.addon !== undefined ? 'native' : 'node:crypto';
  }

  random(length: number): Uint8Array {
    // Small requests (randoms, session IDs, nonces) are cut from a pool that one
    // randomFillSync call fills for some sixty handshakes; each byte is given out once and
    // cleared from the pool as it goes.
    if (length > RANDOM_POOL_SIZE / 8) return crypto.randomFillSync(new Uint8Array(length));
    if (this.randomAt + length > RANDOM_POOL_SIZE) {
      crypto.randomFillSync(this.randomPool);
      this.randomAt = 0;
    }
    const out = this.randomPool.slice(this.randomAt, this.randomAt + length);
    this.randomPool.fill(0, this.randomAt, this.randomAt + length);
    this.randomAt += length;
    return out;
  }

  hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array {
    if (this.addon !== undefined) {
      const out = new Uint8Array(digestLength[algorithm]);
      this.addon.hash(nativeHash[algorithm], data, out);
      return out;
    }
    return u8(crypto.createHash(algorithm).update(data).digest());
  }

  createHash(algorithm: HashAlgorithm): HashContext {
    if (this.addon !== undefined) return new NativeHash(this.addon, algorithm, this.addon.hashCreate(nativeHash[algorithm]));
    return new NodeHash(crypto.createHash(algorithm));
  }

  hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
    if (this.addon !== undefined) {
      const out = new Uint8Array(digestLength[algorithm]);
      this.addon.hmac(nativeHash[algorithm], key, data, out);
      return out;
    }
    return u8(crypto.createHmac(algorithm, key).update(data).digest());
  }

  readonly keySchedule?: (algorithm: HashAlgorithm, secret: Uint8Array, program: Uint8Array, out: Uint8Array) => void;
  readonly pHash?: (algorithm: HashAlgorithm, secret: Uint8Array, seed: Uint8Array, out: Uint8Array) => void;

  aead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
    const addon = this.addon;
    if (addon !== undefined && nativeAlgorithm[algorithm] !== undefined) {
      const batches = addon.sealRecords !== undefined && addon.openRecords !== undefined && addon.openSplitRecord !== undefined;
      return batches ? new NativeRecordsAead(algorithm, key, addon) : new NativeAead(algorithm, key, addon);
    }
    return new NodeAead(algorithm, crypto.createSecretKey(key));
  }

  cbc(algorithm: CbcAlgorithm, key: Uint8Array): CbcCipher {
    return new NodeCbc(algorithm, crypto.createSecretKey(key));
  }

  supportedGroups(): readonly number[] {
    return [
      NamedGroup.X25519MLKEM768, NamedGroup.x25519, NamedGroup.x448, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1,
      ...ffdheGroups.map((g) => g.group),
    ];
  }

  generateKeyShare(group: number): KeyShare {
    if (group === NamedGroup.x25519) return x25519Share(this.addon, this.randomBytes);
    if (group === NamedGroup.x448) return new XdhShare(xdhCurves.x448);
    if (group === NamedGroup.X25519MLKEM768) return new X25519MlKem768Share(this.addon, this.randomBytes);
    if (curveName[group]) return new EcdhShare(group);
    const ffdhe = ffdheGroup(group);
    if (ffdhe) return new FfdheShare(ffdhe.group, ffdhe.p, ffdhe.g);
    throw new TlsError('internal_error', `no key exchange for group 0x${group.toString(16)}`);
  }

  generateDhKeyShare(p: Uint8Array, g: Uint8Array): KeyShare {
    const dh = crypto.createDiffieHellman(p, g);
    const publicKey = u8(dh.generateKeys());
    return {
      group: 0,
      publicKey,
      agree(peer: Uint8Array): Uint8Array {
        try {
          return u8(dh.computeSecret(peer));
        } catch {
          throw new TlsError('illegal_parameter', 'DH public value was refused');
        }
      },
    };
  }

  acceptKeyShare(group: number, clientShare: Uint8Array): { publicKey: Uint8Array; sharedSecret: Uint8Array } {
    const x25519 = this.addon?.x25519;
    if (group === NamedGroup.x25519 && x25519 !== undefined) return acceptX25519(x25519, clientShare, this.randomBytes);
    if (group === NamedGroup.X25519MLKEM768) return acceptX25519MlKem768(clientShare, this.addon, this.randomBytes);
    const share = this.generateKeyShare(group);
    return { publicKey: share.publicKey, sharedSecret: share.agree(clientShare) };
  }

  loadPrivateKey(key: string | Uint8Array): PrivateKey {
    const keyObject =
      typeof key === 'string'
        ? crypto.createPrivateKey(key)
        : crypto.createPrivateKey({ key: Buffer.from(key.buffer, key.byteOffset, key.byteLength), format: 'der', type: 'pkcs8' });
    const spki = u8(crypto.createPublicKey(keyObject).export({ format: 'der', type: 'spki' }));
    return { ...describeKey(keyObject), spki, handle: keyObject };
  }

  /**
   * Public keys already loaded, by their SubjectPublicKeyInfo: the same CA and server keys come
   * back on every handshake, and OpenSSL 3's DER decoding takes about 100 µs for an RSA key (as
   * much as the signature check itself). KeyObjects are immutable, so sharing them is safe.
   */
  readonly #publicKeys = new Map<string, PublicKey>();

  loadPublicKey(spki: Uint8Array): PublicKey {
    const der = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength);
    const cacheKey = der.toString('latin1');
    const cached = this.#publicKeys.get(cacheKey);
    if (cached !== undefined) return cached;
    let keyObject: crypto.KeyObject;
    try {
      keyObject = crypto.createPublicKey({ key: der, format: 'der', type: 'spki' });
    } catch {
      throw new TlsError('bad_certificate', 'certificate public key could not be loaded');
    }
    const key: PublicKey = { ...describeKey(keyObject), handle: keyObject };
    // A bounded cache: when full, the oldest entry goes (Map keeps insertion order).
    if (this.#publicKeys.size >= PUBLIC_KEY_CACHE_SIZE) this.#publicKeys.delete(this.#publicKeys.keys().next().value!);
    this.#publicKeys.set(cacheKey, key);
    return key;
  }

  sign(key: PrivateKey, scheme: number, data: Uint8Array): Uint8Array {
    const info = schemeInfo.get(scheme);
    if (!info || !fits(key.algorithm, info.kind)) {
      throw new TlsError('internal_error', `cannot sign with scheme 0x${scheme.toString(16)} and a ${key.algorithm} key`);
    }
    return u8(crypto.sign(info.hash, data, signOptions(info, key.handle as crypto.KeyObject)));
  }

  verify(key: PublicKey, scheme: number, data: Uint8Array, signature: Uint8Array): boolean {
    const info = schemeInfo.get(scheme);
    if (!info || !fits(key.algorithm, info.kind)) return false;
    try {
      return crypto.verify(info.hash, data, signOptions(info, key.handle as crypto.KeyObject), signature);
    } catch {
      return false;
    }
  }

  rsaEncryptPkcs1(key: PublicKey, data: Uint8Array): Uint8Array {
    try {
      return u8(crypto.publicEncrypt({ key: key.handle as crypto.KeyObject, padding: crypto.constants.RSA_PKCS1_PADDING }, data));
    } catch {
      // OpenSSL refuses a malformed modulus (even, too small) only when it is used.
      throw new TlsError('bad_certificate', 'server RSA key cannot encrypt: its modulus is malformed');
    }
  }

  rsaDecryptRaw(key: PrivateKey, ciphertext: Uint8Array): Uint8Array | null {
    const k = (key.bits + 7) >> 3;
    if (ciphertext.length !== k) return null;
    try {
      return u8(crypto.privateDecrypt({ key: key.handle as crypto.KeyObject, padding: crypto.constants.RSA_NO_PADDING }, ciphertext));
    } catch {
      return null;
    }
  }
}

export const nodeCryptoProvider: CryptoProvider = new NodeCryptoProvider();
