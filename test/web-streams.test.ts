// typetls/web's connect() and accept() over real web streams: a TCP socket to `openssl s_server`
// turned into a { readable, writable } pair (stream.Duplex.toWeb), as a Worker's `connect()` socket or
// a WebSocket adapter gives one. TLS 1.3 and 1.2 with RSA and ECDSA certificates from a private CA
// passed as `ca`, an HTTP request answered by s_server -www (whose page names what was negotiated),
// a client certificate to `s_server -Verify 1`, the node-style codes for a wrong name and an unknown
// CA, and connect() against accept() over an in-memory stream pair, with a session resumed.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { accept, connect, type ByteTransport } from '../src/web/socket.js';
import { makeTestPki, type TestPki } from './certs/make.js';
import { readAll, request, send } from './web-helpers.js';
import { startOpensslServer, stopAllPeers } from './interop/peers.js';

let pki: TestPki;
let ca: string;
before(async () => {
  pki = await makeTestPki();
  ca = readFileSync(pki.caCert, 'utf8');
});
after(stopAllPeers);

const opened: net.Socket[] = [];
after(() => {
  for (const s of opened) s.destroy();
});

/** A TCP connection to 127.0.0.1:port as a web byte-stream pair. */
async function tcp(port: number): Promise<ByteTransport> {
  const socket = net.connect(port, '127.0.0.1');
  opened.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const web = Duplex.toWeb(socket) as unknown as { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };
  return { readable: web.readable, writable: web.writable };
}

describe('typetls/web connect() to openssl s_server over a TCP socket as web streams', () => {
  for (const [version, flag] of [['TLSv1.3', '-tls1_3'], ['TLSv1.2', '-tls1_2']] as const) {
    for (const kind of ['rsa', 'ecdsa'] as const) {
      it(`${version}, ${kind.toUpperCase()} certificate from a private CA: GET / answered, s_server's page names what was negotiated`, { timeout: 30_000 }, async () => {
        const server = await startOpensslServer(['-cert', pki[`${kind}Cert`], '-key', pki[`${kind}Key`], flag, '-www']);
        try {
          const socket = connect(await tcp(server.port), { servername: 'localhost', ca, ALPNProtocols: ['http/1.1'] });
          const info = await socket.opened;
          assert.equal(info.protocol, version);
          assert.equal(info.authorized, true);
          assert.deepEqual(info.peerCertificates[0]!.subject.attributes.find((a) => a.shortName === 'CN')?.value, 'localhost');
          assert.equal(socket.info, info);
          const page = await request(socket, 'GET / HTTP/1.0\r\n\r\n');
          assert.match(page, /^HTTP\/1\.0 200 ok/);
          // s_server -www: "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" (its own report).
          const reported = /(?:New|Reused), (TLSv1\.[23]), Cipher is (\S+)/.exec(page);
          assert.ok(reported, 's_server reports the session');
          assert.equal(reported[1], version);
          // The readable ended at s_server's close_notify; our direction ends with close().
          await socket.close();
          await socket.closed;
        } finally {
          await server.stop();
        }
      });
    }
  }

  it('mutual TLS: a client certificate to s_server -Verify 1, which reports the client\'s name', { timeout: 30_000 }, async () => {
    const server = await startOpensslServer(['-cert', pki.rsaCert, '-key', pki.rsaKey, '-Verify', '1', '-CAfile', pki.caCert, '-www']);
    try {
      const socket = connect(await tcp(server.port), {
        servername: 'localhost',
        ca,
        cert: readFileSync(pki.clientCert, 'utf8'),
        key: readFileSync(pki.clientKey, 'utf8'),
      });
      await socket.opened;
      const page = await request(socket, 'GET / HTTP/1.0\r\n\r\n');
      assert.match(page, /Client certificate/);
      assert.match(page, /CN ?= ?Test Client/);
    } finally {
      await server.stop();
    }
  });

  it('a wrong hostname is ERR_TLS_CERT_ALTNAME_INVALID, an unknown CA UNABLE_TO_VERIFY_LEAF_SIGNATURE; both reject opened and closed', { timeout: 30_000 }, async () => {
    const server = await startOpensslServer(['-cert', pki.rsaCert, '-key', pki.rsaKey, '-www']);
    const unknown = await startOpensslServer(['-cert', pki.unknownCert, '-key', pki.unknownKey, '-www']);
    try {
      const wrongName = connect(await tcp(server.port), { servername: 'wrong.example', ca });
      await assert.rejects(wrongName.opened, { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
      await assert.rejects(wrongName.closed, { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
      const unknownCa = connect(await tcp(unknown.port), { servername: 'localhost', ca });
      await assert.rejects(unknownCa.opened, (e: { code?: string }) => /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/.test(e.code ?? ''));
      // The same handshake with rejectUnauthorized: false completes and says why it is not authorized.
      const lenient = connect(await tcp(unknown.port), { servername: 'localhost', ca, rejectUnauthorized: false });
      const info = await lenient.opened;
      assert.equal(info.authorized, false);
      assert.match(info.authorizationError?.code ?? '', /UNABLE_TO/);
      await lenient.close();
    } finally {
      await Promise.all([server.stop(), unknown.stop()]);
    }
  });
});

/** Two connected in-memory byte transports. */
function memoryPair(): [ByteTransport, ByteTransport] {
  const aToB = new TransformStream<Uint8Array, Uint8Array>();
  const bToA = new TransformStream<Uint8Array, Uint8Array>();
  return [
    { readable: bToA.readable, writable: aToB.writable },
    { readable: aToB.readable, writable: bToA.writable },
  ];
}

describe('typetls/web connect() against accept() over in-memory web streams', () => {
  for (const [version, kind] of [['TLSv1.3', 'ecdsa'], ['TLSv1.2', 'rsa'], ['TLSv1.3', 'rsa']] as const) {
    it(`${version}, ${kind} server, client certificate required: data both ways, close_notify ends both readables, a session resumes`, { timeout: 30_000 }, async () => {
      const serverOptions = {
        cert: readFileSync(pki[`${kind}Cert`], 'utf8'),
        key: readFileSync(pki[`${kind}Key`], 'utf8'),
        ca,
        requestCert: true,
        // Both servers below share the ticket key, as a fleet would, so the second resumes the first's session.
        ticketKeys: new Uint8Array(48).fill(9),
      };
      const clientOptions = {
        servername: 'localhost',
        ca,
        cert: readFileSync(pki.clientCert, 'utf8'),
        key: readFileSync(pki.clientKey, 'utf8'),
        maxVersion: version,
      };
      const [c, s] = memoryPair();
      const server = accept(s, serverOptions);
      const client = connect(c, clientOptions);
      const [ci, si] = await Promise.all([client.opened, server.opened]);
      assert.equal(ci.protocol, version);
      assert.equal(si.protocol, version);
      assert.equal(si.authorized, true, 'the server verified the client certificate');
      assert.equal(si.peerCertificates.length, 1);
      await send(client, 'hello from the client');
      await send(server, 'hello from the server');
      const serverReader = server.readable.getReader();
      const first = await serverReader.read();
      assert.equal(Buffer.from(first.value!).toString(), 'hello from the client');
      serverReader.releaseLock();
      const clientReader = client.readable.getReader();
      const reply = await clientReader.read();
      assert.equal(Buffer.from(reply.value!).toString(), 'hello from the server');
      clientReader.releaseLock();
      // The client closes: its close_notify ends the server's readable; the server closes in turn.
      const serverSide = readAll(server);
      await client.close();
      assert.equal(await serverSide, '');
      await server.close();
      assert.equal(await readAll(client), '');
      await Promise.all([client.closed, server.closed]);

      // Resumption with the session the client kept.
      assert.ok(client.session, 'the client kept a session');
      const [c2, s2] = memoryPair();
      const server2 = accept(s2, serverOptions);
      const client2 = connect(c2, { ...clientOptions, session: client.session });
      const [resumed] = await Promise.all([client2.opened, server2.opened]);
      assert.equal(resumed.sessionReused, true, 'the second connection resumed');
      await Promise.all([client2.close(), server2.close()]);
    });
  }

  it('a client that does not read holds the server back; cancelling its readable lets the rest through and both close', { timeout: 30_000 }, async () => {
    const [c, s] = memoryPair();
    const server = accept(s, { cert: readFileSync(pki.ecdsaCert, 'utf8'), key: readFileSync(pki.ecdsaKey, 'utf8') });
    const client = connect(c, { servername: 'localhost', ca });
    await Promise.all([client.opened, server.opened]);
    const writer = server.writable.getWriter();
    const chunk = new Uint8Array(16384).fill(0x61);
    let written = 0;
    const writing = (async () => {
      for (let i = 0; i < 200; i++) {
        await writer.write(chunk);
        written++;
      }
    })();
    // Give the server every chance to run ahead: it cannot, with nobody reading.
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(written < 200, `the server was held back (${written} of 200 records written)`);
    const reader = client.readable.getReader();
    const first = await reader.read();
    assert.equal(first.value![0], 0x61);
    await reader.cancel();
    await writing;
    assert.equal(written, 200);
    writer.releaseLock();
    await client.close();
    await server.close();
    await Promise.all([client.closed, server.closed]);
  });

  it('ecdhCurve chooses the groups, by IANA or node:tls name: P-256 alone is secp256r1, X25519 first is x25519', { timeout: 30_000 }, async () => {
    for (const [ecdhCurve, group] of [['P-256', 'secp256r1'], ['x25519:prime256v1', 'x25519'], ['X25519MLKEM768', 'X25519MLKEM768']] as const) {
      const [c, s] = memoryPair();
      const server = accept(s, { cert: readFileSync(pki.ecdsaCert, 'utf8'), key: readFileSync(pki.ecdsaKey, 'utf8') });
      const client = connect(c, { servername: 'localhost', ca, ecdhCurve });
      const [info] = await Promise.all([client.opened, server.opened]);
      assert.equal(info.group, group, ecdhCurve);
      await client.close();
      await server.close();
    }
  });

  it('options are checked: a server without cert/key, an unknown version name, an unknown or empty ecdhCurve', () => {
    const [, s] = memoryPair();
    assert.throws(() => accept(s, {}), { code: 'ERR_INVALID_ARG_VALUE' });
    const [c] = memoryPair();
    assert.throws(() => connect(c, { minVersion: 'TLSv1.4' }), { code: 'ERR_TLS_INVALID_PROTOCOL_VERSION' });
    assert.throws(() => connect(c, { ecdhCurve: 'P-256:brainpool' }), { code: 'ERR_CRYPTO_OPERATION_FAILED', message: /brainpool/ });
    assert.throws(() => connect(c, { ecdhCurve: ':' }), { code: 'ERR_CRYPTO_OPERATION_FAILED' });
  });
});
