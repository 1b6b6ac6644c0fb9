// The TLS 1.3 server: RFC 8446 Section 4.1.1 (selection), 4.1.4
// (HelloRetryRequest), 4.2.8 (key_share), the server's flight, client
// authentication, and tickets (4.6.1).

import { PskMode, type CertifiedKey, type ServerConfig } from '../config.js';
import { zeroize, type HashAlgorithm, type PublicKey } from '../crypto/provider.js';
import { TlsError } from '../errors.js';
import { deriveSecret, earlySecret, resumptionPsk } from '../keys/tls13.js';
import { suiteById, type CipherSuite } from '../suites.js';
import type { TraceFields } from '../trace.js';
import { CompressionMethod, ExtensionType, HandshakeType, namedGroupName } from '../wire/enums.js';
import {
  decodeKeyShareClient, decodePreSharedKeyClient, decodePskKeyExchangeModes, decodeSignatureAlgorithms, decodeSupportedGroups,
  encodeAlpn, encodeCertificateAuthorities, encodeCertificateStatusExtension, encodeEarlyData, encodeKeyShareHelloRetry, encodeKeyShareServer, encodePreSharedKeyServer, encodeSignatureAlgorithms,
  encodeSupportedVersionsServer, encodedBindersLength, findExtension, type KeyShareEntry,
} from '../wire/extensions.js';
import { HELLO_RETRY_REQUEST_RANDOM, type ClientHello, type Extension } from '../wire/messages.js';
import type { Certificate } from '../x509/certificate.js';
import {
  awaitVerdict, checkFinished, decodeExpected, expect, parseChain, record, verifyPeerCertificate, type HandshakeContext, type Input, type State,
} from './common.js';
import { openTicket, sealTicket, type ServerSessionState } from './resumption.js';
import { AwaitAnswer, awaitSignature } from './requests.js';
import { constantTimeEqual } from '../crypto/provider.js';
import type { HandshakeFrame } from '../record/framer.js';
import { parseCertificate } from '../x509/certificate.js';
import { answerRecordSizeLimit, clientRecordSizeLimit, wantsOcsp, type ClientOfferSeen } from './server.js';
import {
  certificateVerifyContent, checkCertificateVerify, chooseSignatureScheme13, deriveApplicationSecrets, deriveHandshakeSecrets,
  deriveResumptionMasterSecret, deriveTrafficKeys, finishedData, holds13, protectionFor, pskBinder, type ApplicationSecrets13, type HandshakeSecrets13,
  type Negotiated13,
} from './tls13.js';
import { Traffic13 } from './traffic13.js';

/** What the server settled from the first ClientHello. */
interface Selection13 {
  readonly suite: CipherSuite;
  readonly group: number;
  /** Undefined when only an external PSK can authenticate us (a server without a fitting certificate). */
  readonly certified: CertifiedKey | undefined;
  readonly signatureScheme: number | undefined;
  readonly alpn: string | undefined;
}

/**
 * RFC 8446 Section 4.1.1: the suite, by the server's order (or the client's when
 * preferServerCipherOrder is off); with an external PSK, the first whose hash is the key's
 * (RFC 8446 Section 4.2.11), so that the key can be used.
 */
function chooseSuite(config: ServerConfig, hello: ClientHello, pskHash: HashAlgorithm | undefined): CipherSuite | undefined {
  // The preferred list is walked in order, each id looked up in the other (a Set when the client's
  // list is long: it may hold thousands of entries).
  const preferred = config.preferServerCipherOrder ? config.cipherSuites : hello.cipherSuites;
  const other = config.preferServerCipherOrder ? hello.cipherSuites : config.cipherSuites;
  const inOther = other.length > 32 ? new Set(other) : undefined;
  let first: CipherSuite | undefined;
  for (const id of preferred) {
    if (inOther !== undefined ? !inOther.has(id) : !other.includes(id)) continue;
    const suite = suiteById(id);
    if (suite?.tls13 !== true) continue;
    if (pskHash === undefined || suite.hash === pskHash) return suite;
    first ??= suite;
  }
  return first;
}

/** An external PSK the application knows, named by one of the client's identities. */
interface ExternalPskMatch {
  readonly index: number;
  readonly key: Uint8Array;
  readonly hash: HashAlgorithm;
}

/**
 * RFC 8446 Section 4.2.11: the first identity offered that is none of our tickets and whose
 * key the application has (pskForIdentity). Its binder is checked once the suite is chosen.
 */
function findExternalPsk(cx: HandshakeContext, config: ServerConfig, hello: ClientHello): ExternalPskMatch | undefined {
  if (config.pskForIdentity === undefined) return undefined;
  const ext = findExtension(hello.extensions, ExtensionType.pre_shared_key);
  if (!ext) return undefined;
  const { identities } = decodePreSharedKeyClient(ext.data);
  for (let index = 0; index < identities.length; index++) {
    const identity = identities[index]!.identity;
    if (openTicket(cx.provider, config.ticketKeyRing, identity)) continue;
    const found = config.pskForIdentity(identity);
    if (found && found.key.length > 0) return { index, key: found.key, hash: found.hash ?? 'sha256' };
  }
  return undefined;
}

function clientShares(hello: ClientHello, supportedGroups: readonly number[]): KeyShareEntry[] {
  const ks = findExtension(hello.extensions, ExtensionType.key_share);
  // RFC 8446 Section 9.2: key_share is required unless the client resumes in psk_ke mode alone.
  if (!ks && findExtension(hello.extensions, ExtensionType.pre_shared_key)) return [];
  if (!ks) throw new TlsError('missing_extension', 'TLS 1.3 ClientHello has no key_share');
  const shares = decodeKeyShareClient(ks.data);
  // RFC 8446 Section 4.2.8: every share must be for a group the client lists in supported_groups.
  // (A set: both lists may hold thousands of entries.)
  const listed = new Set(supportedGroups);
  for (const share of shares) {
    if (!listed.has(share.group)) {
      throw new TlsError('illegal_parameter', `key share for ${namedGroupName(share.group)}, which is not in supported_groups`);
    }
  }
  return shares;
}

/**
 * The selections of RFC 8446 Section 4.1.1 for a ClientHello that offers TLS 1.3.
 * The group is our most preferred one the client supports; when the client sent
 * no share for it, a HelloRetryRequest asks for one (as Go's crypto/tls does).
 */
export function readClientHello13(cx: HandshakeContext, config: ServerConfig, hello: ClientHello, frame: HandshakeFrame, offer: ClientOfferSeen): State {
  // RFC 8446 Section 4.1.2: legacy_compression_methods is exactly one null byte.
  if (hello.legacyCompressionMethods.length !== 1 || hello.legacyCompressionMethods[0] !== CompressionMethod.null) {
    throw new TlsError('illegal_parameter', 'TLS 1.3 ClientHello must offer only the null compression method');
  }
  const external = findExternalPsk(cx, config, hello);
  const suite = chooseSuite(config, hello, external?.hash);
  if (!suite) throw new TlsError('handshake_failure', 'no TLS 1.3 cipher suite in common with the client', { code: 'ERR_TLS_NO_SHARED_CIPHER' });
  const groupsExt = findExtension(hello.extensions, ExtensionType.supported_groups);
  if (!groupsExt) throw new TlsError('missing_extension', 'TLS 1.3 ClientHello has no supported_groups');
  const supportedGroups = decodeSupportedGroups(groupsExt.data);
  const shares = clientShares(hello, supportedGroups);
  const group = config.groups.find((g) => supportedGroups.includes(g));
  if (group === undefined) throw new TlsError('handshake_failure', 'no key exchange group in common with the client');
  // An external PSK that fits the suite authenticates us without a certificate (RFC 8446 Section 2.2):
  // the client then need not send signature_algorithms (Section 9.2).
  const externalFits = external !== undefined && external.hash === suite.hash;
  if (!offer.signatureSchemes && !externalFits) throw new TlsError('missing_extension', 'TLS 1.3 ClientHello has no signature_algorithms');
  let chosen: { certified: CertifiedKey; scheme: number } | undefined;
  for (const certified of offer.signatureSchemes ? config.certificates : []) {
    const scheme = chooseSignatureScheme13(config.signatureSchemes, offer.signatureSchemes!, certified.key);
    if (scheme !== undefined) {
      chosen = { certified, scheme };
      break;
    }
  }
  if (!chosen && !externalFits) throw noCertificateForClient(config);

  // RFC 7301 Section 3.2: our first protocol that the client also offers; none in common is fatal.
  let alpn: string | undefined;
  if (offer.alpn && config.alpnProtocols.length > 0) {
    alpn = config.alpnProtocols.find((p) => offer.alpn!.includes(p));
    if (alpn === undefined) throw new TlsError('no_application_protocol', 'no ALPN protocol in common with the client');
  }
  const selection: Selection13 = { suite, group, certified: chosen?.certified, signatureScheme: chosen?.scheme, alpn };
  // RFC 8446 Section 5.1: every record we send carries 0x0303.
  cx.setRecordVersion(0x0303);
  const share = shares.find((s) => s.group === group);
  const mode = pskModeFor(config, hello);
  // A psk_dhe_ke PSK is only taken when no HelloRetryRequest follows (after one, the second ClientHello
  // carries it again); a psk_ke PSK needs no key share at all.
  const psk = mode !== undefined && (share || mode === PskMode.psk_ke) ? acceptPsk(cx, config, hello, frame, suite, offer, external) : undefined;
  record(cx, frame, hello);
  cx.transcript.startHash(suite.hash);
  if (psk && mode === PskMode.psk_ke) return sendServerFlight13(cx, config, hello, offer, selection, undefined, false, psk);
  if (!share) return sendHelloRetryRequest(cx, config, hello, selection);
  return sendServerFlight13(cx, config, hello, offer, selection, share, false, psk);
}

/** RFC 8446 Section 4.2.9: our first PSK mode that the client offers, or undefined. */
function pskModeFor(config: ServerConfig, hello: ClientHello): number | undefined {
  if (!findExtension(hello.extensions, ExtensionType.pre_shared_key)) return undefined;
  const modes = findExtension(hello.extensions, ExtensionType.psk_key_exchange_modes);
  if (!modes) throw new TlsError('missing_extension', 'ClientHello offers a PSK without psk_key_exchange_modes');
  const offered = decodePskKeyExchangeModes(modes.data);
  return config.pskModes.find((m) => offered.includes(m));
}

/** A PSK the server accepted: a ticket (with what 0-RTT needs to judge the early data) or an external key. */
interface AcceptedPsk {
  readonly psk: Uint8Array;
  readonly index: number;
  /** The ticket's session; undefined for an external PSK. */
  readonly state: ServerSessionState | undefined;
  readonly obfuscatedTicketAge: number;
  readonly ticket: Uint8Array;
}


/**
 * RFC 8446 Section 4.2.11: the first identity that is one of our tickets, still
 * fresh, for this server name, with a hash that fits the suite, or the external PSK
 * the application knows when its hash fits; its binder must verify (compared in
 * constant time), else the handshake fails: decrypt_error for a ticket, and for an
 * external PSK illegal_parameter, as OpenSSL and node:tls send it.
 * Call before the ClientHello enters the transcript.
 */
function acceptPsk(
  cx: HandshakeContext, config: ServerConfig, hello: ClientHello, frame: HandshakeFrame, suite: CipherSuite, offer: ClientOfferSeen,
  external: ExternalPskMatch | undefined,
): AcceptedPsk | undefined {
  const ext = findExtension(hello.extensions, ExtensionType.pre_shared_key);
  if (!ext) return undefined;
  if (hello.extensions[hello.extensions.length - 1]!.type !== ExtensionType.pre_shared_key) {
    throw new TlsError('illegal_parameter', 'pre_shared_key is not the last extension of the ClientHello');
  }
  const offered = decodePreSharedKeyClient(ext.data);
  const chosen = choosePsk(cx, config, offered.identities, suite, offer, external);
  if (!chosen) return undefined;
  const { index, psk, state } = chosen;
  const truncated = frame.raw.subarray(0, frame.raw.length - encodedBindersLength(offered.binders));
  const expected = pskBinder(cx, suite.hash, psk, cx.transcript.hashWith(suite.hash, truncated), state ? 'res binder' : 'ext binder');
  if (!constantTimeEqual(expected, offered.binders[index]!)) throw binderFailure(state === undefined);
  if (!state) cx.trace?.({ kind: 'note', side: 'server', text: `external PSK accepted (identity ${index}): no certificates` });
  const { identity, obfuscatedTicketAge } = offered.identities[index]!;
  return { psk, index, state, obfuscatedTicketAge, ticket: identity };
}

/** A bad binder: decrypt_error (RFC 8446 Section 6.2) for a ticket; illegal_parameter for an external PSK, as OpenSSL and node:tls send it. */
function binderFailure(external: boolean): TlsError {
  return external
    ? new TlsError('illegal_parameter', 'external PSK binder does not verify', { code: 'ERR_SSL_BINDER_DOES_NOT_VERIFY' })
    : new TlsError('decrypt_error', 'PSK binder does not verify');
}

/** The first identity that is a usable ticket or the external PSK whose hash fits the suite. */
function choosePsk(
  cx: HandshakeContext, config: ServerConfig, identities: readonly { readonly identity: Uint8Array }[], suite: CipherSuite, offer: ClientOfferSeen,
  external: ExternalPskMatch | undefined,
): { index: number; psk: Uint8Array; state: ServerSessionState | undefined } | undefined {
  const now = config.now().getTime();
  for (let index = 0; index < identities.length; index++) {
    if (external?.index === index) {
      if (external.hash === suite.hash) return { index, psk: external.key, state: undefined };
      continue;
    }
    const state = openTicket(cx.provider, config.ticketKeyRing, identities[index]!.identity);
    if (!state || state.version !== 0x0304 || now - state.createdAt >= state.lifetime * 1000) continue;
    if (suiteById(state.cipherSuite)?.hash !== suite.hash || state.serverName !== (offer.serverName ?? '')) continue;
    return { index, psk: state.secret, state };
  }
  return undefined;
}

/** RFC 8446 Section 4.1.4: ask for a share in the group we chose. */
function sendHelloRetryRequest(cx: HandshakeContext, config: ServerConfig, hello: ClientHello, selection: Selection13): State {
  cx.trace?.({ kind: 'note', side: 'server', text: `no key share for ${namedGroupName(selection.group)}: sending HelloRetryRequest` });
  // RFC 8446 Section 4.2.10: early data sent with the first ClientHello is skipped.
  if (findExtension(hello.extensions, ExtensionType.early_data)) cx.skipRejectedEarlyData(MAX_SKIPPED_EARLY_RECORDS);
  cx.transcript.rollupForHelloRetry();
  cx.sendHandshake({
    type: HandshakeType.server_hello,
    legacyVersion: 0x0303,
    random: HELLO_RETRY_REQUEST_RANDOM,
    legacySessionId: hello.legacySessionId,
    cipherSuite: selection.suite.id,
    legacyCompressionMethod: CompressionMethod.null,
    extensions: [
      { type: ExtensionType.supported_versions, data: encodeSupportedVersionsServer(0x0304) },
      { type: ExtensionType.key_share, data: encodeKeyShareHelloRetry(selection.group) },
    ],
  });
  // RFC 8446 Appendix D.4: in compatibility mode, a ChangeCipherSpec right after the first server message.
  if (hello.legacySessionId.length > 0) cx.sendChangeCipherSpec();
  return new ExpectSecondClientHello(config, hello, selection);
}

export class ExpectSecondClientHello implements State {
  readonly name = 'ExpectSecondClientHello';
  readonly dropsChangeCipherSpec = true;
  constructor(readonly config: ServerConfig, readonly firstHello: ClientHello, readonly selection: Selection13) {}

  holds(): TraceFields {
    return { version: 'TLSv1.3', clientRandom: this.firstHello.random, cipherSuite: this.selection.suite.standardName, keyExchangeGroup: namedGroupName(this.selection.group) };
  }

  handle(cx: HandshakeContext, input: Input): State {
    const { message: hello, frame } = decodeExpected(cx, input, HandshakeType.client_hello);
    const first = this.firstHello;
    // RFC 8446 Section 4.1.2: the second ClientHello repeats the first, with the new share.
    const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
    if (!same(hello.random, first.random) || !same(hello.legacySessionId, first.legacySessionId) || !hello.cipherSuites.includes(this.selection.suite.id)) {
      throw new TlsError('illegal_parameter', 'second ClientHello does not repeat the first');
    }
    if (findExtension(hello.extensions, ExtensionType.early_data)) {
      throw new TlsError('illegal_parameter', 'second ClientHello offers early data');
    }
    const groupsExt = findExtension(hello.extensions, ExtensionType.supported_groups);
    const shares = clientShares(hello, groupsExt ? decodeSupportedGroups(groupsExt.data) : []);
    if (shares.length !== 1 || shares[0]!.group !== this.selection.group) {
      throw new TlsError('illegal_parameter', `second ClientHello must carry one key share, for ${namedGroupName(this.selection.group)}`);
    }
    const sigalgs = findExtension(hello.extensions, ExtensionType.signature_algorithms);
    const offer: ClientOfferSeen = {
      serverName: cx.info.serverName,
      groups: undefined,
      signatureSchemes: sigalgs ? decodeSignatureAlgorithms(sigalgs.data) : undefined,
      alpn: this.selection.alpn === undefined ? undefined : [this.selection.alpn],
      extendedMasterSecret: true,
      encryptThenMac: false,
      secureRenegotiation: false,
      sessionTicket: false,
      ticket: undefined,
      ocsp: wantsOcsp(hello),
      recordSizeLimit: clientRecordSizeLimit(hello),
      ecPointFormats: false,
    };
    const psk = acceptPsk(cx, this.config, hello, frame, this.selection.suite, offer, findExternalPsk(cx, this.config, hello));
    record(cx, frame, hello);
    return sendServerFlight13(cx, this.config, hello, offer, this.selection, shares[0]!, true, psk);
  }
}

/** What the server holds from its flight on. */
interface ServerHandshake13 {
  readonly config: ServerConfig;
  readonly hs: Negotiated13;
  readonly selection: Selection13;
  readonly secrets: HandshakeSecrets13;
  readonly app: ApplicationSecrets13;
  readonly sharedSecret: Uint8Array | undefined;
}

/**
 * ServerHello, [ChangeCipherSpec], EncryptedExtensions, [CertificateRequest], Certificate, CertificateVerify, Finished;
 * first the OCSP response to staple on the Certificate, when the client asks and the caller gives them (config.ask.ocsp).
 */
function sendServerFlight13(
  cx: HandshakeContext, config: ServerConfig, hello: ClientHello, offer: ClientOfferSeen, selection: Selection13,
  share: KeyShareEntry | undefined, helloRetried: boolean, psk: AcceptedPsk | undefined,
): State {
  // Without a PSK the server authenticates with a certificate, which it must have.
  if (!psk && !selection.certified) throw noCertificateForClient(config);
  const certified = !psk && offer.ocsp ? selection.certified : undefined;
  if (certified && config.ask.ocsp) {
    const request = { kind: 'ocsp', chain: certified.chain } as const;
    return new AwaitAnswer(
      request,
      { clientRandom: hello.random },
      (cx, response) =>
        sendServerFlightStapled13(cx, config, hello, offer, selection, share, helloRetried, psk, response instanceof Uint8Array && response.length > 0 ? response : undefined),
      (cx) => {
        cx.trace?.({ kind: 'note', side: 'server', text: 'the OCSP response could not be had: none stapled' });
        return sendServerFlightStapled13(cx, config, hello, offer, selection, share, helloRetried, psk, undefined);
      },
    );
  }
  return sendServerFlightStapled13(cx, config, hello, offer, selection, share, helloRetried, psk, certified?.ocspResponse);
}

function sendServerFlightStapled13(
  cx: HandshakeContext, config: ServerConfig, hello: ClientHello, offer: ClientOfferSeen, selection: Selection13,
  share: KeyShareEntry | undefined, helloRetried: boolean, psk: AcceptedPsk | undefined, staple: Uint8Array | undefined,
): State {
  const { suite } = selection;
  // psk_ke (RFC 8446 Section 4.2.9): no (EC)DHE, no key_share in ServerHello.
  const accepted = share ? cx.provider.acceptKeyShare(selection.group, share.keyExchange) : undefined;
  const hs: Negotiated13 = {
    clientRandom: hello.random,
    serverRandom: cx.provider.random(32),
    legacySessionId: hello.legacySessionId,
    suite,
    group: accepted ? selection.group : undefined,
    helloRetried,
    resumed: psk !== undefined,
  };
  if (psk) {
    cx.info.sessionReused = true;
    const peerCertificates = psk.state?.peerCertificates ?? [];
    cx.info.peerCertificates = peerCertificates.map((c) => parseCertificate(c));
    cx.info.authorized = peerCertificates.length > 0;
    cx.trace?.({
      kind: 'note', side: 'server',
      text: `${psk.state ? 'ticket' : 'external PSK'} accepted: ${psk.state ? 'resumption ' : ''}with PSK${share ? ' and (EC)DHE' : ' alone (psk_ke)'}, no certificates`,
    });
  }
  cx.version = 0x0304;
  cx.info.version = 0x0304;
  cx.info.protocol = 'TLSv1.3';
  cx.info.cipherSuite = suite;
  cx.info.group = hs.group;
  cx.info.extendedMasterSecret = true;
  if (selection.alpn !== undefined) cx.info.alpnProtocol = selection.alpn;

  const earlyOffered = findExtension(hello.extensions, ExtensionType.early_data) !== undefined;
  const earlyAccepted = earlyOffered && acceptEarlyData(cx, config, selection, psk, helloRetried);
  // RFC 8446 Section 7.1: client_early_traffic_secret covers the ClientHello alone.
  const earlyTrafficSecret = earlyAccepted
    ? deriveSecret(cx.provider, suite.hash, earlySecret(cx.provider, suite.hash, psk!.psk), 'c e traffic', cx.transcript.hash())
    : undefined;
  if (earlyTrafficSecret) cx.keyLog('CLIENT_EARLY_TRAFFIC_SECRET', hello.random, earlyTrafficSecret);
  if (earlyOffered) cx.info.earlyData = earlyAccepted ? 'accepted' : 'rejected';

  cx.sendHandshake({
    type: HandshakeType.server_hello,
    legacyVersion: 0x0303,
    random: hs.serverRandom,
    legacySessionId: hello.legacySessionId,
    cipherSuite: suite.id,
    legacyCompressionMethod: CompressionMethod.null,
    extensions: [
      { type: ExtensionType.supported_versions, data: encodeSupportedVersionsServer(0x0304) },
      ...(accepted ? [{ type: ExtensionType.key_share, data: encodeKeyShareServer({ group: selection.group, keyExchange: accepted.publicKey }) }] : []),
      ...(psk ? [{ type: ExtensionType.pre_shared_key, data: encodePreSharedKeyServer(psk.index) }] : []),
    ],
  });
  const secrets = deriveHandshakeSecrets(cx, hs, accepted?.sharedSecret, psk?.psk);
  // RFC 8446 Appendix D.4: compatibility mode's ChangeCipherSpec, unless one followed a HelloRetryRequest.
  if (hello.legacySessionId.length > 0 && !helloRetried) cx.sendChangeCipherSpec();
  cx.setWriteProtection(protectionFor(cx, suite, secrets.serverHandshakeKeys));

  const extensions: Extension[] = [];
  if (selection.alpn !== undefined) extensions.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn([selection.alpn]) });
  if (offer.serverName !== undefined) extensions.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
  if (earlyAccepted) extensions.push({ type: ExtensionType.early_data, data: new Uint8Array(0) });
  answerRecordSizeLimit(cx, config, 0x0304, offer, extensions);
  cx.sendHandshake({ type: HandshakeType.encrypted_extensions, extensions });

  // RFC 8446 Section 2.2: a PSK handshake sends no certificates and asks for none.
  const certificates = !psk;
  if (config.requestCert && certificates) {
    cx.sendHandshake({
      type: HandshakeType.certificate_request,
      version: 'tls13',
      certificateRequestContext: new Uint8Array(0),
      extensions: [
        { type: ExtensionType.signature_algorithms, data: encodeSignatureAlgorithms(config.signatureSchemes) },
        // RFC 8446 Section 4.2.4: the CAs whose certificates we accept, as OpenSSL and node:tls send them.
        ...(config.roots.length > 0
          ? [{ type: ExtensionType.certificate_authorities, data: encodeCertificateAuthorities(config.roots.map((r) => r.subject.raw)) }]
          : []),
      ],
    });
  }
  if (certificates) {
    cx.sendHandshake({
      type: HandshakeType.certificate,
      certificateRequestContext: new Uint8Array(0),
      certificateList: selection.certified!.chain.map((c, i) => ({
        certData: c.raw,
        // RFC 8446 Section 4.4.2.1: a stapled OCSP response goes on the leaf's entry when the client asked.
        extensions: i === 0 && staple
          ? [{ type: ExtensionType.status_request, data: encodeCertificateStatusExtension(staple) }]
          : [],
      })),
    });
    const key = selection.certified!.key;
    const content = certificateVerifyContent('server', cx.transcript.hash());
    if (key.external) {
      return awaitSignature(key, selection.signatureScheme!, content, holds13({ hs, certificate: selection.certified!.chain[0], privateKey: true, handshake: secrets }), (cx, signature) => {
        cx.sendHandshake({ type: HandshakeType.certificate_verify, signatureScheme: selection.signatureScheme!, signature });
        return finishServerFlight13(cx, config, selection, hs, secrets, accepted?.sharedSecret, earlyTrafficSecret, earlyOffered, certificates);
      });
    }
    const signature = cx.provider.sign(key, selection.signatureScheme!, content);
    cx.sendHandshake({ type: HandshakeType.certificate_verify, signatureScheme: selection.signatureScheme!, signature });
  }
  return finishServerFlight13(cx, config, selection, hs, secrets, accepted?.sharedSecret, earlyTrafficSecret, earlyOffered, certificates);
}

/** The server's Finished; then its application keys and what it expects next. */
function finishServerFlight13(
  cx: HandshakeContext, config: ServerConfig, selection: Selection13, hs: Negotiated13, secrets: HandshakeSecrets13, sharedSecret: Uint8Array | undefined,
  earlyTrafficSecret: Uint8Array | undefined, earlyOffered: boolean, certificates: boolean,
): State {
  const { suite } = selection;
  cx.sendHandshake({ type: HandshakeType.finished, verifyData: finishedData(cx, suite, secrets.serverFinishedKey) });

  const app = deriveApplicationSecrets(cx, hs, secrets);
  cx.setWriteProtection(protectionFor(cx, suite, app.serverApplicationKeys));
  cx.setReadProtection(protectionFor(cx, suite, secrets.clientHandshakeKeys));
  const kept = cx.trace ? sharedSecret : undefined;
  if (!cx.trace) zeroize(sharedSecret);

  const s: ServerHandshake13 = { config, hs, selection, secrets, app, sharedSecret: kept };
  if (earlyTrafficSecret) {
    cx.setReadProtection(protectionFor(cx, suite, deriveTrafficKeys(cx, suite, earlyTrafficSecret, 'client early')));
    return new ExpectEarlyData(s, config.maxEarlyData);
  }
  if (earlyOffered) cx.skipRejectedEarlyData(MAX_SKIPPED_EARLY_RECORDS);
  return config.requestCert && certificates ? new ExpectClientCertificate(s) : new ExpectClientFinished(s, undefined);
}

/** Records of rejected 0-RTT data a server skips before it gives up (RFC 8446 Section 4.2.10 bounds them by size). */
const MAX_SKIPPED_EARLY_RECORDS = 64;
/** RFC 8446 Section 8.3: how far the client's idea of the ticket's age may be from ours. */
const TICKET_AGE_TOLERANCE_MS = 10_000;

/**
 * RFC 8446 Section 4.2.10 and 8: 0-RTT only when configured, on the first
 * identity, without a HelloRetryRequest, with the ticket's suite and ALPN, a
 * plausible ticket age, and a ticket never used for early data before.
 */
function acceptEarlyData(cx: HandshakeContext, config: ServerConfig, selection: Selection13, psk: AcceptedPsk | undefined, helloRetried: boolean): boolean {
  if (!psk?.state || config.maxEarlyData === 0 || psk.state.maxEarlyData === 0 || psk.index !== 0 || helloRetried) return false;
  if (psk.state.cipherSuite !== selection.suite.id || psk.state.alpnProtocol !== (selection.alpn ?? '')) return false;
  const now = config.now().getTime();
  const clientAge = (psk.obfuscatedTicketAge - psk.state.ticketAgeAdd) >>> 0;
  if (Math.abs(clientAge - (now - psk.state.createdAt)) > TICKET_AGE_TOLERANCE_MS) {
    cx.trace?.({ kind: 'note', side: 'server', text: '0-RTT rejected: the ticket age does not fit' });
    return false;
  }
  if (!config.earlyDataReplayFilter.firstUse(psk.ticket, psk.state.createdAt, psk.state.createdAt + psk.state.lifetime * 1000, now)) {
    cx.trace?.({ kind: 'note', side: 'server', text: '0-RTT rejected: this ticket already carried early data (replay)' });
    return false;
  }
  return true;
}

/** RFC 8446 Section 4.2.10 / 4.5: accepted early data, up to EndOfEarlyData. */
export class ExpectEarlyData implements State {
  readonly name = 'ExpectEarlyData';
  readonly dropsChangeCipherSpec = true;
  constructor(readonly s: ServerHandshake13, private remaining: number) {}

  holds(): TraceFields {
    return heldByServer(this.s);
  }

  receiveEarlyData(cx: HandshakeContext, data: Uint8Array): void {
    // RFC 8446 Section 4.2.10: more than max_early_data_size is unexpected_message.
    this.remaining -= data.length;
    if (this.remaining < 0) throw new TlsError('unexpected_message', 'client sent more early data than max_early_data_size');
    if (data.length > 0) cx.emit({ type: 'earlyData', data });
  }

  handle(cx: HandshakeContext, input: Input): State {
    expect(cx, input, HandshakeType.end_of_early_data);
    cx.setReadProtection(protectionFor(cx, this.s.hs.suite, this.s.secrets.clientHandshakeKeys));
    return new ExpectClientFinished(this.s, undefined);
  }
}

function heldByServer(s: ServerHandshake13): TraceFields {
  return holds13({ hs: s.hs, certificate: s.selection.certified?.chain[0], privateKey: s.selection.certified !== undefined, sharedSecret: s.sharedSecret, handshake: s.secrets, application: s.app });
}

export class ExpectClientCertificate implements State {
  readonly name = 'ExpectClientCertificate';
  readonly dropsChangeCipherSpec = true;
  constructor(readonly s: ServerHandshake13) {}

  holds(): TraceFields {
    return heldByServer(this.s);
  }

  handle(cx: HandshakeContext, input: Input): State {
    const msg = expect(cx, input, HandshakeType.certificate);
    if (msg.certificateRequestContext.length !== 0) throw new TlsError('illegal_parameter', 'client Certificate has a request context');
    if (msg.certificateList.length === 0) {
      // RFC 8446 Section 4.4.2.4: a server that requires a certificate answers an empty one with certificate_required.
      if (this.s.config.rejectUnauthorized) {
        throw new TlsError('certificate_required', 'client did not send a certificate', { code: 'ERR_TLS_CERT_REQUIRED' });
      }
      cx.info.authorized = false;
      return new ExpectClientFinished(this.s, undefined);
    }
    const chain = parseChain(cx, msg.certificateList);
    cx.info.peerCertificates = chain;
    // RFC 8446 Section 4.4.2.2: the client's key signs its CertificateVerify.
    if (cx.config.ask.verify) {
      return awaitVerdict(chain, 'clientAuth', 'digitalSignature', undefined, this.holds(), (cx) =>
        new ExpectClientCertificateVerify(this.s, chain[0]!, cx.provider.loadPublicKey(chain[0]!.subjectPublicKeyInfo)));
    }
    verifyPeerCertificate(cx, chain, 'clientAuth', 'digitalSignature', undefined, this.s.config.roots);
    return new ExpectClientCertificateVerify(this.s, chain[0]!, cx.provider.loadPublicKey(chain[0]!.subjectPublicKeyInfo));
  }
}

export class ExpectClientCertificateVerify implements State {
  readonly name = 'ExpectCertificateVerify';
  readonly dropsChangeCipherSpec = true;
  constructor(readonly s: ServerHandshake13, readonly clientCertificate: Certificate, readonly clientPublicKey: PublicKey) {}

  holds(): TraceFields {
    return heldByServer(this.s);
  }

  handle(cx: HandshakeContext, input: Input): State {
    const transcriptHash = cx.transcript.hash();
    const cv = expect(cx, input, HandshakeType.certificate_verify);
    checkCertificateVerify(cx, 'client', this.clientPublicKey, cv.signatureScheme, cv.signature, transcriptHash);
    return new ExpectClientFinished(this.s, this.clientCertificate);
  }
}

export class ExpectClientFinished implements State {
  readonly name = 'ExpectFinished';
  readonly dropsChangeCipherSpec = true;
  constructor(readonly s: ServerHandshake13, readonly clientCertificate: Certificate | undefined) {}

  holds(): TraceFields {
    return heldByServer(this.s);
  }

  handle(cx: HandshakeContext, input: Input): State {
    const { hs, secrets, app, config } = this.s;
    const expected = finishedData(cx, hs.suite, secrets.clientFinishedKey);
    const finished = expect(cx, input, HandshakeType.finished);
    checkFinished(expected, finished.verifyData, 'client');
    cx.setReadProtection(protectionFor(cx, hs.suite, app.clientApplicationKeys));
    const resumptionMasterSecret = deriveResumptionMasterSecret(cx, hs, app.masterSecret);
    cx.handshakeDone();
    if (config.issueTickets && (config.ticketOnResumption || !hs.resumed)) {
      // RFC 8446 Section 4.6.1: each ticket its own nonce, so each derives its own PSK.
      const count = hs.resumed ? 1 : config.ticketsPerHandshake;
      for (let i = 0; i < count; i++) sendNewSessionTicket(cx, config, hs, resumptionMasterSecret, i);
    }
    return new Traffic13('server', hs, app, resumptionMasterSecret, undefined, cx.trace !== undefined);
  }
}

/** RFC 8446 Section 4.6.1: a ticket sealing the PSK that "resumption" with this nonce derives. */
export function sendNewSessionTicket(cx: HandshakeContext, config: ServerConfig, hs: Negotiated13, resumptionMasterSecret: Uint8Array, counter: number): void {
  const nonce = Uint8Array.of(counter);
  const r = cx.provider.random(4);
  const ageAdd = ((r[0]! << 24) >>> 0) + ((r[1]! << 16) | (r[2]! << 8) | r[3]!);
  const psk = resumptionPsk(cx.provider, hs.suite.hash, resumptionMasterSecret, nonce);
  const ticket = sealTicket(cx.provider, config.ticketKeyRing, {
    version: 0x0304,
    cipherSuite: hs.suite.id,
    secret: psk,
    extendedMasterSecret: true,
    createdAt: config.now().getTime(),
    lifetime: config.sessionTimeout,
    ticketAgeAdd: ageAdd,
    maxEarlyData: config.maxEarlyData,
    alpnProtocol: cx.info.alpnProtocol === false ? '' : cx.info.alpnProtocol,
    serverName: cx.info.serverName ?? '',
    peerCertificates: cx.info.peerCertificates.map((c) => c.raw),
  });
  cx.sendHandshake({
    type: HandshakeType.new_session_ticket,
    version: 'tls13',
    ticketLifetime: config.sessionTimeout,
    ticketAgeAdd: ageAdd,
    ticketNonce: nonce,
    ticket,
    // RFC 8446 Section 4.6.1: early_data says how much 0-RTT data the ticket allows.
    extensions: config.maxEarlyData > 0 ? [{ type: ExtensionType.early_data, data: encodeEarlyData(config.maxEarlyData) }] : [],
  });
}

/** No certificate of ours can sign with a scheme the client accepts (with certificates: OpenSSL's "no shared signature algorithms"). */
function noCertificateForClient(config: ServerConfig): TlsError {
  return new TlsError('handshake_failure', 'no certificate and signature scheme the client accepts',
    config.certificates.length > 0 ? { code: 'ERR_TLS_NO_SHARED_SIGNATURE_ALGORITHMS' } : {});
}
