// The command line's --trace and --keylog, as a user runs them (node dist/src/cli/main.js), against the
// real openssl binary and against each other on 127.0.0.1.
//
// --trace must print each handshake message and, after each step, what that side holds, with the real
// values the seed documents name (client random, server random, session ID, cipher suite, certificate,
// pre-master secret, master secret, session keys). "Real" is checked, not assumed: the client random
// and the master secret in the trace are the ones in openssl's own -keylogfile for the same connection,
// and the session keys in the trace are what the TLS 1.2 PRF makes from that master secret and the
// trace's two randoms. --keylog must write the NSS key-log lines Wireshark reads: CLIENT_RANDOM for
// TLS 1.2; CLIENT_HANDSHAKE_TRAFFIC_SECRET, SERVER_HANDSHAKE_TRAFFIC_SECRET, CLIENT_TRAFFIC_SECRET_0,
// SERVER_TRAFFIC_SECRET_0 (and EXPORTER_SECRET) for TLS 1.3, each equal to the line openssl writes for
// the same client random.

import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { makeTestPki, type TestPki } from '../certs/make.js';
import { nodeCryptoProvider } from '../../src/crypto/node.js';
import { keyBlock } from '../../src/keys/prf.js';
import { trafficKeys } from '../../src/keys/tls13.js';
import { suiteByName } from '../../src/suites.js';
import { fromHex, toHex } from '../fuzz/mutator.js';
import {
  readTextFile, runOpensslClient, runProcess, startOpensslServer, startTypetlsServer, stopAllPeers, tail, waitForExit, writeTempFile,
} from './peers.js';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
let pki: TestPki;
before(async () => {
  pki = await makeTestPki();
});
after(stopAllPeers);

let fileCount = 0;
/** A fresh, empty file path for a key log. */
const freshFile = (name: string): string => writeTempFile(`${name}-${process.pid}-${fileCount++}.log`, '');

/** NSS key log: label → client random (hex) → secret (hex). Comments and blank lines skipped. */
function parseKeyLog(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const parts = line.trim().split(' ');
    assert.equal(parts.length, 3, `a key-log line has three fields: ${line}`);
    const [label, random, secret] = parts as [string, string, string];
    assert.match(random, /^[0-9a-f]{64}$/, `client random of ${line}`);
    assert.match(secret, /^[0-9a-f]+$/, `secret of ${line}`);
    if (!out.has(label)) out.set(label, new Map());
    out.get(label)!.set(random, secret);
  }
  return out;
}

/** The one client random of a key log that holds one connection. */
function onlyClientRandom(log: Map<string, Map<string, string>>): string {
  const randoms = new Set([...log.values()].flatMap((m) => [...m.keys()]));
  assert.equal(randoms.size, 1, `one connection in the key log, got ${randoms.size}`);
  return [...randoms][0]!;
}

/** The trace with box borders, line breaks and spaces removed, so a value wrapped over lines reads as one. */
const flatten = (trace: string): string => trace.replace(/\x1b\[[0-9;]*m/g, '').replace(/[│\s]/g, '');

/** The hex value the trace's "holds" boxes give for a field (its label without spaces, e.g. "ServerRandom"). */
function heldValue(trace: string, label: string, hexLength: number): string {
  const m = new RegExp(`${label}([0-9a-f]{${hexLength}})`).exec(flatten(trace));
  assert.ok(m, `the trace shows ${label} (${hexLength / 2} bytes)`);
  return m[1]!;
}

/** The box titles of one side ("client now holds · waiting for ServerHello"), in order. */
const holdsTitles = (trace: string, side: 'client' | 'server'): string[] =>
  [...trace.matchAll(new RegExp(`┌─ ${side} now holds · ([^─]+?) ─`, 'g'))].map((m) => m[1]!);

/** The handshake messages one side traced ("client → ClientHello"), in order. */
const tracedMessageLines = (trace: string, side: 'client' | 'server'): string[] =>
  [...trace.matchAll(new RegExp(`^${side} ([→←]) (\\w+)  \\(`, 'gm'))].map((m) => `${m[1]} ${m[2]}`);

const SUITE12 = suiteByName('ECDHE-RSA-AES128-GCM-SHA256')!;

/** The TLS 1.2 checks shared by both roles: the seed documents' values, real and consistent with openssl's key log. */
function checkTrace12(trace: string, side: 'client' | 'server', ours: Map<string, Map<string, string>>, openssl: Map<string, Map<string, string>>): void {
  const clientRandom = onlyClientRandom(ours);
  const master = ours.get('CLIENT_RANDOM')?.get(clientRandom);
  assert.ok(master, 'our key log has a CLIENT_RANDOM line');
  assert.equal(master.length, 96, 'a 48-byte master secret');
  assert.equal(openssl.get('CLIENT_RANDOM')?.get(clientRandom), master, "openssl's key log has the same master secret for the same client random");

  assert.equal(heldValue(trace, 'ClientRandom', 64), clientRandom, 'the trace shows the real client random');
  assert.equal(heldValue(trace, 'MasterSecret', 96), master, 'the trace shows the real master secret');
  const serverRandom = heldValue(trace, 'ServerRandom', 64);
  // OpenSSL's server sends an empty session ID when it issues a ticket; ours a 32-byte one.
  assert.match(flatten(trace), /SessionID(\(empty\)|[0-9a-f]{64})/, 'the trace shows the session ID');
  heldValue(trace, 'Pre-Master-Secret', 64); // X25519: 32 bytes
  assert.match(flatten(trace), new RegExp(`CipherSuite${SUITE12.standardName}`));
  assert.match(flatten(trace), /CertificatesubjectCN=localhost;issuerCN=typetlsTestCA;rsakey/);

  // The session keys in the trace are the PRF's from that master secret and the two randoms (RFC 5246 Section 6.3).
  const c = SUITE12.cipher;
  assert.equal(c.kind, 'aead');
  if (c.kind !== 'aead') return;
  const kb = keyBlock(nodeCryptoProvider, SUITE12.hash, fromHex(master), fromHex(clientRandom), fromHex(serverRandom), { macKey: 0, key: c.keyLength, iv: c.fixedIvLength });
  assert.equal(heldValue(trace, 'ClientWriteKey', 32), toHex(kb.clientWriteKey));
  assert.equal(heldValue(trace, 'ServerWriteKey', 32), toHex(kb.serverWriteKey));
  assert.equal(heldValue(trace, 'ClientWriteIV', 8), toHex(kb.clientWriteIv));
  assert.equal(heldValue(trace, 'ServerWriteIV', 8), toHex(kb.serverWriteIv));

  // The ServerHello message's random is the one held.
  assert.match(flatten(trace), new RegExp(`ServerHello\\(${side === 'client' ? 'received' : 'sent'},\\d+bytes\\)legacyVersionTLSv1\\.2\\(0x0303\\)random${serverRandom}`));
}

/** RFC 5246 Section 7.3 with a ticket (RFC 5077 Section 3.3: NewSessionTicket before the server's ChangeCipherSpec). */
const steps12 = {
  client: ['→ ClientHello', '← ServerHello', '← Certificate', '← ServerKeyExchange', '← ServerHelloDone', '→ ClientKeyExchange', '→ Finished', '← NewSessionTicket', '← ChangeCipherSpec', '← Finished'],
  server: ['← ClientHello', '→ ServerHello', '→ Certificate', '→ ServerKeyExchange', '→ ServerHelloDone', '← ClientKeyExchange', '← ChangeCipherSpec', '← Finished', '→ NewSessionTicket', '→ Finished'],
};

const labels13 = ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0', 'EXPORTER_SECRET'];
/** The trace's name for the secret of each key-log label. */
const traceLabel13: Record<string, string> = {
  CLIENT_HANDSHAKE_TRAFFIC_SECRET: 'ClientHandshakeTrafficSecret',
  SERVER_HANDSHAKE_TRAFFIC_SECRET: 'ServerHandshakeTrafficSecret',
  CLIENT_TRAFFIC_SECRET_0: 'ClientApplicationTrafficSecret',
  SERVER_TRAFFIC_SECRET_0: 'ServerApplicationTrafficSecret',
};

/** The holds names of the write key and IV each traffic secret makes (the application ones named as TLS 1.2's session keys). */
const trafficKeyLabel13: Record<string, readonly [string, string]> = {
  CLIENT_HANDSHAKE_TRAFFIC_SECRET: ['ClientHandshakeKey', 'ClientHandshakeIV'],
  SERVER_HANDSHAKE_TRAFFIC_SECRET: ['ServerHandshakeKey', 'ServerHandshakeIV'],
  CLIENT_TRAFFIC_SECRET_0: ['ClientWriteKey', 'ClientWriteIV'],
  SERVER_TRAFFIC_SECRET_0: ['ServerWriteKey', 'ServerWriteIV'],
};

/** The TLS 1.3 checks shared by both roles. */
function checkKeyLog13(trace: string, ours: Map<string, Map<string, string>>, openssl: Map<string, Map<string, string>>): string {
  const clientRandom = onlyClientRandom(ours);
  for (const label of labels13) {
    const secret = ours.get(label)?.get(clientRandom);
    assert.ok(secret, `our key log has ${label}`);
    assert.equal(openssl.get(label)?.get(clientRandom), secret, `openssl's ${label} for the same client random`);
  }
  assert.equal(ours.has('CLIENT_RANDOM'), false, 'no TLS 1.2 line in a TLS 1.3 key log');
  assert.equal(heldValue(trace, 'ClientRandom', 64), clientRandom);
  heldValue(trace, 'ServerRandom', 64);
  heldValue(trace, 'SharedSecret', 64);
  heldValue(trace, 'HandshakeSecret', 64);
  heldValue(trace, 'MasterSecret', 64);
  heldValue(trace, 'ResumptionMasterSecret', 64);
  for (const [label, name] of Object.entries(traceLabel13)) {
    assert.equal(heldValue(trace, name, 64), ours.get(label)!.get(clientRandom), `the trace's ${name} is the key log's ${label}`);
  }
  // The key shares of the ClientHello.
  assert.match(trace, /key_share[\s\S]*?group +X25519MLKEM768/);
  return clientRandom;
}

const steps13 = {
  client: ['→ ClientHello', '← ServerHello', '← EncryptedExtensions', '← Certificate', '← CertificateVerify', '← Finished', '→ Finished'],
  server: ['← ClientHello', '→ ServerHello', '→ EncryptedExtensions', '→ Certificate', '→ CertificateVerify', '→ Finished', '← Finished'],
};

/** Runs `typetls client 127.0.0.1:PORT ARGS` to completion with `input` on stdin. */
const runCli = (port: number, args: readonly string[], input = 'hello\n') =>
  runProcess(process.execPath, [main, 'client', `127.0.0.1:${port}`, '--servername', 'localhost', '--ca', pki.caCert, ...args], { stdinData: input, timeoutMs: 15_000 });

describe('typetls client --trace --keylog against openssl s_server -keylogfile', () => {
  it('TLS 1.2: every message and step, the seed documents\' values, and CLIENT_RANDOM agreeing with openssl', { timeout: 20_000 }, async () => {
    const theirs = freshFile('s_server-12');
    const ours = freshFile('client-12');
    const s = await startOpensslServer(['-cert', pki.rsaCert, '-key', pki.rsaKey, '-tls1_2', '-cipher', SUITE12.openSslName, '-naccept', '1', '-keylogfile', theirs]);
    try {
      const r = await runCli(s.port, ['--max-version', '1.2', '--trace', '--keylog', ours]);
      assert.equal(r.code, 0, tail(r.stderr, 15));
      await waitForExit(s.child);
      const trace = r.stderr;
      assert.deepEqual(tracedMessageLines(trace, 'client'), steps12.client);
      assert.deepEqual(holdsTitles(trace, 'client'), [
        'waiting for ServerHello', 'waiting for Certificate', 'waiting for ServerKeyExchange', 'waiting for ServerHelloDone',
        // The second ChangeCipherSpec wait comes after the NewSessionTicket (RFC 5077 Section 3.3).
        'waiting for ChangeCipherSpec', 'waiting for ChangeCipherSpec', 'waiting for Finished', 'Traffic',
      ]);
      checkTrace12(trace, 'client', parseKeyLog(readTextFile(ours)), parseKeyLog(readTextFile(theirs)));
      assert.match(s.stdout().toString('latin1'), /hello/, 'the data went through');
    } finally {
      await s.stop();
    }
  });

  it('TLS 1.3: every message and step, the key schedule, and the five TLS 1.3 key-log lines agreeing with openssl', { timeout: 20_000 }, async () => {
    const theirs = freshFile('s_server-13');
    const ours = freshFile('client-13');
    const s = await startOpensslServer(['-cert', pki.rsaCert, '-key', pki.rsaKey, '-tls1_3', '-naccept', '1', '-keylogfile', theirs]);
    try {
      const r = await runCli(s.port, ['--trace', '--keylog', ours]);
      assert.equal(r.code, 0, tail(r.stderr, 15));
      await waitForExit(s.child);
      const trace = r.stderr;
      assert.deepEqual(tracedMessageLines(trace, 'client').slice(0, steps13.client.length), steps13.client);
      assert.deepEqual(holdsTitles(trace, 'client').slice(0, 2), ['waiting for ServerHello', 'waiting for EncryptedExtensions']);
      assert.equal(holdsTitles(trace, 'client').at(-1), 'Traffic');
      checkKeyLog13(trace, parseKeyLog(readTextFile(ours)), parseKeyLog(readTextFile(theirs)));
    } finally {
      await s.stop();
    }
  });
});

describe('typetls server --trace --keylog against openssl s_client -keylogfile', () => {
  const request = 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n';
  const sClient = (port: number, keylog: string, ...extra: string[]) =>
    ['-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', pki.caCert, '-verify_return_error', '-ign_eof', '-keylogfile', keylog, ...extra];

  it('TLS 1.2: every message and step, the seed documents\' values, and CLIENT_RANDOM agreeing with openssl', { timeout: 20_000 }, async () => {
    const theirs = freshFile('s_client-12');
    const ours = freshFile('server-12');
    const server = await startTypetlsServer(['--cert', pki.rsaCert, '--key', pki.rsaKey, '--max-version', '1.2', '--ciphers', SUITE12.openSslName, '--trace', '--keylog', ours]);
    try {
      const r = await runOpensslClient(sClient(server.port, theirs, '-tls1_2'), { stdinData: request, timeoutMs: 10_000 });
      assert.match(r.stdout.toString('latin1'), /version=TLSv1\.2 cipher=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256/, tail(r.stderr));
      await server.peer.waitFor((_o, err) => /server now holds · Traffic/.test(err), 'the server trace to reach Traffic');
      const trace = server.peer.stderr();
      assert.deepEqual(tracedMessageLines(trace, 'server'), steps12.server);
      assert.deepEqual(holdsTitles(trace, 'server'), [
        'waiting for ClientHello', 'waiting for ClientKeyExchange', 'waiting for ChangeCipherSpec', 'waiting for Finished', 'Traffic',
      ]);
      checkTrace12(trace, 'server', parseKeyLog(readTextFile(ours)), parseKeyLog(readTextFile(theirs)));
    } finally {
      await server.stop();
    }
  });

  it('TLS 1.3: every message and step, the key schedule, and the five TLS 1.3 key-log lines agreeing with openssl', { timeout: 20_000 }, async () => {
    const theirs = freshFile('s_client-13');
    const ours = freshFile('server-13');
    const server = await startTypetlsServer(['--cert', pki.rsaCert, '--key', pki.rsaKey, '--trace', '--keylog', ours]);
    try {
      const r = await runOpensslClient(sClient(server.port, theirs, '-tls1_3'), { stdinData: request, timeoutMs: 10_000 });
      assert.match(r.stdout.toString('latin1'), /version=TLSv1\.3/, tail(r.stderr));
      await server.peer.waitFor((_o, err) => /server now holds · Traffic/.test(err), 'the server trace to reach Traffic');
      const trace = server.peer.stderr();
      assert.deepEqual(tracedMessageLines(trace, 'server').slice(0, steps13.server.length), steps13.server);
      // s_client offers X25519 first; the trace shows the key share the server answered with.
      const ourLog = parseKeyLog(readTextFile(ours));
      const clientRandom = onlyClientRandom(ourLog);
      for (const label of labels13) {
        assert.equal(parseKeyLog(readTextFile(theirs)).get(label)?.get(clientRandom), ourLog.get(label)?.get(clientRandom), label);
      }
      assert.equal(heldValue(trace, 'ClientRandom', 64), clientRandom);
      for (const [label, name] of Object.entries(traceLabel13)) assert.equal(heldValue(trace, name, 64), ourLog.get(label)!.get(clientRandom), name);
    } finally {
      await server.stop();
    }
  });
});

describe('typetls client --trace --keylog against typetls server --trace --keylog', () => {
  for (const [label, version] of [['TLS 1.2', '1.2'], ['TLS 1.3', '1.3']] as const) {
    it(`${label}: both key logs hold the same lines; both traces the same client random and master secret`, { timeout: 20_000 }, async () => {
      const serverLog = freshFile(`server-${version}`);
      const clientLog = freshFile(`client-${version}`);
      const server = await startTypetlsServer(['--cert', pki.rsaCert, '--key', pki.rsaKey, '--max-version', version, '--trace', '--keylog', serverLog]);
      try {
        const r = await runCli(server.port, ['--max-version', version, '--trace', '--keylog', clientLog]);
        assert.equal(r.code, 0, tail(r.stderr, 15));
        await server.peer.waitFor((_o, err) => /server now holds · Traffic/.test(err), 'the server trace to reach Traffic');
        const lines = (path: string) => readTextFile(path).trim().split('\n').sort();
        assert.deepEqual(lines(serverLog), lines(clientLog));
        assert.equal(lines(clientLog).length, version === '1.2' ? 1 : 5);
        const serverTrace = server.peer.stderr();
        const size = version === '1.2' ? 96 : 64;
        assert.equal(heldValue(serverTrace, 'ClientRandom', 64), heldValue(r.stderr, 'ClientRandom', 64));
        assert.equal(heldValue(serverTrace, 'MasterSecret', size), heldValue(r.stderr, 'MasterSecret', size));
        assert.equal(heldValue(serverTrace, 'ServerRandom', 64), heldValue(r.stderr, 'ServerRandom', 64));
      } finally {
        await server.stop();
      }
    });
  }
});

describe('TLS 1.3 --trace: what the issue asks beyond the secrets', () => {
  it('shows the traffic keys: write key and IV of each traffic secret', { timeout: 20_000 }, async () => {
    const log = freshFile('client-13-keys');
    const s = await startOpensslServer(['-cert', pki.rsaCert, '-key', pki.rsaKey, '-tls1_3', '-naccept', '1', '-ciphersuites', 'TLS_AES_128_GCM_SHA256']);
    try {
      const r = await runCli(s.port, ['--trace', '--keylog', log]);
      assert.equal(r.code, 0, tail(r.stderr, 15));
      const keyLog = parseKeyLog(readTextFile(log));
      const clientRandom = onlyClientRandom(keyLog);
      const flat = flatten(r.stderr);
      for (const label of ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0']) {
        const { key, iv } = trafficKeys(nodeCryptoProvider, 'sha256', fromHex(keyLog.get(label)!.get(clientRandom)!), 16, 12);
        assert.ok(flat.includes(toHex(key)), `the trace shows the write key of ${label}`);
        assert.ok(flat.includes(toHex(iv)), `the trace shows the write IV of ${label}`);
        // In the holds boxes, under the names the trace gives them.
        const [keyName, ivName] = trafficKeyLabel13[label]!;
        assert.equal(heldValue(r.stderr, keyName, 32), toHex(key), `${keyName} is the write key of ${label}`);
        assert.equal(heldValue(r.stderr, ivName, 24), toHex(iv), `${ivName} is the write IV of ${label}`);
      }
    } finally {
      await s.stop();
    }
  });

  it('shows the exporter master secret that --keylog writes as EXPORTER_SECRET', { timeout: 20_000 }, async () => {
    const log = freshFile('client-13-exporter');
    const s = await startOpensslServer(['-cert', pki.rsaCert, '-key', pki.rsaKey, '-tls1_3', '-naccept', '1']);
    try {
      const r = await runCli(s.port, ['--trace', '--keylog', log]);
      assert.equal(r.code, 0, tail(r.stderr, 15));
      const keyLog = parseKeyLog(readTextFile(log));
      const exporter = keyLog.get('EXPORTER_SECRET')!.get(onlyClientRandom(keyLog))!;
      assert.ok(flatten(r.stderr).includes(exporter), 'the trace shows the exporter master secret');
      assert.equal(heldValue(r.stderr, 'ExporterMasterSecret', 64), exporter, 'and the client holds it');
    } finally {
      await s.stop();
    }
  });
});
