// What the server chooses, read off the wire of an in-memory pair:
//   - the cipher suite: the server's order wins over the client's (RFC 5246 Section 7.4.1.3 leaves the
//     choice to the server; node:tls honorCipherOrder), and the client's order with
//     preferServerCipherOrder false — in TLS 1.2 and in TLS 1.3;
//   - the TLS 1.2 ServerKeyExchange signature scheme: one from the client's signature_algorithms
//     (RFC 5246 Section 7.4.1.4.1): a client offering only rsa_pkcs1_sha256 gets an RSASSA-PKCS1-v1_5
//     signature, one offering only rsa_pss_rsae_sha256 gets RSASSA-PSS. The signature on the wire is
//     checked with the scheme it names, and against the other scheme, which must not verify it.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { nodeCryptoProvider } from '../src/crypto/node.js';
import { suiteByName } from '../src/suites.js';
import { HandshakeType, ProtocolVersion, SignatureScheme, signatureSchemeName } from '../src/wire/enums.js';
import { decodeHandshake, type ServerHello, type ServerKeyExchange } from '../src/wire/messages.js';
import { concatBytes } from './fuzz/mutator.js';
import { handshakeMessagesOf } from './flight.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

const TLS12 = ProtocolVersion['TLSv1.2'];
const TLS13 = ProtocolVersion['TLSv1.3'];
const S = SignatureScheme;
const id = (name: string): number => suiteByName(name)!.id;

/** A pair that keeps the first flight each side sent (the plaintext hellos, and in TLS 1.2 the server's whole first flight). */
function observedPair(...args: Parameters<typeof Pair.create>): { pair: Pair; first: { client?: Uint8Array; server?: Uint8Array } } {
  const first: { client?: Uint8Array; server?: Uint8Array } = {};
  const pair = Pair.create(args[0], args[1], args[2] ?? 'localhost', (from, bytes) => {
    first[from] ??= bytes.slice();
    return bytes;
  });
  return { pair, first };
}

function serverHelloOf(flight: Uint8Array): ServerHello {
  const m = handshakeMessagesOf(flight).find((x) => x.type === HandshakeType.server_hello)!;
  return decodeHandshake(m.type, m.body, { version: TLS12 }) as ServerHello;
}

describe('cipher suite selection: the server order wins', () => {
  const cases = [
    {
      version: TLS12,
      label: 'TLS 1.2',
      clientOrder: ['ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305', 'ECDHE-RSA-AES128-GCM-SHA256'],
      serverOrder: ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-CHACHA20-POLY1305', 'ECDHE-RSA-AES256-GCM-SHA384'],
    },
    {
      version: TLS13,
      label: 'TLS 1.3',
      clientOrder: ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'],
      serverOrder: ['TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384'],
    },
  ];
  for (const c of cases) {
    it(`${c.label}: the client lists ${c.clientOrder[0]} first, the server ${c.serverOrder[0]}: ServerHello names the server's`, () => {
      const { pair, first } = observedPair(
        makeClientConfig(k, { maxVersion: c.version, cipherSuites: c.clientOrder.map(id) }),
        makeServerConfig(k, { maxVersion: c.version, cipherSuites: c.serverOrder.map(id) }),
      );
      pair.handshake();
      assert.equal(serverHelloOf(first.server!).cipherSuite, id(c.serverOrder[0]!));
      assert.equal(pair.client.info.cipherSuite?.id, id(c.serverOrder[0]!));
    });

    it(`${c.label}: with preferServerCipherOrder false (honorCipherOrder: false) the client's first suite is taken`, () => {
      const { pair, first } = observedPair(
        makeClientConfig(k, { maxVersion: c.version, cipherSuites: c.clientOrder.map(id) }),
        makeServerConfig(k, { maxVersion: c.version, cipherSuites: c.serverOrder.map(id), preferServerCipherOrder: false }),
      );
      pair.handshake();
      assert.equal(serverHelloOf(first.server!).cipherSuite, id(c.clientOrder[0]!));
    });

    it(`${c.label}: a server suite the client does not offer is passed over for the server's next one`, () => {
      const offered = c.clientOrder.filter((name) => name !== c.serverOrder[0]);
      const { pair, first } = observedPair(
        makeClientConfig(k, { maxVersion: c.version, cipherSuites: offered.map(id) }),
        makeServerConfig(k, { maxVersion: c.version, cipherSuites: c.serverOrder.map(id) }),
      );
      pair.handshake();
      assert.notEqual(offered[0], c.serverOrder[1], 'the case must tell the two orders apart');
      assert.equal(serverHelloOf(first.server!).cipherSuite, id(c.serverOrder[1]!));
    });
  }
});

describe('TLS 1.2 ServerKeyExchange: the signature scheme follows the client\'s signature_algorithms', () => {
  /** The scheme the server's ServerKeyExchange names, and whether its signature verifies under `scheme` and under `other`. */
  function serverKeyExchange(clientSchemes: readonly number[], certificate: 'rsa' | 'ecdsa' = 'rsa') {
    const suite = certificate === 'rsa' ? 'ECDHE-RSA-AES128-GCM-SHA256' : 'ECDHE-ECDSA-AES128-GCM-SHA256';
    const certified = certificate === 'rsa' ? k.rsa : k.ecdsa;
    const { pair, first } = observedPair(
      makeClientConfig(k, { maxVersion: TLS12, cipherSuites: [id(suite)], signatureSchemes: clientSchemes }),
      makeServerConfig(k, { maxVersion: TLS12, certificates: [certified] }),
    );
    pair.handshake();
    const messages = handshakeMessagesOf(first.server!);
    const ske = messages.find((m) => m.type === HandshakeType.server_key_exchange)!;
    const decoded = decodeHandshake(ske.type, ske.body, { version: TLS12, kx: 'ecdhe' }) as ServerKeyExchange;
    const clientRandom = handshakeMessagesOf(first.client!)[0]!.body.subarray(2, 34);
    const serverRandom = serverHelloOf(first.server!).random;
    // RFC 5246 Section 7.4.3: the signature covers client_random, server_random and the params.
    const signed = concatBytes([clientRandom, serverRandom, decoded.params]);
    const publicKey = nodeCryptoProvider.loadPublicKey(certified.chain[0]!.subjectPublicKeyInfo);
    return {
      scheme: decoded.signatureScheme,
      verifiesAs: (scheme: number) => nodeCryptoProvider.verify(publicKey, scheme, signed, decoded.signature),
    };
  }

  it('a client offering only rsa_pkcs1_sha256 gets a PKCS#1 v1.5 signature (0x0401)', () => {
    const ske = serverKeyExchange([S.rsa_pkcs1_sha256]);
    assert.equal(signatureSchemeName(ske.scheme), 'rsa_pkcs1_sha256');
    assert.equal(ske.verifiesAs(S.rsa_pkcs1_sha256), true);
    assert.equal(ske.verifiesAs(S.rsa_pss_rsae_sha256), false, 'a PKCS#1 signature is not a PSS one');
  });

  it('a client offering only rsa_pss_rsae_sha256 gets an RSASSA-PSS signature (0x0804)', () => {
    const ske = serverKeyExchange([S.rsa_pss_rsae_sha256]);
    assert.equal(signatureSchemeName(ske.scheme), 'rsa_pss_rsae_sha256');
    assert.equal(ske.verifiesAs(S.rsa_pss_rsae_sha256), true);
    assert.equal(ske.verifiesAs(S.rsa_pkcs1_sha256), false, 'a PSS signature is not a PKCS#1 one');
  });

  for (const scheme of ['rsa_pkcs1_sha384', 'rsa_pkcs1_sha512', 'rsa_pss_rsae_sha384', 'rsa_pss_rsae_sha512'] as const) {
    it(`a client offering only ${scheme} gets ${scheme}`, () => {
      const ske = serverKeyExchange([S[scheme]]);
      assert.equal(signatureSchemeName(ske.scheme), scheme);
      assert.equal(ske.verifiesAs(S[scheme]), true);
    });
  }

  it('a client listing schemes the key cannot make first gets the first one it can (ecdsa_* skipped for an RSA key)', () => {
    const ske = serverKeyExchange([S.ecdsa_secp256r1_sha256, S.ed25519, S.rsa_pkcs1_sha384]);
    assert.equal(signatureSchemeName(ske.scheme), 'rsa_pkcs1_sha384');
  });

  it('an ECDSA certificate and a client offering only ecdsa_secp256r1_sha256 gets ecdsa_secp256r1_sha256', () => {
    const ske = serverKeyExchange([S.ecdsa_secp256r1_sha256], 'ecdsa');
    assert.equal(signatureSchemeName(ske.scheme), 'ecdsa_secp256r1_sha256');
    assert.equal(ske.verifiesAs(S.ecdsa_secp256r1_sha256), true);
  });

  it('a client offering no scheme the RSA key can make gets handshake_failure, not a signature it did not ask for', () => {
    const pair = Pair.create(
      makeClientConfig(k, { maxVersion: TLS12, cipherSuites: [id('ECDHE-RSA-AES128-GCM-SHA256')], signatureSchemes: [S.ecdsa_secp256r1_sha256] }),
      makeServerConfig(k, { maxVersion: TLS12 }),
    );
    pair.run();
    assert.equal(pair.server.error?.kind, 'handshake_failure');
    assert.equal(pair.client.error?.code, 'ERR_TLS_ALERT_HANDSHAKE_FAILURE');
  });
});
