// The handshake page (pages/handshake, built by `npm run build:page` into one static file): Chromium
// opens it from disk, and the handshake it runs in the page (a typetls client and server on the
// portable provider) is drawn as two columns with what each side holds. The test builds the page with
// the npm script's own build step, checks the page's text for each control, and saves a screenshot to
// dist/pages/handshake/handshake.png (with UPDATE_SCREENSHOTS=1, also to docs/handshake-page.png, the
// README's picture).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { packageRoot, startChromium, type RunningChromium } from './web-browser.js';

const pagePath = `${packageRoot}dist/pages/handshake/index.html`;
const screenshot = `${packageRoot}dist/pages/handshake/handshake.png`;

let browser: RunningChromium;
let page: Page;

before(async () => {
  await promisify(execFile)(process.execPath, [`${packageRoot}scripts/build-handshake-page.mjs`], { cwd: packageRoot, timeout: 120_000 });
  browser = await startChromium();
  page = await browser.newPage();
  await page.setViewportSize({ width: 1400, height: 1500 });
}, { timeout: 180_000 });

after(async () => {
  await browser?.stop();
});

/** Sets the controls, runs the handshake and returns the text of what the page drew. */
async function run(controls: { version: 'TLSv1.2' | 'TLSv1.3'; kx?: 'ecdhe' | 'rsa'; resume?: boolean; mtls?: boolean }): Promise<string> {
  await page.check(`input[name=version][value="${controls.version}"]`);
  if (controls.kx) await page.check(`input[name=kx][value=${controls.kx}]`);
  await page.setChecked('input[name=resume]', controls.resume ?? false);
  await page.setChecked('input[name=mtls]', controls.mtls ?? false);
  const before = await page.getAttribute('#out', 'data-done');
  await page.click('#run');
  await page.waitForFunction(`document.getElementById('out').dataset.done !== ${JSON.stringify(before)}`, undefined, { timeout: 60_000 });
  assert.equal(await page.locator('#error').count(), 0, await page.innerText('#out'));
  return page.innerText('#out');
}

const count = (text: string, needle: RegExp): number => (text.match(new RegExp(needle, 'g')) ?? []).length;

describe('the handshake page in Chromium', () => {
  it('opens from disk and draws the default TLS 1.2 ECDHE handshake with what each side holds', { timeout: 120_000 }, async () => {
    await page.goto(pathToFileURL(pagePath).href);
    await page.waitForSelector('#out[data-done]', { timeout: 60_000 });
    const text = await page.innerText('#out');
    for (const [n, name] of ['ClientHello', 'ServerHello', 'Certificate', 'ServerKeyExchange', 'ServerHelloDone', 'ClientKeyExchange', 'Finished', 'Finished'].entries()) {
      assert.match(text, new RegExp(`Step ${n + 1} · ${name}\\b`));
    }
    assert.match(text, /Handshake complete: TLSv1\.2, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, x25519\./);
    // The seed documents' lists, with real values: randoms, session ID, pre-master and master secret, session keys.
    assert.match(text, /CLIENT NOW HOLDS · WAITING FOR SERVERHELLO/i);
    assert.match(text, /Client Random\s+[0-9a-f]{64}/);
    assert.match(text, /Server Random\s+[0-9a-f]{64}/);
    assert.match(text, /Pre-Master-Secret\s+[0-9a-f]{64}/);
    assert.match(text, /Master Secret\s+[0-9a-f]{64}/);
    assert.match(text, /Client Write Key\s+[0-9a-f]{32}/);
    assert.match(text, /Server Write Key\s+[0-9a-f]{32}/);
    assert.match(text, /Private Key\s+\(held, not shown\)/);
    assert.match(text, /Hello from the server in this page\. You asked for GET \/ HTTP\/1\.1 over TLSv1\.2/);
    // The two columns, and an arrow for every message sent.
    assert.equal(await page.locator('.lane-head.client').first().innerText(), 'Client');
    assert.equal(await page.locator('.lane-head.server').first().innerText(), 'Server');
    assert.ok((await page.locator('.arrow.client svg').count()) >= 3);
    assert.ok((await page.locator('.arrow.server svg').count()) >= 5);
    await page.screenshot({ path: screenshot });
    const png = readFileSync(screenshot);
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.equal(png.readUInt32BE(16), 1400);
    assert.equal(png.readUInt32BE(20), 1500);
    if (process.env['UPDATE_SCREENSHOTS'] === '1') copyFileSync(screenshot, `${packageRoot}docs/handshake-page.png`);
  });

  it('RSA key exchange: no ServerKeyExchange, the pre-master secret travels encrypted', { timeout: 120_000 }, async () => {
    const text = await run({ version: 'TLSv1.2', kx: 'rsa' });
    assert.match(text, /Handshake complete: TLSv1\.2, TLS_RSA_WITH_AES_128_GCM_SHA256\./);
    assert.doesNotMatch(text, /· ServerKeyExchange/);
    assert.match(text, /Step 6 · ClientKeyExchange/);
    // 48 bytes, starting with the version the client offered (RFC 5246 Section 7.4.7.1), 32 bytes a line.
    assert.match(text, /Pre-Master-Secret\s+0303[0-9a-f]{60}\s+[0-9a-f]{32}\s/);
  });

  it('TLS 1.3: one round trip, X25519MLKEM768, the key schedule; RSA is not offered', { timeout: 120_000 }, async () => {
    const text = await run({ version: 'TLSv1.3' });
    assert.equal(await page.isDisabled('input[name=kx][value=rsa]'), true);
    assert.match(text, /Handshake complete: TLSv1\.3, TLS_AES_128_GCM_SHA256, X25519MLKEM768\./);
    for (const name of ['EncryptedExtensions', 'CertificateVerify']) assert.match(text, new RegExp(`· ${name}\\b`));
    assert.match(text, /Handshake Secret\s+[0-9a-f]{64}/);
    assert.match(text, /derives the client handshake traffic secret/);
    assert.ok(count(text, /· NewSessionTicket/) >= 1, 'the server sends a ticket');
  });

  it('TLS 1.3 with resumption and mutual TLS: the second connection resumes; the server knows the client', { timeout: 120_000 }, async () => {
    const text = await run({ version: 'TLSv1.3', resume: true, mtls: true });
    assert.match(text, /First connection: a full handshake/);
    assert.match(text, /Second connection: the client offers the session it kept/);
    assert.match(text, /Handshake complete: TLSv1\.3, TLS_AES_128_GCM_SHA256, X25519MLKEM768\.\n/);
    assert.match(text, /Handshake complete: TLSv1\.3, TLS_AES_128_GCM_SHA256, X25519MLKEM768, resumed\./);
    assert.match(text, /Step 4 · CertificateRequest/);
    assert.match(text, /The server knows who the client is: O=typetls, CN=demo client\./);
  });

  it('TLS 1.2 with resumption: the abbreviated handshake, the server finishes first', { timeout: 120_000 }, async () => {
    const text = await run({ version: 'TLSv1.2', kx: 'ecdhe', resume: true });
    assert.match(text, /, resumed\./);
    const second = text.slice(text.indexOf('Second connection'));
    assert.match(second, /Step 3 · Finished[\s\S]*Step 4 · Finished/);
    assert.doesNotMatch(second, /· Certificate\b/);
  });

  it('the page logged no error', () => {
    assert.deepEqual(browser.errors, []);
  });
});
