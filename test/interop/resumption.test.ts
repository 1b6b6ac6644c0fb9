// Session resumption against real peers over 127.0.0.1: openssl s_client's -sess_out/-sess_in and
// -reconnect against our server, our client resuming against s_server, node:tls in both directions, and a
// fleet of two typetls servers sharing ticketKeys.
//
// Every resumed cell checks the peer's own word for it (s_client's `Reused, TLSv1.x`, s_server's `Reused
// session-id`, node's isSessionReused()) and ours (isSessionReused() on both typetls sides), and moves data.
// TLS 1.2 is tried by session ID (the ticket-less server or -no_ticket) and by RFC 5077 ticket; TLS 1.3 by
// PSK ticket. OpenSSL 3.0's `s_client -reconnect` never resumes TLS 1.3 (it reconnects before reading the
// NewSessionTicket, even against s_server), so -reconnect is tried in TLS 1.2 only.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as nodeTls from 'node:tls';

import { makeTestPki, type TestPki } from '../certs/make.js';
import {
  exchange,
  readTextFile,
  runOpensslClient,
  startOpensslServer,
  stopAllPeers,
  tail,
  waitForExit,
  writeTempFile,
  type RunResult,
} from './peers.js';
import { connectSecure, nextSession, sessionsOf, startEchoServer, until, type EchoServer } from './typetls-peers.js';

type Version = 'TLSv1.2' | 'TLSv1.3';

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

const tempPath = (name: string): string => writeTempFile(`resumption-${fileCount++}-${name}`, '');

/** `s_client` against one of our servers: sends `hello`, our server echoes it and ends the connection. */
async function sClient(port: number, args: readonly string[]): Promise<RunResult> {
  const r = await runOpensslClient(
    ['-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', pki.caCert, '-verify_return_error', '-ign_eof', ...args],
    { stdinData: 'hello', timeoutMs: 10_000 },
  );
  assert.equal(r.timedOut, false, `s_client timed out: ${tail(r.stderr)}`);
  assert.equal(r.code, 0, `s_client exit ${r.code}: ${tail(r.stdout.toString('latin1') + r.stderr)}`);
  return r;
}

/** s_client's `New, TLSv1.3, Cipher is …` / `Reused, …` lines, in order. */
const handshakeLines = (r: RunResult): string[] =>
  [...r.stdout.toString('latin1').matchAll(/^(New|Reused), (TLSv1\.[23]), Cipher is (\S+)$/gm)].map((m) => `${m[1]}, ${m[2]}`);

/** -sess_out then -sess_in, both against the given servers; returns the two s_client runs. */
async function sessOutIn(first: EchoServer, second: EchoServer, version: Version, extra: readonly string[] = []) {
  const sess = tempPath('session.pem');
  const flag = version === 'TLSv1.3' ? '-tls1_3' : '-tls1_2';
  const a = await sClient(first.port, [flag, ...extra, '-sess_out', sess]);
  assert.match(readTextFile(sess), /-----BEGIN SSL SESSION PARAMETERS-----/, 's_client wrote the session');
  const b = await sClient(second.port, [flag, ...extra, '-sess_in', sess]);
  return { a, b };
}

const cells: ReadonlyArray<{ name: string; version: Version; extra: string[] }> = [
  { name: 'TLSv1.3 PSK ticket', version: 'TLSv1.3', extra: [] },
  { name: 'TLSv1.2 ticket', version: 'TLSv1.2', extra: [] },
  { name: 'TLSv1.2 session ID (-no_ticket)', version: 'TLSv1.2', extra: ['-no_ticket'] },
];

for (const cell of cells) {
  test(`openssl s_client -sess_out/-sess_in -> typetls server: ${cell.name}`, { timeout: 20_000 }, async () => {
    const echo = await startEchoServer(rsa, { endAfter: 5 });
    try {
      const { a, b } = await sessOutIn(echo, echo, cell.version, cell.extra);
      assert.deepEqual(handshakeLines(a), [`New, ${cell.version}`], tail(a.stdout.toString('latin1')));
      assert.deepEqual(handshakeLines(b), [`Reused, ${cell.version}`], tail(b.stdout.toString('latin1')));
      assert.equal(a.stdout.toString('latin1').includes('hello'), true, 'the echo came back');
      assert.equal(b.stdout.toString('latin1').includes('hello'), true, 'the echo came back on the resumed connection');
      if (cell.extra.includes('-no_ticket')) {
        assert.doesNotMatch(a.stdout.toString('latin1'), /TLS session ticket:/, 'no ticket was issued to a -no_ticket client');
      }
      await until(() => echo.sessions.length === 2, 'two connections');
      assert.deepEqual(
        echo.sessions.map((s) => [s.protocol, s.reused]),
        [
          [cell.version, false],
          [cell.version, true],
        ],
      );
    } finally {
      await echo.close();
    }
  });
}

for (const cell of cells.filter((c) => c.version === 'TLSv1.2')) {
  test(`openssl s_client -reconnect -> typetls server: ${cell.name}, five resumptions`, { timeout: 20_000 }, async () => {
    const echo = await startEchoServer(rsa);
    try {
      const r = await runOpensslClient(
        ['-connect', `127.0.0.1:${echo.port}`, '-servername', 'localhost', '-CAfile', pki.caCert, '-tls1_2', '-reconnect', ...cell.extra],
        { stdinData: '', timeoutMs: 10_000 },
      );
      assert.equal(r.code, 0, tail(r.stderr));
      assert.deepEqual(handshakeLines(r), ['New, TLSv1.2', ...Array(5).fill('Reused, TLSv1.2')], tail(r.stdout.toString('latin1'), 40));
      await until(() => echo.sessions.length === 6, 'six connections');
      assert.deepEqual(
        echo.sessions.map((s) => s.reused),
        [false, true, true, true, true, true],
      );
    } finally {
      await echo.close();
    }
  });
}

const serverCells: ReadonlyArray<{ name: string; version: Version; args: string[]; ticket: boolean }> = [
  { name: 'TLSv1.3 PSK ticket', version: 'TLSv1.3', args: ['-tls1_3'], ticket: true },
  { name: 'TLSv1.2 ticket', version: 'TLSv1.2', args: ['-tls1_2'], ticket: true },
  { name: 'TLSv1.2 session ID (s_server -no_ticket)', version: 'TLSv1.2', args: ['-tls1_2', '-no_ticket'], ticket: false },
];

for (const cell of serverCells) {
  test(`openssl s_server <- typetls client resuming: ${cell.name}`, { timeout: 20_000 }, async () => {
    const trace = tempPath('trace.txt');
    // Not -brief: s_server then prints `Reused session-id` for a resumed connection.
    const server = await startOpensslServer(['-cert', pki.rsaCert, '-key', pki.rsaKey, '-naccept', '2', '-trace', '-msgfile', trace, ...cell.args]);
    try {
      const options = { host: '127.0.0.1', port: server.port, servername: 'localhost', ca: caPem };
      const first = await connectSecure(options);
      server.send(Buffer.from('1'));
      await exchange(first, Buffer.from('one'), 1);
      assert.equal(first.isSessionReused(), false);
      const session = await nextSession(first);

      const second = await connectSecure({ ...options, session });
      assert.equal(second.getProtocol(), cell.version);
      assert.equal(second.isSessionReused(), true, 'our client resumed');
      assert.equal(second.getPeerCertificate().subject?.CN, 'localhost', 'the resumed session keeps the server certificate');
      server.send(Buffer.from('2'));
      const got = await exchange(second, Buffer.from('two'), 1);
      assert.equal(got.toString(), '2');
      // -naccept 2: s_server exits after the second connection, which completes its output and trace.
      await waitForExit(server.child);
      await until(() => server.stdout().includes('two'), 's_server to print the data of the resumed connection');
      const out = server.stdout().toString('latin1');
      assert.equal([...out.matchAll(/^Reused session-id$/gm)].length, 1, `s_server reports one reused connection:\n${tail(out, 20)}`);
      const sentTickets = [...readTextFile(trace).matchAll(/NewSessionTicket, Length=/g)].length;
      if (cell.ticket) assert.ok(sentTickets >= 1, 's_server issued a ticket');
      else assert.equal(sentTickets, 0, 's_server -no_ticket issued no ticket');
    } finally {
      await server.stop();
    }
  });
}

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`node:tls client -> typetls server: ${version} resumes with the session option`, { timeout: 20_000 }, async () => {
    const echo = await startEchoServer({ ...rsa, maxVersion: version });
    try {
      const connectNode = (session?: Buffer) =>
        new Promise<{ socket: nodeTls.TLSSocket; session: Buffer; reused: boolean; protocol: string | null }>((resolve, reject) => {
          const socket = nodeTls.connect({ host: '127.0.0.1', port: echo.port, servername: 'localhost', ca: caPem, ...(session ? { session } : {}) });
          let got: Buffer | undefined;
          socket.on('session', (s: Buffer) => (got = s));
          socket.once('error', reject);
          socket.once('secureConnect', async () => {
            // Read now: node answers null once the socket is closed.
            const reused = socket.isSessionReused();
            const protocol = socket.getProtocol();
            try {
              const echoed = await exchange(socket, Buffer.from('ping'), 4);
              assert.equal(echoed.toString(), 'ping');
              // A resumed TLS 1.2 session is not new: node emits no 'session' for it.
              if (!reused) await until(() => got !== undefined, "node's 'session' event");
              resolve({ socket, session: got ?? Buffer.alloc(0), reused, protocol });
            } catch (e) {
              reject(e);
            }
          });
        });
      const first = await connectNode();
      assert.equal(first.reused, false);
      const second = await connectNode(first.session);
      assert.equal(second.protocol, version);
      assert.equal(second.reused, true, 'node:tls reports the session reused');
      await until(() => echo.sessions.length === 2, 'two connections');
      assert.deepEqual(
        echo.sessions.map((s) => s.reused),
        [false, true],
      );
    } finally {
      await echo.close();
    }
  });

  test(`typetls client -> node:tls server: ${version} resumes with the session option`, { timeout: 20_000 }, async () => {
    const reused: boolean[] = [];
    const server = nodeTls.createServer({ ...rsa, maxVersion: version }, (socket) => {
      reused.push(socket.isSessionReused());
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const options = { host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername: 'localhost', ca: caPem };
      const first = await connectSecure(options);
      assert.equal((await exchange(first, Buffer.from('one'), 3)).toString(), 'one');
      const session = await nextSession(first);
      const second = await connectSecure({ ...options, session });
      assert.equal(second.getProtocol(), version);
      assert.equal(second.isSessionReused(), true, 'our client resumed');
      assert.equal((await exchange(second, Buffer.from('two'), 3)).toString(), 'two');
      assert.deepEqual(reused, [false, true], 'node:tls server reports the second connection reused');
    } finally {
      server.close();
    }
  });
}

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`fleet: two typetls servers sharing ticketKeys resume each other's tickets (${version}, s_client and our client)`, { timeout: 20_000 }, async () => {
    const ticketKeys = randomBytes(48);
    const a = await startEchoServer({ ...rsa, ticketKeys, maxVersion: version }, { endAfter: 5 });
    const b = await startEchoServer({ ...rsa, ticketKeys, maxVersion: version }, { endAfter: 5 });
    const c = await startEchoServer({ ...rsa, ticketKeys: randomBytes(48), maxVersion: version }, { endAfter: 5 });
    try {
      // s_client: a ticket from server A resumes on server B; server C (other keys) makes a full handshake.
      const { a: first, b: onB } = await sessOutIn(a, b, version);
      assert.deepEqual(handshakeLines(first), [`New, ${version}`]);
      assert.deepEqual(handshakeLines(onB), [`Reused, ${version}`], tail(onB.stdout.toString('latin1')));
      const { b: onC } = await sessOutIn(a, c, version);
      assert.deepEqual(handshakeLines(onC), [`New, ${version}`], 'another fleet cannot open the ticket: full handshake');

      // Our client: the same across the fleet.
      const options = { host: '127.0.0.1', servername: 'localhost', ca: caPem };
      const ours = await connectSecure({ ...options, port: a.port });
      assert.equal((await exchange(ours, Buffer.from('hello'), 5)).toString(), 'hello');
      const session = sessionsOf(ours).at(-1) ?? (await nextSession(ours));
      const resumed = await connectSecure({ ...options, port: b.port, session });
      assert.equal(resumed.isSessionReused(), true, 'our client resumed on server B');
      assert.equal((await exchange(resumed, Buffer.from('again'), 5)).toString(), 'again');
      await until(() => b.sessions.length === 2, 'server B to see both resumptions');
      assert.deepEqual(
        b.sessions.map((s) => s.reused),
        [true, true],
      );
      await until(() => c.sessions.length === 1, 'server C to see its connection');
      assert.equal(c.sessions[0]!.reused, false);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });
}

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`fleet rolling its shared ticket key: openssl s_client's sessions resume across the roll (${version})`, { timeout: 30_000 }, async () => {
    const [k1, k2, k3] = [randomBytes(48), randomBytes(48), randomBytes(48)];
    // No session-ID cache: a TLS 1.2 session can then resume by its ticket alone.
    const noStore = { get: () => undefined, set: () => {}, delete: () => {} };
    const a = await startEchoServer({ ...rsa, ticketKeys: k1, sessionStore: noStore, maxVersion: version }, { endAfter: 5 });
    const b = await startEchoServer({ ...rsa, ticketKeys: k1, sessionStore: noStore, maxVersion: version }, { endAfter: 5 });
    const flag = version === 'TLSv1.3' ? '-tls1_3' : '-tls1_2';
    try {
      const underK1 = tempPath('k1.pem');
      assert.deepEqual(handshakeLines(await sClient(a.port, [flag, '-sess_out', underK1])), [`New, ${version}`]);

      // The fleet rolls to k2: the k1 ticket still resumes on either server.
      a.server.setTicketKeys(k2);
      b.server.setTicketKeys(k2);
      assert.deepEqual(handshakeLines(await sClient(b.port, [flag, '-sess_in', underK1])), [`Reused, ${version}`], 'the k1 ticket on B after the roll');
      const underK2 = tempPath('k2.pem');
      assert.deepEqual(handshakeLines(await sClient(b.port, [flag, '-sess_out', underK2])), [`New, ${version}`]);
      assert.deepEqual(handshakeLines(await sClient(a.port, [flag, '-sess_in', underK2])), [`Reused, ${version}`], "B's k2 ticket on A");

      // The next roll drops k1: a full handshake for its ticket, k2's still resumes.
      a.server.setTicketKeys(k3);
      b.server.setTicketKeys(k3);
      assert.deepEqual(handshakeLines(await sClient(b.port, [flag, '-sess_in', underK1])), [`New, ${version}`], 'the k1 ticket two rolls on');
      assert.deepEqual(handshakeLines(await sClient(b.port, [flag, '-sess_in', underK2])), [`Reused, ${version}`], 'the k2 ticket one roll on');
      await until(() => b.sessions.length === 4, 'server B to see its four connections');
      assert.deepEqual(b.sessions.map((s) => s.reused), [true, false, false, true], "server B's own word on each");
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
}
