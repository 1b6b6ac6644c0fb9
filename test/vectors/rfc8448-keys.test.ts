// The TLS 1.3 key schedule (src/keys/tls13.ts) against every secret, key and IV
// of RFC 8448 Section 3 (Simple 1-RTT Handshake) and the resumption part of
// Section 4 (Resumed 0-RTT Handshake). Transcript hashes are computed from the
// RFC's own messages, so the messages are checked at the same time.

import assert from 'node:assert/strict';
import { createHash, createPublicKey, diffieHellman } from 'node:crypto';
import { describe, it } from 'node:test';
import { testProviders } from '../providers.js';
import {
  deriveSecret, earlySecret, emptyHash, finishedKey, finishedVerifyData, handshakeSecret, masterSecret, resumptionPsk, trafficKeys,
} from '../../src/keys/tls13.js';
import { FixedProvider, rsaPkcs8, x25519PrivateKey, x25519PublicKey } from './fixed-provider.js';
import { concat, resumed, rsaKey, simple, toHex } from './rfc8448.js';

const sha256 = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(createHash('sha256').update(concat(...parts)).digest());
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
const eq = (actual: Uint8Array, expected: Uint8Array, what: string) => assert.equal(toHex(actual), toHex(expected), what);

for (const provider of testProviders) {
  describe(`${provider.name} provider`, () => {
    describe('RFC 8448 Section 3: Simple 1-RTT key schedule', () => {
      const s = simple;

      it('x25519: both key pairs and the shared secret, directly and through the fixed provider', () => {
        const client = x25519PrivateKey(s.clientPrivateKey);
        const server = x25519PrivateKey(s.serverPrivateKey);
        eq(x25519PublicKey(client), s.clientPublicKey, 'client public key');
        eq(x25519PublicKey(server), s.serverPublicKey, 'server public key');
        const shared = new Uint8Array(diffieHellman({ privateKey: client, publicKey: createPublicKey(server) }));
        eq(shared, s.sharedSecret, 'x25519 shared secret (client side)');
        const clientProvider = new FixedProvider({ base: provider, x25519PrivateKey: s.clientPrivateKey });
        const share = clientProvider.generateKeyShare(0x001d);
        eq(share.publicKey, s.clientPublicKey, 'fixed provider client share');
        eq(share.agree(s.serverPublicKey), s.sharedSecret, 'fixed provider client agreement');
        const accepted = new FixedProvider({ base: provider, x25519PrivateKey: s.serverPrivateKey }).acceptKeyShare(0x001d, s.clientPublicKey);
        eq(accepted.publicKey, s.serverPublicKey, 'fixed provider server share');
        eq(accepted.sharedSecret, s.sharedSecret, 'fixed provider server agreement');
      });

      it('the Section 2 RSA key is consistent (n = p q, CRT values) and loads through the provider', () => {
        const big = (b: Uint8Array) => BigInt('0x' + toHex(b));
        const [n, e, d, p, q] = [rsaKey.modulus, rsaKey.publicExponent, rsaKey.privateExponent, rsaKey.prime1, rsaKey.prime2].map(big);
        assert.equal(p! * q!, n);
        assert.equal(big(rsaKey.exponent1), d! % (p! - 1n));
        assert.equal(big(rsaKey.exponent2), d! % (q! - 1n));
        assert.equal((big(rsaKey.coefficient) * q!) % p!, 1n);
        assert.equal((e! * d!) % ((p! - 1n) * (q! - 1n) / gcd(p! - 1n, q! - 1n)), 1n);
        const key = provider.loadPrivateKey(rsaPkcs8(rsaKey));
        assert.equal(key.algorithm, 'rsa');
        assert.equal(key.bits, 1024);
      });

      it('early secret and "derived" for the handshake secret', () => {
        eq(emptyHash(provider, 'sha256'), s.emptyHash, 'Hash("")');
        eq(earlySecret(provider, 'sha256'), s.earlySecret, 'early secret');
        eq(deriveSecret(provider, 'sha256', s.earlySecret, 'derived', s.emptyHash), s.derivedForHandshake, 'derived');
      });

      it('handshake secret and handshake traffic secrets over ClientHello..ServerHello', () => {
        eq(handshakeSecret(provider, 'sha256', s.earlySecret, s.sharedSecret), s.handshakeSecret, 'handshake secret');
        eq(sha256(s.clientHello, s.serverHello), s.helloHash, 'Hash(ClientHello, ServerHello)');
        eq(deriveSecret(provider, 'sha256', s.handshakeSecret, 'c hs traffic', s.helloHash), s.clientHandshakeTrafficSecret, 'c hs traffic');
        eq(deriveSecret(provider, 'sha256', s.handshakeSecret, 's hs traffic', s.helloHash), s.serverHandshakeTrafficSecret, 's hs traffic');
      });

      it('handshake traffic keys and IVs, both directions', () => {
        const server = trafficKeys(provider, 'sha256', s.serverHandshakeTrafficSecret, 16);
        eq(server.key, s.serverHandshakeKey, 'server handshake key');
        eq(server.iv, s.serverHandshakeIv, 'server handshake iv');
        const client = trafficKeys(provider, 'sha256', s.clientHandshakeTrafficSecret, 16);
        eq(client.key, s.clientHandshakeKey, 'client handshake key');
        eq(client.iv, s.clientHandshakeIv, 'client handshake iv');
      });

      it('master secret', () => {
        eq(deriveSecret(provider, 'sha256', s.handshakeSecret, 'derived', s.emptyHash), s.derivedForMaster, 'derived');
        eq(masterSecret(provider, 'sha256', s.handshakeSecret), s.masterSecret, 'master secret');
      });

      it('server Finished over ClientHello..CertificateVerify', () => {
        eq(finishedKey(provider, 'sha256', s.serverHandshakeTrafficSecret), s.serverFinishedKey, 'server finished_key');
        const th = sha256(s.clientHello, s.serverHello, s.encryptedExtensions, s.certificate, s.certificateVerify);
        const verifyData = finishedVerifyData(provider, 'sha256', s.serverHandshakeTrafficSecret, th);
        eq(verifyData, s.serverFinishedVerifyData, 'server verify_data');
        eq(concat(Uint8Array.of(0x14, 0, 0, 32), verifyData), s.serverFinished, 'server Finished message');
      });

      it('application traffic secrets, exporter master secret, keys and IVs over ClientHello..server Finished', () => {
        const th = sha256(s.clientHello, s.serverHello, s.encryptedExtensions, s.certificate, s.certificateVerify, s.serverFinished);
        eq(th, s.serverFinishedHash, 'Hash(ClientHello..server Finished)');
        eq(deriveSecret(provider, 'sha256', s.masterSecret, 'c ap traffic', th), s.clientApplicationTrafficSecret, 'c ap traffic');
        eq(deriveSecret(provider, 'sha256', s.masterSecret, 's ap traffic', th), s.serverApplicationTrafficSecret, 's ap traffic');
        eq(deriveSecret(provider, 'sha256', s.masterSecret, 'exp master', th), s.exporterMasterSecret, 'exp master');
        const server = trafficKeys(provider, 'sha256', s.serverApplicationTrafficSecret, 16);
        eq(server.key, s.serverApplicationKey, 'server application key');
        eq(server.iv, s.serverApplicationIv, 'server application iv');
        const client = trafficKeys(provider, 'sha256', s.clientApplicationTrafficSecret, 16);
        eq(client.key, s.clientApplicationKey, 'client application key');
        eq(client.iv, s.clientApplicationIv, 'client application iv');
      });

      it('client Finished over ClientHello..server Finished', () => {
        eq(finishedKey(provider, 'sha256', s.clientHandshakeTrafficSecret), s.clientFinishedKey, 'client finished_key');
        const verifyData = finishedVerifyData(provider, 'sha256', s.clientHandshakeTrafficSecret, s.serverFinishedHash);
        eq(verifyData, s.clientFinishedVerifyData, 'client verify_data');
        eq(concat(Uint8Array.of(0x14, 0, 0, 32), verifyData), s.clientFinished, 'client Finished message');
      });

      it('resumption master secret over ClientHello..client Finished', () => {
        const th = sha256(s.clientHello, s.serverHello, s.encryptedExtensions, s.certificate, s.certificateVerify, s.serverFinished, s.clientFinished);
        eq(th, s.clientFinishedHash, 'Hash(ClientHello..client Finished)');
        eq(deriveSecret(provider, 'sha256', s.masterSecret, 'res master', th), s.resumptionMasterSecret, 'res master');
      });
    });

    describe('RFC 8448 Section 4: Resumed 0-RTT key schedule', () => {
      const r = resumed;

      it('the PSK from Section 3\'s resumption master secret and the ticket nonce', () => {
        eq(resumptionPsk(provider, 'sha256', simple.resumptionMasterSecret, r.ticketNonce), r.psk, 'PSK');
        // The nonce is the one the Section 3 NewSessionTicket carries: lifetime(4) age_add(4) nonce<1>.
        eq(simple.newSessionTicket.subarray(13, 15), r.ticketNonce, 'ticket_nonce in the NewSessionTicket');
      });

      it('early secret and binder key', () => {
        eq(earlySecret(provider, 'sha256', r.psk), r.earlySecret, 'early secret');
        eq(deriveSecret(provider, 'sha256', r.earlySecret, 'res binder', emptyHash(provider, 'sha256')), r.binderKey, 'res binder');
      });

      it('the PSK binder over the ClientHello prefix', () => {
        const prefix = r.clientHello.subarray(0, r.clientHelloPrefixLength);
        eq(sha256(prefix), r.binderHash, 'binder hash');
        eq(finishedKey(provider, 'sha256', r.binderKey), r.binderFinishedKey, 'binder finished_key');
        const binder = finishedVerifyData(provider, 'sha256', r.binderKey, r.binderHash);
        eq(binder, r.binder, 'binder');
        // The binders list that follows the prefix: u16 length 0x21, u8 length 0x20, the binder.
        eq(r.clientHello.subarray(r.clientHelloPrefixLength), concat(Uint8Array.of(0x00, 0x21, 0x20), binder), 'binders in the ClientHello');
      });

      it('client early traffic secret and early exporter master secret over the whole ClientHello', () => {
        eq(sha256(r.clientHello), r.clientHelloHash, 'Hash(ClientHello)');
        eq(deriveSecret(provider, 'sha256', r.earlySecret, 'c e traffic', r.clientHelloHash), r.clientEarlyTrafficSecret, 'c e traffic');
        eq(deriveSecret(provider, 'sha256', r.earlySecret, 'e exp master', r.clientHelloHash), r.earlyExporterMasterSecret, 'e exp master');
      });

      it('x25519 key pair of the resumed handshake', () => {
        eq(x25519PublicKey(x25519PrivateKey(r.clientPrivateKey)), r.clientPublicKey, 'client public key');
      });
    });
  });
}
