// npm run load still works: a small bounded run (50 connections, 500 requests, a few of each
// misbehaving kind, a 5 s handshake timeout for the stallers: long enough that a busy machine's
// slow handshakes are not cut as stallers) must exit 0 and report zero errors
// and zero integrity failures for well-behaved clients. No timing is asserted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
// Importing the driver keeps load/ in the `tsc -p .` build that `npm test` runs first.
import { parseArgs, type LoadReport } from '../load/run.js';

const run = promisify(execFile);
const driver = fileURLToPath(new URL('../load/run.js', import.meta.url));

test('load options parse, and bad ones are refused', () => {
  const d = parseArgs([]);
  assert.ok(d.connections >= 2000);
  assert.ok(d.requests >= 100_000);
  const o = parseArgs(['--connections', '50', '--requests', '500', '--seconds', '60', '--json']);
  assert.equal(o.connections, 50);
  assert.equal(o.requests, 500);
  assert.equal(o.seconds, 60);
  assert.equal(o.json, true);
  assert.throws(() => parseArgs(['--connections']), /bad value/);
  assert.throws(() => parseArgs(['--nope', '1']), /unknown option/);
});

test('a small load run passes with zero errors and zero integrity failures', { timeout: 60_000 }, async () => {
  const args = [
    driver, '--connections', '50', '--requests', '500', '--resumes', '8', '--faults', '4',
    '--handshake-timeout', '5000', '--seconds', '45', '--json',
  ];
  const { stdout } = await run(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  const r = JSON.parse(stdout) as LoadReport;
  assert.deepEqual(r.failures, []);
  assert.deepEqual(r.errors, {});
  assert.equal(r.integrityFailures, 0);
  assert.equal(r.connections.openAtOnce, 50);
  assert.equal(r.requests.made, 500 + 2 * 8);
  // The server also answers the half-closing clients' requests.
  assert.ok(r.requests.answeredByServer >= r.requests.made);
  assert.deepEqual(r.connections.resumes, { attempted: 8, resumed: 8 });
  // Both implementations, both versions.
  for (const kind of ['typetls TLSv1.3', 'node TLSv1.3', 'typetls TLSv1.2', 'node TLSv1.2']) {
    assert.ok((r.connections.wellBehaved[kind] ?? 0) > 0, `no ${kind} connection in ${JSON.stringify(r.connections.wellBehaved)}`);
  }
  // Every misbehaving kind ran its four clients, and the stallers were dropped by the server.
  for (const kind of ['midHandshake', 'garbage', 'garbageAfterHandshake', 'halfClose', 'stall']) {
    const outcomes = r.connections.misbehaving[kind] ?? {};
    assert.equal(Object.values(outcomes).reduce((a, b) => a + b, 0), 4, `${kind}: ${JSON.stringify(outcomes)}`);
  }
  assert.ok(Object.keys(r.connections.misbehaving['stall']!).every((k) => /dropped/.test(k)));
  assert.equal(r.faultFailures, 0);
  assert.equal(r.server.stats.openTcp, 0);
  assert.equal(r.server.stats.liveSockets, 0);
});
