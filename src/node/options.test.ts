import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { createPrivateKey } from 'node:crypto';

import { NamedGroup, ProtocolVersion } from '../wire/enums.js';
import { cipherSuites, suiteByName } from '../suites.js';
import { defaultGroups } from '../config.js';
import { DEFAULT_MAX_VERSION, DEFAULT_MIN_VERSION } from './tls-module.js';
import {
  SecureContext,
  defaultRoots,
  loadCertificateList,
  loadCertifiedKeys,
  parseAlpnProtocols,
  parseCipherList,
  parseCurveList,
  toClientConfig,
  toServerConfig,
  versionRange,
} from './options.js';
import { nodeCryptoProvider } from '../crypto/node.js';
import { makeTestPki, type TestPki } from '../../test/certs/make.js';

let pki: TestPki;
const read = (f: string): string => readFileSync(f, 'utf8');
before(async () => {
  pki = await makeTestPki();
});

const id = (name: string): number => suiteByName(name)!.id;
const tls13Ids = cipherSuites.filter((s) => s.tls13).map((s) => s.id);

test('versions: node names map to wire values; defaults TLSv1.2..TLSv1.3', () => {
  assert.equal(DEFAULT_MIN_VERSION, 'TLSv1.2');
  assert.equal(DEFAULT_MAX_VERSION, 'TLSv1.3');
  assert.deepEqual(versionRange({}), { minVersion: ProtocolVersion['TLSv1.2'], maxVersion: ProtocolVersion['TLSv1.3'] });
  assert.deepEqual(versionRange({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1' }), {
    minVersion: ProtocolVersion.TLSv1,
    maxVersion: ProtocolVersion['TLSv1.1'],
  });
  assert.equal(versionRange({ maxVersion: 'TLSv1.2' }).maxVersion, ProtocolVersion['TLSv1.2']);
  assert.throws(() => versionRange({ minVersion: 'SSLv3' }), { code: 'ERR_TLS_INVALID_PROTOCOL_VERSION', name: 'TypeError' });
  assert.throws(() => versionRange({ maxVersion: 'tls1.2' }), { code: 'ERR_TLS_INVALID_PROTOCOL_VERSION' });
});

test('ciphers: OpenSSL and IANA names, colon/comma lists, keywords ignored, exclusions honoured', () => {
  assert.deepEqual(parseCipherList('ECDHE-RSA-AES128-GCM-SHA256:AES256-GCM-SHA384'), [
    ...tls13Ids,
    id('ECDHE-RSA-AES128-GCM-SHA256'),
    id('AES256-GCM-SHA384'),
  ]);
  assert.deepEqual(parseCipherList('HIGH:!aNULL:TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,DEFAULT:@STRENGTH'), [
    ...tls13Ids,
    0xc02c,
  ]);
  // Named TLS 1.3 suites replace the 1.3 defaults.
  assert.deepEqual(parseCipherList('TLS_AES_256_GCM_SHA384:ECDHE-RSA-AES128-GCM-SHA256'), [0x1302, 0xc02f]);
  // "!NAME" removes a suite named earlier.
  assert.deepEqual(parseCipherList('AES128-SHA:AES256-SHA:!AES128-SHA'), [...tls13Ids, 0x0035]);
  // Case-insensitive, like OpenSSL's lookups by name in node.
  assert.deepEqual(parseCipherList('ecdhe-rsa-aes128-gcm-sha256'), [...tls13Ids, 0xc02f]);
  assert.throws(() => parseCipherList('HIGH:!aNULL:DES-CBC3-SHA'), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'ERR_TLS_INVALID_CIPHER');
    assert.ok(e instanceof TypeError);
    return true;
  });
  assert.throws(() => parseCipherList(''), { code: 'ERR_TLS_INVALID_CIPHER' });
});

test('ecdhCurve: node and OpenSSL names; auto means the defaults; unknown names fail', () => {
  assert.deepEqual(parseCurveList('X25519:P-256:P-384'), [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1]);
  assert.deepEqual(parseCurveList('prime256v1:secp384r1'), [NamedGroup.secp256r1, NamedGroup.secp384r1]);
  assert.deepEqual(parseCurveList('X25519MLKEM768:X25519'), [NamedGroup.X25519MLKEM768, NamedGroup.x25519]);
  assert.deepEqual(parseCurveList('auto'), [...defaultGroups]);
  assert.throws(() => parseCurveList('brainpoolP256r1'), { code: 'ERR_CRYPTO_OPERATION_FAILED' });
});

test('ALPNProtocols: strings, Buffers, or one wire-format buffer', () => {
  assert.deepEqual(parseAlpnProtocols(['h2', 'http/1.1']), ['h2', 'http/1.1']);
  assert.deepEqual(parseAlpnProtocols([Buffer.from('h2'), Buffer.from('http/1.1')]), ['h2', 'http/1.1']);
  assert.deepEqual(parseAlpnProtocols(Buffer.from('\x02h2\x08http/1.1', 'latin1')), ['h2', 'http/1.1']);
  assert.deepEqual(parseAlpnProtocols(undefined), []);
  assert.throws(() => parseAlpnProtocols(Buffer.from('\x05h2', 'latin1')), { code: 'ERR_INVALID_ARG_VALUE' });
});

test('ca: several certificates per PEM string, strings and Buffers and arrays of them', () => {
  const two = read(pki.caCert) + read(pki.unknownCaCert);
  const certs = loadCertificateList(two);
  assert.equal(certs.length, 2);
  assert.equal(loadCertificateList([Buffer.from(read(pki.caCert)), read(pki.unknownCaCert)]).length, 2);
  const config = toClientConfig({ ca: two });
  assert.equal(config.roots.length, 2, 'ca replaces the default roots');
});

test('default roots: node:tls rootCertificates, parsed once', () => {
  const roots = defaultRoots();
  assert.ok(roots.length > 100, `only ${roots.length} roots parsed`);
  // NODE_EXTRA_CA_CERTS (a PEM file) adds its certificates, as in node.
  const extra = process.env.NODE_EXTRA_CA_CERTS ? (readFileSync(process.env.NODE_EXTRA_CA_CERTS, 'latin1').match(/-----BEGIN CERTIFICATE-----/g) ?? []).length : 0;
  assert.ok(roots.length <= tls.rootCertificates.length + extra);
  assert.equal(defaultRoots(), roots, 'parsed once and cached');
  assert.equal(toClientConfig({}).roots, roots);
});

test('cert/key: chains in one PEM, several pairs matched by public key, mismatches and encrypted keys refused', () => {
  const chain = read(pki.rsaCert) + read(pki.caCert);
  const pairs = loadCertifiedKeys(
    { cert: [read(pki.ecdsaCert), chain], key: [read(pki.rsaKey), Buffer.from(read(pki.ecdsaKey))] },
    nodeCryptoProvider,
  );
  assert.equal(pairs.length, 2);
  assert.equal(pairs[0]!.key.algorithm, 'ec');
  assert.equal(pairs[0]!.chain.length, 1);
  assert.equal(pairs[1]!.key.algorithm, 'rsa');
  assert.equal(pairs[1]!.chain.length, 2);
  assert.throws(() => loadCertifiedKeys({ cert: read(pki.rsaCert), key: read(pki.ecdsaKey) }, nodeCryptoProvider), {
    code: 'ERR_OSSL_X509_KEY_VALUES_MISMATCH',
  });
  assert.throws(() => loadCertifiedKeys({ cert: read(pki.rsaCert) }, nodeCryptoProvider), { code: 'ERR_TLS_MISSING_KEY' });
  const encrypted = createPrivateKey(read(pki.rsaKey)).export({
    format: 'pem',
    type: 'pkcs8',
    cipher: 'aes-128-cbc',
    passphrase: 'secret',
  }) as string;
  assert.throws(() => loadCertifiedKeys({ cert: read(pki.rsaCert), key: encrypted, passphrase: 'secret' }, nodeCryptoProvider), {
    code: 'ERR_TLS_UNSUPPORTED_KEY',
    message: /passphrase/,
  });
  assert.throws(() => loadCertifiedKeys({ cert: read(pki.rsaCert), key: encrypted }, nodeCryptoProvider), {
    code: 'ERR_TLS_UNSUPPORTED_KEY',
  });
  assert.throws(() => loadCertifiedKeys({ pfx: Buffer.alloc(1) }, nodeCryptoProvider), { code: 'ERR_TLS_UNSUPPORTED_OPTION' });
});

test('server and client configs: every option lands in its field', () => {
  const server = toServerConfig({
    cert: read(pki.rsaCert),
    key: read(pki.rsaKey),
    ciphers: 'AES256-GCM-SHA384',
    ecdhCurve: 'P-384',
    ALPNProtocols: ['http/1.1'],
    requestCert: true,
    honorCipherOrder: false,
    rejectUnauthorized: false,
    ca: read(pki.caCert),
    sessionTimeout: 60,
    ticketKeys: Buffer.alloc(48, 7),
  });
  assert.equal(server.sessionTimeout, 60);
  assert.deepEqual(server.ticketKeys, [new Uint8Array(48).fill(7)]);
  assert.deepEqual(server.cipherSuites, [...tls13Ids, 0x009d]);
  assert.deepEqual(server.groups, [NamedGroup.secp384r1]);
  assert.deepEqual(server.alpnProtocols, ['http/1.1']);
  assert.equal(server.requestCert, true);
  assert.equal(server.preferServerCipherOrder, false);
  assert.equal(server.rejectUnauthorized, false);
  assert.equal(server.certificates.length, 1);
  assert.equal(server.roots.length, 1);
  assert.equal(server.provider, nodeCryptoProvider);

  const defaults = toServerConfig({ cert: read(pki.rsaCert), key: read(pki.rsaKey) });
  assert.equal(defaults.preferServerCipherOrder, true, 'honorCipherOrder defaults to true');
  assert.equal(defaults.requestCert, false);
  assert.equal(defaults.rejectUnauthorized, true);

  const trace = (): void => {};
  const client = toClientConfig({ trace, ca: read(pki.caCert) });
  assert.equal(client.trace, trace);
  assert.equal(client.rejectUnauthorized, true, 'rejectUnauthorized defaults to true');
  // As in node, a server may start without certificates (SNICallback, addContext, setSecureContext later).
  const bare = toServerConfig({});
  assert.deepEqual(bare.certificates, []);
  assert.equal(bare.certificatesFor?.('example.com'), undefined);
});

test('SecureContext: checks options when made; its server config may have no certificate', () => {
  const ctx = new SecureContext({ ca: read(pki.caCert) });
  assert.equal(ctx.clientConfig.roots.length, 1);
  assert.deepEqual(ctx.serverConfig.certificates, []);
  const server = new SecureContext({ cert: read(pki.ecdsaCert), key: read(pki.ecdsaKey) });
  assert.equal(server.serverConfig, server.serverConfig, 'built once');
  assert.throws(() => new SecureContext({ ciphers: 'NOPE' }), { code: 'ERR_TLS_INVALID_CIPHER' });
});
