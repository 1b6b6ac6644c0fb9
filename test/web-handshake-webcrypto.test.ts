// The client handshake's public-key work on WebCrypto (src/web/handshake.ts), on Node's
// globalThis.crypto.subtle: key shares made before the ClientHello and agreed through the engine's
// 'agree' request, the server's CertificateVerify checked through its 'signature' request.
//
// In memory: a client so configured against a typetls server (ECDSA and RSA certificates, P-256, P-384
// and X25519), a signature the caller refuses (decrypt_error), a server share that is no point
// (illegal_parameter). Over TCP as web streams, to openssl s_server: connect() uses WebCrypto for the
// key exchange and the signature, and with webCrypto: false does not.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { after, describe, it } from 'node:test';
import { clientConfig, type CertifiedKey, type ClientConfig, type ConfigOptions } from '../src/config.js';
import { ClientConnection, ServerConnection, type Connection, type ConnectionEvent } from '../src/connection.js';
import { portableCryptoProvider } from '../src/crypto/portable.js';
import type { KeyShare } from '../src/crypto/provider.js';
import { initialShareGroups } from '../src/handshake/client.js';
import type { Request } from '../src/handshake/requests.js';
import { TlsError } from '../src/errors.js';
import { NamedGroup } from '../src/wire/enums.js';
import { ecdsaRaw, WebCryptoHandshake, type SubtleHandshake } from '../src/web/handshake.js';
import { connect, type ByteTransport } from '../src/web/socket.js';
import { makeServerConfig, testKeys } from './pair.js';
import { startOpensslServer, stopAllPeers } from './interop/peers.js';
import { makeEcdsaChainPki } from './certs/make.js';

const subtle = globalThis.crypto.subtle as unknown as SubtleHandshake;
after(stopAllPeers);

/** Runs a client and a server to the end of their handshake, answering the client's requests with `answer`. */
async function handshake(
  client: Connection, server: Connection, answer: (request: Request) => Promise<unknown>,
): Promise<{ requests: string[]; clientEvents: ConnectionEvent[]; serverEvents: ConnectionEvent[] }> {
  const requests: string[] = [];
  const clientEvents: ConnectionEvent[] = [];
  const serverEvents: ConnectionEvent[] = [];
  for (let round = 0; round < 50; round++) {
    const toServer = client.takeOutput();
    if (toServer.length > 0) {
      server.receive(toServer);
      serverEvents.push(...server.process());
    }
    const toClient = server.takeOutput();
    if (toClient.length > 0) client.receive(toClient);
    let events = client.process();
    let asked = false;
    for (;;) {
      clientEvents.push(...events);
      const request = events.find((e) => e.type === 'request');
      if (request === undefined || request.type !== 'request') break;
      asked = true;
      requests.push(request.request.kind);
      await answer(request.request).then((value) => client.resolve(request.request, value as never), (e: unknown) => client.reject(request.request, e));
      events = client.process();
    }
    if (toServer.length === 0 && toClient.length === 0 && !asked) break;
  }
  return { requests, clientEvents, serverEvents };
}

async function webClient(options: { groups: number[]; certificate: 'ecdsa' | 'rsa' }) {
  const k = await testKeys();
  const web = new WebCryptoHandshake(subtle, portableCryptoProvider);
  const config = clientConfig({ provider: portableCryptoProvider, roots: k.roots, groups: options.groups, ask: { signature: true }, minVersion: 0x0304 } as ConfigOptions<ClientConfig>);
  const keyShares: KeyShare[] = await web.keyShares(initialShareGroups(config.groups));
  const client = new ClientConnection(config, { serverName: 'localhost', keyShares });
  const certificate: CertifiedKey = options.certificate === 'ecdsa' ? k.ecdsa : k.rsa;
  const server = new ServerConnection(makeServerConfig(k, { certificates: [certificate] }));
  return { web, client, server, keyShares };
}

const answerWith = (web: WebCryptoHandshake) => async (request: Request): Promise<unknown> => {
  if (request.kind === 'agree') return web.agree(request);
  if (request.kind === 'signature') return web.verifySignature(request);
  throw new Error(`unexpected ${request.kind} request`);
};

describe('the TLS 1.3 client with WebCrypto key shares and signature checks, against a typetls server', () => {
  for (const [name, group] of [['P-256', NamedGroup.secp256r1], ['P-384', NamedGroup.secp384r1], ['X25519', NamedGroup.x25519]] as const) {
    for (const certificate of ['ecdsa', 'rsa'] as const) {
      it(`${name}, ${certificate.toUpperCase()} server certificate: the key agreement and the CertificateVerify are asked for, and the handshake completes`, async () => {
        const { web, client, server, keyShares } = await webClient({ groups: [group], certificate });
        assert.equal(keyShares.length, 1, 'WebCrypto made the share');
        assert.equal(keyShares[0]!.external, true);
        const { requests } = await handshake(client, server, answerWith(web));
        assert.deepEqual(requests, ['agree', 'signature']);
        assert.equal(client.handshakeComplete, true, client.error?.message);
        assert.equal(server.handshakeComplete, true, server.error?.message);
        assert.equal(client.info.group, group);
        assert.equal(client.info.authorized, true);
        // Application data both ways under the keys that came of the agreement.
        client.write(new TextEncoder().encode('ping'));
        server.receive(client.takeOutput());
        const data = server.process().find((e) => e.type === 'data');
        assert.ok(data && data.type === 'data');
        assert.equal(new TextDecoder().decode(data.data), 'ping');
      });
    }
  }

  it('a signature the caller finds bad fails the handshake with decrypt_error, and the alert goes out', async () => {
    const { web, client, server } = await webClient({ groups: [NamedGroup.secp256r1], certificate: 'ecdsa' });
    const { clientEvents, serverEvents } = await handshake(client, server, async (request) => (request.kind === 'signature' ? false : answerWith(web)(request)));
    const failure = clientEvents.find((e) => e.type === 'error');
    assert.ok(failure && failure.type === 'error');
    assert.equal(failure.error.code, 'ERR_TLS_DECRYPT_ERROR');
    assert.match(failure.error.message, /CertificateVerify signature does not verify/);
    // The server received the client's alert.
    const received = serverEvents.find((e) => e.type === 'error');
    assert.ok(received && received.type === 'error', 'the server received an alert');
    assert.equal(received.error.code, 'ERR_TLS_ALERT_DECRYPT_ERROR', received.error.message);
  });

  it('a server share that is not a point on the curve: illegal_parameter', async () => {
    const web = new WebCryptoHandshake(subtle, portableCryptoProvider);
    const [share] = await web.keyShares([NamedGroup.secp256r1]);
    const notAPoint = new Uint8Array(65).fill(7);
    notAPoint[0] = 4;
    await assert.rejects(web.agree({ kind: 'agree', share: share!, peerPublicKey: notAPoint }), (e: unknown) => (e as { code?: string }).code === 'ERR_TLS_ILLEGAL_PARAMETER');
    // A group WebCrypto does not make is left to the provider.
    assert.deepEqual(await web.keyShares([NamedGroup.X25519MLKEM768]), []);
  });

  it('ecdsaRaw: DER ECDSA-Sig-Value to r || s, and anything else refused', () => {
    const r = new Uint8Array(32).fill(0x11);
    const s = new Uint8Array(31).fill(0x22);
    const der = Uint8Array.of(0x30, 2 + 32 + 2 + 31, 0x02, 32, ...r, 0x02, 31, ...s);
    assert.deepEqual(ecdsaRaw(der, 32), Uint8Array.of(...r, 0, ...s));
    const high = Uint8Array.of(0x30, 2 + 33 + 2 + 1, 0x02, 33, 0, ...new Uint8Array(32).fill(0x80), 0x02, 1, 5);
    assert.deepEqual(ecdsaRaw(high, 32), Uint8Array.of(...new Uint8Array(32).fill(0x80), ...new Uint8Array(31), 5));
    assert.equal(ecdsaRaw(der.subarray(0, der.length - 1), 32), undefined, 'short');
    assert.equal(ecdsaRaw(Uint8Array.of(...der, 0), 32), undefined, 'trailing byte');
    assert.equal(ecdsaRaw(Uint8Array.of(0x30, 6, 0x02, 1, 0x80, 0x02, 1, 1), 32), undefined, 'negative');
    assert.equal(ecdsaRaw(Uint8Array.of(0x30, 7, 0x02, 2, 0, 1, 0x02, 1, 1), 32), undefined, 'leading zero before a low bit');
    assert.equal(ecdsaRaw(der, 16), undefined, 'too long for the curve');
  });
});

describe('typetls/web connect() to openssl s_server: the handshake on WebCrypto', () => {
  const sockets: net.Socket[] = [];
  after(() => {
    for (const s of sockets) s.destroy();
  });
  async function tcp(port: number): Promise<ByteTransport> {
    const socket = net.connect(port, '127.0.0.1');
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return Duplex.toWeb(socket) as unknown as ByteTransport;
  }

  const cells = [
    ['TLSv1.3', 'P-256', 'ecdsa'],
    ['TLSv1.3', 'X25519', 'rsa'],
    ['TLSv1.3', 'P-384', 'ecdsa'],
    // TLS 1.2: the ServerKeyExchange signature goes to WebCrypto; the share made for TLS 1.3 is not used.
    ['TLSv1.2', 'P-256', 'ecdsa'],
    ['TLSv1.2', 'X25519', 'rsa'],
  ] as const;
  for (const [version, curve, certificate] of cells) {
    it(`${version}, ${curve}, ${certificate.toUpperCase()} certificate: WebCrypto ${version === 'TLSv1.3' ? 'agrees and verifies' : 'verifies'}; with webCrypto: false nothing goes to it`, { timeout: 60_000 }, async () => {
      const pki = (await testKeys()).pki;
      const ca = readFileSync(pki.caCert, 'utf8');
      const server = await startOpensslServer(['-cert', pki[`${certificate}Cert`], '-key', pki[`${certificate}Key`], version === 'TLSv1.3' ? '-tls1_3' : '-tls1_2', '-www']);
      const real = globalThis.crypto.subtle as unknown as Record<string, (...args: unknown[]) => unknown>;
      const counts: Record<string, number> = { generateKey: 0, deriveBits: 0, verify: 0 };
      const saved = { ...Object.fromEntries(Object.keys(counts).map((k) => [k, real[k]!])) };
      for (const name of Object.keys(counts)) {
        const original = saved[name]!.bind(real);
        real[name] = (...args: unknown[]) => {
          counts[name]!++;
          return original(...args);
        };
      }
      try {
        for (const webCrypto of [true, false]) {
          const before = { ...counts };
          const socket = connect(await tcp(server.port), { servername: 'localhost', ca, ecdhCurve: curve, webCrypto });
          const info = await socket.opened;
          assert.equal(info.protocol, version);
          assert.equal(info.authorized, true);
          assert.equal(info.group, curve === 'X25519' ? 'x25519' : curve === 'P-256' ? 'secp256r1' : 'secp384r1');
          await socket.close();
          const used = Object.fromEntries(Object.keys(counts).map((k) => [k, counts[k]! - before[k]!]));
          const expected = version === 'TLSv1.3' ? { generateKey: 1, deriveBits: 1, verify: 1 } : { generateKey: 1, deriveBits: 0, verify: 1 };
          assert.deepEqual(used, webCrypto ? expected : { generateKey: 0, deriveBits: 0, verify: 0 });
        }
      } finally {
        Object.assign(real, saved);
        await server.stop();
      }
    });
  }
});

describe("typetls/web connect(): an elliptic-curve certificate chain's signatures on WebCrypto", () => {
  // A P-384 root, a P-384 intermediate it signed, a P-256 leaf the intermediate signed (test/certs/make.ts);
  // and the same leaf with one byte of its signature changed.
  async function handshakes(which: 'leafCert' | 'badLeafCert'): Promise<{ webCrypto: boolean; outcome: string; verifies: number }[]> {
    const pki = await makeEcdsaChainPki();
    const server = await startOpensslServer(['-cert', pki[which], '-key', pki.leafKey, '-cert_chain', pki.intermediateCert, '-tls1_3', '-www']);
    const real = globalThis.crypto.subtle as unknown as Record<string, (...args: unknown[]) => unknown>;
    const original = real.verify!;
    let verifies = 0;
    real.verify = (...args: unknown[]) => {
      verifies++;
      return original.apply(real, args);
    };
    const sockets: net.Socket[] = [];
    try {
      const results = [];
      for (const webCrypto of [true, false]) {
        const before = verifies;
        const socket = net.connect(server.port, '127.0.0.1');
        sockets.push(socket);
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', resolve);
          socket.once('error', reject);
        });
        const tls = connect(Duplex.toWeb(socket) as unknown as ByteTransport, { servername: 'localhost', ca: readFileSync(pki.rootCert, 'utf8'), ecdhCurve: 'P-256', webCrypto });
        const outcome = await tls.opened.then((info) => (info.authorized ? 'authorized' : 'unauthorized'), (e: unknown) => (e instanceof TlsError ? e.code : String(e)));
        await tls.close().catch(() => undefined);
        results.push({ webCrypto, outcome, verifies: verifies - before });
      }
      return results;
    } finally {
      real.verify = original;
      for (const s of sockets) s.destroy();
      await server.stop();
    }
  }

  it('both chain signatures and the CertificateVerify go to WebCrypto, and the chain is trusted as with webCrypto: false', { timeout: 60_000 }, async () => {
    assert.deepEqual(await handshakes('leafCert'), [
      { webCrypto: true, outcome: 'authorized', verifies: 3 },
      { webCrypto: false, outcome: 'authorized', verifies: 0 },
    ]);
  });

  it('a leaf signature that does not verify fails as it does on the provider alone: CERT_SIGNATURE_FAILURE', { timeout: 60_000 }, async () => {
    // Both chain signatures go to WebCrypto at once; its "no" is not taken on its own: the provider checks that signature again.
    assert.deepEqual(await handshakes('badLeafCert'), [
      { webCrypto: true, outcome: 'CERT_SIGNATURE_FAILURE', verifies: 2 },
      { webCrypto: false, outcome: 'CERT_SIGNATURE_FAILURE', verifies: 0 },
    ]);
  });
});
