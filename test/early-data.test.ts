// TLS 1.3 0-RTT in memory: accepted, rejected (and sent again), refused on replay,
// and skipped by a server that answers with HelloRetryRequest.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { ClientConfig, ServerConfig } from '../src/config.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../src/connection.js';
import { NamedGroup } from '../src/wire/enums.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

const request = new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n');

function firstSession(client: ClientConfig, server: ServerConfig): Uint8Array {
  const pair = Pair.create(client, server);
  pair.handshake();
  const s = pair.clientEvents.find((e): e is Extract<ConnectionEvent, { type: 'session' }> => e.type === 'session');
  assert.ok(s);
  return s.session;
}

function earlyReceived(events: ConnectionEvent[]): string {
  return events.filter((e): e is Extract<ConnectionEvent, { type: 'earlyData' }> => e.type === 'earlyData').map((e) => new TextDecoder().decode(e.data)).join('');
}

function withEarlyData(client: ClientConfig, server: ServerConfig, session: Uint8Array): Pair {
  const pair = new Pair(new ClientConnection(client, { serverName: 'localhost', session, earlyData: request }), new ServerConnection(server));
  pair.handshake();
  return pair;
}

describe('0-RTT early data', () => {
  it('is accepted by a server that allows it, and shown apart from ordinary data', () => {
    const client = makeClientConfig(k);
    const server = makeServerConfig(k, { maxEarlyData: 16384 });
    const pair = withEarlyData(client, server, firstSession(client, server));
    assert.equal(pair.client.info.earlyData, 'accepted');
    assert.equal(pair.server.info.earlyData, 'accepted');
    assert.equal(earlyReceived(pair.serverEvents), 'GET / HTTP/1.1\r\n\r\n');
    assert.equal(pair.received('server').length, 0);
    pair.client.write(Uint8Array.of(9));
    pair.run();
    assert.deepEqual(pair.received('server'), Uint8Array.of(9));
  });

  it('is not sent on a ticket that does not allow it: the data goes after the handshake', () => {
    const client = makeClientConfig(k);
    const server = makeServerConfig(k);
    const pair = withEarlyData(client, server, firstSession(client, server));
    assert.equal(pair.client.info.earlyData, 'none');
    assert.equal(new TextDecoder().decode(pair.received('server')), 'GET / HTTP/1.1\r\n\r\n');
  });

  it('is rejected by a server that no longer allows it, and sent again after the handshake', () => {
    const client = makeClientConfig(k);
    const ticketKeys = [new Uint8Array(48).fill(7)];
    const session = firstSession(client, makeServerConfig(k, { maxEarlyData: 16384, ticketKeys }));
    const pair = withEarlyData(client, makeServerConfig(k, { ticketKeys }), session);
    assert.equal(pair.client.info.sessionReused, true);
    assert.equal(pair.client.info.earlyData, 'rejected');
    assert.equal(earlyReceived(pair.serverEvents), '');
    assert.equal(new TextDecoder().decode(pair.received('server')), 'GET / HTTP/1.1\r\n\r\n');
  });

  it('a replayed ticket gets its early data rejected (single use)', () => {
    const client = makeClientConfig(k);
    const server = makeServerConfig(k, { maxEarlyData: 16384 });
    const session = firstSession(client, server);
    assert.equal(withEarlyData(client, server, session).server.info.earlyData, 'accepted');
    const again = withEarlyData(client, server, session);
    assert.equal(again.server.info.earlyData, 'rejected');
    assert.equal(new TextDecoder().decode(again.received('server')), 'GET / HTTP/1.1\r\n\r\n');
  });

  it('after a HelloRetryRequest the early data is skipped and sent again', () => {
    const client = makeClientConfig(k, { groups: [NamedGroup.x25519, NamedGroup.secp256r1] });
    const ticketKeys = [new Uint8Array(48).fill(3)];
    const session = firstSession(client, makeServerConfig(k, { maxEarlyData: 16384, ticketKeys }));
    const pair = withEarlyData(client, makeServerConfig(k, { maxEarlyData: 16384, ticketKeys, groups: [NamedGroup.secp256r1] }), session);
    assert.equal(pair.client.info.earlyData, 'rejected');
    assert.equal(new TextDecoder().decode(pair.received('server')), 'GET / HTTP/1.1\r\n\r\n');
  });

  it('more early data than the ticket allows is not sent as 0-RTT', () => {
    const client = makeClientConfig(k);
    const server = makeServerConfig(k, { maxEarlyData: 8 });
    const pair = withEarlyData(client, server, firstSession(client, server));
    assert.equal(pair.client.info.earlyData, 'none');
    assert.equal(new TextDecoder().decode(pair.received('server')), 'GET / HTTP/1.1\r\n\r\n');
  });
});
