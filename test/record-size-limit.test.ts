// RFC 8449 record_size_limit: each side keeps to the limit the other announced.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ProtocolVersion } from '../src/wire/enums.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

/** The body lengths of the records in a flight (from their 5-byte headers); `onlyType` keeps one outer type. */
function recordLengths(bytes: Uint8Array, onlyType?: number): number[] {
  const out: number[] = [];
  for (let at = 0; at + 5 <= bytes.length; ) {
    const length = (bytes[at + 3]! << 8) | bytes[at + 4]!;
    if (onlyType === undefined || bytes[at] === onlyType) out.push(length);
    at += 5 + length;
  }
  return out;
}

describe('record_size_limit', () => {
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version}: a client announcing 512 gets no record over it; the server's limit binds the client`, () => {
      const v = ProtocolVersion[version];
      const seen: number[] = [];
      const pair = Pair.create(
        makeClientConfig(k, { maxVersion: v, recordSizeLimit: 512, cipherSuites: version === 'TLSv1.2' ? [0xc02f] : [0x1301] }),
        makeServerConfig(k, { maxVersion: v, recordSizeLimit: 1024 }),
        'localhost',
        (from, bytes) => {
          if (from === 'server') seen.push(...recordLengths(bytes));
          return bytes;
        },
      );
      pair.handshake();
      const big = new Uint8Array(10_000).fill(1);
      pair.server.write(big);
      pair.client.write(big);
      pair.run();
      assert.deepEqual(pair.received('client'), big);
      assert.deepEqual(pair.received('server'), big);
      // Record bodies: TLS 1.2 GCM adds 8 + 16 to a 512-byte plaintext; TLS 1.3 adds 16 to a 512-byte
      // inner plaintext (511 bytes of content and the content type).
      const overhead = version === 'TLSv1.2' ? 24 : 16;
      const encrypted = seen.filter((n) => n > 100);
      assert.ok(encrypted.length > 10);
      assert.equal(Math.max(...encrypted.slice(-10)), 512 + overhead, `server records: ${encrypted.slice(-5)}`);
    });
  }

  it('a server without a limit of its own answers with the full size, and nothing changes', () => {
    const pair = Pair.create(makeClientConfig(k, { recordSizeLimit: 16385 }), makeServerConfig(k));
    pair.handshake();
    const big = new Uint8Array(40_000).fill(2);
    pair.server.write(big);
    pair.run();
    assert.deepEqual(pair.received('client'), big);
  });

  it('a record over our announced limit is record_overflow', () => {
    // The server's sends are bounded by the client's 512; a peer that ignores it (simulated by
    // lifting the server's own bound) is refused.
    const pair = Pair.create(makeClientConfig(k, { recordSizeLimit: 512 }), makeServerConfig(k));
    pair.handshake();
    (pair.server as unknown as { engine: { record: { maxFragmentOut: number } } }).engine.record.maxFragmentOut = 16384;
    pair.server.write(new Uint8Array(2000));
    pair.run();
    assert.equal(pair.client.error?.kind, 'record_overflow');
  });

  it('a limit below 64 is refused by the config', () => {
    assert.throws(() => makeClientConfig(k, { recordSizeLimit: 10 }), { code: 'ERR_OUT_OF_RANGE' });
  });
});

describe('TLS 1.3 record padding', () => {
  it('pads every protected record to a multiple of the block, and the data arrives intact', () => {
    const seen: number[] = [];
    const pair = Pair.create(makeClientConfig(k), makeServerConfig(k, { recordPadding: 256 }), 'localhost', (from, bytes) => {
      if (from === 'server') seen.push(...recordLengths(bytes, 23));
      return bytes;
    });
    pair.handshake();
    const data = new TextEncoder().encode('hello, padded world');
    pair.server.write(data);
    pair.server.write(new Uint8Array(20_000).fill(3));
    pair.run();
    assert.deepEqual(pair.received('client').subarray(0, data.length), data);
    assert.equal(pair.received('client').length, data.length + 20_000);
    // Every encrypted record body: padded inner plaintext (a multiple of 256, or the 2^14 + 1 maximum) + 16.
    const encrypted = seen;
    assert.ok(encrypted.length >= 5);
    for (const n of encrypted) assert.ok((n - 16) % 256 === 0 || n - 16 === 16385, `record body of ${n} bytes`);
  });
});
