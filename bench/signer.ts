// `npm run bench:signer`: full TLS 1.3 handshakes per second of a typetls server whose private key
// is in another process (examples/fleet/signer.mjs, 5 ms added to each signature, as a network HSM
// or KMS), at concurrency 16 and 64, beside the same server holding its key (the synchronous path).
// While one handshake waits for its signature the server's event loop serves the others, so the
// rate is bounded by CPU and by how many signatures are in flight, not by 1 / latency (200 hs/s at
// 5 ms were the loop to wait).
//
//   node dist/bench/signer.js [--rounds N] [--ms MEASURE_MS] [--latency MS] [--cert rsa|ecdsa] [--smoke]
//
// The server and the client (node:tls, so that the client's CPU is OpenSSL's) run in their own
// processes; the signer in a third. Each figure is the median of the rounds.

import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as typetls from '../src/index.js';
import { makeTestPki } from '../test/certs/make.js';
import { median } from './common.js';

interface ServerSpec {
  readonly remote: boolean;
  readonly latencyMs: number;
  readonly certFile: string;
  readonly keyFile: string;
}

interface ClientSpec {
  readonly port: number;
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly ca: string;
}

const here = fileURLToPath(import.meta.url);
const remoteKeyModule = pathToFileURL(fileURLToPath(new URL('../../examples/fleet/remote-key.mjs', import.meta.url))).href;

async function serverProcess(spec: ServerSpec): Promise<void> {
  const cert = readFileSync(spec.certFile, 'utf8');
  let key: unknown = readFileSync(spec.keyFile, 'utf8');
  if (spec.remote) {
    const { startSigner, remoteKey } = (await import(remoteKeyModule)) as {
      startSigner(keyFile: string, latencyMs: number): import('node:child_process').ChildProcess;
      remoteKey(child: import('node:child_process').ChildProcess, publicKeyPem: string): unknown;
    };
    const signer = startSigner(spec.keyFile, spec.latencyMs);
    process.on('disconnect', () => signer.kill());
    key = remoteKey(signer, cert);
  }
  const server = typetls.createServer({ cert, key: key as string, minVersion: 'TLSv1.3' }, (socket) => socket.destroy());
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
  process.on('disconnect', () => process.exit(0));
}

async function clientProcess(spec: ClientSpec): Promise<void> {
  let measuring = false;
  let stopping = false;
  let count = 0;
  let failures = 0;
  const lane = async (): Promise<void> => {
    while (!stopping) {
      await new Promise<void>((resolve) => {
        const s = tls.connect({ port: spec.port, host: '127.0.0.1', servername: 'localhost', ca: spec.ca, minVersion: 'TLSv1.3' });
        s.once('secureConnect', () => {
          if (measuring) count++;
          s.destroy();
          resolve();
        });
        s.once('error', () => {
          if (measuring) failures++;
          s.destroy();
          resolve();
        });
      });
    }
  };
  const lanes = Array.from({ length: spec.concurrency }, lane);
  await new Promise((r) => setTimeout(r, spec.warmupMs));
  measuring = true;
  const start = performance.now();
  await new Promise((r) => setTimeout(r, spec.measureMs));
  measuring = false;
  const seconds = (performance.now() - start) / 1000;
  stopping = true;
  await Promise.all(lanes);
  process.send!({ rate: count / seconds, failures });
  process.disconnect();
}

function run<T>(args: readonly string[]): { result: Promise<T>; child: import('node:child_process').ChildProcess } {
  const child = fork(here, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const result = new Promise<T>((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('exit', (code) => reject(new Error(`${args[0]} process exited (${code})`)));
  });
  return { result, child };
}

async function measure(server: ServerSpec, concurrency: number, measureMs: number, ca: string): Promise<{ rate: number; failures: number }> {
  const s = run<{ port: number }>(['server', JSON.stringify(server)]);
  try {
    const { port } = await s.result;
    const c = run<{ rate: number; failures: number }>(['client', JSON.stringify({ port, concurrency, warmupMs: 300, measureMs, ca } satisfies ClientSpec)]);
    return await c.result;
  } finally {
    s.child.kill();
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const smoke = argv.includes('--smoke');
  const rounds = Number(value('--rounds') ?? (smoke ? 1 : 3));
  const measureMs = Number(value('--ms') ?? (smoke ? 500 : 3000));
  const latencyMs = Number(value('--latency') ?? 5);
  const certKind = value('--cert') ?? 'ecdsa';
  const pki = await makeTestPki();
  const certFile = certKind === 'rsa' ? pki.rsaCert : pki.ecdsaCert;
  const keyFile = certKind === 'rsa' ? pki.rsaKey : pki.ecdsaKey;
  const ca = readFileSync(pki.caCert, 'utf8');
  const rows: { name: string; figures: number[]; failures: number }[] = [];
  const scenarios = (smoke ? [16] : [16, 64]).flatMap((concurrency) => [
    { name: `key in process, c${concurrency}`, server: { remote: false, latencyMs: 0, certFile, keyFile }, concurrency },
    { name: `remote signer (+${latencyMs} ms), c${concurrency}`, server: { remote: true, latencyMs, certFile, keyFile }, concurrency },
  ]);
  for (const s of scenarios) rows.push({ name: s.name, figures: [], failures: 0 });
  for (let round = 0; round < rounds; round++) {
    // Alternate the order each round, so that slow drifts of the machine hit both alike.
    const order = round % 2 === 0 ? scenarios : [...scenarios].reverse();
    for (const s of order) {
      const { rate, failures } = await measure(s.server, s.concurrency, measureMs, ca);
      const row = rows.find((r) => r.name === s.name)!;
      row.figures.push(rate);
      row.failures += failures;
      process.stderr.write(`round ${round + 1}/${rounds}  ${s.name}  ${rate.toFixed(1)} hs/s\n`);
    }
  }
  console.log(`TLS 1.3 X25519 + ${certKind === 'rsa' ? 'RSA-2048' : 'ECDSA P-256'} full handshakes, typetls server, node:tls client; median of ${rounds} round(s) of ${measureMs} ms`);
  console.log('| Scenario | hs/s | spread | failed handshakes |');
  console.log('|:--|--:|--:|--:|');
  for (const r of rows) {
    const m = median(r.figures);
    const spread = r.figures.length > 1 ? `±${Math.round(((Math.max(...r.figures) - Math.min(...r.figures)) / 2 / m) * 100)}%` : '-';
    console.log(`| ${r.name} | ${m.toFixed(1)} | ${spread} | ${r.failures} |`);
  }
  console.log(`(a server that waited for each signature in turn could not pass ${Math.round(1000 / latencyMs)} hs/s)`);
}

const [role, spec] = [process.argv[2], process.argv[3]];
if (role === 'server') void serverProcess(JSON.parse(spec!) as ServerSpec);
else if (role === 'client') void clientProcess(JSON.parse(spec!) as ClientSpec);
else await main(process.argv.slice(2));
