// checkServerIdentity replaces the built-in name check, as in node:tls; the chain is still verified.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { connect, createServer, type Server, type TLSSocket } from '../src/node/api.js';
import { makeTestPki, type TestPki } from './certs/make.js';

let pki: TestPki;
let server: Server;
const read = (f: string): string => readFileSync(f, 'utf8');

before(async () => {
  pki = await makeTestPki();
  server = createServer({ cert: read(pki.rsaCert), key: read(pki.rsaKey) }, (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function attempt(options: Record<string, unknown>): Promise<{ socket?: TLSSocket; error?: Error & { code?: string } }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'wrong.example', ca: read(pki.caCert), ...options }, () => {
      resolve({ socket });
      socket.destroy();
    });
    socket.on('error', (error) => resolve({ error }));
  });
}

test('without checkServerIdentity a wrong name is ERR_TLS_CERT_ALTNAME_INVALID', async () => {
  const { error } = await attempt({});
  assert.equal(error?.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
});

test('a checkServerIdentity that accepts overrides the built-in name check', async () => {
  const seen: string[] = [];
  const { socket, error } = await attempt({ checkServerIdentity: (name: string) => void seen.push(name) });
  assert.equal(error, undefined);
  assert.equal(socket?.authorized, true);
  assert.deepEqual(seen, ['wrong.example']);
});

test('a checkServerIdentity that refuses fails the connection with its error', async () => {
  const { error } = await attempt({ checkServerIdentity: () => Object.assign(new Error('no thanks'), { code: 'MY_CHECK' }) });
  assert.equal(error?.code, 'MY_CHECK');
});

test('the chain is still verified when checkServerIdentity is given', async () => {
  const { error } = await attempt({ ca: read(pki.unknownCaCert), checkServerIdentity: () => undefined });
  assert.ok(error);
  assert.match(String(error.code), /UNABLE_TO_|SELF_SIGNED/);
});
