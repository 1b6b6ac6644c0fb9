import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TlsError } from '../errors.js';
import { DEFAULT_MAX_HANDSHAKE_MESSAGE, HandshakeJoiner, MAX_FRAGMENT, RecordFramer } from './framer.js';

function throwsTls(fn: () => unknown, kind: string, pattern?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TlsError, `expected a TlsError, got ${String(e)}`);
    assert.equal(e.kind, kind);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

/** A record: type, version, u16 length, body. */
function record(type: number, version: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out.set([type, version >> 8, version & 0xff, body.length >> 8, body.length & 0xff]);
  out.set(body, 5);
  return out;
}
const bytes = (n: number, start = 0): Uint8Array => new Uint8Array(n).map((_, i) => (start + i) & 0xff);
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

describe('RecordFramer (RFC 5246 Section 6.2.1)', () => {
  it('returns a record split byte by byte only once it is whole', () => {
    const f = new RecordFramer();
    const wire = record(22, 0x0301, bytes(300));
    for (let i = 0; i < wire.length - 1; i++) {
      f.push(wire.subarray(i, i + 1));
      assert.equal(f.next(MAX_FRAGMENT), null);
      assert.equal(f.buffered, i + 1);
    }
    f.push(wire.subarray(wire.length - 1));
    const r = f.next(MAX_FRAGMENT);
    assert.deepEqual(r, { contentType: 22, version: 0x0301, body: bytes(300) });
    assert.equal(f.buffered, 0);
    assert.equal(f.next(MAX_FRAGMENT), null);
  });

  it('returns many records pushed at once, in order, with a partial one left over', () => {
    const f = new RecordFramer();
    const records = [record(22, 0x0303, bytes(10)), record(20, 0x0303, Uint8Array.of(1)), record(23, 0x0303, bytes(0)), record(21, 0x0303, Uint8Array.of(2, 40))];
    const partial = record(23, 0x0303, bytes(50, 9));
    f.push(cat(...records, partial.subarray(0, 20)));
    assert.deepEqual(f.next(MAX_FRAGMENT), { contentType: 22, version: 0x0303, body: bytes(10) });
    assert.deepEqual(f.next(MAX_FRAGMENT), { contentType: 20, version: 0x0303, body: Uint8Array.of(1) });
    assert.deepEqual(f.next(MAX_FRAGMENT), { contentType: 23, version: 0x0303, body: new Uint8Array(0) });
    assert.deepEqual(f.next(MAX_FRAGMENT), { contentType: 21, version: 0x0303, body: Uint8Array.of(2, 40) });
    assert.equal(f.next(MAX_FRAGMENT), null);
    assert.equal(f.buffered, 20);
    f.push(partial.subarray(20));
    assert.deepEqual(f.next(MAX_FRAGMENT), { contentType: 23, version: 0x0303, body: bytes(50, 9) });
  });

  it('handles records that straddle pushes of uneven sizes', () => {
    const f = new RecordFramer();
    const bodies = Array.from({ length: 40 }, (_, i) => bytes(i * 37 % 500, i));
    const wire = cat(...bodies.map((b) => record(23, 0x0303, b)));
    const got: Uint8Array[] = [];
    for (let at = 0, step = 1; at < wire.length; at += step, step = (step * 7) % 613 + 1) {
      f.push(wire.slice(at, at + step));
      for (let r = f.next(MAX_FRAGMENT); r !== null; r = f.next(MAX_FRAGMENT)) got.push(r.body);
    }
    assert.deepEqual(got, bodies);
    assert.equal(f.buffered, 0);
  });

  it('returns records that own their bytes (later changes to the input do not show)', () => {
    const f = new RecordFramer();
    const wire = record(23, 0x0303, bytes(4));
    f.push(wire);
    const r = f.next(MAX_FRAGMENT)!;
    wire.fill(0);
    assert.deepEqual(r.body, bytes(4));
  });

  it('accepts exactly maxBodyLength and refuses one byte more with record_overflow', () => {
    const f = new RecordFramer();
    f.push(record(23, 0x0303, new Uint8Array(MAX_FRAGMENT)));
    assert.equal(f.next(MAX_FRAGMENT)!.body.length, MAX_FRAGMENT);
    const g = new RecordFramer();
    // Only the header is needed to refuse it.
    g.push(record(23, 0x0303, new Uint8Array(MAX_FRAGMENT + 1)).subarray(0, 5));
    throwsTls(() => g.next(MAX_FRAGMENT), 'record_overflow', /16385 bytes is over the limit of 16384/);
    const h = new RecordFramer();
    h.push(Uint8Array.of(23, 3, 3, 0xff, 0xff));
    throwsTls(() => h.next(MAX_FRAGMENT + 256), 'record_overflow');
  });

  it('refuses an unknown content type with unexpected_message', () => {
    for (const type of [0, 19, 24, 0x47 /* 'G' of "GET /" */, 255]) {
      const f = new RecordFramer();
      f.push(record(type, 0x0303, bytes(3)));
      throwsTls(() => f.next(MAX_FRAGMENT), 'unexpected_message', new RegExp(`unknown content type ${type}`));
    }
  });

  it('refuses a version whose major byte is not 3 with protocol_version, and accepts any minor', () => {
    for (const version of [0x0203, 0x0403, 0x0000]) {
      const f = new RecordFramer();
      f.push(record(22, version, bytes(3)));
      throwsTls(() => f.next(MAX_FRAGMENT), 'protocol_version');
    }
    for (const version of [0x0300, 0x0301, 0x0303, 0x0304, 0x03ff]) {
      const f = new RecordFramer();
      f.push(record(22, version, bytes(3)));
      assert.equal(f.next(MAX_FRAGMENT)!.version, version);
    }
  });

  it('checks the version before the content type, as OpenSSL does, except for an SSL 2.0 ClientHello header', () => {
    const f = new RecordFramer();
    f.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    throwsTls(() => f.next(MAX_FRAGMENT), 'protocol_version', /major byte 255/);
    const g = new RecordFramer();
    g.push(Uint8Array.of(0x80, 0x2b, 0x01, 0x03, 0x01, 0x00));
    throwsTls(() => g.next(MAX_FRAGMENT), 'unexpected_message', /unknown content type 128/);
  });

  it('waits for the whole header', () => {
    const f = new RecordFramer();
    f.push(Uint8Array.of(22, 3, 3, 0));
    assert.equal(f.next(MAX_FRAGMENT), null);
    f.push(Uint8Array.of(1, 0xaa));
    assert.deepEqual(f.next(MAX_FRAGMENT), { contentType: 22, version: 0x0303, body: Uint8Array.of(0xaa) });
  });
});

/** A handshake message: type, u24 length, body. */
function message(type: number, body: Uint8Array): Uint8Array {
  return cat(Uint8Array.of(type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff), body);
}

describe('HandshakeJoiner', () => {
  it('joins a message split across three fragments', () => {
    const j = new HandshakeJoiner();
    const m = message(11, bytes(1000));
    j.push(m.subarray(0, 2));
    assert.equal(j.next(), null);
    assert.equal(j.pending, true);
    j.push(m.subarray(2, 600));
    assert.equal(j.next(), null);
    j.push(m.subarray(600));
    const frame = j.next()!;
    assert.equal(frame.type, 11);
    assert.deepEqual(frame.body, bytes(1000));
    assert.deepEqual(frame.raw, m);
    assert.equal(frame.raw.buffer.byteLength, m.length, 'raw is a fresh array of its own');
    assert.equal(j.pending, false);
    assert.equal(j.next(), null);
  });

  it('returns two messages from one fragment, and an empty body', () => {
    const j = new HandshakeJoiner();
    j.push(cat(message(2, bytes(5)), message(14, new Uint8Array(0)), message(20, bytes(3)).subarray(0, 5)));
    assert.deepEqual(j.next(), { type: 2, body: bytes(5), raw: message(2, bytes(5)) });
    assert.deepEqual(j.next(), { type: 14, body: new Uint8Array(0), raw: message(14, new Uint8Array(0)) });
    assert.equal(j.next(), null);
    assert.equal(j.pending, true);
    j.push(message(20, bytes(3)).subarray(5));
    assert.deepEqual(j.next()!.body, bytes(3));
    assert.equal(j.pending, false);
  });

  it('refuses a message over the limit with decode_error naming the size, from its header alone', () => {
    const j = new HandshakeJoiner(1000);
    j.push(Uint8Array.of(11, 0, 0x03, 0xe9));
    throwsTls(() => j.next(), 'decode_error', /1001 bytes, over the limit of 1000/);
    const k = new HandshakeJoiner(1000);
    k.push(message(11, new Uint8Array(1000)));
    assert.equal(k.next()!.body.length, 1000);
  });

  it('takes a limit per message type, checked from the header', () => {
    const j = new HandshakeJoiner((type) => (type === 1 ? 131396 : 64));
    j.push(Uint8Array.of(1, 0x02, 0x01, 0x44));
    assert.equal(j.next(), null, 'a 131,396-byte ClientHello header waits for its body');
    const k = new HandshakeJoiner((type) => (type === 1 ? 131396 : 64));
    k.push(Uint8Array.of(1, 0x02, 0x01, 0x45));
    throwsTls(() => k.next(), 'decode_error', /type 1 is 131397 bytes, over the limit of 131396/);
    const f = new HandshakeJoiner((type) => (type === 1 ? 131396 : 64));
    f.push(Uint8Array.of(20, 0, 0, 65));
    throwsTls(() => f.next(), 'decode_error', /type 20 is 65 bytes, over the limit of 64/);
  });

  it('has a 256 KiB default limit', () => {
    assert.equal(DEFAULT_MAX_HANDSHAKE_MESSAGE, 262144);
    const j = new HandshakeJoiner();
    j.push(Uint8Array.of(11, 0x04, 0x00, 0x01));
    throwsTls(() => j.next(), 'decode_error', /262145 bytes/);
    const k = new HandshakeJoiner();
    k.push(Uint8Array.of(11, 0x04, 0x00, 0x00));
    assert.equal(k.next(), null);
  });
});
