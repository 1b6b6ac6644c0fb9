// The leaf's keyUsage against the key exchange, in handshakes (in memory): RFC 5246 Section 7.4.2 and
// RFC 8446 Section 4.4.2.2. A server leaf marked keyEncipherment alone cannot sign ECDHE's
// ServerKeyExchange or a TLS 1.3 CertificateVerify; one marked digitalSignature alone cannot take the
// RSA key exchange's premaster secret; a client certificate must be able to sign its CertificateVerify. A leaf
// without keyUsage allows all of it. The refusal is INVALID_PURPOSE with an unsupported_certificate alert.
//
// The verifier checks it (verifyChain's keyUsage option, src/x509/verify.ts); the handshake passes the
// option from verifyPeerCertificate (src/handshake/common.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientConfig, serverConfig, type ClientConfig, type ConfigOptions, type ServerConfig } from '../../src/config.js';
import { nodeCryptoProvider as provider } from '../../src/crypto/node.js';
import { KeyUsage, Oid, parseCertificate } from '../../src/x509/certificate.js';
import { Pair } from '../pair.js';
import { issue, newKey, type Issued } from './pki.js';

const TLS12 = 0x0303;
const TLS13 = 0x0304;
const ECDHE_RSA = 0xc02f; // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
const RSA_KX = 0x009c; // TLS_RSA_WITH_AES_128_GCM_SHA256

const NOW = new Date();
const root = issue(NOW, undefined, { CN: 'keyUsage Root', isCA: true });
const rsaKey = newKey('rsa');

/** A leaf for localhost with these keyUsage bits, or none; an RSA key unless another is given. */
function leafCert(keyUsage: number | undefined, purpose: string = Oid.serverAuth, key = rsaKey): Issued {
  return issue(NOW, root, {
    CN: 'localhost', dnsNames: ['localhost'], key, extKeyUsage: [purpose],
    ...(keyUsage === undefined ? { noKeyUsage: true } : { keyUsage }),
  });
}

const serverLeaf = {
  encipherOnly: leafCert(KeyUsage.keyEncipherment),
  signOnly: leafCert(KeyUsage.digitalSignature),
  none: leafCert(undefined),
};
const certified = (c: Issued) => ({ chain: [parseCertificate(c.der)], key: c.key.key });

interface Run {
  readonly pair: Pair;
  readonly done: boolean;
}

function handshake(leaf: Issued, version: number, o: { suite?: number; rejectUnauthorized?: boolean; clientCert?: Issued } = {}): Run {
  const roots = [parseCertificate(root.der)];
  const server = serverConfig({
    provider, certificates: [certified(leaf)], roots, minVersion: version, maxVersion: version,
    ...(o.clientCert ? { requestCert: true } : {}),
  } as ConfigOptions<ServerConfig>);
  const client = clientConfig({
    provider, roots, minVersion: version, maxVersion: version,
    ...(o.suite !== undefined ? { cipherSuites: [o.suite] } : {}),
    ...(o.rejectUnauthorized !== undefined ? { rejectUnauthorized: o.rejectUnauthorized } : {}),
    ...(o.clientCert ? { certificates: [certified(o.clientCert)] } : {}),
  } as ConfigOptions<ClientConfig>);
  const pair = Pair.create(client, server);
  pair.run();
  return { pair, done: pair.client.handshakeComplete && pair.server.handshakeComplete };
}

/** The side that checked refused with INVALID_PURPOSE and told the other with unsupported_certificate. */
function assertRefused(r: Run, checker: 'client' | 'server', use: 'digitalSignature' | 'keyEncipherment'): void {
  assert.equal(r.done, false, 'the handshake completed');
  const checked = checker === 'client' ? r.pair.client : r.pair.server;
  const other = checker === 'client' ? r.pair.server : r.pair.client;
  assert.equal(checked.error?.code, 'INVALID_PURPOSE', checked.error?.message);
  assert.match(checked.error!.message, new RegExp(`keyUsage does not include ${use}`));
  assert.match(other.error?.message ?? '', /unsupported_certificate/);
}

// ---------- refusals ----------

test('TLS 1.3: a server leaf marked keyEncipherment alone is refused (its CertificateVerify needs digitalSignature)', () => {
  assertRefused(handshake(serverLeaf.encipherOnly, TLS13), 'client', 'digitalSignature');
});

test('TLS 1.2 ECDHE_RSA: a server leaf marked keyEncipherment alone is refused (ServerKeyExchange is signed)', () => {
  assertRefused(handshake(serverLeaf.encipherOnly, TLS12, { suite: ECDHE_RSA }), 'client', 'digitalSignature');
});

test('TLS 1.2 RSA key exchange: a server leaf marked digitalSignature alone is refused (the premaster secret is encrypted to it)', () => {
  assertRefused(handshake(serverLeaf.signOnly, TLS12, { suite: RSA_KX }), 'client', 'keyEncipherment');
});

for (const [name, version] of [['TLS 1.2', TLS12], ['TLS 1.3', TLS13]] as const) {
  // keyAgreement passes OpenSSL's sslclient purpose (digitalSignature or keyAgreement), so only this check refuses it.
  test(`${name}: a P-256 client certificate marked keyAgreement alone is refused by the server (its CertificateVerify is signed)`, () => {
    const clientCert = leafCert(KeyUsage.keyAgreement, Oid.clientAuth, newKey('p256'));
    assertRefused(handshake(serverLeaf.signOnly, version, { clientCert }), 'server', 'digitalSignature');
  });
}

test('TLS 1.3 with rejectUnauthorized: false: the handshake completes and authorizationError is INVALID_PURPOSE, as for any verify error', () => {
  const r = handshake(serverLeaf.encipherOnly, TLS13, { rejectUnauthorized: false });
  assert.equal(r.done, true);
  assert.equal(r.pair.client.info.authorized, false);
  assert.equal(r.pair.client.info.authorizationError?.code, 'INVALID_PURPOSE');
});

// ---------- what stays accepted ----------

test('accepted: the key used as marked, and a leaf without keyUsage for every key exchange', () => {
  const rows: [string, Run][] = [
    ['TLS 1.3, digitalSignature', handshake(serverLeaf.signOnly, TLS13)],
    ['TLS 1.2 ECDHE_RSA, digitalSignature', handshake(serverLeaf.signOnly, TLS12, { suite: ECDHE_RSA })],
    ['TLS 1.2 RSA key exchange, keyEncipherment', handshake(serverLeaf.encipherOnly, TLS12, { suite: RSA_KX })],
    ['TLS 1.3, no keyUsage', handshake(serverLeaf.none, TLS13)],
    ['TLS 1.2 ECDHE_RSA, no keyUsage', handshake(serverLeaf.none, TLS12, { suite: ECDHE_RSA })],
    ['TLS 1.2 RSA key exchange, no keyUsage', handshake(serverLeaf.none, TLS12, { suite: RSA_KX })],
    ['TLS 1.3, client certificate marked digitalSignature', handshake(serverLeaf.signOnly, TLS13, { clientCert: leafCert(KeyUsage.digitalSignature, Oid.clientAuth) })],
    ['TLS 1.2, client certificate without keyUsage', handshake(serverLeaf.signOnly, TLS12, { clientCert: leafCert(undefined, Oid.clientAuth) })],
  ];
  const failed = rows.filter(([, r]) => !r.done).map(([name, r]) => `${name}: ${(r.pair.client.error ?? r.pair.server.error)?.message}`);
  assert.deepEqual(failed, []);
  for (const [name, r] of rows) assert.equal(r.pair.client.info.authorized, true, name);
});
