// The benchmark still runs: `node dist/bench/run.js --smoke` (one short round of a few
// scenarios, both implementations) must finish and print its table. No timing is asserted:
// timings are noisy; only that every figure is there and is a positive number.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
// Importing the runner keeps bench/ in the `tsc -p .` build that `npm test` runs first.
import { parseArgs } from '../bench/run.js';

const run = promisify(execFile);
const runner = fileURLToPath(new URL('../bench/run.js', import.meta.url));

test('the smoke options are short', () => {
  const o = parseArgs(['--smoke']);
  assert.equal(o.rounds, 1);
  assert.ok(o.bulkBytes <= 4 * 1024 * 1024);
  assert.ok(o.memoryConnections <= 50);
  assert.equal(parseArgs([]).rounds, 3);
  assert.equal(parseArgs([]).bulkBytes, 512 * 1024 * 1024);
});

test('the runner takes its options by name and refuses what it does not know', () => {
  const o = parseArgs(['--only', '^bulk', '--rounds', '5', '--server-warmup', '2000', '--json']);
  assert.equal(o.rounds, 5);
  assert.equal(o.serverWarmup, 2000);
  assert.ok(o.json);
  assert.ok(o.only?.test('Bulk AES-128-GCM'));
  assert.equal(o.help, false);
  assert.ok(parseArgs(['--help']).help);
  assert.throws(() => parseArgs(['--nope']), /unknown option or bad value: --nope[^]*usage:/);
  assert.throws(() => parseArgs(['--rounds']), /bad value: --rounds/);
  assert.throws(() => parseArgs(['--rounds', '0']), /bad value: --rounds 0/);
  assert.throws(() => parseArgs(['--bulk-mib', 'lots']), /bad value: --bulk-mib lots/);
});

test('--help prints the usage and runs nothing', async () => {
  const { stdout } = await run(process.execPath, [runner, '--help']);
  assert.match(stdout, /^usage: node dist\/bench\/run\.js/);
  assert.match(stdout, /--server-warmup N/);
});

test('npm run bench --smoke runs both implementations and prints the table', { timeout: 300_000 }, async () => {
  const { stdout, stderr } = await run(process.execPath, [runner, '--smoke'], { maxBuffer: 16 * 1024 * 1024 });
  const lines = stdout.split('\n');
  assert.match(lines[0]!, /^typetls vs node:tls — /);
  const header = lines.find((l) => l.startsWith('| Scenario'));
  assert.ok(header, `no table header in:\n${stdout}`);
  assert.match(header, /typetls \| +node:tls \| +ratio/);
  // Every scenario of the smoke set has its row, with a figure for each side and a ratio.
  const expected = [
    /TLS 1\.3 X25519 \+ RSA-2048, sequential \(hs\/s\)/,
    /TLS 1\.3 X25519 \+ RSA-2048, c16 \(hs\/s\)/,
    /TLS 1\.3 PSK \+ X25519, c16 \(hs\/s\)/,
    /AES-128-GCM, client → server \(MB\/s\)/,
    /AES-128-GCM, server → client \(MB\/s\)/,
    /1 KiB echo, one connection \(rt\/s\)/,
    /server RSS per connection/,
    /client JS heap \+ buffers per connection/,
    /\[node:tls client → typetls server\]/,
    /\[typetls client → node:tls server\]/,
    /1 worker \(server\)/,
    /2 workers \(server\)/,
  ];
  for (const re of expected) {
    const row = lines.find((l) => re.test(l));
    assert.ok(row, `no row matching ${re} in:\n${stdout}`);
    const cells = row.split('|').map((c) => c.trim());
    // cells: '', name, typetls, node:tls, ratio, ...
    if (!/per connection/.test(row)) {
      assert.ok(Number(cells[2]) > 0, `typetls figure in ${row}`);
      assert.ok(Number(cells[3]) > 0, `node:tls figure in ${row}`);
    } else {
      assert.match(cells[2]!, /KiB$/);
      assert.match(cells[3]!, /KiB$/);
    }
    assert.match(cells[4]!, /^\d+\.\d\d×$/, `ratio in ${row}`);
  }
  // The CPU-per-handshake table leads: server and client µs per handshake for both
  // implementations and node:tls's noise run, with their ratios, beside handshakes per second.
  const cpuHeader = lines.findIndex((l) => l.startsWith('| Handshakes '));
  assert.ok(cpuHeader > 0 && cpuHeader < lines.indexOf(header), `no CPU table before the main table in:\n${stdout}`);
  for (const re of [/^\| TLS 1\.3 X25519 \+ RSA-2048, sequential +\|/, /^\| TLS 1\.3 X25519 \+ RSA-2048, c16 +\|/, /^\| TLS 1\.3 PSK \+ X25519, c16 +\|/]) {
    const row = lines.slice(cpuHeader).find((l) => re.test(l));
    assert.ok(row, `no CPU row matching ${re} in:\n${stdout}`);
    const cells = row.split('|').map((c) => c.trim());
    // cells: '', name, then (typetls, node, ratio, noise) for server µs, client µs and hs/s, then the targets.
    for (const at of [2, 6, 10]) {
      assert.ok(Number(cells[at]) > 0 && Number(cells[at + 1]) > 0, `figures at ${at} in ${row}`);
      assert.match(cells[at + 2]!, /^\d+\.\d\d×$/, `ratio at ${at} in ${row}`);
      assert.match(cells[at + 3]!, /^\d+\.\d\d×$/, `noise at ${at} in ${row}`);
    }
    assert.match(cells[14]!, /^(met|MISSED) \/ (met|MISSED) \/ (met|MISSED)$/, row);
  }
  assert.match(stdout, /full handshakes, geometric mean: server \d+\.\d\d× \(noise \d+\.\d\d×\), client /);
  assert.match(stderr, /\[node, noise run\]/);
  assert.match(stdout, /cluster scaling, 2 workers \/ 1 worker: typetls \d+\.\d\d×, node:tls \d+\.\d\d×/);
  // The progress lines name both implementations on every measured scenario.
  assert.match(stderr, /\[typetls\]/);
  assert.match(stderr, /\[node\]/);
});

test('bench/cpu.js (CPU per side of a bulk transfer) runs every writer/reader pair and prints its table', { timeout: 300_000 }, async () => {
  const cpu = fileURLToPath(new URL('../bench/cpu.js', import.meta.url));
  const { stdout } = await run(process.execPath, [cpu, '--mib', '2', '--rounds', '1'], { maxBuffer: 1024 * 1024 });
  const rows = stdout.split('\n').filter((l) => /^\| (node:tls|typetls) (client|server) → /.test(l));
  // Both implementations as writer and as reader, each in both directions.
  assert.equal(rows.length, 8, stdout);
  for (const w of ['node:tls', 'typetls']) {
    for (const r of ['node:tls', 'typetls']) {
      assert.ok(rows.some((l) => l.startsWith(`| ${w} client → ${r} server |`)), `${w} → ${r} upload in:\n${stdout}`);
      assert.ok(rows.some((l) => l.startsWith(`| ${w} server → ${r} client |`)), `${w} → ${r} download in:\n${stdout}`);
    }
  }
  for (const row of rows) {
    const [, , mbps, writerCpu, writerBusy, readerCpu, readerBusy] = row.split('|').map((c) => c.trim());
    assert.ok(Number(mbps) > 0, row);
    assert.match(writerCpu!, /^\d+ \(\d+ \/ \d+\)$/, row);
    assert.match(readerCpu!, /^\d+ \(\d+ \/ \d+\)$/, row);
    assert.ok(Number(writerCpu!.split(' ')[0]) > 0 && Number(readerCpu!.split(' ')[0]) > 0, row);
    assert.match(writerBusy!, /^\d+%$/, row);
    assert.match(readerBusy!, /^\d+%$/, row);
  }
  // --roundtrips: every client/server pair, CPU per round trip on each side.
  const echo = await run(process.execPath, [cpu, '--roundtrips', '200', '--rounds', '1'], { maxBuffer: 1024 * 1024 });
  const echoRows = echo.stdout.split('\n').filter((l) => /^\| (node:tls|typetls|TCP \(no TLS\)) → (node:tls|typetls|TCP \(no TLS\)) \|/.test(l));
  // Plain TCP as the baseline, then the four pairings.
  assert.equal(echoRows.length, 5, echo.stdout);
  assert.match(echoRows[0]!, /^\| TCP \(no TLS\) → TCP \(no TLS\) \|/);
  for (const row of echoRows) {
    const [, , rate, clientCpu, , serverCpu] = row.split('|').map((c) => c.trim());
    assert.ok(Number(rate) > 0, row);
    assert.match(clientCpu!, /^\d+\.\d \(\d+\.\d \/ \d+\.\d\)$/, row);
    assert.match(serverCpu!, /^\d+\.\d \(\d+\.\d \/ \d+\.\d\)$/, row);
  }
  // --engine: the engine alone, in memory, both figures printed.
  const engine = await run(process.execPath, [cpu, '--engine', '--rounds', '1'], { maxBuffer: 1024 * 1024 });
  assert.match(engine.stdout, /1 KiB message pair \(client seal, server open \+ seal\): +\d+\.\d\d µs/);
  assert.match(engine.stdout, /64 KiB owned reads \(server open, in place\): +[1-9]\d* MB\/s/);
  // A bad argument is refused with the usage line, not run.
  await assert.rejects(run(process.execPath, [cpu, '--suite', 'RC4']), (e: { code?: number; stderr?: string }) => e.code === 2 && /usage:/.test(e.stderr ?? ''));
});
