// node:tls ALPNCallback, TLSSocket.setKeyCert() and the SNI a client sends, side by side with
// node:tls: each case runs with a node:tls server and then a typetls server (both versions), a
// node:tls client connecting; what the callback saw, the protocol both sides agreed on, the
// certificate the client received and the errors each side reported must be node's. Then the same
// client options from a node:tls and a typetls client to a node:tls server: the SNI it receives.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as nodeTls from 'node:tls';
import type { AddressInfo } from 'node:net';

import * as tls from '../src/node/api.js';
import { makeTestPki, type TestPki } from './certs/make.js';

let pki: TestPki;
const read = (f: string): string => readFileSync(f, 'utf8');

before(async () => {
  pki = await makeTestPki();
});

type Lib = typeof nodeTls;
type Choice = string | undefined | 'throw' | 'ecdsa';

interface Outcome {
  callback?: { servername: string | false; protocols: string[]; thisIsSocket: boolean };
  serverProtocol?: string | false | null;
  clientProtocol?: string | false | null;
  clientCertificate?: string;
  clientCipher?: string;
  serverError?: string;
  clientError?: string;
}

/** One connection to `lib`'s server whose ALPNCallback answers `choice` ('ecdsa': 'b' after setKeyCert(ECDSA)). */
async function alpnCase(lib: Lib, choice: Choice, maxVersion: 'TLSv1.2' | 'TLSv1.3', servername?: string): Promise<Outcome> {
  const outcome: Outcome = {};
  const server = lib.createServer({
    key: read(pki.rsaKey), cert: read(pki.rsaCert), maxVersion,
    ALPNCallback(this: nodeTls.TLSSocket, offer: { servername: string | false; protocols: string[] }): string | undefined {
      outcome.callback = { ...offer, thisIsSocket: this instanceof lib.TLSSocket };
      if (choice === 'throw') throw new Error('the callback failed');
      if (choice === 'ecdsa') {
        this.setKeyCert({ key: read(pki.ecdsaKey), cert: read(pki.ecdsaCert) });
        return 'b';
      }
      return choice;
    },
  } as nodeTls.TlsOptions, (socket) => {
    outcome.serverProtocol = socket.alpnProtocol;
    socket.end();
  });
  server.on('tlsClientError', (e: NodeJS.ErrnoException) => (outcome.serverError = String(e.code ?? e.message)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    const client = nodeTls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['a', 'b'], ...(servername ? { servername } : {}) }, () => {
      outcome.clientProtocol = client.alpnProtocol;
      const fingerprint = client.getPeerX509Certificate()?.fingerprint256;
      outcome.clientCertificate = fingerprint === new X509Certificate(read(pki.ecdsaCert)).fingerprint256 ? 'ECDSA' : fingerprint === new X509Certificate(read(pki.rsaCert)).fingerprint256 ? 'RSA' : String(fingerprint);
      outcome.clientCipher = client.getCipher().name;
    });
    client.on('error', (e: NodeJS.ErrnoException) => (outcome.clientError = String(e.code)));
    client.on('close', () => resolve());
    client.resume();
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  for (let i = 0; i < 100 && outcome.serverProtocol === undefined && outcome.serverError === undefined && outcome.clientError === undefined; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return outcome;
}

for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
  for (const [name, choice, servername] of [
    ['picks the client\'s second protocol', 'b', undefined],
    ['sees the SNI name', 'a', 'localhost'],
    ['refuses every protocol: no_application_protocol', undefined, undefined],
    ['answers a protocol the client did not offer', 'c', undefined],
    ['throws', 'throw', undefined],
    ['chooses the ECDSA certificate with setKeyCert()', 'ecdsa', undefined],
  ] as [string, Choice, string | undefined][]) {
    test(`ALPNCallback ${name} (${maxVersion}), as node:tls`, async () => {
      const expected = await alpnCase(nodeTls, choice, maxVersion, servername);
      const actual = await alpnCase(tls as unknown as Lib, choice, maxVersion, servername);
      assert.ok(expected.callback, 'node:tls called its ALPNCallback');
      if (choice === 'ecdsa' && maxVersion === 'TLSv1.2') {
        // node's OpenSSL chooses a TLS 1.2 suite, and so the certificate's key type, before the
        // ALPN callback runs: its setKeyCert() there has no effect. typetls uses the certificate
        // the callback chose, with a suite for its key (README, "Use it like node:tls").
        assert.deepEqual({ ...actual, clientCertificate: 'RSA', clientCipher: 'ECDHE-RSA-AES128-GCM-SHA256' }, expected);
        assert.equal(actual.clientCipher, 'ECDHE-ECDSA-AES128-GCM-SHA256');
      } else {
        assert.deepEqual(actual, expected);
      }
      if (choice === 'ecdsa') assert.equal(actual.clientCertificate, 'ECDSA');
    });
  }
}

test('ALPNCallback and ALPNProtocols together: ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS, as node:tls', () => {
  for (const lib of [nodeTls, tls as unknown as Lib]) {
    assert.throws(
      () => lib.createServer({ ALPNCallback: () => 'a', ALPNProtocols: ['b'] } as nodeTls.TlsOptions),
      { code: 'ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS', name: 'TypeError' },
    );
    assert.throws(
      () => new lib.TLSSocket(null as never, { isServer: true, ALPNCallback: 5 } as never),
      { code: 'ERR_INVALID_ARG_TYPE' },
    );
  }
});

/** The server name a node:tls server receives from `lib`'s client given `options`. */
async function sniSent(lib: Lib, options: nodeTls.ConnectionOptions): Promise<string | false | undefined> {
  let seen: string | false | undefined;
  const server = nodeTls.createServer({ key: read(pki.rsaKey), cert: read(pki.rsaCert) }, (socket) => {
    seen = (socket as nodeTls.TLSSocket & { servername: string | false }).servername;
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    const client = lib.connect({ port, rejectUnauthorized: false, ...options });
    client.on('error', () => {});
    client.on('close', () => resolve());
    client.resume();
    client.on('secureConnect', () => client.end());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return seen;
}

test('the client sends SNI only for a servername (or setServername()), never the host alone, as node:tls', async () => {
  for (const options of [{}, { host: 'localhost' }, { host: '127.0.0.1' }, { host: 'localhost', servername: 'example.test' }] as nodeTls.ConnectionOptions[]) {
    const expected = await sniSent(nodeTls, options);
    assert.equal(await sniSent(tls as unknown as Lib, options), expected, JSON.stringify(options));
  }
  assert.equal(await sniSent(nodeTls, { host: 'localhost', servername: 'example.test' }), 'example.test');
  assert.equal(await sniSent(nodeTls, { host: 'localhost' }), false);
});
