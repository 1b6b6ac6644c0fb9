import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeCryptoProvider as provider } from '../crypto/node.js';
import { TlsError } from '../errors.js';
import { SignatureScheme } from '../wire/enums.js';
import { makePki, type Pki, type PkiCert } from '../../test/certs/pki.js';
import { buildCertificate } from './builder.js';
import { KeyUsage, parseCertificate, type Certificate } from './certificate.js';
import { pemDecode, pemEncode } from './pem.js';
import { verifyCertificateChain, verifyChain, type VerifyOptions, type VerifyResult } from './verify.js';

let pki: Pki;
let c: Record<
  'root' | 'intermediate' | 'leafRsa' | 'leafEc' | 'leafPss' | 'otherRoot' | 'otherLeaf' | 'selfSigned' | 'clientOnly' | 'underNonCa' | 'expired' | 'notYetValid',
  Certificate
>;
before(() => {
  pki = makePki();
  const parse = (x: PkiCert) => parseCertificate(x.der);
  c = {
    root: parse(pki.root),
    intermediate: parse(pki.intermediate),
    leafRsa: parse(pki.leafRsa),
    leafEc: parse(pki.leafEc),
    leafPss: parse(pki.leafPss),
    otherRoot: parse(pki.otherRoot),
    otherLeaf: parse(pki.otherLeaf),
    selfSigned: parse(pki.selfSigned),
    clientOnly: parse(pki.clientOnly),
    underNonCa: parse(pki.underNonCa),
    expired: parse(pki.expired),
    notYetValid: parse(pki.notYetValid),
  };
});
after(() => pki?.cleanup());

// A minute ahead: certificates openssl makes during the tests start at their own creation second, which
// on a loaded machine can come after this module was loaded.
const NOW = new Date(Date.now() + 60_000);

function verify(presented: Certificate[], more: Partial<VerifyOptions> = {}): VerifyResult {
  return verifyChain(provider, { presented, roots: [c.root], now: NOW, purpose: 'serverAuth', ...more });
}

function assertFails(result: VerifyResult, code: string, message?: string | RegExp): void {
  assert.equal(result.ok, false, `expected ${code}`);
  if (result.ok) return;
  assert.equal(result.code, code, result.message);
  if (typeof message === 'string') assert.equal(result.message, message);
  else if (message) assert.match(result.message, message);
}

/** What `openssl verify` says about a chain (the error line, or OK). */
function opensslVerify(leaf: PkiCert | string, untrusted: string[], caFile: string, extra: string[] = []): string {
  const leafPath = typeof leaf === 'string' ? leaf : leaf.path;
  const args = ['verify', '-CAfile', caFile, ...extra];
  if (untrusted.length) {
    const bundle = join(pki.dir, `untrusted-${untrusted.length}-${Math.random()}.pem`);
    writeFileSync(bundle, untrusted.join(''));
    args.push('-untrusted', bundle);
  }
  try {
    return pki.openssl([...args, leafPath]).trim();
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return `${err.stdout ?? ''}${err.stderr ?? ''}`;
  }
}

test('a good chain, in order, out of order, with duplicates and unrelated certificates', () => {
  const r = verify([c.leafRsa, c.intermediate], { hostname: 'localhost' });
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(
    r.chain.map((x) => x.raw),
    [c.leafRsa.raw, c.intermediate.raw, c.root.raw],
  );
  const mixed = verify([c.leafEc, c.otherRoot, c.intermediate, c.otherLeaf, c.intermediate, c.root], { ip: '127.0.0.1' });
  assert.ok(mixed.ok, JSON.stringify(mixed));
  assert.equal(mixed.chain.length, 3);
  assert.ok(verify([c.leafPss]).ok, 'RSASSA-PSS signature by the root');
  assert.match(opensslVerify(pki.leafRsa, [pki.intermediate.pem], pki.root.path), /OK$/);
});

test('the leaf itself trusted is accepted', () => {
  const r = verify([c.selfSigned], { roots: [c.root, c.selfSigned], hostname: 'localhost' });
  assert.ok(r.ok);
  assert.equal(r.chain.length, 1);
});

test('validity: expired and not yet valid, like openssl', () => {
  assertFails(verify([c.expired, c.intermediate]), 'CERT_HAS_EXPIRED', 'certificate has expired');
  assert.match(opensslVerify(pki.expired, [pki.intermediate.pem], pki.root.path), /certificate has expired/);
  assertFails(verify([c.notYetValid, c.intermediate]), 'CERT_NOT_YET_VALID', 'certificate is not yet valid');
  assert.match(opensslVerify(pki.notYetValid, [pki.intermediate.pem], pki.root.path), /certificate is not yet valid/);
  // Every certificate in the path counts: the root's validity ends in ten years.
  assertFails(verify([c.leafRsa, c.intermediate], { now: new Date(c.root.notAfter.getTime() + 1000) }), 'CERT_HAS_EXPIRED');
  assertFails(verify([c.leafRsa, c.intermediate], { now: new Date(c.root.notBefore.getTime() - 1000) }), 'CERT_NOT_YET_VALID');
});

test('no path: unknown CA, missing intermediate, self-signed leaf, self-signed root in chain', () => {
  assertFails(verify([c.leafRsa, c.intermediate], { roots: [c.otherRoot] }), 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate');
  assertFails(verify([c.leafRsa]), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate');
  assertFails(verify([c.selfSigned]), 'DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate');
  assert.match(opensslVerify(pki.selfSigned, [], pki.root.path), /self-signed certificate/);
  assertFails(verify([c.otherLeaf, c.otherRoot]), 'SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain');
  assertFails(verifyChain(provider, { presented: [], roots: [c.root], now: NOW, purpose: 'serverAuth' }), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
});

test('identity: wrong host, wrong IP', () => {
  assertFails(
    verify([c.leafRsa, c.intermediate], { hostname: 'wrong.example.' }),
    'ERR_TLS_CERT_ALTNAME_INVALID',
    "Hostname/IP does not match certificate's altnames: Host: wrong.example. is not in the cert's altnames: DNS:localhost, IP Address:127.0.0.1",
  );
  assertFails(
    verify([c.leafRsa, c.intermediate], { ip: '127.0.0.2' }),
    'ERR_TLS_CERT_ALTNAME_INVALID',
    "Hostname/IP does not match certificate's altnames: IP: 127.0.0.2 is not in the cert's list: 127.0.0.1",
  );
  assert.ok(verify([c.leafRsa, c.intermediate], { hostname: 'LOCALHOST.' }).ok);
});

test('CA:FALSE issuer, purpose, path length', () => {
  assertFails(verify([c.underNonCa, c.leafRsa, c.intermediate]), 'INVALID_CA', 'invalid CA certificate');
  assert.match(opensslVerify(pki.underNonCa, [pki.leafRsa.pem, pki.intermediate.pem], pki.root.path), /invalid CA certificate/);
  assertFails(verify([c.clientOnly, c.intermediate]), 'INVALID_PURPOSE', 'unsupported certificate purpose');
  assert.match(
    opensslVerify(pki.clientOnly, [pki.intermediate.pem], pki.root.path, ['-purpose', 'sslserver']),
    /error 26 at 0 depth/, // X509_V_ERR_INVALID_PURPOSE
  );
  assert.ok(verify([c.clientOnly, c.intermediate], { purpose: 'clientAuth' }).ok);
  assertFails(verify([c.leafRsa, c.intermediate], { purpose: 'clientAuth' }), 'INVALID_PURPOSE');

  // The intermediate has pathlen:0; a CA under it may not issue.
  const intermediateKey = provider.loadPrivateKey(pki.intermediate.keyPem);
  const subKey = provider.loadPrivateKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const sub = parseCertificate(
    buildCertificate(provider, {
      subject: { CN: 'Sub CA' }, issuer: c.intermediate.subject, notBefore: new Date(NOW.getTime() - 3600e3),
      notAfter: new Date(NOW.getTime() + 3600e3), subjectPublicKeyInfo: subKey.spki, isCA: true,
    }, intermediateKey, SignatureScheme.ecdsa_secp384r1_sha384),
  );
  const leaf = parseCertificate(
    buildCertificate(provider, {
      subject: { CN: 'localhost' }, issuer: sub.subject, notBefore: new Date(NOW.getTime() - 3600e3),
      notAfter: new Date(NOW.getTime() + 3600e3), subjectPublicKeyInfo: subKey.spki, dnsNames: ['localhost'],
    }, subKey, SignatureScheme.ecdsa_secp256r1_sha256),
  );
  assertFails(verify([leaf, sub, c.intermediate]), 'PATH_LENGTH_EXCEEDED');
  // The same chain with the sub CA trusted is fine.
  assert.ok(verify([leaf], { roots: [sub] }).ok);
  // maxDepth counts intermediates between leaf and root.
  // The trust anchor's own pathLenConstraint applies too, as in OpenSSL.
  assertFails(verify([leaf, sub], { roots: [c.intermediate] }), 'PATH_LENGTH_EXCEEDED');
  assertFails(verify([c.leafRsa, c.intermediate], { maxDepth: 0 }), 'CERT_CHAIN_TOO_LONG');
  assert.ok(verify([c.leafRsa, c.intermediate], { maxDepth: 1 }).ok);
});

test('signatures: a corrupted signature, SHA-1 refused below the anchor, unknown critical extension', () => {
  const sig = c.leafEc.signatureValue.slice();
  sig[sig.length - 1]! ^= 1;
  assertFails(verify([{ ...c.leafEc, signatureValue: sig }, c.intermediate]), 'CERT_SIGNATURE_FAILURE', 'certificate signature failure');
  const tbs = c.leafEc.tbsCertificate.slice();
  tbs[tbs.length - 1]! ^= 1;
  assertFails(verify([{ ...c.leafEc, tbsCertificate: tbs }, c.intermediate]), 'CERT_SIGNATURE_FAILURE');

  // openssl-made certificates: a SHA-1 leaf under the SHA-256 root, and a SHA-256 leaf under a SHA-1 root.
  const o = pki.openssl;
  writeFileSync(join(pki.dir, 'crit.cnf'), '[crit]\nbasicConstraints = CA:FALSE\n1.2.3.4 = critical,DER:05:00\n');
  o(['x509', '-req', '-in', 'leafEc.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-days', '30', '-sha1', '-out', 'sha1leaf.pem']);
  o(['req', '-x509', '-new', '-config', 'openssl.cnf', '-extensions', 'v3_ca', '-key', 'otherRoot.key', '-subj', '/CN=SHA-1 Root',
    '-days', '30', '-sha1', '-out', 'sha1root.pem']);
  o(['x509', '-req', '-in', 'leafEc.csr', '-CA', 'sha1root.pem', '-CAkey', 'otherRoot.key', '-days', '30', '-sha256',
    '-extfile', 'openssl.cnf', '-extensions', 'leaf', '-out', 'undersha1root.pem']);
  o(['x509', '-req', '-in', 'leafEc.csr', '-CA', 'intermediate.pem', '-CAkey', 'intermediate.key', '-days', '30',
    '-extfile', 'crit.cnf', '-extensions', 'crit', '-out', 'critical.pem']);
  const load = (name: string) => parseCertificate(pemDecode(o(['x509', '-in', `${name}.pem`]))[0]!.der);
  const sha1Leaf = load('sha1leaf');
  assert.equal(sha1Leaf.signatureAlgorithm.scheme, SignatureScheme.rsa_pkcs1_sha1);
  assertFails(verify([sha1Leaf]), 'CERT_SIGNATURE_FAILURE');
  const sha1Root = load('sha1root');
  assert.equal(sha1Root.signatureAlgorithm.scheme, SignatureScheme.ecdsa_sha1);
  const underSha1Root = verify([load('undersha1root')], { roots: [sha1Root] });
  assert.ok(underSha1Root.ok, JSON.stringify(underSha1Root));
  assertFails(verify([load('critical'), c.intermediate]), 'UNHANDLED_CRITICAL_EXTENSION', /1\.2\.3\.4/);
  assert.match(opensslVerify(join(pki.dir, 'critical.pem'), [pki.intermediate.pem], pki.root.path), /unhandled critical extension/);
});

test('path building is bounded: twenty CAs that all issue each other', () => {
  const key = provider.loadPrivateKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const name = { CN: 'loop' };
  const mk = (isCA: boolean) =>
    parseCertificate(
      buildCertificate(provider, {
        subject: isCA ? name : { CN: 'leaf' }, issuer: name, notBefore: new Date(NOW.getTime() - 3600e3),
        notAfter: new Date(NOW.getTime() + 3600e3), subjectPublicKeyInfo: key.spki, isCA,
      }, key, SignatureScheme.ecdsa_secp256r1_sha256),
    );
  const cas = Array.from({ length: 20 }, () => mk(true));
  const leaf = mk(false);
  let checks = 0;
  const counting = { ...provider, verify: (...a: Parameters<typeof provider.verify>) => (checks++, provider.verify(...a)) };
  const started = Date.now();
  const r = verifyChain(counting, { presented: [leaf, ...cas], roots: [c.root], now: NOW, purpose: 'serverAuth', maxDepth: 20 });
  assert.equal(r.ok, false);
  assert.ok(checks <= 100, `${checks} signature checks`);
  assert.ok(Date.now() - started < 2000);
  // And with one of them trusted, a path is found.
  const found = verifyChain(provider, { presented: [leaf, ...cas], roots: [cas[7]!], now: NOW, purpose: 'serverAuth' });
  assert.ok(found.ok);
});

test('verifyChain never throws', () => {
  const broken = { ...c.leafEc, extensions: null } as unknown as Certificate;
  const r = verify([broken, c.intermediate], { hostname: 'localhost' });
  assert.equal(r.ok, false);
});

test('verifyCertificateChain takes PEM and DER', async () => {
  const ok = await verifyCertificateChain({
    leaf: pki.leafRsa.pem, intermediates: [pki.intermediate.der], roots: pki.root.pem + pki.otherRoot.pem,
    hostname: 'localhost', provider,
  });
  assert.ok(ok.ok);
  assert.equal(ok.chain.length, 3);
  const bundled = await verifyCertificateChain({ leaf: pki.leafEc.pem + pki.intermediate.pem, roots: pki.root.pem, provider });
  assert.ok(bundled.ok);
  assert.equal(bundled.chain.length, 3);
  const expired = await verifyCertificateChain({ leaf: pki.expired.der, intermediates: pki.intermediate.pem, roots: [pki.root.der], provider });
  assertFails(expired, 'CERT_HAS_EXPIRED');
  const later = await verifyCertificateChain({ leaf: pki.expired.der, intermediates: pki.intermediate.pem, roots: [pki.root.der], provider, time: new Date('2020-06-01T00:00:00Z') });
  // The time given is used: in 2020 the expired leaf was valid, but the intermediate did not exist yet.
  assertFails(later, 'CERT_NOT_YET_VALID');
  const bad = await verifyCertificateChain({ leaf: pki.leafRsa.der.subarray(0, 100), roots: pki.root.pem, provider });
  assertFails(bad, 'ERR_TLS_CERT_PARSE', /malformed certificate/);
  assertFails(await verifyCertificateChain({ leaf: 'not pem', roots: pki.root.pem, provider }), 'ERR_TLS_CERT_PARSE');
  await assert.rejects(
    verifyCertificateChain({ leaf: pki.leafRsa.pem, roots: pki.root.pem }),
    (e: unknown) => e instanceof TlsError && e.kind === 'api_misuse',
  );
  assert.equal(pemEncode('CERTIFICATE', pki.leafRsa.der), pki.leafRsa.pem);
});

test('keyUsage: the leaf must allow what the key exchange does with its key (RFC 5246 7.4.2, RFC 8446 4.4.2.2)', () => {
  const intermediateKey = provider.loadPrivateKey(pki.intermediate.keyPem);
  const keyOf = (type: 'rsa' | 'ec') =>
    provider.loadPrivateKey(
      (type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' }))
        .privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    );
  const rsaKey = keyOf('rsa');
  const ecKey = keyOf('ec');
  /** A leaf for localhost under the intermediate, or self-signed when `selfSigned`. */
  const leaf = (key: typeof rsaKey, keyUsage: number | undefined, selfSigned = false) =>
    parseCertificate(
      buildCertificate(provider, {
        subject: { CN: 'localhost' }, ...(selfSigned ? {} : { issuer: c.intermediate.subject }),
        notBefore: new Date(NOW.getTime() - 3600e3), notAfter: new Date(NOW.getTime() + 3600e3),
        subjectPublicKeyInfo: key.spki, dnsNames: ['localhost'], ...(keyUsage !== undefined ? { keyUsage } : {}),
      }, selfSigned ? key : intermediateKey, selfSigned ? SignatureScheme.rsa_pkcs1_sha256 : SignatureScheme.ecdsa_secp384r1_sha384),
    );
  const encipherOnly = leaf(rsaKey, KeyUsage.keyEncipherment);
  const signOnly = leaf(rsaKey, KeyUsage.digitalSignature);
  const both = leaf(rsaKey, KeyUsage.digitalSignature | KeyUsage.keyEncipherment);
  const none = leaf(rsaKey, undefined);
  const agreeOnly = leaf(ecKey, KeyUsage.keyAgreement);
  assert.equal(none.keyUsage, undefined, 'the builder leaves keyUsage out');
  const check = (l: Certificate, keyUsage: 'digitalSignature' | 'keyEncipherment') => verify([l, c.intermediate], { keyUsage, hostname: 'localhost' });

  // ECDHE_RSA, DHE_RSA and TLS 1.3 sign with the key: keyEncipherment alone does not allow it.
  assertFails(check(encipherOnly, 'digitalSignature'), 'INVALID_PURPOSE', /^unsupported certificate purpose: .*digitalSignature/);
  // The RSA key exchange encrypts the premaster secret to the key: digitalSignature alone does not allow it.
  assertFails(check(signOnly, 'keyEncipherment'), 'INVALID_PURPOSE', /^unsupported certificate purpose: .*keyEncipherment/);
  // An EC key marked for key agreement (an ECDH certificate) is not an ECDSA signing key.
  assertFails(check(agreeOnly, 'digitalSignature'), 'INVALID_PURPOSE');
  assert.ok(check(encipherOnly, 'keyEncipherment').ok);
  assert.ok(check(signOnly, 'digitalSignature').ok);
  for (const use of ['digitalSignature', 'keyEncipherment'] as const) {
    assert.ok(check(both, use).ok, `both bits, ${use}`);
    assert.ok(check(none, use).ok, `no keyUsage extension, ${use}`);
  }
  // Without the option the leaf's bits are held only to the TLS uses as a whole (OpenSSL's sslserver purpose).
  assert.ok(verify([encipherOnly, c.intermediate]).ok);
  assert.ok(verify([agreeOnly, c.intermediate]).ok);
  // A leaf trusted directly is checked too: the handshake still uses its key.
  const selfIssued = leaf(rsaKey, KeyUsage.keyEncipherment, true);
  assertFails(verify([selfIssued], { roots: [selfIssued], keyUsage: 'digitalSignature' }), 'INVALID_PURPOSE');
  assert.ok(verify([selfIssued], { roots: [selfIssued], keyUsage: 'keyEncipherment' }).ok);
  // Trust is reported before the key's use: under an unknown root the verdict is the missing issuer.
  assertFails(verify([encipherOnly, c.intermediate], { roots: [c.otherRoot], keyUsage: 'digitalSignature' }), 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  // And before the name: the wrong host name is not what is reported for an unusable key.
  assertFails(verify([encipherOnly, c.intermediate], { hostname: 'wrong.example', keyUsage: 'digitalSignature' }), 'INVALID_PURPOSE');
});

test('keyUsage through verifyCertificateChain, and an unknown value is refused', async () => {
  const chainOf = (leaf: PkiCert) => ({ leaf: leaf.pem, intermediates: pki.intermediate.pem, roots: pki.root.pem, provider });
  // leafRsa is marked digitalSignature and keyEncipherment; clientOnly digitalSignature alone (test/certs/pki.ts).
  assert.ok((await verifyCertificateChain({ ...chainOf(pki.leafRsa), keyUsage: 'keyEncipherment' })).ok);
  assert.ok((await verifyCertificateChain({ ...chainOf(pki.clientOnly), purpose: 'clientAuth', keyUsage: 'digitalSignature' })).ok);
  assertFails(await verifyCertificateChain({ ...chainOf(pki.clientOnly), purpose: 'clientAuth', keyUsage: 'keyEncipherment' }), 'INVALID_PURPOSE');
  await assert.rejects(
    verifyCertificateChain({ leaf: pki.leafRsa.pem, roots: pki.root.pem, provider, keyUsage: 'keyAgreement' as 'digitalSignature' }),
    (e: unknown) => e instanceof TlsError && e.kind === 'api_misuse',
  );
});
