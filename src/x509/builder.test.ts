import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeCryptoProvider as provider } from '../crypto/node.js';
import type { PrivateKey } from '../crypto/provider.js';
import { SignatureScheme } from '../wire/enums.js';
import { buildCertificate, type CertificateTemplate } from './builder.js';
import { KeyUsage, Oid, formatName, parseCertificate } from './certificate.js';
import { formatIpAddress } from './identity.js';
import { pemEncode } from './pem.js';
import { verifyChain } from './verify.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'typetls-builder-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function newKey(kind: 'ec256' | 'ec384' | 'rsa' | 'ed25519'): PrivateKey {
  const pair =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : kind === 'ed25519'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('ec', { namedCurve: kind === 'ec256' ? 'P-256' : 'P-384' });
  return provider.loadPrivateKey(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
}

function write(name: string, der: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, pemEncode('CERTIFICATE', der));
  return path;
}

function openssl(args: string[]): string {
  try {
    return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return `FAILED ${err.stdout ?? ''}${err.stderr ?? ''}`;
  }
}

const now = new Date();
const hour = 3600e3;

function rootTemplate(key: PrivateKey): CertificateTemplate {
  return {
    subject: { CN: 'Builder Root', O: 'typetls' },
    notBefore: new Date(now.getTime() - hour),
    notAfter: new Date(now.getTime() + 24 * hour),
    subjectPublicKeyInfo: key.spki,
    isCA: true,
    pathLenConstraint: 1,
  };
}

test('a root and a leaf that openssl verifies, parses and prints as built', () => {
  const rootKey = newKey('rsa');
  const leafKey = newKey('ec256');
  const rootDer = buildCertificate(provider, rootTemplate(rootKey), rootKey, SignatureScheme.rsa_pkcs1_sha256);
  const root = parseCertificate(rootDer);
  const leafDer = buildCertificate(
    provider,
    {
      subject: { CN: 'localhost' },
      issuer: root.subject,
      serialNumber: Uint8Array.of(0x01, 0x02, 0x03),
      notBefore: new Date(now.getTime() - hour),
      notAfter: new Date('2060-01-02T03:04:05.678Z'),
      subjectPublicKeyInfo: leafKey.spki,
      dnsNames: ['localhost', '*.example.com'],
      ipAddresses: ['127.0.0.1', '::1'],
      keyUsage: KeyUsage.digitalSignature,
      extKeyUsage: [Oid.serverAuth, Oid.clientAuth],
    },
    rootKey,
    SignatureScheme.rsa_pkcs1_sha256,
  );
  const rootPath = write('root.pem', rootDer);
  const leafPath = write('leaf.pem', leafDer);
  assert.equal(openssl(['verify', '-x509_strict', '-CAfile', rootPath, leafPath]).trim(), `${leafPath}: OK`);
  const text = openssl(['x509', '-in', leafPath, '-noout', '-text']);
  assert.match(text, /Version: 3 \(0x2\)/);
  assert.match(text, /Serial Number: 66051 \(0x10203\)/);
  assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
  assert.match(text, /Issuer: O = typetls, CN = Builder Root/);
  assert.match(text, /Subject: CN = localhost/);
  assert.match(text, /Not After : Jan {2}2 03:04:05 2060 GMT/);
  assert.match(text, /DNS:localhost, DNS:\*\.example\.com, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);
  assert.match(text, /Key Usage: critical\n\s+Digital Signature\n/);
  assert.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
  const rootText = openssl(['x509', '-in', rootPath, '-noout', '-text']);
  assert.match(rootText, /Basic Constraints: critical\n\s+CA:TRUE, pathlen:1/);
  assert.match(rootText, /Certificate Sign, CRL Sign/);

  const leaf = parseCertificate(leafDer);
  assert.equal(formatName(leaf.issuer), 'CN=Builder Root, O=typetls');
  assert.equal(leaf.notAfter.toISOString(), '2060-01-02T03:04:05.000Z');
  assert.deepEqual(leaf.subjectAltName!.ipAddresses.map(formatIpAddress), ['127.0.0.1', '::1']);
  assert.deepEqual(leaf.authorityKeyIdentifier, root.subjectKeyIdentifier);
  assert.deepEqual(leaf.basicConstraints, { ca: false, pathLenConstraint: undefined });
  // node's parser agrees too.
  const x = new X509Certificate(leafDer);
  assert.equal(x.subjectAltName, 'DNS:localhost, DNS:*.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  assert.ok(x.verify(new X509Certificate(rootDer).publicKey));
  const r = verifyChain(provider, { presented: [leaf], roots: [root], now, purpose: 'serverAuth', hostname: 'a.example.com' });
  assert.ok(r.ok, JSON.stringify(r));
});

test('every signature scheme the builder offers verifies in openssl', () => {
  const cases: Array<[PrivateKey, number, RegExp]> = [
    [newKey('rsa'), SignatureScheme.rsa_pss_rsae_sha256, /rsassaPss[\s\S]*Salt Length: 0x20/],
    [newKey('ec384'), SignatureScheme.ecdsa_secp384r1_sha384, /ecdsa-with-SHA384/],
    [newKey('ec256'), SignatureScheme.ecdsa_secp256r1_sha256, /ecdsa-with-SHA256/],
    [newKey('ed25519'), SignatureScheme.ed25519, /ED25519/],
  ];
  for (const [key, scheme, algorithm] of cases) {
    const der = buildCertificate(provider, rootTemplate(key), key, scheme);
    const path = write(`root-${scheme}.pem`, der);
    assert.match(openssl(['verify', '-CAfile', path, path]), /: OK/, `scheme 0x${scheme.toString(16)}`);
    assert.match(openssl(['x509', '-in', path, '-noout', '-text']), algorithm);
    const cert = parseCertificate(der);
    assert.equal(cert.signatureAlgorithm.scheme, scheme);
    assert.ok(verifyChain(provider, { presented: [cert], roots: [cert], now, purpose: 'serverAuth' }).ok);
  }
});

test('expired and not-yet-valid certificates: openssl and verifyChain agree', () => {
  const key = newKey('ec256');
  const root = buildCertificate(provider, rootTemplate(key), key, SignatureScheme.ecdsa_secp256r1_sha256);
  const make = (notBefore: Date, notAfter: Date) =>
    buildCertificate(
      provider,
      { subject: { CN: 'localhost' }, issuer: parseCertificate(root).subject, notBefore, notAfter, subjectPublicKeyInfo: key.spki },
      key,
      SignatureScheme.ecdsa_secp256r1_sha256,
    );
  const rootPath = write('r.pem', root);
  const expired = make(new Date('2019-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
  const future = make(new Date('2049-12-31T00:00:00Z'), new Date('2050-12-31T00:00:00Z'));
  assert.match(openssl(['verify', '-CAfile', rootPath, write('e.pem', expired)]), /certificate has expired/);
  assert.match(openssl(['verify', '-CAfile', rootPath, write('f.pem', future)]), /certificate is not yet valid/);
  const roots = [parseCertificate(root)];
  const e = verifyChain(provider, { presented: [parseCertificate(expired)], roots, now, purpose: 'serverAuth' });
  assert.deepEqual({ ...e, stats: undefined }, { ok: false, code: 'CERT_HAS_EXPIRED', message: 'certificate has expired', stats: undefined });
  const f = verifyChain(provider, { presented: [parseCertificate(future)], roots, now, purpose: 'serverAuth' });
  assert.deepEqual({ ...f, stats: undefined }, { ok: false, code: 'CERT_NOT_YET_VALID', message: 'certificate is not yet valid', stats: undefined });
  // 2049 is a UTCTime, 2050 a GeneralizedTime (RFC 5280 Section 4.1.2.5).
  assert.match(openssl(['asn1parse', '-in', join(dir, 'f.pem')]), /UTCTIME\s+:491231000000Z[\s\S]*GENERALIZEDTIME\s+:20501231000000Z/);
});

test('default serial numbers are 16 bytes, positive and distinct', () => {
  const key = newKey('ed25519');
  const serials = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const cert = parseCertificate(buildCertificate(provider, rootTemplate(key), key, SignatureScheme.ed25519));
    assert.equal(cert.serialNumber.length, 16);
    assert.equal(cert.serialNumber[0]! & 0x80, 0);
    serials.add(Buffer.from(cert.serialNumber).toString('hex'));
  }
  assert.equal(serials.size, 5);
  // An unknown scheme has no AlgorithmIdentifier (SHA-1 ones exist, for tests that show they are refused).
  assert.throws(() => buildCertificate(provider, rootTemplate(key), key, 0x0bad), /cannot sign certificates/);
});
