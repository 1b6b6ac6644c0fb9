// TLS 1.3 bad input of issue-level interest: a key share outside supported_groups, a second
// HelloRetryRequest, early data beyond the limit, a KeyUpdate with an invalid value.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../src/connection.js';
import { NamedGroup } from '../src/wire/enums.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

/** The index of a byte sequence in a buffer, or -1. */
function indexOf(hay: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

describe('TLS 1.3 hostile input', () => {
  it('a key share for a group not in supported_groups is illegal_parameter', () => {
    const client = makeClientConfig(k, { groups: [NamedGroup.x25519, NamedGroup.secp256r1] });
    const pair = Pair.create(client, makeServerConfig(k), 'localhost', (from, bytes) => {
      if (from !== 'client' || bytes[5] !== 1) return bytes;
      // supported_groups: 00 0a | 00 06 | 00 04 | 00 1d 00 17 → list secp521r1 instead of x25519.
      const at = indexOf(bytes, [0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17]);
      assert.ok(at > 0, 'supported_groups found in the ClientHello');
      const copy = bytes.slice();
      copy[at + 7] = 0x19;
      return copy;
    });
    pair.run();
    assert.equal(pair.server.error?.kind, 'illegal_parameter');
    assert.match(pair.server.error!.message, /not in supported_groups/);
    assert.equal(pair.client.error?.code, 'ERR_TLS_ALERT_ILLEGAL_PARAMETER');
  });

  it('a second HelloRetryRequest is unexpected_message', () => {
    const client = new ClientConnection(makeClientConfig(k, { groups: [NamedGroup.secp256r1, NamedGroup.x25519] }), { serverName: 'localhost' });
    const server = new ServerConnection(makeServerConfig(k, { groups: [NamedGroup.x25519] }));
    server.receive(client.takeOutput());
    server.process();
    const hrr = server.takeOutput(); // HelloRetryRequest (and the compatibility ChangeCipherSpec)
    client.receive(hrr);
    client.process();
    assert.equal(client.error as unknown, undefined);
    client.takeOutput(); // the second ClientHello
    client.receive(hrr); // the server "asks again"
    const events: ConnectionEvent[] = client.process();
    const error = client.error;
    assert.equal(error?.kind, 'unexpected_message');
    assert.match(error!.message, /second HelloRetryRequest/);
    assert.ok(events.some((e) => e.type === 'error'));
  });

  it('early data beyond the limit is unexpected_message', () => {
    const client = makeClientConfig(k);
    const ticketKeys = [new Uint8Array(48).fill(9)];
    const first = Pair.create(client, makeServerConfig(k, { maxEarlyData: 16384, ticketKeys }));
    first.handshake();
    const session = first.clientEvents.find((e): e is Extract<ConnectionEvent, { type: 'session' }> => e.type === 'session')!.session;
    // The ticket allows 16 KiB; the server now takes 8 bytes at most.
    const pair = new Pair(
      new ClientConnection(client, { serverName: 'localhost', session, earlyData: new Uint8Array(100) }),
      new ServerConnection(makeServerConfig(k, { maxEarlyData: 8, ticketKeys })),
    );
    pair.run();
    assert.equal(pair.server.error?.kind, 'unexpected_message');
    assert.match(pair.server.error!.message, /max_early_data_size/);
  });

  it('a KeyUpdate with request_update 2 is illegal_parameter', () => {
    const pair = Pair.create(makeClientConfig(k), makeServerConfig(k));
    pair.handshake();
    (pair.client as unknown as { engine: { sendHandshake(m: unknown): void } }).engine.sendHandshake({ type: 24, requestUpdate: 2 });
    pair.run();
    assert.equal(pair.server.error?.kind, 'illegal_parameter');
    assert.equal(pair.client.error?.code, 'ERR_TLS_ALERT_ILLEGAL_PARAMETER');
  });
});

describe('TLS 1.3 ChangeCipherSpec flood', () => {
  it('more than four compatibility ChangeCipherSpec records in a handshake is unexpected_message', () => {
    const client = new ClientConnection(makeClientConfig(k), { serverName: 'localhost' });
    const server = new ServerConnection(makeServerConfig(k));
    server.receive(client.takeOutput());
    server.process();
    const ccs = Uint8Array.of(20, 3, 3, 0, 1, 1);
    for (let i = 0; i < 4; i++) server.receive(ccs);
    server.process();
    assert.equal(server.error as unknown, undefined);
    server.receive(ccs);
    server.process();
    const error = server.error;
    assert.equal(error?.kind, 'unexpected_message');
    assert.match(error!.message, /ChangeCipherSpec/);
  });
});
