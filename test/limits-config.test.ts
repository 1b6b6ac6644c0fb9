// The caps of ClientConfig/ServerConfig `limits` beside the message sizes: their defaults, their
// validation, and that the engine reads each one from the config (a lower value cuts the peer off
// sooner). What a hostile peer gets at the default caps is in test/hostile13-engine.test.ts.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { clientConfig, defaultLimits, serverConfig, type Limits } from '../src/config.js';
import { ClientConnection, ServerConnection } from '../src/connection.js';
import { nodeCryptoProvider } from '../src/crypto/node.js';
import { TlsError } from '../src/errors.js';
import { toClientConfig, toServerConfig } from '../src/node/options.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';
import { CT, Direction13, record, trafficSecrets } from './victim.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

const names = Object.keys(defaultLimits) as (keyof Limits)[];

describe('limits: defaults and validation', () => {
  it('the defaults: 262,150 bytes (the largest message by structure), 256 KiB, 10 certificates, 32 empty records, 4 warnings, 4 ChangeCipherSpecs, 32 post-handshake messages, 2^23 records per key', () => {
    assert.deepEqual(defaultLimits, {
      maxHandshakeMessage: 262150,
      maxCertificateMessage: 262144,
      maxChainLength: 10,
      maxEmptyRecords: 32,
      maxWarningAlerts: 4,
      maxChangeCipherSpecs: 4,
      maxPostHandshakeMessages: 32,
      maxRecordsPerKey: 2 ** 23,
    });
    assert.deepEqual(clientConfig({ provider: nodeCryptoProvider }).limits, defaultLimits);
    assert.deepEqual(makeServerConfig(k).limits, defaultLimits);
  });

  it('a limit that is given replaces its default; one left out or undefined keeps it', () => {
    const config = clientConfig({ provider: nodeCryptoProvider, limits: { maxEmptyRecords: 0, maxWarningAlerts: undefined } });
    assert.deepEqual(config.limits, { ...defaultLimits, maxEmptyRecords: 0 });
  });

  for (const name of names) {
    it(`limits.${name} must be a non-negative integer (ERR_OUT_OF_RANGE)`, () => {
      for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        for (const make of [
          () => clientConfig({ provider: nodeCryptoProvider, limits: { [name]: bad } }),
          () => serverConfig({ provider: nodeCryptoProvider, certificates: [k.rsa], limits: { [name]: bad } }),
        ]) {
          assert.throws(make, (e) => e instanceof TlsError && e.kind === 'api_misuse' && e.code === 'ERR_OUT_OF_RANGE' && e.message.includes(name), String(bad));
        }
      }
      // Every cap may be 0 but maxRecordsPerKey: a key protects at least one record (handshake13.test).
      const least = name === 'maxRecordsPerKey' ? 1 : 0;
      assert.equal(clientConfig({ provider: nodeCryptoProvider, limits: { [name]: least } }).limits[name], least);
    });
  }

  it('the message sizes are at most 2^24 - 1, the largest handshake message', () => {
    for (const name of ['maxHandshakeMessage', 'maxCertificateMessage'] as const) {
      assert.equal(clientConfig({ provider: nodeCryptoProvider, limits: { [name]: 2 ** 24 - 1 } }).limits[name], 2 ** 24 - 1);
      assert.throws(() => clientConfig({ provider: nodeCryptoProvider, limits: { [name]: 2 ** 24 } }), (e) => e instanceof TlsError && e.code === 'ERR_OUT_OF_RANGE');
    }
  });
});

describe('limits: the engine takes each cap from the config', () => {
  /** A TLS 1.3 pair after the handshake, with no ticket (nothing counted yet), and the peers' traffic secrets. */
  function established(limits: Partial<Limits>) {
    const lines: string[] = [];
    const pair = Pair.create(
      makeClientConfig(k, { limits: { ...defaultLimits, ...limits }, keyLog: (l) => lines.push(l) }),
      makeServerConfig(k, { issueTickets: false }),
    );
    pair.handshake();
    const suite = pair.client.info.cipherSuite!;
    const serverWrite = new Direction13(suite, trafficSecrets(lines).get('SERVER_TRAFFIC_SECRET_0')!);
    return { pair, serverWrite };
  }

  it('maxEmptyRecords: 2 empty records are fine, a third is unexpected_message', () => {
    const { pair, serverWrite } = established({ maxEmptyRecords: 2 });
    pair.client.receive(serverWrite.seal(CT.application_data, []));
    pair.client.receive(serverWrite.seal(CT.application_data, []));
    pair.client.process();
    assert.equal(pair.client.error as unknown, undefined);
    pair.client.receive(serverWrite.seal(CT.application_data, []));
    pair.client.process();
    assert.equal(pair.client.error?.kind, 'unexpected_message');
    assert.match(pair.client.error!.message, /empty records/);
    pair.run();
    assert.equal(pair.server.error?.code, 'ERR_TLS_ALERT_UNEXPECTED_MESSAGE');
  });

  it('maxWarningAlerts: with 1, a second user_canceled in a row is unexpected_message', () => {
    const server = new ServerConnection(makeServerConfig(k, { limits: { ...defaultLimits, maxWarningAlerts: 1 } }));
    server.receive(record(CT.alert, [1, 90]));
    server.process();
    assert.equal(server.error as unknown, undefined);
    server.receive(record(CT.alert, [1, 90]));
    server.process();
    assert.equal(server.error?.kind, 'unexpected_message');
    assert.match(server.error!.message, /warning alerts/);
    assert.deepEqual([...server.takeOutput()], [CT.alert, 3, 1, 0, 2, 2, 10]);
  });

  it('maxChangeCipherSpecs: 0 refuses even the one compatibility ChangeCipherSpec a client sends; 1 takes it', () => {
    const refusing = Pair.create(makeClientConfig(k), makeServerConfig(k, { limits: { ...defaultLimits, maxChangeCipherSpecs: 0 } }));
    refusing.run();
    assert.equal(refusing.server.error?.kind, 'unexpected_message');
    assert.match(refusing.server.error!.message, /ChangeCipherSpec/);
    assert.equal(refusing.client.error?.code, 'ERR_TLS_ALERT_UNEXPECTED_MESSAGE');
    const taking = Pair.create(makeClientConfig(k), makeServerConfig(k, { limits: { ...defaultLimits, maxChangeCipherSpecs: 1 } }));
    taking.handshake();
  });

  it('maxPostHandshakeMessages: with 2, a third KeyUpdate without application data is unexpected_message; data resets the count', () => {
    const { pair } = established({ maxPostHandshakeMessages: 2 });
    pair.server.updateKeys();
    pair.server.updateKeys();
    pair.server.write(Uint8Array.of(1));
    pair.server.updateKeys();
    pair.server.updateKeys();
    pair.run();
    assert.equal(pair.client.error as unknown, undefined);
    pair.server.updateKeys();
    pair.run();
    assert.equal(pair.client.error?.kind, 'unexpected_message');
    assert.match(pair.client.error!.message, /post-handshake/);
    assert.equal(pair.server.error?.code, 'ERR_TLS_ALERT_UNEXPECTED_MESSAGE');
  });

  it('a client with maxPostHandshakeMessages 0 cuts off a server at its first NewSessionTicket', () => {
    const client = new ClientConnection(makeClientConfig(k, { limits: { ...defaultLimits, maxPostHandshakeMessages: 0 } }), { serverName: 'localhost' });
    const pair = new Pair(client, new ServerConnection(makeServerConfig(k)));
    pair.run();
    assert.equal(pair.client.error?.kind, 'unexpected_message');
    assert.equal(pair.server.error?.code, 'ERR_TLS_ALERT_UNEXPECTED_MESSAGE');
  });
});

describe('limits through the node API options (typetls extension)', () => {
  const caps = { maxEmptyRecords: 1, maxWarningAlerts: 2, maxChangeCipherSpecs: 3, maxPostHandshakeMessages: 5 };
  const serverOptions = () => ({ key: readFileSync(k.pki.rsaKey), cert: readFileSync(k.pki.rsaCert) });

  it('connect() and createServer() options carry the caps to the engine config; the others keep their defaults', () => {
    assert.deepEqual(toClientConfig({ ca: readFileSync(k.pki.caCert), limits: caps }).limits, { ...defaultLimits, ...caps });
    assert.deepEqual(toServerConfig({ ...serverOptions(), limits: caps }).limits, { ...defaultLimits, ...caps });
  });

  it('a cap out of range is refused there too (ERR_OUT_OF_RANGE)', () => {
    assert.throws(() => toServerConfig({ ...serverOptions(), limits: { maxWarningAlerts: -1 } }), (e) => e instanceof TlsError && e.code === 'ERR_OUT_OF_RANGE');
    assert.throws(() => toClientConfig({ ca: readFileSync(k.pki.caCert), limits: { maxEmptyRecords: 0.5 } }), (e) => e instanceof TlsError && e.code === 'ERR_OUT_OF_RANGE');
  });
});
