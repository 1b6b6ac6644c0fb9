// The client's first flight and the server's answer to it: RFC 5246 Section
// 7.4.1.2-7.4.1.3 and RFC 8446 Section 4.1.1-4.1.4 (version negotiation,
// HelloRetryRequest), then on to client12.ts or client13.ts.

import type { ClientConfig, ExternalPsk } from '../config.js';
import type { ClientOptions } from '../connection.js';
import { hashLength, type HashAlgorithm, type KeyShare } from '../crypto/provider.js';
import { TlsError } from '../errors.js';
import { isPskSuite, suiteAllowedAt, suiteById, type CipherSuite } from '../suites.js';
import type { TraceFields } from '../trace.js';
import {
  CompressionMethod, ECPointFormat, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, extensionTypeName, namedGroupName,
} from '../wire/enums.js';
import {
  decodeAlpn, decodeCookie, decodeKeyShareHelloRetry, decodeRecordSizeLimit, decodeRenegotiationInfo,
  decodeSupportedVersionsServer, encodeAlpn, encodeCookie, encodeEcPointFormats, encodeKeyShareClient,
  encodePreSharedKeyClient, encodePskKeyExchangeModes, encodeRecordSizeLimit, encodeRenegotiationInfo, encodeServerName,
  encodeSessionTicket, encodeSignatureAlgorithms, encodeStatusRequest, encodeSupportedGroups, encodeSupportedVersionsClient,
  encodedBindersLength, expectEmptyExtension, findExtension,
} from '../wire/extensions.js';
import { encodeHandshake, isHelloRetryRequest, type ClientHello, type Extension, type ServerHello } from '../wire/messages.js';
import { decodeClientSession, type ClientSession } from './resumption.js';
import { ffdheGroup } from '../keys/ffdhe.js';
import { deriveTrafficKeys, protectionFor, pskBinder } from './tls13.js';
import { deriveSecret, earlySecret } from '../keys/tls13.js';
import { nullProtection } from '../record/protection.js';
import { isIpAddress } from '../x509/identity.js';
import { decodeExpected, protocolName, record, type HandshakeContext, type Input, type State } from './common.js';
import { ExpectCertificate, ExpectPskServerKeyExchange, resumeSession12 } from './client12.js';
import { readServerHello13 } from './client13.js';
import { holds12, type Negotiated12 } from './tls12.js';

const TLS12 = ProtocolVersion['TLSv1.2'];
const TLS13 = ProtocolVersion['TLSv1.3'];
/** RFC 8446 Section 4.1.3: the last 8 bytes of a downgraded ServerHello.random. */
const DOWNGRADE_TLS12 = Uint8Array.of(0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01);
const DOWNGRADE_TLS11 = Uint8Array.of(0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00);

/** What the client offered, kept to check the server's answer against. */
export interface ClientOffer {
  readonly config: ClientConfig;
  readonly serverName: string | undefined;
  /** Whether the certificate is checked against serverName here (else the application checks it). */
  readonly verifyServerName: boolean;
  readonly hello: ClientHello;
  /** The highest version offered (legacy_version caps at TLS 1.2; supported_versions says 1.3). */
  readonly maxVersion: number;
  /** Our (EC)DHE / hybrid key shares in the latest ClientHello (TLS 1.3). */
  readonly keyShares: readonly KeyShare[];
  /** Whether a HelloRetryRequest has already been answered. */
  readonly helloRetried: boolean;
  /** Whether our compatibility ChangeCipherSpec has gone out (RFC 8446 Appendix D.4: once, before our second flight). */
  readonly changeCipherSpecSent: boolean;
  /** The session offered for resumption, if any. */
  readonly session: ClientSession | undefined;
  /** The external PSK offered in TLS 1.3 (RFC 8446 Section 4.2.11), after the ticket if both are. */
  readonly externalPsk: ExternalPsk | undefined;
  /** 0-RTT data sent after the first ClientHello (with its compatibility ChangeCipherSpec), if any. */
  readonly earlyData: Uint8Array | undefined;
}

function suitesFor(config: ClientConfig, minVersion: number, maxVersion: number): number[] {
  return config.cipherSuites.filter((id) => {
    const s = suiteById(id);
    if (!s) return false;
    // PSK suites only with a pre-shared key to use (as OpenSSL leaves them out without one).
    if (isPskSuite(s) && config.pskForHint === undefined) return false;
    for (let v = minVersion; v <= maxVersion; v++) if (suiteAllowedAt(s, v)) return true;
    return false;
  });
}

/**
 * The groups to send key shares for: the first configured group, and X25519 beside
 * the hybrid one so that servers without ML-KEM need no HelloRetryRequest (as browsers do).
 */
/** The groups a first ClientHello sends key shares for: the first of `groups` (and X25519 beside X25519MLKEM768). */
export function initialShareGroups(groups: readonly number[]): number[] {
  const first = groups[0];
  if (first === undefined) return [];
  if (first === NamedGroup.X25519MLKEM768 && groups.includes(NamedGroup.x25519)) return [first, NamedGroup.x25519];
  return [first];
}

/** TLS 1.2 ECDHE uses elliptic curves only (RFC 8422): no hybrid groups, no FFDHE. */
export function isEcdheGroup(group: number): boolean {
  return (
    group === NamedGroup.x25519 || group === NamedGroup.x448 ||
    group === NamedGroup.secp256r1 || group === NamedGroup.secp384r1 || group === NamedGroup.secp521r1
  );
}

/** The groups a TLS 1.2 ClientHello may list: curves for ECDHE, RFC 7919 groups for DHE. */
function isTls12Group(group: number): boolean {
  return isEcdheGroup(group) || ffdheGroup(group) !== undefined;
}

/** Builds and sends the ClientHello; the handshake then waits for ServerHello. */
export function startClient(cx: HandshakeContext, config: ClientConfig, options: ClientOptions): State {
  const { serverName, session: sessionBytes, earlyData } = options;
  const verifyServerName = options.verifyServerName ?? true;
  const maxVersion = config.maxVersion;
  const session = sessionBytes ? resumableSession(cx, config, serverName, sessionBytes) : undefined;
  const suites = suitesFor(config, config.minVersion, maxVersion);
  if (suites.length === 0) throw new TlsError('api_misuse', 'no cipher suite is enabled for the configured versions', { code: 'ERR_TLS_INVALID_CIPHER' });
  const offers13 = maxVersion >= TLS13;
  const offers12 = config.minVersion <= TLS12;

  const extensions: Extension[] = [];
  // RFC 6066 Section 3: only DNS names go in server_name, never IP literals.
  if (serverName !== undefined && options.sendServerName !== false && !isIpAddress(serverName)) {
    extensions.push({ type: ExtensionType.server_name, data: encodeServerName(serverName.replace(/\.$/, '')) });
  }
  const groups = offers13 ? config.groups : config.groups.filter(isTls12Group);
  extensions.push({ type: ExtensionType.supported_groups, data: encodeSupportedGroups(groups) });
  if (offers12) {
    extensions.push({ type: ExtensionType.ec_point_formats, data: encodeEcPointFormats([ECPointFormat.uncompressed]) });
  }
  extensions.push({ type: ExtensionType.signature_algorithms, data: encodeSignatureAlgorithms(config.signatureSchemes) });
  if (offers12) {
    if (config.extendedMasterSecret) extensions.push({ type: ExtensionType.extended_master_secret, data: new Uint8Array(0) });
    extensions.push({ type: ExtensionType.encrypt_then_mac, data: new Uint8Array(0) });
    // RFC 5746 Section 3.4: an empty renegotiation_info in the initial ClientHello.
    extensions.push({ type: ExtensionType.renegotiation_info, data: encodeRenegotiationInfo(new Uint8Array(0)) });
    // RFC 5077 Section 3.2: an empty session_ticket asks for a ticket; a full one offers it.
    const ticket = session?.version === TLS12 ? session.ticket : new Uint8Array(0);
    extensions.push({ type: ExtensionType.session_ticket, data: encodeSessionTicket(ticket) });
  }
  if (config.alpnProtocols.length > 0) {
    extensions.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn(config.alpnProtocols) });
  }
  if (config.requestOcsp) extensions.push({ type: ExtensionType.status_request, data: encodeStatusRequest() });
  if (config.recordSizeLimit !== undefined) {
    extensions.push({ type: ExtensionType.record_size_limit, data: encodeRecordSizeLimit(config.recordSizeLimit) });
  }
  let keyShares: KeyShare[] = [];
  if (offers13) {
    const versions: number[] = [];
    for (let v = maxVersion; v >= config.minVersion; v--) versions.push(v);
    extensions.push({ type: ExtensionType.supported_versions, data: encodeSupportedVersionsClient(versions) });
    // Shares made ahead by the caller (ClientOptions.keyShares) stand in for the provider's of their group.
    keyShares = initialShareGroups(config.groups).map((g) => options.keyShares?.find((s) => s.group === g) ?? cx.provider.generateKeyShare(g));
    extensions.push({ type: ExtensionType.key_share, data: encodeKeyShareClient(keyShares.map((s) => ({ group: s.group, keyExchange: s.publicKey }))) });
    extensions.push({ type: ExtensionType.psk_key_exchange_modes, data: encodePskKeyExchangeModes(config.pskModes) });
  }

  let legacySessionId: Uint8Array = new Uint8Array(0);
  if (session?.version === TLS12) {
    // RFC 5077 Section 3.4: with a ticket and no ID, a fresh ID tells us whether the server resumed.
    legacySessionId = session.sessionId.length > 0 ? session.sessionId : cx.provider.random(32);
  } else if (offers13) {
    // RFC 8446 Appendix D.4: a 32-byte session ID puts the server in middlebox compatibility mode.
    legacySessionId = cx.provider.random(32);
  }
  let hello: ClientHello = {
    type: HandshakeType.client_hello,
    legacyVersion: Math.min(maxVersion, TLS12),
    random: cx.provider.random(32),
    legacySessionId,
    cipherSuites: suites,
    legacyCompressionMethods: Uint8Array.of(CompressionMethod.null),
    extensions,
  };
  const psk = session?.version === TLS13 && offers13 ? session : undefined;
  // RFC 8446 Section 4.2.11: an external PSK, when the application has one for this server.
  const externalPsk = offers13 ? externalPskToOffer(config) : undefined;
  // RFC 8446 Section 4.2.10: 0-RTT only on a ticket that allows that much early data.
  const early = psk && earlyData && earlyData.length > 0 && earlyData.length <= psk.maxEarlyData ? earlyData.slice() : undefined;
  if (early) hello = { ...hello, extensions: [...hello.extensions, { type: ExtensionType.early_data, data: new Uint8Array(0) }] };
  const offer: ClientOffer = {
    config, serverName, verifyServerName, hello, maxVersion, keyShares, helloRetried: false, changeCipherSpecSent: false, session, externalPsk, earlyData: early,
  };
  const psks = offeredPsks(offer, config.now().getTime());
  if (psks.length > 0) hello = withPskBinders(cx, hello, psks);
  cx.sendHandshake(hello);
  if (early) sendEarlyData(cx, psk!, early, hello);
  else if (earlyData && earlyData.length > 0) cx.queueApplicationData(earlyData.slice());
  // sendEarlyData() put the compatibility ChangeCipherSpec before the early data.
  const changeCipherSpecSent = early !== undefined && hello.legacySessionId.length > 0;
  return new ExpectServerHello({ ...offer, hello, changeCipherSpecSent });
}

/** RFC 8446 Section 4.2.11: identity<1..2^16-1>; a key of at least a byte. */
function externalPskToOffer(config: ClientConfig): ExternalPsk | undefined {
  const psk = config.pskForHint?.(undefined);
  if (!psk || psk.identity.length === 0 || psk.identity.length > 0xffff || psk.key.length === 0) return undefined;
  return psk;
}

/** A PSK a ClientHello offers: a ticket of the server's or an external key, with the hash its binder takes. */
export interface OfferedPsk {
  readonly identity: Uint8Array;
  readonly obfuscatedTicketAge: number;
  readonly secret: Uint8Array;
  readonly hash: HashAlgorithm;
  readonly external: boolean;
}

/**
 * The PSKs of an offer in the order the ClientHello lists them (the server selects one by its
 * index): the ticket first, then the external PSK (as OpenSSL orders them). An external PSK
 * has no age: its obfuscated_ticket_age is 0 (RFC 8446 Section 4.2.11).
 */
export function offeredPsks(offer: ClientOffer, nowMs: number): OfferedPsk[] {
  const psks: OfferedPsk[] = [];
  const session = offer.session;
  if (session?.version === TLS13 && offer.maxVersion >= TLS13) {
    const age = Math.max(0, nowMs - session.receivedAt);
    psks.push({
      identity: session.ticket,
      obfuscatedTicketAge: (age + session.ticketAgeAdd) >>> 0,
      secret: session.secret,
      hash: suiteById(session.cipherSuite)!.hash,
      external: false,
    });
  }
  const external = offer.externalPsk;
  if (external) psks.push({ identity: external.identity, obfuscatedTicketAge: 0, secret: external.key, hash: external.hash ?? 'sha256', external: true });
  return psks;
}

/**
 * RFC 8446 Section 2.3 and 4.2.10: right after the ClientHello (and the
 * compatibility ChangeCipherSpec, Appendix D.4), the early data under
 * client_early_traffic_secret = Derive-Secret(Early Secret, "c e traffic", ClientHello).
 */
function sendEarlyData(cx: HandshakeContext, session: ClientSession, data: Uint8Array, hello: ClientHello): void {
  const suite = suiteById(session.cipherSuite)!;
  const early = earlySecret(cx.provider, suite.hash, session.secret);
  const secret = deriveSecret(cx.provider, suite.hash, early, 'c e traffic', cx.transcript.hashWith(suite.hash, new Uint8Array(0)));
  cx.keyLog('CLIENT_EARLY_TRAFFIC_SECRET', hello.random, secret);
  cx.trace?.({ kind: 'secret', side: 'client', label: 'client early traffic secret', value: secret });
  // RFC 8446 Section 5.1: every record after the first ClientHello says 0x0303.
  cx.setRecordVersion(TLS12);
  if (hello.legacySessionId.length > 0) cx.sendChangeCipherSpec();
  cx.setWriteProtection(protectionFor(cx, suite, deriveTrafficKeys(cx, suite, secret, 'client early')));
  cx.sendEarlyData(data);
  cx.trace?.({ kind: 'note', side: 'client', text: `sent ${data.length} bytes of 0-RTT early data` });
}

/** A stored session that fits this connection, or undefined (a stale one is simply not offered). */
function resumableSession(cx: HandshakeContext, config: ClientConfig, serverName: string | undefined, bytes: Uint8Array): ClientSession | undefined {
  const session = decodeClientSession(bytes);
  if (!session) return undefined;
  const now = config.now().getTime();
  const fits =
    session.serverName === (serverName ?? '') &&
    now - session.receivedAt < session.lifetime * 1000 &&
    session.version >= config.minVersion && session.version <= config.maxVersion &&
    config.cipherSuites.includes(session.cipherSuite);
  if (!fits) cx.trace?.({ kind: 'note', side: 'client', text: 'stored session does not fit this connection (name, age, version or suite): not offered' });
  return fits ? session : undefined;
}

/**
 * RFC 8446 Section 4.2.11: pre_shared_key goes last, with each identity and its obfuscated
 * age, and each binder over the ClientHello cut before the binders, in the PSK's own hash
 * ("res binder" for a ticket, "ext binder" for an external PSK).
 */
function withPskBinders(cx: HandshakeContext, hello: ClientHello, psks: readonly OfferedPsk[]): ClientHello {
  const identities = psks.map((p) => ({ identity: p.identity, obfuscatedTicketAge: p.obfuscatedTicketAge }));
  const placeholders = psks.map((p) => new Uint8Array(hashLength[p.hash]));
  const build = (binders: Uint8Array[]): ClientHello => ({
    ...hello,
    extensions: [
      ...hello.extensions.filter((e) => e.type !== ExtensionType.pre_shared_key),
      { type: ExtensionType.pre_shared_key, data: encodePreSharedKeyClient({ identities, binders }) },
    ],
  });
  const encoded = encodeHandshake(build(placeholders), TLS12);
  const truncated = encoded.subarray(0, encoded.length - encodedBindersLength(placeholders));
  return build(psks.map((p) => pskBinder(cx, p.hash, p.secret, cx.transcript.hashWith(p.hash, truncated), p.external ? 'ext binder' : 'res binder')));
}

/** RFC 5246 Section 7.4.1.4 / RFC 8446 Section 4.2: the server may only answer extensions the client sent. */
export function checkAnsweredExtensions(offered: readonly Extension[], answered: readonly Extension[], where: string): void {
  const sent = new Set(offered.map((e) => e.type));
  for (const e of answered) {
    if (!sent.has(e.type)) {
      throw new TlsError('unsupported_extension', `server sent extension ${extensionTypeName(e.type)} in ${where}, which the client did not offer`);
    }
  }
}

function endsWith(b: Uint8Array, tail: Uint8Array): boolean {
  if (b.length < tail.length) return false;
  for (let i = 0; i < tail.length; i++) if (b[b.length - tail.length + i] !== tail[i]) return false;
  return true;
}

export class ExpectServerHello implements State {
  readonly name = 'ExpectServerHello';
  /** After a HelloRetryRequest the server may send its compatibility ChangeCipherSpec (RFC 8446 Appendix D.4). */
  readonly dropsChangeCipherSpec: boolean;
  constructor(readonly offer: ClientOffer) {
    this.dropsChangeCipherSpec = offer.helloRetried;
  }

  holds(): TraceFields {
    return holds12({ version: this.offer.maxVersion, clientRandom: this.offer.hello.random });
  }

  handle(cx: HandshakeContext, input: Input): State {
    const { message: sh, frame } = decodeExpected(cx, input, HandshakeType.server_hello);
    const { hello } = this.offer;

    // RFC 8446 Section 4.2.1: supported_versions in ServerHello selects TLS 1.3.
    const sv = findExtension(sh.extensions, ExtensionType.supported_versions);
    if (sv) {
      const selected = decodeSupportedVersionsServer(sv.data);
      if (this.offer.maxVersion < TLS13 || selected !== TLS13 || sh.legacyVersion !== TLS12) {
        throw new TlsError('illegal_parameter', `server selected ${protocolName(selected)}, which the client did not offer`);
      }
      const suite = suiteById(sh.cipherSuite);
      if (!suite || !suite.tls13 || !hello.cipherSuites.includes(sh.cipherSuite)) {
        throw new TlsError('illegal_parameter', 'server chose a cipher suite the client did not offer');
      }
      if (isHelloRetryRequest(sh)) return this.retryHello(cx, sh, frame.raw, suite);
      record(cx, frame, sh);
      if (!cx.transcript.algorithm) cx.transcript.startHash(suite.hash);
      return readServerHello13(cx, this.offer, sh, suite);
    }
    if (this.offer.helloRetried) {
      throw new TlsError('illegal_parameter', 'server negotiated TLS 1.2 after a HelloRetryRequest');
    }
    record(cx, frame, sh);
    return this.readServerHello12(cx, sh);
  }

  /**
   * RFC 8446 Section 4.1.4: a HelloRetryRequest names the group to use (and may
   * send a cookie); the client answers once with a new ClientHello.
   */
  private retryHello(cx: HandshakeContext, hrr: ServerHello, raw: Uint8Array, suite: CipherSuite): State {
    const { config, hello } = this.offer;
    if (this.offer.helloRetried) throw new TlsError('unexpected_message', 'server sent a second HelloRetryRequest');
    if (hrr.legacySessionId.length !== hello.legacySessionId.length || !hrr.legacySessionId.every((b, i) => b === hello.legacySessionId[i])) {
      throw new TlsError('illegal_parameter', 'server did not echo the legacy session ID');
    }
    if (hrr.legacyCompressionMethod !== CompressionMethod.null) throw new TlsError('illegal_parameter', 'HelloRetryRequest names a compression method');
    for (const e of hrr.extensions) {
      if (e.type !== ExtensionType.supported_versions && e.type !== ExtensionType.key_share && e.type !== ExtensionType.cookie) {
        throw new TlsError('unsupported_extension', `HelloRetryRequest carries ${extensionTypeName(e.type)}`);
      }
    }
    const ks = findExtension(hrr.extensions, ExtensionType.key_share);
    const cookie = findExtension(hrr.extensions, ExtensionType.cookie);
    let shares = this.offer.keyShares;
    if (ks) {
      const group = decodeKeyShareHelloRetry(ks.data);
      // RFC 8446 Section 4.2.8: a group we support and did not already send a share for.
      if (!config.groups.includes(group) || shares.some((s) => s.group === group)) {
        throw new TlsError('illegal_parameter', `HelloRetryRequest asks for group ${namedGroupName(group)}, which is not offered or already shared`);
      }
      shares = [cx.provider.generateKeyShare(group)];
    } else if (!cookie) {
      // RFC 8446 Section 4.1.4: a HelloRetryRequest that would not change the ClientHello is illegal.
      throw new TlsError('illegal_parameter', 'HelloRetryRequest asks for no change');
    }
    cx.trace?.({ kind: 'note', side: 'client', text: `HelloRetryRequest: the server wants a key share for ${ks ? namedGroupName(shares[0]!.group) : 'the same groups'}` });

    // RFC 8446 Section 4.4.1: ClientHello1 becomes message_hash, then the HelloRetryRequest.
    cx.transcript.startHash(suite.hash);
    cx.transcript.rollupForHelloRetry();
    cx.transcript.add(raw);
    cx.trace?.({ kind: 'message', side: 'client', direction: 'received', name: 'HelloRetryRequest', fields: { cipherSuite: suite.standardName, selectedGroup: ks ? namedGroupName(shares[0]!.group) : undefined }, bytes: raw });

    // RFC 8446 Section 4.1.2: the same ClientHello with the new key share and the cookie; early_data removed.
    const extensions: Extension[] = [];
    for (const e of hello.extensions) {
      if (e.type === ExtensionType.early_data || e.type === ExtensionType.cookie) continue;
      if (e.type === ExtensionType.key_share) {
        extensions.push({ type: e.type, data: encodeKeyShareClient(shares.map((s) => ({ group: s.group, keyExchange: s.publicKey }))) });
      } else {
        extensions.push(e);
      }
    }
    if (cookie) extensions.push({ type: ExtensionType.cookie, data: encodeCookie(decodeCookie(cookie.data)) });
    let hello2: ClientHello = { ...hello, extensions };
    // RFC 8446 Section 4.1.2: the PSKs whose hash fits the suite stay offered, with binders over the new transcript.
    const session = this.offer.session;
    const keepPsk = session?.version === TLS13 && suiteById(session.cipherSuite)?.hash === suite.hash;
    const external = this.offer.externalPsk;
    const keepExternal = external !== undefined && (external.hash ?? 'sha256') === suite.hash;
    const kept = { ...this.offer, session: keepPsk ? session : undefined, externalPsk: keepExternal ? external : undefined };
    const psks = offeredPsks(kept, cx.config.now().getTime());
    if (psks.length > 0) hello2 = withPskBinders(cx, hello2, psks);
    else hello2 = { ...hello2, extensions: hello2.extensions.filter((e) => e.type !== ExtensionType.pre_shared_key) };
    // RFC 8446 Section 5.1: the second ClientHello's record says 0x0303 too.
    cx.setRecordVersion(TLS12);
    let changeCipherSpecSent = this.offer.changeCipherSpecSent;
    if (this.offer.earlyData) {
      // RFC 8446 Section 4.1.2: a HelloRetryRequest rejects 0-RTT; the data goes again after the handshake.
      cx.setWriteProtection(nullProtection);
      cx.info.earlyData = 'rejected';
      cx.queueApplicationData(this.offer.earlyData);
    } else if (hello.legacySessionId.length > 0 && !cookie) {
      // RFC 8446 Appendix D.4: in compatibility mode a ChangeCipherSpec goes before the second ClientHello.
      // With a cookie the server may be stateless, and Section 4.2.2 has it ignore a ChangeCipherSpec
      // between the two ClientHellos, but OpenSSL's (SSL_stateless, s_server -stateless) fails on one:
      // ours then goes before our encrypted flight, the other place Appendix D.4 allows.
      cx.sendChangeCipherSpec();
      changeCipherSpecSent = true;
    }
    cx.sendHandshake(hello2);
    return new ExpectServerHello({ ...kept, hello: hello2, keyShares: shares, helloRetried: true, changeCipherSpecSent, earlyData: undefined });
  }

  private readServerHello12(cx: HandshakeContext, sh: ServerHello): State {
    const { config, hello } = this.offer;
    // RFC 5246 Appendix E.1: the server's version must be one the client can speak.
    if (sh.legacyVersion < config.minVersion || sh.legacyVersion > hello.legacyVersion) {
      throw new TlsError('protocol_version', `server chose ${protocolName(sh.legacyVersion)}, outside the client's ${protocolName(config.minVersion)} to ${protocolName(hello.legacyVersion)}`);
    }
    if (sh.legacyVersion <= ProtocolVersion.SSLv3) {
      throw new TlsError('protocol_version', `server chose ${protocolName(sh.legacyVersion)}, which is never supported`);
    }
    // RFC 8446 Section 4.1.3: a TLS 1.3 client checks both downgrade sentinels; a TLS 1.2
    // client checks the one for TLS 1.1 and below.
    const downgraded =
      (this.offer.maxVersion >= TLS13 && (endsWith(sh.random, DOWNGRADE_TLS12) || endsWith(sh.random, DOWNGRADE_TLS11))) ||
      (this.offer.maxVersion >= TLS12 && sh.legacyVersion < TLS12 && endsWith(sh.random, DOWNGRADE_TLS11));
    if (downgraded) {
      throw new TlsError('illegal_parameter', 'server random carries a downgrade sentinel: a downgrade attack or a misconfigured server');
    }
    // RFC 5246 Section 7.4.1.3: the suite and compression must be among those offered.
    const suite = suiteById(sh.cipherSuite);
    if (!suite || !hello.cipherSuites.includes(sh.cipherSuite) || !suiteAllowedAt(suite, sh.legacyVersion)) {
      throw new TlsError('illegal_parameter', 'server chose a cipher suite the client did not offer');
    }
    if (sh.legacyCompressionMethod !== CompressionMethod.null) {
      throw new TlsError('illegal_parameter', 'server chose a compression method the client did not offer');
    }
    checkAnsweredExtensions(hello.extensions, sh.extensions, 'ServerHello');
    for (const type of [ExtensionType.key_share, ExtensionType.pre_shared_key, ExtensionType.supported_versions, ExtensionType.cookie]) {
      if (findExtension(sh.extensions, type)) throw new TlsError('unsupported_extension', `TLS 1.2 ServerHello carries ${extensionTypeName(type)}`);
    }

    // RFC 5746 Section 3.4: in an initial handshake renegotiation_info must be empty.
    const reneg = findExtension(sh.extensions, ExtensionType.renegotiation_info);
    if (reneg && decodeRenegotiationInfo(reneg.data).length !== 0) {
      throw new TlsError('handshake_failure', 'server sent a non-empty renegotiation_info in an initial handshake');
    }
    const ems = findExtension(sh.extensions, ExtensionType.extended_master_secret);
    if (ems) expectEmptyExtension(ems.data, 'extended_master_secret');
    const etm = findExtension(sh.extensions, ExtensionType.encrypt_then_mac);
    if (etm) expectEmptyExtension(etm.data, 'encrypt_then_mac');
    readAlpn(cx, config, sh.extensions);
    const sni = findExtension(sh.extensions, ExtensionType.server_name);
    if (sni) expectEmptyExtension(sni.data, 'server_name');
    applyPeerRecordSizeLimit(cx, config, sh.legacyVersion, sh.extensions);

    cx.version = sh.legacyVersion;
    cx.setRecordVersion(sh.legacyVersion, true);
    // A TLS 1.2 CertificateVerify signs the messages themselves, and before TLS 1.2 Finished hashes
    // them with MD5 and SHA-1: keep them when either may come.
    if (config.certificates.length > 0 || sh.legacyVersion < TLS12) cx.transcript.keepMessages();
    cx.transcript.startHash(suite.hash);
    cx.info.version = sh.legacyVersion;
    cx.info.protocol = protocolName(sh.legacyVersion);
    cx.info.cipherSuite = suite;
    cx.info.extendedMasterSecret = ems !== undefined;

    const ticketExt = findExtension(sh.extensions, ExtensionType.session_ticket);
    if (ticketExt) expectEmptyExtension(ticketExt.data, 'session_ticket');
    // RFC 6066 Section 8: an empty status_request promises a CertificateStatus after Certificate.
    const statusExt = findExtension(sh.extensions, ExtensionType.status_request);
    if (statusExt) expectEmptyExtension(statusExt.data, 'status_request');
    const hs: Negotiated12 = {
      version: sh.legacyVersion,
      clientRandom: hello.random,
      serverRandom: sh.random,
      sessionId: sh.legacySessionId,
      suite,
      extendedMasterSecret: ems !== undefined,
      encryptThenMac: etm !== undefined && suite.cipher.kind === 'cbc',
      secureRenegotiation: reneg !== undefined,
    };
    // RFC 5246 Section 7.4.1.3: the server resumes by echoing the session ID we offered.
    const session = this.offer.session;
    const sameId = sh.legacySessionId.length > 0 && sh.legacySessionId.length === hello.legacySessionId.length &&
      sh.legacySessionId.every((b, i) => b === hello.legacySessionId[i]);
    if (session?.version === TLS12 && sameId) return resumeSession12(cx, this.offer, hs, session, ticketExt !== undefined);
    // RFC 4279 Section 2: with a PSK suite (but RSA-PSK) the server sends no Certificate.
    if (suite.auth === 'psk') return new ExpectPskServerKeyExchange(this.offer, hs, ticketExt !== undefined, undefined, undefined);
    return new ExpectCertificate(this.offer, hs, ticketExt !== undefined, statusExt !== undefined);
  }
}

/** RFC 8449 Section 4: the server's record_size_limit (it only answers ours) bounds both directions. */
export function applyPeerRecordSizeLimit(cx: HandshakeContext, config: ClientConfig, version: number, extensions: readonly Extension[]): void {
  const ext = findExtension(extensions, ExtensionType.record_size_limit);
  if (!ext || config.recordSizeLimit === undefined) return;
  cx.applyRecordSizeLimits(version, decodeRecordSizeLimit(ext.data), config.recordSizeLimit);
}

/** RFC 7301 Section 3.1: exactly one protocol, one the client offered. */
export function readAlpn(cx: HandshakeContext, config: ClientConfig, extensions: readonly Extension[]): void {
  const alpn = findExtension(extensions, ExtensionType.application_layer_protocol_negotiation);
  if (!alpn) return;
  const chosen = decodeAlpn(alpn.data);
  if (chosen.length !== 1 || !config.alpnProtocols.includes(chosen[0]!)) {
    throw new TlsError('illegal_parameter', 'server chose an ALPN protocol the client did not offer');
  }
  cx.info.alpnProtocol = chosen[0]!;
}
