// OCSP stapling (RFC 6066 Section 8; RFC 8446 Section 4.4.2.1): in memory for both versions, and with the
// real openssl binary both ways, with an OCSP response that `openssl ocsp` signs for the test CA.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../../src/connection.js';
import { ProtocolVersion } from '../../src/wire/enums.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from '../pair.js';
import { makeTestPki, type TestPki } from '../certs/make.js';
import { runOpensslClient, startOpensslServer, stopAllPeers } from './peers.js';
import { startEchoServer } from './typetls-peers.js';
import { connect } from '../../src/node/api.js';

let k: TestKeys;
let pki: TestPki;
let response: Buffer;
let responseFile: string;

before(async () => {
  k = await testKeys();
  pki = await makeTestPki();
  // A real OCSP response for the RSA leaf, signed by the test CA: an index with the leaf marked valid.
  const serial = execFileSync('openssl', ['x509', '-in', pki.rsaCert, '-noout', '-serial']).toString().trim().split('=')[1]!;
  const index = join(pki.dir, 'ocsp-index.txt');
  writeFileSync(index, `V\t301231235959Z\t\t${serial}\tunknown\t/CN=localhost\n`);
  const request = join(pki.dir, 'ocsp-req.der');
  responseFile = join(pki.dir, 'ocsp-resp.der');
  execFileSync('openssl', ['ocsp', '-issuer', pki.caCert, '-cert', pki.rsaCert, '-reqout', request, '-no_nonce'], { stdio: 'ignore' });
  execFileSync('openssl', ['ocsp', '-index', index, '-rsigner', pki.caCert, '-rkey', pki.caKey, '-CA', pki.caCert, '-reqin', request, '-respout', responseFile, '-ndays', '1'], { stdio: 'ignore' });
  response = readFileSync(responseFile);
});
after(stopAllPeers);

function stapled(events: ConnectionEvent[]): Uint8Array | undefined {
  return events.find((e): e is Extract<ConnectionEvent, { type: 'ocspResponse' }> => e.type === 'ocspResponse')?.response;
}

describe('OCSP stapling in memory', () => {
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version}: stapled when asked, not when not asked`, () => {
      const server = makeServerConfig(k, { certificates: [{ ...k.rsa, ocspResponse: response }] });
      const asked = new Pair(new ClientConnection(makeClientConfig(k, { maxVersion: ProtocolVersion[version], requestOcsp: true }), { serverName: 'localhost' }), new ServerConnection(server));
      asked.handshake();
      assert.deepEqual(stapled(asked.clientEvents), new Uint8Array(response));
      const unasked = new Pair(new ClientConnection(makeClientConfig(k, { maxVersion: ProtocolVersion[version] }), { serverName: 'localhost' }), new ServerConnection(server));
      unasked.handshake();
      assert.equal(stapled(unasked.clientEvents), undefined);
    });
  }
});

describe('OCSP stapling with openssl', () => {
  for (const [flag, version] of [['-tls1_2', 'TLSv1.2'], ['-tls1_3', 'TLSv1.3']] as const) {
    it(`${version}: openssl s_client -status reads our stapled response`, { timeout: 20_000 }, async () => {
      const server = await startEchoServer({ cert: readFileSync(pki.rsaCert), key: readFileSync(pki.rsaKey), ocspResponse: response }, { endAfter: 5 });
      try {
        const r = await runOpensslClient(['-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost', '-CAfile', pki.caCert, flag, '-status', '-ign_eof'], { stdinData: 'ping\n', timeoutMs: 10_000 });
        const out = r.stdout.toString('latin1');
        assert.match(out, /OCSP Response Status: successful/);
        assert.match(out, /Cert Status: good/);
      } finally {
        await server.close();
      }
    });

    it(`${version}: our client (requestOCSP) gets the response openssl s_server -status_file staples`, { timeout: 20_000 }, async () => {
      const s = await startOpensslServer(['-cert', pki.rsaCert, '-key', pki.rsaKey, flag, '-status_file', responseFile, '-quiet']);
      try {
        const got = await new Promise<Buffer>((resolve, reject) => {
          const socket = connect({ host: '127.0.0.1', port: s.port, servername: 'localhost', ca: readFileSync(pki.caCert), requestOCSP: true });
          // node:tls semantics: 'OCSPResponse' comes during the handshake, before 'secureConnect'.
          socket.on('OCSPResponse', (r: Buffer) => {
            resolve(r);
            socket.destroy();
          });
          socket.on('secureConnect', () => setTimeout(() => reject(new Error('no OCSPResponse event')), 1_000));
          socket.on('error', reject);
        });
        assert.ok(got.equals(response));
      } finally {
        await s.stop();
      }
    });
  }
});
