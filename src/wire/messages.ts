// Handshake messages: one discriminated union, with encode/decode.
// RFC 5246 Section 7.4 (TLS 1.2), RFC 8446 Section 4 (TLS 1.3).
// Extensions stay a raw list here; src/wire/extensions.ts has the typed codecs.

import { HandshakeType } from './enums.js';

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

export type ServerKeyExchange = ServerKeyExchangeEcdhe | ServerKeyExchangeDhe;

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
 * Section 5.7), for 'dhe' dh_Yc (u16 prefix).
 */
export interface ClientKeyExchange {
  readonly type: typeof HandshakeType.client_key_exchange;
  readonly kx: 'rsa' | 'ecdhe' | 'dhe';
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

export type HandshakeMessage =
  | ClientHello
  | ServerHello
  | CertificateMessage
  | ServerKeyExchange
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
  readonly kx?: 'rsa' | 'ecdhe' | 'dhe';
}

/** Encodes a message with its 4-byte handshake header (type, u24 length). */
export declare function encodeHandshake(message: HandshakeMessage, version: number): Uint8Array;

/**
 * Decodes one message body (without the 4-byte header) of the given type.
 * Throws TlsError: decode_error for bad lengths, trailing bytes or duplicate
 * extensions; unexpected_message for a type it does not know.
 */
export declare function decodeHandshake(type: number, body: Uint8Array, context: DecodeContext): HandshakeMessage;
