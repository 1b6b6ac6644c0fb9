// Handshakes between the two providers, in memory: one side on the portable provider and the
// other on node:crypto, in both directions, for every cipher suite typetls offers, every key
// exchange group both providers offer (TLS 1.3 key_share, TLS 1.2 ECDHE and DHE), every kind of
// certificate key (RSA-2048, ECDSA P-256 and P-384, Ed25519, RSASSA-PSS), client certificates,
// TLS 1.0 and 1.1, and resumption. Each handshake is checked for what was negotiated and then
// carries data both ways. Each side's private key is loaded by that side's provider.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { clientConfig, serverConfig, type CertifiedKey, type ClientConfig, type ConfigOptions, type ServerConfig } from '../src/config.js';
import { nodeCryptoProvider } from '../src/crypto/node.js';
import { portableCryptoProvider } from '../src/crypto/portable.js';
import type { CryptoProvider } from '../src/crypto/provider.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../src/connection.js';
import { cipherSuites, isPskSuite, type CipherSuite } from '../src/suites.js';
import { NamedGroup, namedGroupName, ProtocolVersion } from '../src/wire/enums.js';
import type { Certificate } from '../src/x509/certificate.js';
import { makeSignatureKeys } from './certs/signature-keys.js';
import { loadChain, Pair } from './pair.js';
import { makeTestPki } from './certs/make.js';

const TLS10 = ProtocolVersion.TLSv1;
const TLS11 = ProtocolVersion['TLSv1.1'];
const TLS12 = ProtocolVersion['TLSv1.2'];
const TLS13 = ProtocolVersion['TLSv1.3'];

type KeyName = 'rsa' | 'ecdsa' | 'client' | 'ed25519' | 'rsaPss' | 'p384';
interface Files {
  roots: Certificate[];
  pems: Record<KeyName, { chain: Certificate[]; key: string }>;
}
let files: Files;

before(async () => {
  const pki = await makeTestPki();
  const sig = await makeSignatureKeys();
  const entry = (cert: string, key: string) => ({ chain: loadChain(cert), key: readFileSync(key, 'utf8') });
  files = {
    roots: loadChain(pki.caCert),
    pems: {
      rsa: entry(pki.rsaCert, pki.rsaKey),
      ecdsa: entry(pki.ecdsaCert, pki.ecdsaKey),
      client: entry(pki.clientCert, pki.clientKey),
      ed25519: entry(sig.ed25519.cert, sig.ed25519.key),
      rsaPss: entry(sig.rsaPss.cert, sig.rsaPss.key),
      p384: entry(sig.p384.cert, sig.p384.key),
    },
  };
});

/** A certificate with its key loaded by `provider` (a key object belongs to the provider that loaded it). */
function certified(provider: CryptoProvider, name: KeyName): CertifiedKey {
  return { chain: files.pems[name].chain, key: provider.loadPrivateKey(files.pems[name].key) };
}

const directions: readonly [CryptoProvider, CryptoProvider][] = [
  [portableCryptoProvider, nodeCryptoProvider],
  [nodeCryptoProvider, portableCryptoProvider],
];
const label = (client: CryptoProvider, server: CryptoProvider) => `client ${client.name}, server ${server.name}`;

interface Setup {
  client?: Partial<ClientConfig>;
  server?: Partial<ServerConfig>;
  serverKeys?: readonly KeyName[];
  clientKey?: KeyName;
}

function pairFor(client: CryptoProvider, server: CryptoProvider, setup: Setup): Pair {
  const c = clientConfig({
    provider: client,
    roots: files.roots,
    ...(setup.clientKey ? { certificates: [certified(client, setup.clientKey)] } : {}),
    ...setup.client,
  } as ConfigOptions<ClientConfig>);
  const s = serverConfig({
    provider: server,
    roots: files.roots,
    certificates: (setup.serverKeys ?? ['rsa', 'ecdsa']).map((n) => certified(server, n)),
    ...setup.server,
  } as ConfigOptions<ServerConfig>);
  return Pair.create(c, s);
}

/** Handshakes, checks both sides agree on version, suite and group, and moves data both ways. */
function handshake(client: CryptoProvider, server: CryptoProvider, setup: Setup, expect: { version: number; suite?: number; group?: number }): Pair {
  const pair = pairFor(client, server, setup);
  pair.handshake();
  for (const side of [pair.client, pair.server]) {
    assert.equal(side.info.version, expect.version, `${side.side}: version`);
    if (expect.suite !== undefined) assert.equal(side.info.cipherSuite?.id, expect.suite, `${side.side}: suite`);
    if (expect.group !== undefined) assert.equal(side.info.group, expect.group, `${side.side}: group`);
  }
  if (pair.client.info.peerCertificates.length > 0) assert.equal(pair.client.info.authorized, true, 'the client verified the server certificate');
  const up = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7) & 0xff);
  pair.client.write(up);
  pair.server.write(Uint8Array.of(4, 5, 6));
  pair.run();
  assert.deepEqual(pair.received('server'), up);
  assert.deepEqual(pair.received('client'), Uint8Array.of(4, 5, 6));
  return pair;
}

/** An external pre-shared key both sides know (RFC 4279 in TLS 1.2, RFC 8446 Section 2.2 in TLS 1.3). */
const externalPsk = { identity: new TextEncoder().encode('alice'), key: Uint8Array.from({ length: 32 }, (_, i) => i + 1) };
const pskFor = (identity: Uint8Array) => (new TextDecoder().decode(identity) === 'alice' ? { key: externalPsk.key } : undefined);

const shared = (): number[] => portableCryptoProvider.supportedGroups().filter((g) => nodeCryptoProvider.supportedGroups().includes(g));
// The AES-CCM suites among them: used only when named (as in OpenSSL), so both sides name each suite.
const suites13 = cipherSuites.filter((s) => s.tls13);
const suites12 = cipherSuites.filter((s) => !s.tls13);
const suiteName = (s: CipherSuite) => s.standardName;

describe('portable × node:crypto: TLS 1.3, every suite with every group', () => {
  it('the groups are those both providers offer, X25519MLKEM768 and the FFDHE groups among them', () => {
    const groups = shared();
    for (const g of [NamedGroup.X25519MLKEM768, NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.ffdhe2048]) {
      assert.ok(groups.includes(g), namedGroupName(g));
    }
  });

  for (const suite of suites13) {
    for (const [client, server] of directions) {
      it(`${suiteName(suite)}, ${label(client, server)}: every shared group`, () => {
        for (const group of shared()) {
          handshake(client, server, { client: { minVersion: TLS13, cipherSuites: [suite.id], groups: [group] }, server: { groups: [group], cipherSuites: [suite.id] } }, { version: TLS13, suite: suite.id, group });
        }
      });
    }
  }

  it('HelloRetryRequest: the client offers X25519 first, the server wants P-384 (both directions)', () => {
    for (const [client, server] of directions) {
      handshake(
        client,
        server,
        { client: { minVersion: TLS13, groups: [NamedGroup.x25519, NamedGroup.secp384r1] }, server: { groups: [NamedGroup.secp384r1] } },
        { version: TLS13, group: NamedGroup.secp384r1 },
      );
    }
  });
});

describe('portable × node:crypto: TLS 1.3 certificate keys and client certificates', () => {
  for (const key of ['rsa', 'ecdsa', 'p384', 'ed25519', 'rsaPss'] as const) {
    it(`a ${key} server certificate, and an RSA client certificate, both directions`, () => {
      for (const [client, server] of directions) {
        const pair = handshake(client, server, { serverKeys: [key], clientKey: 'client', client: { minVersion: TLS13 }, server: { requestCert: true } }, { version: TLS13 });
        assert.equal(pair.server.info.authorized, true, `${label(client, server)}: the server verified the client certificate`);
        assert.equal(pair.server.info.peerCertificates.length, 1);
      }
    });
  }

  it('an external PSK with (EC)DHE (psk_dhe_ke), both directions', () => {
    for (const [client, server] of directions) {
      const pair = handshake(
        client,
        server,
        { client: { minVersion: TLS13, pskForHint: () => externalPsk }, server: { pskForIdentity: pskFor } },
        { version: TLS13, group: NamedGroup.X25519MLKEM768 },
      );
      assert.equal(pair.client.info.peerCertificates.length, 0, `${label(client, server)}: authenticated by the PSK, no certificate`);
    }
  });

  for (const version of [TLS12, TLS13]) {
    it(`0x${version.toString(16)}: resumption with a ticket sealed and opened by the server's provider, both directions`, () => {
      for (const [client, server] of directions) {
        const clientCfg = clientConfig({ provider: client, roots: files.roots, minVersion: version, maxVersion: version } as ConfigOptions<ClientConfig>);
        const serverCfg = serverConfig({ provider: server, roots: files.roots, certificates: [certified(server, 'rsa')] } as ConfigOptions<ServerConfig>);
        const first = Pair.create(clientCfg, serverCfg);
        first.handshake();
        first.run();
        const session = first.clientEvents.filter((e): e is Extract<ConnectionEvent, { type: 'session' }> => e.type === 'session').at(-1);
        assert.ok(session, `${label(client, server)}: the client got a session`);
        const again = new Pair(new ClientConnection(clientCfg, { serverName: 'localhost', session: session.session }), new ServerConnection(serverCfg));
        again.handshake();
        assert.equal(again.client.info.sessionReused, true, label(client, server));
        assert.equal(again.server.info.sessionReused, true, label(client, server));
      }
    });
  }
});

describe('portable × node:crypto: TLS 1.2, every suite', () => {
  for (const suite of suites12) {
    it(`${suiteName(suite)}, both directions`, () => {
      for (const [client, server] of directions) {
        const psk = isPskSuite(suite);
        // PSK suites (RFC 4279, RFC 5489): only RSA_PSK has a certificate as well.
        const serverKeys: KeyName[] = psk && suite.kx !== 'rsa_psk' ? [] : suite.auth === 'ecdsa' ? ['ecdsa'] : ['rsa'];
        handshake(
          client,
          server,
          {
            serverKeys,
            client: { maxVersion: TLS12, cipherSuites: [suite.id], ...(psk ? { pskForHint: () => externalPsk } : {}) },
            server: psk ? { pskForIdentity: pskFor } : {},
          },
          { version: TLS12, suite: suite.id },
        );
      }
    });
  }

  it('ECDHE with every curve both providers offer for TLS 1.2, and mutual TLS, both directions', () => {
    const curves = shared().filter((g) => g < 0x100 && g !== NamedGroup.x448);
    assert.ok(curves.length >= 4);
    for (const [client, server] of directions) {
      for (const group of curves) {
        const pair = handshake(
          client,
          server,
          { clientKey: 'client', client: { maxVersion: TLS12, groups: [group], cipherSuites: [0xc02f] }, server: { requestCert: true, groups: [group] } },
          { version: TLS12, suite: 0xc02f, group },
        );
        assert.equal(pair.server.info.authorized, true);
      }
    }
  });

  it('DHE with ffdhe3072 named by the client (RFC 7919), both directions', () => {
    for (const [client, server] of directions) {
      handshake(client, server, { client: { maxVersion: TLS12, groups: [NamedGroup.ffdhe3072, NamedGroup.x25519], cipherSuites: [0x009e] } }, { version: TLS12, suite: 0x009e });
    }
  });
});

describe('portable × node:crypto: TLS 1.0 and 1.1 (MD5 and SHA-1 signatures, CBC records)', () => {
  for (const version of [TLS10, TLS11]) {
    it(`0x${version.toString(16)} with ECDHE-RSA-AES128-SHA, DHE-RSA-AES256-SHA and AES128-SHA, both directions`, () => {
      for (const [client, server] of directions) {
        for (const suite of [0xc013, 0x0039, 0x002f]) {
          handshake(client, server, { client: { minVersion: version, maxVersion: version, cipherSuites: [suite] }, server: { minVersion: version } }, { version, suite });
        }
      }
    });
  }
});
