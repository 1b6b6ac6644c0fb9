// Headless Chromium (Debian's `chromium`) loads a page from a typetls server on 127.0.0.1.
//
// The page is the server's own description of the connection (`version=TLSv1.3 cipher=… group=…`), and
// Chromium's --dump-dom prints it: what the browser negotiated, as the server saw it, reported by the
// browser. Chromium offers X25519MLKEM768 first, so a TLS 1.3 server preferring it must land on it.
// --ignore-certificate-errors: the test CA is not in Chromium's store; the TLS handshake is unchanged.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

import { createHttpsServer } from '../../src/node/api.js';
import { makeTestPki, type TestPki } from '../certs/make.js';
import { runChromium, startTypetlsServer, stopAllPeers, tail } from './peers.js';

let pki: TestPki;

before(async () => {
  pki = await makeTestPki();
});
after(stopAllPeers);

/** The text of the page in Chromium's DOM dump (a text/plain body is shown inside a <pre>). */
function pageText(dom: string): string {
  const pre = /<pre[^>]*>([\s\S]*?)<\/pre>/.exec(dom);
  return (pre ? pre[1]! : dom).trim();
}

async function load(port: number): Promise<string> {
  const r = await runChromium(`https://127.0.0.1:${port}/`);
  const dom = r.stdout.toString('utf8');
  assert.equal(r.timedOut, false, `chromium timed out: ${tail(r.stderr)}`);
  assert.equal(r.code, 0, `chromium exit ${r.code}: ${tail(r.stderr)}`);
  return pageText(dom);
}

test('chromium -> typetls server (the CLI): version=TLSv1.3, group=X25519MLKEM768', { timeout: 40_000 }, async () => {
  const server = await startTypetlsServer(['--cert', pki.rsaCert, '--key', pki.rsaKey]);
  try {
    const page = await load(server.port);
    assert.match(page, /^version=TLSv1\.3 cipher=TLS_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256) group=X25519MLKEM768( alpn=\S+)?$/, page);
  } finally {
    await server.stop();
  }
});

/** An https server on the library with the given options; its page names what was negotiated. */
async function startPageServer(options: { ecdhCurve?: string; maxVersion?: 'TLSv1.2' | 'TLSv1.3' }) {
  const server = createHttpsServer(
    { cert: readFileSync(pki.ecdsaCert), key: readFileSync(pki.ecdsaKey), ...options },
    (req, res) => {
      const socket = req.socket as unknown as {
        getProtocol(): string | null;
        getCipher(): { standardName: string };
        getEphemeralKeyInfo(): { name?: string };
        alpnProtocol: string | false | null;
      };
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.setHeader('Connection', 'close');
      res.end(
        `version=${socket.getProtocol()} cipher=${socket.getCipher().standardName} group=${socket.getEphemeralKeyInfo().name} alpn=${socket.alpnProtocol}\n`,
      );
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as AddressInfo).port };
}

test('chromium -> typetls https server speaking only X25519MLKEM768 (ECDSA certificate)', { timeout: 40_000 }, async () => {
  const { server, port } = await startPageServer({ ecdhCurve: 'X25519MLKEM768' });
  try {
    const page = await load(port);
    assert.match(page, /^version=TLSv1\.3 cipher=TLS_\S+ group=X25519MLKEM768 alpn=http\/1\.1$/, page);
  } finally {
    server.close();
  }
});

test('chromium -> typetls https server limited to TLS 1.2: ECDHE with X25519', { timeout: 40_000 }, async () => {
  const { server, port } = await startPageServer({ maxVersion: 'TLSv1.2' });
  try {
    const page = await load(port);
    assert.match(page, /^version=TLSv1\.2 cipher=TLS_ECDHE_ECDSA_WITH_\S+ group=X25519 alpn=http\/1\.1$/, page);
  } finally {
    server.close();
  }
});
