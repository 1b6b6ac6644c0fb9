// Test PKI generation with the library's own builder (src/x509/builder.ts) and node:crypto keys:
// certificates for the path-validation matrix, the malformed set and the interop tests, written as
// PEM files into a temporary directory so that openssl can be run on the very same bytes.

import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeCryptoProvider as provider } from '../../src/crypto/node.js';
import type { PrivateKey } from '../../src/crypto/provider.js';
import { NamedGroup, SignatureScheme } from '../../src/wire/enums.js';
import { buildCertificate, type CertificateTemplate } from '../../src/x509/builder.js';
import { KeyUsage, Oid, parseCertificate, type Name } from '../../src/x509/certificate.js';
import { pemEncode } from '../../src/x509/pem.js';

export type KeyKind = 'p256' | 'p384' | 'rsa' | 'rsa-pss' | 'ed25519';

export interface TestKey {
  readonly key: PrivateKey;
  /** PKCS#8 PEM, for openssl s_server and node:tls. */
  readonly pem: string;
}

export function newKey(kind: KeyKind): TestKey {
  const pair =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : kind === 'rsa-pss'
        ? generateKeyPairSync('rsa-pss', { modulusLength: 2048 })
        : kind === 'ed25519'
          ? generateKeyPairSync('ed25519')
          : generateKeyPairSync('ec', { namedCurve: kind === 'p256' ? 'P-256' : 'P-384' });
  const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  return { key: provider.loadPrivateKey(pem), pem };
}

/** The signature scheme an issuer's key signs certificates with. */
export function schemeFor(key: PrivateKey): number {
  switch (key.algorithm) {
    case 'rsa':
      return SignatureScheme.rsa_pkcs1_sha256;
    case 'rsa-pss':
      return SignatureScheme.rsa_pss_pss_sha256;
    case 'ed25519':
      return SignatureScheme.ed25519;
    case 'ec':
      return key.namedCurve === NamedGroup.secp384r1 ? SignatureScheme.ecdsa_secp384r1_sha384 : SignatureScheme.ecdsa_secp256r1_sha256;
  }
}

export interface Issued {
  readonly der: Uint8Array;
  readonly pem: string;
  readonly subject: Name;
  readonly key: TestKey;
}

const DAY = 86_400_000;

export interface IssueOptions extends Partial<Omit<CertificateTemplate, 'subject' | 'subjectPublicKeyInfo' | 'issuer'>> {
  readonly CN: string;
  /** The subject's key; a fresh P-256 key by default. */
  readonly key?: TestKey;
  /** Signature scheme override (e.g. SHA-1, or RSA-PSS with an RSA key). */
  readonly scheme?: number;
  /** Sign with this key instead of the issuer's (a bad signature under the issuer's name). */
  readonly signingKey?: TestKey;
  /** Leave the keyUsage extension out (a leaf otherwise gets digitalSignature). */
  readonly noKeyUsage?: boolean;
}

/**
 * Issues a certificate under `issuer` (or self-signed when `issuer` is undefined). Valid from 30 days
 * before `now` to 365 days after unless the options say otherwise; leaves get serverAuth and
 * digitalSignature unless given other values.
 */
export function issue(now: Date, issuer: Issued | undefined, o: IssueOptions): Issued {
  const key = o.key ?? newKey('p256');
  const signer = o.signingKey ?? issuer?.key ?? key;
  const isCA = o.isCA ?? false;
  const template: CertificateTemplate = {
    subject: { CN: o.CN },
    ...(issuer ? { issuer: issuer.subject } : {}),
    notBefore: o.notBefore ?? new Date(now.getTime() - 30 * DAY),
    notAfter: o.notAfter ?? new Date(now.getTime() + 365 * DAY),
    subjectPublicKeyInfo: key.key.spki,
    isCA,
    ...(o.pathLenConstraint !== undefined ? { pathLenConstraint: o.pathLenConstraint } : {}),
    ...(o.dnsNames ? { dnsNames: o.dnsNames } : {}),
    ...(o.ipAddresses ? { ipAddresses: o.ipAddresses } : {}),
    ...(o.noKeyUsage ? {} : { keyUsage: o.keyUsage ?? (isCA ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature) }),
    ...(o.extKeyUsage ? { extKeyUsage: o.extKeyUsage } : isCA ? {} : { extKeyUsage: [Oid.serverAuth] }),
    ...(o.nameConstraints ? { nameConstraints: o.nameConstraints } : {}),
    ...(o.extraExtensions ? { extraExtensions: o.extraExtensions } : {}),
    ...(o.serialNumber ? { serialNumber: o.serialNumber } : {}),
  };
  const der = buildCertificate(provider, template, signer.key, o.scheme ?? schemeFor(signer.key));
  return { der, pem: pemEncode('CERTIFICATE', der), subject: parseCertificate(der).subject, key };
}

/** The same certificate with the last byte of its signature changed: well-formed, but not what the issuer signed. */
export function tamperSignature(c: Issued): Issued {
  const der = Uint8Array.from(c.der);
  der[der.length - 1] ^= 0x01;
  return { ...c, der, pem: pemEncode('CERTIFICATE', der) };
}

export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'typetls-x509-'));
  private n = 0;
  /** Writes PEM text (one or more certificates) and returns the file's path. */
  write(name: string, text: string): string {
    const p = join(this.path, `${this.n++}-${name}`);
    writeFileSync(p, text);
    return p;
  }
  cleanup(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** Runs openssl; resolves with its exit code and both outputs (never rejects on a non-zero exit). */
export function openssl(args: readonly string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('openssl', [...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

/** Runs the tasks at most `limit` at a time. */
export async function inParallel<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/**
 * OpenSSL's X509_V_ERR_* numbers (include/openssl/x509_vfy.h, 3.0) as node:tls names them; the host
 * and IP mismatches are the ERR_TLS_CERT_ALTNAME_INVALID of node's checkServerIdentity.
 */
export const opensslVerifyCodes: Readonly<Record<number, string>> = {
  2: 'UNABLE_TO_GET_ISSUER_CERT',
  7: 'CERT_SIGNATURE_FAILURE',
  9: 'CERT_NOT_YET_VALID',
  10: 'CERT_HAS_EXPIRED',
  18: 'DEPTH_ZERO_SELF_SIGNED_CERT',
  19: 'SELF_SIGNED_CERT_IN_CHAIN',
  20: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  21: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  22: 'CERT_CHAIN_TOO_LONG',
  24: 'NO_ISSUER_PUBLIC_KEY',
  25: 'PATH_LENGTH_EXCEEDED',
  26: 'INVALID_PURPOSE',
  32: 'KEYUSAGE_NO_CERTSIGN',
  34: 'UNHANDLED_CRITICAL_EXTENSION',
  47: 'PERMITTED_VIOLATION',
  48: 'EXCLUDED_VIOLATION',
  51: 'UNSUPPORTED_CONSTRAINT_TYPE',
  53: 'UNSUPPORTED_NAME_SYNTAX',
  62: 'ERR_TLS_CERT_ALTNAME_INVALID',
  64: 'ERR_TLS_CERT_ALTNAME_INVALID',
  68: 'CA_MD_TOO_WEAK',
  79: 'INVALID_CA', // 24 until OpenSSL 3.0
  89: 'CA_BCONS_NOT_CRITICAL',
};

/** The verdict in `openssl verify` output: 'OK' or the code of the first error line. */
export function opensslVerdict(out: string): string {
  const m = /error (\d+) at \d+ depth lookup: ?(.*)/.exec(out);
  if (m) return opensslVerifyCodes[Number(m[1])] ?? `X509_V_ERR(${m[1]}: ${m[2]})`;
  if (/: OK\s*$/m.test(out)) return 'OK';
  return `UNPARSED(${out.trim().slice(0, 200)})`;
}
