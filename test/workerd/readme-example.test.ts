// The README's Worker ("In a Cloudflare Worker") is examples/worker/index.js, which test/workerd/workerd.test.ts
// runs in workerd: every line of the README's excerpt, but for its `// ...` elisions, is in the file, in order.

import { test } from 'node:test';
import { assertReadmeExcerpt } from '../readme-excerpt.js';

test("the README's Worker is examples/worker/index.js, line for line", () => {
  assertReadmeExcerpt('### In a Cloudflare Worker', 'examples/worker/index.js');
});
