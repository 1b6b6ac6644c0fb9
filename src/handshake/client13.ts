// The TLS 1.3 client after ServerHello: RFC 8446 Section 4.1.3 - 4.4 and 4.6.

import { PskMode, type CertifiedKey } from '../config.js';
import type { KeyShare, PublicKey } from '../crypto/provider.js';
import { zeroize } from '../crypto/provider.js';
import { TlsError } from '../errors.js';
import type { CipherSuite } from '../suites.js';
import type { TraceFields } from '../trace.js';
import { CompressionMethod, ExtensionType, HandshakeType, namedGroupName } from '../wire/enums.js';
import {
  decodeCertificateStatusExtension, decodeKeyShareServer, decodePreSharedKeyServer, decodeSignatureAlgorithms, expectEmptyExtension, findExtension,
} from '../wire/extensions.js';
import { parseCertificate } from '../x509/certificate.js';
import type { CertificateRequest13, ServerHello } from '../wire/messages.js';
import type { Certificate } from '../x509/certificate.js';
import { applyPeerRecordSizeLimit, checkAnsweredExtensions, offeredPsks, readAlpn, type ClientOffer } from './client.js';
import { awaitVerdict, expect, parseChain, verifyPeerCertificate, checkStapledOcsp, type HandshakeContext, type Input, type State } from './common.js';
import { AwaitAnswer, awaitSignature } from './requests.js';
import {
  certificateVerifyContent, certificateVerifyToCheck, checkCertificateVerify, chooseSignatureScheme13, deriveApplicationSecrets, deriveHandshakeSecrets,
  deriveResumptionMasterSecret, finishedData, holds13, protectionFor, type ApplicationSecrets13, type HandshakeSecrets13, type Negotiated13,
} from './tls13.js';
import { checkFinished } from './common.js';
import { Traffic13 } from './traffic13.js';

/** Extensions that may appear in EncryptedExtensions (RFC 8446 Section 4.2, the "EE" column). */
const encryptedExtensionsAllowed: ReadonlySet<number> = new Set([
  ExtensionType.server_name, ExtensionType.max_fragment_length, ExtensionType.supported_groups, ExtensionType.use_srtp,
  ExtensionType.heartbeat, ExtensionType.application_layer_protocol_negotiation, ExtensionType.record_size_limit,
  ExtensionType.early_data,
]);

/** What the client holds from ServerHello on. */
interface ClientHandshake13 {
  readonly offer: ClientOffer;
  readonly hs: Negotiated13;
  readonly secrets: HandshakeSecrets13;
  /** For the trace only: the (EC)DHE shared secret. */
  readonly sharedSecret: Uint8Array | undefined;
  /** The server selected our external PSK (not the ticket, so no 0-RTT). */
  readonly externalPsk: boolean;
}

/**
 * RFC 8446 Section 4.1.3: checks ServerHello, agrees the key, and switches both
 * directions to the handshake traffic keys (ours takes effect with the client's
 * next encrypted message).
 */
export function readServerHello13(cx: HandshakeContext, offer: ClientOffer, sh: ServerHello, suite: CipherSuite): State {
  const { hello } = offer;
  // RFC 8446 Section 4.1.3: legacy_session_id_echo must echo ours; compression must be 0.
  if (sh.legacySessionId.length !== hello.legacySessionId.length || !sh.legacySessionId.every((b, i) => b === hello.legacySessionId[i])) {
    throw new TlsError('illegal_parameter', 'server did not echo the legacy session ID');
  }
  if (sh.legacyCompressionMethod !== CompressionMethod.null) throw new TlsError('illegal_parameter', 'TLS 1.3 ServerHello names a compression method');
  checkAnsweredExtensions(hello.extensions, sh.extensions, 'ServerHello');
  // RFC 8446 Section 4.2: only supported_versions, key_share and pre_shared_key belong in ServerHello.
  for (const e of sh.extensions) {
    if (e.type !== ExtensionType.supported_versions && e.type !== ExtensionType.key_share && e.type !== ExtensionType.pre_shared_key) {
      throw new TlsError('illegal_parameter', `TLS 1.3 ServerHello carries extension ${e.type}`);
    }
  }
  // RFC 8446 Section 4.2.9: without key_share the server resumes in psk_ke mode, which we must have offered.
  const ks = findExtension(sh.extensions, ExtensionType.key_share);
  const pskOnly = ks === undefined;
  if (pskOnly && (!findExtension(sh.extensions, ExtensionType.pre_shared_key) || !offer.config.pskModes.includes(PskMode.psk_ke))) {
    throw new TlsError('missing_extension', 'TLS 1.3 ServerHello has no key_share, and psk_ke was not offered');
  }
  let sharedSecret: Uint8Array | undefined;
  let group: number | undefined;
  /** An external share: the caller agrees, once everything else in the ServerHello has been checked. */
  let agreeLater: { share: KeyShare; peerPublicKey: Uint8Array } | undefined;
  if (ks) {
    const entry = decodeKeyShareServer(ks.data);
    const share = offer.keyShares.find((s) => s.group === entry.group);
    // RFC 8446 Section 4.2.8: the server's share must be in a group we sent a share for.
    if (!share) throw new TlsError('illegal_parameter', `server key share is for ${namedGroupName(entry.group)}, which the client did not send`);
    if (share.external) agreeLater = { share, peerPublicKey: entry.keyExchange };
    else sharedSecret = share.agree(entry.keyExchange);
    group = entry.group;
  }

  // RFC 8446 Section 4.2.11: the server accepted one of our PSKs, by its index.
  let psk: Uint8Array | undefined;
  let selectedExternal = false;
  const pskExt = findExtension(sh.extensions, ExtensionType.pre_shared_key);
  if (pskExt) {
    const selected = offeredPsks(offer, 0)[decodePreSharedKeyServer(pskExt.data)];
    if (!selected) throw new TlsError('illegal_parameter', 'server selected a PSK the client did not offer');
    if (selected.hash !== suite.hash) throw new TlsError('illegal_parameter', 'server chose a suite whose hash differs from the selected PSK\'s');
    psk = selected.secret;
    selectedExternal = selected.external;
    // node:tls reports an external PSK handshake as reused and authorized too: the key authenticates the server.
    cx.info.sessionReused = true;
    cx.info.peerCertificates = selected.external ? [] : offer.session!.peerCertificates.map((c) => parseCertificate(c));
    cx.info.authorized = true;
    cx.trace?.({
      kind: 'note', side: 'client',
      text: `server accepted ${selected.external ? 'the external PSK' : 'the ticket'}: ${ks ? 'PSK and (EC)DHE' : 'PSK alone (psk_ke)'}, no certificates`,
    });
  }

  cx.version = 0x0304;
  // RFC 8446 Section 5.1: records carry 0x0303 from here on (the compatibility ChangeCipherSpec included).
  cx.setRecordVersion(0x0303);
  cx.info.version = 0x0304;
  cx.info.protocol = 'TLSv1.3';
  cx.info.cipherSuite = suite;
  cx.info.group = group;
  cx.info.extendedMasterSecret = true;

  const hs: Negotiated13 = {
    clientRandom: hello.random,
    serverRandom: sh.random,
    legacySessionId: sh.legacySessionId,
    suite,
    group,
    helloRetried: offer.helloRetried,
    resumed: psk !== undefined,
  };
  if (agreeLater !== undefined) {
    return new AwaitAnswer({ kind: 'agree', ...agreeLater }, holds13({ hs }), (cx, answer) => {
      if (!(answer instanceof Uint8Array) || answer.length === 0) throw new TlsError('internal_error', 'the key agreement returned no shared secret');
      return enterHandshakeKeys(cx, offer, hs, answer, psk, selectedExternal);
    });
  }
  return enterHandshakeKeys(cx, offer, hs, sharedSecret, psk, selectedExternal);
}

/** RFC 8446 Section 7.1: the handshake secrets, and both directions under the handshake traffic keys. */
function enterHandshakeKeys(
  cx: HandshakeContext, offer: ClientOffer, hs: Negotiated13, sharedSecret: Uint8Array | undefined, psk: Uint8Array | undefined, selectedExternal: boolean,
): State {
  const { hello } = offer;
  const suite = hs.suite;
  const secrets = deriveHandshakeSecrets(cx, hs, sharedSecret, psk);
  cx.setReadProtection(protectionFor(cx, suite, secrets.serverHandshakeKeys));
  if (!offer.earlyData) {
    // RFC 8446 Appendix D.4: the compatibility ChangeCipherSpec goes before our second flight (after
    // most HelloRetryRequests it went before the second ClientHello). From here on everything we send,
    // an alert included, is under the client handshake key.
    if (hello.legacySessionId.length > 0 && !offer.changeCipherSpecSent) cx.sendChangeCipherSpec();
    cx.setWriteProtection(protectionFor(cx, suite, secrets.clientHandshakeKeys));
  }
  const kept = cx.trace ? sharedSecret : undefined;
  if (!cx.trace) zeroize(sharedSecret);
  return new ExpectEncryptedExtensions({ offer, hs, secrets, sharedSecret: kept, externalPsk: selectedExternal });
}

export class ExpectEncryptedExtensions implements State {
  readonly name = 'ExpectEncryptedExtensions';
  readonly dropsChangeCipherSpec = true;
  constructor(readonly c: ClientHandshake13) {}

  holds(): TraceFields {
    return holds13({ hs: this.c.hs, sharedSecret: this.c.sharedSecret, handshake: this.c.secrets });
  }

  handle(cx: HandshakeContext, input: Input): State {
    const ee = expect(cx, input, HandshakeType.encrypted_extensions);
    checkAnsweredExtensions(this.c.offer.hello.extensions, ee.extensions, 'EncryptedExtensions');
    for (const e of ee.extensions) {
      if (!encryptedExtensionsAllowed.has(e.type)) throw new TlsError('illegal_parameter', `EncryptedExtensions carries extension ${e.type}`);
    }
    readAlpn(cx, this.c.offer.config, ee.extensions);
    applyPeerRecordSizeLimit(cx, this.c.offer.config, 0x0304, ee.extensions);
    // RFC 8446 Section 4.2.10: early_data in EncryptedExtensions accepts our 0-RTT data.
    const early = this.c.offer.earlyData;
    if (early) {
      const accepted = findExtension(ee.extensions, ExtensionType.early_data) !== undefined;
      // RFC 8446 Section 4.2.10: early data goes with the first PSK offered, our ticket.
      if (accepted && (!this.c.hs.resumed || this.c.externalPsk)) throw new TlsError('illegal_parameter', 'server accepted early data without accepting the ticket');
      cx.info.earlyData = accepted ? 'accepted' : 'rejected';
      if (!accepted) {
        cx.queueApplicationData(early);
        cx.setWriteProtection(protectionFor(cx, this.c.hs.suite, this.c.secrets.clientHandshakeKeys));
      }
      cx.trace?.({ kind: 'note', side: 'client', text: accepted ? 'the server accepted the 0-RTT data' : 'the server rejected the 0-RTT data: it will be sent again after the handshake' });
    }
    const sni = findExtension(ee.extensions, ExtensionType.server_name);
    if (sni) expectEmptyExtension(sni.data, 'server_name');
    // RFC 8446 Section 2.2: a PSK handshake authenticates by the PSK: no Certificate or CertificateVerify.
    if (this.c.hs.resumed) return new ExpectFinished(this.c, undefined, undefined);
    return new ExpectCertificateOrCertificateRequest(this.c);
  }
}

export class ExpectCertificateOrCertificateRequest implements State {
  readonly name = 'ExpectCertificateOrCertificateRequest';
  readonly dropsChangeCipherSpec = true;
  constructor(readonly c: ClientHandshake13) {}

  holds(): TraceFields {
    return holds13({ hs: this.c.hs, handshake: this.c.secrets });
  }

  handle(cx: HandshakeContext, input: Input): State {
    if (input.kind === 'handshake' && input.frame.type === HandshakeType.certificate_request) {
      const request = expect(cx, input, HandshakeType.certificate_request) as CertificateRequest13;
      // RFC 8446 Section 4.3.2: the context is empty during the handshake; signature_algorithms is required.
      if (request.certificateRequestContext.length !== 0) throw new TlsError('illegal_parameter', 'CertificateRequest context must be empty in the handshake');
      const sigalgs = findExtension(request.extensions, ExtensionType.signature_algorithms);
      if (!sigalgs) throw new TlsError('missing_extension', 'CertificateRequest has no signature_algorithms');
      const accepted = decodeSignatureAlgorithms(sigalgs.data);
      cx.info.peerSignatureSchemes = accepted;
      return new ExpectServerCertificate(this.c, accepted);
    }
    return new ExpectServerCertificate(this.c, undefined).handle(cx, input);
  }
}

export class ExpectServerCertificate implements State {
  readonly name = 'ExpectCertificate';
  readonly dropsChangeCipherSpec = true;
  /** The schemes the server accepts for our certificate, when it asked for one. */
  constructor(readonly c: ClientHandshake13, readonly certificateRequested: readonly number[] | undefined) {}

  holds(): TraceFields {
    return holds13({ hs: this.c.hs, handshake: this.c.secrets });
  }

  handle(cx: HandshakeContext, input: Input): State {
    const msg = expect(cx, input, HandshakeType.certificate);
    if (msg.certificateRequestContext.length !== 0) throw new TlsError('illegal_parameter', 'server Certificate has a request context');
    // RFC 8446 Section 4.4.2.4: an empty server Certificate is decode_error.
    if (msg.certificateList.length === 0) throw new TlsError('decode_error', 'server sent an empty Certificate message');
    const chain = parseChain(cx, msg.certificateList);
    cx.info.peerCertificates = chain;
    // RFC 8446 Section 4.4.2.1: a stapled OCSP response rides on the leaf's entry, and only if asked for.
    let stapled: Uint8Array | undefined;
    msg.certificateList.forEach((entry, i) => {
      for (const e of entry.extensions) {
        if (e.type !== ExtensionType.status_request && e.type !== ExtensionType.signed_certificate_timestamp) {
          throw new TlsError('illegal_parameter', `certificate entry carries extension ${e.type}`);
        }
        if (e.type === ExtensionType.status_request) {
          if (!this.c.offer.config.requestOcsp || i !== 0) throw new TlsError('unsupported_extension', 'server stapled an OCSP response that was not asked for');
          stapled = decodeCertificateStatusExtension(e.data);
          cx.emit({ type: 'ocspResponse', response: stapled });
        }
      }
    });
    // RFC 8446 Section 4.4.2.2: the server's key signs its CertificateVerify.
    const name = this.c.offer.verifyServerName ? this.c.offer.serverName : undefined;
    if (cx.config.ask.verify) {
      const staple = stapled;
      return awaitVerdict(chain, 'serverAuth', 'digitalSignature', name, this.holds(), (cx, path) => this.afterVerification(cx, chain, path, staple));
    }
    return this.afterVerification(cx, chain, verifyPeerCertificate(cx, chain, 'serverAuth', 'digitalSignature', name), stapled);
  }

  private afterVerification(cx: HandshakeContext, chain: readonly Certificate[], path: readonly Certificate[] | undefined, stapled: Uint8Array | undefined): State {
    checkStapledOcsp(cx, path, stapled);
    const key = cx.provider.loadPublicKey(chain[0]!.subjectPublicKeyInfo);
    return new ExpectCertificateVerify(this.c, this.certificateRequested, chain[0]!, key);
  }
}

export class ExpectCertificateVerify implements State {
  readonly name = 'ExpectCertificateVerify';
  readonly dropsChangeCipherSpec = true;
  constructor(
    readonly c: ClientHandshake13,
    readonly certificateRequested: readonly number[] | undefined,
    readonly serverCertificate: Certificate,
    readonly serverPublicKey: PublicKey,
  ) {}

  holds(): TraceFields {
    return holds13({ hs: this.c.hs, certificate: this.serverCertificate, handshake: this.c.secrets });
  }

  handle(cx: HandshakeContext, input: Input): State {
    const transcriptHash = cx.transcript.hash();
    const cv = expect(cx, input, HandshakeType.certificate_verify);
    const next = () => new ExpectFinished(this.c, this.certificateRequested, this.serverCertificate);
    if (cx.config.ask.signature) {
      // The caller checks the signature (asynchronous crypto); the transcript has the message already.
      const data = certificateVerifyToCheck(cx, 'server', this.serverPublicKey, cv.signatureScheme, transcriptHash);
      const request = { kind: 'signature', spki: this.serverCertificate.subjectPublicKeyInfo, scheme: cv.signatureScheme, data, signature: cv.signature } as const;
      return new AwaitAnswer(request, this.holds(), (_cx, valid) => {
        if (valid !== true) throw new TlsError('decrypt_error', 'server CertificateVerify signature does not verify');
        return next();
      });
    }
    checkCertificateVerify(cx, 'server', this.serverPublicKey, cv.signatureScheme, cv.signature, transcriptHash);
    return next();
  }
}

export class ExpectFinished implements State {
  readonly name = 'ExpectFinished';
  readonly dropsChangeCipherSpec = true;
  constructor(
    readonly c: ClientHandshake13,
    readonly certificateRequested: readonly number[] | undefined,
    readonly serverCertificate: Certificate | undefined,
  ) {}

  holds(): TraceFields {
    return holds13({ hs: this.c.hs, certificate: this.serverCertificate, handshake: this.c.secrets });
  }

  handle(cx: HandshakeContext, input: Input): State {
    const { hs, secrets, offer } = this.c;
    const expected = finishedData(cx, hs.suite, secrets.serverFinishedKey);
    const finished = expect(cx, input, HandshakeType.finished);
    checkFinished(expected, finished.verifyData, 'server');
    const app = deriveApplicationSecrets(cx, hs, secrets);

    // RFC 8446 Appendix D.4: in compatibility mode a ChangeCipherSpec precedes the client's
    // encrypted flight (unless one already went before a second ClientHello).
    // RFC 8446 Section 4.5: accepted early data ends with EndOfEarlyData under the early key.
    if (cx.info.earlyData === 'accepted') {
      cx.sendHandshake({ type: HandshakeType.end_of_early_data });
      cx.setWriteProtection(protectionFor(cx, hs.suite, secrets.clientHandshakeKeys));
    }
    if (this.certificateRequested) {
      const chosen = sendClientCertificate(cx, offer.config.certificates, this.certificateRequested);
      if (chosen) {
        // RFC 8446 Section 4.4.3: our CertificateVerify, signed over the transcript up to our Certificate.
        const content = certificateVerifyContent('client', cx.transcript.hash());
        if (chosen.certified.key.external) {
          return awaitSignature(chosen.certified.key, chosen.scheme, content, this.holds(), (cx, signature) => {
            cx.sendHandshake({ type: HandshakeType.certificate_verify, signatureScheme: chosen.scheme, signature });
            return this.finishClientFlight(cx, app);
          });
        }
        const signature = cx.provider.sign(chosen.certified.key, chosen.scheme, content);
        cx.sendHandshake({ type: HandshakeType.certificate_verify, signatureScheme: chosen.scheme, signature });
      }
    }
    return this.finishClientFlight(cx, app);
  }

  /** Our Finished, then the application keys. */
  private finishClientFlight(cx: HandshakeContext, app: ApplicationSecrets13): State {
    const { hs, secrets, offer } = this.c;
    cx.sendHandshake({ type: HandshakeType.finished, verifyData: finishedData(cx, hs.suite, secrets.clientFinishedKey) });

    cx.setWriteProtection(protectionFor(cx, hs.suite, app.clientApplicationKeys));
    cx.setReadProtection(protectionFor(cx, hs.suite, app.serverApplicationKeys));
    const resumptionMasterSecret = deriveResumptionMasterSecret(cx, hs, app.masterSecret);
    cx.handshakeDone();
    return new Traffic13('client', hs, app, resumptionMasterSecret, offer, cx.trace !== undefined);
  }
}

/** RFC 8446 Section 4.4.2: our chain (possibly empty); the certificate chosen, whose key signs the CertificateVerify. */
function sendClientCertificate(
  cx: HandshakeContext, certificates: readonly CertifiedKey[], accepted: readonly number[],
): { certified: CertifiedKey; scheme: number } | undefined {
  let chosen: { certified: CertifiedKey; scheme: number } | undefined;
  for (const certified of certificates) {
    const scheme = chooseSignatureScheme13(cx.config.signatureSchemes, accepted, certified.key);
    if (scheme !== undefined) {
      chosen = { certified, scheme };
      break;
    }
  }
  cx.sendHandshake({
    type: HandshakeType.certificate,
    certificateRequestContext: new Uint8Array(0),
    certificateList: (chosen?.certified.chain ?? []).map((c) => ({ certData: c.raw, extensions: [] })),
  });
  return chosen;
}
