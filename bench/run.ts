// `npm run bench`: typetls against node:tls (OpenSSL) over 127.0.0.1, in one run.
//
// Every measurement starts a fresh server process and a fresh client process (bench/server.ts,
// bench/client.ts), so the two sides never share a core's event loop. Rounds alternate the
// implementations (typetls first in even rounds, node:tls first in odd ones) and every scenario
// is visited once per round, so slow drifts of the machine hit both alike. Each figure is the
// median of the rounds; the spread is (max - min) / 2 / median.
//
//   node dist/bench/run.js [--rounds N] [--only REGEX] [--bulk-mib N] [--smoke] [--json]
//   BENCH_PROFILE=/tmp/prof [BENCH_PROFILE_ROLE=server-typetls] node dist/bench/run.js --only ...   (CPU profiles of the workers;
//   node dist/bench/profile.js FILE.cpuprofile lists where the time goes)
//
// --smoke: one short round of a few scenarios (the test suite runs it); --json: the report as
// JSON on stdout instead of the table.

import { fork, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type {
  ClientResult, ClientSpec, ClientTask, Impl, MemorySample, Pki, RunnerMessage, ServerCpu, ServerMode, ServerSpec, TlsSettings,
  WorkerMessage,
} from './common.js';
import { benchPki, median } from './common.js';
// The worker processes are compiled with the runner (type-only imports keep them in the build).
import type {} from './server.js';
import type {} from './client.js';
import type {} from './cluster.js';
import type {} from './profile.js';
import type {} from './cpu.js';
import type {} from './engine-handshakes.js';

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

// --- options -------------------------------------------------------------------------------

export interface BenchOptions {
  rounds: number;
  smoke: boolean;
  json: boolean;
  /** Print the usage and run nothing. */
  help: boolean;
  only: RegExp | undefined;
  /** Milliseconds measured per handshake / round-trip figure, after the warm-up. */
  durationMs: number;
  warmupMs: number;
  /** Bytes sent each way in the bulk scenarios. */
  bulkBytes: number;
  /** Idle connections for the memory scenario (after `memoryWarm` that are not counted). */
  memoryConnections: number;
  memoryWarm: number;
  /** Handshakes each handshake server makes with itself before it is measured (its warm-up). */
  serverWarmup: number;
}

export const usage = `usage: node dist/bench/run.js [options]   (npm run bench -- [options])
  --rounds N           rounds; every figure is the median of them (default 3)
  --only REGEX         only the scenarios whose name matches (case-insensitive)
  --bulk-mib N         MiB sent each way in the bulk scenarios (default 512)
  --duration-ms N      milliseconds measured per handshake / round-trip figure (default 500)
  --warmup-ms N        the client's warm-up before each figure (default 150)
  --server-warmup N    handshakes each handshake server makes with itself first (default 200)
  --smoke              one short round of a few scenarios, as the test suite runs it
  --json               the report as JSON on stdout instead of the table
  --help               this text`;

/** The options of `node dist/bench/run.js`; unknown options and bad numbers throw, with the usage. */
export function parseArgs(argv: readonly string[]): BenchOptions {
  const flags = new Set(['--smoke', '--json', '--help']);
  const numeric = new Set(['--rounds', '--bulk-mib', '--duration-ms', '--warmup-ms', '--server-warmup']);
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (flags.has(arg)) {
      values.set(arg, '');
      continue;
    }
    const value = argv[i + 1];
    const bad =
      value === undefined ||
      (arg !== '--only' && !numeric.has(arg)) ||
      (numeric.has(arg) && !(Number(value) >= (arg === '--rounds' ? 1 : 0)));
    if (bad) throw new Error(`bench: unknown option or bad value: ${arg} ${value ?? ''}\n${usage}`);
    values.set(arg, value);
    i++;
  }
  const smoke = values.has('--smoke');
  const value = (name: string): string | undefined => values.get(name);
  const only = value('--only');
  return {
    rounds: Number(value('--rounds') ?? (smoke ? 1 : 3)),
    smoke,
    json: values.has('--json'),
    help: values.has('--help'),
    only: only !== undefined ? new RegExp(only, 'i') : undefined,
    durationMs: Number(value('--duration-ms') ?? (smoke ? 150 : 500)),
    warmupMs: Number(value('--warmup-ms') ?? (smoke ? 50 : 150)),
    bulkBytes: Number(value('--bulk-mib') ?? (smoke ? 2 : 512)) * 1024 * 1024,
    memoryConnections: smoke ? 20 : 2000,
    memoryWarm: smoke ? 5 : 100,
    serverWarmup: Number(value('--server-warmup') ?? (smoke ? 10 : 200)),
  };
}

// --- worker processes ----------------------------------------------------------------------

/** Profiles written so far (they are numbered in the order their workers start). */
let profiles = 0;

/** A forked worker and the messages it sent, awaited by type. */
class Worker {
  readonly child: ChildProcess;
  private readonly inbox: WorkerMessage[] = [];
  private waiter: (() => void) | undefined;
  private exited: string | undefined;

  /** `role`: 'server' or 'client' and the implementation, e.g. 'server-typetls' (names the profile). */
  constructor(script: string, args: string[], role: string) {
    // BENCH_PROFILE=dir: every worker writes a CPU profile there (node --cpu-prof), named
    // ROLE-IMPL-RUNNERPID-N.cpuprofile; BENCH_PROFILE_ROLE=server (or client) profiles only that side.
    const profile = process.env['BENCH_PROFILE'];
    const only = process.env['BENCH_PROFILE_ROLE'];
    const profiled = profile !== undefined && profile !== '' && (!only || role.startsWith(only));
    const execArgv = ['--expose-gc', ...(profiled ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, `--cpu-prof-name=${role}-${process.pid}-${++profiles}.cpuprofile`] : [])];
    // BENCH_NODE_ARGS: more node/V8 flags (e.g. --trace-deopt) for the workers BENCH_PROFILE_ROLE names (all without it).
    const extra = process.env['BENCH_NODE_ARGS'];
    if (extra && (!only || role.startsWith(only))) execArgv.push(...extra.split(' ').filter((a) => a !== ''));
    this.child = fork(here(script), args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: WorkerMessage) => {
      this.inbox.push(m);
      this.waiter?.();
    });
    this.child.on('exit', (code, signal) => {
      this.exited = `${script} exited (${code ?? signal})`;
      this.waiter?.();
    });
  }

  async next<T extends WorkerMessage['type']>(type: T, timeoutMs = 60_000): Promise<Extract<WorkerMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.type === type || m.type === 'error');
      if (i >= 0) {
        const m = this.inbox.splice(i, 1)[0]!;
        if (m.type === 'error') throw new Error(`worker failed: ${m.message}`);
        return m as Extract<WorkerMessage, { type: T }>;
      }
      if (this.exited) throw new Error(this.exited);
      if (Date.now() > deadline) throw new Error(`timed out waiting for '${type}'`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  send(m: RunnerMessage): void {
    this.child.send(m);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    // A worker exits by itself when the IPC channel closes (and then writes its profile).
    if (process.env['BENCH_PROFILE'] && this.child.connected) this.child.disconnect();
    else this.child.kill('SIGTERM');
    await gone;
  }
}

interface Pair {
  server: Impl;
  client: Impl;
  /** node:tls against itself a second time in the same round: the noise reference. */
  noise?: boolean;
}

const pairName = (p: Pair): string =>
  p.noise ? 'node, noise run' : p.server === p.client ? p.server : `${p.client === 'node' ? 'node:tls' : 'typetls'} client → ${p.server === 'node' ? 'node:tls' : 'typetls'} server`;

async function startServer(pki: Pki, impl: Impl, mode: ServerMode, settings: TlsSettings, extra: object = {}, workers = 0): Promise<{ worker: Worker; port: number }> {
  const spec: ServerSpec & object = { impl, mode, tls: settings, pki, ...extra };
  const worker = workers > 0 ? new Worker('./cluster.js', [JSON.stringify(spec), String(workers)], `server-${impl}`) : new Worker('./server.js', [JSON.stringify(spec)], `server-${impl}`);
  const { port } = await worker.next('listening');
  return { worker, port };
}

/** Starts a client process at once; it waits for start() with the server's port. */
function startClient(pki: Pki, impl: Impl, settings: TlsSettings, task: ClientTask): Worker & { start(port: number): void } {
  const spec: ClientSpec = { impl, port: 0, tls: settings, caCert: pki.caCert, task };
  const worker = new Worker('./client.js', [JSON.stringify(spec)], `client-${impl}`) as Worker & { start(port: number): void };
  worker.start = (port) => worker.send({ type: 'start', port });
  return worker;
}

/** A client's result and, for handshakes, the server's CPU over the client's counted interval. */
interface Outcome {
  result: ClientResult;
  serverCpu: ServerCpu | undefined;
}

async function runClient(pki: Pki, pair: Pair, settings: TlsSettings, mode: ServerMode, task: ClientTask, serverExtra: object = {}, workers = 0): Promise<Outcome> {
  // Both processes load their modules at the same time; the client waits for the port.
  const client = startClient(pki, pair.client, settings, task);
  let server: Worker | undefined;
  try {
    const started = await startServer(pki, pair.server, mode, settings, serverExtra, workers);
    server = started.worker;
    // The client's counted interval, passed on to a single server process, which measures its
    // CPU over it (a cluster's workers are not asked).
    const single = workers === 0 ? server : undefined;
    client.child.on('message', (m: WorkerMessage) => {
      if (m.type !== 'window') return;
      // Without a server to measure, the client need not wait for it.
      if (single) single.send(m);
      else if (m.phase === 'start') client.send({ type: 'windowOpen' });
    });
    single?.child.on('message', (m: WorkerMessage) => {
      if (m.type === 'windowOpen') client.send(m);
    });
    client.start(started.port);
    const result = (await client.next('result')).result;
    const serverCpu = result.kind === 'handshakes' && single ? (await single.next('cpu')).cpu : undefined;
    return { result, serverCpu };
  } finally {
    await client.stop();
    await server?.stop();
  }
}

// --- scenarios -----------------------------------------------------------------------------

/** One figure of one round. Bigger is better unless the row says otherwise. */
interface Sample {
  value: number;
  p50?: number;
  p99?: number;
  /** Handshakes: CPU µs per handshake of the server and of the client process. */
  serverUs?: number;
  clientUs?: number;
}

type Measure = (pki: Pki, pair: Pair, o: BenchOptions) => Promise<Sample | Sample[]>;

/**
 * A scenario measures one or more rows (a bulk run gives an upload and a download figure, a
 * memory run four). Each row compares `pairs` (typetls alone, or a cross pair) against node:tls.
 */
interface Scenario {
  name: string;
  group: 'full handshakes' | 'resumed handshakes' | 'bulk' | 'round trips' | 'memory' | 'cluster' | 'cross pairs';
  rows: readonly { name: string; unit: string; lowerIsBetter?: boolean; target?: number }[];
  /** The pairs measured; node:tls ↔ node:tls is always measured too, as the reference. */
  pairs: readonly Pair[];
  /** Rows without a node:tls reference (a group node:tls cannot do). */
  noReference?: boolean;
  /** node:tls against itself is run twice per round: the second run is the noise line. */
  noise?: boolean;
  smoke?: boolean;
  measure: Measure;
}

const TT: Pair = { server: 'typetls', client: 'typetls' };
const NODE: Pair = { server: 'node', client: 'node' };
const TT_CLIENT: Pair = { server: 'node', client: 'typetls' };
const TT_SERVER: Pair = { server: 'typetls', client: 'node' };
const NODE_NOISE: Pair = { server: 'node', client: 'node', noise: true };

const tls13 = (cert: 'rsa' | 'ecdsa', extra: Partial<TlsSettings> = {}): TlsSettings => ({
  cert, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ecdhCurve: 'X25519', ...extra,
});
const tls12 = (ciphers: string): TlsSettings => ({
  cert: 'rsa', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers, ecdhCurve: 'X25519',
});

const handshakeConfigs: readonly { name: string; settings: TlsSettings }[] = [
  { name: 'TLS 1.3 X25519 + RSA-2048', settings: tls13('rsa') },
  { name: 'TLS 1.3 X25519 + ECDSA P-256', settings: tls13('ecdsa') },
  { name: 'TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256', settings: tls12('ECDHE-RSA-AES128-GCM-SHA256') },
  { name: 'TLS 1.2 AES128-GCM-SHA256 (RSA kx)', settings: tls12('AES128-GCM-SHA256') },
];

function handshakeMeasure(settings: TlsSettings, concurrency: number, resume = false): Measure {
  return async (pki, pair, o) => {
    const { result: r, serverCpu } = await runClient(pki, pair, settings, 'handshake', {
      kind: 'handshakes', concurrency, durationMs: o.durationMs, warmupMs: o.warmupMs, resume,
    }, { warmHandshakes: o.serverWarmup });
    if (r.kind !== 'handshakes') throw new Error('unexpected result');
    if (r.count === 0) throw new Error(`${pairName(pair)}: no handshake completed (${r.failures} failed)`);
    if (resume && r.resumed !== r.count) throw new Error(`${pairName(pair)}: only ${r.resumed} of ${r.count} handshakes resumed`);
    if (!serverCpu || serverCpu.handshakes === 0) throw new Error(`${pairName(pair)}: the server counted no handshake`);
    return {
      value: r.count / r.seconds, p50: r.p50, p99: r.p99,
      serverUs: serverCpu.cpuUs / serverCpu.handshakes, clientUs: r.cpuUs / r.count,
    };
  };
}

function bulkMeasure(settings: TlsSettings): Measure {
  return async (pki, pair, o) => {
    const { result: r } = await runClient(pki, pair, settings, 'bulk', { kind: 'bulk', bytes: o.bulkBytes, chunk: 64 * 1024 }, { bulkBytes: o.bulkBytes });
    if (r.kind !== 'bulk') throw new Error('unexpected result');
    return [{ value: r.bytes / r.uploadSeconds / 1e6 }, { value: r.bytes / r.downloadSeconds / 1e6 }];
  };
}

const roundTripMeasure: Measure = async (pki, pair, o) => {
  const { result: r } = await runClient(pki, pair, tls13('ecdsa'), 'echo', { kind: 'roundtrips', size: 1024, durationMs: o.durationMs, warmupMs: o.warmupMs });
  if (r.kind !== 'roundtrips') throw new Error('unexpected result');
  return { value: r.count / r.seconds, p50: r.p50, p99: r.p99 };
};

/** Memory per idle connection: the growth from `memoryWarm` to `memoryWarm + memoryConnections` connections. */
const memoryMeasure: Measure = async (pki, pair, o) => {
  const settings = tls13('ecdsa');
  const client = startClient(pki, pair.client, settings, { kind: 'hold', warm: o.memoryWarm, connections: o.memoryConnections, concurrency: 16 });
  let server: Worker | undefined;
  try {
    const started = await startServer(pki, pair.server, 'hold', settings);
    server = started.worker;
    client.start(started.port);
    const sample = async (): Promise<[MemorySample, MemorySample]> => {
      server!.send({ type: 'measureMemory' });
      client.send({ type: 'measureMemory' });
      return [(await server!.next('memory')).memory, (await client.next('memory')).memory];
    };
    await client.next('holding');
    const [s0, c0] = await sample();
    client.send({ type: 'continue' });
    const { connections } = await client.next('holding');
    const [s1, c1] = await sample();
    const n = connections - o.memoryWarm;
    const per = (a: MemorySample, b: MemorySample, f: (m: MemorySample) => number): number => (f(b) - f(a)) / n / 1024;
    const heap = (m: MemorySample): number => m.heapUsed + m.arrayBuffers;
    return [
      { value: per(s0, s1, (m) => m.rss) },
      { value: per(s0, s1, heap) },
      { value: per(c0, c1, (m) => m.rss) },
      { value: per(c0, c1, heap) },
    ];
  } finally {
    await client.stop();
    await server?.stop();
  }
};

function clusterMeasure(workers: number): Measure {
  // A node:tls client drives both servers, so that only the server side differs.
  return async (pki, pair, o) => {
    const { result: r } = await runClient(pki, { server: pair.server, client: 'node' }, tls13('rsa'), 'handshake', {
      kind: 'handshakes', concurrency: 32, durationMs: o.durationMs, warmupMs: o.warmupMs, resume: false,
    }, {}, workers);
    if (r.kind !== 'handshakes' || r.count === 0) throw new Error('no handshake completed');
    return { value: r.count / r.seconds, p50: r.p50, p99: r.p99 };
  };
}

function scenarios(): Scenario[] {
  const list: Scenario[] = [];
  const hsTarget = 1.0;
  for (const [i, c] of handshakeConfigs.entries()) {
    for (const concurrency of [1, 16]) {
      list.push({
        name: `${c.name}, ${concurrency === 1 ? 'sequential' : `concurrency ${concurrency}`}`,
        group: 'full handshakes',
        rows: [{ name: `${c.name}, ${concurrency === 1 ? 'sequential' : `c${concurrency}`}`, unit: 'hs/s', target: hsTarget }],
        pairs: [TT],
        noise: true,
        smoke: i === 0,
        measure: handshakeMeasure(c.settings, concurrency),
      });
    }
  }
  for (const concurrency of [1, 16]) {
    list.push({
      name: `TLS 1.3 X25519MLKEM768 + RSA-2048, ${concurrency === 1 ? 'sequential' : `concurrency ${concurrency}`} (typetls only)`,
      group: 'full handshakes',
      rows: [{ name: `TLS 1.3 X25519MLKEM768 + RSA-2048, ${concurrency === 1 ? 'sequential' : `c${concurrency}`} (extra)`, unit: 'hs/s' }],
      pairs: [TT],
      noReference: true,
      measure: handshakeMeasure(tls13('rsa', { ecdhCurve: 'X25519MLKEM768' }), concurrency),
    });
  }
  list.push(
    {
      name: 'resumed TLS 1.2 session ID (ECDHE-RSA-AES128-GCM-SHA256, no tickets), concurrency 16',
      group: 'resumed handshakes',
      rows: [{ name: 'TLS 1.2 session ID, ECDHE-RSA-AES128-GCM, c16', unit: 'hs/s', target: hsTarget }],
      pairs: [TT],
      noise: true,
      measure: handshakeMeasure({ ...tls12('ECDHE-RSA-AES128-GCM-SHA256'), noTickets: true }, 16, true),
    },
    {
      name: 'resumed TLS 1.2 ticket (ECDHE-RSA-AES128-GCM-SHA256), concurrency 16',
      group: 'resumed handshakes',
      rows: [{ name: 'TLS 1.2 ticket, ECDHE-RSA-AES128-GCM, c16', unit: 'hs/s', target: hsTarget }],
      pairs: [TT],
      noise: true,
      measure: handshakeMeasure(tls12('ECDHE-RSA-AES128-GCM-SHA256'), 16, true),
    },
    {
      name: 'resumed TLS 1.3 PSK (psk_dhe_ke, X25519), concurrency 16',
      group: 'resumed handshakes',
      rows: [{ name: 'TLS 1.3 PSK + X25519, c16', unit: 'hs/s', target: hsTarget }],
      pairs: [TT],
      noise: true,
      smoke: true,
      measure: handshakeMeasure(tls13('rsa'), 16, true),
    },
  );
  for (const [suite, label] of [
    ['TLS_AES_128_GCM_SHA256', 'AES-128-GCM'],
    ['TLS_AES_256_GCM_SHA384', 'AES-256-GCM'],
    ['TLS_CHACHA20_POLY1305_SHA256', 'ChaCha20-Poly1305'],
  ] as const) {
    list.push({
      name: `bulk ${label} (TLS 1.3)`,
      group: 'bulk',
      rows: [
        { name: `${label}, client → server`, unit: 'MB/s', target: 1.0 },
        { name: `${label}, server → client`, unit: 'MB/s', target: 1.0 },
      ],
      pairs: [TT],
      smoke: label === 'AES-128-GCM',
      measure: bulkMeasure(tls13('ecdsa', { ciphers: suite })),
    });
  }
  list.push({
    name: '1 KiB request/response on one connection (TLS 1.3 AES-128-GCM)',
    group: 'round trips',
    rows: [{ name: '1 KiB echo, one connection', unit: 'rt/s', target: 1.0 }],
    pairs: [TT],
    smoke: true,
    measure: roundTripMeasure,
  });
  list.push({
    name: 'memory per idle connection (TLS 1.3 X25519 + ECDSA)',
    group: 'memory',
    rows: [
      { name: 'server RSS per connection', unit: 'KiB', lowerIsBetter: true, target: 1.0 },
      { name: 'server JS heap + buffers per connection', unit: 'KiB', lowerIsBetter: true },
      { name: 'client RSS per connection', unit: 'KiB', lowerIsBetter: true, target: 1.0 },
      { name: 'client JS heap + buffers per connection', unit: 'KiB', lowerIsBetter: true },
    ],
    pairs: [TT],
    smoke: true,
    measure: memoryMeasure,
  });
  // Cross pairs: each typetls side against the other implementation, so server cost and
  // client cost are seen apart (the reference is still node:tls on both sides).
  const cross = [TT_SERVER, TT_CLIENT];
  list.push(
    {
      name: 'cross: TLS 1.3 X25519 + RSA-2048 handshakes, concurrency 16',
      group: 'cross pairs',
      rows: [{ name: 'TLS 1.3 X25519 + RSA-2048, c16', unit: 'hs/s' }],
      pairs: cross,
      smoke: true,
      measure: handshakeMeasure(tls13('rsa'), 16),
    },
    {
      name: 'cross: TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256 handshakes, concurrency 16',
      group: 'cross pairs',
      rows: [{ name: 'TLS 1.2 ECDHE-RSA-AES128-GCM, c16', unit: 'hs/s' }],
      pairs: cross,
      measure: handshakeMeasure(tls12('ECDHE-RSA-AES128-GCM-SHA256'), 16),
    },
    {
      name: 'cross: bulk AES-128-GCM',
      group: 'cross pairs',
      rows: [
        { name: 'AES-128-GCM, client → server', unit: 'MB/s' },
        { name: 'AES-128-GCM, server → client', unit: 'MB/s' },
      ],
      pairs: cross,
      measure: bulkMeasure(tls13('ecdsa', { ciphers: 'TLS_AES_128_GCM_SHA256' })),
    },
    {
      name: 'cross: 1 KiB round trips',
      group: 'cross pairs',
      rows: [{ name: '1 KiB echo, one connection', unit: 'rt/s' }],
      pairs: cross,
      measure: roundTripMeasure,
    },
  );
  for (const workers of [1, 2]) {
    list.push({
      name: `cluster: ${workers} server worker${workers > 1 ? 's' : ''}, TLS 1.3 X25519 + RSA-2048, node:tls client at concurrency 32`,
      group: 'cluster',
      rows: [{ name: `${workers} worker${workers > 1 ? 's' : ''} (server), TLS 1.3 RSA-2048, c32`, unit: 'hs/s' }],
      pairs: [TT],
      smoke: true,
      measure: clusterMeasure(workers),
    });
  }
  return list;
}

// --- the run -------------------------------------------------------------------------------

export interface ReportRow {
  group: string;
  name: string;
  unit: string;
  /** Who the first figure is: 'typetls', or a cross pair. */
  subject: string;
  lowerIsBetter: boolean;
  target: number | undefined;
  subjectRounds: number[];
  nodeRounds: number[];
  subjectMedian: number;
  nodeMedian: number | undefined;
  ratio: number | undefined;
  subjectSpread: number;
  nodeSpread: number | undefined;
  /** Latency medians over the rounds of per-round p50/p99, in milliseconds. */
  subjectLatency?: { p50: number; p99: number };
  nodeLatency?: { p50: number; p99: number };
}

/**
 * One figure of the CPU-per-handshake table: typetls, node:tls and node:tls's second (noise)
 * run, each the median over the rounds.
 */
export interface CpuFigure {
  typetls: number;
  node: number;
  noise: number;
  /** Higher is better: node / typetls for µs, typetls / node for handshakes per second. */
  ratio: number;
  /** The same ratio between node:tls's first and second run: what two identical runs give. */
  noiseRatio: number;
  rounds: { typetls: number[]; node: number[]; noise: number[] };
}

/** A handshake scenario's CPU per handshake on each side, beside its handshakes per second. */
export interface CpuRow {
  group: string;
  name: string;
  serverUs: CpuFigure;
  clientUs: CpuFigure;
  handshakesPerSecond: CpuFigure;
}

/** Targets of the CPU table, as ratios in its direction (higher is better). */
export const cpuTargets = { serverUs: 1 / 0.75, clientUs: 1.0, handshakesPerSecond: 1.0 } as const;

export interface Report {
  machine: { cpus: string; cores: number; memoryGiB: number; node: string; openssl: string; platform: string };
  options: { rounds: number; smoke: boolean; durationMs: number; warmupMs: number; bulkMiB: number; memoryConnections: number };
  seconds: number;
  /** CPU per handshake (the scenarios measured with a noise run), first in the printed report. */
  cpu: CpuRow[];
  rows: ReportRow[];
}

const spread = (xs: readonly number[]): number => (xs.length < 2 ? 0 : (Math.max(...xs) - Math.min(...xs)) / 2 / Math.abs(median(xs) || 1));

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

export async function runBench(o: BenchOptions): Promise<Report> {
  const started = Date.now();
  const keys = await benchPki();

  let list = scenarios();
  if (o.smoke) list = list.filter((s) => s.smoke);
  if (o.only) list = list.filter((s) => o.only!.test(s.name) || o.only!.test(s.group));

  // samples[scenario][pair key][round] → Sample[]
  const samples = new Map<Scenario, Map<string, Sample[][]>>();
  const key = (p: Pair): string => `${p.server}/${p.client}${p.noise ? '/noise' : ''}`;
  for (let round = 0; round < o.rounds; round++) {
    for (const s of list) {
      const pairs = s.noReference ? [...s.pairs] : [...s.pairs, NODE, ...(s.noise ? [NODE_NOISE] : [])];
      // Alternate who goes first.
      if (round % 2 === 1) pairs.reverse();
      for (const pair of pairs) {
        const t = Date.now();
        const out = await s.measure(keys, pair, o);
        const arr = Array.isArray(out) ? out : [out];
        let perPair = samples.get(s);
        if (!perPair) samples.set(s, (perPair = new Map()));
        let rounds = perPair.get(key(pair));
        if (!rounds) perPair.set(key(pair), (rounds = []));
        rounds.push(arr);
        log(`round ${round + 1}/${o.rounds}  ${s.name}  [${pairName(pair)}]  ${arr.map((x) => x.value.toFixed(1)).join(' / ')}  (${((Date.now() - t) / 1000).toFixed(1)} s)`);
      }
    }
  }

  const rows: ReportRow[] = [];
  for (const s of list) {
    const perPair = samples.get(s)!;
    const nodeRounds = perPair.get(key(NODE));
    for (const pair of s.pairs) {
      const subjectRounds = perPair.get(key(pair))!;
      s.rows.forEach((r, i) => {
        const sv = subjectRounds.map((x) => x[i]!.value);
        const nv = nodeRounds?.map((x) => x[i]!.value);
        const lat = (rs: Sample[][] | undefined): { p50: number; p99: number } | undefined =>
          rs && rs[0]![i]!.p50 !== undefined ? { p50: median(rs.map((x) => x[i]!.p50!)), p99: median(rs.map((x) => x[i]!.p99!)) } : undefined;
        const subjectMedian = median(sv);
        const nodeMedian = nv ? median(nv) : undefined;
        const row: ReportRow = {
          group: s.group,
          name: r.name,
          unit: r.unit,
          subject: pairName(pair),
          lowerIsBetter: r.lowerIsBetter === true,
          target: r.target,
          subjectRounds: sv,
          nodeRounds: nv ?? [],
          subjectMedian,
          nodeMedian,
          ratio: nodeMedian ? subjectMedian / nodeMedian : undefined,
          subjectSpread: spread(sv),
          nodeSpread: nv ? spread(nv) : undefined,
        };
        const sl = lat(subjectRounds);
        const nl = lat(nodeRounds);
        if (sl) row.subjectLatency = sl;
        if (nl) row.nodeLatency = nl;
        rows.push(row);
      });
    }
  }
  const cpu: CpuRow[] = [];
  for (const s of list) {
    if (!s.noise) continue;
    const perPair = samples.get(s)!;
    const of = (p: Pair, f: (x: Sample) => number | undefined): number[] => perPair.get(key(p))!.map((x) => f(x[0]!) ?? NaN);
    const figure = (f: (x: Sample) => number | undefined, lowerIsBetter: boolean): CpuFigure => {
      const rounds = { typetls: of(TT, f), node: of(NODE, f), noise: of(NODE_NOISE, f) };
      const [t, n, z] = [median(rounds.typetls), median(rounds.node), median(rounds.noise)];
      return {
        typetls: t, node: n, noise: z,
        ratio: lowerIsBetter ? n / t : t / n,
        noiseRatio: lowerIsBetter ? n / z : z / n,
        rounds,
      };
    };
    cpu.push({
      group: s.group,
      name: s.rows[0]!.name,
      serverUs: figure((x) => x.serverUs, true),
      clientUs: figure((x) => x.clientUs, true),
      handshakesPerSecond: figure((x) => x.value, false),
    });
  }
  const cpus = os.cpus();
  return {
    machine: {
      cpus: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      openssl: process.versions.openssl ?? 'unknown',
      platform: `${os.platform()} ${os.release()}`,
    },
    options: {
      rounds: o.rounds, smoke: o.smoke, durationMs: o.durationMs, warmupMs: o.warmupMs,
      bulkMiB: o.bulkBytes / 2 ** 20, memoryConnections: o.memoryConnections,
    },
    seconds: (Date.now() - started) / 1000,
    cpu,
    rows,
  };
}

// --- the table -----------------------------------------------------------------------------

function fmt(v: number | undefined, unit: string): string {
  if (v === undefined || Number.isNaN(v)) return '—';
  if (unit === 'KiB') return `${v.toFixed(1)} KiB`;
  return v >= 100 ? Math.round(v).toString() : v.toFixed(1);
}

function verdict(r: ReportRow): string {
  if (r.target === undefined || r.ratio === undefined) return '';
  const met = r.lowerIsBetter ? r.ratio <= r.target : r.ratio >= r.target;
  return `${r.lowerIsBetter ? '≤' : '≥'}${r.target.toFixed(1)} ${met ? 'met' : 'MISSED'}`;
}

const geomean = (xs: readonly number[]): number => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);

/** The CPU-per-handshake table, with a geometric-mean line per group. */
export function formatCpuTable(report: Report): string[] {
  if (report.cpu.length === 0) return [];
  const header = [
    'Handshakes', 'server µs tt', 'node', 'ratio', 'noise', 'client µs tt', 'node', 'ratio', 'noise', 'hs/s tt', 'node', 'ratio', 'noise', 'targets s / c / hs',
  ];
  const met = (f: CpuFigure, target: number): string => (f.ratio >= target ? 'met' : 'MISSED');
  const cells = (f: CpuFigure): string[] => [Math.round(f.typetls).toString(), Math.round(f.node).toString(), `${f.ratio.toFixed(2)}×`, `${f.noiseRatio.toFixed(2)}×`];
  const lines: string[][] = [];
  const groups = [...new Set(report.cpu.map((r) => r.group))];
  const summaries: string[] = [];
  for (const g of groups) {
    const rows = report.cpu.filter((r) => r.group === g);
    lines.push([`**${g}**`, ...header.slice(1).map(() => '')]);
    for (const r of rows) {
      lines.push([
        r.name, ...cells(r.serverUs), ...cells(r.clientUs), ...cells(r.handshakesPerSecond),
        `${met(r.serverUs, cpuTargets.serverUs)} / ${met(r.clientUs, cpuTargets.clientUs)} / ${met(r.handshakesPerSecond, cpuTargets.handshakesPerSecond)}`,
      ]);
    }
    const gm = (f: (r: CpuRow) => CpuFigure): string =>
      `${geomean(rows.map((r) => f(r).ratio)).toFixed(2)}× (noise ${geomean(rows.map((r) => f(r).noiseRatio)).toFixed(2)}×)`;
    summaries.push(`${g}, geometric mean: server ${gm((r) => r.serverUs)}, client ${gm((r) => r.clientUs)}, hs/s ${gm((r) => r.handshakesPerSecond)}`);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (c: string[]): string => `| ${c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join(' | ')} |`;
  return [
    `CPU per handshake: process.cpuUsage() of the server and of the client process over the counted interval, divided by the handshakes each completed in it; median of ${report.options.rounds} round(s). ratio = node:tls µs / typetls µs (hs/s: typetls / node:tls), higher is better; noise = node:tls against a second node:tls run in the same round. Targets: server ≥ ${cpuTargets.serverUs.toFixed(2)}× (≤ 0.75 of node's µs), client ≥ ${cpuTargets.clientUs.toFixed(2)}×, hs/s ≥ ${cpuTargets.handshakesPerSecond.toFixed(2)}×.`,
    '',
    row(header),
    `|${widths.map((w, i) => (i === 0 ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':')).join('|')}|`,
    ...lines.map(row),
    '',
    ...summaries,
    '',
  ];
}

export function formatTable(report: Report): string {
  const header = ['Scenario', 'typetls', 'node:tls', 'ratio', 'spread tt / node', 'p50 / p99 ms tt', 'p50 / p99 ms node', 'target'];
  const lines: string[][] = [];
  let group = '';
  const sections: { title: string; rows: string[][] }[] = [];
  for (const r of report.rows) {
    if (r.group !== group) {
      group = r.group;
      sections.push({ title: group, rows: [] });
    }
    const name = r.subject === 'typetls' ? `${r.name} (${r.unit})` : `${r.name} (${r.unit}) [${r.subject}]`;
    const lat = (l: { p50: number; p99: number } | undefined): string => (l ? `${l.p50.toFixed(2)} / ${l.p99.toFixed(2)}` : '');
    sections[sections.length - 1]!.rows.push([
      name,
      fmt(r.subjectMedian, r.unit),
      fmt(r.nodeMedian, r.unit),
      r.ratio !== undefined ? `${r.ratio.toFixed(2)}×` : '—',
      `±${(r.subjectSpread * 100).toFixed(0)}% / ${r.nodeSpread !== undefined ? `±${(r.nodeSpread * 100).toFixed(0)}%` : '—'}`,
      lat(r.subjectLatency),
      lat(r.nodeLatency),
      verdict(r),
    ]);
  }
  for (const s of sections) lines.push(...s.rows);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const out: string[] = [];
  const m = report.machine;
  out.push(`typetls vs node:tls — ${m.cpus}, ${m.cores} cores, ${m.memoryGiB} GiB, node ${m.node}, OpenSSL ${m.openssl}, ${m.platform}`);
  out.push(
    `median of ${report.options.rounds} round(s); ${report.options.durationMs} ms per handshake/round-trip figure after ${report.options.warmupMs} ms warm-up; bulk ${report.options.bulkMiB} MiB each way; memory over ${report.options.memoryConnections} idle connections; ratio = typetls / node:tls; run took ${report.seconds.toFixed(0)} s`,
  );
  out.push('');
  out.push(...formatCpuTable(report));
  out.push(row(header));
  out.push(`|${widths.map((w, i) => (i === 0 ? ':' : '') + '-'.repeat(w + (i === 0 ? 1 : 1)) + (i === 0 ? '' : ':')).join('|')}|`);
  for (const s of sections) {
    out.push(row([`**${s.title}**`, ...header.slice(1).map(() => '')]));
    for (const l of s.rows) out.push(row(l));
  }
  const c1 = report.rows.find((r) => r.group === 'cluster' && r.name.startsWith('1 '));
  const c2 = report.rows.find((r) => r.group === 'cluster' && r.name.startsWith('2 '));
  if (c1 && c2) {
    out.push('');
    out.push(
      `cluster scaling, 2 workers / 1 worker: typetls ${(c2.subjectMedian / c1.subjectMedian).toFixed(2)}×, node:tls ${((c2.nodeMedian ?? NaN) / (c1.nodeMedian ?? NaN)).toFixed(2)}×`,
    );
  }
  return out.join('\n');
}

export async function main(argv: readonly string[]): Promise<Report | undefined> {
  const options = parseArgs(argv);
  if (options.help) {
    process.stdout.write(`${usage}\n`);
    return undefined;
  }
  const report = await runBench(options);
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatTable(report)}\n`);
  return report;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(e.message.startsWith('bench: ') ? `${e.message}\n` : `bench failed: ${e.stack ?? e.message}\n`);
    process.exitCode = 1;
  });
}
