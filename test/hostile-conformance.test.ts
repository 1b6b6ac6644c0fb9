// Conformance under hostile or unusual peers at the engine level: each case pins one behaviour a
// tlsfuzzer script checks (npm run tlsfuzzer), so that it stays right without tlsfuzzer. Every
// failing case asserts on the side that received the input, as test/hostile.test.ts does
// (test/victim.ts): the exact error kind and code, the exact alert written, then silence, and no
// exception escaped.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { ClientConfig, ServerConfig } from '../src/config.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../src/connection.js';
import { suiteByName } from '../src/suites.js';
import { AlertDescription, ExtensionType, HandshakeType, NamedGroup } from '../src/wire/enums.js';
import { decodeHandshake, encodeHandshake, type ClientHello, type ServerHello } from '../src/wire/messages.js';
import { handshakeMessagesOf } from './flight.js';
import { concatBytes, splitRecords } from './fuzz/mutator.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';
import { assertEncryptedFatal, assertPlainFatal, CT, Direction13, Flow, handshakeMessages, record, TLS12, trafficSecrets, Victim } from './victim.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

const A = AlertDescription;
const H = HandshakeType;

function flow(o: { client?: Partial<ClientConfig>; server?: Partial<ServerConfig> } = {}): Flow {
  return new Flow(makeClientConfig(k, o.client ?? {}), makeServerConfig(k, o.server ?? {}));
}

/** The ClientHello our client would send with `o`, decoded to be changed and encoded again. */
function clientHello(o: Partial<ClientConfig> = {}): ClientHello {
  const [msg] = handshakeMessages(flow({ client: o }).clientHello);
  return decodeHandshake(H.client_hello, msg!.subarray(4), { version: TLS12 }) as ClientHello;
}

/** A ClientHello as one plaintext handshake record. */
function helloRecord(hello: ClientHello, recordVersion = 0x0301): Uint8Array {
  return record(CT.handshake, encodeHandshake(hello, TLS12), recordVersion);
}

/** The ServerHello a fresh server answers `hello` with. */
function serverHelloFor(hello: ClientHello, server: Partial<ServerConfig> = {}): ServerHello {
  const victim = new Victim(new ServerConnection(makeServerConfig(k, server)));
  const out = victim.feed(helloRecord(hello));
  assert.deepEqual(victim.thrown, []);
  assert.deepEqual(victim.errors(), []);
  const [first] = handshakeMessagesOf(out);
  assert.equal(first?.type, H.server_hello);
  return decodeHandshake(H.server_hello, first!.body, { version: TLS12 }) as ServerHello;
}

const without = (hello: ClientHello, ...types: number[]): ClientHello => ({
  ...hello,
  extensions: hello.extensions.filter((e) => !types.includes(e.type)),
});

describe('the server sends only extensions the client offered (RFC 5246 7.4.1.4, RFC 8422 5.2)', () => {
  const ecdhe = suiteByName('ECDHE-RSA-AES128-GCM-SHA256')!;

  it('ECDHE in TLS 1.2 without ec_point_formats in the ClientHello: none in the ServerHello', () => {
    const hello = without(clientHello({ maxVersion: TLS12, cipherSuites: [ecdhe.id] }), ExtensionType.ec_point_formats);
    const sh = serverHelloFor(hello);
    assert.equal(sh.cipherSuite, ecdhe.id);
    assert.deepEqual(sh.extensions.map((e) => e.type).filter((t) => t === ExtensionType.ec_point_formats), []);
  });

  it('ECDHE in TLS 1.2 with ec_point_formats offered: answered with uncompressed', () => {
    const sh = serverHelloFor(clientHello({ maxVersion: TLS12, cipherSuites: [ecdhe.id] }));
    const formats = sh.extensions.find((e) => e.type === ExtensionType.ec_point_formats);
    assert.deepEqual([...formats!.data], [1, 0]);
  });

  it('a ClientHello with no extensions at all gets a ServerHello with none', () => {
    const hello = { ...clientHello({ maxVersion: TLS12, cipherSuites: [ecdhe.id] }), extensions: [] };
    const sh = serverHelloFor(hello);
    assert.equal(sh.cipherSuite, ecdhe.id);
    assert.deepEqual(sh.extensions, []);
  });

  it('every extension of a TLS 1.2 ServerHello is one the client sent', () => {
    const hello = clientHello({ maxVersion: TLS12, cipherSuites: [ecdhe.id], alpnProtocols: ['http/1.1'] });
    for (const drop of hello.extensions.map((e) => e.type)) {
      const offered = without(hello, drop);
      const sent = serverHelloFor(offered, { alpnProtocols: ['http/1.1'] }).extensions.map((e) => e.type);
      const offeredTypes = offered.extensions.map((e) => e.type);
      for (const t of sent) assert.ok(offeredTypes.includes(t), `extension ${t} answered though not offered (without ${drop})`);
    }
  });
});



describe('ClientHello legacy_version (RFC 8446 Appendix D.5)', () => {
  for (const version of [0x0300, 0x0000, 0x0200, 0x0002, 0x0100, 0x0103, 0x0102, 0x0001]) {
    const name = `0x${version.toString(16).padStart(4, '0')}`;
    it(`legacy_version ${name} with supported_versions offering TLS 1.3 → protocol_version`, () => {
      const v = new Victim(new ServerConnection(makeServerConfig(k)));
      const out = v.feed(helloRecord({ ...clientHello(), legacyVersion: version }));
      assertPlainFatal(`TLS 1.3 ClientHello with legacy_version ${name}`, v, out, 'protocol_version', A.protocol_version);
    });
  }

  it('legacy_version 0x0301 with supported_versions offering TLS 1.3 is accepted (only 0x0303 is sent, any is ignored)', () => {
    const sh = serverHelloFor({ ...clientHello(), legacyVersion: 0x0301 });
    assert.ok(sh.extensions.some((e) => e.type === ExtensionType.supported_versions));
  });
});

describe('records after the messages they follow', () => {
  it('server, TLS 1.2: a ClientHello and application data in one read get the server flight, then unexpected_message', () => {
    const f = flow({ client: { maxVersion: TLS12 } });
    const v = new Victim(f.server);
    const out = v.feed(concatBytes([f.clientHello, record(CT.application_data, new Uint8Array(32).fill(1))]));
    const recs = splitRecords(out);
    const alert = recs.pop()!;
    assert.deepEqual([...alert], [CT.alert, 3, 3, 0, 2, 2, A.unexpected_message]);
    assert.deepEqual(handshakeMessagesOf(concatBytes(recs)).map((m) => m.type), [H.server_hello, H.certificate, H.server_key_exchange, H.server_hello_done]);
    assert.equal(v.conn.error?.kind, 'unexpected_message');
    assert.deepEqual(v.thrown, []);
  });

  it('server, 0-RTT offered and a HelloRetryRequest: a record that does not open after the second ClientHello → bad_record_mac, not skipped as early data', () => {
    const request = new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n');
    const ticketKeys = [new Uint8Array(48).fill(5)];
    const clientConfig = makeClientConfig(k, { groups: [NamedGroup.x25519, NamedGroup.secp256r1] });
    const first = Pair.create(clientConfig, makeServerConfig(k, { maxEarlyData: 16384, ticketKeys }));
    first.handshake();
    const session = first.clientEvents.find((e): e is Extract<ConnectionEvent, { type: 'session' }> => e.type === 'session')!.session;

    const keyLog: string[] = [];
    const client = new ClientConnection({ ...clientConfig, keyLog: (l) => keyLog.push(l) }, { serverName: 'localhost', session, earlyData: request });
    const v = new Victim(new ServerConnection(makeServerConfig(k, { maxEarlyData: 16384, ticketKeys, groups: [NamedGroup.secp256r1], keyLog: (l) => keyLog.push(l) })));
    const firstFlight = client.takeOutput();
    assert.ok(splitRecords(firstFlight).some((r) => r[0] === CT.application_data), 'the client sent 0-RTT data');
    const hrr = v.feed(firstFlight);
    assert.equal(v.conn.error, undefined);
    client.receive(hrr);
    client.process();
    const flight = v.feed(client.takeOutput());
    assert.equal(v.conn.error, undefined);
    client.receive(flight);
    client.process();
    assert.equal(client.error, undefined);
    assert.ok(client.takeOutput().length > 0, 'the client would send its Finished now');
    // Where the client's Finished belongs, a record in the clear (what tlsfuzzer sends as "early data").
    const out = v.feed(record(CT.application_data, new Uint8Array(64).fill(0x5a)));
    const ours = new Direction13(v.conn.info.cipherSuite!, trafficSecrets(keyLog).get('SERVER_TRAFFIC_SECRET_0')!, 0);
    assertEncryptedFatal('0-RTT, HRR, then a record in the clear', v, out, 'bad_record_mac', A.bad_record_mac, ours, client);
  });
});
