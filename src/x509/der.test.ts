import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TlsError } from '../errors.js';
import { DerReader, Tag, der, decodeOid, encodeOid, derTlv } from './der.js';

const h = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

function assertMalformed(fn: () => unknown, pattern?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TlsError, `expected TlsError, got ${String(e)}`);
    assert.equal(e.kind, 'bad_certificate');
    assert.match(e.message, /^malformed certificate: /);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

test('lengths: short, long, and the rejected forms', () => {
  const long = new Uint8Array(200).fill(7);
  const enc = derTlv(Tag.OCTET_STRING, long);
  assert.deepEqual(enc.subarray(0, 3), h('04 81 c8'));
  assert.deepEqual(DerReader.readAll(enc, 't', (r) => r.octetString('x')), long);
  assertMalformed(() => new DerReader(h('04 80 00 00')).element('x'), /indefinite/);
  assertMalformed(() => new DerReader(h('04 81 05 0102030405')).element('x'), /non-minimal length/);
  assertMalformed(() => new DerReader(h('04 82 00 05 0102030405')).element('x'), /non-minimal length/);
  assertMalformed(() => new DerReader(h('04 85 0000000001 00')).element('x'));
  assertMalformed(() => new DerReader(h('04 03 0102')).element('x'), /truncated/);
  assertMalformed(() => new DerReader(h('1f 01 00')).element('x'), /high tag/);
  assertMalformed(() => DerReader.readAll(h('05 00 00'), 't', (r) => r.null('x')), /trailing/);
  assertMalformed(() => new DerReader(h('02 01 00')).octetString('x'), /tag 0x02, expected 0x04/);
  assertMalformed(() => new DerReader(new Uint8Array(0)).octetString('x'), /missing/);
});

test('INTEGER: minimal encodings only', () => {
  assert.deepEqual(new DerReader(h('02 01 00')).integer('i'), h('00'));
  assert.deepEqual(new DerReader(h('02 02 00 80')).integer('i'), h('0080'));
  assert.deepEqual(new DerReader(h('02 01 ff')).integer('i'), h('ff'));
  assert.equal(new DerReader(h('02 02 01 00')).smallInteger('i'), 256);
  assertMalformed(() => new DerReader(h('02 02 00 7f')).integer('i'), /non-minimal INTEGER/);
  assertMalformed(() => new DerReader(h('02 02 ff 80')).integer('i'), /non-minimal INTEGER/);
  assertMalformed(() => new DerReader(h('02 00')).integer('i'), /empty/);
  assertMalformed(() => new DerReader(h('02 01 ff')).smallInteger('i'), /negative/);
  assert.deepEqual(der.unsignedInteger(h('0000ff')), h('02 02 00ff'));
  assert.deepEqual(der.smallInteger(0), h('02 01 00'));
  assert.deepEqual(der.smallInteger(128), h('02 02 0080'));
});

test('BIT STRING, BOOLEAN, NULL', () => {
  assert.deepEqual(new DerReader(h('03 02 07 80')).bitString('b'), { bytes: h('80'), unusedBits: 7 });
  assertMalformed(() => new DerReader(h('03 02 07 81')).bitString('b'), /non-zero unused/);
  assertMalformed(() => new DerReader(h('03 02 08 00')).bitString('b'));
  assertMalformed(() => new DerReader(h('03 01 01')).bitString('b'));
  assertMalformed(() => new DerReader(h('03 00')).bitString('b'));
  assert.equal(new DerReader(h('01 01 ff')).boolean('b'), true);
  assert.equal(new DerReader(h('01 01 00')).boolean('b'), false);
  assertMalformed(() => new DerReader(h('01 01 01')).boolean('b'), /BOOLEAN/);
  assertMalformed(() => new DerReader(h('05 01 00')).null('n'));
});

test('OID: dotted strings both ways; non-minimal subidentifiers rejected', () => {
  for (const oid of ['1.2.840.113549.1.1.11', '2.5.29.17', '0.9.2342.19200300.100.1.25', '1.3.101.112', '2.999.3']) {
    assert.equal(decodeOid(encodeOid(oid), 'o'), oid);
  }
  assert.equal(new DerReader(h('06 03 55 1d 11')).oid('o'), '2.5.29.17');
  assertMalformed(() => new DerReader(h('06 04 55 1d 80 11')).oid('o'), /non-minimal/);
  assertMalformed(() => new DerReader(h('06 02 55 9d')).oid('o'), /ends inside/);
  assertMalformed(() => new DerReader(h('06 00')).oid('o'), /empty/);
});

test('times: RFC 5280 Section 4.1.2.5 forms', () => {
  const t = (tag: number, s: string) => new DerReader(derTlv(tag, new TextEncoder().encode(s))).time('t');
  assert.equal(t(Tag.UTCTime, '491231235959Z').toISOString(), '2049-12-31T23:59:59.000Z');
  assert.equal(t(Tag.UTCTime, '500101000000Z').toISOString(), '1950-01-01T00:00:00.000Z');
  assert.equal(t(Tag.UTCTime, '991231000000Z').getUTCFullYear(), 1999);
  assert.equal(t(Tag.GeneralizedTime, '20550101120000Z').toISOString(), '2055-01-01T12:00:00.000Z');
  assert.equal(t(Tag.GeneralizedTime, '00500101000000Z').getUTCFullYear(), 50);
  for (const bad of ['4912312359Z', '491231235959', '491231235959+0100', '491301000000Z', '490230000000Z', '49123123595aZ']) {
    assertMalformed(() => t(Tag.UTCTime, bad));
  }
  // X.690 Section 11.7: fractional seconds, read to the millisecond (RFC 5280 forbids them in certificates, some carry them).
  assert.equal(t(Tag.GeneralizedTime, '20550101120000.5Z').toISOString(), '2055-01-01T12:00:00.500Z');
  assert.equal(t(Tag.GeneralizedTime, '20550101120000.1239Z').toISOString(), '2055-01-01T12:00:00.123Z');
  for (const bad of ['20550101120000.50Z', '20550101120000.Z', '205501011200Z', '20550101120000']) {
    assertMalformed(() => t(Tag.GeneralizedTime, bad));
  }
  assertMalformed(() => new DerReader(h('04 00')).time('t'), /not a UTCTime/);
  // The writer picks UTCTime before 2050 and GeneralizedTime from 2050.
  assert.equal(der.time(new Date('2049-06-01T00:00:00Z'))[0], Tag.UTCTime);
  assert.equal(der.time(new Date('2050-06-01T00:00:00Z'))[0], Tag.GeneralizedTime);
  for (const iso of ['2049-06-01T01:02:03.000Z', '2050-06-01T01:02:03.000Z', '1950-01-01T00:00:00.000Z']) {
    assert.equal(new DerReader(der.time(new Date(iso))).time('t').toISOString(), iso);
  }
});

test('strings of every directory type', () => {
  const s = (hex: string) => new DerReader(h(hex)).string('s');
  assert.equal(s('0c 03 c3a978'), 'éx');
  assert.equal(s('13 02 4142'), 'AB');
  assert.equal(s('16 02 6162'), 'ab');
  assert.equal(s('14 02 e9 41'), 'éA');
  assert.equal(s('1e 04 00e9 0041'), 'éA');
  assert.equal(s('1c 04 0001f600'), '\u{1f600}');
  const big = new Uint8Array(300_000).fill(0x41);
  assert.equal(new DerReader(derTlv(Tag.TeletexString, big)).string('s').length, big.length);
  assertMalformed(() => s('0c 01 ff'), /UTF-8/);
  assertMalformed(() => s('16 01 80'), /IA5/);
  assertMalformed(() => s('1e 03 00e900'), /odd length/);
  assertMalformed(() => s('04 01 41'), /not a string/);
});

test('constructed values: nested readers, EXPLICIT and IMPLICIT tags, SET OF sorted', () => {
  const enc = der.sequence(der.explicit(0, der.smallInteger(2)), der.implicit(2, h('abcd')), der.oid('2.5.4.3'));
  const r = DerReader.readAll(enc, 't', (r) => r.sequence('s'));
  assert.equal(r.explicit(0, 'v')!.smallInteger('v'), 2);
  assert.equal(r.explicit(1, 'absent'), undefined);
  assert.deepEqual(r.implicit(2, 'x'), h('abcd'));
  assert.equal(r.oid('o'), '2.5.4.3');
  r.end();
  assert.deepEqual(der.set(h('0401ff'), h('040100')), h('31 06 040100 0401ff'));
  // A SEQUENCE whose contents run past their end is caught by the nested reader.
  assertMalformed(() => DerReader.readAll(h('30 03 02 02 00'), 't', (r) => r.sequence('s').integer('i')), /truncated/);
});
