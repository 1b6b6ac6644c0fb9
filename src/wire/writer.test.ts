import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

describe('Writer', () => {
  it('writes u8, u16, u24 and u32 big-endian', () => {
    const w = new Writer(1);
    w.u8(0x01).u16(0x0203).u24(0x040506).u32(0xfffffffe);
    assert.equal(w.length, 10);
    assert.equal(hex(w.finish()), '010203040506fffffffe');
  });

  it('fills length prefixes of 1, 2 and 3 bytes in one pass, nested', () => {
    const w = new Writer(2);
    w.prefixed(2, () => {
      w.u8(0xaa);
      w.prefixed(1, () => w.bytes(Uint8Array.of(1, 2, 3)));
      w.prefixed(3, () => w.u16(0xbeef));
    });
    assert.equal(hex(w.finish()), '000a' + 'aa' + '03010203' + '000002beef');
  });

  it('lengthPrefix() → end() is the same as prefixed()', () => {
    const a = new Writer();
    const end = a.lengthPrefix(2);
    a.u32(7);
    end();
    const b = new Writer().prefixed(2, (w) => w.u32(7));
    assert.deepEqual(a.finish(), b.finish());
    assert.equal(hex(a.finish()), '000400000007');
  });

  it('writes vectors and u16 lists', () => {
    const w = new Writer();
    w.vector(1, new Uint8Array(0)).vector(3, Uint8Array.of(9)).u16List(2, [0x1301, 0x1302]).u16List(1, [0x0304]);
    assert.equal(hex(w.finish()), '00' + '00000109' + '000413011302' + '020304');
  });

  it('throws when a body overflows its length prefix', () => {
    assert.throws(() => new Writer().vector(1, new Uint8Array(256)), RangeError);
    assert.throws(() => new Writer().prefixed(2, (w) => w.bytes(new Uint8Array(65536))), /does not fit a 2-byte length prefix/);
    // The largest body that fits is accepted.
    assert.equal(new Writer().vector(1, new Uint8Array(255)).length, 256);
    assert.equal(new Writer().vector(2, new Uint8Array(65535)).length, 65537);
  });

  it('grows past its initial size and finish() returns a copy', () => {
    const w = new Writer(4);
    const big = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    w.vector(2, big);
    const out = w.finish();
    assert.equal(out.length, 1002);
    w.u8(0x55);
    assert.equal(out.length, 1002);
    assert.deepEqual(Reader.readAll(out, 'v', (r) => r.vector(2, 'big')), big);
  });
});
