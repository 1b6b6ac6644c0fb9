// Handshake messages: one discriminated union, with encode/decode.
// RFC 5246 Section 7.4 (TLS 1.2), RFC 8446 Section 4 (TLS 1.3).
// Extensions stay a raw list here; src/wire/extensions.ts has the typed codecs.

import { TlsError } from '../errors.js';
import { suiteById } from '../suites.js';
import type { TraceFields, TraceValue } from '../trace.js';
import {
  ECCurveType,
  ExtensionType,
  extensionTypeName,
  HandshakeType,
  handshakeTypeName,
  namedGroupName,
  ProtocolVersion,
  protocolVersionName,
  signatureSchemeName,
} from './enums.js';
import {
  decodeAlpn,
  decodeEcPointFormats,
  decodeKeyShareClient,
  decodeKeyShareHelloRetry,
  decodeKeyShareServer,
  decodeServerName,
  decodeSignatureAlgorithms,
  decodeSupportedGroups,
  decodeSupportedVersionsClient,
  decodeSupportedVersionsServer,
} from './extensions.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

/** One extension as it is on the wire. RFC 5246 Section 7.4.1.4, RFC 8446 Section 4.2. */
export interface Extension {
  readonly type: number;
  readonly data: Uint8Array;
}

export interface ClientHello {
  readonly type: typeof HandshakeType.client_hello;
  readonly legacyVersion: number;
  readonly random: Uint8Array; // 32 bytes
  readonly legacySessionId: Uint8Array; // 0..32 bytes
  readonly cipherSuites: readonly number[];
  readonly legacyCompressionMethods: Uint8Array; // 1..255 bytes
  readonly extensions: readonly Extension[];
}

export interface ServerHello {
  readonly type: typeof HandshakeType.server_hello;
  readonly legacyVersion: number;
  readonly random: Uint8Array; // 32 bytes
  readonly legacySessionId: Uint8Array; // 0..32 bytes
  readonly cipherSuite: number;
  readonly legacyCompressionMethod: number;
  readonly extensions: readonly Extension[];
}

/** One certificate; `extensions` is always empty in TLS 1.2. RFC 8446 Section 4.4.2. */
export interface CertificateEntry {
  readonly certData: Uint8Array;
  readonly extensions: readonly Extension[];
}

/** RFC 5246 Section 7.4.2 / RFC 8446 Section 4.4.2; the request context exists only in TLS 1.3. */
export interface CertificateMessage {
  readonly type: typeof HandshakeType.certificate;
  readonly certificateRequestContext: Uint8Array; // empty in TLS 1.2
  readonly certificateList: readonly CertificateEntry[];
}

/** ECDHE ServerKeyExchange, RFC 8422 Section 5.4 (TLS 1.2 signature with a SignatureScheme). */
export interface ServerKeyExchangeEcdhe {
  readonly type: typeof HandshakeType.server_key_exchange;
  readonly kx: 'ecdhe';
  readonly namedGroup: number;
  readonly publicKey: Uint8Array; // 1..255 bytes
  readonly signatureScheme: number;
  readonly signature: Uint8Array;
  /** The encoded ServerECDHParams (curve_type, named_curve, public): what the signature covers after the randoms. */
  readonly params: Uint8Array;
}

/** DHE ServerKeyExchange, RFC 5246 Section 7.4.3. */
export interface ServerKeyExchangeDhe {
  readonly type: typeof HandshakeType.server_key_exchange;
  readonly kx: 'dhe';
  readonly dhP: Uint8Array;
  readonly dhG: Uint8Array;
  readonly dhYs: Uint8Array;
  readonly signatureScheme: number;
  readonly signature: Uint8Array;
  readonly params: Uint8Array;
}

/**
 * A PSK suite's ServerKeyExchange (RFC 4279 Sections 2-4, RFC 5489 Section 2): the identity
 * hint, then for ECDHE-PSK and DHE-PSK the unsigned (EC)DH parameters (`params`, empty for PSK
 * and RSA-PSK); the pre-shared key authenticates them.
 */
export interface ServerKeyExchangePsk {
  readonly type: typeof HandshakeType.server_key_exchange;
  readonly kx: 'psk' | 'ecdhe_psk' | 'dhe_psk' | 'rsa_psk';
  readonly identityHint: Uint8Array;
  readonly namedGroup?: number;
  readonly publicKey?: Uint8Array;
  readonly dhP?: Uint8Array;
  readonly dhG?: Uint8Array;
  readonly dhYs?: Uint8Array;
  readonly params: Uint8Array;
}

/** A signed ServerKeyExchange, of a suite a certificate authenticates. */
export type ServerKeyExchange = ServerKeyExchangeEcdhe | ServerKeyExchangeDhe;

/** The TLS 1.2 key exchanges whose ServerKeyExchange and ClientKeyExchange formats differ. */
export type KeyExchangeKind = 'rsa' | 'ecdhe' | 'dhe' | 'psk' | 'ecdhe_psk' | 'dhe_psk' | 'rsa_psk';

/** Whether a key exchange starts its ClientKeyExchange with a psk_identity (RFC 4279). */
export function isPskKeyExchange(kx: KeyExchangeKind): kx is 'psk' | 'ecdhe_psk' | 'dhe_psk' | 'rsa_psk' {
  return kx === 'psk' || kx === 'ecdhe_psk' || kx === 'dhe_psk' || kx === 'rsa_psk';
}

/** TLS 1.2 CertificateRequest, RFC 5246 Section 7.4.4. */
export interface CertificateRequest12 {
  readonly type: typeof HandshakeType.certificate_request;
  readonly version: 'tls12';
  readonly certificateTypes: Uint8Array; // 1..255
  readonly signatureAlgorithms: readonly number[]; // 2..2^16-2 bytes
  readonly certificateAuthorities: readonly Uint8Array[]; // DER DistinguishedNames
}

/** TLS 1.3 CertificateRequest, RFC 8446 Section 4.3.2. */
export interface CertificateRequest13 {
  readonly type: typeof HandshakeType.certificate_request;
  readonly version: 'tls13';
  readonly certificateRequestContext: Uint8Array;
  readonly extensions: readonly Extension[];
}

export type CertificateRequest = CertificateRequest12 | CertificateRequest13;

export interface ServerHelloDone {
  readonly type: typeof HandshakeType.server_hello_done;
}

/**
 * ClientKeyExchange, RFC 5246 Section 7.4.7: for 'rsa' the encrypted pre-master
 * secret (u16 prefix), for 'ecdhe' the client's point (u8 prefix, RFC 8422
 * Section 5.7), for 'dhe' dh_Yc (u16 prefix). The PSK kinds put the psk_identity
 * (u16 prefix) first (RFC 4279, RFC 5489), then the same (nothing for 'psk').
 */
export interface ClientKeyExchange {
  readonly type: typeof HandshakeType.client_key_exchange;
  readonly kx: KeyExchangeKind;
  /** The PSK kinds only. */
  readonly pskIdentity?: Uint8Array;
  readonly exchangeKeys: Uint8Array;
}

export interface CertificateVerify {
  readonly type: typeof HandshakeType.certificate_verify;
  readonly signatureScheme: number;
  readonly signature: Uint8Array;
}

export interface Finished {
  readonly type: typeof HandshakeType.finished;
  readonly verifyData: Uint8Array;
}

export interface HelloRequest {
  readonly type: typeof HandshakeType.hello_request;
}

/** TLS 1.2 NewSessionTicket, RFC 5077 Section 3.3. */
export interface NewSessionTicket12 {
  readonly type: typeof HandshakeType.new_session_ticket;
  readonly version: 'tls12';
  readonly ticketLifetimeHint: number;
  readonly ticket: Uint8Array;
}

/** TLS 1.3 NewSessionTicket, RFC 8446 Section 4.6.1. */
export interface NewSessionTicket13 {
  readonly type: typeof HandshakeType.new_session_ticket;
  readonly version: 'tls13';
  readonly ticketLifetime: number;
  readonly ticketAgeAdd: number;
  readonly ticketNonce: Uint8Array;
  readonly ticket: Uint8Array;
  readonly extensions: readonly Extension[];
}

export type NewSessionTicket = NewSessionTicket12 | NewSessionTicket13;

export interface EncryptedExtensions {
  readonly type: typeof HandshakeType.encrypted_extensions;
  readonly extensions: readonly Extension[];
}

export interface EndOfEarlyData {
  readonly type: typeof HandshakeType.end_of_early_data;
}

/** RFC 8446 Section 4.6.3: request_update is 0 or 1. */
export interface KeyUpdate {
  readonly type: typeof HandshakeType.key_update;
  readonly requestUpdate: number;
}

/** RFC 6066 Section 8: CertificateStatus (TLS 1.2 message; in TLS 1.3 the same body is a Certificate entry extension). */
export interface CertificateStatus {
  readonly type: typeof HandshakeType.certificate_status;
  /** 1 = ocsp. */
  readonly statusType: number;
  /** The DER OCSPResponse. */
  readonly response: Uint8Array;
}

export type HandshakeMessage =
  | CertificateStatus
  | ClientHello
  | ServerHello
  | CertificateMessage
  | ServerKeyExchange
  | ServerKeyExchangePsk
  | CertificateRequest
  | ServerHelloDone
  | ClientKeyExchange
  | CertificateVerify
  | Finished
  | HelloRequest
  | NewSessionTicket
  | EncryptedExtensions
  | EndOfEarlyData
  | KeyUpdate;

/** What decoding needs to know that the bytes do not say. */
export interface DecodeContext {
  /** The negotiated version (0x0303 or 0x0304); before ServerHello, the ClientHello/ServerHello formats do not depend on it. */
  readonly version: number;
  /** The TLS 1.2 key exchange, for ServerKeyExchange and ClientKeyExchange. */
  readonly kx?: KeyExchangeKind;
}

/**
 * RFC 8446 Section 4.1.3: a HelloRetryRequest is a ServerHello whose random is
 * SHA-256("HelloRetryRequest").
 */
export const HELLO_RETRY_REQUEST_RANDOM: Uint8Array = Uint8Array.of(
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
);

export function isHelloRetryRequest(hello: ServerHello): boolean {
  return hello.random.length === 32 && hello.random.every((b, i) => b === HELLO_RETRY_REQUEST_RANDOM[i]);
}

// ---------------------------------------------------------------------------
// Encoding

/** Encodes a message with its 4-byte handshake header (type, u24 length). */
export function encodeHandshake(message: HandshakeMessage, version: number): Uint8Array {
  const w = new Writer();
  encodeHandshakeInto(w, message, version);
  return w.finish();
}

/**
 * Appends one handshake message (4-byte header + body) to `w` and returns its bytes as a view of
 * the writer's buffer: a flight is encoded into one buffer, message after message.
 */
export function encodeHandshakeInto(w: Writer, message: HandshakeMessage, version: number): Uint8Array {
  const start = w.length;
  w.u8(message.type);
  const end = w.lengthPrefix(3);
  writeBody(w, message, version);
  end();
  return w.view(start);
}

/**
 * The ServerECDHParams that an ECDHE ServerKeyExchange signs (RFC 8422 Section 5.4):
 * curve_type named_curve, the group, the public point.
 */
export function encodeServerEcdhParams(namedGroup: number, publicKey: Uint8Array): Uint8Array {
  const w = new Writer(128);
  writeServerEcdhParams(w, namedGroup, publicKey);
  return w.finish();
}

/** The ServerDHParams that a DHE ServerKeyExchange signs (RFC 5246 Section 7.4.3). */
export function encodeServerDhParams(dhP: Uint8Array, dhG: Uint8Array, dhYs: Uint8Array): Uint8Array {
  const w = new Writer(1024);
  writeServerDhParams(w, dhP, dhG, dhYs);
  return w.finish();
}

function writeServerEcdhParams(w: Writer, namedGroup: number, publicKey: Uint8Array): void {
  w.u8(ECCurveType.named_curve);
  w.u16(namedGroup);
  w.vector(1, publicKey);
}

function writeServerDhParams(w: Writer, dhP: Uint8Array, dhG: Uint8Array, dhYs: Uint8Array): void {
  w.vector(2, dhP);
  w.vector(2, dhG);
  w.vector(2, dhYs);
}

function writeExtensions(w: Writer, extensions: readonly Extension[]): void {
  w.prefixed(2, () => {
    for (const e of extensions) {
      w.u16(e.type);
      w.vector(2, e.data);
    }
  });
}

function writeHelloStart(w: Writer, name: string, hello: { legacyVersion: number; random: Uint8Array; legacySessionId: Uint8Array }): void {
  if (hello.random.length !== 32) throw new TlsError('internal_error', `${name}.random is ${hello.random.length} bytes, not 32`);
  w.u16(hello.legacyVersion);
  w.bytes(hello.random);
  w.vector(1, hello.legacySessionId);
}

function writeBody(w: Writer, m: HandshakeMessage, version: number): void {
  switch (m.type) {
    case HandshakeType.client_hello:
      // RFC 5246 Section 7.4.1.2, RFC 8446 Section 4.1.2
      writeHelloStart(w, 'ClientHello', m);
      w.u16List(2, m.cipherSuites);
      w.vector(1, m.legacyCompressionMethods);
      // RFC 5246 Section 7.4.1.2: with no extensions, the block is left out.
      if (m.extensions.length > 0) writeExtensions(w, m.extensions);
      return;
    case HandshakeType.server_hello:
      // RFC 5246 Section 7.4.1.3, RFC 8446 Section 4.1.3
      writeHelloStart(w, 'ServerHello', m);
      w.u16(m.cipherSuite);
      w.u8(m.legacyCompressionMethod);
      if (m.extensions.length > 0) writeExtensions(w, m.extensions);
      return;
    case HandshakeType.certificate:
      if (version === ProtocolVersion['TLSv1.3']) {
        // RFC 8446 Section 4.4.2
        w.vector(1, m.certificateRequestContext);
        w.prefixed(3, () => {
          for (const entry of m.certificateList) {
            w.vector(3, entry.certData);
            writeExtensions(w, entry.extensions);
          }
        });
      } else {
        // RFC 5246 Section 7.4.2: no request context, no per-certificate extensions.
        if (m.certificateRequestContext.length > 0 || m.certificateList.some((e) => e.extensions.length > 0)) {
          throw new TlsError('internal_error', 'a TLS 1.2 Certificate message cannot carry a request context or extensions');
        }
        w.prefixed(3, () => {
          for (const entry of m.certificateList) w.vector(3, entry.certData);
        });
      }
      return;
    case HandshakeType.server_key_exchange: {
      if (m.kx !== 'ecdhe' && m.kx !== 'dhe') {
        // RFC 4279 Section 2 / RFC 5489 Section 2: the hint, then the unsigned parameters.
        w.vector(2, m.identityHint);
        w.bytes(m.params);
        return;
      }
      const start = w.length;
      if (m.kx === 'ecdhe') writeServerEcdhParams(w, m.namedGroup, m.publicKey); // RFC 8422 Section 5.4
      else writeServerDhParams(w, m.dhP, m.dhG, m.dhYs); // RFC 5246 Section 7.4.3
      // The params field must be what the fields encode: it is what the signature covers.
      const written = w.finish().subarray(start);
      if (!sameBytes(written, m.params)) {
        throw new TlsError('internal_error', 'ServerKeyExchange.params does not match its fields');
      }
      // RFC 2246 / 4346: before TLS 1.2 the signature has no algorithm field.
      if (version >= ProtocolVersion['TLSv1.2']) w.u16(m.signatureScheme);
      w.vector(2, m.signature);
      return;
    }
    case HandshakeType.certificate_request:
      if (m.version === 'tls12') {
        // RFC 5246 Section 7.4.4; TLS 1.0 and 1.1 have no supported_signature_algorithms (RFC 4346 Section 7.4.4).
        w.vector(1, m.certificateTypes);
        if (version >= ProtocolVersion['TLSv1.2']) w.u16List(2, m.signatureAlgorithms);
        w.prefixed(2, () => {
          for (const dn of m.certificateAuthorities) w.vector(2, dn);
        });
      } else {
        // RFC 8446 Section 4.3.2
        w.vector(1, m.certificateRequestContext);
        writeExtensions(w, m.extensions);
      }
      return;
    case HandshakeType.server_hello_done: // RFC 5246 Section 7.4.5
    case HandshakeType.hello_request: // RFC 5246 Section 7.4.1.1
    case HandshakeType.end_of_early_data: // RFC 8446 Section 4.5
      return;
    case HandshakeType.client_key_exchange:
      // RFC 4279 Sections 2-4, RFC 5489 Section 2: psk_identity<0..2^16-1> first.
      if (isPskKeyExchange(m.kx)) w.vector(2, m.pskIdentity ?? new Uint8Array(0));
      if (m.kx === 'psk') return;
      // RFC 5246 Section 7.4.7.1 (rsa), 7.4.7.2 (dhe); RFC 8422 Section 5.7 (ecdhe)
      w.vector(m.kx === 'ecdhe' || m.kx === 'ecdhe_psk' ? 1 : 2, m.exchangeKeys);
      return;
    case HandshakeType.certificate_verify:
      // RFC 5246 Section 7.4.8, RFC 8446 Section 4.4.3; RFC 4346 Section 7.4.8: no algorithm field before TLS 1.2.
      if (version >= ProtocolVersion['TLSv1.2']) w.u16(m.signatureScheme);
      w.vector(2, m.signature);
      return;
    case HandshakeType.finished:
      // RFC 5246 Section 7.4.9, RFC 8446 Section 4.4.4: verify_data fills the body.
      w.bytes(m.verifyData);
      return;
    case HandshakeType.new_session_ticket:
      if (m.version === 'tls12') {
        // RFC 5077 Section 3.3
        w.u32(m.ticketLifetimeHint);
        w.vector(2, m.ticket);
      } else {
        // RFC 8446 Section 4.6.1
        w.u32(m.ticketLifetime);
        w.u32(m.ticketAgeAdd);
        w.vector(1, m.ticketNonce);
        w.vector(2, m.ticket);
        writeExtensions(w, m.extensions);
      }
      return;
    case HandshakeType.encrypted_extensions:
      // RFC 8446 Section 4.3.1
      writeExtensions(w, m.extensions);
      return;
    case HandshakeType.key_update:
      // RFC 8446 Section 4.6.3
      w.u8(m.requestUpdate);
      return;
    case HandshakeType.certificate_status:
      writeCertificateStatus(w, m.statusType, m.response);
      return;
    default: {
      const never: never = m;
      throw new TlsError('internal_error', `cannot encode handshake message ${String((never as { type: unknown }).type)}`);
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// ---------------------------------------------------------------------------
// Decoding

/** The most a vector<floor..2^8-1> or vector<floor..2^16-1> can take on the wire, length prefix included. */
const V8 = 1 + 0xff;
const V16 = 2 + 0xffff;

/**
 * The largest body each handshake message can have by its structure, in both versions: what a
 * peer may legally send, so nothing below it is refused and nothing above it is buffered (the
 * joiner checks it against the 4-byte header). Certificate and CertificateStatus (uint24
 * vectors) are bounded by limits.maxCertificateMessage instead, types we do not know by
 * limits.maxHandshakeMessage.
 */
const structuralMaximum: ReadonlyMap<number, number> = new Map([
  [HandshakeType.hello_request, 0],
  // RFC 8446 Section 4.1.2: version, random, session ID <0..32>, suites <2..2^16-2>,
  // compression <1..2^8-1>, extensions <8..2^16-1> (RFC 5246 Section 7.4.1.2 likewise): 131,396.
  [HandshakeType.client_hello, 2 + 32 + (1 + 32) + (2 + 0xfffe) + V8 + V16],
  // RFC 8446 Section 4.1.3: version, random, session ID echo, suite, compression, extensions.
  [HandshakeType.server_hello, 2 + 32 + (1 + 32) + 2 + 1 + V16],
  // RFC 8446 Section 4.6.1: lifetime, age_add, nonce <0..255>, ticket <1..2^16-1>, extensions
  // (longer than RFC 5077's lifetime and ticket).
  [HandshakeType.new_session_ticket, 4 + 4 + V8 + V16 + V16],
  [HandshakeType.end_of_early_data, 0],
  [HandshakeType.encrypted_extensions, V16],
  // RFC 5246 Section 7.4.3: DHE p, g, Ys <1..2^16-1> each, then the scheme and the signature
  // <0..2^16-1> (262,150; ECDHE's is smaller).
  [HandshakeType.server_key_exchange, 3 * V16 + 2 + V16],
  // RFC 5246 Section 7.4.4: types <1..2^8-1>, schemes <2..2^16-2>, authorities <0..2^16-1>
  // (RFC 8446 Section 4.3.2's context and extensions are smaller).
  [HandshakeType.certificate_request, V8 + V16 + V16],
  [HandshakeType.server_hello_done, 0],
  // RFC 8446 Section 4.4.3: the scheme and the signature <0..2^16-1>.
  [HandshakeType.certificate_verify, 2 + V16],
  // RFC 5246 Section 7.4.7 and RFC 4279 Section 2: a PSK identity and an encrypted or DH value.
  [HandshakeType.client_key_exchange, V16 + V16],
  // RFC 8446 Section 4.4.4: verify_data is as long as the suite's hash (at most SHA-512's).
  [HandshakeType.finished, 64],
  [HandshakeType.key_update, 1],
]);

/** 262,150: the largest of them, a TLS 1.2 DHE ServerKeyExchange with every field at its longest. */
export const MAX_STRUCTURED_HANDSHAKE_BODY = Math.max(...structuralMaximum.values());

/**
 * The largest body a handshake message of `type` may have on the wire, or undefined for the
 * ones with a uint24 vector inside (Certificate, CertificateStatus) and the types we do not know.
 */
export function maxHandshakeBody(type: number): number | undefined {
  return structuralMaximum.get(type);
}

/**
 * Decodes one message body (without the 4-byte header) of the given type.
 * Throws TlsError: decode_error for bad lengths, trailing bytes or duplicate
 * extensions; unexpected_message for a type it does not know.
 */
export function decodeHandshake(type: number, body: Uint8Array, context: DecodeContext): HandshakeMessage {
  // One private copy: the decoded fields are views into it, never into the caller's buffer.
  const bytes = body.slice();
  const tls13 = context.version === ProtocolVersion['TLSv1.3'];
  switch (type) {
    case HandshakeType.client_hello:
      return Reader.readAll(bytes, 'ClientHello', readClientHello);
    case HandshakeType.server_hello:
      return Reader.readAll(bytes, 'ServerHello', readServerHello);
    case HandshakeType.certificate:
      return Reader.readAll<CertificateMessage>(bytes, 'Certificate', tls13 ? readCertificate13 : readCertificate12);
    case HandshakeType.server_key_exchange:
      // RFC 5246 Section 7.4.3: sent only for key exchanges that need it (not for RSA).
      if (context.kx === 'ecdhe') return Reader.readAll(bytes, 'ServerKeyExchange', (r) => readServerKeyExchangeEcdhe(r, bytes, context.version));
      if (context.kx === 'dhe') return Reader.readAll(bytes, 'ServerKeyExchange', (r) => readServerKeyExchangeDhe(r, bytes, context.version));
      if (context.kx !== undefined && isPskKeyExchange(context.kx)) {
        const kx = context.kx;
        return Reader.readAll(bytes, 'ServerKeyExchange', (r) => readServerKeyExchangePsk(r, bytes, kx));
      }
      throw new TlsError('unexpected_message', `ServerKeyExchange received for key exchange ${context.kx ?? 'none'}`);
    case HandshakeType.certificate_request:
      return Reader.readAll<CertificateRequest>(bytes, 'CertificateRequest', tls13 ? readCertificateRequest13 : (r) => readCertificateRequest12(r, context.version));
    case HandshakeType.server_hello_done:
      // RFC 5246 Section 7.4.5: struct { } ServerHelloDone;
      return Reader.readAll(bytes, 'ServerHelloDone', () => ({ type: HandshakeType.server_hello_done }));
    case HandshakeType.client_key_exchange: {
      const kx = context.kx;
      if (kx === undefined) throw new TlsError('unexpected_message', 'ClientKeyExchange received before a key exchange was chosen');
      return Reader.readAll(bytes, 'ClientKeyExchange', (r) => {
        // RFC 4279 Section 2: opaque psk_identity<0..2^16-1>, before what the key exchange adds.
        const pskIdentity = isPskKeyExchange(kx) ? r.vector(2, 'psk_identity') : undefined;
        const exchangeKeys =
          kx === 'psk'
            ? new Uint8Array(0)
            : kx === 'rsa' || kx === 'rsa_psk'
              ? r.vector(2, 'encrypted_pre_master_secret') // RFC 5246 Section 7.4.7.1, RFC 4279 Section 4
              : kx === 'ecdhe' || kx === 'ecdhe_psk'
                ? r.vector(1, 'ecdh_Yc', 1, 255) // RFC 8422 Section 5.7: opaque point <1..2^8-1>
                : r.vector(2, 'dh_Yc', 1); // RFC 5246 Section 7.4.7.2: opaque dh_Yc<1..2^16-1>
        return { type: HandshakeType.client_key_exchange, kx, ...(pskIdentity ? { pskIdentity } : {}), exchangeKeys };
      });
    }
    case HandshakeType.certificate_verify:
      // RFC 5246 Section 7.4.8 (digitally-signed, Section 4.7), RFC 8446 Section 4.4.3
      return Reader.readAll(bytes, 'CertificateVerify', (r) => ({
        type: HandshakeType.certificate_verify,
        ...readSignature(r, context.version),
      }));
    case HandshakeType.finished:
      // RFC 5246 Section 7.4.9, RFC 8446 Section 4.4.4: verify_data is the whole body; its length is
      // checked where it is compared.
      return Reader.readAll(bytes, 'Finished', (r) => ({ type: HandshakeType.finished, verifyData: r.rest() }));
    case HandshakeType.hello_request:
      // RFC 5246 Section 7.4.1.1: struct { } HelloRequest;
      return Reader.readAll(bytes, 'HelloRequest', () => ({ type: HandshakeType.hello_request }));
    case HandshakeType.new_session_ticket:
      return Reader.readAll<NewSessionTicket>(bytes, 'NewSessionTicket', tls13 ? readNewSessionTicket13 : readNewSessionTicket12);
    case HandshakeType.encrypted_extensions:
      // RFC 8446 Section 4.3.1: Extension extensions<0..2^16-1>;
      return Reader.readAll(bytes, 'EncryptedExtensions', (r) => ({
        type: HandshakeType.encrypted_extensions,
        extensions: readExtensions(r, 'EncryptedExtensions'),
      }));
    case HandshakeType.end_of_early_data:
      // RFC 8446 Section 4.5: struct {} EndOfEarlyData;
      return Reader.readAll(bytes, 'EndOfEarlyData', () => ({ type: HandshakeType.end_of_early_data }));
    case HandshakeType.key_update:
      return Reader.readAll(bytes, 'KeyUpdate', readKeyUpdate);
    case HandshakeType.certificate_status:
      return Reader.readAll(bytes, 'CertificateStatus', (r) => ({ type: HandshakeType.certificate_status, ...readCertificateStatus(r) }));
    default:
      throw new TlsError('unexpected_message', `unknown handshake message type ${handshakeTypeName(type)}`);
  }
}

/**
 * Decodes one whole handshake message, header included (type, u24 length, body),
 * rejecting a length that disagrees with the bytes given.
 */
export function decodeHandshakeMessage(message: Uint8Array, context: DecodeContext): HandshakeMessage {
  return Reader.readAll(message, 'Handshake', (r) => {
    const type = r.u8('msg_type');
    const body = r.vector(3, 'body');
    return decodeHandshake(type, body, context);
  });
}

/**
 * Reads an extension block, Extension extensions<min..2^16-1>, rejecting
 * duplicates: RFC 8446 Section 4.2, "There MUST NOT be more than one extension of
 * the same type in a given extension block"; RFC 5246 Section 7.4.1.4 likewise.
 */
function readExtensions(r: Reader, where: string, minBytes = 0): Extension[] {
  const list = r.sub(2, 'extensions', minBytes);
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (!list.empty()) {
    const type = list.u16('extension_type');
    const data = list.vector(2, 'extension_data');
    if (seen.has(type)) throw new TlsError('decode_error', `duplicate extension ${extensionTypeName(type)} in ${where}`);
    seen.add(type);
    out.push({ type, data });
  }
  return out;
}

function readRandom(r: Reader): Uint8Array {
  return r.bytesN(32, 'random');
}

function readClientHello(r: Reader): ClientHello {
  // RFC 5246 Section 7.4.1.2, RFC 8446 Section 4.1.2
  const legacyVersion = r.u16('legacy_version');
  const random = readRandom(r);
  const legacySessionId = r.vector(1, 'legacy_session_id', 0, 32);
  const cipherSuites = readCipherSuites(r);
  // CompressionMethod legacy_compression_methods<1..2^8-1>;
  const legacyCompressionMethods = r.vector(1, 'legacy_compression_methods', 1);
  // RFC 5246 Section 7.4.1.2: "the presence of extensions can be detected by determining whether
  // there are bytes following the compression_methods at the end of the ClientHello".
  const extensions = r.empty() ? [] : readExtensions(r, 'ClientHello');
  return { type: HandshakeType.client_hello, legacyVersion, random, legacySessionId, cipherSuites, legacyCompressionMethods, extensions };
}

function readCipherSuites(r: Reader): number[] {
  // RFC 8446 Section 4.1.2: CipherSuite cipher_suites<2..2^16-2>; (two bytes each)
  const suites = r.sub(2, 'cipher_suites', 2);
  if (suites.remaining % 2 !== 0) throw new TlsError('decode_error', `ClientHello.cipher_suites has an odd length of ${suites.remaining}`);
  const out: number[] = [];
  while (!suites.empty()) out.push(suites.u16('cipher_suite'));
  return out;
}

function readServerHello(r: Reader): ServerHello {
  // RFC 5246 Section 7.4.1.3, RFC 8446 Section 4.1.3
  const legacyVersion = r.u16('legacy_version');
  const random = readRandom(r);
  const legacySessionId = r.vector(1, 'legacy_session_id_echo', 0, 32);
  const cipherSuite = r.u16('cipher_suite');
  const legacyCompressionMethod = r.u8('legacy_compression_method');
  // RFC 5246 Section 7.4.1.3: the extensions block is absent when there are none.
  const extensions = r.empty() ? [] : readExtensions(r, 'ServerHello');
  return { type: HandshakeType.server_hello, legacyVersion, random, legacySessionId, cipherSuite, legacyCompressionMethod, extensions };
}

function readCertificate12(r: Reader): CertificateMessage {
  // RFC 5246 Section 7.4.2: ASN.1Cert certificate_list<0..2^24-1>; opaque ASN.1Cert<1..2^24-1>;
  const list = r.sub(3, 'certificate_list');
  const certificateList: CertificateEntry[] = [];
  while (!list.empty()) certificateList.push({ certData: list.vector(3, 'ASN.1Cert', 1), extensions: [] });
  return { type: HandshakeType.certificate, certificateRequestContext: new Uint8Array(0), certificateList };
}

function readCertificate13(r: Reader): CertificateMessage {
  // RFC 8446 Section 4.4.2: opaque certificate_request_context<0..2^8-1>; CertificateEntry certificate_list<0..2^24-1>;
  const certificateRequestContext = r.vector(1, 'certificate_request_context');
  const list = r.sub(3, 'certificate_list');
  const certificateList: CertificateEntry[] = [];
  while (!list.empty()) {
    // opaque cert_data<1..2^24-1>; Extension extensions<0..2^16-1>;
    const certData = list.vector(3, 'cert_data', 1);
    const extensions = readExtensions(list, 'CertificateEntry');
    certificateList.push({ certData, extensions });
  }
  return { type: HandshakeType.certificate, certificateRequestContext, certificateList };
}

/** The signature scheme of a TLS 1.0/1.1 signature, which has no algorithm field: the key decides it. */
export const LEGACY_SIGNATURE_SCHEME = 0;

function readSignature(r: Reader, version: number): { signatureScheme: number; signature: Uint8Array } {
  // RFC 5246 Section 4.7 digitally-signed: SignatureAndHashAlgorithm algorithm; opaque signature<0..2^16-1>;
  // RFC 4346 Section 4.7: no algorithm before TLS 1.2.
  const signatureScheme = version >= ProtocolVersion['TLSv1.2'] ? r.u16('signature_algorithm') : LEGACY_SIGNATURE_SCHEME;
  const signature = r.vector(2, 'signature');
  return { signatureScheme, signature };
}

function readServerKeyExchangeEcdhe(r: Reader, body: Uint8Array, version: number): ServerKeyExchangeEcdhe {
  // RFC 8422 Section 5.4: ServerECDHParams { ECParameters curve_params; ECPoint public; }
  const curveType = r.u8('curve_type');
  // RFC 8422 Section 5.4: only named_curve is allowed (explicit curves are deprecated).
  if (curveType !== ECCurveType.named_curve) {
    throw new TlsError('illegal_parameter', `ServerKeyExchange.curve_type is ${curveType}, not named_curve (3)`);
  }
  const namedGroup = r.u16('named_curve');
  // RFC 8422 Section 5.4: opaque point <1..2^8-1>;
  const publicKey = r.vector(1, 'public', 1, 255);
  const params = body.subarray(0, r.position);
  return { type: HandshakeType.server_key_exchange, kx: 'ecdhe', namedGroup, publicKey, ...readSignature(r, version), params };
}

function readServerKeyExchangeDhe(r: Reader, body: Uint8Array, version: number): ServerKeyExchangeDhe {
  // RFC 5246 Section 7.4.3: ServerDHParams { opaque dh_p<1..2^16-1>; opaque dh_g<1..2^16-1>; opaque dh_Ys<1..2^16-1>; }
  const dhP = r.vector(2, 'dh_p', 1);
  const dhG = r.vector(2, 'dh_g', 1);
  const dhYs = r.vector(2, 'dh_Ys', 1);
  const params = body.subarray(0, r.position);
  return { type: HandshakeType.server_key_exchange, kx: 'dhe', dhP, dhG, dhYs, ...readSignature(r, version), params };
}

function readServerKeyExchangePsk(r: Reader, body: Uint8Array, kx: ServerKeyExchangePsk['kx']): ServerKeyExchangePsk {
  // RFC 4279 Section 2: opaque psk_identity_hint<0..2^16-1>;
  const identityHint = r.vector(2, 'psk_identity_hint');
  const start = r.position;
  const base = { type: HandshakeType.server_key_exchange, kx, identityHint } as const;
  if (kx === 'ecdhe_psk') {
    // RFC 5489 Section 2: ServerECDHParams, unsigned.
    const curveType = r.u8('curve_type');
    if (curveType !== ECCurveType.named_curve) {
      throw new TlsError('illegal_parameter', `ServerKeyExchange.curve_type is ${curveType}, not named_curve (3)`);
    }
    const namedGroup = r.u16('named_curve');
    const publicKey = r.vector(1, 'public', 1, 255);
    return { ...base, namedGroup, publicKey, params: body.subarray(start, r.position) };
  }
  if (kx === 'dhe_psk') {
    // RFC 4279 Section 3: ServerDHParams, unsigned.
    const dhP = r.vector(2, 'dh_p', 1);
    const dhG = r.vector(2, 'dh_g', 1);
    const dhYs = r.vector(2, 'dh_Ys', 1);
    return { ...base, dhP, dhG, dhYs, params: body.subarray(start, r.position) };
  }
  return { ...base, params: new Uint8Array(0) };
}

function readCertificateRequest12(r: Reader, version: number): CertificateRequest12 {
  // RFC 5246 Section 7.4.4: ClientCertificateType certificate_types<1..2^8-1>;
  const certificateTypes = r.vector(1, 'certificate_types', 1);
  // SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>; (TLS 1.2 only: RFC 4346 Section 7.4.4 has none)
  const signatureAlgorithms = version >= ProtocolVersion['TLSv1.2'] ? r.u16List(2, 'supported_signature_algorithms', 1) : [];
  // DistinguishedName certificate_authorities<0..2^16-1>; opaque DistinguishedName<1..2^16-1>;
  const cas = r.sub(2, 'certificate_authorities');
  const certificateAuthorities: Uint8Array[] = [];
  while (!cas.empty()) certificateAuthorities.push(cas.vector(2, 'DistinguishedName', 1));
  return { type: HandshakeType.certificate_request, version: 'tls12', certificateTypes, signatureAlgorithms, certificateAuthorities };
}

function readCertificateRequest13(r: Reader): CertificateRequest13 {
  // RFC 8446 Section 4.3.2: opaque certificate_request_context<0..2^8-1>; Extension extensions<2..2^16-1>;
  const certificateRequestContext = r.vector(1, 'certificate_request_context');
  const extensions = readExtensions(r, 'CertificateRequest', 2);
  return { type: HandshakeType.certificate_request, version: 'tls13', certificateRequestContext, extensions };
}

function readNewSessionTicket12(r: Reader): NewSessionTicket12 {
  // RFC 5077 Section 3.3: uint32 ticket_lifetime_hint; opaque ticket<0..2^16-1>;
  const ticketLifetimeHint = r.u32('ticket_lifetime_hint');
  const ticket = r.vector(2, 'ticket');
  return { type: HandshakeType.new_session_ticket, version: 'tls12', ticketLifetimeHint, ticket };
}

function readNewSessionTicket13(r: Reader): NewSessionTicket13 {
  // RFC 8446 Section 4.6.1
  const ticketLifetime = r.u32('ticket_lifetime');
  const ticketAgeAdd = r.u32('ticket_age_add');
  const ticketNonce = r.vector(1, 'ticket_nonce'); // opaque ticket_nonce<0..255>;
  const ticket = r.vector(2, 'ticket', 1); // opaque ticket<1..2^16-1>;
  const extensions = readExtensions(r, 'NewSessionTicket'); // Extension extensions<0..2^16-2>;
  return { type: HandshakeType.new_session_ticket, version: 'tls13', ticketLifetime, ticketAgeAdd, ticketNonce, ticket, extensions };
}

function readKeyUpdate(r: Reader): KeyUpdate {
  // RFC 8446 Section 4.6.3: enum { update_not_requested(0), update_requested(1), (255) } KeyUpdateRequest;
  // "If an implementation receives any other value, it MUST terminate the connection with an illegal_parameter alert."
  const requestUpdate = r.u8('request_update');
  if (requestUpdate !== 0 && requestUpdate !== 1) {
    throw new TlsError('illegal_parameter', `KeyUpdate.request_update is ${requestUpdate}, not 0 or 1`);
  }
  return { type: HandshakeType.key_update, requestUpdate };
}

// ---------------------------------------------------------------------------
// Trace

/** The message's name as the RFCs write it: 'ClientHello', 'HelloRetryRequest', ... */
export function handshakeMessageName(message: HandshakeMessage): string {
  switch (message.type) {
    case HandshakeType.client_hello: return 'ClientHello';
    case HandshakeType.server_hello: return isHelloRetryRequest(message) ? 'HelloRetryRequest' : 'ServerHello';
    case HandshakeType.certificate: return 'Certificate';
    case HandshakeType.server_key_exchange: return 'ServerKeyExchange';
    case HandshakeType.certificate_request: return 'CertificateRequest';
    case HandshakeType.server_hello_done: return 'ServerHelloDone';
    case HandshakeType.client_key_exchange: return 'ClientKeyExchange';
    case HandshakeType.certificate_verify: return 'CertificateVerify';
    case HandshakeType.finished: return 'Finished';
    case HandshakeType.hello_request: return 'HelloRequest';
    case HandshakeType.new_session_ticket: return 'NewSessionTicket';
    case HandshakeType.encrypted_extensions: return 'EncryptedExtensions';
    case HandshakeType.end_of_early_data: return 'EndOfEarlyData';
    case HandshakeType.key_update: return 'KeyUpdate';
    case HandshakeType.certificate_status: return 'CertificateStatus';
  }
}

function hex16(v: number): string {
  return `0x${v.toString(16).padStart(4, '0')}`;
}

function versionLabel(v: number): string {
  return `${protocolVersionName(v)} (${hex16(v)})`;
}

function suiteLabel(id: number): string {
  return suiteById(id)?.standardName ?? `unknown(${hex16(id)})`;
}

type ExtensionSite = 'client_hello' | 'server_hello' | 'hello_retry_request' | 'other';

/** One extension for the trace: its name and, where a codec can read it, its decoded value; else its data. */
function describeExtension(e: Extension, site: ExtensionSite): TraceFields {
  const type = extensionTypeName(e.type);
  try {
    const value = extensionSummary(e, site);
    if (value !== undefined) return { type, ...value };
  } catch {
    // A malformed extension is shown as its bytes; decoding it for real reports the error.
  }
  return { type, data: e.data };
}

function extensionSummary(e: Extension, site: ExtensionSite): TraceFields | undefined {
  switch (e.type) {
    case ExtensionType.server_name:
      return { hostName: decodeServerName(e.data) };
    case ExtensionType.supported_groups:
      return { namedGroupList: decodeSupportedGroups(e.data).map(namedGroupName) };
    case ExtensionType.signature_algorithms:
    case ExtensionType.signature_algorithms_cert:
      return { supportedSignatureAlgorithms: decodeSignatureAlgorithms(e.data).map(signatureSchemeName) };
    case ExtensionType.application_layer_protocol_negotiation:
      return { protocolNameList: decodeAlpn(e.data) };
    case ExtensionType.ec_point_formats:
      return { ecPointFormatList: decodeEcPointFormats(e.data) };
    case ExtensionType.supported_versions:
      if (site === 'client_hello') return { versions: decodeSupportedVersionsClient(e.data).map(versionLabel) };
      if (site === 'server_hello' || site === 'hello_retry_request') {
        return { selectedVersion: versionLabel(decodeSupportedVersionsServer(e.data)) };
      }
      return undefined;
    case ExtensionType.key_share: {
      const entry = (k: { group: number; keyExchange: Uint8Array }): TraceFields => ({ group: namedGroupName(k.group), keyExchange: k.keyExchange });
      if (site === 'client_hello') return { clientShares: decodeKeyShareClient(e.data).map(entry) };
      if (site === 'server_hello') return { serverShare: entry(decodeKeyShareServer(e.data)) };
      if (site === 'hello_retry_request') return { selectedGroup: namedGroupName(decodeKeyShareHelloRetry(e.data)) };
      return undefined;
    }
    default:
      return undefined;
  }
}

function describeExtensions(list: readonly Extension[], site: ExtensionSite = 'other'): TraceValue {
  return list.map((e) => describeExtension(e, site));
}

/** The fields of a message for the trace, named after the RFCs in camelCase. */
export function describeHandshake(message: HandshakeMessage): TraceFields {
  const m = message;
  switch (m.type) {
    case HandshakeType.client_hello:
      return {
        legacyVersion: versionLabel(m.legacyVersion),
        random: m.random,
        legacySessionId: m.legacySessionId,
        cipherSuites: m.cipherSuites.map(suiteLabel),
        legacyCompressionMethods: Array.from(m.legacyCompressionMethods),
        extensions: describeExtensions(m.extensions, 'client_hello'),
      };
    case HandshakeType.server_hello:
      return {
        legacyVersion: versionLabel(m.legacyVersion),
        random: m.random,
        legacySessionIdEcho: m.legacySessionId,
        cipherSuite: suiteLabel(m.cipherSuite),
        legacyCompressionMethod: m.legacyCompressionMethod,
        extensions: describeExtensions(m.extensions, isHelloRetryRequest(m) ? 'hello_retry_request' : 'server_hello'),
      };
    case HandshakeType.certificate:
      return {
        certificateRequestContext: m.certificateRequestContext,
        certificateList: m.certificateList.map((c) => ({ certData: c.certData, extensions: describeExtensions(c.extensions) })),
      };
    case HandshakeType.server_key_exchange:
      if (m.kx !== 'ecdhe' && m.kx !== 'dhe') {
        return {
          pskIdentityHint: m.identityHint,
          ...(m.namedGroup !== undefined ? { curveType: 'named_curve', namedCurve: namedGroupName(m.namedGroup), public: m.publicKey } : {}),
          ...(m.dhP !== undefined ? { dhP: m.dhP, dhG: m.dhG, dhYs: m.dhYs } : {}),
        };
      }
      return m.kx === 'ecdhe'
        ? {
            curveType: 'named_curve',
            namedCurve: namedGroupName(m.namedGroup),
            public: m.publicKey,
            signatureAlgorithm: signatureSchemeName(m.signatureScheme),
            signature: m.signature,
          }
        : { dhP: m.dhP, dhG: m.dhG, dhYs: m.dhYs, signatureAlgorithm: signatureSchemeName(m.signatureScheme), signature: m.signature };
    case HandshakeType.certificate_request:
      return m.version === 'tls12'
        ? {
            certificateTypes: Array.from(m.certificateTypes),
            supportedSignatureAlgorithms: m.signatureAlgorithms.map(signatureSchemeName),
            certificateAuthorities: m.certificateAuthorities,
          }
        : { certificateRequestContext: m.certificateRequestContext, extensions: describeExtensions(m.extensions) };
    case HandshakeType.client_key_exchange:
      return { keyExchange: m.kx, ...(m.pskIdentity ? { pskIdentity: m.pskIdentity } : {}), exchangeKeys: m.exchangeKeys };
    case HandshakeType.certificate_verify:
      return { algorithm: signatureSchemeName(m.signatureScheme), signature: m.signature };
    case HandshakeType.finished:
      return { verifyData: m.verifyData };
    case HandshakeType.new_session_ticket:
      return m.version === 'tls12'
        ? { ticketLifetimeHint: m.ticketLifetimeHint, ticket: m.ticket }
        : {
            ticketLifetime: m.ticketLifetime,
            ticketAgeAdd: m.ticketAgeAdd,
            ticketNonce: m.ticketNonce,
            ticket: m.ticket,
            extensions: describeExtensions(m.extensions),
          };
    case HandshakeType.encrypted_extensions:
      return { extensions: describeExtensions(m.extensions) };
    case HandshakeType.key_update:
      return { requestUpdate: m.requestUpdate === 0 ? 'update_not_requested' : m.requestUpdate === 1 ? 'update_requested' : m.requestUpdate };
    case HandshakeType.certificate_status:
      return { statusType: m.statusType === 1 ? 'ocsp' : m.statusType, response: m.response };
    case HandshakeType.server_hello_done:
    case HandshakeType.hello_request:
    case HandshakeType.end_of_early_data:
      return {};
  }
}

/** RFC 6066 Section 8: struct { CertificateStatusType status_type; opaque OCSPResponse<1..2^24-1>; } */
export function writeCertificateStatus(w: Writer, statusType: number, response: Uint8Array): void {
  w.u8(statusType);
  w.vector(3, response);
}

export function readCertificateStatus(r: Reader): { statusType: number; response: Uint8Array } {
  const statusType = r.u8('status_type');
  if (statusType !== 1) throw new TlsError('illegal_parameter', `CertificateStatus.status_type is ${statusType}, not ocsp (1)`);
  return { statusType, response: r.vector(3, 'OCSPResponse', 1) };
}
