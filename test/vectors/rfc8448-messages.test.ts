// RFC 8448 Section 3 (and the Section 4 ClientHello) through the wire codec and
// the record protection: every handshake message decodes (src/wire/messages.ts)
// to the fields the RFC describes and re-encodes byte for byte; every protected
// record opens (src/record/protection.ts) with the RFC's keys to the RFC's
// plaintext, and sealing that plaintext again gives the RFC's record exactly.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testProviders } from '../providers.js';
import { aead13Protection, type RecordProtection } from '../../src/record/protection.js';
import { ContentType, ExtensionType, HandshakeType, NamedGroup, SignatureScheme } from '../../src/wire/enums.js';
import {
  decodeKeyShareClient, decodeKeyShareServer, decodePreSharedKeyClient, decodePskKeyExchangeModes,
  decodeRecordSizeLimit, decodeServerName, decodeSignatureAlgorithms, decodeSupportedGroups, decodeSupportedVersionsClient,
  decodeSupportedVersionsServer, findExtension,
} from '../../src/wire/extensions.js';
import { decodeHandshake, encodeHandshake, type HandshakeMessage } from '../../src/wire/messages.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { concat, resumed, simple as s, toHex } from './rfc8448.js';

const TLS13 = 0x0304;

/** Decodes one whole message (4-byte header included) with decodeHandshake, checking the header's length. */
function decode(message: Uint8Array): HandshakeMessage {
  const length = (message[1]! << 16) | (message[2]! << 8) | message[3]!;
  assert.equal(length, message.length - 4, 'handshake header length');
  return decodeHandshake(message[0]!, message.subarray(4), { version: TLS13 });
}

/** Decodes, re-encodes, and checks the bytes are the same; returns the message. */
function roundTrip<T extends HandshakeMessage['type']>(message: Uint8Array, type: T): Extract<HandshakeMessage, { type: T }> {
  const decoded = decode(message);
  assert.equal(decoded.type, type);
  assert.equal(toHex(encodeHandshake(decoded, TLS13)), toHex(message), 're-encoded bytes');
  return decoded as Extract<HandshakeMessage, { type: T }>;
}

const extensionTypes = (exts: readonly { type: number }[]) => exts.map((e) => e.type);

for (const provider of testProviders) {
  describe(`${provider.name} provider`, () => {
    describe('RFC 8448 Section 3 messages: decodeHandshake and encodeHandshake', () => {
      it('ClientHello', () => {
        const ch = roundTrip(s.clientHello, HandshakeType.client_hello);
        assert.equal(ch.legacyVersion, 0x0303);
        assert.equal(toHex(ch.random), toHex(s.clientHello.subarray(6, 38)));
        assert.equal(ch.legacySessionId.length, 0, 'RFC 8448 sends an empty legacy_session_id');
        assert.deepEqual(ch.cipherSuites, [0x1301, 0x1303, 0x1302]);
        assert.deepEqual([...ch.legacyCompressionMethods], [0]);
        assert.deepEqual(extensionTypes(ch.extensions), [
          ExtensionType.server_name, ExtensionType.renegotiation_info, ExtensionType.supported_groups, ExtensionType.session_ticket,
          ExtensionType.key_share, ExtensionType.supported_versions, ExtensionType.signature_algorithms,
          ExtensionType.psk_key_exchange_modes, ExtensionType.record_size_limit,
        ]);
        const ext = (t: number) => findExtension(ch.extensions, t)!.data;
        assert.equal(decodeServerName(ext(ExtensionType.server_name)), 'server');
        assert.deepEqual(decodeSupportedGroups(ext(ExtensionType.supported_groups)), [0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104]);
        const shares = decodeKeyShareClient(ext(ExtensionType.key_share));
        assert.equal(shares.length, 1);
        assert.equal(shares[0]!.group, NamedGroup.x25519);
        assert.equal(toHex(shares[0]!.keyExchange), toHex(s.clientPublicKey));
        assert.deepEqual(decodeSupportedVersionsClient(ext(ExtensionType.supported_versions)), [TLS13]);
        assert.deepEqual(decodeSignatureAlgorithms(ext(ExtensionType.signature_algorithms)), [
          0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201, 0x0402, 0x0502, 0x0602, 0x0202,
        ]);
        assert.deepEqual(decodePskKeyExchangeModes(ext(ExtensionType.psk_key_exchange_modes)), [1]);
        assert.equal(decodeRecordSizeLimit(ext(ExtensionType.record_size_limit)), 0x4001);
      });

      it('ServerHello (key_share before supported_versions)', () => {
        const sh = roundTrip(s.serverHello, HandshakeType.server_hello);
        assert.equal(sh.legacyVersion, 0x0303);
        assert.equal(sh.legacySessionId.length, 0);
        assert.equal(sh.cipherSuite, 0x1301);
        assert.equal(sh.legacyCompressionMethod, 0);
        assert.deepEqual(extensionTypes(sh.extensions), [ExtensionType.key_share, ExtensionType.supported_versions]);
        const share = decodeKeyShareServer(findExtension(sh.extensions, ExtensionType.key_share)!.data);
        assert.equal(share.group, NamedGroup.x25519);
        assert.equal(toHex(share.keyExchange), toHex(s.serverPublicKey));
        assert.equal(decodeSupportedVersionsServer(findExtension(sh.extensions, ExtensionType.supported_versions)!.data), TLS13);
      });

      it('EncryptedExtensions (supported_groups, record_size_limit, server_name)', () => {
        const ee = roundTrip(s.encryptedExtensions, HandshakeType.encrypted_extensions);
        assert.deepEqual(extensionTypes(ee.extensions), [ExtensionType.supported_groups, ExtensionType.record_size_limit, ExtensionType.server_name]);
        assert.equal(findExtension(ee.extensions, ExtensionType.server_name)!.data.length, 0);
      });

      it('Certificate: one entry, the RFC\'s 1024-bit RSA certificate "rsa"', () => {
        const cert = roundTrip(s.certificate, HandshakeType.certificate);
        assert.equal(cert.certificateRequestContext.length, 0);
        assert.equal(cert.certificateList.length, 1);
        assert.equal(cert.certificateList[0]!.extensions.length, 0);
        const x509 = parseCertificate(cert.certificateList[0]!.certData);
        assert.equal(x509.notBefore.toISOString(), '2016-07-30T01:23:59.000Z');
        assert.equal(x509.notAfter.toISOString(), '2026-07-30T01:23:59.000Z');
        const key = provider.loadPublicKey(x509.subjectPublicKeyInfo);
        assert.equal(key.algorithm, 'rsa');
        assert.equal(key.bits, 1024);
      });

      it('CertificateVerify: rsa_pss_rsae_sha256, and the signature verifies over ClientHello..Certificate', () => {
        const cv = roundTrip(s.certificateVerify, HandshakeType.certificate_verify);
        assert.equal(cv.signatureScheme, SignatureScheme.rsa_pss_rsae_sha256);
        assert.equal(cv.signature.length, 128);
        const certificate = decode(s.certificate);
        assert.equal(certificate.type, HandshakeType.certificate);
        const x509 = parseCertificate((certificate as Extract<HandshakeMessage, { type: 11 }>).certificateList[0]!.certData);
        const transcriptHash = provider.hash('sha256', concat(s.clientHello, s.serverHello, s.encryptedExtensions, s.certificate));
        // RFC 8446 Section 4.4.3: 64 spaces, the context string, a zero byte, the transcript hash.
        const content = concat(
          new Uint8Array(64).fill(0x20), new TextEncoder().encode('TLS 1.3, server CertificateVerify'), Uint8Array.of(0), transcriptHash,
        );
        const key = provider.loadPublicKey(x509.subjectPublicKeyInfo);
        assert.equal(provider.verify(key, cv.signatureScheme, content, cv.signature), true);
        const tampered = content.slice();
        tampered[tampered.length - 1]! ^= 1;
        assert.equal(provider.verify(key, cv.signatureScheme, tampered, cv.signature), false);
      });

      it('server and client Finished', () => {
        const sf = roundTrip(s.serverFinished, HandshakeType.finished);
        assert.equal(toHex(sf.verifyData), toHex(s.serverFinishedVerifyData));
        const cf = roundTrip(s.clientFinished, HandshakeType.finished);
        assert.equal(toHex(cf.verifyData), toHex(s.clientFinishedVerifyData));
      });

      it('NewSessionTicket: lifetime 30 s, nonce 00 00, early_data max 1024', () => {
        const nst = roundTrip(s.newSessionTicket, HandshakeType.new_session_ticket);
        assert.equal(nst.version, 'tls13');
        if (nst.version !== 'tls13') return;
        assert.equal(nst.ticketLifetime, 30);
        assert.equal(nst.ticketAgeAdd, 0xfad6aac5);
        assert.equal(toHex(nst.ticketNonce), '0000');
        assert.equal(nst.ticket.length, 0xb2);
        assert.deepEqual(extensionTypes(nst.extensions), [ExtensionType.early_data]);
        assert.equal(toHex(nst.extensions[0]!.data), '00000400');
      });

      it('Section 4 ClientHello: pre_shared_key last, its identity the Section 3 ticket, its binder the RFC\'s', () => {
        const ch = roundTrip(resumed.clientHello, HandshakeType.client_hello);
        assert.equal(ch.extensions[ch.extensions.length - 1]!.type, ExtensionType.pre_shared_key);
        const offer = decodePreSharedKeyClient(ch.extensions[ch.extensions.length - 1]!.data);
        assert.equal(offer.identities.length, 1);
        const nst = decode(s.newSessionTicket);
        assert.equal(nst.type, HandshakeType.new_session_ticket);
        assert.equal(toHex(offer.identities[0]!.identity), toHex((nst as Extract<HandshakeMessage, { type: 4; version: 'tls13' }>).ticket));
        assert.equal(toHex(offer.binders[0]!), toHex(resumed.binder));
        assert.ok(findExtension(ch.extensions, ExtensionType.early_data));
      });

      it('every strict prefix of every message is refused (but a hello cut just before its extensions is a hello without any)', () => {
        // ClientHello: version, random, session_id<0>, cipher_suites<6>, compression<1> = 45 bytes of body;
        // ServerHello: version, random, session_id<0>, cipher_suite, compression = 38. RFC 5246 Section 7.4.1.2
        // lets a hello end there (no extensions block).
        const noExtensions: Record<number, number> = { [HandshakeType.client_hello]: 4 + 45, [HandshakeType.server_hello]: 4 + 38 };
        for (const message of [s.clientHello, s.serverHello, s.encryptedExtensions, s.certificate, s.certificateVerify, s.newSessionTicket]) {
          for (let cut = 4; cut < message.length; cut++) {
            const body = message.subarray(4, cut);
            if (cut === noExtensions[message[0]!]) {
              const hello = decodeHandshake(message[0]!, body, { version: TLS13 }) as Extract<HandshakeMessage, { type: 1 | 2 }>;
              assert.equal(hello.extensions.length, 0);
              continue;
            }
            assert.throws(() => decodeHandshake(message[0]!, body, { version: TLS13 }), `type ${message[0]} cut at ${cut}`);
          }
        }
      });
    });

    /** The 5-byte header of a record and its body. */
    function splitRecord(record: Uint8Array): { type: number; version: number; body: Uint8Array } {
      const length = (record[3]! << 8) | record[4]!;
      assert.equal(length, record.length - 5, 'record length');
      return { type: record[0]!, version: (record[1]! << 8) | record[2]!, body: record.subarray(5) };
    }

    /** Opens a record with `protection` at `seq`, checks its type and plaintext, and seals it again to the same bytes. */
    function checkRecord(protection: RecordProtection, seq: number, record: Uint8Array, contentType: number, plaintext: Uint8Array): void {
      const { type, version, body } = splitRecord(record);
      assert.equal(type, ContentType.application_data, 'outer type is application_data');
      assert.equal(version, 0x0303);
      const opened = protection.open(type, version, seq, body);
      assert.equal(opened.contentType, contentType, 'inner content type');
      assert.equal(toHex(opened.plaintext), toHex(plaintext), 'plaintext');
      assert.equal(toHex(protection.seal(contentType, version, seq, plaintext)), toHex(body), 'sealed again');
      // One flipped bit anywhere in the body fails the tag.
      for (const at of [0, body.length >> 1, body.length - 1]) {
        const bad = body.slice();
        bad[at]! ^= 0x80;
        assert.throws(() => protection.open(type, version, seq, bad), /authentication/);
      }
      // The wrong sequence number fails too.
      assert.throws(() => protection.open(type, version, seq + 1, body), /authentication/);
    }

    describe('RFC 8448 Section 3 records: aead13Protection with the RFC\'s keys', () => {
      const aes = 'AES-128-GCM' as const;
      const serverHandshake = () => aead13Protection(provider, aes, s.serverHandshakeKey, s.serverHandshakeIv);
      const clientHandshake = () => aead13Protection(provider, aes, s.clientHandshakeKey, s.clientHandshakeIv);
      const serverApplication = () => aead13Protection(provider, aes, s.serverApplicationKey, s.serverApplicationIv);
      const clientApplication = () => aead13Protection(provider, aes, s.clientApplicationKey, s.clientApplicationIv);

      it('the plaintext records: ClientHello (version 0x0301) and ServerHello', () => {
        const ch = splitRecord(s.clientHelloRecord);
        assert.equal(ch.type, ContentType.handshake);
        assert.equal(ch.version, 0x0301);
        assert.equal(toHex(ch.body), toHex(s.clientHello));
        const sh = splitRecord(s.serverHelloRecord);
        assert.equal(sh.type, ContentType.handshake);
        assert.equal(sh.version, 0x0303);
        assert.equal(toHex(sh.body), toHex(s.serverHello));
      });

      it('server handshake record 0: EncryptedExtensions, Certificate, CertificateVerify, Finished', () => {
        const flight = concat(s.encryptedExtensions, s.certificate, s.certificateVerify, s.serverFinished);
        checkRecord(serverHandshake(), 0, s.serverFlightRecord, ContentType.handshake, flight);
      });

      it('client handshake record 0: Finished', () => {
        checkRecord(clientHandshake(), 0, s.clientFinishedRecord, ContentType.handshake, s.clientFinished);
      });

      it('server application record 0: NewSessionTicket; record 1: 50 bytes of data', () => {
        checkRecord(serverApplication(), 0, s.newSessionTicketRecord, ContentType.handshake, s.newSessionTicket);
        checkRecord(serverApplication(), 1, s.serverApplicationDataRecord, ContentType.application_data, s.applicationData);
      });

      it('client application record 0: 50 bytes of data', () => {
        checkRecord(clientApplication(), 0, s.clientApplicationDataRecord, ContentType.application_data, s.applicationData);
      });

      it('a record under the other direction\'s key does not open', () => {
        const { type, version, body } = splitRecord(s.clientFinishedRecord);
        assert.throws(() => serverHandshake().open(type, version, 0, body), /authentication/);
      });
    });
  });
}
