// TLS 1.3 CertificateVerify schemes against the real openssl binary on 127.0.0.1:
//   - openssl s_client -> typetls server with an Ed25519, an RSASSA-PSS-key and an ECDSA P-384
//     certificate: openssl verifies the chain and the CertificateVerify, and its -trace names the scheme
//     (ed25519, rsa_pss_pss_sha256, ecdsa_secp384r1_sha384); rsa_pss_rsae_sha384/512 and
//     rsa_pss_pss_sha384/512 pinned with s_client -sigalgs;
//   - typetls client -> openssl s_server with the same certificates: our client verifies them (its trace
//     shows the scheme of the CertificateVerify it received), and data moves.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { makeSignatureKeys, type SignatureKeyFiles } from '../certs/signature-keys.js';
import type { TraceEvent } from '../../src/trace.js';
import { runOpensslClient, startOpensslServer, stopAllPeers, tail } from './peers.js';
import { connectSecure, readAtLeast, startEchoServer } from './typetls-peers.js';

let files: SignatureKeyFiles;
before(async () => {
  files = await makeSignatureKeys();
});
after(stopAllPeers);

type Key = 'ed25519' | 'rsaPss' | 'p384' | 'rsa';
const pathsOf = (key: Key): { cert: string; key: string } =>
  key === 'rsa' ? { cert: files.pki.rsaCert, key: files.pki.rsaKey } : files[key];

/** The CertificateVerify scheme line of an openssl -trace transcript (`Signature Algorithm: ed25519 (0x0807)`). */
function tracedCertificateVerifyScheme(trace: string): string | undefined {
  const block = trace.split(/CertificateVerify, Length=\d+\n/)[1];
  return block ? /Signature Algorithm: (\w+) \(0x[0-9a-f]{4}\)/i.exec(block)?.[1] : undefined;
}

const cells: ReadonlyArray<{ key: Key; sigalgs?: string; scheme: string; type: string; digest?: string }> = [
  { key: 'ed25519', scheme: 'ed25519', type: 'ed25519' },
  { key: 'rsaPss', scheme: 'rsa_pss_pss_sha256', type: 'RSA-PSS', digest: 'SHA256' },
  { key: 'rsaPss', sigalgs: 'rsa_pss_pss_sha384', scheme: 'rsa_pss_pss_sha384', type: 'RSA-PSS', digest: 'SHA384' },
  { key: 'rsaPss', sigalgs: 'rsa_pss_pss_sha512', scheme: 'rsa_pss_pss_sha512', type: 'RSA-PSS', digest: 'SHA512' },
  { key: 'p384', scheme: 'ecdsa_secp384r1_sha384', type: 'ECDSA', digest: 'SHA384' },
  { key: 'rsa', sigalgs: 'rsa_pss_rsae_sha384', scheme: 'rsa_pss_rsae_sha384', type: 'RSA-PSS', digest: 'SHA384' },
  { key: 'rsa', sigalgs: 'rsa_pss_rsae_sha512', scheme: 'rsa_pss_rsae_sha512', type: 'RSA-PSS', digest: 'SHA512' },
];
const cellName = (c: (typeof cells)[number]) => `${c.key === 'rsaPss' ? 'RSA-PSS key' : c.key === 'p384' ? 'ECDSA P-384' : c.key === 'rsa' ? 'RSA' : 'Ed25519'} certificate${c.sigalgs ? `, -sigalgs ${c.sigalgs}` : ''}`;

describe('openssl s_client -tls1_3 -> typetls server: CertificateVerify schemes', () => {
  for (const c of cells) {
    it(`${cellName(c)}: openssl verifies ${c.scheme}`, { timeout: 20_000 }, async () => {
      const paths = pathsOf(c.key);
      const server = await startEchoServer({ cert: readFileSync(paths.cert), key: readFileSync(paths.key) });
      try {
        const r = await runOpensslClient(
          ['-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost', '-CAfile', files.pki.caCert, '-verify_return_error',
            '-tls1_3', '-trace', ...(c.sigalgs ? ['-sigalgs', c.sigalgs] : [])],
          { stdinData: 'ping\n', timeoutMs: 10_000 },
        );
        const out = r.stdout.toString('latin1');
        assert.equal(tracedCertificateVerifyScheme(out), c.scheme, tail(out + r.stderr, 15));
        // (assert.ok rather than match: the -trace output is long; the summary's tail says enough.)
        const summary = tail(out, 14);
        assert.ok(new RegExp(`Peer signature type: ${c.type}\\n`).test(out), summary);
        if (c.digest) assert.ok(new RegExp(`Peer signing digest: ${c.digest}\\n`).test(out), summary);
        assert.ok(/Verify return code: 0 \(ok\)/.test(out), summary);
        assert.ok(/New, TLSv1\.3/.test(out), summary);
        assert.equal(server.sessions[0]?.protocol, 'TLSv1.3');
      } finally {
        await server.close();
      }
    });
  }
});

describe('typetls client -> openssl s_server -tls1_3: CertificateVerify schemes', () => {
  for (const c of cells.filter((x) => x.sigalgs === undefined)) {
    it(`${cellName(c)}: our client verifies ${c.scheme}, data moves`, { timeout: 20_000 }, async () => {
      const paths = pathsOf(c.key);
      const s = await startOpensslServer(['-cert', paths.cert, '-key', paths.key, '-tls1_3', '-quiet']);
      try {
        const trace: TraceEvent[] = [];
        const socket = await connectSecure({
          host: '127.0.0.1', port: s.port, servername: 'localhost', ca: readFileSync(files.pki.caCert), trace: (e: TraceEvent) => trace.push(e),
        });
        assert.equal(socket.getProtocol(), 'TLSv1.3');
        assert.equal(socket.authorized, true);
        const cv = trace.find((e) => e.kind === 'message' && e.direction === 'received' && e.name === 'CertificateVerify');
        assert.equal(cv?.kind === 'message' ? cv.fields['algorithm'] : undefined, c.scheme);
        socket.write('up');
        await s.waitForStdout(2);
        s.send(Buffer.from('down'));
        assert.equal((await readAtLeast(socket, 4)).toString(), 'down');
        socket.destroy();
      } finally {
        await s.stop();
      }
    });
  }
});
