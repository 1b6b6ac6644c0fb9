// The node:tls API over the engine's waits, with real peers on 127.0.0.1: an SNICallback that
// answers 10 ms later (two names, two certificates, checked by openssl s_client -servername) or
// with an error; 'OCSPRequest' answered later and stapled (s_client -status); keys held outside
// the engine: a signer object whose key is in another process (examples/fleet/signer.mjs, 5 ms
// per operation; server verified by openssl s_client in TLS 1.3 RSA-PSS and ECDSA and TLS 1.2
// ECDHE, by node:tls, and RSA key exchange by a typetls client; client certificate accepted by
// openssl s_server -Verify 1) and WebCrypto CryptoKeys, non-extractable.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tls from 'node:tls';
import { after, before, describe, test } from 'node:test';

import { connect, createSecureContext, createServer, type TLSSocket } from '../src/index.js';
import type { KeySigner } from '../src/node/signer.js';
import { makeTestPki, type TestPki } from './certs/make.js';
import { runOpensslClient, startOpensslServer, stopAllPeers } from './interop/peers.js';
import { once, Opened } from './node-sockets.js';

let pki: TestPki;
let ca: string;
const read = (f: string): string => readFileSync(f, 'utf8');
const opened = new Opened();
const names: Record<string, { cert: string; key: string; certPath: string }> = {};

/** A leaf for `name` from the test CA, with a key of `kind`, by the openssl binary. */
function issue(name: string, kind: 'rsa' | 'ec'): { cert: string; key: string; certPath: string } {
  const keyPath = join(pki.dir, `${name}.key`);
  const certPath = join(pki.dir, `${name}.crt`);
  const newkey = kind === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  execFileSync('openssl', [
    'req', '-x509', ...newkey, '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '30', '-subj', `/CN=${name}`,
    '-addext', `subjectAltName=DNS:${name}`, '-addext', 'extendedKeyUsage=serverAuth', '-CA', pki.caCert, '-CAkey', pki.caKey,
  ], { stdio: 'ignore' });
  return { cert: read(certPath), key: read(keyPath), certPath };
}

before(async () => {
  pki = await makeTestPki();
  ca = read(pki.caCert);
  names['alpha.test'] = issue('alpha.test', 'ec');
  names['beta.test'] = issue('beta.test', 'rsa');
});
after(async () => {
  await opened.closeAll();
  await stopAllPeers();
  for (const child of signerProcesses) child.kill();
});

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const signerScript = fileURLToPath(new URL('../../examples/fleet/remote-key.mjs', import.meta.url));
const signerProcesses: ChildProcess[] = [];

/**
 * A key held by another process (examples/fleet/signer.mjs, 5 ms per operation): the server or
 * client holds only the public key and this signer object, which counts what it was asked.
 */
async function signerFor(keyFile: string, publicPem: string): Promise<KeySigner & { operations: string[] }> {
  const { startSigner, remoteKey } = (await import(pathToFileURL(signerScript).href)) as {
    startSigner(keyFile: string, latencyMs: number): ChildProcess;
    remoteKey(child: ChildProcess, publicKeyPem: string): KeySigner;
  };
  const child = startSigner(keyFile, 5);
  signerProcesses.push(child);
  const remote = remoteKey(child, publicPem);
  const operations: string[] = [];
  return {
    operations,
    publicKey: remote.publicKey!,
    sign(scheme, data) {
      operations.push(scheme);
      return remote.sign(scheme, data);
    },
    decrypt(ciphertext) {
      operations.push('decrypt');
      return remote.decrypt!(ciphertext);
    },
  };
}

async function listen(server: ReturnType<typeof createServer>): Promise<number> {
  server.on('secureConnection', (s: TLSSocket) => s.end('ok\n'));
  return opened.listen(server);
}

describe('SNICallback answering later', () => {
  test('two names, two certificates after 10 ms each (openssl s_client -servername); an error refuses the handshake', async () => {
    const asked: string[] = [];
    const server = createServer({
      SNICallback: (servername: string, cb: (err: Error | null, ctx?: unknown) => void) => {
        asked.push(servername);
        setTimeout(() => {
          const pair = names[servername];
          if (!pair) cb(new Error(`no certificate for ${servername}`));
          else cb(null, createSecureContext({ key: pair.key, cert: pair.cert }));
        }, 10);
      },
    } as never);
    const refused: Error[] = [];
    server.on('tlsClientError', (err: Error) => refused.push(err));
    const port = await listen(server);
    for (const [name, keyType] of [['alpha.test', 'ECDSA'], ['beta.test', 'RSA']] as const) {
      const run = await runOpensslClient(['-connect', `127.0.0.1:${port}`, '-servername', name, '-CAfile', pki.caCert, '-verify_return_error', '-verify_hostname', name, '-brief']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /Verification: OK/);
      assert.match(run.stderr, new RegExp(`Peer certificate: CN ?= ?${name.replace('.', '\\.')}`));
      assert.match(run.stderr, new RegExp(`Signature type: ${keyType === 'RSA' ? 'RSA-PSS' : 'ECDSA'}`));
    }
    const failed = await runOpensslClient(['-connect', `127.0.0.1:${port}`, '-servername', 'gamma.test', '-CAfile', pki.caCert, '-brief']);
    assert.notEqual(failed.code, 0);
    assert.deepEqual(asked, ['alpha.test', 'beta.test', 'gamma.test']);
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.message, 'no certificate for gamma.test');
  });
});

describe("'OCSPRequest' answered later", () => {
  let response: Buffer;
  before(() => {
    const serial = execFileSync('openssl', ['x509', '-in', pki.rsaCert, '-noout', '-serial']).toString().trim().split('=')[1]!;
    const index = join(pki.dir, 'async-ocsp-index.txt');
    writeFileSync(index, `V\t301231235959Z\t\t${serial}\tunknown\t/CN=localhost\n`);
    const request = join(pki.dir, 'async-ocsp-req.der');
    const responseFile = join(pki.dir, 'async-ocsp-resp.der');
    execFileSync('openssl', ['ocsp', '-issuer', pki.caCert, '-cert', pki.rsaCert, '-reqout', request, '-no_nonce'], { stdio: 'ignore' });
    execFileSync('openssl', ['ocsp', '-index', index, '-rsigner', pki.caCert, '-rkey', pki.caKey, '-CA', pki.caCert, '-reqin', request, '-respout', responseFile, '-ndays', '1'], { stdio: 'ignore' });
    response = readFileSync(responseFile);
  });

  for (const version of ['-tls1_2', '-tls1_3']) {
    test(`${version}: the response is stapled (openssl s_client -status)`, async () => {
      const server = createServer({ key: read(pki.rsaKey), cert: read(pki.rsaCert), ca } as never);
      const seen: { certificate: Buffer; issuer: Buffer | null }[] = [];
      server.on('OCSPRequest', (certificate: Buffer, issuer: Buffer | null, cb: (err: Error | null, response?: Buffer | null) => void) => {
        seen.push({ certificate, issuer });
        setTimeout(() => cb(null, response), 10);
      });
      const port = await listen(server);
      const run = await runOpensslClient(['-connect', `127.0.0.1:${port}`, version, '-status', '-CAfile', pki.caCert, '-servername', 'localhost']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout.toString(), /OCSP Response Status: successful/);
      assert.match(run.stdout.toString(), /Cert Status: good/);
      assert.equal(seen.length, 1);
      assert.deepEqual(new Uint8Array(seen[0]!.certificate), new Uint8Array(new (await import('node:crypto')).X509Certificate(read(pki.rsaCert)).raw));
      assert.ok(seen[0]!.issuer, 'the issuer is found among the CAs');
      // A client that does not ask gets none, and the event is not emitted.
      const plain = await runOpensslClient(['-connect', `127.0.0.1:${port}`, version, '-CAfile', pki.caCert]);
      assert.equal(plain.code, 0, plain.stderr);
      assert.equal(seen.length, 1);
      await opened.closeServer(server);
    });
  }
});

describe('a key held by another process (a signer object over IPC)', () => {
  for (const [label, args, certFile, keyFile, expect] of [
    ['TLS 1.3 RSA-PSS', ['-tls1_3', '-sigalgs', 'rsa_pss_rsae_sha256'], 'rsaCert', 'rsaKey', /Signature type: RSA-PSS/],
    ['TLS 1.3 ECDSA', ['-tls1_3'], 'ecdsaCert', 'ecdsaKey', /Signature type: ECDSA/],
    ['TLS 1.2 ECDHE-RSA', ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256'], 'rsaCert', 'rsaKey', /Ciphersuite: ECDHE-RSA-AES128-GCM-SHA256/],
    ['TLS 1.2 ECDHE-ECDSA', ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256'], 'ecdsaCert', 'ecdsaKey', /Ciphersuite: ECDHE-ECDSA-AES128-GCM-SHA256/],
  ] as const) {
    test(`${label}: openssl s_client verifies a server that holds no private key`, async () => {
      const signer = await signerFor(pki[keyFile], read(pki[certFile]));
      const server = createServer({ key: signer, cert: read(pki[certFile]) } as never);
      const port = await listen(server);
      const run = await runOpensslClient(['-connect', `127.0.0.1:${port}`, ...args, '-CAfile', pki.caCert, '-verify_return_error', '-brief']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /Verification: OK/);
      assert.match(run.stderr, expect);
      assert.equal(signer.operations.length, 1);
      await opened.closeServer(server);
    });
  }

  test('node:tls verifies it, several connections at once; a typetls client does the RSA key exchange through decrypt()', async () => {
    const signer = await signerFor(pki.rsaKey, read(pki.rsaCert));
    const server = createServer({ key: signer, cert: read(pki.rsaCert), ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:AES128-GCM-SHA256' } as never);
    const port = await listen(server);
    const clients = [1, 2, 3, 4].map(() => tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }));
    for (const c of clients) opened.track(c);
    await Promise.all(clients.map((c) => once(c, 'secureConnect')));
    assert.ok(clients.every((c) => c.authorized));
    const rsaKx = opened.track(connect({ port, host: '127.0.0.1', ca, servername: 'localhost', maxVersion: 'TLSv1.2', ciphers: 'AES128-GCM-SHA256' } as never));
    await once(rsaKx, 'secureConnect');
    assert.equal(rsaKx.getCipher().standardName, 'TLS_RSA_WITH_AES_128_GCM_SHA256');
    assert.equal(signer.operations.filter((o) => o === 'decrypt').length, 1);
    for (const c of [...clients, rsaKx]) c.destroy();
    await opened.closeServer(server);
  });

  test('a signer that fails: the handshake ends with internal_error, the server reports it', async () => {
    const server = createServer({
      key: { publicKey: createPublicKey(read(pki.rsaKey)), sign: () => Promise.reject(new Error('KMS unreachable')) },
      cert: read(pki.rsaCert),
    } as never);
    const failures: Error[] = [];
    server.on('tlsClientError', (err: Error) => failures.push(err));
    const port = await listen(server);
    const client = opened.track(tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }));
    const [err] = await once<Error & { code?: string }>(client, 'error');
    assert.equal(err!.code, 'ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR');
    await delay(50);
    assert.equal(failures.length, 1);
    assert.match(failures[0]!.message, /KMS unreachable/);
    await opened.closeServer(server);
  });

  test('a client certificate signed by a signer object, accepted by openssl s_server -Verify 1', async () => {
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const peer = await startOpensslServer(['-cert', pki.rsaCert, '-key', pki.rsaKey, '-CAfile', pki.caCert, '-Verify', '1', '-verify_return_error', '-quiet']);
      try {
        const signer = await signerFor(pki.clientKey, read(pki.clientCert));
        const client = opened.track(connect({
          port: peer.port, host: '127.0.0.1', ca, servername: 'localhost', key: signer, cert: read(pki.clientCert), maxVersion: version, minVersion: version,
        } as never));
        await once(client, 'secureConnect');
        client.write('signed elsewhere\n');
        await peer.waitForStdout('signed elsewhere\n'.length);
        assert.equal(peer.stdout().toString(), 'signed elsewhere\n');
        assert.equal(signer.operations.length, 1, version);
        client.destroy();
      } finally {
        await peer.stop();
      }
    }
  });
});

describe('a WebCrypto CryptoKey as key', () => {
  test('non-extractable keys from importKey (RSA-PSS) and generateKey (ECDSA P-256) serve openssl s_client', async () => {
    const der = createPrivateKey(read(pki.rsaKey)).export({ format: 'der', type: 'pkcs8' });
    const rsaPss = await webcrypto.subtle.importKey('pkcs8', der, { name: 'RSA-PSS', hash: 'SHA-256' }, false, ['sign']);
    assert.equal(rsaPss.extractable, false);
    const generated = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    assert.equal(generated.privateKey.extractable, false);
    // A certificate for the generated key: its public half, signed by the test CA.
    const spkiPem = createPublicKey({ key: Buffer.from(await webcrypto.subtle.exportKey('spki', generated.publicKey)), format: 'der', type: 'spki' })
      .export({ format: 'pem', type: 'spki' }) as string;
    const pubPath = join(pki.dir, 'generated.pub');
    const csrPath = join(pki.dir, 'generated.csr');
    const certPath = join(pki.dir, 'generated.crt');
    writeFileSync(pubPath, spkiPem);
    execFileSync('openssl', ['req', '-new', '-key', pki.ecdsaKey, '-subj', '/CN=localhost', '-out', csrPath], { stdio: 'ignore' });
    const ext = join(pki.dir, 'generated.ext');
    writeFileSync(ext, 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n');
    execFileSync('openssl', ['x509', '-req', '-in', csrPath, '-force_pubkey', pubPath, '-CA', pki.caCert, '-CAkey', pki.caKey, '-CAcreateserial', '-days', '30', '-extfile', ext, '-out', certPath], { stdio: 'ignore' });

    for (const [key, cert, args, expect] of [
      [rsaPss, read(pki.rsaCert), ['-tls1_3'], /Signature type: RSA-PSS/],
      [generated.privateKey, read(certPath), ['-tls1_3'], /Signature type: ECDSA/],
      [generated.privateKey, read(certPath), ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256'], /Ciphersuite: ECDHE-ECDSA-AES128-GCM-SHA256/],
    ] as const) {
      const server = createServer({ key, cert } as never);
      const port = await listen(server);
      const run = await runOpensslClient(['-connect', `127.0.0.1:${port}`, ...args, '-CAfile', pki.caCert, '-verify_return_error', '-brief']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /Verification: OK/);
      assert.match(run.stderr, expect);
      await opened.closeServer(server);
    }
  });
});
