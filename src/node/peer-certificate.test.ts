import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';

import { parseCertificate } from '../x509/certificate.js';
import { pemDecode } from '../x509/pem.js';
import { checkServerIdentity } from './api.js';
import { nameObject, peerCertificate, type DetailedPeerCertificate, type PeerCertificate } from './peer-certificate.js';
import { makeTestPki, type TestPki } from '../../test/certs/make.js';

let pki: TestPki;
const read = (f: string): string => readFileSync(f, 'utf8');
const certOf = (f: string) => parseCertificate(pemDecode(read(f))[0]!.der);
const servers: tls.Server[] = [];

before(async () => {
  pki = await makeTestPki();
});
after(() => {
  for (const s of servers) s.close();
});

/** What node:tls itself reports for a server certificate: the reference we must match. */
async function nodePeerCertificate(certFile: string, keyFile: string): Promise<tls.DetailedPeerCertificate> {
  const server = tls.createServer({ cert: read(certFile), key: read(keyFile) }, (s) => s.end());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const socket = tls.connect({ host: '127.0.0.1', port, ca: read(pki.caCert), servername: 'localhost' });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    return socket.getPeerCertificate(true);
  } finally {
    socket.destroy();
    server.close();
  }
}

/** node's object without the fields typetls does not produce (infoAccess) and without the chain link. */
function comparable(o: PeerCertificate | tls.PeerCertificate): Record<string, unknown> {
  const { issuerCertificate: _i, infoAccess: _a, ...rest } = o as unknown as Record<string, unknown>;
  void _i;
  void _a;
  return rest;
}

for (const kind of ['rsa', 'ecdsa'] as const) {
  test(`${kind} leaf: the same object as node:tls getPeerCertificate(), field by field`, async () => {
    const certFile = kind === 'rsa' ? pki.rsaCert : pki.ecdsaCert;
    const keyFile = kind === 'rsa' ? pki.rsaKey : pki.ecdsaKey;
    const reference = await nodePeerCertificate(certFile, keyFile);
    const ours = peerCertificate([certOf(certFile)], false) as PeerCertificate;
    assert.deepEqual(comparable(ours), comparable(reference));
    assert.equal(ours.subjectaltname, 'DNS:localhost, IP Address:127.0.0.1');
    assert.equal(ours.subject.CN, 'localhost');
    assert.equal(ours.issuer.CN, 'typetls Test CA');
    assert.match(ours.valid_to, /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} GMT$/);
    assert.match(ours.serialNumber, /^[0-9A-F]+$/);
    if (kind === 'rsa') {
      assert.equal(ours.bits, 2048);
      assert.equal(ours.exponent, '0x10001');
    } else {
      assert.equal(ours.asn1Curve, 'prime256v1');
      assert.equal(ours.nistCurve, 'P-256');
      assert.equal(ours.pubkey!.length, 65);
    }
  });
}

test('detailed: issuerCertificate chains through the presented certificates and the roots, the root pointing at itself', () => {
  const leaf = certOf(pki.rsaCert);
  const ca = certOf(pki.caCert);
  const viaRoots = peerCertificate([leaf], true, [certOf(pki.unknownCaCert), ca]) as DetailedPeerCertificate;
  assert.equal(viaRoots.subject.CN, 'localhost');
  assert.equal(viaRoots.issuerCertificate.subject.CN, 'typetls Test CA');
  assert.equal(viaRoots.issuerCertificate.issuerCertificate, viaRoots.issuerCertificate);
  assert.equal(viaRoots.issuerCertificate.ca, true);
  const viaChain = peerCertificate([leaf, ca], true) as DetailedPeerCertificate;
  assert.equal(viaChain.issuerCertificate.fingerprint256, viaRoots.issuerCertificate.fingerprint256);
  const notFound = peerCertificate([leaf], true) as DetailedPeerCertificate;
  assert.equal(notFound.issuerCertificate, undefined, 'no issuer known: no link');
  assert.deepEqual(peerCertificate([], true), {});
  const plain = peerCertificate([leaf, ca], false) as DetailedPeerCertificate;
  assert.equal(plain.issuerCertificate, undefined, 'not detailed: no link');
});

test('names: repeated attributes become arrays, in a null-prototype object like node', () => {
  const name = {
    raw: new Uint8Array(),
    attributes: [
      { oid: '2.5.4.11', shortName: 'OU', value: 'a' },
      { oid: '2.5.4.11', shortName: 'OU', value: 'b' },
      { oid: '2.5.4.3', shortName: 'CN', value: 'x' },
      { oid: '1.2.3.4', shortName: undefined, value: 'y' },
    ],
  };
  const o = nameObject(name);
  assert.equal(Object.getPrototypeOf(o), null);
  assert.deepEqual({ ...o }, { OU: ['a', 'b'], CN: 'x', '1.2.3.4': 'y' });
});

test('checkServerIdentity: the same verdicts and codes as node:tls on the same objects', () => {
  const leaf = peerCertificate([certOf(pki.rsaCert)], false) as PeerCertificate;
  const dnsOnly = peerCertificate([certOf(pki.dnsOnlyCert)], false) as PeerCertificate;
  const cases: [string, PeerCertificate][] = [
    ['localhost', leaf],
    ['LOCALHOST.', leaf],
    ['127.0.0.1', leaf],
    ['example.com', leaf],
    ['127.0.0.2', leaf],
    ['::1', leaf],
    ['127.0.0.1', dnsOnly],
    ['localhost', dnsOnly],
  ];
  for (const [host, cert] of cases) {
    const ours = checkServerIdentity(host, cert) as (Error & { code?: string; reason?: string }) | undefined;
    const theirs = tls.checkServerIdentity(host, cert as unknown as tls.PeerCertificate) as
      | (Error & { code?: string; reason?: string })
      | undefined;
    assert.equal(ours?.code, theirs?.code, host);
    assert.equal(ours?.message, theirs?.message, host);
    assert.equal(ours?.reason, theirs?.reason, host);
  }
  assert.equal(checkServerIdentity('example.com', leaf)?.message.includes("is not in the cert's altnames"), true);
  // Wildcards and CN fallback, as node applies RFC 6125.
  const wild = { subject: { CN: 'ignored' }, subjectaltname: 'DNS:*.example.com, DNS:w*.test.org' } as unknown as PeerCertificate;
  const cnOnly = { subject: { CN: '*.example.com' } } as unknown as PeerCertificate;
  const nothing = { subject: {} } as unknown as PeerCertificate;
  for (const [host, cert] of [
    ['a.example.com', wild],
    ['a.b.example.com', wild],
    ['example.com', wild],
    ['www.test.org', wild],
    ['xn--a.example.com', wild],
    ['a.example.com', cnOnly],
    ['example.com', cnOnly],
    ['a.example.com', nothing],
  ] as const) {
    assert.equal(
      checkServerIdentity(host, cert)?.message,
      tls.checkServerIdentity(host, cert as unknown as tls.PeerCertificate)?.message,
      host,
    );
  }
  assert.equal(checkServerIdentity('a.example.com', wild), undefined);
  assert.notEqual(checkServerIdentity('a.b.example.com', wild), undefined);
});
