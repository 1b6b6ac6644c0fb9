// A server's CPU time per handshake over its life: block by block of handshakes, from its first
// connection on, for typetls and node:tls, each in a fresh process against the same node:tls
// client (16 lanes, in a process of its own). `npm run bench` measures a server a few hundred
// handshakes old; this shows how far that is from the server's steady state, and how much of
// the difference is V8's compiler and garbage collector threads rather than the main thread.
//
//   node dist/bench/warm-curve.js [--only REGEX] [--block N] [--blocks N] [--rounds N]
//
// Each figure is the server process's CPU time (process.cpuUsage(), every thread) over a block of
// N handshakes ('secureConnection's), divided by N; in brackets, the part spent outside the
// main thread (from /proc/self/task, on Linux: V8's compiler and GC helper threads, libuv's pool).

import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { benchPki, connect, createServer, median, type AnySocket, type Impl, type Pki, type TlsSettings } from './common.js';

interface Curve {
  name: string;
  settings: TlsSettings;
  resume: boolean;
}

const tls13 = (cert: 'rsa' | 'ecdsa'): TlsSettings => ({ cert, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ecdhCurve: 'X25519' });
const tls12: TlsSettings = { cert: 'rsa', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', ecdhCurve: 'X25519' };

export const curves: readonly Curve[] = [
  { name: 'TLS 1.3 X25519 + RSA-2048, full', settings: tls13('rsa'), resume: false },
  { name: 'TLS 1.3 X25519 + ECDSA P-256, full', settings: tls13('ecdsa'), resume: false },
  { name: 'TLS 1.2 ECDHE-RSA-AES128-GCM, full', settings: tls12, resume: false },
  { name: 'TLS 1.2 ticket, resumed', settings: tls12, resume: true },
  { name: 'TLS 1.3 PSK + X25519, resumed', settings: tls13('rsa'), resume: true },
];

/** CPU µs of this process so far: [main thread, every other thread]; undefined where /proc is not there. */
function threadCpu(): [number, number] | undefined {
  try {
    let main = 0;
    let other = 0;
    // Clock ticks of 10 ms (USER_HZ 100): fields 14 and 15 of /proc/self/task/<tid>/stat.
    for (const tid of readdirSync('/proc/self/task')) {
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      const us = (Number(fields[11]) + Number(fields[12])) * 10_000;
      if (Number(tid) === process.pid) main += us;
      else other += us;
    }
    return [main, other];
  } catch {
    return undefined;
  }
}

interface ServerTask {
  impl: Impl;
  curve: Curve;
  block: number;
  blocks: number;
  pki: Pki;
}

/** One block's figures: µs per handshake, all threads and outside the main thread. */
export interface Block {
  us: number;
  helperUs: number | undefined;
}

/** The server process: serves until `blocks` blocks of handshakes are counted, then reports them. */
function serve(task: ServerTask): void {
  const blocks: Block[] = [];
  let count = 0;
  let cpu = process.cpuUsage();
  let threads = threadCpu();
  const server = createServer(task.impl, task.curve.settings, task.pki, (socket: AnySocket) => {
    socket.on('error', () => socket.destroy());
    socket.resume();
    socket.write(Buffer.from('x'));
    socket.end();
    if (++count % task.block !== 0) return;
    const d = process.cpuUsage(cpu);
    const t = threadCpu();
    blocks.push({ us: (d.user + d.system) / task.block, helperUs: t && threads ? (t[1] - threads[1]) / task.block : undefined });
    cpu = process.cpuUsage();
    threads = t;
    if (blocks.length === task.blocks) {
      client.kill();
      process.send!(blocks, () => process.exit(0));
    }
  });
  server.on('tlsClientError', () => {
    // A client stopped mid-handshake at the end: nothing to count.
  });
  let client: ReturnType<typeof fork>;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    client = fork(fileURLToPath(import.meta.url), ['--client', JSON.stringify({ port, curve: task.curve, caCert: task.pki.caCert })], { execArgv: [] });
  });
}

/** The client process: 16 lanes of node:tls connections, each resuming the latest session when asked. */
function drive(spec: { port: number; curve: Curve; caCert: string }): void {
  let session: Buffer | undefined;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const raw = net.connect({ host: '127.0.0.1', port: spec.port });
      const s = connect('node', raw, spec.curve.settings, spec.caCert, spec.curve.resume ? session : undefined);
      s.on('session', (b: Buffer) => {
        session = b;
      });
      s.on('error', () => resolve());
      s.on('end', () => {
        s.destroy();
        resolve();
      });
      s.resume();
    });
  const lane = async (): Promise<void> => {
    for (;;) await one();
  };
  for (let i = 0; i < 16; i++) void lane();
}

/** Runs one server of `impl` for `blocks` blocks of `block` handshakes, in a fresh process. */
export function curve(impl: Impl, c: Curve, pki: Pki, block: number, blocks: number): Promise<Block[]> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--server', JSON.stringify({ impl, curve: c, block, blocks, pki })], { execArgv: [] });
    let result: Block[] | undefined;
    child.on('message', (m: Block[]) => {
      result = m;
    });
    child.on('error', reject);
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`the ${impl} server exited with ${code} before reporting`))));
  });
}

async function main(argv: string[]): Promise<void> {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (value('--server') !== undefined) return serve(JSON.parse(value('--server')!) as ServerTask);
  if (value('--client') !== undefined) return drive(JSON.parse(value('--client')!) as { port: number; curve: Curve; caCert: string });
  const block = Number(value('--block') ?? 200);
  const blocks = Number(value('--blocks') ?? 15);
  const rounds = Number(value('--rounds') ?? 1);
  const only = value('--only');
  const pki = await benchPki();
  console.log(`server CPU µs per handshake, block by block of ${block} from the server's first connection (node:tls client, 16 lanes; median of ${rounds}); in brackets: outside the main thread`);
  for (const c of curves) {
    if (only !== undefined && !new RegExp(only, 'i').test(c.name)) continue;
    for (const impl of ['typetls', 'node'] as const) {
      const runs: Block[][] = [];
      for (let r = 0; r < rounds; r++) runs.push(await curve(impl, c, pki, block, blocks));
      const cells = Array.from({ length: blocks }, (_, i) => {
        const us = median(runs.map((run) => run[i]!.us));
        const helpers = runs.map((run) => run[i]!.helperUs).filter((h): h is number => h !== undefined);
        return helpers.length > 0 ? `${us.toFixed(0)} (${median(helpers).toFixed(0)})` : us.toFixed(0);
      });
      console.log(`  ${c.name.padEnd(36)} ${impl.padEnd(8)} ${cells.join('  ')}`);
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: Error) => {
    console.error(e.stack ?? e.message);
    process.exitCode = 1;
  });
}
