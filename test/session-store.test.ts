// A fleet sharing a TLS 1.2 session store through the node API: a session from one server resumes on
// another that cannot read its ticket (other ticket keys) but finds the session ID in the shared store.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { MemorySessionStore } from '../src/handshake/resumption.js';
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

test('two servers with their own ticket keys and one shared sessionStore resume each other by session ID', async () => {
  const store = new MemorySessionStore();
  const a = await start({ sessionStore: store });
  const b = await start({ sessionStore: store });
  const first = await handshake(a);
  assert.equal(first.reused, false);
  assert.ok(first.session);
  const second = await handshake(b, first.session);
  assert.equal(second.reused, true);
});

test('without the shared store the second server does a full handshake', async () => {
  const a = await start({});
  const b = await start({});
  const first = await handshake(a);
  const second = await handshake(b, first.session);
  assert.equal(second.reused, false);
});
