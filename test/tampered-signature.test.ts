// A CertificateVerify or ServerKeyExchange whose signature does not verify: decrypt_error, in both versions.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { CryptoProvider } from '../src/crypto/provider.js';
import { nodeCryptoProvider } from '../src/crypto/node.js';
import { ProtocolVersion } from '../src/wire/enums.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

/** The node provider, except that every signature it makes has its last byte flipped. */
const tampering: CryptoProvider = new Proxy(nodeCryptoProvider, {
  get(target, prop) {
    if (prop === 'sign') {
      return (...args: Parameters<CryptoProvider['sign']>) => {
        const sig = target.sign(...args).slice();
        sig[sig.length - 1]! ^= 1;
        return sig;
      };
    }
    const value = Reflect.get(target, prop, target) as unknown;
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
  },
});

describe('tampered signatures', () => {
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version}: a client CertificateVerify that does not verify is decrypt_error`, () => {
      const v = ProtocolVersion[version];
      const pair = Pair.create(
        makeClientConfig(k, { maxVersion: v, certificates: [k.client], provider: tampering }),
        makeServerConfig(k, { maxVersion: v, requestCert: true }),
      );
      pair.run();
      assert.equal(pair.server.error?.kind, 'decrypt_error');
      assert.match(pair.server.error!.message, /CertificateVerify/);
      assert.equal(pair.client.error?.code, 'ERR_TLS_ALERT_DECRYPT_ERROR');
    });

    it(`${version}: a server signature (${version === 'TLSv1.2' ? 'ServerKeyExchange' : 'CertificateVerify'}) that does not verify is decrypt_error`, () => {
      const v = ProtocolVersion[version];
      const pair = Pair.create(makeClientConfig(k, { maxVersion: v }), makeServerConfig(k, { maxVersion: v, provider: tampering }));
      pair.run();
      assert.equal(pair.client.error?.kind, 'decrypt_error');
      assert.equal(pair.server.error?.code, 'ERR_TLS_ALERT_DECRYPT_ERROR');
    });
  }
});
