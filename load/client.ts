// A load run's client process. Started by load/run.ts with a ClientSpec as JSON in argv[2]:
//
// 1. Opens `connections` well-behaved connections (typetls and node:tls clients in turn, one in
//    four at TLS 1.2), at most `openConcurrency` handshakes in flight; each makes its first
//    request as soon as it is up. When every one is up (or failed) it tells the driver
//    ('established') and waits for 'go': from then on all of them are open at once.
// 2. On 'go', the connections make the rest of their requests, one at a time, each response
//    checked byte for byte, then close (close_notify) and wait for the server to close too.
// 3. Throughout, spread over the run by progress, it starts the resuming clients (well-behaved:
//    a full handshake, then one resumed with the session) and the misbehaving ones, each kind
//    counted by outcome: disconnect mid-handshake, garbage before and after the handshake,
//    half-close, and stall (never finish the handshake: the server must drop it).
//
// It reports one ClientResult and exits.

import * as net from 'node:net';
import * as tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import * as typetls from '../src/index.js';
import { alertDescriptionName } from '../src/wire/enums.js';
import {
  FAULT_KINDS,
  FrameReader,
  answer,
  count,
  frame,
  requestBody,
  send,
  type ClientResult,
  type ClientSpec,
  type DriverMessage,
  type FaultKind,
} from './common.js';

const spec = JSON.parse(process.argv[2]!) as ClientSpec;

const result: ClientResult = {
  worker: spec.worker,
  connections: {},
  established: 0,
  requests: 0,
  errors: {},
  integrityFailures: 0,
  resumes: { attempted: 0, resumed: 0 },
  faults: {},
  faultFailures: 0,
  openMs: 0,
  stallMaxMs: 0,
  examples: {},
};

let releaseGo: () => void = () => {};
const go = new Promise<void>((resolve) => (releaseGo = resolve));
process.on('message', (m: DriverMessage) => {
  if (m.type === 'go') releaseGo();
  if (m.type === 'exit') process.exit(0);
});
process.on('disconnect', () => process.exit(0));

// --- one TLS client of either implementation --------------------------------------------------

type Impl = 'typetls' | 'node';
type Version = 'TLSv1.2' | 'TLSv1.3';

interface AnySocket extends EventEmitter {
  write(data: Uint8Array, cb?: (err?: Error | null) => void): boolean;
  end(): void;
  destroy(err?: Error): void;
  isSessionReused(): boolean;
  getProtocol(): string | null;
  getSession(): Buffer | undefined;
  setNoDelay(noDelay?: boolean): unknown;
}

class IntegrityError extends Error {
  readonly code = 'INTEGRITY';
}

const codeOf = (err: unknown): string => {
  const e = err as { code?: string; message?: string };
  return e.code ?? (e.message ?? String(err)).slice(0, 80);
};

/** A TLS client speaking the request/response protocol of common.ts. */
class Peer {
  readonly socket: AnySocket;
  /** Resolves at 'secureConnect'; rejects with the error if the socket closes first. */
  readonly secure: Promise<void>;
  readonly closed: Promise<void>;
  error: Error | undefined;
  session: Buffer | undefined;
  #reader = new FrameReader();
  #bodies: Buffer[] = [];
  #wake: (() => void) | undefined;
  #isClosed = false;

  constructor(
    readonly impl: Impl,
    readonly version: Version,
    options: { session?: Buffer; socket?: net.Socket } = {},
  ) {
    const tlsOptions = {
      ...(options.socket ? { socket: options.socket } : { host: '127.0.0.1', port: spec.port }),
      servername: 'localhost',
      ca: spec.caCert,
      minVersion: 'TLSv1.2' as const,
      maxVersion: version,
      ...(options.session ? { session: options.session } : {}),
    };
    this.socket =
      impl === 'node'
        ? (tls.connect(tlsOptions) as unknown as AnySocket)
        : (typetls.connect(tlsOptions as typetls.ConnectionOptions) as unknown as AnySocket);
    const s = this.socket;
    s.on('error', (e: Error) => {
      this.error ??= e;
    });
    this.closed = new Promise((resolve) =>
      s.once('close', () => {
        this.#isClosed = true;
        this.#wake?.();
        resolve();
      }),
    );
    this.secure = new Promise((resolve, reject) => {
      s.once('secureConnect', () => {
        s.setNoDelay(true);
        resolve();
      });
      s.once('close', () => reject(this.error ?? new Error('closed before the handshake finished')));
    });
    this.secure.catch(() => {});
    s.on('session', (session: Buffer) => {
      this.session = session;
    });
    s.on('data', (data: Buffer) => {
      for (const body of this.#reader.push(data)) this.#bodies.push(body);
      if (this.#reader.error) {
        this.error ??= new Error(this.#reader.error);
        s.destroy();
      }
      this.#wake?.();
    });
  }

  /** The next response body. */
  async next(): Promise<Buffer> {
    for (;;) {
      const body = this.#bodies.shift();
      if (body) return body;
      if (this.error) throw this.error;
      if (this.#isClosed) throw Object.assign(new Error('closed before the response'), { code: 'CLOSED_EARLY' });
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  /** Sends request `seq` of client `client`; checks the response byte for byte. */
  async request(client: number, seq: number): Promise<void> {
    const body = requestBody(client, seq);
    this.socket.write(frame(body));
    const got = await this.next();
    if (!got.equals(answer(body))) throw new IntegrityError(`response to request ${seq} of client ${client} differs from the expected bytes`);
  }

  /** close_notify, then wait for the server to close as well. */
  async close(): Promise<void> {
    this.socket.end();
    await this.closed;
    if (this.error) throw this.error;
  }
}

/** Resolves as `p`, or rejects after `ms` (destroying `peer`). */
async function within<T>(p: Promise<T>, ms: number, what: string, peer?: Peer): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      peer?.socket.destroy();
      reject(Object.assign(new Error(`no progress in ${ms} ms: ${what}`), { code: `TIMEOUT ${what}` }));
    }, ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function wellBehavedError(impl: Impl, phase: string, err: unknown): void {
  if (err instanceof IntegrityError) {
    result.integrityFailures++;
    result.examples['integrity'] ??= err.message;
    return;
  }
  const key = `${impl} ${phase}: ${codeOf(err)}`;
  count(result.errors, key);
  result.examples[key] ??= err instanceof Error ? err.message : String(err);
}

// --- well-behaved connections --------------------------------------------------------------------

const implOf = (n: number): Impl => (n % 2 === 0 ? 'typetls' : 'node');
const versionOf = (n: number): Version => (n % 4 >= 2 ? 'TLSv1.2' : 'TLSv1.3');
const clientId = (n: number): number => spec.round * 10_000_000 + spec.worker * 1_000_000 + n;

let requestsDone = 0;
let settled = 0;
let establishedOk = 0;
let openFailed = 0;
const started = performance.now();
let lastEstablished = started;

let slots = spec.openConcurrency;
const waiting: (() => void)[] = [];
async function acquire(): Promise<void> {
  if (slots > 0) {
    slots--;
    return;
  }
  await new Promise<void>((resolve) => waiting.push(resolve));
}
function release(): void {
  const next = waiting.shift();
  if (next) next();
  else slots++;
}

function onSettled(): void {
  settled++;
  if (settled === spec.connections) {
    result.openMs = lastEstablished - started;
    send({ type: 'established', count: establishedOk, failed: openFailed });
  }
}

async function wellBehaved(n: number, requests: number): Promise<void> {
  const impl = implOf(n);
  const id = clientId(n);
  await acquire();
  let peer: Peer;
  try {
    peer = new Peer(impl, versionOf(n));
    await within(peer.secure, spec.stepTimeoutMs, 'handshake', peer);
  } catch (e) {
    release();
    openFailed++;
    wellBehavedError(impl, 'handshake', e);
    onSettled();
    return;
  }
  release();
  establishedOk++;
  result.established++;
  lastEstablished = performance.now();
  count(result.connections, `${impl} ${peer.socket.getProtocol()}`);
  let phase = 'request';
  let atBarrier = false;
  const settle = (): void => {
    if (atBarrier) return;
    atBarrier = true;
    onSettled();
  };
  try {
    if (requests > 0) {
      await within(peer.request(id, 0), spec.stepTimeoutMs, 'request', peer);
      progress();
    }
    settle();
    await go;
    for (let seq = 1; seq < requests; seq++) {
      // Think time (uniform, mean thinkMs): the offered load stays near --rate instead of every
      // connection firing back-to-back.
      if (spec.thinkMs > 0) await new Promise((r) => setTimeout(r, spec.thinkMs * (0.5 + Math.random())));
      await within(peer.request(id, seq), spec.stepTimeoutMs, 'request', peer);
      progress();
    }
    phase = 'close';
    await within(peer.close(), spec.stepTimeoutMs, 'close', peer);
  } catch (e) {
    wellBehavedError(impl, phase, e);
    peer.socket.destroy();
    settle();
  }
}

function progress(): void {
  requestsDone++;
  result.requests++;
  launchDue();
}

// --- resuming clients (well-behaved) -------------------------------------------------------------

async function resume(n: number): Promise<void> {
  const impl = implOf(n);
  const version = versionOf(n);
  const id = clientId(500_000 + n);
  result.resumes.attempted++;
  let phase = 'first handshake';
  try {
    const first = new Peer(impl, version);
    await within(first.secure, spec.stepTimeoutMs, phase, first);
    await within(first.request(id, 0), spec.stepTimeoutMs, 'first request', first);
    progress();
    phase = 'first close';
    await within(first.close(), spec.stepTimeoutMs, phase, first);
    const session = first.session ?? first.socket.getSession();
    if (!session) throw Object.assign(new Error('the server gave no session to resume'), { code: 'NO_SESSION' });
    phase = 'resumed handshake';
    const second = new Peer(impl, version, { session });
    await within(second.secure, spec.stepTimeoutMs, phase, second);
    if (second.socket.isSessionReused()) result.resumes.resumed++;
    else count(result.errors, `${impl} ${version} resume: full handshake instead of resumption`);
    count(result.connections, `${impl} ${second.socket.getProtocol()} (resumed pair)`);
    phase = 'resumed request';
    await within(second.request(id, 1), spec.stepTimeoutMs, phase, second);
    progress();
    phase = 'resumed close';
    await within(second.close(), spec.stepTimeoutMs, phase, second);
  } catch (e) {
    wellBehavedError(impl, `resume ${phase}`, e);
  }
}

// --- misbehaving clients -------------------------------------------------------------------------

function outcome(kind: FaultKind, what: string): void {
  const table = (result.faults[kind] ??= {});
  count(table, what);
}

/**
 * A raw TCP connection; resolves with what the server sent and how long it kept us. The time is
 * taken at the first sign of the server closing ('end' or 'error'): 'close' itself comes from
 * libuv's close phase, which a busy client process may reach late.
 */
function rawConnection(onConnect: (raw: net.Socket) => void): { raw: net.Socket; done: Promise<{ received: Buffer; ms: number; error?: string }> } {
  const raw = net.connect({ host: '127.0.0.1', port: spec.port });
  const chunks: Buffer[] = [];
  let error: string | undefined;
  const t0 = performance.now();
  let ms: number | undefined;
  const stop = (): void => {
    ms ??= performance.now() - t0;
  };
  raw.on('data', (d: Buffer) => chunks.push(d));
  raw.on('end', stop);
  raw.on('error', (e: Error) => {
    stop();
    error ??= codeOf(e);
  });
  raw.once('connect', () => onConnect(raw));
  const done = new Promise<{ received: Buffer; ms: number; error?: string }>((resolve) =>
    raw.once('close', () => {
      stop();
      resolve({ received: Buffer.concat(chunks), ms: ms!, ...(error ? { error } : {}) });
    }),
  );
  return { raw, done };
}

/** What a server's first bytes say: a plaintext alert, a handshake, or nothing. */
function describeReply(received: Buffer): string {
  if (received.length === 0) return 'closed without a reply';
  if (received[0] === 21 && received.length >= 7) {
    const level = received[5] === 2 ? 'fatal' : 'warning';
    return `${level} alert ${alertDescriptionName(received[6]!)}`;
  }
  if (received[0] === 22) return 'handshake reply';
  return `reply starting 0x${received[0]!.toString(16)}`;
}

/** Disconnects mid-handshake: right after the ClientHello, or (with a TCP reset) at the server's first flight. */
async function midHandshake(n: number): Promise<void> {
  const impl = implOf(n);
  const atServerHello = n % 2 === 0;
  let serverClosedFirst = false;
  const raw = net.connect({ host: '127.0.0.1', port: spec.port });
  raw.on('error', () => {});
  const peer = new Peer(impl, versionOf(n), { socket: raw });
  peer.secure.catch(() => {});
  raw.once('end', () => (serverClosedFirst = true));
  if (atServerHello) {
    // Ahead of the TLS client's own listener: reset before it can answer the server's flight.
    raw.prependOnceListener('data', () => raw.resetAndDestroy());
  } else {
    raw.once('connect', () => setImmediate(() => raw.destroy()));
  }
  const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
  await within(closed, spec.handshakeTimeoutMs + 5000, 'mid-handshake close').catch(() => raw.destroy());
  const how = atServerHello ? 'reset at the server flight' : 'closed after ClientHello';
  outcome('midHandshake', serverClosedFirst ? `${how}: the server closed first` : how);
}

/** Garbage in place of a ClientHello: the server must answer with an alert (or close), not wait. */
async function garbage(n: number): Promise<void> {
  const variants: [string, () => Buffer][] = [
    ['1 KiB of random bytes', () => randomBytes(1024)],
    ['an HTTP request', () => Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')],
    ['a record of length 65535', () => Buffer.concat([Buffer.from([22, 3, 1, 0xff, 0xff]), randomBytes(64)])],
    ['a 16 MiB ClientHello header', () => Buffer.from([22, 3, 1, 0, 8, 1, 0xff, 0xff, 0xff, 3, 3, 0, 0])],
    ['an unknown content type', () => Buffer.concat([Buffer.from([99, 3, 3, 0, 16]), randomBytes(16)])],
  ];
  const [name, make] = variants[n % variants.length]!;
  const { raw, done } = rawConnection((r) => r.write(make()));
  const limit = spec.handshakeTimeoutMs + 5000;
  const timer = setTimeout(() => raw.destroy(), limit);
  const { received, ms } = await done;
  clearTimeout(timer);
  if (ms >= limit) {
    result.faultFailures++;
    outcome('garbage', `${name}: still open after ${limit} ms`);
    return;
  }
  const atTimeout = ms >= spec.handshakeTimeoutMs * 0.9 ? ' (at the handshake timeout)' : '';
  outcome('garbage', `${name}: ${describeReply(received)}${atTimeout}`);
}

/** A forged application-data record after a real handshake: the server must send bad_record_mac. */
async function garbageAfterHandshake(n: number): Promise<void> {
  const version = n % 2 === 0 ? 'TLSv1.3' : 'TLSv1.2';
  const raw = net.connect({ host: '127.0.0.1', port: spec.port });
  raw.on('error', () => {});
  // typetls only: its transport is this very socket, so a raw write lands between its records.
  const peer = new Peer('typetls', version, { socket: raw });
  try {
    await within(peer.secure, spec.stepTimeoutMs, 'handshake', peer);
  } catch (e) {
    outcome('garbageAfterHandshake', `${version} handshake failed: ${codeOf(e)}`);
    result.faultFailures++;
    return;
  }
  raw.write(Buffer.concat([Buffer.from([23, 3, 3, 0, 64]), randomBytes(64)]));
  await within(peer.closed, spec.stepTimeoutMs, 'close', peer).catch(() => {});
  outcome('garbageAfterHandshake', `${version}: ${peer.error ? codeOf(peer.error) : 'closed without an error'}`);
}

/** Sends a request and half-closes at once: with close_notify (TLS end()), or a bare TCP FIN. */
async function halfClose(n: number): Promise<void> {
  const bare = n % 2 === 1;
  const impl: Impl = bare ? 'typetls' : implOf(n >> 1);
  const version = versionOf(n >> 1);
  const id = clientId(900_000 + n);
  const raw = bare ? net.connect({ host: '127.0.0.1', port: spec.port, allowHalfOpen: true }) : undefined;
  raw?.on('error', () => {});
  const peer = new Peer(impl, version, raw ? { socket: raw } : {});
  const how = bare ? `${version} TCP FIN without close_notify` : `${impl} ${version} close_notify`;
  try {
    await within(peer.secure, spec.stepTimeoutMs, 'handshake', peer);
  } catch (e) {
    outcome('halfClose', `${how}: handshake failed: ${codeOf(e)}`);
    result.faultFailures++;
    return;
  }
  const body = requestBody(id, 0);
  peer.socket.write(frame(body), () => {
    if (raw) raw.end();
  });
  if (!raw) peer.socket.end();
  try {
    const got = await within(peer.next(), spec.stepTimeoutMs, 'response', peer);
    if (!got.equals(answer(body))) {
      result.integrityFailures++;
      result.examples['integrity'] ??= `half-close response of client ${id} differs from the expected bytes`;
    }
    await within(peer.closed, spec.stepTimeoutMs, 'close', peer);
    outcome('halfClose', `${how}: answered, then closed`);
  } catch (e) {
    outcome('halfClose', `${how}: no answer (${codeOf(e)})`);
  }
}

/** Never finishes the handshake: silent, or a byte every 250 ms of a record that never completes. */
async function stall(n: number): Promise<void> {
  const drip = n % 2 === 1;
  let timer: NodeJS.Timeout | undefined;
  const { raw, done } = rawConnection((r) => {
    if (!drip) return;
    // A handshake record of 512 bytes, of which a few arrive; then one more every 250 ms.
    r.write(Buffer.from([22, 3, 1, 2, 0, 1, 0, 1, 0xfc, 3, 3]));
    let sent = 0;
    timer = setInterval(() => {
      if (sent++ < 400 && !r.destroyed) r.write(Buffer.from([0]));
    }, 250);
  });
  const limit = spec.handshakeTimeoutMs + 5000;
  const guard = setTimeout(() => raw.destroy(), limit);
  const { received, ms } = await done;
  clearTimeout(guard);
  clearInterval(timer);
  const how = drip ? 'slow drip' : 'silent';
  if (ms >= limit) {
    result.faultFailures++;
    outcome('stall', `${how}: not dropped after ${limit} ms`);
    return;
  }
  result.stallMaxMs = Math.max(result.stallMaxMs, ms);
  const when =
    ms >= spec.handshakeTimeoutMs * 0.95 ? 'dropped at the handshake timeout' : `dropped early, after ${Math.round(ms)} ms`;
  outcome('stall', `${how}: ${when}${received.length > 0 ? `, ${describeReply(received)}` : ''}`);
}

// --- the schedule: resumes and faults spread over the run by progress ---------------------------

type Task = () => Promise<void>;
const scheduled: Task[] = [];
{
  const kinds: { left: number; run: (n: number) => Promise<void> }[] = [
    { left: spec.resumes, run: resume },
    ...FAULT_KINDS.map((k) => ({
      left: spec.faults[k],
      run: { midHandshake, garbage, garbageAfterHandshake, halfClose, stall }[k],
    })),
  ];
  // Round-robin over the kinds so each is spread over the whole run.
  const next = kinds.map(() => 0);
  for (let more = true; more; ) {
    more = false;
    kinds.forEach((k, i) => {
      if (k.left > 0) {
        const n = next[i]!++;
        k.left--;
        scheduled.push(() => k.run(n));
        more = true;
      }
    });
  }
}
const running: Promise<void>[] = [];
let launched = 0;
const totalWork = spec.connections + spec.requests;

/** Starts every scheduled task whose turn has come: task k at progress k / tasks. */
function launchDue(): void {
  const done = establishedOk + requestsDone;
  while (launched < scheduled.length && launched * totalWork <= done * scheduled.length) {
    running.push(scheduled[launched++]!());
  }
}

function launchRest(): void {
  while (launched < scheduled.length) running.push(scheduled[launched++]!());
}

// --- run ------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const progressTimer = setInterval(() => send({ type: 'progress', requests: requestsDone, established: establishedOk }), 1000);
  launchDue();
  const base = Math.floor(spec.requests / Math.max(1, spec.connections));
  const extra = spec.requests - base * spec.connections;
  const connections: Promise<void>[] = [];
  for (let n = 0; n < spec.connections; n++) connections.push(wellBehaved(n, base + (n < extra ? 1 : 0)));
  if (spec.connections === 0) send({ type: 'established', count: 0, failed: 0 });
  await Promise.all(connections);
  launchRest();
  // Tasks launched while awaiting may add to `running`: wait until it stops growing.
  for (let seen = -1; seen !== running.length; ) {
    seen = running.length;
    await Promise.all(running);
  }
  clearInterval(progressTimer);
  process.send?.({ type: 'result', result } satisfies { type: 'result'; result: ClientResult }, () => process.exit(0));
}

void main();
