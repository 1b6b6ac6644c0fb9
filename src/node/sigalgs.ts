// node:tls `sigalgs` (OpenSSL's SSL_CTX_set1_sigalgs_list) and getSharedSigalgs(): signature
// schemes by OpenSSL's names, both ways.

import { SignatureScheme } from '../wire/enums.js';

/**
 * OpenSSL's "SIGNATURE+HASH" form of each scheme typetls implements, as node's getSharedSigalgs()
 * prints it: both RSA-PSS variants (rsae and pss) are "RSA-PSS", and EdDSA has no separate hash.
 */
const nodeNames: ReadonlyMap<number, string> = new Map([
  [SignatureScheme.rsa_pkcs1_sha1, 'RSA+SHA1'],
  [SignatureScheme.rsa_pkcs1_sha256, 'RSA+SHA256'],
  [SignatureScheme.rsa_pkcs1_sha384, 'RSA+SHA384'],
  [SignatureScheme.rsa_pkcs1_sha512, 'RSA+SHA512'],
  [SignatureScheme.ecdsa_sha1, 'ECDSA+SHA1'],
  [SignatureScheme.ecdsa_secp256r1_sha256, 'ECDSA+SHA256'],
  [SignatureScheme.ecdsa_secp384r1_sha384, 'ECDSA+SHA384'],
  [SignatureScheme.ecdsa_secp521r1_sha512, 'ECDSA+SHA512'],
  [SignatureScheme.rsa_pss_rsae_sha256, 'RSA-PSS+SHA256'],
  [SignatureScheme.rsa_pss_rsae_sha384, 'RSA-PSS+SHA384'],
  [SignatureScheme.rsa_pss_rsae_sha512, 'RSA-PSS+SHA512'],
  [SignatureScheme.rsa_pss_pss_sha256, 'RSA-PSS+SHA256'],
  [SignatureScheme.rsa_pss_pss_sha384, 'RSA-PSS+SHA384'],
  [SignatureScheme.rsa_pss_pss_sha512, 'RSA-PSS+SHA512'],
  [SignatureScheme.ed25519, 'Ed25519+UNDEF'],
  [SignatureScheme.ed448, 'Ed448+UNDEF'],
]);

/** node's name of a scheme for getSharedSigalgs(), or undefined for one it does not list. */
export function nodeSigalgName(scheme: number): string | undefined {
  return nodeNames.get(scheme);
}

/** OpenSSL's "SIG+HASH" pairs, read as its sigalg table reads them (the first match: PSS is rsae). */
const pairs: Readonly<Record<string, Readonly<Record<string, number | null>>>> = {
  RSA: { SHA1: SignatureScheme.rsa_pkcs1_sha1, SHA224: null, SHA256: SignatureScheme.rsa_pkcs1_sha256, SHA384: SignatureScheme.rsa_pkcs1_sha384, SHA512: SignatureScheme.rsa_pkcs1_sha512 },
  'RSA-PSS': { SHA256: SignatureScheme.rsa_pss_rsae_sha256, SHA384: SignatureScheme.rsa_pss_rsae_sha384, SHA512: SignatureScheme.rsa_pss_rsae_sha512 },
  ECDSA: { SHA1: SignatureScheme.ecdsa_sha1, SHA224: null, SHA256: SignatureScheme.ecdsa_secp256r1_sha256, SHA384: SignatureScheme.ecdsa_secp384r1_sha384, SHA512: SignatureScheme.ecdsa_secp521r1_sha512 },
  DSA: { SHA1: null, SHA224: null, SHA256: null, SHA384: null, SHA512: null },
};

/** The TLS 1.3 names OpenSSL also takes (lower case, as in RFC 8446), and the legacy ones of its table. */
const tlsNames: Readonly<Record<string, number>> = { ...SignatureScheme };

/**
 * node's `sigalgs` option: a colon-separated list of OpenSSL signature algorithm names, either
 * "SIG+HASH" (RSA, RSA-PSS or PSS, ECDSA; SHA1 to SHA512) or a scheme's RFC 8446 name
 * (rsa_pss_rsae_sha256, ecdsa_secp384r1_sha384, ed25519, ...), in order of preference. Names OpenSSL
 * knows but typetls does not implement (DSA, SHA-224) are left out; an unknown name, an empty
 * one or a repeated scheme makes the whole list invalid, as in OpenSSL.
 */
export function parseSigalgs(list: string): number[] {
  const schemes: number[] = [];
  for (const name of list.split(':')) {
    let scheme: number | null | undefined;
    const plus = name.indexOf('+');
    if (plus >= 0) {
      const sig = name.slice(0, plus);
      scheme = pairs[sig === 'PSS' ? 'RSA-PSS' : sig]?.[name.slice(plus + 1).toUpperCase()];
    } else {
      scheme = Object.hasOwn(tlsNames, name) ? tlsNames[name] : undefined;
    }
    if (scheme === undefined) throw sigalgsError(`unknown signature algorithm '${name}'`);
    if (scheme === null) continue;
    if (schemes.includes(scheme)) throw sigalgsError(`'${name}' is listed twice`);
    schemes.push(scheme);
  }
  if (schemes.length === 0) throw sigalgsError('no signature algorithm that typetls implements');
  return schemes;
}

function sigalgsError(detail: string): Error {
  return new Error(`Failed to set sigalgs: ${detail}`);
}
