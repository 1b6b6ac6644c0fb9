// What the load driver (load/run.ts), its server process (load/server.ts) and its client
// processes (load/client.ts) share: the request/response protocol every well-behaved client
// checks byte for byte, the process specs, the IPC messages and the counters they report.
//
// The protocol, over TLS: a request is a frame `u32 length || body` with
// body = `u32 client || u32 seq || payload` (payload ~1 KiB, a deterministic function of client
// and seq); the response is `u32 length || answer(body)`, where answer() reverses the body and
// XORs every byte with 0xA5. A response sent to the wrong connection, a stale or truncated one,
// or one with a flipped byte never equals the answer the client computes itself.

/** The largest body the server accepts; a bigger length ends the connection. */
export const MAX_BODY = 64 * 1024;

const XOR = 0xa5;

/** The server's answer to a request body (and the client's expectation of it). */
export function answer(body: Uint8Array): Buffer {
  const n = body.length;
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = body[n - 1 - i]! ^ XOR;
  return out;
}

/** A length-prefixed frame around `body`. */
export function frame(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.set(body, 4);
  return out;
}

/** The body of request `seq` of client `client`: 960 to 1087 bytes of xorshift32 output. */
export function requestBody(client: number, seq: number): Buffer {
  let x = (Math.imul(client + 1, 0x9e3779b1) ^ Math.imul(seq + 1, 0x85ebca6b)) >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  const length = 960 + (next() & 127);
  const body = Buffer.allocUnsafe(8 + length);
  body.writeUInt32BE(client >>> 0, 0);
  body.writeUInt32BE(seq >>> 0, 4);
  for (let i = 8; i < body.length; i += 4) {
    const v = next();
    body[i] = v;
    if (i + 1 < body.length) body[i + 1] = v >>> 8;
    if (i + 2 < body.length) body[i + 2] = v >>> 16;
    if (i + 3 < body.length) body[i + 3] = v >>> 24;
  }
  return body;
}

/**
 * Splits a byte stream into frames. push() returns the complete bodies received so far;
 * `error` is set (and nothing more is returned) once a length above MAX_BODY arrives.
 */
export class FrameReader {
  #chunks: Buffer[] = [];
  #buffered = 0;
  error: string | undefined;

  push(data: Buffer): Buffer[] {
    if (this.error) return [];
    this.#chunks.push(data);
    this.#buffered += data.length;
    const bodies: Buffer[] = [];
    while (this.#buffered >= 4) {
      const head = this.#chunks[0]!.length >= 4 ? this.#chunks[0]! : this.#join();
      const length = head.readUInt32BE(0);
      if (length > MAX_BODY) {
        this.error = `frame length ${length} is above ${MAX_BODY}`;
        return bodies;
      }
      if (this.#buffered < 4 + length) break;
      const all = this.#join();
      bodies.push(all.subarray(4, 4 + length));
      const rest = all.subarray(4 + length);
      this.#chunks = rest.length > 0 ? [rest] : [];
      this.#buffered = rest.length;
    }
    return bodies;
  }

  get buffered(): number {
    return this.#buffered;
  }

  #join(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!;
  }
}

// --- processes ---------------------------------------------------------------------------------

export interface ServerSpec {
  /** typetls (the subject), or node:tls for comparison. */
  impl: 'typetls' | 'node';
  key: string;
  cert: string;
  /** Milliseconds a client has to finish its handshake (createServer handshakeTimeout). */
  handshakeTimeoutMs: number;
  backlog: number;
}

/** The kinds of misbehaving client, each counted by outcome. */
export const FAULT_KINDS = ['midHandshake', 'garbage', 'garbageAfterHandshake', 'halfClose', 'stall'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ClientSpec {
  /** Which client process this is (0, 1, ...) in which round: client ids are round * 1e7 + worker * 1e6 + n. */
  worker: number;
  round: number;
  /** Mean pause (ms) before each request after the first; 0 sends back-to-back. */
  thinkMs: number;
  port: number;
  caCert: string;
  /** Well-behaved connections, all open at once before most requests are made. */
  connections: number;
  /** Requests over those connections, spread evenly. */
  requests: number;
  /** Well-behaved clients that resume: a full handshake, then a resumed one (one request each). */
  resumes: number;
  /** How many of each misbehaving kind this process runs. */
  faults: Record<FaultKind, number>;
  /** Handshakes in flight at once while opening the connections. */
  openConcurrency: number;
  /** The server's handshake timeout, which stalling clients wait out. */
  handshakeTimeoutMs: number;
  /** How long a well-behaved client waits for any one step before it counts an error. */
  stepTimeoutMs: number;
}

export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export interface ServerStats {
  /** TCP connections accepted, and still open. */
  accepted: number;
  openTcp: number;
  /** Handshakes completed; connections open after their handshake, and the most at once. */
  handshakes: number;
  resumed: number;
  openSecure: number;
  peakSecure: number;
  peakTcp: number;
  /** Handshakes by negotiated protocol. */
  protocols: Record<string, number>;
  /** Requests answered. */
  requests: number;
  /** tlsClientError by code: the server refusing or losing a client before its handshake finished. */
  clientErrors: Record<string, number>;
  /** Errors on sockets after the handshake, by code. */
  socketErrors: Record<string, number>;
  /** Connections ended for a broken request frame. */
  frameErrors: number;
  /** Server TLSSocket objects created and not yet garbage-collected (FinalizationRegistry). */
  liveSockets: number;
  /** Server TCP sockets accepted and not yet garbage-collected. */
  liveTransports: number;
  /** Largest RSS and heap seen by the server's own 100 ms sampler. */
  peakRss: number;
  peakHeapUsed: number;
  /** Event-loop delay (ms) over the run: p99 and max. */
  loopDelayP99: number;
  loopDelayMax: number;
  /** Event-loop stalls over 500 ms (at most 20): when (s since start), how long, and the counters then. */
  stalls: { at: number; ms: number; openSecure: number; openTcp: number; handshakes: number; requests: number }[];
  /** Longest time (ms) from accepting a TCP connection to its handshake's end. */
  handshakeMsMax: number;
  /** Youngest and oldest connection (ms since accepted) dropped by the handshake timeout. */
  timeoutAgeMin: number | undefined;
  timeoutAgeMax: number | undefined;
}

/** What one client process counts. */
export interface ClientResult {
  worker: number;
  /** Well-behaved connections by implementation and protocol, e.g. "typetls TLSv1.3". */
  connections: Record<string, number>;
  /** Well-behaved connections established (handshake done). */
  established: number;
  requests: number;
  /** Well-behaved failures, by what happened: each must be zero. */
  errors: Record<string, number>;
  integrityFailures: number;
  resumes: { attempted: number; resumed: number };
  /** Misbehaving clients: kind → outcome → count. */
  faults: Record<string, Record<string, number>>;
  /** Misbehaving outcomes that show the server failing (a staller never dropped). */
  faultFailures: number;
  /** Milliseconds from the first connect to the last handshake of the opening phase. */
  openMs: number;
  /** Longest time (ms) a stalled client was kept before the server dropped it. */
  stallMaxMs: number;
  /** One example message per error kind, for the report. */
  examples: Record<string, string>;
}

/** Messages a worker sends to the driver. */
export type WorkerMessage =
  | { type: 'listening'; port: number }
  | { type: 'stats'; stats: ServerStats; memory: MemorySample }
  | { type: 'memory'; memory: MemorySample; stats: ServerStats }
  | { type: 'established'; count: number; failed: number }
  | { type: 'progress'; requests: number; established: number }
  | { type: 'result'; result: ClientResult };

/** Messages the driver sends to a worker. */
export type DriverMessage = { type: 'stats' } | { type: 'memory' } | { type: 'go' } | { type: 'exit' };

export function send(message: WorkerMessage): void {
  process.send?.(message);
}

export function count(table: Record<string, number>, key: string, n = 1): void {
  table[key] = (table[key] ?? 0) + n;
}

/** process.memoryUsage(), after two full collections when the process runs with --expose-gc. */
export function memory(collect: boolean): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (collect && gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
}
