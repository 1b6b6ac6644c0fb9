// Conformance under hostile or unusual peers at the engine level: each case pins one behaviour a
// tlsfuzzer script checks (npm run tlsfuzzer), so that it stays right without tlsfuzzer. Every
// failing case asserts on the side that received the input, as test/hostile.test.ts does
// (test/victim.ts): the exact error kind and code, the exact alert written, then silence, and no
// exception escaped.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import type { ClientConfig, ServerConfig } from '../src/config.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../src/connection.js';
import { createSecureContext } from '../src/node/api.js';
import { suiteByName } from '../src/suites.js';
import { AlertDescription, ExtensionType, HandshakeType, NamedGroup, SignatureScheme } from '../src/wire/enums.js';
import { decodeHandshake, encodeHandshake, type CertificateRequest, type ClientHello, type ServerHello, type ServerKeyExchangeEcdhe } from '../src/wire/messages.js';
import { handshakeMessagesOf } from './flight.js';
import { concatBytes, splitRecords } from './fuzz/mutator.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';
import { assertEncryptedFatal, assertPeerAlert, assertPlainFatal, CT, Direction13, Flow, handshakeMessages, record, TLS12, trafficSecrets, Victim } from './victim.js';

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

describe('ChangeCipherSpec', () => {
  it('server, TLS 1.2: a two-byte ChangeCipherSpec after ClientKeyExchange → unexpected_message', () => {
    const f = flow({ client: { maxVersion: TLS12, cipherSuites: [suiteByName('AES128-SHA')!.id] } }).helloToServer().serverFlightToClient();
    const [cke] = splitRecords(f.clientFlight);
    assert.equal(handshakeMessages(cke!)[0]![0], H.client_key_exchange);
    const v = new Victim(f.server);
    const out = v.feed(cke!, record(CT.change_cipher_spec, [1, 1]));
    assertPlainFatal('TLS 1.2 two-byte ChangeCipherSpec after ClientKeyExchange', v, out, 'unexpected_message', A.unexpected_message);
  });
});

describe('TLS 1.3 alerts in the clear', () => {
  it('server, before any record opened under the client handshake key: a plaintext fatal alert is read as the client\'s alert', () => {
    const f = flow().helloToServer().serverFlightToClient();
    const v = new Victim(f.server);
    const out = v.feed(record(CT.change_cipher_spec, [1]), record(CT.alert, [2, A.unknown_ca]));
    assertPeerAlert('TLS 1.3: unencrypted alert after ServerHello', v, out, A.unknown_ca);
  });

  it('server, once a record opened under the client handshake key: a plaintext alert → unexpected_message', () => {
    const f = flow().helloToServer().serverFlightToClient();
    const v = new Victim(f.server);
    const ours = f.serverApplication(0);
    assert.equal(v.feed(f.clientHandshake(0).seal(CT.alert, [1, A.user_canceled])).length, 0);
    const out = v.feed(record(CT.alert, [2, A.unknown_ca]));
    assertEncryptedFatal('TLS 1.3: unencrypted alert after an encrypted record', v, out, 'unexpected_message', A.unexpected_message, ours, f.client);
  });

  it('client: a plaintext alert after the ServerHello is not read as an alert', () => {
    const f = flow().helloToServer();
    const v = new Victim(f.client);
    v.feed(...f.serverHelloRecords);
    v.feed(record(CT.alert, [2, A.unknown_ca]));
    assert.notEqual(v.conn.error?.code, 'ERR_TLS_ALERT_UNKNOWN_CA');
    assert.equal(v.conn.error?.kind, 'unexpected_message');
  });
});

describe('TLS 1.2 client CertificateVerify with SHA-1 (RFC 5246 7.4.1.4.1)', () => {
  const rsaGcm = suiteByName('AES128-GCM-SHA256')!;
  const requested = (server: Partial<ServerConfig>): readonly number[] => {
    const f = flow({ client: { maxVersion: TLS12, cipherSuites: [rsaGcm.id] }, server: { requestCert: true, ...server } }).helloToServer();
    const cr = handshakeMessagesOf(f.serverFlight).find((m) => m.type === H.certificate_request)!;
    return (decodeHandshake(H.certificate_request, cr.body, { version: TLS12 }) as CertificateRequest & { signatureAlgorithms: number[] }).signatureAlgorithms;
  };

  it('the CertificateRequest offers rsa_pkcs1_sha1 and ecdsa_sha1 last, and not when signatureSchemes is set', () => {
    assert.deepEqual(requested({}).slice(-2), [SignatureScheme.rsa_pkcs1_sha1, SignatureScheme.ecdsa_sha1]);
    assert.deepEqual(requested({ signatureSchemes: [SignatureScheme.rsa_pss_rsae_sha256] }), [SignatureScheme.rsa_pss_rsae_sha256]);
  });

  it('a server made through the node API (createSecureContext) offers them too', () => {
    const context = createSecureContext({ cert: readFileSync(k.pki.rsaCert), key: readFileSync(k.pki.rsaKey) });
    assert.deepEqual(context.serverConfig.signatureSchemes12.slice(-2), [SignatureScheme.rsa_pkcs1_sha1, SignatureScheme.ecdsa_sha1]);
  });

  it('a client that signs with rsa_pkcs1_sha1 is accepted', () => {
    const pair = Pair.create(
      makeClientConfig(k, { maxVersion: TLS12, cipherSuites: [rsaGcm.id], signatureSchemes: [SignatureScheme.rsa_pkcs1_sha1], certificates: [k.client] }),
      makeServerConfig(k, { maxVersion: TLS12, requestCert: true }),
    );
    pair.handshake();
    assert.equal(pair.server.info.peerCertificates?.length, 1);
  });

});

describe('TLS 1.2 resumption and the extended master secret (RFC 7627 5.3)', () => {
  /** A session made with EMS on `server`, and a ClientHello offering its ID again, changed by `change`. */
  function resumeWith(change: (h: ClientHello) => ClientHello) {
    // No ticket: the session is kept by its ID (a ticketed session has none).
    const server = makeServerConfig(k, { maxVersion: TLS12, issueTickets: false });
    const client = { maxVersion: TLS12, cipherSuites: [suiteByName('ECDHE-RSA-AES128-GCM-SHA256')!.id] };
    const f = new Flow(makeClientConfig(k, client), server).established();
    const first = decodeHandshake(H.server_hello, handshakeMessagesOf(f.serverFlight)[0]!.body, { version: TLS12 }) as ServerHello;
    assert.equal(f.server.info.extendedMasterSecret, true);
    const hello = without({ ...clientHello(client), legacySessionId: first.legacySessionId }, ExtensionType.session_ticket);
    const v = new Victim(new ServerConnection(server));
    return { v, out: v.feed(helloRecord(change(hello))), sessionId: first.legacySessionId };
  }

  it('resuming an EMS session without extended_master_secret → handshake_failure', () => {
    const { v, out } = resumeWith((h) => without(h, ExtensionType.extended_master_secret));
    assertPlainFatal('resumption of an EMS session without EMS', v, out, 'handshake_failure', A.handshake_failure);
  });

  it('resuming it with extended_master_secret resumes (control)', () => {
    const { v, out, sessionId } = resumeWith((h) => h);
    assert.equal(v.conn.error, undefined);
    const sh = decodeHandshake(H.server_hello, handshakeMessagesOf(out)[0]!.body, { version: TLS12 }) as ServerHello;
    assert.deepEqual(sh.legacySessionId, sessionId);
  });
});

describe('TLS 1.2 ECDHE without supported_groups (RFC 8422 Section 4)', () => {
  const ecdhe = suiteByName('ECDHE-RSA-AES128-GCM-SHA256')!;
  function serverKeyExchange(hello: ClientHello): ServerKeyExchangeEcdhe {
    const v = new Victim(new ServerConnection(makeServerConfig(k)));
    const out = v.feed(helloRecord(hello));
    assert.equal(v.conn.error, undefined);
    const ske = handshakeMessagesOf(out).find((m) => m.type === H.server_key_exchange)!;
    return decodeHandshake(H.server_key_exchange, ske.body, { version: TLS12, kx: 'ecdhe' }) as ServerKeyExchangeEcdhe;
  }

  it('a client that names no groups gets P-256, the curve every RFC 4492 client knows', () => {
    const ske = serverKeyExchange(without(clientHello({ maxVersion: TLS12, cipherSuites: [ecdhe.id] }), ExtensionType.supported_groups));
    assert.equal(ske.namedGroup, NamedGroup.secp256r1);
  });

  it('a client that lists only SHA-1 schemes gets its ServerKeyExchange signed with rsa_pkcs1_sha1', () => {
    const hello = clientHello({ maxVersion: TLS12, cipherSuites: [ecdhe.id] });
    const sha1Only = {
      ...hello,
      extensions: hello.extensions.map((e) => (e.type === ExtensionType.signature_algorithms ? { type: e.type, data: Uint8Array.of(0, 4, 2, 1, 2, 3) } : e)),
    };
    assert.equal(serverKeyExchange(sha1Only).signatureScheme, SignatureScheme.rsa_pkcs1_sha1);
    // Anything better is preferred.
    assert.equal(serverKeyExchange(hello).signatureScheme === SignatureScheme.rsa_pkcs1_sha1, false);
  });

  it('a client with no extensions at all gets P-256 signed with rsa_pkcs1_sha1 (RFC 5246 7.4.1.4.1)', () => {
    const ske = serverKeyExchange({ ...clientHello({ maxVersion: TLS12, cipherSuites: [ecdhe.id] }), extensions: [] });
    assert.equal(ske.namedGroup, NamedGroup.secp256r1);
    assert.equal(ske.signatureScheme, SignatureScheme.rsa_pkcs1_sha1);
  });
});

describe('the handshake type is checked before its length', () => {
  for (const type of [H.hello_request, H.end_of_early_data, H.server_hello_done, H.key_update, H.finished]) {
    it(`server: a ClientHello body under handshake type ${type} → unexpected_message, not decode_error`, () => {
      const [msg] = handshakeMessages(flow().clientHello);
      const changed = msg!.slice();
      changed[0] = type;
      const v = new Victim(new ServerConnection(makeServerConfig(k)));
      const out = v.feed(record(CT.handshake, changed, 0x0301));
      assertPlainFatal(`ClientHello as handshake type ${type}`, v, out, 'unexpected_message', A.unexpected_message);
    });
  }
});
