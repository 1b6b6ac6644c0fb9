import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testProviders } from '../../test/providers.js';
import { extendedMasterSecret, keyBlock, masterSecret, prf, prf10, verifyData } from './prf.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

for (const provider of testProviders) {
  describe(`${provider.name} provider`, () => {
    // The TLS 1.2 PRF vectors posted to the IETF TLS list ("test vectors for TLS 1.2
    // PRF", https://www.ietf.org/mail-archive/web/tls/current/msg03416.html), used by
    // GnuTLS, Botan and others; also reproduced with `openssl kdf ... TLS1-PRF`.
    describe('prf (TLS 1.2, RFC 5246 Section 5)', () => {
      it('matches the published P_SHA256 vector (100 bytes)', () => {
        const out = prf(provider, 'sha256', hex('9bbe436ba940f017b17652849a71db35'), 'test label', hex('a0ba9f936cda311827a6f796ffd5198c'), 100);
        assert.equal(
          toHex(out),
          'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af' +
            '0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
        );
      });

      it('matches the published P_SHA384 vector (148 bytes)', () => {
        const out = prf(provider, 'sha384', hex('b80b733d6ceefcdc71566ea48e5567df'), 'test label', hex('cd665cf6a8447dd6ff8b27555edb7465'), 148);
        assert.equal(
          toHex(out),
          '7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0' +
            'e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425' +
            '9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d5eaa3be85e0990703d73e56f',
        );
      });

      it('gives a prefix of the longer output for a shorter length (P_hash is a stream)', () => {
        const secret = hex('9bbe436ba940f017b17652849a71db35');
        const seed = hex('a0ba9f936cda311827a6f796ffd5198c');
        const long = prf(provider, 'sha256', secret, 'test label', seed, 100);
        for (const n of [0, 1, 31, 32, 33, 64, 65]) {
          assert.deepEqual(prf(provider, 'sha256', secret, 'test label', seed, n), long.subarray(0, n));
        }
      });
    });

    // Pre-master secret and randoms of the first vector of Go's crypto/tls prf_test.go
    // (generated with GnuTLS); TLS 1.2 values computed with OpenSSL 3:
    //   openssl kdf -keylen 48 -kdfopt digest:SHA256 -kdfopt hexsecret:<pms>
    //     -kdfopt hexseed:<hex("master secret")><client random><server random> TLS1-PRF
    const pms = hex('0302cac83ad4b1db3b9ab49ad05957de2a504a634a386fc600889321e1a971f57479466830ac3e6f468e87f5385fa0c5');
    const clientRandom = hex('4ae66303755184a3917fcb44880605fcc53baa01912b22ed94473fc69cebd558');
    const serverRandom = hex('4ae663020ec16e6bb5130be918cfcafd4d765979a3136a5d50c593446e4e44db');
    const ms12 = '43f9b59968c9b0f9e69b4f642632dc0bd8d0054ac6ac22777b2d135e0404203b63fd37bb345b4bd3082b0d938a9257ec';

    describe('TLS 1.2 key schedule', () => {
      it('masterSecret: PRF(pms, "master secret", client_random + server_random)[0..47]', () => {
        assert.equal(toHex(masterSecret(provider, 'sha256', pms, clientRandom, serverRandom)), ms12);
      });

      it('extendedMasterSecret: PRF(pms, "extended master secret", session_hash)[0..47] (RFC 7627 Section 4)', () => {
        // session_hash stands in as the client random here; the value is from openssl kdf with SHA384.
        assert.equal(
          toHex(extendedMasterSecret(provider, 'sha384', pms, clientRandom)),
          '31b9d40f5f59ecc07db88c5bdcf0c0d526ab697a9514a0d3f0fa137dcc2df915861d3ae48a4b94ae50bb643399654115',
        );
      });

      it('keyBlock: PRF(ms, "key expansion", server_random + client_random) split in RFC 5246 Section 6.3 order', () => {
        const block = '4353062048268cea7ad87cdb9657764a00eb48df78945850c35013458ceb89d122eaa1b18d51a2cd';
        const kb = keyBlock(provider, 'sha256', hex(ms12), clientRandom, serverRandom, { macKey: 0, key: 16, iv: 4 });
        assert.equal(kb.clientWriteMacKey.length, 0);
        assert.equal(kb.serverWriteMacKey.length, 0);
        assert.equal(toHex(kb.clientWriteKey), block.slice(0, 32));
        assert.equal(toHex(kb.serverWriteKey), block.slice(32, 64));
        assert.equal(toHex(kb.clientWriteIv), block.slice(64, 72));
        assert.equal(toHex(kb.serverWriteIv), block.slice(72, 80));
      });

      it('verifyData: 12 bytes of PRF(ms, finished_label, handshake hash)', () => {
        // openssl kdf -keylen 12 -kdfopt digest:SHA256 with seed hex("client finished") + the client random as the hash.
        const vd = verifyData(provider, 'sha256', hex(ms12), 'client finished', clientRandom);
        assert.equal(toHex(vd), '3acf043b4c0328c0e83ddd83');
        assert.notDeepEqual(verifyData(provider, 'sha256', hex(ms12), 'server finished', clientRandom), vd);
      });
    });

    describe('prf10 (TLS 1.0/1.1, RFC 2246 Section 5)', () => {
      it('matches openssl kdf with digest MD5-SHA1 (even-length secret)', () => {
        const out = prf10(provider, hex('9bbe436ba940f017b17652849a71db35'), 'test label', hex('a0ba9f936cda311827a6f796ffd5198c'), 100);
        assert.equal(
          toHex(out),
          '661740e6f98bc901efd2738502a71c03f76dd2f86298549b1148eff06714cf0f6b7c532cd8c69f1530e0bb680eec34c495fa75a8' +
            'bfcc9c335484c0d3d194ab6e32975903c50ebcdbe9d67c0591bdbd80dddcc36d33ccd58adf96caae173f48dc40f983e2',
        );
      });

      it('matches openssl kdf with digest MD5-SHA1 (odd-length secret: the halves share the middle byte)', () => {
        const out = prf10(provider, hex('9bbe436ba940f017b17652849a71db3511'), 'test label', hex('a0ba9f936cda311827a6f796ffd5198c'), 37);
        assert.equal(toHex(out), 'fc350fd4e2158470b9f06cf868fbab6ee52e5f49b55cfec7930de2514bdfdd24ca457df47d');
      });

      // Go crypto/tls prf_test.go testKeysFromTests (TLS 1.0, generated from GnuTLS).
      const goVectors = [
        {
          pms: '0302cac83ad4b1db3b9ab49ad05957de2a504a634a386fc600889321e1a971f57479466830ac3e6f468e87f5385fa0c5',
          clientRandom: '4ae66303755184a3917fcb44880605fcc53baa01912b22ed94473fc69cebd558',
          serverRandom: '4ae663020ec16e6bb5130be918cfcafd4d765979a3136a5d50c593446e4e44db',
          masterSecret: '3d851bab6e5556e959a16bc36d66cfae32f672bfa9ecdef6096cbb1b23472df1da63dbbd9827606413221d149ed08ceb',
          clientMac: '805aaa19b3d2c0a0759a4b6c9959890e08480119',
          serverMac: '2d22f9fe519c075c16448305ceee209fc24ad109',
          clientKey: 'd50b5771244f850cd8117a9ccafe2cf1',
          serverKey: 'e076e33206b30507a85c32855acd0919',
        },
        {
          pms: '03023f7527316bc12cbcd69e4b9e8275d62c028f27e65c745cfcddc7ce01bd3570a111378b63848127f1c36e5f9e4890',
          clientRandom: '4ae66364b5ea56b20ce4e25555aed2d7e67f42788dd03f3fee4adae0459ab106',
          serverRandom: '4ae66363ab815cbf6a248b87d6b556184e945e9b97fbdf247858b0bdafacfa1c',
          masterSecret: '7d64be7c80c59b740200b4b9c26d0baaa1c5ae56705acbcf2307fe62beb4728c19392c83f20483801cce022c77645460',
          clientMac: '97742ed60a0554ca13f04f97ee193177b971e3b0',
          serverMac: '37068751700400e03a8477a5c7eec0813ab9e0dc',
          clientKey: '207cddbc600d2a200abac6502053ee5c',
          serverKey: 'df3f94f6e1eacc753b815fe16055cd43',
        },
      ];
      for (const [i, v] of goVectors.entries()) {
        it(`derives the master secret and keys of Go's TLS 1.0 vector #${i}`, () => {
          const cr = hex(v.clientRandom);
          const sr = hex(v.serverRandom);
          const ms = prf10(provider, hex(v.pms), 'master secret', Buffer.concat([cr, sr]), 48);
          assert.equal(toHex(ms), v.masterSecret);
          const block = prf10(provider, ms, 'key expansion', Buffer.concat([sr, cr]), 2 * (20 + 16));
          assert.equal(toHex(block.subarray(0, 20)), v.clientMac);
          assert.equal(toHex(block.subarray(20, 40)), v.serverMac);
          assert.equal(toHex(block.subarray(40, 56)), v.clientKey);
          assert.equal(toHex(block.subarray(56, 72)), v.serverKey);
        });
      }
    });
  });
}
