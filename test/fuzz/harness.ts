// The fuzz loop both the bounded smoke test (test/mutate.test.ts) and the long
// runner (test/fuzz/run.ts) use: replay recorded flights into a fresh engine,
// one of them mutated, and check the engine's invariants after every input.
//
// Invariants (src/connection.ts's contract):
// - receive(), process() and takeOutput() never throw;
// - every 'error' event carries a TlsError with a non-empty string `code`, and it is `conn.error`;
// - the output of the step that failed holds at most one alert record, as its last record, and
//   (when readable, i.e. unencrypted) that alert is fatal with the description alertFor(error) chose;
//   a peer_alert failure sends no alert at all;
// - after a failure nothing more is written, whatever comes in, and the same error is returned;
// - 'data' only after 'handshakeDone'; every process() returns (timed).

import { constants, publicEncrypt, type KeyObject } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { clientConfig, serverConfig, type CertifiedKey, type ConfigOptions, type ClientConfig, type ServerConfig } from '../../src/config.js';
import { ClientConnection, ServerConnection, type Connection, type ConnectionEvent } from '../../src/connection.js';
import { nodeCryptoProvider } from '../../src/crypto/node.js';
import type { CryptoProvider, PublicKey } from '../../src/crypto/provider.js';
import { alertFor, TlsError } from '../../src/errors.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { pemDecode } from '../../src/x509/pem.js';
import { chunk, concatBytes, findRecords, fromHex, mutate, Rng, toHex, type MutationName } from './mutator.js';

/** test/recorded/, found from the compiled file (dist/test/fuzz/) or the source (test/fuzz/). */
export function recordedDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.includes('/dist/') ? fileURLToPath(new URL('../../../test/recorded/', import.meta.url)) : fileURLToPath(new URL('../recorded/', import.meta.url));
}

/**
 * A provider whose random() is a seeded stream, so a recorded handshake replays with the same randoms.
 * Its RSA encryption pads with the same stream (RFC 8017 Section 7.2.1, then raw RSA), so a client's
 * RSA ClientKeyExchange comes out the same too and a replayed RSA handshake completes for both roles.
 */
export function seededProvider(seed: number): CryptoProvider {
  const rng = new Rng(seed);
  const rsaEncryptPkcs1 = (key: PublicKey, data: Uint8Array): Uint8Array => {
    const k = (key.bits + 7) >> 3;
    const em = new Uint8Array(k);
    em[1] = 2;
    for (let i = 2; i < k - data.length - 1; i++) em[i] = 1 + rng.below(255);
    em.set(data, k - data.length);
    try {
      return new Uint8Array(publicEncrypt({ key: key.handle as KeyObject, padding: constants.RSA_NO_PADDING }, em));
    } catch {
      // As the node provider does: a modulus OpenSSL refuses is the certificate's fault.
      throw new TlsError('bad_certificate', 'server RSA key cannot encrypt: its modulus is malformed');
    }
  };
  return new Proxy(nodeCryptoProvider, {
    get(target, prop) {
      if (prop === 'random') return (n: number) => rng.bytes(n);
      if (prop === 'rsaEncryptPkcs1') return rsaEncryptPkcs1;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Seeds the recorder uses: the same numbers make a fresh engine draw the recorded randoms. */
export const RECORD_CLIENT_SEED = 0xc11e47;
export const RECORD_SERVER_SEED = 0x5e4e4;

/** One recorded conversation: the flights each side sent, in order. */
export interface Recording {
  readonly name: string;
  /** Free text from the file's '#' lines: the suite and how it was made. */
  readonly notes: string[];
  /** The cipher suite id the recording used, from a '# suite 0x....' line, if any. */
  readonly suite: number | undefined;
  /** The highest version both engines were allowed, from a '# max-version 0x....' line; TLS 1.2 without one. */
  readonly maxVersion: number;
  readonly flights: readonly { readonly from: 'client' | 'server'; readonly bytes: Uint8Array }[];
}

/** Reads a .hex recording: '#' comment lines, then one flight a line, 'client <hex>' or 'server <hex>'. */
export function parseRecording(name: string, text: string): Recording {
  const notes: string[] = [];
  const flights: { from: 'client' | 'server'; bytes: Uint8Array }[] = [];
  let suite: number | undefined;
  let maxVersion = 0x0303;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      notes.push(line.slice(1).trim());
      const m = /^#\s*suite\s+0x([0-9a-f]+)/i.exec(line);
      if (m) suite = parseInt(m[1]!, 16);
      const v = /^#\s*max-version\s+0x([0-9a-f]+)/i.exec(line);
      if (v) maxVersion = parseInt(v[1]!, 16);
      continue;
    }
    const [from, hex] = line.split(/\s+/, 2);
    if ((from !== 'client' && from !== 'server') || hex === undefined) throw new Error(`${name}: bad line ${line.slice(0, 40)}`);
    flights.push({ from, bytes: fromHex(hex) });
  }
  return { name, notes, suite, maxVersion, flights };
}

export function loadRecordings(dir = recordedDir()): Recording[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.hex'))
    .sort()
    .map((f) => parseRecording(f, readFileSync(dir + f, 'utf8')));
}

let serverKey: CertifiedKey | undefined;
/** The committed RSA server key and self-signed certificate the recordings were made with (read once). */
export function recordedServerKey(): CertifiedKey {
  if (serverKey) return serverKey;
  const pem = readFileSync(recordedDir() + 'server.pem', 'utf8');
  const chain = pemDecode(pem)
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => parseCertificate(b.der));
  serverKey = { chain, key: nodeCryptoProvider.loadPrivateKey(pem) };
  return serverKey;
}

export function fuzzClientConfig(provider: CryptoProvider, options: Partial<ClientConfig> = {}): ClientConfig {
  // The recorded certificate is self-signed: the client accepts it unverified and goes on.
  return clientConfig({ provider, maxVersion: 0x0303, rejectUnauthorized: false, ...options } as ConfigOptions<ClientConfig>);
}

export function fuzzServerConfig(provider: CryptoProvider, options: Partial<ServerConfig> = {}): ServerConfig {
  return serverConfig({ provider, maxVersion: 0x0303, certificates: [recordedServerKey()], ...options } as ConfigOptions<ServerConfig>);
}

/** An engine under test: every call wrapped, every invariant checked after every input. */
export class Watched {
  failure: TlsError | undefined;
  handshakeDone = false;
  violations: string[] = [];
  /** The slowest process() call seen, in ms. */
  slowest = 0;

  /**
   * With `owned`, the engine is driven as the node adapter drives it over a socket: every input is
   * a fresh copy handed over with receive(bytes, { owned: true }) (decrypted in place), and every
   * output is handed back with recycleOutput() (sealed into again).
   */
  constructor(readonly conn: Connection, private readonly maxMillis = 2000, private readonly owned = false) {
    this.collect(() => [], 'constructor');
  }

  /** Delivers bytes (possibly empty: a bare process()), then checks. */
  feed(bytes: Uint8Array): void {
    this.collect(() => {
      if (this.owned) this.conn.receive(bytes.slice(), { owned: true });
      else this.conn.receive(bytes);
      return this.conn.process();
    }, `feed(${bytes.length})`);
  }

  private collect(run: () => ConnectionEvent[], what: string): void {
    const failedBefore = this.failure;
    let events: ConnectionEvent[];
    let output: Uint8Array;
    const start = performance.now();
    try {
      events = run();
    } catch (e) {
      this.violations.push(`${what} threw: ${describe(e)}`);
      return;
    }
    const took = performance.now() - start;
    this.slowest = Math.max(this.slowest, took);
    if (took > this.maxMillis) this.violations.push(`${what} took ${took.toFixed(0)} ms`);
    try {
      output = this.conn.takeOutput();
    } catch (e) {
      this.violations.push(`takeOutput threw: ${describe(e)}`);
      return;
    }

    for (const ev of events) {
      if (ev.type === 'handshakeDone') this.handshakeDone = true;
      if (ev.type === 'data' && !this.handshakeDone) this.violations.push('data event before handshakeDone');
      if (ev.type !== 'error') continue;
      const err = ev.error as unknown;
      if (!(err instanceof TlsError)) {
        this.violations.push(`error event carries ${describe(err)}, not a TlsError`);
        continue;
      }
      if (typeof err.code !== 'string' || err.code.length === 0) this.violations.push(`TlsError without a code: ${err.message}`);
      if (this.failure === undefined) this.failure = err;
      else if (err !== this.failure) this.violations.push(`a second, different error: ${err.code} after ${this.failure.code}`);
    }
    if (this.failure && this.conn.error !== this.failure) this.violations.push('conn.error is not the error event');
    if (!this.failure && this.conn.error) this.violations.push(`conn.error ${this.conn.error.code} set without an error event`);

    if (failedBefore) {
      if (output.length > 0) this.violations.push(`${output.length} bytes written after the failure (${failedBefore.code})`);
      if (events.length !== 1 || events[0]!.type !== 'error') this.violations.push(`events after the failure: ${events.map((e) => e.type).join(',')}`);
      return;
    }
    if (this.failure) this.checkFailureOutput(this.failure, output);
    // Read and checked: as a socket's write callback would, hand the memory back.
    if (this.owned) this.conn.recycleOutput(output);
  }

  /** The output of the step that failed: its records, at most one alert, last, and the right one when readable. */
  private checkFailureOutput(err: TlsError, output: Uint8Array): void {
    const records = findRecords(output);
    const covered = records.reduce((n, r) => n + 5 + r.length, 0);
    if (covered !== output.length) {
      this.violations.push(`failure output is not whole records (${covered} of ${output.length} bytes)`);
      return;
    }
    const alerts = records.filter((r) => r.type === 21);
    const expected = alertFor(err);
    if (expected === undefined) {
      if (alerts.length > 0) this.violations.push(`${err.code}: an alert was sent for a failure that sends none`);
      return;
    }
    if (alerts.length > 1) this.violations.push(`${err.code}: ${alerts.length} alert records sent`);
    if (alerts.length === 1) {
      const a = alerts[0]!;
      if (records[records.length - 1] !== a) this.violations.push(`${err.code}: records written after the fatal alert`);
      if (a.length === 2) {
        const level = output[a.offset + 5]!;
        const description = output[a.offset + 6]!;
        if (level !== 2 || description !== expected) {
          this.violations.push(`${err.code}: alert ${level}/${description}, expected 2/${expected}`);
        }
      }
    } else if (records.length === 0 || records[records.length - 1]!.type !== 23) {
      // Encrypted TLS 1.3 alerts travel as application_data; anything else must be an alert record.
      this.violations.push(`${err.code}: no alert record sent`);
    }
  }

  /** After a failure: write() throws the sticky TlsError, close() and more input write nothing. */
  checkSilence(): void {
    if (!this.failure) return;
    try {
      this.conn.write(Uint8Array.of(1, 2, 3));
      this.violations.push('write() after the failure did not throw');
    } catch (e) {
      if (e !== this.failure) this.violations.push(`write() after the failure threw ${describe(e)}, not the sticky error`);
    }
    try {
      this.conn.close();
    } catch (e) {
      this.violations.push(`close() after the failure threw ${describe(e)}`);
    }
    this.feed(Uint8Array.of(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28));
  }
}

function describe(e: unknown): string {
  if (e instanceof TlsError) return `TlsError ${e.code}: ${e.message}`;
  if (e instanceof Error) return `${e.name}: ${e.message}\n${e.stack ?? ''}`;
  return String(e);
}

/** Which side of a recording the engine under test plays. */
export type Role = 'client' | 'server';

/** A fresh engine in `role` for a recording: seeded so that, unmutated, it draws the recorded randoms. */
export function freshEngine(role: Role, rec: Recording): Connection {
  const only = { maxVersion: rec.maxVersion, ...(rec.suite === undefined ? {} : { cipherSuites: [rec.suite] }) };
  if (role === 'server') return new ServerConnection(fuzzServerConfig(seededProvider(RECORD_SERVER_SEED), only));
  return new ClientConnection(fuzzClientConfig(seededProvider(RECORD_CLIENT_SEED), only), { serverName: 'localhost' });
}

export interface Execution {
  readonly recording: string;
  readonly role: Role;
  /** The flights delivered, in order, after mutation. */
  readonly inputs: Uint8Array[];
  readonly applied: MutationName[];
  readonly outcome: string;
  /** The failure's message, when it failed (to tell internal errors apart). */
  readonly failureMessage: string | undefined;
  readonly violations: string[];
  readonly slowest: number;
  /** Driven as over a socket: inputs given away (decrypted in place), outputs handed back. */
  readonly owned: boolean;
}

/**
 * One execution: the peer's flights of `rec` go to a fresh engine in `role`,
 * one flight (or all of them joined) mutated, each delivered in random chunks.
 */
export function runOnce(rec: Recording, role: Role, rng: Rng): Execution {
  const peer = role === 'server' ? 'client' : 'server';
  let flights = rec.flights.filter((f) => f.from === peer).map((f) => f.bytes);
  let applied: MutationName[] = [];
  if (flights.length > 0) {
    if (rng.chance(0.2)) {
      const m = mutate(concatBytes(flights), rng);
      flights = [m.bytes];
      applied = m.applied;
    } else {
      const i = rng.chance(0.5) ? 0 : rng.below(flights.length);
      const m = mutate(flights[i]!, rng);
      flights = flights.slice();
      flights[i] = m.bytes;
      applied = m.applied;
    }
  }
  return execute(rec.name, role, freshEngine(role, rec), flights, applied, rng);
}

/** Delivers `inputs` to `conn` (each in random chunks) and checks everything. Also used to replay a crash. */
export function execute(
  name: string, role: Role, conn: Connection, inputs: Uint8Array[], applied: MutationName[], rng: Rng | undefined,
  // Half the mutated runs drive the engine as over a socket: inputs given away, outputs handed back.
  owned = rng?.chance(0.5) ?? false,
): Execution {
  const w = new Watched(conn, undefined, owned);
  w.feed(new Uint8Array(0));
  for (const input of inputs) {
    for (const piece of rng ? chunk(input, rng) : [input]) w.feed(piece);
  }
  w.feed(new Uint8Array(0));
  w.checkSilence();
  const stage = w.handshakeDone ? 'after the handshake' : 'in the handshake';
  const outcome = w.failure ? `${w.failure.code} ${stage}` : w.handshakeDone ? 'handshake done' : 'waiting';
  return { recording: name, role, inputs, applied, outcome, failureMessage: w.failure?.message, violations: w.violations, slowest: w.slowest, owned };
}

export { toHex };
