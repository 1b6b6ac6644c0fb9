// The TLS 1.2 pieces both roles share: key derivation and record protection
// from the master secret, the ServerKeyExchange signed content, and what each
// side holds, named as the seed documents name it.

import type { Certificate } from '../x509/certificate.js';
import { formatName } from '../x509/certificate.js';
import type { CipherSuite } from '../suites.js';
import type { TraceFields } from '../trace.js';
import { keyBlockLength, prf, prf10, splitKeyBlock, type KeyBlock } from '../keys/prf.js';
import { aead12Protection, cbcProtection, type RecordProtection } from '../record/protection.js';
import { protocolName, type HandshakeContext } from './common.js';
import { namedGroupName } from '../wire/enums.js';
import { concatBytes } from '../wire/bytes.js';
import { Writer } from '../wire/writer.js';

/** What a TLS 1.2 handshake has settled once ServerHello is through: the same on both sides. */
export interface Negotiated12 {
  readonly version: number;
  readonly clientRandom: Uint8Array;
  readonly serverRandom: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly suite: CipherSuite;
  /** RFC 7627: both sides sent extended_master_secret. */
  readonly extendedMasterSecret: boolean;
  /** RFC 7366: both sides sent encrypt_then_mac (only matters for CBC suites). */
  readonly encryptThenMac: boolean;
  /** RFC 5746: the peer supports secure renegotiation (we still never renegotiate). */
  readonly secureRenegotiation: boolean;
}

/** Session keys and the two record protections made from them. */
export interface SessionKeys12 {
  readonly keys: KeyBlock;
  readonly clientWrite: RecordProtection;
  readonly serverWrite: RecordProtection;
}

type Prf = (secret: Uint8Array, label: string, seed: Uint8Array, length: number) => Uint8Array;

/** RFC 5246 Section 5: P_<suite hash> in TLS 1.2; RFC 2246 Section 5: MD5 XOR SHA-1 before it. */
function prfOf(cx: HandshakeContext, hs: Negotiated12): Prf {
  return hs.version >= 0x0303
    ? (secret, label, seed, length) => prf(cx.provider, hs.suite.hash, secret, label, seed, length)
    : (secret, label, seed, length) => prf10(cx.provider, secret, label, seed, length);
}

/**
 * The hash of the handshake messages so far: with the suite's hash in TLS 1.2,
 * MD5 followed by SHA-1 before it (RFC 2246 Section 7.4.9), for which the
 * transcript keeps the messages themselves.
 */
export function handshakeHash12(cx: HandshakeContext, hs: Negotiated12): Uint8Array {
  if (hs.version >= 0x0303) return cx.transcript.hash();
  const messages = cx.transcript.messages();
  return concatBytes(cx.provider.hash('md5', messages), cx.provider.hash('sha1', messages));
}

/** RFC 5246 Section 7.4.9: verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..11]. */
export function finishedVerifyData12(cx: HandshakeContext, hs: Negotiated12, master: Uint8Array, label: 'client finished' | 'server finished'): Uint8Array {
  return prfOf(cx, hs)(master, label, handshakeHash12(cx, hs), 12);
}

/**
 * RFC 5246 Section 8.1 (or RFC 7627 Section 4 when negotiated): the master secret
 * from the pre-master secret. With EMS the session hash is the transcript up to
 * and including ClientKeyExchange, so call this right after that message.
 */
export function deriveMasterSecret(cx: HandshakeContext, hs: Negotiated12, preMasterSecret: Uint8Array): Uint8Array {
  const prfFn = prfOf(cx, hs);
  const secret = hs.extendedMasterSecret
    ? prfFn(preMasterSecret, 'extended master secret', handshakeHash12(cx, hs), 48)
    : prfFn(preMasterSecret, 'master secret', concatBytes(hs.clientRandom, hs.serverRandom), 48);
  cx.keyLog('CLIENT_RANDOM', hs.clientRandom, secret);
  cx.trace?.({ kind: 'secret', side: cx.side, label: hs.extendedMasterSecret ? 'extended master secret' : 'master secret', value: secret });
  return secret;
}

/** RFC 5246 Section 6.3: the key block, split into MAC keys, write keys and IVs, and the protections. */
export function deriveSessionKeys(cx: HandshakeContext, hs: Negotiated12, master: Uint8Array): SessionKeys12 {
  const c = hs.suite.cipher;
  // TLS 1.0 takes the CBC IVs from the key block (RFC 2246 Section 6.3); later versions send them per record.
  const lengths =
    c.kind === 'aead'
      ? { macKey: 0, key: c.keyLength, iv: c.fixedIvLength }
      : { macKey: c.macLength, key: c.keyLength, iv: hs.version === 0x0301 ? 16 : 0 };
  const block = prfOf(cx, hs)(master, 'key expansion', concatBytes(hs.serverRandom, hs.clientRandom), keyBlockLength(lengths));
  const keys = splitKeyBlock(block, lengths);
  const make = (key: Uint8Array, iv: Uint8Array, macKey: Uint8Array): RecordProtection =>
    c.kind === 'aead'
      ? aead12Protection(cx.provider, c.algorithm, key, iv)
      : cbcProtection(cx.provider, {
          algorithm: c.algorithm,
          key,
          macHash: c.macHash,
          macKey,
          encryptThenMac: hs.encryptThenMac,
          ...(hs.version === 0x0301 ? { implicitIv: iv } : {}),
        });
  return {
    keys,
    clientWrite: make(keys.clientWriteKey, keys.clientWriteIv, keys.clientWriteMacKey),
    serverWrite: make(keys.serverWriteKey, keys.serverWriteIv, keys.serverWriteMacKey),
  };
}

/** RFC 5246 Section 7.4.3 / RFC 8422 Section 5.4: ServerKeyExchange signs both randoms and the params. */
export function serverKeyExchangeSignedContent(hs: Negotiated12, params: Uint8Array): Uint8Array {
  return concatBytes(hs.clientRandom, hs.serverRandom, params);
}

/**
 * RFC 4279 Section 2: the pre-master secret of a PSK suite, struct { opaque other_secret<0..2^16-1>;
 * opaque psk<0..2^16-1>; } — `other` is N zero bytes for plain PSK (N the key's length), the
 * (EC)DH shared secret for ECDHE-PSK and DHE-PSK (RFC 5489 Section 2, RFC 4279 Section 3), the
 * 48-byte RSA-encrypted secret for RSA-PSK (RFC 4279 Section 4).
 */
export function pskPreMasterSecret(other: Uint8Array, psk: Uint8Array): Uint8Array {
  const w = new Writer(4 + other.length + psk.length);
  w.vector(2, other);
  w.vector(2, psk);
  return w.finish();
}

export function describeCertificate(cert: Certificate | undefined): string | undefined {
  if (!cert) return undefined;
  return `subject ${formatName(cert.subject)}; issuer ${formatName(cert.issuer)}; ${cert.publicKeyAlgorithm} key`;
}

/** The seed documents' list of what a side holds, from whatever this step has. */
export function holds12(parts: {
  hs?: Negotiated12 | undefined;
  version?: number;
  clientRandom?: Uint8Array;
  certificate?: Certificate | undefined;
  publicKey?: string | undefined;
  privateKey?: boolean;
  group?: number | undefined;
  preMasterSecret?: Uint8Array | undefined;
  masterSecret?: Uint8Array | undefined;
  keys?: KeyBlock | undefined;
}): TraceFields {
  const { hs } = parts;
  const fields: Record<string, TraceFields[string]> = {};
  if (parts.certificate) fields.certificate = describeCertificate(parts.certificate);
  if (parts.publicKey) fields.publicKey = parts.publicKey;
  if (parts.privateKey) fields.privateKey = '(held, not shown)';
  const version = hs?.version ?? parts.version;
  if (version !== undefined) fields.version = protocolName(version);
  const clientRandom = hs?.clientRandom ?? parts.clientRandom;
  if (clientRandom) fields.clientRandom = clientRandom;
  if (hs) {
    fields.serverRandom = hs.serverRandom;
    fields.sessionId = hs.sessionId;
    fields.cipherSuite = hs.suite.standardName;
    fields.extendedMasterSecret = hs.extendedMasterSecret;
  }
  if (parts.group !== undefined) fields.keyExchangeGroup = namedGroupName(parts.group);
  if (parts.preMasterSecret) fields.preMasterSecret = parts.preMasterSecret;
  if (parts.masterSecret) fields.masterSecret = parts.masterSecret;
  if (parts.keys) {
    const k = parts.keys;
    if (k.clientWriteMacKey.length) fields.clientWriteMacKey = k.clientWriteMacKey;
    if (k.serverWriteMacKey.length) fields.serverWriteMacKey = k.serverWriteMacKey;
    fields.clientWriteKey = k.clientWriteKey;
    fields.serverWriteKey = k.serverWriteKey;
    if (k.clientWriteIv.length) fields.clientWriteIv = k.clientWriteIv;
    if (k.serverWriteIv.length) fields.serverWriteIv = k.serverWriteIv;
  }
  return fields;
}
