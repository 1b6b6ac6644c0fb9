// The side under test in the hostile-input suites (test/hostile.test.ts, test/hostile13-engine.test.ts):
// every call wrapped so that no exception escapes unseen, the records a case writes, and the assertions
// each case makes on the victim: (a) the exact error kind and node-style code; (b) the exact alert it
// wrote, read directly while unencrypted or opened with the session keys and fed to the real peer;
// (c) exactly one fatal alert and then silence; (d) no exception escaped.

import assert from 'node:assert/strict';
import type { ClientConfig, ServerConfig } from '../src/config.js';
import { ClientConnection, ServerConnection, type Connection, type ConnectionEvent } from '../src/connection.js';
import { TlsError } from '../src/errors.js';
import { nodeCryptoProvider } from '../src/crypto/node.js';
import { nextTrafficSecret, trafficKeys } from '../src/keys/tls13.js';
import { keyBlock } from '../src/keys/prf.js';
import { aead12Protection, aead13Protection, cbcProtection, type RecordProtection } from '../src/record/protection.js';
import type { CipherSuite } from '../src/suites.js';
import { alertDescriptionName, HandshakeType } from '../src/wire/enums.js';
import { handshakeMessagesOf } from './flight.js';
import { concatBytes, findRecords, fromHex, makeRecord, splitRecords, toHex } from './fuzz/mutator.js';

export const TLS12 = 0x0303;
export const CT = { change_cipher_spec: 20, alert: 21, handshake: 22, application_data: 23 } as const;

export type Role = 'client' | 'server';
export const bothRoles: readonly Role[] = ['client', 'server'];
/** A case's expectation, the same for both roles or one for each. */
export type PerRole<T> = T | { client: T; server: T };
export const forRole = <T,>(v: PerRole<T>, role: Role): T => (typeof v === 'object' && v !== null ? (v as { client: T; server: T })[role] : (v as T));

// --- raw bytes ---

/** A record: type, version, body (the helper every case writes with). */
export const record = (type: number, body: Uint8Array | number[], version = TLS12): Uint8Array =>
  makeRecord(type, version, body instanceof Uint8Array ? body : Uint8Array.from(body));

/** A handshake message: msg_type, uint24 length, body. */
export function handshake(type: number, body: Uint8Array | number[], length?: number): Uint8Array {
  const b = body instanceof Uint8Array ? body : Uint8Array.from(body);
  const n = length ?? b.length;
  return concatBytes([Uint8Array.of(type, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff), b]);
}

/** The handshake messages of a plaintext flight, each with its 4-byte header. */
export function handshakeMessages(flight: Uint8Array): Uint8Array[] {
  return handshakeMessagesOf(flight).map((m) => m.raw);
}

// --- the side under test: every call wrapped ---

export class Victim {
  readonly events: ConnectionEvent[] = [];
  readonly thrown: unknown[] = [];
  constructor(readonly conn: Connection) {}

  /** receive + process + takeOutput, exceptions caught and kept for (d). */
  feed(...inputs: Uint8Array[]): Uint8Array {
    const out: Uint8Array[] = [];
    for (const bytes of inputs) {
      try {
        this.conn.receive(bytes);
        this.events.push(...this.conn.process());
        out.push(this.conn.takeOutput());
      } catch (e) {
        this.thrown.push(e);
      }
    }
    return concatBytes(out);
  }

  errors(): TlsError[] {
    return this.events.filter((e): e is Extract<ConnectionEvent, { type: 'error' }> => e.type === 'error').map((e) => e.error);
  }
}

// --- protected records, read and written as either side ---

/** Opens the victim's protected records: a TLS 1.2 Direction, or a TLS 1.3 one. */
export interface Opener {
  /** The type in the record header: alert in TLS 1.2 (undefined), application_data in TLS 1.3 (RFC 8446 Section 5.2). */
  readonly outerContentType?: number;
  open(rec: Uint8Array): { contentType: number; plaintext: Uint8Array };
}

/** One direction of TLS 1.2 AEAD protection with its own sequence number, to seal as the peer and open as the victim. */
export class Direction implements Opener {
  constructor(private readonly protection: RecordProtection, public seq: number) {}
  seal(type: number, plaintext: Uint8Array | number[]): Uint8Array {
    const p = plaintext instanceof Uint8Array ? plaintext : Uint8Array.from(plaintext);
    return record(type, this.protection.seal(type, TLS12, this.seq++, p));
  }
  open(rec: Uint8Array): { contentType: number; plaintext: Uint8Array } {
    const [r] = findRecords(rec);
    assert.ok(r, 'a whole record');
    return this.protection.open(r.type, r.version, this.seq++, rec.subarray(r.offset + 5, r.offset + 5 + r.length));
  }
}

/** The TLS 1.2 AEAD keys of both directions, from the CLIENT_RANDOM key-log line and the server random. */
export function sessionKeys(suite: CipherSuite, keyLogLine: string, serverRandom: Uint8Array) {
  const [label, cr, master] = keyLogLine.split(' ');
  assert.equal(label, 'CLIENT_RANDOM');
  const c = suite.cipher;
  assert.equal(c.kind, 'aead');
  if (c.kind !== 'aead') throw new Error('unreachable');
  const kb = keyBlock(nodeCryptoProvider, suite.hash, fromHex(master!), fromHex(cr!), serverRandom, { macKey: 0, key: c.keyLength, iv: c.fixedIvLength });
  return {
    /** The client's write direction, starting at `seq`. */
    client: (seq: number) => new Direction(aead12Protection(nodeCryptoProvider, c.algorithm, kb.clientWriteKey, kb.clientWriteIv), seq),
    server: (seq: number) => new Direction(aead12Protection(nodeCryptoProvider, c.algorithm, kb.serverWriteKey, kb.serverWriteIv), seq),
  };
}

/** The TLS 1.3 traffic secrets a key log names (NSS labels: CLIENT_HANDSHAKE_TRAFFIC_SECRET, ...), by label. */
export function trafficSecrets(keyLogLines: readonly string[]): Map<string, Uint8Array> {
  const secrets = new Map<string, Uint8Array>();
  for (const line of keyLogLines) {
    const [label, , secret] = line.split(' ');
    if (label !== undefined && secret !== undefined) secrets.set(label, fromHex(secret));
  }
  return secrets;
}

/**
 * One direction of TLS 1.3 protection (RFC 8446 Section 5.2) under a traffic secret, with its own
 * sequence number: seals as the peer would, opens what the victim wrote.
 */
export class Direction13 implements Opener {
  readonly outerContentType = CT.application_data;
  private readonly protection: RecordProtection;

  constructor(readonly suite: CipherSuite, readonly secret: Uint8Array, public seq = 0) {
    const cipher = suite.cipher;
    if (cipher.kind !== 'aead') throw new Error('TLS 1.3 suites are AEAD only');
    const { key, iv } = trafficKeys(nodeCryptoProvider, suite.hash, secret, cipher.keyLength, 12);
    this.protection = aead13Protection(nodeCryptoProvider, cipher.algorithm, key, iv);
  }

  /** A record of `type` holding `plaintext` (TLSInnerPlaintext without padding). */
  seal(type: number, plaintext: Uint8Array | number[], version = TLS12): Uint8Array {
    const p = plaintext instanceof Uint8Array ? plaintext : Uint8Array.from(plaintext);
    return this.sealInner(concatBytes([p, Uint8Array.of(type)]), version);
  }

  /**
   * A record whose TLSInnerPlaintext is exactly `inner` (content, type byte, zero padding, or
   * anything else a case wants there), with `version` in the header and the additional data.
   */
  sealInner(inner: Uint8Array, version = TLS12): Uint8Array {
    const body = this.protection.seal(inner[inner.length - 1] ?? 0, version, this.seq++, inner.subarray(0, inner.length - 1));
    return record(CT.application_data, body, version);
  }

  open(rec: Uint8Array): { contentType: number; plaintext: Uint8Array } {
    const [r] = findRecords(rec);
    assert.ok(r, 'a whole record');
    return this.protection.open(r.type, r.version, this.seq++, rec.subarray(r.offset + 5, r.offset + 5 + r.length));
  }

  /** The direction under the next traffic secret, after a KeyUpdate (RFC 8446 Section 7.2). */
  next(): Direction13 {
    return new Direction13(this.suite, nextTrafficSecret(nodeCryptoProvider, this.suite.hash, this.secret));
  }
}

// --- a handshake driven flight by flight ---

/**
 * A handshake between real engines, one flight at a time, so that a case can stop anywhere and put
 * its own bytes in. Both sides write their secrets to `keyLog`. Nothing here is under test: each
 * step asserts it went well.
 */
export class Flow {
  readonly client: ClientConnection;
  readonly server: ServerConnection;
  /** Every key-log line either side wrote (NSS format). */
  readonly keyLog: string[] = [];
  readonly clientHello: Uint8Array;
  serverFlight: Uint8Array = new Uint8Array(0);
  clientFlight: Uint8Array = new Uint8Array(0);
  /** What the server sends after the client's flight: TLS 1.2 [NewSessionTicket,] ChangeCipherSpec, Finished; TLS 1.3 tickets. */
  serverAnswer: Uint8Array = new Uint8Array(0);

  constructor(clientConfig: ClientConfig, serverConfig: ServerConfig) {
    const log = (line: string) => this.keyLog.push(line);
    this.client = new ClientConnection({ ...clientConfig, keyLog: log }, { serverName: 'localhost' });
    this.server = new ServerConnection({ ...serverConfig, keyLog: log });
    this.clientHello = this.client.takeOutput();
    assert.equal(this.client.error as unknown, undefined);
  }

  private static step(to: Connection, bytes: Uint8Array): Uint8Array {
    to.receive(bytes);
    to.process();
    assert.equal(to.error as unknown, undefined, `setup step failed: ${to.error?.code} ${to.error?.message}`);
    return to.takeOutput();
  }

  helloToServer(): this {
    this.serverFlight = Flow.step(this.server, this.clientHello);
    return this;
  }
  serverFlightToClient(): this {
    this.clientFlight = Flow.step(this.client, this.serverFlight);
    return this;
  }
  clientFlightToServer(): this {
    this.serverAnswer = Flow.step(this.server, this.clientFlight);
    return this;
  }
  answerToClient(): this {
    Flow.step(this.client, this.serverAnswer);
    assert.ok(this.client.handshakeComplete && this.server.handshakeComplete);
    return this;
  }
  established(): this {
    return this.helloToServer().serverFlightToClient().clientFlightToServer().answerToClient();
  }

  get serverRandom(): Uint8Array {
    // record header (5) + handshake header (4) + server_version (2), then 32 bytes of random.
    return this.serverFlight.slice(11, 43);
  }

  /** TLS 1.2: both directions' session keys, from the CLIENT_RANDOM line. */
  keys12(suite: CipherSuite = this.server.info.cipherSuite!) {
    const line = this.keyLog.find((l) => l.startsWith('CLIENT_RANDOM '));
    assert.ok(line, 'a CLIENT_RANDOM line in the key log');
    return sessionKeys(suite, line, this.serverRandom);
  }

  /** TLS 1.3: a direction under the key-log secret `label`, its next record at `seq`. */
  direction(label: string, seq = 0): Direction13 {
    const secret = trafficSecrets(this.keyLog).get(label);
    assert.ok(secret, `${label} in the key log`);
    return new Direction13(this.server.info.cipherSuite!, secret, seq);
  }
  serverHandshake(seq = 0): Direction13 {
    return this.direction('SERVER_HANDSHAKE_TRAFFIC_SECRET', seq);
  }
  clientHandshake(seq = 0): Direction13 {
    return this.direction('CLIENT_HANDSHAKE_TRAFFIC_SECRET', seq);
  }
  serverApplication(seq = 0): Direction13 {
    return this.direction('SERVER_TRAFFIC_SECRET_0', seq);
  }
  clientApplication(seq = 0): Direction13 {
    return this.direction('CLIENT_TRAFFIC_SECRET_0', seq);
  }

  /** TLS 1.3: the server flight's ServerHello record and compatibility ChangeCipherSpec, in the clear. */
  get serverHelloRecords(): Uint8Array[] {
    const [hello, ccs] = splitRecords(this.serverFlight);
    assert.equal(hello![0], CT.handshake);
    assert.equal(ccs![0], CT.change_cipher_spec);
    return [hello!, ccs!];
  }

  /** TLS 1.3: the messages the server sent under its handshake key (EncryptedExtensions .. Finished). */
  serverEncryptedMessages(): Uint8Array[] {
    const read = this.serverHandshake();
    const body = concatBytes(splitRecords(this.serverFlight).slice(2).map((r) => read.open(r).plaintext));
    return handshakeMessages(record(CT.handshake, body));
  }

  /** TLS 1.3: the messages the client sent under its handshake key ([Certificate, CertificateVerify,] Finished). */
  clientEncryptedMessages(): Uint8Array[] {
    const read = this.clientHandshake();
    const body = concatBytes(splitRecords(this.clientFlight).filter((r) => r[0] === CT.application_data).map((r) => read.open(r).plaintext));
    return handshakeMessages(record(CT.handshake, body));
  }
}

// --- the assertions ---

/** What the table at the end prints: input class → what each role answered. */
export const observed = new Map<string, { client?: string; server?: string }>();
export function note(cls: string, role: 'client' | 'server', what: string): void {
  const row = observed.get(cls) ?? {};
  row[role] = what;
  observed.set(cls, row);
}

/** (c) and (d): nothing more is written, the error is sticky, nothing escaped. */
export function assertSilence(v: Victim, err: TlsError): void {
  for (let i = 0; i < 2; i++) {
    const events = v.conn.process();
    assert.deepEqual(events.map((e) => e.type), ['error'], 'a second process() reports the same failure');
    assert.equal((events[0] as { error: TlsError }).error, err, 'the failure is sticky');
    assert.equal(v.conn.takeOutput().length, 0, 'nothing written after the fatal alert');
  }
  const more = v.feed(record(CT.handshake, handshake(HandshakeType.client_hello, [1, 2, 3])), record(CT.alert, [2, 40]), record(CT.application_data, [1]));
  assert.equal(more.length, 0, 'more input writes nothing');
  assert.equal(v.conn.error, err);
  v.conn.close();
  assert.equal(v.conn.takeOutput().length, 0, 'close() after a failure writes nothing');
  assert.throws(() => v.conn.write(Uint8Array.of(1)), (e) => e === err, 'write() throws the sticky error');
  assert.deepEqual(v.thrown, [], 'no exception escaped');
}

/** (a)-(d) for a failure while our writes are unencrypted: the output is exactly one fatal alert record. */
export function assertPlainFatal(cls: string, v: Victim, output: Uint8Array, kind: string, alert: number, code = `ERR_TLS_${kind.toUpperCase()}`): void {
  assert.deepEqual(v.thrown, [], 'no exception escaped');
  const err = v.conn.error;
  assert.ok(err instanceof TlsError, `expected a ${kind} failure, got none`);
  assert.equal(err.kind, kind, `kind (${err.code}: ${err.message})`);
  assert.equal(err.code, code);
  assert.equal(v.errors().length, 1, 'one error event');
  assert.equal(v.errors()[0], err);
  // The record version is TLS 1.0 before ServerHello settles it (RFC 5246 Appendix E.1) and 1.2 after.
  assert.equal(output.length, 7, `one alert record, got ${toHex(output)}`);
  assert.deepEqual([...output.subarray(0, 2), ...output.subarray(3)], [CT.alert, 3, 0, 2, 2, alert], `alert bytes ${toHex(output)}`);
  assert.ok(output[2] === 1 || output[2] === 3, 'record minor version 1 or 3');
  assertSilence(v, err);
  note(cls, v.conn.side, alertDescriptionName(alert));
}

/** (a)-(d) once our writes are encrypted: one alert record, which opens to [fatal, alert] and the peer reads as such. */
export function assertEncryptedFatal(cls: string, v: Victim, output: Uint8Array, kind: string, alert: number, ours: Opener, peer: Connection): void {
  assert.deepEqual(v.thrown, [], 'no exception escaped');
  const err = v.conn.error;
  assert.ok(err instanceof TlsError, `expected a ${kind} failure, got none`);
  assert.equal(err.kind, kind, `kind (${err.code}: ${err.message})`);
  assert.equal(err.code, `ERR_TLS_${kind.toUpperCase()}`);
  const recs = splitRecords(output);
  assert.equal(recs.length, 1, 'one record');
  assert.equal(concatBytes(recs).length, output.length);
  assert.equal(recs[0]![0], ours.outerContentType ?? CT.alert);
  const opened = ours.open(recs[0]!);
  assert.equal(opened.contentType, CT.alert);
  assert.deepEqual([...opened.plaintext], [2, alert]);
  peer.receive(output);
  peer.process();
  assert.equal(peer.error?.code, `ERR_TLS_ALERT_${alertDescriptionName(alert).toUpperCase()}`);
  assert.equal(peer.takeOutput().length, 0, 'the peer answers a fatal alert with nothing');
  assertSilence(v, err);
  note(cls, v.conn.side, `${alertDescriptionName(alert)} (encrypted)`);
}

/** A fatal alert received: the error names it and nothing is sent back. */
export function assertPeerAlert(cls: string, v: Victim, output: Uint8Array, alert: number): void {
  assert.deepEqual(v.thrown, []);
  const err = v.conn.error;
  assert.ok(err instanceof TlsError);
  assert.equal(err.kind, 'peer_alert');
  assert.equal(err.code, `ERR_TLS_ALERT_${alertDescriptionName(alert).toUpperCase()}`);
  assert.equal(err.receivedAlert, alert);
  assert.equal(output.length, 0, 'no alert sent back');
  assertSilence(v, err);
  note(cls, v.conn.side, `none sent (${err.code})`);
}

/** Prints the table of what each role answered, when TYPETLS_HOSTILE_TABLE is set (call it from after()). */
export function printObserved(): void {
  const rows = [...observed.entries()].sort(([a], [b]) => a.localeCompare(b));
  const lines = ['| hostile input | client sends | server sends |', '| --- | --- | --- |'];
  for (const [cls, r] of rows) lines.push(`| ${cls} | ${r.client ?? '—'} | ${r.server ?? '—'} |`);
  if (process.env.TYPETLS_HOSTILE_TABLE) console.log(lines.join('\n'));
}

// --- TLS 1.2 CBC ---

/**
 * The TLS 1.2 CBC keys of both directions from a CLIENT_RANDOM key-log line and the server random:
 * MAC keys, then write keys, and no IVs from TLS 1.1 on (RFC 5246 Section 6.3). `encryptThenMac`
 * says which record layout the connection negotiated (RFC 7366). The raw keys are there for cases
 * that lay a record out by hand.
 */
export function cbcSessionKeys(suite: CipherSuite, keyLogLine: string, serverRandom: Uint8Array, encryptThenMac: boolean) {
  const [label, cr, master] = keyLogLine.split(' ');
  assert.equal(label, 'CLIENT_RANDOM');
  const c = suite.cipher;
  if (c.kind !== 'cbc') throw new Error(`${suite.openSslName} is not a CBC suite`);
  const masterSecret = fromHex(master!);
  const kb = keyBlock(nodeCryptoProvider, suite.hash, masterSecret, fromHex(cr!), serverRandom, { macKey: c.macLength, key: c.keyLength, iv: 0 });
  const protection = (key: Uint8Array, macKey: Uint8Array) =>
    cbcProtection(nodeCryptoProvider, { algorithm: c.algorithm, key, macHash: c.macHash, macKey, encryptThenMac });
  return {
    masterSecret,
    keyBlock: kb,
    /** The client's write direction, starting at `seq`. */
    client: (seq: number) => new Direction(protection(kb.clientWriteKey, kb.clientWriteMacKey), seq),
    server: (seq: number) => new Direction(protection(kb.serverWriteKey, kb.serverWriteMacKey), seq),
  };
}
