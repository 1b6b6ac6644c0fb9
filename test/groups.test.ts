// The key exchange groups beyond X25519, P-256 and P-384, in memory: X448 and P-521 for ECDHE in
// TLS 1.2 and 1.3, the RFC 7919 groups ffdhe2048 to ffdhe8192 as TLS 1.3 key shares (with a
// HelloRetryRequest when the client sent no share for them), ECDSA P-521 certificates on both sides,
// and the peer-share checks: a share our server or client refuses gets illegal_parameter, sent as an
// alert the other side reports.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { defaultGroups } from '../src/config.js';
import { ClientConnection, ServerConnection } from '../src/connection.js';
import { nodeCryptoProvider } from '../src/crypto/node.js';
import type { CryptoProvider, KeyShare } from '../src/crypto/provider.js';
import { ffdheGroup } from '../src/keys/ffdhe.js';
import { suiteByName } from '../src/suites.js';
import { HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme, namedGroupName } from '../src/wire/enums.js';
import { HELLO_RETRY_REQUEST_RANDOM } from '../src/wire/messages.js';
import { makeSignatureKeys } from './certs/signature-keys.js';
import { handshakeMessagesOf } from './flight.js';
import { loadCertifiedKey, makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';

const TLS12 = ProtocolVersion['TLSv1.2'];
const TLS13 = ProtocolVersion['TLSv1.3'];

let k: TestKeys;
let p521: ReturnType<typeof loadCertifiedKey>;
before(async () => {
  k = await testKeys();
  const files = await makeSignatureKeys();
  p521 = loadCertifiedKey(files.p521.cert, files.p521.key);
  assert.equal(p521.key.namedCurve, NamedGroup.secp521r1);
});

/** Whether the server's first flight is a HelloRetryRequest (RFC 8446 Section 4.1.3). */
function firstFlightIsRetry(clientGroups: number[], serverGroups?: number[]): boolean {
  const client = new ClientConnection(makeClientConfig(k, { groups: clientGroups }), { serverName: 'localhost' });
  const server = new ServerConnection(makeServerConfig(k, serverGroups ? { groups: serverGroups } : {}));
  server.receive(client.takeOutput());
  server.process();
  const hello = handshakeMessagesOf(server.takeOutput())[0]!;
  assert.equal(hello.type, HandshakeType.server_hello);
  return HELLO_RETRY_REQUEST_RANDOM.every((b, i) => hello.body[2 + i] === b);
}

describe('X448 and P-521 for ECDHE, both versions', () => {
  for (const group of [NamedGroup.x448, NamedGroup.secp521r1]) {
    for (const version of [TLS12, TLS13]) {
      it(`${namedGroupName(group)} in ${version === TLS13 ? 'TLS 1.3' : 'TLS 1.2'}: both sides agree and report it`, () => {
        const pair = Pair.create(
          makeClientConfig(k, { groups: [group], maxVersion: version }),
          makeServerConfig(k, { maxVersion: version }),
        );
        pair.handshake();
        assert.equal(pair.client.info.version, version);
        assert.equal(pair.client.info.group, group);
        assert.equal(pair.server.info.group, group);
        pair.client.write(new TextEncoder().encode('ping'));
        pair.run();
        assert.equal(new TextDecoder().decode(pair.received('server')), 'ping');
      });
    }
  }

  it('the default groups are node:tls\'s, with the hybrid first', () => {
    assert.deepEqual(defaultGroups, [
      NamedGroup.X25519MLKEM768, NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.x448, NamedGroup.secp521r1, NamedGroup.secp384r1,
      NamedGroup.ffdhe2048, NamedGroup.ffdhe3072, NamedGroup.ffdhe4096, NamedGroup.ffdhe6144, NamedGroup.ffdhe8192,
    ]);
    for (const g of defaultGroups) assert.ok(nodeCryptoProvider.supportedGroups().includes(g), namedGroupName(g));
  });
});

describe('RFC 7919 groups as TLS 1.3 key shares (RFC 8446 Section 4.2.7, 4.2.8.1)', () => {
  for (const group of [NamedGroup.ffdhe2048, NamedGroup.ffdhe3072, NamedGroup.ffdhe4096, NamedGroup.ffdhe6144, NamedGroup.ffdhe8192]) {
    it(`${namedGroupName(group)}: a client sending its share gets it in one round trip`, () => {
      assert.equal(firstFlightIsRetry([group]), false);
      const pair = Pair.create(makeClientConfig(k, { groups: [group] }), makeServerConfig(k));
      pair.handshake();
      assert.equal(pair.client.info.version, TLS13);
      assert.equal(pair.server.info.group, group);
      assert.equal(pair.client.info.group, group);
    });
  }

  it('a client listing only ffdhe2048 with a share for another group gets a HelloRetryRequest for ffdhe2048, never handshake_failure', () => {
    // The client's first share is X25519, which this server does not take; it lists ffdhe2048 too.
    assert.equal(firstFlightIsRetry([NamedGroup.x25519, NamedGroup.ffdhe2048], [NamedGroup.ffdhe2048]), true);
    const pair = Pair.create(
      makeClientConfig(k, { groups: [NamedGroup.x25519, NamedGroup.ffdhe2048] }),
      makeServerConfig(k, { groups: [NamedGroup.ffdhe2048] }),
    );
    pair.handshake();
    assert.equal(pair.server.info.group, NamedGroup.ffdhe2048);
  });

  it('a client our server asks to retry with an ffdhe group answers with a share of the size of p', () => {
    const pair = Pair.create(
      makeClientConfig(k, { groups: [NamedGroup.secp256r1, NamedGroup.ffdhe3072] }),
      makeServerConfig(k, { groups: [NamedGroup.ffdhe3072, NamedGroup.secp256r1] }),
    );
    pair.handshake();
    assert.equal(pair.client.info.group, NamedGroup.ffdhe3072);
  });
});

/**
 * The node provider, except that the shares it makes announce `publicKey(group)` (when it gives one)
 * instead of their own: a hostile peer's share, as it would come over the wire.
 */
function lyingProvider(publicKey: (group: number) => Uint8Array | undefined): CryptoProvider {
  return new Proxy(nodeCryptoProvider, {
    get(target, prop) {
      if (prop === 'generateKeyShare') {
        return (group: number): KeyShare => {
          const real = target.generateKeyShare(group);
          return { group, publicKey: publicKey(group) ?? real.publicKey, agree: (peer) => real.agree(peer) };
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function pMinusOne(group: number): Uint8Array {
  const p = ffdheGroup(group)!.p.slice();
  p[p.length - 1]! -= 1;
  return p;
}

const badShares: { name: string; group: number; share: () => Uint8Array; message: RegExp; versions: number[] }[] = [
  { name: 'an all-zero X448 share (all-zero secret)', group: NamedGroup.x448, share: () => new Uint8Array(56), message: /X448/, versions: [TLS12, TLS13] },
  { name: 'an X448 share of 55 bytes', group: NamedGroup.x448, share: () => new Uint8Array(55).fill(7), message: /X448 public key is not 56 bytes/, versions: [TLS12, TLS13] },
  {
    name: 'a compressed P-521 point', group: NamedGroup.secp521r1, versions: [TLS12, TLS13], message: /not an uncompressed point/,
    share: () => Uint8Array.of(2, ...nodeCryptoProvider.generateKeyShare(NamedGroup.secp521r1).publicKey.subarray(1, 67)),
  },
  {
    name: 'a P-521 point off the curve', group: NamedGroup.secp521r1, versions: [TLS12, TLS13], message: /not a point on the curve/,
    share: () => {
      const point = nodeCryptoProvider.generateKeyShare(NamedGroup.secp521r1).publicKey.slice();
      point[132]! ^= 1;
      return point;
    },
  },
  { name: 'an ffdhe2048 share of p-1', group: NamedGroup.ffdhe2048, share: () => pMinusOne(NamedGroup.ffdhe2048), message: /FFDHE public value/, versions: [TLS13] },
  { name: 'an ffdhe2048 share of 1', group: NamedGroup.ffdhe2048, share: () => Uint8Array.of(...new Uint8Array(255), 1), message: /FFDHE public value/, versions: [TLS13] },
  { name: 'an ffdhe4096 share without its leading zeros', group: NamedGroup.ffdhe4096, share: () => Uint8Array.of(2), message: /FFDHE public value/, versions: [TLS13] },
];

describe('a bad peer share is illegal_parameter (RFC 8446 Section 4.2.8.1, 4.2.8.2; RFC 7748 Section 6.2; RFC 8422 Section 5.11)', () => {
  for (const bad of badShares) {
    for (const version of bad.versions) {
      const v = version === TLS13 ? 'TLS 1.3' : 'TLS 1.2';
      it(`our server, ${v}: the client sends ${bad.name}`, () => {
        const pair = Pair.create(
          makeClientConfig(k, { groups: [bad.group], maxVersion: version, provider: lyingProvider((g) => (g === bad.group ? bad.share() : undefined)) }),
          makeServerConfig(k, { maxVersion: version }),
        );
        pair.run();
        assert.equal(pair.server.error?.kind, 'illegal_parameter', `${pair.server.error?.code}: ${pair.server.error?.message}`);
        assert.match(pair.server.error!.message, bad.message);
        assert.equal(pair.client.error?.code, 'ERR_TLS_ALERT_ILLEGAL_PARAMETER', 'the client received the alert');
      });

      it(`our client, ${v}: the server answers with ${bad.name}`, () => {
        // Our server answers a TLS 1.3 share through acceptKeyShare, which the lying provider does
        // not touch; its TLS 1.2 ServerKeyExchange share comes from generateKeyShare.
        if (version === TLS13) return assertClientRefusesTls13ServerShare(bad);
        const pair = Pair.create(
          makeClientConfig(k, { groups: [bad.group], maxVersion: version }),
          makeServerConfig(k, { maxVersion: version, provider: lyingProvider((g) => (g === bad.group ? bad.share() : undefined)) }),
        );
        pair.run();
        assert.equal(pair.client.error?.kind, 'illegal_parameter', `${pair.client.error?.code}: ${pair.client.error?.message}`);
        assert.match(pair.client.error!.message, bad.message);
        assert.equal(pair.server.error?.code, 'ERR_TLS_ALERT_ILLEGAL_PARAMETER', 'the server received the alert');
      });
    }
  }
});

describe('TLS 1.2 DHE and the FFDHE range (RFC 7919 Section 4)', () => {
  const DHE = suiteByName('DHE-RSA-AES128-GCM-SHA256')!.id;
  const RSA = suiteByName('AES128-GCM-SHA256')!.id;
  /** The suite our server picks for a client offering DHE then RSA key exchange and these groups. */
  function picked(groups: number[], suites = [DHE, RSA]): number | string | undefined {
    // The group list goes out as written: a provider that knows no group would refuse it in the config.
    const client = makeClientConfig(k, { maxVersion: TLS12, cipherSuites: suites, groups: [NamedGroup.secp256r1] });
    const pair = Pair.create(client, makeServerConfig(k, { maxVersion: TLS12, cipherSuites: [DHE, RSA] }), 'localhost', (from, bytes) => {
      if (from !== 'client' || bytes[5] !== HandshakeType.client_hello) return bytes;
      // supported_groups 00 0a | 00 04 | 00 02 | 00 17: one group, rewritten to the one under test.
      const at = bytes.findIndex((_, i) => bytes[i] === 0 && bytes[i + 1] === 0x0a && bytes[i + 2] === 0 && bytes[i + 3] === 4 && bytes[i + 4] === 0 && bytes[i + 5] === 2);
      assert.ok(at > 0);
      const copy = bytes.slice();
      copy[at + 6] = groups[0]! >> 8;
      copy[at + 7] = groups[0]! & 0xff;
      return copy;
    });
    pair.run(2);
    return pair.server.error?.kind ?? pair.server.info.cipherSuite?.id;
  }

  it('a client listing only an FFDHE code point we do not know gets no DHE suite (the RSA one instead)', () => {
    assert.equal(picked([0x01fc]), RSA);
  });

  it('a client offering only DHE suites and an FFDHE code point we do not know gets insufficient_security', () => {
    assert.equal(picked([0x01fc], [DHE]), 'insufficient_security');
  });

  it('a client listing ffdhe3072 gets DHE in that group; one listing only a curve gets DHE in ffdhe2048', () => {
    assert.equal(picked([NamedGroup.ffdhe3072]), DHE);
    assert.equal(picked([NamedGroup.secp256r1]), DHE);
  });
});

describe('an empty key share entry', () => {
  for (const group of [NamedGroup.x25519, NamedGroup.x448, NamedGroup.ffdhe2048]) {
    it(`our server, TLS 1.3: an empty ${namedGroupName(group)} key_exchange is illegal_parameter, as a share of the wrong size is`, () => {
      const pair = Pair.create(
        makeClientConfig(k, { groups: [group], provider: lyingProvider((g) => (g === group ? new Uint8Array(0) : undefined)) }),
        makeServerConfig(k),
      );
      pair.run();
      assert.equal(pair.server.error?.kind, 'illegal_parameter', `${pair.server.error?.code}: ${pair.server.error?.message}`);
      assert.match(pair.server.error!.message, /key_share entry for group 0x[0-9a-f]{4} is empty/);
      assert.equal(pair.client.error?.code, 'ERR_TLS_ALERT_ILLEGAL_PARAMETER');
    });
  }
});

/** TLS 1.3: the server's share in ServerHello is replaced in flight (the ServerHello is in the clear). */
function assertClientRefusesTls13ServerShare(bad: (typeof badShares)[number]): void {
  const pair = Pair.create(
    makeClientConfig(k, { groups: [bad.group] }),
    makeServerConfig(k, {
      provider: new Proxy(nodeCryptoProvider, {
        get(target, prop) {
          if (prop === 'acceptKeyShare') {
            return (group: number, share: Uint8Array) => ({ ...target.acceptKeyShare(group, share), publicKey: bad.share() });
          }
          const value = Reflect.get(target, prop, target) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      }),
    }),
  );
  pair.run();
  assert.equal(pair.client.error?.kind, 'illegal_parameter', `${pair.client.error?.code}: ${pair.client.error?.message}`);
  assert.match(pair.client.error!.message, bad.message);
}

describe('ECDSA P-521 certificates (ecdsa_secp521r1_sha512)', () => {
  const ecdheEcdsa = suiteByName('ECDHE-ECDSA-AES256-GCM-SHA384')!;
  for (const version of [TLS12, TLS13]) {
    const v = version === TLS13 ? 'TLS 1.3' : 'TLS 1.2';
    it(`${v}: our server signs with its P-521 key and our client verifies it`, () => {
      const server = makeServerConfig(k, { certificates: [p521], maxVersion: version, ...(version === TLS12 ? { cipherSuites: [ecdheEcdsa.id] } : {}) });
      const pair = Pair.create(makeClientConfig(k, { maxVersion: version }), server);
      pair.handshake();
      assert.equal(pair.client.info.version, version);
      assert.equal(pair.client.info.authorized, true);
      assert.equal(pair.client.info.peerCertificates[0]?.namedCurve, NamedGroup.secp521r1);
    });

    it(`${v}: a client certificate on P-521 is verified by our server`, () => {
      const pair = Pair.create(
        makeClientConfig(k, { maxVersion: version, certificates: [p521] }),
        makeServerConfig(k, { maxVersion: version, requestCert: true }),
      );
      pair.handshake();
      assert.equal(pair.server.info.authorized, true);
      assert.equal(pair.server.info.peerCertificates[0]?.namedCurve, NamedGroup.secp521r1);
    });
  }

  it('TLS 1.3: a client that does not accept ecdsa_secp521r1_sha512 cannot be served by a P-521 key alone', () => {
    const pair = Pair.create(
      makeClientConfig(k, { signatureSchemes: [SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.rsa_pss_rsae_sha256] }),
      makeServerConfig(k, { certificates: [p521] }),
    );
    pair.run();
    assert.equal(pair.server.error?.kind, 'handshake_failure', `${pair.server.error?.code}: ${pair.server.error?.message}`);
  });
});
