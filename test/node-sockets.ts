// What the tests of the node:tls-compatible API over real sockets on 127.0.0.1 share: a register of
// everything a test opened (closed in `after` whatever happened), listening on an ephemeral port,
// and waiting for an event or for all of a stream's bytes, each with a deadline.

import * as net from 'node:net';
import type { Duplex } from 'node:stream';

/** Servers, sockets and timers a test file opened; closeAll() in its `after`. */
export class Opened {
  readonly servers = new Set<net.Server>();
  readonly sockets = new Set<Duplex>();
  readonly timers = new Set<NodeJS.Timeout>();

  track<T extends Duplex>(s: T): T {
    this.sockets.add(s);
    return s;
  }

  /** Listens on 127.0.0.1, port 0; the port. */
  async listen<T extends net.Server>(server: T): Promise<number> {
    this.servers.add(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return (server.address() as net.AddressInfo).port;
  }

  async closeServer(server: net.Server): Promise<void> {
    this.servers.delete(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async closeAll(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const s of this.sockets) s.destroy();
    await Promise.all([...this.servers].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/**
 * The arguments of the next `event`, or a rejection after `timeoutMs`. With `failOnError` (the
 * default) an 'error' first rejects instead; without it, an error on the way (a peer's reset
 * while waiting for 'close') is left to the emitter's own listeners.
 */
export function once<T = unknown>(
  emitter: NodeJS.EventEmitter,
  event: string,
  timeoutMs = 10_000,
  { failOnError = true }: { failOnError?: boolean } = {},
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for '${event}'`)), timeoutMs);
    const onEvent = (...args: T[]): void => {
      clearTimeout(timer);
      emitter.removeListener('error', onError);
      resolve(args);
    };
    const onError = (err: Error): void => {
      clearTimeout(timer);
      emitter.removeListener(event, onEvent);
      reject(err);
    };
    emitter.once(event, onEvent);
    if (failOnError && event !== 'error') emitter.once('error', onError);
  });
}

/** All bytes until the stream ends. */
export function collect(stream: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}
