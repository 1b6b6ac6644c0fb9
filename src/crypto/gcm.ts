// AES-GCM for the portable provider (NIST SP 800-38D) on noble's AES (its key expansion and CTR mode,
// @noble/ciphers `unsafe`), with the key-dependent work done once per key instead of once per record:
// the AES key schedule, the hash key H = E_K(0^128) and GHASH's multiplication tables. noble's gcm()
// redoes all three for every message (every TLS record). Checked against noble's gcm() and the GCM
// specification's vectors (src/crypto/vectors.test.ts, src/crypto/gcm.test.ts).
//
// GHASH multiplies by H with eight-bit tables, one per byte position (16 × 256 entries of 128 bits,
// 64 KiB per key): X·H is the XOR of T_i[X_i] over the 16 bytes of X, since multiplication by H is
// linear over GF(2). noble's own GHASH builds comparable tables for every message (every TLS record)
// and reads them through objects; this is what made the portable provider's AES-GCM records slow.
//
// Timing: like noble's AES and GHASH, the table lookups are indexed by secret-dependent bytes (cache
// timing); JavaScript offers no constant-time guarantee (docs/portable.md).

import { unsafe } from '@noble/ciphers/aes.js';

const BLOCK = 16;

/**
 * AES-CTR with GCM's 32-bit counter (noble's ctr32): the key stream from `counter` (left at the next
 * block) XORed into `src`. noble reads and writes 32-bit words, so unaligned buffers are copied.
 */
function ctr(xk: Uint32Array, counter: Uint8Array, src: Uint8Array, dst?: Uint8Array): Uint8Array {
  return unsafe.ctr32(xk, false, counter, src.byteOffset % 4 === 0 ? src : src.slice(), dst);
}

// --- GHASH (SP 800-38D Section 6.4) -------------------------------------------------------------

/** H·x^k for k = 0..127 in GCM's bit order (RFC 8452 Appendix A's "mulX_GHASH"), then the tables. */
function ghashTables(h: Uint8Array): Int32Array {
  const view = new DataView(h.buffer, h.byteOffset, 16);
  let w0 = view.getInt32(0);
  let w1 = view.getInt32(4);
  let w2 = view.getInt32(8);
  let w3 = view.getInt32(12);
  const t = new Int32Array(16 * 256 * 4);
  for (let k = 0; k < 128; k++) {
    // Bit k of a block is bit 7 - (k % 8) of byte k / 8: it selects H·x^k.
    const i = k >> 3;
    const bit = 0x80 >> (k & 7);
    const at = (i * 256 + bit) * 4;
    t[at] = w0;
    t[at + 1] = w1;
    t[at + 2] = w2;
    t[at + 3] = w3;
    // Multiply by x: shift right one bit; a bit falling off reduces by x^128 = x^7 + x^2 + x + 1 (0xE1).
    const carry = w3 & 1;
    w3 = (w3 >>> 1) | (w2 << 31);
    w2 = (w2 >>> 1) | (w1 << 31);
    w1 = (w1 >>> 1) | (w0 << 31);
    w0 = (w0 >>> 1) ^ (carry ? 0xe1000000 | 0 : 0);
  }
  // T_i[b] for every byte value: the XOR of the single-bit entries b holds.
  for (let i = 0; i < 16; i++) {
    const base = i * 256 * 4;
    for (let b = 1; b < 256; b++) {
      const low = b & -b;
      if (low === b) continue;
      const rest = base + (b ^ low) * 4;
      const one = base + low * 4;
      const at = base + b * 4;
      t[at] = t[rest]! ^ t[one]!;
      t[at + 1] = t[rest + 1]! ^ t[one + 1]!;
      t[at + 2] = t[rest + 2]! ^ t[one + 2]!;
      t[at + 3] = t[rest + 3]! ^ t[one + 3]!;
    }
  }
  return t;
}

/** GHASH state: Y, four big-endian words, multiplied through the tables. */
class Ghash {
  private y0 = 0;
  private y1 = 0;
  private y2 = 0;
  private y3 = 0;

  constructor(private readonly t: Int32Array) {}

  /** Y = (Y ⊕ X)·H for one block X given as four big-endian words. */
  private block(x0: number, x1: number, x2: number, x3: number): void {
    const t = this.t;
    x0 ^= this.y0;
    x1 ^= this.y1;
    x2 ^= this.y2;
    x3 ^= this.y3;
    let z0 = 0;
    let z1 = 0;
    let z2 = 0;
    let z3 = 0;
    // The 16 bytes of X, most significant first: byte i selects T_i.
    for (let i = 0; i < 16; i++) {
      const w = i < 4 ? x0 : i < 8 ? x1 : i < 12 ? x2 : x3;
      const at = ((i << 8) | ((w >>> (24 - 8 * (i & 3))) & 0xff)) << 2;
      z0 ^= t[at]!;
      z1 ^= t[at + 1]!;
      z2 ^= t[at + 2]!;
      z3 ^= t[at + 3]!;
    }
    this.y0 = z0;
    this.y1 = z1;
    this.y2 = z2;
    this.y3 = z3;
  }

  /** Absorbs `data`, zero-padded to a whole number of blocks. */
  update(data: Uint8Array): void {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const whole = data.length - (data.length % BLOCK);
    for (let o = 0; o < whole; o += BLOCK) this.block(view.getInt32(o), view.getInt32(o + 4), view.getInt32(o + 8), view.getInt32(o + 12));
    if (whole < data.length) {
      const last = new Uint8Array(BLOCK);
      last.set(data.subarray(whole));
      const v = new DataView(last.buffer);
      this.block(v.getInt32(0), v.getInt32(4), v.getInt32(8), v.getInt32(12));
    }
  }

  /** The final block of lengths in bits (len(A) || len(C), 64 bits each), then Y. */
  finish(aadLength: number, textLength: number): Uint8Array {
    const aadBits = aadLength * 8;
    const textBits = textLength * 8;
    this.block(Math.floor(aadBits / 2 ** 32), aadBits >>> 0, Math.floor(textBits / 2 ** 32), textBits >>> 0);
    const out = new Uint8Array(BLOCK);
    const v = new DataView(out.buffer);
    v.setInt32(0, this.y0);
    v.setInt32(4, this.y1);
    v.setInt32(8, this.y2);
    v.setInt32(12, this.y3);
    return out;
  }
}

// --- GCM ------------------------------------------------------------------------------------------

/** AES-GCM with a 96-bit nonce and a 128-bit tag, for one key. */
export class AesGcm {
  private readonly xk: Uint32Array;
  private readonly tables: Int32Array;

  constructor(key: Uint8Array) {
    if (key.length !== 16 && key.length !== 32) throw new RangeError('AES-GCM takes a 16- or 32-byte key');
    this.xk = unsafe.expandKeyLE(key);
    const h = ctr(this.xk, new Uint8Array(BLOCK), new Uint8Array(BLOCK));
    this.tables = ghashTables(h);
    h.fill(0);
  }

  /** J0 = nonce || 1 (SP 800-38D Section 7.1, a 96-bit IV); returns E_K(J0) and leaves `counter` at inc32(J0). */
  private start(nonce: Uint8Array, counter: Uint8Array): Uint8Array {
    if (nonce.length !== 12) throw new RangeError('AES-GCM takes a 12-byte nonce');
    counter.set(nonce);
    counter[15] = 1;
    return ctr(this.xk, counter, new Uint8Array(BLOCK));
  }

  private tag(aad: Uint8Array, ciphertext: Uint8Array, mask: Uint8Array): Uint8Array {
    const g = new Ghash(this.tables);
    g.update(aad);
    g.update(ciphertext);
    const tag = g.finish(aad.length, ciphertext.length);
    for (let i = 0; i < BLOCK; i++) tag[i]! ^= mask[i]!;
    return tag;
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const counter = new Uint8Array(BLOCK);
    const mask = this.start(nonce, counter);
    const out = new Uint8Array(plaintext.length + BLOCK);
    const body = out.subarray(0, plaintext.length);
    ctr(this.xk, counter, plaintext, body);
    out.set(this.tag(aad, body, mask), plaintext.length);
    return out;
  }

  /** The plaintext, or null when the tag does not verify (compared in constant time). */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null {
    if (sealed.length < BLOCK) return null;
    const counter = new Uint8Array(BLOCK);
    const mask = this.start(nonce, counter);
    const ciphertext = sealed.subarray(0, sealed.length - BLOCK);
    const expected = this.tag(aad, ciphertext, mask);
    const received = sealed.subarray(sealed.length - BLOCK);
    let diff = 0;
    for (let i = 0; i < BLOCK; i++) diff |= expected[i]! ^ received[i]!;
    if (diff !== 0) return null;
    return ctr(this.xk, counter, ciphertext);
  }
}
