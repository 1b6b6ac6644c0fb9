// The TLS 1.2 server after ClientHello: RFC 5246 Section 7.3, RFC 8422 (ECDHE),
// RFC 5246 Section 7.4.7.1 (RSA key exchange with implicit rejection).

import type { ServerConfig } from '../config.js';
import { zeroize, type CryptoProvider, type KeyShare, type PrivateKey, type PublicKey } from '../crypto/provider.js';
import { TlsError } from '../errors.js';
import type { TraceFields } from '../trace.js';
import { HandshakeType, signatureSchemeName } from '../wire/enums.js';
import { encodeServerDhParams, encodeServerEcdhParams } from '../wire/messages.js';
import { dhPreMasterSecret, dhPublicInRange } from '../keys/ffdhe.js';
import { parseCertificate, type Certificate } from '../x509/certificate.js';
import { encodeServerState, sealTicket, type ServerSessionState } from './resumption.js';
import { AwaitAnswer, awaitSignature } from './requests.js';
import {
  awaitVerdict, checkFinished, expect, legacySignatureScheme, parseChain, schemeFitsKey12, verifyPeerCertificate, type HandshakeContext, type Input, type State,
} from './common.js';
import type { ServerChoice } from './server.js';
import {
  deriveMasterSecret, deriveSessionKeys, finishedVerifyData12, holds12, pskPreMasterSecret, serverKeyExchangeSignedContent, type Negotiated12,
  type SessionKeys12,
} from './tls12.js';
import { Traffic12 } from './traffic12.js';

/** RFC 5246 Section 7.4.4: ClientCertificateType rsa_sign and ecdsa_sign (RFC 8422 Section 5.5). */
const RSA_SIGN = 1;
const ECDSA_SIGN = 64;

/** What the server holds through the rest of the handshake. */
interface ServerHandshake12 {
  readonly config: ServerConfig;
  readonly hs: Negotiated12;
  readonly choice: ServerChoice;
  /** The ECDHE share, for ECDHE suites. */
  readonly share: KeyShare | undefined;
  /** ClientHello.client_version, for the RSA pre-master secret check. */
  readonly clientVersion: number;
  /** We sent an empty session_ticket: a NewSessionTicket goes before our ChangeCipherSpec. */
  readonly ticketPromised: boolean;
}

/** Certificate, ServerKeyExchange?, CertificateRequest?, ServerHelloDone. */
export function sendServerFlight12(
  cx: HandshakeContext, config: ServerConfig, hs: Negotiated12, choice: ServerChoice, clientVersion: number, ticketPromised: boolean,
  ocspResponse: Uint8Array | undefined,
): State {
  // RFC 4279 Section 2: a PSK suite (but RSA-PSK) sends no Certificate.
  if (choice.certified) {
    cx.sendHandshake({
      type: HandshakeType.certificate,
      certificateRequestContext: new Uint8Array(0),
      certificateList: choice.certified.chain.map((c) => ({ certData: c.raw, extensions: [] })),
    });
    // RFC 6066 Section 8: the stapled OCSP response follows the Certificate.
    if (ocspResponse) cx.sendHandshake({ type: HandshakeType.certificate_status, statusType: 1, response: ocspResponse });
  }

  let share: KeyShare | undefined;
  const kx = hs.suite.kx;
  if (kx === 'psk' || kx === 'ecdhe_psk' || kx === 'dhe_psk' || kx === 'rsa_psk') {
    share = sendPskServerKeyExchange(cx, config, kx, choice);
  } else if (kx === 'ecdhe' || kx === 'dhe') {
    // RFC 8422 Section 5.4: ServerECDHParams; RFC 5246 Section 7.4.3: ServerDHParams (p, g, Ys) of an
    // RFC 7919 group or the server's own. Either is signed together with both randoms.
    const dh = kx === 'dhe' ? choice.dh! : undefined;
    share = dh ? cx.provider.generateDhKeyShare(dh.p, dh.g) : cx.provider.generateKeyShare(choice.group!);
    const params = dh ? encodeServerDhParams(dh.p, dh.g, share.publicKey) : encodeServerEcdhParams(share.group, share.publicKey);
    const key = choice.certified!.key;
    const content = serverKeyExchangeSignedContent(hs, params);
    if (key.external) {
      const keyShare = share;
      return awaitSignature(key, choice.signatureScheme!, content, heldByServer({ config, hs, choice, share, clientVersion, ticketPromised }), (cx, signature) => {
        sendSignedServerKeyExchange(cx, choice.signatureScheme!, keyShare, params, dh, signature);
        return finishServerFlight12(cx, config, hs, choice, keyShare, clientVersion, ticketPromised);
      });
    }
    sendSignedServerKeyExchange(cx, choice.signatureScheme!, share, params, dh, cx.provider.sign(key, choice.signatureScheme!, content));
  }
  return finishServerFlight12(cx, config, hs, choice, share, clientVersion, ticketPromised);
}

/** A ServerKeyExchange of an ECDHE or (with `dh`) a DHE suite, with its signature. */
function sendSignedServerKeyExchange(
  cx: HandshakeContext, scheme: number, share: KeyShare, params: Uint8Array, dh: { p: Uint8Array; g: Uint8Array } | undefined, signature: Uint8Array,
): void {
  if (dh) {
    cx.sendHandshake({
      type: HandshakeType.server_key_exchange, kx: 'dhe', dhP: dh.p, dhG: dh.g, dhYs: share.publicKey, signatureScheme: scheme, signature, params,
    });
  } else {
    cx.sendHandshake({
      type: HandshakeType.server_key_exchange, kx: 'ecdhe', namedGroup: share.group, publicKey: share.publicKey, signatureScheme: scheme, signature, params,
    });
  }
}

/** CertificateRequest?, ServerHelloDone. */
function finishServerFlight12(
  cx: HandshakeContext, config: ServerConfig, hs: Negotiated12, choice: ServerChoice, share: KeyShare | undefined, clientVersion: number, ticketPromised: boolean,
): State {
  // RFC 4279 Section 2: a server that authenticates with a PSK asks for no certificate.
  const requestCert = config.requestCert && hs.suite.auth !== 'psk';
  if (requestCert) {
    cx.sendHandshake({
      type: HandshakeType.certificate_request,
      version: 'tls12',
      certificateTypes: Uint8Array.of(RSA_SIGN, ECDSA_SIGN),
      signatureAlgorithms: config.signatureSchemes12,
      certificateAuthorities: config.roots.map((r) => r.subject.raw),
    });
  }
  cx.sendHandshake({ type: HandshakeType.server_hello_done });

  const shs: ServerHandshake12 = { config, hs, choice, share, clientVersion, ticketPromised };
  return requestCert ? new ExpectClientCertificate(shs) : new ExpectClientKeyExchange(shs, undefined);
}

/**
 * RFC 4279 Section 2 and RFC 5489 Section 2: the identity hint and, for ECDHE-PSK and DHE-PSK,
 * the (EC)DH parameters, unsigned. PSK and RSA-PSK send it only when there is a hint.
 */
function sendPskServerKeyExchange(
  cx: HandshakeContext, config: ServerConfig, kx: 'psk' | 'ecdhe_psk' | 'dhe_psk' | 'rsa_psk', choice: ServerChoice,
): KeyShare | undefined {
  const identityHint = config.pskIdentityHint ?? new Uint8Array(0);
  if (kx === 'ecdhe_psk') {
    const share = cx.provider.generateKeyShare(choice.group!);
    const params = encodeServerEcdhParams(share.group, share.publicKey);
    cx.sendHandshake({ type: HandshakeType.server_key_exchange, kx, identityHint, namedGroup: share.group, publicKey: share.publicKey, params });
    return share;
  }
  if (kx === 'dhe_psk') {
    const dh = choice.dh!;
    const share = cx.provider.generateDhKeyShare(dh.p, dh.g);
    const params = encodeServerDhParams(dh.p, dh.g, share.publicKey);
    cx.sendHandshake({ type: HandshakeType.server_key_exchange, kx, identityHint, dhP: dh.p, dhG: dh.g, dhYs: share.publicKey, params });
    return share;
  }
  if (identityHint.length > 0) cx.sendHandshake({ type: HandshakeType.server_key_exchange, kx, identityHint, params: new Uint8Array(0) });
  return undefined;
}

function heldByServer(s: ServerHandshake12, extra: Parameters<typeof holds12>[0] = {}): TraceFields {
  const certified = s.choice.certified;
  return holds12({
    hs: s.hs,
    certificate: certified?.chain[0],
    publicKey: certified ? `${certified.key.algorithm} ${certified.key.bits} bits` : undefined,
    privateKey: certified !== undefined,
    group: s.choice.group,
    ...extra,
  });
}

/** RFC 5246 Section 7.4.6: the client's chain, possibly empty. */
export class ExpectClientCertificate implements State {
  readonly name = 'ExpectClientCertificate';
  constructor(readonly s: ServerHandshake12) {}

  holds(): TraceFields {
    return heldByServer(this.s);
  }

  handle(cx: HandshakeContext, input: Input): State {
    const msg = expect(cx, input, HandshakeType.certificate);
    if (msg.certificateList.length === 0) {
      // RFC 5246 Section 7.4.6: a server that requires a certificate answers an empty one with handshake_failure.
      if (this.s.config.rejectUnauthorized) {
        throw new TlsError('handshake_failure', 'client did not send a certificate', { code: 'ERR_TLS_CERT_REQUIRED' });
      }
      cx.info.authorized = false;
      return new ExpectClientKeyExchange(this.s, undefined);
    }
    const chain = parseChain(cx, msg.certificateList);
    cx.info.peerCertificates = chain;
    // RFC 5246 Section 7.4.8: the client's key signs its CertificateVerify.
    if (cx.config.ask.verify) {
      return awaitVerdict(chain, 'clientAuth', 'digitalSignature', undefined, this.holds(), () => new ExpectClientKeyExchange(this.s, chain[0]));
    }
    verifyPeerCertificate(cx, chain, 'clientAuth', 'digitalSignature', undefined, this.s.config.roots);
    return new ExpectClientKeyExchange(this.s, chain[0]);
  }
}

export class ExpectClientKeyExchange implements State {
  readonly name = 'ExpectClientKeyExchange';
  constructor(readonly s: ServerHandshake12, readonly clientCertificate: Certificate | undefined) {}

  holds(): TraceFields {
    return heldByServer(this.s);
  }

  handle(cx: HandshakeContext, input: Input): State {
    const { hs } = this.s;
    const kx = hs.suite.kx === 'any' ? 'ecdhe' : hs.suite.kx;
    const cke = expect(cx, input, HandshakeType.client_key_exchange, kx);
    let preMasterSecret: Uint8Array;
    const key = this.s.choice.certified?.key;
    if ((kx === 'rsa' || kx === 'rsa_psk') && key!.external) {
      // The key is held elsewhere: raw RSA there, the padding checked here (implicit rejection all the same).
      const request = { kind: 'decrypt', key: key!, ciphertext: cke.exchangeKeys } as const;
      return new AwaitAnswer(request, this.holds(), (cx, em) => {
        const decrypted = unpadPreMasterSecret(cx.provider, key!, em instanceof Uint8Array ? em : null, this.s.clientVersion);
        return this.withPreMasterSecret(cx, kx === 'rsa' ? decrypted : this.pskPreMasterSecret(cx, kx, cke.pskIdentity!, cke.exchangeKeys, decrypted));
      });
    }
    if (kx === 'rsa') {
      preMasterSecret = decryptPreMasterSecret(cx.provider, key!, cke.exchangeKeys, this.s.clientVersion);
    } else if (kx === 'psk' || kx === 'ecdhe_psk' || kx === 'dhe_psk' || kx === 'rsa_psk') {
      preMasterSecret = this.pskPreMasterSecret(cx, kx, cke.pskIdentity!, cke.exchangeKeys);
    } else if (kx === 'dhe') {
      // RFC 7919 Section 5.1: the client's value must lie in 2..p-2; RFC 5246 Section 8.1.2: Z without leading zeros.
      if (!dhPublicInRange(cke.exchangeKeys, this.s.choice.dh!.p)) {
        throw new TlsError('illegal_parameter', 'client DH public value is out of range');
      }
      preMasterSecret = dhPreMasterSecret(this.s.share!.agree(cke.exchangeKeys));
    } else {
      preMasterSecret = this.s.share!.agree(cke.exchangeKeys);
    }
    return this.withPreMasterSecret(cx, preMasterSecret);
  }

  private withPreMasterSecret(cx: HandshakeContext, preMasterSecret: Uint8Array): State {
    const { hs } = this.s;
    const master = deriveMasterSecret(cx, hs, preMasterSecret);
    const keys = deriveSessionKeys(cx, hs, master);
    const kept = cx.trace ? preMasterSecret : undefined;
    if (!cx.trace) zeroize(preMasterSecret);

    if (this.clientCertificate) {
      const clientKey = cx.provider.loadPublicKey(this.clientCertificate.subjectPublicKeyInfo);
      return new ExpectCertificateVerify(this.s, clientKey, cx.transcript.messages(), master, keys, kept);
    }
    return new ExpectChangeCipherSpec(keysOf(this.s, master, keys, kept));
  }

  /** RFC 4279 Section 2: the key the client's identity names, mixed with the other secret. */
  private pskPreMasterSecret(
    cx: HandshakeContext, kx: 'psk' | 'ecdhe_psk' | 'dhe_psk' | 'rsa_psk', identity: Uint8Array, exchangeKeys: Uint8Array, decrypted?: Uint8Array,
  ): Uint8Array {
    const found = this.s.config.pskForIdentity?.(identity);
    if (!found || found.key.length === 0) {
      throw new TlsError('unknown_psk_identity', 'the client\'s PSK identity is unknown', { code: 'ERR_SSL_PSK_IDENTITY_NOT_FOUND' });
    }
    if (found.key.length > 0xffff) throw new TlsError('internal_error', 'a pre-shared key is at most 65535 bytes (RFC 4279 Section 2)');
    const other = decrypted ?? pskOtherSecret(cx, this.s, kx, found.key.length, exchangeKeys);
    const preMasterSecret = pskPreMasterSecret(other, found.key);
    zeroize(other);
    return preMasterSecret;
  }
}

/**
 * RFC 4279 Section 2: the client's key, found by its identity (unknown_psk_identity when we have
 * none, as OpenSSL and node:tls answer), mixed with the other secret into the pre-master secret.
 */
function pskOtherSecret(
  cx: HandshakeContext, s: ServerHandshake12, kx: 'psk' | 'ecdhe_psk' | 'dhe_psk' | 'rsa_psk', keyLength: number, exchangeKeys: Uint8Array,
): Uint8Array {
  switch (kx) {
    case 'psk':
      return new Uint8Array(keyLength);
    case 'dhe_psk':
      // RFC 7919 Section 5.1 as for DHE: the client's value must lie in 2..p-2.
      if (!dhPublicInRange(exchangeKeys, s.choice.dh!.p)) {
        throw new TlsError('illegal_parameter', 'client DH public value is out of range');
      }
      return dhPreMasterSecret(s.share!.agree(exchangeKeys));
    case 'ecdhe_psk':
      return s.share!.agree(exchangeKeys);
    case 'rsa_psk':
      // RFC 4279 Section 4: the 48 bytes as RSA key exchange sends them, with implicit rejection.
      return decryptPreMasterSecret(cx.provider, s.choice.certified!.key, exchangeKeys, s.clientVersion);
  }
}

/**
 * RFC 5246 Section 7.4.7.1: decrypts the encrypted pre-master secret without
 * revealing whether the padding, the length or the version was wrong. On any
 * failure the handshake goes on with 48 random bytes, so the client learns only
 * through a Finished that fails like any other (Bleichenbacher). Every byte of
 * the padding is checked and the result chosen by masking, without branches
 * that depend on the secret.
 */
export function decryptPreMasterSecret(provider: CryptoProvider, key: PrivateKey, encrypted: Uint8Array, clientVersion: number): Uint8Array {
  return unpadPreMasterSecret(provider, key, provider.rsaDecryptRaw(key, encrypted), clientVersion);
}

/** The pre-master secret in `em` (c^d mod n), or 48 random bytes when its padding or version is wrong, in constant time. */
function unpadPreMasterSecret(provider: CryptoProvider, key: PrivateKey, em: Uint8Array | null, clientVersion: number): Uint8Array {
  const random = provider.random(48);
  const k = (key.bits + 7) >> 3;
  if (em === null || em.length !== k || k < 11 + 48) return random;
  // EM = 0x00 || 0x02 || PS (k-51 non-zero bytes) || 0x00 || pre_master_secret (48 bytes)
  let bad = em[0]! | (em[1]! ^ 0x02);
  for (let i = 2; i < k - 49; i++) bad |= ((em[i]! - 1) >> 8) & 1; // 1 when em[i] == 0
  bad |= em[k - 49]!;
  bad |= em[k - 48]! ^ (clientVersion >> 8);
  bad |= em[k - 47]! ^ (clientVersion & 0xff);
  const useRandom = -((((bad | -bad) >>> 31) & 1)) & 0xff; // 0xff when bad != 0
  const out = new Uint8Array(48);
  for (let i = 0; i < 48; i++) out[i] = (em[k - 48 + i]! & ~useRandom) | (random[i]! & useRandom);
  zeroize(em);
  return out;
}

/** RFC 5246 Section 7.4.8: the client proves it holds its certificate's key. */
export class ExpectCertificateVerify implements State {
  readonly name = 'ExpectCertificateVerify';
  constructor(
    readonly s: ServerHandshake12,
    readonly clientPublicKey: PublicKey,
    readonly signedMessages: Uint8Array,
    readonly masterSecret: Uint8Array,
    readonly sessionKeys: SessionKeys12,
    readonly preMasterSecret: Uint8Array | undefined,
  ) {}

  holds(): TraceFields {
    return heldByServer(this.s, { preMasterSecret: this.preMasterSecret, masterSecret: this.masterSecret, keys: this.sessionKeys.keys });
  }

  handle(cx: HandshakeContext, input: Input): State {
    const cv = expect(cx, input, HandshakeType.certificate_verify);
    // Before TLS 1.2 the key decides the algorithm (RFC 4346 Section 7.4.8).
    const legacy = this.s.hs.version < 0x0303;
    const scheme = legacy ? legacySignatureScheme(this.clientPublicKey) : cv.signatureScheme;
    if (scheme === undefined || (!legacy && (!this.s.config.signatureSchemes12.includes(scheme) || !schemeFitsKey12(scheme, this.clientPublicKey)))) {
      throw new TlsError('illegal_parameter', `client signed with ${signatureSchemeName(cv.signatureScheme)}, which the server did not ask for`);
    }
    if (!cx.provider.verify(this.clientPublicKey, scheme, this.signedMessages, cv.signature)) {
      throw new TlsError('decrypt_error', 'client CertificateVerify signature does not verify');
    }
    return new ExpectChangeCipherSpec(keysOf(this.s, this.masterSecret, this.sessionKeys, this.preMasterSecret));
  }
}

function keysOf(s: ServerHandshake12, masterSecret: Uint8Array, sessionKeys: SessionKeys12, preMasterSecret: Uint8Array | undefined): ServerKeys12 {
  return { config: s.config, hs: s.hs, masterSecret, sessionKeys, resumed: false, ticketPromised: s.ticketPromised, full: s, preMasterSecret };
}

/** What the server needs from its keys on, in a full or an abbreviated handshake. */
interface ServerKeys12 {
  readonly config: ServerConfig;
  readonly hs: Negotiated12;
  readonly masterSecret: Uint8Array;
  readonly sessionKeys: SessionKeys12;
  /** Abbreviated: our ChangeCipherSpec and Finished went first, the client's Finished ends it. */
  readonly resumed: boolean;
  readonly ticketPromised: boolean;
  /** A full handshake: what the server held through it (its certificate, the group), for the trace. */
  readonly full?: ServerHandshake12;
  /** Kept for the trace only (cleared at once when nothing traces). */
  readonly preMasterSecret?: Uint8Array | undefined;
}

/**
 * What the server holds from its keys on. Made when the trace asks for it, not on every handshake:
 * describing the certificate formats its names.
 */
function heldWithKeys(k: ServerKeys12): TraceFields {
  const secrets = { preMasterSecret: k.preMasterSecret, masterSecret: k.masterSecret, keys: k.sessionKeys.keys };
  return k.full ? heldByServer(k.full, secrets) : holds12({ hs: k.hs, privateKey: true, ...secrets });
}

export class ExpectChangeCipherSpec implements State {
  readonly name = 'ExpectChangeCipherSpec';
  constructor(readonly k: ServerKeys12) {}

  holds(): TraceFields {
    return heldWithKeys(this.k);
  }

  handle(cx: HandshakeContext, input: Input): State {
    if (input.kind !== 'changeCipherSpec') {
      throw new TlsError('unexpected_message', 'expected ChangeCipherSpec from the client');
    }
    cx.setReadProtection(this.k.sessionKeys.clientWrite);
    return new ExpectFinished(this.k);
  }
}

export class ExpectFinished implements State {
  readonly name = 'ExpectFinished';
  constructor(readonly k: ServerKeys12) {}

  holds(): TraceFields {
    return heldWithKeys(this.k);
  }

  handle(cx: HandshakeContext, input: Input): State {
    const { hs, masterSecret, config } = this.k;
    // RFC 5246 Section 7.4.9: the client's verify_data covers every message before its Finished.
    const expected = finishedVerifyData12(cx, hs, masterSecret, 'client finished');
    const finished = expect(cx, input, HandshakeType.finished);
    checkFinished(expected, finished.verifyData, 'client');

    if (!this.k.resumed) {
      const state = serverState12(cx, config, hs, masterSecret);
      // RFC 5246 Section 7.4.1.2: the session ID names this session for later resumption.
      if (hs.sessionId.length > 0) config.sessionStore.set(hs.sessionId, encodeServerState(state), config.sessionTimeout);
      if (this.k.ticketPromised) {
        // RFC 5077 Section 3.3: the ticket comes after the client's Finished, before our ChangeCipherSpec.
        cx.sendHandshake({
          type: HandshakeType.new_session_ticket,
          version: 'tls12',
          ticketLifetimeHint: config.sessionTimeout,
          ticket: sealTicket(cx.provider, config.ticketKeyRing, state),
        });
      }
      sendServerFinished12(cx, this.k);
    }
    cx.handshakeDone();
    return new Traffic12('server', hs, masterSecret);
  }
}

/** ChangeCipherSpec, then Finished under the new keys. */
function sendServerFinished12(cx: HandshakeContext, k: ServerKeys12): void {
  cx.sendChangeCipherSpec();
  cx.setWriteProtection(k.sessionKeys.serverWrite);
  const serverVerifyData = finishedVerifyData12(cx, k.hs, k.masterSecret, 'server finished');
  cx.sendHandshake({ type: HandshakeType.finished, verifyData: serverVerifyData });
}

function serverState12(cx: HandshakeContext, config: ServerConfig, hs: Negotiated12, masterSecret: Uint8Array): ServerSessionState {
  return {
    version: hs.version,
    cipherSuite: hs.suite.id,
    secret: masterSecret,
    extendedMasterSecret: hs.extendedMasterSecret,
    createdAt: config.now().getTime(),
    lifetime: config.sessionTimeout,
    ticketAgeAdd: 0,
    maxEarlyData: 0,
    alpnProtocol: cx.info.alpnProtocol === false ? '' : cx.info.alpnProtocol,
    serverName: cx.info.serverName ?? '',
    peerCertificates: cx.info.peerCertificates.map((c) => c.raw),
  };
}

/**
 * RFC 5246 Section 7.3, abbreviated handshake: ServerHello went out echoing the
 * session ID; the stored master secret makes new keys, and our ChangeCipherSpec
 * and Finished go first.
 */
export function resumeServer12(cx: HandshakeContext, config: ServerConfig, hs: Negotiated12, state: ServerSessionState): State {
  cx.info.sessionReused = true;
  cx.info.peerCertificates = state.peerCertificates.map((c) => parseCertificate(c));
  cx.info.authorized = state.peerCertificates.length > 0;
  cx.trace?.({ kind: 'note', side: 'server', text: 'resuming the session: abbreviated handshake with the stored master secret' });
  const masterSecret = state.secret.slice();
  cx.keyLog('CLIENT_RANDOM', hs.clientRandom, masterSecret);
  const sessionKeys = deriveSessionKeys(cx, hs, masterSecret);
  const k: ServerKeys12 = { config, hs, masterSecret, sessionKeys, resumed: true, ticketPromised: false };
  sendServerFinished12(cx, k);
  return new ExpectChangeCipherSpec(k);
}
