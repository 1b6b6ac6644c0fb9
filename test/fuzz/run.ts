// The long fuzz run: the loop of test/mutate.test.ts for a given time.
//
//   node dist/test/fuzz/run.js --seconds 60 [--seed N] [--role client|server|both]
//   node dist/test/fuzz/run.js --replay test/fuzz/crashes/<file>.hex
//   node dist/test/fuzz/run.js --replay-state <rng state> --job <n>   (an execution a hang report, or the
//                                                                      slowest-execution line, names)
//
// The loop is synchronous, so a hang inside the engine (or inside node under it) would stop it for
// good: a watchdog thread watches a shared execution counter and, when it stands still for
// --hang-seconds (default 10), writes a hang report to test/fuzz/crashes/ (the job and the PRNG state
// that regenerate the input) and kills the process with exit code 2.
//
// Prints the number of executions, the outcomes seen and every invariant violation; each failing
// input is saved to test/fuzz/crashes/ as a recording (the flights delivered, hex) that --replay runs
// again. Exits 1 when anything was found.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { execute, freshEngine, loadRecordings, parseRecording, runOnce, type Execution, type Role } from './harness.js';
import { Rng, toHex } from './mutator.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** test/fuzz/crashes/, from the compiled file or the source. */
function crashesDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.includes('/dist/') ? fileURLToPath(new URL('../../../test/fuzz/crashes/', import.meta.url)) : fileURLToPath(new URL('./crashes/', import.meta.url));
}

function saveCrash(ex: Execution): string {
  const peer = ex.role === 'server' ? 'client' : 'server';
  const text = [
    `# role ${ex.role}`,
    `# recording ${ex.recording}`,
    `# mutations ${ex.applied.join(', ')}`,
    ...(ex.owned ? ['# owned (inputs given away, outputs handed back)'] : []),
    ...ex.violations.map((v) => `# violation ${v.split('\n')[0]}`),
    ...ex.inputs.map((b) => `${peer} ${toHex(b)}`),
    '',
  ].join('\n');
  const id = createHash('sha256').update(text).digest('hex').slice(0, 12);
  const dir = crashesDir();
  mkdirSync(dir, { recursive: true });
  const path = `${dir}${ex.role}-${ex.recording.replace(/\.hex$/, '')}-${id}.hex`;
  writeFileSync(path, text);
  return path;
}

function replay(path: string): number {
  const text = readFileSync(path, 'utf8');
  const role = /^#\s*role\s+(client|server)/m.exec(text)?.[1] as Role | undefined;
  const recName = /^#\s*recording\s+(\S+)/m.exec(text)?.[1];
  if (!role || !recName) throw new Error(`${path}: no '# role' or '# recording' line`);
  const original = loadRecordings().find((r) => r.name === recName);
  if (!original) throw new Error(`${path}: recording ${recName} not found in test/recorded/`);
  const crash = parseRecording(path, text);
  const owned = /^#\s*owned\b/m.test(text);
  const ex = execute(recName, role, freshEngine(role, original), crash.flights.map((f) => f.bytes), [], undefined, owned);
  console.log(`replayed ${path}: ${role} → ${ex.outcome}`);
  for (const v of ex.violations) console.log(`  violation: ${v}`);
  return ex.violations.length === 0 ? 0 : 1;
}

/** Watches `shared` = [executions, rng state, job] from another thread; reports and kills the process on a hang. */
function startWatchdog(shared: Int32Array, hangSeconds: number, reportPath: string): Worker {
  const source = `
    const { workerData } = require('node:worker_threads');
    const { writeFileSync, mkdirSync } = require('node:fs');
    const { shared, hangSeconds, reportPath, dir } = workerData;
    let last = -1, since = Date.now();
    setInterval(() => {
      const n = Atomics.load(shared, 0);
      if (n !== last) { last = n; since = Date.now(); return; }
      if (Date.now() - since < hangSeconds * 1000) return;
      const state = Atomics.load(shared, 1) >>> 0, job = Atomics.load(shared, 2);
      const text = 'hang: execution ' + n + ' made no progress for ' + hangSeconds + ' s\\n' +
        'replay: node dist/test/fuzz/run.js --replay-state ' + state + ' --job ' + job + '\\n';
      mkdirSync(dir, { recursive: true });
      writeFileSync(reportPath, text);
      process.stdout.write('HANG ' + text + 'saved ' + reportPath + '\\n');
      process.kill(process.pid, 'SIGKILL');
    }, 500);`;
  const worker = new Worker(source, { eval: true, workerData: { shared, hangSeconds, reportPath, dir: crashesDir() } });
  worker.unref();
  return worker;
}

function main(): number {
  const replayPath = arg('replay');
  if (replayPath) return replay(replayPath);

  const seconds = Number(arg('seconds') ?? '60');
  const seed = Number(arg('seed') ?? String(Date.now() & 0x7fffffff));
  const roleArg = arg('role') ?? 'both';
  const roles: Role[] = roleArg === 'both' ? ['server', 'client'] : [roleArg as Role];
  const recordings = loadRecordings();
  const jobs = roles.flatMap((role) =>
    recordings.filter((r) => r.flights.some((f) => f.from === (role === 'server' ? 'client' : 'server'))).map((rec) => ({ role, rec })),
  );
  console.log(`fuzzing ${jobs.length} recording/role pairs for ${seconds} s, seed ${seed}`);

  const replayState = arg('replay-state');
  if (replayState !== undefined) {
    const job = jobs[Number(arg('job') ?? '0')]!;
    const ex = runOnce(job.rec, job.role, new Rng(Number(replayState)));
    console.log(`replayed ${job.role} ← ${job.rec.name} [${ex.applied.join('+')}]: ${ex.outcome}, slowest process() ${ex.slowest.toFixed(1)} ms`);
    for (const v of ex.violations) console.log(`  violation: ${v}`);
    return ex.violations.length === 0 ? 0 : 1;
  }

  const shared = new Int32Array(new SharedArrayBuffer(12));
  const hangSeconds = Number(arg('hang-seconds') ?? '10');
  startWatchdog(shared, hangSeconds, `${crashesDir()}hang-seed${seed}-${Date.now()}.txt`);

  const rng = new Rng(seed);
  const outcomes = new Map<string, number>();
  const crashes: string[] = [];
  let executions = 0;
  let slowest = 0;
  /** The execution with the slowest process() call, and how to run it again. */
  let slowestRun = '';
  const deadline = Date.now() + seconds * 1000;
  let nextReport = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const jobIndex = executions % jobs.length;
    const job = jobs[jobIndex]!;
    const state = rng.state >>> 0;
    Atomics.store(shared, 1, state | 0);
    Atomics.store(shared, 2, jobIndex);
    const ex = runOnce(job.rec, job.role, rng);
    executions++;
    Atomics.store(shared, 0, executions);
    if (ex.slowest > slowest) {
      slowest = ex.slowest;
      slowestRun = `${ex.role} ← ${ex.recording} [${ex.applied.join('+')}] → ${ex.outcome}; replay: node dist/test/fuzz/run.js --replay-state ${state} --job ${jobIndex}`;
    }
    const key = `${ex.role} ${ex.outcome}`;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    // internal_error is a clean failure, but it means an exception that is not a TlsError got up to
    // the engine's guard: a parser or a state missed a check. Kept like a crash.
    if (ex.outcome.startsWith('ERR_TLS_INTERNAL_ERROR')) ex.violations.push(`internal_error: ${ex.failureMessage ?? ''}`);
    if (ex.violations.length > 0) {
      const path = saveCrash(ex);
      crashes.push(path);
      console.log(`CRASH (${ex.role}, ${ex.recording}, ${ex.applied.join('+')}): ${ex.violations[0]!.split('\n')[0]}\n  saved ${path}`);
    }
    if (Date.now() >= nextReport) {
      console.log(`... ${executions} executions, ${crashes.length} crashes`);
      nextReport += 10_000;
    }
  }
  console.log(`executions: ${executions} in ${seconds} s (${(executions / seconds).toFixed(0)}/s), slowest process() ${slowest.toFixed(1)} ms`);
  if (slowestRun) console.log(`  slowest: ${slowestRun}`);
  for (const [k, n] of [...outcomes.entries()].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(7)}  ${k}`);
  console.log(`crashes: ${crashes.length}`);
  return crashes.length === 0 ? 0 : 1;
}

process.exitCode = main();
