// Interop beyond the core matrix, with the real openssl binary on 127.0.0.1:
// TLS 1.3 0-RTT both ways, DHE-RSA with the RFC 7919 groups (and a weak prime
// refused), TLS 1.0/1.1 on explicit request (OpenSSL at @SECLEVEL=0), and a
// KeyUpdate triggered by typetls.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { makeTestPki, type TestPki } from '../certs/make.js';
import { runOpensslClient, startOpensslServer, stopAllPeers, writeTempFile } from './peers.js';
import type { TraceEvent } from '../../src/trace.js';
import { connectRejected, connectSecure, nextSession, readAtLeast, sessionsOf, startEchoServer, until } from './typetls-peers.js';

let pki: TestPki;
let ca: Buffer;
let rsa: { cert: Buffer; key: Buffer };
let ffdhe2048: string;
let dh1024: string;

before(async () => {
  pki = await makeTestPki();
  ca = readFileSync(pki.caCert);
  rsa = { cert: readFileSync(pki.rsaCert), key: readFileSync(pki.rsaKey) };
  ffdhe2048 = writeTempFile('ffdhe2048.pem', execFileSync('openssl', ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', 'group:ffdhe2048']));
  dh1024 = writeTempFile('dh1024.pem', execFileSync('openssl', ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', 'dh_rfc5114:1']));
});
after(stopAllPeers);

const ours = { host: '127.0.0.1', servername: 'localhost' } as const;
const sServer = (...extra: string[]) => ['-cert', pki.rsaCert, '-key', pki.rsaKey, ...extra];
const sClient = (port: number, ...extra: string[]) => ['-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', pki.caCert, ...extra];

// ---------- 0-RTT ----------

test('0-RTT: openssl s_client -early_data against a typetls server that allows it', { timeout: 30_000 }, async () => {
  // The server ends each connection after 6 bytes, so s_client (-ign_eof) reads the ticket, the echo and the close.
  const server = await startEchoServer({ ...rsa, maxEarlyData: 16384 }, { endAfter: 6 });
  try {
    const sess = writeTempFile('early-sess.pem', '');
    const first = await runOpensslClient(sClient(server.port, '-tls1_3', '-ign_eof', '-sess_out', sess), { stdinData: 'hello\n', timeoutMs: 10_000 });
    assert.match(first.stdout.toString('latin1'), /New, TLSv1\.3/);
    const data = writeTempFile('early.txt', 'early bytes\n');
    const second = await runOpensslClient(sClient(server.port, '-tls1_3', '-ign_eof', '-sess_in', sess, '-early_data', data), { stdinData: 'after\n', timeoutMs: 10_000 });
    const out = second.stdout.toString('latin1');
    assert.match(out, /Reused, TLSv1\.3/);
    assert.match(out, /Early data was accepted/);
    // A replay of the same ticket gets its early data rejected (single-use tickets).
    const third = await runOpensslClient(sClient(server.port, '-tls1_3', '-ign_eof', '-sess_in', sess, '-early_data', data), { stdinData: 'after\n', timeoutMs: 10_000 });
    assert.match(third.stdout.toString('latin1'), /Early data was rejected/);
  } finally {
    await server.close();
  }
});

test('0-RTT: the typetls client sends early data to openssl s_server -early_data, which accepts it', { timeout: 30_000 }, async () => {
  const s = await startOpensslServer(sServer('-tls1_3', '-early_data', '-quiet'));
  // s_server prints the early data it read, then the data after the handshake.
  try {
    const first = await connectSecure({ ...ours, port: s.port, ca, maxVersion: 'TLSv1.3' });
    first.write('x');
    await nextSession(first);
    // s_server (stateful tickets, anti-replay on) sends two tickets for one session and honours the first.
    const session = sessionsOf(first)[0]!;
    first.destroy();
    const notes: string[] = [];
    const second = await connectSecure({
      ...ours, port: s.port, ca, session, earlyData: Buffer.from('zero round trip\n'),
      trace: (e: TraceEvent) => void (e.kind === 'note' && notes.push(e.text)),
    });
    assert.equal(second.isSessionReused(), true, notes.join('; '));
    assert.equal(second.isSessionReused(), true);
    assert.equal(second.earlyData, 'accepted');
    await s.waitForStdout(Buffer.byteLength('xzero round trip\n'));
    assert.match(s.stdout().toString('latin1'), /zero round trip/);
    second.destroy();
  } finally {
    await s.stop();
  }
});

// ---------- DHE ----------

test('DHE-RSA-AES128-GCM-SHA256: typetls client -> openssl s_server with ffdhe2048', { timeout: 20_000 }, async () => {
  const s = await startOpensslServer(sServer('-tls1_2', '-cipher', 'DHE-RSA-AES128-GCM-SHA256', '-dhparam', ffdhe2048));
  try {
    const socket = await connectSecure({ ...ours, port: s.port, ca, maxVersion: 'TLSv1.2' });
    assert.equal(socket.getCipher().standardName, 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256');
    assert.equal(socket.getEphemeralKeyInfo()?.name ?? '', '');
    socket.write('ping');
    await s.waitForStdout(4);
    s.send(Buffer.from('pong'));
    assert.equal((await readAtLeast(socket, 4)).toString(), 'pong');
    socket.destroy();
  } finally {
    await s.stop();
  }
});

test('DHE-RSA-AES128-GCM-SHA256: openssl s_client -> typetls server (Server Temp Key: DH, 2048 bits)', { timeout: 20_000 }, async () => {
  const server = await startEchoServer({ ...rsa, maxVersion: 'TLSv1.2' });
  try {
    const r = await runOpensslClient(sClient(server.port, '-tls1_2', '-cipher', 'DHE-RSA-AES128-GCM-SHA256'), { stdinData: 'ping\n', timeoutMs: 10_000 });
    const out = r.stdout.toString('latin1');
    assert.match(out, /Server Temp Key: DH, 2048 bits/);
    assert.match(out, /Cipher is DHE-RSA-AES128-GCM-SHA256/);
  } finally {
    await server.close();
  }
});

test('DHE: a server prime under 2048 bits is refused with insufficient_security (ERR_TLS_DH_PARAM_SIZE, as node:tls)', { timeout: 20_000 }, async () => {
  const s = await startOpensslServer(sServer('-tls1_2', '-cipher', 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0', '-dhparam', dh1024));
  try {
    const { error } = await connectRejected({ ...ours, port: s.port, ca, maxVersion: 'TLSv1.2' });
    assert.equal((error as { code?: string }).code, 'ERR_TLS_DH_PARAM_SIZE', String(error));
  } finally {
    await s.stop();
  }
});

// ---------- TLS 1.0 and 1.1 on request ----------

for (const [flag, version] of [['-tls1', 'TLSv1'], ['-tls1_1', 'TLSv1.1']] as const) {
  test(`${version}: typetls client with minVersion ${version} -> openssl s_server ${flag} @SECLEVEL=0`, { timeout: 20_000 }, async () => {
    const s = await startOpensslServer(sServer(flag, '-cipher', 'ALL:@SECLEVEL=0', '-quiet'));
    try {
      const socket = await connectSecure({ ...ours, port: s.port, ca, minVersion: version });
      assert.equal(socket.getProtocol(), version);
      assert.match(socket.getCipher().standardName, /_CBC_SHA$/);
      const blob = Buffer.alloc(40_000, 7);
      socket.write(blob);
      await s.waitForStdout(blob.length);
      assert.ok(s.stdout().equals(blob));
      socket.destroy();
    } finally {
      await s.stop();
    }
  });

  test(`${version}: openssl s_client ${flag} -> typetls server with minVersion ${version}`, { timeout: 20_000 }, async () => {
    const server = await startEchoServer({ ...rsa, minVersion: version });
    try {
      const r = await runOpensslClient(sClient(server.port, flag, '-cipher', 'ALL:@SECLEVEL=0'), { stdinData: 'ping\n', timeoutMs: 10_000 });
      const out = r.stdout.toString('latin1');
      // (s_client's "New, TLSv1.0, Cipher is" names the suite's own version; the protocol line is the one.)
      assert.match(out, new RegExp(`Protocol  : ${version.replace('.', '\\.')}\n`));
      assert.match(out, /Cipher is ECDHE-RSA-AES(128|256)-SHA/);
    } finally {
      await server.close();
    }
  });
}

test('TLSv1: a typetls server with the default minimum refuses openssl s_client -tls1', { timeout: 20_000 }, async () => {
  const server = await startEchoServer({ ...rsa });
  try {
    const r = await runOpensslClient(sClient(server.port, '-tls1', '-cipher', 'ALL:@SECLEVEL=0'), { stdinData: 'ping\n', timeoutMs: 10_000 });
    assert.match(r.stdout.toString('latin1') + r.stderr, /protocol version|Cipher is \(NONE\)/);
    await until(() => server.clientErrors.length > 0, 'tlsClientError');
  } finally {
    await server.close();
  }
});

// ---------- KeyUpdate from our side ----------

test('KeyUpdate: the typetls client updates its keys (and asks the server to) with openssl s_server', { timeout: 20_000 }, async () => {
  const s = await startOpensslServer(sServer('-tls1_3', '-msg', '-quiet'));
  try {
    const socket = await connectSecure({ ...ours, port: s.port, ca });
    socket.write('one');
    socket.updateKeys(true);
    socket.write('two');
    await until(() => /two/.test(s.stdout().toString('latin1')), 's_server to print the data after the KeyUpdate');
    const out = s.stdout().toString('latin1');
    assert.match(out, /KeyUpdate/);
    s.send(Buffer.from('three'));
    assert.match((await readAtLeast(socket, 5)).toString(), /three/);
    socket.destroy();
  } finally {
    await s.stop();
  }
});
