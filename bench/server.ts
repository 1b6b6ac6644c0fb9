// The benchmark's server process: one TLS server of one implementation on 127.0.0.1, port 0.
// Started by the runner (or by bench/cluster.ts as a cluster worker) with a ServerSpec as JSON
// in argv[2]; it reports its port over IPC and serves until it is killed.

import * as net from 'node:net';
import type { AnySocket, RunnerMessage, ServerSpec } from './common.js';
import { connect, createServer, sampleMemory, send } from './common.js';

const spec = JSON.parse(process.argv[2]!) as ServerSpec & { bulkBytes?: number };
// The process's name (comm) tells the sides apart in `perf record` of a whole run.
process.title = `${spec.impl === 'node' ? 'node' : 'tt'}-server`;
const CHUNK = 64 * 1024;
const payload = Buffer.alloc(CHUNK, 0x61);
const ONE_BYTE = Buffer.from('x');
const held: AnySocket[] = [];
/** Handshakes completed so far, and the CPU time and count at the start of the client's window. */
let handshakes = 0;
let windowStart: { cpu: NodeJS.CpuUsage; handshakes: number } | undefined;

function onSecure(socket: AnySocket): void {
  handshakes++;
  socket.on('error', () => socket.destroy());
  switch (spec.mode) {
    case 'handshake':
      // The handshake is done: one byte of application data (which makes node:tls send its
      // TLS 1.3 session tickets, as typetls does), then close_notify and FIN.
      socket.resume();
      socket.write(ONE_BYTE);
      socket.end();
      break;
    case 'echo':
      socket.setNoDelay(true);
      socket.on('data', (d: Buffer) => socket.write(d));
      socket.on('end', () => socket.end());
      break;
    case 'bulk':
      serveBulk(socket, spec.bulkBytes ?? 0);
      break;
    case 'hold':
      held.push(socket);
      socket.on('end', () => socket.end());
      break;
  }
}

/** Upload: count `bytes` bytes, answer "ok". Then any further byte asks for `bytes` bytes back. */
function serveBulk(socket: AnySocket, bytes: number): void {
  let received = 0;
  let sending = false;
  socket.on('data', (d: Buffer) => {
    received += d.length;
    if (received === bytes && !sending) socket.write(Buffer.from('ok'));
    if (received > bytes && !sending) {
      sending = true;
      sendBytes(socket, bytes);
    }
  });
  socket.on('end', () => socket.end());
}

function sendBytes(socket: AnySocket, bytes: number): void {
  let left = bytes;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(CHUNK, left);
      left -= n;
      if (!socket.write(n === CHUNK ? payload : payload.subarray(0, n))) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

const server = createServer(spec.impl, spec.tls, spec.pki, onSecure);
if (spec.tls.noTickets) {
  // TLS 1.2 resumption by session ID as node:tls does it: node's server keeps no sessions of its
  // own, the program does (here in a Map), through 'newSession' and 'resumeSession'; typetls
  // gets the same handlers.
  const sessions = new Map<string, Buffer>();
  const events = server as unknown as NodeJS.EventEmitter;
  events.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
    sessions.set(id.toString('hex'), data);
    done();
  });
  events.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
    done(null, sessions.get(id.toString('hex')) ?? null);
  });
}
server.on('tlsClientError', () => {
  // A client that went away mid-handshake (the runner stopping a client): nothing to do.
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  warmUp(port, spec.warmHandshakes ?? 0).then(
    () => send({ type: 'listening', port }),
    (e: Error) => send({ type: 'error', message: `warm-up: ${e.message}` }),
  );
});

/**
 * A server measured per handshake is first warmed up by `count` handshakes of its own, from a
 * client of the same implementation in this process (every other one resuming the latest
 * session), so that the measured interval sees a server in its steady state, as a long-running
 * terminator is: JavaScript compiled and optimised, caches filled. Both implementations get the
 * same warm-up.
 */
async function warmUp(port: number, count: number): Promise<void> {
  let session: Buffer | undefined;
  let left = count;
  const one = (resume: boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      const raw = net.connect({ host: '127.0.0.1', port });
      const s = connect(spec.impl, raw, spec.tls, spec.pki.caCert, resume ? session : undefined);
      s.on('session', (b: Buffer) => {
        session = b;
      });
      s.once('error', reject);
      s.on('end', () => {
        s.destroy();
        resolve();
      });
      s.resume();
    });
  const lane = async (): Promise<void> => {
    while (left > 0) {
      left--;
      await one(left % 2 === 1);
    }
  };
  await Promise.all(Array.from({ length: 4 }, lane));
}

process.on('message', (m: RunnerMessage) => {
  if (m.type === 'measureMemory') send({ type: 'memory', memory: sampleMemory() });
  if (m.type === 'window' && m.phase === 'start') {
    windowStart = { cpu: process.cpuUsage(), handshakes };
    send({ type: 'windowOpen' });
  }
  if (m.type === 'window' && m.phase === 'stop' && windowStart) {
    const d = process.cpuUsage(windowStart.cpu);
    send({ type: 'cpu', cpu: { cpuUs: d.user + d.system, handshakes: handshakes - windowStart.handshakes } });
    windowStart = undefined;
  }
  if (m.type === 'release') {
    for (const s of held.splice(0)) s.destroy();
  }
});
process.on('disconnect', () => process.exit(0));
