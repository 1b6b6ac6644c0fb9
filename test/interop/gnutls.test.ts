// GnuTLS against typetls, both directions: gnutls-cli against our server, our client against gnutls-serv.
//
// Cells: TLS 1.2 with ECDHE-RSA (AES-128-GCM), RSA key exchange (AES-128-GCM), a CBC suite (ECDHE-RSA with
// AES-128-CBC and HMAC-SHA1), TLS 1.3 by default, and resumption in 1.2 and 1.3. Each side's own report is
// checked: gnutls-cli's and gnutls-serv's `- Description: (TLS1.2)-(ECDHE-…)-…` line and `*** This is a
// resumed session`, and our socket's version, suite and isSessionReused().
//
// gnutls-serv has no option to bind one address (it listens on every address), so it runs in a private
// network namespace that has only a loopback interface, reached through a Unix socket (netns-bridge.ts).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { makeTestPki, type TestPki } from '../certs/make.js';
import { exchange, randomBlob, runProcess, startIsolatedServer, stopAllPeers, tail, type IsolatedServer } from './peers.js';
import { connectSecure, nextSession, startEchoServer, until, type ClientSocket } from './typetls-peers.js';

interface Cell {
  readonly name: string;
  /** GnuTLS priority string pinning the cell. */
  readonly priority: string;
  readonly version: 'TLSv1.2' | 'TLSv1.3';
  /** getCipher().standardName on our side. */
  readonly standardName: string | RegExp;
  /** GnuTLS's description of the session. */
  readonly description: RegExp;
}

const tls12 = 'NORMAL:-VERS-ALL:+VERS-TLS1.2';
const cells: readonly Cell[] = [
  {
    name: 'TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256',
    priority: `${tls12}:-KX-ALL:+ECDHE-RSA:-CIPHER-ALL:+AES-128-GCM`,
    version: 'TLSv1.2',
    standardName: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    description: /^- Description: \(TLS1\.2(-X\.509)?\)-\(ECDHE-(X25519|SECP256R1)\)-\(RSA-[A-Z0-9-]+\)-\(AES-128-GCM\)$/m,
  },
  {
    name: 'TLSv1.2 AES128-GCM-SHA256 (RSA key exchange)',
    priority: `${tls12}:-KX-ALL:+RSA:-CIPHER-ALL:+AES-128-GCM`,
    version: 'TLSv1.2',
    standardName: 'TLS_RSA_WITH_AES_128_GCM_SHA256',
    description: /^- Description: \(TLS1\.2(-X\.509)?\)-\(RSA\)-\(AES-128-GCM\)$/m,
  },
  {
    name: 'TLSv1.2 ECDHE-RSA-AES128-SHA (CBC)',
    priority: `${tls12}:-KX-ALL:+ECDHE-RSA:-CIPHER-ALL:+AES-128-CBC:-MAC-ALL:+SHA1`,
    version: 'TLSv1.2',
    standardName: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
    description: /^- Description: \(TLS1\.2(-X\.509)?\)-\(ECDHE-(X25519|SECP256R1)\)-\(RSA-[A-Z0-9-]+\)-\(AES-128-CBC\)-\(SHA1\)$/m,
  },
  {
    name: 'TLSv1.3 defaults',
    priority: 'NORMAL',
    version: 'TLSv1.3',
    standardName: /^TLS_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)$/,
    description: /^- Description: \(TLS1\.3(-X\.509)?\)-\(ECDHE-X25519\)-\(RSA-PSS-RSAE-SHA256\)-\((AES-256-GCM|AES-128-GCM|CHACHA20-POLY1305)\)$/m,
  },
];

let pki: TestPki;
let caPem: Buffer;
let rsa: { cert: Buffer; key: Buffer };

before(async () => {
  pki = await makeTestPki();
  caPem = readFileSync(pki.caCert);
  rsa = { cert: readFileSync(pki.rsaCert), key: readFileSync(pki.rsaKey) };
});
after(stopAllPeers);

/** gnutls-cli against our server on 127.0.0.1, verifying the certificate for `localhost`. */
const gnutlsCli = (port: number, priority: string, extra: readonly string[], stdin: string) =>
  runProcess(
    'gnutls-cli',
    [
      '127.0.0.1', '-p', String(port),
      '--x509cafile', pki.caCert, '--verify-hostname', 'localhost', '--sni-hostname', 'localhost',
      '--priority', priority, ...extra,
    ],
    { stdinData: stdin, timeoutMs: 15_000 },
  );

for (const cell of cells) {
  test(`gnutls-cli -> typetls server: ${cell.name}`, { timeout: 20_000 }, async () => {
    const payload = randomBlob(24).toString('hex');
    const echo = await startEchoServer(rsa, { endAfter: payload.length });
    try {
      const r = await gnutlsCli(echo.port, cell.priority, [], payload);
      const out = r.stdout.toString('latin1');
      assert.equal(r.timedOut, false, `gnutls-cli timed out: ${tail(out + r.stderr)}`);
      assert.equal(r.code, 0, `gnutls-cli exit ${r.code}: ${tail(out + r.stderr)}`);
      assert.match(out, /^- Status: The certificate is trusted\. $/m, tail(out, 20));
      assert.match(out, cell.description, tail(out, 20));
      assert.ok(out.includes(payload), `the echo came back:\n${tail(out)}`);
      await until(() => echo.sessions.length === 1, 'the connection');
      const seen = echo.sessions[0]!;
      assert.equal(seen.protocol, cell.version);
      if (typeof cell.standardName === 'string') assert.equal(seen.standardName, cell.standardName);
      else assert.match(seen.standardName ?? '', cell.standardName);
      await until(() => seen.received.length >= payload.length, 'our server to receive the payload');
      assert.equal(seen.received.toString('latin1'), payload);
    } finally {
      await echo.close();
    }
  });
}

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`gnutls-cli --resume -> typetls server: ${version}`, { timeout: 20_000 }, async () => {
    const echo = await startEchoServer({ ...rsa, maxVersion: version });
    try {
      const priority = version === 'TLSv1.3' ? 'NORMAL' : tls12;
      const r = await gnutlsCli(echo.port, priority, ['--resume', ...(version === 'TLSv1.3' ? ['--waitresumption'] : [])], '');
      const out = r.stdout.toString('latin1');
      assert.equal(r.code, 0, `gnutls-cli exit ${r.code}: ${tail(out + r.stderr)}`);
      assert.match(out, /^\*\*\* This is a resumed session$/m, tail(out, 20));
      assert.match(out, new RegExp(`^- Description: \\(${version === 'TLSv1.3' ? 'TLS1\\.3' : 'TLS1\\.2'}`, 'm'));
      await until(() => echo.sessions.length === 2, 'two connections');
      assert.deepEqual(
        echo.sessions.map((s) => [s.protocol, s.reused]),
        [
          [version, false],
          [version, true],
        ],
      );
    } finally {
      await echo.close();
    }
  });
}

/** gnutls-serv --echo in its namespace, with our RSA certificate, not asking for a client certificate. */
const startGnutlsServer = (priority: string): Promise<IsolatedServer> =>
  startIsolatedServer('gnutls-serv', (port) => [
    '-p', String(port), '--echo', '-a',
    '--x509certfile', pki.rsaCert, '--x509keyfile', pki.rsaKey,
    '--priority', priority,
  ]);

/** Our client over the bridge to gnutls-serv; resolves on secureConnect. */
const connectTo = (server: IsolatedServer, session?: Buffer): Promise<ClientSocket> =>
  connectSecure({ socket: server.transport(), servername: 'localhost', ca: caPem, ...(session ? { session } : {}) });

/** gnutls-serv's per-connection blocks (each starts with `* Accepted connection`). */
const connections = (out: string): string[] => out.split(/^\* Accepted connection from /m).slice(1);

for (const cell of cells) {
  test(`gnutls-serv <- typetls client: ${cell.name}`, { timeout: 20_000 }, async () => {
    const server = await startGnutlsServer(cell.priority);
    try {
      const socket = await connectTo(server);
      assert.equal(socket.getProtocol(), cell.version);
      if (typeof cell.standardName === 'string') assert.equal(socket.getCipher().standardName, cell.standardName);
      else assert.match(socket.getCipher().standardName, cell.standardName);
      assert.equal(socket.authorized, true);
      const line = `${randomBlob(16).toString('hex')}\n`;
      const back = await exchange(socket, Buffer.from(line), line.length);
      assert.equal(back.toString('latin1'), line, 'gnutls-serv echoed our line');
      // gnutls-serv's stdout is a pipe (block-buffered): its `received cmd` lines may come only at exit, the
      // per-connection report is flushed at once.
      await server.waitForStdout(/^- Version: /m);
      const [conn] = connections(server.stdout());
      assert.ok(conn, tail(server.stdout()));
      assert.match(conn, cell.description, conn);
      assert.match(conn, new RegExp(`^- Version: ${cell.version === 'TLSv1.3' ? 'TLS1\\.3' : 'TLS1\\.2'}$`, 'm'), conn);
    } finally {
      await server.stop();
    }
  });
}

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`gnutls-serv <- typetls client resuming: ${version}`, { timeout: 20_000 }, async () => {
    const server = await startGnutlsServer(version === 'TLSv1.3' ? 'NORMAL' : tls12);
    try {
      const first = await connectTo(server);
      assert.equal((await exchange(first, Buffer.from('one\n'), 4)).toString(), 'one\n');
      const session = await nextSession(first);
      const second = await connectTo(server, session);
      assert.equal(second.getProtocol(), version);
      assert.equal(second.isSessionReused(), true, 'our client resumed');
      assert.equal((await exchange(second, Buffer.from('two\n'), 4)).toString(), 'two\n');
      await server.waitForStdout(/^- Version: [\s\S]*^- Version: /m);
      const conns = connections(server.stdout());
      assert.equal(conns.length, 2, tail(server.stdout(), 30));
      assert.doesNotMatch(conns[0]!, /This is a resumed session/);
      assert.match(conns[1]!, /^\*\*\* This is a resumed session$/m, conns[1]);
    } finally {
      await server.stop();
    }
  });
}
