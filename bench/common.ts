// What the benchmark's runner, server and client processes share: the scenario description
// passed to each process, the messages they exchange over the IPC channel, and the two TLS
// implementations behind one small surface.

import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as typetls from '../src/index.js';
import { makeTestPki } from '../test/certs/make.js';

/** The implementations measured: OpenSSL through node:tls, and typetls's node:tls-compatible API. */
export type Impl = 'typetls' | 'node';

/** What the server process does with each connection. */
export type ServerMode =
  /** End the connection as soon as the handshake is done (handshakes per second). */
  | 'handshake'
  /** Echo every byte back (request/response round trips). */
  | 'echo'
  /** Count what arrives, answer "got N"; on a one-line "send N" command, send N bytes. */
  | 'bulk'
  /** Keep every connection open and idle (memory per connection). */
  | 'hold';

/** The TLS settings of one scenario; both sides take the same ones. */
export interface TlsSettings {
  /** 'rsa' (RSA-2048) or 'ecdsa' (P-256) server certificate. */
  cert: 'rsa' | 'ecdsa';
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  maxVersion: 'TLSv1.2' | 'TLSv1.3';
  /** An OpenSSL-style cipher list (TLS 1.3 suite names included), or undefined for the defaults. */
  ciphers?: string;
  /** node:tls ecdhCurve, e.g. 'X25519'; undefined for each implementation's default. */
  ecdhCurve?: string;
  /** The server issues no session tickets (SSL_OP_NO_TICKET): TLS 1.2 resumes by session ID. */
  noTickets?: boolean;
}

export interface Pki {
  caCert: string;
  rsaCert: string;
  rsaKey: string;
  ecdsaCert: string;
  ecdsaKey: string;
}

/** The test PKI (made once, cached on disk) as PEM text, for the workers' options. */
export async function benchPki(): Promise<Pki> {
  const pki = await makeTestPki();
  const files: Pki = { caCert: pki.caCert, rsaCert: pki.rsaCert, rsaKey: pki.rsaKey, ecdsaCert: pki.ecdsaCert, ecdsaKey: pki.ecdsaKey };
  for (const k of Object.keys(files) as (keyof Pki)[]) files[k] = readFileSync(files[k], 'utf8');
  return files;
}

/** Argument of the server process (JSON in argv[2]). */
export interface ServerSpec {
  impl: Impl;
  mode: ServerMode;
  tls: TlsSettings;
  pki: Pki;
  /** Handshakes the server makes with itself before it reports 'listening' (its warm-up). */
  warmHandshakes?: number;
}

/** What the client process is asked to run (JSON in argv[2]). */
export type ClientTask =
  | { kind: 'handshakes'; concurrency: number; durationMs: number; warmupMs: number; resume: boolean }
  | { kind: 'bulk'; bytes: number; chunk: number }
  | { kind: 'roundtrips'; size: number; durationMs: number; warmupMs: number }
  /** Open `warm` connections, report, wait for 'continue', open `connections` more, report. */
  | { kind: 'hold'; warm: number; connections: number; concurrency: number };

export interface ClientSpec {
  impl: Impl;
  /** 0: wait for a 'start' message with the port (the client starts while the server does). */
  port: number;
  tls: TlsSettings;
  caCert: string;
  task: ClientTask;
}

export interface HandshakeResult {
  kind: 'handshakes';
  count: number;
  seconds: number;
  /** Milliseconds from the TCP connect call to 'secureConnect'. */
  p50: number;
  p99: number;
  /** How many of the connections resumed (resumption scenarios check it is all of them). */
  resumed: number;
  /** Connections that failed before 'secureConnect'. */
  failures: number;
  protocol: string | null;
  cipher: string | undefined;
  /** The client process's CPU time (process.cpuUsage()) over the counted interval, in µs. */
  cpuUs: number;
}

/** What the server process spent over the interval the client counted (between 'window' messages). */
export interface ServerCpu {
  /** CPU time (user + system, process.cpuUsage()) in µs. */
  cpuUs: number;
  /** Connections that completed their handshake ('secureConnection') in that interval. */
  handshakes: number;
}

export interface BulkResult {
  kind: 'bulk';
  bytes: number;
  /** Client → server: from the first write to the server's "got N". */
  uploadSeconds: number;
  /** Server → client: from the "send N" command to the last byte received. */
  downloadSeconds: number;
  cipher: string | undefined;
}

export interface RoundTripResult {
  kind: 'roundtrips';
  count: number;
  seconds: number;
  p50: number;
  p99: number;
}

export interface HoldResult {
  kind: 'hold';
  connections: number;
}

export type ClientResult = HandshakeResult | BulkResult | RoundTripResult | HoldResult;

export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** Messages a worker process sends to the runner. */
export type WorkerMessage =
  | { type: 'listening'; port: number }
  | { type: 'result'; result: ClientResult }
  | { type: 'holding'; connections: number }
  | { type: 'memory'; memory: MemorySample }
  /** From a handshake client: the counted interval starts or stops now (the runner tells the server). */
  | { type: 'window'; phase: 'start' | 'stop' }
  /** From the server, at the end of the window: its CPU time and handshakes over it. */
  | { type: 'cpu'; cpu: ServerCpu }
  /** From the server: its window is open (the runner tells the client, which starts counting). */
  | { type: 'windowOpen' }
  | { type: 'error'; message: string };

/** Messages the runner sends to a worker process. */
export type RunnerMessage =
  | { type: 'measureMemory' }
  | { type: 'release' }
  | { type: 'continue' }
  /** To a server: the client's counted interval starts or stops (answered by 'windowOpen', and by 'cpu' at the stop). */
  | { type: 'window'; phase: 'start' | 'stop' }
  /** To a client: the server measures from now on, so the client's counted interval lies inside the server's. */
  | { type: 'windowOpen' }
  /** To a client started before its server was listening: the port, and go. */
  | { type: 'start'; port: number };

/** A garbage-collected memory sample (the workers run with --expose-gc). */
export function sampleMemory(): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

/** The TLS options of one side, with node:tls option names (both implementations take them). */
export function tlsOptions(settings: TlsSettings): tls.SecureContextOptions {
  return {
    minVersion: settings.minVersion,
    maxVersion: settings.maxVersion,
    ...(settings.ciphers !== undefined ? { ciphers: settings.ciphers } : {}),
    ...(settings.ecdhCurve !== undefined ? { ecdhCurve: settings.ecdhCurve } : {}),
  };
}

/** OpenSSL's SSL_OP_NO_TICKET; both implementations take it in secureOptions. */
const SSL_OP_NO_TICKET = 0x4000;

/** The common surface of a client socket of either implementation. */
export interface AnySocket extends NodeJS.EventEmitter {
  write(data: Uint8Array, cb?: (err?: Error | null) => void): boolean;
  end(): void;
  destroy(err?: Error): void;
  setNoDelay(noDelay?: boolean): unknown;
  isSessionReused(): boolean;
  getProtocol(): string | null;
  getCipher(): { name: string } | undefined;
  pause(): unknown;
  resume(): unknown;
}

export interface ServerHandle {
  listen(port: number, host: string, cb: () => void): unknown;
  address(): net.AddressInfo | string | null;
  close(): unknown;
  on(event: 'secureConnection', listener: (socket: AnySocket) => void): unknown;
  on(event: 'tlsClientError', listener: (err: Error) => void): unknown;
}

export function createServer(impl: Impl, settings: TlsSettings, pki: Pki, onSecure: (s: AnySocket) => void): ServerHandle {
  const options = {
    ...tlsOptions(settings),
    key: settings.cert === 'rsa' ? pki.rsaKey : pki.ecdsaKey,
    cert: settings.cert === 'rsa' ? pki.rsaCert : pki.ecdsaCert,
    ...(settings.noTickets ? { secureOptions: SSL_OP_NO_TICKET } : {}),
  };
  const server =
    impl === 'node'
      ? (tls.createServer(options) as unknown as ServerHandle)
      : (typetls.createServer(options as typetls.TlsServerOptions) as unknown as ServerHandle);
  server.on('secureConnection', onSecure);
  return server;
}

/** Connects over an already-open TCP socket, so that both implementations start from the same point. */
export function connect(
  impl: Impl,
  raw: net.Socket,
  settings: TlsSettings,
  caCert: string,
  session: Buffer | undefined,
): AnySocket {
  const options = {
    ...tlsOptions(settings),
    socket: raw,
    host: 'localhost',
    servername: 'localhost',
    ca: caCert,
    ...(session !== undefined ? { session } : {}),
  };
  return impl === 'node'
    ? (tls.connect(options) as unknown as AnySocket)
    : (typetls.connect(options as typetls.ConnectionOptions) as unknown as AnySocket);
}

/** The median (of an even count, the mean of the two middle values). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The p-th percentile (0..100) of sorted numbers. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function send(message: WorkerMessage): void {
  process.send?.(message);
}
