// A folder outside the repository where a program imports typetls as a user's program does: through
// node_modules/typetls and package.json "exports", not by a relative path into src/ or dist/.

import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';

/** The repository root: dist/test/ → ../../ */
export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A temporary folder whose node_modules/typetls links to this checkout; made before the file's tests, removed after them. */
export function outsideProject(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  before(() => {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(repositoryRoot, join(dir, 'node_modules', 'typetls'), 'dir');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
