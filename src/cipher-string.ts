// OpenSSL cipher strings, read the way OpenSSL 3.0 reads them (SSL_CTX_set_cipher_list and
// SSL_CTX_set_ciphersuites; `man 1 openssl-ciphers`), so that a program's `ciphers` option selects
// the same suites, in the same order, as it does on OpenSSL. The grammar is worked over OpenSSL's
// own table of TLS 1.2 suites, not just the ones typetls implements: 'ALL:!aNULL' or '@STRENGTH'
// must order and match exactly as OpenSSL does, and a list that names only suites typetls lacks
// (AECDH-NULL-SHA, CAMELLIA) is still a valid list there. The caller keeps what it implements.
//
// A string is a list of rules separated by ':' (or ' ', ';', ','). A rule is a cipher name
// (OpenSSL's, case-sensitive) or an alias (HIGH, aRSA, kECDHE, AESGCM, SHA256, TLSv1.2, ...),
// several joined by '+' to intersect them, with an optional prefix:
//   none  add the matching suites to the end of the list (those not in it yet)
//   '-'   take them out of the list (a later rule may add them again, at their old place)
//   '!'   take them out for good
//   '+'   move those in the list to its end
//   '@'   a command: @STRENGTH sorts the list by key length, @SECLEVEL=n sets the security level
// A string starting with DEFAULT begins with OpenSSL's default list (ALL:!COMPLEMENTOFDEFAULT:!eNULL).
// A name or alias OpenSSL does not know is skipped; a list that ends up empty fails with
// "no cipher match", and a rule that starts with a character no name has fails with
// "invalid command", as in OpenSSL.

import { TlsError } from './errors.js';
import { ProtocolVersion } from './wire/enums.js';

/** Key exchange bits (OpenSSL's SSL_k*). */
const k = { RSA: 1, DHE: 2, ECDHE: 4, PSK: 8, RSAPSK: 16, DHEPSK: 32, ECDHEPSK: 64, SRP: 128 } as const;
/** Authentication bits (SSL_a*). */
const a = { RSA: 1, DSS: 2, NULL: 4, ECDSA: 8, PSK: 16, SRP: 32 } as const;
/** Bulk cipher bits (SSL_AES128, ..., SSL_eNULL). */
const e = {
  AES128: 1, AES256: 2, AES128GCM: 4, AES256GCM: 8, AES128CCM: 16, AES256CCM: 32, AES128CCM8: 64, AES256CCM8: 128,
  CAMELLIA128: 256, CAMELLIA256: 512, ARIA128GCM: 1024, ARIA256GCM: 2048, CHACHA20POLY1305: 4096, NULL: 8192,
} as const;
/** Record MAC bits (SSL_MD5, ..., SSL_AEAD). */
const m = { MD5: 1, SHA1: 2, SHA256: 4, SHA384: 8, AEAD: 16 } as const;
/** Strength classes (SSL_LOW, SSL_MEDIUM, SSL_HIGH, SSL_FIPS: the "strong" mask) and SSL_NOT_DEFAULT. */
const s = { LOW: 2, MEDIUM: 4, HIGH: 8, FIPS: 16, NOT_DEFAULT: 32 } as const;
const STRONG_MASK = 0x1f;
const DEFAULT_MASK = 0x20;

const ALL_BITS = 0xffffffff;
const AES = e.AES128 | e.AES256 | e.AES128GCM | e.AES256GCM | e.AES128CCM | e.AES256CCM | e.AES128CCM8 | e.AES256CCM8;
const AESGCM = e.AES128GCM | e.AES256GCM;

/** One TLS 1.2 (and earlier) suite of OpenSSL's table. */
export interface OpenSslCipher {
  /** OpenSSL's name (ECDHE-RSA-AES128-GCM-SHA256). */
  readonly name: string;
  /** The IANA name (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256). */
  readonly standardName: string;
  readonly id: number;
  /** The lowest protocol version it works in, as a wire value. */
  readonly minVersion: number;
  readonly kx: number;
  readonly auth: number;
  readonly enc: number;
  readonly mac: number;
  readonly strength: number;
  /** The bulk cipher's key strength in bits (0 for NULL encryption). */
  readonly bits: number;
}

const kxByName: Record<string, number> = {
  RSA: k.RSA, DH: k.DHE, ECDH: k.ECDHE, PSK: k.PSK, RSAPSK: k.RSAPSK, DHEPSK: k.DHEPSK, ECDHEPSK: k.ECDHEPSK, SRP: k.SRP,
};
const authByName: Record<string, number> = { RSA: a.RSA, DSS: a.DSS, None: a.NULL, ECDSA: a.ECDSA, PSK: a.PSK, SRP: a.SRP };
const encByName: Record<string, number> = {
  'AES(128)': e.AES128, 'AES(256)': e.AES256, 'AESGCM(128)': e.AES128GCM, 'AESGCM(256)': e.AES256GCM,
  'AESCCM(128)': e.AES128CCM, 'AESCCM(256)': e.AES256CCM, 'AESCCM8(128)': e.AES128CCM8, 'AESCCM8(256)': e.AES256CCM8,
  'Camellia(128)': e.CAMELLIA128, 'Camellia(256)': e.CAMELLIA256, 'ARIAGCM(128)': e.ARIA128GCM, 'ARIAGCM(256)': e.ARIA256GCM,
  'CHACHA20/POLY1305(256)': e.CHACHA20POLY1305, None: e.NULL,
};
const macByName: Record<string, number> = { MD5: m.MD5, SHA1: m.SHA1, SHA256: m.SHA256, SHA384: m.SHA384, AEAD: m.AEAD };
const versionByName: Record<string, number> = { SSLv3: ProtocolVersion.SSLv3, TLSv1: ProtocolVersion.TLSv1, 'TLSv1.2': ProtocolVersion['TLSv1.2'] };

type Row = readonly [name: string, standardName: string, id: number, version: string, kx: string, auth: string, enc: string, mac: string, strength: string];

/**
 * OpenSSL 3.0's TLS 1.2 suites with the algorithms its default providers have (no 3DES, RC4,
 * SEED, IDEA or GOST), in the order `openssl ciphers -v 'ALL:COMPLEMENTOFALL'` lists them, with
 * the columns of `openssl ciphers -V -stdname -v` and the strength classes of the HIGH, FIPS and
 * COMPLEMENTOFDEFAULT aliases. test/cipher-string.test.ts checks them against the installed openssl.
 */
const rows: readonly Row[] = [
  ['ECDHE-ECDSA-AES256-GCM-SHA384', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 0xc02c, 'TLSv1.2', 'ECDH', 'ECDSA', 'AESGCM(256)', 'AEAD', 'HIGH|FIPS'],
  ['ECDHE-RSA-AES256-GCM-SHA384', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 0xc030, 'TLSv1.2', 'ECDH', 'RSA', 'AESGCM(256)', 'AEAD', 'HIGH|FIPS'],
  ['DHE-DSS-AES256-GCM-SHA384', 'TLS_DHE_DSS_WITH_AES_256_GCM_SHA384', 0x00a3, 'TLSv1.2', 'DH', 'DSS', 'AESGCM(256)', 'AEAD', 'HIGH|FIPS|NOT_DEFAULT'],
  ['DHE-RSA-AES256-GCM-SHA384', 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 0x009f, 'TLSv1.2', 'DH', 'RSA', 'AESGCM(256)', 'AEAD', 'HIGH|FIPS'],
  ['ECDHE-ECDSA-CHACHA20-POLY1305', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 0xcca9, 'TLSv1.2', 'ECDH', 'ECDSA', 'CHACHA20/POLY1305(256)', 'AEAD', 'HIGH'],
  ['ECDHE-RSA-CHACHA20-POLY1305', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 0xcca8, 'TLSv1.2', 'ECDH', 'RSA', 'CHACHA20/POLY1305(256)', 'AEAD', 'HIGH'],
  ['DHE-RSA-CHACHA20-POLY1305', 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 0xccaa, 'TLSv1.2', 'DH', 'RSA', 'CHACHA20/POLY1305(256)', 'AEAD', 'HIGH'],
  ['ECDHE-ECDSA-AES256-CCM8', 'TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8', 0xc0af, 'TLSv1.2', 'ECDH', 'ECDSA', 'AESCCM8(256)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['ECDHE-ECDSA-AES256-CCM', 'TLS_ECDHE_ECDSA_WITH_AES_256_CCM', 0xc0ad, 'TLSv1.2', 'ECDH', 'ECDSA', 'AESCCM(256)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['DHE-RSA-AES256-CCM8', 'TLS_DHE_RSA_WITH_AES_256_CCM_8', 0xc0a3, 'TLSv1.2', 'DH', 'RSA', 'AESCCM8(256)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['DHE-RSA-AES256-CCM', 'TLS_DHE_RSA_WITH_AES_256_CCM', 0xc09f, 'TLSv1.2', 'DH', 'RSA', 'AESCCM(256)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['ECDHE-ECDSA-ARIA256-GCM-SHA384', 'TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384', 0xc05d, 'TLSv1.2', 'ECDH', 'ECDSA', 'ARIAGCM(256)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['ECDHE-ARIA256-GCM-SHA384', 'TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384', 0xc061, 'TLSv1.2', 'ECDH', 'RSA', 'ARIAGCM(256)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['DHE-DSS-ARIA256-GCM-SHA384', 'TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384', 0xc057, 'TLSv1.2', 'DH', 'DSS', 'ARIAGCM(256)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['DHE-RSA-ARIA256-GCM-SHA384', 'TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384', 0xc053, 'TLSv1.2', 'DH', 'RSA', 'ARIAGCM(256)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['ADH-AES256-GCM-SHA384', 'TLS_DH_anon_WITH_AES_256_GCM_SHA384', 0x00a7, 'TLSv1.2', 'DH', 'None', 'AESGCM(256)', 'AEAD', 'HIGH|FIPS|NOT_DEFAULT'],
  ['ECDHE-ECDSA-AES128-GCM-SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 0xc02b, 'TLSv1.2', 'ECDH', 'ECDSA', 'AESGCM(128)', 'AEAD', 'HIGH|FIPS'],
  ['ECDHE-RSA-AES128-GCM-SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 0xc02f, 'TLSv1.2', 'ECDH', 'RSA', 'AESGCM(128)', 'AEAD', 'HIGH|FIPS'],
  ['DHE-DSS-AES128-GCM-SHA256', 'TLS_DHE_DSS_WITH_AES_128_GCM_SHA256', 0x00a2, 'TLSv1.2', 'DH', 'DSS', 'AESGCM(128)', 'AEAD', 'HIGH|FIPS|NOT_DEFAULT'],
  ['DHE-RSA-AES128-GCM-SHA256', 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 0x009e, 'TLSv1.2', 'DH', 'RSA', 'AESGCM(128)', 'AEAD', 'HIGH|FIPS'],
  ['ECDHE-ECDSA-AES128-CCM8', 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8', 0xc0ae, 'TLSv1.2', 'ECDH', 'ECDSA', 'AESCCM8(128)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['ECDHE-ECDSA-AES128-CCM', 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM', 0xc0ac, 'TLSv1.2', 'ECDH', 'ECDSA', 'AESCCM(128)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['DHE-RSA-AES128-CCM8', 'TLS_DHE_RSA_WITH_AES_128_CCM_8', 0xc0a2, 'TLSv1.2', 'DH', 'RSA', 'AESCCM8(128)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['DHE-RSA-AES128-CCM', 'TLS_DHE_RSA_WITH_AES_128_CCM', 0xc09e, 'TLSv1.2', 'DH', 'RSA', 'AESCCM(128)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['ECDHE-ECDSA-ARIA128-GCM-SHA256', 'TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256', 0xc05c, 'TLSv1.2', 'ECDH', 'ECDSA', 'ARIAGCM(128)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['ECDHE-ARIA128-GCM-SHA256', 'TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256', 0xc060, 'TLSv1.2', 'ECDH', 'RSA', 'ARIAGCM(128)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['DHE-DSS-ARIA128-GCM-SHA256', 'TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256', 0xc056, 'TLSv1.2', 'DH', 'DSS', 'ARIAGCM(128)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['DHE-RSA-ARIA128-GCM-SHA256', 'TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256', 0xc052, 'TLSv1.2', 'DH', 'RSA', 'ARIAGCM(128)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['ADH-AES128-GCM-SHA256', 'TLS_DH_anon_WITH_AES_128_GCM_SHA256', 0x00a6, 'TLSv1.2', 'DH', 'None', 'AESGCM(128)', 'AEAD', 'HIGH|FIPS|NOT_DEFAULT'],
  ['ECDHE-ECDSA-AES256-SHA384', 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', 0xc024, 'TLSv1.2', 'ECDH', 'ECDSA', 'AES(256)', 'SHA384', 'HIGH|FIPS'],
  ['ECDHE-RSA-AES256-SHA384', 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384', 0xc028, 'TLSv1.2', 'ECDH', 'RSA', 'AES(256)', 'SHA384', 'HIGH|FIPS'],
  ['DHE-RSA-AES256-SHA256', 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256', 0x006b, 'TLSv1.2', 'DH', 'RSA', 'AES(256)', 'SHA256', 'HIGH|FIPS'],
  ['DHE-DSS-AES256-SHA256', 'TLS_DHE_DSS_WITH_AES_256_CBC_SHA256', 0x006a, 'TLSv1.2', 'DH', 'DSS', 'AES(256)', 'SHA256', 'HIGH|FIPS|NOT_DEFAULT'],
  ['ECDHE-ECDSA-CAMELLIA256-SHA384', 'TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384', 0xc073, 'TLSv1.2', 'ECDH', 'ECDSA', 'Camellia(256)', 'SHA384', 'HIGH|NOT_DEFAULT'],
  ['ECDHE-RSA-CAMELLIA256-SHA384', 'TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384', 0xc077, 'TLSv1.2', 'ECDH', 'RSA', 'Camellia(256)', 'SHA384', 'HIGH|NOT_DEFAULT'],
  ['DHE-RSA-CAMELLIA256-SHA256', 'TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256', 0x00c4, 'TLSv1.2', 'DH', 'RSA', 'Camellia(256)', 'SHA256', 'HIGH|NOT_DEFAULT'],
  ['DHE-DSS-CAMELLIA256-SHA256', 'TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256', 0x00c3, 'TLSv1.2', 'DH', 'DSS', 'Camellia(256)', 'SHA256', 'HIGH|NOT_DEFAULT'],
  ['ADH-AES256-SHA256', 'TLS_DH_anon_WITH_AES_256_CBC_SHA256', 0x006d, 'TLSv1.2', 'DH', 'None', 'AES(256)', 'SHA256', 'HIGH|FIPS|NOT_DEFAULT'],
  ['ADH-CAMELLIA256-SHA256', 'TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256', 0x00c5, 'TLSv1.2', 'DH', 'None', 'Camellia(256)', 'SHA256', 'HIGH|NOT_DEFAULT'],
  ['ECDHE-ECDSA-AES128-SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', 0xc023, 'TLSv1.2', 'ECDH', 'ECDSA', 'AES(128)', 'SHA256', 'HIGH|FIPS'],
  ['ECDHE-RSA-AES128-SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', 0xc027, 'TLSv1.2', 'ECDH', 'RSA', 'AES(128)', 'SHA256', 'HIGH|FIPS'],
  ['DHE-RSA-AES128-SHA256', 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256', 0x0067, 'TLSv1.2', 'DH', 'RSA', 'AES(128)', 'SHA256', 'HIGH|FIPS'],
  ['DHE-DSS-AES128-SHA256', 'TLS_DHE_DSS_WITH_AES_128_CBC_SHA256', 0x0040, 'TLSv1.2', 'DH', 'DSS', 'AES(128)', 'SHA256', 'HIGH|FIPS|NOT_DEFAULT'],
  ['ECDHE-ECDSA-CAMELLIA128-SHA256', 'TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256', 0xc072, 'TLSv1.2', 'ECDH', 'ECDSA', 'Camellia(128)', 'SHA256', 'HIGH|NOT_DEFAULT'],
  ['ECDHE-RSA-CAMELLIA128-SHA256', 'TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256', 0xc076, 'TLSv1.2', 'ECDH', 'RSA', 'Camellia(128)', 'SHA256', 'HIGH|NOT_DEFAULT'],
  ['DHE-RSA-CAMELLIA128-SHA256', 'TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256', 0x00be, 'TLSv1.2', 'DH', 'RSA', 'Camellia(128)', 'SHA256', 'HIGH|NOT_DEFAULT'],
  ['DHE-DSS-CAMELLIA128-SHA256', 'TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256', 0x00bd, 'TLSv1.2', 'DH', 'DSS', 'Camellia(128)', 'SHA256', 'HIGH|NOT_DEFAULT'],
  ['ADH-AES128-SHA256', 'TLS_DH_anon_WITH_AES_128_CBC_SHA256', 0x006c, 'TLSv1.2', 'DH', 'None', 'AES(128)', 'SHA256', 'HIGH|FIPS|NOT_DEFAULT'],
  ['ADH-CAMELLIA128-SHA256', 'TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256', 0x00bf, 'TLSv1.2', 'DH', 'None', 'Camellia(128)', 'SHA256', 'HIGH|NOT_DEFAULT'],
  ['ECDHE-ECDSA-AES256-SHA', 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 0xc00a, 'TLSv1', 'ECDH', 'ECDSA', 'AES(256)', 'SHA1', 'HIGH|FIPS'],
  ['ECDHE-RSA-AES256-SHA', 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 0xc014, 'TLSv1', 'ECDH', 'RSA', 'AES(256)', 'SHA1', 'HIGH|FIPS'],
  ['DHE-RSA-AES256-SHA', 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA', 0x0039, 'SSLv3', 'DH', 'RSA', 'AES(256)', 'SHA1', 'HIGH|FIPS'],
  ['DHE-DSS-AES256-SHA', 'TLS_DHE_DSS_WITH_AES_256_CBC_SHA', 0x0038, 'SSLv3', 'DH', 'DSS', 'AES(256)', 'SHA1', 'HIGH|FIPS|NOT_DEFAULT'],
  ['DHE-RSA-CAMELLIA256-SHA', 'TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA', 0x0088, 'SSLv3', 'DH', 'RSA', 'Camellia(256)', 'SHA1', 'HIGH|NOT_DEFAULT'],
  ['DHE-DSS-CAMELLIA256-SHA', 'TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA', 0x0087, 'SSLv3', 'DH', 'DSS', 'Camellia(256)', 'SHA1', 'HIGH|NOT_DEFAULT'],
  ['AECDH-AES256-SHA', 'TLS_ECDH_anon_WITH_AES_256_CBC_SHA', 0xc019, 'TLSv1', 'ECDH', 'None', 'AES(256)', 'SHA1', 'HIGH|FIPS|NOT_DEFAULT'],
  ['ADH-AES256-SHA', 'TLS_DH_anon_WITH_AES_256_CBC_SHA', 0x003a, 'SSLv3', 'DH', 'None', 'AES(256)', 'SHA1', 'HIGH|FIPS|NOT_DEFAULT'],
  ['ADH-CAMELLIA256-SHA', 'TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA', 0x0089, 'SSLv3', 'DH', 'None', 'Camellia(256)', 'SHA1', 'HIGH|NOT_DEFAULT'],
  ['ECDHE-ECDSA-AES128-SHA', 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 0xc009, 'TLSv1', 'ECDH', 'ECDSA', 'AES(128)', 'SHA1', 'HIGH|FIPS'],
  ['ECDHE-RSA-AES128-SHA', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 0xc013, 'TLSv1', 'ECDH', 'RSA', 'AES(128)', 'SHA1', 'HIGH|FIPS'],
  ['DHE-RSA-AES128-SHA', 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA', 0x0033, 'SSLv3', 'DH', 'RSA', 'AES(128)', 'SHA1', 'HIGH|FIPS'],
  ['DHE-DSS-AES128-SHA', 'TLS_DHE_DSS_WITH_AES_128_CBC_SHA', 0x0032, 'SSLv3', 'DH', 'DSS', 'AES(128)', 'SHA1', 'HIGH|FIPS|NOT_DEFAULT'],
  ['DHE-RSA-CAMELLIA128-SHA', 'TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA', 0x0045, 'SSLv3', 'DH', 'RSA', 'Camellia(128)', 'SHA1', 'HIGH|NOT_DEFAULT'],
  ['DHE-DSS-CAMELLIA128-SHA', 'TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA', 0x0044, 'SSLv3', 'DH', 'DSS', 'Camellia(128)', 'SHA1', 'HIGH|NOT_DEFAULT'],
  ['AECDH-AES128-SHA', 'TLS_ECDH_anon_WITH_AES_128_CBC_SHA', 0xc018, 'TLSv1', 'ECDH', 'None', 'AES(128)', 'SHA1', 'HIGH|FIPS|NOT_DEFAULT'],
  ['ADH-AES128-SHA', 'TLS_DH_anon_WITH_AES_128_CBC_SHA', 0x0034, 'SSLv3', 'DH', 'None', 'AES(128)', 'SHA1', 'HIGH|FIPS|NOT_DEFAULT'],
  ['ADH-CAMELLIA128-SHA', 'TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA', 0x0046, 'SSLv3', 'DH', 'None', 'Camellia(128)', 'SHA1', 'HIGH|NOT_DEFAULT'],
  ['RSA-PSK-AES256-GCM-SHA384', 'TLS_RSA_PSK_WITH_AES_256_GCM_SHA384', 0x00ad, 'TLSv1.2', 'RSAPSK', 'RSA', 'AESGCM(256)', 'AEAD', 'HIGH|FIPS'],
  ['DHE-PSK-AES256-GCM-SHA384', 'TLS_DHE_PSK_WITH_AES_256_GCM_SHA384', 0x00ab, 'TLSv1.2', 'DHEPSK', 'PSK', 'AESGCM(256)', 'AEAD', 'HIGH|FIPS'],
  ['RSA-PSK-CHACHA20-POLY1305', 'TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256', 0xccae, 'TLSv1.2', 'RSAPSK', 'RSA', 'CHACHA20/POLY1305(256)', 'AEAD', 'HIGH'],
  ['DHE-PSK-CHACHA20-POLY1305', 'TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256', 0xccad, 'TLSv1.2', 'DHEPSK', 'PSK', 'CHACHA20/POLY1305(256)', 'AEAD', 'HIGH'],
  ['ECDHE-PSK-CHACHA20-POLY1305', 'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256', 0xccac, 'TLSv1.2', 'ECDHEPSK', 'PSK', 'CHACHA20/POLY1305(256)', 'AEAD', 'HIGH'],
  ['DHE-PSK-AES256-CCM8', 'TLS_PSK_DHE_WITH_AES_256_CCM_8', 0xc0ab, 'TLSv1.2', 'DHEPSK', 'PSK', 'AESCCM8(256)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['DHE-PSK-AES256-CCM', 'TLS_DHE_PSK_WITH_AES_256_CCM', 0xc0a7, 'TLSv1.2', 'DHEPSK', 'PSK', 'AESCCM(256)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['RSA-PSK-ARIA256-GCM-SHA384', 'TLS_RSA_PSK_WITH_ARIA_256_GCM_SHA384', 0xc06f, 'TLSv1.2', 'RSAPSK', 'RSA', 'ARIAGCM(256)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['DHE-PSK-ARIA256-GCM-SHA384', 'TLS_DHE_PSK_WITH_ARIA_256_GCM_SHA384', 0xc06d, 'TLSv1.2', 'DHEPSK', 'PSK', 'ARIAGCM(256)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['AES256-GCM-SHA384', 'TLS_RSA_WITH_AES_256_GCM_SHA384', 0x009d, 'TLSv1.2', 'RSA', 'RSA', 'AESGCM(256)', 'AEAD', 'HIGH|FIPS'],
  ['AES256-CCM8', 'TLS_RSA_WITH_AES_256_CCM_8', 0xc0a1, 'TLSv1.2', 'RSA', 'RSA', 'AESCCM8(256)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['AES256-CCM', 'TLS_RSA_WITH_AES_256_CCM', 0xc09d, 'TLSv1.2', 'RSA', 'RSA', 'AESCCM(256)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['ARIA256-GCM-SHA384', 'TLS_RSA_WITH_ARIA_256_GCM_SHA384', 0xc051, 'TLSv1.2', 'RSA', 'RSA', 'ARIAGCM(256)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['PSK-AES256-GCM-SHA384', 'TLS_PSK_WITH_AES_256_GCM_SHA384', 0x00a9, 'TLSv1.2', 'PSK', 'PSK', 'AESGCM(256)', 'AEAD', 'HIGH|FIPS'],
  ['PSK-CHACHA20-POLY1305', 'TLS_PSK_WITH_CHACHA20_POLY1305_SHA256', 0xccab, 'TLSv1.2', 'PSK', 'PSK', 'CHACHA20/POLY1305(256)', 'AEAD', 'HIGH'],
  ['PSK-AES256-CCM8', 'TLS_PSK_WITH_AES_256_CCM_8', 0xc0a9, 'TLSv1.2', 'PSK', 'PSK', 'AESCCM8(256)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['PSK-AES256-CCM', 'TLS_PSK_WITH_AES_256_CCM', 0xc0a5, 'TLSv1.2', 'PSK', 'PSK', 'AESCCM(256)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['PSK-ARIA256-GCM-SHA384', 'TLS_PSK_WITH_ARIA_256_GCM_SHA384', 0xc06b, 'TLSv1.2', 'PSK', 'PSK', 'ARIAGCM(256)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['RSA-PSK-AES128-GCM-SHA256', 'TLS_RSA_PSK_WITH_AES_128_GCM_SHA256', 0x00ac, 'TLSv1.2', 'RSAPSK', 'RSA', 'AESGCM(128)', 'AEAD', 'HIGH|FIPS'],
  ['DHE-PSK-AES128-GCM-SHA256', 'TLS_DHE_PSK_WITH_AES_128_GCM_SHA256', 0x00aa, 'TLSv1.2', 'DHEPSK', 'PSK', 'AESGCM(128)', 'AEAD', 'HIGH|FIPS'],
  ['DHE-PSK-AES128-CCM8', 'TLS_PSK_DHE_WITH_AES_128_CCM_8', 0xc0aa, 'TLSv1.2', 'DHEPSK', 'PSK', 'AESCCM8(128)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['DHE-PSK-AES128-CCM', 'TLS_DHE_PSK_WITH_AES_128_CCM', 0xc0a6, 'TLSv1.2', 'DHEPSK', 'PSK', 'AESCCM(128)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['RSA-PSK-ARIA128-GCM-SHA256', 'TLS_RSA_PSK_WITH_ARIA_128_GCM_SHA256', 0xc06e, 'TLSv1.2', 'RSAPSK', 'RSA', 'ARIAGCM(128)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['DHE-PSK-ARIA128-GCM-SHA256', 'TLS_DHE_PSK_WITH_ARIA_128_GCM_SHA256', 0xc06c, 'TLSv1.2', 'DHEPSK', 'PSK', 'ARIAGCM(128)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['AES128-GCM-SHA256', 'TLS_RSA_WITH_AES_128_GCM_SHA256', 0x009c, 'TLSv1.2', 'RSA', 'RSA', 'AESGCM(128)', 'AEAD', 'HIGH|FIPS'],
  ['AES128-CCM8', 'TLS_RSA_WITH_AES_128_CCM_8', 0xc0a0, 'TLSv1.2', 'RSA', 'RSA', 'AESCCM8(128)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['AES128-CCM', 'TLS_RSA_WITH_AES_128_CCM', 0xc09c, 'TLSv1.2', 'RSA', 'RSA', 'AESCCM(128)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['ARIA128-GCM-SHA256', 'TLS_RSA_WITH_ARIA_128_GCM_SHA256', 0xc050, 'TLSv1.2', 'RSA', 'RSA', 'ARIAGCM(128)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['PSK-AES128-GCM-SHA256', 'TLS_PSK_WITH_AES_128_GCM_SHA256', 0x00a8, 'TLSv1.2', 'PSK', 'PSK', 'AESGCM(128)', 'AEAD', 'HIGH|FIPS'],
  ['PSK-AES128-CCM8', 'TLS_PSK_WITH_AES_128_CCM_8', 0xc0a8, 'TLSv1.2', 'PSK', 'PSK', 'AESCCM8(128)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['PSK-AES128-CCM', 'TLS_PSK_WITH_AES_128_CCM', 0xc0a4, 'TLSv1.2', 'PSK', 'PSK', 'AESCCM(128)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['PSK-ARIA128-GCM-SHA256', 'TLS_PSK_WITH_ARIA_128_GCM_SHA256', 0xc06a, 'TLSv1.2', 'PSK', 'PSK', 'ARIAGCM(128)', 'AEAD', 'HIGH|NOT_DEFAULT'],
  ['AES256-SHA256', 'TLS_RSA_WITH_AES_256_CBC_SHA256', 0x003d, 'TLSv1.2', 'RSA', 'RSA', 'AES(256)', 'SHA256', 'HIGH|FIPS'],
  ['CAMELLIA256-SHA256', 'TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256', 0x00c0, 'TLSv1.2', 'RSA', 'RSA', 'Camellia(256)', 'SHA256', 'HIGH|NOT_DEFAULT'],
  ['AES128-SHA256', 'TLS_RSA_WITH_AES_128_CBC_SHA256', 0x003c, 'TLSv1.2', 'RSA', 'RSA', 'AES(128)', 'SHA256', 'HIGH|FIPS'],
  ['CAMELLIA128-SHA256', 'TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256', 0x00ba, 'TLSv1.2', 'RSA', 'RSA', 'Camellia(128)', 'SHA256', 'HIGH|NOT_DEFAULT'],
  ['ECDHE-PSK-AES256-CBC-SHA384', 'TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384', 0xc038, 'TLSv1', 'ECDHEPSK', 'PSK', 'AES(256)', 'SHA384', 'HIGH|FIPS'],
  ['ECDHE-PSK-AES256-CBC-SHA', 'TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA', 0xc036, 'TLSv1', 'ECDHEPSK', 'PSK', 'AES(256)', 'SHA1', 'HIGH|FIPS'],
  ['SRP-DSS-AES-256-CBC-SHA', 'TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA', 0xc022, 'SSLv3', 'SRP', 'DSS', 'AES(256)', 'SHA1', 'HIGH|NOT_DEFAULT'],
  ['SRP-RSA-AES-256-CBC-SHA', 'TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA', 0xc021, 'SSLv3', 'SRP', 'RSA', 'AES(256)', 'SHA1', 'HIGH'],
  ['SRP-AES-256-CBC-SHA', 'TLS_SRP_SHA_WITH_AES_256_CBC_SHA', 0xc020, 'SSLv3', 'SRP', 'SRP', 'AES(256)', 'SHA1', 'HIGH'],
  ['RSA-PSK-AES256-CBC-SHA384', 'TLS_RSA_PSK_WITH_AES_256_CBC_SHA384', 0x00b7, 'TLSv1', 'RSAPSK', 'RSA', 'AES(256)', 'SHA384', 'HIGH|FIPS'],
  ['DHE-PSK-AES256-CBC-SHA384', 'TLS_DHE_PSK_WITH_AES_256_CBC_SHA384', 0x00b3, 'TLSv1', 'DHEPSK', 'PSK', 'AES(256)', 'SHA384', 'HIGH|FIPS'],
  ['RSA-PSK-AES256-CBC-SHA', 'TLS_RSA_PSK_WITH_AES_256_CBC_SHA', 0x0095, 'SSLv3', 'RSAPSK', 'RSA', 'AES(256)', 'SHA1', 'HIGH|FIPS'],
  ['DHE-PSK-AES256-CBC-SHA', 'TLS_DHE_PSK_WITH_AES_256_CBC_SHA', 0x0091, 'SSLv3', 'DHEPSK', 'PSK', 'AES(256)', 'SHA1', 'HIGH|FIPS'],
  ['ECDHE-PSK-CAMELLIA256-SHA384', 'TLS_ECDHE_PSK_WITH_CAMELLIA_256_CBC_SHA384', 0xc09b, 'TLSv1', 'ECDHEPSK', 'PSK', 'Camellia(256)', 'SHA384', 'HIGH|NOT_DEFAULT'],
  ['RSA-PSK-CAMELLIA256-SHA384', 'TLS_RSA_PSK_WITH_CAMELLIA_256_CBC_SHA384', 0xc099, 'TLSv1', 'RSAPSK', 'RSA', 'Camellia(256)', 'SHA384', 'HIGH|NOT_DEFAULT'],
  ['DHE-PSK-CAMELLIA256-SHA384', 'TLS_DHE_PSK_WITH_CAMELLIA_256_CBC_SHA384', 0xc097, 'TLSv1', 'DHEPSK', 'PSK', 'Camellia(256)', 'SHA384', 'HIGH|NOT_DEFAULT'],
  ['AES256-SHA', 'TLS_RSA_WITH_AES_256_CBC_SHA', 0x0035, 'SSLv3', 'RSA', 'RSA', 'AES(256)', 'SHA1', 'HIGH|FIPS'],
  ['CAMELLIA256-SHA', 'TLS_RSA_WITH_CAMELLIA_256_CBC_SHA', 0x0084, 'SSLv3', 'RSA', 'RSA', 'Camellia(256)', 'SHA1', 'HIGH|NOT_DEFAULT'],
  ['PSK-AES256-CBC-SHA384', 'TLS_PSK_WITH_AES_256_CBC_SHA384', 0x00af, 'TLSv1', 'PSK', 'PSK', 'AES(256)', 'SHA384', 'HIGH|FIPS'],
  ['PSK-AES256-CBC-SHA', 'TLS_PSK_WITH_AES_256_CBC_SHA', 0x008d, 'SSLv3', 'PSK', 'PSK', 'AES(256)', 'SHA1', 'HIGH|FIPS'],
  ['PSK-CAMELLIA256-SHA384', 'TLS_PSK_WITH_CAMELLIA_256_CBC_SHA384', 0xc095, 'TLSv1', 'PSK', 'PSK', 'Camellia(256)', 'SHA384', 'HIGH|NOT_DEFAULT'],
  ['ECDHE-PSK-AES128-CBC-SHA256', 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256', 0xc037, 'TLSv1', 'ECDHEPSK', 'PSK', 'AES(128)', 'SHA256', 'HIGH|FIPS'],
  ['ECDHE-PSK-AES128-CBC-SHA', 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA', 0xc035, 'TLSv1', 'ECDHEPSK', 'PSK', 'AES(128)', 'SHA1', 'HIGH|FIPS'],
  ['SRP-DSS-AES-128-CBC-SHA', 'TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA', 0xc01f, 'SSLv3', 'SRP', 'DSS', 'AES(128)', 'SHA1', 'HIGH|NOT_DEFAULT'],
  ['SRP-RSA-AES-128-CBC-SHA', 'TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA', 0xc01e, 'SSLv3', 'SRP', 'RSA', 'AES(128)', 'SHA1', 'HIGH'],
  ['SRP-AES-128-CBC-SHA', 'TLS_SRP_SHA_WITH_AES_128_CBC_SHA', 0xc01d, 'SSLv3', 'SRP', 'SRP', 'AES(128)', 'SHA1', 'HIGH'],
  ['RSA-PSK-AES128-CBC-SHA256', 'TLS_RSA_PSK_WITH_AES_128_CBC_SHA256', 0x00b6, 'TLSv1', 'RSAPSK', 'RSA', 'AES(128)', 'SHA256', 'HIGH|FIPS'],
  ['DHE-PSK-AES128-CBC-SHA256', 'TLS_DHE_PSK_WITH_AES_128_CBC_SHA256', 0x00b2, 'TLSv1', 'DHEPSK', 'PSK', 'AES(128)', 'SHA256', 'HIGH|FIPS'],
  ['RSA-PSK-AES128-CBC-SHA', 'TLS_RSA_PSK_WITH_AES_128_CBC_SHA', 0x0094, 'SSLv3', 'RSAPSK', 'RSA', 'AES(128)', 'SHA1', 'HIGH|FIPS'],
  ['DHE-PSK-AES128-CBC-SHA', 'TLS_DHE_PSK_WITH_AES_128_CBC_SHA', 0x0090, 'SSLv3', 'DHEPSK', 'PSK', 'AES(128)', 'SHA1', 'HIGH|FIPS'],
  ['ECDHE-PSK-CAMELLIA128-SHA256', 'TLS_ECDHE_PSK_WITH_CAMELLIA_128_CBC_SHA256', 0xc09a, 'TLSv1', 'ECDHEPSK', 'PSK', 'Camellia(128)', 'SHA256', 'HIGH|NOT_DEFAULT'],
  ['RSA-PSK-CAMELLIA128-SHA256', 'TLS_RSA_PSK_WITH_CAMELLIA_128_CBC_SHA256', 0xc098, 'TLSv1', 'RSAPSK', 'RSA', 'Camellia(128)', 'SHA256', 'HIGH|NOT_DEFAULT'],
  ['DHE-PSK-CAMELLIA128-SHA256', 'TLS_DHE_PSK_WITH_CAMELLIA_128_CBC_SHA256', 0xc096, 'TLSv1', 'DHEPSK', 'PSK', 'Camellia(128)', 'SHA256', 'HIGH|NOT_DEFAULT'],
  ['AES128-SHA', 'TLS_RSA_WITH_AES_128_CBC_SHA', 0x002f, 'SSLv3', 'RSA', 'RSA', 'AES(128)', 'SHA1', 'HIGH|FIPS'],
  ['CAMELLIA128-SHA', 'TLS_RSA_WITH_CAMELLIA_128_CBC_SHA', 0x0041, 'SSLv3', 'RSA', 'RSA', 'Camellia(128)', 'SHA1', 'HIGH|NOT_DEFAULT'],
  ['PSK-AES128-CBC-SHA256', 'TLS_PSK_WITH_AES_128_CBC_SHA256', 0x00ae, 'TLSv1', 'PSK', 'PSK', 'AES(128)', 'SHA256', 'HIGH|FIPS'],
  ['PSK-AES128-CBC-SHA', 'TLS_PSK_WITH_AES_128_CBC_SHA', 0x008c, 'SSLv3', 'PSK', 'PSK', 'AES(128)', 'SHA1', 'HIGH|FIPS'],
  ['PSK-CAMELLIA128-SHA256', 'TLS_PSK_WITH_CAMELLIA_128_CBC_SHA256', 0xc094, 'TLSv1', 'PSK', 'PSK', 'Camellia(128)', 'SHA256', 'HIGH|NOT_DEFAULT'],
  ['ECDHE-ECDSA-NULL-SHA', 'TLS_ECDHE_ECDSA_WITH_NULL_SHA', 0xc006, 'TLSv1', 'ECDH', 'ECDSA', 'None', 'SHA1', ''],
  ['ECDHE-RSA-NULL-SHA', 'TLS_ECDHE_RSA_WITH_NULL_SHA', 0xc010, 'TLSv1', 'ECDH', 'RSA', 'None', 'SHA1', ''],
  ['AECDH-NULL-SHA', 'TLS_ECDH_anon_WITH_NULL_SHA', 0xc015, 'TLSv1', 'ECDH', 'None', 'None', 'SHA1', ''],
  ['NULL-SHA256', 'TLS_RSA_WITH_NULL_SHA256', 0x003b, 'TLSv1.2', 'RSA', 'RSA', 'None', 'SHA256', ''],
  ['ECDHE-PSK-NULL-SHA384', 'TLS_ECDHE_PSK_WITH_NULL_SHA384', 0xc03b, 'TLSv1', 'ECDHEPSK', 'PSK', 'None', 'SHA384', ''],
  ['ECDHE-PSK-NULL-SHA256', 'TLS_ECDHE_PSK_WITH_NULL_SHA256', 0xc03a, 'TLSv1', 'ECDHEPSK', 'PSK', 'None', 'SHA256', ''],
  ['ECDHE-PSK-NULL-SHA', 'TLS_ECDHE_PSK_WITH_NULL_SHA', 0xc039, 'TLSv1', 'ECDHEPSK', 'PSK', 'None', 'SHA1', ''],
  ['RSA-PSK-NULL-SHA384', 'TLS_RSA_PSK_WITH_NULL_SHA384', 0x00b9, 'TLSv1', 'RSAPSK', 'RSA', 'None', 'SHA384', ''],
  ['RSA-PSK-NULL-SHA256', 'TLS_RSA_PSK_WITH_NULL_SHA256', 0x00b8, 'TLSv1', 'RSAPSK', 'RSA', 'None', 'SHA256', ''],
  ['DHE-PSK-NULL-SHA384', 'TLS_DHE_PSK_WITH_NULL_SHA384', 0x00b5, 'TLSv1', 'DHEPSK', 'PSK', 'None', 'SHA384', ''],
  ['DHE-PSK-NULL-SHA256', 'TLS_DHE_PSK_WITH_NULL_SHA256', 0x00b4, 'TLSv1', 'DHEPSK', 'PSK', 'None', 'SHA256', ''],
  ['RSA-PSK-NULL-SHA', 'TLS_RSA_PSK_WITH_NULL_SHA', 0x002e, 'SSLv3', 'RSAPSK', 'RSA', 'None', 'SHA1', ''],
  ['DHE-PSK-NULL-SHA', 'TLS_DHE_PSK_WITH_NULL_SHA', 0x002d, 'SSLv3', 'DHEPSK', 'PSK', 'None', 'SHA1', ''],
  ['NULL-SHA', 'TLS_RSA_WITH_NULL_SHA', 0x0002, 'SSLv3', 'RSA', 'RSA', 'None', 'SHA1', ''],
  ['NULL-MD5', 'TLS_RSA_WITH_NULL_MD5', 0x0001, 'SSLv3', 'RSA', 'RSA', 'None', 'MD5', ''],
  ['PSK-NULL-SHA384', 'TLS_PSK_WITH_NULL_SHA384', 0x00b1, 'TLSv1', 'PSK', 'PSK', 'None', 'SHA384', ''],
  ['PSK-NULL-SHA256', 'TLS_PSK_WITH_NULL_SHA256', 0x00b0, 'TLSv1', 'PSK', 'PSK', 'None', 'SHA256', ''],
  ['PSK-NULL-SHA', 'TLS_PSK_WITH_NULL_SHA', 0x002c, 'SSLv3', 'PSK', 'PSK', 'None', 'SHA1', ''],
];

function toCipher([name, standardName, id, version, kx, auth, enc, mac, strength]: Row): OpenSslCipher {
  const bits = enc === 'None' ? 0 : Number(/\((\d+)\)/.exec(enc)![1]);
  let flags = 0;
  for (const f of strength.split('|')) if (f) flags |= s[f as keyof typeof s];
  return {
    name, standardName, id, minVersion: versionByName[version]!, kx: kxByName[kx]!, auth: authByName[auth]!,
    enc: encByName[enc]!, mac: macByName[mac]!, strength: flags, bits,
  };
}

/** OpenSSL's TLS 1.2 suites (see `rows`). */
export const openSslCiphers: readonly OpenSslCipher[] = rows.map(toCipher);

/** A selection rule: what an alias or cipher name matches (OpenSSL's cipher_aliases[]). 0 matches anything. */
interface Selector {
  readonly name: string;
  readonly kx: number;
  readonly auth: number;
  readonly enc: number;
  readonly mac: number;
  readonly minVersion: number;
  readonly strength: number;
  /** Set for a cipher's own name: the rule then matches that suite alone. */
  readonly id?: number;
}

function alias(name: string, sel: Partial<Omit<Selector, 'name'>>): Selector {
  return { name, kx: 0, auth: 0, enc: 0, mac: 0, minVersion: 0, strength: 0, ...sel };
}

const PSK_KX = k.PSK | k.RSAPSK | k.DHEPSK | k.ECDHEPSK;
const CBC = e.AES128 | e.AES256 | e.CAMELLIA128 | e.CAMELLIA256;

/** OpenSSL 3.0's aliases, less those of algorithms it leaves out (3DES, RC4, RC2, IDEA, SEED, GOST). */
const aliases: readonly Selector[] = [
  alias('ALL', { enc: ALL_BITS & ~e.NULL }),
  alias('COMPLEMENTOFALL', { enc: e.NULL }),
  alias('COMPLEMENTOFDEFAULT', { strength: s.NOT_DEFAULT }),
  alias('kRSA', { kx: k.RSA }),
  alias('kEDH', { kx: k.DHE }),
  alias('kDHE', { kx: k.DHE }),
  alias('DH', { kx: k.DHE }),
  alias('kEECDH', { kx: k.ECDHE }),
  alias('kECDHE', { kx: k.ECDHE }),
  alias('ECDH', { kx: k.ECDHE }),
  alias('kPSK', { kx: k.PSK }),
  alias('kRSAPSK', { kx: k.RSAPSK }),
  alias('kECDHEPSK', { kx: k.ECDHEPSK }),
  alias('kDHEPSK', { kx: k.DHEPSK }),
  alias('kSRP', { kx: k.SRP }),
  alias('aRSA', { auth: a.RSA }),
  alias('aDSS', { auth: a.DSS }),
  alias('DSS', { auth: a.DSS }),
  alias('aNULL', { auth: a.NULL }),
  alias('aECDSA', { auth: a.ECDSA }),
  alias('ECDSA', { auth: a.ECDSA }),
  alias('aPSK', { auth: a.PSK }),
  alias('aSRP', { auth: a.SRP }),
  alias('EDH', { kx: k.DHE, auth: ALL_BITS & ~a.NULL }),
  alias('DHE', { kx: k.DHE, auth: ALL_BITS & ~a.NULL }),
  alias('EECDH', { kx: k.ECDHE, auth: ALL_BITS & ~a.NULL }),
  alias('ECDHE', { kx: k.ECDHE, auth: ALL_BITS & ~a.NULL }),
  alias('NULL', { enc: e.NULL }),
  alias('RSA', { kx: k.RSA, auth: a.RSA }),
  alias('ADH', { kx: k.DHE, auth: a.NULL }),
  alias('AECDH', { kx: k.ECDHE, auth: a.NULL }),
  alias('PSK', { kx: PSK_KX }),
  alias('SRP', { kx: k.SRP }),
  alias('eNULL', { enc: e.NULL }),
  alias('AES128', { enc: e.AES128 | e.AES128GCM | e.AES128CCM | e.AES128CCM8 }),
  alias('AES256', { enc: e.AES256 | e.AES256GCM | e.AES256CCM | e.AES256CCM8 }),
  alias('AES', { enc: AES }),
  alias('AESGCM', { enc: AESGCM }),
  alias('AESCCM', { enc: e.AES128CCM | e.AES256CCM | e.AES128CCM8 | e.AES256CCM8 }),
  alias('AESCCM8', { enc: e.AES128CCM8 | e.AES256CCM8 }),
  alias('CAMELLIA128', { enc: e.CAMELLIA128 }),
  alias('CAMELLIA256', { enc: e.CAMELLIA256 }),
  alias('CAMELLIA', { enc: e.CAMELLIA128 | e.CAMELLIA256 }),
  alias('CHACHA20', { enc: e.CHACHA20POLY1305 }),
  alias('ARIA', { enc: e.ARIA128GCM | e.ARIA256GCM }),
  alias('ARIAGCM', { enc: e.ARIA128GCM | e.ARIA256GCM }),
  alias('ARIA128', { enc: e.ARIA128GCM }),
  alias('ARIA256', { enc: e.ARIA256GCM }),
  alias('CBC', { enc: CBC }),
  alias('MD5', { mac: m.MD5 }),
  alias('SHA1', { mac: m.SHA1 }),
  alias('SHA', { mac: m.SHA1 }),
  alias('SHA256', { mac: m.SHA256 }),
  alias('SHA384', { mac: m.SHA384 }),
  alias('SSLv3', { minVersion: ProtocolVersion.SSLv3 }),
  alias('TLSv1', { minVersion: ProtocolVersion.TLSv1 }),
  alias('TLSv1.0', { minVersion: ProtocolVersion.TLSv1 }),
  alias('TLSv1.2', { minVersion: ProtocolVersion['TLSv1.2'] }),
  alias('LOW', { strength: s.LOW }),
  alias('MEDIUM', { strength: s.MEDIUM }),
  alias('HIGH', { strength: s.HIGH }),
  alias('FIPS', { enc: ALL_BITS & ~e.NULL, strength: s.FIPS }),
];

/** Names first, then aliases, as OpenSSL searches them. */
const selectors = new Map<string, Selector>();
for (const c of openSslCiphers) selectors.set(c.name, { ...c, minVersion: 0, id: c.id });
for (const sel of aliases) if (!selectors.has(sel.name)) selectors.set(sel.name, sel);

/** OpenSSL's default list (OSSL_default_cipher_list), what a string starting with DEFAULT starts from. */
export const OPENSSL_DEFAULT_CIPHER_LIST = 'ALL:!COMPLEMENTOFDEFAULT:!eNULL';

/** The highest @SECLEVEL OpenSSL knows. */
export const MAX_SECURITY_LEVEL = 5;

/** A cipher string OpenSSL refuses, with OpenSSL's reason ("no cipher match", "invalid command"). */
export function cipherStringError(reason: 'no cipher match' | 'invalid command'): TlsError {
  return new TlsError('api_misuse', reason, { code: reason === 'no cipher match' ? 'ERR_SSL_NO_CIPHER_MATCH' : 'ERR_SSL_INVALID_COMMAND' });
}

/**
 * The working list: every suite once, in order, each in it (active) or not. Rules move suites
 * around as OpenSSL's linked list does; a suite removed with '!' leaves it.
 */
class CipherOrder {
  entries: { readonly cipher: OpenSslCipher; active: boolean }[];

  constructor(ciphers: readonly OpenSslCipher[]) {
    this.entries = ciphers.map((cipher) => ({ cipher, active: false }));
  }

  /** Apply one rule to the suites `matches` selects (OpenSSL's ssl_cipher_apply_rule). */
  apply(rule: 'add' | 'order' | 'delete' | 'bump' | 'kill', matches: (c: OpenSslCipher) => boolean): void {
    const hit = this.entries.filter((x) => matches(x.cipher) && (rule === 'add' ? !x.active : rule === 'kill' ? true : x.active));
    if (hit.length === 0) return;
    const rest = this.entries.filter((x) => !hit.includes(x));
    switch (rule) {
      case 'add': // to the end, in list order
        for (const x of hit) x.active = true;
        this.entries = [...rest, ...hit];
        break;
      case 'order': // those in the list, to its end
        this.entries = [...rest, ...hit];
        break;
      case 'delete': // out of the list, to the front of the list's order, where a later add finds them first
        for (const x of hit) x.active = false;
        this.entries = [...hit, ...rest];
        break;
      case 'bump': // those in the list, to its front
        this.entries = [...hit, ...rest];
        break;
      case 'kill':
        this.entries = rest;
        break;
    }
  }

  /** @STRENGTH: the suites in the list sorted by key strength, the strongest first, stable within each strength. */
  strengthSort(): void {
    const strengths = [...new Set(this.entries.filter((x) => x.active).map((x) => x.cipher.bits))].sort((x, y) => y - x);
    for (const bits of strengths) this.apply('order', (c) => c.bits === bits);
  }

  active(): OpenSslCipher[] {
    return this.entries.filter((x) => x.active).map((x) => x.cipher);
  }
}

function matcher(sel: Omit<Selector, 'name'>): (c: OpenSslCipher) => boolean {
  return (c) => {
    if (sel.id !== undefined && c.id !== sel.id) return false;
    if (sel.kx && !(sel.kx & c.kx)) return false;
    if (sel.auth && !(sel.auth & c.auth)) return false;
    if (sel.enc && !(sel.enc & c.enc)) return false;
    if (sel.mac && !(sel.mac & c.mac)) return false;
    if (sel.minVersion && sel.minVersion !== c.minVersion) return false;
    if (sel.strength & STRONG_MASK && !(sel.strength & STRONG_MASK & c.strength)) return false;
    if (sel.strength & DEFAULT_MASK && !(sel.strength & DEFAULT_MASK & c.strength)) return false;
    return true;
  };
}

const any = (sel: Partial<Omit<Selector, 'name'>>) => matcher({ kx: 0, auth: 0, enc: 0, mac: 0, minVersion: 0, strength: 0, ...sel });

/**
 * OpenSSL's order of preference before any rule: ECDHE first (ECDSA before RSA), AES-GCM, then
 * ChaCha20, then other AES; MD5, anonymous, RSA and PSK key exchange last; then by key strength;
 * then TLS 1.2 suites, AEADs, forward secrecy, and forward-secret AEADs moved up in turn.
 */
function preferenceOrder(): CipherOrder {
  const order = new CipherOrder(openSslCiphers);
  order.apply('add', any({ kx: k.ECDHE, auth: a.ECDSA }));
  order.apply('add', any({ kx: k.ECDHE }));
  order.apply('delete', any({ kx: k.ECDHE }));
  order.apply('add', any({ enc: AESGCM }));
  order.apply('add', any({ enc: e.CHACHA20POLY1305 }));
  order.apply('add', any({ enc: AES & ~AESGCM }));
  order.apply('add', any({}));
  order.apply('order', any({ mac: m.MD5 }));
  order.apply('order', any({ auth: a.NULL }));
  order.apply('order', any({ kx: k.RSA }));
  order.apply('order', any({ kx: k.PSK }));
  order.strengthSort();
  order.apply('bump', any({ minVersion: ProtocolVersion['TLSv1.2'] }));
  order.apply('bump', any({ mac: m.AEAD }));
  order.apply('bump', any({ kx: k.DHE | k.ECDHE }));
  order.apply('bump', any({ kx: k.DHE | k.ECDHE, mac: m.AEAD }));
  order.apply('delete', any({}));
  return order;
}

const SEPARATOR = /[:;, ]/;
const WORD = /[A-Za-z0-9.=-]/;

/** Runs the rules of `rules` over `order` (OpenSSL's ssl_cipher_process_rulestr); returns the @SECLEVEL set, if any. */
function processRules(rules: string, order: CipherOrder, level: { value: number | undefined }): void {
  let i = 0;
  while (i < rules.length) {
    const ch = rules[i]!;
    let rule: 'add' | 'delete' | 'order' | 'kill' | 'special' = 'add';
    if (ch === '-') rule = 'delete';
    else if (ch === '+') rule = 'order';
    else if (ch === '!') rule = 'kill';
    else if (ch === '@') rule = 'special';
    if (rule !== 'add') {
      i++;
    } else if (SEPARATOR.test(ch)) {
      i++;
      continue;
    }
    // One or more words joined by '+', their selections intersected.
    const sel = { kx: 0, auth: 0, enc: 0, mac: 0, minVersion: 0, strength: 0, id: undefined as number | undefined };
    let found = false;
    let word = '';
    for (;;) {
      const start = i;
      while (i < rules.length && WORD.test(rules[i]!)) i++;
      word = rules.slice(start, i);
      if (word === '') throw cipherStringError('invalid command');
      if (rule === 'special') break;
      const multi = rules[i] === '+';
      if (multi) i++;
      const hit = selectors.get(word);
      found = hit !== undefined && intersect(sel, hit);
      if (!found || !multi) break;
    }
    if (rule === 'special') {
      if (word === 'STRENGTH') order.strengthSort();
      else if (/^SECLEVEL=[0-9]$/.test(word) && Number(word[9]) <= MAX_SECURITY_LEVEL) level.value = Number(word[9]);
      else throw cipherStringError('invalid command');
    } else if (found) {
      order.apply(rule, matcher(sel));
    }
    // Whatever is left of this rule (an unknown name, a '+' after a command) is skipped.
    while (i < rules.length && !SEPARATOR.test(rules[i]!)) i++;
  }
}

/** Narrows `sel` by `hit` as OpenSSL combines the words of 'A+B'; false when nothing can match both. */
function intersect(
  sel: { kx: number; auth: number; enc: number; mac: number; minVersion: number; strength: number; id: number | undefined },
  hit: Selector,
): boolean {
  for (const field of ['kx', 'auth', 'enc', 'mac'] as const) {
    if (!hit[field]) continue;
    sel[field] = sel[field] ? sel[field] & hit[field] : hit[field];
    if (!sel[field]) return false;
  }
  for (const mask of [STRONG_MASK, DEFAULT_MASK]) {
    const bits = hit.strength & mask;
    if (!bits) continue;
    if (sel.strength & mask) {
      sel.strength &= bits | ~mask;
      if (!(sel.strength & mask)) return false;
    } else {
      sel.strength |= bits;
    }
  }
  if (hit.id !== undefined) {
    sel.id = hit.id;
  } else if (hit.minVersion) {
    if (sel.minVersion && sel.minVersion !== hit.minVersion) return false;
    sel.minVersion = hit.minVersion;
  }
  return true;
}

/** What a TLS 1.2 cipher string selects. */
export interface CipherList {
  /** The suites in order of preference, from OpenSSL's table. */
  readonly ciphers: readonly OpenSslCipher[];
  /** The level an @SECLEVEL=n command set, if any. */
  readonly securityLevel: number | undefined;
}

/**
 * The suites a TLS 1.2 cipher string selects, as SSL_CTX_set_cipher_list(3) does. Throws a
 * TlsError with code ERR_SSL_NO_CIPHER_MATCH when it selects none (an empty string included) and
 * ERR_SSL_INVALID_COMMAND for a rule OpenSSL cannot read.
 */
export function expandCipherString(rules: string): CipherList {
  const order = preferenceOrder();
  const level = { value: undefined as number | undefined };
  let rest = rules;
  if (rest.startsWith('DEFAULT')) {
    processRules(OPENSSL_DEFAULT_CIPHER_LIST, order, level);
    rest = rest.slice(7);
    if (rest.startsWith(':')) rest = rest.slice(1);
  }
  processRules(rest, order, level);
  const ciphers = order.active();
  if (ciphers.length === 0) throw cipherStringError('no cipher match');
  return { ciphers, securityLevel: level.value };
}

/** The TLS 1.3 suites OpenSSL 3.0 has, by IANA name, and its default list (TLS_AES_256_GCM_SHA384 first). */
export const tls13SuiteNames: readonly string[] = [
  'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_8_SHA256',
];
export const OPENSSL_DEFAULT_CIPHERSUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

/**
 * A TLS 1.3 suite list as SSL_CTX_set_ciphersuites(3) reads it: IANA names separated by ':',
 * unknown names skipped; a list that names none fails with "no cipher match" (an empty list is
 * allowed and selects none). Names of TLS 1.2 suites are returned too (OpenSSL looks them up in
 * the same table): the caller decides what to do with them.
 */
export function parseCipherSuites(list: string): string[] {
  if (list === '') return [];
  const names: string[] = [];
  for (const raw of list.split(':')) {
    const name = raw.trim();
    if (tls13SuiteNames.includes(name) || openSslCiphers.some((c) => c.standardName === name)) names.push(name);
  }
  if (names.length === 0) throw cipherStringError('no cipher match');
  return names;
}

/** node's default cipher string (node:crypto constants.defaultCoreCipherList, tls.DEFAULT_CIPHERS). */
export const NODE_DEFAULT_CIPHERS =
  'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:' +
  'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:' +
  'DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA256:DHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:DHE-RSA-AES256-SHA384:' +
  'ECDHE-RSA-AES256-SHA256:DHE-RSA-AES256-SHA256:HIGH:!aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:!PSK:!SRP:!CAMELLIA';
