import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { testProviders } from '../../test/providers.js';
import {
  deriveSecret, earlySecret, emptyHash, exportKeyingMaterial, finishedKey, finishedVerifyData, handshakeSecret, hkdfExpand,
  hkdfExpandLabel, hkdfExtract, KeySchedule, masterSecret, nextTrafficSecret, resumptionPsk, SCHEDULE_INPUT, trafficKeys,
} from './tls13.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const h = (s: string): string => s.replace(/\s+/g, '');

for (const provider of testProviders) {
  describe(`${provider.name} provider`, () => {
    describe('HKDF (RFC 5869)', () => {
      it('Appendix A.1, test case 1 (SHA-256)', () => {
        const prk = hkdfExtract(provider, 'sha256', hex('000102030405060708090a0b0c'), new Uint8Array(22).fill(0x0b));
        assert.equal(toHex(prk), '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
        const okm = hkdfExpand(provider, 'sha256', prk, hex('f0f1f2f3f4f5f6f7f8f9'), 42);
        assert.equal(toHex(okm), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
      });

      it('an empty salt is Hash.length zeros', () => {
        const ikm = hex('0102');
        assert.deepEqual(hkdfExtract(provider, 'sha384', new Uint8Array(0), ikm), new Uint8Array(createHmac('sha384', Buffer.alloc(48)).update(ikm).digest()));
      });

      it('refuses more than 255 * Hash.length bytes', () => {
        assert.throws(() => hkdfExpand(provider, 'sha256', new Uint8Array(32), new Uint8Array(0), 255 * 32 + 1), RangeError);
        assert.equal(hkdfExpand(provider, 'sha256', new Uint8Array(32), new Uint8Array(0), 255 * 32).length, 255 * 32);
      });
    });

    // RFC 8448 Section 3, "Simple 1-RTT Handshake" (TLS_AES_128_GCM_SHA256, x25519).
    describe('TLS 1.3 key schedule (RFC 8448 Section 3)', () => {
      const early = '33 ad 0a 1c 60 7e c0 3b 09 e6 cd 98 93 68 0c e2 10 ad f3 00 aa 1f 26 60 e1 b2 2e 10 f1 70 f9 2a';
      const shared = '8b d4 05 4f b5 5b 9d 63 fd fb ac f9 f0 4b 9f 0d 35 e6 d6 3f 53 75 63 ef d4 62 72 90 0f 89 49 2d';
      const handshake = '1d c8 26 e9 36 06 aa 6f dc 0a ad c1 2f 74 1b 01 04 6a a6 b9 9f 69 1e d2 21 a9 f0 ca 04 3f be ac';
      const master = '18 df 06 84 3d 13 a0 8b f2 a4 49 84 4c 5f 8a 47 80 01 bc 4d 4c 62 79 84 d5 a4 1d a8 d0 40 29 19';
      const helloHash = '86 0c 06 ed c0 78 58 ee 8e 78 f0 e7 42 8c 58 ed d6 b4 3f 2c a3 e6 e9 5f 02 ed 06 3c f0 e1 ca d8';
      const clientHs = 'b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21';
      const serverHs = 'b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38';
      const serverFinishedHash = '96 08 10 2a 0f 1c cc 6d b6 25 0b 7b 7e 41 7b 1a 00 0e aa da 3d aa e4 77 7a 76 86 c9 ff 83 df 13';
      const clientAp = '9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5';
      const serverAp = 'a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43';

      it('Early Secret with no PSK, and Derive-Secret(., "derived", "")', () => {
        assert.equal(toHex(earlySecret(provider, 'sha256')), h(early));
        assert.equal(
          toHex(deriveSecret(provider, 'sha256', hex(early), 'derived', emptyHash(provider, 'sha256'))),
          h('6f 26 15 a1 08 c7 02 c5 67 8f 54 fc 9d ba b6 97 16 c0 76 18 9c 48 25 0c eb ea c3 57 6c 36 11 ba'),
        );
      });

      it('HKDF-Expand-Label builds the RFC 8448 HkdfLabel', () => {
        // "derived" with the empty hash: info 00 20 0d "tls13 derived" 20 <hash>
        const info = hex('00 20 0d 74 6c 73 31 33 20 64 65 72 69 76 65 64 20 e3 b0 c4 42 98 fc 1c 14 9a fb f4 c8 99 6f b9 24 27 ae 41 e4 64 9b 93 4c a4 95 99 1b 78 52 b8 55');
        assert.deepEqual(
          hkdfExpandLabel(provider, 'sha256', hex(early), 'derived', emptyHash(provider, 'sha256'), 32),
          hkdfExpand(provider, 'sha256', hex(early), info, 32),
        );
        // "key" with no context: info 00 10 09 "tls13 key" 00
        assert.deepEqual(
          hkdfExpandLabel(provider, 'sha256', hex(serverHs), 'key', new Uint8Array(0), 16),
          hkdfExpand(provider, 'sha256', hex(serverHs), hex('00 10 09 74 6c 73 31 33 20 6b 65 79 00'), 16),
        );
      });

      it('Handshake Secret, traffic secrets and Master Secret', () => {
        assert.equal(toHex(handshakeSecret(provider, 'sha256', hex(early), hex(shared))), h(handshake));
        assert.equal(toHex(deriveSecret(provider, 'sha256', hex(handshake), 'c hs traffic', hex(helloHash))), h(clientHs));
        assert.equal(toHex(deriveSecret(provider, 'sha256', hex(handshake), 's hs traffic', hex(helloHash))), h(serverHs));
        assert.equal(toHex(masterSecret(provider, 'sha256', hex(handshake))), h(master));
        assert.equal(toHex(deriveSecret(provider, 'sha256', hex(master), 'c ap traffic', hex(serverFinishedHash))), h(clientAp));
        assert.equal(toHex(deriveSecret(provider, 'sha256', hex(master), 's ap traffic', hex(serverFinishedHash))), h(serverAp));
        assert.equal(
          toHex(deriveSecret(provider, 'sha256', hex(master), 'exp master', hex(serverFinishedHash))),
          h('fe 22 f8 81 17 6e da 18 eb 8f 44 52 9e 67 92 c5 0c 9a 3f 89 45 2f 68 d8 ae 31 1b 43 09 d3 cf 50'),
        );
      });

      it('traffic keys and IVs', () => {
        const sHs = trafficKeys(provider, 'sha256', hex(serverHs), 16);
        assert.equal(toHex(sHs.key), h('3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc'));
        assert.equal(toHex(sHs.iv), h('5d 31 3e b2 67 12 76 ee 13 00 0b 30'));
        const cHs = trafficKeys(provider, 'sha256', hex(clientHs), 16);
        assert.equal(toHex(cHs.key), h('db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01'));
        assert.equal(toHex(cHs.iv), h('5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f'));
        const sAp = trafficKeys(provider, 'sha256', hex(serverAp), 16);
        assert.equal(toHex(sAp.key), h('9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56'));
        assert.equal(toHex(sAp.iv), h('cf 78 2b 88 dd 83 54 9a ad f1 e9 84'));
        const cAp = trafficKeys(provider, 'sha256', hex(clientAp), 16);
        assert.equal(toHex(cAp.key), h('17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51'));
        assert.equal(toHex(cAp.iv), h('5b 78 92 3d ee 08 57 90 33 e5 23 d9'));
      });

      it('finished keys, and verify_data = HMAC(finished_key, transcript hash)', () => {
        assert.equal(
          toHex(finishedKey(provider, 'sha256', hex(serverHs))),
          h('00 8d 3b 66 f8 16 ea 55 9f 96 b5 37 e8 85 c3 1f c0 68 bf 49 2c 65 2f 01 f2 88 a1 d8 cd c1 9f c8'),
        );
        const clientFinishedKey = 'b8 0a d0 10 15 fb 2f 0b d6 5f f7 d4 da 5d 6b f8 3f 84 82 1d 1f 87 fd c7 d3 c7 5b 5a 7b 42 d9 c4';
        assert.equal(toHex(finishedKey(provider, 'sha256', hex(clientHs))), h(clientFinishedKey));
        // The client's Finished covers the messages through the server Finished (RFC 8448: a8 ec 43 6d ...).
        assert.equal(
          toHex(finishedVerifyData(provider, 'sha256', hex(clientHs), hex(serverFinishedHash))),
          h('a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1 1a 03 9e c1 76 94 fa c6 e9 85 27 b6 42 f2 ed d5 ce 61'),
        );
      });

      it('resumption master secret, the ticket PSK and the resumed Early Secret (RFC 8448 Sections 3 and 4)', () => {
        const resumptionHash = '20 91 45 a9 6e e8 e2 a1 22 ff 81 00 47 cc 95 26 84 65 8d 60 49 e8 64 29 42 6d b8 7c 54 ad 14 3d';
        const rms = deriveSecret(provider, 'sha256', hex(master), 'res master', hex(resumptionHash));
        assert.equal(toHex(rms), h('7d f2 35 f2 03 1d 2a 05 12 87 d0 2b 02 41 b0 bf da f8 6c c8 56 23 1f 2d 5a ba 46 c4 34 ec 19 6c'));
        const psk = resumptionPsk(provider, 'sha256', rms, hex('0000'));
        assert.equal(toHex(psk), h('4e cd 0e b6 ec 3b 4d 87 f5 d6 02 8f 92 2c a4 c5 85 1a 27 7f d4 13 11 c9 e6 2d 2c 94 92 e1 c4 f3'));
        assert.equal(
          toHex(earlySecret(provider, 'sha256', psk)),
          h('9b 21 88 e9 b2 fc 6d 64 d7 1d c3 29 90 0e 20 bb 41 91 50 00 f6 78 aa 83 9c bb 79 7c b7 d8 33 2c'),
        );
      });

      it('KeySchedule: the whole RFC 8448 schedule in two runs, each step keyed by the input or an earlier step', () => {
        const none = new Uint8Array(0);
        const k = new KeySchedule('sha256');
        const e = k.hmac(SCHEDULE_INPUT, new Uint8Array(32));
        const derived = k.expandLabel(e, 'derived', emptyHash(provider, 'sha256'), 32);
        const hs = k.hmac(derived, hex(shared));
        const c = k.expandLabel(hs, 'c hs traffic', hex(helloHash), 32);
        const s = k.expandLabel(hs, 's hs traffic', hex(helloHash), 32);
        const sKey = k.expandLabel(s, 'key', none, 16);
        const sIv = k.expandLabel(s, 'iv', none, 12);
        const cFinished = k.expandLabel(c, 'finished', none, 32);
        const verify = k.hmac(cFinished, hex(serverFinishedHash));
        const out = k.run(provider, new Uint8Array(32));
        assert.equal(toHex(out[e]!), h(early));
        assert.equal(toHex(out[hs]!), h(handshake));
        assert.equal(toHex(out[c]!), h(clientHs));
        assert.equal(toHex(out[s]!), h(serverHs));
        assert.equal(toHex(out[sKey]!), h('3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc'));
        assert.equal(toHex(out[sIv]!), h('5d 31 3e b2 67 12 76 ee 13 00 0b 30'));
        assert.equal(toHex(out[cFinished]!), h('b8 0a d0 10 15 fb 2f 0b d6 5f f7 d4 da 5d 6b f8 3f 84 82 1d 1f 87 fd c7 d3 c7 5b 5a 7b 42 d9 c4'));
        assert.equal(toHex(out[verify]!), h('a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1 1a 03 9e c1 76 94 fa c6 e9 85 27 b6 42 f2 ed d5 ce 61'));
        const a = new KeySchedule('sha256');
        const d2 = a.expandLabel(SCHEDULE_INPUT, 'derived', emptyHash(provider, 'sha256'), 32);
        const m = a.hmac(d2, new Uint8Array(32));
        const cAp = a.expandLabel(m, 'c ap traffic', hex(serverFinishedHash), 32);
        const cApKey = a.expandLabel(cAp, 'key', none, 16);
        const app = a.run(provider, hex(handshake));
        assert.equal(toHex(app[m]!), h(master));
        assert.equal(toHex(app[cAp]!), h(clientAp));
        assert.equal(toHex(app[cApKey]!), h('17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51'));
      });

      it('KeySchedule refuses a step keyed by a later one, more than a block, and a schedule begun over another', () => {
        const k = new KeySchedule('sha256');
        assert.throws(() => k.expandLabel(0, 'derived', new Uint8Array(0), 32), RangeError);
        assert.throws(() => k.expandLabel(SCHEDULE_INPUT, 'key', new Uint8Array(0), 33), RangeError);
        const first = new KeySchedule('sha256');
        first.hmac(SCHEDULE_INPUT, new Uint8Array(32));
        const second = new KeySchedule('sha256');
        assert.throws(() => first.run(provider, new Uint8Array(32)), RangeError);
        second.hmac(SCHEDULE_INPUT, new Uint8Array(32));
        assert.equal(second.run(provider, new Uint8Array(32))[0]!.length, 32);
      });

      // Only for a provider that runs the schedule itself (the Node provider with its addon).
      if (provider.keySchedule !== undefined) it('the provider\'s keySchedule checks the program it is given', () => {
        const run = (program: number[], length: number): void => provider.keySchedule!('sha256', new Uint8Array(32), Uint8Array.from(program), new Uint8Array(length));
        run([1, 0xff, 0, 1, 7], 32);
        assert.throws(() => run([1, 0xff, 0, 2, 7], 32), RangeError); // cut short
        assert.throws(() => run([1, 0, 0, 1, 7], 32), RangeError); // keyed by a step not yet run
        assert.throws(() => run([0, 0xff, 0, 2, 0, 33], 33), RangeError); // more than one block
        assert.throws(() => run([1, 0xff, 0, 1, 7], 33), RangeError); // output not filled
        assert.throws(() => run([2, 0xff, 0, 1, 7], 32), RangeError); // unknown step
      });

      it('KeyUpdate: the next traffic secret is HKDF-Expand-Label(secret, "traffic upd", "", Hash.length)', () => {
        const next = nextTrafficSecret(provider, 'sha256', hex(clientAp));
        assert.deepEqual(next, hkdfExpand(provider, 'sha256', hex(clientAp), hex('0020 11 746c73313320 7472616666696320757064 00'), 32));
        assert.notDeepEqual(next, hex(clientAp));
      });

      it('exporter: HKDF-Expand-Label(Derive-Secret(secret, label, ""), "exporter", Hash(context), length) (RFC 8446 Section 7.5)', () => {
        const exporterMaster = hex('fe 22 f8 81 17 6e da 18 eb 8f 44 52 9e 67 92 c5 0c 9a 3f 89 45 2f 68 d8 ae 31 1b 43 09 d3 cf 50');
        const context = new TextEncoder().encode('context');
        const out = exportKeyingMaterial(provider, 'sha256', exporterMaster, 'EXPORTER-test', context, 20);
        const empty = new Uint8Array(createHash('sha256').digest());
        const secret = hkdfExpand(provider, 'sha256', exporterMaster, new Uint8Array([0, 32, 19, ...Buffer.from('tls13 EXPORTER-test'), 32, ...empty]), 32);
        const contextHash = new Uint8Array(createHash('sha256').update(context).digest());
        const info = new Uint8Array([0, 20, 14, ...Buffer.from('tls13 exporter'), 32, ...contextHash]);
        assert.deepEqual(out, hkdfExpand(provider, 'sha256', secret, info, 20));
      });
    });
  });
}
