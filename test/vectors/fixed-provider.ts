// A deterministic crypto provider for replaying recorded handshakes (RFC 8448):
// a base provider (node:crypto by default, or the portable one) for everything,
// except that random() gives scripted bytes and the x25519 key shares are built
// from fixed private keys, by the base provider's own X25519. Signatures still
// come from the base provider (its RSA-PSS salt is not pinned).

import * as crypto from 'node:crypto';
import type {
  Aead, AeadAlgorithm, CbcAlgorithm, CbcCipher, CryptoProvider, HashAlgorithm, HashContext, KeyShare, PrivateKey, PublicKey,
} from '../../src/crypto/provider.js';
import { nodeCryptoProvider } from '../../src/crypto/node.js';
import { montgomeryKeyShare } from '../../src/crypto/portable.js';
import { TlsError } from '../../src/errors.js';
import { NamedGroup } from '../../src/wire/enums.js';

const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

/** An X25519 private key object from its 32 raw bytes (the public half is derived). */
export function x25519PrivateKey(privateKey: Uint8Array): crypto.KeyObject {
  // node needs x in a JWK private key; derive it from a throwaway import through PKCS#8.
  // PKCS#8 for X25519 (RFC 8410): a fixed 16-byte prefix, then the 32-byte key.
  const prefix = Buffer.from('302e020100300506032b656e04220420', 'hex');
  return crypto.createPrivateKey({ key: Buffer.concat([prefix, Buffer.from(privateKey)]), format: 'der', type: 'pkcs8' });
}

/** The raw 32-byte X25519 public key of a private key object. */
export function x25519PublicKey(privateKey: crypto.KeyObject): Uint8Array {
  return new Uint8Array(Buffer.from(privateKey.export({ format: 'jwk' }).x!, 'base64url'));
}

/** RFC 7748 X25519 between a fixed private key and a peer's raw public key. */
function x25519(privateKey: crypto.KeyObject, peer: Uint8Array): Uint8Array {
  if (peer.length !== 32) throw new TlsError('illegal_parameter', 'X25519 public key is not 32 bytes');
  const publicKey = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(peer) }, format: 'jwk' });
  return new Uint8Array(crypto.diffieHellman({ privateKey, publicKey }));
}

export interface FixedScript {
  /**
   * The bytes random() returns, one entry per call, in order. A call whose
   * length differs from the next entry's throws, so a change in the order the
   * engine draws randomness shows at once. After the script, random() returns
   * bytes from a seeded SHA-256 counter stream (still deterministic).
   */
  readonly random?: readonly Uint8Array[];
  /** The private key behind every x25519 share this provider makes or answers with. */
  readonly x25519PrivateKey?: Uint8Array;
  /** The provider behind everything not scripted; node:crypto by default. */
  readonly base?: CryptoProvider;
}

/** The deterministic provider; `randomCalls` records the length of every random() call. */
export class FixedProvider implements CryptoProvider {
  readonly name: string;
  readonly randomCalls: number[] = [];
  private readonly script: Uint8Array[];
  private readonly x25519Key: Uint8Array | undefined;
  private counter = 0;
  private readonly base: CryptoProvider;

  constructor(script: FixedScript = {}) {
    this.script = (script.random ?? []).map((b) => b.slice());
    this.x25519Key = script.x25519PrivateKey?.slice();
    this.base = script.base ?? nodeCryptoProvider;
    this.name = `fixed (tests, ${this.base.name})`;
  }

  /** The fixed X25519 share, computed by the base provider's kind of X25519. */
  private fixedShare(key: Uint8Array): KeyShare {
    if (this.base !== nodeCryptoProvider) return montgomeryKeyShare(NamedGroup.x25519, key);
    const keyObject = x25519PrivateKey(key);
    return { group: NamedGroup.x25519, publicKey: x25519PublicKey(keyObject), agree: (peer) => x25519(keyObject, peer) };
  }

  /** How many scripted random() entries are still unused. */
  get scriptLeft(): number {
    return this.script.length;
  }

  random(length: number): Uint8Array {
    this.randomCalls.push(length);
    const next = this.script.shift();
    if (next) {
      if (next.length !== length) throw new Error(`random(${length}) called where the script has ${next.length} bytes next`);
      return next.slice();
    }
    const out = new Uint8Array(length);
    for (let filled = 0; filled < length; filled += 32) {
      const block = crypto.createHash('sha256').update(`typetls fixed provider ${this.counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, length - filled)), filled);
    }
    return out;
  }

  hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array {
    return this.base.hash(algorithm, data);
  }
  createHash(algorithm: HashAlgorithm): HashContext {
    return this.base.createHash(algorithm);
  }
  hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
    return this.base.hmac(algorithm, key, data);
  }
  aead(algorithm: AeadAlgorithm, key: Uint8Array): Aead {
    return this.base.aead(algorithm, key);
  }
  cbc(algorithm: CbcAlgorithm, key: Uint8Array): CbcCipher {
    return this.base.cbc(algorithm, key);
  }
  supportedGroups(): readonly number[] {
    return this.base.supportedGroups();
  }

  generateKeyShare(group: number): KeyShare {
    const key = this.x25519Key;
    if (group !== NamedGroup.x25519 || !key) return this.base.generateKeyShare(group);
    return this.fixedShare(key);
  }

  generateDhKeyShare(p: Uint8Array, g: Uint8Array): KeyShare {
    return this.base.generateDhKeyShare(p, g);
  }

  acceptKeyShare(group: number, clientShare: Uint8Array): { publicKey: Uint8Array; sharedSecret: Uint8Array } {
    const key = this.x25519Key;
    if (group !== NamedGroup.x25519 || !key) return this.base.acceptKeyShare(group, clientShare);
    const share = this.fixedShare(key);
    return { publicKey: share.publicKey, sharedSecret: share.agree(clientShare) };
  }

  loadPrivateKey(key: string | Uint8Array): PrivateKey {
    return this.base.loadPrivateKey(key);
  }
  loadPublicKey(spki: Uint8Array): PublicKey {
    return this.base.loadPublicKey(spki);
  }
  sign(key: PrivateKey, scheme: number, data: Uint8Array): Uint8Array {
    return this.base.sign(key, scheme, data);
  }
  verify(key: PublicKey, scheme: number, data: Uint8Array, signature: Uint8Array): boolean {
    return this.base.verify(key, scheme, data, signature);
  }
  rsaEncryptPkcs1(key: PublicKey, data: Uint8Array): Uint8Array {
    return this.base.rsaEncryptPkcs1(key, data);
  }
  rsaDecryptRaw(key: PrivateKey, ciphertext: Uint8Array): Uint8Array | null {
    return this.base.rsaDecryptRaw(key, ciphertext);
  }
}

/** The RSA private key of RFC 8448 Section 2 as DER PKCS#8, for CryptoProvider.loadPrivateKey. */
export function rsaPkcs8(key: {
  modulus: Uint8Array; publicExponent: Uint8Array; privateExponent: Uint8Array; prime1: Uint8Array; prime2: Uint8Array;
  exponent1: Uint8Array; exponent2: Uint8Array; coefficient: Uint8Array;
}): Uint8Array {
  const keyObject = crypto.createPrivateKey({
    key: {
      kty: 'RSA',
      n: b64url(key.modulus),
      e: b64url(key.publicExponent),
      d: b64url(key.privateExponent),
      p: b64url(key.prime1),
      q: b64url(key.prime2),
      dp: b64url(key.exponent1),
      dq: b64url(key.exponent2),
      qi: b64url(key.coefficient),
    },
    format: 'jwk',
  });
  return new Uint8Array(keyObject.export({ format: 'der', type: 'pkcs8' }));
}
