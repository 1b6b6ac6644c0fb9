// Whole records sealed and opened in one provider call (AeadRecords, the native addon): the same
// wire and the same plaintext as record by record, records cut by reads at every offset, many
// records in one read, and a bad record in a batch ending it with its alert.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeCryptoProvider, nodeCryptoProvider } from '../crypto/node.js';
import type { AeadAlgorithm, CryptoProvider } from '../crypto/provider.js';
import { TlsError } from '../errors.js';
import { MAX_FRAGMENT } from './framer.js';
import { RecordLayer } from './layer.js';
import { aead12Protection, aead13Protection, type RecordProtection } from './protection.js';

const batching = nodeCryptoProvider as NodeCryptoProvider;
/** node:crypto alone: no AeadRecords, every record sealed and opened on its own. */
const single = new NodeCryptoProvider({ native: false });

const bytes = (n: number, start = 0): Uint8Array => new Uint8Array(n).map((_, i) => (start + i * 7) & 0xff);

interface Suite {
  name: string;
  version: 'TLS 1.2' | 'TLS 1.3';
  protection(provider: CryptoProvider, k?: number): RecordProtection;
}

const suite = (version: Suite['version'], algorithm: AeadAlgorithm): Suite => {
  const keyLength = algorithm === 'AES-128-GCM' ? 16 : 32;
  return {
    name: `${version} ${algorithm}`,
    version,
    protection: (provider, k = 1) =>
      version === 'TLS 1.3'
        ? aead13Protection(provider, algorithm, bytes(keyLength, k), bytes(12, k + 50))
        : aead12Protection(provider, algorithm, bytes(keyLength, k), bytes(algorithm === 'CHACHA20-POLY1305' ? 12 : 4, k + 50)),
  };
};

const suites: Suite[] = [
  suite('TLS 1.3', 'AES-128-GCM'),
  suite('TLS 1.3', 'AES-256-GCM'),
  suite('TLS 1.3', 'CHACHA20-POLY1305'),
  suite('TLS 1.2', 'AES-128-GCM'),
  suite('TLS 1.2', 'AES-256-GCM'),
  suite('TLS 1.2', 'CHACHA20-POLY1305'),
];

function writer(s: Suite, provider: CryptoProvider, k = 1): RecordLayer {
  const layer = new RecordLayer();
  layer.writeVersion = 0x0303;
  layer.setWriteProtection(s.protection(provider, k));
  return layer;
}

function reader(s: Suite, batch = true): RecordLayer {
  const layer = new RecordLayer({ side: 'server' });
  if (s.version === 'TLS 1.2') layer.readVersion = 0x0303;
  layer.setReadProtection(s.protection(batching));
  layer.batchReads = batch;
  return layer;
}

/** Every record the layer has now (a record opened in two pieces comes back as two). */
function readAll(layer: RecordLayer): { contentType: number; plaintext: Uint8Array }[] {
  const out: { contentType: number; plaintext: Uint8Array }[] = [];
  for (let r = layer.readRecord(); r !== null; r = layer.readRecord()) out.push({ contentType: r.contentType, plaintext: r.plaintext.slice() });
  return out;
}

/** The plaintext of `records`, joined. */
function joined(records: { contentType: number; plaintext: Uint8Array }[]): Uint8Array {
  return new Uint8Array(Buffer.concat(records.map((r) => r.plaintext)));
}

function throwsTls(fn: () => unknown, kind: string): void {
  assert.throws(fn, (e: unknown) => e instanceof TlsError && e.kind === kind);
}

/** The provider under test must batch, or these tests would test the record-by-record path twice. */
function assertBatches(s: Suite): void {
  const p = s.protection(batching);
  assert.equal(typeof p.sealRecords, 'function', `${s.name}: the native addon is not built`);
  assert.equal(typeof p.openRecords, 'function');
  assert.equal(typeof p.openSplitRecord, 'function');
}

describe('records sealed and opened in batches', () => {
  for (const s of suites) {
    it(`${s.name}: seals the same wire as record by record, up to 2^14-byte records`, () => {
      assertBatches(s);
      for (const size of [1, 100, MAX_FRAGMENT - 1, MAX_FRAGMENT, MAX_FRAGMENT + 1, 4 * MAX_FRAGMENT + 5, 65536]) {
        const a = writer(s, batching);
        const b = writer(s, single);
        for (const layer of [a, b]) {
          layer.writeRecord(23, bytes(size));
          layer.writeRecord(22, bytes(40, 3));
          layer.writeRecord(23, bytes(size, 9));
        }
        assert.deepEqual(a.takeOutput(), b.takeOutput(), `${size} bytes`);
      }
    });

    it(`${s.name}: opens records cut by two reads at every offset, in place, up to 2^14-byte records`, () => {
      // Every offset of three short records; the cuts of a 2^14-byte record that matter (around its
      // header, explicit nonce and tag) and a stride through its body.
      for (const sizes of [[300, 2000, 40], [300, MAX_FRAGMENT, 40]]) {
        const w = writer(s, batching);
        sizes.forEach((n, i) => w.writeRecord(23, bytes(n, i)));
        const wire = w.takeOutput().slice();
        const plain = new Uint8Array(Buffer.concat(sizes.map((n, i) => bytes(n, i))));
        const cuts = [];
        for (let cut = 1; cut < wire.length; cut++) {
          const near = cut < 400 || wire.length - cut < 100 || Math.abs(cut - (wire.length - 40 - 22)) < 40;
          if (sizes[1] !== MAX_FRAGMENT || near || cut % 61 === 0) cuts.push(cut);
        }
        for (const cut of cuts) {
          const r = reader(s);
          r.receive(wire.slice(0, cut), true);
          const first = readAll(r);
          r.receive(wire.slice(cut), true);
          const records = [...first, ...readAll(r)];
          const got = joined(records);
          if (got.length !== plain.length || !got.every((b, i) => b === plain[i])) assert.fail(`cut at ${cut}: wrong plaintext`);
          if (records.some((x) => x.contentType !== 23)) assert.fail(`cut at ${cut}: wrong content type`);
          assert.equal(r.buffered, 0);
        }
      }
    });

    it(`${s.name}: opens records cut by many small reads, and reads that are not ours to write over`, () => {
      const w = writer(s, batching);
      for (let i = 0; i < 20; i++) w.writeRecord(23, bytes(1000 + i * 997, i));
      const wire = w.takeOutput().slice();
      const plain = new Uint8Array(Buffer.concat(Array.from({ length: 20 }, (_, i) => bytes(1000 + i * 997, i))));
      for (const step of [1, 3, 4096, 16389, 65536]) {
        for (const owned of [true, false]) {
          const r = reader(s);
          const records = [];
          for (let at = 0; at < wire.length; at += step) {
            r.receive(wire.slice(at, at + step), owned);
            records.push(...readAll(r));
          }
          assert.deepEqual(joined(records), plain, `reads of ${step}, owned ${owned}`);
        }
      }
    });

    it(`${s.name}: opens more records in one read than a batch holds`, () => {
      const w = writer(s, batching);
      for (let i = 0; i < 1000; i++) w.writeRecord(23, bytes(1 + (i % 50), i));
      const r = reader(s);
      r.receive(w.takeOutput().slice(), true);
      const records = readAll(r);
      assert.equal(records.length, 1000);
      records.forEach((rec, i) => assert.deepEqual(rec.plaintext, bytes(1 + (i % 50), i)));
    });

    it(`${s.name}: a bad record in a batch is bad_record_mac, after the records before it and with none after it`, () => {
      for (const split of [false, true]) {
        const w = writer(s, batching);
        for (let i = 0; i < 5; i++) w.writeRecord(23, bytes(split ? 10000 : 100, i));
        const wire = w.takeOutput().slice();
        const recordLength = wire.length / 5;
        wire[2 * recordLength + recordLength - 3]! ^= 0x40; // the third record's tag
        const r = reader(s);
        const cut = split ? 2 * recordLength + 1000 : wire.length;
        r.receive(wire.slice(0, cut), true);
        r.receive(wire.slice(cut), true);
        const got: Uint8Array[] = [];
        assert.throws(
          () => {
            for (let rec = r.readRecord(); rec !== null; rec = r.readRecord()) got.push(rec.plaintext.slice());
          },
          (e: unknown) => e instanceof TlsError && e.kind === 'bad_record_mac' && e.message === 'record authentication failed',
        );
        assert.deepEqual(new Uint8Array(Buffer.concat(got)), new Uint8Array(Buffer.concat([bytes(split ? 10000 : 100, 0), bytes(split ? 10000 : 100, 1)])));
      }
    });

    it(`${s.name}: a batch stops after a record that is not application data, so the next keys read what follows`, () => {
      const w = writer(s, batching);
      w.writeRecord(23, bytes(100));
      // TLS 1.3: a handshake message (KeyUpdate) after which the keys change; TLS 1.2: ChangeCipherSpec.
      const type = s.version === 'TLS 1.3' ? 22 : 20;
      w.writeRecord(type, bytes(5, 1));
      const first = w.takeOutput().slice();
      w.setWriteProtection(s.protection(batching, 2));
      w.writeRecord(23, bytes(100, 2));
      w.writeRecord(23, bytes(100, 3));
      const r = reader(s);
      r.receive(new Uint8Array(Buffer.concat([first, w.takeOutput()])), true);
      const a = r.readRecord()!;
      assert.deepEqual([a.contentType, a.plaintext], [23, bytes(100)]);
      const b = r.readRecord()!;
      assert.equal(b.contentType, type);
      assert.deepEqual(b.plaintext, bytes(5, 1));
      r.setReadProtection(s.protection(batching, 2));
      assert.deepEqual(r.readRecord()!.plaintext, bytes(100, 2));
      assert.deepEqual(r.readRecord()!.plaintext, bytes(100, 3));
      assert.equal(r.readRecord(), null);
    });

    it(`${s.name}: plaintext over the record limit is record_overflow`, () => {
      const w = writer(s, batching);
      w.writeRecord(23, bytes(2000));
      const r = reader(s);
      r.maxFragmentIn = 1000; // as with a record_size_limit of 1000 (RFC 8449)
      r.receive(w.takeOutput().slice(), true);
      throwsTls(() => r.readRecord(), 'record_overflow');
    });
  }

  it('TLS 1.3: padded records open in the batch, a record of zeros alone is unexpected_message', () => {
    const s = suites[0]!;
    const w = new RecordLayer();
    w.setWriteProtection(aead13Protection(batching, 'AES-128-GCM', bytes(16, 1), bytes(12, 51), (n) => n + 300));
    w.writeRecord(23, bytes(100));
    w.writeRecord(23, bytes(MAX_FRAGMENT));
    const wire = w.takeOutput().slice();
    for (const cut of [wire.length, 200, 500, wire.length - 100]) {
      const r = reader(s);
      r.receive(wire.slice(0, cut), true);
      r.receive(wire.slice(cut), true);
      assert.deepEqual(joined(readAll(r)), new Uint8Array(Buffer.concat([bytes(100), bytes(MAX_FRAGMENT)])));
    }
    // A TLSInnerPlaintext with no non-zero byte (RFC 8446 Section 5.4), sealed by hand: seq 0, nonce = IV.
    const aead = batching.aead('AES-128-GCM', bytes(16, 1));
    const body = aead.seal(bytes(12, 51), Uint8Array.of(23, 3, 3, 0, 16 + 16), new Uint8Array(16));
    for (const split of [false, true]) {
      const r = reader(s);
      const record = new Uint8Array([23, 3, 3, 0, 32, ...body]);
      r.receive(record.slice(0, split ? 20 : record.length), true);
      r.receive(record.slice(split ? 20 : record.length), true);
      throwsTls(() => r.readRecord(), 'unexpected_message');
    }
  });

  it('TLS 1.2: a record whose version is not the negotiated one is protocol_version, even inside a batch', () => {
    const s = suites[3]!;
    const w = writer(s, batching);
    w.writeRecord(23, bytes(100));
    w.writeRecord(23, bytes(100, 1));
    const wire = w.takeOutput().slice();
    wire[(wire.length >> 1) + 2] = 0x02; // the second record says TLS 1.1
    const r = reader(s);
    r.receive(wire, true);
    assert.deepEqual(r.readRecord()!.plaintext, bytes(100));
    throwsTls(() => r.readRecord(), 'protocol_version');
  });

  it('record by record (batchReads off, as during a handshake) reads the same', () => {
    const s = suites[0]!;
    const w = writer(s, batching);
    for (let i = 0; i < 10; i++) w.writeRecord(23, bytes(5000, i));
    const wire = w.takeOutput().slice();
    const a = reader(s, false);
    a.receive(wire.slice(), true);
    const b = reader(s, true);
    b.receive(wire.slice(), true);
    assert.deepEqual(joined(readAll(a)), joined(readAll(b)));
  });
});
