// The portable provider on its own and against node:crypto: RFC 7748 (X25519 and X448), every key
// exchange group in both directions, every signature scheme signed by one provider and verified by
// the other, RSA encryption and raw decryption, key loading in each of its forms, refusals, and
// that the provider's source imports nothing from node.

import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { TlsError } from '../errors.js';
import { NamedGroup, SignatureScheme } from '../wire/enums.js';
import { NodeCryptoProvider } from './node.js';
import { montgomeryKeyShare, PortableCryptoProvider } from './portable.js';
import { RSA_PKCS1_MD5_SHA1, type CryptoProvider } from './provider.js';
import { modInverse, modPow, rsaPrivate } from './rsa.js';

const portable = new PortableCryptoProvider();
const node = new NodeCryptoProvider();
const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const isTlsError = (kind: string) => (e: unknown) => e instanceof TlsError && e.kind === kind;

describe('portable provider: X25519 and X448 (RFC 7748)', () => {
  it('RFC 7748 Section 6.1: Alice and Bob\'s X25519 keys and shared secret', () => {
    const alice = montgomeryKeyShare(NamedGroup.x25519, hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
    const bob = montgomeryKeyShare(NamedGroup.x25519, hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
    assert.equal(toHex(alice.publicKey), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    assert.equal(toHex(bob.publicKey), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    assert.equal(toHex(alice.agree(bob.publicKey)), shared);
    assert.equal(toHex(bob.agree(alice.publicKey)), shared);
  });

  it('RFC 7748 Section 6.2: Alice and Bob\'s X448 keys and shared secret', () => {
    const alice = montgomeryKeyShare(
      NamedGroup.x448,
      hex('9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf574a9419744897391006382a6f127ab1d9ac2d8c0a598726b'),
    );
    const bob = montgomeryKeyShare(
      NamedGroup.x448,
      hex('1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d6927c120bb5ee8972b0d3e21374c9c921b09d1b0366f10b65173992d'),
    );
    assert.equal(toHex(alice.publicKey), '9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bbc836647241d953d40c5b12da88120d53177f80e532c41fa0');
    assert.equal(toHex(bob.publicKey), '3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b43027d8b972fc3e34fb4232a13ca706dcb57aec3dae07bdc1c67bf33609');
    const shared = '07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56fd2464c335543936521c24403085d59a449a5037514a879d';
    assert.equal(toHex(alice.agree(bob.publicKey)), shared);
    assert.equal(toHex(bob.agree(alice.publicKey)), shared);
  });

  it('a low-order point (u = 0, u = 1) or a share of the wrong length is illegal_parameter', () => {
    for (const [group, size] of [[NamedGroup.x25519, 32], [NamedGroup.x448, 56]] as const) {
      const share = portable.generateKeyShare(group);
      const one = new Uint8Array(size);
      one[0] = 1;
      for (const peer of [new Uint8Array(size), one, new Uint8Array(size - 1), new Uint8Array(size + 1)]) {
        assert.throws(() => share.agree(peer), isTlsError('illegal_parameter'), `group 0x${group.toString(16)}, ${peer.length} bytes`);
      }
    }
  });
});

describe('portable provider: key exchange against node:crypto', () => {
  const shared = portable.supportedGroups().filter((g) => node.supportedGroups().includes(g));

  it('offers every group the node provider offers', () => {
    assert.deepEqual([...node.supportedGroups()].filter((g) => !shared.includes(g)), []);
  });

  for (const group of [...new Set([...shared])]) {
    it(`group 0x${group.toString(16)}: client on one provider, server on the other, both ways`, () => {
      for (const [client, server] of [[portable, node], [node, portable], [portable, portable]] as [CryptoProvider, CryptoProvider][]) {
        const share = client.generateKeyShare(group);
        const answer = server.acceptKeyShare(group, share.publicKey);
        assert.equal(toHex(share.agree(answer.publicKey)), toHex(answer.sharedSecret), `${client.name} → ${server.name}`);
      }
    });
  }

  it('NIST curves: a point off the curve, a compressed point, or the wrong length is illegal_parameter', () => {
    for (const group of [NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.secp521r1]) {
      const share = portable.generateKeyShare(group);
      const good = node.generateKeyShare(group).publicKey;
      const offCurve = good.slice();
      offCurve[offCurve.length - 1]! ^= 1;
      const compressed = Uint8Array.of(2 + (good[good.length - 1]! & 1), ...good.subarray(1, 1 + (good.length - 1) / 2));
      for (const peer of [offCurve, compressed, good.subarray(1), new Uint8Array(good.length)]) {
        assert.throws(() => share.agree(peer), isTlsError('illegal_parameter'));
      }
      assert.equal(share.agree(good).length, (good.length - 1) / 2);
    }
  });

  it('X25519MLKEM768: a client share of the wrong length, or a bad server share length, is illegal_parameter', () => {
    assert.throws(() => portable.acceptKeyShare(NamedGroup.X25519MLKEM768, new Uint8Array(1184)), isTlsError('illegal_parameter'));
    const share = portable.generateKeyShare(NamedGroup.X25519MLKEM768);
    assert.throws(() => share.agree(new Uint8Array(1088)), isTlsError('illegal_parameter'));
  });

  it('TLS 1.2 DHE over a server\'s own prime agrees with node:crypto; 0, 1 and p-1 are refused', () => {
    const dh = crypto.createDiffieHellman(1024);
    const [p, g] = [new Uint8Array(dh.getPrime()), new Uint8Array(dh.getGenerator())];
    const mine = portable.generateDhKeyShare(p, g);
    const theirs = node.generateDhKeyShare(p, g);
    assert.equal(toHex(mine.agree(theirs.publicKey)), toHex(theirs.agree(mine.publicKey)));
    const pMinusOne = p.slice();
    pMinusOne[pMinusOne.length - 1]! -= 1;
    for (const bad of [Uint8Array.of(0), Uint8Array.of(1), pMinusOne, p]) assert.throws(() => mine.agree(bad), isTlsError('illegal_parameter'));
  });

  it('FFDHE in TLS 1.3: a public value shorter than p is illegal_parameter (RFC 8446 Section 4.2.8.1)', () => {
    const share = portable.generateKeyShare(NamedGroup.ffdhe2048);
    assert.equal(share.publicKey.length, 256);
    assert.throws(() => share.agree(share.publicKey.subarray(1)), isTlsError('illegal_parameter'));
  });
});

/** Keys made by node:crypto, exported as PEM in each form the provider reads. */
function keyPair(type: string, options: object): { pems: string[]; pkcs8Der: Uint8Array; spki: Uint8Array } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync(type as 'rsa', options as crypto.RSAKeyPairOptions<'pem', 'pem'>) as unknown as {
    privateKey: crypto.KeyObject;
    publicKey: crypto.KeyObject;
  };
  const forms = type === 'rsa' ? ['pkcs8', 'pkcs1'] : type === 'ec' ? ['pkcs8', 'sec1'] : ['pkcs8'];
  return {
    pems: forms.map((f) => privateKey.export({ format: 'pem', type: f as 'pkcs8' }) as string),
    pkcs8Der: new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' })),
    spki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
  };
}

const S = SignatureScheme;
const signatureCases: { name: string; type: string; options: object; schemes: number[] }[] = [
  {
    name: 'RSA-2048',
    type: 'rsa',
    options: { modulusLength: 2048 },
    schemes: [
      S.rsa_pkcs1_sha1, S.rsa_pkcs1_sha256, S.rsa_pkcs1_sha384, S.rsa_pkcs1_sha512, RSA_PKCS1_MD5_SHA1,
      S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384, S.rsa_pss_rsae_sha512,
    ],
  },
  // An odd modulus length: emBits is not a multiple of 8 for PSS.
  { name: 'RSA-1025', type: 'rsa', options: { modulusLength: 1025 }, schemes: [S.rsa_pkcs1_sha256, S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384] },
  { name: 'RSA-PSS (id-RSASSA-PSS key)', type: 'rsa-pss', options: { modulusLength: 2048 }, schemes: [S.rsa_pss_pss_sha256, S.rsa_pss_pss_sha384, S.rsa_pss_pss_sha512] },
  { name: 'ECDSA P-256', type: 'ec', options: { namedCurve: 'P-256' }, schemes: [S.ecdsa_secp256r1_sha256, S.ecdsa_sha1, S.ecdsa_secp384r1_sha384] },
  { name: 'ECDSA P-384', type: 'ec', options: { namedCurve: 'P-384' }, schemes: [S.ecdsa_secp384r1_sha384, S.ecdsa_secp256r1_sha256] },
  { name: 'ECDSA P-521', type: 'ec', options: { namedCurve: 'P-521' }, schemes: [S.ecdsa_secp521r1_sha512, S.ecdsa_secp256r1_sha256] },
  { name: 'Ed25519', type: 'ed25519', options: {}, schemes: [S.ed25519] },
];

describe('portable provider: signatures against node:crypto', () => {
  for (const c of signatureCases) {
    it(`${c.name}: every form loads with node's SubjectPublicKeyInfo and size; each scheme signed by one provider verifies with the other`, () => {
      const k = keyPair(c.type, c.options);
      const nodeKey = node.loadPrivateKey(k.pems[0]!);
      for (const source of [...k.pems, k.pkcs8Der]) {
        const key = portable.loadPrivateKey(source);
        assert.equal(toHex(key.spki), toHex(k.spki), 'SubjectPublicKeyInfo as OpenSSL writes it');
        assert.equal(key.algorithm, nodeKey.algorithm);
        assert.equal(key.bits, nodeKey.bits);
        assert.equal(key.namedCurve, nodeKey.namedCurve);
      }
      const key = portable.loadPrivateKey(k.pems[0]!);
      const mine = portable.loadPublicKey(k.spki);
      const theirs = node.loadPublicKey(k.spki);
      assert.equal(mine.algorithm, theirs.algorithm);
      assert.equal(mine.bits, theirs.bits);
      for (const scheme of c.schemes) {
        const data = crypto.randomBytes(200);
        const byPortable = portable.sign(key, scheme, data);
        const byNode = node.sign(nodeKey, scheme, data);
        const label = `scheme 0x${scheme.toString(16)}`;
        assert.equal(node.verify(theirs, scheme, data, byPortable), true, `${label}: portable signs, node verifies`);
        assert.equal(portable.verify(mine, scheme, data, byNode), true, `${label}: node signs, portable verifies`);
        assert.equal(portable.verify(mine, scheme, data, byPortable), true, `${label}: portable verifies its own`);
        const tampered = byNode.slice();
        tampered[tampered.length >> 1]! ^= 0x10;
        assert.equal(portable.verify(mine, scheme, data, tampered), false, `${label}: a changed signature`);
        assert.equal(portable.verify(mine, scheme, data.subarray(1), byNode), false, `${label}: changed data`);
        assert.equal(portable.verify(mine, scheme, data, byNode.subarray(1)), false, `${label}: a short signature`);
        // PKCS#1 v1.5 signatures are deterministic: both providers give the same bytes.
        if (c.type === 'rsa' && (scheme & 0xff) === 0x01) assert.equal(toHex(byPortable), toHex(byNode), `${label}: identical bytes`);
      }
    });
  }

  it('a scheme that does not fit the key: sign throws internal_error, verify is false', () => {
    const rsa = portable.loadPrivateKey(keyPair('rsa', { modulusLength: 1024 }).pems[0]!);
    const ec = keyPair('ec', { namedCurve: 'P-256' });
    assert.throws(() => portable.sign(rsa, S.ecdsa_secp256r1_sha256, new Uint8Array(1)), isTlsError('internal_error'));
    assert.throws(() => portable.sign(rsa, 0x0999, new Uint8Array(1)), isTlsError('internal_error'));
    const ecKey = portable.loadPrivateKey(ec.pems[0]!);
    const signature = portable.sign(ecKey, S.ecdsa_secp256r1_sha256, new Uint8Array(1));
    assert.equal(portable.verify(portable.loadPublicKey(ec.spki), S.ed25519, new Uint8Array(1), signature), false);
    assert.equal(portable.verify(portable.loadPublicKey(ec.spki), S.rsa_pkcs1_sha256, new Uint8Array(1), signature), false);
    assert.equal(portable.verify(portable.loadPublicKey(ec.spki), S.ecdsa_secp256r1_sha256, new Uint8Array(1), new Uint8Array(0)), false);
  });
});

describe('portable provider: RSA encryption and raw decryption', () => {
  const k = keyPair('rsa', { modulusLength: 2048 });
  const mine = portable.loadPrivateKey(k.pems[1]!);
  const theirs = node.loadPrivateKey(k.pems[0]!);

  it('a pre-master secret encrypted by either provider decrypts to the same bytes with both', () => {
    const pms = crypto.randomBytes(48);
    for (const encrypter of [portable, node]) {
      const ciphertext = encrypter.rsaEncryptPkcs1(encrypter.loadPublicKey(k.spki), pms);
      const a = portable.rsaDecryptRaw(mine, ciphertext)!;
      const b = node.rsaDecryptRaw(theirs, ciphertext)!;
      assert.equal(toHex(a), toHex(b), encrypter.name);
      assert.equal(a.length, 256);
      assert.deepEqual([a[0], a[1], a[256 - 49]], [0, 2, 0], 'EME-PKCS1-v1_5: 00 02 PS 00 M');
      assert.equal(toHex(a.subarray(256 - 48)), toHex(pms));
      assert.ok(a.subarray(2, 256 - 49).every((x) => x !== 0), 'PS has no zero byte');
    }
  });

  it('raw decryption of any number below n matches node:crypto; n itself, a longer or shorter input is null', () => {
    const random = crypto.randomBytes(256);
    random[0] = 0x01;
    assert.equal(toHex(portable.rsaDecryptRaw(mine, random)!), toHex(node.rsaDecryptRaw(theirs, random)!));
    const n = portable.loadPublicKey(k.spki);
    const modulus = (n.handle as { rsa: { n: bigint } }).rsa.n;
    const nBytes = hex(modulus.toString(16).padStart(512, '0'));
    assert.equal(portable.rsaDecryptRaw(mine, nBytes), null);
    assert.equal(portable.rsaDecryptRaw(mine, new Uint8Array(255)), null);
    assert.equal(portable.rsaDecryptRaw(mine, new Uint8Array(257)), null);
    assert.deepEqual(portable.rsaDecryptRaw(mine, new Uint8Array(256)), new Uint8Array(256), '0^d = 0');
  });

  it('the blinded CRT result equals c^d mod n, for the same input drawn with different blinding', () => {
    const priv = (mine.handle as { priv: Parameters<typeof rsaPrivate>[0] }).priv;
    const c = 0x1234567890abcdefn;
    const direct = modPow(c, priv.d, priv.n);
    for (let i = 0; i < 3; i++) assert.equal(rsaPrivate(priv, c, (n) => new Uint8Array(crypto.randomBytes(n))), direct);
    assert.equal((modInverse(65537n, priv.p - 1n) * 65537n) % (priv.p - 1n), 1n);
  });

  it('a faulty CRT half is caught before the result leaves (the private key\'s exponent is wrong)', () => {
    const priv = (mine.handle as { priv: Parameters<typeof rsaPrivate>[0] }).priv;
    const broken = { ...priv, dp: priv.dp + 2n };
    assert.throws(() => rsaPrivate(broken, 12345n, (n) => new Uint8Array(crypto.randomBytes(n))), /consistency check/);
  });

  it('encryption to an even modulus or a modulus too small for the message is bad_certificate', () => {
    const key = portable.loadPublicKey(k.spki);
    assert.throws(() => portable.rsaEncryptPkcs1(key, new Uint8Array(246)), isTlsError('bad_certificate'));
    assert.doesNotThrow(() => portable.rsaEncryptPkcs1(key, new Uint8Array(245)));
  });
});

describe('portable provider: key loading refusals', () => {
  it('a private key that cannot be read is ERR_TLS_UNSUPPORTED_KEY with what was wrong, and no key bytes', () => {
    const rsa = keyPair('rsa', { modulusLength: 1024 });
    const der = rsa.pkcs8Der.slice();
    const cases: [string | Uint8Array, RegExp][] = [
      ['not a key at all', /no PRIVATE KEY/],
      ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', /no PRIVATE KEY/],
      ['-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n', /encrypted/],
      [der.subarray(0, der.length - 1), /malformed key/],
      [Uint8Array.of(...der, 0), /malformed key|trailing/],
      [keyPair('x25519', {}).pkcs8Der, /unsupported private key type 1\.3\.101\.110/],
    ];
    for (const [input, message] of cases) {
      assert.throws(() => portable.loadPrivateKey(input), (e: unknown) => {
        assert.ok(e instanceof TlsError);
        assert.equal(e.code, 'ERR_TLS_UNSUPPORTED_KEY');
        assert.match(e.message, message);
        return true;
      });
    }
  });

  it('an RSA private key whose primes do not give its modulus is refused', () => {
    const other = keyPair('rsa', { modulusLength: 1024 });
    const a = crypto.createPrivateKey(keyPair('rsa', { modulusLength: 1024 }).pems[0]!).export({ format: 'jwk' });
    const b = crypto.createPrivateKey(other.pems[0]!).export({ format: 'jwk' });
    const mixed = crypto.createPrivateKey({ key: { ...a, p: b.p, q: b.q }, format: 'jwk' }).export({ format: 'pem', type: 'pkcs1' }) as string;
    assert.throws(() => portable.loadPrivateKey(mixed), /inconsistent/);
  });

  it('a public key that cannot be read is bad_certificate; unknown types and off-curve points too', () => {
    const ec = keyPair('ec', { namedCurve: 'P-256' }).spki;
    const offCurve = ec.slice();
    offCurve[offCurve.length - 1]! ^= 1;
    for (const spki of [ec.subarray(0, 20), offCurve, keyPair('x25519', {}).spki, keyPair('ec', { namedCurve: 'secp256k1' }).spki, new Uint8Array(0)]) {
      assert.throws(() => portable.loadPublicKey(spki), isTlsError('bad_certificate'));
    }
  });
});

describe('portable provider: runtime neutrality', () => {
  it('random() fills more than the 65536 bytes getRandomValues takes at once', () => {
    const r = portable.random(200_000);
    assert.equal(r.length, 200_000);
    assert.ok(r.subarray(150_000).some((x) => x !== 0));
  });

  it('portable.ts and rsa.ts import no node:* module and use no Buffer or process', () => {
    const root = new URL('../../../', import.meta.url);
    for (const file of ['src/crypto/portable.ts', 'src/crypto/rsa.ts']) {
      const text = readFileSync(new URL(file, root), 'utf8');
      const imports = [...text.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]!);
      assert.ok(imports.length > 0 || file.endsWith('rsa.ts'));
      for (const spec of imports) assert.match(spec, /^(\.\.?\/|@noble\/)/, `${file} imports ${spec}`);
      const code = text.replace(/\/\/.*$/gm, '');
      assert.doesNotMatch(code, /\bBuffer\b|\bprocess\.|\brequire\(/, file);
    }
  });
});
