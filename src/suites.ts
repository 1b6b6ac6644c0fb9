import type { AeadAlgorithm, CbcAlgorithm, HashAlgorithm } from './crypto/provider.js';
import { ProtocolVersion } from './wire/enums.js';

/**
 * How the pre-master secret is agreed (TLS 1.2); TLS 1.3 suites say 'any'. The `_psk` kinds
 * mix a pre-shared key into it: 'psk' alone (RFC 4279 Section 2), with (EC)DHE (RFC 5489,
 * RFC 4279 Section 3) or with an RSA-encrypted secret (RFC 4279 Section 4).
 */
export type KeyExchange = 'ecdhe' | 'rsa' | 'dhe' | 'psk' | 'ecdhe_psk' | 'dhe_psk' | 'rsa_psk' | 'any';
/** What authenticates the server: a certificate key of a kind, or the pre-shared key itself. */
export type Authentication = 'rsa' | 'ecdsa' | 'psk' | 'any';

export type BulkCipher =
  | { kind: 'aead'; algorithm: AeadAlgorithm; keyLength: number; fixedIvLength: number; explicitNonceLength: number }
  | { kind: 'cbc'; algorithm: CbcAlgorithm; keyLength: number; macHash: HashAlgorithm; macLength: number };

export interface CipherSuite {
  readonly id: number;
  /** The IANA name, as node:tls getCipher().standardName reports it. */
  readonly standardName: string;
  /** The OpenSSL name, as node:tls getCipher().name reports it. */
  readonly openSslName: string;
  /** TLS 1.3 suites only work in 1.3; the others in 1.2 (and, for CBC-SHA1, earlier versions). */
  readonly tls13: boolean;
  readonly kx: KeyExchange;
  readonly auth: Authentication;
  readonly cipher: BulkCipher;
  /** The PRF hash in TLS 1.2, the HKDF hash in TLS 1.3. */
  readonly hash: HashAlgorithm;
}

const gcm128 = { kind: 'aead', algorithm: 'AES-128-GCM', keyLength: 16, fixedIvLength: 4, explicitNonceLength: 8 } as const;
const gcm256 = { kind: 'aead', algorithm: 'AES-256-GCM', keyLength: 32, fixedIvLength: 4, explicitNonceLength: 8 } as const;
const chacha = { kind: 'aead', algorithm: 'CHACHA20-POLY1305', keyLength: 32, fixedIvLength: 12, explicitNonceLength: 0 } as const;
// In TLS 1.3 every AEAD takes a 12-byte IV and no explicit nonce (RFC 8446 Section 5.3).
const gcm128v13 = { ...gcm128, fixedIvLength: 12, explicitNonceLength: 0 } as const;
const gcm256v13 = { ...gcm256, fixedIvLength: 12, explicitNonceLength: 0 } as const;
const ccm128v13 = { kind: 'aead', algorithm: 'AES-128-CCM', keyLength: 16, fixedIvLength: 12, explicitNonceLength: 0 } as const;
const ccm8v13 = { kind: 'aead', algorithm: 'AES-128-CCM-8', keyLength: 16, fixedIvLength: 12, explicitNonceLength: 0 } as const;
const cbc = (bits: 128 | 256, macHash: 'sha1' | 'sha256' | 'sha384') =>
  ({
    kind: 'cbc',
    algorithm: bits === 128 ? 'AES-128-CBC' : 'AES-256-CBC',
    keyLength: bits / 8,
    macHash,
    macLength: macHash === 'sha1' ? 20 : macHash === 'sha256' ? 32 : 48,
  }) as const;

function suite(
  id: number, standardName: string, openSslName: string, kx: KeyExchange, auth: Authentication,
  cipher: BulkCipher, hash: HashAlgorithm, tls13 = false,
): CipherSuite {
  return { id, standardName, openSslName, tls13, kx, auth, cipher, hash };
}

/** Every suite typetls implements, in its default order of preference (Go's crypto/tls order). */
export const cipherSuites: readonly CipherSuite[] = [
  // TLS 1.3, RFC 8446 Section B.4
  suite(0x1301, 'TLS_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256', 'any', 'any', gcm128v13, 'sha256', true),
  suite(0x1302, 'TLS_AES_256_GCM_SHA384', 'TLS_AES_256_GCM_SHA384', 'any', 'any', gcm256v13, 'sha384', true),
  suite(0x1303, 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_CHACHA20_POLY1305_SHA256', 'any', 'any', chacha, 'sha256', true),
  // RFC 8446 Section B.4 too, but off unless named, as in OpenSSL (see defaultCipherSuites)
  suite(0x1304, 'TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_SHA256', 'any', 'any', ccm128v13, 'sha256', true),
  suite(0x1305, 'TLS_AES_128_CCM_8_SHA256', 'TLS_AES_128_CCM_8_SHA256', 'any', 'any', ccm8v13, 'sha256', true),
  // TLS 1.2 ECDHE with AEAD, RFC 5289 and RFC 7905
  suite(0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'ecdhe', 'ecdsa', gcm128, 'sha256'),
  suite(0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ecdhe', 'rsa', gcm128, 'sha256'),
  suite(0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ecdhe', 'ecdsa', gcm256, 'sha384'),
  suite(0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ECDHE-RSA-AES256-GCM-SHA384', 'ecdhe', 'rsa', gcm256, 'sha384'),
  suite(0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'ecdhe', 'ecdsa', chacha, 'sha256'),
  suite(0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-RSA-CHACHA20-POLY1305', 'ecdhe', 'rsa', chacha, 'sha256'),
  // TLS 1.2 ECDHE with CBC, RFC 4492 and RFC 5289
  suite(0xc023, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', 'ECDHE-ECDSA-AES128-SHA256', 'ecdhe', 'ecdsa', cbc(128, 'sha256'), 'sha256'),
  suite(0xc027, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', 'ECDHE-RSA-AES128-SHA256', 'ecdhe', 'rsa', cbc(128, 'sha256'), 'sha256'),
  suite(0xc024, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', 'ECDHE-ECDSA-AES256-SHA384', 'ecdhe', 'ecdsa', cbc(256, 'sha384'), 'sha384'),
  suite(0xc028, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384', 'ECDHE-RSA-AES256-SHA384', 'ecdhe', 'rsa', cbc(256, 'sha384'), 'sha384'),
  suite(0xc009, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 'ECDHE-ECDSA-AES128-SHA', 'ecdhe', 'ecdsa', cbc(128, 'sha1'), 'sha256'),
  suite(0xc013, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'ECDHE-RSA-AES128-SHA', 'ecdhe', 'rsa', cbc(128, 'sha1'), 'sha256'),
  suite(0xc00a, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'ECDHE-ECDSA-AES256-SHA', 'ecdhe', 'ecdsa', cbc(256, 'sha1'), 'sha256'),
  suite(0xc014, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'ECDHE-RSA-AES256-SHA', 'ecdhe', 'rsa', cbc(256, 'sha1'), 'sha256'),
  // TLS 1.2 DHE-RSA, RFC 5288, RFC 7905 and RFC 5246 (groups from RFC 7919)
  suite(0x009e, 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 'DHE-RSA-AES128-GCM-SHA256', 'dhe', 'rsa', gcm128, 'sha256'),
  suite(0x009f, 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 'DHE-RSA-AES256-GCM-SHA384', 'dhe', 'rsa', gcm256, 'sha384'),
  suite(0xccaa, 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'DHE-RSA-CHACHA20-POLY1305', 'dhe', 'rsa', chacha, 'sha256'),
  suite(0x0067, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256', 'DHE-RSA-AES128-SHA256', 'dhe', 'rsa', cbc(128, 'sha256'), 'sha256'),
  suite(0x006b, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256', 'DHE-RSA-AES256-SHA256', 'dhe', 'rsa', cbc(256, 'sha256'), 'sha256'),
  suite(0x0033, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA', 'DHE-RSA-AES128-SHA', 'dhe', 'rsa', cbc(128, 'sha1'), 'sha256'),
  suite(0x0039, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA', 'DHE-RSA-AES256-SHA', 'dhe', 'rsa', cbc(256, 'sha1'), 'sha256'),
  // TLS 1.2 RSA key exchange, RFC 5288 and RFC 5246
  suite(0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256', 'AES128-GCM-SHA256', 'rsa', 'rsa', gcm128, 'sha256'),
  suite(0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384', 'AES256-GCM-SHA384', 'rsa', 'rsa', gcm256, 'sha384'),
  suite(0x003c, 'TLS_RSA_WITH_AES_128_CBC_SHA256', 'AES128-SHA256', 'rsa', 'rsa', cbc(128, 'sha256'), 'sha256'),
  suite(0x003d, 'TLS_RSA_WITH_AES_256_CBC_SHA256', 'AES256-SHA256', 'rsa', 'rsa', cbc(256, 'sha256'), 'sha256'),
  suite(0x002f, 'TLS_RSA_WITH_AES_128_CBC_SHA', 'AES128-SHA', 'rsa', 'rsa', cbc(128, 'sha1'), 'sha256'),
  suite(0x0035, 'TLS_RSA_WITH_AES_256_CBC_SHA', 'AES256-SHA', 'rsa', 'rsa', cbc(256, 'sha1'), 'sha256'),
  // TLS 1.2 pre-shared keys, used only when a PSK is configured: ECDHE-PSK (RFC 5489, RFC 7905),
  // DHE-PSK and PSK (RFC 4279, RFC 5487, RFC 7905), RSA-PSK (RFC 4279 Section 4, RFC 5487)
  suite(0xccac, 'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-PSK-CHACHA20-POLY1305', 'ecdhe_psk', 'psk', chacha, 'sha256'),
  suite(0xc037, 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256', 'ECDHE-PSK-AES128-CBC-SHA256', 'ecdhe_psk', 'psk', cbc(128, 'sha256'), 'sha256'),
  suite(0xc038, 'TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384', 'ECDHE-PSK-AES256-CBC-SHA384', 'ecdhe_psk', 'psk', cbc(256, 'sha384'), 'sha384'),
  suite(0xc035, 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA', 'ECDHE-PSK-AES128-CBC-SHA', 'ecdhe_psk', 'psk', cbc(128, 'sha1'), 'sha256'),
  suite(0xc036, 'TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA', 'ECDHE-PSK-AES256-CBC-SHA', 'ecdhe_psk', 'psk', cbc(256, 'sha1'), 'sha256'),
  suite(0x00aa, 'TLS_DHE_PSK_WITH_AES_128_GCM_SHA256', 'DHE-PSK-AES128-GCM-SHA256', 'dhe_psk', 'psk', gcm128, 'sha256'),
  suite(0x00ab, 'TLS_DHE_PSK_WITH_AES_256_GCM_SHA384', 'DHE-PSK-AES256-GCM-SHA384', 'dhe_psk', 'psk', gcm256, 'sha384'),
  suite(0xccad, 'TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256', 'DHE-PSK-CHACHA20-POLY1305', 'dhe_psk', 'psk', chacha, 'sha256'),
  suite(0x00b2, 'TLS_DHE_PSK_WITH_AES_128_CBC_SHA256', 'DHE-PSK-AES128-CBC-SHA256', 'dhe_psk', 'psk', cbc(128, 'sha256'), 'sha256'),
  suite(0x00b3, 'TLS_DHE_PSK_WITH_AES_256_CBC_SHA384', 'DHE-PSK-AES256-CBC-SHA384', 'dhe_psk', 'psk', cbc(256, 'sha384'), 'sha384'),
  suite(0x0090, 'TLS_DHE_PSK_WITH_AES_128_CBC_SHA', 'DHE-PSK-AES128-CBC-SHA', 'dhe_psk', 'psk', cbc(128, 'sha1'), 'sha256'),
  suite(0x0091, 'TLS_DHE_PSK_WITH_AES_256_CBC_SHA', 'DHE-PSK-AES256-CBC-SHA', 'dhe_psk', 'psk', cbc(256, 'sha1'), 'sha256'),
  suite(0x00ac, 'TLS_RSA_PSK_WITH_AES_128_GCM_SHA256', 'RSA-PSK-AES128-GCM-SHA256', 'rsa_psk', 'rsa', gcm128, 'sha256'),
  suite(0x00ad, 'TLS_RSA_PSK_WITH_AES_256_GCM_SHA384', 'RSA-PSK-AES256-GCM-SHA384', 'rsa_psk', 'rsa', gcm256, 'sha384'),
  suite(0xccae, 'TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256', 'RSA-PSK-CHACHA20-POLY1305', 'rsa_psk', 'rsa', chacha, 'sha256'),
  suite(0x00b6, 'TLS_RSA_PSK_WITH_AES_128_CBC_SHA256', 'RSA-PSK-AES128-CBC-SHA256', 'rsa_psk', 'rsa', cbc(128, 'sha256'), 'sha256'),
  suite(0x00b7, 'TLS_RSA_PSK_WITH_AES_256_CBC_SHA384', 'RSA-PSK-AES256-CBC-SHA384', 'rsa_psk', 'rsa', cbc(256, 'sha384'), 'sha384'),
  suite(0x0094, 'TLS_RSA_PSK_WITH_AES_128_CBC_SHA', 'RSA-PSK-AES128-CBC-SHA', 'rsa_psk', 'rsa', cbc(128, 'sha1'), 'sha256'),
  suite(0x0095, 'TLS_RSA_PSK_WITH_AES_256_CBC_SHA', 'RSA-PSK-AES256-CBC-SHA', 'rsa_psk', 'rsa', cbc(256, 'sha1'), 'sha256'),
  suite(0x00a8, 'TLS_PSK_WITH_AES_128_GCM_SHA256', 'PSK-AES128-GCM-SHA256', 'psk', 'psk', gcm128, 'sha256'),
  suite(0x00a9, 'TLS_PSK_WITH_AES_256_GCM_SHA384', 'PSK-AES256-GCM-SHA384', 'psk', 'psk', gcm256, 'sha384'),
  suite(0xccab, 'TLS_PSK_WITH_CHACHA20_POLY1305_SHA256', 'PSK-CHACHA20-POLY1305', 'psk', 'psk', chacha, 'sha256'),
  suite(0x00ae, 'TLS_PSK_WITH_AES_128_CBC_SHA256', 'PSK-AES128-CBC-SHA256', 'psk', 'psk', cbc(128, 'sha256'), 'sha256'),
  suite(0x00af, 'TLS_PSK_WITH_AES_256_CBC_SHA384', 'PSK-AES256-CBC-SHA384', 'psk', 'psk', cbc(256, 'sha384'), 'sha384'),
  suite(0x008c, 'TLS_PSK_WITH_AES_128_CBC_SHA', 'PSK-AES128-CBC-SHA', 'psk', 'psk', cbc(128, 'sha1'), 'sha256'),
  suite(0x008d, 'TLS_PSK_WITH_AES_256_CBC_SHA', 'PSK-AES256-CBC-SHA', 'psk', 'psk', cbc(256, 'sha1'), 'sha256'),
];

const byId = new Map(cipherSuites.map((s) => [s.id, s]));
const byName = new Map<string, CipherSuite>();
for (const s of cipherSuites) {
  byName.set(s.standardName.toUpperCase(), s);
  byName.set(s.openSslName.toUpperCase(), s);
}

export function suiteById(id: number): CipherSuite | undefined {
  return byId.get(id);
}

/** A suite by its IANA or OpenSSL name, case-insensitively. */
export function suiteByName(name: string): CipherSuite | undefined {
  return byName.get(name.trim().toUpperCase());
}

/** Whether a suite may be used at a protocol version. */
export function suiteAllowedAt(s: CipherSuite, version: number): boolean {
  if (s.tls13) return version === ProtocolVersion['TLSv1.3'];
  if (version === ProtocolVersion['TLSv1.3']) return false;
  // AEAD and SHA-256/384 suites arrived with TLS 1.2 (RFC 5246, RFC 5288).
  if (version < ProtocolVersion['TLSv1.2']) return s.cipher.kind === 'cbc' && s.cipher.macHash === 'sha1';
  return true;
}


/** Whether a TLS 1.2 suite mixes a pre-shared key into its key exchange (RFC 4279). */
export function isPskSuite(s: CipherSuite): boolean {
  return s.kx === 'psk' || s.kx === 'ecdhe_psk' || s.kx === 'dhe_psk' || s.kx === 'rsa_psk';
}

/** The TLS 1.3 AES-CCM suites: implemented, but used only when named, as in OpenSSL and node. */
export function isCcmSuite(s: CipherSuite): boolean {
  return s.cipher.kind === 'aead' && (s.cipher.algorithm === 'AES-128-CCM' || s.cipher.algorithm === 'AES-128-CCM-8');
}

/**
 * The suites typetls offers and accepts unless configured otherwise: all of them but AES-CCM.
 * The PSK suites among them are offered and chosen only when a pre-shared key is configured
 * (`ClientConfig.pskForServer`, `ServerConfig.pskForIdentity`), as OpenSSL does.
 */
export const defaultCipherSuites: readonly number[] = cipherSuites.filter((s) => !isCcmSuite(s)).map((s) => s.id);

/**
 * The default suites in typetls's own order as a cipher string (OpenSSL names; TLS 1.3's are
 * the IANA ones), for tools that prefer it to node's default string.
 */
export const ownCipherString: string = cipherSuites.filter((s) => !isCcmSuite(s)).map((s) => s.openSslName).join(':');
