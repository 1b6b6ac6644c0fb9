// STARTTLS over web streams: typetls/web's connect() and accept() start on a transport that has already
// carried plaintext (SMTP's STARTTLS, PostgreSQL's SSLRequest, LDAP's StartTLS), as Deno's startTls(conn)
// and a Workers socket's startTls() do. A TCP connection on 127.0.0.1, as web streams on both ends: the
// client asks in the clear, the server agrees, both let go of their readers and writers and run TLS on the
// same streams. A transport still locked by the plaintext phase is refused with ERR_INVALID_STATE, and
// bytes that are not TLS where the server's first flight belongs fail the handshake.
// (test/workerd/workerd.test.ts does the same against PostgreSQL from inside workerd.)

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { accept, connect, type ByteTransport } from '../src/web/socket.js';
import { makeTestPki, type TestPki } from './certs/make.js';
import { readAll, send } from './web-helpers.js';

let pki: TestPki;
before(async () => {
  pki = await makeTestPki();
});

const sockets: net.Socket[] = [];
const servers: net.Server[] = [];
after(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
});

const web = (socket: net.Socket): ByteTransport => {
  sockets.push(socket);
  return Duplex.toWeb(socket) as unknown as ByteTransport;
};

/** Reads one line in the clear, then lets go of the reader; returns the line and any bytes after it. */
async function readLine(transport: ByteTransport): Promise<{ line: string; rest: Uint8Array }> {
  const reader = transport.readable.getReader();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('closed in the clear');
      text += Buffer.from(value).toString('latin1');
      const end = text.indexOf('\r\n');
      if (end >= 0) return { line: text.slice(0, end), rest: Buffer.from(text.slice(end + 2), 'latin1') };
    }
  } finally {
    reader.releaseLock();
  }
}

async function writeText(transport: ByteTransport, text: string): Promise<void> {
  const writer = transport.writable.getWriter();
  await writer.write(new TextEncoder().encode(text));
  writer.releaseLock();
}

/** A server on 127.0.0.1 running `serve` on each connection's web streams. */
async function listen(serve: (transport: ByteTransport) => Promise<void>): Promise<number> {
  // Half-open TCP: the client closes its direction (close_notify, then FIN) before the server answers.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => void serve(web(socket)).catch(() => socket.destroy()));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

async function dial(port: number): Promise<ByteTransport> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return web(socket);
}

describe('STARTTLS: connect() and accept() on streams that carried plaintext first', () => {
  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    it(`${version}: "STARTTLS" / "220 go ahead" in the clear, then TLS both ways on the same streams`, { timeout: 30_000 }, async () => {
      let received!: (text: string) => void;
      const serverReceived = new Promise<string>((resolve) => (received = resolve));
      const port = await listen(async (transport) => {
        const { line, rest } = await readLine(transport);
        assert.equal(line, 'STARTTLS');
        assert.equal(rest.length, 0);
        await writeText(transport, '220 go ahead\r\n');
        const tls = accept(transport, { cert: readFileSync(pki.rsaCert, 'utf8'), key: readFileSync(pki.rsaKey, 'utf8') });
        await tls.opened;
        const text = await readAll(tls);
        received(text);
        await send(tls, text.toUpperCase());
        await tls.close();
      });

      const transport = await dial(port);
      await writeText(transport, 'STARTTLS\r\n');
      const { line, rest } = await readLine(transport);
      assert.equal(line, '220 go ahead');
      assert.equal(rest.length, 0, 'nothing after the go-ahead');
      const tls = connect(transport, { servername: 'localhost', ca: readFileSync(pki.caCert, 'utf8'), maxVersion: version });
      const info = await tls.opened;
      assert.equal(info.protocol, version);
      assert.equal(info.authorized, true);
      const writer = tls.writable.getWriter();
      await writer.write(new TextEncoder().encode('hello over tls'));
      await writer.close(); // close_notify: the server's readAll() ends
      assert.equal(await serverReceived, 'hello over tls');
      assert.equal(await readAll(tls), 'HELLO OVER TLS');
    });
  }

  it('a transport still locked by the plaintext phase is refused: ERR_INVALID_STATE, naming the stream', { timeout: 30_000 }, async () => {
    const port = await listen(async () => undefined);
    const transport = await dial(port);
    const reader = transport.readable.getReader();
    assert.throws(() => connect(transport, { servername: 'localhost' }), { code: 'ERR_INVALID_STATE', message: /transport's readable is locked/ });
    reader.releaseLock();
    const writer = transport.writable.getWriter();
    assert.throws(() => accept(transport, { cert: readFileSync(pki.rsaCert, 'utf8'), key: readFileSync(pki.rsaKey, 'utf8') }), {
      code: 'ERR_INVALID_STATE',
      message: /transport's writable is locked/,
    });
    writer.releaseLock();
  });

  it('plaintext where the server\'s first TLS flight belongs fails the handshake, with a node-style code', { timeout: 30_000 }, async () => {
    const port = await listen(async (transport) => {
      await readLine(transport);
      await writeText(transport, '220 go ahead\r\n');
      // Wait for the ClientHello, then answer with text, as an attacker injecting a response would.
      const reader = transport.readable.getReader();
      await reader.read();
      reader.releaseLock();
      await writeText(transport, '250 injected, not TLS\r\n');
    });
    const transport = await dial(port);
    await writeText(transport, 'STARTTLS\r\n');
    await readLine(transport);
    const tls = connect(transport, { servername: 'localhost', ca: readFileSync(pki.caCert, 'utf8') });
    await assert.rejects(tls.opened, (e: { code?: string }) => /^ERR_/.test(e.code ?? ''));
    await assert.rejects(tls.closed);
  });
});
