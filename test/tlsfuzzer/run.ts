// tlsfuzzer against typetls servers: `npm run tlsfuzzer [LIST]`.
//
// Starts the three server instances ../shared/tlsfuzzer/server-requirements.md asks for, each with
// createServer on 127.0.0.1 and a port the system chooses:
//   main        the defaults, ALPN http/1.1 and h2;
//   clientauth  the same, requesting (not requiring) a client certificate: requestCert: true,
//               rejectUnauthorized: false, tlsfuzzer's own client certificate trusted as a CA;
//   psk         the same, plus the TLS 1.3 external PSK `tlsfuzzer` = 000102...0f (pskCallback).
// Each answers a request with `HTTP/1.0 200 OK` and a small body once the request's empty line
// arrives (CRLF or a bare LF). Then it runs ../shared/tlsfuzzer/run.sh against them (LIST, a
// scripts file, defaults to the curated scripts.txt there), prints its output as it comes, closes
// the servers and exits 1 unless run.sh's last line says `N passed, 0 failed`.
//
// ../shared is found beside the project root (TLSFUZZER_SHARED overrides it); logs go to
// TLSFUZZER_LOGDIR or a new temporary directory. TLSFUZZER_ONLY=regex runs a subset (run.sh);
// TLSFUZZER_TIMEOUT is the per-script bound in seconds (600 here unless set).

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type Server, type TLSSocket } from '../../src/index.js';

/** The project root: this file runs as dist/test/tlsfuzzer/run.js. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** ../shared beside the project root; a git worktree one level further down finds it one level up. */
const SHARED = resolve(
  process.env.TLSFUZZER_SHARED ??
    [join(ROOT, '..', 'shared'), join(ROOT, '..', '..', 'shared')].find((dir) => existsSync(join(dir, 'tlsfuzzer'))) ??
    join(ROOT, '..', 'shared'),
);
const TLSFUZZER = join(SHARED, 'tlsfuzzer');

const PSK_IDENTITY = 'tlsfuzzer';
const PSK_KEY = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

const BODY = 'typetls tlsfuzzer server\n';
const RESPONSE =
  'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n' + `Content-Length: ${BODY.length}\r\n\r\n` + BODY;

/** The end of an HTTP/1.0 request's header block: an empty line, CRLF or bare LF (RFC 9112 2.2). */
const END_OF_HEADERS = /\r?\n\r?\n/;

function usage(): never {
  process.stderr.write('usage: npm run tlsfuzzer [-- LISTFILE]   (default: ../shared/tlsfuzzer/scripts.txt)\n');
  process.exit(2);
}

/** A self-signed RSA-2048 certificate (sha256WithRSAEncryption), as the requirements ask. */
function makeCertificate(dir: string): { cert: string; key: string } {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '30', '-subj', '/CN=localhost',
    '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.pem'),
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { cert: readFileSync(join(dir, 'server.pem'), 'utf8'), key: readFileSync(join(dir, 'server.key'), 'utf8') };
}

/** Answers every complete request on the connection; errors end the connection, never the process. */
function serveHttp(socket: TLSSocket): void {
  let pending = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    while (END_OF_HEADERS.test(pending)) {
      pending = pending.slice(pending.search(END_OF_HEADERS)).replace(END_OF_HEADERS, '');
      socket.write(RESPONSE);
    }
    if (pending.length > 65536) socket.destroy();
  });
  socket.on('error', () => {});
}

/**
 * tlsfuzzer's scripts/ are symbolic links to one entry-point stub (scripts/_stub.py finds the real
 * program in tlsfuzzer/_apps by the name it is run under). A copy made without symlinks, as git
 * does with core.symlinks=false, leaves each as a text file holding the stub's name; run.sh could
 * not run those. Then a checkout of links is laid out in `dir` (the links restored, the package and
 * tests/ linked to the real ones) and its path returned, for run.sh's TLSFUZZER_DIR; otherwise
 * undefined.
 */
function restoreScriptLinks(checkout: string, dir: string): string | undefined {
  const scripts = join(checkout, 'scripts');
  const names = readdirSync(scripts);
  const linkTarget = (name: string): string | undefined => {
    const path = join(scripts, name);
    if (statSync(path).size > 255) return undefined;
    const text = readFileSync(path, 'utf8').trim();
    return text !== name && names.includes(text) ? text : undefined;
  };
  if (!names.some((name) => linkTarget(name) !== undefined)) return undefined;
  const shadow = join(dir, 'tlsfuzzer');
  mkdirSync(join(shadow, 'scripts'), { recursive: true });
  for (const entry of readdirSync(checkout)) if (entry !== 'scripts') symlinkSync(join(checkout, entry), join(shadow, entry));
  for (const name of names) symlinkSync(join(scripts, linkTarget(name) ?? name), join(shadow, 'scripts', name));
  return shadow;
}

async function listen(name: string, options: Record<string, unknown>): Promise<{ name: string; server: Server; port: number }> {
  // dhparam 'auto': DHE as OpenSSL's s_server offers it (node, and typetls with it, enable DHE only when asked).
  // ticketOnResumption: a new TLS 1.3 ticket on a resumed connection, as s_server (test-tls13-session-resumption).
  const server = createServer({ ALPNProtocols: ['http/1.1', 'h2'], dhparam: 'auto', ticketOnResumption: true, ...options } as Parameters<typeof createServer>[0], serveHttp);
  // Each probe that breaks the handshake ends in tlsClientError; that is the point of the run.
  server.on('tlsClientError', () => {});
  server.on('error', (err: Error) => {
    process.stderr.write(`tlsfuzzer: ${name} server error: ${err.message}\n`);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { name, server, port: (server.address() as AddressInfo).port };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.length > 1 || args[0]?.startsWith('-')) usage();
  const list = args[0] !== undefined ? resolve(args[0]) : join(TLSFUZZER, 'scripts.txt');
  const runSh = join(TLSFUZZER, 'run.sh');
  if (!existsSync(runSh)) {
    process.stderr.write(`tlsfuzzer: ${runSh} not found (the shared folder belongs beside the project root)\n`);
    return 1;
  }
  if (!existsSync(list)) {
    process.stderr.write(`tlsfuzzer: list ${list} not found\n`);
    return 1;
  }
  const logDir = process.env.TLSFUZZER_LOGDIR ?? mkdtempSync(join(tmpdir(), 'typetls-tlsfuzzer-'));
  const certDir = mkdtempSync(join(tmpdir(), 'typetls-tlsfuzzer-'));
  const { cert, key } = makeCertificate(certDir);
  const clientCa = readFileSync(join(TLSFUZZER, 'vendor', 'tlsfuzzer', 'tests', 'clientX509Cert.pem'), 'utf8');

  const servers = [
    await listen('main', { cert, key }),
    await listen('clientauth', { cert, key, requestCert: true, rejectUnauthorized: false, ca: clientCa }),
    await listen('psk', {
      cert,
      key,
      pskCallback: (_socket: TLSSocket, identity: string) => (identity === PSK_IDENTITY ? PSK_KEY : null),
    }),
  ];
  const [main, clientauth, psk] = servers as [typeof servers[0], typeof servers[0], typeof servers[0]];
  process.stdout.write(
    `# typetls servers on 127.0.0.1: main ${main.port}, clientauth ${clientauth.port}, psk ${psk.port}; list ${list}\n`,
  );

  const checkout = restoreScriptLinks(join(TLSFUZZER, 'vendor', 'tlsfuzzer'), certDir);
  const child = spawn('bash', [runSh, '127.0.0.1', String(main.port), list], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      ...(checkout !== undefined ? { TLSFUZZER_DIR: checkout } : {}),
      TLSFUZZER_LOGDIR: logDir,
      // run.sh's 120 s per script is tight for the longest scripts (test-tls13-finished runs ~700
      // probes in pure Python) on a busy machine; a hang still ends at this bound.
      TLSFUZZER_TIMEOUT: process.env.TLSFUZZER_TIMEOUT ?? '600',
      TLSFUZZER_PORT_CLIENTAUTH: String(clientauth.port),
      TLSFUZZER_PORT_PSK: String(psk.port),
    },
  });
  const stopChild = (): void => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
  };
  process.once('SIGINT', stopChild);
  process.once('SIGTERM', stopChild);

  let output = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    output += chunk;
    process.stdout.write(chunk);
  });
  const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));

  for (const { server } of servers) server.close();
  rmSync(certDir, { recursive: true, force: true });

  const summary = /^(\d+) passed, (\d+) failed$/m.exec(output);
  if (code !== 0 || summary === null) {
    process.stderr.write(`tlsfuzzer: run.sh ended with status ${code} and no summary line\n`);
    return 1;
  }
  const [, passed, failed] = summary;
  if (Number(passed) === 0 || Number(failed) !== 0 || /^\d+ skipped$/m.test(output)) {
    process.stderr.write(`tlsfuzzer: ${failed} failed, ${passed} passed (logs in ${logDir})\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`tlsfuzzer: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
