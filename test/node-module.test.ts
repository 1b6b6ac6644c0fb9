// The node:tls module as programs use it: `require('typetls')` from a CommonJS program gives one
// mutable object (as node's `tls` is), whose DEFAULT_* and createSecureContext are read when a
// connection or a server is made; the ES entry's default export is that same object; Server and
// TLSSocket work without `new`; bad options get node:tls's own codes and messages, checked side
// by side with node:tls.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as nodeTls from 'node:tls';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import tlsDefault, * as typetls from '../src/index.js';
import { makeTestPki, type TestPki } from './certs/make.js';
import { outsideProject, repositoryRoot } from './outside-project.js';
import { nodeOptionValue } from '../src/node/tls-module.js';

const root = repositoryRoot;
const temp = outsideProject('typetls-cjs-');
let pki: TestPki;

before(async () => {
  pki = await makeTestPki();
});

function run(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: temp, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 15_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A CommonJS program: assigns DEFAULT_MAX_VERSION, wraps createSecureContext, connects. */
const cjsProgram = `
'use strict';
const tls = require('typetls');
const { readFileSync } = require('node:fs');
const [cert, key, ca] = process.argv.slice(2).map((p) => readFileSync(p));
tls.DEFAULT_MAX_VERSION = 'TLSv1.2';
let made = 0;
const original = tls.createSecureContext;
tls.createSecureContext = (options) => { made++; return original(options); };
const server = tls.Server({ cert, key }, (socket) => socket.end('hi'));
server.listen(0, '127.0.0.1', () => {
  const client = tls.connect(server.address().port, '127.0.0.1', { ca, servername: 'localhost' }, () => {
    console.log('protocol=' + client.getProtocol() + ' contexts=' + made);
  });
  client.on('data', () => {});
  client.on('end', () => server.close());
  client.on('error', (e) => { console.error(e); process.exit(1); });
});
import('typetls').then((m) => console.log('esm-default-same=' + (m.default === tls) + ' live=' + m.DEFAULT_MAX_VERSION));
`;

describe("require('typetls'): node's mutable tls module", () => {
  it('a CommonJS program outside the repository assigns DEFAULT_MAX_VERSION and replaces createSecureContext; both take effect', async () => {
    const file = join(temp, 'app.cjs');
    writeFileSync(file, cjsProgram);
    const r = await run([file, pki.rsaCert, pki.rsaKey, pki.caCert]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').sort();
    // Two contexts through the replaced function: the server's and the client's.
    assert.deepEqual(lines, ['esm-default-same=true live=TLSv1.2', 'protocol=TLSv1.2 contexts=2']);
  });

  it('resolves to dist/src/index.cjs through the "require" condition of package.json exports', async () => {
    const r = await run(['-e', "console.log(require.resolve('typetls'))"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), join(root, 'dist/src/index.cjs'));
  });

  it('--tls-max-v1.2 and --tls-min-v1.1 in NODE_OPTIONS set DEFAULT_MAX_VERSION and DEFAULT_MIN_VERSION, as node reads them', async () => {
    const env = { ...process.env, NODE_OPTIONS: '--tls-max-v1.2 --tls-min-v1.1' };
    const r = await run(['-e', "const t = require('typetls'); console.log(t.DEFAULT_MIN_VERSION, t.DEFAULT_MAX_VERSION)"], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'TLSv1.1 TLSv1.2');
  });
});

describe('the module object in the ES entry', () => {
  it('the default export holds every named export, and node:tls\'s names', () => {
    for (const [name, value] of Object.entries(typetls)) {
      if (name !== 'default') assert.equal((tlsDefault as Record<string, unknown>)[name], value, name);
    }
    for (const name of Object.keys(nodeTls)) {
      if (name === 'createSecurePair' || name === 'default') continue;
      assert.ok(name in tlsDefault, `node:tls has ${name}`);
    }
    assert.equal(tlsDefault.DEFAULT_CIPHERS, nodeTls.DEFAULT_CIPHERS);
    assert.equal(tlsDefault.DEFAULT_ECDH_CURVE, 'auto');
  });

  it('rootCertificates is read-only as on node:tls: assigning it throws a TypeError in strict code, the array stays', () => {
    const tls = tlsDefault as unknown as Record<string, unknown>;
    const roots = tls.rootCertificates;
    assert.throws(() => { tls.rootCertificates = 0; }, TypeError);
    assert.equal(tls.rootCertificates, roots);
    assert.ok(Array.isArray(roots) && Object.isFrozen(roots) && roots.length > 0);
  });

  it('an assigned DEFAULT_MAX_VERSION is read at createSecureContext and shows in the named export', () => {
    const saved = tlsDefault.DEFAULT_MAX_VERSION;
    try {
      tlsDefault.DEFAULT_MAX_VERSION = 'TLSv1.2';
      assert.equal(typetls.DEFAULT_MAX_VERSION, 'TLSv1.2');
      assert.equal(typetls.createSecureContext().clientConfig.maxVersion, 0x0303);
      tlsDefault.DEFAULT_MAX_VERSION = 'TLSv9';
      assert.throws(() => typetls.createSecureContext(), { code: 'ERR_TLS_INVALID_PROTOCOL_VERSION', message: '"TLSv9" is not a valid maximum TLS protocol version' });
    } finally {
      tlsDefault.DEFAULT_MAX_VERSION = saved;
    }
    assert.equal(typetls.createSecureContext().clientConfig.maxVersion, 0x0304);
  });

  it('Server and TLSSocket are callable without new; instanceof and subclassing work', async () => {
    const Server = typetls.Server as unknown as (o?: object) => typetls.Server;
    const s = Server();
    assert.ok(s instanceof typetls.Server);
    assert.ok(s instanceof net.Server);
    assert.equal(s.constructor, typetls.Server);
    class Sub extends typetls.Server {
      readonly mine = true;
    }
    const sub = new Sub();
    assert.ok(sub instanceof typetls.Server && sub.mine);
    const TLSSocket = typetls.TLSSocket as unknown as (s: null, o: object) => typetls.TLSSocket;
    const socket = TLSSocket(null, {});
    assert.ok(socket instanceof typetls.TLSSocket);
    socket.destroy();
  });
});

const nodeConvert = (nodeTls as unknown as { convertALPNProtocols: typeof typetls.convertALPNProtocols }).convertALPNProtocols;

/** What node:tls and typetls throw for the same call: name, code and message. */
function thrown(f: () => unknown): { name: string; code: unknown; message: string } | 'no error' {
  try {
    f();
    return 'no error';
  } catch (e) {
    const err = e as Error & { code?: unknown };
    return { name: err.name, code: err.code, message: err.message };
  }
}

describe('argument validation as node:tls words it', () => {
  const contextCases: readonly object[] = [
    { ciphers: 1 },
    { ecdhCurve: 1 },
    { key: 1 },
    { cert: 1 },
    { ca: 1 },
    { ca: [1] },
    { cert: [null] },
    { key: [{ pem: 1 }] },
    { key: 'x', passphrase: 1 },
    { sessionIdContext: 1 },
    { ticketKeys: 1 },
    { ticketKeys: Buffer.alloc(0) },
    { sessionTimeout: 'a' },
    { sessionTimeout: -1 },
    { sessionTimeout: 1.5 },
    { sigalgs: 1 },
    { minVersion: 'x' },
    { maxVersion: 'TLSv9' },
    { secureProtocol: 'blargh' },
    { secureProtocol: 'SSLv2_method' },
    { secureProtocol: 'SSLv3_client_method' },
    { secureProtocol: 'TLSv1_2_method', minVersion: 'TLSv1.2' },
  ];
  for (const options of contextCases) {
    it(`createSecureContext(${JSON.stringify(options)})`, () => {
      assert.deepEqual(thrown(() => typetls.createSecureContext(options as typetls.TlsOptions)), thrown(() => nodeTls.createSecureContext(options as nodeTls.SecureContextOptions)));
    });
  }

  const serverCases: readonly unknown[] = [1, 'x', { handshakeTimeout: 'abcd' }, { SNICallback: 'x' }, { SNICallback: 42 }, { ciphers: 1 }];
  for (const options of serverCases) {
    it(`createServer(${JSON.stringify(options)})`, () => {
      assert.deepEqual(thrown(() => typetls.createServer(options as typetls.TlsServerOptions)), thrown(() => nodeTls.createServer(options as nodeTls.TlsOptions)));
    });
  }

  it('setTicketKeys, addContext, setSecureContext, convertALPNProtocols', () => {
    const ours = typetls.createServer();
    const theirs = nodeTls.createServer();
    for (const arg of [null, undefined, 0, 1n, '', {}, []]) {
      assert.deepEqual(thrown(() => ours.setTicketKeys(arg as Buffer)), thrown(() => theirs.setTicketKeys(arg as Buffer)));
    }
    assert.match(String((thrown(() => ours.setTicketKeys(new Uint8Array(1))) as { message: string }).message), /Session ticket keys must be a 48-byte buffer/);
    assert.deepEqual(thrown(() => ours.addContext('', {})), thrown(() => theirs.addContext('', {})));
    assert.deepEqual(thrown(() => ours.setSecureContext(1 as unknown as object)), thrown(() => theirs.setSecureContext(1 as unknown as object)));
    const long = ['a'.repeat(500)];
    assert.deepEqual(thrown(() => typetls.convertALPNProtocols(long, {})), thrown(() => nodeConvert(long, {})));
    const [a, b] = [{}, {}] as { ALPNProtocols?: Buffer }[];
    typetls.convertALPNProtocols(['h2', 'http/1.1'], a!);
    nodeConvert(['h2', 'http/1.1'], b!);
    assert.deepEqual(a, b);
  });

  it('a server TLSSocket with an SNICallback that is not a function', () => {
    for (const SNICallback of ['fhqwhgads', 42, {}, []]) {
      const options = { isServer: true, SNICallback } as never;
      assert.deepEqual(thrown(() => new typetls.TLSSocket(new net.Socket(), options)), thrown(() => new nodeTls.TLSSocket(new net.Socket(), options)));
    }
  });
});

/** A typetls server answering each connection with the SNI name it saw and the certificate's CN. */
function nameServer(options: typetls.TlsServerOptions): typetls.Server {
  return typetls.createServer(options, (s) => {
    const cn = (s.getCertificate() as { subject?: { CN?: string } } | null)?.subject?.CN;
    s.end(`${String(s.servername)} ${cn}`);
  });
}

function listen(server: net.Server, target: number | string = 0): Promise<void> {
  return new Promise((resolve) => server.listen(target as number, '127.0.0.1', () => resolve()));
}

function listenPath(server: net.Server, path: string): Promise<void> {
  return new Promise((resolve) => server.listen(path, () => resolve()));
}

function readAll(socket: typetls.TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('connect(): every overload and the net options, as node passes them to net', () => {
  it('connect(path, options, cb) and connect({ path, port }) reach the Unix socket, which wins over the port', async () => {
    const read = (f: string): string => readFileSync(f, 'utf8');
    const options = { cert: read(pki.rsaCert), key: read(pki.rsaKey) };
    const unix = nameServer(options);
    const tcp = nameServer(options);
    const path = join(temp, 'tls.sock');
    await listenPath(unix, path);
    await listen(tcp);
    const ca = read(pki.caCert);
    const viaPath = typetls.connect(path, { ca, servername: 'localhost' });
    assert.equal(await readAll(viaPath), 'localhost localhost');
    const both = typetls.connect({ path, port: (tcp.address() as net.AddressInfo).port, host: '127.0.0.1', ca, servername: 'localhost' });
    const seen: string[] = [];
    unix.once('secureConnection', () => seen.push('unix'));
    tcp.once('secureConnection', () => seen.push('tcp'));
    await readAll(both);
    assert.deepEqual(seen, ['unix']);
    await Promise.all([closeServer(unix), closeServer(tcp)]);
  });

  it('connect(port, host, options, cb): the host argument, the options and the callback', async () => {
    const read = (f: string): string => readFileSync(f, 'utf8');
    const server = nameServer({ cert: read(pki.rsaCert), key: read(pki.rsaKey) });
    await listen(server);
    const { port } = server.address() as net.AddressInfo;
    let called = false;
    const socket = typetls.connect(port, '127.0.0.1', { ca: read(pki.caCert), servername: 'localhost' }, () => (called = true));
    assert.equal(await readAll(socket), 'localhost localhost');
    assert.equal(called, true);
    await closeServer(server);
  });

  it('lookup and hints go to net: the lookup is asked as node asks it, and its answer is the address connected to', async () => {
    const read = (f: string): string => readFileSync(f, 'utf8');
    const server = nameServer({ cert: read(pki.rsaCert), key: read(pki.rsaKey) });
    await listen(server);
    const { port } = server.address() as net.AddressInfo;
    const asked: unknown[] = [];
    const lookup = ((host: string, options: object, cb: (e: null, addresses: { address: string; family: number }[]) => void) => {
      asked.push(host, options);
      cb(null, [{ address: '127.0.0.1', family: 4 }]);
    }) as unknown as net.LookupFunction;
    const socket = typetls.connect({ host: 'example.invalid', port, lookup, hints: 512, ca: read(pki.caCert), servername: 'localhost' });
    assert.equal(await readAll(socket), 'localhost localhost');
    assert.deepEqual(asked, ['example.invalid', { family: undefined, hints: 512, all: true }]);
    await closeServer(server);
  });

  it('highWaterMark, allowHalfOpen and an aborted signal as in node', async () => {
    const hwm = typetls.connect({ port: 9, lookup: (() => {}) as unknown as net.LookupFunction, highWaterMark: 128000 });
    assert.equal(hwm.readableHighWaterMark, 128000);
    assert.equal(hwm.allowHalfOpen, false);
    hwm.destroy();
    const half = typetls.connect({ port: 9, lookup: (() => {}) as unknown as net.LookupFunction, allowHalfOpen: true });
    assert.equal(half.allowHalfOpen, true);
    half.destroy();
    const controller = new AbortController();
    const aborted = typetls.connect({ port: 9, lookup: (() => {}) as unknown as net.LookupFunction, signal: controller.signal });
    controller.abort();
    const [err] = (await new Promise((resolve) => aborted.once('error', (e) => resolve([e])))) as [Error & { code?: string }];
    assert.equal(err.name, 'AbortError');
    assert.equal(err.code, 'ABORT_ERR');
  });

  it('connect() makes its context with options.ciphers = tls.DEFAULT_CIPHERS, as node does', () => {
    const seen: unknown[] = [];
    const saved = tlsDefault.createSecureContext;
    tlsDefault.createSecureContext = (options: { ciphers?: string }) => {
      seen.push(options.ciphers);
      throw new Error('stop');
    };
    try {
      assert.throws(() => typetls.connect({ port: 9 }), /stop/);
    } finally {
      tlsDefault.createSecureContext = saved;
    }
    assert.deepEqual(seen, [nodeTls.DEFAULT_CIPHERS]);
  });
});

describe('server.addContext(): SNI names and wildcards chosen as node chooses them', () => {
  it('the last matching pattern added wins; * stands for one label; no match keeps the default certificate', async () => {
    const read = (f: string): string => readFileSync(f, 'utf8');
    const rsa = { cert: read(pki.rsaCert), key: read(pki.rsaKey) };
    const ecdsa = { cert: read(pki.ecdsaCert), key: read(pki.ecdsaKey) };
    const names = ['a.example.com', 'b.example.com', 'x.y.example.com', 'example.com', 'other.test'];
    const patterns: [string, 'rsa' | 'ecdsa'][] = [['*.example.com', 'ecdsa'], ['b.example.com', 'rsa'], ['other.*', 'ecdsa']];
    // What each server picks, seen by the client as the certificate's key type.
    const picks = async (make: (o: object) => net.Server, connectTo: typeof nodeTls.connect): Promise<string[]> => {
      const server = make(rsa);
      for (const [pattern, which] of patterns) (server as unknown as { addContext(n: string, c: object): void }).addContext(pattern, which === 'rsa' ? rsa : ecdsa);
      server.on('secureConnection', (s: net.Socket) => s.end());
      await listen(server);
      const { port } = server.address() as net.AddressInfo;
      const out: string[] = [];
      for (const servername of names) {
        const c = connectTo({ port, host: '127.0.0.1', servername, rejectUnauthorized: false });
        await new Promise((resolve, reject) => c.once('secureConnect', resolve).once('error', reject));
        out.push(`${servername}=${(c.getPeerCertificate() as { pubkey?: Buffer; bits?: number; asn1Curve?: string }).asn1Curve ? 'ecdsa' : 'rsa'}`);
        c.destroy();
      }
      await closeServer(server);
      return out;
    };
    const ours = await picks((o) => typetls.createServer(o), nodeTls.connect);
    const theirs = await picks((o) => nodeTls.createServer(o), nodeTls.connect);
    assert.deepEqual(ours, theirs);
    assert.deepEqual(ours, ['a.example.com=ecdsa', 'b.example.com=rsa', 'x.y.example.com=rsa', 'example.com=rsa', 'other.test=ecdsa']);
  });

  it('a server without any certificate starts; its handshakes fail alone, and addContext gives it one', async () => {
    const read = (f: string): string => readFileSync(f, 'utf8');
    const server = typetls.createServer();
    const failures: Error[] = [];
    server.on('tlsClientError', (e: Error) => failures.push(e));
    server.on('secureConnection', (s: typetls.TLSSocket) => s.end('ok'));
    await listen(server);
    const { port } = server.address() as net.AddressInfo;
    const refused = typetls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: read(pki.caCert) });
    await new Promise((resolve) => refused.once('error', resolve));
    assert.equal(failures.length, 1);
    server.addContext('localhost', { cert: read(pki.rsaCert), key: read(pki.rsaKey) });
    const served = typetls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: read(pki.caCert) });
    assert.equal(await readAll(served), 'ok');
    await closeServer(server);
  });
});

describe('node command-line options and environment', () => {
  const client = `
const tls = require('typetls');
const { readFileSync } = require('node:fs');
const [cert, key] = process.argv.slice(2).map((p) => readFileSync(p));
const server = tls.createServer({ cert, key }, (s) => s.end('hi'));
server.listen(0, '127.0.0.1', () => {
  const c = tls.connect({ port: server.address().port, host: '127.0.0.1', servername: 'localhost', maxVersion: 'TLSv1.2' }, () => console.log('authorized=' + c.authorized));
  c.resume();
  c.on('end', () => server.close());
  c.on('error', (e) => { console.log('error=' + e.code); server.close(); });
});
`;

  it('NODE_EXTRA_CA_CERTS adds its CA to the default roots', async () => {
    const file = join(temp, 'extra-ca.cjs');
    writeFileSync(file, client);
    const without = await run([file, pki.rsaCert, pki.rsaKey], { ...process.env, NODE_EXTRA_CA_CERTS: '' });
    assert.equal(without.stdout.trim(), 'error=UNABLE_TO_VERIFY_LEAF_SIGNATURE', without.stderr);
    const withCa = await run([file, pki.rsaCert, pki.rsaKey], { ...process.env, NODE_EXTRA_CA_CERTS: pki.caCert });
    assert.equal(withCa.stdout.trim(), 'authorized=true', withCa.stderr);
  });

  it('--tls-keylog=file: both ends of each connection append their key material, with node\'s warning', async () => {
    const file = join(temp, 'keylog.cjs');
    const log = join(temp, 'keys.log');
    writeFileSync(file, client);
    const r = await run(['--tls-keylog=' + log, file, pki.rsaCert, pki.rsaKey], { ...process.env, NODE_EXTRA_CA_CERTS: pki.caCert });
    assert.equal(r.stdout.trim(), 'authorized=true', r.stderr);
    assert.match(r.stderr, /Using --tls-keylog makes TLS connections insecure by writing secret key material to file/);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    // TLS 1.2: one CLIENT_RANDOM line from each end, the same line.
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/);
    assert.equal(lines[0], lines[1]);
  });

  it('nodeOptionValue reads --name=value and --name value from execArgv, then NODE_OPTIONS', () => {
    assert.equal(nodeOptionValue('--tls-keylog', ['--tls-keylog=/a'], ''), '/a');
    assert.equal(nodeOptionValue('--tls-keylog', ['--tls-keylog', '/b'], ''), '/b');
    assert.equal(nodeOptionValue('--tls-keylog', [], '--max-old-space-size=100 --tls-keylog="/c d"'), '/c d');
    assert.equal(nodeOptionValue('--tls-keylog', [], ''), undefined);
  });
});
