import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { createPrivateKey } from 'node:crypto';

import { NamedGroup, ProtocolVersion } from '../wire/enums.js';
import { suiteByName } from '../suites.js';
import { NODE_DEFAULT_CIPHERS } from '../cipher-string.js';
import { defaultGroups } from '../config.js';
import { DEFAULT_MAX_VERSION, DEFAULT_MIN_VERSION } from './tls-module.js';
import {
  SecureContext,
  defaultRoots,
  loadCertificateList,
  loadCertifiedKeys,
  parseAlpnProtocols,
  selectCiphers,
  parseCurveList,
  toClientConfig,
  toServerConfig,
  versionRange,
} from './options.js';
import { nodeCryptoProvider } from '../crypto/node.js';
import { encryptedKeyWithBadDecrypt } from '../../test/certs/encrypted-key.js';
import { makeTestPki, type TestPki } from '../../test/certs/make.js';

let pki: TestPki;
const read = (f: string): string => readFileSync(f, 'utf8');
before(async () => {
  pki = await makeTestPki();
});

const id = (name: string): number => suiteByName(name)!.id;

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

test('ciphers: node splits TLS_ names off for TLS 1.3 and reads the rest as an OpenSSL cipher string', () => {
  const defaults13 = [0x1302, 0x1303, 0x1301];
  assert.deepEqual(selectCiphers('ECDHE-RSA-AES128-GCM-SHA256:AES256-GCM-SHA384').cipherSuites, [
    ...defaults13,
    id('ECDHE-RSA-AES128-GCM-SHA256'),
    id('AES256-GCM-SHA384'),
  ]);
  // Named TLS 1.3 suites replace OpenSSL's 1.3 defaults; node counts '!TLS_...' among them, where it names nothing.
  assert.deepEqual(selectCiphers('TLS_AES_256_GCM_SHA384:ECDHE-RSA-AES128-GCM-SHA256').cipherSuites, [0x1302, 0xc02f]);
  assert.deepEqual(selectCiphers('TLS_AES_256_GCM_SHA384:!TLS_CHACHA20_POLY1305_SHA256').cipherSuites, [0x1302]);
  // Keywords and operators: ECDHE+AESGCM is the ECDHE AES-GCM suites, ECDSA first as OpenSSL orders them.
  assert.deepEqual(selectCiphers('ECDHE+AESGCM').cipherSuites, [...defaults13, 0xc02c, 0xc030, 0xc02b, 0xc02f]);
  assert.deepEqual(selectCiphers('AES128-SHA:AES256-SHA:!AES128-SHA').cipherSuites, [...defaults13, 0x0035]);
  // Only TLS 1.3 names: no TLS 1.2 suite, and node then keeps to TLS 1.3.
  assert.deepEqual(selectCiphers('TLS_AES_128_GCM_SHA256'), { cipherSuites: [0x1301], tls13Only: true, securityLevel: 1 });
  assert.equal(toClientConfig({ ciphers: 'TLS_AES_128_GCM_SHA256' }).minVersion, ProtocolVersion['TLSv1.3']);
  // A typetls extension: IANA names of TLS 1.2 suites work (in the TLS_ part, so they replace the 1.3 defaults).
  assert.deepEqual(selectCiphers('TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'), { cipherSuites: [0xc02c], tls13Only: false, securityLevel: 1 });
  assert.equal(selectCiphers('ALL:@SECLEVEL=0').securityLevel, 0);
  // undefined, null and '' mean node's default string.
  assert.deepEqual(selectCiphers(undefined), selectCiphers(NODE_DEFAULT_CIPHERS));
  assert.deepEqual(selectCiphers(''), selectCiphers(NODE_DEFAULT_CIPHERS));
  // OpenSSL's names are case-sensitive; a list that selects nothing is node's "no cipher match".
  for (const bad of ['aes256-sha', 'FOOBARBAZ', 'TLS_not_a_cipher', 'MEDIUM', '!TLS_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256:!FOO']) {
    assert.throws(() => selectCiphers(bad), {
      name: 'Error',
      code: 'ERR_SSL_NO_CIPHER_MATCH',
      message: 'error:0A0000B9:SSL routines::no cipher match',
      library: 'SSL routines',
      reason: 'no cipher match',
    });
  }
  assert.throws(() => selectCiphers('HIGH:@SECLEVEL=6'), { code: 'ERR_SSL_INVALID_COMMAND', message: 'error:0A000118:SSL routines::invalid command' });
  assert.throws(() => selectCiphers(':'), {
    name: 'TypeError',
    code: 'ERR_INVALID_ARG_VALUE',
    message: "The property 'options.ciphers' is invalid. Received [ '', '' ]",
  });
  // A list of suites typetls lacks is still a valid list (node accepts it); TLS 1.3 stays.
  assert.deepEqual(selectCiphers('AECDH-NULL-SHA').cipherSuites, defaults13);
});

test('secureProtocol: OpenSSL method names as node maps them to versions, and node\'s errors', () => {
  const v = ProtocolVersion;
  assert.deepEqual(versionRange({ secureProtocol: 'TLSv1_2_method' }), { minVersion: v['TLSv1.2'], maxVersion: v['TLSv1.2'] });
  assert.deepEqual(versionRange({ secureProtocol: 'TLSv1_1_server_method' }), { minVersion: v['TLSv1.1'], maxVersion: v['TLSv1.1'] });
  assert.deepEqual(versionRange({ secureProtocol: 'TLSv1_client_method' }), { minVersion: v.TLSv1, maxVersion: v.TLSv1 });
  assert.deepEqual(versionRange({ secureProtocol: 'TLS_method' }), { minVersion: v.TLSv1, maxVersion: v['TLSv1.3'] });
  assert.deepEqual(versionRange({ secureProtocol: 'SSLv23_method' }), { minVersion: v['TLSv1.2'], maxVersion: v['TLSv1.2'] });
  for (const [method, message] of [
    ['SSLv2_method', 'SSLv2 methods disabled'],
    ['SSLv3_server_method', 'SSLv3 methods disabled'],
    ['blargh', 'Unknown method: blargh'],
    ['TLS1_2_method', 'Unknown method: TLS1_2_method'],
  ]) {
    assert.throws(() => versionRange({ secureProtocol: method }), { name: 'TypeError', code: 'ERR_TLS_INVALID_PROTOCOL_METHOD', message });
  }
  assert.throws(() => versionRange({ secureProtocol: 'TLSv1_2_method', minVersion: 'TLSv1.2' }), {
    name: 'TypeError',
    code: 'ERR_TLS_PROTOCOL_VERSION_CONFLICT',
    message: 'TLS protocol version "TLSv1.2" conflicts with secureProtocol "TLSv1_2_method"',
  });
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
  const encrypted = encryptedKeyWithBadDecrypt(
    () => createPrivateKey(read(pki.rsaKey)).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-128-cbc', passphrase: 'secret' }) as string,
  );
  // Encrypted keys are decrypted with the passphrase (the option's, or the key's own); without it, or with a wrong one, node's error.
  const plainSpki = loadCertifiedKeys({ cert: read(pki.rsaCert), key: read(pki.rsaKey) }, nodeCryptoProvider)[0]!.key.spki;
  assert.deepEqual(loadCertifiedKeys({ cert: read(pki.rsaCert), key: encrypted, passphrase: 'secret' }, nodeCryptoProvider)[0]!.key.spki, plainSpki);
  assert.deepEqual(
    loadCertifiedKeys({ cert: read(pki.rsaCert), key: [{ pem: Buffer.from(encrypted), passphrase: 'secret' }], passphrase: 'other' }, nodeCryptoProvider)[0]!.key.spki,
    plainSpki,
  );
  for (const passphrase of [undefined, 'wrong']) {
    assert.throws(() => loadCertifiedKeys({ cert: read(pki.rsaCert), key: encrypted, ...(passphrase ? { passphrase } : {}) }, nodeCryptoProvider), {
      code: 'ERR_OSSL_BAD_DECRYPT',
      message: /bad decrypt/,
    });
  }
  assert.throws(() => loadCertifiedKeys({ pfx: Buffer.alloc(1) }, nodeCryptoProvider), { message: 'not enough data' });
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
  assert.deepEqual(server.cipherSuites, [0x1302, 0x1303, 0x1301, 0x009d]);
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
  assert.throws(() => new SecureContext({ ciphers: 'NOPE' }), { code: 'ERR_SSL_NO_CIPHER_MATCH' });
});
