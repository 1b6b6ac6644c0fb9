// What both roles and both versions share: the context a state acts through,
// the state interface, message expectations, and the checks that compare secrets.

import type { CommonConfig } from '../config.js';
import type { ConnectionEvent, ConnectionInfo } from '../connection.js';
import { constantTimeEqual, RSA_PKCS1_MD5_SHA1, type CryptoProvider, type KeyAlgorithm } from '../crypto/provider.js';
import { certificateError, TlsError } from '../errors.js';
import { parseCertificate, type Certificate } from '../x509/certificate.js';
import { isIpAddress } from '../x509/identity.js';
import { verifyChain, type LeafKeyUsage, type VerifyOptions } from '../x509/verify.js';
import { checkOcspResponse } from '../x509/ocsp.js';
import { AwaitAnswer, type CertificateVerdict } from './requests.js';
import type { HandshakeFrame } from '../record/framer.js';
import type { PaddingPolicy, RecordProtection } from '../record/protection.js';
import type { Transcript } from '../keys/transcript.js';
import type { Annotator, Side, TraceFields } from '../trace.js';
import { HandshakeType, handshakeTypeName, SignatureScheme } from '../wire/enums.js';
import { decodeHandshake, describeHandshake, handshakeMessageName, type HandshakeMessage, type KeyExchangeKind } from '../wire/messages.js';

/** ConnectionInfo as the states fill it in. */
export type MutableInfo = { -readonly [K in keyof ConnectionInfo]: ConnectionInfo[K] };

/** What a state acts through: sending, switching keys, reporting. Implemented by the engine. */
export interface HandshakeContext {
  readonly side: Side;
  readonly config: CommonConfig;
  readonly provider: CryptoProvider;
  readonly transcript: Transcript;
  readonly info: MutableInfo;
  /** The negotiated version once known (for decoding), else 0x0303. */
  version: number;
  /** Encodes, adds to the transcript, traces and queues a handshake message. */
  sendHandshake(message: HandshakeMessage): void;
  sendChangeCipherSpec(): void;
  setReadProtection(protection: RecordProtection): void;
  setWriteProtection(protection: RecordProtection): void;
  /** The version written in record headers from now on. */
  /**
   * The version of our record headers from now on; with `peerToo` (a negotiated TLS 1.0-1.2), every
   * record the peer sends must say it too, or the connection fails with protocol_version.
   */
  setRecordVersion(version: number, peerToo?: boolean): void;
  /**
   * RFC 8449: both sides sent record_size_limit. `peerLimit` bounds what we send, `ourLimit`
   * what we accept; in TLS 1.3 each counts the inner content type byte.
   */
  applyRecordSizeLimits(version: number, peerLimit: number, ourLimit: number): void;
  /** A warning alert (no_renegotiation). */
  sendWarning(description: number): void;
  emit(event: ConnectionEvent): void;
  /** Client: 0-RTT application data under the current (early) write key. */
  sendEarlyData(data: Uint8Array): void;
  /** Client: data to send first once the handshake is done (rejected 0-RTT data). */
  queueApplicationData(data: Uint8Array): void;
  /** Server: skip up to `records` records of 0-RTT data we rejected. */
  skipRejectedEarlyData(records: number): void;
  keyLog(label: string, clientRandom: Uint8Array, secret: Uint8Array): void;
  /** The handshake is complete: application data may flow. */
  handshakeDone(): void;
  /** TLS 1.3 record padding from the config, bounded by the peer's record_size_limit. */
  readonly paddingPolicy: PaddingPolicy | undefined;
  readonly trace: Annotator | undefined;
}

/** A record-layer input for a state. */
export type Input =
  | { readonly kind: 'handshake'; readonly frame: HandshakeFrame }
  | { readonly kind: 'changeCipherSpec' };

/** One step of a handshake: what this side holds now, and how it handles the next input. */
export interface State {
  readonly name: string;
  handle(cx: HandshakeContext, input: Input): State;
  /** What this side holds after the step (the trace shows it). */
  holds(): TraceFields;
  /** True once application data may be exchanged. */
  readonly traffic?: boolean;
  /**
   * RFC 8446 Section 5: during a TLS 1.3 handshake an unprotected
   * ChangeCipherSpec (middlebox compatibility) is dropped, not handled.
   */
  readonly dropsChangeCipherSpec?: boolean;
  /** Server, TLS 1.3 0-RTT accepted: application data before the handshake completes goes here. */
  receiveEarlyData?(cx: HandshakeContext, data: Uint8Array): void;
}

/**
 * Takes the next handshake message, which must be of `type`: decodes it, traces
 * it and adds it to the transcript. Anything else is unexpected_message
 * (RFC 5246 Section 7.4, RFC 8446 Section 4).
 */
export function expect<T extends HandshakeMessage['type']>(
  cx: HandshakeContext,
  input: Input,
  type: T,
  kx?: KeyExchangeKind,
): Extract<HandshakeMessage, { type: T }> {
  const { message, frame } = decodeExpected(cx, input, type, kx);
  record(cx, frame, message);
  const m: HandshakeMessage = message;
  if (m.type === HandshakeType.finished) cx.info.peerFinished = m.verifyData;
  return message;
}

/** Like expect(), without adding the message to the transcript yet (ServerHello may be a HelloRetryRequest). */
export function decodeExpected<T extends HandshakeMessage['type']>(
  cx: HandshakeContext,
  input: Input,
  type: T,
  kx?: KeyExchangeKind,
): { message: Extract<HandshakeMessage, { type: T }>; frame: HandshakeFrame } {
  if (input.kind !== 'handshake' || input.frame.type !== type) {
    const got = input.kind === 'handshake' ? messageName(input.frame.type) : 'ChangeCipherSpec';
    throw new TlsError('unexpected_message', `expected ${messageName(type)}, received ${got}`);
  }
  const message = decodeHandshake(input.frame.type, input.frame.body, kx ? { version: cx.version, kx } : { version: cx.version });
  return { message: message as Extract<HandshakeMessage, { type: T }>, frame: input.frame };
}

/** Adds a received message to the transcript and traces it. */
export function record(cx: HandshakeContext, frame: HandshakeFrame, message: HandshakeMessage): void {
  cx.transcript.add(frame.raw);
  traceMessage(cx, 'received', message, frame.raw);
}

/** Decodes, traces and records a handshake message already known to be acceptable here. */
export function receive(cx: HandshakeContext, frame: HandshakeFrame, kx?: KeyExchangeKind): HandshakeMessage {
  const message = decodeHandshake(frame.type, frame.body, kx ? { version: cx.version, kx } : { version: cx.version });
  record(cx, frame, message);
  return message;
}

export function traceMessage(cx: HandshakeContext, direction: 'sent' | 'received', message: HandshakeMessage, bytes: Uint8Array): void {
  if (!cx.trace) return;
  cx.trace({ kind: 'message', side: cx.side, direction, name: handshakeMessageName(message), fields: describeHandshake(message), bytes });
}

const messageNames: Record<number, string> = {
  [HandshakeType.hello_request]: 'HelloRequest',
  [HandshakeType.client_hello]: 'ClientHello',
  [HandshakeType.server_hello]: 'ServerHello',
  [HandshakeType.new_session_ticket]: 'NewSessionTicket',
  [HandshakeType.end_of_early_data]: 'EndOfEarlyData',
  [HandshakeType.encrypted_extensions]: 'EncryptedExtensions',
  [HandshakeType.certificate]: 'Certificate',
  [HandshakeType.server_key_exchange]: 'ServerKeyExchange',
  [HandshakeType.certificate_request]: 'CertificateRequest',
  [HandshakeType.server_hello_done]: 'ServerHelloDone',
  [HandshakeType.certificate_verify]: 'CertificateVerify',
  [HandshakeType.client_key_exchange]: 'ClientKeyExchange',
  [HandshakeType.finished]: 'Finished',
  [HandshakeType.key_update]: 'KeyUpdate',
};
export function messageName(type: number): string {
  return messageNames[type] ?? handshakeTypeName(type);
}

/** RFC 5246 Section 7.4.9: Finished is compared in constant time; a mismatch is decrypt_error. */
export function checkFinished(expected: Uint8Array, received: Uint8Array, who: 'client' | 'server'): void {
  // RFC 5246 Section 7.4.9, RFC 8446 Section 4.4.4: verify_data has the length the suite fixes (12 bytes,
  // the hash's in TLS 1.3); another length is a malformed message, not a wrong value. The lengths are public.
  if (received.length !== expected.length) {
    throw new TlsError('decode_error', `${who} Finished has ${received.length} bytes of verify_data, not ${expected.length}`);
  }
  if (!constantTimeEqual(expected, received)) {
    throw new TlsError('decrypt_error', `${who} Finished verify_data is wrong`);
  }
}

/** The key algorithm a signature scheme needs (RFC 8446 Section 4.2.3; the same code points in TLS 1.2). */
export function schemeKeyAlgorithm(scheme: number): KeyAlgorithm | undefined {
  switch (scheme) {
    case SignatureScheme.rsa_pkcs1_sha1:
    case SignatureScheme.rsa_pkcs1_sha256:
    case SignatureScheme.rsa_pkcs1_sha384:
    case SignatureScheme.rsa_pkcs1_sha512:
    case SignatureScheme.rsa_pss_rsae_sha256:
    case SignatureScheme.rsa_pss_rsae_sha384:
    case SignatureScheme.rsa_pss_rsae_sha512:
      return 'rsa';
    case SignatureScheme.rsa_pss_pss_sha256:
    case SignatureScheme.rsa_pss_pss_sha384:
    case SignatureScheme.rsa_pss_pss_sha512:
      return 'rsa-pss';
    case SignatureScheme.ecdsa_sha1:
    case SignatureScheme.ecdsa_secp256r1_sha256:
    case SignatureScheme.ecdsa_secp384r1_sha384:
    case SignatureScheme.ecdsa_secp521r1_sha512:
      return 'ec';
    case SignatureScheme.ed25519:
      return 'ed25519';
    default:
      return undefined;
  }
}

/**
 * TLS 1.0 and 1.1 name no signature algorithm: RSA keys sign MD5+SHA-1, ECDSA keys
 * SHA-1 (RFC 2246 Section 7.4.3, RFC 4492 Section 5.4).
 */
export function legacySignatureScheme(key: { algorithm: KeyAlgorithm }): number | undefined {
  if (key.algorithm === 'rsa') return RSA_PKCS1_MD5_SHA1;
  if (key.algorithm === 'ec') return SignatureScheme.ecdsa_sha1;
  return undefined;
}

/** Whether a key can make signatures of `scheme` in TLS 1.2. */
export function schemeFitsKey12(scheme: number, key: { algorithm: KeyAlgorithm }): boolean {
  return schemeKeyAlgorithm(scheme) === key.algorithm;
}

/**
 * The scheme to sign with in TLS 1.2: ours in order of preference, among those
 * the peer listed. A peer that sent no signature_algorithms gets SHA-1 (RFC 5246
 * Section 7.4.1.4.1).
 */
export function chooseSignatureScheme12(
  ours: readonly number[],
  peers: readonly number[] | undefined,
  key: { algorithm: KeyAlgorithm; namedCurve?: number; schemes?: readonly number[] },
): number | undefined {
  const bound = key.schemes;
  if (peers === undefined) {
    const sha1 = key.algorithm === 'rsa' ? SignatureScheme.rsa_pkcs1_sha1 : key.algorithm === 'ec' ? SignatureScheme.ecdsa_sha1 : undefined;
    return sha1 !== undefined && (bound === undefined || bound.includes(sha1)) ? sha1 : undefined;
  }
  const offered = new Set(peers);
  return ours.find((s) => offered.has(s) && schemeFitsKey12(s, key) && (bound === undefined || bound.includes(s)));
}


/** 'TLSv1.2' for 0x0303, as node:tls getProtocol() names versions. */
export function protocolName(version: number): string {
  switch (version) {
    case 0x0301:
      return 'TLSv1';
    case 0x0302:
      return 'TLSv1.1';
    case 0x0303:
      return 'TLSv1.2';
    case 0x0304:
      return 'TLSv1.3';
    default:
      return `unknown(0x${version.toString(16)})`;
  }
}

/**
 * The path validation verifyPeerCertificate runs under `config` for a chain from the peer: for a
 * caller that answers 'verify' requests with the same rules (typetls/web, which checks the chain's
 * elliptic-curve signatures with WebCrypto first).
 */
export function peerVerifyOptions(
  config: CommonConfig,
  chain: readonly Certificate[],
  purpose: 'serverAuth' | 'clientAuth',
  keyUsage: LeafKeyUsage,
  serverName: string | undefined,
  roots: readonly Certificate[] = config.roots,
): VerifyOptions {
  const target = serverName === undefined ? {} : isIpAddress(serverName) ? { ip: serverName } : { hostname: serverName };
  return {
    presented: chain,
    roots,
    now: config.now(),
    purpose,
    keyUsage,
    profile: config.certificateProfile,
    commonNameFallback: config.commonNameFallback,
    ...(config.crls !== undefined ? { crls: config.crls } : {}),
    ...target,
  };
}

/**
 * Verifies the peer's chain (RFC 5280 path validation and, for servers, the
 * name: RFC 6125), and that the leaf's keyUsage allows what the key exchange does with its key
 * (RFC 5246 Section 7.4.2, RFC 8446 Section 4.4.2.2). With rejectUnauthorized a failure ends the handshake with the
 * certificate's alert; without, the handshake goes on and the failure is
 * reported in `info.authorizationError` (node:tls semantics). A server passes the roots of the
 * certificates chosen for the client's name (NamedContext.roots), when they come with some.
 */
export function verifyPeerCertificate(
  cx: HandshakeContext,
  chain: readonly Certificate[],
  purpose: 'serverAuth' | 'clientAuth',
  keyUsage: LeafKeyUsage,
  serverName?: string,
  roots: readonly Certificate[] = cx.config.roots,
): readonly Certificate[] | undefined {
  const result = verifyChain(cx.provider, peerVerifyOptions(cx.config, chain, purpose, keyUsage, serverName, roots));
  if (result.ok) {
    cx.info.authorized = true;
    cx.info.authorizationError = undefined;
    return result.chain;
  }
  refuseCertificate(cx, result.code, result.message);
  return undefined;
}

/**
 * The caller's verdict on the peer's chain (config.ask.verify), in place of verifyPeerCertificate:
 * a 'verify' request, then `then` with the chain as trusted, or undefined when refused (fatal under
 * rejectUnauthorized, else recorded in info, as a built-in failure is).
 */
export function awaitVerdict(
  chain: readonly Certificate[], purpose: 'serverAuth' | 'clientAuth', keyUsage: LeafKeyUsage, serverName: string | undefined, held: TraceFields,
  then: (cx: HandshakeContext, path: readonly Certificate[] | undefined) => State,
): State {
  return new AwaitAnswer({ kind: 'verify', chain, purpose, keyUsage, serverName }, held, (cx, answer) => {
    const refusal = answer as CertificateVerdict | undefined | null;
    if (refusal === undefined || refusal === null) {
      cx.info.authorized = true;
      cx.info.authorizationError = undefined;
      return then(cx, chain);
    }
    refuseCertificate(cx, typeof refusal.code === 'string' ? refusal.code : 'CERT_REJECTED', String(refusal.message ?? 'the certificate verifier refused the chain'));
    return then(cx, undefined);
  });
}

/** A failed certificate check: fatal under rejectUnauthorized, else recorded in info (node:tls semantics). */
function refuseCertificate(cx: HandshakeContext, code: string, message: string): void {
  const error = certificateError(code, message);
  cx.info.authorized = false;
  cx.info.authorizationError = error;
  cx.trace?.({ kind: 'note', side: cx.side, text: `certificate check failed: ${code}: ${message}` });
  if (cx.config.rejectUnauthorized) throw error;
}

/**
 * With requireOcsp, the server's stapled OCSP response (RFC 6066 Section 8, RFC 8446 Section
 * 4.4.2.1) must vouch for its validated leaf (x509/ocsp.ts): none is OCSP_VERIFY_NEEDED, revoked
 * CERT_REVOKED. `path` is the validated path (undefined when the chain itself failed, already reported).
 */
export function checkStapledOcsp(cx: HandshakeContext, path: readonly Certificate[] | undefined, response: Uint8Array | undefined): void {
  const config = cx.config as CommonConfig & { readonly requireOcsp?: boolean };
  if (!config.requireOcsp || path === undefined) return;
  if (response === undefined) {
    refuseCertificate(cx, 'OCSP_VERIFY_NEEDED', 'OCSP verification needed: the server stapled no OCSP response');
    return;
  }
  const failure = checkOcspResponse(cx.provider, response, path[0]!, path[1] ?? path[0]!, config.now());
  if (failure) refuseCertificate(cx, failure.code, failure.message);
}

/** Parses a received chain; a malformed certificate, or too many, is bad_certificate (RFC 5246 Section 7.2.2). */
export function parseChain(cx: HandshakeContext, entries: readonly { certData: Uint8Array }[]): Certificate[] {
  if (entries.length > cx.config.limits.maxChainLength) {
    throw new TlsError('bad_certificate', `peer sent ${entries.length} certificates; at most ${cx.config.limits.maxChainLength} are accepted`);
  }
  return entries.map((e) => parseCertificate(e.certData));
}
