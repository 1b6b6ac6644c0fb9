// The TLS 1.2 client after ServerHello: RFC 5246 Section 7.3 (full handshake),
// RFC 8422 (ECDHE), RFC 7627 (extended master secret).

import type { CertifiedKey } from '../config.js';
import { zeroize, type KeyShare, type PublicKey } from '../crypto/provider.js';
import { TlsError } from '../errors.js';
import { bytesEqual } from '../wire/bytes.js';
import { bitLength, dhPreMasterSecret, dhPublicInRange, ffdheGroups } from '../keys/ffdhe.js';
import type { TraceFields } from '../trace.js';
import { HandshakeType, namedGroupName, signatureSchemeName } from '../wire/enums.js';
import type { CertificateRequest12, NewSessionTicket12, ServerKeyExchange, ServerKeyExchangePsk } from '../wire/messages.js';
import { parseCertificate, type Certificate } from '../x509/certificate.js';
import { encodeClientSession, type ClientSession } from './resumption.js';
import { AwaitAnswer, awaitSignature } from './requests.js';
import {
  awaitVerdict, checkFinished, chooseSignatureScheme12, expect, legacySignatureScheme, parseChain, schemeFitsKey12, verifyPeerCertificate, checkStapledOcsp,
  type HandshakeContext, type Input, type State,
} from './common.js';
import { isEcdheGroup, type ClientOffer } from './client.js';
import {
  deriveMasterSecret, deriveSessionKeys, finishedVerifyData12, holds12, pskPreMasterSecret, serverKeyExchangeSignedContent, type Negotiated12,
  type SessionKeys12,
} from './tls12.js';
import { Traffic12 } from './traffic12.js';


export class ExpectCertificate implements State {
  readonly name = 'ExpectCertificate';
  /** `ticketExpected`: the server sent session_ticket, so a NewSessionTicket comes before its ChangeCipherSpec (RFC 5077 Section 3.3). */
  constructor(
    readonly offer: ClientOffer,
    readonly hs: Negotiated12,
    readonly ticketExpected: boolean,
    /** The server promised a CertificateStatus (RFC 6066 Section 8). */
    readonly statusExpected = false,
  ) {}

  holds(): TraceFields {
    return holds12({ hs: this.hs });
  }

  handle(cx: HandshakeContext, input: Input): State {
    const msg = expect(cx, input, HandshakeType.certificate);
    // RFC 5246 Section 7.4.2: the server sends its chain for every suite typetls offers.
    if (msg.certificateList.length === 0) throw new TlsError('decode_error', 'server sent an empty Certificate message');
    const chain = parseChain(cx, msg.certificateList);
    cx.info.peerCertificates = chain;
    // RFC 5246 Section 7.4.2: RSA key exchange (and RSA-PSK, RFC 4279 Section 4) encrypts to the key;
    // ECDHE and DHE sign with it.
    const encrypts = this.hs.suite.kx === 'rsa' || this.hs.suite.kx === 'rsa_psk';
    const keyUsage = encrypts ? 'keyEncipherment' : 'digitalSignature';
    const name = this.offer.verifyServerName ? this.offer.serverName : undefined;
    if (cx.config.ask.verify) return awaitVerdict(chain, 'serverAuth', keyUsage, name, this.holds(), (cx, path) => this.afterVerification(cx, chain, path));
    return this.afterVerification(cx, chain, verifyPeerCertificate(cx, chain, 'serverAuth', keyUsage, name));
  }

  private afterVerification(cx: HandshakeContext, chain: readonly Certificate[], path: readonly Certificate[] | undefined): State {
    const leaf = chain[0]!;
    const encrypts = this.hs.suite.kx === 'rsa' || this.hs.suite.kx === 'rsa_psk';
    if (!this.statusExpected) checkStapledOcsp(cx, path, undefined);

    // RFC 5246 Section 7.4.2: the key must fit the suite's key exchange and authentication.
    const serverKey = cx.provider.loadPublicKey(leaf.subjectPublicKeyInfo);
    const suite = this.hs.suite;
    const fits =
      suite.auth === 'ecdsa' ? serverKey.algorithm === 'ec' || serverKey.algorithm === 'ed25519'
      : encrypts ? serverKey.algorithm === 'rsa'
      : serverKey.algorithm === 'rsa' || serverKey.algorithm === 'rsa-pss';
    if (!fits) {
      throw new TlsError('unsupported_certificate', `server certificate has a ${serverKey.algorithm} key, which ${suite.standardName} cannot use`);
    }
    const next = suite.kx === 'ecdhe' || suite.kx === 'dhe'
      ? new ExpectServerKeyExchange(this.offer, this.hs, this.ticketExpected, leaf, serverKey)
      : suite.kx === 'rsa_psk'
        ? new ExpectPskServerKeyExchange(this.offer, this.hs, this.ticketExpected, leaf, serverKey)
        : new ExpectServerHelloDone(this.offer, this.hs, this.ticketExpected, leaf, serverKey, undefined, undefined);
    return this.statusExpected ? new ExpectCertificateStatus(next, path) : next;
  }
}

/** RFC 6066 Section 8: the stapled OCSP response, right after Certificate. */
export class ExpectCertificateStatus implements State {
  readonly name = 'ExpectCertificateStatus';
  constructor(
    readonly next: State,
    /** The validated path, for the requireOcsp check. */
    readonly path: readonly Certificate[] | undefined,
  ) {}

  holds(): TraceFields {
    return this.next.holds();
  }

  handle(cx: HandshakeContext, input: Input): State {
    const status = expect(cx, input, HandshakeType.certificate_status);
    cx.emit({ type: 'ocspResponse', response: status.response });
    checkStapledOcsp(cx, this.path, status.response);
    return this.next;
  }
}

export class ExpectServerKeyExchange implements State {
  readonly name = 'ExpectServerKeyExchange';
  constructor(
    readonly offer: ClientOffer,
    readonly hs: Negotiated12,
    readonly ticketExpected: boolean,
    readonly serverCertificate: Certificate,
    readonly serverPublicKey: PublicKey,
  ) {}

  holds(): TraceFields {
    return holds12({ hs: this.hs, certificate: this.serverCertificate, publicKey: `${this.serverPublicKey.algorithm} ${this.serverPublicKey.bits} bits` });
  }

  handle(cx: HandshakeContext, input: Input): State {
    const kx = this.hs.suite.kx === 'dhe' ? 'dhe' : 'ecdhe';
    const ske = expect(cx, input, HandshakeType.server_key_exchange, kx) as ServerKeyExchange;
    const { config } = this.offer;
    if (ske.kx === 'ecdhe') {
      // RFC 8422 Section 5.4: the group must be a curve the client offered.
      if (!isEcdheGroup(ske.namedGroup) || !config.groups.includes(ske.namedGroup)) {
        throw new TlsError('illegal_parameter', `server chose group ${namedGroupName(ske.namedGroup)}, which the client did not offer`);
      }
    } else {
      checkServerDhParams(ske, config.minDhBits);
    }
    // RFC 5246 Section 7.4.1.4.1: the signature scheme must be one the client offered and fit the key;
    // before TLS 1.2 the key alone decides it.
    const scheme = this.hs.version < 0x0303 ? legacySignatureScheme(this.serverPublicKey) : ske.signatureScheme;
    if (scheme === undefined) throw new TlsError('unsupported_certificate', 'server key cannot sign in this protocol version');
    if (this.hs.version >= 0x0303 && (!config.signatureSchemes.includes(scheme) || !schemeFitsKey12(scheme, this.serverPublicKey))) {
      throw new TlsError('illegal_parameter', `server signed with ${signatureSchemeName(scheme)}, which the client did not offer for this key`);
    }
    const signed = serverKeyExchangeSignedContent(this.hs, ske.params);
    if (cx.config.ask.signature) {
      // The caller checks the signature (asynchronous crypto).
      const request = { kind: 'signature', spki: this.serverCertificate.subjectPublicKeyInfo, scheme, data: signed, signature: ske.signature } as const;
      return new AwaitAnswer(request, this.holds(), (cx, valid) => {
        if (valid !== true) throw new TlsError('decrypt_error', 'ServerKeyExchange signature does not verify with the server certificate');
        return this.verified(cx, ske);
      });
    }
    if (!cx.provider.verify(this.serverPublicKey, scheme, signed, ske.signature)) {
      throw new TlsError('decrypt_error', 'ServerKeyExchange signature does not verify with the server certificate');
    }
    return this.verified(cx, ske);
  }

  private verified(cx: HandshakeContext, ske: ServerKeyExchange): State {
    cx.info.group = ske.kx === 'ecdhe' ? ske.namedGroup : ffdheGroupOf(ske.dhP);
    if (ske.kx === 'dhe') cx.info.dhBits = bitLength(ske.dhP);
    return new ExpectServerHelloDone(this.offer, this.hs, this.ticketExpected, this.serverCertificate, this.serverPublicKey, ske, undefined);
  }
}

/**
 * RFC 4279 Section 2 and RFC 5489 Section 2: a PSK suite's ServerKeyExchange, with the
 * identity hint and, for ECDHE-PSK and DHE-PSK, the (unsigned) parameters. PSK and RSA-PSK
 * servers without a hint leave it out.
 */
export class ExpectPskServerKeyExchange implements State {
  readonly name = 'ExpectServerKeyExchange';
  constructor(
    readonly offer: ClientOffer,
    readonly hs: Negotiated12,
    readonly ticketExpected: boolean,
    /** RSA-PSK only. */
    readonly serverCertificate: Certificate | undefined,
    readonly serverPublicKey: PublicKey | undefined,
  ) {}

  holds(): TraceFields {
    return holds12({ hs: this.hs, certificate: this.serverCertificate });
  }

  handle(cx: HandshakeContext, input: Input): State {
    const kx = this.hs.suite.kx as ServerKeyExchangePsk['kx'];
    const withParams = kx === 'ecdhe_psk' || kx === 'dhe_psk';
    const done = (ske: ServerKeyExchangePsk | undefined) =>
      new ExpectServerHelloDone(this.offer, this.hs, this.ticketExpected, this.serverCertificate, this.serverPublicKey, ske, undefined);
    if (!withParams && !(input.kind === 'handshake' && input.frame.type === HandshakeType.server_key_exchange)) {
      return done(undefined).handle(cx, input);
    }
    const ske = expect(cx, input, HandshakeType.server_key_exchange, kx) as ServerKeyExchangePsk;
    if (kx === 'ecdhe_psk') {
      // RFC 5489 Section 2 / RFC 8422 Section 5.4: the group must be one the client offered.
      if (!this.offer.config.groups.includes(ske.namedGroup!) || !isEcdheGroup(ske.namedGroup!)) {
        throw new TlsError('illegal_parameter', `server chose group ${namedGroupName(ske.namedGroup!)}, which the client did not offer`);
      }
      cx.info.group = ske.namedGroup;
    } else if (kx === 'dhe_psk') {
      checkServerDhParams({ dhP: ske.dhP!, dhG: ske.dhG!, dhYs: ske.dhYs! }, this.offer.config.minDhBits);
      cx.info.group = ffdheGroupOf(ske.dhP!);
      cx.info.dhBits = bitLength(ske.dhP!);
    }
    return done(ske);
  }
}

/** ServerHelloDone, or first a CertificateRequest (RFC 5246 Section 7.4.4). */
export class ExpectServerHelloDone implements State {
  readonly name = 'ExpectServerHelloDone';
  constructor(
    readonly offer: ClientOffer,
    readonly hs: Negotiated12,
    readonly ticketExpected: boolean,
    /** Undefined for the PSK suites that send no Certificate. */
    readonly serverCertificate: Certificate | undefined,
    readonly serverPublicKey: PublicKey | undefined,
    readonly serverKeyExchange: ServerKeyExchange | ServerKeyExchangePsk | undefined,
    readonly certificateRequest: CertificateRequest12 | undefined,
  ) {}

  holds(): TraceFields {
    return holds12({
      hs: this.hs,
      certificate: this.serverCertificate,
      publicKey: this.serverPublicKey ? `${this.serverPublicKey.algorithm} ${this.serverPublicKey.bits} bits` : undefined,
      group: dheOrEcdheGroup(this.serverKeyExchange),
    });
  }

  handle(cx: HandshakeContext, input: Input): State {
    // A server that authenticates with a PSK asks for no certificate (RFC 4279 Section 2).
    const mayRequest = this.hs.suite.auth !== 'psk' && !this.certificateRequest;
    if (input.kind === 'handshake' && input.frame.type === HandshakeType.certificate_request && mayRequest) {
      const request = expect(cx, input, HandshakeType.certificate_request) as CertificateRequest12;
      cx.info.peerSignatureSchemes = request.signatureAlgorithms;
      return new ExpectServerHelloDone(this.offer, this.hs, this.ticketExpected, this.serverCertificate, this.serverPublicKey, this.serverKeyExchange, request);
    }
    expect(cx, input, HandshakeType.server_hello_done);
    return this.sendClientFlight(cx);
  }

  /** Certificate?, ClientKeyExchange, CertificateVerify?, ChangeCipherSpec, Finished. */
  private sendClientFlight(cx: HandshakeContext): State {
    const { hs } = this;
    const clientCert = this.certificateRequest
      ? chooseClientCertificate(this.offer.config.certificates, this.offer.config.signatureSchemes, this.certificateRequest, hs.version)
      : undefined;
    if (this.certificateRequest) {
      // RFC 5246 Section 7.4.6: an empty list when the client has no suitable certificate.
      cx.sendHandshake({
        type: HandshakeType.certificate,
        certificateRequestContext: new Uint8Array(0),
        certificateList: (clientCert?.certified.chain ?? []).map((c) => ({ certData: c.raw, extensions: [] })),
      });
    }

    let preMasterSecret: Uint8Array;
    let share: KeyShare | undefined;
    const kx = hs.suite.kx;
    if (kx === 'rsa') {
      // RFC 5246 Section 7.4.7.1: client_version (the version offered) + 46 random bytes,
      // encrypted to the server's RSA key.
      preMasterSecret = this.rsaPreMasterSecret(cx);
      const encrypted = cx.provider.rsaEncryptPkcs1(this.serverPublicKey!, preMasterSecret);
      cx.sendHandshake({ type: HandshakeType.client_key_exchange, kx: 'rsa', exchangeKeys: encrypted });
    } else if (kx === 'psk' || kx === 'ecdhe_psk' || kx === 'dhe_psk' || kx === 'rsa_psk') {
      ({ preMasterSecret, share } = this.pskKeyExchange(cx, kx));
    } else if (this.serverKeyExchange!.kx === 'dhe') {
      // RFC 5246 Section 7.4.7.2 and 8.1.2: dh_Yc, and Z without its leading zero bytes.
      const ske = this.serverKeyExchange as Extract<ServerKeyExchange, { kx: 'dhe' }>;
      share = cx.provider.generateDhKeyShare(ske.dhP, ske.dhG);
      preMasterSecret = dhPreMasterSecret(share.agree(ske.dhYs));
      cx.sendHandshake({ type: HandshakeType.client_key_exchange, kx: 'dhe', exchangeKeys: share.publicKey });
    } else {
      // RFC 8422 Section 5.7: the client's ephemeral public value; the shared secret is the pre-master secret.
      const ske = this.serverKeyExchange as Extract<ServerKeyExchange, { kx: 'ecdhe' }>;
      share = cx.provider.generateKeyShare(ske.namedGroup);
      preMasterSecret = share.agree(ske.publicKey);
      cx.sendHandshake({ type: HandshakeType.client_key_exchange, kx: 'ecdhe', exchangeKeys: share.publicKey });
    }

    const master = deriveMasterSecret(cx, hs, preMasterSecret);
    const keys = deriveSessionKeys(cx, hs, master);

    if (clientCert) {
      // RFC 5246 Section 7.4.8: a signature over every handshake message so far.
      const key = clientCert.certified.key;
      if (key.external) {
        return awaitSignature(key, clientCert.scheme, cx.transcript.messages(), this.holds(), (cx, signature) => {
          cx.sendHandshake({ type: HandshakeType.certificate_verify, signatureScheme: clientCert.scheme, signature });
          return this.finishClientFlight(cx, master, keys, preMasterSecret, share);
        });
      }
      const signature = cx.provider.sign(key, clientCert.scheme, cx.transcript.messages());
      cx.sendHandshake({ type: HandshakeType.certificate_verify, signatureScheme: clientCert.scheme, signature });
    }
    return this.finishClientFlight(cx, master, keys, preMasterSecret, share);
  }

  /** ChangeCipherSpec and Finished. */
  private finishClientFlight(cx: HandshakeContext, master: Uint8Array, keys: SessionKeys12, preMasterSecret: Uint8Array, share: KeyShare | undefined): State {
    const { hs } = this;
    cx.sendChangeCipherSpec();
    cx.setWriteProtection(keys.clientWrite);
    const clientVerifyData = finishedVerifyData12(cx, hs, master, 'client finished');
    cx.sendHandshake({ type: HandshakeType.finished, verifyData: clientVerifyData });

    const next = new ExpectChangeCipherSpec(
      { offer: this.offer, hs, masterSecret: master, sessionKeys: keys, resumed: false, ticketExpected: this.ticketExpected, ticket: undefined },
      this.serverCertificate, cx.trace ? preMasterSecret : undefined, share?.group,
    );
    if (!cx.trace) zeroize(preMasterSecret);
    return next;
  }

  /** RFC 5246 Section 7.4.7.1: client_version (the version offered) + 46 random bytes. */
  private rsaPreMasterSecret(cx: HandshakeContext): Uint8Array {
    const secret = cx.provider.random(48);
    secret[0] = this.offer.hello.legacyVersion >> 8;
    secret[1] = this.offer.hello.legacyVersion & 0xff;
    return secret;
  }

  /**
   * RFC 4279 Sections 2-4 and RFC 5489 Section 2: the key for the server's identity hint, its
   * identity in ClientKeyExchange beside what the key exchange adds, and the pre-master secret
   * that mixes the key with the other secret. No key for the server is handshake_failure, as
   * OpenSSL sends it.
   */
  private pskKeyExchange(cx: HandshakeContext, kx: 'psk' | 'ecdhe_psk' | 'dhe_psk' | 'rsa_psk'): { preMasterSecret: Uint8Array; share: KeyShare | undefined } {
    const ske = this.serverKeyExchange as ServerKeyExchangePsk | undefined;
    const hint = ske && ske.identityHint.length > 0 ? ske.identityHint : undefined;
    const psk = this.offer.config.pskForHint?.(hint);
    if (!psk || psk.key.length === 0) {
      throw new TlsError('handshake_failure', 'no pre-shared key to use with this server', { code: 'ERR_SSL_PSK_IDENTITY_NOT_FOUND' });
    }
    if (psk.identity.length > 0xffff || psk.key.length > 0xffff) {
      throw new TlsError('internal_error', 'a PSK identity and key are at most 65535 bytes (RFC 4279 Section 2)', { code: 'ERR_OUT_OF_RANGE' });
    }
    let other: Uint8Array;
    let exchangeKeys: Uint8Array = new Uint8Array(0);
    let share: KeyShare | undefined;
    if (kx === 'psk') {
      other = new Uint8Array(psk.key.length);
    } else if (kx === 'dhe_psk') {
      share = cx.provider.generateDhKeyShare(ske!.dhP!, ske!.dhG!);
      other = dhPreMasterSecret(share.agree(ske!.dhYs!));
      exchangeKeys = share.publicKey;
    } else if (kx === 'ecdhe_psk') {
      share = cx.provider.generateKeyShare(ske!.namedGroup!);
      other = share.agree(ske!.publicKey!);
      exchangeKeys = share.publicKey;
    } else {
      other = this.rsaPreMasterSecret(cx);
      exchangeKeys = cx.provider.rsaEncryptPkcs1(this.serverPublicKey!, other);
    }
    cx.sendHandshake({ type: HandshakeType.client_key_exchange, kx, pskIdentity: psk.identity, exchangeKeys });
    const preMasterSecret = pskPreMasterSecret(other, psk.key);
    zeroize(other);
    // The server proves it holds the key with its Finished; RSA-PSK also checked its certificate.
    if (kx !== 'rsa_psk') cx.info.authorized = true;
    return { preMasterSecret, share };
  }
}

/** The named group of a ServerKeyExchange, for the trace (a DHE prime only when it is one of RFC 7919's). */
function dheOrEcdheGroup(ske: ServerKeyExchange | ServerKeyExchangePsk | undefined): number | undefined {
  if (!ske) return undefined;
  if ('namedGroup' in ske && ske.namedGroup !== undefined) return ske.namedGroup;
  const dhP = 'dhP' in ske ? ske.dhP : undefined;
  return dhP ? ffdheGroupOf(dhP) : undefined;
}

/** The RFC 7919 group whose prime a ServerKeyExchange names, if it is one. */
function ffdheGroupOf(dhP: Uint8Array): number | undefined {
  return ffdheGroups.find((g) => bytesEqual(g.p, dhP))?.group;
}

/**
 * RFC 7919 Section 3 and RFC 5246 Section 7.4.3: a prime of at least minDhBits (2048 by default;
 * insufficient_security below, with node's ERR_TLS_DH_PARAM_SIZE), a generator and public value in range.
 */
function checkServerDhParams(ske: { readonly dhP: Uint8Array; readonly dhG: Uint8Array; readonly dhYs: Uint8Array }, minDhBits: number): void {
  const bits = bitLength(ske.dhP);
  if (bits < minDhBits) {
    throw new TlsError('insufficient_security', `DH parameter size ${bits} is less than ${minDhBits}`, { code: 'ERR_TLS_DH_PARAM_SIZE' });
  }
  if ((ske.dhP[ske.dhP.length - 1]! & 1) === 0) throw new TlsError('illegal_parameter', 'server DH prime is even');
  if (!dhPublicInRange(ske.dhG, ske.dhP)) throw new TlsError('illegal_parameter', 'server DH generator is out of range');
  if (!dhPublicInRange(ske.dhYs, ske.dhP)) throw new TlsError('illegal_parameter', 'server DH public value is out of range');
}


/** The first of our certificates whose key can sign with a scheme the server asked for. */
function chooseClientCertificate(
  certificates: readonly CertifiedKey[],
  ours: readonly number[],
  request: CertificateRequest12,
  version: number,
): { certified: CertifiedKey; scheme: number } | undefined {
  for (const certified of certificates) {
    const scheme = version < 0x0303 ? legacySignatureScheme(certified.key) : chooseSignatureScheme12(ours, request.signatureAlgorithms, certified.key);
    if (scheme !== undefined) return { certified, scheme };
  }
  return undefined;
}

/** What the client holds from its keys on, in a full or an abbreviated handshake. */
interface ClientKeys12 {
  readonly offer: ClientOffer;
  readonly hs: Negotiated12;
  readonly masterSecret: Uint8Array;
  readonly sessionKeys: SessionKeys12;
  /** An abbreviated handshake: the server's ChangeCipherSpec and Finished come first. */
  readonly resumed: boolean;
  readonly ticketExpected: boolean;
  /** The ticket the server sent in this handshake. */
  readonly ticket: NewSessionTicket12 | undefined;
}

/**
 * RFC 5246 Section 7.3 (abbreviated handshake): the server echoed our session ID,
 * so both sides take the stored master secret; the server's ChangeCipherSpec and
 * Finished come next.
 */
export function resumeSession12(cx: HandshakeContext, offer: ClientOffer, hs: Negotiated12, session: ClientSession, ticketExpected: boolean): State {
  if (hs.suite.id !== session.cipherSuite) throw new TlsError('illegal_parameter', 'server resumed a session with a different cipher suite');
  // RFC 7627 Section 5.3: a session resumes only with the same extended master secret setting.
  if (hs.extendedMasterSecret !== session.extendedMasterSecret) {
    throw new TlsError('handshake_failure', 'server resumed a session with a different extended master secret setting');
  }
  cx.info.sessionReused = true;
  cx.info.peerCertificates = session.peerCertificates.map((c) => parseCertificate(c));
  cx.info.authorized = true;
  if (session.alpnProtocol && cx.info.alpnProtocol === false) cx.info.alpnProtocol = session.alpnProtocol;
  cx.trace?.({ kind: 'note', side: 'client', text: 'server echoed our session ID: abbreviated handshake with the stored master secret' });
  const masterSecret = session.secret.slice();
  cx.keyLog('CLIENT_RANDOM', hs.clientRandom, masterSecret);
  const sessionKeys = deriveSessionKeys(cx, hs, masterSecret);
  return new ExpectChangeCipherSpec({ offer, hs, masterSecret, sessionKeys, resumed: true, ticketExpected, ticket: undefined }, undefined, undefined, undefined);
}

export class ExpectChangeCipherSpec implements State {
  readonly name = 'ExpectChangeCipherSpec';
  constructor(
    readonly k: ClientKeys12,
    readonly serverCertificate: Certificate | undefined,
    readonly preMasterSecret: Uint8Array | undefined,
    readonly group: number | undefined,
  ) {}

  holds(): TraceFields {
    return holds12({
      hs: this.k.hs,
      certificate: this.serverCertificate,
      group: this.group,
      preMasterSecret: this.preMasterSecret,
      masterSecret: this.k.masterSecret,
      keys: this.k.sessionKeys.keys,
    });
  }

  handle(cx: HandshakeContext, input: Input): State {
    // RFC 5077 Section 3.3: a promised NewSessionTicket comes before the server's ChangeCipherSpec.
    if (this.k.ticketExpected && !this.k.ticket) {
      const ticket = expect(cx, input, HandshakeType.new_session_ticket) as NewSessionTicket12;
      return new ExpectChangeCipherSpec({ ...this.k, ticket }, this.serverCertificate, this.preMasterSecret, this.group);
    }
    if (input.kind !== 'changeCipherSpec') {
      throw new TlsError('unexpected_message', 'expected ChangeCipherSpec from the server');
    }
    cx.setReadProtection(this.k.sessionKeys.serverWrite);
    return new ExpectFinished(this.k, this.serverCertificate);
  }
}

export class ExpectFinished implements State {
  readonly name = 'ExpectFinished';
  constructor(readonly k: ClientKeys12, readonly serverCertificate: Certificate | undefined) {}

  holds(): TraceFields {
    return holds12({ hs: this.k.hs, certificate: this.serverCertificate, masterSecret: this.k.masterSecret, keys: this.k.sessionKeys.keys });
  }

  handle(cx: HandshakeContext, input: Input): State {
    const { hs, masterSecret, sessionKeys } = this.k;
    // RFC 5246 Section 7.4.9: the server's verify_data covers the transcript up to its Finished.
    const expected = finishedVerifyData12(cx, hs, masterSecret, 'server finished');
    const finished = expect(cx, input, HandshakeType.finished);
    checkFinished(expected, finished.verifyData, 'server');
    if (this.k.resumed) {
      // In the abbreviated handshake the client's ChangeCipherSpec and Finished come last.
      cx.sendChangeCipherSpec();
      cx.setWriteProtection(sessionKeys.clientWrite);
      cx.sendHandshake({ type: HandshakeType.finished, verifyData: finishedVerifyData12(cx, hs, masterSecret, 'client finished') });
    }
    cx.handshakeDone();
    emitSession12(cx, this.k);
    return new Traffic12('client', hs, masterSecret);
  }
}

/** The 'session' event: what resuming this connection needs (a session ID, a ticket, or both). */
function emitSession12(cx: HandshakeContext, k: ClientKeys12): void {
  const ticket = k.ticket?.ticket ?? (k.resumed ? k.offer.session?.ticket : undefined) ?? new Uint8Array(0);
  if (k.hs.sessionId.length === 0 && ticket.length === 0) return;
  const lifetime = k.ticket?.ticketLifetimeHint || 7200;
  cx.emit({
    type: 'session',
    session: encodeClientSession({
      version: k.hs.version,
      cipherSuite: k.hs.suite.id,
      serverName: k.offer.serverName ?? '',
      receivedAt: cx.config.now().getTime(),
      lifetime,
      sessionId: k.hs.sessionId,
      secret: k.masterSecret,
      extendedMasterSecret: k.hs.extendedMasterSecret,
      ticket,
      ticketAgeAdd: 0,
      maxEarlyData: 0,
      alpnProtocol: cx.info.alpnProtocol === false ? '' : cx.info.alpnProtocol,
      peerCertificates: cx.info.peerCertificates.map((c) => c.raw),
    }),
  });
}
