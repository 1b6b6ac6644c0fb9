// In-memory TLS 1.2 handshakes between typetls's own client and server, for
// every suite and group, and the failures each side must report.

import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import { NamedGroup, ProtocolVersion } from '../src/wire/enums.js';
import { suiteByName } from '../src/suites.js';
import type { ClientConfig, ServerConfig } from '../src/config.js';
import { makeClientConfig as anyClient, makeServerConfig as anyServer, Pair, testKeys, type TestKeys } from './pair.js';

// Every test here is about TLS 1.2: both sides are pinned to it.
const makeClientConfig = (k: TestKeys, o: Partial<ClientConfig> = {}) => anyClient(k, { maxVersion: ProtocolVersion['TLSv1.2'], ...o });
const makeServerConfig = (k: TestKeys, o: Partial<ServerConfig> = {}) => anyServer(k, { maxVersion: ProtocolVersion['TLSv1.2'], ...o });

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

const suites12 = [
  'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305',
  'AES128-GCM-SHA256', 'AES256-GCM-SHA384',
  'ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA384', 'ECDHE-ECDSA-AES128-SHA256', 'AES128-SHA', 'AES256-SHA256',
  'DHE-RSA-AES128-GCM-SHA256', 'DHE-RSA-CHACHA20-POLY1305', 'DHE-RSA-AES256-SHA256',
];
const groups = {
  X25519: NamedGroup.x25519, 'P-256': NamedGroup.secp256r1, 'P-384': NamedGroup.secp384r1,
  ffdhe2048: NamedGroup.ffdhe2048, ffdhe3072: NamedGroup.ffdhe3072,
};

function payload(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

describe('TLS 1.2 in memory', () => {
  for (const name of suites12) {
    const suite = suiteByName(name)!;
    const groupNames = suite.kx === 'ecdhe' ? ['X25519', 'P-256', 'P-384'] : suite.kx === 'dhe' ? ['ffdhe2048', 'ffdhe3072'] : ['none'];
    for (const g of groupNames) {
      it(`${name} ${g}: handshake and 100 KiB both ways`, () => {
        const group = groups[g as keyof typeof groups];
        const client = makeClientConfig(k, { cipherSuites: [suite.id], ...(group ? { groups: [group] } : {}) });
        const server = makeServerConfig(k, { certificates: suite.auth === 'ecdsa' ? [k.ecdsa] : [k.rsa] });
        const pair = Pair.create(client, server);
        pair.handshake();
        for (const side of [pair.client, pair.server]) {
          assert.equal(side.info.protocol, 'TLSv1.2');
          assert.equal(side.info.cipherSuite?.standardName, suite.standardName);
          assert.equal(side.info.group, group);
          assert.equal(side.info.extendedMasterSecret, true);
        }
        assert.equal(pair.client.info.authorized, true);
        assert.equal(pair.client.info.peerCertificates.length, 1);
        const data = payload(100 * 1024);
        pair.client.write(data);
        pair.server.write(data.subarray(0, 50_000));
        pair.run();
        assert.deepEqual(pair.received('server'), data);
        assert.deepEqual(pair.received('client'), data.subarray(0, 50_000));
        pair.client.close();
        pair.run();
        assert.ok(pair.serverEvents.some((e) => e.type === 'peerClosed'));
      });
    }
  }

  it('without extended master secret on one side, the plain master secret is used', () => {
    const pair = Pair.create(makeClientConfig(k, { extendedMasterSecret: false }), makeServerConfig(k));
    pair.handshake();
    assert.equal(pair.client.info.extendedMasterSecret, false);
    assert.equal(pair.server.info.extendedMasterSecret, false);
  });

  it('negotiates ALPN by the server preference', () => {
    const pair = Pair.create(makeClientConfig(k, { alpnProtocols: ['http/1.1', 'h2'] }), makeServerConfig(k, { alpnProtocols: ['h2', 'http/1.1'] }));
    pair.handshake();
    assert.equal(pair.client.info.alpnProtocol, 'h2');
    assert.equal(pair.server.info.alpnProtocol, 'h2');
  });

  it('mutual authentication with a client certificate', () => {
    const pair = Pair.create(makeClientConfig(k, { certificates: [k.client] }), makeServerConfig(k, { requestCert: true }));
    pair.handshake();
    assert.equal(pair.server.info.authorized, true);
    assert.equal(pair.server.info.peerCertificates.length, 1);
  });

  it('a server that requires a client certificate refuses a client without one', () => {
    const pair = Pair.create(makeClientConfig(k), makeServerConfig(k, { requestCert: true }));
    pair.run();
    assert.equal(pair.server.error?.kind, 'handshake_failure');
    assert.equal(pair.client.error?.code, 'ERR_TLS_ALERT_HANDSHAKE_FAILURE');
  });

  it('an expired server certificate: CERT_HAS_EXPIRED, and the server sees certificate_expired', () => {
    const pair = Pair.create(makeClientConfig(k), makeServerConfig(k, { certificates: [k.expired] }));
    pair.run();
    assert.equal(pair.client.error?.code, 'CERT_HAS_EXPIRED');
    assert.equal(pair.server.error?.code, 'ERR_TLS_ALERT_CERTIFICATE_EXPIRED');
  });

  it('an unknown CA fails verification, and rejectUnauthorized:false completes with authorized=false', () => {
    const failing = Pair.create(makeClientConfig(k), makeServerConfig(k, { certificates: [k.unknown] }));
    failing.run();
    assert.equal(failing.client.error?.kind, 'certificate');
    assert.equal(failing.server.error?.code, 'ERR_TLS_ALERT_UNKNOWN_CA');

    const lenient = Pair.create(makeClientConfig(k, { rejectUnauthorized: false }), makeServerConfig(k, { certificates: [k.unknown] }));
    lenient.handshake();
    assert.equal(lenient.client.info.authorized, false);
    assert.ok(lenient.client.info.authorizationError);
  });

  it('a wrong host name fails with ERR_TLS_CERT_ALTNAME_INVALID', () => {
    const pair = Pair.create(makeClientConfig(k), makeServerConfig(k), 'wrong.example');
    pair.run();
    assert.equal(pair.client.error?.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('no common cipher suite: handshake_failure on both sides', () => {
    const pair = Pair.create(
      makeClientConfig(k, { cipherSuites: [suiteByName('ECDHE-ECDSA-AES128-GCM-SHA256')!.id] }),
      makeServerConfig(k, { certificates: [k.rsa] }),
    );
    pair.run();
    assert.equal(pair.server.error?.kind, 'handshake_failure');
    assert.equal(pair.server.error?.code, 'ERR_TLS_NO_SHARED_CIPHER');
    assert.equal(pair.client.error?.code, 'ERR_TLS_ALERT_HANDSHAKE_FAILURE');
  });

  it('a client below the server minimum version gets protocol_version', () => {
    // A ClientHello claiming TLS 1.0 only, made by patching the client's hello version bytes.
    const pair = Pair.create(makeClientConfig(k), makeServerConfig(k), 'localhost', (from, bytes) => {
      if (from === 'client' && bytes[5] === 1) {
        const copy = bytes.slice();
        copy[9] = 3;
        copy[10] = 1; // client_version = TLS 1.0
        return copy;
      }
      return bytes;
    });
    pair.run();
    assert.equal(pair.server.error?.kind, 'protocol_version');
    assert.equal(pair.client.error?.code, 'ERR_TLS_ALERT_PROTOCOL_VERSION');
    assert.equal(ProtocolVersion.TLSv1, 0x0301);
  });

  it('a flipped bit in the client Finished record is bad_record_mac', () => {
    let flights = 0;
    const pair = Pair.create(makeClientConfig(k), makeServerConfig(k), 'localhost', (from, bytes) => {
      if (from === 'client' && ++flights === 2) {
        const copy = bytes.slice();
        copy[copy.length - 1]! ^= 1;
        return copy;
      }
      return bytes;
    });
    pair.run();
    assert.equal(pair.server.error?.kind, 'bad_record_mac');
    assert.equal(pair.client.error?.code, 'ERR_TLS_ALERT_BAD_RECORD_MAC');
  });

  it('a client that renegotiates after the handshake is refused with no_renegotiation and the connection goes on', () => {
    const pair = Pair.create(makeClientConfig(k), makeServerConfig(k));
    pair.handshake();
    // The server sends HelloRequest (type 0, length 0) under its keys: the client answers no_renegotiation.
    (pair.server as unknown as { engine: { sendHandshake(m: unknown): void } }).engine.sendHandshake({ type: 0 });
    pair.run();
    assert.ok(pair.serverEvents.some((e) => e.type === 'alert' && e.description === 100));
    pair.client.write(Uint8Array.of(1, 2, 3));
    pair.run();
    assert.deepEqual(pair.received('server'), Uint8Array.of(1, 2, 3));
  });
});

describe('TLS 1.0 and 1.1 on request', () => {
  for (const version of ['TLSv1', 'TLSv1.1'] as const) {
    for (const name of ['ECDHE-RSA-AES128-SHA', 'AES256-SHA', 'DHE-RSA-AES128-SHA', 'ECDHE-ECDSA-AES128-SHA']) {
      it(`${version} ${name}`, () => {
        const v = ProtocolVersion[version];
        const suite = suiteByName(name)!;
        const pair = Pair.create(
          makeClientConfig(k, { minVersion: v, maxVersion: v, cipherSuites: [suite.id], certificates: [k.client] }),
          makeServerConfig(k, { minVersion: v, certificates: [suite.auth === 'ecdsa' ? k.ecdsa : k.rsa], requestCert: true }),
        );
        pair.handshake();
        assert.equal(pair.client.info.protocol, version);
        assert.equal(pair.server.info.authorized, true);
        const data = payload(40_000);
        pair.client.write(data);
        pair.server.write(data);
        pair.run();
        assert.deepEqual(pair.received('server'), data);
        assert.deepEqual(pair.received('client'), data);
      });
    }
  }

  it('a TLS 1.0 client is refused by a server with the default minimum', () => {
    const v = ProtocolVersion.TLSv1;
    const pair = Pair.create(makeClientConfig(k, { minVersion: v, maxVersion: v }), makeServerConfig(k));
    pair.run();
    assert.equal(pair.server.error?.kind, 'protocol_version');
  });

  it('a client allowing TLS 1.0 and a TLS 1.3 server meet at TLS 1.3; a 1.2 server at 1.2', () => {
    const client = makeClientConfig(k, { minVersion: ProtocolVersion.TLSv1, maxVersion: ProtocolVersion['TLSv1.3'] });
    const a = Pair.create(client, anyServer(k));
    a.handshake();
    assert.equal(a.client.info.protocol, 'TLSv1.3');
    const b = Pair.create(client, makeServerConfig(k));
    b.handshake();
    assert.equal(b.client.info.protocol, 'TLSv1.2');
  });

  it('SSL 3.0 is refused even when asked for', () => {
    assert.throws(() => makeClientConfig(k, { minVersion: ProtocolVersion.SSLv3 }), { code: 'ERR_TLS_INVALID_PROTOCOL_VERSION' });
  });
});
