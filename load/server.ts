// The load run's server process: one typetls server (createServer, node:tls option names) on
// 127.0.0.1, port 0. Started by load/run.ts with a ServerSpec as JSON in argv[2] and
// --expose-gc; it reports its port over IPC, answers every request frame (see common.ts),
// counts everything, and serves until the driver says 'exit' or goes away.

import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type * as net from 'node:net';
import * as tls from 'node:tls';
import { createServer, type TLSSocket } from '../src/index.js';
import { FrameReader, answer, count, frame, memory, send, type DriverMessage, type ServerSpec, type ServerStats } from './common.js';

const spec = JSON.parse(process.argv[2]!) as ServerSpec;

const stats: ServerStats = {
  accepted: 0,
  openTcp: 0,
  handshakes: 0,
  resumed: 0,
  openSecure: 0,
  peakSecure: 0,
  peakTcp: 0,
  protocols: {},
  requests: 0,
  clientErrors: {},
  socketErrors: {},
  frameErrors: 0,
  liveSockets: 0,
  liveTransports: 0,
  peakRss: 0,
  peakHeapUsed: 0,
  loopDelayP99: 0,
  loopDelayMax: 0,
  stalls: [],
  handshakeMsMax: 0,
  timeoutAgeMin: undefined,
  timeoutAgeMax: undefined,
};

// Every server TLSSocket and TCP socket is registered here: after the run and a forced GC, the
// ones still alive are the ones something holds on to (a leak). A TLSSocket is seen when it
// finishes its handshake ('secureConnection') or fails before ('tlsClientError'): every one
// does one or the other, or it stays open and shows in openTcp.
const alive = new FinalizationRegistry<'tls' | 'tcp'>((what) => {
  if (what === 'tls') stats.liveSockets--;
  else stats.liveTransports--;
});
const seen = new WeakSet<object>();

function register(socket: object, what: 'tls' | 'tcp'): void {
  if (seen.has(socket)) return;
  seen.add(socket);
  if (what === 'tls') stats.liveSockets++;
  else stats.liveTransports++;
  alive.register(socket, what);
}

const codeOf = (err: Error): string => (err as Error & { code?: string }).code ?? err.message.slice(0, 60);

/** When each TCP connection was accepted, to time handshakes and handshake timeouts. */
const acceptedAt = new WeakMap<object, number>();
const ageOf = (socket: TLSSocket | undefined): number | undefined => {
  const raw = socket && ((socket as { transport?: object }).transport ?? (socket as { _parent?: object })._parent ?? socket);
  const t = raw && acceptedAt.get(raw);
  return t === undefined ? undefined : performance.now() - t;
};

function onSecure(socket: TLSSocket): void {
  register(socket, 'tls');
  const age = ageOf(socket);
  if (age !== undefined && age > stats.handshakeMsMax) stats.handshakeMsMax = Math.round(age);
  stats.handshakes++;
  if (socket.isSessionReused()) stats.resumed++;
  count(stats.protocols, socket.getProtocol() ?? 'unknown');
  stats.openSecure++;
  if (stats.openSecure > stats.peakSecure) stats.peakSecure = stats.openSecure;
  socket.setNoDelay(true);
  const reader = new FrameReader();
  socket.on('data', (data: Buffer) => {
    const bodies = reader.push(data);
    for (const body of bodies) {
      stats.requests++;
      socket.write(frame(answer(body)));
    }
    if (reader.error) {
      stats.frameErrors++;
      socket.destroy();
    }
  });
  // The client finished sending (close_notify or FIN): finish ours once the answers are out.
  socket.on('end', () => socket.end());
  socket.on('error', (err: Error) => {
    count(stats.socketErrors, codeOf(err));
    socket.destroy();
  });
  socket.on('close', () => {
    stats.openSecure--;
  });
}

const serverOptions = {
  key: readFileSync(spec.key),
  cert: readFileSync(spec.cert),
  handshakeTimeout: spec.handshakeTimeoutMs,
};
// `--server node` runs node:tls instead, with the same options and handler, for comparison.
const server =
  spec.impl === 'node'
    ? (tls.createServer(serverOptions, onSecure as unknown as (s: tls.TLSSocket) => void) as unknown as ReturnType<typeof createServer>)
    : createServer(serverOptions, onSecure);

server.on('connection', (raw: net.Socket) => {
  register(raw, 'tcp');
  acceptedAt.set(raw, performance.now());
  stats.accepted++;
  stats.openTcp++;
  if (stats.openTcp > stats.peakTcp) stats.peakTcp = stats.openTcp;
  raw.on('close', () => {
    stats.openTcp--;
  });
});
server.on('tlsClientError', (err: Error, socket: TLSSocket | undefined) => {
  if (socket) register(socket, 'tls');
  count(stats.clientErrors, codeOf(err));
  const age = ageOf(socket);
  if (codeOf(err) === 'ERR_TLS_HANDSHAKE_TIMEOUT' && age !== undefined) {
    stats.timeoutAgeMin = Math.min(stats.timeoutAgeMin ?? Infinity, Math.round(age));
    stats.timeoutAgeMax = Math.max(stats.timeoutAgeMax ?? 0, Math.round(age));
  }
  socket?.destroy();
});

server.on('error', (err: Error) => {
  console.error(`load server: ${err.message}`);
  process.exit(3);
});

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
// Beats every 100 ms; a beat late by more than 500 ms is a stall of the event loop, kept with
// when it happened (seconds since start) and what the server was doing.
let lastBeat = performance.now();
const sampler = setInterval(() => {
  const now = performance.now();
  const late = now - lastBeat - 100;
  lastBeat = now;
  if (late > 500 && stats.stalls.length < 20) {
    stats.stalls.push({ at: Math.round(now) / 1000, ms: Math.round(late), openSecure: stats.openSecure, openTcp: stats.openTcp, handshakes: stats.handshakes, requests: stats.requests });
  }
  const m = process.memoryUsage();
  if (m.rss > stats.peakRss) stats.peakRss = m.rss;
  if (m.heapUsed > stats.peakHeapUsed) stats.peakHeapUsed = m.heapUsed;
}, 100);

function snapshot(): ServerStats {
  stats.loopDelayP99 = delay.percentile(99) / 1e6;
  stats.loopDelayMax = delay.max / 1e6;
  return { ...stats, stalls: [...stats.stalls], protocols: { ...stats.protocols }, clientErrors: { ...stats.clientErrors }, socketErrors: { ...stats.socketErrors } };
}

/** Collects, lets finalizers run, collects again: what is still counted alive is held. */
async function settledMemory(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    memory(true);
    await new Promise((r) => setTimeout(r, 50));
  }
  send({ type: 'memory', memory: memory(true), stats: snapshot() });
}

process.on('message', (m: DriverMessage) => {
  if (m.type === 'stats') send({ type: 'stats', stats: snapshot(), memory: memory(false) });
  if (m.type === 'memory') void settledMemory();
  if (m.type === 'exit') {
    clearInterval(sampler);
    server.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));

server.listen({ port: 0, host: '127.0.0.1', backlog: spec.backlog }, () => {
  const address = server.address();
  send({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
});
