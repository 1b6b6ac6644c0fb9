// The README's Worker ("In a Cloudflare Worker") is examples/worker/index.js, which test/workerd/workerd.test.ts
// runs in workerd: every line of the README's excerpt, but for its `// ...` elisions, is in the file, in order.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test("the README's Worker is examples/worker/index.js, line for line", () => {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const section = readme.slice(readme.indexOf('### In a Cloudflare Worker'));
  const excerpt = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(excerpt, 'the README has a Worker code block under "In a Cloudflare Worker"');
  const file = readFileSync(`${root}examples/worker/index.js`, 'utf8').split('\n').map((l) => l.trim());
  let at = 0;
  for (const line of excerpt.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('// ...')) continue;
    const found = file.indexOf(line, at);
    assert.notEqual(found, -1, `README line not in examples/worker/index.js (after line ${at + 1}): ${line}`);
    at = found + 1;
  }
});
