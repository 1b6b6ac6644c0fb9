// AES-CCM on both providers: published vectors (Wycheproof's AES-128-CCM with the 12-byte nonce and 16-byte
// tag of TLS_AES_128_CCM_SHA256, NIST SP 800-38C Example 3 with the 12-byte nonce and 8-byte tag of
// TLS_AES_128_CCM_8_SHA256, RFC 3610 Packet Vector #1), each opened again and refused once any bit of the
// tag, the ciphertext or the associated data is flipped; then one provider seals and the other opens, at
// TLS record sizes and with associated data long enough for the 6-byte length encoding.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ccmOpen, ccmSeal } from './ccm.js';
import { NodeCryptoProvider } from './node.js';
import { PortableCryptoProvider } from './portable.js';
import type { AeadAlgorithm, CryptoProvider } from './provider.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface Vector {
  readonly source: string;
  readonly algorithm: 'AES-128-CCM' | 'AES-128-CCM-8';
  readonly key: string;
  readonly nonce: string;
  readonly aad: string;
  readonly plaintext: string;
  /** Ciphertext followed by the tag. */
  readonly sealed: string;
}

const vectors: readonly Vector[] = [
  {
    source: 'Wycheproof aes_ccm_test tcId 1 (empty)',
    algorithm: 'AES-128-CCM',
    key: 'bedcfb5a011ebc84600fcb296c15af0d', nonce: '438a547a94ea88dce46c6c85', aad: '', plaintext: '',
    sealed: '25d1a38495a7dea45bda049705627d10',
  },
  {
    source: 'Wycheproof aes_ccm_test tcId 2 (one byte)',
    algorithm: 'AES-128-CCM',
    key: '384ea416ac3c2f51a76e7d8226346d4e', nonce: 'b30c084727ad1c592ac21d12', aad: '', plaintext: '35',
    sealed: 'd7' + '6be3fd13b7065afc19e3b8a3b96b39fb',
  },
  {
    source: 'Wycheproof aes_ccm_test tcId 9 (65-byte message)',
    algorithm: 'AES-128-CCM',
    key: '42e38abef2dd7573248c5aefb3ecca54', nonce: '064b3cfbe04d94d4d5c19b30', aad: '',
    plaintext: '2c763b9ec84903bcbb8aec15e678a3a955e4870edbf62d9d3c81c4f9ed6154877875779ca33cce8f73a55ca7af1d8d817fc6baac00ef962c5a0da339ce81427a3d59',
    sealed: '4ca01b5b2a5e57bcc1a4b7f63f049dc477e3ee2e5c268efb346ff95b7dcd67f86ed0f11bb17c1dd7fb511d2f37b9684550c0d84be0f10030ccc4e0de5b74ef92ea54' + 'c5a57dd6fa16aa9de8de20e6bd321396',
  },
  {
    source: 'Wycheproof aes_ccm_test tcId 11 (8-byte AAD, one block)',
    algorithm: 'AES-128-CCM',
    key: '9415f925bcb41dc25e86c826dbc8bf68', nonce: 'bdffaa763b916ff0ee3f3ce4', aad: '705d676cd8a94451',
    plaintext: 'feb36167eafc02c8e2bd6e13817686ba', sealed: '08db327a88be7b48f430fd7bfccdf502' + 'b7c249f810adacf99abded1f3b9130f2',
  },
  {
    source: 'Wycheproof aes_ccm_test tcId 21 (65-byte AAD, no message)',
    algorithm: 'AES-128-CCM',
    key: '649f3dfddbf1af6087674568e2e6d7c3', nonce: '6ca6f87b7a8584df4f4687b9',
    aad: '35312ca23e4eb36cb0a66c6f386b8ec29f6d11e82fbfcaadfd6cbc9b59d51a6c0270868274d91f60978d1f0f37280930d3fdcb3e90ea461eccc83fa0d975548816',
    plaintext: '', sealed: '3daa0003de384d78443ffd3a5ea48179',
  },
  {
    source: 'Wycheproof aes_ccm_test tcId 36 (16-byte AAD, 17-byte message)',
    algorithm: 'AES-128-CCM',
    key: 'e3d3ec41f28eb35fb53f5fa91804e051', nonce: '89d270fc8b583bc631cefd39', aad: '3d2f458c67c5b6c794b1f12dad409e0f',
    plaintext: '847acf521995b33f8bc474c8befbca3bb2', sealed: '28aaec53493cd6252cf6410ed141bdafb7' + '47bf3e16c227ca11fd68a16d407c2cc3',
  },
  {
    source: 'NIST SP 800-38C Example 3 (12-byte nonce, 8-byte tag)',
    algorithm: 'AES-128-CCM-8',
    key: '404142434445464748494a4b4c4d4e4f', nonce: '101112131415161718191a1b', aad: '000102030405060708090a0b0c0d0e0f10111213',
    plaintext: '202122232425262728292a2b2c2d2e2f3031323334353637',
    sealed: 'e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5' + '484392fbc1b09951',
  },
  {
    source: 'RFC 3610 Packet Vector #1 (13-byte nonce, 8-byte tag)',
    algorithm: 'AES-128-CCM-8',
    key: 'c0c1c2c3c4c5c6c7c8c9cacbcccdcecf', nonce: '00000003020100a0a1a2a3a4a5', aad: '0001020304050607',
    plaintext: '08090a0b0c0d0e0f101112131415161718191a1b1c1d1e',
    sealed: '588c979a61c663d2f066d0c2c0f989806d5f6b61dac384' + '17e8d12cfdf926e0',
  },
];

const providers: readonly [string, CryptoProvider][] = [
  ['portable', new PortableCryptoProvider()],
  ['node', new NodeCryptoProvider()],
];

/** Every single-bit flip of `bytes`, one at a time (sampled to at most 64 positions). */
function* flipped(bytes: Uint8Array): Generator<Uint8Array> {
  const bits = bytes.length * 8;
  const step = Math.max(1, Math.floor(bits / 64));
  for (let bit = 0; bit < bits; bit += step) {
    const copy = bytes.slice();
    copy[bit >>> 3]! ^= 1 << (bit & 7);
    yield copy;
  }
}

describe('AES-CCM: published vectors on both providers', () => {
  for (const [name, provider] of providers) {
    for (const v of vectors) {
      it(`${name}: ${v.source}`, () => {
        const aead = provider.aead(v.algorithm, hex(v.key));
        const [nonce, aad, plaintext, sealed] = [hex(v.nonce), hex(v.aad), hex(v.plaintext), hex(v.sealed)];
        assert.equal(toHex(aead.seal(nonce, aad, plaintext)), v.sealed);
        assert.equal(toHex(aead.open(nonce, aad, sealed) ?? new Uint8Array([0xde, 0xad])), v.plaintext);
        for (const bad of flipped(sealed)) assert.equal(aead.open(nonce, aad, bad), null, 'a flipped ciphertext or tag bit is refused');
        if (aad.length > 0) for (const bad of flipped(aad)) assert.equal(aead.open(nonce, bad, sealed), null, 'a flipped AAD bit is refused');
        assert.equal(aead.open(nonce, aad, sealed.subarray(0, sealed.length - 1)), null, 'a shortened tag is refused');
      });
    }
  }
});

describe('AES-CCM: one provider seals, the other opens', () => {
  const portable = providers[0]![1];
  const node = providers[1]![1];
  const random = (n: number): Uint8Array => portable.random(n);
  for (const algorithm of ['AES-128-CCM', 'AES-128-CCM-8'] as const satisfies readonly AeadAlgorithm[]) {
    it(`${algorithm}: TLS 1.3 record sizes (0 to 2^14 + 256 bytes) and a 70 000-byte AAD`, () => {
      const key = random(16);
      const cases: [number, number][] = [[0, 5], [1, 5], [15, 5], [16, 5], [17, 5], [1000, 13], [2 ** 14 + 256, 5], [33, 70_000]];
      for (const [length, aadLength] of cases) {
        const nonce = random(12);
        const aad = random(aadLength);
        const plaintext = random(length);
        for (const [from, to] of [[portable, node], [node, portable]] as const) {
          const sealed = from.aead(algorithm, key).seal(nonce, aad, plaintext);
          assert.equal(sealed.length, length + (algorithm === 'AES-128-CCM' ? 16 : 8));
          const opened = to.aead(algorithm, key).open(nonce, aad, sealed);
          assert.ok(opened !== null && toHex(opened) === toHex(plaintext), `${from.name} → ${to.name}, ${length} bytes, ${aadLength}-byte AAD`);
        }
      }
    });
  }

  it('parameters outside CCM are refused: nonce of 6 or 14 bytes, odd or too long a tag', () => {
    const key = new Uint8Array(16);
    assert.throws(() => ccmSeal(key, new Uint8Array(6), new Uint8Array(0), new Uint8Array(1), 16), RangeError);
    assert.throws(() => ccmSeal(key, new Uint8Array(14), new Uint8Array(0), new Uint8Array(1), 16), RangeError);
    assert.throws(() => ccmSeal(key, new Uint8Array(12), new Uint8Array(0), new Uint8Array(1), 7), RangeError);
    assert.throws(() => ccmSeal(key, new Uint8Array(12), new Uint8Array(0), new Uint8Array(1), 18), RangeError);
    // A 13-byte nonce leaves 2 bytes for the length: 65 536 bytes do not fit.
    assert.throws(() => ccmSeal(key, new Uint8Array(13), new Uint8Array(0), new Uint8Array(65_536), 16), RangeError);
    assert.equal(ccmOpen(key, new Uint8Array(12), new Uint8Array(0), new Uint8Array(7), 8), null, 'shorter than the tag');
  });
});
