// Session resumption in memory: TLS 1.2 by session ID and by ticket (RFC 5077),
// TLS 1.3 by PSK ticket, across servers sharing ticket keys, and the refusals.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { ClientConfig, ServerConfig } from '../src/config.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../src/connection.js';
import { nodeCryptoProvider } from '../src/crypto/node.js';
import { MemorySessionStore } from '../src/handshake/resumption.js';
import { ProtocolVersion } from '../src/wire/enums.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

function sessionOf(events: ConnectionEvent[]): Uint8Array {
  const s = events.filter((e): e is Extract<ConnectionEvent, { type: 'session' }> => e.type === 'session').at(-1);
  assert.ok(s, 'the client emitted a session');
  return s.session;
}

function connect(client: ClientConfig, server: ServerConfig, session?: Uint8Array, tamper?: Parameters<typeof Pair.create>[3]): Pair {
  const options = session ? { serverName: 'localhost', session } : { serverName: 'localhost' };
  const pair = new Pair(new ClientConnection(client, options), new ServerConnection(server), tamper);
  pair.handshake();
  return pair;
}

describe('resumption', () => {
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version}: a ticket from the first connection resumes the second`, () => {
      const v = ProtocolVersion[version];
      const client = makeClientConfig(k, { maxVersion: v });
      const server = makeServerConfig(k, { maxVersion: v });
      const first = connect(client, server);
      assert.equal(first.client.info.sessionReused, false);
      const second = connect(client, server, sessionOf(first.clientEvents));
      assert.equal(second.client.info.protocol, version);
      assert.equal(second.client.info.sessionReused, true);
      assert.equal(second.server.info.sessionReused, true);
      assert.equal(second.client.info.peerCertificates.length, 1);
      second.client.write(Uint8Array.of(1, 2, 3));
      second.run();
      assert.deepEqual(second.received('server'), Uint8Array.of(1, 2, 3));
    });

    it(`${version}: a fleet of two servers sharing ticket keys resumes each other's sessions`, () => {
      const v = ProtocolVersion[version];
      const ticketKeys = [nodeCryptoProvider.random(48)];
      const client = makeClientConfig(k, { maxVersion: v });
      const a = makeServerConfig(k, { maxVersion: v, ticketKeys });
      const b = makeServerConfig(k, { maxVersion: v, ticketKeys });
      const first = connect(client, a);
      const second = connect(client, b, sessionOf(first.clientEvents));
      assert.equal(second.server.info.sessionReused, true);
      // A server with other keys cannot open the ticket: a full handshake, not a failure.
      const c = makeServerConfig(k, { maxVersion: v });
      const third = connect(client, c, sessionOf(first.clientEvents));
      assert.equal(third.server.info.sessionReused, false);
    });
  }

  it('TLSv1.2: session-ID resumption without tickets, from the server cache', () => {
    const v = ProtocolVersion['TLSv1.2'];
    const client = makeClientConfig(k, { maxVersion: v });
    const server = makeServerConfig(k, { maxVersion: v, issueTickets: false, sessionStore: new MemorySessionStore() });
    const first = connect(client, server);
    const second = connect(client, server, sessionOf(first.clientEvents));
    assert.equal(second.server.info.sessionReused, true);
  });

  it('an expired session is not offered... and the handshake is full', () => {
    let now = Date.now();
    const client = makeClientConfig(k, { now: () => new Date(now) });
    const server = makeServerConfig(k, { sessionTimeout: 60, now: () => new Date(now) });
    const first = connect(client, server);
    now += 61_000;
    const second = connect(client, server, sessionOf(first.clientEvents));
    assert.equal(second.server.info.sessionReused, false);
  });

  it('a session for another server name is not offered', () => {
    const client = makeClientConfig(k);
    const server = makeServerConfig(k);
    const first = connect(client, server);
    const pair = new Pair(new ClientConnection(client, { serverName: '127.0.0.1', session: sessionOf(first.clientEvents) }), new ServerConnection(server));
    pair.handshake();
    assert.equal(pair.server.info.sessionReused, false);
  });

  it('TLSv1.3: a tampered PSK binder is decrypt_error', () => {
    const client = makeClientConfig(k);
    const server = makeServerConfig(k);
    const first = connect(client, server);
    const pair = new Pair(
      new ClientConnection(client, { serverName: 'localhost', session: sessionOf(first.clientEvents) }),
      new ServerConnection(server),
      (from, bytes) => {
        if (from !== 'client' || bytes[5] !== 1) return bytes;
        const copy = bytes.slice();
        copy[copy.length - 1]! ^= 0x01; // the last byte of the ClientHello is the end of the binder
        return copy;
      },
    );
    pair.run();
    assert.equal(pair.server.error?.kind, 'decrypt_error');
    assert.equal(pair.client.error?.code, 'ERR_TLS_ALERT_DECRYPT_ERROR');
  });

  it('garbage session bytes are ignored', () => {
    const pair = new Pair(new ClientConnection(makeClientConfig(k), { serverName: 'localhost', session: Uint8Array.of(1, 2, 3) }), new ServerConnection(makeServerConfig(k)));
    pair.handshake();
    assert.equal(pair.client.info.sessionReused, false);
  });
});

describe('TLS 1.3 PSK modes', () => {
  it('psk_dhe_ke by default: a resumed handshake still agrees a fresh key', () => {
    const client = makeClientConfig(k);
    const server = makeServerConfig(k);
    const second = connect(client, server, sessionOf(connect(client, server).clientEvents));
    assert.equal(second.server.info.sessionReused, true);
    assert.notEqual(second.server.info.group, undefined);
  });

  it('psk_ke only when both sides list it: resumption without (EC)DHE', () => {
    const client = makeClientConfig(k, { pskModes: [0] });
    const server = makeServerConfig(k, { pskModes: [0, 1] });
    const second = connect(client, server, sessionOf(connect(client, server).clientEvents));
    assert.equal(second.client.info.sessionReused, true);
    assert.equal(second.server.info.group, undefined);
    assert.equal(second.client.info.group, undefined);
  });

  it('a server that does not list psk_ke does a full handshake for a psk_ke-only client', () => {
    const client = makeClientConfig(k, { pskModes: [0] });
    const server = makeServerConfig(k);
    const second = connect(client, server, sessionOf(connect(client, server).clientEvents));
    assert.equal(second.server.info.sessionReused, false);
  });
});
