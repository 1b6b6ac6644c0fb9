// node:tls options → the core's ClientConfig / ServerConfig.
//
// Everything node-specific about option names and input shapes (strings, Buffers, arrays of
// either, OpenSSL cipher strings, curve lists) is handled here, so the core configs stay
// free of node:tls vocabulary.

import { rootCertificates as nodeRootCertificates } from 'node:tls';
import type { SessionStore, TicketKeyRing } from '../handshake/resumption.js';
import { clientConfig, serverConfig, defaultGroups, type CertifiedKey, type ClientConfig, type Limits, type ServerConfig } from '../config.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { nodeCryptoProvider } from '../crypto/node.js';
import { cipherSuites, suiteByName } from '../suites.js';
import type { Annotator } from '../trace.js';
import { NamedGroup, ProtocolVersion } from '../wire/enums.js';
import { parseCertificate, type Certificate } from '../x509/certificate.js';
import { pemDecode } from '../x509/pem.js';

/** Bytes as node:tls accepts them. */
export type BinaryLike = string | Uint8Array;

/** The node:tls options typetls understands (plus `trace` and `provider`). Unknown options are ignored. */
export interface TlsOptions {
  minVersion?: string;
  maxVersion?: string;
  ciphers?: string;
  ecdhCurve?: string;
  ca?: BinaryLike | readonly BinaryLike[];
  cert?: BinaryLike | readonly BinaryLike[];
  key?: BinaryLike | readonly (BinaryLike | { pem: BinaryLike; passphrase?: string })[];
  passphrase?: string;
  pfx?: unknown;
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

export const DEFAULT_MIN_VERSION = 'TLSv1.2';
/** The highest version typetls negotiates, and the default maxVersion (node's is also TLS 1.3). */
export const DEFAULT_MAX_VERSION = 'TLSv1.3';

/** A node-style error: an Error (or TypeError) carrying a `code`. */
export function codedError(code: string, message: string, type: 'Error' | 'TypeError' = 'Error'): Error & { code: string } {
  const e = (type === 'TypeError' ? new TypeError(message) : new Error(message)) as Error & { code: string };
  e.code = code;
  return e;
}

export function parseVersion(name: string, option: 'minVersion' | 'maxVersion'): number {
  const v = versionByName[name];
  if (v === undefined) {
    throw codedError('ERR_TLS_INVALID_PROTOCOL_VERSION', `${JSON.stringify(name)} is not a valid ${option} TLS protocol version`, 'TypeError');
  }
  return v;
}

/** minVersion/maxVersion; a maxVersion above what typetls supports is lowered to it. */
export function versionRange(options: TlsOptions): { minVersion: number; maxVersion: number } {
  const highest = versionByName[DEFAULT_MAX_VERSION]!;
  const minVersion = parseVersion(options.minVersion ?? DEFAULT_MIN_VERSION, 'minVersion');
  const maxVersion = Math.min(parseVersion(options.maxVersion ?? DEFAULT_MAX_VERSION, 'maxVersion'), highest);
  return { minVersion, maxVersion };
}

/**
 * An OpenSSL-style cipher list ("ECDHE-RSA-AES128-GCM-SHA256:AES256-GCM-SHA384", commas or
 * spaces also separate) of OpenSSL or IANA names → suite ids in that order. Keywords typetls
 * cannot map (HIGH, DEFAULT, !aNULL, ECDHE+AESGCM, @STRENGTH) are ignored; "!NAME" or "-NAME"
 * of a known suite removes it. Named TLS 1.3 suites replace the default 1.3 ones, as node's
 * single `ciphers` string does; when none is named, the 1.3 defaults stay.
 */
export function parseCipherList(list: string): number[] {
  const chosen: number[] = [];
  const removed = new Set<number>();
  for (const raw of list.split(/[:, ]+/)) {
    const token = raw.trim();
    if (token === '') continue;
    if (token.startsWith('!') || token.startsWith('-')) {
      const s = suiteByName(token.slice(1));
      if (s) removed.add(s.id);
      continue;
    }
    const s = suiteByName(token.startsWith('+') ? token.slice(1) : token);
    if (s && !chosen.includes(s.id)) chosen.push(s.id);
  }
  const ids = chosen.filter((id) => !removed.has(id));
  if (ids.length === 0) {
    throw codedError('ERR_TLS_INVALID_CIPHER', `no cipher suite in ${JSON.stringify(list)} is supported`, 'TypeError');
  }
  const tls12 = ids.filter((id) => !cipherSuites.find((s) => s.id === id)!.tls13);
  const tls13 = ids.filter((id) => cipherSuites.find((s) => s.id === id)!.tls13);
  const tls13Defaults = cipherSuites.filter((s) => s.tls13 && !removed.has(s.id)).map((s) => s.id);
  return [...(tls13.length ? tls13 : tls13Defaults), ...tls12];
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
};

/** node:tls ecdhCurve: 'X25519:P-256:P-384' (or OpenSSL names); 'auto' means the defaults. */
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

/** node:tls rootCertificates, parsed once on first use; roots the parser rejects are skipped. */
export function defaultRoots(): readonly Certificate[] {
  defaultRootsCache ??= loadCertificateList(nodeRootCertificates, true);
  return defaultRootsCache;
}

const encryptedKey = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/;

function loadKey(provider: CryptoProvider, key: BinaryLike, passphrase: string | undefined) {
  if (looksLikePem(key)) {
    const text = asText(key);
    if (encryptedKey.test(text)) {
      throw codedError(
        'ERR_TLS_UNSUPPORTED_KEY',
        passphrase === undefined
          ? 'the private key is encrypted and no passphrase was given (encrypted keys are not supported: decrypt it first)'
          : 'encrypted private keys (passphrase) are not supported: decrypt the key first',
      );
    }
    return provider.loadPrivateKey(text);
  }
  return provider.loadPrivateKey(key as Uint8Array);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * cert/key pairs: each `cert` entry is a chain (leaf first) in one PEM; each `key` entry is
 * matched to the chain whose leaf carries its public key.
 */
export function loadCertifiedKeys(options: TlsOptions, provider: CryptoProvider): CertifiedKey[] {
  if (options.pfx !== undefined) throw codedError('ERR_TLS_UNSUPPORTED_OPTION', 'the pfx option is not supported: use cert and key');
  const chains = asArray(options.cert).map((c) => loadCertificateList(c));
  const keys = asArray(options.key).map((k) =>
    typeof k === 'object' && !(k instanceof Uint8Array)
      ? loadKey(provider, k.pem, k.passphrase ?? options.passphrase)
      : loadKey(provider, k as BinaryLike, options.passphrase),
  );
  if (chains.length === 0 && keys.length === 0) return [];
  if (chains.length === 0) throw codedError('ERR_TLS_MISSING_CERT', 'a key was given without a certificate');
  if (keys.length === 0) throw codedError('ERR_TLS_MISSING_KEY', 'a certificate was given without its private key');
  const pairs: CertifiedKey[] = [];
  for (const chain of chains) {
    if (chain.length === 0) throw codedError('ERR_TLS_MISSING_CERT', 'a cert entry holds no certificate');
    const leaf = chain[0]!;
    const key = keys.find((k) => bytesEqual(k.spki, leaf.subjectPublicKeyInfo));
    if (!key) throw codedError('ERR_OSSL_X509_KEY_VALUES_MISMATCH', 'key values mismatch: no private key matches the certificate');
    pairs.push({ chain, key, ...(options.ocspResponse !== undefined ? { ocspResponse: new Uint8Array(options.ocspResponse) } : {}) });
  }
  return pairs;
}

/** The parts of ClientConfig/ServerConfig both roles take from node:tls options. */
function commonConfig(options: TlsOptions) {
  const provider = options.provider ?? nodeCryptoProvider;
  return {
    provider,
    ...versionRange(options),
    ...(options.ciphers !== undefined ? { cipherSuites: parseCipherList(options.ciphers) } : {}),
    ...(options.ecdhCurve !== undefined ? { groups: parseCurveList(options.ecdhCurve) } : {}),
    alpnProtocols: parseAlpnProtocols(options.ALPNProtocols),
    roots: options.ca !== undefined ? loadCertificateList(options.ca) : defaultRoots(),
    rejectUnauthorized: options.rejectUnauthorized ?? true,
    certificates: loadCertifiedKeys(options, provider),
    trace: options.trace,
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
    requestOcsp: options.requestOCSP ?? false,
  };
}

export function toClientConfig(options: TlsOptions): ClientConfig {
  return clientConfig(commonConfig(options));
}

/** The server-only options. */
/** SNICallback as the engine's certificatesFor: the context's certificates, when it answers at once. */
function certificatesFor(callback: NonNullable<TlsOptions['SNICallback']>): (name: string | undefined) => readonly CertifiedKey[] | undefined {
  return (name) => {
    if (name === undefined) return undefined;
    let chosen: SecureContext | undefined;
    callback(name, (err, ctx) => {
      if (!err && ctx instanceof SecureContext) chosen = ctx;
    });
    return chosen?.certificates;
  };
}

function serverOnly(options: TlsOptions) {
  return {
    ...(options.SNICallback ? { certificatesFor: certificatesFor(options.SNICallback) } : {}),
    requestCert: options.requestCert ?? false,
    preferServerCipherOrder: options.honorCipherOrder ?? true,
    ...(options.sessionTimeout !== undefined ? { sessionTimeout: options.sessionTimeout } : {}),
    ...((options.secureOptions ?? 0) & SSL_OP_NO_TICKET ? { issueTickets: false } : {}),
    ...(options.maxEarlyData !== undefined ? { maxEarlyData: options.maxEarlyData } : {}),
    ...(options.ticketKeys !== undefined ? { ticketKeys: [new Uint8Array(options.ticketKeys)] } : {}),
    ...(options.sessionStore !== undefined ? { sessionStore: options.sessionStore } : {}),
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
  readonly clientConfig: ClientConfig;
  #serverConfig: ServerConfig | undefined;

  readonly #shared: { readonly ticketKeyRing?: TicketKeyRing };

  /** `shared.ticketKeyRing`: the ticket keys of an earlier context, kept (Server.setSecureContext). */
  constructor(options: TlsOptions = {}, shared: { readonly ticketKeyRing?: TicketKeyRing } = {}) {
    this.options = { ...options };
    this.clientConfig = clientConfig(commonConfig(options));
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

  get serverConfig(): ServerConfig {
    // Built once per context: its ticket keys and session cache are shared by its connections.
    this.#serverConfig ??= serverConfig({ ...this.clientConfig, ...serverOnly(this.options), ...this.#shared });
    return this.#serverConfig;
  }
}
