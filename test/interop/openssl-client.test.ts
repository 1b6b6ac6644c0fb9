// `openssl s_client` against a typetls server on 127.0.0.1.
//
// Positive cells: s_client pinned to TLS 1.2, one cipher suite and (for ECDHE) one group, reads a 1 MiB file
// on stdin and sends it; our server echoes every chunk and ends the connection after 1 MiB. s_client runs
// with -brief (stdout carries only the application data; the summary goes to stderr), -ign_eof (keep reading
// after stdin ends until the server closes) and -nocommands (a line of random data starting with R or Q must
// not renegotiate or quit). Both the echo on s_client's stdout and what our server received are compared with
// the file; the version, suite and group are checked in s_client's summary and on our side.
// Negative cell: a TLS 1.1 s_client is refused and the server keeps serving.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

import { createServer } from '../../src/node/api.js';
import { makeTestPki, type TestPki } from '../certs/make.js';
import {
  MiB,
  cellName,
  describeDifference,
  randomBlob,
  runOpensslClient,
  serverTempKey,
  stopAllPeers,
  tail,
  tls12Cells,
  writeTempFile,
  type ServerOptions,
} from './peers.js';

type Server = ReturnType<typeof createServer>;
type ServerSocket = Parameters<NonNullable<Parameters<typeof createServer>[1]>>[0];

interface Seen {
  protocol: string | null;
  cipher: { name: string; standardName: string; version: string } | undefined;
  received: Buffer;
  error: Error | undefined;
}

interface EchoServer {
  readonly server: Server;
  readonly port: number;
  /** One entry per secure connection, filled as it runs. */
  readonly sessions: Seen[];
  readonly clientErrors: Error[];
  close(): Promise<void>;
}

let pki: TestPki;
let blob: Buffer;
let blobFile: string;

before(async () => {
  pki = await makeTestPki();
  blob = randomBlob(MiB);
  blobFile = writeTempFile('s_client-stdin.bin', blob);
});
after(stopAllPeers);

/** Our server: echoes each chunk and ends the connection once `endAfter` bytes have come in. */
async function startEchoServer(options: ServerOptions, endAfter = MiB): Promise<EchoServer> {
  const sessions: Seen[] = [];
  const clientErrors: Error[] = [];
  const sockets = new Set<ServerSocket>();
  const server = createServer(options, (socket: ServerSocket) => {
    sockets.add(socket);
    const seen: Seen = { protocol: socket.getProtocol(), cipher: socket.getCipher(), received: Buffer.alloc(0), error: undefined };
    sessions.push(seen);
    const chunks: Buffer[] = [];
    let total = 0;
    let ended = false;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(Buffer.from(chunk));
      total += chunk.length;
      if (ended) return;
      socket.write(chunk);
      if (total >= endAfter) {
        ended = true;
        socket.end();
      }
    });
    socket.on('error', (err: Error) => {
      seen.error = err;
    });
    socket.on('close', () => {
      seen.received = Buffer.concat(chunks);
      sockets.delete(socket);
    });
  });
  server.on('tlsClientError', (err: Error) => clientErrors.push(err));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    sessions,
    clientErrors,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const serverCert = (which: 'rsa' | 'ecdsa'): { cert: Buffer; key: Buffer } =>
  which === 'rsa'
    ? { cert: readFileSync(pki.rsaCert), key: readFileSync(pki.rsaKey) }
    : { cert: readFileSync(pki.ecdsaCert), key: readFileSync(pki.ecdsaKey) };

const sClient = (port: number): string[] => [
  '-connect', `127.0.0.1:${port}`,
  '-servername', 'localhost',
  '-CAfile', pki.caCert,
  '-verify_return_error',
  '-brief',
  '-ign_eof',
  '-nocommands',
];

for (const cell of tls12Cells) {
  test(`openssl s_client -> typetls server: ${cellName(cell)}, 1 MiB echoed`, { timeout: 30_000 }, async () => {
    const echo = await startEchoServer({ ...serverCert(cell.cert), ...(cell.group ? { ecdhCurve: cell.group } : {}) });
    try {
      const result = await runOpensslClient(
        [...sClient(echo.port), '-tls1_2', '-cipher', cell.cipher, ...(cell.clientGroups ? ['-groups', cell.clientGroups] : [])],
        { stdinFile: blobFile },
      );
      const report = result.stderr;
      assert.equal(result.timedOut, false, `s_client timed out: ${tail(report)}`);
      assert.equal(result.code, 0, `s_client exit ${result.code}: ${tail(report)}`);
      assert.match(report, /^Protocol version: TLSv1\.2$/m, tail(report));
      assert.match(report, new RegExp(`^Ciphersuite: ${cell.cipher}$`, 'm'), tail(report));
      assert.match(report, /^Verification: OK$/m, tail(report));
      if (cell.group) assert.ok(report.includes(serverTempKey[cell.group]), `want "${serverTempKey[cell.group]}" in:\n${report}`);
      assert.equal(describeDifference(result.stdout, blob), undefined, 's_client stdout (the echo) vs its stdin');

      assert.equal(echo.sessions.length, 1, 'one secure connection');
      const seen = echo.sessions[0]!;
      assert.equal(seen.error, undefined, `server socket error: ${String(seen.error)}`);
      assert.equal(seen.protocol, 'TLSv1.2');
      assert.equal(seen.cipher?.standardName, cell.standardName);
      assert.equal(seen.cipher?.name, cell.cipher);
      assert.equal(describeDifference(seen.received, blob), undefined, 'what our server received');
    } finally {
      await echo.close();
    }
  });
}

test('openssl s_client -> typetls server: TLS 1.1 client is refused (default minimum 1.2), server keeps serving', { timeout: 30_000 }, async () => {
  const echo = await startEchoServer(serverCert('rsa'), 5);
  try {
    // SECLEVEL=0: OpenSSL 3 would otherwise refuse to offer TLS 1.1 at all and never reach our server.
    const old = await runOpensslClient(
      ['-connect', `127.0.0.1:${echo.port}`, '-servername', 'localhost', '-CAfile', pki.caCert, '-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0'],
      { stdinData: 'hello', timeoutMs: 10_000 },
    );
    const out = old.stdout.toString('latin1');
    assert.equal(old.timedOut, false, `s_client -tls1_1 timed out: ${tail(out + old.stderr)}`);
    assert.notEqual(old.code, 0, 's_client -tls1_1 must fail');
    assert.match(out, /^CONNECTED\(/m, `s_client must have reached the server:\n${tail(out + old.stderr)}`);
    const ciphers = [...out.matchAll(/Cipher is (\S+)/g)].map((m) => m[1]);
    for (const c of ciphers) assert.ok(c === '(NONE)' || c === '0000', `s_client negotiated ${c}`);
    assert.doesNotMatch(out, /hello/, 'no echo reached the TLS 1.1 client');
    assert.equal(echo.sessions.length, 0, 'no secure connection for TLS 1.1');
    // The engine reports the refused handshake on the server.
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(echo.clientErrors.length >= 1, 'tlsClientError emitted');

    const good = await runOpensslClient([...sClient(echo.port), '-tls1_2'], { stdinData: 'hello', timeoutMs: 10_000 });
    assert.equal(good.code, 0, `s_client -tls1_2 after the refusal: ${tail(good.stderr)}`);
    assert.equal(good.stdout.toString('latin1'), 'hello');
    assert.equal(echo.sessions.length, 1);
  } finally {
    await echo.close();
  }
});
