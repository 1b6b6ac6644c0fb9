// node:tls events, errors and socket behaviour, each checked against node:tls itself on the
// other end of the connection or side by side on the same failure: exportKeyingMaterial equal
// on both ends, a server that only writes seeing its client's close, node's error codes for
// alerts and for bytes that are no TLS, ECONNRESET before the handshake, 'close' with hadError,
// an SNICallback that answers later, 'newSession'/'resumeSession', renegotiate's refusal.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';

import { SecureContext, TLSSocket, connect, createSecureContext, createServer } from '../src/index.js';
import { makeTestPki, type TestPki } from './certs/make.js';
import { once, Opened } from './node-sockets.js';

let pki: TestPki;
let ca: string;
let cert: string;
let key: string;
const read = (f: string): string => readFileSync(f, 'utf8');
const opened = new Opened();

before(async () => {
  pki = await makeTestPki();
  ca = read(pki.caCert);
  cert = read(pki.rsaCert);
  key = read(pki.rsaKey);
});
after(() => opened.closeAll());

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

type Lib = 'typetls' | 'node:tls';
const libConnect = (lib: Lib, options: tls.ConnectionOptions): tls.TLSSocket =>
  lib === 'typetls' ? (connect(options as never) as unknown as tls.TLSSocket) : tls.connect(options);

/** A TCP server answering every connection with `reply(socket, firstBytes)`. */
async function rawServer(reply: (socket: net.Socket, first: Buffer) => void): Promise<number> {
  const server = net.createServer((s) => {
    opened.track(s);
    s.on('error', () => {});
    s.once('data', (d: Buffer) => reply(s, d));
  });
  return opened.listen(server);
}

/** The error a client of `lib` gets from a server at `port`, with node's fields. */
async function clientError(lib: Lib, options: tls.ConnectionOptions): Promise<Record<string, unknown>> {
  const socket = opened.track(libConnect(lib, { rejectUnauthorized: false, ...options }));
  const closed = once(socket, 'close', 10_000, { failOnError: false });
  const [err] = await once<Error & Record<string, unknown>>(socket, 'error', 10_000, { failOnError: false });
  await closed;
  const e = err!;
  return { code: e.code, reason: e.reason, library: e.library, host: e.host, port: e.port, localAddress: e.localAddress, path: e.path };
}

describe('exportKeyingMaterial: equal on a typetls end and a node:tls end of one connection', () => {
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    for (const typetlsSide of ['client', 'server'] as const) {
      test(`${version}, typetls ${typetlsSide}`, async () => {
        const options = { key, cert, minVersion: version, maxVersion: version };
        const serverEnd = new Promise<tls.TLSSocket>((resolve) => {
          const server = typetlsSide === 'server' ? createServer(options, (s) => resolve(s as never)) : tls.createServer(options, resolve);
          opened.listen(server as net.Server).then((port) => {
            const client = opened.track(libConnect(typetlsSide === 'client' ? 'typetls' : 'node:tls', { port, host: '127.0.0.1', ca, servername: 'localhost' }));
            client.once('secureConnect', () => clientEnd.resolve(client));
          });
        });
        const clientEnd = deferred<tls.TLSSocket>();
        const [c, s] = await Promise.all([clientEnd.promise, serverEnd]);
        assert.equal(c.getProtocol(), version);
        for (const context of [undefined, Buffer.alloc(0), Buffer.from('context value')]) {
          const ours = c.exportKeyingMaterial(48, 'EXPORTER-test', context as Buffer);
          const theirs = s.exportKeyingMaterial(48, 'EXPORTER-test', context as Buffer);
          assert.equal(ours.length, 48);
          assert.ok(ours.equals(theirs), `${String(context?.toString('hex'))}: ${ours.toString('hex')} != ${theirs.toString('hex')}`);
        }
        // TLS 1.3: no context and an empty one are the same (RFC 8446 Section 7.5); TLS 1.2 tells them apart (RFC 5705).
        const none = c.exportKeyingMaterial(16, 'EXPORTER-test', undefined as unknown as Buffer);
        const empty = c.exportKeyingMaterial(16, 'EXPORTER-test', Buffer.alloc(0));
        assert.equal(none.equals(empty), version === 'TLSv1.3');
        c.destroy();
        s.destroy();
      });
    }
  }

  test('before the handshake and with bad arguments: node errors, of node\'s classes, beside node:tls', () => {
    const socket = new TLSSocket(null, {});
    const theirs = new tls.TLSSocket(null as never, {});
    const thrown = (s: tls.TLSSocket, args: unknown[]): { name: string; code: unknown; message: string; range: boolean } => {
      try {
        (s.exportKeyingMaterial as (...a: unknown[]) => Buffer)(...args);
      } catch (e) {
        const err = e as Error & { code?: unknown };
        return { name: err.name, code: err.code, message: err.message, range: err instanceof RangeError };
      }
      assert.fail(`exportKeyingMaterial(${args.map(String).join(', ')}) did not throw`);
    };
    const cases: unknown[][] = [
      [16, 'label'], [0, 'label'], [-3, 'a'], [1.5, 'a'], [2 ** 32, 'a'], ['16', 'label'], [16, 7], [10, null],
      [16, 'label', 'a string context'], [16, 'label', 1234],
    ];
    for (const args of cases) {
      const ours = thrown(socket as unknown as tls.TLSSocket, args);
      assert.deepEqual(ours, thrown(theirs, args), `exportKeyingMaterial(${args.map(String).join(', ')})`);
    }
    assert.equal(thrown(socket as unknown as tls.TLSSocket, [0, 'a']).range, true);
    socket.destroy();
    theirs.destroy();
  });
});

test('a typetls server that never reads sees its node:tls client close: end, close, and server.close() finishes', async () => {
  const serverSide = deferred<TLSSocket>();
  const server = createServer({ key, cert }, (s) => {
    s.write('hello');
    serverSide.resolve(s);
  });
  const port = await opened.listen(server);
  const client = opened.track(tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }));
  const [data] = await once<Buffer>(client, 'data');
  assert.equal(data!.toString(), 'hello');
  const s = await serverSide.promise;
  const ended = once(s, 'end');
  const closed = once<boolean>(s, 'close');
  client.end();
  await ended;
  const [hadError] = await closed;
  assert.equal(hadError, false);
  await opened.closeServer(server);
});

describe('errors as node:tls reports them, side by side', () => {
  const alerts = [10, 20, 40, 42, 45, 48, 50, 70, 80, 112, 116, 120];
  for (const description of alerts) {
    test(`a fatal alert ${description} from the server`, async () => {
      const port = await rawServer((s) => s.end(Buffer.from([21, 3, 3, 0, 2, 2, description])));
      const ours = await clientError('typetls', { port, host: '127.0.0.1' });
      const theirs = await clientError('node:tls', { port, host: '127.0.0.1' });
      assert.deepEqual(ours, theirs);
      assert.match(String(ours.code), /^ERR_SSL_(SSLV3|TLSV1|TLSV13)_/);
    });
  }

  test('a server that answers with bytes that are no TLS: ERR_SSL_WRONG_VERSION_NUMBER', async () => {
    const port = await rawServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const ours = await clientError('typetls', { port, host: '127.0.0.1' });
    assert.deepEqual(ours, await clientError('node:tls', { port, host: '127.0.0.1' }));
    assert.equal(ours.code, 'ERR_SSL_WRONG_VERSION_NUMBER');
  });

  test('a connection lost before the handshake: ECONNRESET with host, port and localAddress as node', async () => {
    const port = await rawServer((s) => s.end());
    for (const options of [{ port, host: '127.0.0.1' }, { port, localAddress: '127.0.0.1' }]) {
      const ours = await clientError('typetls', options);
      assert.deepEqual(ours, await clientError('node:tls', options));
      assert.equal(ours.code, 'ECONNRESET');
    }
  });

  test('a server requiring a certificate from a client without one: the same codes on both sides', async () => {
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const results: Record<string, unknown>[] = [];
      for (const lib of ['typetls', 'node:tls'] as const) {
        const errors = deferred<string>();
        const options = { key, cert, requestCert: true, rejectUnauthorized: true, ca, maxVersion: version };
        const server = lib === 'typetls' ? createServer(options) : tls.createServer(options);
        server.on('tlsClientError', (e: Error & { code: string }) => errors.resolve(e.code));
        const port = await opened.listen(server as net.Server);
        // The client is node:tls in both runs: only the server differs.
        const client = opened.track(tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost', maxVersion: version }));
        client.on('error', () => {});
        client.resume();
        results.push({ server: await errors.promise });
        client.destroy();
        await opened.closeServer(server as net.Server);
      }
      assert.deepEqual(results[0], results[1], version);
      assert.deepEqual(results[0], { server: 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE' });
    }
  });

  test('a server that shares no cipher suite with its client: ERR_SSL_NO_SHARED_CIPHER on the server, both versions', async () => {
    const cases = [
      { version: 'TLSv1.2', server: 'AES256-SHA256', client: 'AES128-SHA' },
      { version: 'TLSv1.3', server: 'TLS_CHACHA20_POLY1305_SHA256', client: 'TLS_AES_256_GCM_SHA384' },
    ] as const;
    for (const c of cases) {
      const results: Record<string, unknown>[] = [];
      for (const lib of ['typetls', 'node:tls'] as const) {
        const serverError = deferred<Error & { code: string; reason?: string }>();
        const options = { key, cert, minVersion: c.version, maxVersion: c.version, ciphers: c.server };
        const server = lib === 'typetls' ? createServer(options) : tls.createServer(options);
        server.on('tlsClientError', (e: Error & { code: string }) => serverError.resolve(e));
        const port = await opened.listen(server as net.Server);
        // The client is node:tls in both runs: only the server differs.
        const clientOptions = { port, host: '127.0.0.1', ca, servername: 'localhost', minVersion: c.version, maxVersion: c.version };
        const client = opened.track(tls.connect({ ...clientOptions, ciphers: c.client }));
        const clientError = once<Error & { code: string }>(client, 'error', 10_000, { failOnError: false });
        const e = await serverError.promise;
        const [ce] = await clientError;
        results.push({ server: e.code, reason: e.reason, client: ce!.code });
        await opened.closeServer(server as net.Server);
      }
      assert.deepEqual(results[0], { server: 'ERR_SSL_NO_SHARED_CIPHER', reason: 'no shared cipher', client: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' }, c.version);
      assert.deepEqual(results[0], results[1], c.version);
    }
  });
});

test("'close' says hadError, bufferSize and readyState follow net.Socket", async () => {
  const server = createServer({ key, cert }, (s) => s.resume());
  const port = await opened.listen(server);
  // The test CA is not trusted without `ca`: the handshake fails.
  const failing = opened.track(connect({ port, host: '127.0.0.1' }));
  assert.equal(failing.readyState, 'opening');
  failing.on('error', () => {});
  const [hadError] = await once<boolean>(failing, 'close', 10_000, { failOnError: false });
  assert.equal(hadError, true);
  assert.equal(failing.bufferSize, undefined);
  assert.equal(failing.readyState, 'closed');

  const good = opened.track(connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }));
  await once(good, 'secureConnect');
  assert.equal(good.readyState, 'open');
  assert.equal(good.bufferSize, 0);
  good.setTimeout(60_000);
  assert.equal(good.timeout, 60_000);
  good.end();
  const [cleanClose] = await once<boolean>(good, 'close');
  assert.equal(cleanClose, false);
  await opened.closeServer(server);
});

test('a hand-made server TLSSocket whose handshake fails emits _tlsError, not an unhandled error', async () => {
  const done = deferred<string>();
  const server = net.createServer((raw) => {
    const s = new TLSSocket(raw, { isServer: true, secureContext: createSecureContext({ key, cert }) });
    s.on('_tlsError', (e: Error & { code: string }) => done.resolve(e.code));
  });
  const port = await opened.listen(server);
  const raw = opened.track(net.connect({ port, host: '127.0.0.1' }));
  raw.on('error', () => {});
  raw.write(Buffer.alloc(64, 42));
  assert.equal(await done.promise, 'ERR_SSL_WRONG_VERSION_NUMBER');
  await opened.closeServer(server);
});

describe('SNICallback answering later', () => {
  test('the context it gives on a later tick is used; an error refuses the client as node does', async () => {
    const other = createSecureContext({ key: read(pki.ecdsaKey), cert: read(pki.ecdsaCert) });
    const server = createServer({
      key,
      cert,
      SNICallback: (name, cb) => {
        setTimeout(() => {
          if (name === 'ec.test') cb(null, other);
          else if (name === 'refused.test') cb(new Error('no such name'));
          else cb(null, null as unknown as SecureContext);
        }, 20);
      },
    });
    const clientErrors: string[] = [];
    server.on('tlsClientError', (e: Error) => clientErrors.push(e.message));
    const port = await opened.listen(server);

    const ec = opened.track(tls.connect({ port, host: '127.0.0.1', servername: 'ec.test', rejectUnauthorized: false }));
    await Promise.all([once(ec, 'secureConnect'), once(server, 'secureConnection')]);
    assert.equal((ec.getPeerX509Certificate()?.publicKey.asymmetricKeyType), 'ec');
    ec.destroy();

    const plain = opened.track(tls.connect({ port, host: '127.0.0.1', servername: 'plain.test', rejectUnauthorized: false }));
    await Promise.all([once(plain, 'secureConnect'), once(server, 'secureConnection')]);
    assert.equal(plain.getPeerX509Certificate()?.publicKey.asymmetricKeyType, 'rsa');
    plain.destroy();

    const refused = opened.track(tls.connect({ port, host: '127.0.0.1', servername: 'refused.test', rejectUnauthorized: false }));
    const [err] = await once<Error & { code: string }>(refused, 'error', 10_000, { failOnError: false });
    assert.equal(err!.code, 'ECONNRESET');
    assert.deepEqual(clientErrors, ['no such name']);
    await opened.closeServer(server);
  });
});

test("'newSession' and 'resumeSession': the program keeps TLS 1.2 sessions, a node:tls client resumes", async () => {
  const store = new Map<string, Buffer>();
  let resumeAsked = 0;
  const server = createServer({ key, cert, maxVersion: 'TLSv1.2', secureOptions: 0x4000 /* SSL_OP_NO_TICKET */ } as never);
  server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
    store.set(id.toString('hex'), data);
    setTimeout(done, 10);
  });
  server.on('resumeSession', (id: Buffer, cb: (err: Error | null, data?: Buffer) => void) => {
    resumeAsked += 1;
    setTimeout(() => cb(null, store.get(id.toString('hex'))), 10);
  });
  const port = await opened.listen(server);
  // A client offering TLS 1.2 only sends no session ID of its own on a first connection (one
  // offering TLS 1.3 sends a random one, and 'resumeSession' is asked about it too, as from node).
  const first = opened.track(tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost', maxVersion: 'TLSv1.2' }));
  await once(first, 'secureConnect');
  const session = first.getSession();
  assert.ok(session);
  assert.equal(first.isSessionReused(), false);
  first.destroy();
  assert.equal(store.size, 1);
  const second = opened.track(tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost', maxVersion: 'TLSv1.2', session }));
  await once(second, 'secureConnect');
  assert.equal(second.isSessionReused(), true);
  assert.equal(resumeAsked, 1);
  second.destroy();
  await opened.closeServer(server);
});

test("'resumeSession' answered inside the callback resumes without pausing the connection; answered later, the connection is paused until then", async () => {
  for (const later of [false, true]) {
    const store = new Map<string, Buffer>();
    const server = createServer({ key, cert, maxVersion: 'TLSv1.2', secureOptions: 0x4000 /* SSL_OP_NO_TICKET */ } as never, (s) => s.pipe(s));
    server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      store.set(id.toString('hex'), data);
      done();
    });
    const answered: boolean[] = [];
    server.on('resumeSession', (id: Buffer, cb: (err: Error | null, data?: Buffer | null) => void) => {
      const answer = (): void => cb(null, store.get(id.toString('hex')) ?? null);
      if (later) setImmediate(answer);
      else answer();
      answered.push(true);
    });
    // The accepted TCP socket of each connection: how often the server paused it.
    const pauses: number[] = [];
    server.on('connection', (raw: net.Socket) => {
      const i = pauses.push(0) - 1;
      const pause = raw.pause;
      raw.pause = function (this: net.Socket) {
        pauses[i]! += 1;
        return pause.call(this);
      };
    });
    const port = await opened.listen(server as unknown as net.Server);
    const first = opened.track(tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost', maxVersion: 'TLSv1.2' }));
    await once(first, 'secureConnect');
    const session = first.getSession();
    first.destroy();
    for (let i = 0; i < 2; i++) {
      const again = opened.track(tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost', maxVersion: 'TLSv1.2', session }));
      await once(again, 'secureConnect');
      assert.equal(again.isSessionReused(), true, `resumed (answered ${later ? 'later' : 'at once'})`);
      // The resumed connection carries data both ways.
      again.write('ping');
      const [echo] = await once<Buffer>(again, 'data');
      assert.equal(echo!.toString(), 'ping');
      again.destroy();
    }
    assert.equal(answered.length, 2);
    // The first connection offered no session ID; each resumption was asked about once.
    assert.deepEqual(pauses.slice(1).map((n) => n > 0), [later, later]);
    await opened.closeServer(server);
  }
});

test('renegotiate on TLS 1.3 is refused as node:tls refuses it', async () => {
  const results: Record<string, unknown>[] = [];
  for (const lib of ['typetls', 'node:tls'] as const) {
    const server = tls.createServer({ key, cert }, (s) => s.resume());
    const port = await opened.listen(server);
    const client = opened.track(libConnect(lib, { port, host: '127.0.0.1', ca, servername: 'localhost' }));
    await once(client, 'secureConnect');
    const refused = deferred<Error & Record<string, unknown>>();
    const ok = client.renegotiate({}, (err) => refused.resolve(err as never));
    const err = await refused.promise;
    results.push({ ok, code: err.code, reason: err.reason, library: err.library, message: err.message });
    assert.throws(() => client.renegotiate(undefined as never, () => {}), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => (client as unknown as TLSSocket).setServername(1 as never), { code: 'ERR_INVALID_ARG_TYPE' });
    client.destroy();
    await opened.closeServer(server);
  }
  assert.deepEqual(results[0], results[1]);
});

test('getSession() right after a TLS 1.3 handshake: a session that is not offered again, as node:tls gives', async () => {
  const server = createServer({ key, cert }, (s) => s.end('bye'));
  const port = await opened.listen(server);
  const client = opened.track(connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }));
  const ticket = once<Buffer>(client, 'session');
  await once(client, 'secureConnect');
  client.resume();
  const early = client.getSession();
  assert.ok(Buffer.isBuffer(early));
  const [resumable] = await ticket;
  assert.equal(early!.equals(resumable!), false);
  // The ticket of the last session, as node's getTLSTicket() gives it.
  assert.ok((client as TLSSocket).getTLSTicket()!.length > 0);
  for (const [session, reused] of [[early, false], [resumable, true]] as const) {
    const again = opened.track(connect({ port, host: '127.0.0.1', ca, servername: 'localhost', session }));
    await once(again, 'secureConnect');
    assert.equal(again.isSessionReused(), reused);
    again.destroy();
  }
  client.destroy();
  await opened.closeServer(server);
});

test('onread with a buffer function: the bytes in 2-byte pieces, and buffer() asked once more at the end, as node:tls', async () => {
  const message = 'hello world';
  const server = createServer({ key, cert }, (socket) => socket.end(message));
  const port = await opened.listen(server as unknown as net.Server);
  const run = async (lib: Lib) => {
    let asked = 0;
    const pieces: string[] = [];
    const pool = [Buffer.alloc(2), Buffer.alloc(2), Buffer.alloc(2)];
    const socket = opened.track(libConnect(lib, {
      port, host: '127.0.0.1', rejectUnauthorized: false,
      // net's onread, which node's TLSSocket types leave out.
      ...{ onread: {
        buffer: () => pool[asked++ % pool.length]!,
        callback: (n: number, buf: Uint8Array) => void pieces.push(Buffer.from(buf.subarray(0, n)).toString()),
      } },
    }));
    await once(socket, 'end', 10_000);
    return { asked, pieces };
  };
  const node = await run('node:tls');
  assert.deepEqual(node, { asked: 7, pieces: ['he', 'll', 'o ', 'wo', 'rl', 'd'] });
  assert.deepEqual(await run('typetls'), node);
});

test('TLS 1.3: a server sends two tickets after a full handshake, each of which resumes, as node:tls', async () => {
  const typetlsServer = createServer({ key, cert }, (socket) => socket.end('x'));
  const nodeServer = tls.createServer({ key, cert }, (socket) => socket.end('x'));
  const ports = { 'node:tls': await opened.listen(nodeServer), typetls: await opened.listen(typetlsServer as unknown as net.Server) };
  /** A node:tls client's sessions from one connection, and whether it resumed. */
  const sessions = async (port: number, session?: Buffer) => {
    const got: Buffer[] = [];
    const socket = opened.track(tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost', ...(session ? { session } : {}) }));
    socket.on('session', (s: Buffer) => got.push(s));
    socket.resume();
    await once(socket, 'close', 10_000);
    return { got, reused: socket.isSessionReused() };
  };
  const seen: Record<string, unknown> = {};
  for (const [name, port] of Object.entries(ports)) {
    const first = await sessions(port);
    const resumed = [];
    for (const ticket of first.got) {
      const again = await sessions(port, ticket);
      resumed.push({ reused: again.reused, newTickets: again.got.length });
    }
    seen[name] = { tickets: first.got.length, resumed };
  }
  assert.equal((seen['node:tls'] as { tickets: number }).tickets, 2);
  assert.deepEqual(seen['typetls'], seen['node:tls']);
});

test('getFinished()/getPeerFinished(): each side\'s verify_data, equal across a typetls and a node:tls end, both versions', async () => {
  for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    for (const serverLib of ['typetls', 'node:tls'] as const) {
      const accepted = deferred<tls.TLSSocket>();
      const options = { key, cert, maxVersion };
      const server = serverLib === 'typetls'
        ? (createServer(options, (s) => accepted.resolve(s as unknown as tls.TLSSocket)) as unknown as net.Server)
        : tls.createServer(options, (s) => accepted.resolve(s));
      const port = await opened.listen(server);
      const clientLib: Lib = serverLib === 'typetls' ? 'node:tls' : 'typetls';
      const client = opened.track(libConnect(clientLib, { port, host: '127.0.0.1', ca, servername: 'localhost', maxVersion }));
      await once(client, 'secureConnect', 10_000);
      const s = opened.track(await accepted.promise);
      const what = `${serverLib} server, ${maxVersion}`;
      assert.ok(Buffer.isBuffer(client.getFinished()), what);
      // 12 bytes in TLS 1.2; the suite's hash length in TLS 1.3.
      assert.ok(maxVersion === 'TLSv1.2' ? client.getFinished()!.length === 12 : [32, 48].includes(client.getFinished()!.length), what);
      assert.deepEqual(client.getFinished(), s.getPeerFinished(), what);
      assert.deepEqual(client.getPeerFinished(), s.getFinished(), what);
      assert.notDeepEqual(client.getFinished(), client.getPeerFinished(), what);
      client.destroy();
      await opened.closeServer(server);
    }
  }
  // Before a handshake there is none, as in node.
  assert.equal(new TLSSocket(null as never).getFinished(), undefined);
});

test('secureContext.context.addCACert(): a context made without the CA fails, the same context after addCACert connects, as node:tls', async () => {
  const server = createServer({ key, cert }, (s) => s.end());
  const port = await opened.listen(server as unknown as net.Server);
  const attempt = async (lib: Lib, context: tls.SecureContext) => {
    const socket = opened.track(libConnect(lib, { port, host: '127.0.0.1', servername: 'localhost', secureContext: context }));
    return new Promise<string>((resolve) => {
      socket.on('secureConnect', () => resolve(`authorized: ${socket.authorized}`));
      socket.on('error', (e: NodeJS.ErrnoException) => resolve(`${e.code}: ${e.message}`));
    });
  };
  const results: Record<string, string[]> = {};
  for (const lib of ['node:tls', 'typetls'] as const) {
    const create = lib === 'typetls' ? (createSecureContext as unknown as typeof tls.createSecureContext) : tls.createSecureContext;
    const context = create({});
    const before = await attempt(lib, context);
    (context.context as { addCACert(pem: string): void }).addCACert(ca);
    results[lib] = [before, await attempt(lib, context)];
  }
  assert.deepEqual(results['node:tls'], ['UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate', 'authorized: true']);
  assert.deepEqual(results['typetls'], results['node:tls']);
});

test('getPeerX509Certificate(): issuerCertificate walks the chain the peer sent, on both sides, as node:tls', async () => {
  const serials = (x: ReturnType<tls.TLSSocket['getPeerX509Certificate']>): string[] => {
    const out: string[] = [];
    for (let c = x; c !== undefined; c = c.issuerCertificate) out.push(c.serialNumber);
    return out;
  };
  const clientCert = read(pki.clientCert);
  const expected = (leaf: string): string[] => [new X509Certificate(leaf).serialNumber, new X509Certificate(ca).serialNumber];
  const seen: Record<string, { client: string[]; server: string[] }> = {};
  for (const lib of ['typetls', 'node:tls'] as const) {
    const options = { key, cert: `${cert}\n${ca}`, ca, requestCert: true };
    const server = lib === 'typetls' ? (createServer(options) as unknown as tls.Server) : tls.createServer(options);
    const port = await opened.listen(server as net.Server);
    const serverSide = once<tls.TLSSocket>(server, 'secureConnection');
    const client = opened.track(libConnect(lib, {
      port, host: '127.0.0.1', ca, servername: 'localhost', key: read(pki.clientKey), cert: `${clientCert}\n${ca}`,
    }));
    await once(client, 'secureConnect');
    const [s] = await serverSide;
    seen[lib] = { client: serials(client.getPeerX509Certificate()), server: serials(s!.getPeerX509Certificate()) };
    assert.equal(client.getX509Certificate()?.issuerCertificate, undefined);
    client.destroy();
    s!.destroy();
    await opened.closeServer(server as net.Server);
  }
  assert.deepEqual(seen['typetls'], { client: expected(cert), server: expected(clientCert) });
  assert.deepEqual(seen['typetls'], seen['node:tls']);
});

test('a server fed megabytes that are no TLS closes at once: the sender sees the connection reset, as from node:tls', async () => {
  const seen: Record<string, { error: boolean; hadError: boolean; tlsClientError: string }> = {};
  for (const lib of ['typetls', 'node:tls'] as const) {
    const server = lib === 'typetls' ? (createServer({ key, cert }) as unknown as tls.Server) : tls.createServer({ key, cert });
    const clientError = once<Error & { code: string }>(server, 'tlsClientError');
    const port = await opened.listen(server as net.Server);
    const raw = opened.track(net.connect({ host: '127.0.0.1', port }));
    let error = false;
    raw.on('error', () => (error = true));
    const closed = once<boolean>(raw, 'close', 10_000, { failOnError: false });
    raw.write(Buffer.alloc(2 * 1024 * 1024, 0x2a));
    const [err] = await clientError;
    const [hadError] = await closed;
    seen[lib] = { error, hadError: hadError!, tlsClientError: err!.code };
    await opened.closeServer(server as net.Server);
  }
  assert.deepEqual(seen['typetls'], { error: true, hadError: true, tlsClientError: 'ERR_SSL_WRONG_VERSION_NUMBER' });
  assert.deepEqual(seen['typetls'], seen['node:tls']);
});

test('a client\'s pskCallback is asked once the TCP connection is up, not inside connect(), as node:tls', async () => {
  const server = tls.createServer({ key, cert, pskCallback: () => Buffer.alloc(32, 1) }, (s) => s.end());
  const port = await opened.listen(server);
  const order = async (lib: Lib) => {
    const events: string[] = [];
    const socket: tls.TLSSocket = opened.track(libConnect(lib, {
      port, host: '127.0.0.1', rejectUnauthorized: false,
      pskCallback: () => {
        events.push(`pskCallback, connecting: ${socket.connecting}`);
        return { psk: Buffer.alloc(32, 1), identity: 'client' };
      },
    }));
    events.push('connect() returned');
    socket.on('error', () => {});
    await once(socket, 'close', 10_000, { failOnError: false });
    return events.slice(0, 2);
  };
  const node = await order('node:tls');
  assert.deepEqual(node, ['connect() returned', 'pskCallback, connecting: false']);
  assert.deepEqual(await order('typetls'), node);
});

test('an IP address as servername: DEP0123 once per process, worded as node:tls words it', async () => {
  const warnings: { lib: string; name: string; code: string | undefined; message: string }[] = [];
  let lib = '';
  const onWarning = (w: Error & { code?: string }): void => {
    if (w.name === 'DeprecationWarning') warnings.push({ lib, name: w.name, code: w.code, message: w.message });
  };
  process.on('warning', onWarning);
  try {
    const server = createServer({ key, cert }, (s) => s.end());
    const port = await opened.listen(server);
    for (lib of ['node:tls', 'typetls']) {
      for (let i = 0; i < 2; i++) {
        const client = opened.track(libConnect(lib as Lib, { port, host: '127.0.0.1', servername: '127.0.0.1', rejectUnauthorized: false }));
        await once(client, 'secureConnect');
        client.destroy();
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await opened.closeServer(server);
  } finally {
    process.removeListener('warning', onWarning);
  }
  assert.equal(warnings.length, 2, JSON.stringify(warnings));
  assert.deepEqual(warnings.map((w) => w.lib), ['node:tls', 'typetls']);
  assert.deepEqual({ ...warnings[1], lib: '' }, { ...warnings[0], lib: '' });
  assert.equal(warnings[1]!.code, 'DEP0123');
});
