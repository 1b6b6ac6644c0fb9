// Conformance under hostile or unusual peers at the engine level: each case pins one behaviour a
// tlsfuzzer script checks (npm run tlsfuzzer), so that it stays right without tlsfuzzer. Every
// failing case asserts on the side that received the input, as test/hostile.test.ts does
// (test/victim.ts): the exact error kind and code, the exact alert written, then silence, and no
// exception escaped.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { ClientConfig, ServerConfig } from '../src/config.js';
import { ServerConnection } from '../src/connection.js';
import { suiteByName } from '../src/suites.js';
import { ExtensionType, HandshakeType } from '../src/wire/enums.js';
import { decodeHandshake, encodeHandshake, type ClientHello, type ServerHello } from '../src/wire/messages.js';
import { handshakeMessagesOf } from './flight.js';
import { makeClientConfig, makeServerConfig, testKeys, type TestKeys } from './pair.js';
import { CT, Flow, handshakeMessages, record, TLS12, Victim } from './victim.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

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


