// The package as its users get it: plain Node resolving `typetls` by name through package.json
// `exports`, not the tests' relative imports of src/. An .mjs program in a temp directory whose
// node_modules/typetls is a symlink to this repository imports connect and createServer, makes a
// handshake between them on 127.0.0.1 and prints what was negotiated. The same import works from
// inside the package (self-reference through `exports`), and TypeScript finds the declarations.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { makeTestPki, type TestPki } from './certs/make.js';
import { outsideProject, repositoryRoot } from './outside-project.js';

const root = repositoryRoot;
const temp = outsideProject('typetls-import-');
let pki: TestPki;

before(async () => {
  pki = await makeTestPki();
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end (killed by PID after `timeoutMs`). */
function run(command: string, args: readonly string[], cwd: string, timeoutMs = 15_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

/**
 * A program written for node:tls with only its import changed: a server echoing what it reads,
 * a client that checks the server against the CA, writes "ping", prints the protocol, the suite,
 * the verdict and the echo, and closes both ends.
 */
const program = (maxVersion: string) => `
import { connect, createServer } from 'typetls';
import { readFileSync } from 'node:fs';

const [cert, key, ca] = process.argv.slice(2).map((p) => readFileSync(p));
const server = createServer({ cert, key, maxVersion: '${maxVersion}' }, (socket) => {
  socket.on('data', (d) => socket.write(d));
  socket.on('end', () => socket.end());
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const client = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
    console.log('protocol=' + client.getProtocol() + ' cipher=' + client.getCipher().standardName + ' authorized=' + client.authorized);
    client.write('ping');
  });
  client.on('data', (d) => {
    console.log('echo=' + d.toString());
    client.end();
    server.close();
  });
  client.on('error', (e) => {
    console.error('error: ' + e.code + ': ' + e.message);
    process.exit(1);
  });
});
`;

describe("the package by name: import { connect, createServer } from 'typetls'", () => {
  for (const [maxVersion, protocol] of [['TLSv1.3', 'TLSv1.3'], ['TLSv1.2', 'TLSv1.2']] as const) {
    it(`an .mjs file outside the repository (node_modules/typetls symlinked) makes a ${protocol} handshake on 127.0.0.1`, async () => {
      const file = join(temp, `app-${protocol}.mjs`);
      writeFileSync(file, program(maxVersion));
      const r = await run(process.execPath, [file, pki.rsaCert, pki.rsaKey, pki.caCert], temp);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.match(lines[0]!, new RegExp(`^protocol=${protocol.replace('.', '\\.')} cipher=TLS_\\w+ authorized=true$`));
      assert.equal(lines[1], 'echo=ping');
      console.log(`  ${file}: ${lines.join(' | ')}`);
    });
  }

  it('the import resolves through package.json exports to dist/src/index.js, not through a deep path', async () => {
    const file = join(temp, 'resolve.mjs');
    writeFileSync(file, "console.log(import.meta.resolve('typetls'));\n");
    const r = await run(process.execPath, [file], temp);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), new URL('dist/src/index.js', `file://${root}`).href);
    // A path that `exports` does not list is not reachable (exports encapsulates the package).
    writeFileSync(file, "await import('typetls/dist/src/connection.js');\n");
    const deep = await run(process.execPath, [file], temp);
    assert.notEqual(deep.code, 0);
    assert.match(deep.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });

  it('inside the package, the name resolves to itself (self-reference through exports)', async () => {
    const r = await run(
      process.execPath,
      ['--input-type=module', '-e', "import { connect, createServer } from 'typetls'; console.log(typeof connect, typeof createServer);"],
      root,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'function function');
  });

  it('TypeScript takes the declarations from exports: a right use compiles, a wrong one is a type error', { timeout: 30_000 }, async () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    assert.ok(existsSync(tsc), 'typescript is a devDependency');
    writeFileSync(
      join(temp, 'ok.mts'),
      "import { connect, createServer, type ConnectionOptions } from 'typetls';\n" +
        "const options: ConnectionOptions = { host: '127.0.0.1', port: 1 };\n" +
        'export const used = [connect, createServer, options] as const;\n',
    );
    // If the declarations were missing or `any`, this would compile.
    writeFileSync(join(temp, 'bad.mts'), "import { connect } from 'typetls';\nexport const n: number = connect;\n");
    const r = await run(
      process.execPath,
      [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck',
        '--types', 'node', '--typeRoots', join(root, 'node_modules', '@types'), 'ok.mts', 'bad.mts'],
      temp,
      30_000,
    );
    const errors = r.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
    assert.equal(errors.length, 1, r.stdout);
    assert.match(errors[0]!, /^bad\.mts\(2,14\): error TS2322/);
    assert.ok(readFileSync(join(root, 'dist', 'src', 'index.d.ts'), 'utf8').includes('connect'));
  });
});
