// `npm run bench:signer --smoke`: the remote-signer benchmark runs (a server whose key is in a
// signer process, 5 ms per signature, beside one holding its key) and every handshake completes.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';
// Compiled with the tests (a type-only import: nothing of it runs here).
import type {} from '../bench/signer.js';

const script = fileURLToPath(new URL('../bench/signer.js', import.meta.url));

test('bench/signer.js --smoke measures both servers at concurrency 16, with no failed handshake', { timeout: 120_000 }, async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [script, '--smoke'], { timeout: 110_000 });
  const rows = stdout.split('\n').filter((line) => /^\| (key in process|remote signer)/.test(line));
  assert.equal(rows.length, 2, stdout);
  for (const row of rows) {
    const [, , rate, , failed] = row.split('|').map((cell) => cell.trim());
    assert.ok(Number(rate) > 0, row);
    assert.equal(failed, '0', row);
  }
});
