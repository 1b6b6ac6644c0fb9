// Where a bulk transfer's CPU goes: one direction at a time, the CPU time (user + system) the
// writing and the reading process each spend, for typetls and node:tls on each side.
//
//   node dist/bench/cpu.js [--mib N] [--rounds N] [--suite AES-128-GCM|AES-256-GCM|CHACHA20-POLY1305] [--only typetls]
//   node dist/bench/cpu.js --engine [--suite S]   (the engine alone, in memory: no socket, no stream)
//   node dist/bench/cpu.js --roundtrips N [--rounds N]   (1 KiB echoes instead: CPU µs per round trip and side,
//                                                         plain TCP first as the baseline of the bare net.Socket)
//   BENCH_PROFILE=/tmp/prof node dist/bench/cpu.js --rounds 1 --only typetls   (a CPU profile per process)
//
// Throughput is set by the slower side; when one process is near 100% of a core for the whole
// transfer, that side is the limit, and its CPU per GiB is what to make cheaper. The figures
// come from process.cpuUsage() in each process, from the handshake's end to the last byte
// (the reader) or to the last write accepted by the kernel (the writer).
//
// The same worker script is the server and the client: `cpu.js worker SPEC` (forked by the runner).

import { fork } from 'node:child_process';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { suiteByName } from '../src/suites.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys } from '../test/pair.js';
import { benchPki, connect, createServer, median, type AnySocket, type Impl, type Pki, type TlsSettings } from './common.js';

const CHUNK = 64 * 1024;
const ECHO_SIZE = 1024;
const SUITES: Record<string, string> = {
  'AES-128-GCM': 'TLS_AES_128_GCM_SHA256',
  'AES-256-GCM': 'TLS_AES_256_GCM_SHA384',
  'CHACHA20-POLY1305': 'TLS_CHACHA20_POLY1305_SHA256',
};

/** A side: one of the TLS implementations, or plain TCP (no TLS: the cost of the bare net.Socket stream). */
type SideImpl = Impl | 'tcp';

interface WorkerSpec {
  role: 'server' | 'client';
  impl: SideImpl;
  /** Which side writes: the client (upload) or the server (download). */
  writer: 'server' | 'client';
  bytes: number;
  /** Echo mode: the client sends 1 KiB and waits for it back this many times (bytes is unused). */
  roundTrips?: number;
  settings: TlsSettings;
  pki: Pki;
  port: number;
}

interface SideResult {
  role: 'server' | 'client';
  cpuMs: number;
  userMs: number;
  systemMs: number;
  wallMs: number;
}

// --- the worker -------------------------------------------------------------------------------

/** Writes `bytes` in 64 KiB writes with backpressure; resolves when the kernel took the last one. */
function writeAll(socket: AnySocket, bytes: number): Promise<void> {
  const chunk = Buffer.alloc(CHUNK, 0x61);
  return new Promise((resolve) => {
    let left = bytes;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(CHUNK, left);
        left -= n;
        const last = left === 0;
        const ok = socket.write(n === CHUNK ? chunk : chunk.subarray(0, n), last ? () => resolve() : undefined);
        if (!ok && !last) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

function readAll(socket: AnySocket, bytes: number): Promise<void> {
  return new Promise((resolve) => {
    let got = 0;
    socket.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= bytes) resolve();
    });
  });
}

/** Echo mode: the client's requests one after the other, the server's echoes; timed from the handshake's end. */
async function echo(spec: WorkerSpec & { roundTrips: number }, socket: AnySocket): Promise<SideResult> {
  socket.setNoDelay(true);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const total = spec.roundTrips * ECHO_SIZE;
  if (spec.role === 'server') {
    let echoed = 0;
    await new Promise<void>((resolve) => {
      socket.on('data', (d: Buffer) => {
        socket.write(d);
        echoed += d.length;
        if (echoed >= total) resolve();
      });
    });
    return measured(spec.role, t0, c0);
  }
  const request = Buffer.alloc(ECHO_SIZE, 0x63);
  let pending = 0;
  let next: () => void = () => {};
  socket.on('data', (d: Buffer) => {
    pending -= d.length;
    if (pending <= 0) next();
  });
  for (let i = 0; i < spec.roundTrips; i++) {
    await new Promise<void>((resolve) => {
      pending = ECHO_SIZE;
      next = resolve;
      socket.write(request);
    });
  }
  return measured(spec.role, t0, c0);
}

/** One side's transfer, timed from the handshake's end; then tells the peer it is done ("k"). */
async function transfer(spec: WorkerSpec, socket: AnySocket): Promise<SideResult> {
  if (spec.roundTrips !== undefined) return echo({ ...spec, roundTrips: spec.roundTrips }, socket);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const writing = spec.role === spec.writer;
  if (writing) {
    const done = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    await writeAll(socket, spec.bytes);
    const result = measured(spec.role, t0, c0);
    await done;
    return result;
  }
  await readAll(socket, spec.bytes);
  const result = measured(spec.role, t0, c0);
  socket.write(Buffer.from('k'));
  return result;
}

function measured(role: SideResult['role'], t0: number, c0: NodeJS.CpuUsage): SideResult {
  const c = process.cpuUsage(c0);
  return { role, cpuMs: (c.user + c.system) / 1000, userMs: c.user / 1000, systemMs: c.system / 1000, wallMs: performance.now() - t0 };
}

function worker(spec: WorkerSpec): void {
  process.on('disconnect', () => process.exit(0));
  const report = (r: SideResult): void => {
    process.send!(r);
  };
  if (spec.role === 'server') {
    const onSocket = (socket: AnySocket): void => {
      socket.on('error', () => socket.destroy());
      void transfer(spec, socket).then((r) => {
        report(r);
        socket.end();
        server.close();
      });
    };
    const server =
      spec.impl === 'tcp'
        ? net.createServer((socket) => onSocket(socket as unknown as AnySocket))
        : createServer(spec.impl, spec.settings, spec.pki, onSocket);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      process.send!({ port: typeof address === 'object' && address ? address.port : 0 });
    });
    return;
  }
  const raw = net.connect({ host: '127.0.0.1', port: spec.port });
  raw.setNoDelay(true);
  if (spec.impl === 'tcp') {
    raw.once('connect', () => {
      void transfer(spec, raw as unknown as AnySocket).then((r) => {
        report(r);
        raw.end();
      });
    });
    return;
  }
  const socket = connect(spec.impl, raw, spec.settings, spec.pki.caCert, undefined);
  socket.on('error', () => socket.destroy());
  socket.once('secureConnect', () => {
    void transfer(spec, socket).then((r) => {
      report(r);
      socket.end();
    });
  });
}

// --- the runner -------------------------------------------------------------------------------

function run(spec: WorkerSpec): { result: Promise<SideResult>; port?: Promise<number> } {
  // BENCH_PROFILE=dir: each worker writes a CPU profile there, as in run.ts.
  const profile = process.env['BENCH_PROFILE'];
  const execArgv = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  const child = fork(fileURLToPath(import.meta.url), ['worker', JSON.stringify(spec)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let onPort: (port: number) => void = () => {};
  const port = new Promise<number>((resolve) => (onPort = resolve));
  const result = new Promise<SideResult>((resolve, reject) => {
    child.on('message', (m: SideResult | { port: number }) => {
      if ('port' in m) onPort(m.port);
      else {
        resolve(m);
        // Disconnecting lets a profiled worker exit by itself and write its profile.
        if (profile) child.disconnect();
        else child.kill();
      }
    });
    child.on('exit', (code) => reject(new Error(`${spec.role} worker exited (${code})`)));
  });
  return spec.role === 'server' ? { result, port } : { result };
}

interface Transfer {
  mbps: number;
  writer: SideResult;
  reader: SideResult;
}

/** One server and one client worker of a measurement; both sides' results. */
async function runPair(base: Omit<WorkerSpec, 'role' | 'impl' | 'port'>, server: SideImpl, client: SideImpl): Promise<{ server: SideResult; client: SideResult }> {
  const s = run({ ...base, role: 'server', impl: server, port: 0 });
  const port = await s.port!;
  const c = run({ ...base, role: 'client', impl: client, port });
  const [sr, cr] = await Promise.all([s.result, c.result]);
  return { server: sr, client: cr };
}

async function transferOnce(pki: Pki, settings: TlsSettings, server: Impl, client: Impl, writer: 'server' | 'client', bytes: number): Promise<Transfer> {
  const sides = await runPair({ writer, bytes, settings, pki }, server, client);
  const w = sides[writer];
  const r = sides[writer === 'server' ? 'client' : 'server'];
  return { mbps: bytes / 1e6 / (r.wallMs / 1000), writer: w, reader: r };
}

const sideName = (i: SideImpl): string => (i === 'node' ? 'node:tls' : i === 'tcp' ? 'TCP (no TLS)' : 'typetls');

/** Two table cells for one side over the rounds: "CPU (user / sys)" in `unit`, and the busy share; medians. */
function cpuCells(sides: SideResult[], unit: (ms: number) => string): string {
  const m = (f: (r: SideResult) => number): number => median(sides.map(f));
  return `${unit(m((r) => r.cpuMs))} (${unit(m((r) => r.userMs))} / ${unit(m((r) => r.systemMs))}) | ${(m((r) => r.cpuMs / r.wallMs) * 100).toFixed(0)}%`;
}

/** Echo mode: every server/client pair, CPU per round trip on each side. */
async function roundTripTable(pki: Pki, settings: TlsSettings, roundTrips: number, rounds: number, only: string | undefined): Promise<void> {
  console.log(`1 KiB echo, ${roundTrips} round trips on one connection, median of ${rounds}; CPU = user + system µs per round trip`);
  console.log('');
  console.log('| client → server | rt/s | client CPU µs/rt (user / sys) | client busy | server CPU µs/rt (user / sys) | server busy |');
  console.log('|:--|--:|--:|--:|--:|--:|');
  // Plain TCP first: what the bare net.Socket stream costs per round trip, for scale.
  const pairs: [SideImpl, SideImpl][] = [['tcp', 'tcp'], ['node', 'node'], ['node', 'typetls'], ['typetls', 'node'], ['typetls', 'typetls']];
  for (const [client, server] of pairs) {
    if (only !== undefined && (client !== only || server !== only)) continue;
    const rs: { server: SideResult; client: SideResult }[] = [];
    for (let i = 0; i < rounds; i++) rs.push(await runPair({ writer: 'client', bytes: 0, roundTrips, settings, pki }, server, client));
    const rate = median(rs.map((r) => roundTrips / (r.client.wallMs / 1000)));
    const perRoundTrip = (ms: number): string => ((ms * 1000) / roundTrips).toFixed(1);
    const side = (k: 'client' | 'server'): string => cpuCells(rs.map((r) => r[k]), perRoundTrip);
    console.log(`| ${sideName(client)} → ${sideName(server)} | ${rate.toFixed(0)} | ${side('client')} | ${side('server')} |`);
  }
}

/**
 * The engine alone (ClientConnection and ServerConnection in memory, TLS 1.3, the suite given):
 * µs per 1 KiB message pair (client seals, server opens and seals the echo) and MB/s of 64 KiB
 * socket-sized reads given to the server as owned (decrypted in place, as over a net.Socket).
 */
async function engineFigures(suite: string, rounds: number): Promise<void> {
  const keys = await testKeys();
  const id = suiteByName(SUITES[suite]!)!.id;
  const pair = (): Pair => {
    const p = Pair.create(makeClientConfig(keys, { cipherSuites: [id] }), makeServerConfig(keys, { cipherSuites: [id] }));
    p.handshake();
    return p;
  };
  const messages = 100_000;
  const message = new Uint8Array(ECHO_SIZE).fill(0x63);
  const echo = (p: Pair): number => {
    const t0 = performance.now();
    for (let i = 0; i < messages; i++) {
      p.client.write(message);
      p.server.receive(p.client.takeOutput());
      for (const e of p.server.process()) if (e.type === 'data') p.server.write(e.data);
      p.server.takeOutput();
    }
    return ((performance.now() - t0) * 1000) / messages;
  };
  const reads = (p: Pair): number => {
    // 128 MiB sealed in 64 KiB writes, then cut into 64 KiB reads as a socket would (most records split).
    const chunk = new Uint8Array(CHUNK).fill(0x61);
    const sealed: Uint8Array[] = [];
    for (let i = 0; i < 2048; i++) {
      p.client.write(chunk);
      sealed.push(p.client.takeOutput().slice());
    }
    const wire = new Uint8Array(sealed.reduce((n, b) => n + b.length, 0));
    sealed.reduce((at, b) => (wire.set(b, at), at + b.length), 0);
    const cut: Uint8Array[] = [];
    for (let at = 0; at < wire.length; at += CHUNK) cut.push(wire.slice(at, at + CHUNK));
    let got = 0;
    const t0 = performance.now();
    for (const read of cut) {
      p.server.receive(read, { owned: true });
      for (const e of p.server.process()) if (e.type === 'data') got += e.data.length;
    }
    return got / 1e6 / ((performance.now() - t0) / 1000);
  };
  echo(pair()); // warm-up
  const us = Array.from({ length: rounds }, () => echo(pair()));
  reads(pair());
  const mbps = Array.from({ length: rounds }, () => reads(pair()));
  console.log(`engine alone, TLS 1.3 ${suite}, median of ${rounds}:`);
  console.log(`  1 KiB message pair (client seal, server open + seal): ${median(us).toFixed(2)} µs`);
  console.log(`  64 KiB owned reads (server open, in place):            ${median(mbps).toFixed(0)} MB/s`);
}

async function main(argv: string[]): Promise<void> {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const mib = Number(value('--mib') ?? 512);
  const rounds = Number(value('--rounds') ?? 3);
  const suite = value('--suite') ?? 'AES-128-GCM';
  if (!(suite in SUITES) || !(mib > 0) || !(rounds > 0)) {
    console.error('usage: node dist/bench/cpu.js [--mib N] [--rounds N] [--suite AES-128-GCM|AES-256-GCM|CHACHA20-POLY1305]');
    process.exit(2);
  }
  const bytes = mib * 1024 * 1024;
  const pki = await benchPki();
  const settings: TlsSettings = { cert: 'ecdsa', minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ecdhCurve: 'X25519', ciphers: SUITES[suite] };
  if (argv.includes('--engine')) {
    await engineFigures(suite, rounds);
    return;
  }
  const roundTrips = value('--roundtrips');
  if (roundTrips !== undefined) {
    if (!(Number(roundTrips) > 0)) {
      console.error('--roundtrips takes a positive number');
      process.exit(2);
    }
    await roundTripTable(pki, settings, Number(roundTrips), rounds, value('--only'));
    return;
  }
  console.log(`${suite}, ${mib} MiB one way, median of ${rounds}; CPU = user + system ms of each process, busy = CPU / wall time`);
  console.log('');
  console.log('| writer → reader | MB/s | writer CPU ms (user / sys) | writer busy | reader CPU ms (user / sys) | reader busy |');
  console.log('|:--|--:|--:|--:|--:|--:|');
  const impls: Impl[] = ['node', 'typetls'];
  // --only typetls: the typetls ↔ typetls rows alone.
  const only = value('--only');
  for (const writerImpl of impls) {
    for (const readerImpl of impls) {
      if (only !== undefined && (writerImpl !== only || readerImpl !== only)) continue;
      for (const writer of ['client', 'server'] as const) {
        const server = writer === 'server' ? writerImpl : readerImpl;
        const client = writer === 'client' ? writerImpl : readerImpl;
        const rs: Transfer[] = [];
        for (let i = 0; i < rounds; i++) rs.push(await transferOnce(pki, settings, server, client, writer, bytes));
        const milliseconds = (ms: number): string => ms.toFixed(0);
        const cpu = (side: 'writer' | 'reader'): string => cpuCells(rs.map((r) => r[side]), milliseconds);
        const reader = writer === 'client' ? 'server' : 'client';
        const mbps = median(rs.map((r) => r.mbps));
        console.log(`| ${sideName(writerImpl)} ${writer} → ${sideName(readerImpl)} ${reader} | ${mbps.toFixed(0)} | ${cpu('writer')} | ${cpu('reader')} |`);
      }
    }
  }
}

if (process.argv[2] === 'worker') worker(JSON.parse(process.argv[3]!) as WorkerSpec);
else await main(process.argv.slice(2));
