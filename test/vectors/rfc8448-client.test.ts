// RFC 8448 Section 3 from the client's side: a real ClientConnection with the
// RFC's client random and x25519 key (FixedProvider), answered by the RFC's
// server messages.
//
// typetls's ClientHello cannot be the RFC's: in middlebox compatibility mode it
// sends a 32-byte legacy_session_id (the RFC's is empty), it offers no
// renegotiation_info, session_ticket or record_size_limit in a TLS 1.3-only
// hello, it cannot offer the ffdhe groups, and it orders its extensions its own
// way. Its transcript therefore differs from the ClientHello on, and the RFC's
// encrypted server flight cannot be fed to it as is. So the test plays the
// RFC's server over the client's transcript: the RFC's ServerHello (its random
// and key share, with the client's session ID echoed, as RFC 8446 requires), the
// RFC's EncryptedExtensions, the RFC's Certificate byte for byte, a
// CertificateVerify signed with the RFC's RSA key, and the server Finished. The
// handshake secret is the RFC's (same x25519 keys), and every secret the client
// logs must be the RFC's key schedule over its own transcript.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientConfig } from '../../src/config.js';
import { ClientConnection, type ConnectionEvent } from '../../src/connection.js';
import { deriveSecret, finishedVerifyData, trafficKeys } from '../../src/keys/tls13.js';
import { aead13Protection } from '../../src/record/protection.js';
import { ContentType, ExtensionType, HandshakeType, NamedGroup, SignatureScheme } from '../../src/wire/enums.js';
import { decodeSignatureAlgorithms, findExtension } from '../../src/wire/extensions.js';
import { decodeHandshake, encodeHandshake, type ClientHello, type EncryptedExtensions, type ServerHello } from '../../src/wire/messages.js';
import { FixedProvider, rsaPkcs8 } from './fixed-provider.js';
import { testProviders } from '../providers.js';
import { concat, hex, rsaKey, simple as s, toHex } from './rfc8448.js';

const TLS13 = 0x0304;
const sessionId = new Uint8Array(32).fill(0x5a);
const rfcClientHello = decodeHandshake(HandshakeType.client_hello, s.clientHello.subarray(4), { version: TLS13 }) as ClientHello;
const rfcSignatureSchemes = decodeSignatureAlgorithms(findExtension(rfcClientHello.extensions, ExtensionType.signature_algorithms)!.data);

const sha256 = (...parts: Uint8Array[]): Uint8Array => new FixedProvider().hash('sha256', concat(...parts));
const record = (type: number, body: Uint8Array) => concat(Uint8Array.of(type, 0x03, 0x03, body.length >> 8, body.length & 0xff), body);

for (const base of testProviders) {
  describe(`${base.name} provider`, () => {
    function startClient() {
      const provider = new FixedProvider({ base, random: [sessionId, rfcClientHello.random], x25519PrivateKey: s.clientPrivateKey });
      const keyLog = new Map<string, Uint8Array>();
      const config = clientConfig({
        provider,
        minVersion: TLS13,
        maxVersion: TLS13,
        cipherSuites: rfcClientHello.cipherSuites,
        groups: [NamedGroup.x25519],
        signatureSchemes: rfcSignatureSchemes,
        // The RFC's certificate is a self-signed 1024-bit RSA certificate for "rsa", with no SAN:
        // it cannot pass for "server"; the handshake goes on without authorizing it.
        rejectUnauthorized: false,
        now: () => new Date('2019-01-15T00:00:00Z'),
        keyLog: (line) => {
          const [label, random, secret] = line.split(' ');
          assert.equal(random, toHex(rfcClientHello.random));
          keyLog.set(label!, hex(secret!));
        },
      });
      const client = new ClientConnection(config, { serverName: 'server' });
      const out = client.takeOutput();
      // One plaintext record (version 0x0301) with the ClientHello.
      assert.equal(out[0], ContentType.handshake);
      const clientHello = out.subarray(5);
      assert.equal(clientHello.length, ((out[3]! << 8) | out[4]!));
      return { client, provider, keyLog, clientHello };
    }

    /** The RFC's ServerHello with the client's legacy_session_id echoed. */
    function serverHelloFor(clientHello: Uint8Array): Uint8Array {
      const rfc = decodeHandshake(HandshakeType.server_hello, s.serverHello.subarray(4), { version: TLS13 }) as ServerHello;
      const ch = decodeHandshake(HandshakeType.client_hello, clientHello.subarray(4), { version: TLS13 }) as ClientHello;
      return encodeHandshake({ ...rfc, legacySessionId: ch.legacySessionId }, TLS13);
    }

    /** The server's first flight after ServerHello, over the client's transcript; `ee` lets a test change the EncryptedExtensions. */
    function serverFlight(clientHello: Uint8Array, ee: Uint8Array) {
      const provider = new FixedProvider({ base });
      const serverHello = serverHelloFor(clientHello);
      const helloHash = sha256(clientHello, serverHello);
      const chts = deriveSecret(provider, 'sha256', s.handshakeSecret, 'c hs traffic', helloHash);
      const shts = deriveSecret(provider, 'sha256', s.handshakeSecret, 's hs traffic', helloHash);
      const key = provider.loadPrivateKey(rsaPkcs8(rsaKey));
      const content = concat(
        new Uint8Array(64).fill(0x20), new TextEncoder().encode('TLS 1.3, server CertificateVerify'), Uint8Array.of(0),
        sha256(clientHello, serverHello, ee, s.certificate),
      );
      const signature = provider.sign(key, SignatureScheme.rsa_pss_rsae_sha256, content);
      const certificateVerify = encodeHandshake({ type: HandshakeType.certificate_verify, signatureScheme: SignatureScheme.rsa_pss_rsae_sha256, signature }, TLS13);
      const serverFinished = concat(
        Uint8Array.of(0x14, 0, 0, 32),
        finishedVerifyData(provider, 'sha256', shts, sha256(clientHello, serverHello, ee, s.certificate, certificateVerify)),
      );
      const sk = trafficKeys(provider, 'sha256', shts, 16);
      const flight = concat(ee, s.certificate, certificateVerify, serverFinished);
      const sealed = aead13Protection(provider, 'AES-128-GCM', sk.key, sk.iv).seal(ContentType.handshake, 0x0303, 0, flight);
      const transcript = [clientHello, serverHello, ee, s.certificate, certificateVerify, serverFinished];
      return { serverHello, chts, shts, transcript, bytes: concat(record(ContentType.handshake, serverHello), record(ContentType.application_data, sealed)) };
    }

    const errorOf = (events: ConnectionEvent[]) => {
      const e = events.find((x) => x.type === 'error');
      return e && e.type === 'error' ? e.error : undefined;
    };

    describe('RFC 8448 Section 3 against a ClientConnection', () => {
      it('ClientHello: the RFC\'s random, key share, suites and signature schemes; what differs is listed', () => {
        const { clientHello, provider } = startClient();
        const ch = decodeHandshake(HandshakeType.client_hello, clientHello.subarray(4), { version: TLS13 }) as ClientHello;
        assert.equal(toHex(ch.random), toHex(rfcClientHello.random));
        assert.deepEqual(ch.cipherSuites, rfcClientHello.cipherSuites);
        const ext = (hello: ClientHello, type: number) => toHex(findExtension(hello.extensions, type)?.data ?? new Uint8Array(0));
        for (const type of [ExtensionType.server_name, ExtensionType.key_share, ExtensionType.supported_versions, ExtensionType.signature_algorithms, ExtensionType.psk_key_exchange_modes]) {
          assert.equal(ext(ch, type), ext(rfcClientHello, type), `extension ${type} has the RFC's bytes`);
        }
        // The differences, all allowed by RFC 8446.
        assert.equal(toHex(ch.legacySessionId), toHex(sessionId), 'compatibility mode: a 32-byte legacy_session_id (the RFC\'s is empty)');
        assert.notEqual(ext(ch, ExtensionType.supported_groups), ext(rfcClientHello, ExtensionType.supported_groups), 'x25519 only (the RFC also lists P-256..P-521 and ffdhe2048..8192)');
        for (const type of [ExtensionType.renegotiation_info, ExtensionType.session_ticket, ExtensionType.record_size_limit]) {
          assert.equal(findExtension(ch.extensions, type), undefined, `extension ${type} is not sent by a TLS 1.3-only client`);
        }
        assert.deepEqual(provider.randomCalls, [32, 32], 'legacy_session_id, then the random');
      });

      it('the RFC\'s exact EncryptedExtensions is refused: record_size_limit was not offered (RFC 8446 Section 4.2)', () => {
        const { client, clientHello } = startClient();
        client.receive(serverFlight(clientHello, s.encryptedExtensions).bytes);
        const error = errorOf(client.process());
        assert.equal(error?.kind, 'unsupported_extension');
      });

      it('with record_size_limit left out of EncryptedExtensions, the handshake completes and every secret is the RFC\'s schedule', () => {
        const { client, clientHello, keyLog, provider } = startClient();
        const rfcEe = decodeHandshake(HandshakeType.encrypted_extensions, s.encryptedExtensions.subarray(4), { version: TLS13 }) as EncryptedExtensions;
        const ee = encodeHandshake({ ...rfcEe, extensions: rfcEe.extensions.filter((e) => e.type !== ExtensionType.record_size_limit) }, TLS13);
        const flight = serverFlight(clientHello, ee);
        client.receive(flight.bytes);
        const events = client.process();
        assert.equal(errorOf(events), undefined, errorOf(events)?.message);
        assert.deepEqual(events.filter((e) => e.type !== 'keylog').map((e) => e.type), ['handshakeDone']);
        assert.equal(client.info.protocol, 'TLSv1.3');
        assert.equal(client.info.cipherSuite?.id, 0x1301);
        assert.equal(client.info.authorized, false, 'the RFC\'s certificate is not trusted for "server"');
        assert.equal(client.info.authorizationError?.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
        assert.equal(toHex(client.info.peerCertificates[0]!.raw), toHex(s.certificate.subarray(11, 11 + 0x1b0)));

        assert.equal(toHex(keyLog.get('CLIENT_HANDSHAKE_TRAFFIC_SECRET')!), toHex(flight.chts));
        assert.equal(toHex(keyLog.get('SERVER_HANDSHAKE_TRAFFIC_SECRET')!), toHex(flight.shts));
        const th = sha256(...flight.transcript);
        const cap = deriveSecret(provider, 'sha256', s.masterSecret, 'c ap traffic', th);
        assert.equal(toHex(keyLog.get('CLIENT_TRAFFIC_SECRET_0')!), toHex(cap));
        assert.equal(toHex(keyLog.get('SERVER_TRAFFIC_SECRET_0')!), toHex(deriveSecret(provider, 'sha256', s.masterSecret, 's ap traffic', th)));
        assert.equal(toHex(keyLog.get('EXPORTER_SECRET')!), toHex(deriveSecret(provider, 'sha256', s.masterSecret, 'exp master', th)));

        // The client's answer: the compatibility ChangeCipherSpec, then its Finished under the client handshake key.
        const out = client.takeOutput();
        assert.equal(toHex(out.subarray(0, 6)), '140303000101', 'ChangeCipherSpec (compatibility mode)');
        const finishedRecord = out.subarray(6);
        const ck = trafficKeys(provider, 'sha256', flight.chts, 16);
        const opened = aead13Protection(provider, 'AES-128-GCM', ck.key, ck.iv).open(finishedRecord[0]!, 0x0303, 0, finishedRecord.subarray(5));
        assert.equal(opened.contentType, ContentType.handshake);
        assert.equal(toHex(opened.plaintext), toHex(concat(Uint8Array.of(0x14, 0, 0, 32), finishedVerifyData(provider, 'sha256', flight.chts, th))));

        // Application data under the client application key, sequence 0: the RFC's 50 bytes.
        client.write(s.applicationData);
        const data = client.takeOutput();
        const cak = trafficKeys(provider, 'sha256', cap, 16);
        const app = aead13Protection(provider, 'AES-128-GCM', cak.key, cak.iv).open(data[0]!, 0x0303, 0, data.subarray(5));
        assert.equal(toHex(app.plaintext), toHex(s.applicationData));
      });

      it('the RFC\'s own encrypted server flight does not open under the client\'s keys (different transcript)', () => {
        const { client, clientHello } = startClient();
        client.receive(concat(record(ContentType.handshake, serverHelloFor(clientHello)), s.serverFlightRecord));
        assert.equal(errorOf(client.process())?.kind, 'bad_record_mac');
      });
    });
  });
}
