// The server's answer to ClientHello: version, suite, group, certificate and
// signature scheme selection (RFC 5246 Section 7.4.1.2-7.4.1.4, RFC 8422 Section 5.1).

import type { CertifiedKey, NamedContext, ServerConfig } from '../config.js';
import { TlsError } from '../errors.js';
import { isPskSuite, suiteAllowedAt, suiteById, type CipherSuite } from '../suites.js';
import type { TraceFields } from '../trace.js';
import {
  CompressionMethod, ECPointFormat, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion,
} from '../wire/enums.js';
import {
  decodeAlpn, decodeEcPointFormats, decodeRenegotiationInfo, decodeServerName, decodeSignatureAlgorithms,
  decodeRecordSizeLimit, decodeSessionTicket, decodeStatusRequest, decodeSupportedGroups, decodeSupportedVersionsClient, encodeAlpn, encodeEcPointFormats, encodeRecordSizeLimit, encodeRenegotiationInfo, expectEmptyExtension, findExtension,
} from '../wire/extensions.js';
import type { ClientHello, Extension } from '../wire/messages.js';
import { chooseSignatureScheme12, decodeExpected, legacySignatureScheme, protocolName, record, type HandshakeContext, type Input, type State } from './common.js';
import { AwaitAnswer, type Answers } from './requests.js';
import type { HandshakeFrame } from '../record/framer.js';
import { decodeServerState, openTicket, type ServerSessionState } from './resumption.js';
import { resumeServer12, sendServerFlight12 } from './server12.js';
import { readClientHello13 } from './server13.js';
import { isEcdheGroup } from './client.js';
import { bitLength, type DhParams, ffdheGroups } from '../keys/ffdhe.js';
import type { Negotiated12 } from './tls12.js';

const TLS12 = ProtocolVersion['TLSv1.2'];
const TLS13 = ProtocolVersion['TLSv1.3'];
/** RFC 8446 Section 4.1.3: "DOWNGRD" 01. */
const DOWNGRADE_TLS12 = Uint8Array.of(0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01);
const DOWNGRADE_TLS11 = Uint8Array.of(0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00);
/** RFC 5746 Section 3.3: TLS_EMPTY_RENEGOTIATION_INFO_SCSV. */
const EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;
/** RFC 7507: TLS_FALLBACK_SCSV. */
const FALLBACK_SCSV = 0x5600;

/** What the server read from the ClientHello's extensions. */
export interface ClientOfferSeen {
  readonly serverName: string | undefined;
  readonly groups: readonly number[] | undefined;
  readonly signatureSchemes: readonly number[] | undefined;
  readonly alpn: readonly string[] | undefined;
  readonly extendedMasterSecret: boolean;
  readonly encryptThenMac: boolean;
  readonly secureRenegotiation: boolean;
  /** RFC 5077: the client sent session_ticket (TLS 1.2); `ticket` is its content, empty to ask for one. */
  readonly sessionTicket: boolean;
  readonly ticket: Uint8Array | undefined;
  /** RFC 6066 Section 8: the client asks for a stapled OCSP response. */
  readonly ocsp: boolean;
  /** RFC 8449: the client's record_size_limit, if it sent one. */
  readonly recordSizeLimit: number | undefined;
  /** RFC 8422 Section 5.1.2: the client sent ec_point_formats. */
  readonly ecPointFormats: boolean;
}

/** The choices the server made for this handshake. */
export interface ServerChoice {
  readonly suite: CipherSuite;
  /** Undefined for the PSK suites that send no Certificate (RFC 4279 Section 2). */
  readonly certified: CertifiedKey | undefined;
  /** For ECDHE suites, and DHE suites with an RFC 7919 group. */
  readonly group: number | undefined;
  /** For DHE suites: the prime and generator sent in ServerKeyExchange. */
  readonly dh?: DhParams;
  /** The scheme that signs ServerKeyExchange (ECDHE suites). */
  readonly signatureScheme: number | undefined;
}

export function startServer(config: ServerConfig): State {
  return new ExpectClientHello(config);
}

function readOffer(hello: ClientHello): ClientOfferSeen {
  const ext = (type: number) => findExtension(hello.extensions, type);
  const sni = ext(ExtensionType.server_name);
  const groups = ext(ExtensionType.supported_groups);
  const sigalgs = ext(ExtensionType.signature_algorithms);
  const alpn = ext(ExtensionType.application_layer_protocol_negotiation);
  const ems = ext(ExtensionType.extended_master_secret);
  const etm = ext(ExtensionType.encrypt_then_mac);
  const reneg = ext(ExtensionType.renegotiation_info);
  const formats = ext(ExtensionType.ec_point_formats);
  const ticket = ext(ExtensionType.session_ticket);

  // RFC 8422 Section 5.1.2: if the client lists point formats, uncompressed must be among them.
  if (formats && !decodeEcPointFormats(formats.data).includes(ECPointFormat.uncompressed)) {
    throw new TlsError('illegal_parameter', 'client does not support uncompressed EC points');
  }
  if (ems) expectEmptyExtension(ems.data, 'extended_master_secret');
  if (etm) expectEmptyExtension(etm.data, 'encrypt_then_mac');
  // RFC 5746 Section 3.6: in an initial handshake renegotiation_info must be empty.
  if (reneg && decodeRenegotiationInfo(reneg.data).length !== 0) {
    throw new TlsError('handshake_failure', 'client sent a non-empty renegotiation_info in an initial handshake');
  }
  const serverName = sni ? decodeServerName(sni.data) : undefined;
  return {
    serverName: serverName === '' ? undefined : serverName,
    groups: groups ? decodeSupportedGroups(groups.data) : undefined,
    signatureSchemes: sigalgs ? decodeSignatureAlgorithms(sigalgs.data) : undefined,
    alpn: alpn ? decodeAlpn(alpn.data) : undefined,
    extendedMasterSecret: ems !== undefined,
    encryptThenMac: etm !== undefined,
    secureRenegotiation: reneg !== undefined || hello.cipherSuites.includes(EMPTY_RENEGOTIATION_INFO_SCSV),
    sessionTicket: ticket !== undefined,
    ticket: ticket ? decodeSessionTicket(ticket.data) : undefined,
    ocsp: wantsOcsp(hello),
    recordSizeLimit: clientRecordSizeLimit(hello),
    ecPointFormats: formats !== undefined,
  };
}

export function clientRecordSizeLimit(hello: ClientHello): number | undefined {
  const ext = findExtension(hello.extensions, ExtensionType.record_size_limit);
  return ext ? decodeRecordSizeLimit(ext.data) : undefined;
}

/**
 * RFC 8449 Section 4: answer a client's record_size_limit with ours (the protocol's full size
 * unless configured) and bound both directions from now on.
 */
export function answerRecordSizeLimit(cx: HandshakeContext, config: ServerConfig, version: number, offer: ClientOfferSeen, extensions: Extension[]): void {
  if (offer.recordSizeLimit === undefined) return;
  const ours = config.recordSizeLimit ?? (version === TLS13 ? 16385 : 16384);
  extensions.push({ type: ExtensionType.record_size_limit, data: encodeRecordSizeLimit(ours) });
  cx.applyRecordSizeLimits(version, offer.recordSizeLimit, ours);
}

export function wantsOcsp(hello: ClientHello): boolean {
  const ext = findExtension(hello.extensions, ExtensionType.status_request);
  return ext !== undefined && decodeStatusRequest(ext.data);
}

/** Whether a certificate's key can serve a suite: RSA key exchange decrypts with RSA; ECDHE signs. */
function certificateServes(suite: CipherSuite, key: CertifiedKey['key']): boolean {
  if (suite.kx === 'rsa' || suite.kx === 'rsa_psk') return key.algorithm === 'rsa';
  if (suite.auth === 'rsa') return key.algorithm === 'rsa' || key.algorithm === 'rsa-pss';
  if (suite.auth === 'ecdsa') return key.algorithm === 'ec' || key.algorithm === 'ed25519';
  return false;
}

/**
 * RFC 5246 Section 7.4.1.3: the suite, by the server's order (or the client's
 * when preferServerCipherOrder is off), with a certificate that can serve it,
 * a common group for ECDHE, and a signature scheme the client accepts.
 */
function choose(config: ServerConfig, hello: ClientHello, offer: ClientOfferSeen, version: number): ServerChoice | undefined {
  const clientSuites = new Set(hello.cipherSuites);
  const serverSuites = new Set(config.cipherSuites);
  const order = config.preferServerCipherOrder
    ? config.cipherSuites.filter((id) => clientSuites.has(id))
    : hello.cipherSuites.filter((id) => serverSuites.has(id));
  // RFC 8422 Section 4: without supported_groups the client takes any curve. Such a client predates
  // RFC 8422 (and X25519), so P-256, the curve every RFC 4492 client knows, when we enable it.
  const ecGroups = config.groups.filter(isEcdheGroup);
  const ecGroup = offer.groups === undefined
    ? (ecGroups.includes(NamedGroup.secp256r1) ? NamedGroup.secp256r1 : ecGroups[0])
    : ecGroups.find((g) => offer.groups!.includes(g));
  // RFC 7919 Section 4: an FFDHE group the client names, else ffdhe2048 (any client may get it);
  // a client listing any code point of the FFDHE range (256-511), even ones we do not know, gets
  // no DHE suite unless it names one of ours. A server given its own group (dhParams) uses it
  // whatever the client lists, as OpenSSL does with node's dhparam.
  const listsFfdhe = offer.groups?.some((g) => g >= 0x0100 && g <= 0x01ff) ?? false;
  const named = config.dhParams !== undefined ? undefined : listsFfdhe ? ffdheGroups.find((g) => offer.groups!.includes(g.group)) : ffdheGroups[0];
  const dh: DhParams | undefined = config.dhParams ?? named;
  const dhGroup = named?.group;
  let dheWithoutGroup = false;
  for (const id of order) {
    const suite = suiteById(id);
    if (!suite || !suiteAllowedAt(suite, version)) continue;
    // PSK suites only with pre-shared keys to look identities up in (as OpenSSL).
    if (isPskSuite(suite) && config.pskForIdentity === undefined) continue;
    const ecdhe = suite.kx === 'ecdhe' || suite.kx === 'ecdhe_psk';
    const dhe = suite.kx === 'dhe' || suite.kx === 'dhe_psk';
    const group = ecdhe ? ecGroup : dhe ? dhGroup : undefined;
    if ((ecdhe && group === undefined) || (dhe && dh === undefined)) {
      dheWithoutGroup ||= dhe;
      continue;
    }
    const dheParams = dhe ? { dh } : {};
    // RFC 4279 Section 2: the pre-shared key authenticates; no certificate is sent.
    if (suite.auth === 'psk') return { suite, certified: undefined, group, signatureScheme: undefined, ...dheParams };
    for (const certified of config.certificates) {
      if (!certificateServes(suite, certified.key)) continue;
      if (suite.kx === 'rsa' || suite.kx === 'rsa_psk') return { suite, certified, group: undefined, signatureScheme: undefined };
      const scheme = version < TLS12
        ? legacySignatureScheme(certified.key)
        : chooseSignatureScheme12(config.signatureSchemes12, offer.signatureSchemes, certified.key);
      if (scheme !== undefined) return { suite, certified, group, signatureScheme: scheme, ...dheParams };
    }
  }
  // RFC 7919 Section 4: with no other suite, a DHE suite refused for want of a common FFDHE group is
  // insufficient_security.
  if (dheWithoutGroup) throw new TlsError('insufficient_security', 'no FFDHE group in common with the client, and no other cipher suite');
  return undefined;
}

/** The server config with the certificates chosen for the client's SNI name. */
function configForName(config: ServerConfig, serverName: string | undefined): ServerConfig {
  return configWith(config, config.certificatesFor?.(serverName));
}

/** The server config with the certificates (and roots) chosen for this client, if any were. */
function configWith(config: ServerConfig, chosen: readonly CertifiedKey[] | NamedContext | undefined | null): ServerConfig {
  if (!chosen) return config;
  const { certificates, roots, alpnProtocols } = Array.isArray(chosen) ? { certificates: chosen as readonly CertifiedKey[] } as NamedContext : (chosen as NamedContext);
  return {
    ...config,
    ...(certificates.length > 0 ? { certificates } : {}),
    ...(roots !== undefined ? { roots } : {}),
    ...(alpnProtocols !== undefined ? { alpnProtocols } : {}),
  };
}

/**
 * RFC 8446 Section 4.2.1: with supported_versions, the highest version in the
 * client's list that we enable; without, RFC 5246 Appendix E.1 (legacy_version is
 * the client's highest). SSL 3.0 and below never.
 */
function negotiateVersion(config: ServerConfig, hello: ClientHello): number {
  // RFC 8446 Appendix D.5: a legacy_version of SSL 3.0 or below is refused even when supported_versions
  // offers more (no client of TLS 1.0 or later sends one).
  if (hello.legacyVersion <= ProtocolVersion.SSLv3) {
    throw new TlsError('protocol_version', `client hello has legacy_version ${protocolName(hello.legacyVersion)}, which is never supported`);
  }
  const sv = findExtension(hello.extensions, ExtensionType.supported_versions);
  if (sv) {
    const offered = decodeSupportedVersionsClient(sv.data);
    const usable = offered.filter((v) => v >= config.minVersion && v <= config.maxVersion && v > ProtocolVersion.SSLv3 && v <= TLS13);
    if (usable.length === 0) {
      throw new TlsError('protocol_version', `client offered ${offered.map(protocolName).join(', ')}; the server speaks ${protocolName(config.minVersion)} to ${protocolName(config.maxVersion)}`);
    }
    return Math.max(...usable);
  }
  const version = Math.min(hello.legacyVersion, config.maxVersion, TLS12);
  if (version < config.minVersion) {
    throw new TlsError('protocol_version', `client offered at most ${protocolName(hello.legacyVersion)}, below the server's minimum ${protocolName(config.minVersion)}`);
  }
  return version;
}

export class ExpectClientHello implements State {
  readonly name = 'ExpectClientHello';
  constructor(readonly config: ServerConfig) {}

  holds(): TraceFields {
    const leaf = this.config.certificates[0];
    return leaf ? { certificate: `${this.config.certificates.length} certificate chain(s)`, privateKey: '(held, not shown)' } : {};
  }

  handle(cx: HandshakeContext, input: Input): State {
    // The ClientHello enters the transcript only after a TLS 1.3 PSK binder over it is checked.
    const { message: hello, frame } = decodeExpected(cx, input, HandshakeType.client_hello);
    const version = negotiateVersion(this.config, hello);
    const offer = readOffer(hello);
    cx.info.peerSignatureSchemes = offer.signatureSchemes;
    cx.info.serverName = offer.serverName;
    if (this.config.ask.certificate) {
      // The caller chooses the certificates (an SNICallback that answers later).
      const request = { kind: 'certificate', serverName: offer.serverName, signatureSchemes: offer.signatureSchemes, version, alpnProtocols: offer.alpn } as const;
      return new AwaitAnswer(request, { clientRandom: hello.random, serverName: offer.serverName ?? null }, (cx, chosen) =>
        readClientHello(cx, configWith(this.config, chosen as Answers['certificate']), hello, frame, version, offer),
      );
    }
    return readClientHello(cx, configForName(this.config, offer.serverName), hello, frame, version, offer);
  }
}

/** The ClientHello, once the certificates for it are known. */
function readClientHello(cx: HandshakeContext, config: ServerConfig, hello: ClientHello, frame: HandshakeFrame, version: number, offer: ClientOfferSeen): State {
  if (version === TLS13) return readClientHello13(cx, config, hello, frame, offer);
  record(cx, frame, hello);
  // RFC 7507 Section 3: a fallback retry to a lower version than we support is refused.
  if (hello.cipherSuites.includes(FALLBACK_SCSV) && version < config.maxVersion) {
    throw new TlsError('inappropriate_fallback', 'client fell back to a lower version than the server supports');
  }
  // RFC 5246 Section 7.4.1.2: the null compression method must be offered.
  if (!hello.legacyCompressionMethods.includes(CompressionMethod.null)) {
    throw new TlsError('illegal_parameter', 'client does not offer the null compression method');
  }
  // RFC 5077 Section 3.4: a ticket first; else the session ID, looked up in the store or by the caller.
  const ticketState = offer.ticket && offer.ticket.length > 0 ? openTicket(cx.provider, config.ticketKeyRing, offer.ticket) : undefined;
  if (!ticketState && hello.legacySessionId.length > 0 && config.ask.session) {
    const request = { kind: 'session', sessionId: hello.legacySessionId } as const;
    return new AwaitAnswer(
      request,
      { clientRandom: hello.random, legacySessionId: hello.legacySessionId },
      (cx, stored) => {
        const state = stored instanceof Uint8Array ? decodeServerState(stored) : undefined;
        return answerClientHello12(cx, config, hello, offer, version, sessionThatFits(cx, config, hello, offer, version, state));
      },
      (cx) => {
        // A session cache that fails (unreachable, timed out) costs a full handshake, not the connection.
        cx.trace?.({ kind: 'note', side: 'server', text: 'the session lookup failed: full handshake' });
        return answerClientHello12(cx, config, hello, offer, version, undefined);
      },
    );
  }
  const resumable = sessionThatFits(cx, config, hello, offer, version, ticketState ?? storedSession(config, hello));
  return answerClientHello12(cx, config, hello, offer, version, resumable);
}

/** RFC 5246 Section 7.4.1.3: the suite and certificate, ALPN, then the OCSP response to staple (which the ServerHello promises). */
function answerClientHello12(
  cx: HandshakeContext, config: ServerConfig, hello: ClientHello, offer: ClientOfferSeen, version: number, resumable: ServerSessionState | undefined,
): State {
  const choice = resumable ? undefined : choose(config, hello, offer, version);
  const suite = resumable ? suiteById(resumable.cipherSuite)! : choice?.suite;
  if (!suite) throw new TlsError('handshake_failure', 'no cipher suite in common with the client', { code: 'ERR_TLS_NO_SHARED_CIPHER' });

  // RFC 7301 Section 3.2: our first protocol that the client also offers; none in common is fatal.
  if (offer.alpn && config.alpnProtocols.length > 0) {
    const alpn = config.alpnProtocols.find((p) => offer.alpn!.includes(p));
    if (alpn === undefined) throw new TlsError('no_application_protocol', 'no ALPN protocol in common with the client');
    cx.info.alpnProtocol = alpn;
  }
  // RFC 6066 Section 8: an OCSP response for the chosen certificate, when the client asks for one.
  const certified = !resumable && offer.ocsp ? choice?.certified : undefined;
  if (certified && config.ask.ocsp) {
    const request = { kind: 'ocsp', chain: certified.chain } as const;
    return new AwaitAnswer(
      request,
      { clientRandom: hello.random },
      (cx, response) => sendServerHello12(cx, config, hello, offer, version, undefined, choice!, suite, response instanceof Uint8Array && response.length > 0 ? response : undefined),
      (cx) => {
        cx.trace?.({ kind: 'note', side: 'server', text: 'the OCSP response could not be had: none stapled' });
        return sendServerHello12(cx, config, hello, offer, version, undefined, choice!, suite, undefined);
      },
    );
  }
  return sendServerHello12(cx, config, hello, offer, version, resumable, choice, suite, certified?.ocspResponse);
}

/** ServerHello and the rest of the server's first flight (full), or its ChangeCipherSpec and Finished (resumed). */
function sendServerHello12(
  cx: HandshakeContext, config: ServerConfig, hello: ClientHello, offer: ClientOfferSeen, version: number, resumable: ServerSessionState | undefined,
  choice: ServerChoice | undefined, suite: CipherSuite, staple: Uint8Array | undefined,
): State {
  const alpn = cx.info.alpnProtocol === false ? undefined : cx.info.alpnProtocol;
  const extensions: Extension[] = [];
  if (offer.secureRenegotiation) extensions.push({ type: ExtensionType.renegotiation_info, data: encodeRenegotiationInfo(new Uint8Array(0)) });
  const ems = offer.extendedMasterSecret && config.extendedMasterSecret;
  if (ems) extensions.push({ type: ExtensionType.extended_master_secret, data: new Uint8Array(0) });
  // RFC 7366 Section 2: encrypt_then_mac only for CBC suites.
  const etm = offer.encryptThenMac && suite.cipher.kind === 'cbc';
  if (etm) extensions.push({ type: ExtensionType.encrypt_then_mac, data: new Uint8Array(0) });
  if (alpn !== undefined) extensions.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn([alpn]) });
  if (offer.serverName !== undefined && !resumable) extensions.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
  if (offer.ecPointFormats && (suite.kx === 'ecdhe' || suite.kx === 'ecdhe_psk') && !resumable) {
    // RFC 8422 Section 5.2: the server names the point formats it can parse, in answer to the
    // client's list only (RFC 5246 Section 7.4.1.4: no extension the client did not offer).
    extensions.push({ type: ExtensionType.ec_point_formats, data: encodeEcPointFormats([ECPointFormat.uncompressed]) });
  }
  // RFC 5077 Section 3.2: an empty session_ticket promises a NewSessionTicket in a full handshake.
  const ticketPromised = !resumable && offer.sessionTicket && config.issueTickets;
  if (ticketPromised) extensions.push({ type: ExtensionType.session_ticket, data: new Uint8Array(0) });
  // RFC 6066 Section 8: an empty status_request promises a CertificateStatus.
  if (staple) extensions.push({ type: ExtensionType.status_request, data: new Uint8Array(0) });
  answerRecordSizeLimit(cx, config, version, offer, extensions);

  const serverRandom = cx.provider.random(32);
  // RFC 8446 Section 4.1.3: a server able to do better marks a lower version in ServerHello.random.
  if (version < TLS12 && config.maxVersion >= TLS12) serverRandom.set(DOWNGRADE_TLS11, 24);
  else if (version === TLS12 && config.maxVersion >= TLS13) serverRandom.set(DOWNGRADE_TLS12, 24);
  const hs: Negotiated12 = {
    version,
    clientRandom: hello.random,
    serverRandom,
    // RFC 5246 Section 7.4.1.3: resuming echoes the client's session ID; a full handshake names a new
    // one, or none when a ticket will carry the session (RFC 5077 Section 3.4, as OpenSSL): the
    // session then lives in the ticket alone, and the session cache holds nothing for it.
    sessionId: resumable ? hello.legacySessionId : ticketPromised ? new Uint8Array(0) : cx.provider.random(32),
    suite,
    extendedMasterSecret: ems,
    encryptThenMac: etm,
    secureRenegotiation: offer.secureRenegotiation,
  };
  cx.version = version;
  cx.setRecordVersion(version, true);
  // A TLS 1.2 CertificateVerify signs the messages themselves, so keep them when we will ask for one.
  // Before TLS 1.2 Finished hashes the messages with MD5 and SHA-1: keep them then too.
  if ((config.requestCert && !resumable) || version < TLS12) cx.transcript.keepMessages();
  cx.transcript.startHash(suite.hash);
  cx.info.version = version;
  cx.info.protocol = protocolName(version);
  cx.info.cipherSuite = suite;
  cx.info.extendedMasterSecret = ems;
  cx.info.group = choice?.group;
  cx.info.dhBits = choice?.dh ? bitLength(choice.dh.p) : undefined;

  cx.sendHandshake({
    type: HandshakeType.server_hello,
    legacyVersion: version,
    random: hs.serverRandom,
    legacySessionId: hs.sessionId,
    cipherSuite: suite.id,
    legacyCompressionMethod: CompressionMethod.null,
    extensions,
  });
  if (resumable) return resumeServer12(cx, config, hs, resumable);
  return sendServerFlight12(cx, config, hs, choice!, hello.legacyVersion, ticketPromised, staple);
}

/** RFC 5246 Section 7.4.1.2: the session the client's ID names in our store, if any. */
function storedSession(config: ServerConfig, hello: ClientHello): ServerSessionState | undefined {
  if (hello.legacySessionId.length === 0) return undefined;
  const stored = config.sessionStore.get(hello.legacySessionId);
  const state = stored ? decodeServerState(stored) : undefined;
  // A cached session past its lifetime never resumes again: it leaves the cache now, not when evicted.
  if (state && config.now().getTime() - state.createdAt >= state.lifetime * 1000) config.sessionStore.delete(hello.legacySessionId);
  return state;
}

/**
 * RFC 5077 Section 3.4 and RFC 5246 Section 7.4.1.2: the session from the client's ticket or
 * session ID, if it still fits: not expired, same version, a suite the client offers and we
 * enable, the same extended master secret setting (RFC 7627 Section 5.3) and the same server
 * name (RFC 6066 Section 3). Anything else means a full handshake.
 */
function sessionThatFits(
  cx: HandshakeContext, config: ServerConfig, hello: ClientHello, offer: ClientOfferSeen, version: number, state: ServerSessionState | undefined,
): ServerSessionState | undefined {
  // RFC 5077 Section 3.4: a ticket resumes even with an empty session ID (the client then learns of
  // the resumption from our ChangeCipherSpec), as OpenSSL resumes it.
  if (!state) return undefined;
  const now = config.now().getTime();
  const suite = suiteById(state.cipherSuite);
  const fitsButEms =
    state.version === version &&
    now - state.createdAt < state.lifetime * 1000 &&
    suite !== undefined && suiteAllowedAt(suite, version) &&
    hello.cipherSuites.includes(state.cipherSuite) && config.cipherSuites.includes(state.cipherSuite) &&
    state.serverName === (offer.serverName ?? '');
  // RFC 7627 Section 5.3: a session made with the extended master secret offered again without the
  // extension aborts the handshake; the other way round, a full handshake follows.
  if (fitsButEms && state.extendedMasterSecret && !offer.extendedMasterSecret) {
    throw new TlsError('handshake_failure', 'client resumes a session with an extended master secret but does not offer extended_master_secret');
  }
  const fits = fitsButEms && state.extendedMasterSecret === (offer.extendedMasterSecret && config.extendedMasterSecret);
  if (!fits) cx.trace?.({ kind: 'note', side: 'server', text: 'the offered session does not fit (age, version, suite, EMS or name): full handshake' });
  return fits ? state : undefined;
}
