// The README's browser example (examples/browser): serve.mjs bundles page.js with esbuild, serves it and
// relays /relay to openssl s_server; Chromium opens the page, fills the form and connects. With the test
// CA pasted the answer arrives; with another name the page shows ERR_TLS_CERT_ALTNAME_INVALID; with no CA
// the page trusts the Mozilla roots (typetls/web/roots), which do not hold the test CA. The README's
// excerpt is page.js, line for line.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { makeTestPki, type TestPki } from './certs/make.js';
import { startOpensslServer, stopAllPeers, stopProcess, type OpensslServer } from './interop/peers.js';
import { assertReadmeExcerpt } from './readme-excerpt.js';
import { packageRoot, startChromium, type RunningChromium } from './web-browser.js';

let pki: TestPki;
let tlsServer: OpensslServer;
let serve: ChildProcess;
let pageUrl: string;
let browser: RunningChromium;
let page: Page;

before(async () => {
  pki = await makeTestPki();
  tlsServer = await startOpensslServer(['-cert', pki.ecdsaCert, '-key', pki.ecdsaKey, '-www']);
  serve = spawn(process.execPath, [`${packageRoot}examples/browser/serve.mjs`, '--target', `127.0.0.1:${tlsServer.port}`, '--port', '0'], {
    cwd: packageRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  pageUrl = await new Promise<string>((resolve, reject) => {
    let text = '';
    serve.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /page: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
      if (m) resolve(m[1]!);
    });
    serve.once('exit', (code) => reject(new Error(`serve.mjs exited (${code}): ${text}`)));
    setTimeout(() => reject(new Error(`serve.mjs did not say where it listens within 60 s: ${text}`)), 60_000).unref();
  });
  browser = await startChromium();
  page = await browser.newPage();
}, { timeout: 180_000 });

after(async () => {
  await browser?.stop();
  if (serve) await stopProcess(serve);
  await stopAllPeers();
});

async function connectFromPage(servername: string, ca: string): Promise<string> {
  await page.goto(pageUrl);
  await page.fill('input[name=servername]', servername);
  await page.fill('textarea[name=ca]', ca);
  await page.click('#connect');
  await page.waitForFunction("/HTTP\\/1\\.0 200 ok[\\s\\S]*<\\/HTML>|failed: /.test(document.getElementById('out').textContent)", undefined, { timeout: 60_000 });
  return page.innerText('#out');
}

describe('the README browser example in Chromium', () => {
  it("the README's page code is examples/browser/page.js, line for line", () => {
    assertReadmeExcerpt('### In a page', 'examples/browser/page.js');
  });

  it('with the CA pasted: TLS 1.3 through the relay, the certificate authorized, the answer shown', { timeout: 90_000 }, async () => {
    const text = await connectFromPage('localhost', readFileSync(pki.caCert, 'utf8'));
    assert.match(text, /TLSv1\.3, TLS_\w+, x25519; certificate for CN=localhost: authorized/);
    assert.match(text, /HTTP\/1\.0 200 ok/);
    assert.match(text, /New, TLSv1\.3, Cipher is TLS_\w+/);
  });

  it('another name: the page shows ERR_TLS_CERT_ALTNAME_INVALID', { timeout: 90_000 }, async () => {
    const text = await connectFromPage('db.example.com', readFileSync(pki.caCert, 'utf8'));
    assert.match(text, /failed: ERR_TLS_CERT_ALTNAME_INVALID: /);
  });

  it('no CA pasted: the Mozilla roots, which do not hold the test CA', { timeout: 90_000 }, async () => {
    const text = await connectFromPage('localhost', '');
    assert.match(text, /failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE: /);
  });

  it('the page logged no error', () => {
    assert.deepEqual(browser.errors, []);
  });
});
