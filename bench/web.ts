// `npm run bench:web`: typetls/web against subtls in Chromium, and the portable crypto provider against
// the node:crypto one in Node.
//
// Browser: one page (Debian's Chromium, headless) loads the esbuild bundles of both clients and reaches
// openssl s_server -WWW through the same WebSocket→TCP relay (test/web-relay.ts). Measured in the page:
// the TLS 1.3 handshake time (new WebSocket to a verified server Finished) against ECDSA P-256 and
// RSA-2048 server certificates from the RSA test CA and a P-256 one under an ECDSA chain shaped like
// Let's Encrypt's, and the bulk download rate of a file, with the server held to
// TLS_AES_128_GCM_SHA256 or TLS_CHACHA20_POLY1305_SHA256. The page is driven over the bare DevTools
// protocol (test/web-browser.ts startBarePage): nothing watches its WebSocket frames. subtls offers only TLS_AES_128_GCM_SHA256
// and P-256, so it has no ChaCha20-Poly1305 figure, and its handshakes use P-256 where typetls uses its
// default (X25519MLKEM768); a typetls row held to P-256 is there for the like-for-like comparison.
// Node: an in-memory client and server (no sockets), both on one provider: handshakes/s and MB/s.
// Sizes: the client bundles (connect + WebSocket adapter; startTls + its WebSocket queue), minified
// and gzipped, as an application would ship them.
//
//   node dist/bench/web.js [--handshakes N] [--mib N] [--rounds N] [--smoke] [--json]

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { clientConfig, serverConfig, type CertifiedKey } from '../src/config.js';
import { ClientConnection, ServerConnection } from '../src/connection.js';
import { nodeCryptoProvider } from '../src/crypto/node.js';
import { portableCryptoProvider } from '../src/crypto/portable.js';
import type { CryptoProvider } from '../src/crypto/provider.js';
import { suiteByName } from '../src/suites.js';
import { parseCertificate } from '../src/x509/certificate.js';
import { pemDecode } from '../src/x509/pem.js';
import type * as Web from '../src/web/index.js';
import { makeEcdsaChainPki, makeTestPki, type TestPki } from '../test/certs/make.js';
import { startOpensslServer, stopAllPeers, type OpensslServer } from '../test/interop/peers.js';
import { bundleForBrowser, startBarePage, startPageServer, type BarePage } from '../test/web-browser.js';
import { startRelay } from '../test/web-relay.js';

declare const typetls: typeof Web;
declare const subtls: {
  startTls(host: string, roots: string, read: (n: number) => Promise<Uint8Array | undefined>, write: (d: Uint8Array) => void): Promise<{
    read(): Promise<Uint8Array | undefined>;
    write(d: Uint8Array): Promise<void>;
  }>;
  WebSocketReadQueue: new (ws: WebSocket) => { read(n: number): Promise<Uint8Array | undefined> };
};
interface WebSocket {
  binaryType: string;
  send(d: Uint8Array): void;
  close(): void;
  addEventListener(type: string, f: () => void, options?: { once: boolean }): void;
}
declare const WebSocket: new (url: string) => WebSocket;
declare const performance: { now(): number };

interface Options {
  readonly handshakes: number;
  readonly mib: number;
  readonly rounds: number;
  readonly json: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const value = (name: string): number | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  const smoke = argv.includes('--smoke');
  return {
    handshakes: value('--handshakes') ?? (smoke ? 3 : 40),
    mib: value('--mib') ?? (smoke ? 1 : 16),
    rounds: value('--rounds') ?? (smoke ? 1 : 3),
    json: argv.includes('--json'),
  };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// --- bundles -------------------------------------------------------------------------------------

const typetlsClient = "export { connect, webSocketTransport } from 'typetls/web';";
const subtlsClient = "export { startTls, WebSocketReadQueue } from 'subtls';";

export interface Sizes {
  readonly typetls: { readonly minified: number; readonly gzipped: number };
  readonly subtls: { readonly minified: number; readonly gzipped: number };
}

async function bundleSizes(): Promise<Sizes> {
  const size = async (contents: string) => {
    const text = await bundleForBrowser(contents, 'x', true);
    return { minified: Buffer.byteLength(text), gzipped: gzipSync(text, { level: 9 }).length };
  };
  return { typetls: await size(typetlsClient), subtls: await size(subtlsClient) };
}

// --- in the page ---------------------------------------------------------------------------------

interface PageArgs {
  readonly url: string;
  readonly ca: string;
  readonly count: number;
  readonly bytes: number;
  readonly group: 'default' | 'P-256';
  /** typetls's `webCrypto` option (true: its default). */
  readonly webCrypto?: boolean;
}

/** In the page: `count` typetls handshakes, each from new WebSocket to `opened`; milliseconds each. */
async function typetlsHandshakes({ url, ca, count, group, webCrypto }: PageArgs): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const socket = typetls.connect(typetls.webSocketTransport(new WebSocket(url) as never), {
      servername: 'localhost',
      ca,
      minVersion: 'TLSv1.3',
      webCrypto: webCrypto ?? true,
      ...(group === 'P-256' ? { ecdhCurve: 'P-256' } : {}),
    });
    await socket.opened;
    times.push(performance.now() - t0);
    // As subtls's loop does: the next connection starts once this one is closed.
    await socket.close();
    await socket.closed;
  }
  return times;
}

/** In the page: `count` subtls handshakes, each from new WebSocket to startTls() resolving (the server's Finished checked). */
async function subtlsHandshakes({ url, ca, count }: PageArgs): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    // (Page functions go to the page as source, so each opens its connection itself.)
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    await new Promise<void>((resolve) => ws.addEventListener('open', () => resolve(), { once: true }));
    const queue = new subtls.WebSocketReadQueue(ws);
    await subtls.startTls('localhost', ca, queue.read.bind(queue), (d) => ws.send(d));
    times.push(performance.now() - t0);
    ws.close();
    await new Promise<void>((resolve) => ws.addEventListener('close', () => resolve(), { once: true }));
  }
  return times;
}

/** In the page: downloads `bytes` (and the HTTP head) with typetls; MB/s from the request to the last byte. */
async function typetlsBulk({ url, ca, bytes, webCrypto }: PageArgs): Promise<{ mbps: number; cipher: string }> {
  const socket = typetls.connect(typetls.webSocketTransport(new WebSocket(url) as never), { servername: 'localhost', ca, minVersion: 'TLSv1.3', webCrypto: webCrypto ?? true });
  const info = await socket.opened;
  const writer = socket.writable.getWriter();
  const t0 = performance.now();
  await writer.write(new TextEncoder().encode('GET /bulk.bin HTTP/1.0\r\n\r\n'));
  writer.releaseLock();
  const reader = socket.readable.getReader();
  let got = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    got += value.length;
  }
  const seconds = (performance.now() - t0) / 1000;
  await socket.close();
  if (got < bytes) throw new Error(`typetls received ${got} of ${bytes} bytes`);
  return { mbps: bytes / seconds / 1e6, cipher: info.cipher };
}

/** In the page: the same download over the same relay with no TLS at all: what the WebSocket carries at most. */
async function rawBulk({ url, bytes }: PageArgs): Promise<{ mbps: number }> {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  await new Promise<void>((resolve) => ws.addEventListener('open', () => resolve(), { once: true }));
  let got = 0;
  let t1 = 0;
  const t0 = performance.now();
  const closed = new Promise<void>((resolve) => ws.addEventListener('close', () => resolve(), { once: true }));
  (ws as unknown as { addEventListener(t: 'message', f: (e: { data: ArrayBuffer }) => void): void }).addEventListener('message', (e) => {
    got += e.data.byteLength;
    t1 = performance.now();
  });
  ws.send(new TextEncoder().encode('GET /bulk.bin HTTP/1.0\r\n\r\n'));
  await closed;
  const seconds = (t1 - t0) / 1000;
  if (got < bytes) throw new Error(`the raw WebSocket received ${got} of ${bytes} bytes`);
  return { mbps: bytes / seconds / 1e6 };
}

/**
 * A plain TCP server in its own process (as s_server is): on the first bytes received it sends the
 * file and closes.
 */
async function startRawServer(file: string): Promise<{ port: number; stop(): Promise<void> }> {
  const source = `const net = require('node:net'); const fs = require('node:fs'); const data = fs.readFileSync(${JSON.stringify(file)});
    const server = net.createServer((s) => s.once('data', () => s.end(data))); server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', () => reject(new Error('the raw server exited')));
  });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

/** In the page: the same download with subtls. */
async function subtlsBulk({ url, ca, bytes }: PageArgs): Promise<{ mbps: number; cipher: string }> {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  await new Promise<void>((resolve) => ws.addEventListener('open', () => resolve(), { once: true }));
  const queue = new subtls.WebSocketReadQueue(ws);
  const tls = await subtls.startTls('localhost', ca, queue.read.bind(queue), (d) => ws.send(d));
  const t0 = performance.now();
  await tls.write(new TextEncoder().encode('GET /bulk.bin HTTP/1.0\r\n\r\n'));
  let got = 0;
  for (;;) {
    const record = await tls.read();
    if (record === undefined) break;
    got += record.length;
  }
  const seconds = (performance.now() - t0) / 1000;
  ws.close();
  if (got < bytes) throw new Error(`subtls received ${got} of ${bytes} bytes`);
  return { mbps: bytes / seconds / 1e6, cipher: 'TLS_AES_128_GCM_SHA256' };
}

/**
 * The page's main-thread busy time (CDP Performance.getMetrics TaskDuration) that `f` takes, in ms: the
 * CPU a client costs the page, which a loaded machine stretches far less than the elapsed time.
 */
async function mainThreadMs<T>(page: BarePage, f: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const before = await page.taskMs();
  const result = await f();
  return { result, ms: (await page.taskMs()) - before };
}

// --- Node: the two providers ------------------------------------------------------------------

interface ProviderFigures {
  readonly handshakesPerSecond: number;
  readonly aesMBps: number;
  readonly chachaMBps: number;
}

function nodeProviderFigures(provider: CryptoProvider, pki: TestPki, options: Options): ProviderFigures {
  const certs = (path: string) => pemDecode(readFileSync(path, 'utf8')).map((b) => parseCertificate(b.der));
  const key: CertifiedKey = { chain: certs(pki.ecdsaCert), key: provider.loadPrivateKey(readFileSync(pki.ecdsaKey, 'utf8')) };
  const server = serverConfig({ provider, certificates: [key] });
  const roots = certs(pki.caCert);
  const pair = (suite?: string) => {
    const client = new ClientConnection(clientConfig({ provider, roots, minVersion: 0x0304, ...(suite ? { cipherSuites: [suiteByName(suite)!.id] } : {}) }), { serverName: 'localhost' });
    const s = new ServerConnection(server);
    const pump = (): void => {
      for (;;) {
        const c = client.takeOutput();
        const o = s.takeOutput();
        if (c.length === 0 && o.length === 0) return;
        if (c.length) {
          s.receive(c);
          for (const e of s.process()) if (e.type === 'error') throw e.error;
        }
        if (o.length) {
          client.receive(o);
          for (const e of client.process()) if (e.type === 'error') throw e.error;
        }
      }
    };
    pump();
    return { client, server: s, pump };
  };
  const handshakes = (ms: number): number => {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      pair();
      n++;
    }
    return n / ((performance.now() - t0) / 1000);
  };
  const bulk = (suite: string, bytes: number): number => {
    const { client, pump } = pair(suite);
    const chunk = new Uint8Array(16384).fill(0x61);
    const t0 = performance.now();
    for (let sent = 0; sent < bytes; sent += chunk.length) {
      client.write(chunk);
      pump();
    }
    return bytes / ((performance.now() - t0) / 1000) / 1e6;
  };
  handshakes(300);
  const runs = Array.from({ length: options.rounds }, () => ({
    hs: handshakes(options.handshakes > 10 ? 2000 : 300),
    aes: bulk('TLS_AES_128_GCM_SHA256', options.mib * 1024 * 1024),
    chacha: bulk('TLS_CHACHA20_POLY1305_SHA256', options.mib * 1024 * 1024),
  }));
  return { handshakesPerSecond: median(runs.map((r) => r.hs)), aesMBps: median(runs.map((r) => r.aes)), chachaMBps: median(runs.map((r) => r.chacha)) };
}

// --- the run -----------------------------------------------------------------------------------

export interface WebReport {
  readonly browser: string;
  readonly handshakeMs: Record<string, { typetls: number; typetlsP256: number; portableP256: number; subtls: number }>;
  /** Page main-thread ms per handshake (typetls held to P-256, with and without WebCrypto; subtls). */
  readonly handshakeCpuMs: Record<string, { typetlsP256: number; portableP256: number; subtls: number }>;
  readonly bulkMBps: Record<string, { typetls: number; portable: number; subtls: number | undefined }>;
  /** Page main-thread ms per MiB downloaded. */
  readonly bulkCpuMsPerMiB: Record<string, { typetls: number; portable: number; subtls: number | undefined }>;
  /** The same download through the same relay without TLS. */
  readonly rawMBps: number;
  readonly rawCpuMsPerMiB: number;
  readonly node: { portable: ProviderFigures; node: ProviderFigures };
  readonly sizes: Sizes;
}

async function run(options: Options): Promise<WebReport> {
  const pki = await makeTestPki();
  const ca = readFileSync(pki.caCert, 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'typetls-bench-web-'));
  const bytes = options.mib * 1024 * 1024;
  writeFileSync(join(dir, 'bulk.bin'), Buffer.alloc(bytes, 0x61));
  const script = (await bundleForBrowser(typetlsClient, 'typetls')) + (await bundleForBrowser(subtlsClient, 'subtls'));
  const pages = await startPageServer({
    '/': ['text/html; charset=utf-8', '<!doctype html><link rel="icon" href="data:,"><title>bench</title><script src="/clients.js"></script>'],
    '/clients.js': ['text/javascript; charset=utf-8', script],
  });
  // Over the bare DevTools protocol: a page driven by playwright has every WebSocket frame copied to the driver.
  const page = await startBarePage(`${pages.url}/`).catch(async (e: unknown) => {
    await pages.close();
    throw e;
  });
  const servers: OpensslServer[] = [];
  try {
    const version = page.version;
    // One s_server per configuration, serving files from `dir` (-WWW); each behind its own relay.
    const serve = async (cert: string, key: string, suites: string, chain?: string) => {
      const server = await startOpensslServer(['-cert', cert, '-key', key, ...(chain ? ['-cert_chain', chain] : []), '-tls1_3', '-ciphersuites', suites, '-WWW', '-quiet'], 10_000, { cwd: dir });
      servers.push(server);
      return startRelay(server.port, { record: false });
    };
    const handshakeMs: WebReport['handshakeMs'] = {};
    const handshakeCpuMs: WebReport['handshakeCpuMs'] = {};
    // A chain shaped like Let's Encrypt's ECDSA one: the test CA signs with RSA, cheap in JavaScript; its two P-384 signatures are not.
    const ec = await makeEcdsaChainPki();
    const servers13 = [
      ['ECDSA P-256', pki.ecdsaCert, pki.ecdsaKey, ca, undefined],
      ['RSA-2048', pki.rsaCert, pki.rsaKey, ca, undefined],
      ['P-384 ECDSA root and intermediate, ECDSA P-256', ec.leafCert, ec.leafKey, readFileSync(ec.rootCert, 'utf8'), ec.intermediateCert],
    ] as const;
    for (const [name, cert, key, trusted, chain] of servers13) {
      const relay = await serve(cert, key, 'TLS_AES_128_GCM_SHA256', chain);
      const args: PageArgs = { url: relay.url, ca: trusted, count: options.handshakes, bytes, group: 'default' };
      const t: number[] = [];
      const p: number[] = [];
      const s: number[] = [];
      const o: number[] = [];
      let pCpu = 0;
      let oCpu = 0;
      let sCpu = 0;
      // Warm-up, then rounds that alternate which client goes first.
      await page.evaluate(typetlsHandshakes, { ...args, count: 2 });
      await page.evaluate(subtlsHandshakes, { ...args, count: 2 });
      for (let round = 0; round < options.rounds; round++) {
        const ours = async () => {
          t.push(...(await page.evaluate(typetlsHandshakes, args)));
          const m = await mainThreadMs(page, () => page.evaluate(typetlsHandshakes, { ...args, group: 'P-256' as const }));
          p.push(...m.result);
          pCpu += m.ms;
          const n = await mainThreadMs(page, () => page.evaluate(typetlsHandshakes, { ...args, group: 'P-256' as const, webCrypto: false }));
          o.push(...n.result);
          oCpu += n.ms;
        };
        const theirs = async () => {
          const m = await mainThreadMs(page, () => page.evaluate(subtlsHandshakes, args));
          s.push(...m.result);
          sCpu += m.ms;
        };
        if (round % 2) await theirs().then(ours);
        else await ours().then(theirs);
      }
      handshakeMs[name] = { typetls: median(t), typetlsP256: median(p), portableP256: median(o), subtls: median(s) };
      handshakeCpuMs[name] = { typetlsP256: pCpu / p.length, portableP256: oCpu / o.length, subtls: sCpu / s.length };
      await relay.close();
    }
    const bulkMBps: WebReport['bulkMBps'] = {};
    const bulkCpuMsPerMiB: WebReport['bulkCpuMsPerMiB'] = {};
    const mib = bytes / (1024 * 1024);
    for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_CHACHA20_POLY1305_SHA256']) {
      const relay = await serve(pki.ecdsaCert, pki.ecdsaKey, suite);
      const args: PageArgs = { url: relay.url, ca, count: 1, bytes, group: 'default' };
      const aes = suite === 'TLS_AES_128_GCM_SHA256';
      const t: number[] = [];
      const o: number[] = [];
      const s: number[] = [];
      const cpu = { typetls: 0, portable: 0, subtls: 0 };
      for (let round = 0; round < options.rounds; round++) {
        for (const webCrypto of [true, false]) {
          const m = await mainThreadMs(page, () => page.evaluate(typetlsBulk, { ...args, webCrypto }));
          if (m.result.cipher !== suite) throw new Error(`typetls negotiated ${m.result.cipher}, not ${suite}`);
          (webCrypto ? t : o).push(m.result.mbps);
          cpu[webCrypto ? 'typetls' : 'portable'] += m.ms / mib / options.rounds;
        }
        if (aes) {
          const m = await mainThreadMs(page, () => page.evaluate(subtlsBulk, args));
          s.push(m.result.mbps);
          cpu.subtls += m.ms / mib / options.rounds;
        }
      }
      bulkMBps[suite] = { typetls: median(t), portable: median(o), subtls: aes ? median(s) : undefined };
      bulkCpuMsPerMiB[suite] = { typetls: cpu.typetls, portable: cpu.portable, subtls: aes ? cpu.subtls : undefined };
      await relay.close();
    }
    const raw = await startRawServer(join(dir, 'bulk.bin'));
    let rawMBps: number;
    let rawCpu = 0;
    try {
      const relay = await startRelay(raw.port, { record: false });
      const r: number[] = [];
      for (let round = 0; round < options.rounds; round++) {
        const m = await mainThreadMs(page, () => page.evaluate(rawBulk, { url: relay.url, ca, count: 1, bytes, group: 'default' as const }));
        r.push(m.result.mbps);
        rawCpu += m.ms / mib / options.rounds;
      }
      rawMBps = median(r);
      await relay.close();
    } finally {
      await raw.stop();
    }
    if (page.errors.length > 0) throw new Error(`the page logged errors: ${page.errors.join('; ')}`);
    const node = { portable: nodeProviderFigures(portableCryptoProvider, pki, options), node: nodeProviderFigures(nodeCryptoProvider, pki, options) };
    return { browser: version, handshakeMs, handshakeCpuMs, bulkMBps, bulkCpuMsPerMiB, rawMBps, rawCpuMsPerMiB: rawCpu, node, sizes: await bundleSizes() };
  } finally {
    await page.stop();
    await pages.close();
    await Promise.all(servers.map((s) => s.stop()));
    await stopAllPeers();
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- the table -----------------------------------------------------------------------------------

const f1 = (x: number): string => x.toFixed(1);
const ratio = (x: number): string => `${x.toFixed(2)}×`;

export function table(r: WebReport, options: Options): string {
  const lines = [
    `Chromium ${r.browser} (headless), one page; openssl s_server -WWW behind a WebSocket→TCP relay on 127.0.0.1; medians of ${options.rounds} rounds.`,
    '',
    `| TLS 1.3 handshake (ms, new WebSocket → server Finished verified; ${options.handshakes} per round) | typetls (X25519MLKEM768) | typetls (P-256) | typetls (P-256, webCrypto: false) | subtls (P-256) | subtls ÷ typetls (P-256) | page CPU ms, typetls (P-256) / webCrypto: false / subtls |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...Object.entries(r.handshakeMs).map(([name, h]) => {
      const c = r.handshakeCpuMs[name]!;
      return `| ${name} server certificate | ${f1(h.typetls)} | ${f1(h.typetlsP256)} | ${f1(h.portableP256)} | ${f1(h.subtls)} | ${ratio(h.subtls / h.typetlsP256)} | ${f1(c.typetlsP256)} / ${f1(c.portableP256)} / ${f1(c.subtls)} |`;
    }),
    '',
    `| Bulk download (MB/s, ${options.mib} MiB file, ECDSA server) | typetls | typetls (webCrypto: false) | subtls | typetls ÷ subtls | page CPU ms per MiB, typetls / webCrypto: false / subtls |`,
    '| --- | --- | --- | --- | --- | --- |',
    ...Object.entries(r.bulkMBps).map(([suite, b]) => {
      const c = r.bulkCpuMsPerMiB[suite]!;
      const theirs = b.subtls === undefined ? '(not offered) | —' : `${f1(b.subtls)} | ${ratio(b.typetls / b.subtls)}`;
      return `| ${suite} | ${f1(b.typetls)} | ${f1(b.portable)} | ${theirs} | ${f1(c.typetls)} / ${f1(c.portable)} / ${c.subtls === undefined ? '—' : f1(c.subtls)} |`;
    }),
    `| no TLS: the same file through the same relay from a plain TCP server | ${f1(r.rawMBps)} | | | | ${f1(r.rawCpuMsPerMiB)} |`,
    '',
    '| Node, in-memory pair, TLS 1.3, ECDSA P-256 | portable provider | node:crypto provider | portable ÷ node |',
    '| --- | --- | --- | --- |',
    `| handshakes/s (client and server in one process) | ${f1(r.node.portable.handshakesPerSecond)} | ${f1(r.node.node.handshakesPerSecond)} | ${ratio(r.node.portable.handshakesPerSecond / r.node.node.handshakesPerSecond)} |`,
    `| AES-128-GCM MB/s (seal + open) | ${f1(r.node.portable.aesMBps)} | ${f1(r.node.node.aesMBps)} | ${ratio(r.node.portable.aesMBps / r.node.node.aesMBps)} |`,
    `| ChaCha20-Poly1305 MB/s (seal + open) | ${f1(r.node.portable.chachaMBps)} | ${f1(r.node.node.chachaMBps)} | ${ratio(r.node.portable.chachaMBps / r.node.node.chachaMBps)} |`,
    '',
    '| Client bundle (esbuild, browser, minified) | bytes | gzipped |',
    '| --- | --- | --- |',
    `| typetls/web: connect + webSocketTransport | ${r.sizes.typetls.minified} | ${r.sizes.typetls.gzipped} |`,
    `| subtls 0.5.0: startTls + WebSocketReadQueue | ${r.sizes.subtls.minified} | ${r.sizes.subtls.gzipped} |`,
  ];
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const options = parseArgs(process.argv.slice(2));
  const report = await run(options);
  console.log(options.json ? JSON.stringify(report, null, 2) : table(report, options));
}
