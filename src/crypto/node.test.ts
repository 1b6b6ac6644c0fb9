// The node provider's two AEAD implementations: the native addon (src/crypto/native/aead.c) and
// node:crypto ciphers. Both must give the same bytes for every algorithm and refuse the same forgeries.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NodeCryptoProvider } from './node.js';
import type { Aead, AeadAlgorithm } from './provider.js';

const nativeProvider = new NodeCryptoProvider();
const plainProvider = new NodeCryptoProvider({ nativeAead: false });

const ALGORITHMS: readonly [AeadAlgorithm, number][] = [['AES-128-GCM', 16], ['AES-256-GCM', 32], ['CHACHA20-POLY1305', 32]];

function hex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

function bytes(n: number, start = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + start) & 0xff);
}

function sealInto(aead: Aead, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, suffix: Uint8Array | undefined): Uint8Array {
  const out = new Uint8Array(3 + plaintext.length + (suffix?.length ?? 0) + 16 + 2).fill(0xee);
  (aead as Aead & { sealInto: (...a: unknown[]) => void }).sealInto(nonce, aad, plaintext, suffix, out, 3);
  return out;
}

describe('node provider AEAD', () => {
  it('uses the native addon (npm install builds it; TYPETLS_NATIVE_AEAD=0 turns it off)', () => {
    const expected = process.env['TYPETLS_NATIVE_AEAD'] === '0' ? 'node:crypto' : 'native';
    assert.equal(nativeProvider.aeadImplementation, expected);
    assert.equal(plainProvider.aeadImplementation, 'node:crypto');
  });

  it('RFC 8439 Section 2.8.2: the ChaCha20-Poly1305 example, in both implementations', () => {
    const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = hex('070000004041424344454647');
    const aad = hex('50515253c0c1c2c3c4c5c6c7');
    const plaintext = new TextEncoder().encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const tag = hex('1ae10b594f09e26a7e902ecbd0600691');
    for (const provider of [nativeProvider, plainProvider]) {
      const sealed = provider.aead('CHACHA20-POLY1305', key).seal(nonce, aad, plaintext);
      assert.deepEqual(sealed.subarray(0, 16), hex('d31a8d34648e60db7b86afbc53ef7ec2'));
      assert.deepEqual(sealed.subarray(sealed.length - 16), tag);
      assert.deepEqual(provider.aead('CHACHA20-POLY1305', key).open(nonce, aad, sealed), plaintext);
    }
  });

  for (const [algorithm, keyLength] of ALGORITHMS) {
    it(`${algorithm}: native and node:crypto agree on seal, sealInto (with a suffix) and open`, () => {
      const key = bytes(keyLength, 1);
      const native = nativeProvider.aead(algorithm, key);
      const plain = plainProvider.aead(algorithm, key);
      for (const length of [0, 1, 15, 16, 17, 1024, 16384 + 1]) {
        const nonce = bytes(12, length);
        const aad = bytes(length % 2 === 0 ? 13 : 0, 3);
        const plaintext = bytes(length, 5);
        const sealed = native.seal(nonce, aad, plaintext);
        assert.deepEqual(sealed, plain.seal(nonce, aad, plaintext), `seal, ${length} bytes`);
        assert.deepEqual(native.open(nonce, aad, sealed), plaintext);
        assert.deepEqual(plain.open(nonce, aad, sealed), plaintext);
        // Record-layer shape: plaintext || inner content type, at an offset, nothing written outside.
        const suffix = Uint8Array.of(23);
        const a = sealInto(native, nonce, aad, plaintext, suffix);
        const b = sealInto(plain, nonce, aad, plaintext, suffix);
        assert.deepEqual(a, b, `sealInto, ${length} bytes`);
        assert.deepEqual(a.subarray(0, 3), Uint8Array.of(0xee, 0xee, 0xee));
        assert.deepEqual(a.subarray(a.length - 2), Uint8Array.of(0xee, 0xee));
      }
    });

    it(`${algorithm}: a changed byte of ciphertext, tag, AAD or nonce, or a short input, is refused by both`, () => {
      const key = bytes(keyLength, 9);
      const nonce = bytes(12, 2);
      const aad = bytes(13, 4);
      const sealed = nativeProvider.aead(algorithm, key).seal(nonce, aad, bytes(100));
      const flip = (b: Uint8Array, i: number): Uint8Array => {
        const c = b.slice();
        c[i]! ^= 0x01;
        return c;
      };
      for (const provider of [nativeProvider, plainProvider]) {
        const aead = provider.aead(algorithm, key);
        assert.equal(aead.open(nonce, aad, flip(sealed, 0)), null, 'ciphertext');
        assert.equal(aead.open(nonce, aad, flip(sealed, sealed.length - 1)), null, 'tag');
        assert.equal(aead.open(nonce, flip(aad, 12), sealed), null, 'aad');
        assert.equal(aead.open(flip(nonce, 11), aad, sealed), null, 'nonce');
        assert.equal(aead.open(nonce, aad, sealed.subarray(0, 15)), null, 'shorter than a tag');
        assert.equal(aead.open(nonce, aad, sealed.subarray(1)), null, 'first byte dropped');
        // The context is still good after a refusal.
        assert.deepEqual(aead.open(nonce, aad, sealed), bytes(100));
      }
    });
  }

  it('the addon refuses wrong sizes instead of touching memory', () => {
    if (nativeProvider.aeadImplementation !== 'native') return assert.equal(process.env['TYPETLS_NATIVE_AEAD'], '0');
    const aead = nativeProvider.aead('AES-128-GCM', bytes(16)) as Aead & {
      sealInto: (n: Uint8Array, a: Uint8Array, p: Uint8Array, s: Uint8Array | undefined, o: Uint8Array, off: number) => void;
    };
    assert.throws(() => nativeProvider.aead('AES-128-GCM', bytes(15)), RangeError);
    assert.throws(() => nativeProvider.aead('CHACHA20-POLY1305', bytes(16)), RangeError);
    assert.throws(() => aead.seal(bytes(8), bytes(0), bytes(10)), RangeError);
    assert.throws(() => aead.sealInto(bytes(12), bytes(0), bytes(10), undefined, new Uint8Array(25), 0), RangeError);
    assert.throws(() => aead.sealInto(bytes(12), bytes(0), bytes(10), undefined, new Uint8Array(30), 5), RangeError);
    assert.throws(() => aead.sealInto(bytes(12), bytes(0), bytes(10), Uint8Array.of(1), new Uint8Array(26), 0), RangeError);
    assert.throws(() => aead.open(bytes(11), bytes(0), bytes(40)), RangeError);
  });
});
