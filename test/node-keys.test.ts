// Keys and certificates as node takes them: passphrase-encrypted PEM keys and PKCS#12 files made
// by `openssl pkcs12 -export`, each handshaking with node:tls, and failing with node's error
// where node:tls fails (the same input given to both).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createPrivateKey, getDiffieHellman } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as nodeTls from 'node:tls';
import type { AddressInfo } from 'node:net';

import * as tls from '../src/node/api.js';
import { encryptedKeyWithBadDecrypt } from './certs/encrypted-key.js';
import { makeTestPki, type TestPki } from './certs/make.js';

let pki: TestPki;
const read = (f: string): string => readFileSync(f, 'utf8');
const servers: tls.Server[] = [];

before(async () => {
  pki = await makeTestPki();
});
after(() => {
  for (const s of servers) s.close();
});

/** A PKCS#12 file of the RSA server leaf, its key and the CA, by `openssl pkcs12 -export` with `extra` arguments. */
function pfx(name: string, passphrase: string, extra: string[] = [], withKey = true): Buffer {
  const out = join(pki.dir, `${name}.pfx`);
  execFileSync('openssl', [
    'pkcs12', '-export', ...extra, '-in', pki.rsaCert, ...(withKey ? ['-inkey', pki.rsaKey] : ['-nokeys']),
    '-certfile', pki.caCert, '-passout', `pass:${passphrase}`, '-out', out,
  ]);
  return readFileSync(out);
}

/** The error node:tls and typetls each throw for the same options, as { message, code }. */
function bothErrors(options: nodeTls.SecureContextOptions): { node: unknown; typetls: unknown } {
  const caught = (f: () => unknown) => {
    try {
      f();
      return 'no error';
    } catch (e) {
      const err = e as Error & { code?: string };
      return { message: err.message, code: err.code };
    }
  };
  return {
    node: caught(() => nodeTls.createSecureContext(options)),
    typetls: caught(() => tls.createSecureContext(options as tls.TlsOptions)),
  };
}

/** A typetls server with `options`; a node:tls client trusting the test CA connects and reads one line. */
async function handshake(options: tls.TlsServerOptions): Promise<{ protocol: string | null; serial: string }> {
  const server = tls.createServer(options, (socket) => socket.end('hello\n'));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const client = nodeTls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: read(pki.caCert) }, () => {
      const serial = client.getPeerCertificate().serialNumber;
      const protocol = client.getProtocol();
      client.on('data', () => {
        client.end();
        resolve({ protocol, serial });
      });
    });
    client.on('error', reject);
  });
}

/** The serial number of the RSA leaf, as node prints it. */
function execSerial(): string {
  return execFileSync('openssl', ['x509', '-in', pki.rsaCert, '-noout', '-serial'], { encoding: 'utf8' }).trim().replace('serial=', '');
}

test('an encrypted key with its passphrase handshakes; without it or with a wrong one, node:tls\'s error', async () => {
  const encrypted = encryptedKeyWithBadDecrypt(
    () => createPrivateKey(read(pki.rsaKey)).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string,
  );
  const traditional = encryptedKeyWithBadDecrypt(() =>
    execFileSync('openssl', ['rsa', '-in', pki.rsaKey, '-aes256', '-traditional', '-passout', 'pass:pw'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
  );
  assert.match(traditional, /Proc-Type: 4,ENCRYPTED/);
  for (const key of [encrypted, traditional]) {
    const { serial } = await handshake({ key, passphrase: 'pw', cert: read(pki.rsaCert) });
    assert.equal(serial, execSerial());
    assert.equal((await handshake({ key: [{ pem: Buffer.from(key), passphrase: 'pw' }], passphrase: 'not this one', cert: read(pki.rsaCert) })).serial, execSerial());
    for (const passphrase of [undefined, 'wrong']) {
      const { node, typetls } = bothErrors({ key, cert: read(pki.rsaCert), ...(passphrase ? { passphrase } : {}) });
      assert.deepEqual(node, { message: 'error:1C800064:Provider routines::bad decrypt', code: 'ERR_OSSL_BAD_DECRYPT' });
      assert.deepEqual(typetls, node);
    }
  }
});

test('pfx: PKCS#12 from openssl pkcs12 -export (AES-256/PBKDF2, and 3DES) loads and handshakes; its CA is trusted', async () => {
  for (const [name, extra] of [['modern', []], ['des3', ['-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']]] as const) {
    const file = pfx(name, 'sample', [...extra]);
    const { serial, protocol } = await handshake({ pfx: file, passphrase: 'sample' });
    assert.equal(serial, execSerial(), name);
    assert.equal(protocol, 'TLSv1.3');
    assert.equal((await handshake({ pfx: [{ buf: file, passphrase: 'sample' }] })).serial, execSerial());
    // The file's other certificate (the CA) is trusted, as node trusts it.
    const ctx = tls.createSecureContext({ pfx: file, passphrase: 'sample' });
    assert.ok(ctx.clientConfig.roots.some((c) => c.subject.attributes.some((a) => a.value === 'typetls Test CA')), name);
  }
});

test('pfx: errors as node:tls gives them for the same file', () => {
  const modern = pfx('errors', 'sample');
  const cases: [string, nodeTls.SecureContextOptions, { message: string; code: string | undefined }][] = [
    ['a wrong passphrase', { pfx: modern, passphrase: 'wrong' }, { message: 'mac verify failure', code: undefined }],
    ['no passphrase', { pfx: modern }, { message: 'mac verify failure', code: undefined }],
    ['not a PFX', { pfx: Buffer.from('garbage'), passphrase: 'x' }, { message: 'not enough data', code: undefined }],
    ['no key in it', { pfx: pfx('nokey', 'test', [], false), passphrase: 'test' }, { message: 'Unable to load private key from PFX data', code: 'ERR_CRYPTO_OPERATION_FAILED' }],
    // -legacy encrypts the certificates with RC2, which node's OpenSSL does not have.
    ['-legacy (RC2)', { pfx: pfx('legacy', 'pw', ['-legacy']), passphrase: 'pw' }, { message: 'Unsupported PKCS12 PFX data', code: 'ERR_CRYPTO_UNSUPPORTED_OPERATION' }],
  ];
  for (const [what, options, expected] of cases) {
    const { node, typetls } = bothErrors(options);
    assert.deepEqual(node, expected, `node:tls, ${what}`);
    assert.deepEqual(typetls, node, what);
  }
});

test('dhparam: as in node, a server picks DHE only when dhparam is given', async () => {
  const ciphers = 'DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256';
  for (const [dhparam, expected] of [[undefined, 'ECDHE-RSA-AES128-GCM-SHA256'], ['auto', 'DHE-RSA-AES128-GCM-SHA256']] as const) {
    const server = tls.createServer({ key: read(pki.rsaKey), cert: read(pki.rsaCert), ciphers, ...(dhparam ? { dhparam } : {}) }, (s) => s.end());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const name = await new Promise<string>((resolve, reject) => {
      const client = nodeTls.connect({ port, host: '127.0.0.1', ca: read(pki.caCert), servername: 'localhost', ciphers, maxVersion: 'TLSv1.2' }, () => {
        resolve(client.getCipher().name);
        client.end();
      });
      client.on('error', reject);
    });
    assert.equal(name, expected, `dhparam ${String(dhparam)}`);
  }
  // A PEM prime under 1024 bits is refused as node refuses it.
  const dh512 = execFileSync('openssl', ['dhparam', '512'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const { node, typetls } = bothErrors({ dhparam: dh512 });
  assert.deepEqual(node, { message: 'DH parameter is less than 1024 bits', code: 'ERR_INVALID_ARG_VALUE' });
  assert.deepEqual(typetls, node);
});

/** node's dhparam PEM (PKCS#3 DHParameter: SEQUENCE of the prime and the generator) of a MODP group. */
function dhparamPem(name: string): string {
  const dh = getDiffieHellman(name);
  const integer = (b: Buffer): Buffer => {
    const v = b[0]! & 0x80 ? Buffer.concat([Buffer.of(0), b]) : b;
    return Buffer.concat([Buffer.of(0x02), derLength(v.length), v]);
  };
  const body = Buffer.concat([integer(dh.getPrime()), integer(dh.getGenerator())]);
  const der = Buffer.concat([Buffer.of(0x30), derLength(body.length), body]);
  return `-----BEGIN DH PARAMETERS-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END DH PARAMETERS-----\n`;
}
const derLength = (n: number): Buffer => (n < 0x80 ? Buffer.of(n) : n < 0x100 ? Buffer.of(0x81, n) : Buffer.of(0x82, n >> 8, n & 0xff));

test('dhparam PEM: the server uses its prime (openssl s_client sees it); minDHSize decides on the client, as node:tls', async () => {
  const ciphers = 'DHE-RSA-AES128-GCM-SHA256';
  const server = tls.createServer({ key: read(pki.rsaKey), cert: read(pki.rsaCert), ciphers, dhparam: dhparamPem('modp2') }, (s) => s.end());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  // OpenSSL's own account of the key exchange.
  const report = await new Promise<string>((resolve, reject) => {
    const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-cipher', `${ciphers}:@SECLEVEL=1`, '-CAfile', pki.caCert],
      { encoding: 'utf8', timeout: 15_000 }, (error, stdout) => (error && !stdout ? reject(error) : resolve(stdout)));
    child.stdin?.end();
  });
  assert.match(report, /Server Temp Key: DH, 1024 bits/);
  assert.match(report, /Cipher is DHE-RSA-AES128-GCM-SHA256/);

  type Outcome = { error: string } | { keyInfo: unknown };
  const connectWith = (lib: typeof nodeTls | typeof tls, minDHSize: number) => new Promise<Outcome>((resolve) => {
    const client = (lib.connect as typeof nodeTls.connect)({ port, host: '127.0.0.1', ca: read(pki.caCert), servername: 'localhost', ciphers, maxVersion: 'TLSv1.2', minDHSize }, () => {
      resolve({ keyInfo: client.getEphemeralKeyInfo() });
      client.end();
    });
    client.on('error', (e: NodeJS.ErrnoException) => resolve({ error: String(e.code) }));
  });
  for (const minDHSize of [2048, 1024]) {
    const node = await connectWith(nodeTls, minDHSize);
    const typetls = await connectWith(tls, minDHSize);
    assert.deepEqual(node, minDHSize === 2048 ? { error: 'ERR_TLS_DH_PARAM_SIZE' } : { keyInfo: { type: 'DH', size: 1024 } }, `node:tls, minDHSize ${minDHSize}`);
    assert.deepEqual(typetls, node, `minDHSize ${minDHSize}`);
  }
});
