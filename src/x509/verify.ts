// Certificate path validation (RFC 5280 Section 6) and identity checks (RFC 6125, RFC 9525), under one
// of two profiles:
// - 'webpki' (the default): RFC 5280 and the CA/Browser Forum Baseline Requirements as Chrome, Go and
//   rustls-webpki apply them to TLS: CAs carry a critical basicConstraints and a subjectKeyIdentifier,
//   certificates below the anchor an authorityKeyIdentifier, RSA keys have 2048 bits or more, a server
//   certificate names its host in the subjectAltName (the subject CN is not a name).
// - 'node': what node:tls (OpenSSL) accepts, for the node:tls-compatible API, whose programs and
//   private PKIs rely on it: a v1 self-signed trust anchor, CAs without those extensions, smaller
//   RSA keys, and node's checkServerIdentity rules for the name. Every other rule applies as well.
// docs/certificates.md lists each rule, its code, its test and what `openssl verify` says.

import { TlsError } from '../errors.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { SignatureScheme } from '../wire/enums.js';
import type { Certificate } from './certificate.js';
import { KeyUsage, Oid, parseCertificate } from './certificate.js';
import { bytesEqual, DerReader } from './der.js';
import { checkHostname, checkIp, formatIpAddress as formatIp, type HostnameRules } from './identity.js';
import { checkNameConstraints, NAME_CONSTRAINT_BUDGET, type ConstraintBudget } from './constraints.js';
import { checkRevocation, parseCrls, type Crl } from './crl.js';
import { pemDecode } from './pem.js';

export type VerifyProfile = 'webpki' | 'node';

export interface VerifyOptions {
  /** The chain as the peer sent it, leaf first; intermediates in any order. */
  readonly presented: readonly Certificate[];
  readonly roots: readonly Certificate[];
  /** The DNS name to check against the leaf (SAN dNSName), when the target is a name. */
  readonly hostname?: string;
  /** The IP address (text) to check against the leaf's iPAddress SANs, when the target is an address. */
  readonly ip?: string;
  readonly now: Date;
  readonly purpose: 'serverAuth' | 'clientAuth';
  /** The most intermediates allowed between leaf and root (self-issued ones not counted). */
  readonly maxDepth?: number;
  /**
   * What the handshake does with the leaf's key, when the caller knows it: see LeafKeyUsage. A leaf
   * whose keyUsage extension leaves that bit out is INVALID_PURPOSE; one without keyUsage allows it.
   */
  readonly keyUsage?: LeafKeyUsage;
  /** The rules to validate by; 'webpki' by default (see the top of this file). */
  readonly profile?: VerifyProfile;
  /**
   * For private PKIs whose server certificates still name the host in the subject CN only: the CN
   * is checked when the certificate has no dNSName, as node:tls does. Off by default ('webpki');
   * always on under the 'node' profile.
   */
  readonly commonNameFallback?: boolean;
  /** CRLs to check every certificate below the trust anchor against (RFC 5280 Section 6.3); see crl.ts. */
  readonly crls?: readonly Crl[];
}

/**
 * The use a key exchange makes of the leaf's key (RFC 5280 Section 4.2.1.3):
 * - 'digitalSignature': it signs the handshake, as in ECDHE and DHE ServerKeyExchange (RFC 5246
 *   Section 7.4.3, RFC 8422 Section 5.4), a TLS 1.3 CertificateVerify (RFC 8446 Section 4.4.3)
 *   and a client's CertificateVerify (RFC 5246 Section 7.4.8);
 * - 'keyEncipherment': it decrypts the premaster secret of the RSA key exchange (RFC 5246 Section 7.4.2:
 *   "the keyEncipherment bit MUST be set if the key usage extension is present").
 */
export type LeafKeyUsage = 'digitalSignature' | 'keyEncipherment';

/** What path building spent, against its fixed budgets. */
export interface PathBuildingStats {
  readonly signatureChecks: number;
  readonly signatureBudget: number;
  readonly candidates: number;
  readonly candidateBudget: number;
  readonly nameConstraintComparisons: number;
  readonly nameConstraintBudget: number;
}

export type VerifyResult =
  | { readonly ok: true; readonly chain: readonly Certificate[]; readonly stats?: PathBuildingStats }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly stats?: PathBuildingStats };

type Failure = { readonly ok: false; readonly code: string; readonly message: string };

function fail(code: string, message: string): Failure {
  return { ok: false, code, message };
}

// OpenSSL's verify error names (X509_V_ERR_ without the prefix) and strings, as node:tls reports them.
const Failures = {
  expired: () => fail('CERT_HAS_EXPIRED', 'certificate has expired'),
  notYetValid: () => fail('CERT_NOT_YET_VALID', 'certificate is not yet valid'),
  invalidCa: (why?: string) => fail('INVALID_CA', why ? `invalid CA certificate: ${why}` : 'invalid CA certificate'),
  pathLength: () => fail('PATH_LENGTH_EXCEEDED', 'path length constraint exceeded'),
  purpose: (why?: string) => fail('INVALID_PURPOSE', why ? `unsupported certificate purpose: ${why}` : 'unsupported certificate purpose'),
  // OpenSSL has no error of its own for this (it does not check it, openssl/openssl#25718); its purpose code fits.
  keyUsage: (use: LeafKeyUsage) =>
    fail('INVALID_PURPOSE', `unsupported certificate purpose: the leaf's keyUsage does not include ${use}, which the key exchange needs`),
  signature: () => fail('CERT_SIGNATURE_FAILURE', 'certificate signature failure'),
  criticalExtension: (oid: string) =>
    fail('UNHANDLED_CRITICAL_EXTENSION', `unhandled critical extension ${oid}`),
  tooLong: () => fail('CERT_CHAIN_TOO_LONG', 'certificate chain too long'),
  workExhausted: () =>
    fail('CERT_CHAIN_TOO_LONG', 'certificate chain too long: path building stopped after its budget of signature checks and candidate issuers'),
  // node:tls has no code of its own for these (it reports UNSPECIFIED); OpenSSL's names are kept.
  permittedViolation: (name: string) => fail('PERMITTED_VIOLATION', `permitted subtree violation: ${name}`),
  excludedViolation: (name: string) => fail('EXCLUDED_VIOLATION', `excluded subtree violation: ${name}`),
  unsupportedName: (name: string) =>
    fail('UNSUPPORTED_NAME_SYNTAX', `unsupported or invalid name syntax: ${name} cannot be compared with the name constraints of its form`),
  badConstraint: (why: string) => fail('UNSUPPORTED_CONSTRAINT_SYNTAX', `unsupported or invalid name constraint syntax: ${why}`),
  constraintBudget: () =>
    fail('NAME_CONSTRAINTS_TOO_COMPLEX', `name constraints check stopped after its budget of ${NAME_CONSTRAINT_BUDGET} comparisons`),
  invalidExtension: (why: string) => fail('INVALID_EXTENSION', `invalid or inconsistent certificate extension: ${why}`),
  keyTooSmall: (ca: boolean, why: string) => fail(ca ? 'CA_KEY_TOO_SMALL' : 'EE_KEY_TOO_SMALL', `${ca ? 'CA' : 'EE'} certificate key too weak: ${why}`),
  explicitCurve: () => fail('EC_KEY_EXPLICIT_PARAMS', 'certificate public key has explicit ECC parameters'),
  basicConstraintsNotCritical: () => fail('CA_BCONS_NOT_CRITICAL', 'basic constraints of CA cert not marked critical'),
  missingSki: () => fail('MISSING_SUBJECT_KEY_IDENTIFIER', 'missing Subject Key Identifier'),
  missingAki: () => fail('MISSING_AUTHORITY_KEY_IDENTIFIER', 'missing Authority Key Identifier'),
  akiCritical: () => fail('AUTHORITY_KEY_IDENTIFIER_CRITICAL', 'authority key identifier marked critical'),
  skiCritical: () => fail('SUBJECT_KEY_IDENTIFIER_CRITICAL', 'subject key identifier marked critical'),
  keyCertSignNonCa: () => fail('KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA', 'key usage keyCertSign invalid for non-CA cert'),
  emptySubjectSan: () => fail('EMPTY_SUBJECT_SAN_NOT_CRITICAL', 'subject empty and subject alt name extension not critical'),
  depthZeroSelfSigned: () => fail('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'),
  selfSignedInChain: () => fail('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
  leafSignature: () => fail('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'),
  issuerLocally: () => fail('UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate'),
};

/** The extensions this validator processes; any other extension marked critical fails the path (RFC 5280 Section 4.2). */
const handledExtensions = new Set<string>([
  Oid.basicConstraints,
  Oid.keyUsage,
  Oid.extKeyUsage,
  Oid.subjectAltName,
  Oid.subjectKeyIdentifier,
  Oid.authorityKeyIdentifier,
  Oid.nameConstraints,
]);

const purposeOid = { serverAuth: Oid.serverAuth, clientAuth: Oid.clientAuth } as const;

/** The total signature checks one validation may make, so that path building cannot explode. */
export const SIGNATURE_BUDGET = 100;
/** The total candidate issuers one validation may consider (cached signature results cost nothing, this bounds them). */
export const CANDIDATE_BUDGET = 2000;
const DEFAULT_MAX_DEPTH = 8;

/**
 * Builds a path from the leaf to one of `roots` and validates it. Failure codes
 * are node:tls's (OpenSSL's verify error names): CERT_HAS_EXPIRED, CERT_NOT_YET_VALID,
 * UNABLE_TO_GET_ISSUER_CERT_LOCALLY, UNABLE_TO_VERIFY_LEAF_SIGNATURE, SELF_SIGNED_CERT_IN_CHAIN,
 * DEPTH_ZERO_SELF_SIGNED_CERT, CERT_SIGNATURE_FAILURE, INVALID_CA, PATH_LENGTH_EXCEEDED,
 * INVALID_PURPOSE, CERT_REVOKED, ERR_TLS_CERT_ALTNAME_INVALID and the others of Failures. Never throws.
 */
export function verifyChain(provider: CryptoProvider, options: VerifyOptions): VerifyResult {
  try {
    const path = buildPath(provider, options);
    if (!path.ok) return path;
    const leaf = path.chain[0]!;
    const rules = hostnameRules(options);
    if (options.hostname !== undefined) {
      const e = checkHostname(leaf, options.hostname, rules);
      if (e) return { ...fail(e.code, e.message), ...(path.stats ? { stats: path.stats } : {}) };
    }
    if (options.ip !== undefined) {
      const e = checkIp(leaf, options.ip);
      if (e) return { ...fail(e.code, e.message), ...(path.stats ? { stats: path.stats } : {}) };
    }
    return path;
  } catch (e) {
    const code = e instanceof TlsError ? e.code : 'ERR_TLS_CERT_INVALID';
    const message = e instanceof Error ? e.message : String(e);
    return fail(code, `certificate verification failed: ${message}`);
  }
}

function hostnameRules(options: VerifyOptions): HostnameRules {
  return options.profile === 'node' ? 'node' : options.commonNameFallback ? 'node' : 'strict';
}

/** RFC 5280 Section 4.2.1.1/4.2.1.2: the key identifiers, when both are present, must agree. */
function mayHaveIssued(issuer: Certificate, cert: Certificate): boolean {
  if (!bytesEqual(issuer.subject.raw, cert.issuer.raw)) return false;
  const aki = cert.authorityKeyIdentifier;
  const ski = issuer.subjectKeyIdentifier;
  return aki === undefined || ski === undefined || bytesEqual(aki, ski);
}

/** RFC 5280 Section 3.3 (and 6.1): self-issued means issuer and subject names are the same. */
export function isSelfIssued(cert: Certificate): boolean {
  return bytesEqual(cert.subject.raw, cert.issuer.raw);
}

function isSha1(scheme: number | undefined): boolean {
  return scheme === SignatureScheme.rsa_pkcs1_sha1 || scheme === SignatureScheme.ecdsa_sha1;
}

/**
 * Depth-first path building (RFC 4158) from the leaf through the presented
 * certificates to a root, backtracking over candidate issuers, those whose
 * subjectKeyIdentifier is the certificate's authorityKeyIdentifier first and
 * trust anchors before intermediates. Signature results are cached per
 * (certificate, issuer) pair and the total number of signature checks and of
 * candidates considered is bounded, so a hostile bag of certificates (many
 * with one subject, cycles, cross-signed loops, long chains) costs at most
 * SIGNATURE_BUDGET verifications and CANDIDATE_BUDGET steps; the result says
 * how much of each was spent.
 */
function buildPath(provider: CryptoProvider, options: VerifyOptions): VerifyResult {
  const leaf = options.presented[0];
  if (!leaf) return fail('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'no certificate was presented');
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const roots = options.roots;
  const isRoot = (c: Certificate) => roots.some((r) => bytesEqual(r.raw, c.raw));
  // Intermediates: everything presented after the leaf, without duplicates and without roots.
  const intermediates: Certificate[] = [];
  for (const c of options.presented.slice(1)) {
    if (!isRoot(c) && !intermediates.some((x) => bytesEqual(x.raw, c.raw))) intermediates.push(c);
  }

  let signatureChecks = 0;
  let candidates = 0;
  const constraintBudget: ConstraintBudget = { remaining: NAME_CONSTRAINT_BUDGET };
  const stats = (): PathBuildingStats => ({
    signatureChecks,
    signatureBudget: SIGNATURE_BUDGET,
    candidates,
    candidateBudget: CANDIDATE_BUDGET,
    nameConstraintComparisons: NAME_CONSTRAINT_BUDGET - Math.max(0, constraintBudget.remaining),
    nameConstraintBudget: NAME_CONSTRAINT_BUDGET,
  });
  const signatureCache = new Map<Certificate, Map<Certificate, boolean>>();
  const signedBy = (cert: Certificate, issuer: Certificate): boolean => {
    let row = signatureCache.get(cert);
    if (!row) signatureCache.set(cert, (row = new Map()));
    const known = row.get(issuer);
    if (known !== undefined) return known;
    signatureChecks++;
    const scheme = cert.signatureAlgorithm.scheme;
    let ok = false;
    if (scheme !== undefined) {
      try {
        const key = provider.loadPublicKey(issuer.subjectPublicKeyInfo);
        ok = provider.verify(key, scheme, cert.tbsCertificate, cert.signatureValue);
      } catch {
        ok = false; // an issuer key the provider cannot load verifies nothing
      }
    }
    row.set(issuer, ok);
    return ok;
  };

  // The most telling failure seen so far: a complete path that failed a check,
  // then a signature failure, then a path that grew too long.
  let pathFailure: Failure | undefined;
  let signatureFailure: Failure | undefined;
  let lengthFailure: Failure | undefined;
  let selfSignedInChain = false;

  // Candidates whose SKI is the certificate's AKI first (RFC 4158 Section 3.5.12), then those without an SKI.
  const rank = (cert: Certificate, issuer: Certificate): number =>
    cert.authorityKeyIdentifier !== undefined && issuer.subjectKeyIdentifier !== undefined ? 0 : 1;

  let exhausted = false;
  const extend = (path: Certificate[]): Certificate[] | undefined => {
    const cert = path[path.length - 1]!;
    // A certificate that is itself trusted ends the path (the leaf included).
    if (isRoot(cert)) {
      const f = validatePath(provider, path, options, constraintBudget);
      if (!f) return path;
      pathFailure ??= f;
      return undefined;
    }
    const found = [
      ...roots.filter((r) => mayHaveIssued(r, cert)).sort((a, b) => rank(cert, a) - rank(cert, b)),
      ...intermediates.filter((c) => mayHaveIssued(c, cert) && !path.includes(c)).sort((a, b) => rank(cert, a) - rank(cert, b)),
    ];
    if (found.length === 0 && path.length > 1 && isSelfIssued(cert)) selfSignedInChain = true;
    for (const issuer of found) {
      if (signatureChecks >= SIGNATURE_BUDGET || candidates >= CANDIDATE_BUDGET) {
        exhausted = true;
        return undefined;
      }
      candidates++;
      // RFC 5280 Section 6.1.4 (l): at most maxDepth intermediates, self-issued ones not counted.
      if (!isRoot(issuer) && !isSelfIssued(issuer) && path.slice(1).filter((c) => !isSelfIssued(c)).length >= maxDepth) {
        lengthFailure ??= Failures.tooLong();
        continue;
      }
      // SHA-1 signatures are not accepted anywhere below the trust anchor.
      if (isSha1(cert.signatureAlgorithm.scheme) || !signedBy(cert, issuer)) {
        signatureFailure ??= Failures.signature();
        continue;
      }
      const next = extend([...path, issuer]);
      if (next) return next;
      if (exhausted) return undefined;
    }
    return undefined;
  };

  const chain = extend([leaf]);
  const withStats = (f: Failure): VerifyResult => ({ ...f, stats: stats() });
  if (chain) return { ok: true, chain, stats: stats() };
  if (pathFailure) return withStats(pathFailure);
  if (exhausted) return withStats(Failures.workExhausted());
  if (signatureFailure) return withStats(signatureFailure);
  if (lengthFailure) return withStats(lengthFailure);
  // No path at all: say why in OpenSSL's terms.
  if (isSelfIssued(leaf)) return withStats(Failures.depthZeroSelfSigned());
  if (selfSignedInChain) return withStats(Failures.selfSignedInChain());
  // OpenSSL, as node:tls reports it: when the chain it could build is the leaf alone, the last
  // error is "unable to verify the first certificate"; when it got further, "unable to get local issuer".
  const leafIssuers = [...roots, ...intermediates].filter((c) => c !== leaf && mayHaveIssued(c, leaf));
  if (leafIssuers.length === 0) return withStats(Failures.leafSignature());
  return withStats(Failures.issuerLocally());
}

/** RFC 5280 Section 4.2.2.1: AuthorityInfoAccessSyntax ::= SEQUENCE SIZE (1..MAX) OF AccessDescription. */
function wellFormedAia(value: Uint8Array): boolean {
  try {
    DerReader.readAll(value, 'authorityInfoAccess', (r) => {
      const s = r.sequence('AuthorityInfoAccessSyntax');
      if (s.empty()) throw new Error('empty');
      while (!s.empty()) {
        // AccessDescription ::= SEQUENCE { accessMethod OID, accessLocation GeneralName }
        const d = s.sequence('AccessDescription');
        d.oid('accessMethod');
        const location = d.element('accessLocation');
        if ((location.tag & 0xc0) !== 0x80) throw new Error('not a GeneralName');
        d.end();
      }
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * The checks of one certificate on its own, whatever its place (RFC 5280 Section 4.2, and under
 * 'webpki' the CABF key requirements). `isCa`: the certificate issues another one in this path.
 */
function checkCertificate(cert: Certificate, isCa: boolean, profile: VerifyProfile): Failure | undefined {
  // RFC 5280 Section 4.2: a certificate with a critical extension the validator does not process
  // is rejected, the trust anchor's included (as OpenSSL and webpki do).
  const unknown = cert.extensions.find((e) => e.critical && !handledExtensions.has(e.oid));
  if (unknown) return Failures.criticalExtension(unknown.oid);
  const ext = (oid: string) => cert.extensions.find((e) => e.oid === oid);
  // RFC 5280 Section 4.2.1.1 and 4.2.1.2: both MUST be non-critical.
  if (ext(Oid.authorityKeyIdentifier)?.critical) return Failures.akiCritical();
  if (ext(Oid.subjectKeyIdentifier)?.critical) return Failures.skiCritical();
  // RFC 5280 Section 4.2.2.1: a malformed authorityInfoAccess is not ignored.
  const aia = ext(Oid.authorityInfoAccess);
  if (aia && !wellFormedAia(aia.value)) return Failures.invalidExtension('authorityInfoAccess is malformed');
  // RFC 5280 Section 4.2.1.6: with an empty subject, the subjectAltName is critical.
  const san = ext(Oid.subjectAltName);
  if (cert.subject.attributes.length === 0 && san && !san.critical) return Failures.emptySubjectSan();
  // RFC 5280 Section 4.2.1.3: "If the keyCertSign bit is asserted, then the cA bit in the basic
  // constraints extension MUST also be asserted."
  if (cert.keyUsage !== undefined && (cert.keyUsage & KeyUsage.keyCertSign) !== 0 && !(cert.basicConstraints?.ca ?? false)) {
    return Failures.keyCertSignNonCa();
  }
  // RFC 5280 Section 4.2.1.10: "The name constraints extension ... MUST be used only in a CA certificate."
  if (cert.nameConstraints !== undefined && !(cert.basicConstraints?.ca ?? false)) {
    return Failures.invalidExtension('nameConstraints in a certificate that is not a CA');
  }
  // RFC 5480 Section 2.1.1: "specifiedCurve ... MUST NOT be used" (OpenSSL -x509_strict, webpki).
  if (cert.publicKeyAlgorithm === 'ec' && cert.ecParameters !== 'named') return Failures.explicitCurve();
  if (profile === 'webpki') {
    // CABF BR Section 6.1.5: RSA moduli of at least 2048 bits, a whole number of octets (webpki).
    const bits = cert.rsaModulusBits;
    if (bits !== undefined && bits < 2048) return Failures.keyTooSmall(isCa, `RSA key of ${bits} bits, at least 2048 are required`);
    if (bits !== undefined && bits % 8 !== 0) return Failures.keyTooSmall(isCa, `RSA modulus of ${bits} bits is not a whole number of octets`);
  }
  return undefined;
}

/**
 * The checks of RFC 5280 Section 6.1.3/6.1.4 on a complete path, leaf first and
 * trust anchor last. Structural failures are reported before time failures, as
 * OpenSSL checks the chain before it checks each certificate's validity.
 */
function validatePath(
  provider: CryptoProvider,
  path: readonly Certificate[],
  options: VerifyOptions,
  constraintBudget: ConstraintBudget,
): Failure | undefined {
  const profile = options.profile ?? 'webpki';
  const webpki = profile === 'webpki';
  const last = path.length - 1;
  for (let i = 0; i < path.length; i++) {
    const cert = path[i]!;
    const isAnchor = i === last;
    const f = checkCertificate(cert, i > 0, profile);
    if (f) return f;
    if (i > 0) {
      const bc = cert.basicConstraints;
      const bcExtension = cert.extensions.find((e) => e.oid === Oid.basicConstraints);
      // RFC 5280 Section 6.1.4 (k): an issuer is a CA. A v1 certificate has no basicConstraints and is
      // not a CA; node:tls (OpenSSL) still takes a v1 self-signed trust anchor as one.
      const v1Anchor = !webpki && isAnchor && cert.version === 1 && isSelfIssued(cert);
      if (cert.version !== 3 && !v1Anchor) return Failures.invalidCa(`a v${cert.version} certificate is not a CA`);
      if (!(bc?.ca ?? false) && !v1Anchor) return Failures.invalidCa();
      // RFC 5280 Section 4.2.1.9 and CABF BR 7.1.2.1.4/7.1.2.2.4: critical in a CA, the trust anchor's too.
      if (webpki && !bcExtension?.critical) return Failures.basicConstraintsNotCritical();
      // RFC 5280 Section 6.1.4 (n): when keyUsage is present, keyCertSign is set.
      if (cert.keyUsage !== undefined && (cert.keyUsage & KeyUsage.keyCertSign) === 0) return Failures.invalidCa('keyUsage lacks keyCertSign');
      // RFC 5280 Section 4.1.2.6: a CA's subject is not empty.
      if (cert.subject.attributes.length === 0 && !v1Anchor) return Failures.invalidCa('the subject is empty');
      // RFC 5280 Section 4.2.1.2: "this extension MUST appear in all conforming CA certificates".
      if (webpki && cert.subjectKeyIdentifier === undefined) return Failures.missingSki();
      // RFC 5280 Section 6.1.4 (l, m): the non-self-issued intermediates below this CA.
      if (bc?.pathLenConstraint !== undefined) {
        let below = 0;
        for (let j = 1; j < i; j++) if (!isSelfIssued(path[j]!)) below++;
        if (below > bc.pathLenConstraint) return Failures.pathLength();
      }
    }
    if (webpki) {
      // RFC 5280 Section 4.2.1.1: every certificate but a self-signed one names its issuer's key;
      // a trust anchor's, when present, is well-formed (a keyIdentifier, its own SKI if self-issued).
      const akiFields = cert.authorityKeyIdentifierFields;
      if (!isAnchor && !isSelfIssued(cert) && !akiFields?.keyIdentifier) return Failures.missingAki();
      if (isAnchor && akiFields && !akiFields.keyIdentifier) return Failures.invalidExtension('the trust anchor\'s authorityKeyIdentifier has no keyIdentifier');
      if (
        isAnchor && isSelfIssued(cert) && cert.authorityKeyIdentifier && cert.subjectKeyIdentifier &&
        !bytesEqual(cert.authorityKeyIdentifier, cert.subjectKeyIdentifier)
      ) {
        return Failures.invalidExtension('the trust anchor\'s authorityKeyIdentifier is not its subjectKeyIdentifier');
      }
    }
    // RFC 5280 Section 4.2.1.12: when extKeyUsage is present, the purpose (or anyExtendedKeyUsage) is in it.
    // Applied to the leaf and, as OpenSSL and Go do, to intermediates; not to the trust anchor.
    if (!isAnchor || i === 0) {
      const eku = cert.extKeyUsage;
      if (eku && !eku.includes(purposeOid[options.purpose]) && !eku.includes(Oid.anyExtendedKeyUsage)) {
        return Failures.purpose();
      }
      // CABF BR 7.1.2.7.10: anyExtendedKeyUsage MUST NOT be in a server certificate (webpki, pyca).
      if (webpki && i === 0 && path.length > 1 && options.purpose === 'serverAuth' && eku && !eku.includes(Oid.serverAuth)) {
        return Failures.purpose('anyExtendedKeyUsage without serverAuth in a server certificate');
      }
    }
  }
  const leaf = path[0]!;
  // CABF BR 7.1.2.7.8 and RFC 5280 Section 4.2.1.9: a CA certificate is not a server's certificate
  // (unless the application trusts that very certificate).
  if (webpki && options.purpose === 'serverAuth' && path.length > 1 && (leaf.basicConstraints?.ca ?? false)) {
    return Failures.purpose('a CA certificate (basicConstraints cA) is not a server certificate');
  }
  // RFC 5280 Section 4.2.1.3 and OpenSSL's check_purpose_ssl_server/_client: a leaf whose keyUsage
  // is present allows the TLS uses of its key (signing, or for a server also key transport or agreement).
  const leafKeyUsage = leaf.keyUsage;
  const tlsUses =
    options.purpose === 'serverAuth'
      ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment | KeyUsage.keyAgreement
      : KeyUsage.digitalSignature | KeyUsage.keyAgreement;
  if (path.length > 1 && leafKeyUsage !== undefined && (leafKeyUsage & tlsUses) === 0) return Failures.purpose();
  // RFC 5246 Section 7.4.2 and RFC 8446 Section 4.4.2.2: the leaf's key must be usable as the key exchange
  // uses it, so a keyUsage extension, when present, includes that use. A leaf trusted directly is held to
  // this too: the handshake uses its key all the same. (Go's crypto/tls and webpki do not check this,
  // golang/go#71842; BoringSSL does, KEY_USAGE_BIT_INCORRECT.)
  if (options.keyUsage !== undefined && leafKeyUsage !== undefined && (leafKeyUsage & KeyUsage[options.keyUsage]) === 0) {
    return Failures.keyUsage(options.keyUsage);
  }
  // CABF BR 7.1.4.3: a server certificate's CN, when present, is one of its subjectAltName entries.
  // (Without a subjectAltName the certificate names no host under these rules: the name check refuses it.)
  if (webpki && !options.commonNameFallback && options.purpose === 'serverAuth' && leaf.subjectAltName) {
    const f = checkCommonNameInSan(leaf);
    if (f) return f;
  }
  // RFC 5280 Section 6.1.3 (b), (c) and 6.1.4 (g): each CA's name constraints (the trust anchor's
  // included, as OpenSSL, Go and webpki apply them) hold for every certificate below it, except
  // self-issued intermediates; the leaf's CN counts when it is a host name and there is no dNSName.
  for (let i = 1; i < path.length; i++) {
    const constraints = path[i]!.nameConstraints;
    if (!constraints) continue;
    const malformed = [...(constraints.permitted?.malformed ?? []), ...(constraints.excluded?.malformed ?? [])];
    if (malformed.length > 0) return Failures.badConstraint(malformed[0]!);
    for (let j = 0; j < i; j++) {
      if (j > 0 && isSelfIssued(path[j]!)) continue;
      const violation = checkNameConstraints(constraints, path[j]!, j === 0, constraintBudget);
      if (!violation) continue;
      switch (violation.kind) {
        case 'permitted':
          return Failures.permittedViolation(violation.name);
        case 'excluded':
          return Failures.excludedViolation(violation.name);
        case 'unsupported':
          return Failures.unsupportedName(violation.name);
        case 'budget':
          return Failures.constraintBudget();
      }
    }
  }
  // RFC 5280 Section 6.1.3 (a)(2): every certificate is valid at the time of validation.
  for (const cert of path) {
    if (options.now.getTime() < cert.notBefore.getTime()) return Failures.notYetValid();
    if (options.now.getTime() > cert.notAfter.getTime()) return Failures.expired();
  }
  // RFC 5280 Section 6.1.3 (a)(3) and 6.3: not revoked.
  if (options.crls !== undefined) {
    const r = checkRevocation(provider, path, options.crls, options.now);
    if (r) return fail(r.code, r.message);
  }
  return undefined;
}

/** CABF BR 7.1.4.3: the subject CN, when present, is a dNSName or (in RFC 5952 / dotted-quad text) an iPAddress SAN. */
function checkCommonNameInSan(leaf: Certificate): Failure | undefined {
  const cns = leaf.subject.attributes.filter((a) => a.oid === '2.5.4.3').map((a) => a.value);
  const san = leaf.subjectAltName;
  for (const cn of cns) {
    const asDns = san?.dnsNames.some((d) => d.toLowerCase() === cn.toLowerCase()) ?? false;
    const asIp = san?.ipAddresses.some((ip) => formatIp(ip) === cn) ?? false;
    if (!asDns && !asIp) {
      return fail('ERR_TLS_CERT_ALTNAME_INVALID', `the subject CN ${cn} is not among the certificate's subjectAltName entries`);
    }
  }
  return undefined;
}

export type CertificateInput = string | Uint8Array;

export interface VerifyCertificateChainOptions {
  /** The end-entity certificate, PEM or DER; further PEM blocks after it are taken as intermediates. */
  readonly leaf: CertificateInput;
  /** Intermediates: PEM text (any number of blocks), DER, or a list of either. */
  readonly intermediates?: CertificateInput | readonly CertificateInput[];
  readonly roots: CertificateInput | readonly CertificateInput[];
  readonly hostname?: string;
  readonly ip?: string;
  /** The time of validation; now by default. */
  readonly time?: Date;
  readonly purpose?: 'serverAuth' | 'clientAuth';
  readonly maxDepth?: number;
  /** What the key exchange does with the leaf's key ('digitalSignature' or 'keyEncipherment'); unchecked by default. */
  readonly keyUsage?: LeafKeyUsage;
  /** The rules to validate by: 'webpki' (the default) or 'node' (what node:tls accepts); see docs/certificates.md. */
  readonly profile?: VerifyProfile;
  /** For private PKIs that name the host in the subject CN only: check the CN when there is no dNSName. */
  readonly commonNameFallback?: boolean;
  /** CRLs (PEM text with any number of X509 CRL blocks, or DER), to check every certificate below the anchor against. */
  readonly crl?: CertificateInput | readonly CertificateInput[];
  /** The crypto provider that checks signatures (the package root supplies node:crypto). */
  readonly provider?: CryptoProvider;
}

function parseInputs(input: CertificateInput | readonly CertificateInput[] | undefined): Certificate[] {
  if (input === undefined) return [];
  const list = typeof input === 'string' || input instanceof Uint8Array ? [input] : input;
  const out: Certificate[] = [];
  for (const item of list) {
    if (typeof item === 'string') {
      const blocks = pemDecode(item).filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE');
      if (blocks.length === 0) throw new TlsError('bad_certificate', 'no CERTIFICATE block in PEM text');
      for (const b of blocks) out.push(parseCertificate(b.der));
    } else {
      out.push(parseCertificate(item));
    }
  }
  return out;
}

/** Validates a chain given as PEM or DER, for applications that are not in a handshake. */
export async function verifyCertificateChain(options: VerifyCertificateChainOptions): Promise<VerifyResult> {
  const provider = options.provider;
  if (!provider) {
    throw new TlsError('api_misuse', 'verifyCertificateChain needs a crypto provider (options.provider)');
  }
  if (options.keyUsage !== undefined && options.keyUsage !== 'digitalSignature' && options.keyUsage !== 'keyEncipherment') {
    throw new TlsError('api_misuse', `keyUsage is 'digitalSignature' or 'keyEncipherment', not ${JSON.stringify(options.keyUsage)}`);
  }
  if (options.profile !== undefined && options.profile !== 'webpki' && options.profile !== 'node') {
    throw new TlsError('api_misuse', `profile is 'webpki' or 'node', not ${JSON.stringify(options.profile)}`);
  }
  let leaf: Certificate[];
  let intermediates: Certificate[];
  let roots: Certificate[];
  try {
    // A PEM leaf may carry its chain after it, as a server's certificate file often does.
    const leafAndChain = parseInputs(options.leaf);
    leaf = leafAndChain.slice(0, 1);
    intermediates = [...leafAndChain.slice(1), ...parseInputs(options.intermediates)];
    roots = parseInputs(options.roots);
  } catch (e) {
    return fail('ERR_TLS_CERT_PARSE', e instanceof Error ? e.message : String(e));
  }
  let crls: Crl[] | undefined;
  try {
    crls = options.crl === undefined ? undefined : parseCrls(options.crl);
  } catch (e) {
    return fail('ERR_TLS_CRL_PARSE', e instanceof Error ? e.message : String(e));
  }
  return verifyChain(provider, {
    presented: [...leaf, ...intermediates],
    roots,
    now: options.time ?? new Date(),
    purpose: options.purpose ?? 'serverAuth',
    ...(options.hostname !== undefined ? { hostname: options.hostname } : {}),
    ...(options.ip !== undefined ? { ip: options.ip } : {}),
    ...(options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {}),
    ...(options.keyUsage !== undefined ? { keyUsage: options.keyUsage } : {}),
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    ...(options.commonNameFallback !== undefined ? { commonNameFallback: options.commonNameFallback } : {}),
    ...(crls !== undefined ? { crls } : {}),
  });
}
