// TLS 1.0 1/n-1 record splitting against BEAST, in memory, read off the wire.
//
// TLS 1.0 CBC takes each record's IV from the last ciphertext block of the one before (RFC 2246
// Section 6.2.3.2), which an attacker who sees it can use to choose the next plaintext block
// (BEAST). Sending the first byte of each write in a record of its own makes the IV of the rest
// unpredictable. So with minVersion/maxVersion TLS 1.0 and a CBC suite, a write of N > 1 bytes must
// leave as a 1-byte record followed by an (N-1)-byte one (per 16 KiB fragment), in both directions;
// TLS 1.1 and 1.2 (explicit IVs) must not split. Record lengths are checked against the CBC sizes
// (MAC-then-encrypt, or encrypt-then-MAC when the ServerHello says so), and the receiver must see
// the same pieces and the same bytes.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { suiteByName, type CipherSuite } from '../src/suites.js';
import { ExtensionType, HandshakeType, ProtocolVersion } from '../src/wire/enums.js';
import { findExtension } from '../src/wire/extensions.js';
import { decodeHandshake, type ServerHello } from '../src/wire/messages.js';
import { ContentTypes, handshakeMessagesOf, recordHeaders } from './flight.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

const MAX_FRAGMENT = 16384;

/** An established pair at `version` with `suite`, and whether encrypt_then_mac was negotiated. */
function establish(version: number, suite: CipherSuite): { pair: Pair; etm: boolean } {
  let serverHello: ServerHello | undefined;
  const pair = Pair.create(
    makeClientConfig(k, { minVersion: version, maxVersion: version, cipherSuites: [suite.id] }),
    makeServerConfig(k, { minVersion: version, maxVersion: version, certificates: [suite.auth === 'ecdsa' ? k.ecdsa : k.rsa] }),
    'localhost',
    (from, bytes) => {
      if (from === 'server' && !serverHello) {
        const m = handshakeMessagesOf(bytes).find((x) => x.type === HandshakeType.server_hello)!;
        serverHello = decodeHandshake(m.type, m.body, { version }) as ServerHello;
      }
      return bytes;
    },
  );
  pair.handshake();
  assert.equal(pair.client.info.version, version);
  assert.equal(pair.client.info.cipherSuite?.id, suite.id);
  return { pair, etm: findExtension(serverHello!.extensions, ExtensionType.encrypt_then_mac) !== undefined };
}

/** The length of a CBC record body for `plaintext` bytes (RFC 2246 Section 6.2.3.2; RFC 7366 Section 3 with EtM). */
function cbcRecordLength(suite: CipherSuite, version: number, plaintext: number, etm: boolean): number {
  assert.equal(suite.cipher.kind, 'cbc');
  const mac = suite.cipher.kind === 'cbc' ? suite.cipher.macLength : 0;
  const explicitIv = version >= ProtocolVersion['TLSv1.1'] ? 16 : 0;
  // Padding brings content (+ MAC under MtE) + the padding-length byte to a multiple of the block.
  const padded = (n: number) => Math.ceil((n + 1) / 16) * 16;
  return etm ? explicitIv + padded(plaintext) + mac : explicitIv + padded(plaintext + mac);
}

/** Writes `data` on one side, returns the application_data record lengths it produced and the data events the other side got. */
function send(pair: Pair, from: 'client' | 'server', data: Uint8Array): { records: number[]; pieces: number[]; received: Uint8Array } {
  const [writer, reader] = from === 'client' ? [pair.client, pair.server] : [pair.server, pair.client];
  writer.write(data);
  const wire = writer.takeOutput();
  const headers = recordHeaders(wire);
  assert.ok(headers.every((h) => h.type === ContentTypes.application_data), 'only application_data records');
  reader.receive(wire);
  const events = reader.process();
  const pieces = events.flatMap((e) => (e.type === 'data' ? [e.data] : []));
  const received = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    received.set(p, at);
    at += p.length;
  }
  return { records: headers.map((h) => h.length), pieces: pieces.map((p) => p.length), received };
}

const cbcSuites = ['AES128-SHA', 'ECDHE-RSA-AES256-SHA', 'DHE-RSA-AES128-SHA'].map((n) => suiteByName(n)!);
const TLS10 = ProtocolVersion.TLSv1;

describe('TLS 1.0 CBC: 1/n-1 record splitting', () => {
  for (const suite of cbcSuites) {
    for (const from of ['client', 'server'] as const) {
      it(`${suite.openSslName}, ${from} writes 100 bytes: a 1-byte record, then 99 bytes`, () => {
        const { pair, etm } = establish(TLS10, suite);
        const data = randomBytes(100);
        const r = send(pair, from, data);
        assert.deepEqual(r.records, [cbcRecordLength(suite, TLS10, 1, etm), cbcRecordLength(suite, TLS10, 99, etm)], `etm=${etm}`);
        assert.deepEqual(r.pieces, [1, 99]);
        assert.deepEqual(r.received, Uint8Array.from(data));
      });
    }
  }

  it('a write of 2 bytes: 1 + 1', () => {
    const suite = cbcSuites[0]!;
    const { pair, etm } = establish(TLS10, suite);
    const r = send(pair, 'client', Uint8Array.of(7, 8));
    assert.deepEqual(r.records, [cbcRecordLength(suite, TLS10, 1, etm), cbcRecordLength(suite, TLS10, 1, etm)]);
    assert.deepEqual(r.received, Uint8Array.of(7, 8));
  });

  it('a write of 1 byte stays one record', () => {
    const suite = cbcSuites[0]!;
    const { pair, etm } = establish(TLS10, suite);
    const r = send(pair, 'client', Uint8Array.of(42));
    assert.deepEqual(r.records, [cbcRecordLength(suite, TLS10, 1, etm)]);
    assert.deepEqual(r.pieces, [1]);
  });

  it('a write of 40 000 bytes: each 16 KiB fragment splits as 1 + the rest (1, 16383, 1, 16383, 1, 7231)', () => {
    const suite = cbcSuites[0]!;
    const { pair, etm } = establish(TLS10, suite);
    const data = randomBytes(40_000);
    const r = send(pair, 'client', data);
    const plain = [1, MAX_FRAGMENT - 1, 1, MAX_FRAGMENT - 1, 1, 40_000 - 2 * MAX_FRAGMENT - 1];
    assert.deepEqual(r.pieces, plain);
    assert.deepEqual(r.records, plain.map((n) => cbcRecordLength(suite, TLS10, n, etm)));
    assert.deepEqual(r.received, Uint8Array.from(data));
  });

  it('every write splits, not only the first', () => {
    const suite = cbcSuites[0]!;
    const { pair } = establish(TLS10, suite);
    for (const size of [10, 300, 5]) assert.deepEqual(send(pair, 'client', randomBytes(size)).pieces, [1, size - 1]);
  });
});

describe('no splitting where the IV is explicit', () => {
  for (const [label, version] of [['TLS 1.1', ProtocolVersion['TLSv1.1']], ['TLS 1.2', ProtocolVersion['TLSv1.2']]] as const) {
    it(`${label} AES128-SHA: a write of 100 bytes is one record`, () => {
      const suite = cbcSuites[0]!;
      const { pair, etm } = establish(version, suite);
      const r = send(pair, 'client', randomBytes(100));
      assert.deepEqual(r.records, [cbcRecordLength(suite, version, 100, etm)]);
      assert.deepEqual(r.pieces, [100]);
    });
  }
});
