// The path-validation matrix: one case per rule, generated once per run with the library's builder,
// verified by verifyCertificateChain (the package root, node:crypto) and by
//   openssl verify -x509_strict -purpose sslserver|sslclient -verify_hostname|-verify_ip ... -attime T
//     -CAfile roots -untrusted intermediates leaf
// on the same files. Every case states our expected verdict; where openssl's verdict differs, the
// case says what openssl says and why (`differs`), and both verdicts are asserted exactly.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { verifyCertificateChain } from '../../src/index.js';
import { der } from '../../src/x509/der.js';
import { KeyUsage, Oid, parseCertificate } from '../../src/x509/certificate.js';
import { NamedGroup, SignatureScheme } from '../../src/wire/enums.js';
import { TempDir, inParallel, issue, newKey, openssl, opensslVerdict, tamperSignature, type IssueOptions, type Issued } from './pki.js';

interface Case {
  readonly name: string;
  readonly leaf: Issued;
  readonly intermediates: readonly Issued[];
  readonly roots: readonly Issued[];
  readonly hostname?: string;
  readonly ip?: string;
  readonly purpose?: 'serverAuth' | 'clientAuth';
  readonly maxDepth?: number;
  /** What the key exchange does with the leaf's key (verifyCertificateChain's keyUsage); openssl verify has no such option. */
  readonly keyUsage?: 'digitalSignature' | 'keyEncipherment';
  /** verifyCertificateChain's commonNameFallback (private PKIs that name the host in the CN only). */
  readonly commonNameFallback?: boolean;
  /** Validation time; the generation time by default. */
  readonly time?: Date;
  /** Our verdict: 'OK' or the failure code. */
  readonly expected: string;
  /** openssl's verdict when it is not ours, with the reason. */
  readonly differs?: { readonly openssl: string; readonly why: string };
}

const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const DAY = 86_400_000;
const HOST = 'www.example.com';
const ALTNAME = 'ERR_TLS_CERT_ALTNAME_INVALID';
/**
 * `openssl verify` stops at its first error, "unable to get local issuer certificate" (20), at the leaf.
 * In a handshake OpenSSL goes on and, when the chain it built is the leaf alone, ends with "unable to
 * verify the first certificate" (21): that last error is what node:tls reports, and what we report
 * (test/interop/certificates.test.ts shows node:tls saying it for the missing intermediate).
 */
/** Why openssl verify accepts a leaf whose keyUsage does not fit the key exchange. */
const KX_WHY =
  "openssl verify knows no key exchange (its sslserver purpose takes any of digitalSignature, keyEncipherment, keyAgreement), and OpenSSL's TLS client does not check the bit either (openssl/openssl#25718); RFC 5246 7.4.2 and RFC 8446 4.4.2.2 require it, and BoringSSL refuses such a leaf (KEY_USAGE_BIT_INCORRECT)";
const LEAF_ONLY = 'openssl verify reports the first error (20); node:tls the last (21) for a chain that is the leaf alone';

let dir: TempDir;
let cases: Case[];

before(() => {
  dir = new TempDir();
  const at = (days: number) => new Date(NOW.getTime() + days * DAY);
  const root = issue(NOW, undefined, { CN: 'Matrix Root', isCA: true, key: newKey('p256') });
  const inter = issue(NOW, root, { CN: 'Matrix Intermediate', isCA: true, key: newKey('p384') });
  const leaf = (o: Partial<Parameters<typeof issue>[2]> = {}, issuer: Issued = inter) =>
    issue(NOW, issuer, { CN: o.dnsNames?.[0] ?? HOST, dnsNames: [HOST], ...o });
  const chain = (l: Issued, more: Partial<Case> & { name: string; expected: string }): Case => ({
    leaf: l,
    intermediates: [inter],
    roots: [root],
    hostname: HOST,
    ...more,
  });

  const rsaKey = newKey('rsa');
  // openssl verify accepts every one of these: where we refuse, it is a documented difference.
  const kx = (name: string, o: Partial<IssueOptions>, keyUsage: NonNullable<Case['keyUsage']>, expected: string): Case =>
    chain(leaf(o), { name, keyUsage, expected, ...(expected === 'OK' ? {} : { differs: { openssl: 'OK', why: KX_WHY } }) });
  const otherRoot = issue(NOW, undefined, { CN: 'Other Root', isCA: true });
  const otherInter = issue(NOW, otherRoot, { CN: 'Other Intermediate', isCA: true });
  const selfSigned = issue(NOW, undefined, { CN: HOST, dnsNames: [HOST] });
  const notCa = issue(NOW, root, { CN: 'Not A CA', isCA: false, extKeyUsage: [Oid.serverAuth] });
  const noCertSign = issue(NOW, root, { CN: 'No keyCertSign', isCA: true, keyUsage: KeyUsage.cRLSign | KeyUsage.digitalSignature });
  const expiredInter = issue(NOW, root, { CN: 'Expired Intermediate', isCA: true, notBefore: at(-400), notAfter: at(-1) });
  const rootLen0 = issue(NOW, undefined, { CN: 'Root pathlen 0', isCA: true, pathLenConstraint: 0 });
  const interUnderLen0 = issue(NOW, rootLen0, { CN: 'Under pathlen 0', isCA: true });
  const interLen0 = issue(NOW, root, { CN: 'Intermediate pathlen 0', isCA: true, pathLenConstraint: 0 });
  const subInter = issue(NOW, interLen0, { CN: 'Sub Intermediate', isCA: true });
  const clientInter = issue(NOW, root, { CN: 'Client-only Intermediate', isCA: true, extKeyUsage: [Oid.clientAuth] });
  const unknownCritical = { oid: '1.3.6.1.4.1.55555.1', critical: true, value: der.null() };
  const unknownNonCritical = { oid: '1.3.6.1.4.1.55555.2', critical: false, value: der.null() };
  const criticalInter = issue(NOW, root, { CN: 'Critical Intermediate', isCA: true, extraExtensions: [unknownCritical] });
  const ncInter = issue(NOW, root, {
    CN: 'Constrained Intermediate',
    isCA: true,
    nameConstraints: { permitted: { dns: ['example.com', 'example.net'], ip: ['10.0.0.0/8'] }, excluded: { dns: ['bad.example.com'] } },
  });
  const leadingDotInter = issue(NOW, root, { CN: 'Leading-dot Intermediate', isCA: true, nameConstraints: { permitted: { dns: ['.example.net'] } } });
  const ncRoot = issue(NOW, undefined, { CN: 'Constrained Root', isCA: true, nameConstraints: { permitted: { dns: ['example.com'] } } });
  const ncRootInter = issue(NOW, ncRoot, { CN: 'Under Constrained Root', isCA: true });
  // nameConstraints holding an rfc822Name base [1], marked critical.
  const emailNc = der.sequence(der.explicit(0, der.sequence(der.implicit(1, new TextEncoder().encode('example.com')))));
  const emailNcInter = issue(NOW, root, {
    CN: 'Email-constrained Intermediate',
    isCA: true,
    extraExtensions: [{ oid: Oid.nameConstraints, critical: true, value: emailNc }],
  });
  // Cross-signing: the same intermediate name and key under an expired root and under a valid one.
  const oldRoot = issue(NOW, undefined, { CN: 'Old Root', isCA: true, notBefore: at(-800), notAfter: at(-10) });
  const newRoot = issue(NOW, undefined, { CN: 'New Root', isCA: true });
  const crossKey = newKey('p256');
  const crossOld = issue(NOW, oldRoot, { CN: 'Cross Intermediate', isCA: true, key: crossKey });
  const crossNew = issue(NOW, newRoot, { CN: 'Cross Intermediate', isCA: true, key: crossKey });
  // Key and signature types.
  const rsaRoot = issue(NOW, undefined, { CN: 'RSA Root', isCA: true, key: newKey('rsa') });
  const pssInter = issue(NOW, rsaRoot, { CN: 'PSS-signed Intermediate', isCA: true, scheme: SignatureScheme.rsa_pss_rsae_sha256 });
  const edRoot = issue(NOW, undefined, { CN: 'Ed25519 Root', isCA: true, key: newKey('ed25519') });
  const pssKeyInter = issue(NOW, root, { CN: 'RSA-PSS key Intermediate', isCA: true, key: newKey('rsa-pss') });
  const oldTimeRoot = issue(NOW, undefined, { CN: 'Old-time Root', isCA: true, notBefore: at(-1000), notAfter: at(100) });
  // Three intermediates in a line, for maxDepth.
  const i1 = issue(NOW, root, { CN: 'Depth 1', isCA: true });
  const i2 = issue(NOW, i1, { CN: 'Depth 2', isCA: true });
  const i3 = issue(NOW, i2, { CN: 'Depth 3', isCA: true });

  cases = [
    // --- chains that verify ---
    chain(leaf(), { name: 'leaf, intermediate, root', expected: 'OK' }),
    chain(leaf(), { name: 'intermediates out of order, with an unrelated certificate', intermediates: [otherInter, leaf(), inter], expected: 'OK' }),
    chain(leaf(), { name: 'the root sent along in the intermediates', intermediates: [root, inter], expected: 'OK' }),
    { name: 'self-signed leaf that is itself trusted', leaf: selfSigned, intermediates: [], roots: [selfSigned], hostname: HOST, expected: 'OK' },
    chain(leaf({ key: newKey('rsa') }), { name: 'RSA-2048 leaf', expected: 'OK' }),
    chain(leaf({ key: newKey('rsa-pss') }), { name: 'RSA-PSS (id-RSASSA-PSS) leaf key', expected: 'OK' }),
    chain(leaf({ key: newKey('ed25519') }), { name: 'Ed25519 leaf', expected: 'OK' }),
    chain(leaf({ key: newKey('p384') }), { name: 'P-384 leaf', expected: 'OK' }),
    chain(leaf({}, pssInter), { name: 'RSA-PSS signatures (rsae) from an RSA root', intermediates: [pssInter], roots: [rsaRoot], expected: 'OK' }),
    chain(leaf({}, pssKeyInter), { name: 'signed by an RSA-PSS key (pss_pss)', intermediates: [pssKeyInter], expected: 'OK' }),
    chain(leaf({}, edRoot), { name: 'Ed25519 root signs the leaf', intermediates: [], roots: [edRoot], expected: 'OK' }),
    chain(leaf({ notBefore: at(-900), notAfter: at(-800) }, oldTimeRoot), {
      name: 'a leaf expired now, valid at the given time (-attime)',
      time: at(-850),
      intermediates: [],
      roots: [oldTimeRoot],
      expected: 'OK',
    }),
    chain(leaf({ extraExtensions: [unknownNonCritical] }), { name: 'unknown non-critical extension', expected: 'OK' }),
    chain(leaf({ dnsNames: ['a.example.org', HOST] }), { name: 'host in the second dNSName', expected: 'OK' }),
    chain(leaf({ dnsNames: ['WWW.Example.COM'] }), { name: 'names compare case-insensitively', expected: 'OK' }),
    chain(leaf({ dnsNames: ['*.example.com'] }), { name: 'wildcard matches one left-most label', expected: 'OK' }),
    chain(leaf({ CN: HOST, dnsNames: undefined }), { name: 'no subjectAltName: the CN is the name with commonNameFallback', commonNameFallback: true, expected: 'OK' }),
    chain(leaf({ CN: HOST, dnsNames: undefined }), {
      name: 'no subjectAltName: no CN fallback by default',
      expected: ALTNAME,
      differs: { openssl: 'OK', why: 'OpenSSL takes the CN when there is no DNS SAN; RFC 9525 6.3, CABF BR 7.1.4.2, Chrome, Go and rustls do not' },
    }),
    chain(leaf({ ipAddresses: ['127.0.0.1', '::1'] }), { name: 'IP address SAN', hostname: undefined, ip: '::1', expected: 'OK' }),
    chain(leaf({ extKeyUsage: [Oid.clientAuth] }), { name: 'client certificate for clientAuth', purpose: 'clientAuth', hostname: undefined, expected: 'OK' }),
    chain(leaf({}, crossNew), {
      name: 'cross-signed intermediate: the expired root is tried and the valid one found',
      intermediates: [crossOld, crossNew],
      roots: [oldRoot, newRoot],
      expected: 'OK',
      differs: {
        openssl: 'CERT_HAS_EXPIRED',
        why: 'OpenSSL builds one chain (the first matching issuer, here the one under the expired root) and does not backtrack on a validity failure; path building that tries the alternatives (RFC 4158, Go, webpki) finds the valid chain',
      },
    }),
    chain(leaf({}, i3), { name: 'three intermediates within maxDepth 3', intermediates: [i1, i2, i3], maxDepth: 3, expected: 'OK' }),
    chain(leaf({}, interLen0), { name: 'pathlen:0 intermediate signs the leaf', intermediates: [interLen0], expected: 'OK' }),

    // --- time ---
    chain(leaf({ notBefore: at(-60), notAfter: at(-1) }), { name: 'expired leaf', expected: 'CERT_HAS_EXPIRED' }),
    chain(leaf({ notBefore: at(1), notAfter: at(60) }), { name: 'leaf not yet valid', expected: 'CERT_NOT_YET_VALID' }),
    chain(leaf({}, expiredInter), { name: 'expired intermediate', intermediates: [expiredInter], expected: 'CERT_HAS_EXPIRED' }),
    chain(leaf({ notBefore: at(-60), notAfter: at(-1) }), { name: 'expired leaf, checked at a time it was valid', time: at(-2), expected: 'OK' }),

    // --- issuers ---
    chain(leaf(), {
      name: 'missing intermediate',
      intermediates: [],
      expected: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      differs: { openssl: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', why: LEAF_ONLY },
    }),
    chain(leaf(), {
      name: 'missing intermediate, unrelated certificates sent',
      intermediates: [otherInter],
      expected: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      differs: { openssl: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', why: LEAF_ONLY },
    }),
    chain(leaf({}, otherInter), { name: 'unknown CA', intermediates: [otherInter], expected: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' }),
    chain(leaf({}, otherInter), { name: 'untrusted root sent in the chain', intermediates: [otherInter, otherRoot], expected: 'SELF_SIGNED_CERT_IN_CHAIN' }),
    { name: 'self-signed leaf, not trusted', leaf: selfSigned, intermediates: [], roots: [root], hostname: HOST, expected: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
    chain(tamperSignature(leaf()), { name: 'leaf signature altered', expected: 'CERT_SIGNATURE_FAILURE' }),
    chain(tamperSignature(leaf({ key: newKey('rsa') }, pssInter)), {
      name: 'RSA-PSS signature altered',
      intermediates: [pssInter],
      roots: [rsaRoot],
      expected: 'CERT_SIGNATURE_FAILURE',
    }),
    chain(leaf({ signingKey: newKey('p384') }), {
      // The leaf's authorityKeyIdentifier names the key that signed it, which no candidate has.
      name: 'leaf signed by a key that is not the issuer\'s',
      expected: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      differs: { openssl: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', why: LEAF_ONLY },
    }),
    chain(leaf({ scheme: SignatureScheme.ecdsa_sha1 }), {
      name: 'SHA-1 signature',
      expected: 'CERT_SIGNATURE_FAILURE',
      differs: {
        openssl: 'OK',
        why: 'openssl verify (security level 0 for verification) still accepts ECDSA-with-SHA-1 on a certificate; Go and webpki refuse SHA-1, as we do',
      },
    }),
    chain(leaf({}, notCa), { name: 'issuer is not a CA', intermediates: [notCa], expected: 'INVALID_CA' }),
    chain(leaf({}, noCertSign), { name: 'issuer keyUsage without keyCertSign', intermediates: [noCertSign], expected: 'INVALID_CA' }),
    chain(leaf({}, interUnderLen0), { name: 'root pathlen:0 above an intermediate', intermediates: [interUnderLen0], roots: [rootLen0], expected: 'PATH_LENGTH_EXCEEDED' }),
    chain(leaf({}, subInter), { name: 'intermediate pathlen:0 above another', intermediates: [interLen0, subInter], expected: 'PATH_LENGTH_EXCEEDED' }),
    chain(leaf({}, i3), { name: 'three intermediates, maxDepth 2', intermediates: [i1, i2, i3], maxDepth: 2, expected: 'CERT_CHAIN_TOO_LONG' }),

    // --- purposes and extensions ---
    chain(leaf({ extKeyUsage: [Oid.clientAuth] }), { name: 'leaf EKU clientAuth only, for a server', expected: 'INVALID_PURPOSE' }),
    chain(leaf(), { name: 'leaf EKU serverAuth only, for a client', purpose: 'clientAuth', hostname: undefined, expected: 'INVALID_PURPOSE' }),
    chain(leaf({}, clientInter), { name: 'intermediate EKU clientAuth only', intermediates: [clientInter], expected: 'INVALID_PURPOSE' }),
    chain(leaf({ extKeyUsage: [Oid.anyExtendedKeyUsage] }), {
      name: 'leaf EKU anyExtendedKeyUsage',
      // CABF BR 7.1.2.7.10: not in a server certificate; OpenSSL's sslserver purpose wants serverAuth itself too.
      expected: 'INVALID_PURPOSE',
    }),
    chain(leaf({ keyUsage: KeyUsage.nonRepudiation }), { name: 'leaf keyUsage without a TLS use', expected: 'INVALID_PURPOSE' }),
    chain(leaf({ keyUsage: KeyUsage.keyEncipherment, key: rsaKey }), { name: 'RSA leaf with keyEncipherment only', expected: 'OK' }),

    // --- the leaf's keyUsage against the key exchange (RFC 5246 7.4.2, RFC 8446 4.4.2.2) ---
    kx('RSA leaf with keyEncipherment only, for a signed key exchange (ECDHE, DHE, TLS 1.3)', { keyUsage: KeyUsage.keyEncipherment, key: rsaKey }, 'digitalSignature', 'INVALID_PURPOSE'),
    kx('RSA leaf with keyEncipherment only, for the RSA key exchange', { keyUsage: KeyUsage.keyEncipherment, key: rsaKey }, 'keyEncipherment', 'OK'),
    kx('RSA leaf with digitalSignature only, for the RSA key exchange', { keyUsage: KeyUsage.digitalSignature, key: rsaKey }, 'keyEncipherment', 'INVALID_PURPOSE'),
    kx('P-256 leaf with keyAgreement only (an ECDH key), for a signed key exchange', { keyUsage: KeyUsage.keyAgreement }, 'digitalSignature', 'INVALID_PURPOSE'),
    kx('RSA leaf without keyUsage, for a signed key exchange', { noKeyUsage: true, key: rsaKey }, 'digitalSignature', 'OK'),
    kx('RSA leaf without keyUsage, for the RSA key exchange', { noKeyUsage: true, key: rsaKey }, 'keyEncipherment', 'OK'),
    chain(leaf({ extraExtensions: [unknownCritical] }), { name: 'unknown critical extension on the leaf', expected: 'UNHANDLED_CRITICAL_EXTENSION' }),
    chain(leaf({}, criticalInter), { name: 'unknown critical extension on an intermediate', intermediates: [criticalInter], expected: 'UNHANDLED_CRITICAL_EXTENSION' }),

    // --- host names (RFC 6125 / RFC 9525) ---
    chain(leaf(), { name: 'wrong host name', hostname: 'mail.example.com', expected: ALTNAME }),
    chain(leaf({ dnsNames: ['*.example.com'] }), { name: 'wildcard does not match two labels', hostname: 'a.b.example.com', expected: ALTNAME }),
    chain(leaf({ dnsNames: ['*.example.com'] }), { name: 'wildcard does not match the bare domain', hostname: 'example.com', expected: ALTNAME }),
    chain(leaf({ dnsNames: ['*.co.uk'] }), {
      name: 'wildcard directly under a public suffix (co.uk)',
      hostname: 'example.co.uk',
      expected: ALTNAME,
      differs: {
        openssl: 'OK',
        why: 'OpenSSL only asks for two labels after the wildcard and has no public-suffix list; we refuse wildcards under the listed multi-label suffixes (identity.ts multiLabelPublicSuffixes), as browsers do',
      },
    }),
    chain(leaf({ dnsNames: ['*.com'] }), { name: 'wildcard under a single-label suffix', hostname: 'example.com', expected: ALTNAME }),
    chain(leaf({ dnsNames: ['*.example.com'] }), {
      name: 'wildcard never stands for an A-label',
      hostname: 'xn--bcher-kva.example.com',
      expected: ALTNAME,
      differs: {
        openssl: 'OK',
        why: 'OpenSSL lets a whole-label "*" match an A-label; RFC 6125 6.4.3 and the issue forbid it (a wildcard says nothing about which IDN was meant)',
      },
    }),
    chain(leaf({ dnsNames: ['w*.example.com'] }), {
      name: 'partial-label wildcard',
      expected: ALTNAME,
      differs: {
        openssl: 'OK',
        why: 'OpenSSL accepts "w*" partial wildcards unless X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS; RFC 9525 6.3 drops them, as Go and webpki do',
      },
    }),
    chain(leaf({ CN: HOST, dnsNames: undefined, ipAddresses: ['10.1.2.3'] }), {
      name: 'no CN fallback when a subjectAltName is present',
      expected: ALTNAME,
      differs: {
        openssl: 'OK',
        why: 'OpenSSL falls back to the CN when the SAN has no dNSName (an IP-only SAN); RFC 6125 6.4.4 allows the CN only without any SAN, and the issue asks for that',
      },
    }),
    chain(leaf({ ipAddresses: ['127.0.0.1'] }), { name: 'IP address not in the SAN', hostname: undefined, ip: '127.0.0.2', expected: ALTNAME }),
    chain(leaf({ dnsNames: ['127.0.0.1'] }), { name: 'an IP target never matches a dNSName', hostname: undefined, ip: '127.0.0.1', expected: ALTNAME }),

    // --- name constraints (RFC 5280 4.2.1.10) ---
    chain(leaf({}, ncInter), { name: 'within permitted DNS subtree', intermediates: [ncInter], expected: 'OK' }),
    chain(leaf({ dnsNames: ['www.example.net'] }, ncInter), {
      name: 'within a permitted subtree, a subdomain',
      intermediates: [ncInter],
      hostname: 'www.example.net',
      expected: 'OK',
    }),
    chain(leaf({ dnsNames: ['www.example.net'] }, leadingDotInter), {
      name: 'a dNSName constraint with a leading period is malformed',
      intermediates: [leadingDotInter],
      hostname: 'www.example.net',
      expected: 'UNSUPPORTED_CONSTRAINT_SYNTAX',
      differs: {
        openssl: 'OK',
        why: 'OpenSSL reads ".example.net" as the subdomains of example.net; RFC 5280 4.2.1.10 gives dNSName no leading-period form (rfc822Name and URI have one), and pyca/cryptography and webpki refuse it',
      },
    }),
    chain(leaf({ dnsNames: [HOST, 'www.evil.com'] }, ncInter), { name: 'one SAN outside the permitted subtree', intermediates: [ncInter], expected: 'PERMITTED_VIOLATION' }),
    chain(leaf({ dnsNames: ['www.bad.example.com'] }, ncInter), {
      name: 'within an excluded subtree',
      intermediates: [ncInter],
      hostname: 'www.bad.example.com',
      expected: 'EXCLUDED_VIOLATION',
    }),
    chain(leaf({ CN: 'www.evil.com', dnsNames: undefined }, ncInter), {
      name: 'CN host name outside the permitted subtree, no SAN',
      intermediates: [ncInter],
      hostname: 'www.evil.com',
      expected: 'PERMITTED_VIOLATION',
    }),
    chain(leaf({ CN: 'Evil Server', dnsNames: undefined, ipAddresses: ['10.9.9.9'] }, ncInter), {
      name: 'a CN that is not a host name is not constrained',
      commonNameFallback: true,
      intermediates: [ncInter],
      hostname: undefined,
      ip: '10.9.9.9',
      expected: 'OK',
    }),
    chain(leaf({ dnsNames: [HOST], ipAddresses: ['192.168.1.1'] }, ncInter), {
      name: 'IP outside the permitted range',
      intermediates: [ncInter],
      expected: 'PERMITTED_VIOLATION',
    }),
    chain(leaf({}, ncRootInter), { name: 'trust anchor constraints hold: inside', intermediates: [ncRootInter], roots: [ncRoot], expected: 'OK' }),
    chain(leaf({ dnsNames: ['www.evil.com'] }, ncRootInter), {
      name: 'trust anchor constraints hold: outside',
      intermediates: [ncRootInter],
      roots: [ncRoot],
      hostname: 'www.evil.com',
      expected: 'PERMITTED_VIOLATION',
    }),
    chain(leaf({}, emailNcInter), {
      name: 'critical nameConstraints with an rfc822Name base: processed, the leaf has no e-mail names',
      intermediates: [emailNcInter],
      expected: 'OK',
    }),
  ];
});

after(() => dir?.cleanup());

async function opensslVerdictFor(c: Case): Promise<string> {
  const pem = (xs: readonly Issued[]) => xs.map((x) => x.pem).join('');
  const args = ['verify', '-x509_strict', '-purpose', c.purpose === 'clientAuth' ? 'sslclient' : 'sslserver'];
  args.push('-attime', String(Math.floor((c.time ?? NOW).getTime() / 1000)));
  if (c.hostname !== undefined) args.push('-verify_hostname', c.hostname);
  if (c.ip !== undefined) args.push('-verify_ip', c.ip);
  if (c.maxDepth !== undefined) args.push('-verify_depth', String(c.maxDepth));
  args.push('-CAfile', dir.write('roots.pem', pem(c.roots)));
  if (c.intermediates.length > 0) args.push('-untrusted', dir.write('inter.pem', pem(c.intermediates)));
  args.push(dir.write('leaf.pem', c.leaf.pem));
  return opensslVerdict((await openssl(args)).out);
}

test('PKI matrix: verifyCertificateChain and openssl verify on the same files', async (t) => {
  const started = Date.now();
  const ours = await Promise.all(
    cases.map((c) =>
      verifyCertificateChain({
        leaf: c.leaf.pem,
        intermediates: c.intermediates.map((x) => x.der),
        roots: c.roots.map((x) => x.pem),
        time: c.time ?? NOW,
        ...(c.hostname !== undefined ? { hostname: c.hostname } : {}),
        ...(c.ip !== undefined ? { ip: c.ip } : {}),
        ...(c.purpose !== undefined ? { purpose: c.purpose } : {}),
        ...(c.maxDepth !== undefined ? { maxDepth: c.maxDepth } : {}),
        ...(c.keyUsage !== undefined ? { keyUsage: c.keyUsage } : {}),
        ...(c.commonNameFallback !== undefined ? { commonNameFallback: c.commonNameFallback } : {}),
      }),
    ),
  );
  const theirs = await inParallel(cases.map((c) => () => opensslVerdictFor(c)), 8);
  const problems: string[] = [];
  const table: string[] = [];
  cases.forEach((c, i) => {
    const r = ours[i]!;
    const got = r.ok ? 'OK' : r.code;
    const wantOpenssl = c.differs?.openssl ?? c.expected;
    if (got !== c.expected) problems.push(`${c.name}: ours ${got} (${r.ok ? '' : r.message}), expected ${c.expected}`);
    if (theirs[i] !== wantOpenssl) problems.push(`${c.name}: openssl ${theirs[i]}, expected ${wantOpenssl}`);
    if (c.differs && c.differs.openssl === c.expected) problems.push(`${c.name}: 'differs' names no difference`);
    table.push(`${c.expected.padEnd(32)} ${theirs[i]!.padEnd(32)} ${c.name}`);
  });
  assert.deepEqual(problems, [], `\n${table.join('\n')}`);
  assert.ok(cases.length >= 60, `${cases.length} cases`);
  t.diagnostic(`${cases.length} cases, ${cases.filter((c) => c.differs).length} documented disagreements with openssl, ${Date.now() - started} ms`);
  assert.ok(Date.now() - started < 30_000, 'the matrix runs in well under 30 s');
});

test('PKI matrix: every rule has a failing case and the chains that pass include every key type', () => {
  const codes = new Set(cases.map((c) => c.expected));
  for (const code of [
    'OK',
    'CERT_HAS_EXPIRED',
    'CERT_NOT_YET_VALID',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'CERT_SIGNATURE_FAILURE',
    'INVALID_CA',
    'PATH_LENGTH_EXCEEDED',
    'INVALID_PURPOSE',
    'CERT_CHAIN_TOO_LONG',
    'UNHANDLED_CRITICAL_EXTENSION',
    'PERMITTED_VIOLATION',
    'EXCLUDED_VIOLATION',
    ALTNAME,
  ]) {
    assert.ok(codes.has(code), `no case for ${code}`);
  }
});

test('PKI matrix: the key types are parsed as what they are', () => {
  const key = (name: string) => {
    const c = parseCertificate(cases.find((x) => x.name === name)!.leaf.der);
    return [c.publicKeyAlgorithm, c.namedCurve];
  };
  assert.deepEqual(key('RSA-2048 leaf'), ['rsa', undefined]);
  assert.deepEqual(key('RSA-PSS (id-RSASSA-PSS) leaf key'), ['rsa-pss', undefined]);
  assert.deepEqual(key('Ed25519 leaf'), ['ed25519', undefined]);
  assert.deepEqual(key('P-384 leaf'), ['ec', NamedGroup.secp384r1]);
  assert.deepEqual(key('leaf, intermediate, root'), ['ec', NamedGroup.secp256r1]);
  const pss = parseCertificate(cases.find((x) => x.name === 'signed by an RSA-PSS key (pss_pss)')!.leaf.der);
  assert.equal(pss.signatureAlgorithm.oid, Oid.rsassaPss);
  assert.equal(pss.signatureAlgorithm.scheme, SignatureScheme.rsa_pss_rsae_sha256);
  assert.equal(parseCertificate(cases.find((x) => x.name === 'RSA leaf without keyUsage, for a signed key exchange')!.leaf.der).keyUsage, undefined);
});
