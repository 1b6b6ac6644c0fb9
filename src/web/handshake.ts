// The handshake's public-key work on WebCrypto, beside the synchronous engine: the client's key shares
// made before the ClientHello (ECDH P-256 and P-384, X25519), their agreement answered to the
// engine's 'agree' request, the server's handshake signature (TLS 1.3 CertificateVerify, TLS 1.2
// ServerKeyExchange) checked for its 'signature' request, and the elliptic-curve signatures of its
// certificate chain checked before the path validation its 'verify' request asks for.
// What WebCrypto cannot do here (X25519MLKEM768, a curve or scheme the runtime lacks) stays on the
// provider.

import type { CommonConfig } from '../config.js';
import type { CryptoProvider, KeyShare, PublicKey } from '../crypto/provider.js';
import { TlsError } from '../errors.js';
import { peerVerifyOptions } from '../handshake/common.js';
import type { CertificateVerdict, Request } from '../handshake/requests.js';
import { bytesEqual } from '../wire/bytes.js';
import { NamedGroup, SignatureScheme } from '../wire/enums.js';
import { verifyChain } from '../x509/verify.js';

/** The part of SubtleCrypto the handshake uses. */
export interface SubtleHandshake {
  generateKey(algorithm: { name: string; namedCurve?: string }, extractable: boolean, usages: string[]): Promise<unknown>;
  exportKey(format: 'raw', key: unknown): Promise<ArrayBuffer>;
  importKey(format: 'raw' | 'spki', keyData: Uint8Array, algorithm: object, extractable: boolean, usages: string[]): Promise<unknown>;
  deriveBits(algorithm: { name: string; public: unknown }, baseKey: unknown, length: number): Promise<ArrayBuffer>;
  verify(algorithm: object, key: unknown, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}

/** The WebCrypto algorithm of each group, and the length of its shared secret in bits. */
const groups = new Map<number, { readonly algorithm: { name: string; namedCurve?: string }; readonly bits: number }>([
  [NamedGroup.secp256r1, { algorithm: { name: 'ECDH', namedCurve: 'P-256' }, bits: 256 }],
  [NamedGroup.secp384r1, { algorithm: { name: 'ECDH', namedCurve: 'P-384' }, bits: 384 }],
  [NamedGroup.x25519, { algorithm: { name: 'X25519' }, bits: 256 }],
]);

/** The WebCrypto import and verify parameters of the signature schemes of server handshake signatures. */
const schemes = new Map<number, { readonly key: object; readonly verify: object; readonly ecdsaSize?: number }>([
  [SignatureScheme.ecdsa_secp256r1_sha256, { key: { name: 'ECDSA', namedCurve: 'P-256' }, verify: { name: 'ECDSA', hash: 'SHA-256' }, ecdsaSize: 32 }],
  [SignatureScheme.ecdsa_secp384r1_sha384, { key: { name: 'ECDSA', namedCurve: 'P-384' }, verify: { name: 'ECDSA', hash: 'SHA-384' }, ecdsaSize: 48 }],
  [SignatureScheme.ecdsa_secp521r1_sha512, { key: { name: 'ECDSA', namedCurve: 'P-521' }, verify: { name: 'ECDSA', hash: 'SHA-512' }, ecdsaSize: 66 }],
  // WebCrypto imports an rsaEncryption key for RSA-PSS (the rsae schemes); an RSASSA-PSS key (rsa_pss_pss_*) is left to the provider.
  [SignatureScheme.rsa_pss_rsae_sha256, { key: { name: 'RSA-PSS', hash: 'SHA-256' }, verify: { name: 'RSA-PSS', saltLength: 32 } }],
  [SignatureScheme.rsa_pss_rsae_sha384, { key: { name: 'RSA-PSS', hash: 'SHA-384' }, verify: { name: 'RSA-PSS', saltLength: 48 } }],
  [SignatureScheme.rsa_pss_rsae_sha512, { key: { name: 'RSA-PSS', hash: 'SHA-512' }, verify: { name: 'RSA-PSS', saltLength: 64 } }],
  [SignatureScheme.ed25519, { key: { name: 'Ed25519' }, verify: { name: 'Ed25519' } }],
  // TLS 1.2 ServerKeyExchange only (RFC 8446 Section 4.4.3 keeps PKCS#1 v1.5 out of TLS 1.3's CertificateVerify).
  [SignatureScheme.rsa_pkcs1_sha256, { key: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verify: { name: 'RSASSA-PKCS1-v1_5' } }],
  [SignatureScheme.rsa_pkcs1_sha384, { key: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' }, verify: { name: 'RSASSA-PKCS1-v1_5' } }],
  [SignatureScheme.rsa_pkcs1_sha512, { key: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' }, verify: { name: 'RSASSA-PKCS1-v1_5' } }],
]);

/**
 * An ECDSA-Sig-Value (DER SEQUENCE of two INTEGERs, RFC 3279 Section 2.2.3) as WebCrypto's r || s of
 * `size` bytes each; undefined when it is not one (the signature then does not verify).
 */
export function ecdsaRaw(der: Uint8Array, size: number): Uint8Array | undefined {
  let at = 0;
  const length = (): number | undefined => {
    const first = der[at++];
    if (first === undefined) return undefined;
    if (first < 0x80) return first;
    if (first === 0x81) {
      const n = der[at++];
      return n !== undefined && n >= 0x80 ? n : undefined;
    }
    return undefined;
  };
  if (der[at++] !== 0x30) return undefined;
  if (length() !== der.length - at) return undefined;
  const out = new Uint8Array(2 * size);
  for (const half of [0, 1]) {
    if (der[at++] !== 0x02) return undefined;
    const n = length();
    if (n === undefined || n === 0 || at + n > der.length) return undefined;
    let value = der.subarray(at, at + n);
    at += n;
    // DER: a positive INTEGER; a leading zero only before a high bit.
    if ((value[0]! & 0x80) !== 0 || (value[0] === 0 && value.length > 1 && (value[1]! & 0x80) === 0)) return undefined;
    while (value.length > 0 && value[0] === 0) value = value.subarray(1);
    if (value.length > size) return undefined;
    out.set(value, half * size + size - value.length);
  }
  return at === der.length ? out : undefined;
}

/** The handshake's WebCrypto work for one client. */
export class WebCryptoHandshake {
  /** Each share's private key, which never leaves WebCrypto. */
  private readonly privateKeys = new WeakMap<KeyShare, unknown>();

  constructor(private readonly subtle: SubtleHandshake, private readonly provider: CryptoProvider) {}

  /**
   * Key shares for those of `wanted` that WebCrypto makes here, each marked external (the engine asks
   * for its agreement); groups it cannot make are left out, for the provider. Never rejects.
   */
  async keyShares(wanted: readonly number[]): Promise<KeyShare[]> {
    const made = await Promise.all(
      wanted.map(async (group): Promise<KeyShare | undefined> => {
        const params = groups.get(group);
        if (params === undefined) return undefined;
        try {
          const pair = (await this.subtle.generateKey(params.algorithm, false, ['deriveBits'])) as { publicKey: unknown; privateKey: unknown };
          // The raw public key is TLS's own encoding: the uncompressed point (RFC 8446 Section 4.2.8.2), or X25519's 32 bytes.
          const publicKey = new Uint8Array(await this.subtle.exportKey('raw', pair.publicKey));
          const share: KeyShare = {
            group,
            publicKey,
            external: true,
            agree: () => {
              throw new TlsError('internal_error', 'a WebCrypto key share is agreed through an agree request');
            },
          };
          this.privateKeys.set(share, pair.privateKey);
          return share;
        } catch {
          return undefined; // not in this runtime's WebCrypto: the provider makes it
        }
      }),
    );
    return made.filter((s): s is KeyShare => s !== undefined);
  }

  /** The answer to an 'agree' request: the shared secret, or illegal_parameter for a server share that is no key. */
  async agree(request: Extract<Request, { kind: 'agree' }>): Promise<Uint8Array> {
    const params = groups.get(request.share.group);
    const privateKey = this.privateKeys.get(request.share);
    if (params === undefined || privateKey === undefined) throw new TlsError('internal_error', 'the key share was not made by WebCrypto');
    let secret: Uint8Array;
    try {
      const peer = await this.subtle.importKey('raw', request.peerPublicKey, params.algorithm, true, []);
      secret = new Uint8Array(await this.subtle.deriveBits({ name: params.algorithm.name, public: peer }, privateKey, params.bits));
    } catch (e) {
      // RFC 8446 Section 4.2.8.2: a point not on the curve; Section 7.4.2: X25519's all-zero result.
      throw new TlsError('illegal_parameter', 'server key share is not a valid public key for its group', { cause: e });
    }
    // RFC 8446 Section 7.4.2: "MUST check whether the computed Diffie-Hellman shared secret is the all-zero value".
    if (secret.every((b) => b === 0)) throw new TlsError('illegal_parameter', 'the key agreement gave the all-zero shared secret');
    return secret;
  }

  /**
   * The answer to a 'signature' request: whether the signature verifies. WebCrypto checks it where it
   * can import the key for the scheme; otherwise the provider does.
   */
  async verifySignature(request: Extract<Request, { kind: 'signature' }>): Promise<boolean> {
    const verified = await this.webVerify(request.spki, request.scheme, request.data, request.signature);
    if (verified !== undefined) return verified;
    return this.provider.verify(this.provider.loadPublicKey(request.spki), request.scheme, request.data, request.signature);
  }

  /**
   * The answer to a 'verify' request: the engine's own path validation (peerVerifyOptions), with the
   * chain's elliptic-curve signatures checked by WebCrypto beforehand — in JavaScript an ECDSA P-256
   * verification costs a few RSA-2048 ones, P-384 more — and every other signature (RSA, whose
   * exponent 65537 keeps it cheap in BigInt; one WebCrypto did not confirm) on the provider, as always.
   * undefined: trusted; otherwise the refusal.
   */
  async verifyChain(request: Extract<Request, { kind: 'verify' }>, config: CommonConfig): Promise<CertificateVerdict | undefined> {
    // Each (certificate, candidate issuer) pair path building may check: a certificate presented and
    // one presented or trusted whose subject is its issuer's name. Bounded: a hostile bag of
    // certificates sharing one name gets its checks from the provider, within verifyChain's budget.
    const confirmed = new Map<Uint8Array, Confirmed[]>(); // by signatureValue
    const checks: Promise<void>[] = [];
    for (const cert of request.chain) {
      const scheme = cert.signatureAlgorithm.scheme;
      if (scheme === undefined || !curveSchemes.has(scheme)) continue;
      for (const issuer of [...request.chain, ...config.roots]) {
        if (checks.length === MAX_CHAIN_CHECKS) break;
        if (!bytesEqual(issuer.subject.raw, cert.issuer.raw)) continue;
        checks.push(
          this.webVerify(issuer.subjectPublicKeyInfo, scheme, cert.tbsCertificate, cert.signatureValue).then((ok) => {
            if (ok !== true) return;
            const entry = { spki: issuer.subjectPublicKeyInfo, scheme, data: cert.tbsCertificate };
            const list = confirmed.get(cert.signatureValue);
            if (list === undefined) confirmed.set(cert.signatureValue, [entry]);
            else list.push(entry);
          }),
        );
      }
    }
    await Promise.all(checks);
    const provider = confirmed.size === 0 ? this.provider : withConfirmedSignatures(this.provider, confirmed);
    const result = verifyChain(provider, peerVerifyOptions(config, request.chain, request.purpose, request.keyUsage, request.serverName));
    return result.ok ? undefined : { code: result.code, message: result.message };
  }

  /** Whether `signature` over `data` verifies under `spki` with `scheme`, by WebCrypto; undefined when WebCrypto cannot tell (no such algorithm, a key it will not take). Never rejects. */
  private async webVerify(spki: Uint8Array, scheme: number, data: Uint8Array, signature: Uint8Array): Promise<boolean | undefined> {
    const params = schemes.get(scheme);
    if (params === undefined) return undefined;
    let key: unknown;
    try {
      key = await this.subtle.importKey('spki', spki, params.key, false, ['verify']);
    } catch {
      return undefined; // not in this runtime's WebCrypto, or a key WebCrypto will not take for this scheme
    }
    const raw = params.ecdsaSize !== undefined ? ecdsaRaw(signature, params.ecdsaSize) : signature;
    if (raw === undefined) return false;
    try {
      return await this.subtle.verify(params.verify, key, raw, data);
    } catch {
      return undefined;
    }
  }
}

/** Certificate signature schemes worth a trip to WebCrypto: the elliptic-curve ones, slow in JavaScript. */
const curveSchemes = new Set<number>([
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.ecdsa_secp521r1_sha512,
  SignatureScheme.ed25519,
]);

/** The most chain signatures checked with WebCrypto before one path validation. */
const MAX_CHAIN_CHECKS = 16;

/** A certificate signature WebCrypto found good: under the key of `spki`, with `scheme`, over `data`. */
interface Confirmed {
  readonly spki: Uint8Array;
  readonly scheme: number;
  readonly data: Uint8Array;
}

/**
 * `provider`, but a signature WebCrypto has confirmed (the same signature, issuer key and signed
 * bytes, by identity, and the same scheme) verifies without being checked again; every other goes to
 * the provider.
 */
function withConfirmedSignatures(provider: CryptoProvider, confirmed: ReadonlyMap<Uint8Array, readonly Confirmed[]>): CryptoProvider {
  const spkiOf = new WeakMap<PublicKey, Uint8Array>();
  const loadPublicKey = (spki: Uint8Array): PublicKey => {
    const key = provider.loadPublicKey(spki);
    spkiOf.set(key, spki);
    return key;
  };
  const verify = (key: PublicKey, scheme: number, data: Uint8Array, signature: Uint8Array): boolean => {
    const spki = spkiOf.get(key);
    if (spki !== undefined && confirmed.get(signature)?.some((c) => c.spki === spki && c.scheme === scheme && c.data === data)) return true;
    return provider.verify(key, scheme, data, signature);
  };
  return new Proxy(provider, {
    get(target, property) {
      if (property === 'loadPublicKey') return loadPublicKey;
      if (property === 'verify') return verify;
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
