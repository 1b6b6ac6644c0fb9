// One test per validation rule (docs/certificates.md): a chain accepted, the nearest bad chain
// refused with its code, and what `openssl verify -purpose sslserver` (run here, on the same
// files) decides about each. Chains are made with the project's builder.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeCryptoProvider as provider } from '../../src/crypto/node.js';
import type { PrivateKey } from '../../src/crypto/provider.js';
import { SignatureScheme } from '../../src/wire/enums.js';
import { buildCertificate, type CertificateTemplate } from '../../src/x509/builder.js';
import { Oid, parseCertificate, type Name } from '../../src/x509/certificate.js';
import { der } from '../../src/x509/der.js';
import { pemEncode } from '../../src/x509/pem.js';
import { verifyChain, type VerifyOptions, type VerifyResult } from '../../src/x509/verify.js';

const dir = mkdtempSync(join(tmpdir(), 'typetls-profile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const NOW = new Date();
const start = new Date(NOW.getTime() - 86400_000);
const end = new Date(NOW.getTime() + 30 * 86400_000);

function newKey(kind: 'ec' | 'rsa1024' | 'rsa2048' | 'rsa2052' = 'ec'): PrivateKey {
  const pair =
    kind === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: kind === 'rsa1024' ? 1024 : kind === 'rsa2048' ? 2048 : 2052 });
  return provider.loadPrivateKey(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
}

interface Made {
  readonly der: Uint8Array;
  readonly key: PrivateKey;
  readonly subject: Name;
}

/** Signs `template` with `issuer` (or itself); fills in validity and key. */
function make(template: Partial<CertificateTemplate> & { readonly subject: CertificateTemplate['subject'] }, issuer?: Made, key: PrivateKey = newKey()): Made {
  const signer = issuer?.key ?? key;
  const derBytes = buildCertificate(
    provider,
    {
      notBefore: start,
      notAfter: end,
      subjectPublicKeyInfo: key.spki,
      ...(issuer ? { issuer: issuer.subject } : {}),
      ...template,
    },
    signer,
    signer.algorithm === 'ec' ? SignatureScheme.ecdsa_secp256r1_sha256 : SignatureScheme.rsa_pkcs1_sha256,
  );
  return { der: derBytes, key, subject: parseCertificate(derBytes).subject };
}

const root = (extra: Partial<CertificateTemplate> = {}, key?: PrivateKey) => make({ subject: { CN: 'Profile Root' }, isCA: true, ...extra }, undefined, key);
const ca = (issuer: Made, extra: Partial<CertificateTemplate> = {}, cn = 'Profile Intermediate', key?: PrivateKey) =>
  make({ subject: { CN: cn }, isCA: true, ...extra }, issuer, key);
const leaf = (issuer: Made, extra: Partial<CertificateTemplate> = {}, key?: PrivateKey) =>
  make({ subject: { CN: 'a.example.com' }, dnsNames: ['a.example.com'], extKeyUsage: [Oid.serverAuth], ...extra }, issuer, key);

function verify(chain: readonly Made[], anchor: Made, more: Partial<VerifyOptions> = {}): VerifyResult {
  return verifyChain(provider, {
    presented: chain.map((c) => parseCertificate(c.der)),
    roots: [parseCertificate(anchor.der)],
    now: NOW,
    purpose: 'serverAuth',
    ...more,
  });
}

let fileCount = 0;
function pemFile(certs: readonly Made[]): string {
  const path = join(dir, `c${fileCount++}.pem`);
  writeFileSync(path, certs.map((c) => pemEncode('CERTIFICATE', c.der)).join(''));
  return path;
}

/** `openssl verify -purpose sslserver` on the same chain: 'OK' or OpenSSL's error line ("error 47 ... : permitted subtree violation"). */
function openssl(chain: readonly Made[], anchor: Made, extra: readonly string[] = []): string {
  const args = ['verify', '-purpose', 'sslserver', '-attime', String(Math.floor(NOW.getTime() / 1000)), '-CAfile', pemFile([anchor]), ...extra];
  if (chain.length > 1) args.push('-untrusted', pemFile(chain.slice(1)));
  args.push(pemFile(chain.slice(0, 1)));
  try {
    execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return 'OK';
  } catch (e) {
    const out = `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}`;
    return /error \d+ at \d+ depth lookup: ([^\n]+)/.exec(out)?.[1] ?? out.trim().split('\n')[0]!;
  }
}

function accepted(r: VerifyResult, what: string): void {
  assert.equal(r.ok, true, `${what}: ${r.ok ? '' : `${r.code}: ${r.message}`}`);
}

function refused(r: VerifyResult, code: string, what: string): void {
  assert.equal(r.ok, false, `${what} was accepted`);
  if (!r.ok) assert.equal(r.code, code, `${what}: ${r.message}`);
}

// ---------------------------------------------------------------------------- hostnames and IPs

test('hostnames: SAN required, no CN fallback unless asked; CN among the SANs; IPs as bytes; IDNs as A-labels', () => {
  const r = root();
  const good = leaf(r);
  accepted(verify([good], r, { hostname: 'a.example.com' }), 'SAN dNSName');
  assert.equal(openssl([good], r, ['-verify_hostname', 'a.example.com']), 'OK');
  const cnOnly = leaf(r, { dnsNames: [] });
  refused(verify([cnOnly], r, { hostname: 'a.example.com' }), 'ERR_TLS_CERT_ALTNAME_INVALID', 'CN only');
  accepted(verify([cnOnly], r, { hostname: 'a.example.com', commonNameFallback: true }), 'CN only with commonNameFallback');
  accepted(verify([cnOnly], r, { hostname: 'a.example.com', profile: 'node' }), "CN only under node's rules");
  // OpenSSL falls back to the CN when there is no DNS SAN.
  assert.equal(openssl([cnOnly], r, ['-verify_hostname', 'a.example.com']), 'OK');
  const cnElsewhere = leaf(r, { subject: { CN: 'b.example.com' } });
  refused(verify([cnElsewhere], r, { hostname: 'a.example.com' }), 'ERR_TLS_CERT_ALTNAME_INVALID', 'CN not among the SANs');
  assert.equal(openssl([cnElsewhere], r, ['-verify_hostname', 'a.example.com']), 'OK');
  const underscore = leaf(r, { subject: { CN: 'a_b.example.com' }, dnsNames: ['a_b.example.com'] });
  refused(verify([underscore], r, { hostname: 'a_b.example.com' }), 'ERR_TLS_CERT_ALTNAME_INVALID', 'underscore');
  assert.equal(openssl([underscore], r, ['-verify_hostname', 'a_b.example.com']), 'OK');
  const ipLeaf = leaf(r, { subject: { CN: '127.0.0.1' }, dnsNames: [], ipAddresses: ['127.0.0.1'] });
  accepted(verify([ipLeaf], r, { ip: '127.0.0.1' }), 'iPAddress');
  accepted(verify([ipLeaf], r, { hostname: '127.0.0.1' }), 'iPAddress given as a hostname');
  refused(verify([ipLeaf], r, { hostname: '127.000.000.001' }), 'ERR_TLS_CERT_ALTNAME_INVALID', 'another notation');
  const ipAsDns = leaf(r, { subject: { CN: '127.0.0.1' }, dnsNames: ['127.0.0.1'] });
  refused(verify([ipAsDns], r, { ip: '127.0.0.1' }), 'ERR_TLS_CERT_ALTNAME_INVALID', 'an address in a dNSName');
  assert.equal(openssl([ipAsDns], r, ['-verify_ip', '127.0.0.1']), 'IP address mismatch');
  const idn = leaf(r, { subject: { CN: 'xn--bcher-kva.example' }, dnsNames: ['xn--bcher-kva.example'] });
  accepted(verify([idn], r, { hostname: 'bücher.example' }), 'IDN as A-label');
});

// ---------------------------------------------------------------------------- name constraints

test('name constraints: DNS permitted and excluded, in SAN and subject CN; wildcards as the names they cover', () => {
  const r = root();
  const nc = ca(r, { nameConstraints: { permitted: { dns: ['example.com'] }, excluded: { dns: ['bad.example.com'] } } });
  accepted(verify([leaf(nc), nc], r), 'within');
  const outside = leaf(nc, { subject: { CN: 'a.example.org' }, dnsNames: ['a.example.org'] });
  refused(verify([outside, nc], r), 'PERMITTED_VIOLATION', 'outside permitted');
  assert.equal(openssl([outside, nc], r), 'permitted subtree violation');
  const wild = leaf(nc, { subject: { CN: '*.example.com' }, dnsNames: ['*.example.com'] });
  refused(verify([wild, nc], r), 'EXCLUDED_VIOLATION', 'a wildcard covering an excluded name');
  assert.equal(openssl([wild, nc], r), 'OK');
  const wildOk = leaf(nc, { subject: { CN: '*.good.example.com' }, dnsNames: ['*.good.example.com'] });
  accepted(verify([wildOk, nc], r), 'a wildcard within permitted and clear of excluded');
  // CN as the DNS name when the leaf has no dNSName (OpenSSL does the same).
  const cnOnly = leaf(nc, { subject: { CN: 'x.example.org' }, dnsNames: [], emails: ['a@example.com'], extKeyUsage: [Oid.clientAuth] });
  refused(verify([cnOnly, nc], r, { purpose: 'clientAuth', profile: 'node' }), 'PERMITTED_VIOLATION', 'the CN counts');
});

test('name constraints: iPAddress, rfc822Name (SAN and subject emailAddress), URI, directoryName', () => {
  const r = root();
  const ipNc = ca(r, { nameConstraints: { permitted: { ip: ['10.0.0.0/8'] } } });
  accepted(verify([leaf(ipNc, { subject: { CN: '10.1.2.3' }, dnsNames: [], ipAddresses: ['10.1.2.3'] }), ipNc], r), 'IP within');
  const ipOut = leaf(ipNc, { subject: { CN: '11.1.2.3' }, dnsNames: [], ipAddresses: ['11.1.2.3'] });
  refused(verify([ipOut, ipNc], r), 'PERMITTED_VIOLATION', 'IP outside');
  assert.equal(openssl([ipOut, ipNc], r), 'permitted subtree violation');

  const mailNc = ca(r, { nameConstraints: { permitted: { email: ['.example.com'] } } });
  accepted(verify([leaf(mailNc, { emails: ['a@mail.example.com'] }), mailNc], r), 'email within');
  const mailOut = leaf(mailNc, { emails: ['a@example.org'] });
  refused(verify([mailOut, mailNc], r), 'PERMITTED_VIOLATION', 'email outside');
  assert.equal(openssl([mailOut, mailNc], r), 'permitted subtree violation');

  const uriNc = ca(r, { nameConstraints: { excluded: { uri: ['.evil.com'] } } });
  accepted(verify([leaf(uriNc, { uris: ['https://www.example.com/x'] }), uriNc], r), 'URI clear of excluded');
  const uriBad = leaf(uriNc, { uris: ['https://www.evil.com/x'] });
  refused(verify([uriBad, uriNc], r), 'EXCLUDED_VIOLATION', 'URI excluded');
  assert.equal(openssl([uriBad, uriNc], r), 'excluded subtree violation');

  const dnNc = ca(r, { nameConstraints: { permitted: { dirName: [{ O: 'Good', CN: 'a.example.com' }] } } });
  accepted(verify([leaf(dnNc, { subject: { O: 'Good', CN: 'a.example.com' } }), dnNc], r), 'directoryName within');
  const dnOut = leaf(dnNc, { subject: { O: 'Evil', CN: 'a.example.com' } });
  refused(verify([dnOut, dnNc], r), 'PERMITTED_VIOLATION', 'directoryName outside');
  assert.equal(openssl([dnOut, dnNc], r), 'permitted subtree violation');
});

test('name constraints: only in CAs; self-issued intermediates unbound; malformed constraints; otherName only when present', () => {
  const r = root();
  const eeWithNc = leaf(r, { nameConstraints: { permitted: { dns: ['example.com'] } } });
  refused(verify([eeWithNc], r), 'INVALID_EXTENSION', 'an end entity with nameConstraints');
  assert.equal(openssl([eeWithNc], r), 'OK');
  // A self-issued intermediate (same name, new key) under a CA permitting example.com only.
  const nc = ca(r, { nameConstraints: { permitted: { dns: ['example.com'] } } }, 'Constrained CA');
  const rekey = make({ subject: { CN: 'Constrained CA' }, isCA: true, dnsNames: ['outside.example.org'] }, nc);
  accepted(verify([leaf(rekey), rekey, nc], r), 'self-issued intermediate not bound');
  const leadingDot = ca(r, { nameConstraints: { permitted: { dns: ['.example.com'] } } });
  refused(verify([leaf(leadingDot), leadingDot], r), 'UNSUPPORTED_CONSTRAINT_SYNTAX', 'a dNSName constraint with a leading period');
  assert.equal(openssl([leaf(leadingDot), leadingDot], r), 'OK');
  const otherNc = ca(r, { nameConstraints: { excluded: { otherName: ['1.3.6.1.4.1.311.20.2.3'] } } });
  accepted(verify([leaf(otherNc), otherNc], r), 'an otherName constraint, no otherName in the leaf');
  assert.equal(openssl([leaf(otherNc), otherNc], r), 'OK');
});

test('name constraints: a chain built to make the check quadratic is refused within the budget', () => {
  const r = root();
  const bases = Array.from({ length: 600 }, (_, i) => `n${i}.example.com`);
  const nc = ca(r, { nameConstraints: { excluded: { dns: bases } } });
  const names = Array.from({ length: 500 }, (_, i) => `host${i}.example.org`);
  const hostile = leaf(nc, { subject: { CN: names[0]! }, dnsNames: names });
  const result = verify([hostile, nc], r);
  refused(result, 'NAME_CONSTRAINTS_TOO_COMPLEX', '300000 comparisons');
  assert.equal(result.stats?.nameConstraintComparisons, 250000);
  accepted(verify([leaf(nc), nc], r), 'the same CA, an ordinary leaf');
});

// ---------------------------------------------------------------------------- basic constraints, key usage, EKU

test('basic constraints: present and critical in CAs (the anchor too), v1 is not a CA, cA leaf refused, empty-subject CA', () => {
  const r = root();
  const good = ca(r);
  accepted(verify([leaf(good), good], r), 'critical basicConstraints');
  const notCritical = ca(r, { basicConstraintsCritical: false });
  refused(verify([leaf(notCritical), notCritical], r), 'CA_BCONS_NOT_CRITICAL', 'non-critical basicConstraints');
  accepted(verify([leaf(notCritical), notCritical], r, { profile: 'node' }), 'under the node profile');
  assert.equal(openssl([leaf(notCritical), notCritical], r), 'OK');
  assert.equal(openssl([leaf(notCritical), notCritical], r, ['-x509_strict']), 'Basic Constraints of CA cert not marked critical');
  const rootNotCritical = root({ basicConstraintsCritical: false });
  refused(verify([leaf(rootNotCritical)], rootNotCritical), 'CA_BCONS_NOT_CRITICAL', 'the trust anchor');

  const noBc = ca(r, { omitExtensions: [Oid.basicConstraints, Oid.keyUsage] });
  refused(verify([leaf(noBc), noBc], r), 'INVALID_CA', 'an intermediate without basicConstraints');
  assert.equal(openssl([leaf(noBc), noBc], r), 'invalid CA certificate');
  const v1 = make({ subject: { CN: 'V1 Intermediate' }, version1: true }, r);
  refused(verify([leaf(v1), v1], r), 'INVALID_CA', 'a v1 intermediate');
  assert.equal(openssl([leaf(v1), v1], r), 'invalid CA certificate');
  const v1Root = make({ subject: { CN: 'V1 Root' }, version1: true });
  refused(verify([leaf(v1Root)], v1Root), 'INVALID_CA', 'a v1 root');
  accepted(verify([leaf(v1Root)], v1Root, { profile: 'node' }), 'a v1 root under the node profile (as node:tls)');
  assert.equal(openssl([leaf(v1Root)], v1Root), 'OK');

  const caLeaf = leaf(r, { isCA: true });
  refused(verify([caLeaf], r), 'INVALID_PURPOSE', 'a CA certificate as the server certificate');
  assert.equal(openssl([caLeaf], r), 'unsuitable certificate purpose');
  const empty: Name = { raw: der.sequence(), attributes: [] };
  const emptyCa = make({ subject: empty, isCA: true, dnsNames: ['ca.example.com'], subjectAltNameCritical: true }, r);
  const underEmpty = make({ subject: { CN: 'a.example.com' }, issuer: empty, dnsNames: ['a.example.com'], extKeyUsage: [Oid.serverAuth] }, emptyCa);
  refused(verify([underEmpty, emptyCa], r), 'INVALID_CA', 'a CA with an empty subject');
});

test('pathLenConstraint per RFC 5280 6.1.4: self-issued intermediates not counted, a leaf\'s ignored; maximum depth the same', () => {
  const r = root({ pathLenConstraint: 1 });
  const i1 = ca(r, {}, 'I1');
  const i2 = ca(i1, {}, 'I2');
  accepted(verify([leaf(i1), i1], r), 'one intermediate under pathLen 1');
  refused(verify([leaf(i2), i2, i1], r), 'PATH_LENGTH_EXCEEDED', 'two intermediates under pathLen 1');
  assert.equal(openssl([leaf(i2), i2, i1], r), 'path length constraint exceeded');
  const selfIssued = make({ subject: { CN: 'I1' }, isCA: true }, i1);
  accepted(verify([leaf(selfIssued), selfIssued, i1], r), 'a self-issued intermediate is not counted');
  assert.equal(openssl([leaf(selfIssued), selfIssued, i1], r), 'OK');
  accepted(verify([leaf(selfIssued), selfIssued, i1], r, { maxDepth: 1 }), 'nor by the maximum depth');
  accepted(verify([leaf(i1, { pathLenConstraint: 0 }), i1], r), "a leaf's pathLenConstraint is ignored");
});

test('key usage: keyCertSign only with cA; a CA\'s keyUsage has keyCertSign; EKU serverAuth, not anyExtendedKeyUsage alone', () => {
  const r = root();
  const kcs = leaf(r, { keyUsage: 1 | (1 << 5) });
  refused(verify([kcs], r), 'KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA', 'keyCertSign in an end entity');
  assert.equal(openssl([kcs], r), 'OK');
  const noCertSign = ca(r, { keyUsage: 1 << 6 });
  refused(verify([leaf(noCertSign), noCertSign], r), 'INVALID_CA', 'a CA without keyCertSign');
  assert.equal(openssl([leaf(noCertSign), noCertSign], r), 'invalid CA certificate');
  const clientOnly = leaf(r, { extKeyUsage: [Oid.clientAuth] });
  refused(verify([clientOnly], r), 'INVALID_PURPOSE', 'clientAuth only');
  assert.equal(openssl([clientOnly], r), 'unsuitable certificate purpose');
  const anyEku = leaf(r, { extKeyUsage: [Oid.anyExtendedKeyUsage] });
  refused(verify([anyEku], r), 'INVALID_PURPOSE', 'anyExtendedKeyUsage alone');
  assert.equal(openssl([anyEku], r), 'unsuitable certificate purpose');
  const interEku = ca(r, { extKeyUsage: [Oid.clientAuth] });
  refused(verify([leaf(interEku), interEku], r), 'INVALID_PURPOSE', 'an intermediate restricted to clientAuth');
  assert.equal(openssl([leaf(interEku), interEku], r), 'unsuitable certificate purpose');
});

// ---------------------------------------------------------------------------- AKI / SKI

test('AKI/SKI: every CA has an SKI, every certificate below the anchor an AKI keyIdentifier, AKI not critical', () => {
  const r = root();
  const noSki = ca(r, { omitExtensions: [Oid.subjectKeyIdentifier] });
  refused(verify([leaf(noSki), noSki], r), 'MISSING_SUBJECT_KEY_IDENTIFIER', 'an intermediate without SKI');
  accepted(verify([leaf(noSki), noSki], r, { profile: 'node' }), 'under the node profile');
  assert.equal(openssl([leaf(noSki), noSki], r), 'OK');
  assert.equal(openssl([leaf(noSki), noSki], r, ['-x509_strict']), 'Missing Subject Key Identifier');
  const noAki = leaf(r, { omitExtensions: [Oid.authorityKeyIdentifier] });
  refused(verify([noAki], r), 'MISSING_AUTHORITY_KEY_IDENTIFIER', 'a leaf without AKI');
  assert.equal(openssl([noAki], r), 'OK');
  const critAki = leaf(r, { authorityKeyIdentifierCritical: true });
  refused(verify([critAki], r), 'AUTHORITY_KEY_IDENTIFIER_CRITICAL', 'a critical AKI');
  assert.equal(openssl([critAki], r), 'unhandled critical extension');
  const rootNoSki = root({ omitExtensions: [Oid.subjectKeyIdentifier] });
  refused(verify([leaf(rootNoSki)], rootNoSki), 'MISSING_SUBJECT_KEY_IDENTIFIER', 'a trust anchor without SKI');
});

test('AKI/SKI order candidates: the issuer whose SKI is the AKI is tried first among same-name CAs', () => {
  const r = root();
  const decoys = Array.from({ length: 5 }, () => ca(r, {}, 'Same Name'));
  const real = ca(r, {}, 'Same Name');
  const result = verify([leaf(real), ...decoys, real], r);
  accepted(result, 'the real issuer among decoys');
  // Decoys' SKIs differ from the leaf's AKI: they are not candidates, one signature check per link.
  assert.equal(result.stats?.signatureChecks, 2);
});

// ---------------------------------------------------------------------------- extensions and keys

test('extensions and keys: unknown critical extension anywhere (the anchor too), malformed AIA, weak or odd RSA, explicit curves', () => {
  const r = root();
  const unknown = { oid: '1.3.6.1.4.1.99999.1', critical: true, value: der.null() };
  const critRoot = root({ extraExtensions: [unknown] });
  refused(verify([leaf(critRoot)], critRoot), 'UNHANDLED_CRITICAL_EXTENSION', 'in the root');
  assert.equal(openssl([leaf(critRoot)], critRoot), 'unhandled critical extension');
  const critLeaf = leaf(r, { extraExtensions: [unknown] });
  refused(verify([critLeaf], r), 'UNHANDLED_CRITICAL_EXTENSION', 'in the leaf');
  const badAia = leaf(r, { extraExtensions: [{ oid: Oid.authorityInfoAccess, critical: false, value: der.sequence() }] });
  refused(verify([badAia], r), 'INVALID_EXTENSION', 'an empty authorityInfoAccess');
  assert.equal(openssl([badAia], r), 'OK');
  const goodAia = leaf(r, {
    extraExtensions: [{ oid: Oid.authorityInfoAccess, critical: false, value: der.sequence(der.sequence(der.oid('1.3.6.1.5.5.7.48.1'), der.implicit(6, new TextEncoder().encode('http://ocsp.example.com')))) }],
  });
  accepted(verify([goodAia], r), 'a well-formed authorityInfoAccess');

  const rsa1024 = leaf(r, {}, newKey('rsa1024'));
  refused(verify([rsa1024], r), 'EE_KEY_TOO_SMALL', 'RSA 1024');
  accepted(verify([rsa1024], r, { profile: 'node' }), 'RSA 1024 under the node profile (as node:tls at security level 1)');
  assert.equal(openssl([rsa1024], r), 'OK');
  const rsa2052 = leaf(r, {}, newKey('rsa2052'));
  refused(verify([rsa2052], r), 'EE_KEY_TOO_SMALL', 'an RSA modulus of 2052 bits');
  accepted(verify([leaf(r, {}, newKey('rsa2048'))], r), 'RSA 2048');

  // The same P-256 key with explicit curve parameters.
  const k = newKey();
  const explicitSpki = new Uint8Array(
    execFileSync('openssl', ['pkey', '-pubin', '-inform', 'DER', '-outform', 'DER', '-ec_param_enc', 'explicit'], {
      input: createPublicKey({ key: Buffer.from(k.spki), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'der' }),
    }),
  );
  const explicit = leaf(r, { subjectPublicKeyInfo: explicitSpki });
  refused(verify([explicit], r), 'EC_KEY_EXPLICIT_PARAMS', 'explicit curve parameters');
  assert.equal(openssl([explicit], r, ['-x509_strict']), 'Certificate public key has explicit ECC parameters');
});

test('validity: fractional seconds are read, not taken for expiry', () => {
  const r = root();
  const p2 = (n: number) => n.toString().padStart(2, '0');
  const generalized = (d: Date, fraction: string) => {
    const text = `${d.getUTCFullYear()}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}${fraction}Z`;
    const bytes = new TextEncoder().encode(text);
    return new Uint8Array([0x18, bytes.length, ...bytes]);
  };
  const fractional = leaf(r, { validityDer: der.sequence(generalized(start, '.25'), generalized(end, '.5')) });
  assert.equal(parseCertificate(fractional.der).notAfter.getUTCMilliseconds(), 500);
  accepted(verify([fractional], r), 'fractional seconds in notBefore and notAfter');
  const expired = leaf(r, { validityDer: der.sequence(generalized(new Date(NOW.getTime() - 2 * 86400_000), '.5'), generalized(new Date(NOW.getTime() - 86400_000), '.5')) });
  refused(verify([expired], r), 'CERT_HAS_EXPIRED', 'an expired one with fractional seconds');
});

test('duplicate extensions: the certificate is refused when it is read', async () => {
  const r = root();
  const san = { oid: Oid.subjectAltName, critical: false, value: der.sequence(der.implicit(2, new TextEncoder().encode('a.example.com'))) };
  const der2 = buildCertificate(
    provider,
    { subject: { CN: 'a.example.com' }, issuer: r.subject, notBefore: start, notAfter: end, subjectPublicKeyInfo: newKey().spki, dnsNames: ['a.example.com'], extraExtensions: [san] },
    r.key,
    SignatureScheme.ecdsa_secp256r1_sha256,
  );
  const twice = { der: der2, key: r.key, subject: r.subject };
  assert.throws(() => parseCertificate(twice.der), /extension 2\.5\.29\.17 appears twice/);
  const { verifyCertificateChain } = await import('../../src/x509/verify.js');
  const result = await verifyCertificateChain({ provider, leaf: twice.der, roots: r.der });
  refused(result, 'ERR_TLS_CERT_PARSE', 'a certificate with two subjectAltName extensions');
  // OpenSSL marks such a certificate invalid and then finds no issuer for it.
  assert.equal(openssl([twice], r), 'unable to get local issuer certificate');
});

test('path building: a hostile bundle of same-name CAs ends within the signature budget, observable in the result', () => {
  const r = root();
  const issuerKey = newKey();
  const real = ca(r, {}, 'Crowded CA', issuerKey);
  // Decoys: the same name, no subjectKeyIdentifier (so the leaf's AKI does not rule them out), other keys.
  const decoys = Array.from({ length: 150 }, () => ca(r, { omitExtensions: [Oid.subjectKeyIdentifier] }, 'Crowded CA'));
  const good = leaf(real);
  const withReal = verify([good, ...decoys, real], r);
  accepted(withReal, 'the real issuer, tried first by its SKI');
  assert.equal(withReal.stats?.signatureChecks, 2);
  const hostile = verify([good, ...decoys], r);
  refused(hostile, 'CERT_CHAIN_TOO_LONG', 'only decoys');
  assert.equal(hostile.stats?.signatureChecks, hostile.stats?.signatureBudget);
  assert.equal(hostile.stats?.signatureBudget, 100);
});

test('one code path: the handshake, verifyChain and typetls verify give the same answer for the same chain', async () => {
  const { clientConfig, serverConfig } = await import('../../src/config.js');
  const { Pair } = await import('../pair.js');
  const { fileURLToPath } = await import('node:url');
  const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  const r = root();
  const inter = ca(r);
  const nc = ca(r, { nameConstraints: { permitted: { dns: ['example.org'] } } });
  const loose = ca(r, { basicConstraintsCritical: false });
  const cases: Array<[string, Made[]]> = [
    ['a good chain', [leaf(inter), inter]],
    ['the host only in the CN', [leaf(inter, { dnsNames: [] }), inter]],
    ['outside the permitted subtree', [leaf(nc), nc]],
    ['a CA whose basicConstraints is not critical', [leaf(loose), loose]],
    ['a leaf without AKI', [leaf(inter, { omitExtensions: [Oid.authorityKeyIdentifier] }), inter]],
    ['an RSA-1024 leaf', [leaf(inter, {}, newKey('rsa1024')), inter]],
  ];
  for (const [what, chain] of cases) {
    const presented = chain.map((c) => parseCertificate(c.der));
    const direct = verify(chain, r, { hostname: 'a.example.com', keyUsage: 'digitalSignature' });
    const pair = Pair.create(
      clientConfig({ provider, roots: [parseCertificate(r.der)] }),
      serverConfig({ provider, certificates: [{ chain: presented, key: chain[0]!.key }] }),
      'a.example.com',
    );
    pair.run();
    const handshake = pair.client.handshakeComplete ? 'OK' : pair.client.error?.code;
    let command: string;
    try {
      const out = execFileSync(process.execPath, [cli, 'verify', '--ca', pemFile([r]), '--untrusted', pemFile(chain.slice(1)), '--host', 'a.example.com', pemFile(chain.slice(0, 1))], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      command = out.startsWith('OK') ? 'OK' : out;
    } catch (e) {
      command = /^error: ([A-Z_]+):/.exec((e as { stderr?: string }).stderr ?? '')?.[1] ?? String(e);
    }
    const expected = direct.ok ? 'OK' : direct.code;
    assert.equal(handshake, expected, `${what}: the handshake`);
    assert.equal(command, expected, `${what}: typetls verify`);
    if (what !== 'a good chain') assert.notEqual(expected, 'OK', what);
  }
});
