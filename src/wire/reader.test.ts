import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TlsError } from '../errors.js';
import { Reader } from './reader.js';

function throwsDecodeError(fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TlsError, `expected a TlsError, got ${String(e)}`);
    assert.equal(e.kind, 'decode_error');
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('Reader', () => {
  it('reads u8, u16, u24 and u32 big-endian', () => {
    const r = new Reader(Uint8Array.of(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0xff, 0xff, 0xff, 0xfe), 'T');
    assert.equal(r.u8('a'), 0x01);
    assert.equal(r.u16('b'), 0x0203);
    assert.equal(r.position, 3);
    assert.equal(r.u24('c'), 0x0405_06);
    assert.equal(r.remaining, 4);
    assert.equal(r.u32('d'), 0xffff_fffe); // unsigned, not -2
    assert.ok(r.empty());
  });

  it('names the context and the field when data is missing', () => {
    for (const [n, read] of [
      [0, (r: Reader) => r.u8('legacy_version')],
      [1, (r: Reader) => r.u16('legacy_version')],
      [2, (r: Reader) => r.u24('legacy_version')],
      [3, (r: Reader) => r.u32('legacy_version')],
      [3, (r: Reader) => r.bytesN(4, 'legacy_version')],
    ] as const) {
      throwsDecodeError(() => read(new Reader(new Uint8Array(n), 'ServerHello')), /^missing data in ServerHello\.legacy_version$/);
    }
  });

  it('sub() returns a reader over exactly the prefixed field, named after it', () => {
    const r = new Reader(Uint8Array.of(0x00, 0x03, 0xaa, 0xbb, 0xcc, 0x09), 'Msg');
    const s = r.sub(2, 'list');
    assert.equal(s.context, 'Msg.list');
    assert.equal(s.remaining, 3);
    assert.deepEqual(s.bytesN(3, 'x'), Uint8Array.of(0xaa, 0xbb, 0xcc));
    throwsDecodeError(() => s.u8('item'), /missing data in Msg\.list\.item/);
    assert.equal(r.u8('tail'), 0x09);
    r.expectEnd();
  });

  it('sub() and vector() reject a length beyond the data and lengths outside min..max', () => {
    throwsDecodeError(() => new Reader(Uint8Array.of(0x05, 1, 2), 'M').sub(1, 'v'), /missing data in M\.v/);
    throwsDecodeError(() => new Reader(Uint8Array.of(0x00, 0x01, 7), 'M').sub(3, 'v'), /missing data in M\.v/);
    throwsDecodeError(() => new Reader(Uint8Array.of(0x00), 'M').vector(1, 'v', 1), /M\.v has a length of 0, outside 1\.\.Infinity/);
    throwsDecodeError(() => new Reader(Uint8Array.of(0x02, 1, 2), 'M').vector(1, 'v', 0, 1), /outside 0\.\.1/);
    assert.deepEqual(new Reader(Uint8Array.of(0x00, 0x00, 0x02, 1, 2), 'M').vector(3, 'v'), Uint8Array.of(1, 2));
  });

  it('expectEnd() and readAll() reject trailing bytes', () => {
    const r = new Reader(Uint8Array.of(1, 2, 3), 'KeyUpdate');
    r.u8('request_update');
    throwsDecodeError(() => r.expectEnd(), /^2 trailing bytes in KeyUpdate$/);
    throwsDecodeError(() => Reader.readAll(Uint8Array.of(1, 2), 'KeyUpdate', (x) => x.u8('request_update')), /1 trailing bytes in KeyUpdate/);
    assert.equal(Reader.readAll(Uint8Array.of(1), 'KeyUpdate', (x) => x.u8('request_update')), 1);
  });

  it('rest() takes what is left; bytesN() returns views', () => {
    const data = Uint8Array.of(1, 2, 3, 4);
    const r = new Reader(data);
    const first = r.bytesN(1, 'a');
    assert.equal(first.buffer, data.buffer);
    assert.deepEqual(r.rest(), Uint8Array.of(2, 3, 4));
    assert.ok(r.empty());
    assert.deepEqual(r.rest(), new Uint8Array(0));
  });

  it('u16List() reads even, non-empty lists and rejects the others', () => {
    assert.deepEqual(new Reader(Uint8Array.of(0x00, 0x04, 0x13, 0x01, 0xfa, 0xfa)).u16List(2, 'l', 1), [0x1301, 0xfafa]);
    assert.deepEqual(new Reader(Uint8Array.of(0x02, 0x03, 0x04)).u16List(1, 'l'), [0x0304]);
    throwsDecodeError(() => new Reader(Uint8Array.of(0x00, 0x03, 1, 2, 3), 'M').u16List(2, 'l'), /M\.l has an odd length/);
    throwsDecodeError(() => new Reader(Uint8Array.of(0x00, 0x00), 'M').u16List(2, 'l', 1), /M\.l is empty/);
    assert.deepEqual(new Reader(Uint8Array.of(0x00, 0x00)).u16List(2, 'l'), []);
  });
});
