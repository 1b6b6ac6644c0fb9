// The benchmark's client process: runs one ClientTask against the server on 127.0.0.1 with one
// implementation and reports the result over IPC. argv[2] is the ClientSpec as JSON.

import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { AnySocket, ClientResult, ClientSpec, ClientTask, RunnerMessage } from './common.js';
import { connect, percentile, sampleMemory, send } from './common.js';

const spec = JSON.parse(process.argv[2]!) as ClientSpec;
// The process's name (comm) tells the sides apart in `perf record` of a whole run.
process.title = `${spec.impl === 'node' ? 'node' : 'tt'}-client`;

/** Opens one TLS connection; resolves with the socket at 'secureConnect'. */
function open(session?: Buffer): Promise<AnySocket> {
  return new Promise((resolve, reject) => {
    const raw = net.connect({ host: '127.0.0.1', port: spec.port });
    raw.setNoDelay(true);
    const s = connect(spec.impl, raw, spec.tls, spec.caCert, session);
    const onError = (err: Error): void => reject(err);
    s.once('error', onError);
    s.once('secureConnect', () => {
      s.removeListener('error', onError);
      s.on('error', () => s.destroy());
      resolve(s);
    });
  });
}

/** One full connection to capture a session to resume from (the 'session' event, as in node). */
async function captureSession(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const raw = net.connect({ host: '127.0.0.1', port: spec.port });
    const s = connect(spec.impl, raw, spec.tls, spec.caCert, undefined);
    s.once('session', (session: Buffer) => {
      resolve(session);
      s.destroy();
    });
    s.once('error', reject);
    s.resume();
  });
}

/** The fewest handshakes a counted interval holds. */
const MIN_COUNTED = 3;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function handshakes(task: Extract<ClientTask, { kind: 'handshakes' }>): Promise<ClientResult> {
  const session = task.resume ? await captureSession() : undefined;
  let measuring = false;
  let stopping = false;
  let count = 0;
  let resumed = 0;
  let failures = 0;
  const latencies: number[] = [];
  let protocol: string | null = null;
  let cipher: string | undefined;
  const lane = async (): Promise<void> => {
    while (!stopping) {
      const start = performance.now();
      let s: AnySocket;
      try {
        s = await open(session);
      } catch {
        failures++;
        continue;
      }
      const ms = performance.now() - start;
      if (measuring && !stopping) {
        count++;
        latencies.push(ms);
        if (s.isSessionReused()) resumed++;
      }
      protocol = s.getProtocol();
      cipher = s.getCipher()?.name;
      // The server ends the connection; read its close_notify and let it go.
      s.on('end', () => s.destroy());
      s.resume();
    }
  };
  const lanes = Array.from({ length: task.concurrency }, lane);
  await sleep(task.warmupMs);
  // The server measures its CPU over the same interval: the runner passes these on to it, and
  // the client starts counting once the server has started measuring.
  const serverMeasuring = new Promise<void>((resolve) => {
    const onMessage = (m: RunnerMessage): void => {
      if (m.type !== 'windowOpen') return;
      process.removeListener('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
  });
  send({ type: 'window', phase: 'start' });
  await serverMeasuring;
  measuring = true;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(task.durationMs);
  // On a loaded machine a short interval may see no handshake complete: it runs on until a
  // few have (up to a minute), so that every figure divides by a count.
  for (const end = Date.now() + 60_000; count < MIN_COUNTED && Date.now() < end; ) await sleep(10);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  send({ type: 'window', phase: 'stop' });
  stopping = true;
  await Promise.all(lanes);
  latencies.sort((a, b) => a - b);
  return { kind: 'handshakes', count, seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), resumed, failures, protocol, cipher, cpuUs: cpu.user + cpu.system };
}

async function bulk(task: Extract<ClientTask, { kind: 'bulk' }>): Promise<ClientResult> {
  const s = await open();
  const cipher = s.getCipher()?.name;
  const chunk = Buffer.alloc(task.chunk, 0x62);
  let received = 0;
  let onData: (n: number) => void = () => {};
  s.on('data', (d: Buffer) => {
    received += d.length;
    onData(received);
  });
  const waitFor = (n: number): Promise<void> =>
    new Promise((resolve) => {
      if (received >= n) return resolve();
      onData = (got) => {
        if (got >= n) resolve();
      };
    });

  const t0 = performance.now();
  let left = task.bytes;
  while (left > 0) {
    const n = Math.min(task.chunk, left);
    left -= n;
    if (!s.write(n === task.chunk ? chunk : chunk.subarray(0, n))) await new Promise((r) => s.once('drain', r));
  }
  await waitFor(2); // "ok"
  const uploadSeconds = (performance.now() - t0) / 1000;

  const t1 = performance.now();
  s.write(Buffer.from('g'));
  await waitFor(2 + task.bytes);
  const downloadSeconds = (performance.now() - t1) / 1000;
  s.destroy();
  return { kind: 'bulk', bytes: task.bytes, uploadSeconds, downloadSeconds, cipher };
}

async function roundtrips(task: Extract<ClientTask, { kind: 'roundtrips' }>): Promise<ClientResult> {
  const s = await open();
  s.setNoDelay(true);
  const request = Buffer.alloc(task.size, 0x63);
  let pending = 0;
  let done: () => void = () => {};
  s.on('data', (d: Buffer) => {
    pending -= d.length;
    if (pending <= 0) done();
  });
  const once = (): Promise<void> =>
    new Promise((resolve) => {
      pending = task.size;
      done = resolve;
      s.write(request);
    });
  const warmEnd = performance.now() + task.warmupMs;
  while (performance.now() < warmEnd) await once();
  const latencies: number[] = [];
  const t0 = performance.now();
  const end = t0 + task.durationMs;
  let now = t0;
  while (now < end) {
    const start = now;
    await once();
    now = performance.now();
    latencies.push(now - start);
  }
  const seconds = (now - t0) / 1000;
  s.destroy();
  latencies.sort((a, b) => a - b);
  return { kind: 'roundtrips', count: latencies.length, seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

const held: AnySocket[] = [];

async function openMany(n: number, concurrency: number): Promise<void> {
  let left = n;
  const lane = async (): Promise<void> => {
    while (left > 0) {
      left--;
      const s = await open();
      s.on('end', () => s.destroy());
      held.push(s);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

async function hold(task: Extract<ClientTask, { kind: 'hold' }>): Promise<void> {
  await openMany(task.warm, task.concurrency);
  send({ type: 'holding', connections: held.length });
  await new Promise<void>((resolve) => {
    const onMessage = (m: RunnerMessage): void => {
      if (m.type !== 'continue') return;
      process.removeListener('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
  });
  await openMany(task.connections, task.concurrency);
  // Let the last handshakes' tickets and acknowledgements settle before the runner samples.
  await sleep(200);
  send({ type: 'holding', connections: held.length });
}

process.on('message', (m: RunnerMessage) => {
  if (m.type === 'measureMemory') send({ type: 'memory', memory: sampleMemory() });
});
process.on('disconnect', () => process.exit(0));

async function main(): Promise<void> {
  if (spec.port === 0) {
    spec.port = await new Promise<number>((resolve) => {
      const onMessage = (m: RunnerMessage): void => {
        if (m.type !== 'start') return;
        process.removeListener('message', onMessage);
        resolve(m.port);
      };
      process.on('message', onMessage);
    });
  }
  const task = spec.task;
  switch (task.kind) {
    case 'handshakes':
      send({ type: 'result', result: await handshakes(task) });
      break;
    case 'bulk':
      send({ type: 'result', result: await bulk(task) });
      break;
    case 'roundtrips':
      send({ type: 'result', result: await roundtrips(task) });
      break;
    case 'hold':
      await hold(task);
      break;
  }
}

main().catch((e: Error) => {
  send({ type: 'error', message: `${e.message}${(e as { code?: string }).code ? ` (${(e as { code?: string }).code})` : ''}` });
});
