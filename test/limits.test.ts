// The limits of ClientConfig/ServerConfig: what a peer may make us hold.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { clientConfig, serverConfig } from '../src/config.js';
import { ClientConnection, ServerConnection } from '../src/connection.js';
import { nodeCryptoProvider } from '../src/crypto/node.js';
import { Pair, testKeys, type TestKeys } from './pair.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

describe('limits', () => {
  it('a certificate chain longer than maxChainLength is bad_certificate', () => {
    const long = { chain: [...k.rsa.chain, ...Array(3).fill(k.roots[0]!)], key: k.rsa.key };
    const client = clientConfig({ provider: nodeCryptoProvider, roots: k.roots, limits: { maxChainLength: 3 } });
    const server = serverConfig({ provider: nodeCryptoProvider, certificates: [long] });
    const pair = new Pair(new ClientConnection(client, { serverName: 'localhost' }), new ServerConnection(server));
    pair.run();
    assert.equal(pair.client.error?.kind, 'bad_certificate');
    assert.equal(pair.server.error?.code, 'ERR_TLS_ALERT_BAD_CERTIFICATE');
  });

  it('a Certificate message over maxCertificateMessage is decode_error', () => {
    const client = clientConfig({ provider: nodeCryptoProvider, roots: k.roots, limits: { maxCertificateMessage: 500 } });
    const server = serverConfig({ provider: nodeCryptoProvider, certificates: [k.rsa] });
    const pair = new Pair(new ClientConnection(client, { serverName: 'localhost' }), new ServerConnection(server));
    pair.run();
    assert.equal(pair.client.error?.kind, 'decode_error');
    assert.match(pair.client.error!.message, /over the limit/);
  });

  it('a ClientHello over maxHandshakeMessage is decode_error', () => {
    const client = clientConfig({ provider: nodeCryptoProvider, roots: k.roots });
    const server = serverConfig({ provider: nodeCryptoProvider, certificates: [k.rsa], limits: { maxHandshakeMessage: 256 } });
    const pair = new Pair(new ClientConnection(client, { serverName: 'localhost' }), new ServerConnection(server));
    pair.run();
    assert.equal(pair.server.error?.kind, 'decode_error');
    assert.equal(pair.client.error?.code, 'ERR_TLS_ALERT_DECODE_ERROR');
  });
});
