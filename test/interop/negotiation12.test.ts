// What a typetls server chooses, seen by the real openssl s_client on 127.0.0.1:
//   - the cipher suite: our order wins over s_client's (honorCipherOrder defaults to true, as the
//     issue asks: "server order, configurable"), and s_client's wins with honorCipherOrder: false;
//   - the TLS 1.2 ServerKeyExchange signature: s_client -sigalgs RSA+SHA256 gets PKCS#1 ("Peer signature
//     type: RSA"), -sigalgs RSA-PSS+SHA256 gets PSS ("RSA-PSS"), both verified by openssl itself.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { makeTestPki, type TestPki } from '../certs/make.js';
import { runOpensslClient, stopAllPeers, tail } from './peers.js';
import { startEchoServer } from './typetls-peers.js';

let pki: TestPki;
let rsa: { cert: Buffer; key: Buffer };
before(async () => {
  pki = await makeTestPki();
  rsa = { cert: readFileSync(pki.rsaCert), key: readFileSync(pki.rsaKey) };
});
after(stopAllPeers);

const sClient = (port: number, ...extra: string[]) =>
  ['-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', pki.caCert, '-verify_return_error', ...extra];

describe('openssl s_client -> typetls server: the server chooses', () => {
  const ours = 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384';
  const theirs = 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256';

  for (const [honorCipherOrder, expected] of [[undefined, 'ECDHE-RSA-AES128-GCM-SHA256'], [false, 'ECDHE-RSA-AES256-GCM-SHA384']] as const) {
    const label = honorCipherOrder === undefined ? 'default (honorCipherOrder true): our first suite' : 'honorCipherOrder: false: the client\'s first suite';
    it(`TLSv1.2 -cipher ${theirs.split(':')[0]} first, ours ${ours.split(':')[0]} first — ${label}`, { timeout: 20_000 }, async () => {
      const server = await startEchoServer({ ...rsa, ciphers: ours, maxVersion: 'TLSv1.2', ...(honorCipherOrder === undefined ? {} : { honorCipherOrder }) });
      try {
        const r = await runOpensslClient(sClient(server.port, '-tls1_2', '-cipher', theirs), { stdinData: 'ping\n', timeoutMs: 10_000 });
        const out = r.stdout.toString('latin1');
        assert.match(out, new RegExp(`Cipher is ${expected}\\n`), tail(out + r.stderr, 12));
        assert.equal(server.sessions[0]?.standardName, expected.includes('AES128') ? 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' : 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
      } finally {
        await server.close();
      }
    });
  }

  it('TLSv1.3 -ciphersuites TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256 against ours TLS_AES_128_GCM_SHA256 first: ours', { timeout: 20_000 }, async () => {
    const server = await startEchoServer({ ...rsa, ciphers: 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384' });
    try {
      const r = await runOpensslClient(
        sClient(server.port, '-tls1_3', '-ciphersuites', 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256'),
        { stdinData: 'ping\n', timeoutMs: 10_000 },
      );
      const out = r.stdout.toString('latin1');
      assert.match(out, /Cipher is TLS_AES_128_GCM_SHA256\n/, tail(out + r.stderr, 12));
    } finally {
      await server.close();
    }
  });
});

describe('openssl s_client -sigalgs -> typetls server: the TLS 1.2 ServerKeyExchange scheme is the client\'s', () => {
  for (const [sigalgs, type] of [['RSA+SHA256', 'RSA'], ['RSA-PSS+SHA256', 'RSA-PSS'], ['RSA+SHA384', 'RSA'], ['RSA-PSS+SHA512', 'RSA-PSS']] as const) {
    it(`-tls1_2 -sigalgs ${sigalgs}: openssl verifies a ${type} signature with ${sigalgs.split('+')[1]}`, { timeout: 20_000 }, async () => {
      const server = await startEchoServer({ ...rsa, maxVersion: 'TLSv1.2' });
      try {
        const r = await runOpensslClient(sClient(server.port, '-tls1_2', '-sigalgs', sigalgs), { stdinData: 'ping\n', timeoutMs: 10_000 });
        const out = r.stdout.toString('latin1');
        assert.match(out, new RegExp(`Peer signing digest: ${sigalgs.split('+')[1]}\\n`), tail(out + r.stderr, 12));
        assert.match(out, new RegExp(`Peer signature type: ${type}\\n`));
        assert.match(out, /Verify return code: 0 \(ok\)/);
      } finally {
        await server.close();
      }
    });
  }
});
