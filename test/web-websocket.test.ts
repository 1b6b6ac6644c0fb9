// typetls/web over a WebSocket, the way a page reaches a TCP service: the client speaks TLS through a
// WebSocket→TCP relay (test code, the `ws` package) to openssl s_server and to a typetls Node server
// (X25519MLKEM768), sends an HTTP request and reads the answer. The relay records every byte it
// carries: it never sees the request or the answer in the clear.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { createServer } from '../src/index.js';
import { connect } from '../src/web/socket.js';
import { webSocketTransport, type WebSocketLike } from '../src/web/websocket.js';
import { makeTestPki, type TestPki } from './certs/make.js';
import { request } from './web-helpers.js';
import { startOpensslServer, stopAllPeers } from './interop/peers.js';
import { startRelay } from './web-relay.js';

let pki: TestPki;
let ca: string;
before(async () => {
  pki = await makeTestPki();
  ca = readFileSync(pki.caCert, 'utf8');
});
after(stopAllPeers);

describe('typetls/web over a WebSocket relay', () => {
  for (const [version, flag] of [['TLSv1.3', '-tls1_3'], ['TLSv1.2', '-tls1_2']] as const) {
    it(`${version} to openssl s_server through the relay: the answer arrives, the relay saw only ciphertext`, { timeout: 30_000 }, async () => {
      const server = await startOpensslServer(['-cert', pki.ecdsaCert, '-key', pki.ecdsaKey, flag, '-www']);
      const relay = await startRelay(server.port);
      try {
        const ws = new WebSocket(relay.url) as unknown as WebSocketLike;
        const socket = connect(webSocketTransport(ws), { servername: 'localhost', ca });
        const info = await socket.opened;
        assert.equal(info.protocol, version);
        assert.equal(info.authorized, true);
        const page = await request(socket, 'GET /secret-path HTTP/1.0\r\n\r\n');
        assert.match(page, /^HTTP\/1\.0 200 ok/);
        assert.match(page, new RegExp(`(New|Reused), ${version.replace('.', '\\.')}, Cipher is`));
        await socket.close();
        assert.ok(relay.carried.length > 0);
        assert.equal(relay.saw('secret-path'), false, 'the request is not visible to the relay');
        assert.equal(relay.saw('Cipher is'), false, 'the answer is not visible to the relay');
      } finally {
        await relay.close();
        await server.stop();
      }
    });
  }

  it('to a typetls Node server with X25519MLKEM768: the group is negotiated and the echo comes back', { timeout: 30_000 }, async () => {
    const tlsServer = createServer({ cert: readFileSync(pki.rsaCert), key: readFileSync(pki.rsaKey) }, (socket) => {
      socket.on('data', (d: Buffer) => socket.end(Buffer.concat([Buffer.from('echo: '), d])));
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', () => resolve()));
    const relay = await startRelay((tlsServer.address() as net.AddressInfo).port);
    try {
      const socket = connect(webSocketTransport(new WebSocket(relay.url) as unknown as WebSocketLike), { servername: 'localhost', ca });
      const info = await socket.opened;
      assert.equal(info.protocol, 'TLSv1.3');
      assert.equal(info.group, 'X25519MLKEM768');
      assert.equal(await request(socket, 'hello over the relay'), 'echo: hello over the relay');
      await socket.close();
      assert.equal(relay.saw('hello over the relay'), false);
    } finally {
      await relay.close();
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    }
  });

  it('a relay that cannot be reached rejects opened with ECONNREFUSED; a text message is an error', { timeout: 30_000 }, async () => {
    const refused = connect(webSocketTransport(new WebSocket('ws://127.0.0.1:1') as unknown as WebSocketLike), { servername: 'localhost', ca });
    await assert.rejects(refused.opened, { code: 'ECONNREFUSED' });

    const texter = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    texter.on('connection', (ws) => ws.send('not bytes'));
    await new Promise<void>((resolve) => texter.once('listening', () => resolve()));
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${(texter.address() as net.AddressInfo).port}`) as unknown as WebSocketLike;
      const socket = connect(webSocketTransport(ws), { servername: 'localhost', ca });
      await assert.rejects(socket.opened, (e: { code?: string }) => e.code === 'ECONNRESET' || e.code === 'ERR_INVALID_ARG_TYPE');
    } finally {
      for (const c of texter.clients) c.terminate();
      await new Promise<void>((resolve) => texter.close(() => resolve()));
    }
  });
});
