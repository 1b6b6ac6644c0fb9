// typetls/web in a real browser: Debian's Chromium (headless, driven by playwright-core) loads a page
// with the esbuild bundle of typetls/web.
//
// Client: the page connects through a WebSocket→TCP relay (test/web-relay.ts) to openssl s_server (TLS
// 1.3 and 1.2, RSA and ECDSA certificates from the test CA, passed as `ca`) and to a typetls Node
// server (X25519MLKEM768), sends an HTTP request and reads the answer. s_server's -www page is its own
// report of the session (protocol and cipher), checked against what the page negotiated. A wrong
// hostname and an unknown CA fail in the page with node's codes.
//
// WebCrypto records: a 1 MiB download with application data opened by crypto.subtle and with
// webCrypto: false (the same bytes), and s_server's KeyUpdates (k, K) between data, the page's data
// after them read by s_server under the page's next key.
//
// Server: in another page a typetls client and a typetls server, both on the portable provider with
// RSA-2048 and ECDSA P-256 certificates, complete TLS 1.3 and 1.2 handshakes over an in-page channel
// (two TransformStreams) and exchange data.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { createServer } from '../src/index.js';
import { suiteByName } from '../src/suites.js';
import type * as Web from '../src/web/index.js';
import { makeTestPki, type TestPki } from './certs/make.js';
import { startOpensslServer, stopAllPeers } from './interop/peers.js';
import { bundleForBrowser, startChromium, startPageServer, type RunningChromium } from './web-browser.js';
import { waitFor } from './web-helpers.js';
import { startRelay } from './web-relay.js';

declare const typetls: typeof Web;

let pki: TestPki;
let browser: RunningChromium;
let pages: Awaited<ReturnType<typeof startPageServer>>;
let page: Page;

before(async () => {
  pki = await makeTestPki();
  const script = await bundleForBrowser("export * from 'typetls/web';");
  pages = await startPageServer({
    '/': ['text/html; charset=utf-8', '<!doctype html><link rel="icon" href="data:,"><title>typetls/web</title><script src="/typetls.js"></script><p>typetls/web test page</p>'],
    '/typetls.js': ['text/javascript; charset=utf-8', script],
  });
  browser = await startChromium();
  page = await browser.newPage();
  await page.goto(`${pages.url}/`);
  assert.equal(await page.evaluate(() => typeof typetls.connect), 'function', 'the bundle loaded in the page');
}, { timeout: 180_000 });

after(async () => {
  await browser?.stop();
  await pages?.close();
  await stopAllPeers();
});

const pem = (path: string): string => readFileSync(path, 'utf8');

interface FetchResult {
  readonly ok: boolean;
  readonly protocol?: string;
  readonly cipher?: string;
  readonly group?: string;
  readonly authorized?: boolean;
  readonly response?: string;
  readonly code?: string;
  readonly message?: string;
}

/** In the page: connect through the relay, send `request`, read until the server closes. */
function fetchInPage(p: Page, args: { url: string; servername: string; ca: string; request: string }): Promise<FetchResult> {
  return p.evaluate(async ({ url, servername, ca, request }) => {
    const socket = typetls.connect(typetls.webSocketTransport(new WebSocket(url)), { servername, ca });
    try {
      const info = await socket.opened;
      const writer = socket.writable.getWriter();
      await writer.write(new TextEncoder().encode(request));
      writer.releaseLock();
      const reader = socket.readable.getReader();
      let response = '';
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        response += decoder.decode(value, { stream: true });
      }
      await socket.close();
      return { ok: true, protocol: info.protocol, cipher: info.cipher, group: info.group, authorized: info.authorized, response };
    } catch (e) {
      const error = e as { code?: string; message?: string };
      return { ok: false, code: error.code, message: error.message };
    }
  }, args);
}

describe('Chromium: the typetls/web client through a WebSocket relay', () => {
  const cells = [
    { version: 'TLSv1.3', flag: '-tls1_3', key: 'ECDSA' },
    { version: 'TLSv1.3', flag: '-tls1_3', key: 'RSA' },
    { version: 'TLSv1.2', flag: '-tls1_2', key: 'ECDSA' },
    { version: 'TLSv1.2', flag: '-tls1_2', key: 'RSA' },
  ] as const;
  for (const cell of cells) {
    it(`${cell.version} to openssl s_server with an ${cell.key} certificate: the HTTP answer, s_server's report matches`, { timeout: 60_000 }, async () => {
      const [cert, key] = cell.key === 'RSA' ? [pki.rsaCert, pki.rsaKey] : [pki.ecdsaCert, pki.ecdsaKey];
      const server = await startOpensslServer(['-cert', cert, '-key', key, cell.flag, '-www']);
      const relay = await startRelay(server.port);
      try {
        const r = await fetchInPage(page, { url: relay.url, servername: 'localhost', ca: pem(pki.caCert), request: 'GET /from-the-page HTTP/1.0\r\n\r\n' });
        assert.equal(r.ok, true, `${r.code}: ${r.message}`);
        assert.equal(r.protocol, cell.version);
        assert.equal(r.authorized, true);
        assert.match(r.response!, /^HTTP\/1\.0 200 ok\r\n/);
        // s_server's own account of the session, in its -www page: the protocol and the suite (by OpenSSL's name).
        const reported = /New, (TLSv1\.[23]), Cipher is (\S+)/.exec(r.response!);
        assert.ok(reported, 's_server reported the session');
        assert.equal(reported[1], cell.version);
        assert.equal(reported[2], suiteByName(r.cipher!)!.openSslName);
        assert.match(r.cipher!, cell.version === 'TLSv1.3' ? /^TLS_(AES|CHACHA20)/ : new RegExp(`^TLS_ECDHE_${cell.key}_WITH_`));
        assert.ok(relay.carried.length > 0);
        assert.equal(relay.saw('from-the-page'), false, 'the relay never saw the request');
        assert.equal(relay.saw('Cipher is'), false, 'the relay never saw the answer');
      } finally {
        await relay.close();
        await server.stop();
      }
    });
  }

  it('to a typetls Node server: TLS 1.3 with X25519MLKEM768, and the answer', { timeout: 60_000 }, async () => {
    const tlsServer = createServer({ cert: readFileSync(pki.rsaCert), key: readFileSync(pki.rsaKey) }, (socket) => {
      socket.once('data', (d: Buffer) => {
        const line = d.toString('latin1').split('\r\n')[0];
        socket.end(`HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nyou asked for ${line} over ${socket.getProtocol()} with ${socket.getEphemeralKeyInfo()?.name ?? '?'}\n`);
      });
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', () => resolve()));
    const relay = await startRelay((tlsServer.address() as AddressInfo).port);
    try {
      const r = await fetchInPage(page, { url: relay.url, servername: 'localhost', ca: pem(pki.caCert), request: 'GET /pq HTTP/1.0\r\n\r\n' });
      assert.equal(r.ok, true, `${r.code}: ${r.message}`);
      assert.equal(r.protocol, 'TLSv1.3');
      assert.equal(r.group, 'X25519MLKEM768');
      assert.equal(r.authorized, true);
      assert.match(r.response!, /^HTTP\/1\.0 200 OK\r\n/);
      assert.match(r.response!, /you asked for GET \/pq HTTP\/1\.0 over TLSv1\.3 with X25519MLKEM768\n$/);
      assert.equal(relay.saw('/pq'), false);
    } finally {
      await relay.close();
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    }
  });

  it('a certificate for another name fails in the page with ERR_TLS_CERT_ALTNAME_INVALID', { timeout: 60_000 }, async () => {
    const server = await startOpensslServer(['-cert', pki.ecdsaCert, '-key', pki.ecdsaKey, '-www']);
    const relay = await startRelay(server.port);
    try {
      const r = await fetchInPage(page, { url: relay.url, servername: 'db.example.com', ca: pem(pki.caCert), request: 'GET / HTTP/1.0\r\n\r\n' });
      assert.equal(r.ok, false);
      assert.equal(r.code, 'ERR_TLS_CERT_ALTNAME_INVALID', r.message);
      assert.match(r.message!, /db\.example\.com/);
    } finally {
      await relay.close();
      await server.stop();
    }
  });

  it('a certificate from a CA the page does not trust fails with UNABLE_TO_VERIFY_LEAF_SIGNATURE', { timeout: 60_000 }, async () => {
    const server = await startOpensslServer(['-cert', pki.unknownCert, '-key', pki.unknownKey, '-www']);
    const relay = await startRelay(server.port);
    try {
      const r = await fetchInPage(page, { url: relay.url, servername: 'localhost', ca: pem(pki.caCert), request: 'GET / HTTP/1.0\r\n\r\n' });
      assert.equal(r.ok, false);
      assert.equal(r.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', r.message);
    } finally {
      await relay.close();
      await server.stop();
    }
  });
});

describe('Chromium: application data records on WebCrypto', () => {
  it('a 1 MiB download from s_server -WWW (TLS 1.3, AES-128-GCM) arrives whole with WebCrypto opening the records, and with webCrypto: false', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'typetls-chromium-bulk-'));
    const file = new Uint8Array(1024 * 1024 + 4321).map((_, i) => (i * 13 + (i >> 9)) & 0xff);
    writeFileSync(join(dir, 'bulk.bin'), file);
    const server = await startOpensslServer(['-cert', pki.ecdsaCert, '-key', pki.ecdsaKey, '-tls1_3', '-ciphersuites', 'TLS_AES_128_GCM_SHA256', '-WWW', '-quiet'], 10_000, { cwd: dir });
    const relay = await startRelay(server.port, { record: false });
    try {
      const expected = createHash('sha256').update(file).digest('hex');
      for (const webCrypto of [true, false]) {
        const r = await page.evaluate(async ({ url, ca, webCrypto }) => {
          // Count the records WebCrypto opens (crypto.subtle's own method, wrapped for this download).
          const subtle = crypto.subtle as unknown as { decrypt: (...args: unknown[]) => Promise<ArrayBuffer> };
          const decrypt = subtle.decrypt;
          let opened = 0;
          subtle.decrypt = function (...args: unknown[]) {
            opened++;
            return decrypt.apply(this, args);
          };
          try {
            const socket = typetls.connect(typetls.webSocketTransport(new WebSocket(url)), { servername: 'localhost', ca, webCrypto });
            await socket.opened;
            const writer = socket.writable.getWriter();
            await writer.write(new TextEncoder().encode('GET /bulk.bin HTTP/1.0\r\n\r\n'));
            writer.releaseLock();
            const chunks: Uint8Array[] = [];
            const reader = socket.readable.getReader();
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              chunks.push(value);
            }
            await socket.close();
            const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
            let at = 0;
            for (const c of chunks) {
              all.set(c, at);
              at += c.length;
            }
            let head = 0;
            while (!(all[head] === 13 && all[head + 1] === 10 && all[head + 2] === 13 && all[head + 3] === 10)) head++;
            const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all.subarray(head + 4)));
            return { opened, sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('') };
          } finally {
            subtle.decrypt = decrypt;
          }
        }, { url: relay.url, ca: pem(pki.caCert), webCrypto });
        assert.equal(r.sha256, expected, `webCrypto: ${webCrypto}: the file arrived whole`);
        if (webCrypto) assert.ok(r.opened >= 64, `WebCrypto opened ${r.opened} records`);
        else assert.equal(r.opened, 0, 'webCrypto: false opens nothing with WebCrypto');
      }
    } finally {
      await relay.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("s_server's KeyUpdates (one asking for ours) in the middle of the data: followed, and the page's data after them arrives", { timeout: 60_000 }, async () => {
    const server = await startOpensslServer(['-cert', pki.ecdsaCert, '-key', pki.ecdsaKey, '-tls1_3', '-ciphersuites', 'TLS_AES_128_GCM_SHA256']);
    const relay = await startRelay(server.port, { record: false });
    const keyUpdates = () => server.stdout().toString('utf8').match(/SSL_do_handshake -> 1/g)?.length ?? 0;
    try {
      // The page keeps its socket between evaluations, reading into a text that the test polls.
      await page.evaluate(async ({ url, ca }) => {
        const socket = typetls.connect(typetls.webSocketTransport(new WebSocket(url)), { servername: 'localhost', ca });
        await socket.opened;
        const state = { socket, text: '', error: '' };
        (globalThis as unknown as { keyUpdateTest: typeof state }).keyUpdateTest = state;
        void (async () => {
          const reader = socket.readable.getReader();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            state.text += new TextDecoder().decode(value);
          }
        })().catch((e: { code?: string }) => (state.error = String(e.code)));
      }, { url: relay.url, ca: pem(pki.caCert) });
      const pageText = () => page.evaluate(() => (globalThis as unknown as { keyUpdateTest: { text: string; error: string } }).keyUpdateTest);
      const waitForPage = async (needle: string) => {
        const deadline = Date.now() + 10_000;
        let state = await pageText();
        while (!state.text.includes(needle) && state.error === '' && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
          state = await pageText();
        }
        assert.equal(state.error, '');
        assert.match(state.text, new RegExp(needle));
      };
      server.send(Buffer.from('before any update\n'));
      await waitForPage('before any update');
      // s_server: "k" sends KeyUpdate, "K" one that asks for ours; one command per read of its stdin.
      server.send(Buffer.from('k\n'));
      await waitFor(() => keyUpdates() >= 1);
      server.send(Buffer.from('after k\n'));
      await waitForPage('after k');
      server.send(Buffer.from('K\n'));
      await waitFor(() => keyUpdates() >= 2);
      server.send(Buffer.from('after K\n'));
      await waitForPage('after K');
      assert.equal(keyUpdates(), 2);
      await page.evaluate(async () => {
        const { socket } = (globalThis as unknown as { keyUpdateTest: { socket: { writable: WritableStream<Uint8Array> } } }).keyUpdateTest;
        const writer = socket.writable.getWriter();
        await writer.write(new TextEncoder().encode('from the page after the updates\n'));
        writer.releaseLock();
      });
      await waitFor(() => server.stdout().includes('from the page after the updates'));
      assert.match(server.stdout().toString('utf8'), /from the page after the updates/, 's_server read the page under its next key');
      await page.evaluate(() => (globalThis as unknown as { keyUpdateTest: { socket: { close(): Promise<void> } } }).keyUpdateTest.socket.close());
    } finally {
      await relay.close();
      await server.stop();
    }
  });
});

describe('Chromium: a typetls client and a typetls server in one page', () => {
  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    for (const key of ['RSA', 'ECDSA'] as const) {
      it(`${version}, ${key} certificate, portable provider on both sides: handshake and data both ways`, { timeout: 60_000 }, async () => {
        const [cert, keyFile] = key === 'RSA' ? [pki.rsaCert, pki.rsaKey] : [pki.ecdsaCert, pki.ecdsaKey];
        const r = await page.evaluate(
          async ({ ca, cert, key, version }) => {
            // The in-page channel: one TransformStream each way.
            const toServer = new TransformStream<Uint8Array, Uint8Array>();
            const toClient = new TransformStream<Uint8Array, Uint8Array>();
            const server = typetls.accept({ readable: toServer.readable, writable: toClient.writable }, { cert, key });
            const client = typetls.connect({ readable: toClient.readable, writable: toServer.writable }, { servername: 'localhost', ca, maxVersion: version });
            const [c, s] = await Promise.all([client.opened, server.opened]);
            const say = async (socket: typeof client, text: string) => {
              const w = socket.writable.getWriter();
              await w.write(new TextEncoder().encode(text));
              w.releaseLock();
            };
            const hear = async (socket: typeof client) => {
              const r = socket.readable.getReader();
              const { value } = await r.read();
              r.releaseLock();
              return new TextDecoder().decode(value);
            };
            await say(client, 'hello from the client in the page');
            const atServer = await hear(server);
            await say(server, 'and from the server in the same page');
            const atClient = await hear(client);
            await client.close();
            await server.close();
            await Promise.all([client.closed, server.closed]);
            return {
              client: { protocol: c.protocol, cipher: c.cipher, authorized: c.authorized, peer: c.peerCertificates.length },
              server: { protocol: s.protocol, cipher: s.cipher },
              atServer,
              atClient,
            };
          },
          { ca: pem(pki.caCert), cert: pem(cert), key: pem(keyFile), version },
        );
        assert.equal(r.client.protocol, version);
        assert.equal(r.server.protocol, version);
        assert.equal(r.client.cipher, r.server.cipher);
        if (version === 'TLSv1.2') assert.match(r.client.cipher, new RegExp(`^TLS_ECDHE_${key}_WITH_`));
        assert.equal(r.client.authorized, true);
        assert.equal(r.client.peer, 1);
        assert.equal(r.atServer, 'hello from the client in the page');
        assert.equal(r.atClient, 'and from the server in the same page');
      });
    }
  }

  it('the page logged no error', () => {
    assert.deepEqual(browser.errors, []);
  });
});
