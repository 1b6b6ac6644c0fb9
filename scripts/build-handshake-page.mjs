// npm run build:page: the handshake page (pages/handshake) as one static file,
// dist/pages/handshake/index.html, that opens from disk or any static server. It type-checks the page
// (pages/tsconfig.json), bundles it with esbuild for the browser, and makes the demo's certificates
// (a CA, an RSA-2048 server certificate for localhost, an ECDSA client certificate; valid ten years)
// with typetls itself, as `npm start` does, so the page needs no key generation of its own.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { makeDemoPki } from '../dist/src/cli/demo.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const source = `${root}pages/handshake/`;
const out = `${root}dist/pages/handshake/`;

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', `${root}pages`], { stdio: 'inherit' });

const result = await esbuild.build({
  entryPoints: [`${source}main.ts`],
  bundle: true,
  platform: 'browser',
  format: 'iife',
  minify: true,
  write: false,
  logLevel: 'warning',
  absWorkingDir: root,
});
const inputs = Object.keys((await esbuild.build({ entryPoints: [`${source}main.ts`], bundle: true, platform: 'browser', write: false, metafile: true, logLevel: 'silent', absWorkingDir: root })).metafile.inputs);
const nodeOnly = inputs.filter((p) => p.startsWith('node:') || p.endsWith('.node') || p.includes('crypto/node'));
if (nodeOnly.length > 0) throw new Error(`the page must not bundle Node modules: ${nodeOnly.join(', ')}`);

const pki = makeDemoPki(undefined, { client: true, days: 3650 });
const script = result.outputFiles[0].text.replaceAll('</script', '<\\/script');
const html = readFileSync(`${source}index.html`, 'utf8')
  .replace('/*STYLE*/', () => readFileSync(`${source}style.css`, 'utf8'))
  .replace('/*PKI*/', () => JSON.stringify(pki).replaceAll('</', '<\\/'))
  .replace('/*SCRIPT*/', () => script);
mkdirSync(out, { recursive: true });
writeFileSync(`${out}index.html`, html);
console.log(`handshake page: ${out}index.html (${(html.length / 1024).toFixed(0)} KiB)`);
