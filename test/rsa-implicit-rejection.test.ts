// RSA key exchange, implicit rejection (issue 7.4; RFC 5246 Section 7.4.7.1): a ClientKeyExchange
// whose PKCS#1 block is malformed, whose message M is not exactly 48 bytes, whose client_version is
// wrong, or that is well formed but holds another pre-master secret must all go the same way: the
// server decrypts and goes on with 48 random bytes in their place, says nothing at ClientKeyExchange
// or ChangeCipherSpec, and fails at the client's Finished, which it cannot open (bad_record_mac),
// with byte-identical output. The Finished sent is computed, with the transcript the server holds,
// from the 48 bytes at the end of the block — the secret a server that skipped a check would have
// used — so a server that let any flaw through would finish the handshake instead. The control
// shows that reconstruction right: a well-formed block with the right version finishes. (test/
// hostile.test.ts has the earlier cases: block type 1, no separator, version 3.1, another secret
// and a ciphertext above the modulus, against the real client's Finished.)

import assert from 'node:assert/strict';
import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { nodeCryptoProvider } from '../src/crypto/node.js';
import { extendedMasterSecret, verifyData } from '../src/keys/prf.js';
import { suiteByName, type CipherSuite } from '../src/suites.js';
import { AlertDescription, HandshakeType } from '../src/wire/enums.js';
import { concatBytes, splitRecords, toHex } from './fuzz/mutator.js';
import { makeClientConfig, makeServerConfig, testKeys, type TestKeys } from './pair.js';
import { assertPlainFatal, cbcSessionKeys, CT, Flow, handshake, handshakeMessages, record, sessionKeys, TLS12, Victim } from './victim.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

const SUITES: readonly CipherSuite[] = [suiteByName('AES128-GCM-SHA256')!, suiteByName('AES128-SHA256')!];
/** The test server's RSA key is 2048 bits. */
const MODULUS = 256;

/**
 * EM = first || blockType || PS || 0x00 || M (RFC 8017 Section 7.2.1 with RFC 5246's M =
 * client_version || random[46]). PS is non-zero filler, as long as the rest leaves; `separator`
 * false leaves the zero out (PS runs into M), `zeroInPadding` puts one inside PS.
 */
function encodeBlock(m: Uint8Array, o: { first?: number; blockType?: number; separator?: boolean; zeroInPadding?: number } = {}): Uint8Array {
  const em = new Uint8Array(MODULUS).fill(0x5a);
  em[0] = o.first ?? 0;
  em[1] = o.blockType ?? 2;
  em.set(m, MODULUS - m.length);
  if (o.separator !== false) em[MODULUS - m.length - 1] = 0;
  if (o.zeroInPadding !== undefined) em[2 + o.zeroInPadding] = 0;
  return em;
}

/** M with `version` and `length` bytes in all (48 when well formed). */
function secret(version: number, length = 48): Uint8Array {
  const m = new Uint8Array(randomBytes(length));
  m[0] = version >> 8;
  m[1] = version & 0xff;
  return m;
}

interface Variant {
  readonly name: string;
  readonly em: () => Uint8Array;
  /** The well-formed block with another secret goes with the real client's Finished (from the real secret). */
  readonly realFinished?: true;
}

const VARIANTS: readonly Variant[] = [
  // Malformed PKCS#1 padding.
  { name: 'malformed padding: first byte 1', em: () => encodeBlock(secret(TLS12), { first: 1 }) },
  { name: 'malformed padding: block type 1', em: () => encodeBlock(secret(TLS12), { blockType: 1 }) },
  { name: 'malformed padding: no zero after the padding string', em: () => encodeBlock(secret(TLS12), { separator: false }) },
  { name: 'malformed padding: a zero 5 bytes into the padding string (PS under 8 bytes)', em: () => encodeBlock(secret(TLS12), { zeroInPadding: 5 }) },
  // Well-formed PKCS#1, M of the wrong length.
  { name: 'wrong length: M of 47 bytes', em: () => encodeBlock(secret(TLS12, 47)) },
  { name: 'wrong length: M of 49 bytes', em: () => encodeBlock(secret(TLS12, 49)) },
  {
    // Only the length is wrong: the last 48 bytes are a secret with the right version.
    name: 'wrong length: M of 49 bytes whose last 48 are a right-version secret',
    em: () => encodeBlock(concatBytes([Uint8Array.of(0x01), secret(TLS12)])),
  },
  { name: 'wrong length: M of 0 bytes (the zero is the last byte)', em: () => encodeBlock(new Uint8Array(0)) },
  // Well-formed, 48 bytes, client_version not the one in ClientHello.
  { name: 'wrong client_version inside: 3.1', em: () => encodeBlock(secret(0x0301)) },
  { name: 'wrong client_version inside: 3.4', em: () => encodeBlock(secret(0x0304)) },
  { name: 'wrong client_version inside: 3.2', em: () => encodeBlock(secret(0x0302)) },
  { name: 'wrong client_version inside: 2.3', em: () => encodeBlock(secret(0x0203)) },
  // Well-formed in every way, but not the client's secret.
  { name: 'well formed, another pre-master secret', em: () => encodeBlock(secret(TLS12)), realFinished: true },
];

function rsaEncryptRaw(em: Uint8Array): Uint8Array {
  const pub = createPublicKey({ key: Buffer.from(k.rsa.chain[0]!.subjectPublicKeyInfo), format: 'der', type: 'spki' });
  return new Uint8Array(publicEncrypt({ key: pub, padding: constants.RSA_NO_PADDING }, em));
}

/**
 * The server in ExpectClientKeyExchange after a real ClientHello and server flight; the forged
 * ClientKeyExchange for `em`; and the client Finished the last 48 bytes of `em` give under the
 * server's transcript (extended master secret, RFC 7627 Section 4, as both sides negotiate).
 */
function forge(suite: CipherSuite, em: Uint8Array) {
  const f = new Flow(
    makeClientConfig(k, { maxVersion: TLS12, cipherSuites: [suite.id] }),
    makeServerConfig(k, { maxVersion: TLS12, issueTickets: false }),
  ).helloToServer().serverFlightToClient();
  const [realCke, ccs, realFinished, ...more] = splitRecords(f.clientFlight);
  assert.equal(more.length, 0);
  assert.equal(handshakeMessages(realCke!)[0]![0], HandshakeType.client_key_exchange);
  const cke = handshake(HandshakeType.client_key_exchange, [MODULUS >> 8, MODULUS & 0xff, ...rsaEncryptRaw(em)]);
  const clientRandom = handshakeMessages(f.clientHello)[0]!.slice(4 + 2, 4 + 2 + 32);
  const transcript = [...handshakeMessages(f.clientHello), ...handshakeMessages(f.serverFlight), cke];
  const sessionHash = nodeCryptoProvider.hash(suite.hash, concatBytes(transcript));
  const master = extendedMasterSecret(nodeCryptoProvider, suite.hash, em.slice(MODULUS - 48), sessionHash);
  const line = `CLIENT_RANDOM ${toHex(clientRandom)} ${toHex(master)}`;
  const write = suite.cipher.kind === 'aead' ? sessionKeys(suite, line, f.serverRandom).client(0) : cbcSessionKeys(suite, line, f.serverRandom, true).client(0);
  const finished = handshake(HandshakeType.finished, verifyData(nodeCryptoProvider, suite.hash, master, 'client finished', nodeCryptoProvider.hash(suite.hash, concatBytes(transcript))));
  return { f, cke: record(CT.handshake, cke), ccs: ccs!, ourFinished: write.seal(CT.handshake, finished), realFinished: realFinished! };
}

for (const suite of SUITES) {
  describe(`RSA implicit rejection: TLS 1.2 ${suite.openSslName}`, () => {
    it('control: a well-formed block with the right version and the Finished from its secret finishes the handshake', () => {
      const { f, cke, ccs, ourFinished } = forge(suite, encodeBlock(secret(TLS12)));
      const v = new Victim(f.server);
      assert.equal(v.feed(cke).length, 0);
      assert.equal(v.feed(ccs).length, 0);
      const answer = v.feed(ourFinished);
      assert.equal(v.conn.error, undefined, `control refused: ${v.conn.error?.code} ${v.conn.error?.message}`);
      assert.ok(v.conn.handshakeComplete);
      assert.deepEqual(splitRecords(answer).map((r) => r[0]), [CT.change_cipher_spec, CT.handshake], 'ChangeCipherSpec and Finished');
    });

    const answers = new Map<string, string>();
    for (const variant of VARIANTS) {
      it(`${variant.name}: nothing at ClientKeyExchange or ChangeCipherSpec, then bad_record_mac at Finished, ERR_TLS_BAD_RECORD_MAC`, () => {
        const { f, cke, ccs, ourFinished, realFinished } = forge(suite, variant.em());
        const v = new Victim(f.server);
        // RFC 5246 Section 7.4.7.1: decryption "succeeds" and the handshake goes on ...
        assert.equal(v.feed(cke).length, 0, 'nothing sent at ClientKeyExchange');
        assert.equal(v.conn.error, undefined, `no failure at ClientKeyExchange: ${v.conn.error?.code}`);
        assert.equal(v.feed(ccs).length, 0, 'nothing sent at ChangeCipherSpec');
        assert.equal(v.conn.error, undefined, 'no failure at ChangeCipherSpec');
        // ... and fails where every wrong key fails: the Finished record does not open.
        const out = v.feed(variant.realFinished ? realFinished : ourFinished);
        assertPlainFatal(`RSA implicit rejection: ${variant.name}`, v, out, 'bad_record_mac', AlertDescription.bad_record_mac);
        answers.set(variant.name, `${toHex(out)} ${v.conn.error!.message}`);
      });
    }

    it('every kind of flaw gives byte-identical output and the same error message', () => {
      assert.equal(answers.size, VARIANTS.length, 'every variant ran');
      assert.equal(new Set(answers.values()).size, 1, `answers differ: ${JSON.stringify([...answers])}`);
    });
  });
}
