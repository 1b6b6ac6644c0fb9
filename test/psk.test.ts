// Pre-shared keys in memory, typetls against itself: every TLS 1.2 PSK suite (RFC 4279,
// RFC 5487, RFC 5489, RFC 7905), TLS 1.3 external PSKs (RFC 8446 Section 4.2.11), and the
// failures each side reports: an unknown identity, a wrong key, no key at all.

import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import { serverConfig, type ClientConfig, type ServerConfig } from '../src/config.js';
import { nodeCryptoProvider } from '../src/crypto/node.js';
import { cipherSuites, isPskSuite, suiteByName } from '../src/suites.js';
import { AlertDescription, ProtocolVersion } from '../src/wire/enums.js';
import { ClientConnection, ServerConnection } from '../src/connection.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';

const TLS12 = ProtocolVersion['TLSv1.2'];
const TLS13 = ProtocolVersion['TLSv1.3'];
const utf8 = (s: string) => new TextEncoder().encode(s);
const KEY = Uint8Array.from({ length: 16 }, (_, i) => i);
const OTHER_KEY = Uint8Array.from({ length: 16 }, (_, i) => 0xff - i);

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

/** A server that knows one identity, `alice`, with KEY; no certificate unless given. */
function pskServer(options: Partial<ServerConfig> = {}): ServerConfig {
  return serverConfig({
    provider: nodeCryptoProvider,
    pskForIdentity: (identity) => (new TextDecoder().decode(identity) === 'alice' ? { key: KEY } : undefined),
    ...options,
  });
}

function pskClient(identity = 'alice', key = KEY, options: Partial<ClientConfig> = {}): { config: ClientConfig; hints: (string | undefined)[] } {
  const hints: (string | undefined)[] = [];
  const config = makeClientConfig(k, {
    pskForHint: (hint) => {
      hints.push(hint && new TextDecoder().decode(hint));
      return { identity: utf8(identity), key };
    },
    ...options,
  });
  return { config, hints };
}

function exchange(pair: Pair): void {
  pair.client.write(utf8('ping'));
  pair.server.write(utf8('pong'));
  pair.run();
  assert.equal(new TextDecoder().decode(pair.received('server')), 'ping');
  assert.equal(new TextDecoder().decode(pair.received('client')), 'pong');
}

/** The alert a side sent, read from its errors' kind (the one fatal alert it put out). */
function sentAlertKind(pair: Pair, side: 'client' | 'server'): string | undefined {
  return pair.errors(side)[0]?.kind;
}

describe('TLS 1.2 PSK suites', () => {
  const psk12 = cipherSuites.filter((s) => isPskSuite(s));
  it('has the suites node:tls offers for our ciphers', () => {
    for (const name of [
      'PSK-AES128-GCM-SHA256', 'PSK-AES256-GCM-SHA384', 'PSK-AES128-CBC-SHA256', 'PSK-CHACHA20-POLY1305',
      'ECDHE-PSK-AES128-CBC-SHA256', 'ECDHE-PSK-CHACHA20-POLY1305', 'DHE-PSK-AES128-GCM-SHA256', 'RSA-PSK-AES128-GCM-SHA256',
    ]) {
      assert.ok(suiteByName(name) && isPskSuite(suiteByName(name)!), name);
    }
    assert.equal(psk12.length, 26);
  });

  for (const suite of psk12) {
    for (const hint of [undefined, 'hint from the server']) {
      it(`${suite.openSslName}${hint ? ' with an identity hint' : ''}`, () => {
        const server = pskServer({
          maxVersion: TLS12,
          cipherSuites: [suite.id],
          // RSA-PSK authenticates the server with its RSA certificate as well.
          certificates: suite.kx === 'rsa_psk' ? [k.rsa] : [],
          ...(hint ? { pskIdentityHint: utf8(hint) } : {}),
        });
        const { config, hints } = pskClient('alice', KEY, { maxVersion: TLS12, cipherSuites: [suite.id] });
        const pair = Pair.create(config, server);
        pair.handshake();
        assert.equal(pair.client.info.cipherSuite?.id, suite.id);
        assert.equal(pair.server.info.cipherSuite?.id, suite.id);
        assert.deepEqual(hints, [hint]);
        assert.equal(pair.client.info.peerCertificates.length, suite.kx === 'rsa_psk' ? 1 : 0);
        assert.equal(pair.client.info.authorized, true);
        exchange(pair);
      });
    }
  }

  it('are neither offered nor chosen without a pre-shared key', () => {
    const client = makeClientConfig(k, { maxVersion: TLS12 });
    const pair = Pair.create(client, makeServerConfig(k, { maxVersion: TLS12, pskForIdentity: () => ({ key: KEY }) }));
    pair.handshake();
    assert.equal(isPskSuite(pair.client.info.cipherSuite!), false);
    // A server without keys does not pick a PSK suite even when the client offers only those.
    const onlyPsk = pskClient('alice', KEY, { maxVersion: TLS12, cipherSuites: psk12.map((s) => s.id) }).config;
    const refused = Pair.create(onlyPsk, makeServerConfig(k, { maxVersion: TLS12 }));
    refused.run();
    assert.equal(sentAlertKind(refused, 'server'), 'handshake_failure');
  });

  it('an unknown identity gets unknown_psk_identity', () => {
    const { config } = pskClient('mallory', KEY, { maxVersion: TLS12, cipherSuites: [suiteByName('PSK-AES128-GCM-SHA256')!.id] });
    const pair = Pair.create(config, pskServer({ maxVersion: TLS12 }));
    pair.run();
    const err = pair.errors('server')[0]!;
    assert.equal(err.kind, 'unknown_psk_identity');
    assert.equal(err.code, 'ERR_SSL_PSK_IDENTITY_NOT_FOUND');
    assert.equal(pair.errors('client')[0]?.receivedAlert, AlertDescription.unknown_psk_identity);
    assert.equal(pair.client.handshakeComplete, false);
  });

  it('a wrong key fails at the client Finished with bad_record_mac', () => {
    for (const name of ['PSK-AES128-GCM-SHA256', 'ECDHE-PSK-CHACHA20-POLY1305', 'PSK-AES128-CBC-SHA256']) {
      const { config } = pskClient('alice', OTHER_KEY, { maxVersion: TLS12, cipherSuites: [suiteByName(name)!.id] });
      const pair = Pair.create(config, pskServer({ maxVersion: TLS12 }));
      pair.run();
      assert.equal(sentAlertKind(pair, 'server'), 'bad_record_mac', name);
      assert.equal(pair.errors('client')[0]?.receivedAlert, AlertDescription.bad_record_mac, name);
      assert.equal(pair.server.handshakeComplete, false);
    }
  });

  it('a client with no key for the server sends handshake_failure', () => {
    const config = makeClientConfig(k, { maxVersion: TLS12, cipherSuites: [suiteByName('PSK-AES128-GCM-SHA256')!.id], pskForHint: () => undefined });
    const pair = Pair.create(config, pskServer({ maxVersion: TLS12 }));
    pair.run();
    const err = pair.errors('client')[0]!;
    assert.equal(err.kind, 'handshake_failure');
    assert.equal(err.code, 'ERR_SSL_PSK_IDENTITY_NOT_FOUND');
    assert.equal(pair.errors('server')[0]?.receivedAlert, AlertDescription.handshake_failure);
  });
});

describe('TLS 1.3 external PSKs', () => {
  it('a server with only a PSK: no certificate, SHA-256 suite, psk_dhe_ke', () => {
    const { config, hints } = pskClient();
    // The server prefers TLS_AES_256_GCM_SHA384, but a SHA-256 key takes a SHA-256 suite.
    const pair = Pair.create(config, pskServer({ cipherSuites: [0x1302, 0x1301, 0x1303] }));
    pair.handshake();
    assert.deepEqual(hints, [undefined]);
    for (const side of [pair.client, pair.server]) {
      assert.equal(side.info.version, TLS13);
      assert.equal(side.info.cipherSuite?.standardName, 'TLS_AES_128_GCM_SHA256');
      assert.equal(side.info.sessionReused, true);
      assert.equal(side.info.peerCertificates.length, 0);
      assert.notEqual(side.info.group, undefined);
    }
    assert.equal(pair.client.info.authorized, true);
    exchange(pair);
  });

  it('a server with a certificate too takes the PSK and sends no certificate', () => {
    const { config } = pskClient();
    const pair = Pair.create(config, pskServer({ certificates: [k.rsa] }));
    pair.handshake();
    assert.equal(pair.client.info.sessionReused, true);
    assert.equal(pair.client.info.peerCertificates.length, 0);
    exchange(pair);
  });

  it('a SHA-384 key takes TLS_AES_256_GCM_SHA384', () => {
    const config = makeClientConfig(k, { pskForHint: () => ({ identity: utf8('alice'), key: KEY, hash: 'sha384' }) });
    const server = pskServer({ pskForIdentity: () => ({ key: KEY, hash: 'sha384' }) });
    const pair = Pair.create(config, server);
    pair.handshake();
    assert.equal(pair.server.info.cipherSuite?.standardName, 'TLS_AES_256_GCM_SHA384');
    assert.equal(pair.client.info.sessionReused, true);
  });

  it('after a HelloRetryRequest the PSK is offered again and taken', () => {
    const { config, hints } = pskClient('alice', KEY, { groups: [0x001d, 0x0017] });
    const pair = Pair.create(config, pskServer({ groups: [0x0017] }));
    pair.handshake();
    assert.deepEqual(hints, [undefined]);
    assert.equal(pair.server.info.group, 0x0017);
    assert.equal(pair.server.info.sessionReused, true);
    exchange(pair);
  });

  it('psk_ke: the key alone, no key share', () => {
    const { config } = pskClient('alice', KEY, { pskModes: [0] });
    const pair = Pair.create(config, pskServer({ pskModes: [0] }));
    pair.handshake();
    assert.equal(pair.server.info.group, undefined);
    assert.equal(pair.client.info.group, undefined);
    exchange(pair);
  });

  it('a ticket from an external-PSK handshake resumes, offered before the external PSK', () => {
    const { config, hints } = pskClient();
    const server = pskServer();
    const first = Pair.create(config, server);
    first.handshake();
    first.run();
    const session = first.clientEvents.find((e) => e.type === 'session');
    assert.ok(session && session.type === 'session');
    const second = new Pair(new ClientConnection(config, { serverName: 'localhost', session: session.session }), new ServerConnection(server));
    second.handshake();
    assert.equal(second.client.info.sessionReused, true);
    assert.equal(hints.length, 2);
    exchange(second);
  });

  it('an unknown identity falls back to the certificate, or fails without one', () => {
    const withCert = Pair.create(pskClient('mallory').config, pskServer({ certificates: [k.rsa] }));
    withCert.handshake();
    assert.equal(withCert.client.info.sessionReused, false);
    assert.equal(withCert.client.info.peerCertificates.length, 1);

    const without = Pair.create(pskClient('mallory').config, pskServer());
    without.run();
    assert.equal(sentAlertKind(without, 'server'), 'handshake_failure');
    assert.equal(without.errors('client')[0]?.receivedAlert, AlertDescription.handshake_failure);
  });

  it('a wrong key: the binder does not verify, illegal_parameter as OpenSSL sends it', () => {
    const pair = Pair.create(pskClient('alice', OTHER_KEY).config, pskServer());
    pair.run();
    const err = pair.errors('server')[0]!;
    assert.equal(err.kind, 'illegal_parameter');
    assert.equal(err.code, 'ERR_SSL_BINDER_DOES_NOT_VERIFY');
    assert.equal(pair.errors('client')[0]?.receivedAlert, AlertDescription.illegal_parameter);
  });

  it('a client whose callback has no key offers none', () => {
    const config = makeClientConfig(k, { pskForHint: () => undefined });
    const pair = Pair.create(config, pskServer({ certificates: [k.rsa] }));
    pair.handshake();
    assert.equal(pair.client.info.sessionReused, false);
  });
});
