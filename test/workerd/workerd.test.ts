// typetls in the real Workers runtime: `workerd` (npm, its binary inside the registry package) serves
// Workers bundled by esbuild from `typetls/web`, on 127.0.0.1, from a config generated here. Each Worker
// opens a TCP socket with `connect()` from cloudflare:sockets and runs typetls's web-streams client over it:
//
// - test/workerd/mtls-worker.js to `openssl s_server -Verify 1` (mutual TLS, the test CA, the test client
//   certificate), TLS 1.3 and 1.2: the Worker's answer and s_server's own report (the client certificate
//   it received, the protocol, the cipher suite) must agree;
// - examples/worker/index.js (the README's Worker) to a real PostgreSQL that takes TLS connections with a
//   client certificate only: SSLRequest, TLS on the same socket, startup, SELECT 1, TLS 1.3 and 1.2; the
//   Worker's answer and PostgreSQL's log of the connection (protocol, cipher, the certificate's identity)
//   must agree. Without a client certificate PostgreSQL refuses the role, and with a CA that did not issue
//   the server's certificate the Worker refuses the server; each side says so;
// - test/workerd/server-worker.js, the server side: the Worker takes a WebSocket and runs typetls's accept()
//   inside it, with a client certificate required; node:tls (OpenSSL) connects through the WebSocket, TLS
//   1.3 and 1.2, and the two ends agree on the protocol, the suite and each other's certificates.
//
// Everything started here is stopped by its PID, and every temporary directory removed. A missing program
// fails the test with what `.ci/run` should have installed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import * as esbuild from 'esbuild';
import { WebSocket, createWebSocketStream } from 'ws';

import { makeTestPki, type TestPki } from '../certs/make.js';
import { startOpensslServer, stopAllPeers, stopProcess, tail, waitForExit } from '../interop/peers.js';
import { suiteByName } from '../../src/suites.js';
import { postgresBinDir, startPostgres, type PostgresServer } from './postgres.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const versions = ['TLSv1.3', 'TLSv1.2'] as const;

/** The workerd binary that npm installed with the `workerd` package (its platform package holds it). */
function workerdBinary(): string {
  let path: string;
  try {
    path = (createRequire(import.meta.url)('workerd') as { default: string }).default;
  } catch (e) {
    throw new Error(`the workerd npm package (a devDependency) is not installed: ${(e as Error).message}; npm ci (run by .ci/run) installs it`);
  }
  if (!existsSync(path)) throw new Error(`workerd's binary is missing at ${path}; npm ci (run by .ci/run) installs it`);
  return path;
}

/** A Worker module bundled as the Workers runtime takes it: ES module, cloudflare:* left to the runtime. */
async function bundleWorker(entry: string): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [join(root, entry)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    external: ['cloudflare:*'],
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: root,
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.some((p) => p.endsWith('dist/src/web/index.js')), `${entry}: typetls/web resolved to the web entry`);
  assert.deepEqual(inputs.filter((p) => p.startsWith('node:') || /dist\/src\/(node|cli)\//.test(p)), [], `${entry}: nothing from Node`);
  return result.outputFiles[0]!.text;
}

interface WorkerDefinition {
  readonly name: string;
  readonly module: string;
  /** Text bindings (env.NAME): file names in the config's directory. */
  readonly bindings: Readonly<Record<string, string>>;
}

/** The workerd config (Cap'n Proto text): each Worker on its own socket, all reaching 127.0.0.1. */
function workerdConfig(workers: readonly WorkerDefinition[]): string {
  const services = workers.map((w) => `    (name = "${w.name}", worker = .${w.name}),`);
  const sockets = workers.map((w) => `    (name = "${w.name}", address = "127.0.0.1:0", http = (), service = "${w.name}"),`);
  const definitions = workers.map((w) => {
    const bindings = Object.entries(w.bindings).map(([name, file]) => `    (name = "${name}", text = embed "${file}"),`);
    return [
      `const ${w.name} :Workerd.Worker = (`,
      `  modules = [ (name = "worker.js", esModule = embed "${w.module}") ],`,
      `  compatibilityDate = "2026-11-01",`,
      `  bindings = [`,
      ...bindings,
      `  ],`,
      // The default outbound ("internet") reaches public addresses only; the peers are on 127.0.0.1.
      `  globalOutbound = "loopback",`,
      `);`,
    ].join('\n');
  });
  return [
    'using Workerd = import "/workerd/workerd.capnp";',
    'const config :Workerd.Config = (',
    '  services = [',
    ...services,
    '    (name = "loopback", network = (allow = ["local"])),',
    '  ],',
    '  sockets = [',
    ...sockets,
    '  ],',
    ');',
    ...definitions,
    '',
  ].join('\n');
}

interface Workerd {
  /** The port each socket (named as its Worker) listens on. */
  readonly ports: ReadonlyMap<string, number>;
  output(): string;
  stop(): Promise<void>;
}

/** `workerd serve config.capnp`; the ports come from --control-fd, so every socket binds port 0. */
async function startWorkerd(dir: string, names: readonly string[]): Promise<Workerd> {
  const child: ChildProcess = spawn(workerdBinary(), ['serve', join(dir, 'config.capnp'), '--control-fd', '3'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  const output: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => output.push(c));
  child.stderr!.on('data', (c: Buffer) => output.push(c));
  child.once('error', () => undefined);
  const text = (): string => Buffer.concat(output).toString('utf8');
  const stop = (): Promise<void> => stopProcess(child);
  const ports = new Map<string, number>();
  let control = '';
  child.stdio[3]!.on('data', (c: Buffer) => {
    control += c.toString('utf8');
    for (const line of control.split('\n').slice(0, -1)) {
      const event = JSON.parse(line) as { event: string; socket?: string; port?: number };
      if (event.event === 'listen' && event.socket !== undefined && event.port !== undefined) ports.set(event.socket, event.port);
    }
  });
  const deadline = Date.now() + 30_000;
  while (names.some((n) => !ports.has(n))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`workerd exited before listening:\n${tail(text(), 12)}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`workerd did not listen within 30 s:\n${tail(text(), 12)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { ports, output: text, stop };
}

/** GET from a Worker; its JSON answer. */
async function ask(workerd: Workerd, name: string, query = '', status = 200): Promise<Record<string, unknown>> {
  const response = await fetch(`http://127.0.0.1:${workerd.ports.get(name)}/${query}`);
  const body = await response.text();
  assert.equal(response.status, status, `${name} answered ${response.status}: ${body}\nworkerd:\n${tail(workerd.output(), 12)}`);
  return JSON.parse(body) as Record<string, unknown>;
}

/** Polls `check` until it returns something truthy (for at most 30 s: a busy machine is slow), and returns that. */
async function until<T>(check: () => T | false): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not reached within 30 s: ${check.toString()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The IANA name of a suite named either way (OpenSSL prints its own names for TLS 1.2 suites). */
const ianaName = (name: string): string | undefined => suiteByName(name)?.standardName;

let pki: TestPki;
let dir: string;
let workerd: Workerd | undefined;
let postgres: PostgresServer | undefined;
/** A stand-in for a hostile server on the path: answers SSLRequest with `sslAnswer` (then closes). */
let impostor: Server | undefined;
let sslAnswer = Buffer.from('N');

/** Fails, saying what .ci/run installs, when a program the tests run is not on PATH. */
function requireOnPath(program: string, debianPackage: string): void {
  const found = (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, program)));
  if (!found) throw new Error(`${program} is not installed (not on PATH); bash .ci/run installs it (Debian package ${debianPackage})`);
}

before(async () => {
  requireOnPath('openssl', 'openssl');
  postgresBinDir(); // throws with the same advice when PostgreSQL's server programs are missing
  workerdBinary();
  pki = await makeTestPki();
  dir = mkdtempSync(join(tmpdir(), 'typetls-workerd-'));
  // The database's client: an ECDSA P-256 certificate from the test CA whose CN is the role it signs in as.
  const openssl = promisify(execFile);
  await openssl('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'db-client.key'], { cwd: dir });
  await openssl('openssl', ['req', '-new', '-key', 'db-client.key', '-subj', '/CN=worker', '-out', 'db-client.csr'], { cwd: dir });
  writeFileSync(join(dir, 'client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  await openssl('openssl', [
    'x509', '-req', '-in', 'db-client.csr', '-CA', pki.caCert, '-CAkey', pki.caKey, '-CAcreateserial',
    '-days', '30', '-sha256', '-extfile', 'client.ext', '-out', 'db-client.pem',
  ], { cwd: dir });
  for (const [name, from] of [
    ['ca.pem', pki.caCert], ['unknown-ca.pem', pki.unknownCaCert], ['client.pem', pki.clientCert], ['client.key', pki.clientKey],
    ['server.pem', pki.ecdsaCert], ['server.key', pki.ecdsaKey],
  ] as const) {
    writeFileSync(join(dir, name), readFileSync(from));
  }

  postgres = await startPostgres({ cert: pki.rsaCert, key: pki.rsaKey, ca: pki.caCert }, 'worker');

  writeFileSync(join(dir, 'mtls.js'), await bundleWorker('test/workerd/mtls-worker.js'));
  writeFileSync(join(dir, 'server.js'), await bundleWorker('test/workerd/server-worker.js'));
  writeFileSync(join(dir, 'database.js'), await bundleWorker('examples/worker/index.js'));
  impostor = createServer((socket) => {
    socket.once('data', () => socket.end(sslAnswer));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => impostor!.listen(0, '127.0.0.1', resolve));
  const settings: Record<string, string> = {
    'db-host': '127.0.0.1', 'db-port': String(postgres.port), 'db-user': 'worker', 'db-name': 'postgres', 'tls12': 'TLSv1.2',
    'impostor-port': String((impostor.address() as AddressInfo).port),
  };
  for (const [file, value] of Object.entries(settings)) writeFileSync(join(dir, file), value);
  const database = (name: string, bindings: Record<string, string>): WorkerDefinition => ({
    name,
    module: 'database.js',
    bindings: { DB_HOST: 'db-host', DB_PORT: 'db-port', DB_USER: 'db-user', DB_NAME: 'db-name', DB_CA: 'ca.pem', ...bindings },
  });
  const clientCertificate = { DB_CLIENT_CERT: 'db-client.pem', DB_CLIENT_KEY: 'db-client.key' };
  const workers: WorkerDefinition[] = [
    { name: 'mtls', module: 'mtls.js', bindings: { CA: 'ca.pem', CLIENT_CERT: 'client.pem', CLIENT_KEY: 'client.key' } },
    { name: 'tlsServer', module: 'server.js', bindings: { CA: 'ca.pem', SERVER_CERT: 'server.pem', SERVER_KEY: 'server.key' } },
    database('database13', clientCertificate),
    database('database12', { ...clientCertificate, DB_TLS_MAX_VERSION: 'tls12' }),
    database('databaseWithoutCertificate', {}),
    database('databaseWrongCa', { ...clientCertificate, DB_CA: 'unknown-ca.pem' }),
    database('databaseImpostor', { ...clientCertificate, DB_PORT: 'impostor-port' }),
  ];
  writeFileSync(join(dir, 'config.capnp'), workerdConfig(workers));
  workerd = await startWorkerd(dir, workers.map((w) => w.name));
});

after(async () => {
  impostor?.close();
  await workerd?.stop();
  await postgres?.stop();
  await stopAllPeers();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('a Worker with typetls to openssl s_server -Verify 1 (mutual TLS)', () => {
  for (const version of versions) {
    test(version, { timeout: 60_000 }, async () => {
      const server = await startOpensslServer([
        '-cert', pki.rsaCert, '-key', pki.rsaKey, version === 'TLSv1.3' ? '-tls1_3' : '-tls1_2',
        '-Verify', '1', '-CAfile', pki.caCert, '-verify_return_error', '-brief', '-naccept', '1',
      ]);
      try {
        const answered = ask(workerd!, 'mtls', `?port=${server.port}&maxVersion=${version}`);
        answered.catch(() => undefined); // awaited below; a failure meanwhile is not an unhandled one
        // s_server prints its report once the handshake is done (a line on its stdin before then would go
        // out first and skip the report); then it sends its stdin to the client.
        const report = await until(() => /^Ciphersuite: /m.test(server.stderr()) && server.stderr());
        server.send(Buffer.from('hello from s_server\n'));
        const answer = await answered;
        await waitForExit(server.child, 30_000);
        assert.equal(answer.received, 'hello from s_server\n');
        assert.equal(answer.protocol, version);
        assert.equal(answer.authorized, true);
        assert.equal(answer.serverCertificate, 'localhost');
        assert.equal(server.stdout().toString(), 'hello from the Worker\n');
        assert.match(report, /^Peer certificate: CN = Test Client$/m, tail(report, 12));
        assert.match(report, new RegExp(`^Protocol version: ${version.replace('.', '\\.')}$`, 'm'), tail(report, 12));
        const cipher = /^Ciphersuite: (\S+)$/m.exec(report)?.[1];
        assert.ok(cipher !== undefined, tail(report, 12));
        assert.equal(ianaName(cipher), answer.cipher, `s_server: ${cipher}, the Worker: ${String(answer.cipher)}`);
      } finally {
        await server.stop();
      }
    });
  }
});

describe('a Worker as a TLS server inside a WebSocket (accept()), node:tls as the client, with a client certificate', () => {
  for (const version of versions) {
    test(version, { timeout: 60_000 }, async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${workerd!.ports.get('tlsServer')}/`);
      await once(ws, 'open');
      const socket = tlsConnect({
        socket: createWebSocketStream(ws),
        servername: 'localhost',
        ca: readFileSync(pki.caCert),
        cert: readFileSync(pki.clientCert),
        key: readFileSync(pki.clientKey),
        minVersion: version,
        maxVersion: version,
      });
      try {
        await once(socket, 'secureConnect');
        assert.equal(socket.authorized, true, String(socket.authorizationError));
        socket.write('hello from node:tls\n');
        let text = '';
        socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        // The Worker answers, then sends close_notify: node:tls ends the stream.
        await once(socket, 'end');
        const answer = JSON.parse(text) as Record<string, unknown>;
        assert.equal(answer.received, 'hello from node:tls\n');
        assert.equal(answer.protocol, version);
        assert.equal(answer.protocol, socket.getProtocol());
        assert.equal(answer.cipher, socket.getCipher().standardName);
        assert.equal(answer.authorized, true);
        assert.equal(answer.clientCertificate, 'Test Client');
        assert.equal(socket.getPeerCertificate().subject.CN, 'localhost');
      } finally {
        socket.destroy();
        ws.terminate();
      }
    });
  }
});

describe('examples/worker: a Worker with typetls to PostgreSQL (SSLRequest, client certificate, SELECT 1)', () => {
  for (const version of versions) {
    test(version, { timeout: 60_000 }, async (t) => {
      const before = postgres!.log().length;
      const answer = await ask(workerd!, version === 'TLSv1.3' ? 'database13' : 'database12');
      t.diagnostic(`the Worker answered ${JSON.stringify(answer)}`);
      const tls = answer.tls as Record<string, unknown>;
      assert.equal(tls.protocol, version);
      // ssl_ecdh_curve: P-256 only; in TLS 1.3 after a HelloRetryRequest, since the Worker offers X25519MLKEM768 first.
      assert.equal(tls.group, 'secp256r1');
      assert.equal(tls.authorized, true);
      assert.equal(tls.serverCertificate, 'localhost');
      assert.deepEqual(answer.columns, ['?column?']);
      assert.deepEqual(answer.rows, [['1']]);
      assert.equal(answer.command, 'SELECT 1');
      assert.match(String((answer.server as Record<string, unknown>).version), /^\d+/);
      // PostgreSQL's own account of the connection: TLS, our certificate's identity, the negotiated suite.
      const log = await postgres!.waitForLog(/disconnection: .*user=worker/, before);
      assert.match(log, /connection authenticated: identity="CN=worker" method=cert/, tail(log, 12));
      const authorized = /connection authorized: user=worker database=postgres application_name=typetls-worker SSL enabled \(protocol=(\S+), cipher=(\S+), bits=\d+\)/.exec(log);
      assert.ok(authorized, tail(log, 12));
      assert.equal(authorized[1], version);
      assert.equal(ianaName(authorized[2]!), tls.cipher, `PostgreSQL: ${authorized[2]}, the Worker: ${String(tls.cipher)}`);
    });
  }
});

describe('examples/worker refused, and why', () => {
  test('no client certificate: PostgreSQL refuses the role (SQLSTATE 28000)', { timeout: 60_000 }, async () => {
    const before = postgres!.log().length;
    const answer = await ask(workerd!, 'databaseWithoutCertificate', '', 502);
    assert.equal(answer.code, '28000', JSON.stringify(answer));
    assert.match(String(answer.error), /^PostgreSQL: FATAL: connection requires a valid client certificate/);
    await postgres!.waitForLog(/FATAL: {2}connection requires a valid client certificate/, before);
  });

  test("the server's chain does not lead to DB_CA: the Worker refuses it (SELF_SIGNED_CERT_IN_CHAIN)", { timeout: 60_000 }, async () => {
    const before = postgres!.log().length;
    const answer = await ask(workerd!, 'databaseWrongCa', '', 502);
    // PostgreSQL's OpenSSL sends its CA after the leaf: a self-signed certificate nobody trusts, which node:tls
    // reports with this code too.
    assert.equal(answer.code, 'SELF_SIGNED_CERT_IN_CHAIN', JSON.stringify(answer));
    // Our alert, as PostgreSQL's OpenSSL reports it.
    await postgres!.waitForLog(/could not accept SSL connection: .*alert unknown ca/, before);
  });

  test("a server that refuses TLS: the Worker stops at SSLRequest's 'N'", { timeout: 60_000 }, async () => {
    sslAnswer = Buffer.from('N');
    const answer = await ask(workerd!, 'databaseImpostor', '', 502);
    assert.equal(answer.error, 'the server does not accept TLS (it answered N to SSLRequest)');
  });

  test("bytes after SSLRequest's 'S', before the handshake, are refused as injected plaintext (CVE-2021-23222)", { timeout: 60_000 }, async () => {
    // 'S' and a forged reply in one write, as a man in the middle would slip them in.
    sslAnswer = Buffer.concat([Buffer.from('S'), Buffer.from('R\0\0\0\x08\0\0\0\0', 'latin1')]);
    const answer = await ask(workerd!, 'databaseImpostor', '', 502);
    assert.equal(answer.error, 'the server sent data after accepting SSLRequest, before the TLS handshake');
  });
});
