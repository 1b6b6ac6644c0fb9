// The node:tls module as programs use it: `require('typetls')` from a CommonJS program gives one
// mutable object (as node's `tls` is), whose DEFAULT_* and createSecureContext are read when a
// connection or a server is made; the ES entry's default export is that same object; Server and
// TLSSocket work without `new`; bad options get node:tls's own codes and messages, checked side
// by side with node:tls.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as nodeTls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import tlsDefault, * as typetls from '../src/index.js';
import { makeTestPki, type TestPki } from './certs/make.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const temp = mkdtempSync(join(tmpdir(), 'typetls-cjs-'));
let pki: TestPki;

before(async () => {
  pki = await makeTestPki();
  mkdirSync(join(temp, 'node_modules'));
  symlinkSync(root, join(temp, 'node_modules', 'typetls'), 'dir');
});
after(() => rmSync(temp, { recursive: true, force: true }));

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
