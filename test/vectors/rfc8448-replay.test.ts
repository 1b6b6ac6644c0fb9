// RFC 8448 Section 3 replayed through a real ServerConnection: the RFC's exact
// ClientHello record goes in; the server's random, its x25519 key and its
// ticket_age_add are pinned to the RFC's (FixedProvider); its certificate and
// RSA key are the RFC's.
//
// What comes out cannot be the RFC's bytes from the ServerHello on, for reasons
// that are choices, not faults (RFC 8446 leaves them to the implementation):
//   - ServerHello: typetls writes supported_versions before key_share; the RFC's
//     server wrote key_share first. Every other byte is the RFC's (checked below
//     by putting the extensions in the RFC's order). From here on the transcript,
//     and so every traffic secret, differs from the RFC's.
//   - EncryptedExtensions: typetls answers only server_name; the RFC's server also
//     sent supported_groups and record_size_limit (typetls has no record_size_limit).
//   - CertificateVerify: RSA-PSS draws a random salt inside OpenSSL.
//   - NewSessionTicket: typetls's nonce is one byte, its ticket is its own sealed
//     state, and it sends no early_data extension.
// So the checks are: every byte that can match matches, and every secret the
// server logs is what the RFC's key schedule gives over the server's own
// transcript, starting from the RFC's shared secret (the handshake secret is the
// RFC's). Then a client Finished built from those secrets is accepted, which
// proves the transcript and the schedule end to end; and the RFC's own client
// Finished record is refused, as it must be.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serverConfig, type ServerConfig } from '../../src/config.js';
import { ServerConnection, type ConnectionEvent } from '../../src/connection.js';
import { deriveSecret, finishedVerifyData, trafficKeys } from '../../src/keys/tls13.js';
import { aead13Protection } from '../../src/record/protection.js';
import { ContentType, ExtensionType, HandshakeType, NamedGroup, SignatureScheme } from '../../src/wire/enums.js';
import { decodeHandshake, encodeHandshake, type HandshakeMessage, type ServerHello } from '../../src/wire/messages.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { FixedProvider, rsaPkcs8 } from './fixed-provider.js';
import { testProviders } from '../providers.js';
import { concat, hex, rsaKey, simple as s, toHex } from './rfc8448.js';

const TLS13 = 0x0304;
const serverRandom = s.serverHello.subarray(6, 38);
const clientRandom = s.clientHello.subarray(6, 38);
/** ticket_age_add of the RFC's NewSessionTicket (bytes 8..11 of the message). */
const ticketAgeAdd = s.newSessionTicket.subarray(8, 12);

interface Replay {
  readonly server: ServerConnection;
  readonly provider: FixedProvider;
  readonly keyLog: Map<string, Uint8Array>;
  readonly events: ConnectionEvent[];
}

for (const base of testProviders) {
  describe(`${base.name} provider`, () => {
    function startServer(): Replay {
      const provider = new FixedProvider({ base, random: [serverRandom, ticketAgeAdd], x25519PrivateKey: s.serverPrivateKey });
      const certificate = decodeHandshake(HandshakeType.certificate, s.certificate.subarray(4), { version: TLS13 });
      assert.equal(certificate.type, HandshakeType.certificate);
      const chain = certificate.certificateList.map((e) => parseCertificate(e.certData));
      const keyLog = new Map<string, Uint8Array>();
      const config: ServerConfig = serverConfig({
        provider,
        certificates: [{ chain, key: provider.loadPrivateKey(rsaPkcs8(rsaKey)) }],
        cipherSuites: [0x1301],
        groups: [NamedGroup.x25519],
        // Inside the certificate's validity (2016-07-30 to 2026-07-30); RFC 8448 was published in January 2019.
        now: () => new Date('2019-01-15T00:00:00Z'),
        // The RFC's ticket lifetime.
        sessionTimeout: 30,
        ticketKeys: [new Uint8Array(48).fill(7)],
        keyLog: (line) => {
          const [label, random, secret] = line.split(' ');
          assert.equal(random, toHex(clientRandom), `${label}: key log line names the RFC's client random`);
          keyLog.set(label!, hex(secret!));
        },
      });
      const server = new ServerConnection(config);
      return { server, provider, keyLog, events: [] };
    }

    /** Splits bytes into records: [type, version, body]. */
    function records(bytes: Uint8Array): { type: number; version: number; body: Uint8Array; raw: Uint8Array }[] {
      const out = [];
      let at = 0;
      while (at < bytes.length) {
        const length = (bytes[at + 3]! << 8) | bytes[at + 4]!;
        out.push({
          type: bytes[at]!,
          version: (bytes[at + 1]! << 8) | bytes[at + 2]!,
          body: bytes.subarray(at + 5, at + 5 + length),
          raw: bytes.subarray(at, at + 5 + length),
        });
        at += 5 + length;
      }
      assert.equal(at, bytes.length, 'output ends on a record boundary');
      return out;
    }

    /** Splits a handshake byte stream into whole messages (header included). */
    function messages(bytes: Uint8Array): Uint8Array[] {
      const out = [];
      let at = 0;
      while (at < bytes.length) {
        const length = (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
        out.push(bytes.subarray(at, at + 4 + length));
        at += 4 + length;
      }
      assert.equal(at, bytes.length);
      return out;
    }

    const decode = (message: Uint8Array): HandshakeMessage => decodeHandshake(message[0]!, message.subarray(4), { version: TLS13 });
    const sha256 = (...parts: Uint8Array[]): Uint8Array => new FixedProvider().hash('sha256', concat(...parts));
    const record = (type: number, body: Uint8Array) => concat(Uint8Array.of(type, 0x03, 0x03, body.length >> 8, body.length & 0xff), body);

    /** Runs the server up to its first flight; returns everything the checks need. */
    function serverFlight() {
      const replay = startServer();
      const { server, keyLog, provider } = replay;
      server.receive(s.clientHelloRecord);
      const events = server.process();
      const error = events.find((e) => e.type === 'error');
      assert.equal(error, undefined, error?.type === 'error' ? `${error.error.code}: ${error.error.message}` : '');
      const out = records(server.takeOutput());

      // Record 0: the ServerHello in the clear. No ChangeCipherSpec: the ClientHello's legacy_session_id is empty.
      assert.equal(out[0]!.type, ContentType.handshake);
      assert.equal(out[0]!.version, 0x0303);
      const serverHello = out[0]!.body;
      assert.equal(out.length, 2, 'ServerHello, then one protected record with the rest of the flight');

      // The handshake traffic secrets: the RFC's handshake secret over this server's transcript.
      const helloHash = sha256(s.clientHello, serverHello);
      const chts = deriveSecret(provider, 'sha256', s.handshakeSecret, 'c hs traffic', helloHash);
      const shts = deriveSecret(provider, 'sha256', s.handshakeSecret, 's hs traffic', helloHash);

      // Record 1: EncryptedExtensions..Finished under the server handshake key.
      const sk = trafficKeys(provider, 'sha256', keyLog.get('SERVER_HANDSHAKE_TRAFFIC_SECRET') ?? shts, 16);
      const opened = aead13Protection(provider, 'AES-128-GCM', sk.key, sk.iv).open(out[1]!.type, out[1]!.version, 0, out[1]!.body);
      assert.equal(opened.contentType, ContentType.handshake);
      const flight = messages(opened.plaintext);
      return { ...replay, serverHello, helloHash, chts, shts, flight, flightRecord: out[1]! };
    }

    describe('RFC 8448 Section 3 replayed through a ServerConnection', () => {
      it('the server loads the RFC\'s 1024-bit RSA key and certificate', () => {
        const { provider } = startServer();
        const key = provider.loadPrivateKey(rsaPkcs8(rsaKey));
        assert.equal(key.bits, 1024);
        assert.equal(key.algorithm, 'rsa');
      });

      it('ServerHello: the RFC\'s bytes once its two extensions are in the RFC\'s order', () => {
        const { serverHello, provider } = serverFlight();
        const ours = decode(serverHello) as ServerHello;
        const rfc = decode(s.serverHello) as ServerHello;
        assert.equal(toHex(ours.random), toHex(serverRandom), 'server random from the script');
        assert.equal(ours.cipherSuite, 0x1301);
        assert.equal(ours.legacySessionId.length, 0, 'echoes the empty legacy_session_id');
        // The one difference: the order of the two extensions.
        assert.deepEqual(ours.extensions.map((e) => e.type), [ExtensionType.supported_versions, ExtensionType.key_share]);
        assert.deepEqual(rfc.extensions.map((e) => e.type), [ExtensionType.key_share, ExtensionType.supported_versions]);
        const reordered: ServerHello = { ...ours, extensions: [ours.extensions[1]!, ours.extensions[0]!] };
        assert.equal(toHex(encodeHandshake(reordered, TLS13)), toHex(s.serverHello), 'every other byte is the RFC\'s');
        // Everything the fixed provider was asked for came from the script, in order: the random, then nothing else yet.
        assert.deepEqual(provider.randomCalls, [32]);
      });

      it('handshake traffic secrets: the RFC\'s handshake secret over ClientHello and this ServerHello', () => {
        const { keyLog, chts, shts } = serverFlight();
        assert.equal(toHex(keyLog.get('CLIENT_HANDSHAKE_TRAFFIC_SECRET')!), toHex(chts));
        assert.equal(toHex(keyLog.get('SERVER_HANDSHAKE_TRAFFIC_SECRET')!), toHex(shts));
      });

      it('EncryptedExtensions, Certificate (the RFC\'s bytes), CertificateVerify (verifies), Finished (right value)', () => {
        const { flight, serverHello, shts, provider } = serverFlight();
        assert.deepEqual(flight.map((m) => m[0]), [
          HandshakeType.encrypted_extensions, HandshakeType.certificate, HandshakeType.certificate_verify, HandshakeType.finished,
        ]);
        const [ee, certificate, certificateVerify, finished] = flight as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];

        // EncryptedExtensions: the empty server_name (the client sent SNI "server") and record_size_limit 0x4001
        // (the client sent one; RFC 8449); no supported_groups, which the RFC's server also sent.
        assert.equal(toHex(ee), '0800000c' + '000a' + '0000' + '0000' + '001c' + '0002' + '4001');
        const eeMessage = decode(ee);
        assert.equal(eeMessage.type, HandshakeType.encrypted_extensions);
        assert.deepEqual(eeMessage.extensions.map((e) => ({ type: e.type, length: e.data.length })), [
          { type: ExtensionType.server_name, length: 0 },
          { type: ExtensionType.record_size_limit, length: 2 },
        ]);

        assert.equal(toHex(certificate), toHex(s.certificate), 'Certificate is the RFC\'s, byte for byte');

        const cv = decode(certificateVerify);
        assert.equal(cv.type, HandshakeType.certificate_verify);
        assert.equal(cv.signatureScheme, SignatureScheme.rsa_pss_rsae_sha256, 'the RFC\'s scheme');
        assert.equal(cv.signature.length, 128);
        const x509 = parseCertificate((decode(s.certificate) as Extract<HandshakeMessage, { type: 11 }>).certificateList[0]!.certData);
        const content = concat(
          new Uint8Array(64).fill(0x20), new TextEncoder().encode('TLS 1.3, server CertificateVerify'), Uint8Array.of(0),
          sha256(s.clientHello, serverHello, ee, certificate),
        );
        assert.equal(provider.verify(provider.loadPublicKey(x509.subjectPublicKeyInfo), cv.signatureScheme, content, cv.signature), true);

        const expected = finishedVerifyData(provider, 'sha256', shts, sha256(s.clientHello, serverHello, ee, certificate, certificateVerify));
        assert.equal(toHex(finished), toHex(concat(Uint8Array.of(0x14, 0, 0, 32), expected)));
      });

      it('a client Finished from the RFC\'s key schedule is accepted; application secrets, ticket and data follow', () => {
        const { server, keyLog, provider, serverHello, flight, chts } = serverFlight();
        const th = sha256(s.clientHello, serverHello, ...flight);
        // The application secrets: the RFC's master secret over this transcript.
        assert.equal(toHex(keyLog.get('CLIENT_TRAFFIC_SECRET_0')!), toHex(deriveSecret(provider, 'sha256', s.masterSecret, 'c ap traffic', th)));
        assert.equal(toHex(keyLog.get('SERVER_TRAFFIC_SECRET_0')!), toHex(deriveSecret(provider, 'sha256', s.masterSecret, 's ap traffic', th)));
        assert.equal(toHex(keyLog.get('EXPORTER_SECRET')!), toHex(deriveSecret(provider, 'sha256', s.masterSecret, 'exp master', th)));

        // The client's Finished, sealed as the RFC's client seals it (client handshake key, sequence 0).
        const clientFinished = concat(Uint8Array.of(0x14, 0, 0, 32), finishedVerifyData(provider, 'sha256', chts, th));
        const ck = trafficKeys(provider, 'sha256', chts, 16);
        const sealed = aead13Protection(provider, 'AES-128-GCM', ck.key, ck.iv).seal(ContentType.handshake, 0x0303, 0, clientFinished);
        server.receive(record(ContentType.application_data, sealed));
        const events = server.process();
        assert.deepEqual(events.filter((e) => e.type !== 'keylog').map((e) => e.type), ['handshakeDone']);
        assert.equal(server.handshakeComplete, true);
        assert.equal(server.info.protocol, 'TLSv1.3');
        assert.equal(server.info.cipherSuite?.id, 0x1301);
        assert.equal(server.info.group, NamedGroup.x25519);
        assert.equal(server.info.serverName, 'server');

        // The NewSessionTicket under the server application key: the RFC's lifetime and age_add (scripted).
        const sap = deriveSecret(provider, 'sha256', s.masterSecret, 's ap traffic', th);
        const sk = trafficKeys(provider, 'sha256', sap, 16);
        const serverApp = aead13Protection(provider, 'AES-128-GCM', sk.key, sk.iv);
        const out = records(server.takeOutput());
        assert.equal(out.length, 1);
        const ticketRecord = serverApp.open(out[0]!.type, out[0]!.version, 0, out[0]!.body);
        assert.equal(ticketRecord.contentType, ContentType.handshake);
        const nst = decode(ticketRecord.plaintext);
        assert.equal(nst.type, HandshakeType.new_session_ticket);
        if (nst.type !== HandshakeType.new_session_ticket || nst.version !== 'tls13') throw new Error('not a TLS 1.3 ticket');
        assert.equal(nst.ticketLifetime, 30);
        assert.equal(nst.ticketAgeAdd, 0xfad6aac5);
        assert.equal(toHex(nst.ticketNonce), '00', 'typetls\'s nonce is one byte (the RFC\'s is 00 00)');
        assert.deepEqual(provider.randomCalls.slice(0, 2), [32, 4], 'server random, then ticket_age_add, from the script');
        assert.equal(provider.scriptLeft, 0);

        // Application data both ways: the RFC's 50 bytes, under the RFC's schedule over this transcript.
        const cap = deriveSecret(provider, 'sha256', s.masterSecret, 'c ap traffic', th);
        const cak = trafficKeys(provider, 'sha256', cap, 16);
        const clientApp = aead13Protection(provider, 'AES-128-GCM', cak.key, cak.iv);
        server.receive(record(ContentType.application_data, clientApp.seal(ContentType.application_data, 0x0303, 0, s.applicationData)));
        const data = server.process().filter((e) => e.type === 'data');
        assert.equal(data.length, 1);
        assert.equal(toHex(data[0]!.type === 'data' ? data[0]!.data : new Uint8Array(0)), toHex(s.applicationData));
        server.write(s.applicationData);
        const reply = records(server.takeOutput());
        assert.equal(reply.length, 1);
        const opened = serverApp.open(reply[0]!.type, reply[0]!.version, 1, reply[0]!.body);
        assert.equal(opened.contentType, ContentType.application_data);
        assert.equal(toHex(opened.plaintext), toHex(s.applicationData));
        // The RFC's server record 1 carries the same 50 bytes; it differs only by the keys.
        assert.equal(reply[0]!.raw.length, s.serverApplicationDataRecord.length);
      });

      it('the RFC\'s own client Finished record is refused (bad_record_mac): the transcript differs from the ServerHello on', () => {
        const { server } = serverFlight();
        server.receive(s.clientFinishedRecord);
        const events = server.process();
        const error = events.find((e) => e.type === 'error');
        assert.ok(error && error.type === 'error');
        assert.equal(error.error.kind, 'bad_record_mac');
        assert.equal(server.handshakeComplete, false);
      });

      it('a client Finished with one wrong bit is refused with decrypt_error', () => {
        const { server, provider, serverHello, flight, chts } = serverFlight();
        const verifyData = finishedVerifyData(provider, 'sha256', chts, sha256(s.clientHello, serverHello, ...flight));
        verifyData[0]! ^= 1;
        const ck = trafficKeys(provider, 'sha256', chts, 16);
        const sealed = aead13Protection(provider, 'AES-128-GCM', ck.key, ck.iv).seal(
          ContentType.handshake, 0x0303, 0, concat(Uint8Array.of(0x14, 0, 0, 32), verifyData),
        );
        server.receive(record(ContentType.application_data, sealed));
        const error = server.process().find((e) => e.type === 'error');
        assert.ok(error && error.type === 'error');
        assert.equal(error.error.kind, 'decrypt_error');
      });
    });
  });
}
