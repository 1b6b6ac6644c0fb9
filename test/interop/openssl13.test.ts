// TLS 1.3 against the real openssl binary, both directions.
//
// Each cell pins one suite and one group on the openssl side, moves different random data each way and
// compares it byte for byte, and checks the negotiated version, suite and group as openssl reports them
// (s_client -brief's summary; s_server's -trace of the ServerHello it sent) and as our socket reports them.
// The default cells check what each side chooses unpinned: our client offers X25519MLKEM768 first, which
// OpenSSL 3.0 does not know, so the handshake falls back to the X25519 share sent beside it.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { makeTestPki, type TestPki } from '../certs/make.js';
import {
  describeDifference,
  exchange,
  groups,
  randomBlob,
  readTextFile,
  runOpensslClient,
  serverTempKey,
  startOpensslServer,
  stopAllPeers,
  tail,
  traceGroupName,
  tracedServerHellos,
  waitForExit,
  writeTempFile,
  type Group,
} from './peers.js';
import { connectSecure, startEchoServer, until, type ClientSocket } from './typetls-peers.js';

const suites = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const;
/** getEphemeralKeyInfo().name for each group (OpenSSL's names, as node reports them). */
const keyInfoName: Record<Group, string> = { X25519: 'X25519', 'P-256': 'prime256v1', 'P-384': 'secp384r1' };
const SIZE = 64 * 1024;

let pki: TestPki;
let caPem: Buffer;
let traceCount = 0;

before(async () => {
  pki = await makeTestPki();
  caPem = readFileSync(pki.caCert);
});
after(stopAllPeers);

const msgFile = (): string => writeTempFile(`openssl13-trace-${traceCount++}.txt`, '');

/** Our client against `s_server -tls1_3 ARGS`: data both ways; returns our socket's report and s_server's. */
async function clientCell(
  serverArgs: readonly string[],
  clientOptions: { ciphers?: string; ecdhCurve?: string },
): Promise<{ protocol: string | null; standardName: string; group: string | undefined; report: string; trace: string }> {
  const trace = msgFile();
  const server = await startOpensslServer([
    '-cert', pki.rsaCert, '-key', pki.rsaKey, '-tls1_3', '-brief', '-naccept', '1', '-trace', '-msgfile', trace, ...serverArgs,
  ]);
  let socket: ClientSocket | undefined;
  try {
    socket = await connectSecure({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: caPem, ...clientOptions });
    const fromUs = randomBlob(SIZE);
    const fromServer = randomBlob(SIZE);
    server.send(fromServer);
    const info = {
      protocol: socket.getProtocol(),
      standardName: socket.getCipher().standardName,
      group: (socket.getEphemeralKeyInfo() as { name?: string }).name,
    };
    const received = await exchange(socket, fromUs, SIZE);
    assert.equal(describeDifference(received, fromServer), undefined, 'what our client received from s_server');
    await server.waitForStdout(SIZE);
    assert.equal(describeDifference(server.stdout(), fromUs), undefined, 's_server stdout vs what our client sent');
    // -naccept 1: s_server exits once the connection is over, which completes its trace file.
    await waitForExit(server.child);
    return { ...info, report: server.stderr(), trace: readTextFile(trace) };
  } finally {
    socket?.destroy();
    await server.stop();
  }
}

for (const suite of suites) {
  for (const group of groups) {
    test(`openssl s_server <- typetls client: TLSv1.3 ${suite} ${group}`, { timeout: 20_000 }, async () => {
      const r = await clientCell(['-ciphersuites', suite, '-groups', group], { ciphers: suite, ecdhCurve: group });
      assert.equal(r.protocol, 'TLSv1.3');
      assert.equal(r.standardName, suite);
      assert.equal(r.group, keyInfoName[group]);
      assert.match(r.report, /^Protocol version: TLSv1\.3$/m, tail(r.report));
      assert.match(r.report, new RegExp(`^Ciphersuite: ${suite}$`, 'm'), tail(r.report));
      const hellos = tracedServerHellos(r.trace);
      assert.deepEqual(hellos, [{ retry: false, group: traceGroupName[group] }], 's_server sent one ServerHello with this key share');
    });
  }
}

test('openssl s_server <- typetls client: TLSv1.3 defaults fall back from X25519MLKEM768 to X25519 without a retry', { timeout: 20_000 }, async () => {
  const r = await clientCell([], {});
  assert.equal(r.protocol, 'TLSv1.3');
  assert.equal(r.group, 'X25519');
  assert.match(r.report, /^Protocol version: TLSv1\.3$/m, tail(r.report));
  // Our ClientHello offered the hybrid first (codepoint 0x11EC = 4588), which s_server does not know.
  assert.match(r.trace, /ClientHello[\s\S]*supported_groups[\s\S]*\(4588\)/, 'our supported_groups lists 0x11EC');
  assert.deepEqual(tracedServerHellos(r.trace), [{ retry: false, group: traceGroupName.X25519 }]);
});

test('openssl s_server <- typetls client: TLSv1.3 with an ECDSA P-256 certificate (ecdsa_secp256r1_sha256)', { timeout: 20_000 }, async () => {
  const trace = msgFile();
  const server = await startOpensslServer([
    '-cert', pki.ecdsaCert, '-key', pki.ecdsaKey, '-tls1_3', '-brief', '-naccept', '1', '-trace', '-msgfile', trace,
  ]);
  let socket: ClientSocket | undefined;
  try {
    socket = await connectSecure({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: caPem });
    assert.equal(socket.getProtocol(), 'TLSv1.3');
    assert.equal(socket.authorized, true);
    const data = randomBlob(1000);
    const back = randomBlob(1000);
    server.send(back);
    assert.equal(describeDifference(await exchange(socket, data, back.length), back), undefined);
    await server.waitForStdout(data.length);
    await waitForExit(server.child);
    assert.match(readTextFile(trace), /CertificateVerify, Length=\d+\n\s+Signature Algorithm: ecdsa_secp256r1_sha256 \(0x0403\)/);
  } finally {
    socket?.destroy();
    await server.stop();
  }
});

/** `s_client -tls1_3 ARGS` against our echo server with SIZE bytes of stdin; our server ends after echoing them. */
async function serverCell(clientArgs: readonly string[], serverOptions: { ciphers?: string; ecdhCurve?: string; ecdsa?: boolean }) {
  const { ecdsa, ...tlsOptions } = serverOptions;
  const echo = await startEchoServer(
    {
      cert: readFileSync(ecdsa ? pki.ecdsaCert : pki.rsaCert),
      key: readFileSync(ecdsa ? pki.ecdsaKey : pki.rsaKey),
      ...tlsOptions,
    },
    { endAfter: SIZE },
  );
  try {
    const blob = randomBlob(SIZE);
    const result = await runOpensslClient(
      [
        '-connect', `127.0.0.1:${echo.port}`, '-servername', 'localhost', '-CAfile', pki.caCert, '-verify_return_error',
        '-brief', '-ign_eof', '-nocommands', '-tls1_3', ...clientArgs,
      ],
      { stdinFile: writeTempFile(`openssl13-stdin-${traceCount++}.bin`, blob) },
    );
    assert.equal(result.timedOut, false, `s_client timed out: ${tail(result.stderr)}`);
    assert.equal(result.code, 0, `s_client exit ${result.code}: ${tail(result.stderr)}`);
    assert.equal(describeDifference(result.stdout, blob), undefined, 's_client stdout (the echo) vs its stdin');
    await until(() => echo.sessions.length === 1 && echo.sessions[0]!.closed, 'our server connection to close');
    const seen = echo.sessions[0]!;
    assert.equal(seen.error, undefined, `server socket error: ${String(seen.error)}`);
    assert.equal(describeDifference(seen.received, blob), undefined, 'what our server received');
    return { report: result.stderr, seen };
  } finally {
    await echo.close();
  }
}

for (const suite of suites) {
  for (const group of groups) {
    test(`openssl s_client -> typetls server: TLSv1.3 ${suite} ${group}`, { timeout: 20_000 }, async () => {
      const { report, seen } = await serverCell(['-ciphersuites', suite, '-groups', group], { ciphers: suite, ecdhCurve: group });
      assert.match(report, /^Protocol version: TLSv1\.3$/m, tail(report));
      assert.match(report, new RegExp(`^Ciphersuite: ${suite}$`, 'm'), tail(report));
      assert.ok(report.includes(serverTempKey[group]), `want "${serverTempKey[group]}" in:\n${report}`);
      assert.match(report, /^Verification: OK$/m, tail(report));
      assert.equal(seen.protocol, 'TLSv1.3');
      assert.equal(seen.standardName, suite);
      assert.equal(seen.group, keyInfoName[group]);
    });
  }
}

// The AES-CCM suites (RFC 8446 Section B.4), off by default on both sides and named here; CCM_8 has an 8-byte tag.
for (const suite of ['TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_8_SHA256'] as const) {
  test(`openssl s_server <- typetls client: TLSv1.3 ${suite}`, { timeout: 20_000 }, async () => {
    const r = await clientCell(['-ciphersuites', suite], { ciphers: suite });
    assert.equal(r.standardName, suite);
    assert.match(r.report, new RegExp(`^Ciphersuite: ${suite}$`, 'm'), tail(r.report));
  });
  test(`openssl s_client -> typetls server: TLSv1.3 ${suite}`, { timeout: 20_000 }, async () => {
    const { report, seen } = await serverCell(['-ciphersuites', suite], { ciphers: suite });
    assert.match(report, new RegExp(`^Ciphersuite: ${suite}$`, 'm'), tail(report));
    assert.equal(seen.standardName, suite);
  });
}

test('openssl s_client -> typetls server: TLSv1.3 defaults (X25519, RSA-PSS signature)', { timeout: 20_000 }, async () => {
  const { report, seen } = await serverCell([], {});
  assert.match(report, /^Protocol version: TLSv1\.3$/m, tail(report));
  assert.ok(report.includes(serverTempKey.X25519), report);
  assert.match(report, /^Signature type: RSA-PSS$/m, tail(report));
  assert.equal(seen.group, 'X25519');
});

test('openssl s_client -> typetls server: TLSv1.3 with an ECDSA P-256 certificate', { timeout: 20_000 }, async () => {
  const { report, seen } = await serverCell([], { ecdsa: true });
  assert.match(report, /^Protocol version: TLSv1\.3$/m, tail(report));
  assert.match(report, /^Signature type: ECDSA$/m, tail(report));
  assert.match(report, /^Verification: OK$/m, tail(report));
  assert.equal(seen.protocol, 'TLSv1.3');
});
