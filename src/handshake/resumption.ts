// Sessions to resume: what a client stores (the 'session' event / `session`
// option), and what a server seals into tickets or keeps in its cache.
// RFC 5246 Section 7.4.1.2 (session IDs), RFC 5077 (TLS 1.2 tickets),
// RFC 8446 Section 4.6.1 and 4.2.11 (TLS 1.3 tickets and PSKs).

import type { Aead, CryptoProvider } from '../crypto/provider.js';
import { TlsError } from '../errors.js';
import { resumptionPsk } from '../keys/tls13.js';
import { ExtensionType } from '../wire/enums.js';
import { decodeEarlyData, findExtension } from '../wire/extensions.js';
import type { NewSessionTicket13 } from '../wire/messages.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import { toHex } from '../wire/bytes.js';
import type { ClientOffer } from './client.js';
import type { HandshakeContext } from './common.js';
import type { Negotiated13 } from './tls13.js';

const CLIENT_SESSION_FORMAT = 1;
const SERVER_STATE_FORMAT = 1;

/** What a client keeps to resume with. Serialised opaque to the application. */
export interface ClientSession {
  readonly version: number;
  readonly cipherSuite: number;
  readonly serverName: string;
  /** When the session (or ticket) was received, in ms since the epoch. */
  readonly receivedAt: number;
  /** Seconds the ticket or session may be used for. */
  readonly lifetime: number;
  /** TLS 1.2: the session ID (may be empty with a ticket). */
  readonly sessionId: Uint8Array;
  /** TLS 1.2: the master secret; TLS 1.3: the resumption PSK. */
  readonly secret: Uint8Array;
  readonly extendedMasterSecret: boolean;
  /** The ticket (TLS 1.2 RFC 5077 or TLS 1.3 NewSessionTicket), or empty. */
  readonly ticket: Uint8Array;
  /** TLS 1.3: obfuscated_ticket_age = age + ticket_age_add. */
  readonly ticketAgeAdd: number;
  /** TLS 1.3: max_early_data_size from the ticket, 0 when none. */
  readonly maxEarlyData: number;
  readonly alpnProtocol: string;
  /** The server's chain as verified in the full handshake, DER, leaf first. */
  readonly peerCertificates: readonly Uint8Array[];
}

const text = new TextEncoder();
const untext = new TextDecoder();

function writeTime(w: Writer, ms: number): void {
  w.u32(Math.floor(ms / 2 ** 32)).u32(ms >>> 0);
}
function readTime(r: Reader, field: string): number {
  return r.u32(field) * 2 ** 32 + r.u32(field);
}

export function encodeClientSession(s: ClientSession): Uint8Array {
  const w = new Writer(512)
    .u8(CLIENT_SESSION_FORMAT)
    .u16(s.version)
    .u16(s.cipherSuite)
    .vector(2, text.encode(s.serverName));
  writeTime(w, s.receivedAt);
  w.u32(s.lifetime)
    .vector(1, s.sessionId)
    .vector(1, s.secret)
    .u8(s.extendedMasterSecret ? 1 : 0)
    .vector(2, s.ticket)
    .u32(s.ticketAgeAdd)
    .u32(s.maxEarlyData)
    .vector(1, text.encode(s.alpnProtocol))
    .prefixed(3, (w) => {
      for (const c of s.peerCertificates) w.vector(3, c);
    });
  return w.finish();
}

/** The session, or undefined when the bytes are not one (a stale or foreign blob is ignored, not fatal). */
export function decodeClientSession(bytes: Uint8Array): ClientSession | undefined {
  try {
    return Reader.readAll(bytes, 'session', (r) => {
      if (r.u8('format') !== CLIENT_SESSION_FORMAT) throw new TlsError('decode_error', 'unknown session format');
      const version = r.u16('version');
      const cipherSuite = r.u16('cipherSuite');
      const serverName = untext.decode(r.vector(2, 'serverName'));
      const receivedAt = readTime(r, 'receivedAt');
      const lifetime = r.u32('lifetime');
      const sessionId = r.vector(1, 'sessionId').slice();
      const secret = r.vector(1, 'secret').slice();
      const extendedMasterSecret = r.u8('extendedMasterSecret') === 1;
      const ticket = r.vector(2, 'ticket').slice();
      const ticketAgeAdd = r.u32('ticketAgeAdd');
      const maxEarlyData = r.u32('maxEarlyData');
      const alpnProtocol = untext.decode(r.vector(1, 'alpn'));
      const certs = r.sub(3, 'peerCertificates');
      const peerCertificates: Uint8Array[] = [];
      while (!certs.empty()) peerCertificates.push(certs.vector(3, 'certificate').slice());
      return {
        version, cipherSuite, serverName, receivedAt, lifetime, sessionId, secret, extendedMasterSecret, ticket,
        ticketAgeAdd, maxEarlyData, alpnProtocol, peerCertificates,
      };
    });
  } catch {
    return undefined;
  }
}

/** RFC 8446 Section 4.6.1: lifetimes over seven days are refused; zero means do not resume. */
const MAX_TICKET_LIFETIME = 7 * 24 * 3600;

/** The client's session from a TLS 1.3 NewSessionTicket, serialised; undefined when it cannot be used. */
export function clientSessionFromTicket13(
  cx: HandshakeContext, hs: Negotiated13, resumptionMasterSecret: Uint8Array, ticket: NewSessionTicket13, offer: ClientOffer,
): Uint8Array | undefined {
  if (ticket.ticketLifetime > MAX_TICKET_LIFETIME) throw new TlsError('illegal_parameter', 'NewSessionTicket lifetime is over seven days');
  const early = findExtension(ticket.extensions, ExtensionType.early_data);
  if (ticket.ticketLifetime === 0) return undefined;
  return encodeClientSession({
    version: 0x0304,
    cipherSuite: hs.suite.id,
    serverName: offer.serverName ?? '',
    receivedAt: cx.config.now().getTime(),
    lifetime: ticket.ticketLifetime,
    sessionId: new Uint8Array(0),
    secret: resumptionPsk(cx.provider, hs.suite.hash, resumptionMasterSecret, ticket.ticketNonce),
    extendedMasterSecret: true,
    ticket: ticket.ticket,
    ticketAgeAdd: ticket.ticketAgeAdd,
    maxEarlyData: early ? decodeEarlyData(early.data) ?? 0 : 0,
    alpnProtocol: cx.info.alpnProtocol === false ? '' : cx.info.alpnProtocol,
    peerCertificates: cx.info.peerCertificates.map((c) => c.raw),
  });
}

// --- the server side ---

/** What a server needs to resume: sealed into a ticket or kept in the session cache. */
export interface ServerSessionState {
  readonly version: number;
  readonly cipherSuite: number;
  /** TLS 1.2 master secret or TLS 1.3 resumption PSK. */
  readonly secret: Uint8Array;
  readonly extendedMasterSecret: boolean;
  readonly createdAt: number;
  readonly lifetime: number;
  readonly ticketAgeAdd: number;
  readonly maxEarlyData: number;
  readonly alpnProtocol: string;
  readonly serverName: string;
  /** The client's chain, when it authenticated (DER). */
  readonly peerCertificates: readonly Uint8Array[];
}

export function encodeServerState(s: ServerSessionState): Uint8Array {
  const w = new Writer(256).u8(SERVER_STATE_FORMAT).u16(s.version).u16(s.cipherSuite).vector(1, s.secret).u8(s.extendedMasterSecret ? 1 : 0);
  writeTime(w, s.createdAt);
  w.u32(s.lifetime)
    .u32(s.ticketAgeAdd)
    .u32(s.maxEarlyData)
    .vector(1, text.encode(s.alpnProtocol))
    .vector(2, text.encode(s.serverName))
    .prefixed(3, (w) => {
      for (const c of s.peerCertificates) w.vector(3, c);
    });
  return w.finish();
}

export function decodeServerState(bytes: Uint8Array): ServerSessionState | undefined {
  try {
    return Reader.readAll(bytes, 'ticket', (r) => {
      if (r.u8('format') !== SERVER_STATE_FORMAT) throw new TlsError('decode_error', 'unknown ticket format');
      const version = r.u16('version');
      const cipherSuite = r.u16('cipherSuite');
      const secret = r.vector(1, 'secret').slice();
      const extendedMasterSecret = r.u8('extendedMasterSecret') === 1;
      const createdAt = readTime(r, 'createdAt');
      const lifetime = r.u32('lifetime');
      const ticketAgeAdd = r.u32('ticketAgeAdd');
      const maxEarlyData = r.u32('maxEarlyData');
      const alpnProtocol = untext.decode(r.vector(1, 'alpn'));
      const serverName = untext.decode(r.vector(2, 'serverName'));
      const certs = r.sub(3, 'peerCertificates');
      const peerCertificates: Uint8Array[] = [];
      while (!certs.empty()) peerCertificates.push(certs.vector(3, 'certificate').slice());
      return {
        version, cipherSuite, secret, extendedMasterSecret, createdAt, lifetime, ticketAgeAdd, maxEarlyData, alpnProtocol,
        serverName, peerCertificates,
      };
    });
  } catch {
    return undefined;
  }
}

/** A ticket key: 16 bytes of name, 32 bytes of AES-256-GCM key (node:tls ticketKeys are 48 bytes too). */
export const TICKET_KEY_LENGTH = 48;
const KEY_NAME = 16;
const NONCE = 12;

/**
 * Go's crypto/tls schedule for the keys a server makes itself (ticketKeyRotation,
 * ticketKeyLifetime): a new key every 24 hours, each opening tickets for 7 days.
 * A leaked key then exposes at most a day of tickets, and a ticket issued just
 * before a rotation still resumes for the days after it.
 */
export const DEFAULT_TICKET_KEY_ROTATION = 24 * 3600;
export const DEFAULT_TICKET_KEY_LIFETIME = 7 * 24 * 3600;
/** The most keys a ring holds, the current one included (Go's schedule needs 7). */
export const MAX_TICKET_KEYS = 16;

interface TicketKey {
  readonly bytes: Uint8Array;
  /** When the key became current, in ms since the epoch. */
  readonly createdAt: number;
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The ticket keys of a server: the current key seals, the current and the
 * previous ones open, each found by its 16-byte name.
 *
 * Keys the server makes itself rotate on a schedule, checked whenever a ticket
 * is sealed or opened: once the current key is `rotation` seconds old a new one
 * takes its place, and a key `lifetime` seconds old is dropped and opens nothing.
 * Keys the application gives (node:tls `ticketKeys`, `setTicketKeys`) never rotate
 * by themselves: install() makes the given key current and keeps the one before it
 * for opening, so a fleet rolling its shared key still resumes the tickets issued
 * just before the roll. Dropped keys are cleared.
 */
export class TicketKeyRing {
  /** The current key first. */
  private keys: TicketKey[];
  /** Whether the keys are our own, and rotate by the schedule. */
  private rotating: boolean;

  constructor(
    private readonly provider: CryptoProvider,
    private readonly now: () => Date,
    private readonly schedule: { readonly rotation: number; readonly lifetime: number },
    given: readonly Uint8Array[] = [],
  ) {
    const at = now().getTime();
    this.rotating = given.length === 0;
    this.keys = this.rotating ? [this.freshKey(at)] : given.map((k) => ({ bytes: checkedKey(k), createdAt: at }));
  }

  /** The key that seals new tickets (48 bytes). */
  current(): Uint8Array {
    this.rotateIfDue();
    return this.keys[0]!.bytes;
  }

  /** The key whose name a ticket carries, if the ring still holds it. */
  find(name: Uint8Array): Uint8Array | undefined {
    this.rotateIfDue();
    return this.keys.find((k) => sameBytes(k.bytes.subarray(0, KEY_NAME), name))?.bytes;
  }

  /** How many keys open tickets now, the current one included. */
  get size(): number {
    this.rotateIfDue();
    return this.keys.length;
  }

  /**
   * Makes `key` (48 bytes) the current key and keeps the one before it for
   * opening; ends the rotation of our own keys. Installing the current key again
   * changes nothing, so every server of a fleet can be given the same key twice.
   */
  install(key: Uint8Array): void {
    const bytes = checkedKey(key);
    const previous = this.keys[0]!;
    if (sameBytes(previous.bytes, bytes)) return;
    for (const k of this.keys.slice(1)) forgetKey(k.bytes);
    this.keys = [{ bytes, createdAt: this.now().getTime() }, previous];
    this.rotating = false;
  }

  private freshKey(at: number): TicketKey {
    return { bytes: this.provider.random(TICKET_KEY_LENGTH), createdAt: at };
  }

  /** Go's Config.ticketKeys: a new key once the current one is `rotation` old; keys `lifetime` old go. */
  private rotateIfDue(): void {
    if (!this.rotating) return;
    const at = this.now().getTime();
    if (at - this.keys[0]!.createdAt < this.schedule.rotation * 1000) return;
    const kept: TicketKey[] = [this.freshKey(at)];
    for (const k of this.keys) {
      if (at - k.createdAt < this.schedule.lifetime * 1000 && kept.length < MAX_TICKET_KEYS) kept.push(k);
      else forgetKey(k.bytes);
    }
    this.keys = kept;
  }
}

function checkedKey(key: Uint8Array): Uint8Array {
  if (key.length !== TICKET_KEY_LENGTH) {
    throw new TlsError('api_misuse', `ticket keys must be ${TICKET_KEY_LENGTH} bytes`, { code: 'ERR_INVALID_ARG_VALUE' });
  }
  return key.slice();
}

/**
 * The AES-256-GCM of a ticket key (its last 32 bytes), made once per key and provider: a server
 * seals a ticket or two per full handshake and opens one per resumption, all under the same key.
 */
function ticketAead(provider: CryptoProvider, key: Uint8Array): Aead {
  let made = ticketAeads.get(key);
  if (made === undefined || made.provider !== provider) {
    made = { provider, aead: provider.aead('AES-256-GCM', key.subarray(KEY_NAME)) };
    ticketAeads.set(key, made);
  }
  return made.aead;
}
/** Keyed by the ring's key arrays, so a key the ring drops takes its AEAD with it. */
const ticketAeads = new WeakMap<Uint8Array, { provider: CryptoProvider; aead: Aead }>();

/** A key leaving the ring: cleared, and its AEAD let go. */
function forgetKey(key: Uint8Array): void {
  ticketAeads.delete(key);
  key.fill(0);
}

/**
 * Seals session state into a ticket under the ring's current key: key_name ||
 * nonce || AES-256-GCM(state) with key_name as additional data. Any server that
 * holds the same key can open it.
 */
export function sealTicket(provider: CryptoProvider, keys: TicketKeyRing, state: ServerSessionState): Uint8Array {
  const key = keys.current();
  const name = key.subarray(0, KEY_NAME);
  const nonce = provider.random(NONCE);
  const sealed = ticketAead(provider, key).seal(nonce, name, encodeServerState(state));
  const out = new Uint8Array(KEY_NAME + NONCE + sealed.length);
  out.set(name, 0);
  out.set(nonce, KEY_NAME);
  out.set(sealed, KEY_NAME + NONCE);
  return out;
}

/** Opens a ticket with whichever key of the ring names it; undefined for an unknown or dropped key, a forgery or garbage. */
export function openTicket(provider: CryptoProvider, keys: TicketKeyRing, ticket: Uint8Array): ServerSessionState | undefined {
  if (ticket.length < KEY_NAME + NONCE + 16) return undefined;
  const name = ticket.subarray(0, KEY_NAME);
  const key = keys.find(name);
  if (!key) return undefined;
  const plain = ticketAead(provider, key).open(ticket.subarray(KEY_NAME, KEY_NAME + NONCE), name, ticket.subarray(KEY_NAME + NONCE));
  return plain ? decodeServerState(plain) : undefined;
}

/** A store for TLS 1.2 session-ID resumption; plug in a shared one for a fleet of servers. */
export interface SessionStore {
  get(sessionId: Uint8Array): Uint8Array | undefined;
  set(sessionId: Uint8Array, state: Uint8Array, lifetimeSeconds: number): void;
  delete(sessionId: Uint8Array): void;
}


/** The default store: in memory, bounded, oldest entries evicted first; expiry is checked by the caller's clock. */
export class MemorySessionStore implements SessionStore {
  private readonly entries = new Map<string, Uint8Array>();
  constructor(readonly capacity = 20_000) {}
  get(sessionId: Uint8Array): Uint8Array | undefined {
    return this.entries.get(toHex(sessionId));
  }
  set(sessionId: Uint8Array, state: Uint8Array): void {
    const key = toHex(sessionId);
    this.entries.delete(key);
    this.entries.set(key, state);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
  delete(sessionId: Uint8Array): void {
    this.entries.delete(toHex(sessionId));
  }
}

/**
 * RFC 8446 Section 8.1: single-use tickets for 0-RTT. Remembers each ticket that
 * carried early data until it would have expired anyway; a ticket seen again
 * gets its early data rejected (the handshake itself goes on). Bounded: when
 * full, the oldest entries go, and early data is then accepted only from tickets
 * younger than the oldest remembered one.
 */
export class ReplayFilter {
  private readonly seen = new Map<string, number>();
  private horizon = 0;
  constructor(readonly capacity = 100_000) {}

  /** True the first time a ticket (issued at `createdAt`) is presented before `expiresAt`. */
  firstUse(ticket: Uint8Array, createdAt: number, expiresAt: number, now: number): boolean {
    if (createdAt < this.horizon) return false;
    for (const [key, expiry] of this.seen) {
      if (expiry > now) break;
      this.seen.delete(key);
    }
    const key = toHex(ticket);
    if (this.seen.has(key)) return false;
    this.seen.set(key, expiresAt);
    while (this.seen.size > this.capacity) {
      const oldest = this.seen.keys().next().value!;
      this.seen.delete(oldest);
      this.horizon = now;
    }
    return true;
  }
}
