// Published test vectors, run against every provider (test/providers.ts): the hashes of FIPS 180-4
// and RFC 1321, HMAC (RFC 4231, RFC 2202), AES-GCM (the GCM specification's test cases 4 and 16),
// ChaCha20-Poly1305 (RFC 8439), AES-CBC (RFC 3602), Ed25519 (RFC 8032) and ECDSA P-256 (RFC 6979).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testProviders } from '../../test/providers.js';
import { SignatureScheme } from '../wire/enums.js';
import { der } from '../x509/der.js';
import type { HashAlgorithm } from './provider.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

const abc: Record<HashAlgorithm, string> = {
  md5: '900150983cd24fb0d6963f7d28e17f72',
  sha1: 'a9993e364706816aba3e25717850c26c9cd0d89d',
  sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  sha384: 'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
  sha512: 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
};

/** RFC 4231 test case 1 (key 0x0b x 20, "Hi There") and RFC 2202 test case 1 for MD5 (key 0x0b x 16) and SHA-1. */
const hiThere: Record<HashAlgorithm, [number, string]> = {
  md5: [16, '9294727a3638bb1c13f48ef8158bfc9d'],
  sha1: [20, 'b617318655057264e28bc0b6fb378c8ef146be00'],
  sha256: [20, 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
  sha384: [20, 'afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6'],
  sha512: [20, '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854'],
};

/** RFC 4231 test case 2 ("Jefe") and RFC 2202 test case 2. */
const jefe: Record<HashAlgorithm, string> = {
  md5: '750c783e6ab0b503eaa86e310a5db738',
  sha1: 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79',
  sha256: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  sha384: 'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649',
  sha512: '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
};

// The GCM specification (McGrew and Viega, 2005), test cases 4 (AES-128) and 16 (AES-256).
const gcmPlaintext = hex(
  'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
);
const gcmAad = hex('feedfacedeadbeeffeedfacedeadbeefabaddad2');
const gcmIv = hex('cafebabefacedbaddecaf888');
const gcmCases = [
  {
    algorithm: 'AES-128-GCM',
    key: 'feffe9928665731c6d6a8f9467308308',
    ciphertext: '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091',
    tag: '5bc94fbc3221a5db94fae95ae7121a47',
  },
  {
    algorithm: 'AES-256-GCM',
    key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308',
    ciphertext: '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
    tag: '76fc6ece0f4e1768cddf8853bb2d551b',
  },
] as const;

// RFC 8032 Section 7.1, tests 1 and 2.
const ed25519Cases = [
  {
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
];

for (const provider of testProviders) {
  describe(`${provider.name} provider: published vectors`, () => {
    it('hashes of "abc" (FIPS 180-4 examples, RFC 1321 Appendix A.5), one-shot and running, read midway and cloned', () => {
      for (const [algorithm, expected] of Object.entries(abc) as [HashAlgorithm, string][]) {
        assert.equal(toHex(provider.hash(algorithm, ascii('abc'))), expected, algorithm);
        const h = provider.createHash(algorithm);
        h.update(ascii('a'));
        const fork = h.clone();
        assert.equal(toHex(h.digest()), toHex(provider.hash(algorithm, ascii('a'))), `${algorithm}: digest midway`);
        h.update(ascii('bc'));
        assert.equal(toHex(h.digest()), expected, `${algorithm}: digest leaves the context usable`);
        fork.update(ascii('bc'));
        assert.equal(toHex(fork.digest()), expected, `${algorithm}: the clone is independent`);
      }
    });

    it('HMAC: RFC 4231 test cases 1 and 2, RFC 2202 test cases 1 and 2 (MD5, SHA-1)', () => {
      for (const [algorithm, [keyLength, expected]] of Object.entries(hiThere) as [HashAlgorithm, [number, string]][]) {
        assert.equal(toHex(provider.hmac(algorithm, new Uint8Array(keyLength).fill(0x0b), ascii('Hi There'))), expected, `${algorithm} case 1`);
        assert.equal(toHex(provider.hmac(algorithm, ascii('Jefe'), ascii('what do ya want for nothing?'))), jefe[algorithm], `${algorithm} case 2`);
      }
    });

    it('HMAC: RFC 4231 test case 6, a key longer than the block (131 bytes of 0xaa)', () => {
      const key = new Uint8Array(131).fill(0xaa);
      const data = ascii('Test Using Larger Than Block-Size Key - Hash Key First');
      assert.equal(toHex(provider.hmac('sha256', key, data)), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54');
    });

    for (const c of gcmCases) {
      it(`${c.algorithm}: the GCM specification's test case ${c.algorithm === 'AES-128-GCM' ? 4 : 16}, sealed, opened, and refused when changed`, () => {
        const aead = provider.aead(c.algorithm, hex(c.key));
        const sealed = aead.seal(gcmIv, gcmAad, gcmPlaintext);
        assert.equal(toHex(sealed), c.ciphertext + c.tag);
        assert.equal(toHex(aead.open(gcmIv, gcmAad, sealed)!), toHex(gcmPlaintext));
        const bad = sealed.slice();
        bad[5]! ^= 1;
        assert.equal(aead.open(gcmIv, gcmAad, bad), null);
        assert.equal(aead.open(gcmIv, gcmAad.subarray(1), sealed), null);
        assert.equal(aead.open(gcmIv, gcmAad, sealed.subarray(0, 15)), null);
      });
    }

    it('ChaCha20-Poly1305: RFC 8439 Section 2.8.2', () => {
      const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
      const nonce = hex('070000004041424344454647');
      const aad = hex('50515253c0c1c2c3c4c5c6c7');
      const plaintext = ascii("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
      const sealed = provider.aead('CHACHA20-POLY1305', key).seal(nonce, aad, plaintext);
      assert.equal(toHex(sealed.subarray(0, 16)), 'd31a8d34648e60db7b86afbc53ef7ec2');
      assert.equal(toHex(sealed.subarray(sealed.length - 16)), '1ae10b594f09e26a7e902ecbd0600691');
      assert.deepEqual(provider.aead('CHACHA20-POLY1305', key).open(nonce, aad, sealed), plaintext);
      const bad = sealed.slice();
      bad[bad.length - 1]! ^= 1;
      assert.equal(provider.aead('CHACHA20-POLY1305', key).open(nonce, aad, bad), null);
    });

    it('AES-128-CBC: RFC 3602 Section 4, cases 1 and 2, without padding', () => {
      const c1 = provider.cbc('AES-128-CBC', hex('06a9214036b8a15b512e03d534120006'));
      const iv1 = hex('3dafba429d9eb430b422da802c9fac41');
      assert.equal(toHex(c1.encrypt(iv1, ascii('Single block msg'))), 'e353779c1079aeb82708942dbe77181a');
      assert.deepEqual(c1.decrypt(iv1, hex('e353779c1079aeb82708942dbe77181a')), ascii('Single block msg'));
      const c2 = provider.cbc('AES-128-CBC', hex('c286696d887c9aa0611bbb3e2025a45a'));
      const iv2 = hex('562e17996d093d28ddb3ba695a2e6f58');
      const p2 = Uint8Array.from({ length: 32 }, (_, i) => i);
      const expected = 'd296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1';
      assert.equal(toHex(c2.encrypt(iv2, p2)), expected);
      assert.deepEqual(c2.decrypt(iv2, hex(expected)), p2);
    });

    it('Ed25519: RFC 8032 Section 7.1 tests 1 and 2, the key loaded from PKCS#8 (RFC 8410)', () => {
      for (const c of ed25519Cases) {
        const key = provider.loadPrivateKey(der.sequence(der.smallInteger(0), der.sequence(der.oid('1.3.101.112')), der.octetString(der.octetString(hex(c.secret)))));
        assert.equal(key.algorithm, 'ed25519');
        assert.equal(toHex(key.spki.subarray(key.spki.length - 32)), c.public);
        assert.equal(toHex(provider.sign(key, SignatureScheme.ed25519, hex(c.message))), c.signature);
        const publicKey = provider.loadPublicKey(key.spki);
        assert.equal(provider.verify(publicKey, SignatureScheme.ed25519, hex(c.message), hex(c.signature)), true);
        assert.equal(provider.verify(publicKey, SignatureScheme.ed25519, Uint8Array.of(1), hex(c.signature)), false);
      }
    });

    it('ECDSA P-256 with SHA-256: RFC 6979 Appendix A.2.5, "sample", verifies; a changed s does not', () => {
      const point = hex(
        '04 60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6 7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299',
      );
      const spki = der.sequence(der.sequence(der.oid('1.2.840.10045.2.1'), der.oid('1.2.840.10045.3.1.7')), der.bitString(point));
      const key = provider.loadPublicKey(spki);
      assert.equal(key.algorithm, 'ec');
      const r = hex('efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716');
      const s = hex('f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8');
      const signature = der.sequence(der.unsignedInteger(r), der.unsignedInteger(s));
      assert.equal(provider.verify(key, SignatureScheme.ecdsa_secp256r1_sha256, ascii('sample'), signature), true);
      const s2 = s.slice();
      s2[31]! ^= 1;
      assert.equal(provider.verify(key, SignatureScheme.ecdsa_secp256r1_sha256, ascii('sample'), der.sequence(der.unsignedInteger(r), der.unsignedInteger(s2))), false);
      assert.equal(provider.verify(key, SignatureScheme.ecdsa_secp256r1_sha256, ascii('test'), signature), false);
    });
  });
}
