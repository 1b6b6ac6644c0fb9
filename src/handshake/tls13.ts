// The TLS 1.3 pieces both roles share: the key schedule steps as the handshake
// uses them, CertificateVerify content and scheme rules, and what a side holds.

import { hashLength, type HashAlgorithm, type KeyAlgorithm, type PublicKey } from '../crypto/provider.js';
import { TlsError } from '../errors.js';
import {
  deriveSecret, earlySecret, emptyHash, finishedVerifyData, handshakeSecret, masterSecret, trafficKeys,
} from '../keys/tls13.js';
import { aead13Protection, type RecordProtection } from '../record/protection.js';
import type { CipherSuite } from '../suites.js';
import type { TraceFields } from '../trace.js';
import { NamedGroup, namedGroupName, SignatureScheme } from '../wire/enums.js';
import { concatBytes } from '../wire/bytes.js';
import type { Certificate } from '../x509/certificate.js';
import { protocolName, schemeKeyAlgorithm, type HandshakeContext } from './common.js';
import { describeCertificate } from './tls12.js';

/** What both sides settle in ServerHello, and the secrets of the key schedule as they come. */
export interface Negotiated13 {
  readonly clientRandom: Uint8Array;
  readonly serverRandom: Uint8Array;
  readonly legacySessionId: Uint8Array;
  readonly suite: CipherSuite;
  /** The (EC)DHE or hybrid group; undefined for psk_ke resumption. */
  readonly group: number | undefined;
  readonly helloRetried: boolean;
  readonly resumed: boolean;
}

/** RFC 8446 Section 7.3: the write key and IV a traffic secret makes, which protect one direction. */
export interface TrafficKeys13 {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

export interface HandshakeSecrets13 {
  readonly handshakeSecret: Uint8Array;
  readonly clientHandshakeTrafficSecret: Uint8Array;
  readonly serverHandshakeTrafficSecret: Uint8Array;
  readonly clientHandshakeKeys: TrafficKeys13;
  readonly serverHandshakeKeys: TrafficKeys13;
}

export interface ApplicationSecrets13 {
  readonly masterSecret: Uint8Array;
  readonly clientApplicationTrafficSecret: Uint8Array;
  readonly serverApplicationTrafficSecret: Uint8Array;
  readonly clientApplicationKeys: TrafficKeys13;
  readonly serverApplicationKeys: TrafficKeys13;
  readonly exporterMasterSecret: Uint8Array;
}

function traceSecret(cx: HandshakeContext, label: string, value: Uint8Array): void {
  cx.trace?.({ kind: 'secret', side: cx.side, label, value });
}

/**
 * RFC 8446 Section 7.3: write key = HKDF-Expand-Label(secret, "key", "", key_length), write IV =
 * HKDF-Expand-Label(secret, "iv", "", 12). Traced as "<name> write key" and "<name> write IV",
 * `name` being the traffic secret's ("client handshake", "server application", ...).
 */
export function deriveTrafficKeys(cx: HandshakeContext, suite: CipherSuite, trafficSecret: Uint8Array, name: string): TrafficKeys13 {
  const { key, iv } = trafficKeys(cx.provider, suite.hash, trafficSecret, suite.cipher.keyLength, 12);
  if (cx.trace) {
    traceSecret(cx, `${name} write key`, key);
    traceSecret(cx, `${name} write IV`, iv);
  }
  return { key, iv };
}

/**
 * RFC 8446 Section 7.1: Early Secret (from the PSK, or zeros) → Handshake Secret
 * (with the (EC)DHE secret) → the handshake traffic secrets over ClientHello..ServerHello.
 * Call right after ServerHello is in the transcript.
 */
export function deriveHandshakeSecrets(
  cx: HandshakeContext, hs: Negotiated13, sharedSecret: Uint8Array | undefined, psk: Uint8Array | undefined,
): HandshakeSecrets13 {
  const hash = hs.suite.hash;
  const early = earlySecret(cx.provider, hash, psk);
  const handshake = handshakeSecret(cx.provider, hash, early, sharedSecret ?? new Uint8Array(hashLength[hash]));
  const transcriptHash = cx.transcript.hash();
  const client = deriveSecret(cx.provider, hash, handshake, 'c hs traffic', transcriptHash);
  const server = deriveSecret(cx.provider, hash, handshake, 's hs traffic', transcriptHash);
  traceSecret(cx, 'handshake secret', handshake);
  traceSecret(cx, 'client handshake traffic secret', client);
  const clientKeys = deriveTrafficKeys(cx, hs.suite, client, 'client handshake');
  traceSecret(cx, 'server handshake traffic secret', server);
  const serverKeys = deriveTrafficKeys(cx, hs.suite, server, 'server handshake');
  cx.keyLog('CLIENT_HANDSHAKE_TRAFFIC_SECRET', hs.clientRandom, client);
  cx.keyLog('SERVER_HANDSHAKE_TRAFFIC_SECRET', hs.clientRandom, server);
  return {
    handshakeSecret: handshake, clientHandshakeTrafficSecret: client, serverHandshakeTrafficSecret: server,
    clientHandshakeKeys: clientKeys, serverHandshakeKeys: serverKeys,
  };
}

/** RFC 8446 Section 7.1: Master Secret and the application traffic secrets over ClientHello..server Finished. */
export function deriveApplicationSecrets(cx: HandshakeContext, hs: Negotiated13, secrets: HandshakeSecrets13): ApplicationSecrets13 {
  const hash = hs.suite.hash;
  const master = masterSecret(cx.provider, hash, secrets.handshakeSecret);
  const transcriptHash = cx.transcript.hash();
  const client = deriveSecret(cx.provider, hash, master, 'c ap traffic', transcriptHash);
  const server = deriveSecret(cx.provider, hash, master, 's ap traffic', transcriptHash);
  const exporter = deriveSecret(cx.provider, hash, master, 'exp master', transcriptHash);
  traceSecret(cx, 'master secret', master);
  traceSecret(cx, 'client application traffic secret', client);
  const clientKeys = deriveTrafficKeys(cx, hs.suite, client, 'client application');
  traceSecret(cx, 'server application traffic secret', server);
  const serverKeys = deriveTrafficKeys(cx, hs.suite, server, 'server application');
  traceSecret(cx, 'exporter master secret', exporter);
  cx.keyLog('CLIENT_TRAFFIC_SECRET_0', hs.clientRandom, client);
  cx.keyLog('SERVER_TRAFFIC_SECRET_0', hs.clientRandom, server);
  cx.keyLog('EXPORTER_SECRET', hs.clientRandom, exporter);
  return {
    masterSecret: master, clientApplicationTrafficSecret: client, serverApplicationTrafficSecret: server,
    clientApplicationKeys: clientKeys, serverApplicationKeys: serverKeys, exporterMasterSecret: exporter,
  };
}

/** RFC 8446 Section 7.1: resumption_master_secret over ClientHello..client Finished. */
export function deriveResumptionMasterSecret(cx: HandshakeContext, hs: Negotiated13, master: Uint8Array): Uint8Array {
  return deriveSecret(cx.provider, hs.suite.hash, master, 'res master', cx.transcript.hash());
}

/**
 * RFC 8446 Section 4.2.11.2: a PSK binder is the Finished-style HMAC under
 * binder_key = Derive-Secret(Early Secret, "res binder" for a ticket's PSK or "ext binder"
 * for an external one, ""), over the transcript through the ClientHello cut short before
 * its binders, in the PSK's hash.
 */
export function pskBinder(
  cx: HandshakeContext, hash: HashAlgorithm, psk: Uint8Array, truncatedTranscriptHash: Uint8Array, label: 'res binder' | 'ext binder' = 'res binder',
): Uint8Array {
  const early = earlySecret(cx.provider, hash, psk);
  const binderKey = deriveSecret(cx.provider, hash, early, label, emptyHash(cx.provider, hash));
  return finishedVerifyData(cx.provider, hash, binderKey, truncatedTranscriptHash);
}

/** RFC 8446 Section 5.2: record protection with a traffic secret's write key and IV. */
export function protectionFor(cx: HandshakeContext, suite: CipherSuite, keys: TrafficKeys13): RecordProtection {
  if (suite.cipher.kind !== 'aead') throw new TlsError('internal_error', 'TLS 1.3 suites are AEAD only');
  return aead13Protection(cx.provider, suite.cipher.algorithm, keys.key, keys.iv, cx.paddingPolicy);
}

/** RFC 8446 Section 4.4.4: verify_data with the finished key of a traffic secret, over the transcript so far. */
export function finishedData(cx: HandshakeContext, suite: CipherSuite, baseKey: Uint8Array): Uint8Array {
  return finishedVerifyData(cx.provider, suite.hash, baseKey, cx.transcript.hash());
}


const serverContext = 'TLS 1.3, server CertificateVerify';
const clientContext = 'TLS 1.3, client CertificateVerify';

/** RFC 8446 Section 4.4.3: 64 spaces, the context string, a zero byte, the transcript hash. */
export function certificateVerifyContent(signer: 'server' | 'client', transcriptHash: Uint8Array): Uint8Array {
  const context = new TextEncoder().encode(signer === 'server' ? serverContext : clientContext);
  return concatBytes(new Uint8Array(64).fill(0x20), context, Uint8Array.of(0), transcriptHash);
}

const ecdsaCurve: Record<number, number> = {
  [SignatureScheme.ecdsa_secp256r1_sha256]: NamedGroup.secp256r1,
  [SignatureScheme.ecdsa_secp384r1_sha384]: NamedGroup.secp384r1,
  [SignatureScheme.ecdsa_secp521r1_sha512]: NamedGroup.secp521r1,
};

/**
 * RFC 8446 Section 4.2.3 / 4.4.3: in TLS 1.3 a CertificateVerify never uses RSA
 * PKCS#1 v1.5 or SHA-1, and an ECDSA scheme names its curve.
 */
export function schemeFitsKey13(scheme: number, key: { algorithm: KeyAlgorithm; namedCurve?: number | undefined }): boolean {
  if (schemeKeyAlgorithm(scheme) !== key.algorithm) return false;
  switch (scheme) {
    case SignatureScheme.rsa_pkcs1_sha1:
    case SignatureScheme.rsa_pkcs1_sha256:
    case SignatureScheme.rsa_pkcs1_sha384:
    case SignatureScheme.rsa_pkcs1_sha512:
    case SignatureScheme.ecdsa_sha1:
      return false;
  }
  const curve = ecdsaCurve[scheme];
  return curve === undefined || curve === key.namedCurve;
}

/** Our first scheme that the peer listed and the key can make (TLS 1.3 rules). */
export function chooseSignatureScheme13(
  ours: readonly number[], peers: readonly number[], key: { algorithm: KeyAlgorithm; namedCurve?: number; schemes?: readonly number[] },
): number | undefined {
  const offered = new Set(peers);
  return ours.find((s) => offered.has(s) && schemeFitsKey13(s, key) && (key.schemes === undefined || key.schemes.includes(s)));
}

/**
 * What a peer's CertificateVerify signs (RFC 8446 Section 4.4.3), once its scheme is checked: one we
 * offered, and fit for the key.
 */
export function certificateVerifyToCheck(
  cx: HandshakeContext, signer: 'server' | 'client', key: PublicKey, scheme: number, transcriptHash: Uint8Array,
): Uint8Array {
  if (!cx.config.signatureSchemes.includes(scheme) || !schemeFitsKey13(scheme, key)) {
    throw new TlsError('illegal_parameter', `${signer} CertificateVerify uses a signature scheme that was not offered for this key`);
  }
  return certificateVerifyContent(signer, transcriptHash);
}

/** Checks a peer's CertificateVerify (RFC 8446 Section 4.4.3). */
export function checkCertificateVerify(
  cx: HandshakeContext, signer: 'server' | 'client', key: PublicKey, scheme: number, signature: Uint8Array, transcriptHash: Uint8Array,
): void {
  if (!cx.provider.verify(key, scheme, certificateVerifyToCheck(cx, signer, key, scheme, transcriptHash), signature)) {
    throw new TlsError('decrypt_error', `${signer} CertificateVerify signature does not verify`);
  }
}

/** What a TLS 1.3 side holds, named as the trace shows it. */
export function holds13(parts: {
  hs?: Negotiated13 | undefined;
  clientRandom?: Uint8Array;
  certificate?: Certificate | undefined;
  privateKey?: boolean;
  sharedSecret?: Uint8Array | undefined;
  handshake?: HandshakeSecrets13 | undefined;
  application?: ApplicationSecrets13 | undefined;
  resumptionMasterSecret?: Uint8Array | undefined;
}): TraceFields {
  const fields: Record<string, TraceFields[string]> = {};
  if (parts.certificate) fields.certificate = describeCertificate(parts.certificate);
  if (parts.privateKey) fields.privateKey = '(held, not shown)';
  const { hs } = parts;
  fields.version = protocolName(0x0304);
  const clientRandom = hs?.clientRandom ?? parts.clientRandom;
  if (clientRandom) fields.clientRandom = clientRandom;
  if (hs) {
    fields.serverRandom = hs.serverRandom;
    fields.sessionId = hs.legacySessionId;
    fields.cipherSuite = hs.suite.standardName;
    if (hs.group !== undefined) fields.keyExchangeGroup = namedGroupName(hs.group);
    if (hs.resumed) fields.resumed = true;
  }
  if (parts.sharedSecret) fields.sharedSecret = parts.sharedSecret;
  // Each traffic secret with the write key and IV it makes (RFC 8446 Section 7.3); the application
  // traffic keys are what TLS 1.2 calls the session keys, and are named as those are.
  const held = (name: string, secret: Uint8Array, keysAs: string, keys: TrafficKeys13): void => {
    fields[name] = secret;
    fields[`${keysAs}Key`] = keys.key;
    fields[`${keysAs}Iv`] = keys.iv;
  };
  const handshake = parts.handshake;
  if (handshake) {
    fields.handshakeSecret = handshake.handshakeSecret;
    held('clientHandshakeTrafficSecret', handshake.clientHandshakeTrafficSecret, 'clientHandshake', handshake.clientHandshakeKeys);
    held('serverHandshakeTrafficSecret', handshake.serverHandshakeTrafficSecret, 'serverHandshake', handshake.serverHandshakeKeys);
  }
  const application = parts.application;
  if (application) {
    fields.masterSecret = application.masterSecret;
    held('clientApplicationTrafficSecret', application.clientApplicationTrafficSecret, 'clientWrite', application.clientApplicationKeys);
    held('serverApplicationTrafficSecret', application.serverApplicationTrafficSecret, 'serverWrite', application.serverApplicationKeys);
    fields.exporterMasterSecret = application.exporterMasterSecret;
  }
  if (parts.resumptionMasterSecret) fields.resumptionMasterSecret = parts.resumptionMasterSecret;
  return fields;
}
