// The rest of the openssl interop: HelloRetryRequest both ways, ALPN, KeyUpdate driven by openssl's `k`/`K`
// commands, renegotiation refused, the CBC suites in both directions, and version negotiation (1.3 falling
// back to 1.2, a 1.3-only client against a 1.2-only server).
//
// Each cell checks what openssl itself reports (its -brief summary, its -trace of the messages, its command
// output such as KEYUPDATE or RENEGOTIATING, its error lines) as well as our socket or our server's trace.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { makeTestPki, type TestPki } from '../certs/make.js';
import {
  describeDifference,
  errorCode,
  exchange,
  randomBlob,
  readTextFile,
  runOpensslClient,
  serverTempKey,
  startInteractive,
  startOpensslServer,
  stopAllPeers,
  tail,
  traceGroupName,
  tracedRecords,
  tracedServerHellos,
  waitForExit,
  writeTempFile,
  type InteractivePeer,
} from './peers.js';
import {
  connectRejected,
  connectSecure,
  readAtLeast,
  startEchoServer,
  tracedMessages,
  until,
  type ClientSocket,
} from './typetls-peers.js';
import type { TraceEvent } from '../../src/trace.js';
import { ExtensionType } from '../../src/wire/enums.js';
import { decodeHandshakeMessage } from '../../src/wire/messages.js';

let pki: TestPki;
let caPem: Buffer;
let rsa: { cert: Buffer; key: Buffer };
let fileCount = 0;

before(async () => {
  pki = await makeTestPki();
  caPem = readFileSync(pki.caCert);
  rsa = { cert: readFileSync(pki.rsaCert), key: readFileSync(pki.rsaKey) };
});
after(stopAllPeers);

const tempPath = (name: string): string => writeTempFile(`misc13-${fileCount++}-${name}`, '');
const ours = { host: '127.0.0.1', servername: 'localhost' } as const;

// ---------- HelloRetryRequest ----------

test('HelloRetryRequest: typetls client (shares X25519MLKEM768 and X25519) -> s_server -groups P-384', { timeout: 20_000 }, async () => {
  const trace = tempPath('trace.txt');
  const server = await startOpensslServer([
    '-cert', pki.rsaCert, '-key', pki.rsaKey, '-groups', 'P-384', '-brief', '-naccept', '1', '-trace', '-msgfile', trace,
  ]);
  const events: TraceEvent[] = [];
  try {
    const socket = await connectSecure({ ...ours, port: server.port, ca: caPem, trace: (e: TraceEvent) => events.push(e) });
    assert.equal(socket.getProtocol(), 'TLSv1.3');
    assert.equal((socket.getEphemeralKeyInfo() as { name?: string }).name, 'secp384r1');
    server.send(Buffer.from('after retry'));
    assert.equal((await exchange(socket, Buffer.from('hello'), 11)).toString(), 'after retry');
    await server.waitForStdout(5);
    await waitForExit(server.child);
    assert.deepEqual(
      tracedServerHellos(readTextFile(trace)),
      [
        { retry: true, group: traceGroupName['P-384'] },
        { retry: false, group: traceGroupName['P-384'] },
      ],
      's_server sent a HelloRetryRequest for P-384, then the ServerHello',
    );
    // Our second ClientHello carries one share, for P-384.
    const hellos = readTextFile(trace).split(/ClientHello, Length=\d+\n/).slice(1);
    assert.equal(hellos.length, 2, 'two ClientHellos');
    assert.match(hellos[1]!.split(/\n(?:Sent|Received) Record\n/)[0]!, /extension_type=key_share\(51\)[^\n]*\n\s+NamedGroup: secp384r1 \(P-384\) \(24\)/);
    assert.equal(tracedMessages(events, 'received').filter((n) => /HelloRetryRequest/.test(n)).length, 1, 'our trace shows one HelloRetryRequest');
  } finally {
    await server.stop();
  }
});

/** The bytes of the cookie extension (its cookie<1..2^16-1> with the length) in one record of an openssl -trace. */
function tracedCookie(recordText: string): string | undefined {
  const at = recordText.search(/extension_type=cookie_ext\(44\), length=\d+\n/);
  if (at < 0) return undefined;
  let hex = '';
  for (const line of recordText.slice(at).split('\n').slice(1)) {
    const m = /^\s+[0-9a-f]{4} - ((?:[0-9a-f]{2}[ -]){0,15}[0-9a-f]{2})/.exec(line);
    if (!m) break;
    hex += m[1]!.replace(/[ -]/g, '');
  }
  return hex;
}

/** The extension data of one type in a traced handshake message (ClientHello or HelloRetryRequest), hex. */
function extensionHex(bytes: Uint8Array, type: number): string | undefined {
  const message = decodeHandshakeMessage(bytes, { version: 0x0304 }) as { extensions?: readonly { type: number; data: Uint8Array }[] };
  const e = message.extensions?.find((x) => x.type === type);
  return e ? Buffer.from(e.data).toString('hex') : undefined;
}

test('HelloRetryRequest with a cookie: typetls client -> s_server -stateless echoes the cookie and completes the handshake', { timeout: 20_000 }, async () => {
  const trace = tempPath('trace.txt');
  // -stateless: s_server answers every ClientHello without a cookie with a HelloRetryRequest carrying one (RFC 8446 4.2.2).
  const server = await startOpensslServer(['-cert', pki.rsaCert, '-key', pki.rsaKey, '-tls1_3', '-stateless', '-brief', '-naccept', '1', '-trace', '-msgfile', trace]);
  const events: TraceEvent[] = [];
  try {
    const socket = await connectSecure({ ...ours, port: server.port, ca: caPem, trace: (e: TraceEvent) => events.push(e) });
    assert.equal(socket.getProtocol(), 'TLSv1.3');
    server.send(Buffer.from('stateless'));
    assert.equal((await exchange(socket, Buffer.from('hello'), 9)).toString(), 'stateless');
    await server.waitForStdout(5);
    await waitForExit(server.child);

    const records = tracedRecords(readTextFile(trace));
    const sentCookie = records.filter((r) => r.direction === 'sent').map((r) => tracedCookie(r.text)).find((c) => c !== undefined);
    assert.ok(sentCookie && sentCookie.length > 4, "s_server's HelloRetryRequest carries a cookie");
    const hellos = records.filter((r) => r.direction === 'received' && /ClientHello, Length=/.test(r.text));
    assert.equal(hellos.length, 2, 'two ClientHellos');
    assert.equal(tracedCookie(hellos[0]!.text), undefined, 'the first has no cookie');
    assert.equal(tracedCookie(hellos[1]!.text), sentCookie, "the second echoes s_server's cookie byte for byte");
    // s_server -stateless fails on a ChangeCipherSpec between the ClientHellos; ours comes after the second.
    const kinds = records.filter((r) => r.direction === 'received').map((r) => (/ClientHello, Length=/.test(r.text) ? 'CH' : /Content Type = ChangeCipherSpec/.test(r.text) ? 'CCS' : 'other'));
    assert.deepEqual(kinds.slice(0, 3), ['CH', 'CH', 'CCS']);
    assert.deepEqual(tracedServerHellos(readTextFile(trace)).map((h) => h.retry), [true, false]);

    // Our own trace says the same: the cookie of the HelloRetryRequest, again in our second ClientHello.
    const messages = events.filter((e): e is Extract<TraceEvent, { kind: 'message' }> => e.kind === 'message');
    const hrr = messages.find((e) => e.direction === 'received' && e.name === 'HelloRetryRequest')!;
    const secondHello = messages.filter((e) => e.direction === 'sent' && e.name === 'ClientHello')[1]!;
    assert.equal(extensionHex(hrr.bytes, ExtensionType.cookie), sentCookie);
    assert.equal(extensionHex(secondHello.bytes, ExtensionType.cookie), sentCookie);
  } finally {
    await server.stop();
  }
});

test('HelloRetryRequest: s_client -groups P-256:X25519 (a P-256 share) -> typetls server with ecdhCurve X25519', { timeout: 20_000 }, async () => {
  const trace = tempPath('trace.txt');
  const echo = await startEchoServer({ ...rsa, ecdhCurve: 'X25519' }, { endAfter: 5, traced: true });
  try {
    const r = await runOpensslClient(
      [
        '-connect', `127.0.0.1:${echo.port}`, '-servername', 'localhost', '-CAfile', pki.caCert, '-verify_return_error',
        '-brief', '-ign_eof', '-groups', 'P-256:X25519', '-trace', '-msgfile', trace,
      ],
      { stdinData: 'hello', timeoutMs: 10_000 },
    );
    assert.equal(r.code, 0, tail(r.stderr));
    assert.match(r.stderr, /^Protocol version: TLSv1\.3$/m);
    assert.ok(r.stderr.includes(serverTempKey.X25519), r.stderr);
    assert.equal(r.stdout.toString(), 'hello');
    const t = readTextFile(trace);
    const first = t.split(/ClientHello, Length=\d+\n/)[1]!.split(/\n(?:Sent|Received) Record\n/)[0]!;
    assert.match(first, /extension_type=key_share\(51\)[^\n]*\n\s+NamedGroup: secp256r1 \(P-256\) \(23\)/, 's_client shared P-256 first');
    assert.deepEqual(tracedServerHellos(t), [
      { retry: true, group: traceGroupName.X25519 },
      { retry: false, group: traceGroupName.X25519 },
    ]);
    await until(() => echo.sessions.length === 1, 'the connection');
    assert.equal(echo.sessions[0]!.group, 'X25519');
  } finally {
    await echo.close();
  }
});

// ---------- ALPN ----------

test('ALPN: s_client -alpn h2,http/1.1 -> typetls server offering http/1.1', { timeout: 20_000 }, async () => {
  const echo = await startEchoServer({ ...rsa, ALPNProtocols: ['http/1.1'] }, { endAfter: 5 });
  try {
    const r = await runOpensslClient(
      ['-connect', `127.0.0.1:${echo.port}`, '-servername', 'localhost', '-CAfile', pki.caCert, '-ign_eof', '-alpn', 'h2,http/1.1'],
      { stdinData: 'hello', timeoutMs: 10_000 },
    );
    const out = r.stdout.toString('latin1');
    assert.equal(r.code, 0, tail(out + r.stderr));
    assert.match(out, /^ALPN protocol: http\/1\.1$/m, tail(out, 30));
    await until(() => echo.sessions.length === 1, 'the connection');
    assert.equal(echo.sessions[0]!.alpn, 'http/1.1');
  } finally {
    await echo.close();
  }
});

test('ALPN: no protocol in common -> typetls server refuses with no_application_protocol (RFC 7301 Section 3.2)', { timeout: 20_000 }, async () => {
  const echo = await startEchoServer({ ...rsa, ALPNProtocols: ['h2'] }, { endAfter: 5 });
  try {
    const r = await runOpensslClient(
      ['-connect', `127.0.0.1:${echo.port}`, '-servername', 'localhost', '-CAfile', pki.caCert, '-ign_eof', '-alpn', 'http/1.1'],
      { stdinData: 'hello', timeoutMs: 10_000 },
    );
    assert.notEqual(r.code, 0, tail(r.stdout.toString('latin1') + r.stderr));
    assert.match(r.stderr, /no application protocol|SSL alert number 120/, tail(r.stderr));
    await until(() => echo.clientErrors.length === 1, 'tlsClientError');
    assert.equal(echo.sessions.length, 0);
  } finally {
    await echo.close();
  }
});

test('ALPN: typetls client offering h2,http/1.1 -> s_server -alpn http/1.1', { timeout: 20_000 }, async () => {
  // Not -brief: s_server then prints the protocols the client advertised.
  const server = await startOpensslServer(['-cert', pki.rsaCert, '-key', pki.rsaKey, '-alpn', 'http/1.1', '-naccept', '1']);
  try {
    const socket = await connectSecure({ ...ours, port: server.port, ca: caPem, ALPNProtocols: ['h2', 'http/1.1'] });
    assert.equal(socket.alpnProtocol, 'http/1.1');
    server.send(Buffer.from('x'));
    await exchange(socket, Buffer.from('bye'), 1);
    await waitForExit(server.child);
    assert.match(server.stdout().toString('latin1'), /^ALPN protocols advertised by the client: h2, http\/1\.1$/m);
  } finally {
    await server.stop();
  }
});

// ---------- KeyUpdate ----------

/** s_client kept interactive (stdin open, commands on) against our echo server; TLS 1.3 unless `version`. */
async function interactiveClient(port: number, extra: readonly string[] = []): Promise<InteractivePeer> {
  const peer = startInteractive('openssl', [
    's_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', pki.caCert, '-verify_return_error', '-brief', ...extra,
  ]);
  await peer.waitFor((_, err) => /^CONNECTION ESTABLISHED$/m.test(err), 's_client to connect');
  return peer;
}

/** Sends one line through s_client and waits for its echo on s_client's stdout. */
async function echoLine(peer: InteractivePeer, line: string): Promise<void> {
  assert.ok(!/^[a-zA-Z]/.test(line) || line.startsWith('d'), 'data lines start with d, never with a command letter');
  peer.write(`${line}\n`);
  await peer.waitFor((out) => out.toString('latin1').includes(`${line}\n`), `the echo of ${line}`);
}

/** The KeyUpdate messages of an openssl -trace transcript, with their direction and request_update value. */
function tracedKeyUpdates(trace: string): Array<{ direction: 'sent' | 'received'; requested: boolean }> {
  return tracedRecords(trace).flatMap((r) =>
    /KeyUpdate, Length=1\n/.test(r.text) ? [{ direction: r.direction, requested: !/update_not_requested/.test(r.text) }] : [],
  );
}

for (const command of ['k', 'K'] as const) {
  const requested = command === 'K';
  test(`KeyUpdate: s_client's \`${command}\` command -> typetls server, data before and after${requested ? ', our server updates too' : ''}`, { timeout: 20_000 }, async () => {
    const trace = tempPath('trace.txt');
    const echo = await startEchoServer(rsa, { traced: true });
    let peer: InteractivePeer | undefined;
    try {
      peer = await interactiveClient(echo.port, ['-tls1_3', '-trace', '-msgfile', trace]);
      await echoLine(peer, 'd-before-update');
      peer.write(`${command}\n`);
      await peer.waitFor((_, err) => /^KEYUPDATE$/m.test(err), 's_client to print KEYUPDATE');
      await echoLine(peer, 'd-after-update');
      await echoLine(peer, 'd-after-update-2');
      peer.end();
      const { code } = await peer.exit;
      assert.equal(code, 0, tail(peer.stderr()));

      // RFC 8446 Section 4.6.3: update_requested is answered with our own KeyUpdate (update_not_requested).
      assert.deepEqual(
        tracedKeyUpdates(readTextFile(trace)),
        [{ direction: 'sent', requested }, ...(requested ? [{ direction: 'received' as const, requested: false }] : [])],
        "the KeyUpdates in s_client's trace",
      );

      await until(() => echo.sessions[0]?.closed === true, 'our server connection to close');
      const seen = echo.sessions[0]!;
      assert.equal(seen.error, undefined, String(seen.error));
      assert.equal(seen.received.toString(), 'd-before-update\nd-after-update\nd-after-update-2\n');
      assert.equal(tracedMessages(echo.trace, 'received').filter((n) => n === 'KeyUpdate').length, 1);
      assert.equal(tracedMessages(echo.trace, 'sent').filter((n) => n === 'KeyUpdate').length, requested ? 1 : 0);
    } finally {
      await peer?.stop();
      await echo.close();
    }
  });
}

for (const command of ['k', 'K'] as const) {
  const requested = command === 'K';
  test(`KeyUpdate: s_server's \`${command}\` command -> typetls client, data before and after`, { timeout: 20_000 }, async () => {
    const trace = tempPath('trace.txt');
    // Not -brief and not -quiet: s_server reads its commands from stdin only then.
    const server = await startOpensslServer(['-cert', pki.rsaCert, '-key', pki.rsaKey, '-tls1_3', '-naccept', '1', '-trace', '-msgfile', trace]);
    const events: TraceEvent[] = [];
    let socket: ClientSocket | undefined;
    try {
      socket = await connectSecure({ ...ours, port: server.port, ca: caPem, trace: (e: TraceEvent) => events.push(e) });
      server.send(Buffer.from('d-before\n'));
      assert.equal((await readAtLeast(socket, 9)).toString(), 'd-before\n');
      socket.write('d-ours-before\n');
      await until(() => server.stdout().includes('d-ours-before'), 's_server to print our first line');
      server.send(Buffer.from(`${command}\n`));
      const received = (): number => tracedMessages(events, 'received').filter((n) => n === 'KeyUpdate').length;
      await until(() => received() === 1, "our client to receive s_server's KeyUpdate");
      server.send(Buffer.from('d-after\n'));
      assert.equal((await readAtLeast(socket, 8)).toString(), 'd-after\n');
      socket.write('d-ours-after\n');
      await until(() => server.stdout().includes('d-ours-after'), 's_server to print our line sent after the update');
      socket.end();
      await waitForExit(server.child);

      assert.match(server.stdout().toString('latin1'), /^SSL_do_handshake -> 1$/m, 's_server sent its KeyUpdate');
      assert.deepEqual(
        tracedKeyUpdates(readTextFile(trace)),
        [{ direction: 'sent', requested }, ...(requested ? [{ direction: 'received' as const, requested: false }] : [])],
        "the KeyUpdates in s_server's trace",
      );
      assert.equal(tracedMessages(events, 'sent').filter((n) => n === 'KeyUpdate').length, requested ? 1 : 0);
    } finally {
      socket?.destroy();
      await server.stop();
    }
  });
}

// ---------- KeyUpdate at our record limit (limits.maxRecordsPerKey) ----------

/**
 * The protected records one direction of an openssl -trace carries after the handshake, as letters:
 * d for application data, K for a KeyUpdate, k for any other post-handshake message (a ticket), a for
 * an alert (close_notify).
 */
function recordLetters(trace: string, direction: 'sent' | 'received'): string {
  const records = tracedRecords(trace).filter((r) => r.direction === direction && /Inner Content Type/.test(r.text));
  const afterFinished = records.findIndex((r) => /Finished, Length=/.test(r.text)) + 1;
  return records
    .slice(afterFinished)
    .map((r) =>
      /Inner Content Type = ApplicationData/.test(r.text) ? 'd'
        : /Inner Content Type = Alert/.test(r.text) ? 'a'
          : /KeyUpdate, Length=1\n/.test(r.text) ? 'K' : 'k')
    .join('');
}

test('KeyUpdate at our record limit: a typetls client with maxRecordsPerKey 3 updates before its 4th and 7th record; s_server reads all 7 lines, then writes back', { timeout: 20_000 }, async () => {
  const trace = tempPath('trace.txt');
  const server = await startOpensslServer(['-cert', pki.rsaCert, '-key', pki.rsaKey, '-tls1_3', '-naccept', '1', '-trace', '-msgfile', trace]);
  const events: TraceEvent[] = [];
  let socket: ClientSocket | undefined;
  try {
    socket = await connectSecure({ ...ours, port: server.port, ca: caPem, limits: { maxRecordsPerKey: 3 }, trace: (e: TraceEvent) => events.push(e) });
    const lines = Array.from({ length: 7 }, (_, i) => `d-line-${i}\n`);
    for (const line of lines) {
      // One line at a time, each its own record: s_server prints it before the next is written.
      socket.write(line);
      await until(() => server.stdout().toString('latin1').includes(line), `s_server to print ${line.trim()}`);
    }
    server.send(Buffer.from('d-back\n'));
    assert.equal((await readAtLeast(socket, 7)).toString(), 'd-back\n', "s_server's data after our updates");
    socket.end();
    await waitForExit(server.child);

    assert.equal(server.stdout().toString('latin1').match(/d-line-\d\n/g)?.join(''), lines.join(''), 's_server got every line in order');
    // Our close_notify ends it.
    assert.equal(recordLetters(readTextFile(trace), 'received'), 'ddd' + 'K' + 'ddd' + 'K' + 'd' + 'a', "s_server's trace: a KeyUpdate after every 3 records");
    assert.deepEqual(tracedKeyUpdates(readTextFile(trace)), [{ direction: 'received', requested: false }, { direction: 'received', requested: false }]);
    assert.equal(tracedMessages(events, 'sent').filter((n) => n === 'KeyUpdate').length, 2);
  } finally {
    socket?.destroy();
    await server.stop();
  }
});

test('KeyUpdate at our record limit: s_client -> a typetls server with maxRecordsPerKey 2 gets a KeyUpdate after every second echo, and the data byte for byte', { timeout: 20_000 }, async () => {
  const trace = tempPath('trace.txt');
  const echo = await startEchoServer({ ...rsa, limits: { maxRecordsPerKey: 2 } }, { traced: true });
  let peer: InteractivePeer | undefined;
  try {
    peer = await interactiveClient(echo.port, ['-tls1_3', '-trace', '-msgfile', trace]);
    const lines = Array.from({ length: 5 }, (_, i) => `d-echo-${i}`);
    for (const line of lines) await echoLine(peer, line);
    peer.end();
    const { code } = await peer.exit;
    assert.equal(code, 0, tail(peer.stderr()));

    // s_client's view: our tickets first (k), then the echoes with a KeyUpdate before the 3rd and 5th.
    assert.equal(recordLetters(readTextFile(trace), 'received').replace(/^k+/, '').replace(/a$/, ''), 'dd' + 'K' + 'dd' + 'K' + 'd');
    assert.equal(peer.stdout().toString('latin1').match(/d-echo-\d\n/g)?.join(''), lines.map((l) => `${l}\n`).join(''));
    await until(() => echo.sessions[0]?.closed === true, 'our server connection to close');
    assert.equal(echo.sessions[0]!.error, undefined, String(echo.sessions[0]!.error));
    assert.equal(tracedMessages(echo.trace, 'sent').filter((n) => n === 'KeyUpdate').length, 2);
  } finally {
    await peer?.stop();
    await echo.close();
  }
});

// ---------- renegotiation ----------

test('renegotiation: s_client -tls1_2 `R` -> typetls server answers no_renegotiation; clean close, server keeps serving', { timeout: 20_000 }, async () => {
  const echo = await startEchoServer(rsa, { traced: true });
  let peer: InteractivePeer | undefined;
  try {
    peer = await interactiveClient(echo.port, ['-tls1_2']);
    await echoLine(peer, 'd-before-renegotiation');
    peer.write('R\n');
    await peer.waitFor((_, err) => /^RENEGOTIATING$/m.test(err), 's_client to print RENEGOTIATING');
    // OpenSSL takes the no_renegotiation warning for its own renegotiation as fatal: it reports
    // "no renegotiation", sends handshake_failure and exits. Either way nothing was renegotiated.
    const exitOrEcho = await Promise.race([
      peer.exit.then(() => 'exited' as const),
      echoLine(peer, 'd-after-renegotiation').then(() => 'echoed' as const),
    ]);
    if (exitOrEcho === 'exited') assert.match(peer.stderr(), /no renegotiation/, tail(peer.stderr()));
    peer.end();
    await peer.exit;

    // RFC 5746 Section 4.4 / RFC 5246 Section 7.2.2: a warning no_renegotiation (level 1, description 100).
    const alerts = echo.trace.filter((e): e is Extract<TraceEvent, { kind: 'alert' }> => e.kind === 'alert' && e.direction === 'sent');
    assert.ok(alerts.some((a) => a.level === 1 && a.description === 100), `our alerts: ${JSON.stringify(alerts)}`);
    const received = tracedMessages(echo.trace, 'received');
    assert.equal(received.filter((n) => n === 'ClientHello').length, 2, 'the renegotiating ClientHello reached us');
    assert.equal(tracedMessages(echo.trace, 'sent').filter((n) => n === 'ServerHello').length, 1, 'no second ServerHello');
    await until(() => echo.sessions[0]?.closed === true, 'the connection to close');
    const seen = echo.sessions[0]!;
    assert.equal(seen.received.toString().startsWith('d-before-renegotiation\n'), true);
    if (seen.error) assert.equal(errorCode(seen.error), 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', `${errorCode(seen.error)}: ${seen.error.message}`);

    // The server keeps serving.
    const again = await runOpensslClient(
      ['-connect', `127.0.0.1:${echo.port}`, '-servername', 'localhost', '-CAfile', pki.caCert, '-brief', '-tls1_2'],
      { stdinData: 'd-next\n', timeoutMs: 10_000 },
    );
    assert.match(again.stderr, /^Protocol version: TLSv1\.2$/m, tail(again.stderr));
  } finally {
    await peer?.stop();
    await echo.close();
  }
});

// ---------- CBC suites ----------

const cbcSuites: ReadonlyArray<[string, string]> = [
  ['ECDHE-RSA-AES128-SHA', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'],
  ['ECDHE-RSA-AES256-SHA384', 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384'],
  ['AES128-SHA', 'TLS_RSA_WITH_AES_128_CBC_SHA'],
  ['AES256-SHA256', 'TLS_RSA_WITH_AES_256_CBC_SHA256'],
];
const CBC_SIZE = 100_000; // several full records and a partial one, so padding lengths vary

for (const [cipher, standardName] of cbcSuites) {
  test(`CBC: s_server -tls1_2 -cipher ${cipher} <- typetls client`, { timeout: 20_000 }, async () => {
    const trace = tempPath('trace.txt');
    const server = await startOpensslServer([
      '-cert', pki.rsaCert, '-key', pki.rsaKey, '-tls1_2', '-cipher', cipher, '-brief', '-naccept', '1', '-trace', '-msgfile', trace,
    ]);
    let socket: ClientSocket | undefined;
    try {
      socket = await connectSecure({ ...ours, port: server.port, ca: caPem, ciphers: cipher, maxVersion: 'TLSv1.2' });
      assert.equal(socket.getProtocol(), 'TLSv1.2');
      assert.equal(socket.getCipher().standardName, standardName);
      const fromUs = randomBlob(CBC_SIZE);
      const fromServer = randomBlob(CBC_SIZE);
      server.send(fromServer);
      assert.equal(describeDifference(await exchange(socket, fromUs, CBC_SIZE), fromServer), undefined);
      await server.waitForStdout(CBC_SIZE);
      assert.equal(describeDifference(server.stdout(), fromUs), undefined);
      assert.match(server.stderr(), new RegExp(`^Ciphersuite: ${cipher}$`, 'm'), tail(server.stderr()));
      await waitForExit(server.child);
      // encrypt_then_mac (RFC 7366): when our ClientHello offers it, s_server must have accepted it.
      const t = readTextFile(trace);
      const clientHello = t.split(/ClientHello, Length=\d+\n/)[1]!.split(/\n(?:Sent|Received) Record\n/)[0]!;
      const serverHello = t.split(/ServerHello, Length=\d+\n/)[1]!.split(/\n(?:Sent|Received) Record\n/)[0]!;
      assert.equal(serverHello.includes('encrypt_then_mac(22)'), clientHello.includes('encrypt_then_mac(22)'));
    } finally {
      socket?.destroy();
      await server.stop();
    }
  });

  test(`CBC: s_client -tls1_2 -cipher ${cipher} -> typetls server (encrypt_then_mac negotiated)`, { timeout: 20_000 }, async () => {
    const trace = tempPath('trace.txt');
    const blob = randomBlob(CBC_SIZE);
    const echo = await startEchoServer(rsa, { endAfter: CBC_SIZE });
    try {
      const r = await runOpensslClient(
        [
          '-connect', `127.0.0.1:${echo.port}`, '-servername', 'localhost', '-CAfile', pki.caCert, '-verify_return_error',
          '-brief', '-ign_eof', '-nocommands', '-tls1_2', '-cipher', cipher, '-trace', '-msgfile', trace,
        ],
        { stdinFile: writeTempFile(`misc13-${fileCount++}-stdin.bin`, blob), timeoutMs: 10_000 },
      );
      assert.equal(r.code, 0, tail(r.stderr));
      assert.match(r.stderr, new RegExp(`^Ciphersuite: ${cipher}$`, 'm'), tail(r.stderr));
      assert.equal(describeDifference(r.stdout, blob), undefined, 'the echo');
      await until(() => echo.sessions[0]?.closed === true, 'the connection to close');
      assert.equal(echo.sessions[0]!.standardName, standardName);
      assert.equal(describeDifference(echo.sessions[0]!.received, blob), undefined);
      // s_client offers encrypt_then_mac by default; RFC 7366 Section 2: the server echoes it for a CBC suite.
      const serverHello = readTextFile(trace).split(/ServerHello, Length=\d+\n/)[1]!.split(/\n(?:Sent|Received) Record\n/)[0]!;
      assert.match(serverHello, /encrypt_then_mac\(22\)/, `our ServerHello:\n${serverHello}`);
    } finally {
      await echo.close();
    }
  });
}

// ---------- version negotiation ----------

test('downgrade: typetls client (1.3 and 1.2) -> s_server -tls1_2 negotiates TLS 1.2', { timeout: 20_000 }, async () => {
  const server = await startOpensslServer(['-cert', pki.rsaCert, '-key', pki.rsaKey, '-tls1_2', '-brief']);
  try {
    const socket = await connectSecure({ ...ours, port: server.port, ca: caPem });
    assert.equal(socket.getProtocol(), 'TLSv1.2');
    server.send(Buffer.from('x'));
    await exchange(socket, Buffer.from('y'), 1);
    await server.waitForStdout(1);
    assert.match(server.stderr(), /^Protocol version: TLSv1\.2$/m, tail(server.stderr()));
  } finally {
    await server.stop();
  }
});

test('downgrade: typetls client with minVersion TLSv1.3 -> s_server -tls1_2 fails with a version error', { timeout: 20_000 }, async () => {
  const server = await startOpensslServer(['-cert', pki.rsaCert, '-key', pki.rsaKey, '-tls1_2', '-brief']);
  try {
    const { error, handshakeDone } = await connectRejected({ ...ours, port: server.port, ca: caPem, minVersion: 'TLSv1.3' });
    assert.equal(handshakeDone, false);
    assert.equal(errorCode(error), 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', `${errorCode(error)}: ${error.message}`);
    await until(() => /unsupported protocol|version/i.test(server.stderr()), "s_server's error line").catch(() => {});
    assert.match(server.stderr(), /unsupported protocol/i, tail(server.stderr()));
  } finally {
    await server.stop();
  }
});

test('downgrade: s_client -tls1_3 -> typetls server with maxVersion TLSv1.2 is refused with protocol_version', { timeout: 20_000 }, async () => {
  const echo = await startEchoServer({ ...rsa, maxVersion: 'TLSv1.2' });
  try {
    const r = await runOpensslClient(
      ['-connect', `127.0.0.1:${echo.port}`, '-servername', 'localhost', '-CAfile', pki.caCert, '-tls1_3', '-brief'],
      { stdinData: '', timeoutMs: 10_000 },
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /alert protocol version|SSL alert number 70/, tail(r.stderr));
    await until(() => echo.clientErrors.length === 1, 'tlsClientError');
    assert.equal(echo.sessions.length, 0);
  } finally {
    await echo.close();
  }
});
