// Real TLS peers for the interop tests: openssl s_server / s_client and curl as child processes on 127.0.0.1.
//
// Every process started here is tracked and stopped by its PID (SIGTERM, then SIGKILL after 2 s): by the
// test that started it, by `stopAllPeers()` in an `after` hook, and as a last resort at process exit.
// A missing peer program fails the test ("peer not installed"), it is never skipped.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumFlags, chromiumPath } from '../chromium.js';

export const MiB = 1024 * 1024;

// ---------- the TLS 1.2 cells shared by both openssl directions ----------

export type Group = 'X25519' | 'P-256' | 'P-384';

export interface Tls12Cell {
  /** OpenSSL name, as given to `-cipher` and to our `ciphers` option. */
  readonly cipher: string;
  /** IANA name, as getCipher().standardName spells it. */
  readonly standardName: string;
  /** Which server certificate the suite needs. */
  readonly cert: 'rsa' | 'ecdsa';
  /** The ECDHE group, the only one the server side allows; undefined for RSA key exchange. */
  readonly group: Group | undefined;
  /**
   * The groups the client side offers (OpenSSL list syntax). In TLS 1.2 the client's supported_groups also
   * bound the curve of an ECDSA server certificate (RFC 8422 Section 5.1.1), so with the P-256 certificate the
   * client offers P-256 after the pinned group; the server still has only the pinned one to choose.
   */
  readonly clientGroups: string | undefined;
}

const ecdheSuites: ReadonlyArray<[string, string, 'rsa' | 'ecdsa']> = [
  ['ECDHE-RSA-AES128-GCM-SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'rsa'],
  ['ECDHE-RSA-AES256-GCM-SHA384', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'rsa'],
  ['ECDHE-ECDSA-AES128-GCM-SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ecdsa'],
  ['ECDHE-RSA-CHACHA20-POLY1305', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'rsa'],
  ['ECDHE-RSA-AES128-SHA', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'rsa'],
];
const rsaKxSuites: ReadonlyArray<[string, string]> = [
  ['AES128-GCM-SHA256', 'TLS_RSA_WITH_AES_128_GCM_SHA256'],
  ['AES256-GCM-SHA384', 'TLS_RSA_WITH_AES_256_GCM_SHA384'],
  ['AES128-SHA', 'TLS_RSA_WITH_AES_128_CBC_SHA'],
];
export const groups: readonly Group[] = ['X25519', 'P-256', 'P-384'];

/** Every ECDHE suite with every group, then the RSA key exchange suites. */
export const tls12Cells: readonly Tls12Cell[] = [
  ...ecdheSuites.flatMap(([cipher, standardName, cert]) =>
    groups.map((group) => ({
      cipher,
      standardName,
      cert,
      group,
      clientGroups: cert === 'ecdsa' && group !== 'P-256' ? `${group}:P-256` : group,
    })),
  ),
  ...rsaKxSuites.map(([cipher, standardName]) => ({
    cipher,
    standardName,
    cert: 'rsa' as const,
    group: undefined,
    clientGroups: undefined,
  })),
];

/** What `openssl s_client -brief` prints for the server's ephemeral key of each group. */
export const serverTempKey: Record<Group, string> = {
  X25519: 'Server Temp Key: X25519, 253 bits',
  'P-256': 'Server Temp Key: ECDH, prime256v1, 256 bits',
  'P-384': 'Server Temp Key: ECDH, secp384r1, 384 bits',
};

export const cellName = (c: Tls12Cell): string => `TLSv1.2 ${c.cipher}${c.group ? ` ${c.group}` : ''}`;

// ---------- temp files ----------

let scratch: string | undefined;

/** Writes a file into a per-process temp dir (removed at exit) and returns its path. */
export function writeTempFile(name: string, data: Uint8Array | string): string {
  if (scratch === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'typetls-interop-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    scratch = dir;
  }
  const path = join(scratch, name);
  writeFileSync(path, data);
  return path;
}

/** Random bytes, so that an echo or a reflection cannot pass for the other direction's data. */
export const randomBlob = (size: number): Buffer => randomBytes(size);

/** A short description of where two buffers first differ, for assertion messages. */
export function describeDifference(got: Uint8Array, want: Uint8Array): string | undefined {
  const n = Math.min(got.length, want.length);
  for (let i = 0; i < n; i++) {
    if (got[i] !== want[i]) return `first difference at byte ${i} of ${want.length} (got ${got.length} bytes)`;
  }
  if (got.length !== want.length) return `got ${got.length} bytes, want ${want.length}`;
  return undefined;
}

// ---------- processes ----------

const live = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of live) {
    if (child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/** Stops one process by its PID: `signal` (SIGTERM), then SIGKILL after `graceMs` (2 s); resolves once it has exited. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 2000): Promise<void> {
  if (exited(child) || child.pid === undefined) {
    live.delete(child);
    return;
  }
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid;
  try {
    process.kill(pid, signal);
  } catch {
    // exited in between
  }
  const timer = setTimeout(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited in between
    }
  }, graceMs);
  await gone;
  clearTimeout(timer);
  live.delete(child);
}

/** Stops every peer process still running; for `after` hooks. */
export async function stopAllPeers(): Promise<void> {
  await Promise.all([...live].map((child) => stopProcess(child)));
}

interface Spawned {
  readonly child: ChildProcess;
  readonly stdout: Buffer[];
  readonly stderr: Buffer[];
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnTracked(cmd: string, args: readonly string[], stdin: 'pipe' | number, cwd?: string): Spawned {
  const child = spawn(cmd, args, { stdio: [stdin, 'pipe', 'pipe'], ...(cwd !== undefined ? { cwd } : {}) });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => stdout.push(c));
  child.stderr!.on('data', (c: Buffer) => stderr.push(c));
  // A peer that exits early closes its stdin: writes then fail with EPIPE, which the test reports otherwise.
  child.stdin?.on('error', () => {});
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) => {
      live.delete(child);
      reject(e.code === 'ENOENT' ? new Error(`peer not installed: ${cmd}`) : e);
    });
    child.once('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  if (child.pid !== undefined) live.add(child);
  return { child, stdout, stderr, exit };
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export interface RunOptions {
  /** A file whose contents become the process's stdin (opened read-only; EOF at its end). */
  readonly stdinFile?: string;
  /** Bytes written to stdin, which is then closed. Without either, stdin is empty. */
  readonly stdinData?: Uint8Array | string;
  /** Kill (SIGTERM, then SIGKILL) after this long; default 20 s. */
  readonly timeoutMs?: number;
}

/** Runs a program to completion, collecting stdout (bytes) and stderr (text). */
export async function runProcess(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const fd = options.stdinFile !== undefined ? openSync(options.stdinFile, 'r') : undefined;
  let spawned: Spawned;
  try {
    spawned = spawnTracked(cmd, args, fd ?? 'pipe');
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const { child } = spawned;
  if (fd === undefined) child.stdin!.end(options.stdinData ?? '');
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stopProcess(child);
  }, options.timeoutMs ?? 20_000);
  try {
    const { code, signal } = await spawned.exit;
    return {
      code,
      signal,
      timedOut,
      stdout: Buffer.concat(spawned.stdout),
      stderr: Buffer.concat(spawned.stderr).toString('utf8'),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** `openssl s_client ARGS`. */
export const runOpensslClient = (args: readonly string[], options?: RunOptions): Promise<RunResult> =>
  runProcess('openssl', ['s_client', ...args], options);

/** `curl ARGS`. */
export const runCurl = (args: readonly string[], options?: RunOptions): Promise<RunResult> =>
  runProcess('curl', args, options);

// ---------- ports ----------

/** A port the OS considers free on 127.0.0.1 right now (bind to port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createTcpServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no port from the OS'))));
    });
  });
}

/**
 * Who listens on 127.0.0.1:port (or the wildcard), read from the kernel's socket table without
 * connecting (a probe connection would be taken by `s_server` as a client): the listening
 * socket's inode, or null when nothing listens there. Undefined when the table cannot be read
 * (not Linux).
 */
export function listenerInTable(port: number): string | null | undefined {
  let table: string;
  try {
    table = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return undefined;
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const [address, localPort] = fields[1]!.split(':');
    // st 0A is TCP_LISTEN; 0100007F is 127.0.0.1 in the kernel's byte order on little-endian machines.
    if (localPort === hexPort && fields[3] === '0A' && (address === '0100007F' || address === '7F000001' || address === '00000000')) {
      return fields[9]!;
    }
  }
  return null;
}

/**
 * Whether process `pid` holds the socket with this inode (its /proc/PID/fd links). Undefined when
 * that cannot be read.
 */
export function holdsSocket(pid: number, inode: string): boolean | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`;
      } catch {
        return false; // closed meanwhile
      }
    });
  } catch {
    return undefined;
  }
}

/** Whether a TCP connect to 127.0.0.1:port succeeds (the fallback probe). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Waits until the child listens on the port; throws if it exits first or the time runs out. */
async function waitForListening(port: number, spawned: Spawned, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited(spawned.child)) throw new PeerExited(Buffer.concat(spawned.stderr).toString('utf8'));
    const inode = listenerInTable(port);
    // Another process may take the free port between freePort() and the child's bind: then the
    // listener is not the child's, and the child is about to exit with EADDRINUSE (and is tried
    // again on another port). Without /proc, a connection that succeeds has to do.
    if (inode === undefined ? await accepts(port) : inode !== null && holdsSocket(spawned.child.pid!, inode) !== false) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`peer did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

class PeerExited extends Error {
  constructor(readonly stderr: string) {
    super(`peer exited before listening: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
}

// ---------- openssl s_server ----------

export interface OpensslServer {
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything s_server wrote to stdout so far: with -quiet/-brief, exactly the application data it received. */
  stdout(): Buffer;
  /** Its stderr so far (-brief prints `Protocol version:` and `Ciphersuite:` there). */
  stderr(): string;
  /** Feeds s_server's stdin: once a client is connected, s_server sends these bytes to it. */
  send(data: Uint8Array): void;
  /** Resolves once stdout holds at least `size` bytes or s_server has exited; rejects after timeoutMs. */
  waitForStdout(size: number, timeoutMs?: number): Promise<void>;
  /** Stops it by PID. */
  stop(): Promise<void>;
}

/**
 * Starts `openssl s_server -accept 127.0.0.1:PORT ARGS` on a free port (a new one is tried when the port
 * was taken in between) and waits until it listens. Its stdin is a pipe that stays open until stop(), so it
 * sends nothing until `send()`. `cwd` is where -WWW serves files from.
 */
export async function startOpensslServer(args: readonly string[], timeoutMs = 10_000, options: { cwd?: string } = {}): Promise<OpensslServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const spawned = spawnTracked('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, ...args], 'pipe', options.cwd);
    spawned.exit.catch(() => {});
    try {
      await Promise.race([waitForListening(port, spawned, timeoutMs), spawned.exit.then(() => undefined)]);
      if (exited(spawned.child)) throw new PeerExited(Buffer.concat(spawned.stderr).toString('utf8'));
    } catch (e) {
      await stopProcess(spawned.child);
      lastError = e;
      if (e instanceof PeerExited && /in use|bind|EADDRINUSE/i.test(e.stderr)) continue;
      if (e instanceof Error && /ENOENT|not installed/.test(e.message)) throw new Error('peer not installed: openssl');
      throw e;
    }
    const { child } = spawned;
    return {
      port,
      child,
      stdout: () => Buffer.concat(spawned.stdout),
      stderr: () => Buffer.concat(spawned.stderr).toString('utf8'),
      send: (data) => {
        child.stdin!.write(data);
      },
      waitForStdout: async (size, limitMs = 10_000) => {
        const deadline = Date.now() + limitMs;
        while (spawned.stdout.reduce((n, c) => n + c.length, 0) < size && !exited(child)) {
          if (Date.now() > deadline) throw new Error(`s_server wrote fewer than ${size} bytes within ${limitMs} ms`);
          await new Promise((r) => setTimeout(r, 10));
        }
      },
      stop: () => stopProcess(child),
    };
  }
  throw lastError instanceof Error ? lastError : new Error('could not start openssl s_server');
}

// ---------- TLS sockets (ours or node:tls: the same shape) ----------

/** The node:tls client options these tests pass (a subset of tls.ConnectionOptions, same names). */
export interface ClientOptions {
  host: string;
  port: number;
  servername?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  ciphers?: string;
  ecdhCurve?: string;
  rejectUnauthorized?: boolean;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  ALPNProtocols?: string[];
}

/** The node:tls server options these tests pass (a subset of tls.TlsOptions, same names). */
export interface ServerOptions {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  ciphers?: string;
  ecdhCurve?: string;
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  ALPNProtocols?: string[];
}

/** The part of a node:tls-style socket these tests use. */
export interface DuplexLike {
  write(data: Uint8Array): boolean;
  end(): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
  once(event: 'error', listener: (err: Error) => void): unknown;
}

/**
 * Sends `outgoing`, reads until `expected` bytes arrived, then ends the socket and waits for it to close.
 * Resolves with what was received (the peer may send more than `expected`; all of it is returned).
 */
export function exchange(socket: DuplexLike, outgoing: Uint8Array, expected: number, timeoutMs = 15_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let ended = false;
    const timer = setTimeout(
      () => reject(new Error(`timed out: received ${received} of ${expected} bytes, ended=${ended}`)),
      timeoutMs,
    );
    socket.on('data', (chunk) => {
      chunks.push(Buffer.from(chunk));
      received += chunk.length;
      if (received >= expected && !ended) {
        ended = true;
        socket.end();
      }
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.write(outgoing);
    if (expected === 0) {
      ended = true;
      socket.end();
    }
  });
}

/** The error code of an error event, whatever its class. */
export const errorCode = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;

/** The last few lines of a peer's output, for assertion messages. */
export const tail = (text: string, lines = 6): string => text.trim().split('\n').slice(-lines).join('\n');

// ---------- interactive peers, isolated servers, the typetls CLI, chromium ----------

export interface InteractivePeer {
  readonly child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): Buffer;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Writes to its stdin (which stays open until end()). */
  write(data: Uint8Array | string): void;
  /** Closes its stdin. */
  end(): void;
  /** Resolves once `test(stdout, stderr)` holds; rejects if the process exits first or after timeoutMs. */
  waitFor(test: (stdout: Buffer, stderr: string) => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Resolves when it has exited. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Stops it by PID. */
  stop(): Promise<void>;
}

/**
 * Starts a program whose stdin stays open, for peers driven line by line (`openssl s_client` commands such
 * as `k`, `K` and `R` are read from stdin and only act while stdin is open).
 */
export function startInteractive(cmd: string, args: readonly string[]): InteractivePeer {
  const spawned = spawnTracked(cmd, args, 'pipe');
  const exit = spawned.exit;
  exit.catch(() => {});
  const { child } = spawned;
  const stdout = (): Buffer => Buffer.concat(spawned.stdout);
  const stderr = (): string => Buffer.concat(spawned.stderr).toString('utf8');
  return {
    child,
    stdout,
    stderr,
    write: (data) => {
      child.stdin!.write(data);
    },
    end: () => {
      child.stdin!.end();
    },
    waitFor: async (test, what, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (test(stdout(), stderr())) return;
        if (exited(child)) {
          await exit;
          if (test(stdout(), stderr())) return;
          throw new Error(`${cmd} exited before ${what}: ${tail(stdout().toString('latin1') + '\n' + stderr())}`);
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${tail(stdout().toString('latin1') + '\n' + stderr())}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    exit,
    stop: () => stopProcess(child),
  };
}

export interface IsolatedServer {
  /** The Unix socket that reaches the server; connect with `transport()`. */
  readonly socketPath: string;
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** A new connection to the server (a Unix socket to the bridge, then TCP inside the namespace). */
  transport(): import('node:net').Socket;
  /** Resolves once stdout matches `pattern`; rejects after timeoutMs. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

let isolatedCount = 0;

/**
 * Starts a server program that binds every address (gnutls-serv has no option to bind one) inside a private
 * network namespace, where only a loopback interface exists, reachable through a Unix socket; see
 * netns-bridge.ts. `args(port)` gives the program's arguments for the port it must listen on.
 */
export async function startIsolatedServer(
  cmd: string,
  args: (port: number) => readonly string[],
  timeoutMs = 10_000,
): Promise<IsolatedServer> {
  const port = 4433; // the namespace is private: nothing else listens there
  const socketPath = writeTempFile(`bridge-${process.pid}-${isolatedCount++}.sock`, '');
  rmSync(socketPath);
  const bridge = new URL('./netns-bridge.js', import.meta.url).pathname;
  const spawned = spawnTracked(
    'unshare',
    ['-rn', '--pid', '--fork', '--kill-child', process.execPath, bridge, socketPath, String(port), cmd, ...args(port)],
    'pipe',
  );
  spawned.exit.catch(() => {});
  const { child } = spawned;
  const stdout = (): string => Buffer.concat(spawned.stdout).toString('utf8');
  const stderr = (): string => Buffer.concat(spawned.stderr).toString('utf8');
  const deadline = Date.now() + timeoutMs;
  while (!stderr().includes('netns-bridge: ready')) {
    if (exited(child) || Date.now() > deadline) {
      await stopProcess(child);
      const why = stderr();
      if (/peer not installed/.test(why)) throw new Error(`peer not installed: ${cmd}`);
      throw new Error(`${cmd} in a private network namespace did not start: ${tail(why)}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    socketPath,
    child,
    stdout,
    stderr,
    transport: () => createConnection({ path: socketPath, allowHalfOpen: true }),
    waitForStdout: async (pattern, limitMs = 5_000) => {
      const until = Date.now() + limitMs;
      while (!pattern.test(stdout())) {
        if (Date.now() > until) throw new Error(`${cmd} did not print ${pattern}: ${tail(stdout(), 15)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    // unshare --fork ignores SIGTERM while it waits for its child: SIGKILL it at once; --kill-child then
    // kills the bridge, PID 1 of the PID namespace, and with it every process inside.
    stop: async () => {
      if (!exited(child) && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await stopProcess(child);
    },
  };
}

/** The typetls command line (node dist/src/cli/main.js) as a server: started, listening, its port. */
export interface CliServer {
  readonly port: number;
  readonly peer: InteractivePeer;
  stop(): Promise<void>;
}

/** Starts `typetls server --host 127.0.0.1 --port 0 ARGS` and waits for its "listening on" line. */
export async function startTypetlsServer(args: readonly string[]): Promise<CliServer> {
  const main = new URL('../../src/cli/main.js', import.meta.url).pathname;
  const peer = startInteractive(process.execPath, [main, 'server', '--host', '127.0.0.1', '--port', '0', ...args]);
  await peer.waitFor((out) => /listening on \S+:\d+/.test(out.toString('latin1')), '"listening on"');
  const port = Number(/listening on \S+:(\d+)/.exec(peer.stdout().toString('latin1'))![1]);
  return { port, peer, stop: () => peer.stop() };
}

/** `chromium` headless, loading one URL and printing its DOM; a fresh profile in a temp dir each time. */
export async function runChromium(url: string, extraFlags: readonly string[] = [], timeoutMs = 30_000): Promise<RunResult> {
  const profile = mkdtempSync(join(tmpdir(), 'typetls-chromium-'));
  try {
    return await runProcess(
      chromiumPath,
      [
        ...chromiumFlags,
        `--user-data-dir=${profile}`,
        '--ignore-certificate-errors',
        ...extraFlags,
        '--dump-dom',
        url,
      ],
      { timeoutMs },
    );
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

// ---------- openssl -trace output ----------

/** The NamedGroup line of openssl -trace for each group (`NamedGroup: secp384r1 (P-384) (24)`). */
export const traceGroupName: Record<Group, string> = {
  X25519: 'ecdh_x25519 (29)',
  'P-256': 'secp256r1 (P-256) (23)',
  'P-384': 'secp384r1 (P-384) (24)',
};

/** The HelloRetryRequest's fixed random (RFC 8446 Section 4.1.3) as openssl -trace prints its first four bytes. */
const hrrRandomTrace = 'gmt_unix_time=0xCF21AD74';

export interface TracedServerHello {
  /** Whether this ServerHello is a HelloRetryRequest. */
  readonly retry: boolean;
  /** The key_share group as openssl -trace names it, if any. */
  readonly group: string | undefined;
}

/** Every ServerHello (and HelloRetryRequest) in an openssl -trace transcript, in order. */
export function tracedServerHellos(trace: string): TracedServerHello[] {
  return trace
    .split(/ServerHello, Length=\d+\n/)
    .slice(1)
    .map((block) => {
      const body = block.split(/\n(?:Sent|Received) Record\n/)[0]!;
      const group = /extension_type=key_share\(51\)[^\n]*\n\s+NamedGroup: ([^\n]+)/.exec(body)?.[1]?.trim();
      return { retry: body.includes(hrrRandomTrace), group };
    });
}

/** Reads a file that a peer may still be writing; '' when it does not exist yet. */
export function readTextFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Waits until a peer process exits by itself (e.g. `s_server -naccept 1` after its connection ends), so that
 * its buffered output (a -msgfile trace is block-buffered and lost on SIGTERM) is complete on disk.
 */
export async function waitForExit(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  if (exited(child)) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pid ${child.pid} did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** One record of an openssl -trace transcript: its direction and the text printed for it. */
export interface TracedRecord {
  readonly direction: 'sent' | 'received';
  readonly text: string;
}

/** An openssl -trace transcript cut into its records. */
export function tracedRecords(trace: string): TracedRecord[] {
  const out: TracedRecord[] = [];
  const marker = /^(Sent|Received) Record$/gm;
  let last: { direction: 'sent' | 'received'; start: number } | undefined;
  for (let m = marker.exec(trace); m !== null; m = marker.exec(trace)) {
    if (last) out.push({ direction: last.direction, text: trace.slice(last.start, m.index) });
    last = { direction: m[1] === 'Sent' ? 'sent' : 'received', start: m.index + m[0].length };
  }
  if (last) out.push({ direction: last.direction, text: trace.slice(last.start) });
  return out;
}
