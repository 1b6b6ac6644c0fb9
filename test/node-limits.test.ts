// The node:tls-compatible API against slow and stalled peers, over real sockets on 127.0.0.1
// (issue 7.1): a server's handshakeTimeout against a client that drips a valid ClientHello one
// byte at a time; a server whose application stops reading while its client writes 8 MiB; and a
// client's connect({ timeout }) against a server that accepts and says nothing, side by side
// with node:tls.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, test } from 'node:test';
import * as tls from 'node:tls';

import { ClientConnection } from '../src/connection.js';
import { connect, createServer, type TLSSocket } from '../src/index.js';
import { collect, once, Opened } from './node-sockets.js';
import { makeClientConfig, testKeys, type TestKeys } from './pair.js';

let k: TestKeys;
let ca: string;
const read = (f: string): string => readFileSync(f, 'utf8');
const MiB = 1024 * 1024;

/** Everything a test opened, closed in `after` whatever happened. */
const opened = new Opened();

before(async () => {
  k = await testKeys();
  ca = read(k.pki.caCert);
});
after(() => opened.closeAll());

const serverOptions = () => ({ cert: read(k.pki.rsaCert), key: read(k.pki.rsaKey) });

/** The next `event`; an 'error' on the way is left to the emitter's own listeners (a dripping peer is reset). */
const waitFor = <T = unknown>(emitter: NodeJS.EventEmitter, event: string, timeoutMs?: number): Promise<T[]> =>
  once<T>(emitter, event, timeoutMs, { failOnError: false });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

/** A client that is served: the handshake completes and the server's reply arrives. */
async function servedClient(port: number): Promise<void> {
  const client = opened.track(connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }));
  const body = collect(client);
  await waitFor(client, 'secureConnect');
  assert.equal((await body).toString(), 'served');
  client.destroy();
}

test('handshakeTimeout: a client dripping a valid ClientHello a byte every 50 ms gets tlsClientError ERR_TLS_HANDSHAKE_TIMEOUT at the deadline; the next client is served', async (t) => {
  const HANDSHAKE_TIMEOUT = 1000;
  const server = createServer({ ...serverOptions(), handshakeTimeout: HANDSHAKE_TIMEOUT }, (s) => opened.track(s).end('served'));
  const port = await opened.listen(server);
  const clientErrors: { err: Error & { code?: string }; at: number }[] = [];
  server.on('tlsClientError', (err: Error & { code?: string }) => clientErrors.push({ err, at: Date.now() }));

  // A real ClientHello (typetls' own first flight), far longer than the deadline lets through.
  const hello = new ClientConnection(makeClientConfig(k), { serverName: 'localhost' }).takeOutput();
  assert.equal(hello[0], 22, 'a handshake record');
  assert.ok(hello.length > 40, `ClientHello of ${hello.length} bytes`);

  const drip = opened.track(net.connect({ host: '127.0.0.1', port }));
  drip.on('error', () => {});
  const received: Buffer[] = [];
  drip.on('data', (c: Buffer) => received.push(c));
  await waitFor(drip, 'connect');
  const started = Date.now();
  let sent = 0;
  const interval = setInterval(() => {
    if (drip.destroyed || !drip.writable || sent >= hello.length) return;
    drip.write(hello.subarray(sent, sent + 1));
    sent++;
  }, 50);
  opened.timers.add(interval);
  await waitFor(drip, 'close', 5000);
  const closedAt = Date.now();
  clearInterval(interval);
  opened.timers.delete(interval);

  assert.equal(clientErrors.length, 1, 'one tlsClientError');
  const [{ err, at }] = clientErrors as [(typeof clientErrors)[0]];
  assert.equal(err.code, 'ERR_TLS_HANDSHAKE_TIMEOUT');
  // The deadline runs from accept and the drip does not push it back (a byte every 50 ms would
  // keep an idle timer of 300 ms from ever firing).
  assert.ok(at - started >= HANDSHAKE_TIMEOUT - 20, `tlsClientError after ${at - started} ms, before the deadline`);
  assert.ok(at - started < HANDSHAKE_TIMEOUT + 1500, `tlsClientError after ${at - started} ms, long past the deadline`);
  assert.ok(sent >= 3 && sent < hello.length, `${sent} of ${hello.length} bytes dripped when the server gave up`);
  assert.ok(closedAt >= at - 5, 'the connection closed when the deadline passed');
  // Nothing was sent back: the server had no handshake to answer (node sends no alert either).
  assert.equal(Buffer.concat(received).length, 0, `the server wrote ${Buffer.concat(received).toString('hex')}`);

  t.diagnostic(`tlsClientError ${err.code} after ${at - started} ms, ${sent} of ${hello.length} ClientHello bytes dripped`);
  await servedClient(port);
  assert.equal(clientErrors.length, 1, 'the served client is no tlsClientError');
  await opened.closeServer(server);
});

test('server backpressure: an application that stops reading while its client writes 8 MiB keeps a bounded buffer, pauses the transport, and gets every byte once it reads', async (t) => {
  const payload = randomBytes(8 * MiB);
  let accepted: TLSSocket | undefined;
  const server = createServer(serverOptions(), (socket) => {
    // The application takes the connection and does not read (no 'data' listener, no resume()).
    accepted = opened.track(socket);
  });
  const port = await opened.listen(server);
  const client = opened.track(connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }));
  await waitFor(client, 'secureConnect');
  let clientWrote = false;
  client.end(payload, () => (clientWrote = true));
  await until(() => accepted !== undefined, 'the server accepted');
  const socket = accepted!;

  // Our buffer fills to its high-water mark, then the TCP socket must stop.
  await until(() => socket.transport.isPaused(), 'the server transport is paused');
  const highWaterMark = socket.readableHighWaterMark;
  // Let whatever was in flight land; nothing more may be taken in while nobody reads.
  await sleep(300);
  assert.equal(socket.transport.isPaused(), true, 'the transport stays paused while the application does not read');
  const buffered = socket.readableLength;
  const bytesRead = (socket.transport as net.Socket).bytesRead;
  assert.ok(buffered >= highWaterMark, `buffered ${buffered}: filled to the high-water mark first`);
  // One TCP read (up to 64 KiB of records) is decrypted whole, so the buffer may pass the mark by
  // that much: a few high-water marks, not the 8 MiB the client is writing.
  assert.ok(buffered <= highWaterMark + 64 * 1024 + 16 * 1024, `buffered ${buffered} bytes with a high-water mark of ${highWaterMark}`);
  await sleep(200);
  assert.equal(socket.readableLength, buffered, 'the buffer does not grow while paused');
  assert.equal((socket.transport as net.Socket).bytesRead, bytesRead, 'no more bytes are read from the kernel while paused');
  assert.equal(clientWrote, false, 'the client is held back: its 8 MiB are not all written');
  t.diagnostic(`paused with ${buffered} bytes buffered (high-water mark ${highWaterMark}), ${bytesRead} bytes read from the kernel of the ${payload.length}`);

  // The application reads again: every byte arrives, in order.
  const got = await collect(socket);
  assert.equal(got.length, payload.length, `${got.length} bytes instead of ${payload.length}`);
  assert.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(payload).digest('hex'), 'same bytes');
  await until(() => clientWrote, 'the client finished writing');
  client.destroy();
  await opened.closeServer(server);
});

test("client connect({ timeout }) against a server that says nothing: 'timeout', and the socket is left to the application — as node:tls does", async (t) => {
  const TIMEOUT = 200;
  const accepted: net.Socket[] = [];
  const silent = net.createServer((s) => {
    accepted.push(opened.track(s));
    s.on('error', () => {});
    s.resume(); // reads the ClientHello, answers nothing
  });
  const port = await opened.listen(silent);

  /** What a client socket emits, in order, with the time of 'timeout' from the start. */
  async function observe(make: () => tls.TLSSocket | TLSSocket): Promise<{ events: string[]; timeoutAfter: number; destroyedAfterTimeout: boolean; peerOpen: boolean }> {
    const before = accepted.length;
    const started = Date.now();
    const socket = opened.track(make() as Duplex & { destroyed: boolean });
    const events: string[] = [];
    let timeoutAt = 0;
    for (const name of ['secureConnect', 'timeout', 'error', 'end', 'close']) {
      socket.on(name, (e?: Error & { code?: string }) => {
        events.push(name === 'error' ? `error ${e?.code}` : name);
        if (name === 'timeout' && timeoutAt === 0) timeoutAt = Date.now();
      });
    }
    await waitFor(socket, 'timeout', 5000);
    // Well past the timeout: node neither destroys the socket nor fails it; the application decides.
    await sleep(3 * TIMEOUT);
    const destroyedAfterTimeout = socket.destroyed;
    const peer = accepted[before];
    const peerOpen = peer !== undefined && !peer.destroyed && peer.readable;
    socket.destroy();
    await waitFor(socket, 'close', 2000).catch(() => undefined);
    return { events, timeoutAfter: timeoutAt - started, destroyedAfterTimeout, peerOpen };
  }

  const node = await observe(() => tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost', timeout: TIMEOUT }));
  const ours = await observe(() => connect({ host: '127.0.0.1', port, ca, servername: 'localhost', timeout: TIMEOUT }));

  t.diagnostic(`node:tls ${JSON.stringify(node)}; typetls ${JSON.stringify(ours)}`);
  assert.deepEqual(node.events, ['timeout', 'close'], 'node:tls: one timeout, then only the close the application asked for');
  assert.deepEqual(ours.events, node.events, 'typetls emits what node:tls emits');
  assert.equal(node.destroyedAfterTimeout, false);
  assert.equal(ours.destroyedAfterTimeout, false, 'typetls leaves the socket open after timeout, as node:tls');
  assert.equal(node.peerOpen, true);
  assert.equal(ours.peerOpen, true, 'the server still has the connection after the timeout');
  for (const r of [node, ours]) assert.ok(r.timeoutAfter >= TIMEOUT - 20 && r.timeoutAfter < TIMEOUT + 1500, `timeout after ${r.timeoutAfter} ms`);
  await opened.closeServer(silent);
});
