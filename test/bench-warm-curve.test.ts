// The warm-up curve still runs: one short curve per implementation, every block a positive
// figure. No timing is asserted: only that each block was counted and reported.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchPki } from '../bench/common.js';
import { curve, curves } from '../bench/warm-curve.js';

test('warm-curve reports a CPU figure for every block, for both implementations', { timeout: 120_000 }, async () => {
  const pki = await benchPki();
  const psk = curves.find((c) => c.resume && c.settings.minVersion === 'TLSv1.3')!;
  for (const impl of ['typetls', 'node'] as const) {
    const blocks = await curve(impl, psk, pki, 10, 2);
    assert.equal(blocks.length, 2);
    for (const b of blocks) assert.ok(b.us > 0, `${impl}: ${JSON.stringify(b)}`);
  }
});
