// SNICallback: the server picks its certificate by the name the client asks for.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import * as tls from 'node:tls';
import { connect, createSecureContext, createServer, type Server } from '../src/node/api.js';
import { makeTestPki, type TestPki } from './certs/make.js';

let pki: TestPki;
let server: Server;
const read = (f: string): string => readFileSync(f, 'utf8');

before(async () => {
  pki = await makeTestPki();
  const ecdsa = createSecureContext({ cert: read(pki.ecdsaCert), key: read(pki.ecdsaKey) });
  server = createServer({
    cert: read(pki.rsaCert),
    key: read(pki.rsaKey),
    SNICallback: (name, cb) => (name === 'localhost' ? cb(null, ecdsa) : cb(null)),
  }, (socket) => socket.end('hello'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function peerKeyType(options: tls.ConnectionOptions): Promise<string> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: read(pki.caCert), ...options }, () => {
      const cert = socket.getPeerCertificate();
      resolve(cert.asn1Curve ? 'ec' : 'rsa');
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

test('SNICallback chooses the ECDSA certificate for localhost (node:tls client)', async () => {
  assert.equal(await peerKeyType({ servername: 'localhost' }), 'ec');
});

test('without SNI (an IP address) the default RSA certificate is used', async () => {
  assert.equal(await peerKeyType({}), 'rsa');
});

test('SNICallback with the typetls client', async () => {
  const { port } = server.address() as AddressInfo;
  const curve = await new Promise<string | undefined>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: read(pki.caCert) }, () => {
      resolve(socket.getPeerCertificate().asn1Curve);
      socket.destroy();
    });
    socket.on('error', reject);
  });
  assert.equal(curve, 'prime256v1');
});
