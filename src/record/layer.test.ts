import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeCryptoProvider as provider, type NodeCryptoProvider } from '../crypto/node.js';
import { TlsError } from '../errors.js';
import type { TraceEvent } from '../trace.js';
import { concatBytes } from '../wire/bytes.js';
import { RecordLayer } from './layer.js';
import { aead12Protection, aead13Protection, cbcProtection } from './protection.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const bytes = (n: number, start = 0): Uint8Array => new Uint8Array(n).map((_, i) => (start + i) & 0xff);

function throwsTls(fn: () => unknown, kind: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TlsError, `expected a TlsError, got ${String(e)}`);
    assert.equal(e.kind, kind);
    return true;
  });
}

/** Reads every whole record the layer has. */
function readAll(layer: RecordLayer): { contentType: number; plaintext: Uint8Array }[] {
  const out = [];
  for (let r = layer.readRecord(); r !== null; r = layer.readRecord()) out.push(r);
  return out;
}

const gcm = () => aead12Protection(provider, 'AES-128-GCM', bytes(16, 1), bytes(4, 2));

describe('RecordLayer', () => {
  it('starts unprotected: writes the header and the data as is, with writeVersion', () => {
    const layer = new RecordLayer();
    assert.equal(layer.writeEncrypted, false);
    assert.equal(layer.readEncrypted, false);
    assert.equal(layer.writeVersion, 0x0301);
    assert.equal(layer.hasOutput, false);
    layer.writeRecord(22, bytes(3));
    layer.writeVersion = 0x0303;
    layer.writeRecord(21, Uint8Array.of(2, 10));
    assert.equal(layer.hasOutput, true);
    assert.deepEqual(layer.takeOutput(), hex('16 0301 0003 000102  15 0303 0002 020a'));
    assert.equal(layer.hasOutput, false);
    assert.deepEqual(layer.takeOutput(), new Uint8Array(0));
  });

  it('splits writes into records of at most 2^14 bytes, and the peer reads them back', () => {
    const writer = new RecordLayer();
    const data = bytes(40000);
    writer.writeRecord(23, data);
    const wire = writer.takeOutput();
    assert.equal(wire.length, 40000 + 3 * 5);
    assert.equal((wire[3]! << 8) | wire[4]!, 16384);
    const reader = new RecordLayer({ side: 'server' });
    reader.receive(wire);
    const records = readAll(reader);
    assert.deepEqual(records.map((r) => r.plaintext.length), [16384, 16384, 7232]);
    assert.deepEqual(new Uint8Array(Buffer.concat(records.map((r) => r.plaintext))), data);
  });

  it('writes nothing for empty application data and refuses an empty handshake or alert', () => {
    const layer = new RecordLayer();
    layer.writeRecord(23, new Uint8Array(0));
    assert.equal(layer.hasOutput, false);
    throwsTls(() => layer.writeRecord(22, new Uint8Array(0)), 'internal_error');
    throwsTls(() => layer.writeRecord(21, new Uint8Array(0)), 'internal_error');
  });

  it('protects with the write protection and a sequence number that counts from 0 and resets on a switch', () => {
    const client = new RecordLayer();
    const server = new RecordLayer({ side: 'server' });
    client.writeVersion = 0x0303;
    client.writeRecord(22, bytes(10));
    client.setWriteProtection(gcm());
    assert.equal(client.writeEncrypted, true);
    client.writeRecord(22, bytes(12));
    client.writeRecord(23, bytes(20000));
    const wire = client.takeOutput();
    // The first protected record carries explicit nonce = seq 0, the next ones 1 and 2.
    const second = wire.subarray(15);
    assert.deepEqual(second.subarray(0, 5), hex('16 0303 0024'));
    assert.deepEqual(second.subarray(5, 13), hex('0000000000000000'));
    server.receive(wire);
    assert.deepEqual(server.readRecord(), { contentType: 22, plaintext: bytes(10) });
    // The peer switches its read side at the same point (the ChangeCipherSpec in TLS 1.2).
    server.setReadProtection(gcm());
    assert.equal(server.readEncrypted, true);
    assert.deepEqual(server.readRecord(), { contentType: 22, plaintext: bytes(12) });
    const rest = readAll(server);
    assert.deepEqual(rest.map((r) => r.plaintext.length), [16384, 3616]);
    // A new protection restarts at seq 0 on both sides.
    client.setWriteProtection(gcm());
    client.writeRecord(23, bytes(5));
    const again = client.takeOutput();
    assert.deepEqual(again.subarray(5, 13), hex('0000000000000000'));
    server.setReadProtection(gcm());
    server.receive(again);
    assert.deepEqual(server.readRecord(), { contentType: 23, plaintext: bytes(5) });
  });

  it('a record replayed or reordered fails with bad_record_mac', () => {
    const client = new RecordLayer();
    client.setWriteProtection(gcm());
    client.writeRecord(23, bytes(5));
    const first = client.takeOutput();
    client.writeRecord(23, bytes(5));
    const second = client.takeOutput();
    const server = new RecordLayer({ side: 'server' });
    server.setReadProtection(gcm());
    // The explicit nonce says 1, but the receiver's seq (in the AAD) is 0.
    server.receive(second);
    throwsTls(() => server.readRecord(), 'bad_record_mac');
    const other = new RecordLayer({ side: 'server' });
    other.setReadProtection(gcm());
    other.receive(first);
    other.receive(first);
    assert.deepEqual(other.readRecord()!.plaintext, bytes(5));
    throwsTls(() => other.readRecord(), 'bad_record_mac');
  });

  it('TLS 1.3: writes the RFC 8448 record (outer type 23, version 0x0303) and reads the inner type back', () => {
    // RFC 8448 Section 3: the client's application traffic key and IV, its first
    // application_data record and its close_notify alert.
    const key = hex('17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51');
    const iv = hex('5b 78 92 3d ee 08 57 90 33 e5 23 d9');
    const appRecord = hex(`17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea
      42 f9 14 aa 66 bc ab 3f 2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b
      62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d ea e6 3a ee bb 21 69 49 15 e4`);
    const alertRecord = hex('17 03 03 00 13 c9 87 27 60 65 56 66 b7 4d 7f f1 15 3e fd 6d b6 d0 b0 e3');
    const client = new RecordLayer();
    client.writeVersion = 0x0301; // the header still says 0x0303 once protected
    client.setWriteProtection(aead13Protection(provider, 'AES-128-GCM', key, iv));
    client.writeRecord(23, bytes(50));
    client.writeRecord(21, hex('0100'));
    assert.deepEqual(client.takeOutput(), new Uint8Array(Buffer.concat([appRecord, alertRecord])));

    const server = new RecordLayer({ side: 'server' });
    server.setReadProtection(aead13Protection(provider, 'AES-128-GCM', key, iv));
    // An unprotected change_cipher_spec in between passes through and takes no sequence number (RFC 8446 Section 5).
    server.receive(new Uint8Array(Buffer.concat([hex('14 0303 0001 01'), appRecord, alertRecord])));
    assert.deepEqual(readAll(server), [
      { contentType: 20, plaintext: Uint8Array.of(1) },
      { contentType: 23, plaintext: bytes(50) },
      { contentType: 21, plaintext: hex('0100') },
    ]);
  });

  it('TLS 1.3: an unprotected handshake record under protection is unexpected_message', () => {
    const server = new RecordLayer({ side: 'server' });
    server.setReadProtection(aead13Protection(provider, 'AES-128-GCM', bytes(16), bytes(12)));
    server.receive(hex('16 0303 0004 01000000'));
    throwsTls(() => server.readRecord(), 'unexpected_message');
  });

  it('allows a body of 2^14 + the protection expansion and refuses more with record_overflow', () => {
    const unprotected = new RecordLayer();
    unprotected.receive(new Uint8Array([23, 3, 3, 0x40, 0x01]));
    throwsTls(() => unprotected.readRecord(), 'record_overflow');

    const tls13 = new RecordLayer();
    tls13.setReadProtection(aead13Protection(provider, 'AES-128-GCM', bytes(16), bytes(12)));
    tls13.receive(new Uint8Array([23, 3, 3, 0x41, 0x01])); // 2^14 + 257
    throwsTls(() => tls13.readRecord(), 'record_overflow');
  });

  it('refuses a plaintext over 2^14 with record_overflow even when the body fits', () => {
    // A CBC record may carry 2^14 + 1 bytes of content inside its 2^14 + 16 + 20 + 256 body limit.
    const options = { algorithm: 'AES-128-CBC', key: bytes(16), macHash: 'sha1', macKey: bytes(20), encryptThenMac: false } as const;
    const body = cbcProtection(provider, options).seal(23, 0x0303, 0, new Uint8Array(16385));
    const reader = new RecordLayer();
    reader.setReadProtection(cbcProtection(provider, options));
    reader.receive(new Uint8Array(Buffer.concat([Uint8Array.of(23, 3, 3, body.length >> 8, body.length & 0xff), body])));
    throwsTls(() => reader.readRecord(), 'record_overflow');
  });

  it('refuses an empty handshake, alert or change_cipher_spec record, and passes empty application data', () => {
    for (const type of [20, 21, 22]) {
      const layer = new RecordLayer();
      layer.receive(Uint8Array.of(type, 3, 3, 0, 0));
      throwsTls(() => layer.readRecord(), 'unexpected_message');
    }
    const layer = new RecordLayer();
    layer.receive(Uint8Array.of(23, 3, 3, 0, 0));
    assert.deepEqual(layer.readRecord(), { contentType: 23, plaintext: new Uint8Array(0) });
  });

  it('refuses to go past the largest safe sequence number', () => {
    const layer = new RecordLayer();
    layer.setWriteProtection(gcm());
    (layer as unknown as { writeSeq: number }).writeSeq = Number.MAX_SAFE_INTEGER - 1;
    layer.writeRecord(23, bytes(1));
    throwsTls(() => layer.writeRecord(23, bytes(1)), 'internal_error');
  });

  it('reports each record to the trace annotator', () => {
    const events: TraceEvent[] = [];
    const client = new RecordLayer({ side: 'client', trace: (e) => events.push(e) });
    client.writeRecord(22, bytes(4));
    client.setWriteProtection(aead13Protection(provider, 'AES-128-GCM', bytes(16), bytes(12)));
    client.writeRecord(22, bytes(4));
    const server = new RecordLayer({ side: 'server', trace: (e) => events.push(e) });
    server.receive(client.takeOutput());
    server.readRecord();
    assert.deepEqual(events, [
      { kind: 'record', side: 'client', direction: 'sent', contentType: 22, length: 4, encrypted: false },
      { kind: 'record', side: 'client', direction: 'sent', contentType: 23, length: 21, encrypted: true },
      { kind: 'record', side: 'server', direction: 'received', contentType: 22, length: 4, encrypted: false },
    ]);
  });

  for (const [version, make] of [
    ['TLS 1.2', () => gcm()],
    ['TLS 1.3', () => aead13Protection(provider, 'CHACHA20-POLY1305', bytes(32, 3), bytes(12, 4))],
  ] as const) {
    it(`${version}: owned bytes are decrypted in place, other bytes are never written`, () => {
      const sender = new RecordLayer();
      sender.setWriteProtection(make());
      sender.writeRecord(23, bytes(40_000, 9));
      const wire = sender.takeOutput();
      const untouched = wire.slice();
      // Not owned (a recording, a test's buffer): the plaintext is a copy, the input unchanged.
      const reader = new RecordLayer();
      reader.setReadProtection(make());
      reader.receive(wire);
      const copied = readAll(reader);
      assert.deepEqual(wire, untouched);
      assert.ok(copied.every((r) => r.plaintext.buffer !== wire.buffer));
      // Owned, in two pieces so that one record straddles them: plaintexts are views of the
      // pieces where a record lies in one, and a copy where it straddles.
      const first = wire.slice(0, 20_000);
      const second = wire.slice(20_000);
      const owner = new RecordLayer();
      owner.setReadProtection(make());
      owner.receive(first, true);
      owner.receive(second, true);
      const opened = readAll(owner);
      assert.deepEqual(opened.map((r) => r.plaintext), copied.map((r) => r.plaintext));
      assert.deepEqual(concatBytes(...opened.map((r) => r.plaintext)), bytes(40_000, 9));
      // node:crypto alone (TYPETLS_NATIVE=0, or no addon built) decrypts into new arrays: the
      // pieces are never written, as if they were not owned.
      if ((provider as NodeCryptoProvider).implementation !== 'native') {
        assert.ok(opened.every((r) => r.plaintext.buffer !== first.buffer && r.plaintext.buffer !== second.buffer));
        assert.deepEqual(concatBytes(first, second), untouched);
        return;
      }
      assert.equal(opened[0]!.plaintext.buffer, first.buffer, 'the first record is opened where it lies');
      assert.equal(opened[2]!.plaintext.buffer, second.buffer, 'the last record is opened where it lies');
      assert.notEqual(opened[1]!.plaintext.buffer, first.buffer, 'the straddling record is assembled in a copy');
    });
  }

  it('a forged record received as owned is still bad_record_mac', () => {
    const sender = new RecordLayer();
    sender.setWriteProtection(gcm());
    sender.writeRecord(23, bytes(100));
    const wire = sender.takeOutput();
    wire[wire.length - 1]! ^= 1;
    const reader = new RecordLayer();
    reader.setReadProtection(gcm());
    reader.receive(wire, true);
    throwsTls(() => reader.readRecord(), 'bad_record_mac');
  });

  it('seals the next large write into an output slab handed back by recycleOutput, and nothing else', () => {
    const layer = new RecordLayer();
    layer.setWriteProtection(gcm());
    layer.writeRecord(23, bytes(65_536));
    const first = layer.takeOutput();
    const firstSent = first.slice();
    layer.recycleOutput(first);
    layer.recycleOutput(first); // twice is once
    layer.writeRecord(23, bytes(65_536, 1));
    const second = layer.takeOutput();
    assert.equal(second.buffer, first.buffer, 'the slab is sealed into again');
    layer.writeRecord(23, bytes(65_536, 2));
    const third = layer.takeOutput();
    assert.notEqual(third.buffer, second.buffer, 'a slab still out is not reused (handed back twice above)');
    // What the peer reads is right every time.
    const reader = new RecordLayer();
    reader.setReadProtection(gcm());
    reader.receive(firstSent);
    reader.receive(second);
    reader.receive(third);
    const read = concatBytes(...readAll(reader).map((r) => r.plaintext));
    assert.deepEqual(read, concatBytes(bytes(65_536), bytes(65_536, 1), bytes(65_536, 2)));
    // A foreign array, a view into a slab, a small write's slice: never adopted.
    const foreign = new Uint8Array(66 * 1024);
    layer.recycleOutput(foreign);
    layer.recycleOutput(third.subarray(5));
    layer.writeRecord(23, bytes(100));
    const small = layer.takeOutput();
    assert.notEqual(small.buffer, third.buffer);
    layer.recycleOutput(small);
    layer.writeRecord(23, bytes(65_536, 3));
    const fourth = layer.takeOutput();
    assert.ok(![foreign.buffer, third.buffer, small.buffer].includes(fourth.buffer));
  });

  it('small writes of several connections are slices of one pool that never overlap', () => {
    const layers = [new RecordLayer(), new RecordLayer()];
    layers.forEach((l) => l.setWriteProtection(gcm()));
    const sent: Uint8Array[][] = [[], []];
    const copies: Uint8Array[][] = [[], []];
    for (let i = 0; i < 300; i++) {
      const k = i % 2;
      layers[k]!.writeRecord(23, bytes(1 + ((i * 37) % 1500), i));
      const out = layers[k]!.takeOutput();
      sent[k]!.push(out);
      copies[k]!.push(out.slice());
    }
    assert.equal(sent[0]![0]!.buffer, sent[1]![0]!.buffer, 'one pool for both');
    // Nothing written later changed what was handed out before.
    for (const k of [0, 1]) sent[k]!.forEach((out, i) => assert.deepEqual(out, copies[k]![i]));
  });
});

