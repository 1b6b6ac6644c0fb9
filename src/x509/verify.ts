// Certificate path validation (RFC 5280 Section 6) and identity checks (RFC 6125).

import { TlsError } from '../errors.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { SignatureScheme } from '../wire/enums.js';
import type { Certificate } from './certificate.js';
import { KeyUsage, Oid, parseCertificate } from './certificate.js';
import { bytesEqual } from './der.js';
import { checkHostname, checkIp } from './identity.js';
import { checkNameConstraints } from './constraints.js';
import { pemDecode } from './pem.js';

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
  /** The most intermediates allowed between leaf and root. */
  readonly maxDepth?: number;
  /**
   * What the handshake does with the leaf's key, when the caller knows it: see LeafKeyUsage. A leaf
   * whose keyUsage extension leaves that bit out is INVALID_PURPOSE; one without keyUsage allows it.
   */
  readonly keyUsage?: LeafKeyUsage;
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

export type VerifyResult =
  | { readonly ok: true; readonly chain: readonly Certificate[] }
  | { readonly ok: false; readonly code: string; readonly message: string };

type Failure = { readonly ok: false; readonly code: string; readonly message: string };

function fail(code: string, message: string): Failure {
  return { ok: false, code, message };
}

// OpenSSL's verify error strings, as node:tls reports them.
const Failures = {
  expired: () => fail('CERT_HAS_EXPIRED', 'certificate has expired'),
  notYetValid: () => fail('CERT_NOT_YET_VALID', 'certificate is not yet valid'),
  invalidCa: () => fail('INVALID_CA', 'invalid CA certificate'),
  pathLength: () => fail('PATH_LENGTH_EXCEEDED', 'path length constraint exceeded'),
  purpose: () => fail('INVALID_PURPOSE', 'unsupported certificate purpose'),
  // OpenSSL has no error of its own for this (it does not check it, openssl/openssl#25718); its purpose code fits.
  keyUsage: (use: LeafKeyUsage) =>
    fail('INVALID_PURPOSE', `unsupported certificate purpose: the leaf's keyUsage does not include ${use}, which the key exchange needs`),
  signature: () => fail('CERT_SIGNATURE_FAILURE', 'certificate signature failure'),
  criticalExtension: (oid: string) =>
    fail('UNHANDLED_CRITICAL_EXTENSION', `unhandled critical extension ${oid}`),
  tooLong: () => fail('CERT_CHAIN_TOO_LONG', 'certificate chain too long'),
  workExhausted: () =>
    fail('CERT_CHAIN_TOO_LONG', 'certificate chain too long: path building stopped after its budget of candidate issuers'),
  // node:tls has no code of its own for these (it reports UNSPECIFIED); OpenSSL's names are kept.
  permittedViolation: () => fail('PERMITTED_VIOLATION', 'permitted subtree violation'),
  excludedViolation: () => fail('EXCLUDED_VIOLATION', 'excluded subtree violation'),
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
const SIGNATURE_BUDGET = 100;
/** The total candidate issuers one validation may consider (cached signature results cost nothing, this bounds them). */
const STEP_BUDGET = 2000;
const DEFAULT_MAX_DEPTH = 8;

/**
 * Builds a path from the leaf to one of `roots` and validates it. Failure codes
 * are node:tls's: CERT_HAS_EXPIRED, CERT_NOT_YET_VALID, UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
 * UNABLE_TO_VERIFY_LEAF_SIGNATURE, SELF_SIGNED_CERT_IN_CHAIN, DEPTH_ZERO_SELF_SIGNED_CERT,
 * CERT_SIGNATURE_FAILURE, INVALID_CA, PATH_LENGTH_EXCEEDED, INVALID_PURPOSE,
 * ERR_TLS_CERT_ALTNAME_INVALID. Never throws.
 */
export function verifyChain(provider: CryptoProvider, options: VerifyOptions): VerifyResult {
  try {
    const path = buildPath(provider, options);
    if (!path.ok) return path;
    const leaf = path.chain[0]!;
    if (options.hostname !== undefined) {
      const e = checkHostname(leaf, options.hostname);
      if (e) return fail(e.code, e.message);
    }
    if (options.ip !== undefined) {
      const e = checkIp(leaf, options.ip);
      if (e) return fail(e.code, e.message);
    }
    return path;
  } catch (e) {
    const code = e instanceof TlsError ? e.code : 'ERR_TLS_CERT_INVALID';
    const message = e instanceof Error ? e.message : String(e);
    return fail(code, `certificate verification failed: ${message}`);
  }
}

/** RFC 5280 Section 4.2.1.1/4.2.1.2: the key identifiers, when both are present, must agree. */
function mayHaveIssued(issuer: Certificate, cert: Certificate): boolean {
  if (!bytesEqual(issuer.subject.raw, cert.issuer.raw)) return false;
  const aki = cert.authorityKeyIdentifier;
  const ski = issuer.subjectKeyIdentifier;
  return aki === undefined || ski === undefined || bytesEqual(aki, ski);
}

function isSelfIssued(cert: Certificate): boolean {
  return mayHaveIssued(cert, cert);
}

function isSha1(scheme: number | undefined): boolean {
  return scheme === SignatureScheme.rsa_pkcs1_sha1 || scheme === SignatureScheme.ecdsa_sha1;
}

/**
 * Depth-first path building (RFC 4158) from the leaf through the presented
 * certificates to a root, backtracking over candidate issuers. Signature
 * results are cached per (certificate, issuer) pair and the total number of
 * signature checks and of candidates considered is bounded, so a hostile bag
 * of certificates costs at most SIGNATURE_BUDGET verifications and STEP_BUDGET steps.
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

  let budget = SIGNATURE_BUDGET;
  let steps = STEP_BUDGET;
  const signatureCache = new Map<Certificate, Map<Certificate, boolean>>();
  const signedBy = (cert: Certificate, issuer: Certificate): boolean => {
    let row = signatureCache.get(cert);
    if (!row) signatureCache.set(cert, (row = new Map()));
    const known = row.get(issuer);
    if (known !== undefined) return known;
    budget--;
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

  let exhausted = false;
  const extend = (path: Certificate[]): Certificate[] | undefined => {
    const cert = path[path.length - 1]!;
    // A certificate that is itself trusted ends the path (the leaf included).
    if (isRoot(cert)) {
      const f = validatePath(path, options);
      if (!f) return path;
      pathFailure ??= f;
      return undefined;
    }
    const candidates = [
      ...roots.filter((r) => mayHaveIssued(r, cert)),
      ...intermediates.filter((c) => mayHaveIssued(c, cert) && !path.includes(c)),
    ];
    if (candidates.length === 0 && path.length > 1 && isSelfIssued(cert)) selfSignedInChain = true;
    for (const issuer of candidates) {
      if (budget <= 0 || --steps < 0) {
        exhausted = true;
        return undefined;
      }
      // Not counting the leaf and the root, at most maxDepth intermediates.
      if (!isRoot(issuer) && path.length > maxDepth) {
        lengthFailure ??= Failures.tooLong();
        continue;
      }
      // SHA-1 signatures are not accepted anywhere below the trust anchor.
      if (isSha1(cert.signatureAlgorithm.scheme) || !signedBy(cert, issuer)) {
        signatureFailure ??= Failures.signature();
        continue;
      }
      const found = extend([...path, issuer]);
      if (found) return found;
    }
    return undefined;
  };

  const chain = extend([leaf]);
  if (chain) return { ok: true, chain };
  if (pathFailure) return pathFailure;
  if (exhausted) return Failures.workExhausted();
  if (signatureFailure) return signatureFailure;
  if (lengthFailure) return lengthFailure;
  // No path at all: say why in OpenSSL's terms.
  if (isSelfIssued(leaf)) return Failures.depthZeroSelfSigned();
  if (selfSignedInChain) return Failures.selfSignedInChain();
  // OpenSSL, as node:tls reports it: when the chain it could build is the leaf alone, the last
  // error is "unable to verify the first certificate"; when it got further, "unable to get local issuer".
  const leafIssuers = [...roots, ...intermediates].filter((c) => c !== leaf && mayHaveIssued(c, leaf));
  if (leafIssuers.length === 0) return Failures.leafSignature();
  return Failures.issuerLocally();
}

/**
 * The checks of RFC 5280 Section 6.1.3/6.1.4 on a complete path, leaf first and
 * trust anchor last. Structural failures are reported before time failures, as
 * OpenSSL checks the chain before it checks each certificate's validity.
 */
function validatePath(path: readonly Certificate[], options: VerifyOptions): Failure | undefined {
  const last = path.length - 1;
  for (let i = 0; i < path.length; i++) {
    const cert = path[i]!;
    const isAnchor = i === last;
    // RFC 5280 Section 4.2: a certificate with a critical extension the validator does not process is rejected.
    // The trust anchor is an input to validation, not a certificate in the path (RFC 5280 Section 6.1.1).
    if (!isAnchor || path.length === 1) {
      const unknown = cert.extensions.find((e) => e.critical && !handledExtensions.has(e.oid));
      if (unknown) return Failures.criticalExtension(unknown.oid);
      // A critical nameConstraints with a name form this validator does not process is not processed.
      const nc = cert.extensions.find((e) => e.oid === Oid.nameConstraints);
      const forms = [...(cert.nameConstraints?.permitted?.unsupportedForms ?? []), ...(cert.nameConstraints?.excluded?.unsupportedForms ?? [])];
      if (nc?.critical && forms.length > 0) return Failures.criticalExtension(`${Oid.nameConstraints} (${forms.join(', ')})`);
    }
    if (i > 0) {
      // RFC 5280 Section 6.1.4 (k): an issuer is a CA; a v1 trust anchor without extensions is accepted.
      const bc = cert.basicConstraints;
      const v1Anchor = isAnchor && cert.version === 1;
      if (!(bc?.ca ?? false) && !v1Anchor) return Failures.invalidCa();
      // RFC 5280 Section 6.1.4 (n): when keyUsage is present, keyCertSign is set.
      if (cert.keyUsage !== undefined && (cert.keyUsage & KeyUsage.keyCertSign) === 0) return Failures.invalidCa();
      // RFC 5280 Section 6.1.4 (l, m): the non-self-issued intermediates below this CA.
      if (bc?.pathLenConstraint !== undefined) {
        let below = 0;
        for (let j = 1; j < i; j++) if (!isSelfIssued(path[j]!)) below++;
        if (below > bc.pathLenConstraint) return Failures.pathLength();
      }
    }
    // RFC 5280 Section 4.2.1.12: when extKeyUsage is present, the purpose (or anyExtendedKeyUsage) is in it.
    // Applied to the leaf and, as OpenSSL and Go do, to intermediates; not to the trust anchor.
    if (!isAnchor || i === 0) {
      const eku = cert.extKeyUsage;
      if (eku && !eku.includes(purposeOid[options.purpose]) && !eku.includes(Oid.anyExtendedKeyUsage)) {
        return Failures.purpose();
      }
    }
  }
  // RFC 5280 Section 4.2.1.3 and OpenSSL's check_purpose_ssl_server/_client: a leaf whose keyUsage
  // is present allows the TLS uses of its key (signing, or for a server also key transport or agreement).
  const leafKeyUsage = path[0]!.keyUsage;
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
  // RFC 5280 Section 6.1.3 (b), (c) and 6.1.4 (g): each CA's name constraints (the trust anchor's
  // included, as OpenSSL, Go and webpki apply them) hold for every certificate below it, except
  // self-issued intermediates; the leaf's CN counts when it is a host name and there is no dNSName.
  for (let i = 1; i < path.length; i++) {
    const constraints = path[i]!.nameConstraints;
    if (!constraints) continue;
    for (let j = 0; j < i; j++) {
      if (j > 0 && isSelfIssued(path[j]!)) continue;
      const violation = checkNameConstraints(constraints, path[j]!, j === 0);
      if (violation === 'permitted') return Failures.permittedViolation();
      if (violation === 'excluded') return Failures.excludedViolation();
    }
  }
  // RFC 5280 Section 6.1.3 (a)(2): every certificate is valid at the time of validation.
  for (const cert of path) {
    if (options.now.getTime() < cert.notBefore.getTime()) return Failures.notYetValid();
    if (options.now.getTime() > cert.notAfter.getTime()) return Failures.expired();
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
  return verifyChain(provider, {
    presented: [...leaf, ...intermediates],
    roots,
    now: options.time ?? new Date(),
    purpose: options.purpose ?? 'serverAuth',
    ...(options.hostname !== undefined ? { hostname: options.hostname } : {}),
    ...(options.ip !== undefined ? { ip: options.ip } : {}),
    ...(options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {}),
    ...(options.keyUsage !== undefined ? { keyUsage: options.keyUsage } : {}),
  });
}
