// The README's code excerpts are real files: every line of the first ```js block under a heading, but for
// blank lines and `// ...` elisions, is in the file, in order. For the examples the tests run.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Asserts that the ```js block under `heading` in README.md is `file` (relative to the repository), line for line. */
export function assertReadmeExcerpt(heading: string, file: string): void {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const section = readme.slice(readme.indexOf(heading));
  const excerpt = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(excerpt, `the README has a code block under "${heading}"`);
  const lines = readFileSync(`${root}${file}`, 'utf8').split('\n').map((l) => l.trim());
  let at = 0;
  for (const line of excerpt.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('// ...')) continue;
    const found = lines.indexOf(line, at);
    assert.notEqual(found, -1, `README line not in ${file} (after line ${at + 1}): ${line}`);
    at = found + 1;
  }
}
