// The node provider's two implementations of record AEAD, HMAC and X25519: the native addon
// (src/crypto/native/crypto.c) and node:crypto. Both must give the same bytes and refuse the same inputs.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NodeCryptoProvider } from './node.js';
import { TlsError } from '../errors.js';
import { NamedGroup } from '../wire/enums.js';
import { ffdheGroup } from '../keys/ffdhe.js';
import { concatBytes as concat } from '../wire/bytes.js';
import type { Aead, AeadAlgorithm, HashAlgorithm } from './provider.js';

const nativeProvider = new NodeCryptoProvider();
const plainProvider = new NodeCryptoProvider({ native: false });

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
  it('uses the native addon (npm install builds it; TYPETLS_NATIVE=0 turns it off)', () => {
    const expected = process.env['TYPETLS_NATIVE'] === '0' ? 'node:crypto' : 'native';
    assert.equal(nativeProvider.implementation, expected);
    assert.equal(plainProvider.implementation, 'node:crypto');
    // The key schedule and the TLS 1.2 PRF come with the addon (an addon built from older sources
    // lacks them, and the tests of the key schedule's program would not run).
    assert.equal(typeof nativeProvider.keySchedule, expected === 'native' ? 'function' : 'undefined');
    assert.equal(typeof nativeProvider.pHash, expected === 'native' ? 'function' : 'undefined');
    assert.equal(plainProvider.keySchedule, undefined);
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
    if (nativeProvider.implementation !== 'native') return assert.equal(process.env['TYPETLS_NATIVE'], '0');
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

describe('node provider HMAC and X25519', () => {
  it('RFC 4231 test case 2 (HMAC-SHA-256/384/512) and RFC 2202 (HMAC-SHA-1, HMAC-MD5), in both implementations', () => {
    const key = new TextEncoder().encode('Jefe');
    const data = new TextEncoder().encode('what do ya want for nothing?');
    const expected: Record<HashAlgorithm, string> = {
      sha256: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
      sha384: 'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649',
      sha512: '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
      sha1: 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79',
      md5: '750c783e6ab0b503eaa86e310a5db738',
    };
    for (const provider of [nativeProvider, plainProvider]) {
      for (const [hash, mac] of Object.entries(expected) as [HashAlgorithm, string][]) {
        assert.deepEqual(provider.hmac(hash, key, data), hex(mac), `${provider.implementation} ${hash}`);
      }
      // A key longer than the block is hashed first (RFC 2104); an empty key and empty data are fine.
      const long = bytes(200, 1);
      assert.deepEqual(provider.hmac('sha256', long, data), plainProvider.hmac('sha256', long, data));
      assert.deepEqual(provider.hmac('sha384', new Uint8Array(0), new Uint8Array(0)), plainProvider.hmac('sha384', new Uint8Array(0), new Uint8Array(0)));
    }
    // Keys on both sides of each hash's block size (64 bytes; 128 for SHA-384 and SHA-512).
    for (const hash of ['sha256', 'sha384', 'sha512', 'sha1', 'md5'] as const) {
      for (const length of [1, 31, 63, 64, 65, 127, 128, 129, 300]) {
        const k = bytes(length, length);
        assert.deepEqual(nativeProvider.hmac(hash, k, data), plainProvider.hmac(hash, k, data), `${hash}, ${length}-byte key`);
      }
    }
  });

  it('hashing: the one-shot and running hashes of the addon (digest mid-way, clone) give the digests of node:crypto', () => {
    for (const hash of ['sha256', 'sha384', 'sha512', 'sha1', 'md5'] as const) {
      for (const length of [0, 1, 55, 64, 129, 1000]) {
        const data = bytes(length, length);
        assert.deepEqual(nativeProvider.hash(hash, data), plainProvider.hash(hash, data), `${hash} of ${length} bytes`);
      }
      const a = nativeProvider.createHash(hash);
      const b = plainProvider.createHash(hash);
      for (const part of [bytes(3, 1), bytes(100, 2), new Uint8Array(0), bytes(64, 3)]) {
        a.update(part);
        b.update(part);
        assert.deepEqual(a.digest(), b.digest(), `${hash} running digest`);
      }
      const c = a.clone();
      c.update(bytes(10, 4));
      a.update(bytes(5, 5));
      b.update(bytes(5, 5));
      assert.deepEqual(a.digest(), b.digest(), `${hash}: the original goes on without the clone's input`);
      assert.deepEqual(c.digest(), plainProvider.hash(hash, concat(bytes(3, 1), bytes(100, 2), bytes(64, 3), bytes(10, 4))), `${hash} clone`);
    }
  });

  it('X25519: both implementations agree with each other, and the shared secrets match (RFC 7748 Section 6.1)', () => {
    for (const [a, b] of [[nativeProvider, plainProvider], [plainProvider, nativeProvider], [nativeProvider, nativeProvider]] as const) {
      const alice = a.generateKeyShare(NamedGroup.x25519);
      const bob = b.generateKeyShare(NamedGroup.x25519);
      assert.equal(alice.publicKey.length, 32);
      assert.deepEqual(alice.agree(bob.publicKey), bob.agree(alice.publicKey));
      const accepted = a.acceptKeyShare(NamedGroup.x25519, bob.publicKey);
      assert.deepEqual(bob.agree(accepted.publicKey), accepted.sharedSecret);
    }
  });

  it('X25519: a low-order point, a short or long share is illegal_parameter in both', () => {
    // RFC 7748 Section 6.1 / libsodium's blocklist: u = 0 and u = 1 give the all-zero secret.
    const lowOrder = [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31))];
    for (const provider of [nativeProvider, plainProvider]) {
      const share = provider.generateKeyShare(NamedGroup.x25519);
      for (const peer of [...lowOrder, bytes(31), bytes(33)]) {
        assert.throws(() => share.agree(peer), (e: unknown) => e instanceof TlsError && e.kind === 'illegal_parameter', `${provider.implementation} ${peer.length}`);
      }
    }
  });

  it('X25519MLKEM768 through the native X25519 interoperates with the node:crypto one', () => {
    const client = nativeProvider.generateKeyShare(NamedGroup.X25519MLKEM768);
    const server = plainProvider.acceptKeyShare(NamedGroup.X25519MLKEM768, client.publicKey);
    assert.deepEqual(client.agree(server.publicKey), server.sharedSecret);
    const client2 = plainProvider.generateKeyShare(NamedGroup.X25519MLKEM768);
    const server2 = nativeProvider.acceptKeyShare(NamedGroup.X25519MLKEM768, client2.publicKey);
    assert.deepEqual(client2.agree(server2.publicKey), server2.sharedSecret);
  });
});

function refusedWith(kind: string, pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => e instanceof TlsError && e.kind === kind && pattern.test(e.message);
}

describe('node provider X448, P-521 and the RFC 7919 groups', () => {
  it('X448: 56-byte shares whose secrets match, both as a client share and as the server answering one (RFC 7748 Section 6.2)', () => {
    const alice = plainProvider.generateKeyShare(NamedGroup.x448);
    const bob = plainProvider.generateKeyShare(NamedGroup.x448);
    assert.equal(alice.group, NamedGroup.x448);
    assert.equal(alice.publicKey.length, 56);
    const secret = alice.agree(bob.publicKey);
    assert.equal(secret.length, 56);
    assert.deepEqual(secret, bob.agree(alice.publicKey));
    const accepted = nativeProvider.acceptKeyShare(NamedGroup.x448, alice.publicKey);
    assert.deepEqual(alice.agree(accepted.publicKey), accepted.sharedSecret);
  });

  it('X448: the all-zero secret (u = 0, u = 1) and a share of the wrong length are illegal_parameter (RFC 7748 Section 6.2, RFC 8446 Section 7.4.2)', () => {
    const share = nativeProvider.generateKeyShare(NamedGroup.x448);
    for (const peer of [new Uint8Array(56), Uint8Array.of(1, ...new Uint8Array(55))]) {
      assert.throws(() => share.agree(peer), refusedWith('illegal_parameter', /X448 (public key is a low-order point|shared secret is all zeros)/));
    }
    for (const peer of [bytes(55), bytes(57), new Uint8Array(0)]) {
      assert.throws(() => share.agree(peer), refusedWith('illegal_parameter', /X448 public key is not 56 bytes/));
    }
  });

  it('P-521: 133-byte uncompressed points; compressed, short, infinity and off-curve points are illegal_parameter (RFC 8446 Section 4.2.8.2)', () => {
    const alice = nativeProvider.generateKeyShare(NamedGroup.secp521r1);
    const bob = nativeProvider.generateKeyShare(NamedGroup.secp521r1);
    assert.equal(alice.publicKey.length, 133);
    assert.equal(alice.publicKey[0], 4);
    assert.deepEqual(alice.agree(bob.publicKey), bob.agree(alice.publicKey));
    assert.equal(alice.agree(bob.publicKey).length, 66, 'the x-coordinate at the full field size');
    const compressed = Uint8Array.of(2 + (bob.publicKey[132]! & 1), ...bob.publicKey.subarray(1, 67));
    const offCurve = bob.publicKey.slice();
    offCurve[132]! ^= 1;
    const wrongPrefix = bob.publicKey.slice();
    wrongPrefix[0] = 3;
    for (const peer of [compressed, Uint8Array.of(0), bob.publicKey.subarray(0, 132), wrongPrefix]) {
      assert.throws(() => alice.agree(peer), refusedWith('illegal_parameter', /not an uncompressed point of the right size/));
    }
    assert.throws(() => alice.agree(offCurve), refusedWith('illegal_parameter', /not a point on the curve/));
    assert.throws(() => nativeProvider.acceptKeyShare(NamedGroup.secp521r1, offCurve), refusedWith('illegal_parameter', /not a point on the curve/));
  });

  it('ffdhe2048 to ffdhe8192: shares and secrets padded to the size of p; 0, 1, p-1, p and a short share are illegal_parameter (RFC 8446 Section 4.2.8.1)', () => {
    const sizes: [number, number][] = [
      [NamedGroup.ffdhe2048, 256], [NamedGroup.ffdhe3072, 384], [NamedGroup.ffdhe4096, 512], [NamedGroup.ffdhe6144, 768], [NamedGroup.ffdhe8192, 1024],
    ];
    for (const [group, size] of sizes) {
      assert.ok(nativeProvider.supportedGroups().includes(group));
      const alice = nativeProvider.generateKeyShare(group);
      assert.equal(alice.publicKey.length, size);
      const accepted = nativeProvider.acceptKeyShare(group, alice.publicKey);
      assert.equal(accepted.publicKey.length, size);
      assert.equal(accepted.sharedSecret.length, size);
      assert.deepEqual(alice.agree(accepted.publicKey), accepted.sharedSecret);
      const p = ffdheGroup(group)!.p;
      const pMinusOne = p.slice();
      pMinusOne[size - 1]! -= 1;
      const one = new Uint8Array(size);
      one[size - 1] = 1;
      for (const peer of [new Uint8Array(size), one, pMinusOne, p, new Uint8Array(size).fill(0xff), alice.publicKey.subarray(1)]) {
        assert.throws(() => alice.agree(peer), refusedWith('illegal_parameter', /FFDHE public value has the wrong length or is out of range/));
      }
      // 2 and p-2 are the ends of the range (RFC 7919 Section 5.1).
      const two = one.slice();
      two[size - 1] = 2;
      assert.equal(alice.agree(two).length, size);
    }
  });
});
