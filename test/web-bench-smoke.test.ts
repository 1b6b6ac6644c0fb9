// npm run bench:web in its smallest form (--smoke: one round, a few handshakes, 1 MiB): it runs to the
// end in Chromium and prints every row of its table. No timing is asserted; the figures belong to
// docs/benchmarks.md.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type {} from '../bench/web.js';

const runner = fileURLToPath(new URL('../bench/web.js', import.meta.url));

test('bench:web --smoke: typetls and subtls in Chromium, both providers in Node, the bundle sizes', { timeout: 240_000 }, async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [runner, '--smoke'], { timeout: 220_000, maxBuffer: 1 << 20 });
  const row = (label: string): string[] => {
    const line = stdout.split('\n').find((l) => l.startsWith(`| ${label}`));
    assert.ok(line, `a row for ${label}:\n${stdout}`);
    return line.split('|').slice(2, -1).map((c) => c.trim());
  };
  const numbers = (cells: string[]): void => {
    // A figure, a ratio, or figures side by side ("12.3 / 4.5 / —": page CPU per client).
    for (const c of cells) assert.match(c, /^\d+(\.\d+)?×?$|^\(not offered\)$|^—$|^\d+(\.\d+)?( \/ (\d+(\.\d+)?|—))+$/, `a figure, not ${c}`);
  };
  numbers(row('ECDSA P-256 server certificate'));
  numbers(row('RSA-2048 server certificate'));
  numbers(row('P-384 ECDSA root and intermediate, ECDSA P-256 server certificate'));
  numbers(row('TLS_AES_128_GCM_SHA256'));
  const chacha = row('TLS_CHACHA20_POLY1305_SHA256');
  assert.deepEqual(chacha.slice(2, 4), ['(not offered)', '—']);
  numbers(chacha);
  numbers(row('no TLS').filter((c) => c !== ''));
  numbers(row('handshakes/s'));
  numbers(row('AES-128-GCM MB/s'));
  numbers(row('ChaCha20-Poly1305 MB/s'));
  numbers(row('typetls/web: connect'));
  numbers(row('subtls 0.5.0'));
});
