// AES-CCM (NIST SP 800-38C; RFC 3610's formatting) for the portable provider: the TLS 1.3 suites
// TLS_AES_128_CCM_SHA256 and TLS_AES_128_CCM_8_SHA256 (RFC 8446 Section B.4; AEAD_AES_128_CCM of RFC 5116
// Section 5.3 and AEAD_AES_128_CCM_8 of RFC 6655). @noble/ciphers has no CCM, so it is built here from two
// of its AES modes: CBC with a zero IV gives the CBC-MAC (its last block), CTR gives the keystream.
//
// One CTR pass from counter block A_0 does both jobs: its first block S_0 masks the tag, the following ones
// (A_1, A_2, ...) encrypt the payload. The counter field is the last L = 15 - nonce length bytes of A_i;
// noble's CTR carries into the whole block, which CCM's length limit (fewer than 2^(8L) bytes, so fewer
// than 2^(8L) blocks) keeps from ever happening.

import { cbc, ctr } from '@noble/ciphers/aes.js';
import { constantTimeEqual, type Aead } from './provider.js';

const BLOCK = 16;

/** Rounds up to a whole number of blocks. */
const padded = (n: number): number => Math.ceil(n / BLOCK) * BLOCK;

/** Nonce 7..13 bytes, tag 4..16 bytes and even, payload shorter than 2^(8L) (SP 800-38C Section A.1). */
function checkParameters(nonce: Uint8Array, tagLength: number, payloadLength: number): number {
  if (nonce.length < 7 || nonce.length > 13) throw new RangeError(`AES-CCM takes a nonce of 7 to 13 bytes, not ${nonce.length}`);
  if (tagLength < 4 || tagLength > 16 || tagLength % 2 !== 0) throw new RangeError(`AES-CCM takes a tag of 4, 6, ..., 16 bytes, not ${tagLength}`);
  const lengthFieldSize = 15 - nonce.length;
  if (lengthFieldSize < 4 && payloadLength >= 2 ** (8 * lengthFieldSize)) {
    throw new RangeError(`AES-CCM with a ${nonce.length}-byte nonce takes under 2^${8 * lengthFieldSize} bytes`);
  }
  return lengthFieldSize;
}

/** The counter block A_0: flags L-1, the nonce, a zero counter (SP 800-38C Section A.3). */
function counterBlock0(nonce: Uint8Array, lengthFieldSize: number): Uint8Array {
  const a0 = new Uint8Array(BLOCK);
  a0[0] = lengthFieldSize - 1;
  a0.set(nonce, 1);
  return a0;
}

/** The CBC-MAC T (a whole block; the tag is its first bytes) of B_0, the encoded AAD and the payload. */
function cbcMac(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, payload: Uint8Array, tagLength: number, lengthFieldSize: number): Uint8Array {
  // Associated data's length prefix (SP 800-38C Section A.2.2): 2 bytes below 2^16 - 2^8, else 0xfffe and 4 bytes.
  const aadPrefix = aad.length === 0 ? 0 : aad.length < 0xff00 ? 2 : 6;
  const aadBlocks = padded(aadPrefix + aad.length);
  const b = new Uint8Array(BLOCK + aadBlocks + padded(payload.length));
  // B_0 (Section A.2.1): flags (Adata, (t-2)/2, q-1), the nonce, the payload length in q bytes.
  b[0] = (aad.length > 0 ? 0x40 : 0) | (((tagLength - 2) / 2) << 3) | (lengthFieldSize - 1);
  b.set(nonce, 1);
  for (let i = BLOCK - 1, n = payload.length; i > nonce.length; i--, n = Math.floor(n / 256)) b[i] = n & 0xff;
  let at = BLOCK;
  if (aadPrefix === 2) {
    b[at++] = aad.length >>> 8;
    b[at++] = aad.length & 0xff;
  } else if (aadPrefix === 6) {
    b.set([0xff, 0xfe, aad.length >>> 24, (aad.length >>> 16) & 0xff, (aad.length >>> 8) & 0xff, aad.length & 0xff], at);
    at += 6;
  }
  b.set(aad, at);
  b.set(payload, BLOCK + aadBlocks);
  const chain = cbc(key, new Uint8Array(BLOCK), { disablePadding: true }).encrypt(b);
  return chain.subarray(chain.length - BLOCK);
}

/** The payload encrypted, then the tag (T xor S_0, its first `tagLength` bytes). */
export function ccmSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, tagLength: number): Uint8Array {
  const lengthFieldSize = checkParameters(nonce, tagLength, plaintext.length);
  const input = new Uint8Array(BLOCK + plaintext.length);
  input.set(cbcMac(key, nonce, aad, plaintext, tagLength, lengthFieldSize), 0);
  input.set(plaintext, BLOCK);
  const stream = ctr(key, counterBlock0(nonce, lengthFieldSize)).encrypt(input);
  const out = new Uint8Array(plaintext.length + tagLength);
  out.set(stream.subarray(BLOCK), 0);
  out.set(stream.subarray(0, tagLength), plaintext.length);
  input.fill(0);
  return out;
}

/** The plaintext, or null when the tag does not verify (compared in constant time; nothing decrypted leaks). */
export function ccmOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, tagLength: number): Uint8Array | null {
  if (sealed.length < tagLength) return null;
  const ciphertextLength = sealed.length - tagLength;
  const lengthFieldSize = checkParameters(nonce, tagLength, ciphertextLength);
  // A zero first block comes out as S_0; the rest is the plaintext.
  const input = new Uint8Array(BLOCK + ciphertextLength);
  input.set(sealed.subarray(0, ciphertextLength), BLOCK);
  const stream = ctr(key, counterBlock0(nonce, lengthFieldSize)).encrypt(input);
  const plaintext = stream.subarray(BLOCK);
  const mac = cbcMac(key, nonce, aad, plaintext, tagLength, lengthFieldSize);
  const expected = new Uint8Array(tagLength);
  for (let i = 0; i < tagLength; i++) expected[i] = mac[i]! ^ stream[i]!;
  if (!constantTimeEqual(expected, sealed.subarray(ciphertextLength))) {
    stream.fill(0);
    return null;
  }
  return plaintext;
}

/** AES-128-CCM (16-byte tag) and AES-128-CCM-8 (8-byte tag) as the provider's Aead. */
export class AesCcm implements Aead {
  private readonly tagLength: number;
  constructor(readonly algorithm: 'AES-128-CCM' | 'AES-128-CCM-8', private readonly key: Uint8Array) {
    if (key.length !== 16) throw new RangeError(`${algorithm} takes a 16-byte key`);
    this.tagLength = algorithm === 'AES-128-CCM' ? 16 : 8;
  }
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return ccmSeal(this.key, nonce, aad, plaintext, this.tagLength);
  }
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    return ccmOpen(this.key, nonce, aad, ciphertext, this.tagLength);
  }
}
