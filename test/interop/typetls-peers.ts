// Our own side of the interop tests: a typetls client that resolves on secureConnect (or with its error), and
// a typetls echo server that records what each connection negotiated, for the peers in peers.ts to talk to.

import type { AddressInfo } from 'node:net';

import { connect, createServer, type ConnectionOptions, type TlsServerOptions } from '../../src/node/api.js';
import type { TraceEvent } from '../../src/trace.js';

export type ClientSocket = ReturnType<typeof connect>;
export type Server = ReturnType<typeof createServer>;
export type ServerSocket = Parameters<NonNullable<Parameters<typeof createServer>[1]>>[0];

const sessionLists = new WeakMap<ClientSocket, Buffer[]>();

/** Every 'session' event of a socket made by connectSecure, from its start (TLS 1.2 ones come before secureConnect). */
export const sessionsOf = (socket: ClientSocket): Buffer[] => sessionLists.get(socket) ?? [];

/** Waits until a socket made by connectSecure has emitted at least one 'session' event; resolves with the last. */
export async function nextSession(socket: ClientSocket, timeoutMs = 5_000): Promise<Buffer> {
  await until(() => sessionsOf(socket).length > 0, "the client's 'session' event", timeoutMs);
  return sessionsOf(socket).at(-1)!;
}

/** Connects our client and resolves on secureConnect; rejects on an error before it. */
export function connectSecure(options: ConnectionOptions, timeoutMs = 10_000): Promise<ClientSocket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('timed out waiting for secureConnect'));
    }, timeoutMs);
    const socket = connect(options, () => {
      clearTimeout(timer);
      resolve(socket);
    });
    const sessions: Buffer[] = [];
    sessionLists.set(socket, sessions);
    socket.on('session', (s: Buffer) => sessions.push(s));
    socket.once('error', (err: Error) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Connects our client expecting the connection to fail (during or just after the handshake); resolves with the error. */
export function connectRejected(
  options: ConnectionOptions,
  timeoutMs = 10_000,
): Promise<{ error: Error; handshakeDone: boolean }> {
  return new Promise((resolve, reject) => {
    let handshakeDone = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timed out: no error (handshake done: ${handshakeDone})`));
    }, timeoutMs);
    const socket = connect(options, () => {
      handshakeDone = true;
      // TLS 1.3: a server refuses a client certificate after the client's last flight; read to see it.
      socket.resume();
    });
    socket.once('error', (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ error: err, handshakeDone });
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new Error(`closed without an error (handshake done: ${handshakeDone}, ${socket.getProtocol()})`));
    });
  });
}

/** Reads until the peer ends the stream; resolves with everything read. */
export function readToEnd(socket: ClientSocket, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error(`timed out after ${Buffer.concat(chunks).length} bytes`)), timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.once('error', (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Resolves once `socket` has received at least `size` bytes in total (counting from the call). */
export function readAtLeast(socket: ClientSocket, size: number, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const timer = setTimeout(() => {
      socket.off('data', onData);
      reject(new Error(`timed out: ${got} of ${size} bytes`));
    }, timeoutMs);
    const onData = (c: Buffer): void => {
      chunks.push(c);
      got += c.length;
      if (got >= size) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    socket.on('data', onData);
  });
}

/** What our server saw of one secure connection. */
export interface Seen {
  readonly socket: ServerSocket;
  protocol: string | null;
  standardName: string | undefined;
  group: string | undefined;
  reused: boolean;
  authorized: boolean;
  authorizationError: string | undefined;
  peerCn: string | undefined;
  alpn: string | false | null;
  received: Buffer;
  error: Error | undefined;
  closed: boolean;
}

export interface EchoServer {
  readonly server: Server;
  readonly port: number;
  /** One entry per secure connection, filled as it runs. */
  readonly sessions: Seen[];
  /** Handshakes that failed (tlsClientError). */
  readonly clientErrors: Error[];
  /** Every trace event of every connection (when started with `traced`). */
  readonly trace: TraceEvent[];
  close(): Promise<void>;
}

export interface EchoOptions {
  /** End the connection (close_notify) once this many bytes came in; default never (the client ends). */
  readonly endAfter?: number;
  /** Record the engine's trace events in `trace`. */
  readonly traced?: boolean;
}

/** Our server on 127.0.0.1, port 0: echoes each chunk back. */
export async function startEchoServer(options: TlsServerOptions, echo: EchoOptions = {}): Promise<EchoServer> {
  const sessions: Seen[] = [];
  const clientErrors: Error[] = [];
  const trace: TraceEvent[] = [];
  const sockets = new Set<ServerSocket>();
  const server = createServer(
    // DHE as typetls's own tools allow it (node needs dhparam for it).
    { dhparam: 'auto', ...options, ...(echo.traced ? { trace: (e: TraceEvent) => trace.push(e) } : {}) },
    (socket: ServerSocket) => {
      sockets.add(socket);
      const peer = socket.getPeerCertificate() as { subject?: { CN?: string | string[] } };
      const cn = peer?.subject?.CN;
      const key = socket.getEphemeralKeyInfo() as { name?: string } | null;
      const seen: Seen = {
        socket,
        protocol: socket.getProtocol(),
        standardName: socket.getCipher()?.standardName,
        group: key?.name,
        reused: socket.isSessionReused(),
        authorized: socket.authorized,
        authorizationError: socket.authorizationError ?? undefined,
        peerCn: Array.isArray(cn) ? cn.join(',') : cn,
        alpn: socket.alpnProtocol,
        received: Buffer.alloc(0),
        error: undefined,
        closed: false,
      };
      sessions.push(seen);
      const chunks: Buffer[] = [];
      let total = 0;
      let ended = false;
      socket.on('data', (chunk: Buffer) => {
        chunks.push(Buffer.from(chunk));
        seen.received = Buffer.concat(chunks);
        total += chunk.length;
        if (ended) return;
        socket.write(chunk);
        if (echo.endAfter !== undefined && total >= echo.endAfter) {
          ended = true;
          socket.end();
        }
      });
      socket.on('end', () => {
        if (!ended) {
          ended = true;
          socket.end();
        }
      });
      socket.on('error', (err: Error) => {
        seen.error = err;
      });
      socket.on('close', () => {
        seen.closed = true;
        sockets.delete(socket);
      });
    },
  );
  server.on('tlsClientError', (err: Error) => clientErrors.push(err));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    sessions,
    clientErrors,
    trace,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Polls until `test()` holds; rejects with `what` after timeoutMs. */
export async function until(test: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Names of the handshake messages in a trace, in order, for one side and direction. */
export const tracedMessages = (trace: readonly TraceEvent[], direction: 'sent' | 'received'): string[] =>
  trace.flatMap((e) => (e.kind === 'message' && e.direction === direction ? [e.name] : []));
