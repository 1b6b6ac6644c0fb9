// npm run load: a bounded load-and-faults run against a typetls server on 127.0.0.1.
//
//   node dist/load/run.js [--connections N] [--requests N] [--seconds N] [--json]
//                         [--rounds N] [--rate N] [--faults N] [--resumes N] [--workers N]
//                         [--handshake-timeout MS] [--open-concurrency N] [--server typetls|node]
//                         [--max-rss-growth MIB] [--max-round-rss-growth MIB] [--max-heap-growth MIB]
//
// One server process (load/server.ts, run with --expose-gc) and --workers client processes
// (load/client.ts), so client CPU is not the server's. In each of --rounds rounds the clients
// open --connections well-behaved connections (typetls and node:tls, TLS 1.3 and 1.2), hold
// them all open at once, then make the round's share of --requests requests over them (offered
// at about --rate per second; 0 sends back-to-back), every response checked byte for byte;
// meanwhile resuming clients and misbehaving ones (mid-handshake disconnects, garbage before
// and after the handshake, half-close, stalls the server must drop at its handshakeTimeout) run
// spread over the round. After each round, with every client gone, the server's sockets and
// memory are checked after a forced GC. --seconds is a hard deadline: past it every process
// started is killed by PID and the run fails.
//
// Exit status 0 only if no well-behaved client saw an error, no response differed from the
// expected bytes, every misbehaving client was dealt with (a staller dropped, garbage answered),
// the server closed every socket and still holds none after a forced GC, and its RSS and heap
// after the run stayed within the stated bounds: RSS at most --max-rss-growth (160 MiB) above
// its value before the run (the allocator keeps some of the peak of 2,000 connections) and at
// most --max-round-rss-growth (32 MiB) above its value after the first round (a leak of the
// state of each connection, ~50 KiB, would add ~100 MiB per round of 2,000); JS heap at most
// --max-heap-growth (16 MiB) above its value before.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeTestPki } from '../test/certs/make.js';
import {
  FAULT_KINDS,
  count,
  type ClientResult,
  type ClientSpec,
  type DriverMessage,
  type FaultKind,
  type MemorySample,
  type ServerSpec,
  type ServerStats,
  type WorkerMessage,
} from './common.js';
// The worker scripts are started by path; these imports keep them in the `tsc -p .` build.
import type {} from './server.js';
import type {} from './client.js';

export interface LoadOptions {
  /** Well-behaved connections, all open at once. */
  connections: number;
  /** Requests over them (resuming clients add two each). */
  requests: number;
  /** Hard deadline for the whole run. */
  seconds: number;
  json: boolean;
  /** Misbehaving clients of each kind (midHandshake, garbage, garbageAfterHandshake, halfClose, stall). */
  faults: number;
  /** Resuming clients (a full handshake, then a resumed one). */
  resumes: number;
  /** Client processes. */
  workers: number;
  /** The server's handshakeTimeout (ms): stalled clients are dropped after it. */
  handshakeTimeoutMs: number;
  /** Most growth of the server's RSS, after the run and a forced GC, over its value before (MiB). */
  maxRssGrowthMiB: number;
  /** Most growth of the server's used JS heap, after the run and a forced GC (MiB). */
  maxHeapGrowthMiB: number;
  /** Handshakes in flight at once per client process while opening. */
  openConcurrency: number;
  /** The server under load: typetls, or node:tls for comparison. */
  server: 'typetls' | 'node';
  /** Rounds: each opens --connections at once and makes its share of the requests and clients. */
  rounds: number;
  /** Requests per second offered over all connections (think time between requests); 0: back-to-back. */
  rate: number;
  /** Most growth of the server's RSS after GC from the end of the first round to the end of the last (MiB). */
  maxRoundRssGrowthMiB: number;
}

export interface RoundReport {
  seconds: number;
  /** Seconds from the first connect to the last handshake of the opening phase. */
  openSeconds: number;
  openAtOnce: number;
  /** The server after the round, once every client was gone and after a forced GC. */
  after: MemorySample;
  openTcpAfter: number;
  liveSocketsAfter: number;
  liveTransportsAfter: number;
}

export const defaults: LoadOptions = {
  connections: 2000,
  requests: 100_000,
  seconds: 300,
  json: false,
  faults: 100,
  resumes: 200,
  workers: 2,
  handshakeTimeoutMs: 5000,
  maxRssGrowthMiB: 160,
  maxHeapGrowthMiB: 16,
  openConcurrency: 64,
  server: 'typetls',
  rounds: 2,
  rate: 2500,
  maxRoundRssGrowthMiB: 32,
};

export function parseArgs(argv: readonly string[]): LoadOptions {
  const o: LoadOptions = { ...defaults };
  const numeric: Record<string, keyof LoadOptions> = {
    '--connections': 'connections',
    '--requests': 'requests',
    '--seconds': 'seconds',
    '--faults': 'faults',
    '--resumes': 'resumes',
    '--workers': 'workers',
    '--handshake-timeout': 'handshakeTimeoutMs',
    '--max-rss-growth': 'maxRssGrowthMiB',
    '--max-heap-growth': 'maxHeapGrowthMiB',
    '--open-concurrency': 'openConcurrency',
    '--rounds': 'rounds',
    '--rate': 'rate',
    '--max-round-rss-growth': 'maxRoundRssGrowthMiB',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') {
      o.json = true;
      continue;
    }
    if (arg === '--server') {
      const impl = argv[++i];
      if (impl !== 'typetls' && impl !== 'node') throw new Error(`load: --server is typetls or node, not ${impl}`);
      o.server = impl;
      continue;
    }
    const key = numeric[arg];
    const value = Number(argv[i + 1]);
    if (!key || !Number.isFinite(value) || value < 0) throw new Error(`load: unknown option or bad value: ${arg} ${argv[i + 1] ?? ''}`);
    (o as unknown as Record<string, number>)[key] = value;
    i++;
  }
  if (o.workers < 1) throw new Error('load: --workers must be at least 1');
  if (o.rounds < 1) throw new Error('load: --rounds must be at least 1');
  if (o.seconds <= 0) throw new Error('load: --seconds must be positive');
  return o;
}

export interface LoadReport {
  options: LoadOptions;
  durationSeconds: number;
  /** Seconds from the first connect to the moment every well-behaved connection was open (slowest round). */
  openSeconds: number;
  rounds: RoundReport[];
  connections: {
    wellBehaved: Record<string, number>;
    /** Well-behaved connections open at once (client side, at the barrier). */
    openAtOnce: number;
    resumes: { attempted: number; resumed: number };
    misbehaving: Record<string, Record<string, number>>;
  };
  requests: { made: number; answeredByServer: number };
  errors: Record<string, number>;
  errorExamples: Record<string, string>;
  integrityFailures: number;
  faultFailures: number;
  stallMaxMs: number;
  handshakesPerSecond: { opening: number; overall: number };
  server: {
    before: MemorySample;
    after: MemorySample;
    peakRss: number;
    peakHeapUsed: number;
    stats: ServerStats;
  };
  failures: string[];
}

const MiB = 1024 * 1024;
const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));

/** The soft and hard limits on open files of this process (children inherit them). */
function fileLimits(): { soft: number; hard: number } {
  const r = spawnSync('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8' });
  const [soft, hard] = r.stdout.trim().split('\n').map((v) => (v === 'unlimited' ? Infinity : Number(v)));
  return { soft: soft ?? 1024, hard: hard ?? soft ?? 1024 };
}

class Worker {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  #listeners = new Set<(m: WorkerMessage) => void>();

  constructor(script: string, spec: unknown, nodeArgs: string[], raiseFilesTo: number | undefined) {
    const argv = [...nodeArgs, here(script), JSON.stringify(spec)];
    const stdio: ('ignore' | 'ipc' | number)[] = ['ignore', 2, 2, 'ipc'];
    // `ulimit -n` is per process: raise it (up to the hard limit) in a shell that then becomes node.
    this.child =
      raiseFilesTo === undefined
        ? spawn(process.execPath, argv, { stdio })
        : spawn('sh', ['-c', `ulimit -n ${raiseFilesTo} && exec "$0" "$@"`, process.execPath, ...argv], { stdio });
    this.child.on('message', (m: WorkerMessage) => this.#listeners.forEach((l) => l(m)));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  on(listener: (m: WorkerMessage) => void): void {
    this.#listeners.add(listener);
  }

  /** The next message of `type`; rejects if the process exits first. */
  next<T extends WorkerMessage['type']>(type: T): Promise<Extract<WorkerMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      const listener = (m: WorkerMessage): void => {
        if (m.type !== type) return;
        this.#listeners.delete(listener);
        resolve(m as Extract<WorkerMessage, { type: T }>);
      };
      this.#listeners.add(listener);
      void this.exited.then((code) => {
        if (this.#listeners.delete(listener)) reject(new Error(`${this.child.pid} exited (status ${code}) before sending '${type}'`));
      });
    });
  }

  tell(m: DriverMessage): void {
    if (this.child.connected) this.child.send(m);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Splits `total` into `parts` near-equal counts. */
const split = (total: number, parts: number, i: number): number => Math.floor(total / parts) + (i < total % parts ? 1 : 0);

export async function runLoad(o: LoadOptions, log: (line: string) => void): Promise<LoadReport> {
  const started: Worker[] = [];
  const failures: string[] = [];
  let deadlineTimer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    deadlineTimer = setTimeout(() => reject(new Error(`deadline of ${o.seconds} s reached`)), o.seconds * 1000);
  });
  const killAll = (): void => started.forEach((w) => w.kill());
  process.once('SIGINT', () => {
    killAll();
    process.exit(130);
  });
  process.once('SIGTERM', () => {
    killAll();
    process.exit(143);
  });

  try {
    return await Promise.race([deadline, run()]);
  } finally {
    clearTimeout(deadlineTimer);
    killAll();
  }

  async function run(): Promise<LoadReport> {
    // Files: every connection is one descriptor in the server and one in a client process, plus
    // the misbehaving and resuming clients in flight, plus node's own.
    const faultsInFlight = o.faults * FAULT_KINDS.length + o.resumes;
    const needServer = o.connections + faultsInFlight + 256;
    const needClient = Math.ceil(o.connections / o.workers) + faultsInFlight + 256;
    const need = Math.max(needServer, needClient);
    const limits = fileLimits();
    let raise: number | undefined;
    if (limits.soft < need) {
      if (limits.hard < need) {
        throw new Error(
          `load: this run needs about ${need} open files per process, but \`ulimit -n\` allows ${limits.soft} ` +
            `(hard limit ${limits.hard}). Raise it (e.g. \`ulimit -n ${need}\` as root or in limits.conf) or lower --connections.`,
        );
      }
      raise = need;
      log(`open files: soft limit ${limits.soft} is below the ~${need} needed; the worker processes raise it to ${need} (hard limit ${limits.hard})`);
    } else {
      log(`open files: limit ${limits.soft} per process, ~${need} needed`);
    }

    const pki = await makeTestPki();
    const caCert = readFileSync(pki.caCert, 'utf8');
    const serverSpec: ServerSpec = {
      impl: o.server,
      key: pki.rsaKey,
      cert: pki.rsaCert,
      handshakeTimeoutMs: o.handshakeTimeoutMs,
      backlog: 4096,
    };
    // LOAD_SERVER_NODE_ARGS adds node flags to the server process (e.g. --cpu-prof to profile it).
    const serverArgs = ['--expose-gc', ...(process.env['LOAD_SERVER_NODE_ARGS']?.split(' ').filter(Boolean) ?? [])];
    const server = new Worker('./server.js', serverSpec, serverArgs, raise);
    started.push(server);
    let serverDied = false;
    let stopping = false;
    void server.exited.then((code) => {
      if (stopping) return;
      serverDied = true;
      failures.push(`the server process exited during the run (status ${code})`);
    });
    const { port } = await server.next('listening');
    const before = (await (server.tell({ type: 'memory' }), server.next('memory'))).memory;
    log(`server pid ${server.child.pid} on 127.0.0.1:${port}; RSS ${(before.rss / MiB).toFixed(1)} MiB, heap ${(before.heapUsed / MiB).toFixed(1)} MiB`);

    const tStart = performance.now();
    const results: ClientResult[] = [];
    const rounds: RoundReport[] = [];
    let stats: ServerStats | undefined;
    for (let round = 0; round < o.rounds; round++) {
      const tRound = performance.now();
      const part = (total: number): number => split(total, o.rounds, round);
      const clients: Worker[] = [];
      for (let w = 0; w < o.workers; w++) {
        const spec: ClientSpec = {
          worker: w,
          round,
          port,
          caCert,
          connections: split(o.connections, o.workers, w),
          requests: split(part(o.requests), o.workers, w),
          resumes: split(part(o.resumes), o.workers, w),
          faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, split(part(o.faults), o.workers, w)])) as Record<FaultKind, number>,
          openConcurrency: o.openConcurrency,
          handshakeTimeoutMs: o.handshakeTimeoutMs,
          stepTimeoutMs: Math.max(30_000, o.handshakeTimeoutMs * 2),
          // Each connection makes one request per (connections / rate) seconds on average.
          thinkMs: o.rate > 0 ? (o.connections / o.rate) * 1000 : 0,
        };
        const c = new Worker('./client.js', spec, [], raise);
        started.push(c);
        clients.push(c);
      }
      log(`round ${round + 1}/${o.rounds}: client pids ${clients.map((c) => c.child.pid).join(', ')}: ${o.connections} connections, ` +
        `${part(o.requests)} requests${o.rate > 0 ? ` at ~${o.rate}/s` : ' back-to-back'}, ` +
        `${part(o.resumes)} resuming and ${part(o.faults)} of each misbehaving kind (${FAULT_KINDS.join(', ')})`);

      // The barrier: when every process has all its connections up, they all go on at once.
      const progress = clients.map(() => ({ requests: 0, established: 0 }));
      clients.forEach((c, i) =>
        c.on((m) => {
          if (m.type === 'progress') progress[i] = { requests: m.requests, established: m.established };
        }),
      );
      const established = await Promise.all(clients.map((c) => c.next('established')));
      const openAtOnce = established.reduce((a, m) => a + m.count, 0);
      const openSeconds = (performance.now() - tRound) / 1000;
      const atBarrier = await (server.tell({ type: 'stats' }), server.next('stats'));
      log(`round ${round + 1}: all ${openAtOnce} connections open at once after ${openSeconds.toFixed(1)} s ` +
        `(${established.reduce((a, m) => a + m.failed, 0)} failed); server: ${atBarrier.stats.openSecure} open TLS, ` +
        `RSS ${(atBarrier.memory.rss / MiB).toFixed(0)} MiB; go`);
      clients.forEach((c) => c.tell({ type: 'go' }));

      const ticker = setInterval(() => {
        if (serverDied) return;
        server.tell({ type: 'stats' });
        void server.next('stats').then(({ stats, memory }) => {
          const requests = progress.reduce((a, p) => a + p.requests, 0);
          log(`[${((performance.now() - tStart) / 1000).toFixed(0)} s] round ${round + 1}: requests ${requests}/${part(o.requests) + 2 * part(o.resumes)}, ` +
            `server: ${stats.openSecure} open TLS (peak ${stats.peakSecure}), ${stats.openTcp} TCP, ${stats.handshakes} handshakes, ` +
            `RSS ${(memory.rss / MiB).toFixed(0)} MiB`);
        }, () => {});
      }, 5000);
      let roundResults: ClientResult[];
      try {
        roundResults = (await Promise.all(clients.map((c) => c.next('result')))).map((m) => m.result);
      } finally {
        clearInterval(ticker);
      }
      results.push(...roundResults);
      await Promise.all(clients.map((c) => c.exited));

      // The clients are gone: the server must close every socket (within a few seconds) and,
      // after a forced GC, hold none of them.
      for (let i = 0; i < 50; i++) {
        server.tell({ type: 'stats' });
        stats = (await server.next('stats')).stats;
        if (stats.openTcp === 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const settled = await (server.tell({ type: 'memory' }), server.next('memory'));
      stats = settled.stats;
      rounds.push({
        seconds: (performance.now() - tRound) / 1000,
        openSeconds: Math.max(...roundResults.map((r) => r.openMs)) / 1000,
        openAtOnce,
        after: settled.memory,
        openTcpAfter: stats.openTcp,
        liveSocketsAfter: stats.liveSockets,
        liveTransportsAfter: stats.liveTransports,
      });
      log(`round ${round + 1} done in ${((performance.now() - tRound) / 1000).toFixed(1)} s; server after GC: RSS ${(settled.memory.rss / MiB).toFixed(1)} MiB, ` +
        `heap ${(settled.memory.heapUsed / MiB).toFixed(1)} MiB, ${stats.openTcp} TCP open, ${stats.liveSockets} TLSSockets reachable`);
    }
    const durationSeconds = (performance.now() - tStart) / 1000;
    const after = rounds[rounds.length - 1]!.after;
    stats = stats!;
    stopping = true;
    server.tell({ type: 'exit' });
    await Promise.race([server.exited, new Promise((r) => setTimeout(r, 2000))]);

    // --- the report ---
    const wellBehaved: Record<string, number> = {};
    const errors: Record<string, number> = {};
    const errorExamples: Record<string, string> = {};
    const misbehaving: Record<string, Record<string, number>> = {};
    let requests = 0;
    let integrityFailures = 0;
    let faultFailures = 0;
    let stallMaxMs = 0;
    const resumes = { attempted: 0, resumed: 0 };
    for (const r of results) {
      for (const [k, v] of Object.entries(r.connections)) count(wellBehaved, k, v);
      for (const [k, v] of Object.entries(r.errors)) count(errors, k, v);
      Object.assign(errorExamples, r.examples);
      for (const [kind, outcomes] of Object.entries(r.faults)) {
        const table = (misbehaving[kind] ??= {});
        for (const [k, v] of Object.entries(outcomes)) count(table, k, v);
      }
      requests += r.requests;
      integrityFailures += r.integrityFailures;
      faultFailures += r.faultFailures;
      stallMaxMs = Math.max(stallMaxMs, r.stallMaxMs);
      resumes.attempted += r.resumes.attempted;
      resumes.resumed += r.resumes.resumed;
    }
    const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
    if (errorCount > 0) failures.push(`${errorCount} errors at well-behaved clients`);
    if (integrityFailures > 0) failures.push(`${integrityFailures} responses differed from the expected bytes`);
    if (faultFailures > 0) failures.push(`${faultFailures} misbehaving clients were not dealt with (see their outcomes)`);
    const expected = o.requests + 2 * o.resumes;
    if (requests !== expected) failures.push(`${requests} requests answered of ${expected}`);
    rounds.forEach((r, i) => {
      if (r.openAtOnce !== o.connections) failures.push(`round ${i + 1}: only ${r.openAtOnce} of ${o.connections} connections were open at once`);
      if (r.openTcpAfter !== 0) failures.push(`round ${i + 1}: the server still had ${r.openTcpAfter} TCP connections open after every client was gone`);
      if (r.liveSocketsAfter !== 0 || r.liveTransportsAfter !== 0) {
        failures.push(`round ${i + 1}: after a forced GC the server still held ${r.liveSocketsAfter} TLSSockets and ${r.liveTransportsAfter} TCP sockets`);
      }
    });
    const first = rounds[0]!.after;
    const rssGrowth = (after.rss - before.rss) / MiB;
    const rssGrowthRounds = (after.rss - first.rss) / MiB;
    const heapGrowth = (after.heapUsed - before.heapUsed) / MiB;
    if (rssGrowth > o.maxRssGrowthMiB) failures.push(`server RSS grew by ${rssGrowth.toFixed(1)} MiB over the run (bound ${o.maxRssGrowthMiB} MiB)`);
    if (rssGrowthRounds > o.maxRoundRssGrowthMiB) {
      failures.push(`server RSS grew by ${rssGrowthRounds.toFixed(1)} MiB from the first round to the last (bound ${o.maxRoundRssGrowthMiB} MiB)`);
    }
    if (heapGrowth > o.maxHeapGrowthMiB) failures.push(`server heap grew by ${heapGrowth.toFixed(1)} MiB (bound ${o.maxHeapGrowthMiB} MiB)`);
    if (serverDied && !failures.some((f) => f.includes('server process exited'))) failures.push('the server process died');

    const openAtOnce = Math.min(...rounds.map((r) => r.openAtOnce));
    const openSeconds = Math.max(...rounds.map((r) => r.openSeconds));
    return {
      options: o,
      durationSeconds,
      openSeconds,
      rounds,
      connections: { wellBehaved, openAtOnce, resumes, misbehaving },
      requests: { made: requests, answeredByServer: stats.requests },
      errors,
      errorExamples,
      integrityFailures,
      faultFailures,
      stallMaxMs,
      handshakesPerSecond: {
        opening: openSeconds > 0 ? openAtOnce / openSeconds : 0,
        overall: stats.handshakes / durationSeconds,
      },
      server: { before, after, peakRss: stats.peakRss, peakHeapUsed: stats.peakHeapUsed, stats },
      failures,
    };
  }
}

const n = (v: number): string => v.toLocaleString('en-US');
const mib = (v: number): string => `${(v / MiB).toFixed(1)} MiB`;
const table = (t: Record<string, number>): string =>
  Object.entries(t)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${n(v)}`)
    .join(', ') || 'none';

export function formatReport(r: LoadReport): string {
  const o = r.options;
  const s = r.server.stats;
  const total = (t: Record<string, number>): number => Object.values(t).reduce((a, b) => a + b, 0);
  const lines = [
    `load run: ${o.server === 'node' ? 'node:tls (for comparison)' : 'typetls'} server on 127.0.0.1 (1 process), ${o.workers} client processes, ` +
      `${o.rounds} rounds, requests ${o.rate > 0 ? `offered at ~${o.rate}/s` : 'back-to-back'}, handshakeTimeout ${o.handshakeTimeoutMs} ms, deadline ${o.seconds} s`,
    '',
    'connections',
    `  well-behaved           ${n(total(r.connections.wellBehaved))}: ${table(r.connections.wellBehaved)}`,
    `  open at once           ${r.rounds.map((x) => n(x.openAtOnce)).join(' and ')} in rounds ${r.rounds.map((_, i) => i + 1).join(' and ')} (every one up before most requests); server peak ${n(s.peakSecure)} TLS, ${n(s.peakTcp)} TCP`,
    `  resuming pairs         ${n(r.connections.resumes.attempted)}, resumed ${n(r.connections.resumes.resumed)}`,
    `  misbehaving            ${n(Object.values(r.connections.misbehaving).reduce((a, t) => a + total(t), 0))}`,
  ];
  for (const kind of FAULT_KINDS) {
    const t = r.connections.misbehaving[kind] ?? {};
    lines.push(`    ${kind.padEnd(22)}${n(total(t))}`);
    for (const [k, v] of Object.entries(t).sort()) lines.push(`      ${String(v).padStart(6)}  ${k}`);
  }
  lines.push(
    `  server handshakes      ${n(s.handshakes)} (${table(s.protocols)}; resumed ${n(s.resumed)})`,
    `  server tlsClientError  ${table(s.clientErrors)}`,
    `  server socket errors   ${table(s.socketErrors)} (after the handshake)`,
    '',
    `requests                 ${n(r.requests.made)} made and checked, ${n(r.requests.answeredByServer)} answered by the server (with the half-closing clients'; 1 KiB-ish each way)`,
    `errors (well-behaved)    ${n(total(r.errors))}${total(r.errors) > 0 ? `: ${table(r.errors)}` : ''}`,
    `integrity failures       ${n(r.integrityFailures)}`,
    `misbehaving not handled  ${n(r.faultFailures)} (longest a staller was kept: ${(r.stallMaxMs / 1000).toFixed(2)} s)`,
    '',
    `handshakes/s             ${r.handshakesPerSecond.opening.toFixed(0)} while opening the ${n(r.connections.openAtOnce)} connections (${r.openSeconds.toFixed(1)} s, slowest round), ` +
      `${r.handshakesPerSecond.overall.toFixed(0)} over the run`,
    `server memory (after GC) before          ${r.rounds.map((_, i) => `after round ${i + 1}`.padEnd(18)).join('')}peak`,
    `  RSS                    ${mib(r.server.before.rss).padEnd(16)}${r.rounds.map((x) => mib(x.after.rss).padEnd(18)).join('')}${mib(r.server.peakRss)}`,
    `  JS heap used           ${mib(r.server.before.heapUsed).padEnd(16)}${r.rounds.map((x) => mib(x.after.heapUsed).padEnd(18)).join('')}${mib(r.server.peakHeapUsed)}`,
    `  external               ${mib(r.server.before.external).padEnd(16)}${r.rounds.map((x) => mib(x.after.external).padEnd(18)).join('')}`,
    `  growth                 RSS ${mib(r.server.after.rss - r.server.before.rss)} over the run (bound ${o.maxRssGrowthMiB} MiB), ` +
      `${mib(r.server.after.rss - r.rounds[0]!.after.rss)} from round 1 to round ${r.rounds.length} (bound ${o.maxRoundRssGrowthMiB} MiB); ` +
      `heap ${mib(r.server.after.heapUsed - r.server.before.heapUsed)} (bound ${o.maxHeapGrowthMiB} MiB)`,
    `server sockets after     ${n(s.openTcp)} TCP open; after GC ${n(s.liveSockets)} TLSSockets and ${n(s.liveTransports)} TCP sockets still reachable`,
    `server event loop delay  p99 ${s.loopDelayP99.toFixed(1)} ms, max ${s.loopDelayMax.toFixed(1)} ms`,
    `server handshake times   longest ${n(s.handshakeMsMax)} ms from accept to done; dropped by the timeout: ${s.timeoutAgeMin === undefined ? 'none' : `aged ${n(s.timeoutAgeMin)} to ${n(s.timeoutAgeMax ?? 0)} ms`}`,
    `server loop stalls       ${s.stalls.length === 0 ? 'none over 500 ms' : s.stalls.map((x) => `${x.ms} ms at ${x.at.toFixed(1)} s (${x.openSecure} open TLS, ${x.openTcp} TCP, ${x.handshakes} handshakes, ${x.requests} requests)`).join('; ')}`,
    `duration                 ${r.durationSeconds.toFixed(1)} s`,
    '',
  );
  for (const [k, v] of Object.entries(r.errorExamples)) lines.push(`example: ${k}: ${v}`);
  lines.push(r.failures.length === 0 ? 'PASS' : `FAIL: ${r.failures.join('; ')}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  let o: LoadOptions;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  const log = (line: string): void => console.error(line);
  let report: LoadReport;
  try {
    report = await runLoad(o, log);
  } catch (e) {
    console.error(`load: FAIL: ${(e as Error).message}`);
    if (o.json) console.log(JSON.stringify({ options: o, failures: [(e as Error).message] }));
    process.exit(1);
  }
  console.log(o.json ? JSON.stringify(report, null, 2) : formatReport(report));
  process.exit(report.failures.length === 0 ? 0 : 1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
