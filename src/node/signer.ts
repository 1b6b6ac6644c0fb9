// Private keys that stay outside the process (typetls extension to node:tls's `key`): a signer
// object of the program's (an HSM, a cloud KMS, a worker or another process) or a WebCrypto
// CryptoKey, non-extractable. The engine asks for each operation ('sign' / 'decrypt' requests)
// and the socket answers through the object here; the handshake of that connection waits, the
// event loop serves the others.

import { createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import type { CryptoProvider, KeyAlgorithm, PrivateKey } from '../crypto/provider.js';
import { RSA_PKCS1_MD5_SHA1 } from '../crypto/provider.js';
import { NamedGroup, SignatureScheme, signatureSchemeName } from '../wire/enums.js';
import type { Certificate } from '../x509/certificate.js';

/**
 * A key held elsewhere. `sign` receives the signature scheme by its RFC 8446 name
 * ('rsa_pss_rsae_sha256', 'ecdsa_secp256r1_sha256', 'ed25519', ...; 'rsa_pkcs1_md5_sha1' for
 * TLS 1.0/1.1) and the bytes to sign (it hashes them itself), and resolves to the signature as
 * it goes on the wire (DER for ECDSA). `decrypt`, for the TLS 1.2 RSA key exchange, resolves to
 * the raw RSA result c^d mod n of the modulus' length (node: privateDecrypt with
 * RSA_NO_PADDING): the padding is checked by typetls in constant time.
 */
export interface KeySigner {
  /** 'rsa', 'rsa-pss', 'ec' or 'ed25519'; taken from the public key when left out. */
  readonly algorithm?: KeyAlgorithm;
  /** The public key as a DER SubjectPublicKeyInfo, */
  readonly spki?: Uint8Array;
  /** ... or as a KeyObject or PEM (one of the two is needed). */
  readonly publicKey?: KeyObject | string;
  /** The schemes the key makes, by name or code point, when it makes only some. */
  readonly schemes?: readonly (string | number)[];
  sign(scheme: string, data: Uint8Array): Promise<Uint8Array>;
  decrypt?(ciphertext: Uint8Array): Promise<Uint8Array>;
}

/** What a request of the engine calls: the same for signer objects and CryptoKeys. */
interface ExternalKeyOperations {
  sign(scheme: number, data: Uint8Array): Promise<Uint8Array>;
  decrypt(ciphertext: Uint8Array): Promise<Uint8Array>;
}

/** A CryptoKey of node's WebCrypto (crypto.subtle). */
function isCryptoKey(value: unknown): value is webcrypto.CryptoKey {
  const CryptoKey = (globalThis as { CryptoKey?: abstract new () => unknown }).CryptoKey;
  return typeof CryptoKey === 'function' && value instanceof CryptoKey;
}

/** Whether a `key` entry is a key held elsewhere: a signer object or a CryptoKey. */
export function isExternalKey(value: unknown): value is KeySigner | webcrypto.CryptoKey {
  if (isCryptoKey(value)) return true;
  return typeof value === 'object' && value !== null && typeof (value as { sign?: unknown }).sign === 'function';
}

export function externalKeyOf(key: PrivateKey): ExternalKeyOperations {
  return key.handle as ExternalKeyOperations;
}

function schemeName(scheme: number): string {
  return scheme === RSA_PKCS1_MD5_SHA1 ? 'rsa_pkcs1_md5_sha1' : signatureSchemeName(scheme);
}

function schemeByName(name: string | number): number {
  if (typeof name === 'number') return name;
  const scheme = (SignatureScheme as Record<string, number>)[name];
  if (scheme === undefined) throw new TypeError(`unknown signature scheme ${name}`);
  return scheme;
}

/** A signer object as the engine's external key. */
export function signerKey(provider: CryptoProvider, signer: KeySigner): PrivateKey {
  const spki = signer.spki !== undefined
    ? new Uint8Array(signer.spki)
    : signer.publicKey !== undefined
      ? new Uint8Array(publicKeyObject(signer.publicKey).export({ format: 'der', type: 'spki' }))
      : undefined;
  if (spki === undefined) throw new TypeError('a signer object needs its public key: spki (DER) or publicKey');
  const publicKey = provider.loadPublicKey(spki);
  if (signer.algorithm !== undefined && signer.algorithm !== publicKey.algorithm) {
    throw new TypeError(`the signer's algorithm ${signer.algorithm} is not its public key's (${publicKey.algorithm})`);
  }
  const operations: ExternalKeyOperations = {
    sign: (scheme, data) => Promise.resolve().then(() => signer.sign(schemeName(scheme), data)).then(asBytes),
    decrypt: (ciphertext) => {
      if (!signer.decrypt) return Promise.reject(new Error('the signer cannot decrypt (RSA key exchange)'));
      return Promise.resolve().then(() => signer.decrypt!(ciphertext)).then(asBytes);
    },
  };
  return {
    algorithm: publicKey.algorithm,
    bits: publicKey.bits,
    spki,
    handle: operations,
    external: true,
    ...(publicKey.namedCurve !== undefined ? { namedCurve: publicKey.namedCurve } : {}),
    ...(signer.schemes !== undefined ? { schemes: signer.schemes.map(schemeByName) } : {}),
  };
}

function publicKeyObject(key: KeyObject | string): KeyObject {
  return typeof key !== 'string' && key.type === 'public' ? key : createPublicKey(key);
}

function asBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TypeError('a key operation must resolve to a Uint8Array');
}

const webHash: Record<string, 'sha1' | 'sha256' | 'sha384' | 'sha512'> = {
  'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512',
};
const curveGroup: Record<string, number> = { 'P-256': NamedGroup.secp256r1, 'P-384': NamedGroup.secp384r1, 'P-521': NamedGroup.secp521r1 };

/**
 * Whether a CryptoKey can be the private key of `leaf`: the same algorithm, curve or modulus
 * size (WebCrypto gives no public half of a private key to compare).
 */
export function cryptoKeyFits(provider: CryptoProvider, key: webcrypto.CryptoKey, leaf: Certificate): boolean {
  const publicKey = provider.loadPublicKey(leaf.subjectPublicKeyInfo);
  const algorithm = key.algorithm as { name: string; namedCurve?: string; modulusLength?: number };
  switch (algorithm.name) {
    case 'RSASSA-PKCS1-v1_5':
      return publicKey.algorithm === 'rsa' && publicKey.bits === algorithm.modulusLength;
    case 'RSA-PSS':
      return (publicKey.algorithm === 'rsa' || publicKey.algorithm === 'rsa-pss') && publicKey.bits === algorithm.modulusLength;
    case 'ECDSA':
      return publicKey.algorithm === 'ec' && publicKey.namedCurve === curveGroup[algorithm.namedCurve ?? ''];
    case 'Ed25519':
      return publicKey.algorithm === 'ed25519';
    default:
      return false;
  }
}

/**
 * A WebCrypto private key (non-extractable keys too) as the engine's external key, for the
 * certificate whose public key it matches. It signs the schemes its algorithm and hash allow:
 * RSASSA-PKCS1-v1_5 → rsa_pkcs1_<hash>, RSA-PSS → rsa_pss_rsae_<hash> (rsa_pss_pss_<hash> for an
 * RSASSA-PSS certificate), ECDSA → the ecdsa schemes (the hash is chosen per signature), Ed25519.
 * It cannot decrypt: WebCrypto has no raw RSA, so no RSA key exchange with it.
 */
export function cryptoKeyKey(provider: CryptoProvider, key: webcrypto.CryptoKey, leaf: Certificate): PrivateKey {
  if (key.type !== 'private' || !key.usages.includes('sign')) throw new TypeError('a CryptoKey given as key must be a private key with the "sign" usage');
  const publicKey = provider.loadPublicKey(leaf.subjectPublicKeyInfo);
  const algorithm = key.algorithm as { name: string; hash?: { name: string } };
  const hash = algorithm.hash ? webHash[algorithm.hash.name] : undefined;
  let schemes: number[] | undefined;
  if (algorithm.name === 'RSASSA-PKCS1-v1_5' && hash) schemes = [(SignatureScheme as Record<string, number>)[`rsa_pkcs1_${hash}`]!];
  if (algorithm.name === 'RSA-PSS' && hash) {
    schemes = [(SignatureScheme as Record<string, number>)[`rsa_pss_${publicKey.algorithm === 'rsa-pss' ? 'pss' : 'rsae'}_${hash}`]!].filter((s) => s !== undefined);
  }
  if (algorithm.name === 'Ed25519') schemes = [SignatureScheme.ed25519];
  const subtle = webcrypto.subtle;
  const operations: ExternalKeyOperations = {
    sign: async (scheme, data) => {
      switch (algorithm.name) {
        case 'RSASSA-PKCS1-v1_5':
          return new Uint8Array(await subtle.sign({ name: 'RSASSA-PKCS1-v1_5' }, key, data));
        case 'RSA-PSS':
          return new Uint8Array(await subtle.sign({ name: 'RSA-PSS', saltLength: hashBytes(hash!) }, key, data));
        case 'ECDSA': {
          const digest = ecdsaHash(scheme);
          return ecdsaDer(new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: digest }, key, data)));
        }
        default:
          return new Uint8Array(await subtle.sign({ name: algorithm.name }, key, data));
      }
    },
    decrypt: () => Promise.reject(new Error('a CryptoKey cannot do raw RSA decryption (RSA key exchange)')),
  };
  return {
    algorithm: publicKey.algorithm,
    bits: publicKey.bits,
    spki: leaf.subjectPublicKeyInfo,
    handle: operations,
    external: true,
    ...(publicKey.namedCurve !== undefined ? { namedCurve: publicKey.namedCurve } : {}),
    ...(schemes !== undefined ? { schemes } : {}),
  };
}

function hashBytes(hash: 'sha1' | 'sha256' | 'sha384' | 'sha512'): number {
  return { sha1: 20, sha256: 32, sha384: 48, sha512: 64 }[hash];
}

function ecdsaHash(scheme: number): string {
  switch (scheme) {
    case SignatureScheme.ecdsa_sha1:
      return 'SHA-1';
    case SignatureScheme.ecdsa_secp384r1_sha384:
      return 'SHA-384';
    case SignatureScheme.ecdsa_secp521r1_sha512:
      return 'SHA-512';
    default:
      return 'SHA-256';
  }
}

/** WebCrypto's ECDSA signature (r || s, IEEE P1363) as TLS sends it: DER Ecdsa-Sig-Value (RFC 8422 Section 5.4). */
function ecdsaDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  const integer = (bytes: Uint8Array): number[] => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    const body = [...bytes.subarray(i)];
    return body[0]! & 0x80 ? [0, ...body] : body;
  };
  const r = integer(raw.subarray(0, half));
  const s = integer(raw.subarray(half));
  const length = (n: number): number[] => (n < 0x80 ? [n] : [0x81, n]);
  const body = [0x02, ...length(r.length), ...r, 0x02, ...length(s.length), ...s];
  return Uint8Array.from([0x30, ...length(body.length), ...body]);
}
