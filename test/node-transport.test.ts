// The TCP sockets under typetls's TLSSockets, read through net.Socket's onread (src/node/transport.ts):
// what a program sees of them must be what it sees of node:tls's. Real sockets on 127.0.0.1.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { TLSSocket, connect, createServer } from '../src/index.js';
import { makeTestPki } from './certs/make.js';
import { collect, once, Opened } from './node-sockets.js';

let ca: string;
let cert: string;
let key: string;
const opened = new Opened();

before(async () => {
  const pki = await makeTestPki();
  ca = readFileSync(pki.caCert, 'utf8');
  cert = readFileSync(pki.rsaCert, 'utf8');
  key = readFileSync(pki.rsaKey, 'utf8');
});
after(() => opened.closeAll());

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const connections = (server: net.Server): Promise<number> =>
  new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));

/** Bytes that say where they are: byte i of the stream is (i * 7 + seed) & 0xff. */
function pattern(length: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

test("a server's accepted socket: 'connection' gets the socket under the TLSSocket; getConnections() counts it and close() waits for it", async () => {
  const server = createServer({ key, cert });
  const raw: net.Socket[] = [];
  server.on('connection', (s: net.Socket) => raw.push(s));
  const secure = once<TLSSocket>(server, 'secureConnection');
  const port = await opened.listen(server);
  const client = opened.track(tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }));
  await once(client, 'secureConnect');
  const [s] = await secure;
  assert.equal(raw.length, 1);
  assert.equal(s!.transport, raw[0]);
  assert.equal(s!.remoteAddress, '127.0.0.1');
  assert.equal(s!.remotePort, client.localPort);
  assert.equal(raw[0]!.bytesRead, s!.bytesRead);
  assert.ok(s!.bytesRead > 0, 'the ClientHello and Finished were read');
  assert.equal(await connections(server), 1);
  const serverClosed = once(server, 'close');
  server.close();
  client.end();
  await serverClosed;
  assert.equal(await connections(server), 0);
  opened.servers.delete(server);
});

test('two connections read at once through the shared read buffer: each gets its own bytes, whole and in order', async () => {
  const server = createServer({ key, cert }, (s) => {
    // An echo: each read of a connection goes back to it.
    s.pipe(s);
  });
  const port = await opened.listen(server);
  const size = 3 * 1024 * 1024 + 17;
  const run = async (seed: number): Promise<void> => {
    const client = opened.track(connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }));
    await once(client, 'secureConnect');
    const sent = pattern(size, seed);
    const received = collect(client);
    // In pieces of odd sizes, so that records and reads fall everywhere.
    for (let at = 0; at < size; at += 40_001) client.write(sent.subarray(at, Math.min(size, at + 40_001)));
    client.end();
    assert.ok((await received).equals(sent), `connection ${seed} got its own bytes back`);
  };
  await Promise.all([run(1), run(2), run(3)]);
});

/**
 * Waits until `writer` has stopped getting its bytes out (its buffer holds some and the count
 * `progress()` gives stays the same over several turns of the event loop with the reader paused),
 * or until it has written everything; true in the first case.
 */
async function stalled(writer: { writableLength: number; writableFinished: boolean }, progress: () => number): Promise<boolean> {
  let last = -1;
  let still = 0;
  while (!writer.writableFinished) {
    const now = progress();
    still = now === last && writer.writableLength > 0 ? still + 1 : 0;
    if (still >= 20) return true;
    last = now;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

test('a paused server TLSSocket stops reading its transport: the client is held back, and every byte arrives on resume()', async () => {
  const total = 48 * 1024 * 1024;
  const serverSide = deferred<TLSSocket>();
  const server = createServer({ key, cert }, (s) => {
    s.pause();
    serverSide.resolve(s);
  });
  const port = await opened.listen(server);
  const client = opened.track(tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }));
  await once(client, 'secureConnect');
  const s = await serverSide.promise;
  const sent = pattern(total, 5);
  for (let at = 0; at < total; at += 1 << 20) client.write(sent.subarray(at, at + (1 << 20)));
  client.end();
  assert.ok(await stalled(client, () => s.bytesRead), 'the client could write everything while the server read nothing');
  assert.ok(s.bytesRead < total / 2, `the paused server read ${s.bytesRead} of ${total} bytes`);
  assert.ok(s.readableLength <= 256 * 1024, `the paused server buffered ${s.readableLength} bytes`);
  const received = collect(s);
  s.resume();
  assert.ok((await received).equals(sent));
});

test("a paused client TLSSocket from connect() stops reading its transport the same way", async () => {
  const total = 48 * 1024 * 1024;
  const sent = pattern(total, 9);
  const serverSide = deferred<tls.TLSSocket>();
  const server = tls.createServer({ key, cert }, (s) => serverSide.resolve(s));
  const port = await opened.listen(server);
  const client = opened.track(connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }));
  await once(client, 'secureConnect');
  client.pause();
  const s = await serverSide.promise;
  for (let at = 0; at < total; at += 1 << 20) s.write(sent.subarray(at, at + (1 << 20)));
  s.end();
  assert.ok(await stalled(s, () => client.bytesRead), 'the server could write everything while the client read nothing');
  assert.ok(client.bytesRead < total / 2, `the paused client read ${client.bytesRead} of ${total} bytes`);
  const received = collect(client);
  client.resume();
  assert.ok((await received).equals(sent));
});

test("half open: the client's end reaches an allowHalfOpen server as 'end', which still writes; setTimeout() fires on an idle socket", async () => {
  const server = createServer({ key, cert, allowHalfOpen: true }, async (s) => {
    s.setTimeout(1);
    await once(s, 'timeout');
    s.setTimeout(0);
    const request = collect(s);
    s.write('timed out; ');
    s.end(`got ${(await request).length} bytes`);
  });
  const port = await opened.listen(server);
  const client = opened.track(connect({ port, host: '127.0.0.1', ca, servername: 'localhost', allowHalfOpen: true } as never));
  await once(client, 'secureConnect');
  const reply = collect(client);
  // The request goes once the server's socket has been idle long enough for its timeout.
  await once(client, 'data');
  client.end(pattern(100_000, 3));
  assert.equal((await reply).toString(), 'timed out; got 100000 bytes');
});

test('pauseOnConnect: the handshake runs, the TLSSocket starts paused, and what the client sent comes on resume()', async () => {
  const serverSide = deferred<TLSSocket>();
  const server = createServer({ key, cert, pauseOnConnect: true } as never, (s) => serverSide.resolve(s));
  const port = await opened.listen(server);
  const client = opened.track(connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }));
  await once(client, 'secureConnect');
  const s = await serverSide.promise;
  assert.equal(s.isPaused(), true);
  client.end('sent while paused');
  const received = collect(s);
  s.resume();
  assert.equal((await received).toString(), 'sent while paused');
});

test("a TLSSocket over a net.Socket the program connected takes its reads over, as node:tls's TLSWrap takes its handle", async () => {
  const server = createServer({ key, cert }, (s) => s.end('over your socket'));
  const port = await opened.listen(server);
  // Handed over while still connecting, and once connected.
  for (const connected of [false, true]) {
    const raw = opened.track(net.connect(port, '127.0.0.1'));
    if (connected) await once(raw, 'connect');
    const client = opened.track(new TLSSocket(raw, { ca, servername: 'localhost', rejectUnauthorized: true } as never));
    client._start();
    assert.equal(raw.listenerCount('data'), 0, 'nothing reads the socket through its data events');
    assert.equal((await collect(client)).toString(), 'over your socket');
    assert.ok(raw.bytesRead > 0 && client.bytesRead === raw.bytesRead, 'its reads are counted as its own');
  }
});

test('a net.Socket the program still listens to is read through its data events, which both get', async () => {
  const server = createServer({ key, cert }, (s) => s.end('over your socket'));
  const port = await opened.listen(server);
  const raw = opened.track(net.connect(port, '127.0.0.1'));
  let seen = 0;
  raw.on('data', (d: Buffer) => (seen += d.length));
  await once(raw, 'connect');
  const client = opened.track(new TLSSocket(raw, { ca, servername: 'localhost', rejectUnauthorized: true } as never));
  client._start();
  assert.equal(raw.listenerCount('data'), 2);
  assert.equal((await collect(client)).toString(), 'over your socket');
  assert.equal(seen, raw.bytesRead);
});

test("a client over a net.Socket of the program's: back-pressure, 'drain', callbacks in order after write() returns, bytesWritten, end", async () => {
  const server = createServer({ key, cert }, (s) => s.pipe(s));
  const port = await opened.listen(server);
  const raw = opened.track(net.connect(port, '127.0.0.1'));
  const client = opened.track(connect({ socket: raw, ca, servername: 'localhost' }));
  await once(client, 'secureConnect');
  const size = 4 * 1024 * 1024 + 5;
  const sent = pattern(size, 11);
  const received = collect(client);
  const called: number[] = [];
  let drains = 0;
  client.on('drain', () => drains++);
  let full = 0;
  for (let at = 0, n = 0; at < size; at += 70_001, n++) {
    let returned = false;
    const i = n;
    const ok = client.write(sent.subarray(at, Math.min(size, at + 70_001)), (err) => {
      assert.ifError(err);
      assert.ok(returned, 'the callback comes after write() returned');
      called.push(i);
    });
    returned = true;
    if (!ok) {
      full++;
      await once(client, 'drain');
    }
  }
  client.end();
  assert.ok((await received).equals(sent), 'every byte came back, in order');
  assert.deepEqual(called, [...called.keys()], 'each write called back, in order');
  assert.ok(full > 0 && drains === full, `write() said false ${full} times and 'drain' came ${drains} times`);
  assert.equal(client.bytesWritten, raw.bytesWritten);
  assert.ok(raw.bytesWritten > size, 'the records went out');
});

test("a client over a net.Socket of the program's: a peer that resets the connection fails the socket with the error, and 'close' says so", async () => {
  const server = createServer({ key, cert }, (s) => s.once('data', () => (s.transport as net.Socket).resetAndDestroy()));
  const port = await opened.listen(server);
  const raw = opened.track(net.connect(port, '127.0.0.1'));
  const client = opened.track(connect({ socket: raw, ca, servername: 'localhost' }));
  await once(client, 'secureConnect');
  const failed = once<Error & { code?: string }>(client, 'error', 60_000);
  const closed = once<boolean>(client, 'close', 60_000, { failOnError: false });
  const chunk = Buffer.alloc(64 * 1024, 1);
  // Writing on until the socket fails: the reset reaches the reader or a write, either first.
  const writeOn = (): void => {
    while (!client.destroyed && client.write(chunk));
    if (!client.destroyed) client.once('drain', writeOn);
  };
  writeOn();
  const [err] = await failed;
  assert.ok(['ECONNRESET', 'EPIPE'].includes(err.code ?? ''), `${err.code}: ${err.message}`);
  assert.deepEqual(await closed, [true]);
});
