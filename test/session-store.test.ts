// The TLS 1.2 session-ID cache. A fleet sharing a session store through the node API: a session from one
// server resumes on another that cannot read its ticket (other ticket keys) but finds the session ID in the
// shared store. And the default store's bound, in memory: 20,000 entries, the oldest evicted first, and
// sessions that stop resuming after sessionTimeout by the server's clock (config.now()).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { ClientConfig, ServerConfig } from '../src/config.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../src/connection.js';
import { decodeClientSession, MemorySessionStore, type SessionStore } from '../src/handshake/resumption.js';
import { ProtocolVersion } from '../src/wire/enums.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';
import { connect, createServer, type Server } from '../src/node/api.js';
import { makeTestPki, type TestPki } from './certs/make.js';

let pki: TestPki;
const servers: Server[] = [];
const read = (f: string): string => readFileSync(f, 'utf8');

before(async () => {
  pki = await makeTestPki();
});
after(() => Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))));

async function start(options: Record<string, unknown>): Promise<number> {
  const server = createServer({ cert: read(pki.rsaCert), key: read(pki.rsaKey), maxVersion: 'TLSv1.2', ...options }, (s) => s.end('ok'));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function handshake(port: number, session?: Buffer): Promise<{ reused: boolean; session: Buffer | undefined }> {
  return new Promise((resolve, reject) => {
    let saved: Buffer | undefined;
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: read(pki.caCert), maxVersion: 'TLSv1.2', ...(session ? { session } : {}) });
    socket.on('session', (s: Buffer) => (saved = s));
    socket.on('data', () => {});
    socket.on('end', () => resolve({ reused: socket.isSessionReused(), session: saved }));
    socket.on('error', reject);
  });
}

/** node's SSL_OP_NO_TICKET: the server issues no TLS 1.2 ticket, so sessions are kept by ID. */
const SSL_OP_NO_TICKET = 0x4000;

test('two servers without tickets and one shared sessionStore resume each other by session ID', async () => {
  const store = new MemorySessionStore();
  const a = await start({ sessionStore: store, secureOptions: SSL_OP_NO_TICKET });
  const b = await start({ sessionStore: store, secureOptions: SSL_OP_NO_TICKET });
  const first = await handshake(a);
  assert.equal(first.reused, false);
  assert.ok(first.session);
  const second = await handshake(b, first.session);
  assert.equal(second.reused, true);
});

test('a session carried by a ticket has no session ID and is not kept in the store (RFC 5077 Section 3.4, as OpenSSL)', async () => {
  const store = new MemorySessionStore();
  const kept: Uint8Array[] = [];
  const watching: SessionStore = {
    get: (id) => store.get(id),
    set: (id, state, lifetime) => {
      kept.push(id);
      store.set(id, state);
    },
    delete: (id) => store.delete(id),
  };
  const a = await start({ sessionStore: watching });
  const first = await handshake(a);
  assert.equal(decodeClientSession(new Uint8Array(first.session!))!.sessionId.length, 0, 'no session ID from the server');
  assert.deepEqual(kept, [], 'nothing stored by ID');
  const second = await handshake(a, first.session);
  assert.equal(second.reused, true, 'resumed by the ticket');
});

test('without the shared store the second server does a full handshake', async () => {
  const a = await start({});
  const b = await start({});
  const first = await handshake(a);
  const second = await handshake(b, first.session);
  assert.equal(second.reused, false);
});

// ---------- the bound of the default cache, in memory with an injected clock ----------

describe('MemorySessionStore: bounded, oldest out first; sessions expire by sessionTimeout on the server clock', () => {
  let k: TestKeys;
  before(async () => {
    k = await testKeys();
  });
  const tls12 = { maxVersion: ProtocolVersion['TLSv1.2'] };

  /** A full TLS 1.2 handshake, or a resumption of `session`; the pair and the session the client got. */
  function handshake(client: ClientConfig, server: ServerConfig, session?: Uint8Array): { pair: Pair; session: Uint8Array } {
    const pair = new Pair(new ClientConnection(client, { serverName: 'localhost', ...(session ? { session } : {}) }), new ServerConnection(server));
    pair.handshake();
    const s = pair.clientEvents.filter((e): e is Extract<ConnectionEvent, { type: 'session' }> => e.type === 'session').at(-1);
    return { pair, session: s?.session ?? session! };
  }
  const idOf = (session: Uint8Array): Uint8Array => decodeClientSession(session)!.sessionId;

  test('20,000 entries by default: the 20,001st evicts the first, and only it', () => {
    const store = new MemorySessionStore();
    assert.equal(store.capacity, 20_000);
    const id = (n: number) => Uint8Array.of(n >>> 16, (n >>> 8) & 0xff, n & 0xff);
    for (let n = 0; n < 20_000; n++) store.set(id(n), Uint8Array.of(1));
    assert.deepEqual(store.get(id(0)), Uint8Array.of(1), 'full, nothing evicted yet');
    store.set(id(20_000), Uint8Array.of(2));
    assert.equal(store.get(id(0)), undefined, 'the oldest entry went');
    assert.deepEqual(store.get(id(1)), Uint8Array.of(1));
    assert.deepEqual(store.get(id(20_000)), Uint8Array.of(2));
    const server = makeServerConfig(k);
    assert.ok(server.sessionStore instanceof MemorySessionStore && server.sessionStore.capacity === 20_000, "a server's default cache");
  });

  test('a server with a cache of two: the third session evicts the first, which then does a full handshake', () => {
    const client = makeClientConfig(k, tls12);
    const store = new MemorySessionStore(2);
    // No tickets: a session can resume from the cache only.
    const server = makeServerConfig(k, { ...tls12, issueTickets: false, sessionStore: store });
    const [first, second, third] = [0, 1, 2].map(() => handshake(client, server).session) as [Uint8Array, Uint8Array, Uint8Array];
    assert.equal(store.get(idOf(first)), undefined, 'the oldest session left the cache');
    assert.ok(store.get(idOf(second)) && store.get(idOf(third)));
    assert.equal(handshake(client, server, second).pair.server.info.sessionReused, true);
    assert.equal(handshake(client, server, third).pair.server.info.sessionReused, true);
    const again = handshake(client, server, first).pair;
    assert.equal(again.server.info.sessionReused, false, 'the evicted session: a full handshake');
    assert.equal(again.client.info.sessionReused, false);
  });

  test('a cached session resumes until sessionTimeout seconds by config.now(), then does a full handshake and leaves the cache', () => {
    let now = Date.now();
    const client = makeClientConfig(k, tls12);
    const store = new MemorySessionStore();
    const server = makeServerConfig(k, { ...tls12, issueTickets: false, sessionStore: store, sessionTimeout: 60, now: () => new Date(now) });
    const { session } = handshake(client, server);
    now += 59_000;
    assert.equal(handshake(client, server, session).pair.server.info.sessionReused, true, '59 s on: resumed');
    now += 1_000;
    const late = handshake(client, server, session).pair;
    assert.equal(late.server.info.sessionReused, false, '60 s on: expired, a full handshake');
    assert.equal(late.client.info.sessionReused, false);
    assert.equal(store.get(idOf(session)), undefined, 'the expired entry was removed from the cache');
  });
});
