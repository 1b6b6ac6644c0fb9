import type { CryptoProvider, PrivateKey } from './crypto/provider.js';
import { TlsError } from './errors.js';
import { NamedGroup, ProtocolVersion, SignatureScheme } from './wire/enums.js';
import { defaultCipherSuites, suiteById } from './suites.js';
import { MAX_STRUCTURED_HANDSHAKE_BODY } from './wire/messages.js';
import type { Annotator } from './trace.js';
import type { AskFor } from './handshake/requests.js';
import type { Certificate } from './x509/certificate.js';
import type { Crl } from './x509/crl.js';
import type { VerifyProfile } from './x509/verify.js';
import { bitLength, dhPublicInRange, MIN_DHE_BITS, MIN_SERVER_DH_BITS, type DhParams } from './keys/ffdhe.js';
import {
  DEFAULT_TICKET_KEY_LIFETIME, DEFAULT_TICKET_KEY_ROTATION, MAX_TICKET_KEYS, MemorySessionStore, ReplayFilter, TICKET_KEY_LENGTH,
  TicketKeyRing, type SessionStore,
} from './handshake/resumption.js';

/** One certificate chain (leaf first) and the private key of its leaf. */
export interface CertifiedKey {
  readonly chain: readonly Certificate[];
  readonly key: PrivateKey;
  /** A DER OCSP response for the leaf, stapled when the client asks (RFC 6066 Section 8). */
  readonly ocspResponse?: Uint8Array;
}

/** Settings shared by both roles (Go's tls.Config, without node:tls option names). */
export interface CommonConfig {
  readonly provider: CryptoProvider;
  /** Lowest and highest protocol versions, as wire values (ProtocolVersion['TLSv1.2']). */
  readonly minVersion: number;
  readonly maxVersion: number;
  /** Cipher suite ids in order of preference. */
  readonly cipherSuites: readonly number[];
  /** Named groups for (EC)DHE in order of preference. */
  readonly groups: readonly number[];
  /** Signature schemes we accept from the peer and may use ourselves, in order of preference. */
  readonly signatureSchemes: readonly number[];
  /** ALPN protocol names in order of preference; empty for none. */
  readonly alpnProtocols: readonly string[];
  /** Trust anchors for verifying the peer's certificate. */
  readonly roots: readonly Certificate[];
  /** Whether a failed peer certificate check is fatal (node:tls rejectUnauthorized). */
  readonly rejectUnauthorized: boolean;
  /**
   * The certificate rules (docs/certificates.md): 'webpki', the default, or 'node', what node:tls
   * accepts (the node:tls-compatible API uses it).
   */
  readonly certificateProfile: VerifyProfile;
  /** Client, 'webpki' profile: check the server's subject CN when its certificate has no dNSName (private PKIs). */
  readonly commonNameFallback: boolean;
  /** CRLs the peer's chain is checked against (RFC 5280 Section 6.3); when set, each certificate below the anchor needs one. */
  readonly crls: readonly Crl[] | undefined;
  /** Offer / accept the extended master secret (RFC 7627). */
  readonly extendedMasterSecret: boolean;
  /** The clock for certificate validity. */
  readonly now: () => Date;
  /** Receives NSS key-log lines when set. */
  readonly keyLog: ((line: string) => void) | undefined;
  /** Receives trace events when set. */
  readonly trace: Annotator | undefined;
  /** Bounds on what a peer may make us hold; see `Limits`. */
  readonly limits: Limits;
  /**
   * TLS 1.3 PSK modes (RFC 8446 Section 4.2.9), in order of preference: psk_dhe_ke (1), the
   * default, keeps forward secrecy; psk_ke (0), resumption without (EC)DHE, only when listed.
   */
  readonly pskModes: readonly number[];
  /**
   * RFC 8449 record_size_limit to announce: the largest record we accept (for TLS 1.3 counting
   * the inner content type byte, so 16385 is the full size). Undefined announces none; the
   * peer's limit is honoured either way.
   */
  readonly recordSizeLimit: number | undefined;
  /**
   * TLS 1.3 record padding (RFC 8446 Section 5.4): pad each record's inner plaintext to a
   * multiple of this many bytes (hides exact lengths); 0, the default, pads nothing.
   */
  readonly recordPadding: number;
  /**
   * Decisions handed to the caller as 'request' events, answered with Connection.resolve() (see
   * src/handshake/requests.ts and docs/async.md); none by default. A key with `external: true`
   * makes requests whatever this says.
   */
  readonly ask: AskFor;
}

export const PskMode = { psk_ke: 0, psk_dhe_ke: 1 } as const;

/**
 * A pre-shared key agreed outside TLS, and the identity that names it: RFC 4279 (the TLS 1.2
 * PSK suites) and RFC 8446 Section 4.2.11 (a TLS 1.3 external PSK). `hash` is the TLS 1.3 hash
 * the key goes with (RFC 8446 Section 4.2.11: SHA-256 unless agreed otherwise), so the suite
 * chosen must use it; TLS 1.2 ignores it.
 */
export interface ExternalPsk {
  readonly identity: Uint8Array;
  readonly key: Uint8Array;
  readonly hash?: 'sha256' | 'sha384';
}

/**
 * What a peer may make us buffer or repeat, and how long we use one key. A peer
 * over a limit gets the alert the limit names and the connection ends. Every
 * limit is a non-negative integer; the message sizes are at most 2^24 - 1, the
 * largest a handshake message can be (RFC 8446 Section 4), and maxRecordsPerKey
 * is 1 to 2^24.5.
 */
export interface Limits {
  /**
   * The largest handshake message but Certificate and CertificateStatus, in bytes of body
   * (decode_error above). Each message type is also held to the most its structure allows, checked
   * from its header before any of the body is buffered: a ClientHello to 131,396 bytes (every
   * legal one parses: 32,767 suites, 16,383 extensions, a 65,531-byte extension), a ServerHello to
   * 65,607, a Finished to 64. The default, 262,150, is the largest of those (a TLS 1.2 DHE
   * ServerKeyExchange at full size), so by default only the protocol's own limits apply; it also
   * bounds message types we do not know. Lower it to refuse legal but unusually large messages.
   */
  readonly maxHandshakeMessage: number;
  /**
   * The largest Certificate or CertificateStatus message, in bytes of body (decode_error above);
   * default 256 KiB. The protocol allows 2^24 - 1; this is the one message whose legal size we
   * cap below that, as Go does, since a chain that long is a peer making us hold memory.
   */
  readonly maxCertificateMessage: number;
  /** The most certificates in a peer's chain (bad_certificate above); default 10. */
  readonly maxChainLength: number;
  /**
   * The most empty application data records in a row (RFC 5246 Section 6.2.1 allows them,
   * but they cost us work and tell us nothing); the next is unexpected_message. Default 32.
   * Any non-empty record resets the count.
   */
  readonly maxEmptyRecords: number;
  /**
   * The most warning alerts in a row, with no other record between them (user_canceled
   * during a handshake and in TLS 1.3, where any other alert is an error alert whatever its
   * level, RFC 8446 Section 6.2; any warning after a TLS 1.2 handshake); the next is
   * unexpected_message. Default 4. close_notify is not counted.
   */
  readonly maxWarningAlerts: number;
  /**
   * The most compatibility ChangeCipherSpec records dropped in one TLS 1.3 handshake
   * (RFC 8446 Section 5 and Appendix D.4: a peer sends one, two around a HelloRetryRequest);
   * the next is unexpected_message. Default 4.
   */
  readonly maxChangeCipherSpecs: number;
  /**
   * The most post-handshake handshake messages without application data between them:
   * TLS 1.3 KeyUpdate and NewSessionTicket (RFC 8446 Section 4.6), and the HelloRequest or
   * ClientHello that TLS 1.2 refuses with no_renegotiation; the next is unexpected_message.
   * Default 32. Application data from the peer resets the count.
   */
  readonly maxPostHandshakeMessages: number;
  /**
   * Not a bound on the peer but on our own use of a key: the most TLS 1.3 application data
   * records we protect under one write key before we send KeyUpdate and move to the next traffic
   * secret (RFC 8446 Section 5.5). Default 2^23, for every suite. RFC 8446 Section 5.5 and
   * draft-irtf-cfrg-aead-limits put AES-GCM's limit at 2^24.5 full-size records (the attacker's
   * advantage then stays below 2^-57); 2^23 is about a third of that (rustls' confidentiality_limit
   * for AES-GCM), leaving room for the handshake records (KeyUpdate, tickets) this count leaves out.
   * ChaCha20-Poly1305 has no such limit before the 2^64 sequence numbers run out; the same value
   * costs it one KeyUpdate per 128 GiB, cheaper than a second setting. From 1 to 2^24.5.
   */
  readonly maxRecordsPerKey: number;
}

export const defaultLimits: Limits = {
  maxHandshakeMessage: MAX_STRUCTURED_HANDSHAKE_BODY,
  maxCertificateMessage: 256 * 1024,
  maxChainLength: 10,
  maxEmptyRecords: 32,
  maxWarningAlerts: 4,
  maxChangeCipherSpecs: 4,
  maxPostHandshakeMessages: 32,
  maxRecordsPerKey: 2 ** 23,
};

/** The given limits over the defaults; a limit left undefined keeps its default. */
function limitsWithDefaults(given: Partial<Limits> | undefined): Limits {
  const limits: { -readonly [K in keyof Limits]: number } = { ...defaultLimits };
  for (const name of Object.keys(defaultLimits) as (keyof Limits)[]) {
    const value = given?.[name];
    if (value !== undefined) limits[name] = value;
  }
  return limits;
}

/** RFC 8446 Section 4 / RFC 5246 Section 7.4: a handshake message length is a uint24. */
const MAX_HANDSHAKE_LENGTH = 2 ** 24 - 1;
/** RFC 8446 Section 5.5: AES-GCM protects at most 2^24.5 full-size records under one key. */
const MAX_RECORDS_PER_KEY = Math.floor(2 ** 24.5);

/** Every limit a non-negative integer, and the message sizes no more than a handshake message can be. */
function validateLimits(limits: Limits): void {
  for (const name of Object.keys(defaultLimits) as (keyof Limits)[]) {
    const value = limits[name];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new TlsError('api_misuse', `limits.${name} must be a non-negative integer`, { code: 'ERR_OUT_OF_RANGE' });
    }
  }
  for (const name of ['maxHandshakeMessage', 'maxCertificateMessage'] as const) {
    if (limits[name] > MAX_HANDSHAKE_LENGTH) {
      throw new TlsError('api_misuse', `limits.${name} must be at most 2^24 - 1, the largest handshake message`, { code: 'ERR_OUT_OF_RANGE' });
    }
  }
  if (limits.maxRecordsPerKey < 1 || limits.maxRecordsPerKey > MAX_RECORDS_PER_KEY) {
    throw new TlsError('api_misuse', 'limits.maxRecordsPerKey must be 1 to 2^24.5, the AES-GCM limit of RFC 8446 Section 5.5', { code: 'ERR_OUT_OF_RANGE' });
  }
}

export interface ClientConfig extends CommonConfig {
  /** Client certificates, for servers that ask (mutual TLS). */
  readonly certificates: readonly CertifiedKey[];
  /** Ask the server to staple an OCSP response (status_request, RFC 6066 Section 8; node:tls requestOCSP). */
  readonly requestOcsp: boolean;
  /**
   * Check the stapled OCSP response (RFC 6960, see ocsp.ts) and require one: implies requestOcsp.
   * A revoked certificate fails with CERT_REVOKED, a missing or unusable response with OCSP_VERIFY_NEEDED
   * or OCSP_VERIFY_FAILED (under rejectUnauthorized: false, as authorizationError).
   */
  readonly requireOcsp: boolean;
  /**
   * The pre-shared key to use with this server, or undefined for none (node:tls pskCallback).
   * Asked while the ClientHello is built when TLS 1.3 is offered (`hint` undefined: the key is
   * offered as an external PSK, RFC 8446 Section 4.2.11), and again when the server chose a
   * TLS 1.2 PSK suite, with the server's identity hint if it sent one (RFC 4279 Section 2). The
   * PSK suites are offered only when this is set.
   */
  readonly pskForHint: ((hint: Uint8Array | undefined) => ExternalPsk | undefined) | undefined;
  /**
   * The smallest prime a TLS 1.2 DHE server may use, in bits (node:tls minDHSize); a smaller one fails
   * the handshake with insufficient_security and ERR_TLS_DH_PARAM_SIZE. 2048 by default (RFC 7919
   * Section 3, and what logjam taught); at least 1024.
   */
  readonly minDhBits: number;
}

/** What a server uses for one SNI name: its certificates and, if given, the roots for client certificates. */
export interface NamedContext {
  readonly certificates: readonly CertifiedKey[];
  readonly roots?: readonly Certificate[];
  /**
   * The ALPN protocols to choose from for this client, in place of the config's (an answer to a
   * 'certificate' request may pick the protocol itself, as node's ALPNCallback does).
   */
  readonly alpnProtocols?: readonly string[];
}

export interface ServerConfig extends CommonConfig {
  /** The server's certificates; one is chosen per handshake by key type and the client's offer. */
  readonly certificates: readonly CertifiedKey[];
  /**
   * Chooses the certificates for the name the client asked for (SNI, RFC 6066
   * Section 3; undefined when it sent none). Returning undefined keeps
   * `certificates` (node:tls SNICallback). It may also name the roots that client
   * certificates are checked against for that name (node: the SNI context's `ca`).
   */
  readonly certificatesFor:
    | ((serverName: string | undefined) => readonly CertifiedKey[] | NamedContext | undefined)
    | undefined;
  /** Ask the client for a certificate (CertificateRequest). */
  readonly requestCert: boolean;
  /**
   * The TLS 1.2 signature schemes: signatureSchemes followed by rsa_pkcs1_sha1 and ecdsa_sha1
   * (legacySignatureSchemes12) while signatureSchemes is the default list. The CertificateRequest offers
   * them and a client CertificateVerify may use them; ServerKeyExchange is signed with SHA-1 only for a
   * client that offers nothing better (RFC 5246 Section 7.4.1.4.1 makes SHA-1 the default). Older TLS 1.2
   * peers sign and verify only with SHA-1; the signature covers both randoms.
   */
  readonly signatureSchemes12: readonly number[];
  /** Choose the suite by the server's order rather than the client's (node:tls honorCipherOrder). */
  readonly preferServerCipherOrder: boolean;
  /**
   * Ticket keys the application gives, 48 bytes each (16 name, 32 AES-256-GCM key): the first
   * seals, all open, and they never rotate by themselves (give every server of a fleet the same
   * ones). Empty, the default: the server makes its own and rotates them by `ticketKeyRotation`
   * and `ticketKeyLifetime`. The keys in use are `ticketKeyRing`'s.
   */
  readonly ticketKeys: readonly Uint8Array[];
  /** Seconds between rotations of the ticket keys the server makes itself; default 24 hours (Go's crypto/tls). */
  readonly ticketKeyRotation: number;
  /**
   * Seconds a ticket key the server made itself still opens tickets; default 7 days (Go's). At
   * least `ticketKeyRotation`, and at most 16 rotations' worth (the ring holds 16 keys).
   */
  readonly ticketKeyLifetime: number;
  /**
   * The ticket keys in use, made from the three settings above; setTicketKeys() installs into it.
   * Configs given the same ring share its keys and its rotation.
   */
  readonly ticketKeyRing: TicketKeyRing;
  /** Issue session tickets (TLS 1.2 RFC 5077 and TLS 1.3 NewSessionTicket). */
  readonly issueTickets: boolean;
  /**
   * TLS 1.3: the NewSessionTickets sent after a full handshake (1 to 16; 1 by default, as Go's; node's
   * servers send 2, as OpenSSL's SSL_CTX_set_num_tickets default). Several let a client open several
   * resumed connections at once (RFC 8446 Appendix C.4: each ticket once). A resumed connection gets one.
   */
  readonly ticketsPerHandshake: number;
  /**
   * TLS 1.3: a connection resumed from a ticket gets a new one too (the default, as Go's
   * crypto/tls). false: it keeps the ticket it came with, as OpenSSL (and so node:tls) does.
   */
  readonly ticketOnResumption: boolean;
  /** Seconds a session or ticket may be resumed for (node:tls sessionTimeout). */
  readonly sessionTimeout: number;
  /** TLS 1.2 session-ID cache; share one store between servers to resume across them. */
  readonly sessionStore: SessionStore;
  /**
   * TLS 1.3 0-RTT: the most early data a client may send on our tickets (RFC 8446
   * Section 4.2.10); 0, the default, offers none and accepts none.
   */
  readonly maxEarlyData: number;
  /** Remembers the tickets used for 0-RTT so each is accepted once (RFC 8446 Section 8.1); share it across a fleet. */
  readonly earlyDataReplayFilter: ReplayFilter;
  /**
   * The pre-shared key a client's identity names, or undefined for an identity we do not know
   * (node:tls pskCallback): a TLS 1.2 PSK suite's ClientKeyExchange identity (RFC 4279 Section 2),
   * or a TLS 1.3 pre_shared_key identity that is none of our tickets (RFC 8446 Section 4.2.11;
   * the key's hash then decides the suite). The PSK suites are chosen only when this is set, and
   * with it a server needs no certificate.
   */
  readonly pskForIdentity: ((identity: Uint8Array) => { readonly key: Uint8Array; readonly hash?: 'sha256' | 'sha384' } | undefined) | undefined;
  /** The identity hint a TLS 1.2 PSK suite's ServerKeyExchange carries (RFC 4279 Section 2); none by default. */
  readonly pskIdentityHint: Uint8Array | undefined;
  /**
   * The server's own group for TLS 1.2 DHE (node:tls dhparam given as PEM), used whatever FFDHE groups the
   * client lists, as OpenSSL does; undefined (the default) negotiates an RFC 7919 group. A prime of
   * at least 1024 bits (2048 and more is what clients take by default).
   */
  readonly dhParams: DhParams | undefined;
}

/**
 * X25519MLKEM768 first (post-quantum hybrid, as browsers send it), then what node:tls offers, in
 * its order: the curves X25519, P-256, X448, P-521, P-384 and the RFC 7919 groups ffdhe2048 to
 * ffdhe8192. A client sends key shares for the first group only (with X25519 beside the hybrid);
 * the rest cost it a few bytes of supported_groups and let a server that takes none of the first
 * ask for another (HelloRetryRequest) rather than fail. A server takes the first of these the
 * client lists.
 */
export const defaultGroups: readonly number[] = [
  NamedGroup.X25519MLKEM768, NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.x448, NamedGroup.secp521r1, NamedGroup.secp384r1,
  NamedGroup.ffdhe2048, NamedGroup.ffdhe3072, NamedGroup.ffdhe4096, NamedGroup.ffdhe6144, NamedGroup.ffdhe8192,
];

export const defaultSignatureSchemes: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.ed25519,
  SignatureScheme.rsa_pss_pss_sha256,
  SignatureScheme.rsa_pss_pss_sha384,
  SignatureScheme.rsa_pss_pss_sha512,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
  SignatureScheme.ecdsa_secp521r1_sha512,
];

/** What TLS 1.2 clients may still sign a CertificateVerify with when the server asks (RFC 5246 Section 7.4.1.4.1). */
export const legacySignatureSchemes12: readonly number[] = [SignatureScheme.rsa_pkcs1_sha1, SignatureScheme.ecdsa_sha1];

/** The core takes its crypto from the caller: the node adapter passes the node:crypto provider. */
export type ConfigOptions<T extends CommonConfig> = Partial<Omit<T, 'limits'>> & { provider: CryptoProvider; limits?: Partial<Limits> };

const askNothing: AskFor = Object.freeze({});

function commonDefaults(options: ConfigOptions<CommonConfig>): CommonConfig {
  const config: CommonConfig = {
    provider: options.provider,
    minVersion: options.minVersion ?? ProtocolVersion['TLSv1.2'],
    maxVersion: options.maxVersion ?? ProtocolVersion['TLSv1.3'],
    cipherSuites: options.cipherSuites ?? defaultCipherSuites,
    groups: options.groups ?? defaultGroups,
    signatureSchemes: options.signatureSchemes ?? defaultSignatureSchemes,
    alpnProtocols: options.alpnProtocols ?? [],
    roots: options.roots ?? [],
    rejectUnauthorized: options.rejectUnauthorized ?? true,
    certificateProfile: options.certificateProfile ?? 'webpki',
    commonNameFallback: options.commonNameFallback ?? false,
    crls: options.crls,
    extendedMasterSecret: options.extendedMasterSecret ?? true,
    now: options.now ?? (() => new Date()),
    keyLog: options.keyLog,
    trace: options.trace,
    limits: limitsWithDefaults(options.limits),
    pskModes: options.pskModes ?? [PskMode.psk_dhe_ke],
    recordSizeLimit: options.recordSizeLimit,
    recordPadding: options.recordPadding ?? 0,
    ask: options.ask ?? askNothing,
  };
  validateCommon(config);
  return config;
}

function validateCommon(config: CommonConfig): void {
  if (config.minVersion > config.maxVersion) {
    throw new TlsError('api_misuse', 'minVersion is above maxVersion', { code: 'ERR_TLS_INVALID_PROTOCOL_VERSION' });
  }
  if (config.minVersion <= ProtocolVersion.SSLv3) {
    throw new TlsError('api_misuse', 'SSL 3.0 is not supported', { code: 'ERR_TLS_INVALID_PROTOCOL_VERSION' });
  }
  if (config.maxVersion > ProtocolVersion['TLSv1.3']) {
    throw new TlsError('api_misuse', 'no protocol version above TLS 1.3 exists', { code: 'ERR_TLS_INVALID_PROTOCOL_VERSION' });
  }
  for (const id of config.cipherSuites) {
    if (!suiteById(id)) throw new TlsError('api_misuse', `unknown cipher suite 0x${id.toString(16)}`, { code: 'ERR_TLS_INVALID_CIPHER' });
  }
  const providerGroups = new Set(config.provider.supportedGroups());
  for (const g of config.groups) {
    if (!providerGroups.has(g)) throw new TlsError('api_misuse', `unsupported group 0x${g.toString(16)}`, { code: 'ERR_TLS_INVALID_GROUP' });
  }
  if (config.recordSizeLimit !== undefined && (config.recordSizeLimit < 64 || config.recordSizeLimit > 16385)) {
    throw new TlsError('api_misuse', 'recordSizeLimit must be 64 to 16385 (RFC 8449)', { code: 'ERR_OUT_OF_RANGE' });
  }
  if (config.alpnProtocols.some((p) => p.length === 0 || p.length > 255)) {
    throw new TlsError('api_misuse', 'ALPN protocol names must be 1 to 255 bytes', { code: 'ERR_TLS_INVALID_ALPN' });
  }
  validateLimits(config.limits);
}

export function clientConfig(options: ConfigOptions<ClientConfig>): ClientConfig {
  const requireOcsp = options.requireOcsp ?? false;
  const config: ClientConfig = {
    ...commonDefaults(options),
    certificates: options.certificates ?? [],
    requestOcsp: (options.requestOcsp ?? false) || requireOcsp,
    requireOcsp,
    pskForHint: options.pskForHint,
    minDhBits: options.minDhBits ?? MIN_DHE_BITS,
  };
  if (!(config.minDhBits >= MIN_SERVER_DH_BITS)) {
    throw new TlsError('api_misuse', `minDhBits must be at least ${MIN_SERVER_DH_BITS}`, { code: 'ERR_OUT_OF_RANGE' });
  }
  return config;
}

export function serverConfig(options: ConfigOptions<ServerConfig>): ServerConfig {
  const common = commonDefaults(options);
  const ticketKeys = options.ticketKeys ?? [];
  const schedule = {
    rotation: options.ticketKeyRotation ?? DEFAULT_TICKET_KEY_ROTATION,
    lifetime: options.ticketKeyLifetime ?? DEFAULT_TICKET_KEY_LIFETIME,
  };
  validateTicketKeys(ticketKeys, schedule);
  const config: ServerConfig = {
    ...common,
    certificates: options.certificates ?? [],
    certificatesFor: options.certificatesFor,
    requestCert: options.requestCert ?? false,
    signatureSchemes12: options.signatureSchemes12 ??
      (common.signatureSchemes === defaultSignatureSchemes ? [...defaultSignatureSchemes, ...legacySignatureSchemes12] : common.signatureSchemes),
    preferServerCipherOrder: options.preferServerCipherOrder ?? true,
    ticketKeys,
    ticketKeyRotation: schedule.rotation,
    ticketKeyLifetime: schedule.lifetime,
    ticketKeyRing: options.ticketKeyRing ?? new TicketKeyRing(common.provider, common.now, schedule, ticketKeys),
    issueTickets: options.issueTickets ?? true,
    ticketsPerHandshake: options.ticketsPerHandshake ?? 1,
    ticketOnResumption: options.ticketOnResumption ?? true,
    sessionTimeout: options.sessionTimeout ?? 300,
    sessionStore: options.sessionStore ?? new MemorySessionStore(),
    maxEarlyData: options.maxEarlyData ?? 0,
    earlyDataReplayFilter: options.earlyDataReplayFilter ?? new ReplayFilter(),
    pskForIdentity: options.pskForIdentity,
    pskIdentityHint: options.pskIdentityHint,
    dhParams: options.dhParams,
  };
  if (config.dhParams !== undefined) validateDhParams(config.dhParams);
  // Without certificates of its own a server needs a lookup that may find some by name (SNI) or
  // pre-shared keys; a handshake that finds no certificate when it needs one fails alone.
  if (config.certificates.length === 0 && config.certificatesFor === undefined && config.pskForIdentity === undefined) {
    throw new TlsError('api_misuse', 'a server needs at least one certificate and key, certificatesFor or pre-shared keys', { code: 'ERR_TLS_MISSING_CERT' });
  }
  if (!Number.isInteger(config.ticketsPerHandshake) || config.ticketsPerHandshake < 1 || config.ticketsPerHandshake > 16) {
    throw new TlsError('api_misuse', 'ticketsPerHandshake must be an integer from 1 to 16', { code: 'ERR_OUT_OF_RANGE' });
  }
  if (config.pskIdentityHint !== undefined && config.pskIdentityHint.length > 0xffff) {
    throw new TlsError('api_misuse', 'pskIdentityHint must be at most 65535 bytes (RFC 4279 Section 2)', { code: 'ERR_OUT_OF_RANGE' });
  }
  return config;
}

/** A server's own DH group: an odd prime of at least MIN_SERVER_DH_BITS bits and a generator in 2..p-2. */
function validateDhParams({ p, g }: DhParams): void {
  const bits = bitLength(p);
  if (bits < MIN_SERVER_DH_BITS) {
    throw new TlsError('api_misuse', `DH parameter is less than ${MIN_SERVER_DH_BITS} bits`, { code: 'ERR_INVALID_ARG_VALUE' });
  }
  if ((p[p.length - 1]! & 1) === 0 || !dhPublicInRange(g, p)) {
    throw new TlsError('api_misuse', 'DH parameters: the prime is even or the generator out of range', { code: 'ERR_INVALID_ARG_VALUE' });
  }
}

/** Given keys of 48 bytes, no more than a ring holds; a rotation of at least a second, a lifetime no shorter. */
function validateTicketKeys(keys: readonly Uint8Array[], schedule: { rotation: number; lifetime: number }): void {
  if (keys.some((k) => k.length !== TICKET_KEY_LENGTH)) {
    throw new TlsError('api_misuse', `ticket keys must be ${TICKET_KEY_LENGTH} bytes`, { code: 'ERR_INVALID_ARG_VALUE' });
  }
  if (keys.length > MAX_TICKET_KEYS) {
    throw new TlsError('api_misuse', `at most ${MAX_TICKET_KEYS} ticket keys`, { code: 'ERR_OUT_OF_RANGE' });
  }
  const { rotation, lifetime } = schedule;
  if (!Number.isSafeInteger(rotation) || rotation < 1 || !Number.isSafeInteger(lifetime) || lifetime < rotation) {
    throw new TlsError('api_misuse', 'ticketKeyRotation must be a positive integer of seconds and ticketKeyLifetime an integer at least as long', { code: 'ERR_OUT_OF_RANGE' });
  }
  if (Math.ceil(lifetime / rotation) > MAX_TICKET_KEYS) {
    throw new TlsError('api_misuse', `ticketKeyLifetime must be at most ${MAX_TICKET_KEYS} times ticketKeyRotation`, { code: 'ERR_OUT_OF_RANGE' });
  }
}
