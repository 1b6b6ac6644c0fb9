// bench/turns.js still runs: servers of this checkout and of node:tls driven by turns, each block
// counted. No timing is asserted: only that every block of every server was measured.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientTurns, turns, type Mode } from '../bench/turns.js';

/** The checkout this build belongs to (dist/test/ is two levels below it). */
const checkout = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

for (const mode of ['psk', 'sid12', 'full12', 'echo', 'bulk'] as Mode[]) {
  test(`turns.js ${mode}: a CPU figure for every block of this checkout's server and node:tls's`, { timeout: 120_000 }, async () => {
    const results = await turns(mode, [checkout, 'node'], { warmup: mode === 'bulk' ? 1 : 10, block: mode === 'bulk' ? 2 : 20, rounds: 2 });
    assert.deepEqual(results.map((r) => r.dir), [checkout, 'node']);
    for (const { dir, per, resumed } of results) {
      assert.equal(per.length, 2);
      // This checkout's server resumes every handshake of a block from the ticket of its warm-up.
      if (mode === 'psk' && dir === checkout) assert.equal(resumed, 40);
      // TLS 1.2 by session ID: both servers keep the sessions through 'newSession'/'resumeSession'.
      if (mode === 'sid12') assert.equal(resumed, 40, `${dir} resumed every handshake by session ID`);
      if (mode === 'full12') assert.equal(resumed, 0);
      for (const x of per) assert.ok(Number.isFinite(x) && x > 0, `${mode} ${dir}: ${x}`);
    }
  });
}

for (const mode of ['echo', 'bulk'] as const) {
  test(`turns.js ${mode} --side client: a CPU figure for every block of this checkout's client and node:tls's`, { timeout: 120_000 }, async () => {
    const results = await clientTurns(mode, [checkout, 'node'], { warmup: mode === 'bulk' ? 1 : 10, block: mode === 'bulk' ? 2 : 20, rounds: 2 });
    assert.deepEqual(results.map((r) => r.dir), [checkout, 'node']);
    for (const { dir, per } of results) {
      assert.equal(per.length, 2);
      for (const x of per) assert.ok(Number.isFinite(x) && x > 0, `${mode} ${dir}: ${x}`);
    }
  });
}
