// Headless Chromium for the tests and the benchmark that run typetls/web in a real page: Debian's
// /usr/bin/chromium (never a downloaded browser), started here with a fresh profile and driven through
// the DevTools protocol by playwright-core; stopped by its PID. And the esbuild bundle the pages load.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { chromiumFlags, chromiumPath } from './chromium.js';

/** The package root: dist/test/ → ../../ */
export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Bundles `contents` (an ES module that imports typetls/web through the package's "exports", or subtls) for
 * the browser, as a script setting `globalName`. `crypto` stays external: subtls imports it only where
 * globalThis.crypto.subtle is missing, never in a page.
 */
export async function bundleForBrowser(contents: string, globalName = 'typetls', minify = false): Promise<string> {
  const result = await esbuild.build({
    stdin: { contents, resolveDir: packageRoot, loader: 'js' },
    bundle: true,
    platform: 'browser',
    conditions: ['browser'],
    format: 'iife',
    globalName,
    minify,
    external: ['crypto'],
    write: false,
    logLevel: 'silent',
    absWorkingDir: packageRoot,
  });
  return result.outputFiles[0]!.text;
}

/** A static HTTP server on 127.0.0.1 for the test pages: path → [content type, body]. */
export async function startPageServer(files: Record<string, readonly [string, string | Uint8Array]>): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1]);
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RunningChromium {
  readonly browser: Browser;
  readonly pid: number;
  /** A new page (tab); its console errors are kept in `errors`. */
  newPage(): Promise<Page>;
  readonly errors: string[];
  /** Closes the browser, stops the process by its PID and removes the profile. */
  stop(): Promise<void>;
}

/** A Chromium process with a fresh profile, listening for the DevTools protocol. */
interface LaunchedChromium {
  readonly pid: number;
  /** The browser's DevTools WebSocket URL. */
  readonly endpoint: string;
  /** Stops the process group by its PID and removes the profile. */
  stop(): Promise<void>;
}

async function launchChromium(): Promise<LaunchedChromium> {
  const profile = mkdtempSync(join(tmpdir(), 'typetls-chromium-'));
  // Its own process group (its PID), so that stopping it stops its helpers too (renderer, GPU, crash
  // handler), which otherwise go on writing into the profile after the browser process has exited.
  const child = spawn(chromiumPath, [...chromiumFlags, `--user-data-dir=${profile}`, '--remote-debugging-port=0', 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // the group is gone
    }
  };
  const stop = async (): Promise<void> => {
    if (child.pid === undefined) return;
    if (child.exitCode === null && child.signalCode === null) {
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    // Helpers still shutting down: the group once more, then the profile. A profile a late helper
    // still writes into is left in the temp folder rather than failing the test's cleanup.
    signalGroup('SIGKILL');
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
    } catch (e) {
      console.error(`chromium profile ${profile} not removed: ${(e as Error).message}`);
    }
  };
  try {
    return { pid: child.pid!, endpoint: await devToolsEndpoint(child), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Starts Chromium with a fresh profile and connects to it over the DevTools protocol. */
export async function startChromium(): Promise<RunningChromium> {
  const launched = await launchChromium();
  let browser: Browser;
  try {
    browser = await chromium.connectOverCDP(launched.endpoint);
  } catch (e) {
    await launched.stop();
    throw e;
  }
  const errors: string[] = [];
  return {
    browser,
    pid: launched.pid,
    errors,
    newPage: async () => {
      const context = browser.contexts()[0] ?? (await browser.newContext());
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      return page;
    },
    stop: async () => {
      await browser.close().catch(() => undefined);
      await launched.stop();
    },
  };
}

/** One page driven over the bare DevTools protocol, for the benchmark. */
export interface BarePage {
  /** Chromium's version ("156.0.8078.129"). */
  readonly version: string;
  /** Runs `f(arg)` in the page (as source: it may use only the page's globals) and returns its result. */
  evaluate<A, R>(f: (arg: A) => Promise<R> | R, arg: A): Promise<R>;
  /** The page's main-thread busy time so far, in ms (Performance.getMetrics TaskDuration). */
  taskMs(): Promise<number>;
  /** Sends a DevTools protocol command to the page (e.g. Profiler.start) and returns its result. */
  send(method: string, params?: object): Promise<Record<string, any>>;
  /** Exceptions and console errors the page reported. */
  readonly errors: string[];
  /** Closes the connection, stops Chromium by its PID and removes the profile. */
  stop(): Promise<void>;
}

/**
 * Chromium with one page at `url`, driven through the DevTools protocol with nothing enabled but
 * Runtime and Performance. playwright enables the Network domain on every page it drives, and then
 * Chromium copies every WebSocket frame, base64-encoded, to the driver: a page so watched receives
 * WebSocket data at a fraction of its rate (here 30–60 MB/s against 190), which is no figure of the
 * page's own. The benchmark measures what a page costs without a debugger attached.
 */
export async function startBarePage(url: string): Promise<BarePage> {
  const launched = await launchChromium();
  let ws: WebSocket | undefined;
  try {
    ws = new WebSocket(launched.endpoint, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
    const socket = ws;
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    let nextId = 0;
    const pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
    const errors: string[] = [];
    socket.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString('utf8')) as { id?: number; method?: string; params?: Record<string, any>; result?: Record<string, unknown>; error?: { message: string } };
      if (m.id !== undefined) {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.error) p?.reject(new Error(m.error.message));
        else p?.resolve(m.result ?? {});
      } else if (m.method === 'Runtime.exceptionThrown') {
        const d = m.params!.exceptionDetails;
        errors.push(String(d.exception?.description ?? d.text));
      } else if (m.method === 'Runtime.consoleAPICalled' && m.params!.type === 'error') {
        errors.push(m.params!.args.map((a: { value?: unknown; description?: string }) => String(a.value ?? a.description)).join(' '));
      }
    });
    socket.on('close', () => {
      for (const p of pending.values()) p.reject(new Error('the DevTools connection closed'));
      pending.clear();
    });
    const send = (method: string, params: object = {}, sessionId?: string): Promise<Record<string, any>> =>
      new Promise((resolve, reject) => {
        const id = ++nextId;
        pending.set(id, { resolve, reject });
        socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
      });
    const version = String((await send('Browser.getVersion')).product).replace(/^[^/]*\//, '');
    const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    await send('Runtime.enable', {}, sessionId);
    await send('Performance.enable', {}, sessionId);
    await send('Page.enable', {}, sessionId);
    const loaded = new Promise<void>((resolve) => {
      const onLoad = (data: Buffer): void => {
        const m = JSON.parse(data.toString('utf8')) as { method?: string; sessionId?: string };
        if (m.method === 'Page.loadEventFired' && m.sessionId === sessionId) {
          socket.off('message', onLoad);
          resolve();
        }
      };
      socket.on('message', onLoad);
    });
    await send('Page.navigate', { url }, sessionId);
    await loaded;
    await send('Page.disable', {}, sessionId);
    return {
      version,
      errors,
      send: (method, params) => send(method, params, sessionId),
      evaluate: async (f, arg) => {
        const r = await send('Runtime.evaluate', { expression: `(${f.toString()})(${JSON.stringify(arg)})`, awaitPromise: true, returnByValue: true }, sessionId);
        if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
        return r.result.value;
      },
      taskMs: async () => {
        const { metrics } = await send('Performance.getMetrics', {}, sessionId);
        return ((metrics as { name: string; value: number }[]).find((m) => m.name === 'TaskDuration')?.value ?? 0) * 1000;
      },
      stop: async () => {
        socket.close();
        await launched.stop();
      },
    };
  } catch (e) {
    ws?.close();
    await launched.stop();
    throw e;
  }
}

/** Reads "DevTools listening on ws://…" from Chromium's stderr. */
function devToolsEndpoint(child: ChildProcess, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => done(new Error(`chromium did not start within ${timeoutMs} ms: ${text.slice(-500)}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (m) done(undefined, m[1]);
    };
    const onExit = (code: number | null): void => done(new Error(`chromium exited (${code}) before it listened: ${text.slice(-500)}`));
    const onError = (e: Error): void => done(e);
    function done(error: Error | undefined, endpoint?: string): void {
      clearTimeout(timer);
      child.stderr!.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      // Keep draining stderr so Chromium never blocks on a full pipe.
      child.stderr!.resume();
      if (error) reject(error);
      else resolve(endpoint!);
    }
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}
