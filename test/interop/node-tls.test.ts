// node:tls (Node's OpenSSL) against typetls, both directions, in this process on 127.0.0.1.
//
// Each data cell moves a different 1 MiB each way and compares both byte for byte; every cell checks that the
// two sides report the same version and suite (and ALPN protocol, client certificate, key-log lines where
// the cell is about them).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as nodeTls from 'node:tls';

import { connect, createServer } from '../../src/node/api.js';
import { makeTestPki, type TestPki } from '../certs/make.js';
import {
  MiB,
  describeDifference,
  errorCode,
  exchange,
  randomBlob,
  stopAllPeers,
  type ClientOptions,
  type DuplexLike,
  type ServerOptions,
} from './peers.js';

/** The few things read from a TLS socket, ours or node's. */
interface Reported {
  getProtocol(): string | null;
  getCipher(): { name: string; standardName: string; version: string };
  alpnProtocol: string | false | null;
  authorized: boolean;
  getPeerCertificate(): { subject?: { CN?: string | string[] } } | object;
}

interface Side {
  protocol: string | null;
  standardName: string | undefined;
  alpn: string | false | null;
  peerCn: string | undefined;
  authorized: boolean;
}

const report = (s: Reported): Side => {
  const peer = s.getPeerCertificate() as { subject?: { CN?: string | string[] } } | undefined;
  const cn = peer?.subject?.CN;
  return {
    protocol: s.getProtocol(),
    standardName: s.getCipher()?.standardName,
    alpn: s.alpnProtocol,
    peerCn: Array.isArray(cn) ? cn.join(',') : cn,
    authorized: s.authorized,
  };
};

let pki: TestPki;
let caPem: Buffer;

before(async () => {
  pki = await makeTestPki();
  caPem = readFileSync(pki.caCert);
});
after(stopAllPeers);

const rsa = (): { cert: Buffer; key: Buffer } => ({ cert: readFileSync(pki.rsaCert), key: readFileSync(pki.rsaKey) });
const client = (): { cert: Buffer; key: Buffer } => ({ cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) });

interface ServerRun {
  readonly port: number;
  /** Resolves with the server side's report and what it received, once its connection closed. */
  readonly done: Promise<{ side: Side; received: Buffer }>;
  readonly keylog: string[];
  readonly clientErrors: Error[];
  close(): Promise<void>;
}

interface AnyServer {
  listen(port: number, host: string, cb: () => void): unknown;
  address(): unknown;
  close(cb: () => void): unknown;
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (err: Error) => void): unknown;
}

/**
 * Runs a server (ours or node's) that, for its first secure connection, sends `outgoing`, reads `expected`
 * bytes, then ends; `make` builds it around the connection listener.
 */
async function runServer(
  make: (listener: (socket: DuplexLike & Reported) => void) => AnyServer,
  outgoing: Uint8Array,
  expected: number,
): Promise<ServerRun> {
  const keylog: string[] = [];
  const clientErrors: Error[] = [];
  const sockets = new Set<DuplexLike & Reported & { destroy(): unknown }>();
  let settle!: (v: { side: Side; received: Buffer }) => void;
  let fail!: (e: Error) => void;
  const done = new Promise<{ side: Side; received: Buffer }>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  done.catch(() => {});
  const server = make((socket) => {
    sockets.add(socket as DuplexLike & Reported & { destroy(): unknown });
    const side = report(socket);
    exchange(socket, outgoing, expected).then((received) => settle({ side, received }), fail);
  });
  server.on('keylog', (line: Buffer) => keylog.push(line.toString('latin1').trim()));
  server.on('tlsClientError', (err: Error) => clientErrors.push(err));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    done,
    keylog,
    clientErrors,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const ourServer = (options: ServerOptions) => (listener: (socket: DuplexLike & Reported) => void): AnyServer =>
  createServer(options, listener as never) as unknown as AnyServer;
const nodeServer = (options: ServerOptions) => (listener: (socket: DuplexLike & Reported) => void): AnyServer =>
  nodeTls.createServer(options, listener as never) as unknown as AnyServer;

type ConnectFn = (options: ClientOptions, cb: () => void) => DuplexLike & Reported & {
  destroy(): unknown;
  on(event: 'keylog', listener: (line: Buffer) => void): unknown;
};
const ourConnect = connect as unknown as ConnectFn;
const nodeConnect = nodeTls.connect as unknown as ConnectFn;

/** Connects, then sends `outgoing` and reads `expected` bytes; resolves with the client's report and data. */
function runClient(
  connectFn: ConnectFn,
  options: ClientOptions,
  outgoing: Uint8Array,
  expected: number,
  keylog: string[] = [],
): Promise<{ side: Side; received: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = connectFn(options, () => {
      const side = report(socket);
      exchange(socket, outgoing, expected).then((received) => resolve({ side, received }), reject);
    });
    socket.on('keylog', (line: Buffer) => keylog.push(line.toString('latin1').trim()));
    socket.once('error', reject);
  });
}

interface Pair {
  server: { side: Side; received: Buffer };
  client: { side: Side; received: Buffer };
  serverKeylog: string[];
  clientKeylog: string[];
}

/** One full cell: a server, a client, 1 MiB (or `size`) each way; returns both reports. */
async function pair(
  make: (listener: (socket: DuplexLike & Reported) => void) => AnyServer,
  connectFn: ConnectFn,
  clientOptions: Omit<ClientOptions, 'host' | 'port'>,
  size = MiB,
): Promise<Pair> {
  const fromServer = randomBlob(size);
  const fromClient = randomBlob(size);
  const server = await runServer(make, fromServer, size);
  try {
    const clientKeylog: string[] = [];
    const c = await runClient(connectFn, { host: '127.0.0.1', port: server.port, ...clientOptions }, fromClient, size, clientKeylog);
    const s = await server.done;
    assert.equal(describeDifference(c.received, fromServer), undefined, 'what the client received');
    assert.equal(describeDifference(s.received, fromClient), undefined, 'what the server received');
    assert.equal(c.side.protocol, s.side.protocol, 'both sides report the same version');
    assert.equal(c.side.standardName, s.side.standardName, 'both sides report the same suite');
    return { server: s, client: c, serverKeylog: server.keylog, clientKeylog };
  } finally {
    await server.close();
  }
}

const trust = (): Omit<ClientOptions, 'host' | 'port'> => ({ servername: 'localhost', ca: caPem });

// ---------- our client, node:tls server ----------

test('node:tls server <- typetls client: TLS 1.2 (server maxVersion), 1 MiB both ways', { timeout: 20_000 }, async () => {
  const r = await pair(nodeServer({ ...rsa(), maxVersion: 'TLSv1.2' }), ourConnect, trust());
  assert.equal(r.client.side.protocol, 'TLSv1.2');
  assert.equal(r.client.side.authorized, true);
  assert.equal(r.client.side.peerCn, 'localhost');
});

test('node:tls server <- typetls client: default versions, 1 MiB both ways', { timeout: 20_000 }, async () => {
  const r = await pair(nodeServer(rsa()), ourConnect, trust());
  assert.match(r.client.side.protocol ?? '', /^TLSv1\.[23]$/);
  assert.equal(r.client.side.authorized, true);
});

test('node:tls server <- typetls client: client certificate requested and verified', { timeout: 20_000 }, async () => {
  const r = await pair(
    nodeServer({ ...rsa(), maxVersion: 'TLSv1.2', ca: caPem, requestCert: true, rejectUnauthorized: true }),
    ourConnect,
    { ...trust(), ...client() },
    64 * 1024,
  );
  assert.equal(r.server.side.peerCn, 'Test Client');
  assert.equal(r.server.side.authorized, true);
});

test('node:tls server <- typetls client: ALPN h2,http/1.1 offered, http/1.1 chosen', { timeout: 20_000 }, async () => {
  const r = await pair(
    nodeServer({ ...rsa(), maxVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'] }),
    ourConnect,
    { ...trust(), ALPNProtocols: ['h2', 'http/1.1'] },
    1024,
  );
  assert.equal(r.server.side.alpn, 'http/1.1');
  assert.equal(r.client.side.alpn, 'http/1.1');
});

test('node:tls server <- typetls client: keylog line equals the server\'s (TLS 1.2)', { timeout: 20_000 }, async () => {
  const r = await pair(nodeServer({ ...rsa(), maxVersion: 'TLSv1.2' }), ourConnect, trust(), 1024);
  assert.equal(r.client.side.protocol, 'TLSv1.2');
  assert.ok(r.clientKeylog.length >= 1, 'our client emitted keylog');
  assert.match(r.clientKeylog[0]!, /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/i);
  assert.deepEqual(r.clientKeylog.map((l) => l.toLowerCase()), r.serverKeylog.map((l) => l.toLowerCase()));
});

// ---------- node:tls client, our server ----------

test('node:tls client -> typetls server: TLS 1.2 (client maxVersion), 1 MiB both ways', { timeout: 20_000 }, async () => {
  const r = await pair(ourServer(rsa()), nodeConnect, { ...trust(), maxVersion: 'TLSv1.2' });
  assert.equal(r.server.side.protocol, 'TLSv1.2');
  assert.equal(r.client.side.authorized, true);
});

test('node:tls client -> typetls server: default versions, 1 MiB both ways', { timeout: 20_000 }, async () => {
  const r = await pair(ourServer(rsa()), nodeConnect, trust());
  assert.match(r.server.side.protocol ?? '', /^TLSv1\.[23]$/);
  assert.equal(r.client.side.authorized, true);
});

test('node:tls client -> typetls server: client certificate required and verified', { timeout: 20_000 }, async () => {
  const r = await pair(
    ourServer({ ...rsa(), ca: caPem, requestCert: true, rejectUnauthorized: true }),
    nodeConnect,
    { ...trust(), ...client(), maxVersion: 'TLSv1.2' },
    64 * 1024,
  );
  assert.equal(r.server.side.peerCn, 'Test Client');
  assert.equal(r.server.side.authorized, true);
});

test('node:tls client -> typetls server: missing client certificate refused, server keeps serving', { timeout: 20_000 }, async () => {
  const server = await runServer(ourServer({ ...rsa(), ca: caPem, requestCert: true, rejectUnauthorized: true }), Buffer.from('x'), 1);
  try {
    const err = await new Promise<Error>((resolve, reject) => {
      const socket = nodeTls.connect({ host: '127.0.0.1', port: server.port, ...trust(), maxVersion: 'TLSv1.2' }, () => {
        socket.destroy();
        reject(new Error('handshake without a client certificate succeeded'));
      });
      socket.once('error', resolve);
    });
    assert.ok(errorCode(err), `an error with a code: ${err.message}`);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(server.clientErrors.length >= 1, 'tlsClientError emitted');
    const ok = await runClient(nodeConnect, { host: '127.0.0.1', port: server.port, ...trust(), ...client(), maxVersion: 'TLSv1.2' }, Buffer.from('y'), 1);
    assert.equal(ok.received.toString(), 'x');
  } finally {
    await server.close();
  }
});

test('node:tls client -> typetls server: ALPN h2,http/1.1 offered, http/1.1 chosen', { timeout: 20_000 }, async () => {
  const r = await pair(
    ourServer({ ...rsa(), ALPNProtocols: ['http/1.1'] }),
    nodeConnect,
    { ...trust(), maxVersion: 'TLSv1.2', ALPNProtocols: ['h2', 'http/1.1'] },
    1024,
  );
  assert.equal(r.server.side.alpn, 'http/1.1');
  assert.equal(r.client.side.alpn, 'http/1.1');
});

test('node:tls client -> typetls server: keylog line equals the client\'s (TLS 1.2)', { timeout: 20_000 }, async () => {
  const r = await pair(ourServer(rsa()), nodeConnect, { ...trust(), maxVersion: 'TLSv1.2' }, 1024);
  assert.ok(r.serverKeylog.length >= 1, 'our server emitted keylog');
  assert.match(r.serverKeylog[0]!, /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/i);
  assert.deepEqual(r.serverKeylog.map((l) => l.toLowerCase()), r.clientKeylog.map((l) => l.toLowerCase()));
});
