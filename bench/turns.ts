// Two (or more) builds of typetls, or node:tls, compared by server CPU on a shared machine: each
// server runs in a process of its own, all at once, and one node:tls client process drives them
// by turns, a block of work to each, so that a change in the machine's load falls on all alike.
// Prints each server's CPU (process.cpuUsage(), user + system) per unit of work, median and
// minimum over the blocks.
//
//   node dist/bench/turns.js psk|full|full12|sid12|ticket12|echo|bulk [--warmup N] [--block N] [--rounds N] [--lanes N] DIR... (or node)
//     psk, full: µs per TLS 1.3 handshake (PSK + X25519 resumption, or X25519 + RSA-2048), 16 lanes;
//       psk resumes from the first ticket each server gave and says how many handshakes resumed
//       (node:tls's server, driven this way, resumes none: its figure is then one of full handshakes)
//     full12, sid12, ticket12: µs per TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256 handshake, full, resumed by
//       session ID (SSL_OP_NO_TICKET, the sessions in a Map through 'newSession'/'resumeSession', as
//       npm run bench's server keeps them) or resumed by ticket; each resumes from the first session
//       each server gave, and says how many handshakes resumed
//     --lanes: handshakes at once (16 unless told; 1 is npm run bench's "sequential")
//     echo: µs per 1 KiB round trip on one connection; bulk: ms per MiB the server reads
//   DIR is a checkout whose dist/ is built (its dist/src/index.js is the server's typetls).
//
//   node dist/bench/turns.js echo|bulk --side client [--warmup N] [--block N] [--rounds N] DIR... (or node)
//     the other way round: one node:tls server, and a client process per checkout (connecting over a
//     net.Socket it opened, as npm run bench's clients do), by turns; each client's CPU per 1 KiB
//     round trip, or per MiB it reads (bulk: the server writes, the client reads)
//
// The same script is the server and the client: `turns.js server DIR`, `turns.js client MODE` and
// (--side client) `turns.js measured-client DIR MODE`.

import { fork, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { benchPki, median } from './common.js';

export type Mode = 'psk' | 'full' | 'full12' | 'sid12' | 'ticket12' | 'echo' | 'bulk';
const MODES: readonly Mode[] = ['psk', 'full', 'full12', 'sid12', 'ticket12', 'echo', 'bulk'];
/** The modes that count handshakes, and those of them that resume from the first session. */
const HANDSHAKES: readonly Mode[] = ['psk', 'full', 'full12', 'sid12', 'ticket12'];
const RESUMING: readonly Mode[] = ['psk', 'sid12', 'ticket12'];
const TLS12: readonly Mode[] = ['full12', 'sid12', 'ticket12'];
/** As npm run bench's TLS 1.2 rows: one suite, X25519. */
const tls12Options = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', ecdhCurve: 'X25519' } as const;
/** OpenSSL's SSL_OP_NO_TICKET: TLS 1.2 then resumes by session ID. */
const SSL_OP_NO_TICKET = 0x4000;
const me = fileURLToPath(import.meta.url);
const ECHO = 1024;
const CHUNK = 64 * 1024;

type ServerMessage = { port: number } | { cpuUs: number; count: number } | 'started';
/** The client's answer to a block: how many of its handshakes resumed (psk, full). */
type ClientMessage = { resumed: number };

const next = <T>(p: ChildProcess): Promise<T> => new Promise((resolve) => p.once('message', (m) => resolve(m as T)));

async function server(dir: string): Promise<void> {
  process.title = 'tt-server';
  const lib = (dir === 'node' ? tls : await import(path.resolve(dir, 'dist/src/index.js'))) as typeof tls;
  const pki = await benchPki();
  let count = 0;
  let cpu0 = process.cpuUsage();
  const listen = (mode: Mode, sending: boolean): void => {
    const options: tls.TlsOptions = TLS12.includes(mode)
      ? { key: pki.rsaKey, cert: pki.rsaCert, ...tls12Options, ...(mode === 'sid12' ? { secureOptions: SSL_OP_NO_TICKET } : {}) }
      : { key: pki.rsaKey, cert: pki.rsaCert, minVersion: 'TLSv1.3' };
    const srv = lib.createServer(options, (s) => {
      s.on('error', () => s.destroy());
      if (mode === 'echo') s.on('data', (d: Buffer) => (count++, s.write(d)));
      else if (mode === 'bulk' && sending) s.on('data', (d: Buffer) => void send(s, Number(d.toString())));
      else if (mode === 'bulk') s.on('data', (d: Buffer) => (count += d.length));
      else {
        count++;
        s.end();
      }
    });
    srv.on('tlsClientError', () => {});
    if (mode === 'sid12') {
      // As npm run bench's server: the program keeps the sessions.
      const sessions = new Map<string, Buffer>();
      srv.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
        sessions.set(id.toString('hex'), data);
        done();
      });
      srv.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
        done(null, sessions.get(id.toString('hex')) ?? null);
      });
    }
    srv.listen(0, '127.0.0.1', () => process.send!({ port: (srv.address() as { port: number }).port }));
  };
  process.on('message', (m: { mode?: Mode; sending?: boolean; start?: boolean; stop?: boolean; exit?: boolean }) => {
    if (m.mode) listen(m.mode, m.sending === true);
    if (m.start) {
      count = 0;
      cpu0 = process.cpuUsage();
      process.send!('started');
    }
    if (m.stop) {
      const u = process.cpuUsage(cpu0);
      process.send!({ cpuUs: u.user + u.system, count });
    }
    if (m.exit) process.exit(0);
  });
}

/** --side client, bulk: the server writes `mib` MiB in 64 KiB writes, with back-pressure. */
async function send(s: tls.TLSSocket, mib: number): Promise<void> {
  const chunk = Buffer.alloc(CHUNK, 7);
  for (let i = 0; i < mib * 16; i++) if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
}

/**
 * --side client: a client of checkout `dir` (or node:tls) over a net.Socket it opened, which does
 * a block of round trips (or reads a block of MiB) when told, and answers with its CPU for it.
 */
async function measuredClient(dir: string, mode: Mode): Promise<void> {
  process.title = 'tt-client';
  const lib = (dir === 'node' ? tls : await import(path.resolve(dir, 'dist/src/index.js'))) as typeof tls;
  let s: tls.TLSSocket | undefined;
  let onData: (d: Buffer) => void = () => {};
  process.on('message', async ({ port, units }: { port: number; units: number }) => {
    if (!s) {
      const raw = net.connect({ port, host: '127.0.0.1' });
      raw.setNoDelay(true);
      s = lib.connect({ socket: raw, rejectUnauthorized: false, minVersion: 'TLSv1.3' });
      await new Promise((r) => s!.once('secureConnect', r));
      s.on('data', (d: Buffer) => onData(d));
    }
    const socket = s;
    const cpu0 = process.cpuUsage();
    if (mode === 'echo') {
      const message = Buffer.alloc(ECHO, 1);
      for (let i = 0; i < units; i++) {
        await new Promise<void>((resolve) => {
          let got = 0;
          onData = (d) => {
            got += d.length;
            if (got >= ECHO) resolve();
          };
          socket.write(message);
        });
      }
    } else {
      await new Promise<void>((resolve) => {
        let got = 0;
        onData = (d) => {
          got += d.length;
          if (got >= units * (1 << 20)) resolve();
        };
        socket.write(String(units));
      });
    }
    const u = process.cpuUsage(cpu0);
    process.send!({ cpuUs: u.user + u.system, count: units } satisfies ServerMessage);
  });
}

/** --side client: one node:tls server, a client per checkout by turns; each client's CPU per unit of work. */
export async function clientTurns(mode: 'echo' | 'bulk', dirs: readonly string[], options: TurnsOptions): Promise<{ dir: string; per: number[] }[]> {
  const srv = fork(me, ['server', 'node']);
  const clients: { dir: string; p: ChildProcess; per: number[] }[] = [];
  try {
    srv.send({ mode, sending: true });
    const { port } = await next<{ port: number }>(srv);
    for (const dir of dirs) clients.push({ dir, p: fork(me, ['measured-client', dir, mode]), per: [] });
    for (const c of clients) {
      c.p.send({ port, units: options.warmup });
      await next<ServerMessage>(c.p);
    }
    for (let r = 0; r < options.rounds; r++) {
      for (const c of clients) {
        c.p.send({ port, units: options.block });
        const { cpuUs, count } = await next<{ cpuUs: number; count: number }>(c.p);
        c.per.push(mode === 'bulk' ? cpuUs / 1000 / count : cpuUs / count);
      }
    }
  } finally {
    for (const c of clients) c.p.kill();
    srv.kill();
  }
  return clients.map(({ dir, per }) => ({ dir, per }));
}

async function client(mode: Mode, lanes: number): Promise<void> {
  const sessions = new Map<number, Buffer>();
  let resumed = 0;
  const resuming = RESUMING.includes(mode);
  const versions = TLS12.includes(mode) ? tls12Options : ({ minVersion: 'TLSv1.3' } as const);
  const handshake = (port: number): Promise<void> =>
    new Promise((resolve) => {
      const session = resuming ? sessions.get(port) : undefined;
      const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ...versions, ...(session ? { session } : {}) }, () => {
        if (s.isSessionReused()) resumed++;
        s.resume();
      });
      s.on('session', (x: Buffer) => {
        if (resuming && !sessions.has(port)) sessions.set(port, x);
      });
      s.on('end', () => s.destroy());
      s.on('error', () => s.destroy());
      s.on('close', () => resolve());
    });
  const open = new Map<number, tls.TLSSocket>();
  const connected = async (port: number): Promise<tls.TLSSocket> => {
    let s = open.get(port);
    if (!s) {
      s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
      await new Promise((r) => s!.once('secureConnect', r));
      open.set(port, s);
    }
    return s;
  };
  process.on('message', async ({ port, units }: { port: number; units: number }) => {
    resumed = 0;
    if (HANDSHAKES.includes(mode)) {
      let left = units;
      const lane = async (): Promise<void> => {
        while (left-- > 0) await handshake(port);
      };
      await Promise.all(Array.from({ length: lanes }, lane));
    } else if (mode === 'echo') {
      const s = await connected(port);
      const message = Buffer.alloc(ECHO, 1);
      for (let i = 0; i < units; i++) {
        await new Promise<void>((resolve) => {
          let got = 0;
          const onData = (d: Buffer): void => {
            got += d.length;
            if (got < ECHO) return;
            s.off('data', onData);
            resolve();
          };
          s.on('data', onData);
          s.write(message);
        });
      }
    } else {
      const s = await connected(port);
      const chunk = Buffer.alloc(CHUNK, 7);
      // units MiB; the server counts what it has read when told to stop, after the last block.
      for (let i = 0; i < units * 16; i++) if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
      await new Promise<void>((resolve) => s.write(Buffer.alloc(0), () => resolve()));
    }
    process.send!({ resumed } satisfies ClientMessage);
  });
}

export interface TurnsOptions {
  /** Units of work each server gets before the blocks start (handshakes, round trips, MiB). */
  warmup: number;
  block: number;
  rounds: number;
  /** Handshakes at once (16 unless told). */
  lanes?: number;
}

/** What each server spent per unit of work in each block, by checkout (or 'node'). */
export async function turns(mode: Mode, dirs: readonly string[], options: TurnsOptions): Promise<{ dir: string; per: number[]; resumed: number }[]> {
  const cli = fork(me, ['client', mode, String(options.lanes ?? 16)]);
  const servers: { dir: string; p: ChildProcess; port: number; per: number[]; resumed: number }[] = [];
  try {
    for (const dir of dirs) {
      const p = fork(me, ['server', dir]);
      servers.push({ dir, p, port: 0, per: [], resumed: 0 });
      p.send({ mode });
      servers[servers.length - 1]!.port = (await next<{ port: number }>(p)).port;
    }
    for (const s of servers) {
      cli.send({ port: s.port, units: options.warmup });
      await next<ClientMessage>(cli);
    }
    for (let r = 0; r < options.rounds; r++) {
      for (const s of servers) {
        s.p.send({ start: true });
        await next<ServerMessage>(s.p);
        cli.send({ port: s.port, units: options.block });
        s.resumed += (await next<ClientMessage>(cli)).resumed;
        if (mode === 'bulk') await new Promise((resolve) => setTimeout(resolve, 200)); // the last bytes in flight
        s.p.send({ stop: true });
        const { cpuUs, count } = await next<{ cpuUs: number; count: number }>(s.p);
        s.per.push(mode === 'bulk' ? cpuUs / 1000 / (count / (1 << 20)) : cpuUs / count);
      }
    }
  } finally {
    for (const s of servers) s.p.kill();
    cli.kill();
  }
  return servers.map(({ dir, per, resumed }) => ({ dir, per, resumed }));
}

async function main(args: string[]): Promise<void> {
  const mode = args[0] as Mode;
  if (!MODES.includes(mode)) throw new Error(`turns.js: the mode is one of ${MODES.join(', ')}`);
  const option = (name: string, fallback: number): number => {
    const i = args.indexOf(name);
    if (i < 0) return fallback;
    const [value] = args.splice(i, 2).slice(1);
    return Number(value);
  };
  const defaults = { psk: [2000, 500], full: [1000, 300], full12: [1000, 300], sid12: [2000, 500], ticket12: [2000, 500], echo: [2000, 30000], bulk: [64, 256] }[mode];
  const options = {
    warmup: option('--warmup', defaults[0]!), block: option('--block', defaults[1]!), rounds: option('--rounds', 6), lanes: option('--lanes', 16),
  };
  const side = args.indexOf('--side');
  const clientSide = side >= 0 && args.splice(side, 2)[1] === 'client';
  const dirs = args.slice(1);
  if (dirs.length === 0) throw new Error('turns.js: name at least one checkout (or node)');
  if (clientSide) {
    if (mode !== 'echo' && mode !== 'bulk') throw new Error('turns.js: --side client measures echo or bulk');
    console.log(`client CPU, ${mode === 'echo' ? 'µs per round trip' : 'ms per MiB read'}: median (minimum) of ${options.rounds} blocks of ${options.block}; ${mode}, node:tls server`);
    const digits = mode === 'bulk' ? 2 : 1;
    for (const { dir, per } of await clientTurns(mode, dirs, options)) {
      console.log(`${dir}: ${median(per).toFixed(digits)} (${Math.min(...per).toFixed(digits)})  [${per.map((x) => x.toFixed(digits)).join(' ')}]`);
    }
    return;
  }
  const unit = HANDSHAKES.includes(mode) ? 'µs per handshake' : mode === 'echo' ? 'µs per round trip' : 'ms per MiB read';
  const lanes = HANDSHAKES.includes(mode) ? `, ${options.lanes} at once` : '';
  console.log(`server CPU, ${unit}: median (minimum) of ${options.rounds} blocks of ${options.block}${lanes}; ${mode}`);
  const digits = mode === 'bulk' ? 2 : 1;
  for (const { dir, per, resumed } of await turns(mode, dirs, options)) {
    // A PSK figure is one of resumptions only when the client's tickets resumed (node:tls's server may not take them).
    const resumption = RESUMING.includes(mode) ? `; resumed ${resumed} of ${options.block * options.rounds}` : '';
    console.log(`${dir}: ${median(per).toFixed(digits)} (${Math.min(...per).toFixed(digits)})  [${per.map((x) => x.toFixed(digits)).join(' ')}]${resumption}`);
  }
}

if (process.argv[1] === me) {
  const [role, ...rest] = process.argv.slice(2);
  if (role === 'server') await server(rest[0]!);
  else if (role === 'client') await client(rest[0] as Mode, Number(rest[1] ?? 16));
  else if (role === 'measured-client') await measuredClient(rest[0]!, rest[1] as Mode);
  else await main([role!, ...rest]);
}
