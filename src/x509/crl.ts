// Certificate revocation lists (RFC 5280 Section 5) and their use in path validation (Section 6.3).
//
// What is checked, for every certificate of a validated path below its trust anchor (as node:tls
// does with its `crl` option, which turns on OpenSSL's X509_V_FLAG_CRL_CHECK | CRL_CHECK_ALL):
// - a CRL whose issuer is the certificate's issuer, whose authorityKeyIdentifier (if any) is the
//   issuer's key, signed by the issuer's key, the issuer's keyUsage (if any) including cRLSign;
// - that covers the certificate: not a delta CRL (delta CRLs are not used; the complete CRL is
//   needed), an issuingDistributionPoint that does not limit it to the other kind of certificate,
//   to some reasons or to an indirect CRL; no critical extension this module does not process;
// - that is current: thisUpdate <= now <= nextUpdate;
// - the certificate's serial is not listed (an entry with reason removeFromCRL does not count).
// Failures carry OpenSSL's names: CERT_REVOKED, UNABLE_TO_GET_CRL, CRL_SIGNATURE_FAILURE,
// CRL_NOT_YET_VALID, CRL_HAS_EXPIRED, KEYUSAGE_NO_CRL_SIGN.

import { TlsError } from '../errors.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { Certificate, Name } from './certificate.js';
import { KeyUsage, Oid, readAlgorithmIdentifier, readExtensions, readName, signatureSchemeOf } from './certificate.js';
import { DerReader, Tag, bytesEqual, contextTag, malformed, parseBoolean, toHex } from './der.js';
import { pemDecode } from './pem.js';

export interface CrlEntry {
  /** CRLReason (RFC 5280 Section 5.3.1), when given. */
  readonly reason: number | undefined;
  /** The entry names another certificate issuer (an indirect CRL), which this module does not follow. */
  readonly otherIssuer: boolean;
}

export interface Crl {
  readonly raw: Uint8Array;
  readonly tbsCertList: Uint8Array;
  readonly signatureAlgorithm: { readonly oid: string; readonly scheme: number | undefined };
  readonly signatureValue: Uint8Array;
  readonly issuer: Name;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  /** Revoked serial numbers (hex of the INTEGER's encoding) and their entries. */
  readonly revoked: ReadonlyMap<string, CrlEntry>;
  readonly authorityKeyIdentifier: Uint8Array | undefined;
  /** A delta CRL (deltaCRLIndicator), not used on its own. */
  readonly delta: boolean;
  /** issuingDistributionPoint: which certificates the CRL covers. */
  readonly scope: { readonly onlyUser: boolean; readonly onlyCa: boolean; readonly partial: boolean };
  /** A critical CRL or entry extension this module does not process, which makes the CRL unusable. */
  readonly unknownCritical: string | undefined;
}

const crlExtensionsHandled = new Set<string>([Oid.cRLNumber, Oid.authorityKeyIdentifier, Oid.deltaCRLIndicator, Oid.issuingDistributionPoint]);
const entryExtensionsHandled = new Set<string>([Oid.cRLReason, Oid.invalidityDate, Oid.certificateIssuer]);

/** Parses one DER CertificateList (RFC 5280 Section 5.1). Throws TlsError(bad_certificate) naming what is malformed. */
export function parseCrl(der: Uint8Array): Crl {
  return DerReader.readAll(der, 'CRL', (outer) => {
    const listEl = outer.expectElement(Tag.SEQUENCE, 'CertificateList');
    const c = new DerReader(listEl.contents, 'CertificateList');
    const tbsEl = c.expectElement(Tag.SEQUENCE, 'tbsCertList');
    const signatureAlgorithm = readAlgorithmIdentifier(c, 'signatureAlgorithm');
    const signature = c.bitString('signatureValue');
    c.end();
    const t = new DerReader(tbsEl.contents, 'TBSCertList');
    if (t.peekTag() === Tag.INTEGER) {
      const v = t.smallInteger('version');
      if (v !== 1) throw malformed(`TBSCertList.version is ${v}`);
    }
    const inner = readAlgorithmIdentifier(t, 'signature');
    if (!bytesEqual(inner.raw, signatureAlgorithm.raw)) throw malformed('TBSCertList.signature differs from CertificateList.signatureAlgorithm');
    const issuer = readName(t, 'issuer');
    const thisUpdate = t.time('thisUpdate');
    const nextUpdate = !t.empty() && (t.peekTag() === Tag.UTCTime || t.peekTag() === Tag.GeneralizedTime) ? t.time('nextUpdate') : undefined;
    const revoked = new Map<string, CrlEntry>();
    let unknownCritical: string | undefined;
    if (!t.empty() && t.peekTag() === Tag.SEQUENCE) {
      const entries = t.sequence('revokedCertificates');
      while (!entries.empty()) {
        const e = entries.sequence('revokedCertificate');
        const serial = e.integer('userCertificate');
        e.time('revocationDate');
        let reason: number | undefined;
        let otherIssuer = false;
        if (!e.empty()) {
          for (const x of readExtensions(e, 'crlEntryExtensions')) {
            if (x.oid === Oid.cRLReason) {
              // CRLReason ::= ENUMERATED
              reason = DerReader.readAll(x.value, 'cRLReason', (r) => {
                const el = r.expectElement(0x0a, 'CRLReason');
                if (el.contents.length !== 1) throw malformed('cRLReason is not one octet');
                return el.contents[0]!;
              });
            }
            if (x.oid === Oid.certificateIssuer) otherIssuer = true;
            if (x.critical && !entryExtensionsHandled.has(x.oid)) unknownCritical ??= x.oid;
          }
        }
        e.end();
        revoked.set(toHex(serial), { reason, otherIssuer });
      }
    }
    let authorityKeyIdentifier: Uint8Array | undefined;
    let delta = false;
    const scope = { onlyUser: false, onlyCa: false, partial: false };
    const ext = t.explicit(0, 'crlExtensions');
    if (ext) {
      for (const x of readExtensions(ext, 'crlExtensions')) {
        if (x.critical && !crlExtensionsHandled.has(x.oid)) unknownCritical ??= x.oid;
        if (x.oid === Oid.deltaCRLIndicator) delta = true;
        if (x.oid === Oid.authorityKeyIdentifier) {
          authorityKeyIdentifier = DerReader.readAll(x.value, 'authorityKeyIdentifier', (r) => {
            const s = r.sequence('AuthorityKeyIdentifier');
            const id = s.implicit(0, 'keyIdentifier');
            s.optional(contextTag(1, true), 'authorityCertIssuer');
            s.implicit(2, 'authorityCertSerialNumber');
            s.end();
            return id;
          });
        }
        if (x.oid === Oid.issuingDistributionPoint) {
          DerReader.readAll(x.value, 'issuingDistributionPoint', (r) => {
            const s = r.sequence('IssuingDistributionPoint');
            s.optional(contextTag(0, true), 'distributionPoint');
            const flag = (n: number, field: string) => {
              const b = s.implicit(n, field);
              return b !== undefined && parseBoolean(b, `issuingDistributionPoint.${field}`);
            };
            scope.onlyUser = flag(1, 'onlyContainsUserCerts');
            scope.onlyCa = flag(2, 'onlyContainsCACerts');
            const someReasons = s.implicit(3, 'onlySomeReasons') !== undefined;
            const indirect = flag(4, 'indirectCRL');
            const attributes = flag(5, 'onlyContainsAttributeCerts');
            scope.partial = someReasons || indirect || attributes;
            s.end();
          });
        }
      }
      ext.end();
    }
    t.end();
    return {
      raw: listEl.raw,
      tbsCertList: tbsEl.raw,
      signatureAlgorithm: { oid: signatureAlgorithm.oid, scheme: signatureSchemeOf(signatureAlgorithm) },
      signatureValue: signature.bytes,
      issuer,
      thisUpdate,
      nextUpdate,
      revoked,
      authorityKeyIdentifier,
      delta,
      scope,
      unknownCritical,
    };
  });
}

/** CRLs from PEM text (every "X509 CRL" block) or DER, one or a list (node:tls's `crl` option takes either). */
export function parseCrls(input: string | Uint8Array | readonly (string | Uint8Array)[]): Crl[] {
  const list = typeof input === 'string' || input instanceof Uint8Array ? [input] : input;
  const out: Crl[] = [];
  for (const item of list) {
    const text = typeof item === 'string' ? item : isPemBytes(item) ? new TextDecoder('latin1').decode(item) : undefined;
    if (text === undefined) {
      out.push(parseCrl(item as Uint8Array));
      continue;
    }
    const blocks = pemDecode(text).filter((b) => b.label === 'X509 CRL');
    if (blocks.length === 0) throw new TlsError('bad_certificate', 'no X509 CRL block in PEM text');
    for (const b of blocks) out.push(parseCrl(b.der));
  }
  return out;
}

function isPemBytes(b: Uint8Array): boolean {
  // DER starts with a SEQUENCE tag; PEM text with "-----" (after optional whitespace or explanatory text).
  return b.length > 0 && b[0] !== Tag.SEQUENCE;
}

export interface RevocationFailure {
  readonly code: string;
  readonly message: string;
}

const removeFromCrl = 8;

/**
 * RFC 5280 Section 6.3: checks every certificate of `path` (leaf first) below its trust anchor
 * against `crls`. Undefined when none is revoked and each has a current, valid CRL.
 */
export function checkRevocation(
  provider: CryptoProvider,
  path: readonly Certificate[],
  crls: readonly Crl[],
  now: Date,
): RevocationFailure | undefined {
  for (let i = 0; i + 1 < path.length; i++) {
    const cert = path[i]!;
    const issuer = path[i + 1]!;
    const f = checkOne(provider, cert, issuer, crls, now);
    if (f) return f;
  }
  return undefined;
}

function checkOne(provider: CryptoProvider, cert: Certificate, issuer: Certificate, crls: readonly Crl[], now: Date): RevocationFailure | undefined {
  const isCa = cert.basicConstraints?.ca ?? false;
  let problem: RevocationFailure | undefined;
  for (const crl of crls) {
    if (!bytesEqual(crl.issuer.raw, cert.issuer.raw)) continue;
    if (crl.delta || crl.unknownCritical !== undefined || crl.scope.partial) continue;
    if ((crl.scope.onlyUser && isCa) || (crl.scope.onlyCa && !isCa)) continue;
    if (crl.authorityKeyIdentifier && issuer.subjectKeyIdentifier && !bytesEqual(crl.authorityKeyIdentifier, issuer.subjectKeyIdentifier)) continue;
    // RFC 5280 Section 4.2.1.3: the key that signs CRLs has cRLSign, when keyUsage is present.
    if (issuer.keyUsage !== undefined && (issuer.keyUsage & KeyUsage.cRLSign) === 0) {
      problem ??= { code: 'KEYUSAGE_NO_CRL_SIGN', message: 'key usage does not include CRL signing' };
      continue;
    }
    if (!signatureValid(provider, crl, issuer)) {
      problem ??= { code: 'CRL_SIGNATURE_FAILURE', message: 'CRL signature failure' };
      continue;
    }
    if (crl.thisUpdate.getTime() > now.getTime()) {
      problem ??= { code: 'CRL_NOT_YET_VALID', message: 'CRL is not yet valid' };
      continue;
    }
    if (crl.nextUpdate !== undefined && crl.nextUpdate.getTime() < now.getTime()) {
      problem ??= { code: 'CRL_HAS_EXPIRED', message: 'CRL has expired' };
      continue;
    }
    const entry = crl.revoked.get(toHex(cert.serialNumber));
    if (entry && !entry.otherIssuer && entry.reason !== removeFromCrl) {
      return { code: 'CERT_REVOKED', message: `certificate revoked${entry.reason !== undefined ? ` (reason ${reasonName(entry.reason)})` : ''}` };
    }
    return undefined;
  }
  return problem ?? { code: 'UNABLE_TO_GET_CRL', message: 'unable to get certificate CRL' };
}

function signatureValid(provider: CryptoProvider, crl: Crl, issuer: Certificate): boolean {
  const scheme = crl.signatureAlgorithm.scheme;
  if (scheme === undefined) return false;
  try {
    return provider.verify(provider.loadPublicKey(issuer.subjectPublicKeyInfo), scheme, crl.tbsCertList, crl.signatureValue);
  } catch {
    return false;
  }
}

/** RFC 5280 Section 5.3.1 reason names. */
export function reasonName(reason: number): string {
  return (
    ['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation',
      'certificateHold', 'unused', 'removeFromCRL', 'privilegeWithdrawn', 'aACompromise'][reason] ?? String(reason)
  );
}
