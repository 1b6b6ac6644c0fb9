import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { AesGcm } from './gcm.js';

/** node:crypto's AES-GCM: ciphertext || tag. */
function reference(key: Buffer, nonce: Buffer, aad: Buffer, plaintext: Buffer): Buffer {
  const c = createCipheriv(key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm', key, nonce);
  c.setAAD(aad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

/** `bytes` at an odd offset inside a larger buffer, as the record layer hands out subarrays. */
function unaligned(bytes: Uint8Array): Uint8Array {
  const host = new Uint8Array(bytes.length + 3);
  host.set(bytes, 1);
  return host.subarray(1, 1 + bytes.length);
}

test('AesGcm equals node:crypto for every length around the block size, AES-128 and AES-256, aligned or not', () => {
  for (const keyLength of [16, 32]) {
    for (const length of [0, 1, 15, 16, 17, 31, 32, 33, 255, 16383, 16384, 16385]) {
      for (const aadLength of [0, 5, 13, 16, 17]) {
        const key = randomBytes(keyLength);
        const nonce = randomBytes(12);
        const aad = randomBytes(aadLength);
        const plaintext = randomBytes(length);
        const gcm = new AesGcm(new Uint8Array(key));
        const want = reference(key, nonce, aad, plaintext);
        const sealed = gcm.seal(new Uint8Array(nonce), new Uint8Array(aad), unaligned(plaintext));
        assert.deepEqual(Buffer.from(sealed), want, `seal, key ${keyLength}, text ${length}, aad ${aadLength}`);
        // The same key object again (its tables are kept), on an unaligned ciphertext.
        const opened = gcm.open(new Uint8Array(nonce), new Uint8Array(aad), unaligned(want));
        assert.deepEqual(Buffer.from(opened!), plaintext);
      }
    }
  }
});

test('AesGcm.open refuses a changed tag, ciphertext, AAD or nonce, and a sealed box shorter than a tag', () => {
  const key = randomBytes(16);
  const nonce = randomBytes(12);
  const aad = randomBytes(13);
  const sealed = new Uint8Array(reference(key, nonce, aad, randomBytes(100)));
  const gcm = new AesGcm(new Uint8Array(key));
  for (const at of [0, 50, sealed.length - 16, sealed.length - 1]) {
    const bad = sealed.slice();
    bad[at]! ^= 1;
    assert.equal(gcm.open(new Uint8Array(nonce), new Uint8Array(aad), bad), null, `a flipped bit at ${at}`);
  }
  const otherAad = new Uint8Array(aad);
  otherAad[0]! ^= 1;
  assert.equal(gcm.open(new Uint8Array(nonce), otherAad, sealed), null);
  const otherNonce = new Uint8Array(nonce);
  otherNonce[11]! ^= 1;
  assert.equal(gcm.open(otherNonce, new Uint8Array(aad), sealed), null);
  assert.equal(gcm.open(new Uint8Array(nonce), new Uint8Array(aad), sealed.subarray(0, 15)), null);
  assert.throws(() => new AesGcm(new Uint8Array(24)), RangeError);
  assert.throws(() => gcm.seal(new Uint8Array(8), new Uint8Array(0), new Uint8Array(0)), RangeError);
});
