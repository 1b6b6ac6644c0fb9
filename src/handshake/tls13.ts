// The TLS 1.3 pieces both roles share: the key schedule steps as the handshake
// uses them, CertificateVerify content and scheme rules, and what a side holds.

import { hashLength, type HashAlgorithm, type KeyAlgorithm, type PublicKey } from '../crypto/provider.js';
import { TlsError } from '../errors.js';
import {
  deriveSecret, emptyHash, KeySchedule, SCHEDULE_INPUT, trafficKeys, zeroSecret,
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
  /** RFC 8446 Section 4.4.4: HKDF-Expand-Label(handshake traffic secret, "finished", "", Hash.length), for each Finished. */
  readonly clientFinishedKey: Uint8Array;
  readonly serverFinishedKey: Uint8Array;
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
  const keys = trafficKeys(cx.provider, suite.hash, trafficSecret, suite.cipher.keyLength, 12);
  if (cx.trace) traceKeys(cx, name, keys);
  return keys;
}

function traceKeys(cx: HandshakeContext, name: string, keys: TrafficKeys13): void {
  traceSecret(cx, `${name} write key`, keys.key);
  traceSecret(cx, `${name} write IV`, keys.iv);
}

/** The client's and the server's traffic secret of a stage, each followed by its write key and IV. */
function traceTraffic(
  cx: HandshakeContext, stage: 'handshake' | 'application', client: Uint8Array, clientKeys: TrafficKeys13, server: Uint8Array, serverKeys: TrafficKeys13,
): void {
  traceSecret(cx, `client ${stage} traffic secret`, client);
  traceKeys(cx, `client ${stage}`, clientKeys);
  traceSecret(cx, `server ${stage} traffic secret`, server);
  traceKeys(cx, `server ${stage}`, serverKeys);
}

/**
 * RFC 8446 Section 7.1: Early Secret (from the PSK, or zeros) → Handshake Secret
 * (with the (EC)DHE secret) → the handshake traffic secrets over ClientHello..ServerHello, their
 * write keys and IVs (Section 7.3), and the finished keys (Section 4.4.4): one KeySchedule.
 * Call right after ServerHello is in the transcript.
 */
export function deriveHandshakeSecrets(
  cx: HandshakeContext, hs: Negotiated13, sharedSecret: Uint8Array | undefined, psk: Uint8Array | undefined,
): HandshakeSecrets13 {
  const { hash, cipher } = hs.suite;
  const size = hashLength[hash];
  const zeros = zeroSecret(hash);
  const transcriptHash = cx.transcript.hash();
  const k = new KeySchedule(hash);
  const early = k.hmac(SCHEDULE_INPUT, psk ?? zeros);
  const derived = k.expandLabel(early, 'derived', emptyHash(cx.provider, hash), size);
  const handshake = k.hmac(derived, sharedSecret ?? zeros);
  const client = k.expandLabel(handshake, 'c hs traffic', transcriptHash, size);
  const server = k.expandLabel(handshake, 's hs traffic', transcriptHash, size);
  const clientKeys = k.trafficKeys(client, cipher.keyLength);
  const serverKeys = k.trafficKeys(server, cipher.keyLength);
  const clientFinished = k.finishedKey(client);
  const serverFinished = k.finishedKey(server);
  const out = k.run(cx.provider, zeros);
  const secrets: HandshakeSecrets13 = {
    handshakeSecret: out[handshake]!, clientHandshakeTrafficSecret: out[client]!, serverHandshakeTrafficSecret: out[server]!,
    clientHandshakeKeys: { key: out[clientKeys.key]!, iv: out[clientKeys.iv]! }, serverHandshakeKeys: { key: out[serverKeys.key]!, iv: out[serverKeys.iv]! },
    clientFinishedKey: out[clientFinished]!, serverFinishedKey: out[serverFinished]!,
  };
  if (cx.trace) {
    traceSecret(cx, 'handshake secret', secrets.handshakeSecret);
    traceTraffic(cx, 'handshake', secrets.clientHandshakeTrafficSecret, secrets.clientHandshakeKeys, secrets.serverHandshakeTrafficSecret, secrets.serverHandshakeKeys);
  }
  cx.keyLog('CLIENT_HANDSHAKE_TRAFFIC_SECRET', hs.clientRandom, secrets.clientHandshakeTrafficSecret);
  cx.keyLog('SERVER_HANDSHAKE_TRAFFIC_SECRET', hs.clientRandom, secrets.serverHandshakeTrafficSecret);
  return secrets;
}

/**
 * RFC 8446 Section 7.1: Master Secret and the application traffic secrets over ClientHello..server
 * Finished, their write keys and IVs, and the exporter master secret: one KeySchedule.
 */
export function deriveApplicationSecrets(cx: HandshakeContext, hs: Negotiated13, secrets: HandshakeSecrets13): ApplicationSecrets13 {
  const { hash, cipher } = hs.suite;
  const size = hashLength[hash];
  const transcriptHash = cx.transcript.hash();
  const k = new KeySchedule(hash);
  const derived = k.expandLabel(SCHEDULE_INPUT, 'derived', emptyHash(cx.provider, hash), size);
  const master = k.hmac(derived, zeroSecret(hash));
  const client = k.expandLabel(master, 'c ap traffic', transcriptHash, size);
  const server = k.expandLabel(master, 's ap traffic', transcriptHash, size);
  const exporter = k.expandLabel(master, 'exp master', transcriptHash, size);
  const clientKeys = k.trafficKeys(client, cipher.keyLength);
  const serverKeys = k.trafficKeys(server, cipher.keyLength);
  const out = k.run(cx.provider, secrets.handshakeSecret);
  const app: ApplicationSecrets13 = {
    masterSecret: out[master]!, clientApplicationTrafficSecret: out[client]!, serverApplicationTrafficSecret: out[server]!,
    clientApplicationKeys: { key: out[clientKeys.key]!, iv: out[clientKeys.iv]! }, serverApplicationKeys: { key: out[serverKeys.key]!, iv: out[serverKeys.iv]! },
    exporterMasterSecret: out[exporter]!,
  };
  if (cx.trace) {
    traceSecret(cx, 'master secret', app.masterSecret);
    traceTraffic(cx, 'application', app.clientApplicationTrafficSecret, app.clientApplicationKeys, app.serverApplicationTrafficSecret, app.serverApplicationKeys);
    traceSecret(cx, 'exporter master secret', app.exporterMasterSecret);
  }
  cx.keyLog('CLIENT_TRAFFIC_SECRET_0', hs.clientRandom, app.clientApplicationTrafficSecret);
  cx.keyLog('SERVER_TRAFFIC_SECRET_0', hs.clientRandom, app.serverApplicationTrafficSecret);
  cx.keyLog('EXPORTER_SECRET', hs.clientRandom, app.exporterMasterSecret);
  return app;
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
  const k = new KeySchedule(hash);
  const early = k.hmac(SCHEDULE_INPUT, psk);
  const binderKey = k.expandLabel(early, label, emptyHash(cx.provider, hash), hashLength[hash]);
  const finishedKey = k.finishedKey(binderKey);
  const binder = k.hmac(finishedKey, truncatedTranscriptHash);
  const out = k.run(cx.provider, zeroSecret(hash));
  return out[binder]!;
}

/** RFC 8446 Section 5.2: record protection with a traffic secret's write key and IV. */
export function protectionFor(cx: HandshakeContext, suite: CipherSuite, keys: TrafficKeys13): RecordProtection {
  if (suite.cipher.kind !== 'aead') throw new TlsError('internal_error', 'TLS 1.3 suites are AEAD only');
  return aead13Protection(cx.provider, suite.cipher.algorithm, keys.key, keys.iv, cx.paddingPolicy);
}

/** RFC 8446 Section 4.4.4: verify_data = HMAC(finished_key, Transcript-Hash(...)) over the transcript so far. */
export function finishedData(cx: HandshakeContext, suite: CipherSuite, finishedKey: Uint8Array): Uint8Array {
  return cx.provider.hmac(suite.hash, finishedKey, cx.transcript.hash());
}


/** RFC 8446 Section 4.4.3: 64 spaces, the context string and a zero byte, which the transcript hash follows. */
function signedContentPrefix(context: string): Uint8Array {
  return concatBytes(new Uint8Array(64).fill(0x20), new TextEncoder().encode(context), Uint8Array.of(0));
}
const serverPrefix = signedContentPrefix('TLS 1.3, server CertificateVerify');
const clientPrefix = signedContentPrefix('TLS 1.3, client CertificateVerify');

/** RFC 8446 Section 4.4.3: 64 spaces, the context string, a zero byte, the transcript hash. */
export function certificateVerifyContent(signer: 'server' | 'client', transcriptHash: Uint8Array): Uint8Array {
  const prefix = signer === 'server' ? serverPrefix : clientPrefix;
  const content = new Uint8Array(prefix.length + transcriptHash.length);
  content.set(prefix);
  content.set(transcriptHash, prefix.length);
  return content;
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
