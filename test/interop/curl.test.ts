// curl against a typetls server on 127.0.0.1.
//
// TLS 1.3 is checked with curl's own --tlsv1.3 (which refuses anything lower: a server limited to 1.2 is
// refused) and with the version in both curl's report and our server's body.
//
// Our server answers one HTTP/1.1 request per connection with a small text body that says what it negotiated
// (version, suite, ALPN, client certificate), then closes. curl must verify the server by the IP SAN
// (https://127.0.0.1:P/ with --cacert); its -v report (`SSL connection using TLSv1.2 / SUITE`,
// `ALPN: server accepted ...`) is compared with what our server says.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

import { createServer } from '../../src/node/api.js';
import { makeTestPki, type TestPki } from '../certs/make.js';
import { runCurl, stopAllPeers, tail, type ServerOptions } from './peers.js';

type Server = ReturnType<typeof createServer>;
type ServerSocket = Parameters<NonNullable<Parameters<typeof createServer>[1]>>[0];

interface HttpServer {
  readonly port: number;
  readonly clientErrors: Error[];
  close(): Promise<void>;
}

let pki: TestPki;

before(async () => {
  pki = await makeTestPki();
});
after(stopAllPeers);

/** What our server says about the connection, one `key=value` line each. */
function describe(socket: ServerSocket, path: string): string {
  const peer = socket.getPeerCertificate();
  return [
    `path=${path}`,
    `version=${socket.getProtocol()}`,
    `cipher=${socket.getCipher()?.standardName}`,
    `openssl-cipher=${socket.getCipher()?.name}`,
    `alpn=${socket.alpnProtocol || 'none'}`,
    `peer=${peer?.subject?.CN ?? 'none'}`,
    `authorized=${socket.authorized}`,
    '',
  ].join('\n');
}

/** Our server answering each connection's first HTTP request, then closing (Connection: close). */
async function startHttpServer(options: ServerOptions): Promise<HttpServer> {
  const clientErrors: Error[] = [];
  const sockets = new Set<ServerSocket>();
  const server: Server = createServer(options, (socket: ServerSocket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      if (head.includes('\r\n\r\n')) return;
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const path = /^GET (\S+) HTTP\/1\.1\r\n/.exec(head)?.[1] ?? '?';
      const body = describe(socket, path);
      socket.write(
        `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      socket.end();
    });
  });
  server.on('tlsClientError', (err: Error) => clientErrors.push(err));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    clientErrors,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const rsa = (): ServerOptions => ({ cert: readFileSync(pki.rsaCert), key: readFileSync(pki.rsaKey) });
const ecdsa = (): ServerOptions => ({ cert: readFileSync(pki.ecdsaCert), key: readFileSync(pki.ecdsaKey) });

const curl = (port: number, path: string, ...extra: string[]): string[] => [
  '-v', '-sS', '--max-time', '15', '--cacert', pki.caCert, ...extra, `https://127.0.0.1:${port}${path}`,
];

/** The fields of our server's body. */
const fields = (body: string): Record<string, string> =>
  Object.fromEntries(body.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

/** curl's `SSL connection using VERSION / CIPHER` line. */
const curlSession = (stderr: string): { version: string; cipher: string } | undefined => {
  const m = /SSL connection using (\S+) \/ (\S+)/.exec(stderr);
  return m ? { version: m[1]!, cipher: m[2]! } : undefined;
};

test('curl -> typetls server: --tlsv1.2 --tls-max 1.2, verified by IP SAN', { timeout: 20_000 }, async () => {
  const server = await startHttpServer(rsa());
  try {
    const r = await runCurl(curl(server.port, '/tls12', '--tlsv1.2', '--tls-max', '1.2'));
    assert.equal(r.code, 0, `curl exit ${r.code}: ${tail(r.stderr)}`);
    const body = fields(r.stdout.toString('utf8'));
    assert.equal(body.path, '/tls12');
    assert.equal(body.version, 'TLSv1.2');
    assert.match(r.stderr, /SSL connection using TLSv1\.2 \//, tail(r.stderr));
    assert.equal(curlSession(r.stderr)?.cipher, body['openssl-cipher'], 'curl and our server name the same suite');
    assert.match(r.stderr, /SSL certificate verify ok/, tail(r.stderr));
  } finally {
    await server.close();
  }
});

test('curl -> typetls server: --tls-max 1.2 --ciphers ECDHE-RSA-CHACHA20-POLY1305', { timeout: 20_000 }, async () => {
  const server = await startHttpServer(rsa());
  try {
    const r = await runCurl(curl(server.port, '/', '--tlsv1.2', '--tls-max', '1.2', '--ciphers', 'ECDHE-RSA-CHACHA20-POLY1305'));
    assert.equal(r.code, 0, `curl exit ${r.code}: ${tail(r.stderr)}`);
    const body = fields(r.stdout.toString('utf8'));
    assert.equal(body.version, 'TLSv1.2');
    assert.equal(body.cipher, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256');
    assert.deepEqual(curlSession(r.stderr), { version: 'TLSv1.2', cipher: 'ECDHE-RSA-CHACHA20-POLY1305' });
  } finally {
    await server.close();
  }
});

test('curl -> typetls server: --tls-max 1.2 with the ECDSA certificate', { timeout: 20_000 }, async () => {
  const server = await startHttpServer(ecdsa());
  try {
    const r = await runCurl(curl(server.port, '/', '--tlsv1.2', '--tls-max', '1.2'));
    assert.equal(r.code, 0, `curl exit ${r.code}: ${tail(r.stderr)}`);
    const body = fields(r.stdout.toString('utf8'));
    assert.equal(body.version, 'TLSv1.2');
    assert.match(body.cipher ?? '', /^TLS_ECDHE_ECDSA_WITH_/);
    assert.equal(curlSession(r.stderr)?.cipher, body['openssl-cipher']);
  } finally {
    await server.close();
  }
});

test('curl --tlsv1.3 -> typetls server: TLSv1.3 in curl\'s report and in our body, the same suite, verified', { timeout: 20_000 }, async () => {
  const server = await startHttpServer(rsa());
  try {
    const r = await runCurl(curl(server.port, '/tls13', '--tlsv1.3'));
    assert.equal(r.code, 0, `curl exit ${r.code}: ${tail(r.stderr)}`);
    const body = fields(r.stdout.toString('utf8'));
    assert.equal(body.path, '/tls13');
    assert.equal(body.version, 'TLSv1.3');
    assert.match(body.cipher ?? '', /^TLS_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)$/);
    const seen = curlSession(r.stderr);
    assert.equal(seen?.version, 'TLSv1.3', tail(r.stderr));
    // curl names TLS 1.3 suites by their IANA names.
    assert.equal(seen?.cipher, body.cipher, 'curl and our server name the same suite');
    assert.match(r.stderr, /SSL certificate verify ok/, tail(r.stderr));
  } finally {
    await server.close();
  }
});

test('curl --tlsv1.3 --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256 -> typetls server: that suite', { timeout: 20_000 }, async () => {
  const server = await startHttpServer(rsa());
  try {
    const r = await runCurl(curl(server.port, '/', '--tlsv1.3', '--tls13-ciphers', 'TLS_CHACHA20_POLY1305_SHA256'));
    assert.equal(r.code, 0, `curl exit ${r.code}: ${tail(r.stderr)}`);
    const body = fields(r.stdout.toString('utf8'));
    assert.equal(body.version, 'TLSv1.3');
    assert.equal(body.cipher, 'TLS_CHACHA20_POLY1305_SHA256');
    assert.deepEqual(curlSession(r.stderr), { version: 'TLSv1.3', cipher: 'TLS_CHACHA20_POLY1305_SHA256' });
  } finally {
    await server.close();
  }
});

test('curl --tlsv1.3 -> typetls server limited to TLS 1.2: refused (so the tests above can tell 1.3 from 1.2)', { timeout: 20_000 }, async () => {
  const server = await startHttpServer({ ...rsa(), maxVersion: 'TLSv1.2' });
  try {
    const r = await runCurl(curl(server.port, '/', '--tlsv1.3'));
    assert.notEqual(r.code, 0, 'curl must not settle for TLS 1.2');
    assert.doesNotMatch(r.stdout.toString('utf8'), /version=/);
    assert.match(r.stderr, /protocol version|alert/i, tail(r.stderr));
  } finally {
    await server.close();
  }
});

test('curl -> typetls server: default versions meet at TLSv1.3, and both sides agree on what was negotiated', { timeout: 20_000 }, async () => {
  const server = await startHttpServer(rsa());
  try {
    const r = await runCurl(curl(server.port, '/'));
    assert.equal(r.code, 0, `curl exit ${r.code}: ${tail(r.stderr)}`);
    const body = fields(r.stdout.toString('utf8'));
    const seen = curlSession(r.stderr);
    assert.ok(seen, tail(r.stderr));
    assert.equal(body.version, 'TLSv1.3', 'curl and typetls both default to TLS 1.3');
    assert.equal(seen.version, body.version);
    assert.equal(seen.cipher, body.cipher);
  } finally {
    await server.close();
  }
});

test('curl -> typetls server: ALPN http/1.1 accepted', { timeout: 20_000 }, async () => {
  const server = await startHttpServer({ ...rsa(), ALPNProtocols: ['http/1.1'] });
  try {
    const r = await runCurl(curl(server.port, '/', '--http1.1', '--tlsv1.2', '--tls-max', '1.2'));
    assert.equal(r.code, 0, `curl exit ${r.code}: ${tail(r.stderr)}`);
    assert.match(r.stderr, /ALPN[:,] server accepted (to use )?http\/1\.1/, tail(r.stderr, 30));
    assert.equal(fields(r.stdout.toString('utf8')).alpn, 'http/1.1');
  } finally {
    await server.close();
  }
});

test('curl -> typetls server: client certificate required and presented', { timeout: 20_000 }, async () => {
  const server = await startHttpServer({ ...rsa(), ca: readFileSync(pki.caCert), requestCert: true, rejectUnauthorized: true });
  try {
    const r = await runCurl(curl(server.port, '/', '--tlsv1.2', '--tls-max', '1.2', '--cert', pki.clientCert, '--key', pki.clientKey));
    assert.equal(r.code, 0, `curl exit ${r.code}: ${tail(r.stderr)}`);
    const body = fields(r.stdout.toString('utf8'));
    assert.equal(body.peer, 'Test Client');
    assert.equal(body.authorized, 'true');

    const without = await runCurl(curl(server.port, '/', '--tlsv1.2', '--tls-max', '1.2'));
    assert.notEqual(without.code, 0, 'curl without a client certificate must fail');
    assert.doesNotMatch(without.stdout.toString('utf8'), /version=/, 'no page without a client certificate');
  } finally {
    await server.close();
  }
});
