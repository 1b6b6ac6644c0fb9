// node:tls `sigalgs` and getSharedSigalgs(), side by side with node:tls: for each pair of lists, a
// node:tls client and server, then a typetls client and server, handshake with a client
// certificate asked for; both sides' shared lists, or the errors when nothing is shared, must be
// node's. Then the list grammar: what node takes, what it refuses.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nodeTls from 'node:tls';
import type { AddressInfo } from 'node:net';

import * as tls from '../src/node/api.js';
import { makeTestPki, type TestPki } from './certs/make.js';

let pki: TestPki;
const read = (f: string): string => readFileSync(f, 'utf8');
const servers: nodeTls.Server[] = [];

before(async () => {
  pki = await makeTestPki();
});
after(() => {
  for (const s of servers) s.close();
});

type Outcome = { server: string[] | string; client: string[] | string };

/** One handshake between `lib`'s client and server; each side's shared list, or its error code. */
async function shared(lib: typeof nodeTls, clientSigalgs: string | undefined, serverSigalgs: string | undefined, maxVersion: 'TLSv1.2' | 'TLSv1.3'): Promise<Outcome> {
  const outcome: Partial<Outcome> = {};
  const server = lib.createServer({
    key: read(pki.rsaKey), cert: read(pki.rsaCert), ca: read(pki.caCert), requestCert: true, rejectUnauthorized: true, maxVersion,
    ...(serverSigalgs ? { sigalgs: serverSigalgs } : {}),
  }, (socket) => {
    outcome.server = socket.getSharedSigalgs();
    socket.end();
  });
  servers.push(server);
  server.on('tlsClientError', (e: NodeJS.ErrnoException) => (outcome.server = String(e.code)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    const client = lib.connect({
      port, host: '127.0.0.1', servername: 'localhost', ca: read(pki.caCert), key: read(pki.clientKey), cert: read(pki.clientCert), maxVersion,
      ...(clientSigalgs ? { sigalgs: clientSigalgs } : {}),
    }, () => {
      outcome.client = client.getSharedSigalgs();
    });
    client.on('error', (e: NodeJS.ErrnoException) => (outcome.client = String(e.code)));
    client.on('close', () => resolve());
    client.resume();
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  // The server's side may end a moment after the client's close.
  for (let i = 0; i < 100 && outcome.server === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  return outcome as Outcome;
}

const cases: [string | undefined, string | undefined][] = [
  // Node's own test-tls-set-sigalgs pairs.
  ['RSA-PSS+SHA384', 'RSA-PSS+SHA384'],
  ['RSA-PSS+SHA256:RSA-PSS+SHA512:ECDSA+SHA256', 'RSA-PSS+SHA256:ECDSA+SHA256'],
  // The server's order wins; RFC 8446 names and OpenSSL's pairs mix.
  ['RSA+SHA256:ECDSA+SHA256:rsa_pss_rsae_sha256', 'ECDSA+SHA256:PSS+SHA256:RSA+SHA256'],
  [undefined, 'rsa_pss_rsae_sha512:rsa_pss_rsae_sha256'],
];

for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
  for (const [clientSigalgs, serverSigalgs] of cases) {
    test(`${maxVersion}: client ${clientSigalgs ?? '(default)'}, server ${serverSigalgs}: as node:tls`, async () => {
      const node = await shared(nodeTls, clientSigalgs, serverSigalgs, maxVersion);
      const typetls = await shared(tls as unknown as typeof nodeTls, clientSigalgs, serverSigalgs, maxVersion);
      assert.ok(Array.isArray(node.server) && node.server.length > 0, `node:tls shares something: ${JSON.stringify(node)}`);
      assert.deepEqual(typetls, node);
    });
  }
}

test('TLS 1.3: nothing shared: the server fails with ERR_SSL_NO_SHARED_SIGNATURE_ALGORITHMS, the client gets the alert, as node:tls', async () => {
  const node = await shared(nodeTls, 'RSA-PSS+SHA384', 'ECDSA+SHA256', 'TLSv1.3');
  const typetls = await shared(tls as unknown as typeof nodeTls, 'RSA-PSS+SHA384', 'ECDSA+SHA256', 'TLSv1.3');
  assert.deepEqual(node, { server: 'ERR_SSL_NO_SHARED_SIGNATURE_ALGORITHMS', client: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' });
  assert.deepEqual(typetls, node);
});

test('the sigalgs grammar: what node:tls takes typetls takes; what it refuses, typetls refuses', () => {
  const takes = (lib: typeof nodeTls, sigalgs: string): boolean => {
    try {
      lib.createSecureContext({ sigalgs });
      return true;
    } catch {
      return false;
    }
  };
  for (const sigalgs of [
    'RSA+SHA256', 'RSA-PSS+SHA256', 'PSS+SHA512', 'ECDSA+SHA384', 'RSA+SHA1:ECDSA+SHA1', 'rsa_pss_rsae_sha256:ed25519:ed448',
    'ecdsa_secp256r1_sha256:rsa_pkcs1_sha512', 'RSA+sha256', 'RSA+SHA224:RSA+SHA256',
    'bogus', 'RSA+MD5', 'Ed25519', 'RSA+SHA256:', ':RSA+SHA256', 'RSA+SHA256:RSA+SHA256', 'ECDSA+SHA256:ecdsa_secp256r1_sha256',
  ]) {
    assert.equal(takes(tls as unknown as typeof nodeTls, sigalgs), takes(nodeTls, sigalgs), sigalgs);
  }
  assert.throws(() => tls.createSecureContext({ sigalgs: 'RSA+MD5' }), { message: "Failed to set sigalgs: unknown signature algorithm 'RSA+MD5'" });
});
