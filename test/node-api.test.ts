// The node:tls-compatible API end to end, over real sockets on 127.0.0.1: typetls ↔ typetls,
// typetls ↔ node:tls (1 MiB each way), STARTTLS over an open socket and over an in-memory
// pair, https through both servers, certificate failures, and a server fed garbage.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';

import {
  DEFAULT_MAX_VERSION,
  DEFAULT_MIN_VERSION,
  SecureContext,
  Server,
  TLSSocket,
  connect,
  createHttpsServer,
  createSecureContext,
  createServer,
  getCiphers,
  rootCertificates,
  verifyCertificateChain,
} from '../src/index.js';
import { makeTestPki, type TestPki } from './certs/make.js';
import { collect, once, Opened } from './node-sockets.js';

let pki: TestPki;
let ca: string;
const read = (f: string): string => readFileSync(f, 'utf8');
const MiB = 1024 * 1024;

/** Everything opened by a test, closed in `after` whatever happened. */
const opened = new Opened();

before(async () => {
  pki = await makeTestPki();
  ca = read(pki.caCert);
});
after(() => opened.closeAll());

function sameBytes(actual: Buffer, expected: Buffer, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} bytes instead of ${expected.length}`);
  assert.ok(actual.equals(expected), `${what}: same length, different bytes`);
}

const rsaServerOptions = () => ({ cert: read(pki.rsaCert), key: read(pki.rsaKey) });

test('package exports: constants, ciphers, roots', () => {
  assert.equal(DEFAULT_MIN_VERSION, 'TLSv1.2');
  assert.equal(DEFAULT_MAX_VERSION, 'TLSv1.3');
  assert.ok(getCiphers().includes('ecdhe-rsa-aes128-gcm-sha256'));
  assert.ok(getCiphers().includes('aes256-gcm-sha384'));
  assert.ok(getCiphers().every((c) => c === c.toLowerCase()));
  assert.equal(rootCertificates, tls.rootCertificates);
  assert.ok(createSecureContext({ ca }) instanceof SecureContext);
});

test('verifyCertificateChain from the package root uses node:crypto', async () => {
  const ok = await verifyCertificateChain({ leaf: read(pki.rsaCert), roots: ca, hostname: 'localhost' });
  assert.equal(ok.ok, true);
  const bad = await verifyCertificateChain({ leaf: read(pki.unknownCert), roots: ca });
  assert.equal(bad.ok, false);
});

const cells = [
  { cipher: 'ECDHE-RSA-AES128-GCM-SHA256', standard: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', cert: 'rsa', version: 'TLSv1.2' },
  { cipher: 'AES256-GCM-SHA384', standard: 'TLS_RSA_WITH_AES_256_GCM_SHA384', cert: 'rsa', version: 'TLSv1.2' },
  { cipher: 'ECDHE-ECDSA-AES256-GCM-SHA384', standard: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', cert: 'ecdsa', version: 'TLSv1.2' },
  { cipher: 'TLS_AES_256_GCM_SHA384', standard: 'TLS_AES_256_GCM_SHA384', cert: 'rsa', version: 'TLSv1.3' },
  { cipher: 'TLS_CHACHA20_POLY1305_SHA256', standard: 'TLS_CHACHA20_POLY1305_SHA256', cert: 'ecdsa', version: 'TLSv1.3' },
] as const;

for (const cell of cells) {
  test(`typetls client ↔ typetls server: ${cell.version} ${cell.cipher}`, async () => {
    const serverLines: Buffer[] = [];
    const server = createServer({
      cert: read(cell.cert === 'rsa' ? pki.rsaCert : pki.ecdsaCert),
      key: read(cell.cert === 'rsa' ? pki.rsaKey : pki.ecdsaKey),
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    assert.ok(server instanceof Server);
    assert.ok(server instanceof net.Server);
    server.on('keylog', (line: Buffer, s: TLSSocket) => {
      assert.ok(s instanceof TLSSocket);
      serverLines.push(line);
    });
    const serverSide = new Promise<{ socket: TLSSocket; got: Buffer }>((resolve, reject) => {
      server.on('secureConnection', (socket: TLSSocket) => {
        opened.track(socket);
        socket.on('data', (d: Buffer) => {
          socket.end(Buffer.concat([Buffer.from('echo:'), d]));
          resolve({ socket, got: d });
        });
      });
      server.on('tlsClientError', reject);
    });
    const port = await opened.listen(server);

    const clientLines: Buffer[] = [];
    const client = opened.track(
      connect({
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ca,
        ciphers: cell.cipher,
        maxVersion: cell.version,
        ALPNProtocols: ['http/1.1'],
      }),
    );
    client.on('keylog', (line: Buffer) => clientLines.push(line));
    client.write('hello before the handshake'); // queued until the handshake is done
    await once(client, 'secureConnect');
    const reply = collect(client);

    assert.equal(client.encrypted, true);
    assert.equal(client.authorized, true, `authorizationError: ${client.authorizationError}`);
    assert.equal(client.authorizationError, null);
    assert.equal(client.getProtocol(), cell.version);
    assert.deepEqual(client.getCipher(), { name: cell.cipher, standardName: cell.standard, version: cell.version });
    assert.equal(client.alpnProtocol, 'http/1.1');
    const peer = client.getPeerCertificate();
    assert.equal(peer.subject.CN, 'localhost');
    assert.equal(peer.issuer.CN, 'typetls Test CA');
    assert.equal(peer.subjectaltname, 'DNS:localhost, IP Address:127.0.0.1');
    const detailed = client.getPeerCertificate(true);
    assert.equal(detailed.issuerCertificate.subject.CN, 'typetls Test CA');
    assert.equal(detailed.issuerCertificate.issuerCertificate, detailed.issuerCertificate);
    assert.deepEqual(client.getCertificate(), {}, 'no client certificate');
    assert.equal(client.isSessionReused(), false);
    assert.equal(client.remoteAddress, '127.0.0.1');
    assert.equal(client.remotePort, port);
    assert.equal(typeof client.localPort, 'number');

    const { socket, got } = await serverSide;
    assert.equal(got.toString(), 'hello before the handshake');
    assert.equal(socket.getProtocol(), cell.version);
    assert.equal(socket.getCipher().name, cell.cipher);
    assert.equal(socket.alpnProtocol, 'http/1.1');
    assert.equal(socket.servername, 'localhost');
    assert.equal(socket.getCertificate()!.subject!.CN, 'localhost');
    assert.deepEqual(socket.getPeerCertificate(), {});
    assert.equal((await reply).toString(), 'echo:hello before the handshake');

    // NSS key log, newline-terminated, the same lines on both sides: in TLS 1.2 one CLIENT_RANDOM
    // line; in TLS 1.3 the four traffic secrets (and possibly the exporter secret).
    const labels = clientLines.map((l) => l.toString().split(' ')[0]).sort();
    if (cell.version === 'TLSv1.2') assert.deepEqual(labels, ['CLIENT_RANDOM']);
    else {
      for (const label of ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0']) {
        assert.ok(labels.includes(label), `${label} in ${labels.join(',')}`);
      }
    }
    for (const line of clientLines) assert.match(line.toString(), /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64,96}\n$/);
    assert.deepEqual(serverLines.map(String).sort(), clientLines.map(String).sort());
    client.destroy();
    await opened.closeServer(server);
  });
}

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`typetls client → node:tls server: ${version}, 1 MiB each way, byte for byte`, async () => {
    const toClient = randomBytes(MiB);
    const toServer = randomBytes(MiB);
    let serverGot: Promise<Buffer> | undefined;
    const server = tls.createServer({ ...rsaServerOptions(), maxVersion: version }, (socket) => {
      opened.track(socket);
      serverGot = collect(socket);
      socket.end(toClient);
    });
    const port = await opened.listen(server);
    const client = opened.track(connect(port, '127.0.0.1', { servername: 'localhost', ca }));
    const got = collect(client);
    got.catch(() => {}); // a failed handshake is reported by once() below
    await once(client, 'secureConnect');
    assert.equal(client.authorized, true);
    assert.equal(client.getProtocol(), version);
    client.end(toServer);
    sameBytes(await got, toClient, 'client received');
    sameBytes(await serverGot!, toServer, 'node:tls server received');
    client.destroy();
    await opened.closeServer(server);
  });

  test(`node:tls client → typetls server: ${version}, 1 MiB each way, byte for byte`, async () => {
    const toClient = randomBytes(MiB);
    const toServer = randomBytes(MiB);
    let serverGot: Promise<Buffer> | undefined;
    const server = createServer({ ...rsaServerOptions(), ALPNProtocols: ['x-test'], maxVersion: version }, (socket) => {
      opened.track(socket);
      serverGot = collect(socket);
      socket.end(toClient);
    });
    const port = await opened.listen(server);
    const client = opened.track(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca, ALPNProtocols: ['x-test'] }));
    const got = collect(client);
    got.catch(() => {}); // a failed handshake is reported by once() below
    await once(client, 'secureConnect');
    assert.equal(client.authorized, true, String(client.authorizationError));
    assert.equal(client.getProtocol(), version);
    assert.equal(client.alpnProtocol, 'x-test');
    client.end(toServer);
    sameBytes(await got, toClient, 'node:tls client received');
    sameBytes(await serverGot!, toServer, 'typetls server received');
    client.destroy();
    await opened.closeServer(server);
  });
}

test('connect({ socket }) upgrades an open net.Socket after a plaintext exchange (STARTTLS)', async () => {
  const context = createSecureContext(rsaServerOptions());
  const server = net.createServer({ allowHalfOpen: true }, (raw) => {
    opened.track(raw);
    raw.write('220 ready\n');
    raw.once('data', (line: Buffer) => {
      assert.equal(line.toString(), 'STARTTLS\n');
      raw.write('220 go ahead\n');
      const secure = opened.track(new TLSSocket(raw, { isServer: true, secureContext: context }));
      secure.on('data', (d: Buffer) => secure.end(Buffer.from(d.toString().toUpperCase())));
      secure.on('error', () => {});
    });
  });
  const port = await opened.listen(server);
  const raw = opened.track(net.connect({ host: '127.0.0.1', port }));
  const [greeting] = await once<Buffer>(raw, 'data');
  assert.equal(greeting!.toString(), '220 ready\n');
  raw.write('STARTTLS\n');
  const [goAhead] = await once<Buffer>(raw, 'data');
  assert.equal(goAhead!.toString(), '220 go ahead\n');
  const client = opened.track(connect({ socket: raw, ca, servername: 'localhost' }));
  await once(client, 'secureConnect');
  assert.equal(client.authorized, true);
  assert.equal(client.transport, raw, 'no new connection');
  const reply = collect(client);
  client.write('quiet please');
  assert.equal((await reply).toString(), 'QUIET PLEASE');
  client.destroy();
  await opened.closeServer(server);
});

/** Two Duplex ends joined in memory: what one end writes, the other reads. */
function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (index: number): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        ends[1 - index]!.push(chunk);
        cb();
      },
      final(cb) {
        ends[1 - index]!.push(null);
        cb();
      },
    });
  ends.push(make(0), make(1));
  return [ends[0]!, ends[1]!];
}

test('TLS over an in-memory Duplex pair: no sockets at all', async () => {
  const [a, b] = duplexPair();
  const server = opened.track(new TLSSocket(b, { isServer: true, secureContext: createSecureContext(rsaServerOptions()) }));
  const serverGot = collect(server);
  const client = opened.track(connect({ socket: a, ca, servername: 'localhost' }));
  const clientGot = collect(client);
  await Promise.all([once(client, 'secureConnect'), once(server, 'secure')]);
  // Over a transport of the caller's the socket keeps the transport's allowHalfOpen, as in
  // node: a plain Duplex's is true, so the server ends its own side.
  assert.equal(server.allowHalfOpen, true);
  server.end('bye');
  assert.equal(client.authorized, true);
  assert.equal(server.servername, 'localhost');
  assert.deepEqual(client.address(), {});
  assert.equal(client.remoteAddress, undefined);
  const big = randomBytes(300_000);
  client.end(big);
  sameBytes(await serverGot, big, 'server received over the pair');
  assert.equal((await clientGot).toString(), 'bye');
});

function get(port: number, createConnection: () => Duplex): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path: '/hello', createConnection: createConnection as never },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('https.request over typetls against a node https server', async () => {
  // TLS 1.2: this test is about https over TLSSocket; TLS 1.3 against node:tls has its own cells.
  const server = https.createServer({ ...rsaServerOptions(), maxVersion: 'TLSv1.2' }, (req, res) => {
    res.setHeader('connection', 'close');
    res.end(`node saw ${req.url} over ${(req.socket as tls.TLSSocket).getProtocol()}`);
  });
  const port = await opened.listen(server);
  const res = await get(port, () => opened.track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca })));
  assert.deepEqual(res, { status: 200, body: 'node saw /hello over TLSv1.2' });
  server.closeAllConnections();
  await opened.closeServer(server);
});

test('https.request over typetls against a typetls https server (createHttpsServer)', async () => {
  const server = createHttpsServer(rsaServerOptions(), (req, res) => {
    const socket = req.socket as unknown as TLSSocket;
    res.end(`typetls saw ${req.method} ${req.url} with ${socket.getCipher().standardName} alpn=${socket.alpnProtocol}`);
  });
  const port = await opened.listen(server);
  const res = await get(port, () =>
    opened.track(connect({ host: '127.0.0.1', port, servername: 'localhost', ca, ALPNProtocols: ['http/1.1'] })),
  );
  assert.equal(res.status, 200);
  assert.match(res.body, /^typetls saw GET \/hello with TLS_AES_\d+_GCM_SHA\d+ alpn=http\/1.1$/);
  // node's own https client against the typetls https server too.
  const viaNode = await new Promise<string>((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, path: '/n', ca, servername: 'localhost', agent: false, maxVersion: 'TLSv1.2' }, (r) => {
        let body = '';
        r.on('data', (d: Buffer) => (body += d.toString()));
        r.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
  assert.match(viaNode, /^typetls saw GET \/n with /);
  server.httpServer.closeAllConnections();
  await opened.closeServer(server);
});

async function certServer(certFile: string, keyFile: string) {
  const clientErrors: Error[] = [];
  const server = createServer({ cert: read(certFile), key: read(keyFile) }, (socket) => {
    opened.track(socket);
    socket.end('ok');
  });
  server.on('tlsClientError', (err: Error) => clientErrors.push(err));
  const port = await opened.listen(server);
  return { server, port, clientErrors };
}

const badCerts = [
  { name: 'expired', cert: () => pki.expiredCert, key: () => pki.expiredKey, code: 'CERT_HAS_EXPIRED' },
  { name: 'untrusted', cert: () => pki.unknownCert, key: () => pki.unknownKey, code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
  { name: 'wrong name', cert: () => pki.dnsOnlyCert, key: () => pki.dnsOnlyKey, code: 'ERR_TLS_CERT_ALTNAME_INVALID', host: '127.0.0.1' },
] as const;

for (const bad of badCerts) {
  test(`${bad.name} server certificate: 'error' ${bad.code}; with rejectUnauthorized:false, authorized === false`, async () => {
    const { server, port, clientErrors } = await certServer(bad.cert(), bad.key());
    const servername = 'host' in bad ? undefined : 'localhost';
    const refused = opened.track(connect({ host: '127.0.0.1', port, ca, ...(servername ? { servername } : {}) }));
    const err = await new Promise<Error & { code?: string }>((resolve, reject) => {
      refused.once('error', resolve);
      refused.once('secureConnect', () => reject(new Error('connected despite a bad certificate')));
    });
    assert.equal(err.code, bad.code, err.message);
    assert.equal(refused.destroyed, true);

    const allowed = opened.track(connect({ host: '127.0.0.1', port, ca, rejectUnauthorized: false, ...(servername ? { servername } : {}) }));
    const body = collect(allowed);
    await once(allowed, 'secureConnect');
    assert.equal(allowed.authorized, false);
    assert.equal(allowed.authorizationError, bad.code);
    assert.equal((await body).toString(), 'ok');
    allowed.destroy();

    // node's own client agrees on the code (over TLS 1.2: the node:tls ↔ typetls TLS 1.3 cells are separate).
    const nodeClient = opened.track(
      tls.connect({ host: '127.0.0.1', port, ca, maxVersion: 'TLSv1.2', ...(servername ? { servername } : {}) }),
    );
    const [nodeErr] = await once<Error & { code?: string }>(nodeClient, 'error').catch((e: Error) => [e]);
    assert.equal((nodeErr as Error & { code?: string }).code, bad.code);
    // The refused clients told the server with a fatal alert: tlsClientError, and the server lives.
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(clientErrors.length >= 1, 'tlsClientError for the client that refused the certificate');
    assert.ok(clientErrors.every((e) => typeof (e as Error & { code?: string }).code === 'string'));
    await opened.closeServer(server);
  });
}

test('user checkServerIdentity: an Error it returns fails the connection', async () => {
  const { server, port } = await certServer(pki.rsaCert, pki.rsaKey);
  const seen: string[] = [];
  const client = opened.track(
    connect({
      host: '127.0.0.1',
      port,
      ca,
      servername: 'localhost',
      checkServerIdentity: (host, cert) => {
        seen.push(`${host} ${cert.subject.CN}`);
        return Object.assign(new Error('pinned key mismatch'), { code: 'ERR_PINNED' });
      },
    }),
  );
  const [err] = await once<Error & { code?: string }>(client, 'error').catch((e: Error) => [e]);
  assert.equal((err as Error & { code?: string }).code, 'ERR_PINNED');
  assert.deepEqual(seen, ['localhost localhost']);
  await opened.closeServer(server);
});

test('a server fed garbage emits tlsClientError and serves the next client', async () => {
  const { server, port, clientErrors } = await certServer(pki.rsaCert, pki.rsaKey);
  const errored = once<unknown>(server, 'tlsClientError');
  const raw = opened.track(net.connect({ host: '127.0.0.1', port }));
  raw.on('error', () => {});
  const rawReply = collect(raw).catch(() => Buffer.alloc(0));
  raw.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
  const [err, tlsSocket] = await errored;
  assert.ok(err instanceof Error);
  // As node:tls (OpenSSL) reports it, and as it does: no alert to a peer that speaks no TLS,
  // the connection is just closed.
  assert.equal((err as Error & { code: string }).code, 'ERR_SSL_HTTP_REQUEST');
  assert.equal((err as Error & { reason: string }).reason, 'http request');
  assert.ok(tlsSocket instanceof TLSSocket);
  const reply = await rawReply;
  assert.equal(reply.length, 0, `reply ${reply.toString('hex')}`);
  assert.equal(clientErrors.length, 1);

  // Bytes that look like TLS but are not (a record of an unknown type) get the RFC's alert.
  const errored2 = once<unknown>(server, 'tlsClientError');
  const raw2 = opened.track(net.connect({ host: '127.0.0.1', port }));
  raw2.on('error', () => {});
  const rawReply2 = collect(raw2).catch(() => Buffer.alloc(0));
  raw2.write(Buffer.from([0x30, 3, 3, 0, 2, 1, 1]));
  const [err2] = await errored2;
  assert.equal((err2 as Error & { code: string }).code, 'ERR_TLS_UNEXPECTED_MESSAGE');
  const reply2 = await rawReply2;
  // The one fatal alert: a 7-byte alert record (type 21, level fatal).
  assert.equal(reply2[0], 21, `reply ${reply2.toString('hex')}`);
  assert.equal(reply2[5], 2);

  // An HTTP request whose first read is a single byte is still told apart once the rest comes.
  const errored3 = once<unknown>(server, 'tlsClientError');
  const raw3 = opened.track(net.connect({ host: '127.0.0.1', port }));
  raw3.on('error', () => {});
  raw3.setNoDelay(true);
  await once(raw3, 'connect');
  raw3.write('G');
  await new Promise((resolve) => setTimeout(resolve, 50));
  raw3.write('ET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
  const [err3] = await errored3;
  assert.equal((err3 as Error & { code: string }).code, 'ERR_SSL_HTTP_REQUEST');

  const client = opened.track(connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }));
  const body = collect(client);
  await once(client, 'secureConnect');
  assert.equal((await body).toString(), 'ok');
  client.destroy();
  await opened.closeServer(server);
});

test('a client that connects to nothing gets ECONNREFUSED as an error', async () => {
  const probe = net.createServer();
  const port = await opened.listen(probe);
  await opened.closeServer(probe);
  const client = opened.track(connect({ host: '127.0.0.1', port, ca }));
  const [err] = await once<Error & { code?: string }>(client, 'error').catch((e: Error) => [e]);
  assert.equal((err as Error & { code?: string }).code, 'ECONNREFUSED');
});

test('setSecureContext: new connections get the new certificate', async () => {
  const server = createServer(rsaServerOptions(), (s) => {
    opened.track(s);
    s.end();
  });
  const port = await opened.listen(server);
  const first = opened.track(connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }));
  await once(first, 'secureConnect');
  assert.equal(first.getPeerCertificate().bits, 2048);
  first.destroy();
  server.setSecureContext({ cert: read(pki.ecdsaCert), key: read(pki.ecdsaKey) });
  const second = opened.track(connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }));
  await once(second, 'secureConnect');
  assert.equal(second.getPeerCertificate().nistCurve, 'P-256');
  second.destroy();
  await opened.closeServer(server);
});

test('backpressure: a reader that stops pauses the transport; everything arrives once it reads again', async () => {
  const payload = randomBytes(8 * MiB);
  let serverWrote: Promise<void> | undefined;
  const server = createServer(rsaServerOptions(), (socket) => {
    opened.track(socket);
    serverWrote = new Promise((resolve) => socket.end(payload, () => resolve()));
  });
  const port = await opened.listen(server);
  const client = opened.track(connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }));
  await once(client, 'secureConnect');
  // Nobody reads: our buffer fills to its high-water mark, then the TCP socket must stop.
  const deadline = Date.now() + 5000;
  while (!client.transport.isPaused() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(client.transport.isPaused(), true, 'transport paused while the application does not read');
  assert.ok(client.readableLength >= client.readableHighWaterMark, `buffered ${client.readableLength}`);
  assert.ok(client.readableLength < payload.length, 'not everything was read into memory');
  sameBytes(await collect(client), payload, 'after resuming');
  await serverWrote;
  client.destroy();
  await opened.closeServer(server);
});

test('transport end without close_notify: the stream just ends (node ignores the missing close_notify)', async () => {
  const [a, b] = duplexPair();
  const server = opened.track(new TLSSocket(b, { isServer: true, secureContext: createSecureContext(rsaServerOptions()) }));
  const client = opened.track(connect({ socket: a, ca, servername: 'localhost' }));
  const errors: Error[] = [];
  client.on('error', (e: Error) => errors.push(e));
  await Promise.all([once(client, 'secureConnect'), once(server, 'secure')]);
  const got = collect(client);
  server.write('last words');
  await new Promise((r) => setTimeout(r, 20));
  b.end(); // the server's transport ends with no close_notify record
  assert.equal((await got).toString(), 'last words');
  assert.deepEqual(errors, []);
});

test('a transport that ends during the handshake: ECONNRESET, and a queued write is called back as node does', async () => {
  const [a, b] = duplexPair();
  const client = opened.track(connect({ socket: a, ca, servername: 'localhost' }));
  const failed = once<Error & { code?: string }>(client, 'error').catch((e: Error) => [e]);
  let writeError: Error | null | undefined;
  client.write('never sent', (err) => (writeError = err));
  b.end();
  const [err] = await failed;
  assert.equal((err as Error & { code?: string }).code, 'ECONNRESET');
  assert.match((err as Error).message, /before secure TLS connection was established/);
  await new Promise((r) => setImmediate(r));
  // node:tls calls a write its destroyed socket never sent back with no error (the stream's
  // 'error' has said what happened); it is called back, not left hanging.
  assert.equal(writeError, null, 'the queued write was called back');
});

test('setTimeout is delegated to the TCP socket and emits timeout on the TLS socket', async () => {
  // The server side reads (resume), so the client's FIN ends it and server.close() can finish.
  const server = createServer(rsaServerOptions(), (s) => opened.track(s).resume());
  const port = await opened.listen(server);
  const client = opened.track(connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }));
  await once(client, 'secureConnect');
  const started = Date.now();
  await new Promise<void>((resolve) => client.setTimeout(50, resolve));
  assert.ok(Date.now() - started >= 40);
  client.setNoDelay(true).setKeepAlive(true, 1000).unref().ref();
  assert.equal(client.address().address, '127.0.0.1');
  client.destroy();
  await opened.closeServer(server);
});

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`${version} resumption: the 'session' event's Buffer resumes the next connection`, async () => {
    const server = createServer(rsaServerOptions(), (s) => {
      opened.track(s);
      s.end('hi');
    });
    const port = await opened.listen(server);
    const options = { host: '127.0.0.1', port, ca, servername: 'localhost', maxVersion: version } as const;
    const first = opened.track(connect(options));
    const sessions: Buffer[] = [];
    first.on('session', (s: Buffer) => sessions.push(s));
    const [session] = await once<Buffer>(first, 'session').catch((e: Error) => {
      throw new Error(`the client engine emitted no 'session' event (${e.message})`);
    });
    assert.ok(Buffer.isBuffer(session) && session.length > 0);
    assert.equal(first.isSessionReused(), false);
    await collect(first);
    // TLS 1.3: two tickets, as node's servers send; TLS 1.2: one.
    assert.equal(sessions.length, version === 'TLSv1.3' ? 2 : 1);
    assert.ok(first.getSession()?.equals(sessions.at(-1)!), 'getSession() returns the last session');

    const second = opened.track(connect({ ...options, session: session! }));
    const body = collect(second);
    await once(second, 'secureConnect');
    assert.equal(second.isSessionReused(), true, 'the offered session was not resumed (ConnectionInfo.sessionReused)');
    assert.equal(second.getProtocol(), version);
    assert.equal(second.authorized, true);
    assert.equal((await body).toString(), 'hi');
    first.destroy();
    second.destroy();
    await opened.closeServer(server);
  });
}

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`${version} client certificates: requestCert verifies the client against ca; without one, rejectUnauthorized refuses`, async () => {
    const clientErrors: Error[] = [];
    const server = createServer({ ...rsaServerOptions(), ca, requestCert: true, maxVersion: version }, (s) => {
      opened.track(s);
      const peer = s.getPeerCertificate();
      s.end(`authorized=${s.authorized} cn=${peer.subject?.CN}`);
    });
    server.on('tlsClientError', (e: Error) => clientErrors.push(e));
    const port = await opened.listen(server);
    const client = opened.track(
      connect({ host: '127.0.0.1', port, ca, servername: 'localhost', cert: read(pki.clientCert), key: read(pki.clientKey) }),
    );
    const body = collect(client);
    let ownCertificate: ReturnType<TLSSocket['getCertificate']> = null;
    // Read at 'secureConnect': the server ends at once, and once the socket is destroyed getProtocol() is null, as node's.
    let protocol: string | null = null;
    client.once('secureConnect', () => {
      ownCertificate = client.getCertificate();
      protocol = client.getProtocol();
    });
    await once(client, 'secureConnect');
    assert.equal(protocol, version);
    assert.equal(ownCertificate!.subject!.CN, 'Test Client');
    assert.equal((await body).toString(), 'authorized=true cn=Test Client');

    const anonymous = opened.track(connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }));
    const failed = await new Promise<Error | undefined>((resolve) => {
      anonymous.once('error', resolve);
      anonymous.once('data', () => resolve(undefined));
      anonymous.once('end', () => resolve(undefined));
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(clientErrors.length, 1, 'the server refused the client without a certificate');
    assert.ok(failed instanceof Error, 'the client saw the refusal as an error');
    await opened.closeServer(server);
  });
}

test('handshakeTimeout: a client that says nothing gets tlsClientError ERR_TLS_HANDSHAKE_TIMEOUT', async () => {
  const server = createServer({ ...rsaServerOptions(), handshakeTimeout: 100 });
  const port = await opened.listen(server);
  const errored = once<Error & { code?: string }>(server, 'tlsClientError');
  const silent = opened.track(net.connect({ host: '127.0.0.1', port }));
  silent.on('error', () => {});
  const closed = once(silent, 'close');
  const [err] = await errored;
  assert.equal(err!.code, 'ERR_TLS_HANDSHAKE_TIMEOUT');
  await closed;
  await opened.closeServer(server);
});

test('secureContext objects: made once, used by connect() and createServer(); ticket keys readable and settable', async () => {
  const serverContext = createSecureContext(rsaServerOptions());
  const server = createServer({ secureContext: serverContext }, (s) => {
    opened.track(s);
    s.end('ctx');
  });
  const port = await opened.listen(server);
  assert.equal(server.getTicketKeys().length, 48);
  server.setTicketKeys(Buffer.alloc(48, 1));
  assert.deepEqual(server.getTicketKeys(), Buffer.alloc(48, 1));
  const clientContext = createSecureContext({ ca });
  const client = opened.track(connect({ host: '127.0.0.1', port, servername: 'localhost', secureContext: clientContext }));
  const body = collect(client);
  await once(client, 'secureConnect');
  assert.equal(client.authorized, true);
  assert.equal((await body).toString(), 'ctx');
  // Without the context's ca, the default roots do not know the test CA.
  const noCa = opened.track(connect({ host: '127.0.0.1', port, servername: 'localhost' }));
  const [err] = await once<Error & { code?: string }>(noCa, 'error').catch((e: Error) => [e]);
  assert.equal((err as Error & { code?: string }).code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  await opened.closeServer(server);
});

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`${version} setTicketKeys: the key it replaces still opens tickets, the one before does not; getTicketKeys is the current key`, async () => {
    const [k1, k2, k3] = [1, 2, 3].map((n) => Buffer.alloc(48, n)) as [Buffer, Buffer, Buffer];
    // No session-ID cache, so that only the ticket can resume a TLS 1.2 session.
    const noStore = { get: () => undefined, set: () => {}, delete: () => {} };
    const server = createServer({ ...rsaServerOptions(), maxVersion: version, ticketKeys: k1, sessionStore: noStore }, (s) => {
      opened.track(s);
      s.end('hi');
    });
    const port = await opened.listen(server);
    const options = { host: '127.0.0.1', port, ca, servername: 'localhost', maxVersion: version } as const;
    const resumes = async (session: Buffer): Promise<boolean> => {
      const c = opened.track(connect({ ...options, session }));
      const body = collect(c);
      await once(c, 'secureConnect');
      assert.equal((await body).toString(), 'hi');
      return c.isSessionReused();
    };
    const first = opened.track(connect(options));
    const [session] = await once<Buffer>(first, 'session');
    await collect(first);
    assert.deepEqual(server.getTicketKeys(), k1);

    server.setTicketKeys(k2);
    assert.deepEqual(server.getTicketKeys(), k2);
    assert.equal(await resumes(session!), true, 'a ticket sealed under the replaced key resumes');
    // setSecureContext makes the context from its options alone, as node does, and keeps the ticket keys.
    server.setSecureContext({ ...rsaServerOptions(), maxVersion: version, sessionStore: noStore, honorCipherOrder: true });
    assert.deepEqual(server.getTicketKeys(), k2);
    assert.equal(await resumes(session!), true, 'and still after setSecureContext');

    server.setTicketKeys(k3);
    assert.equal(await resumes(session!), false, 'two keys on, the ticket does a full handshake');
    assert.throws(() => server.setTicketKeys(Buffer.alloc(47)), { code: 'ERR_INVALID_ARG_VALUE' });
    await opened.closeServer(server);
  });
}

test('a server without ticketKeys makes its own: getTicketKeys gives the same 48 bytes until it rotates', async () => {
  const server = createServer(rsaServerOptions());
  const keys = server.getTicketKeys();
  assert.equal(keys.length, 48);
  assert.deepEqual(server.getTicketKeys(), keys);
  assert.notDeepEqual(createServer(rsaServerOptions()).getTicketKeys(), keys, 'each server its own');
});

/** The record headers (type, version) in a byte stream, in order. */
function recordHeaders(stream: Buffer): string[] {
  const out: string[] = [];
  for (let i = 0; i + 5 <= stream.length; i += 5 + stream.readUInt16BE(i + 3)) {
    out.push(stream.subarray(i, i + 3).toString('hex'));
  }
  return out;
}

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`${version} on the wire: every record after the first ClientHello says legacy_record_version 0x0303`, async () => {
    // RFC 8446 Section 5.1: "MUST be set to 0x0303 for all records generated by a TLS 1.3
    // implementation other than an initial ClientHello"; OpenSSL (node:tls) rejects anything
    // else with "wrong version number". In TLS 1.2 the negotiated version is 0x0303 too.
    const [a, b] = duplexPair();
    const fromClient: Buffer[] = [];
    const fromServer: Buffer[] = [];
    a.on('data', (d: Buffer) => fromServer.push(d)); // what the server wrote, as the client reads it
    b.on('data', (d: Buffer) => fromClient.push(d));
    const server = opened.track(new TLSSocket(b, { isServer: true, secureContext: createSecureContext(rsaServerOptions()) }));
    const client = opened.track(connect({ socket: a, ca, servername: 'localhost', maxVersion: version }));
    await Promise.all([once(client, 'secureConnect'), once(server, 'secure')]);
    const got = collect(server);
    client.end('x');
    await got;
    const clientRecords = recordHeaders(Buffer.concat(fromClient));
    const serverRecords = recordHeaders(Buffer.concat(fromServer));
    assert.equal(clientRecords[0], '160301', 'the first ClientHello record may say 0x0301');
    assert.deepEqual(
      clientRecords.slice(1).filter((h) => !h.endsWith('0303')),
      [],
      `client records: ${clientRecords.join(' ')}`,
    );
    assert.deepEqual(
      serverRecords.filter((h) => !h.endsWith('0303')),
      [],
      `server records: ${serverRecords.join(' ')}`,
    );
  });
}
