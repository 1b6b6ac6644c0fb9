// Malformed certificates and hostile chains: each is a clean `ok: false` from verifyCertificateChain
// (or a TlsError('bad_certificate') from parseCertificate), never another exception and never a hang.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { verifyCertificateChain } from '../../src/index.js';
import { nodeCryptoProvider as provider } from '../../src/crypto/node.js';
import { TlsError } from '../../src/errors.js';
import { signatureAlgorithmIdentifier } from '../../src/x509/builder.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { DerReader, Tag, der, derTlv } from '../../src/x509/der.js';
import { pemEncode } from '../../src/x509/pem.js';
import type { VerifyResult } from '../../src/x509/verify.js';
import { TempDir, issue, newKey, openssl, opensslVerdict, schemeFor, type Issued, type TestKey } from './pki.js';

const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const HOST = 'www.example.com';

let dir: TempDir;
let root: Issued;
let leaf: Issued;
before(() => {
  dir = new TempDir();
  root = issue(NOW, undefined, { CN: 'Malformed Root', isCA: true });
  leaf = issue(NOW, root, { CN: HOST, dnsNames: [HOST] });
});
after(() => dir?.cleanup());

function assertMalformed(bytes: Uint8Array, pattern?: RegExp): void {
  assert.throws(
    () => parseCertificate(bytes),
    (e: unknown) => {
      assert.ok(e instanceof TlsError, `expected a TlsError, got ${String(e)}`);
      assert.equal(e.kind, 'bad_certificate');
      if (pattern) assert.match(e.message, pattern);
      return true;
    },
  );
}

async function verifyLeaf(leafDer: Uint8Array, more: { intermediates?: Uint8Array[]; maxDepth?: number } = {}): Promise<VerifyResult> {
  return verifyCertificateChain({
    leaf: leafDer,
    intermediates: more.intermediates ?? [],
    roots: [root.pem],
    hostname: HOST,
    time: NOW,
    ...(more.maxDepth !== undefined ? { maxDepth: more.maxDepth } : {}),
  });
}

/** The TBSCertificate's fields as encoded: version, serial, signature, issuer, validity, subject, SPKI, extensions. */
function tbsFields(certDer: Uint8Array): Uint8Array[] {
  return DerReader.readAll(certDer, 'test', (r) => {
    const cert = r.sequence('Certificate');
    const tbs = cert.sequence('tbsCertificate');
    const out: Uint8Array[] = [];
    while (!tbs.empty()) out.push(tbs.element('field').raw);
    return out;
  });
}

/** A certificate from TBS fields, signed by `signer` (the root by default) so that only the altered field is wrong. */
function resign(fields: Uint8Array[], signer: TestKey = root.key): Uint8Array {
  const scheme = schemeFor(signer.key);
  const tbs = der.sequence(...fields);
  return der.sequence(tbs, signatureAlgorithmIdentifier(scheme), der.bitString(provider.sign(signer.key, scheme, tbs)));
}

function withField(index: number, value: Uint8Array): Uint8Array {
  const fields = tbsFields(leaf.der);
  fields[index] = value;
  return resign(fields);
}

const ascii = (s: string) => new TextEncoder().encode(s);
const utc = (s: string) => derTlv(Tag.UTCTime, ascii(s));
const gen = (s: string) => derTlv(Tag.GeneralizedTime, ascii(s));
const VALIDITY = 4;
const SERIAL = 1;

test('the unaltered leaf verifies (the baseline for every case below)', async () => {
  const r = await verifyLeaf(leaf.der);
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal((await verifyLeaf(resign(tbsFields(leaf.der)))).ok, true, 'resign() keeps a certificate valid');
});

test('truncated DER: every strict prefix is refused', async () => {
  for (let n = 0; n < leaf.der.length; n++) assertMalformed(leaf.der.subarray(0, n));
  for (const n of [0, 1, 4, 100, leaf.der.length - 1]) {
    const r = await verifyLeaf(leaf.der.subarray(0, n));
    assert.equal(r.ok, false);
    assert.equal(r.ok ? '' : r.code, 'ERR_TLS_CERT_PARSE');
  }
});

test('bad lengths and trailing bytes', async () => {
  const d = leaf.der;
  // The outer SEQUENCE is 30 82 hi lo: one more and one less than the contents.
  const len = (d[2]! << 8) | d[3]!;
  const withLength = (n: number) => Uint8Array.from([0x30, 0x82, n >> 8, n & 0xff, ...d.subarray(4)]);
  assertMalformed(withLength(len + 1), /truncated/);
  assertMalformed(withLength(len - 1), /signatureValue is truncated/);
  // Non-minimal: 30 83 00 hi lo; indefinite: 30 80 ... 00 00; five length bytes.
  assertMalformed(Uint8Array.from([0x30, 0x83, 0x00, d[2]!, d[3]!, ...d.subarray(4)]), /non-minimal length/);
  assertMalformed(Uint8Array.from([0x30, 0x80, ...d.subarray(4), 0, 0]), /indefinite/);
  assertMalformed(Uint8Array.from([0x30, 0x85, 0, 0, 0, d[2]!, d[3]!, ...d.subarray(4)]), /length of 5 bytes/);
  // A length larger than anything present.
  assertMalformed(Uint8Array.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, ...d.subarray(4)]), /truncated/);
  // Trailing bytes after the certificate, and inside the TBSCertificate (re-signed, so only that is wrong).
  assertMalformed(Uint8Array.from([...d, 0x00]), /trailing/);
  assertMalformed(resign([...tbsFields(d), der.null()]), /TBSCertificate/);
  // Trailing bytes inside the validity SEQUENCE.
  const fields = tbsFields(d);
  const validity = DerReader.readAll(fields[VALIDITY]!, 'v', (r) => r.expect(Tag.SEQUENCE, 'validity'));
  assertMalformed(withField(VALIDITY, der.sequence(validity, der.null())), /trailing/);
  for (const bad of [withLength(len + 1), Uint8Array.from([...d, 0x00])]) {
    const r = await verifyLeaf(bad);
    assert.deepEqual([r.ok, r.ok ? '' : r.code], [false, 'ERR_TLS_CERT_PARSE']);
  }
});

test('bogus times: month 13, Feb 30, missing Z, a 4-digit year in UTCTime, a non-DER fraction, hour 24', async () => {
  const notAfter = utc('491231235959Z');
  const cases: [string, Uint8Array][] = [
    ['month 13', utc('251301000000Z')],
    ['February 30', utc('250230000000Z')],
    ['February 29 in a common year', utc('250229000000Z')],
    ['missing Z', utc('250101000000')],
    ['a time zone offset', utc('250101000000+0100')],
    ['no seconds', utc('2501010000Z')],
    ['UTCTime with a 4-digit year', utc('20250101000000Z')],
    // A fraction in its DER form is read (docs/certificates.md); one with a trailing zero is not DER.
    ['GeneralizedTime with a fraction ending in 0', gen('20250101000000.50Z')],
    ['GeneralizedTime with a 2-digit year', gen('250101000000Z')],
    ['hour 24', utc('250101240000Z')],
    ['minute 60', utc('250101006000Z')],
    ['day 0', utc('250100000000Z')],
    ['letters in the digits', utc('25O101000000Z')],
    ['an INTEGER in place of a time', der.smallInteger(1)],
  ];
  for (const [name, notBefore] of cases) {
    const bad = withField(VALIDITY, der.sequence(notBefore, notAfter));
    assert.throws(() => parseCertificate(bad), TlsError, name);
    const r = await verifyLeaf(bad);
    assert.deepEqual([r.ok, r.ok ? '' : r.code], [false, 'ERR_TLS_CERT_PARSE'], name);
  }
  // The control: the same construction with a good time verifies.
  const good = withField(VALIDITY, der.sequence(utc('250229000000Z'.replace('250229', '240229')), notAfter));
  assert.equal((await verifyLeaf(good)).ok, true, 'February 29 of a leap year');
});

test('serial numbers: more than 20 octets refused, negative and zero accepted (openssl agrees on the last two)', async () => {
  const serial = (bytes: number[]) => derTlv(Tag.INTEGER, Uint8Array.from(bytes));
  const twenty = Array.from({ length: 20 }, (_, i) => 0x10 + i);
  // 20 octets, and 20 octets behind a 0x00 sign byte: both conform.
  for (const s of [twenty, [0x00, 0x80, ...twenty.slice(1)]]) {
    const r = await verifyLeaf(withField(SERIAL, serial(s)));
    assert.equal(r.ok, true, JSON.stringify(r));
  }
  // 21 and 64 octets: RFC 5280 Section 4.1.2.2 caps serials at 20; we refuse as webpki does.
  for (const n of [21, 64]) {
    const bad = withField(SERIAL, serial(Array.from({ length: n }, (_, i) => 0x11 + (i % 200))));
    assertMalformed(bad, /serialNumber is \d+ octets/);
    const r = await verifyLeaf(bad);
    assert.deepEqual([r.ok, r.ok ? '' : r.code], [false, 'ERR_TLS_CERT_PARSE']);
    // openssl verify accepts it: a documented disagreement (RFC 5280 only asks to handle such serials
    // gracefully; refusing them is the graceful handling Go's and webpki's limits chose).
    const verdict = opensslVerdict(
      (await openssl(['verify', '-CAfile', dir.write('root.pem', root.pem), dir.write('long-serial.pem', pemEncode('CERTIFICATE', bad))])).out,
    );
    assert.equal(verdict, 'OK');
  }
  // Negative and zero: non-conforming, accepted as OpenSSL and node:tls accept them.
  for (const s of [[0xff, 0x01], [0x80], [0x00]]) {
    const cert = withField(SERIAL, serial(s));
    const r = await verifyLeaf(cert);
    assert.equal(r.ok, true, JSON.stringify(r));
    const verdict = opensslVerdict(
      (await openssl(['verify', '-CAfile', dir.write('root.pem', root.pem), dir.write('neg-serial.pem', pemEncode('CERTIFICATE', cert))])).out,
    );
    assert.equal(verdict, 'OK');
  }
  // Non-minimal and empty INTEGERs are DER errors.
  assertMalformed(withField(SERIAL, serial([0x00, 0x01])), /non-minimal INTEGER/);
  assertMalformed(withField(SERIAL, serial([])), /empty INTEGER/);
});

test('a deep chain (50 intermediates) is CERT_CHAIN_TOO_LONG at once, and verifies when maxDepth allows it', async () => {
  const chain: Issued[] = [];
  let issuer = root;
  for (let i = 0; i < 50; i++) {
    issuer = issue(NOW, issuer, { CN: `Deep ${i}`, isCA: true });
    chain.push(issuer);
  }
  const deepLeaf = issue(NOW, issuer, { CN: HOST, dnsNames: [HOST] });
  const intermediates = [...chain].reverse().map((c) => c.der);
  let started = Date.now();
  const r = await verifyLeaf(deepLeaf.der, { intermediates });
  assert.deepEqual({ ...r, stats: undefined }, { ok: false, code: 'CERT_CHAIN_TOO_LONG', message: 'certificate chain too long', stats: undefined });
  assert.ok(Date.now() - started < 2000);
  started = Date.now();
  const allowed = await verifyLeaf(deepLeaf.der, { intermediates, maxDepth: 50 });
  assert.equal(allowed.ok, true, JSON.stringify(allowed));
  assert.equal(allowed.ok && allowed.chain.length, 52);
  assert.ok(Date.now() - started < 2000);
  const oneShort = await verifyLeaf(deepLeaf.der, { intermediates, maxDepth: 49 });
  assert.deepEqual([oneShort.ok, oneShort.ok ? '' : oneShort.code], [false, 'CERT_CHAIN_TOO_LONG']);
});

test('a bag of cross-signed CAs that would take exponential path search is refused within the budget', async () => {
  // 7 layers of 6 certificates: every certificate of layer i has the same subject and key and is signed
  // by layer i+1's key, so each may be issued by any of the 6 above it: 6^7 candidate paths, none of
  // which reaches a trust anchor (the top layer's issuer is absent).
  const LAYERS = 7;
  const WIDTH = 6;
  const keys = Array.from({ length: LAYERS + 1 }, () => newKey('p256'));
  const names = Array.from({ length: LAYERS + 1 }, (_, i) => issue(NOW, undefined, { CN: `Layer ${i}`, isCA: true, key: keys[i]! }));
  const bag: Uint8Array[] = [];
  for (let layer = 0; layer < LAYERS; layer++) {
    const issuerOfLayer = names[layer + 1]!;
    for (let w = 0; w < WIDTH; w++) {
      bag.push(issue(NOW, issuerOfLayer, { CN: `Layer ${layer}`, isCA: true, key: keys[layer]! }).der);
    }
  }
  const bottom = names[0]!;
  const hostileLeaf = issue(NOW, bottom, { CN: HOST, dnsNames: [HOST] });
  const started = Date.now();
  const r = await verifyLeaf(hostileLeaf.der, { intermediates: bag, maxDepth: 20 });
  const elapsed = Date.now() - started;
  assert.equal(r.ok, false);
  assert.equal(r.ok ? '' : r.code, 'CERT_CHAIN_TOO_LONG');
  assert.match(r.ok ? '' : r.message, /budget/);
  assert.ok(elapsed < 3000, `took ${elapsed} ms`);
});

test('random corruption of a certificate: a TlsError or a verdict, never another exception', async () => {
  // A seeded generator, so that a failure can be replayed.
  let seed = 0x5eed;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let parsed = 0;
  for (let i = 0; i < 3000; i++) {
    const d = Uint8Array.from(leaf.der);
    const flips = 1 + rand(3);
    for (let f = 0; f < flips; f++) d[rand(d.length)] = rand(256);
    try {
      parseCertificate(d);
      parsed++;
    } catch (e) {
      assert.ok(e instanceof TlsError, `case ${i}: ${String(e)}`);
      assert.equal(e.kind, 'bad_certificate');
    }
    if (i % 100 === 0) {
      const r = await verifyLeaf(d);
      if (r.ok) assert.deepEqual(d, leaf.der, 'only the unaltered certificate verifies');
    }
  }
  // Some mutations land in values that stay well-formed (a name's letters, the key's bits).
  assert.ok(parsed > 0 && parsed < 3000, `${parsed} parsed`);
});

test('malformed certificates in the intermediates and the roots are refused as a parse error', async () => {
  const bad = leaf.der.subarray(0, 50);
  for (const options of [
    { leaf: leaf.pem, intermediates: [bad], roots: [root.pem] },
    { leaf: leaf.pem, roots: [root.pem, bad] },
    { leaf: leaf.pem, roots: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' },
    { leaf: 'not PEM at all', roots: [root.pem] },
  ]) {
    const r = await verifyCertificateChain({ ...options, time: NOW });
    assert.equal(r.ok, false);
    assert.equal(r.ok ? '' : r.code, 'ERR_TLS_CERT_PARSE', JSON.stringify(r));
  }
});
