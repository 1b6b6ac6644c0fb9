import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TlsError } from '../errors.js';
import { NamedGroup, SignatureScheme } from '../wire/enums.js';
import { makePki, type Pki } from '../../test/certs/pki.js';
import { KeyUsage, Oid, formatName, nameAttribute, parseCertificate } from './certificate.js';
import { pemDecode } from './pem.js';
import { formatAltNames, formatIpAddress } from './identity.js';
import { der } from './der.js';

let pki: Pki;
before(() => {
  pki = makePki();
});
after(() => pki?.cleanup());

function assertBadCertificate(fn: () => unknown, what: string): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof TlsError && e.kind === 'bad_certificate' && /^malformed certificate: /.test(e.message),
    what,
  );
}

/** "Not After : Jan  1 00:00:00 2055 GMT" → Date */
function opensslDate(text: string, label: 'Not Before' | 'Not After '): Date {
  const m = new RegExp(`${label}: (.*) GMT`).exec(text);
  assert.ok(m, `openssl -text has ${label}`);
  return new Date(`${m[1]} UTC`);
}

test('parsed fields agree with openssl x509 -text (RSA leaf)', () => {
  const cert = parseCertificate(pki.leafRsa.der);
  const text = pki.text(pki.leafRsa);
  assert.equal(cert.version, 3);
  assert.deepEqual(cert.raw, pki.leafRsa.der);
  assert.equal(nameAttribute(cert.subject, 'CN'), 'localhost');
  assert.equal(nameAttribute(cert.subject, 'O'), 'typetls');
  assert.match(text, /Subject: O = typetls, CN = localhost/);
  assert.equal(formatName(cert.subject), 'CN=localhost, O=typetls');
  assert.equal(formatName(cert.issuer), 'CN=typetls Test Intermediate, O=typetls');
  assert.equal(cert.notAfter.getTime(), opensslDate(text, 'Not After ').getTime());
  assert.equal(cert.notBefore.getTime(), opensslDate(text, 'Not Before').getTime());
  assert.match(text, /DNS:localhost, IP Address:127\.0\.0\.1/);
  assert.equal(formatAltNames(cert.subjectAltName!), 'DNS:localhost, IP Address:127.0.0.1');
  assert.deepEqual(cert.subjectAltName!.dnsNames, ['localhost']);
  assert.deepEqual(cert.subjectAltName!.ipAddresses.map(formatIpAddress), ['127.0.0.1']);
  assert.equal(cert.publicKeyAlgorithm, 'rsa');
  assert.equal(cert.namedCurve, undefined);
  assert.equal(cert.signatureAlgorithm.oid, Oid.ecdsaWithSHA256);
  assert.equal(cert.signatureAlgorithm.scheme, SignatureScheme.ecdsa_secp256r1_sha256);
  assert.deepEqual(cert.basicConstraints, { ca: false, pathLenConstraint: undefined });
  assert.equal(cert.keyUsage, KeyUsage.digitalSignature | KeyUsage.keyEncipherment);
  assert.deepEqual(cert.extKeyUsage, [Oid.serverAuth]);
  // Cross-check with node's own parser.
  const x = new X509Certificate(pki.leafRsa.pem);
  assert.equal(Buffer.from(cert.serialNumber).toString('hex').toUpperCase().replace(/^0+/, ''), x.serialNumber.replace(/^0+/, ''));
  assert.deepEqual(Buffer.from(cert.subjectPublicKeyInfo), x.publicKey.export({ type: 'spki', format: 'der' }));
  const ski = /Subject Key Identifier: *\n *([0-9A-F:]+)/.exec(text)![1]!;
  assert.equal(Buffer.from(cert.subjectKeyIdentifier!).toString('hex'), ski.replace(/:/g, '').toLowerCase());
  const issuer = parseCertificate(pki.intermediate.der);
  assert.deepEqual(cert.authorityKeyIdentifier, issuer.subjectKeyIdentifier);
  assert.deepEqual(cert.issuer.raw, issuer.subject.raw);
});

test('CA certificates, EC keys, signature schemes', () => {
  const root = parseCertificate(pki.root.der);
  assert.deepEqual(root.basicConstraints, { ca: true, pathLenConstraint: undefined });
  assert.equal(root.keyUsage, KeyUsage.keyCertSign | KeyUsage.cRLSign);
  assert.equal(root.signatureAlgorithm.scheme, SignatureScheme.rsa_pkcs1_sha256);
  assert.deepEqual(root.subject.raw, root.issuer.raw);
  const intermediate = parseCertificate(pki.intermediate.der);
  assert.deepEqual(intermediate.basicConstraints, { ca: true, pathLenConstraint: 0 });
  assert.equal(intermediate.publicKeyAlgorithm, 'ec');
  assert.equal(intermediate.namedCurve, NamedGroup.secp384r1);
  assert.equal(intermediate.extensions.find((e) => e.oid === Oid.basicConstraints)!.critical, true);
  assert.equal(parseCertificate(pki.leafEc.der).namedCurve, NamedGroup.secp256r1);
  const pss = parseCertificate(pki.leafPss.der);
  assert.equal(pss.signatureAlgorithm.oid, Oid.rsassaPss);
  assert.equal(pss.signatureAlgorithm.scheme, SignatureScheme.rsa_pss_rsae_sha256);
  assert.match(pki.text(pki.leafPss), /Salt Length: 0x20/);
});

test('GeneralizedTime validity after 2049 (openssl ca -enddate)', () => {
  const cert = parseCertificate(pki.notYetValid.der);
  assert.equal(cert.notBefore.toISOString(), '2040-01-01T00:00:00.000Z');
  assert.equal(cert.notAfter.toISOString(), '2055-01-01T00:00:00.000Z');
  assert.equal(cert.notAfter.getTime(), opensslDate(pki.text(pki.notYetValid), 'Not After ').getTime());
});

test('PEM files from openssl decode to the DER openssl writes', () => {
  const blocks = pemDecode(pki.leafEc.pem + pki.intermediate.pem);
  assert.deepEqual(
    blocks.map((b) => b.label),
    ['CERTIFICATE', 'CERTIFICATE'],
  );
  assert.deepEqual(blocks[0]!.der, pki.leafEc.der);
  assert.deepEqual(blocks[1]!.der, pki.intermediate.der);
});

test('every truncation, a trailing byte and a non-minimal length are bad_certificate', () => {
  const good = pki.leafEc.der;
  for (let n = 0; n < good.length; n++) assertBadCertificate(() => parseCertificate(good.subarray(0, n)), `truncated at ${n}`);
  const trailing = new Uint8Array(good.length + 1);
  trailing.set(good);
  assertBadCertificate(() => parseCertificate(trailing), 'trailing byte');
  // The outer SEQUENCE's length re-encoded with one more (zero) length byte.
  assert.equal(good[1], 0x82);
  const longer = new Uint8Array(good.length + 1);
  longer.set([0x30, 0x83, 0x00], 0);
  longer.set(good.subarray(2), 3);
  assertBadCertificate(() => parseCertificate(longer), 'non-minimal length');
});

test('corrupting any byte gives a certificate or bad_certificate, never another exception', () => {
  const good = pki.leafRsa.der;
  for (let i = 0; i < good.length; i++) {
    for (const mask of [0x01, 0x80, 0xff]) {
      const bad = good.slice();
      bad[i]! ^= mask;
      try {
        parseCertificate(bad);
      } catch (e) {
        assert.ok(e instanceof TlsError && e.kind === 'bad_certificate', `byte ${i} ^ ${mask}: ${String(e)}`);
      }
    }
  }
});

test('duplicate extensions and a tbs/outer algorithm mismatch are malformed', () => {
  // Build a tiny certificate by hand around the leaf's parts.
  const leaf = parseCertificate(pki.leafEc.der);
  const alg = der.sequence(der.oid(Oid.ecdsaWithSHA256));
  const name = leaf.subject.raw;
  const validity = der.sequence(der.time(leaf.notBefore), der.time(leaf.notAfter));
  const ext = der.sequence(der.oid(Oid.subjectKeyIdentifier), der.octetString(der.octetString(Uint8Array.of(1))));
  const tbs = (exts: Uint8Array[], sigAlg = alg) =>
    der.sequence(der.explicit(0, der.smallInteger(2)), der.smallInteger(1), sigAlg, name, validity, name,
      leaf.subjectPublicKeyInfo, der.explicit(3, der.sequence(...exts)));
  const cert = (t: Uint8Array) => der.sequence(t, alg, der.bitString(Uint8Array.of(0)));
  assert.deepEqual(parseCertificate(cert(tbs([ext]))).subjectKeyIdentifier, Uint8Array.of(1));
  assertBadCertificate(() => parseCertificate(cert(tbs([ext, ext]))), 'duplicate extension');
  assertBadCertificate(() => parseCertificate(cert(tbs([]))), 'empty extensions');
  assertBadCertificate(() => parseCertificate(cert(tbs([ext], der.sequence(der.oid(Oid.ecdsaWithSHA384))))), 'alg mismatch');
});

test('every certificate of the system CA bundle parses, agreeing with node on validity and key', (t) => {
  let text: string;
  try {
    text = readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8');
  } catch {
    t.skip('no system CA bundle');
    return;
  }
  const blocks = pemDecode(text);
  assert.ok(blocks.length > 10);
  for (const b of blocks) {
    const cert = parseCertificate(b.der);
    const x = new X509Certificate(b.der);
    assert.equal(cert.notAfter.getTime(), new Date(x.validTo).getTime(), formatName(cert.subject));
    assert.deepEqual(Buffer.from(cert.subjectPublicKeyInfo), x.publicKey.export({ type: 'spki', format: 'der' }));
    assert.notEqual(cert.signatureAlgorithm.scheme, undefined, formatName(cert.subject));
  }
});
