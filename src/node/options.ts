// node:tls options → the core's ClientConfig / ServerConfig.
//
// Everything node-specific about option names and input shapes (strings, Buffers, arrays of
// either, OpenSSL cipher strings, curve lists) is handled here, so the core configs stay
// free of node:tls vocabulary.

import { readFileSync } from 'node:fs';
import { rootCertificates as nodeRootCertificates } from 'node:tls';
import { inspect } from 'node:util';
import { createPrivateKey, type webcrypto } from 'node:crypto';
import { cryptoKeyFits, cryptoKeyKey, isExternalKey, signerKey, type KeySigner } from './signer.js';
import type { SessionStore, TicketKeyRing } from '../handshake/resumption.js';
import { clientConfig, serverConfig, defaultGroups, type CertifiedKey, type NamedContext, type ClientConfig, type Limits, type ServerConfig } from '../config.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { nodeCryptoProvider } from '../crypto/node.js';
import { cipherSuites, suiteById, suiteByName } from '../suites.js';
import { bitLength, MIN_SERVER_DH_BITS, type DhParams } from '../keys/ffdhe.js';
import { DerReader } from '../x509/der.js';
import {
  OPENSSL_DEFAULT_CIPHERSUITES, expandCipherString, parseCipherSuites, type CipherList,
} from '../cipher-string.js';
import { TlsError } from '../errors.js';
import type { Annotator } from '../trace.js';
import { NamedGroup, ProtocolVersion } from '../wire/enums.js';
import { parseCertificate, type Certificate } from '../x509/certificate.js';
import { pemDecode } from '../x509/pem.js';
import { DEFAULT_CIPHERS, DEFAULT_ECDH_CURVE, DEFAULT_MAX_VERSION, DEFAULT_MIN_VERSION } from './tls-module.js';
import { invalidArgType, invalidArgValue, outOfRange, validateBinary, validateKeyOrCert, validateString } from './validate.js';
import { parseCrls } from '../x509/crl.js';
import type { ClientPskCallback, ServerPskCallback } from './psk.js';
import { readPkcs12 } from './pkcs12.js';
import { parseSigalgs } from './sigalgs.js';

/** Bytes as node:tls accepts them. */
export type BinaryLike = string | Uint8Array;

/** The node:tls options typetls understands (plus `trace` and `provider`). Unknown options are ignored. */
export interface TlsOptions {
  minVersion?: string;
  maxVersion?: string;
  /** An OpenSSL method name ('TLSv1_2_method', 'TLS_method', ...): the versions it allows. */
  secureProtocol?: string;
  ciphers?: string;
  ecdhCurve?: string;
  ca?: BinaryLike | readonly BinaryLike[];
  cert?: BinaryLike | readonly BinaryLike[];
  /**
   * The private key(s), as node takes them. typetls extension: a key held elsewhere, a signer
   * object ({ spki or publicKey, sign(scheme, data), decrypt? }, see src/node/signer.ts) or a
   * WebCrypto CryptoKey (non-extractable too); the handshake waits for its operations.
   */
  key?: BinaryLike | KeySigner | webcrypto.CryptoKey | readonly (BinaryLike | KeySigner | webcrypto.CryptoKey | { pem: BinaryLike; passphrase?: string })[];
  passphrase?: string;
  /**
   * Server: 'auto' (an RFC 7919 group, negotiated) or PEM DH parameters (that group, as OpenSSL uses
   * it) to allow DHE suites; without it, as in node, none is used.
   */
  dhparam?: BinaryLike;
  /**
   * The signature algorithms we offer and accept, by OpenSSL's names ('RSA-PSS+SHA256:ECDSA+SHA256',
   * or 'rsa_pss_rsae_sha256:ed25519'), in order of preference (node:tls sigalgs).
   */
  sigalgs?: string;
  /**
   * PKCS#12 (.pfx/.p12) files: one, or an array of files or { buf, passphrase } (each opened
   * with its own passphrase or `passphrase`). The key and its certificate serve as another
   * cert/key pair; the file's other certificates complete the chain and are trusted, as in node.
   */
  pfx?: BinaryLike | readonly (BinaryLike | { buf: BinaryLike; passphrase?: string })[];
  rejectUnauthorized?: boolean;
  requestCert?: boolean;
  ALPNProtocols?: readonly string[] | readonly Uint8Array[] | Uint8Array;
  servername?: string;
  honorCipherOrder?: boolean;
  session?: Uint8Array;
  /**
   * Client (typetls extension): TLS 1.3 0-RTT data sent with the ClientHello when `session`
   * allows it; sent again after the handshake if the server rejects it.
   */
  earlyData?: Uint8Array;
  /** Client: ask the server to staple an OCSP response ('OCSPResponse' event), as in node:tls. */
  requestOCSP?: boolean;
  /**
   * Client (typetls extension): check the stapled OCSP response and require one (implies requestOCSP);
   * revoked is CERT_REVOKED. See docs/certificates.md.
   */
  requireOCSP?: boolean;
  /** PEM (or DER) CRLs, as in node:tls: each certificate of the peer's chain below its anchor is checked against them. */
  crl?: BinaryLike | readonly BinaryLike[];
  /**
   * (typetls extension) The certificate rules: 'node' (the default here: what node:tls accepts) or
   * 'webpki' (the CA/Browser Forum profile that typetls's own API uses). See docs/certificates.md.
   */
  certificateProfile?: 'node' | 'webpki';
  /**
   * (typetls extension, server) Issue a new TLS 1.3 ticket on a resumed connection too, as OpenSSL's
   * s_server does and tlsfuzzer expects. Off by default: node's servers keep the ticket resumed from.
   */
  ticketOnResumption?: boolean;
  /** (typetls extension) Under 'webpki': take the subject CN as the name when the certificate has no dNSName (private PKIs). */
  commonNameFallback?: boolean;
  /**
   * Server (typetls extension): a DER OCSP response stapled for the certificate when the client
   * asks (node:tls answers through its 'OCSPRequest' event instead).
   */
  ocspResponse?: Uint8Array;
  /** Server (typetls extension): the most 0-RTT data accepted on our tickets; default 0 (none). */
  maxEarlyData?: number;
  /** Server: seconds a session or ticket may be resumed for. */
  sessionTimeout?: number;
  /**
   * OpenSSL SSL_OP_* flags (node:crypto constants). typetls honours SSL_OP_NO_TICKET (a server
   * issues no session tickets); the others name behaviour typetls has fixed.
   */
  secureOptions?: number;
  /**
   * Server: 48 bytes sealing session tickets (node: Buffer of 48 bytes); give every server of a
   * fleet the same. Without it the server makes its own keys and rotates them (a new one each day,
   * each opening tickets for 7 days).
   */
  ticketKeys?: Uint8Array;
  /**
   * Server (typetls extension): the TLS 1.2 session-ID store; give servers one shared store
   * (get/set/delete by session ID) to resume each other's sessions.
   */
  sessionStore?: SessionStore;
  /**
   * node:tls SNICallback(servername, cb): cb(null, secureContext) picks the certificates (and
   * the CAs that verify a client certificate) for that name, now or on a later tick (the
   * handshake waits); cb(null, null) keeps the server's own; an error, or an object that is no
   * secure context, refuses the connection (closed without an alert, as node does).
   */
  SNICallback?: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void;
  /**
   * Server (node:tls ALPNCallback): picks the ALPN protocol itself, called with the socket as `this`
   * and `{ servername, protocols }` for a client that offers ALPN, after SNICallback. It returns one
   * of `protocols`, or undefined to refuse the client with a no_application_protocol alert; anything
   * else fails the handshake with ERR_TLS_ALPN_CALLBACK_INVALID_RESULT. `this.setKeyCert()` in it
   * chooses the certificate. Not with ALPNProtocols (ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS).
   */
  ALPNCallback?: (this: unknown, offer: { servername: string | false; protocols: string[] }) => string | undefined;
  /**
   * Pre-shared keys, as in node:tls. Client: pskCallback(hint) returns { psk, identity } (or null for
   * none), called for a TLS 1.3 ClientHello (hint null) and for a TLS 1.2 PSK suite (the server's hint
   * or null). Server: pskCallback(socket, identity) returns the key (or null for an unknown identity).
   * The TLS 1.2 PSK suites are used only with it; a server with it needs no certificate.
   */
  pskCallback?: ClientPskCallback | ServerPskCallback;
  /** Server: the identity hint a TLS 1.2 PSK suite's ServerKeyExchange carries (at most 256 bytes). */
  pskIdentityHint?: string;
  /**
   * typetls extension: the engine's limits (src/config.ts `Limits`), e.g. `maxRecordsPerKey`, the
   * TLS 1.3 records under one key before an automatic KeyUpdate; each one left out keeps its default.
   */
  limits?: Partial<Limits>;
  /** node: print the handshake to stderr as OpenSSL's SSL_trace() does (see TLSSocket.enableTrace()). */
  enableTrace?: boolean;
  /** typetls: receives the engine's trace events. */
  trace?: Annotator;
  /** typetls: the crypto provider (node:crypto by default). */
  provider?: CryptoProvider;
}

/** OpenSSL's SSL_OP_NO_TICKET (node: crypto.constants.SSL_OP_NO_TICKET). */
const SSL_OP_NO_TICKET = 0x4000;

/** Version names as node:tls spells them. */
const versionByName: Readonly<Record<string, number>> = {
  TLSv1: ProtocolVersion.TLSv1,
  'TLSv1.1': ProtocolVersion['TLSv1.1'],
  'TLSv1.2': ProtocolVersion['TLSv1.2'],
  'TLSv1.3': ProtocolVersion['TLSv1.3'],
};

/** The highest version typetls negotiates (node's default maxVersion is also TLS 1.3). */
const HIGHEST_VERSION = ProtocolVersion['TLSv1.3'];

/** A node-style error: an Error (or TypeError) carrying a `code`. */
export function codedError(code: string, message: string, type: 'Error' | 'TypeError' = 'Error'): Error & { code: string } {
  const e = (type === 'TypeError' ? new TypeError(message) : new Error(message)) as Error & { code: string };
  e.code = code;
  return e;
}

export function parseVersion(name: string, option: 'minVersion' | 'maxVersion'): number {
  const v = Object.hasOwn(versionByName, name) ? versionByName[name] : undefined;
  if (v === undefined) {
    const which = option === 'minVersion' ? 'minimum' : 'maximum';
    throw codedError('ERR_TLS_INVALID_PROTOCOL_VERSION', `${JSON.stringify(name)} is not a valid ${which} TLS protocol version`, 'TypeError');
  }
  return v;
}

/**
 * node's secureProtocol (OpenSSL method names): the range of versions each allows, over the
 * default minVersion where node keeps it. SSLv2 and SSLv3 methods are refused as node refuses them.
 */
function secureProtocolRange(method: string, defaultMin: number): { minVersion: number; maxVersion: number } {
  const base = method.replace(/_(server|client)_method$/, '_method');
  if (/^SSLv2_method$/.test(base)) throw codedError('ERR_TLS_INVALID_PROTOCOL_METHOD', 'SSLv2 methods disabled', 'TypeError');
  if (/^SSLv3_method$/.test(base)) throw codedError('ERR_TLS_INVALID_PROTOCOL_METHOD', 'SSLv3 methods disabled', 'TypeError');
  switch (base) {
    case 'SSLv23_method': // all versions below TLS 1.3, from the default minimum
      return { minVersion: defaultMin, maxVersion: ProtocolVersion['TLSv1.2'] };
    case 'TLS_method':
      return { minVersion: ProtocolVersion.TLSv1, maxVersion: ProtocolVersion['TLSv1.3'] };
    case 'TLSv1_method':
      return { minVersion: ProtocolVersion.TLSv1, maxVersion: ProtocolVersion.TLSv1 };
    case 'TLSv1_1_method':
      return { minVersion: ProtocolVersion['TLSv1.1'], maxVersion: ProtocolVersion['TLSv1.1'] };
    case 'TLSv1_2_method':
      return { minVersion: ProtocolVersion['TLSv1.2'], maxVersion: ProtocolVersion['TLSv1.2'] };
    default:
      throw codedError('ERR_TLS_INVALID_PROTOCOL_METHOD', `Unknown method: ${method}`, 'TypeError');
  }
}

/**
 * minVersion/maxVersion, or the range of `secureProtocol` (which neither may accompany, as in
 * node); a maxVersion above what typetls supports is lowered to it.
 */
export function versionRange(options: TlsOptions): { minVersion: number; maxVersion: number } {
  if (options.secureProtocol) {
    // node refuses the combination before it looks at the method's name.
    for (const v of [options.minVersion, options.maxVersion]) {
      if (v !== undefined && v !== null) {
        throw codedError(
          'ERR_TLS_PROTOCOL_VERSION_CONFLICT',
          `TLS protocol version ${JSON.stringify(v)} conflicts with secureProtocol ${JSON.stringify(options.secureProtocol)}`,
          'TypeError',
        );
      }
    }
    if (typeof options.secureProtocol === 'string') {
      return secureProtocolRange(options.secureProtocol, parseVersion(DEFAULT_MIN_VERSION, 'minVersion'));
    }
  }
  const minVersion = parseVersion(options.minVersion ?? DEFAULT_MIN_VERSION, 'minVersion');
  const maxVersion = Math.min(parseVersion(options.maxVersion ?? DEFAULT_MAX_VERSION, 'maxVersion'), HIGHEST_VERSION);
  return { minVersion, maxVersion };
}

/**
 * The types of createSecureContext()'s options, checked as node checks them (same codes and
 * messages), before anything is parsed.
 */
export function validateContextOptions(options: TlsOptions): void {
  const o = options as Record<string, unknown>;
  if (o.ca) (Array.isArray(o.ca) ? o.ca : [o.ca]).forEach((c) => validateKeyOrCert('options.ca', c));
  if (o.cert) (Array.isArray(o.cert) ? o.cert : [o.cert]).forEach((c) => validateKeyOrCert('options.cert', c));
  if (o.key) {
    for (const k of Array.isArray(o.key) ? o.key : [o.key]) {
      if (isExternalKey(k)) continue;
      const entry = k as { pem?: unknown; passphrase?: unknown } | undefined;
      const pem = entry?.pem !== undefined ? entry.pem : k;
      const passphrase = entry?.passphrase ?? o.passphrase;
      if (passphrase !== undefined && passphrase !== null) validateString(passphrase, 'options.passphrase');
      validateKeyOrCert('options.key', pem);
    }
  }
  if (o.sigalgs) validateString(o.sigalgs, 'options.sigalgs');
  if (o.ciphers !== undefined && o.ciphers !== null) validateString(o.ciphers, 'options.ciphers');
  if (o.ecdhCurve !== undefined && o.ecdhCurve !== null) validateString(o.ecdhCurve, 'options.ecdhCurve');
  if (o.sessionIdContext) validateString(o.sessionIdContext, 'options.sessionIdContext');
  if (o.ticketKeys !== undefined && o.ticketKeys !== null) {
    validateBinary(o.ticketKeys, 'options.ticketKeys');
    const length = (o.ticketKeys as ArrayBufferView).byteLength;
    if (length !== 48) throw invalidArgValue('options.ticketKeys', length, 'must be exactly 48 bytes');
  }
  if (o.sessionTimeout !== undefined && o.sessionTimeout !== null) {
    const t = o.sessionTimeout;
    if (typeof t !== 'number') throw invalidArgType('options.sessionTimeout', 'number', t);
    if (!Number.isInteger(t)) throw outOfRange('options.sessionTimeout', 'an integer', t);
    if (t < 0 || t > 2147483647) throw outOfRange('options.sessionTimeout', '>= 0 && <= 2147483647', t);
  }
}


/**
 * An error as node reports an OpenSSL failure: the message in OpenSSL's form
 * (`error:0A0000B9:SSL routines::no cipher match`), with `library`, `reason` and `code`.
 */
export function opensslError(reason: string, code: string, packed: string, library = 'SSL routines'): Error & { code: string } {
  const err = codedError(code, `error:${packed}:${library}::${reason}`) as Error & { code: string; library: string; reason: string };
  err.library = library;
  err.reason = reason;
  return err;
}

/** OpenSSL's packed error numbers for the reasons node can report from a cipher string. */
const cipherStringErrors: Record<string, string> = { ERR_SSL_NO_CIPHER_MATCH: '0A0000B9', ERR_SSL_INVALID_COMMAND: '0A000118' };

function asOpensslError(e: unknown): unknown {
  if (e instanceof TlsError && cipherStringErrors[e.code] !== undefined) return opensslError(e.message, e.code, cipherStringErrors[e.code]!);
  return e;
}

/** What a node `ciphers` string selects. */
export interface CipherSelection {
  /** The suites typetls implements, TLS 1.3 first, each in the string's order of preference. */
  readonly cipherSuites: number[];
  /** No TLS 1.2 suite is named at all: node then raises the lowest version to TLS 1.3. */
  readonly tls13Only: boolean;
  /** The OpenSSL security level (@SECLEVEL=n; 1 when not given, as in node). */
  readonly securityLevel: number;
}

const selectionCache = new Map<string, CipherSelection>();

/**
 * node's `ciphers`: one OpenSSL string for both protocol generations. As node does, the entries
 * (split at ':') starting with TLS_ (or !TLS_, which matches nothing) are TLS 1.3 suites, read as SSL_CTX_set_ciphersuites reads
 * them (when none is named, OpenSSL's defaults stay); the rest is an OpenSSL cipher string for
 * TLS 1.2 and below (src/cipher-string.ts). Suites OpenSSL has and typetls does not are left
 * out. Errors are node's: ERR_INVALID_ARG_VALUE when both parts are empty, ERR_SSL_NO_CIPHER_MATCH
 * when a part selects nothing, ERR_SSL_INVALID_COMMAND for an unreadable rule. typetls also takes
 * IANA names of TLS 1.2 suites (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256), which OpenSSL cannot use.
 */
export function selectCiphers(ciphers: string | null | undefined, option = 'options.ciphers'): CipherSelection {
  // Without `ciphers`, tls.DEFAULT_CIPHERS as the module holds it now (node reads it at each use).
  const text = ciphers || DEFAULT_CIPHERS;
  const cached = selectionCache.get(text);
  if (cached) return cached;
  const entries = text.split(':');
  const isSuiteName = (c: string): boolean => c.startsWith('TLS_') || c.startsWith('!TLS_');
  const list = entries.filter((c) => c.length > 0 && !isSuiteName(c)).join(':');
  const named13 = entries.filter((c) => c.length > 0 && isSuiteName(c)).join(':');
  if (list === '' && named13 === '') {
    throw codedError('ERR_INVALID_ARG_VALUE', `The property '${option}' is invalid. Received ${inspect(entries)}`, 'TypeError');
  }
  let standardNames: string[];
  let expanded: CipherList | undefined;
  try {
    standardNames = parseCipherSuites(named13 === '' ? OPENSSL_DEFAULT_CIPHERSUITES : named13);
    expanded = list === '' ? undefined : expandCipherString(list);
  } catch (e) {
    throw asOpensslError(e);
  }
  const ids: number[] = [];
  const add = (name: string): void => {
    const s = suiteByName(name);
    if (s && !ids.includes(s.id)) ids.push(s.id);
  };
  for (const name of standardNames) if (cipherSuites.find((s) => s.standardName === name)?.tls13) add(name);
  for (const name of standardNames) if (!cipherSuites.find((s) => s.standardName === name)?.tls13) add(name);
  for (const c of expanded?.ciphers ?? []) add(c.name);
  const tls12Named = expanded !== undefined || standardNames.some((n) => !n.startsWith('TLS_AES_') && !n.startsWith('TLS_CHACHA20_'));
  const selection = { cipherSuites: ids, tls13Only: !tls12Named, securityLevel: expanded?.securityLevel ?? 1 };
  selectionCache.set(text, selection);
  if (selectionCache.size > 64) selectionCache.delete(selectionCache.keys().next().value!);
  return selection;
}

const groupByName: Readonly<Record<string, number>> = {
  x25519mlkem768: NamedGroup.X25519MLKEM768,
  x25519: NamedGroup.x25519,
  x448: NamedGroup.x448,
  'p-256': NamedGroup.secp256r1,
  prime256v1: NamedGroup.secp256r1,
  secp256r1: NamedGroup.secp256r1,
  'p-384': NamedGroup.secp384r1,
  secp384r1: NamedGroup.secp384r1,
  'p-521': NamedGroup.secp521r1,
  secp521r1: NamedGroup.secp521r1,
  ffdhe2048: NamedGroup.ffdhe2048,
  ffdhe3072: NamedGroup.ffdhe3072,
  ffdhe4096: NamedGroup.ffdhe4096,
  ffdhe6144: NamedGroup.ffdhe6144,
  ffdhe8192: NamedGroup.ffdhe8192,
};

/** node:tls ecdhCurve: 'X25519:P-256:P-384' (or OpenSSL names, ffdhe2048 to ffdhe8192 too); 'auto' means the defaults. */
export function parseCurveList(list: string): number[] {
  if (list.trim().toLowerCase() === 'auto') return [...defaultGroups];
  const groups: number[] = [];
  for (const raw of list.split(/[:,]+/)) {
    const name = raw.trim();
    if (name === '') continue;
    const g = groupByName[name.toLowerCase()];
    if (g === undefined) throw codedError('ERR_CRYPTO_OPERATION_FAILED', `unknown ECDH curve ${JSON.stringify(name)}`);
    if (!groups.includes(g)) groups.push(g);
  }
  if (groups.length === 0) throw codedError('ERR_CRYPTO_OPERATION_FAILED', 'ecdhCurve names no curve');
  return groups;
}

/** ALPNProtocols: an array of names (strings or Buffers), or one buffer in wire format (RFC 7301 Section 3.1). */
export function parseAlpnProtocols(value: TlsOptions['ALPNProtocols']): string[] {
  if (value === undefined) return [];
  const decoder = new TextDecoder();
  if (value instanceof Uint8Array) {
    const names: string[] = [];
    for (let i = 0; i < value.length; ) {
      const len = value[i]!;
      if (len === 0 || i + 1 + len > value.length) {
        throw codedError('ERR_INVALID_ARG_VALUE', 'ALPNProtocols in wire format has a bad length byte', 'TypeError');
      }
      names.push(decoder.decode(value.subarray(i + 1, i + 1 + len)));
      i += 1 + len;
    }
    return names;
  }
  return value.map((p) => (typeof p === 'string' ? p : decoder.decode(p)));
}

function isSigner(k: unknown): k is KeySigner {
  return isExternalKey(k) && typeof (k as { sign?: unknown }).sign === 'function' && typeof (k as { type?: unknown }).type !== 'string';
}

function asArray<T>(v: T | readonly T[] | undefined): T[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? [...(v as readonly T[])] : [v as T];
}

function asText(v: BinaryLike): string {
  return typeof v === 'string' ? v : new TextDecoder().decode(v);
}

function looksLikePem(v: BinaryLike): boolean {
  return typeof v === 'string' || /^\s*-----BEGIN /.test(new TextDecoder().decode(v.subarray(0, 64)));
}

/** Certificates from PEM text (several per string allowed) or one DER buffer each. */
/**
 * Certificates parsed from a PEM text or DER, by content: a client that passes the same `ca`
 * to every connect() parses it once (it was a tenth of a client handshake's time).
 */
const parsedCache = new Map<string, readonly Certificate[]>();
const PARSED_CACHE_ENTRIES = 64;

function parseItem(item: BinaryLike, skipBad: boolean): readonly Certificate[] {
  const key = `${skipBad ? 1 : 0}:${typeof item === 'string' ? item : Buffer.from(item as Uint8Array).toString('latin1')}`;
  const cached = parsedCache.get(key);
  if (cached) return cached;
  const parsed = parseItemUncached(item, skipBad);
  parsedCache.set(key, parsed);
  if (parsedCache.size > PARSED_CACHE_ENTRIES) parsedCache.delete(parsedCache.keys().next().value!);
  return parsed;
}

export function loadCertificateList(input: BinaryLike | readonly BinaryLike[] | undefined, skipBad = false): Certificate[] {
  const out: Certificate[] = [];
  for (const item of asArray(input)) out.push(...parseItem(item, skipBad));
  return out;
}

function parseItemUncached(item: BinaryLike, skipBad: boolean): Certificate[] {
  const ders = looksLikePem(item)
    ? pemDecode(asText(item))
        .filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE' || b.label === 'X509 CERTIFICATE')
        .map((b) => b.der)
    : [item as Uint8Array];
  const out: Certificate[] = [];
  for (const der of ders) {
    if (!skipBad) {
      out.push(parseCertificate(der));
      continue;
    }
    try {
      out.push(parseCertificate(der));
    } catch {
      // A root our parser rejects cannot anchor anything we accept: leave it out.
    }
  }
  return out;
}

let defaultRootsCache: readonly Certificate[] | undefined;

/** NODE_EXTRA_CA_CERTS as the process started with it (node reads it once, at startup). */
const extraCaFile = process.env.NODE_EXTRA_CA_CERTS;

/**
 * The certificates of NODE_EXTRA_CA_CERTS (a PEM file), added to the default roots as node adds
 * them. A file that cannot be read or parsed adds nothing: node itself has already warned
 * about it at startup.
 */
function extraRoots(): Certificate[] {
  if (!extraCaFile) return [];
  try {
    return loadCertificateList(readFileSync(extraCaFile, 'latin1'), true);
  } catch {
    return [];
  }
}

/**
 * node:tls rootCertificates and NODE_EXTRA_CA_CERTS, parsed once on first use; roots the parser
 * rejects are skipped. A `ca` option replaces them all, as in node.
 */
export function defaultRoots(): readonly Certificate[] {
  defaultRootsCache ??= [...loadCertificateList(nodeRootCertificates, true), ...extraRoots()];
  return defaultRootsCache;
}

const encryptedKey = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/;

/**
 * A key as node takes it. An encrypted PEM key (PKCS#8 or a traditional Proc-Type key) is
 * decrypted by node:crypto with the passphrase; a wrong or missing one fails with node's
 * ERR_OSSL_BAD_DECRYPT ("bad decrypt"). A passphrase given for a plain key is ignored.
 */
function loadKey(provider: CryptoProvider, key: BinaryLike, passphrase: string | undefined) {
  if (looksLikePem(key)) {
    const text = asText(key);
    if (encryptedKey.test(text)) {
      const decrypted = createPrivateKey({ key: text, format: 'pem', passphrase: passphrase ?? '' });
      return provider.loadPrivateKey(new Uint8Array(decrypted.export({ format: 'der', type: 'pkcs8' })));
    }
    return provider.loadPrivateKey(text);
  }
  return provider.loadPrivateKey(key as Uint8Array);
}

/** The security strength in bits of a key or certificate key of this algorithm and size (NIST SP 800-57, as OpenSSL counts it). */
function securityBits(algorithm: string, bits: number): number {
  if (algorithm === 'ec' || algorithm === 'ed25519') return Math.floor(bits / 2);
  for (const [size, strength] of [[15360, 256], [7680, 192], [3072, 128], [2048, 112], [1024, 80]] as const) if (bits >= size) return strength;
  return bits >= 512 ? 56 : 0;
}

/** The least security strength each OpenSSL security level (0 to 5) accepts. */
const levelBits = [0, 80, 112, 128, 192, 256];

/**
 * OpenSSL's security level applied to our own certificates, as node applies it when they are
 * loaded: a key below the level fails with ERR_SSL_EE_KEY_TOO_SMALL ("ee key too small").
 */
function checkKeyStrength(pairs: readonly CertifiedKey[], level: number): void {
  const least = levelBits[level] ?? 0;
  for (const pair of pairs) {
    if (securityBits(pair.key.algorithm, pair.key.bits) < least) throw opensslError('ee key too small', 'ERR_SSL_EE_KEY_TOO_SMALL', '0A00018F');
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * cert/key pairs: each `cert` entry is a chain (leaf first) in one PEM; each `key` entry is
 * matched to the chain whose leaf carries its public key.
 */
export function loadCertifiedKeys(options: TlsOptions, provider: CryptoProvider, pfx = loadPfx(options, provider)): CertifiedKey[] {
  const chains = asArray(options.cert).map((c) => loadCertificateList(c));
  // Keys held elsewhere: signer objects know their public key; a CryptoKey is matched to a certificate below.
  const cryptoKeys = asArray(options.key).filter((k): k is webcrypto.CryptoKey => isExternalKey(k) && !isSigner(k));
  const keys = asArray(options.key).filter((k) => !cryptoKeys.includes(k as webcrypto.CryptoKey)).map((k) =>
    isSigner(k)
      ? signerKey(provider, k)
      : typeof k === 'object' && !(k instanceof Uint8Array)
        ? loadKey(provider, (k as { pem: BinaryLike }).pem, (k as { passphrase?: string }).passphrase ?? options.passphrase)
        : loadKey(provider, k as BinaryLike, options.passphrase),
  );
  if (chains.length === 0 && keys.length === 0 && cryptoKeys.length === 0) return pfx.pairs;
  if (chains.length === 0) throw codedError('ERR_TLS_MISSING_CERT', 'a key was given without a certificate');
  if (keys.length === 0 && cryptoKeys.length === 0) throw codedError('ERR_TLS_MISSING_KEY', 'a certificate was given without its private key');
  const pairs: CertifiedKey[] = [];
  const cas = options.ca ? loadCertificateList(options.ca) : [];
  for (const given of chains) {
    if (given.length === 0) throw codedError('ERR_TLS_MISSING_CERT', 'a cert entry holds no certificate');
    const chain = completeChain(given, cas);
    const leaf = chain[0]!;
    const cryptoKey = cryptoKeys.find((k) => cryptoKeyFits(provider, k, leaf));
    const key = keys.find((k) => bytesEqual(k.spki, leaf.subjectPublicKeyInfo)) ?? (cryptoKey && cryptoKeyKey(provider, cryptoKey, leaf));
    if (!key) throw codedError('ERR_OSSL_X509_KEY_VALUES_MISMATCH', 'key values mismatch: no private key matches the certificate');
    pairs.push({ chain, key, ...(options.ocspResponse !== undefined ? { ocspResponse: new Uint8Array(options.ocspResponse) } : {}) });
  }
  return [...pairs, ...pfx.pairs];
}

/** The pairs of node's `pfx` option, after those of cert/key as node loads them, and the files' other certificates. */
export function loadPfx(options: TlsOptions, provider: CryptoProvider): { pairs: CertifiedKey[]; otherCertificates: Certificate[] } {
  const pairs: CertifiedKey[] = [];
  const otherCertificates: Certificate[] = [];
  if (options.pfx === undefined || options.pfx === null) return { pairs, otherCertificates };
  const files = Array.isArray(options.pfx)
    ? (options.pfx as readonly (BinaryLike | { buf: BinaryLike; passphrase?: string })[]).map((v) =>
        typeof v === 'object' && !(v instanceof Uint8Array) ? { buf: v.buf, passphrase: v.passphrase || options.passphrase } : { buf: v, passphrase: options.passphrase },
      )
    : [{ buf: options.pfx as BinaryLike, passphrase: options.passphrase || undefined }];
  for (const file of files) {
    const bytes = typeof file.buf === 'string' ? Buffer.from(file.buf) : file.buf;
    const { key, certificates } = readPkcs12(bytes, file.passphrase ?? undefined);
    const chain = certificates.map((der) => parseCertificate(der));
    pairs.push({ chain, key: provider.loadPrivateKey(new Uint8Array(key.export({ format: 'der', type: 'pkcs8' }))) });
    otherCertificates.push(...chain.slice(1));
  }
  return { pairs, otherCertificates };
}

/** The roots and the other certificates of pfx files (the same array when there are none). */
function withPfxCertificates(roots: readonly Certificate[], others: readonly Certificate[]): readonly Certificate[] {
  return others.length === 0 ? roots : [...roots, ...others];
}

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean => a !== undefined && b !== undefined && bytesEqual(a, b);

/** Whether `issuer` names and keys what `cert` says issued it. */
function issued(issuer: Certificate, cert: Certificate): boolean {
  if (!bytesEqual(issuer.subject.raw, cert.issuer.raw)) return false;
  if (cert.authorityKeyIdentifier && issuer.subjectKeyIdentifier) return sameBytes(cert.authorityKeyIdentifier, issuer.subjectKeyIdentifier);
  return true;
}

/**
 * node (OpenSSL's certificate chain from the context's store): a `cert` chain that stops short
 * of a self-signed root is completed with its issuers found in `ca`, so a server given the leaf
 * alone and the intermediate in `ca` sends both. The root itself is left for the client to hold.
 */
function completeChain(chain: readonly Certificate[], cas: readonly Certificate[]): readonly Certificate[] {
  const out = [...chain];
  for (let last = out.at(-1)!; out.length < 10 && !bytesEqual(last.subject.raw, last.issuer.raw); ) {
    const issuer = cas.find((c) => issued(c, last) && !out.includes(c));
    if (!issuer || bytesEqual(issuer.subject.raw, issuer.issuer.raw)) break;
    out.push(issuer);
    last = issuer;
  }
  return out;
}

/** The parts of ClientConfig/ServerConfig both roles take from node:tls options. */
function commonConfig(options: TlsOptions) {
  const provider = options.provider ?? nodeCryptoProvider;
  // The ciphers first, as node sets them: @SECLEVEL=n applies to the keys loaded after.
  const selection = selectCiphers(options.ciphers);
  const range = versionRange(options);
  // node: a string naming no TLS 1.2 suite leaves TLS 1.3 alone.
  if (selection.tls13Only && range.minVersion < ProtocolVersion['TLSv1.3'] && range.maxVersion >= ProtocolVersion['TLSv1.3']) {
    range.minVersion = ProtocolVersion['TLSv1.3'];
  }
  const dhParams = readDhparam(options.dhparam);
  const pfx = loadPfx(options, provider);
  const certificates = loadCertifiedKeys(options, provider, pfx);
  checkKeyStrength(certificates, selection.securityLevel);
  return {
    provider,
    ...range,
    // Read (and checked) with the rest of the context, as node does; only a server uses it.
    dhParams,
    cipherSuites: selection.cipherSuites,
    groups: parseCurveList(options.ecdhCurve ?? DEFAULT_ECDH_CURVE),
    alpnProtocols: parseAlpnProtocols(options.ALPNProtocols),
    // node trusts the other certificates of a pfx file too.
    roots: withPfxCertificates(options.ca !== undefined ? loadCertificateList(options.ca) : defaultRoots(), pfx.otherCertificates),
    rejectUnauthorized: options.rejectUnauthorized ?? true,
    certificates,
    trace: options.trace,
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
    requestOcsp: options.requestOCSP ?? false,
    requireOcsp: options.requireOCSP ?? false,
    certificateProfile: options.certificateProfile ?? 'node',
    // node's sigalgs: what we offer and accept, and what a server's CertificateRequest names.
    ...(options.sigalgs ? { signatureSchemes: parseSigalgs(options.sigalgs) } : {}),
    commonNameFallback: options.commonNameFallback ?? false,
    ...(options.crl !== undefined ? { crls: parseCrls(asArray(options.crl).map((c) => (typeof c === 'string' ? c : new Uint8Array(c as Uint8Array)))) } : {}),
  };
}

export function toClientConfig(options: TlsOptions): ClientConfig {
  return clientConfig(commonConfig(options));
}

/** The server-only options. */
/** node's TLSSocket: ALPNCallback, when given, is a function. */
export function validateAlpnCallback(options: TlsOptions): TlsOptions['ALPNCallback'] {
  const callback = options.ALPNCallback;
  if (callback === undefined || callback === null) return undefined;
  if (typeof callback !== 'function') throw invalidArgType('options.ALPNCallback', 'function', callback);
  return callback;
}

/**
 * SNICallback as the engine's certificatesFor: the context's certificates, and its roots for
 * client certificates (as node switches the whole context), when it answers at once.
 */
export function certificatesFor(
  callback: NonNullable<TlsOptions['SNICallback']>, chose?: (context: SecureContext) => void,
): (name: string | undefined) => NamedContext | undefined {
  return (name) => {
    if (name === undefined) return undefined;
    let chosen: SecureContext | undefined;
    callback(name, (err, ctx) => {
      if (!err && ctx instanceof SecureContext) chosen = ctx;
    });
    if (chosen) chose?.(chosen);
    return chosen && { certificates: chosen.certificates, roots: chosen.clientConfig.roots };
  };
}

/** SNI lookups known to answer before they return (the server's addContext() lookup): no need to wait for them. */
const synchronousSniCallbacks = new WeakSet<object>();

export function answersAtOnce<T extends NonNullable<TlsOptions['SNICallback']>>(callback: T): T {
  synchronousSniCallbacks.add(callback);
  return callback;
}

export function isAnsweredAtOnce(callback: unknown): boolean {
  return typeof callback === 'function' && synchronousSniCallbacks.has(callback);
}

/**
 * node's dhparam: DHE only when it is given ('auto', or PEM DH parameters), as node's OpenSSL
 * has no DH group otherwise. With 'auto' the server negotiates an RFC 7919 group (ffdhe2048, or
 * one the client names); with PEM parameters it uses their prime and generator, as OpenSSL does.
 * A prime below 1024 bits is refused and one below 2048 warned about, with node's messages.
 */
function readDhparam(dhparam: TlsOptions['dhparam']): DhParams | undefined {
  if (dhparam === undefined || dhparam === null || dhparam === 'auto') return undefined;
  const block = pemDecode(asText(dhparam)).find((b) => b.label === 'DH PARAMETERS');
  if (!block) return undefined; // node ignores what it cannot read as DH parameters
  const params = DerReader.readAll(block.der, 'DHParameter', (r) => {
    const seq = r.sequence('DHParameter');
    const p = seq.integer('prime');
    const g = seq.integer('base');
    return { p, g };
  });
  const bits = bitLength(params.p);
  if (bits < MIN_SERVER_DH_BITS) throw codedError('ERR_INVALID_ARG_VALUE', 'DH parameter is less than 1024 bits', 'TypeError');
  if (bits < 2048) process.emitWarning('DH parameter is less than 2048 bits', 'SecurityWarning');
  return params;
}

function serverOnly(options: TlsOptions) {
  const withDhe = options.dhparam !== undefined && options.dhparam !== null;
  return {
    // The keys are looked up per connection (TLSSocket binds pskCallback to its socket); this marks
    // the context as one with keys, so that it may do without a certificate and choose PSK suites.
    ...(typeof options.pskCallback === 'function' ? { pskForIdentity: () => undefined } : {}),
    ...(withDhe ? {} : { cipherSuites: selectCiphers(options.ciphers).cipherSuites.filter((id) => !/^dhe/.test(suiteById(id)?.kx ?? '')) }),
    // Always a lookup, as node starts a server without any certificate: the name may find one.
    certificatesFor: options.SNICallback ? certificatesFor(options.SNICallback) : () => undefined,
    requestCert: options.requestCert ?? false,
    preferServerCipherOrder: options.honorCipherOrder ?? true,
    ...(options.sessionTimeout !== undefined ? { sessionTimeout: options.sessionTimeout } : {}),
    ...((options.secureOptions ?? 0) & SSL_OP_NO_TICKET ? { issueTickets: false } : {}),
    ...(options.maxEarlyData !== undefined ? { maxEarlyData: options.maxEarlyData } : {}),
    ...(options.ticketKeys !== undefined ? { ticketKeys: [new Uint8Array(options.ticketKeys)] } : {}),
    ...(options.sessionStore !== undefined ? { sessionStore: options.sessionStore } : {}),
  };
}

/**
 * What a server TLSSocket's own options change in its context's server config (node passes
 * them to each socket: the server's requestCert, rejectUnauthorized, ALPNProtocols and SNICallback).
 */
export function serverSocketOptions(options: TlsOptions): Partial<ServerConfig> {
  return {
    ...(options.requestCert !== undefined ? { requestCert: options.requestCert === true } : {}),
    ...(options.rejectUnauthorized !== undefined ? { rejectUnauthorized: options.rejectUnauthorized !== false } : {}),
    ...(options.ALPNProtocols !== undefined ? { alpnProtocols: parseAlpnProtocols(options.ALPNProtocols) } : {}),
  };
}

export function toServerConfig(options: TlsOptions): ServerConfig {
  return serverConfig({ ...commonConfig(options), ...serverOnly(options) });
}

/**
 * What node:tls createSecureContext() returns: the options parsed once (certificates, keys,
 * roots, suites), usable by clients and servers alike. The options are checked when it is
 * made; the server config (which needs a certificate) is built on first use.
 */
export class SecureContext {
  readonly options: Readonly<TlsOptions>;
  /** Replaced, never changed in place, by addCACert(): connections already made keep what they had. */
  clientConfig: ClientConfig;
  #serverConfig: ServerConfig | undefined;
  /** The dhparam group, which only a server uses. */
  readonly #dhParams: DhParams | undefined;

  readonly #shared: { readonly ticketKeyRing?: TicketKeyRing };

  /** `shared.ticketKeyRing`: the ticket keys of an earlier context, kept (Server.setSecureContext). */
  constructor(options: TlsOptions = {}, shared: { readonly ticketKeyRing?: TicketKeyRing } = {}) {
    validateContextOptions(options);
    this.options = { ...options };
    const common = commonConfig(options);
    this.clientConfig = clientConfig(common);
    this.#dhParams = common.dhParams;
    this.#shared = shared;
  }

  /** The certificate chains and keys of this context (for SNICallback). */
  get certificates(): readonly CertifiedKey[] {
    return this.clientConfig.certificates;
  }

  /** node's secureContext.context is the native SSL_CTX; here it is the context itself. */
  get context(): this {
    return this;
  }

  /**
   * node's `secureContext.context.addCACert(pem)`: more trusted certificates (one PEM or several,
   * a string or a Buffer) for the connections made with this context from now on.
   */
  addCACert(cert: string | Uint8Array): void {
    if (typeof cert !== 'string' && !(cert instanceof Uint8Array)) throw invalidArgType('cert', ['string', 'Buffer'], cert);
    const roots = [...this.clientConfig.roots, ...loadCertificateList(cert)];
    this.clientConfig = { ...this.clientConfig, roots };
    // The server's config keeps its ticket keys and session cache; only the roots change.
    if (this.#serverConfig) this.#serverConfig = { ...this.#serverConfig, roots };
  }

  get serverConfig(): ServerConfig {
    // Built once per context: its ticket keys and session cache are shared by its connections.
    this.#serverConfig ??= serverConfig({ ...this.clientConfig, dhParams: this.#dhParams, ...serverOnly(this.options), ...this.#shared });
    return this.#serverConfig;
  }
}
