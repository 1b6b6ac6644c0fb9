// Hostile input against both roles of the sans-I/O engine once TLS 1.3 is negotiated (and the TLS 1.2
// gaps the issue-7 audit found: certificate limits, renegotiation floods, bad ServerKeyExchange points,
// tickets). Every failing case asserts on the side that received the bad input, as test/hostile.test.ts
// does (test/victim.ts):
//   (a) the exact error kind and node-style code;
//   (b) the exact alert it wrote: a plaintext record read as is, or a protected one opened with the
//       traffic secret from the key log and fed to the real peer, whose error must be ERR_TLS_ALERT_<NAME>;
//   (c) exactly one fatal alert and then silence (process(), more input and close() write nothing and
//       return the same sticky error; write() throws it);
//   (d) no exception escaped receive(), process() or takeOutput().
// The hostile peer writes its records with its real traffic keys (RFC 8446 Section 5.2), so each case
// reaches the check it names rather than failing at the record layer.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultLimits, type CertifiedKey, type ClientConfig, type Limits, type ServerConfig } from '../src/config.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../src/connection.js';
import { nodeCryptoProvider } from '../src/crypto/node.js';
import { decodeClientSession, encodeClientSession } from '../src/handshake/resumption.js';
import { AlertDescription, alertDescriptionName, ExtensionType, HandshakeType, NamedGroup } from '../src/wire/enums.js';
import { decodeHandshake, encodeHandshake, encodeServerEcdhParams, type ServerHello, type ServerKeyExchangeEcdhe } from '../src/wire/messages.js';
import { rewriteHandshake } from './flight.js';
import { concatBytes, splitRecords } from './fuzz/mutator.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';
import {
  assertEncryptedFatal, assertPeerAlert, assertPlainFatal, bothRoles, CT, type Direction13, Flow, forRole, handshake, handshakeMessages, note, type PerRole,
  printObserved, record, type Role, TLS12, Victim,
} from './victim.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

const TLS13 = 0x0304;
const A = AlertDescription;
const H = HandshakeType;

// --- messages a hostile peer sends ---

/** RFC 8446 Section 4.6.3: KeyUpdate { request_update }. */
const keyUpdate = (requestUpdate = 0): Uint8Array => handshake(H.key_update, [requestUpdate]);

/** RFC 8446 Section 4.6.1: a NewSessionTicket with a small ticket of its own. */
function newSessionTicket(n: number): Uint8Array {
  return encodeHandshake({
    type: H.new_session_ticket, version: 'tls13', ticketLifetime: 60, ticketAgeAdd: n, ticketNonce: Uint8Array.of(n),
    ticket: new Uint8Array(16).fill(n), extensions: [],
  }, TLS13);
}

/** A record with its header's content type or version bytes changed after sealing. */
function withHeader(rec: Uint8Array, change: { type?: number; version?: number }): Uint8Array {
  const out = rec.slice();
  if (change.type !== undefined) out[0] = change.type;
  if (change.version !== undefined) {
    out[1] = change.version >> 8;
    out[2] = change.version & 0xff;
  }
  return out;
}

/** The default limits with some changed. */
const withLimits = (l: Partial<Limits>): Limits => ({ ...defaultLimits, ...l });

/** A TLS 1.3 Certificate message carrying `chain`. */
const certificateMessage = (chain: CertifiedKey['chain']): Uint8Array =>
  encodeHandshake({ type: H.certificate, certificateRequestContext: new Uint8Array(0), certificateList: chain.map((c) => ({ certData: c.raw, extensions: [] })) }, TLS13);

// --- a handshake driven flight by flight ---

/** A Flow (test/victim.ts) with the test PKI: TLS 1.3 unless `version` pins TLS 1.2 on both sides. */
function flow(o: { version?: number; client?: Partial<ClientConfig>; server?: Partial<ServerConfig> } = {}): Flow {
  const pinned = o.version === TLS12 ? { maxVersion: TLS12 } : {};
  return new Flow(makeClientConfig(k, { ...pinned, ...o.client }), makeServerConfig(k, { ...pinned, ...o.server }));
}

/** A handshake message with the last byte of its body flipped (for Finished: verify_data). */
function flipLast(message: Uint8Array): Uint8Array {
  const out = message.slice();
  out[out.length - 1]! ^= 0x01;
  return out;
}

// --- victims ---

/**
 * A TLS 1.3 connection after the handshake. The client victim's first record goes at sequence 0
 * of its application key; the server victim's at 1 (its NewSessionTicket took 0). `peerWrite`
 * seals as the peer would.
 */
function established(role: Role, o: { client?: Partial<ClientConfig>; server?: Partial<ServerConfig> } = {}) {
  const f = flow(o).established();
  const tickets = splitRecords(f.serverAnswer).length;
  const victim = new Victim(role === 'client' ? f.client : f.server);
  const peer = role === 'client' ? f.server : f.client;
  const peerWrite = role === 'client' ? f.serverApplication(tickets) : f.clientApplication(0);
  const ours = role === 'client' ? f.clientApplication(0) : f.serverApplication(tickets);
  return { f, victim, peer, peerWrite, ours };
}

/**
 * A TLS 1.3 client that has taken the ServerHello (and sent its compatibility ChangeCipherSpec):
 * its next record, an alert, goes at sequence 0 of its handshake key, which the server reads.
 */
function clientAfterServerHello(o: { client?: Partial<ClientConfig>; server?: Partial<ServerConfig> } = {}) {
  const f = flow(o).helloToServer();
  const victim = new Victim(f.client);
  const ccs = victim.feed(...f.serverHelloRecords);
  assert.deepEqual([...ccs], [CT.change_cipher_spec, 3, 3, 0, 1, 1], 'the client sent its compatibility ChangeCipherSpec');
  return { f, victim, ours: f.clientHandshake(0) };
}

/**
 * A TLS 1.3 server that has sent its flight, which the client has read: the server's next record,
 * an alert, goes at sequence 0 of its application key, which the client reads.
 */
function serverAfterItsFlight(o: { client?: Partial<ClientConfig>; server?: Partial<ServerConfig> } = {}) {
  const f = flow(o).helloToServer().serverFlightToClient();
  return { f, victim: new Victim(f.server), ours: f.serverApplication(0), peerWrite: f.clientHandshake(0) };
}

// --- after the handshake ---

describe('TLS 1.3, after the handshake (encrypted)', () => {
  const cases: {
    cls: string;
    roles?: readonly Role[];
    input: (w: Direction13, f: Flow) => Uint8Array[];
    kind: PerRole<string>;
    alert: PerRole<number>;
    dataEvents?: number;
    /** What the victim's error says, where several checks give the same alert. */
    message?: RegExp;
  }[] = [
    // Limits (RFC 5246 Section 6.2.1 allows empty application data; src/config.ts Limits bounds it).
    { cls: '33 empty application data records in a row (cap 32)', input: (w) => Array.from({ length: 33 }, () => w.seal(CT.application_data, [])), kind: 'unexpected_message', alert: A.unexpected_message, message: /empty records/ },
    { cls: '5 user_canceled warnings in a row (cap 4)', input: (w) => Array.from({ length: 5 }, () => w.seal(CT.alert, [1, A.user_canceled])), kind: 'unexpected_message', alert: A.unexpected_message, message: /warning alerts/ },
    {
      // Application data first: the server's NewSessionTicket counted for the client.
      cls: '33 KeyUpdates without application data between them (cap 32)',
      input: (w) => {
        const out = [w.seal(CT.application_data, [1])];
        for (let i = 0; i < 33; i++) {
          out.push(w.seal(CT.handshake, keyUpdate()));
          w = w.next();
        }
        return out;
      },
      kind: 'unexpected_message', alert: A.unexpected_message, dataEvents: 1, message: /post-handshake/,
    },
    // RFC 8446 Section 4.1.2 / 4: no renegotiation, and TLS 1.3 has no HelloRequest.
    { cls: 'HelloRequest after a TLS 1.3 handshake', input: (w) => [w.seal(CT.handshake, handshake(H.hello_request, []))], kind: 'unexpected_message', alert: A.unexpected_message },
    { cls: 'ClientHello after a TLS 1.3 handshake (renegotiation)', input: (w, f) => [w.seal(CT.handshake, handshakeMessages(f.clientHello)[0]!)], kind: 'unexpected_message', alert: A.unexpected_message },
    { cls: 'Finished after the handshake', input: (w) => [w.seal(CT.handshake, handshake(H.finished, new Uint8Array(32)))], kind: 'unexpected_message', alert: A.unexpected_message },
    { cls: 'EndOfEarlyData after the handshake', input: (w) => [w.seal(CT.handshake, handshake(H.end_of_early_data, []))], kind: 'unexpected_message', alert: A.unexpected_message },
    { cls: 'NewSessionTicket sent to a server', roles: ['server'], input: (w) => [w.seal(CT.handshake, newSessionTicket(1))], kind: 'unexpected_message', alert: A.unexpected_message },
    // RFC 8446 Section 4.6.3: request_update is 0 or 1.
    { cls: 'KeyUpdate with request_update 2', input: (w) => [w.seal(CT.handshake, keyUpdate(2))], kind: 'illegal_parameter', alert: A.illegal_parameter },
    { cls: 'KeyUpdate with a body of 2 bytes', input: (w) => [w.seal(CT.handshake, handshake(H.key_update, [0, 0]))], kind: 'decode_error', alert: A.decode_error },
    // RFC 8446 Section 5.2 and 5.4: the inner content type.
    { cls: 'unknown inner content type 24 (heartbeat)', input: (w) => [w.seal(24, [1, 0, 0])], kind: 'unexpected_message', alert: A.unexpected_message },
    { cls: 'inner plaintext of zeros only (no content type)', input: (w) => [w.sealInner(new Uint8Array(8))], kind: 'unexpected_message', alert: A.unexpected_message },
    { cls: 'protected ChangeCipherSpec (inner type 20)', input: (w) => [w.seal(CT.change_cipher_spec, [1])], kind: 'unexpected_message', alert: A.unexpected_message },
    // RFC 8446 Section 5.2: the outer content type of a protected record is application_data.
    { cls: 'unknown outer content type 24 under the keys', input: (w) => [withHeader(w.seal(CT.application_data, [1, 2, 3]), { type: 24 })], kind: 'unexpected_message', alert: A.unexpected_message },
    { cls: 'outer content type handshake (22) under the keys', input: (w) => [withHeader(w.seal(CT.handshake, keyUpdate()), { type: CT.handshake })], kind: 'unexpected_message', alert: A.unexpected_message },
    { cls: 'outer content type alert (21) under the keys', input: (w) => [withHeader(w.seal(CT.alert, [1, A.user_canceled]), { type: CT.alert })], kind: 'unexpected_message', alert: A.unexpected_message },
    { cls: 'a hello in a plaintext handshake record after the keys', input: (_w, f) => [f.clientHello], kind: 'unexpected_message', alert: A.unexpected_message },
    // RFC 8446 Section 5: a ChangeCipherSpec after the peer's Finished is an unexpected record.
    { cls: 'ChangeCipherSpec after the handshake', input: () => [record(CT.change_cipher_spec, [1])], kind: 'unexpected_message', alert: A.unexpected_message },
    { cls: 'ChangeCipherSpec of payload 2 after the handshake', input: () => [record(CT.change_cipher_spec, [2])], kind: 'unexpected_message', alert: A.unexpected_message },
    { cls: 'ChangeCipherSpec of two bytes after the handshake', input: () => [record(CT.change_cipher_spec, [1, 1])], kind: 'unexpected_message', alert: A.unexpected_message },
    // RFC 8446 Section 5.1: handshake messages may not be interleaved with other record types, nor span a key change.
    {
      cls: 'KeyUpdate split across records with application data between',
      input: (w) => {
        const ku = keyUpdate();
        return [w.seal(CT.handshake, ku.subarray(0, 2)), w.seal(CT.application_data, [1]), w.seal(CT.handshake, ku.subarray(2))];
      },
      kind: 'unexpected_message', alert: A.unexpected_message, message: /application data inside a fragmented handshake message/,
    },
    {
      cls: 'KeyUpdate split across records with an alert between',
      input: (w) => [w.seal(CT.handshake, keyUpdate().subarray(0, 3)), w.seal(CT.alert, [1, A.user_canceled])],
      kind: 'unexpected_message', alert: A.unexpected_message, message: /alert inside a fragmented handshake message/,
    },
    {
      cls: 'KeyUpdate not at the end of its record (a message after the key change)',
      input: (w) => [w.seal(CT.handshake, concatBytes([keyUpdate(), keyUpdate()]))],
      kind: 'unexpected_message', alert: A.unexpected_message, message: /split across a key change/,
    },
    // RFC 8446 Section 6.1: nothing after close_notify.
    { cls: 'application data after close_notify', input: (w) => [w.seal(CT.alert, [1, A.close_notify]), w.seal(CT.application_data, [1, 2, 3])], kind: 'unexpected_message', alert: A.unexpected_message },
    { cls: 'KeyUpdate after close_notify', input: (w) => [w.seal(CT.alert, [1, A.close_notify]), w.seal(CT.handshake, keyUpdate())], kind: 'unexpected_message', alert: A.unexpected_message },
    // The record header: the framer checks the major version byte (RFC 5246 Appendix E.1) and the length.
    { cls: 'record version major 4 under the keys', input: (w) => [w.seal(CT.application_data, [1], 0x0403)], kind: 'protocol_version', alert: A.protocol_version },
    { cls: 'record version major 2 under the keys', input: (w) => [w.seal(CT.application_data, [1], 0x0203)], kind: 'protocol_version', alert: A.protocol_version },
    // RFC 8446 Section 5.2: the additional data is the header as received, so a changed version fails the tag.
    { cls: 'record version 3.1 in the header of a record sealed as 3.3', input: (w) => [withHeader(w.seal(CT.application_data, [1]), { version: 0x0301 })], kind: 'bad_record_mac', alert: A.bad_record_mac },
    // RFC 8446 Section 5.2 and 5.4: TLSInnerPlaintext at most 2^14 + 1 bytes, TLSCiphertext at most 2^14 + 256.
    { cls: 'inner plaintext of 2^14 + 2 bytes (2^14 + 1 of data and the type)', input: (w) => [w.seal(CT.application_data, new Uint8Array(16385))], kind: 'record_overflow', alert: A.record_overflow },
    {
      cls: 'inner plaintext of 2^14 + 2 bytes (2^14 of data, the type and one zero of padding)',
      input: (w) => [w.sealInner(concatBytes([new Uint8Array(16384), Uint8Array.of(CT.application_data, 0)]))],
      kind: 'record_overflow', alert: A.record_overflow,
    },
    { cls: 'record body of 2^14 + 257 bytes (header only)', input: () => [Uint8Array.of(CT.application_data, 3, 3, 16641 >> 8, 16641 & 0xff)], kind: 'record_overflow', alert: A.record_overflow },
    // Record protection.
    {
      cls: 'flipped bit in an application data record',
      input: (w) => {
        const r = w.seal(CT.application_data, [1, 2, 3]);
        r[r.length - 1]! ^= 1;
        return [r];
      },
      kind: 'bad_record_mac', alert: A.bad_record_mac,
    },
    { cls: 'record replayed (wrong sequence number)', input: (w) => { const r = w.seal(CT.application_data, [1]); return [r, r]; }, kind: 'bad_record_mac', alert: A.bad_record_mac, dataEvents: 1 },
    { cls: 'plaintext application data after the keys', input: () => [record(CT.application_data, [1, 2, 3])], kind: 'bad_record_mac', alert: A.bad_record_mac },
  ];

  for (const c of cases) {
    for (const role of c.roles ?? bothRoles) {
      const kind = forRole(c.kind, role);
      const alert = forRole(c.alert, role);
      it(`${role}: ${c.cls} → ${alertDescriptionName(alert)}`, () => {
        const s = established(role);
        const out = s.victim.feed(...c.input(s.peerWrite, s.f));
        assert.equal(s.victim.events.filter((e) => e.type === 'data').length, c.dataEvents ?? 0);
        if (c.message) assert.match(s.victim.conn.error?.message ?? '', c.message);
        assertEncryptedFatal(`TLS 1.3: ${c.cls} (after the handshake)`, s.victim, out, kind, alert, s.ours, s.peer);
      });
    }
  }

  for (const role of bothRoles) {
    it(`${role}: 32 empty application data records are fine, and a non-empty one resets the count`, () => {
      const s = established(role);
      const inputs = [
        ...Array.from({ length: 32 }, () => s.peerWrite.seal(CT.application_data, [])),
        s.peerWrite.seal(CT.application_data, [7]),
        ...Array.from({ length: 32 }, () => s.peerWrite.seal(CT.application_data, [])),
      ];
      assert.equal(s.victim.feed(...inputs).length, 0);
      assert.equal(s.victim.conn.error as unknown, undefined);
      assert.deepEqual(s.victim.events.map((e) => e.type), ['data']);
    });

    it(`${role}: 4 user_canceled warnings are passed up as events, then a 5th is the cap`, () => {
      const s = established(role);
      const out = s.victim.feed(...Array.from({ length: 4 }, () => s.peerWrite.seal(CT.alert, [1, A.user_canceled])));
      assert.equal(out.length, 0);
      assert.deepEqual(s.victim.events.map((e) => e.type), ['alert', 'alert', 'alert', 'alert']);
      const last = s.victim.feed(s.peerWrite.seal(CT.alert, [1, A.user_canceled]));
      assertEncryptedFatal('TLS 1.3: many warning alerts in a row (cap)', s.victim, last, 'unexpected_message', A.unexpected_message, s.ours, s.peer);
    });

    it(`${role}: 32 KeyUpdates are fine, application data resets the count, and 32 more are fine`, () => {
      const s = established(role);
      let w = s.peerWrite;
      const inputs = [w.seal(CT.application_data, [1])];
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 32; i++) {
          inputs.push(w.seal(CT.handshake, keyUpdate()));
          w = w.next();
        }
        inputs.push(w.seal(CT.application_data, [2 + round]));
      }
      assert.equal(s.victim.feed(...inputs).length, 0);
      assert.equal(s.victim.conn.error as unknown, undefined);
      assert.equal(s.victim.events.filter((e) => e.type === 'data').length, 3);
    });

    // RFC 8446 Section 5.1: legacy_record_version "MUST be ignored for all purposes" (it is still in the additional data).
    it(`${role}: a record whose header and additional data say 3.1 is taken (only the major byte is checked)`, () => {
      const s = established(role);
      assert.equal(s.victim.feed(s.peerWrite.seal(CT.application_data, [5, 6], 0x0301)).length, 0);
      assert.equal(s.victim.conn.error as unknown, undefined);
      assert.deepEqual(s.victim.events.map((e) => (e.type === 'data' ? [...e.data] : e.type)), [[5, 6]]);
    });

    it(`${role}: an inner plaintext of exactly 2^14 + 1 bytes is taken, padded or not`, () => {
      const s = established(role);
      const out = s.victim.feed(
        s.peerWrite.seal(CT.application_data, new Uint8Array(16384).fill(1)),
        s.peerWrite.sealInner(concatBytes([new Uint8Array(16383).fill(2), Uint8Array.of(CT.application_data, 0)])),
      );
      assert.equal(out.length, 0);
      assert.equal(s.victim.conn.error as unknown, undefined);
      assert.deepEqual(s.victim.events.map((e) => (e.type === 'data' ? e.data.length : e.type)), [16384, 16383]);
    });

    // RFC 8446 Section 6.2: every alert but close_notify and user_canceled is an error alert whatever its level.
    it(`${role}: a warning-level bad_certificate alert is an error alert → ERR_TLS_ALERT_BAD_CERTIFICATE, nothing sent back`, () => {
      const s = established(role);
      const out = s.victim.feed(s.peerWrite.seal(CT.alert, [1, A.bad_certificate]));
      assert.deepEqual(s.victim.events.filter((e) => e.type === 'alert'), [], 'not passed up as a warning');
      assertPeerAlert('TLS 1.3: warning-level error alert (after the handshake)', s.victim, out, A.bad_certificate);
    });

    it(`${role}: a fatal alert from the peer under the keys → ERR_TLS_ALERT_INTERNAL_ERROR, nothing sent back`, () => {
      const s = established(role);
      const out = s.victim.feed(s.peerWrite.seal(CT.alert, [2, A.internal_error]));
      assertPeerAlert('TLS 1.3: fatal alert from the peer (encrypted)', s.victim, out, A.internal_error);
    });
  }

  it('client: 33 NewSessionTickets without application data between them (cap 32), each in its own record → unexpected_message', () => {
    const s = established('client');
    const out = s.victim.feed(s.peerWrite.seal(CT.application_data, [1]), ...Array.from({ length: 33 }, (_, i) => s.peerWrite.seal(CT.handshake, newSessionTicket(i))));
    assert.equal(s.victim.events.filter((e) => e.type === 'session').length, 32);
    assert.match(s.victim.conn.error?.message ?? '', /post-handshake/);
    assertEncryptedFatal('TLS 1.3: NewSessionTicket flood (cap 32)', s.victim, out, 'unexpected_message', A.unexpected_message, s.ours, s.peer);
  });

  // One record can carry many handshake messages (RFC 8446 Section 5.1): the cap counts messages.
  it('client: 33 NewSessionTickets in one record (cap 32, counted per message) → unexpected_message', () => {
    const s = established('client');
    const tickets = concatBytes(Array.from({ length: 33 }, (_, i) => newSessionTicket(i)));
    const out = s.victim.feed(s.peerWrite.seal(CT.application_data, [1]), s.peerWrite.seal(CT.handshake, tickets));
    assert.equal(s.victim.events.filter((e) => e.type === 'session').length, 32);
    assert.match(s.victim.conn.error?.message ?? '', /post-handshake/);
    assertEncryptedFatal('TLS 1.3: NewSessionTicket flood in one record (cap 32)', s.victim, out, 'unexpected_message', A.unexpected_message, s.ours, s.peer);
  });

  it('client: 32 NewSessionTickets after application data are taken, one session event each', () => {
    const s = established('client');
    const out = s.victim.feed(s.peerWrite.seal(CT.application_data, [1]), ...Array.from({ length: 32 }, (_, i) => s.peerWrite.seal(CT.handshake, newSessionTicket(i))));
    assert.equal(out.length, 0);
    assert.equal(s.victim.conn.error as unknown, undefined);
    assert.equal(s.victim.events.filter((e) => e.type === 'session').length, 32);
  });

  for (const role of bothRoles) {
    it(`${role}: a record under the key a KeyUpdate retired → bad_record_mac`, () => {
      const s = established(role);
      const out = s.victim.feed(s.peerWrite.seal(CT.handshake, keyUpdate()), s.peerWrite.seal(CT.application_data, [1]));
      assertEncryptedFatal('TLS 1.3: a record under the key a KeyUpdate retired', s.victim, out, 'bad_record_mac', A.bad_record_mac, s.ours, s.peer);
    });
  }
});

// --- during the handshake ---

describe('TLS 1.3 ChangeCipherSpec during the handshake', () => {
  const ccs = () => record(CT.change_cipher_spec, [1]);

  it('client: 5 compatibility ChangeCipherSpec records in one handshake (cap 4) → unexpected_message', () => {
    const f = flow().helloToServer();
    const [hello, serverCcs] = f.serverHelloRecords;
    const v = new Victim(f.client);
    assert.equal(splitRecords(v.feed(hello!)).length, 1, 'the client sends its own ChangeCipherSpec');
    assert.equal(v.feed(serverCcs!, ccs(), ccs(), ccs()).length, 0, 'four are dropped');
    const out = v.feed(ccs());
    assert.match(v.conn.error?.message ?? '', /too many ChangeCipherSpec/);
    assertEncryptedFatal('TLS 1.3: ChangeCipherSpec flood (cap 4)', v, out, 'unexpected_message', A.unexpected_message, f.clientHandshake(0), f.server);
  });

  it('server: 5 compatibility ChangeCipherSpec records in one handshake (cap 4) → unexpected_message', () => {
    const s = serverAfterItsFlight();
    assert.equal(s.victim.feed(ccs(), ccs(), ccs(), ccs()).length, 0, 'four are dropped');
    const out = s.victim.feed(ccs());
    assert.match(s.victim.conn.error?.message ?? '', /too many ChangeCipherSpec/);
    assertEncryptedFatal('TLS 1.3: ChangeCipherSpec flood (cap 4)', s.victim, out, 'unexpected_message', A.unexpected_message, s.ours, s.f.client);
  });

  // RFC 8446 Section 5: "any other change_cipher_spec value" than the single byte 1 is unexpected_message.
  for (const payload of [[2], [1, 1]]) {
    it(`client: a ChangeCipherSpec of ${payload.length} byte(s) [${payload}] during the handshake → unexpected_message`, () => {
      const s = clientAfterServerHello();
      const out = s.victim.feed(record(CT.change_cipher_spec, payload));
      assertEncryptedFatal('TLS 1.3: ChangeCipherSpec other than the byte 1 during the handshake', s.victim, out, 'unexpected_message', A.unexpected_message, s.ours, s.f.server);
    });

    it(`server: a ChangeCipherSpec of ${payload.length} byte(s) [${payload}] during the handshake → unexpected_message`, () => {
      const s = serverAfterItsFlight();
      const out = s.victim.feed(record(CT.change_cipher_spec, payload));
      assertEncryptedFatal('TLS 1.3: ChangeCipherSpec other than the byte 1 during the handshake', s.victim, out, 'unexpected_message', A.unexpected_message, s.ours, s.f.client);
    });
  }

  // RFC 8446 Section 6.2: an error alert whatever its level, during the handshake too.
  it('client: a warning-level bad_certificate alert during the handshake → ERR_TLS_ALERT_BAD_CERTIFICATE, nothing sent back', () => {
    const s = clientAfterServerHello();
    const out = s.victim.feed(s.f.serverHandshake(0).seal(CT.alert, [1, A.bad_certificate]));
    assertPeerAlert('TLS 1.3: warning-level error alert (during the handshake)', s.victim, out, A.bad_certificate);
  });

  it('server: a warning-level bad_certificate alert during the handshake → ERR_TLS_ALERT_BAD_CERTIFICATE, nothing sent back', () => {
    const s = serverAfterItsFlight();
    const out = s.victim.feed(s.peerWrite.seal(CT.alert, [1, A.bad_certificate]));
    assertPeerAlert('TLS 1.3: warning-level error alert (during the handshake)', s.victim, out, A.bad_certificate);
  });

  it('client: a protected ChangeCipherSpec during the handshake → unexpected_message', () => {
    const s = clientAfterServerHello();
    const out = s.victim.feed(s.f.serverHandshake(0).seal(CT.change_cipher_spec, [1]));
    assertEncryptedFatal('TLS 1.3: protected ChangeCipherSpec during the handshake', s.victim, out, 'unexpected_message', A.unexpected_message, s.ours, s.f.server);
  });

  it('server: a protected ChangeCipherSpec during the handshake → unexpected_message', () => {
    const s = serverAfterItsFlight();
    const out = s.victim.feed(s.peerWrite.seal(CT.change_cipher_spec, [1]));
    assertEncryptedFatal('TLS 1.3: protected ChangeCipherSpec during the handshake', s.victim, out, 'unexpected_message', A.unexpected_message, s.ours, s.f.client);
  });
});

describe('TLS 1.3 messages out of order', () => {
  /** The server's encrypted flight rewritten: ServerHello and ChangeCipherSpec as sent, the rest resealed. */
  function clientGets(edit: (messages: Uint8Array[], f: Flow) => Uint8Array[], name: string, kind = 'unexpected_message', alert: number = A.unexpected_message) {
    const s = clientAfterServerHello();
    const messages = edit(s.f.serverEncryptedMessages(), s.f);
    const out = s.victim.feed(s.f.serverHandshake(0).seal(CT.handshake, concatBytes(messages)));
    assertEncryptedFatal(`TLS 1.3: ${name}`, s.victim, out, kind, alert, s.ours, s.f.server);
  }
  const types = (messages: Uint8Array[]) => messages.map((m) => m[0]);

  it('client: Finished before CertificateVerify → unexpected_message', () => {
    clientGets((m) => {
      assert.deepEqual(types(m), [H.encrypted_extensions, H.certificate, H.certificate_verify, H.finished]);
      return [m[0]!, m[1]!, m[3]!];
    }, 'Finished before CertificateVerify');
  });

  it('client: Certificate before EncryptedExtensions → unexpected_message', () => {
    clientGets((m) => m.slice(1), 'Certificate before EncryptedExtensions');
  });

  it('client: EncryptedExtensions twice → unexpected_message', () => {
    clientGets((m) => [m[0]!, ...m], 'EncryptedExtensions twice');
  });

  it('client: a second ServerHello under the handshake keys → unexpected_message', () => {
    clientGets((m, f) => [handshakeMessages(f.serverFlight)[0]!, ...m], 'a second ServerHello under the handshake keys');
  });

  it('client: NewSessionTicket before the server Finished → unexpected_message', () => {
    clientGets((m) => [...m.slice(0, 3), newSessionTicket(1), m[3]!], 'NewSessionTicket before Finished');
  });

  it('client: KeyUpdate before the server Finished → unexpected_message', () => {
    clientGets((m) => [...m.slice(0, 3), keyUpdate()], 'KeyUpdate during the handshake');
  });

  it('client: a server Finished with wrong verify_data (well encrypted) → decrypt_error', () => {
    clientGets((m) => [...m.slice(0, 3), flipLast(m[3]!)], 'wrong verify_data in Finished, well encrypted', 'decrypt_error', A.decrypt_error);
  });

  // RFC 8446 Section 4.4.4: verify_data is Hash.length bytes; another length is malformed (decode_error), not wrong.
  for (const [name, resize] of [
    ['empty', () => new Uint8Array(0)],
    ['one byte short', (v: Uint8Array) => v.subarray(0, v.length - 1)],
    ['one byte long', (v: Uint8Array) => concatBytes([v, Uint8Array.of(0)])],
  ] as const) {
    it(`client: a server Finished ${name} → decode_error`, () => {
      clientGets((m) => [...m.slice(0, 3), handshake(H.finished, resize(m[3]!.subarray(4)))], `Finished ${name}`, 'decode_error', A.decode_error);
    });
    it(`server: a client Finished ${name} → decode_error`, () => {
      serverGets((f) => [handshake(H.finished, resize(f.clientEncryptedMessages()[0]!.subarray(4)))], `Finished ${name}`, 'decode_error', A.decode_error);
    });
  }

  it('client: a flipped bit in the encrypted server flight → bad_record_mac', () => {
    const s = clientAfterServerHello();
    const [protectedFlight] = splitRecords(s.f.serverFlight).slice(2);
    const bad = protectedFlight!.slice();
    bad[bad.length - 1]! ^= 1;
    const out = s.victim.feed(bad);
    assertEncryptedFatal('TLS 1.3: flipped bit in the encrypted Finished', s.victim, out, 'bad_record_mac', A.bad_record_mac, s.ours, s.f.server);
  });

  /** The client's Finished (or other messages) under its handshake key, after its ChangeCipherSpec. */
  function serverGets(messages: (f: Flow) => Uint8Array[], name: string, kind = 'unexpected_message', alert: number = A.unexpected_message, o = {}) {
    const s = serverAfterItsFlight(o);
    const out = s.victim.feed(record(CT.change_cipher_spec, [1]), s.peerWrite.seal(CT.handshake, concatBytes(messages(s.f))));
    assertEncryptedFatal(`TLS 1.3: ${name}`, s.victim, out, kind, alert, s.ours, s.f.client);
  }

  it('server: Certificate where Finished is expected (no certificate was asked for) → unexpected_message', () => {
    serverGets(() => [certificateMessage(k.client.chain)], 'Certificate where Finished is expected');
  });

  it('server: EndOfEarlyData when no early data was offered → unexpected_message', () => {
    serverGets(() => [handshake(H.end_of_early_data, [])], 'EndOfEarlyData without early data');
  });

  it('server: KeyUpdate before the client Finished → unexpected_message', () => {
    serverGets(() => [keyUpdate()], 'KeyUpdate during the handshake');
  });

  it('server: a second ClientHello under the handshake keys → unexpected_message', () => {
    serverGets((f) => [handshakeMessages(f.clientHello)[0]!], 'a second ClientHello under the handshake keys');
  });

  it('server asking for a certificate: Finished where Certificate is expected → unexpected_message', () => {
    serverGets((f) => f.clientEncryptedMessages().slice(-1), 'Finished where Certificate is expected (mutual TLS)', undefined, undefined, {
      client: { certificates: [k.client] }, server: { requestCert: true },
    });
  });

  it('server asking for a certificate: Finished right after Certificate (no CertificateVerify) → unexpected_message', () => {
    serverGets((f) => {
      const m = f.clientEncryptedMessages();
      assert.deepEqual(types(m), [H.certificate, H.certificate_verify, H.finished]);
      return [m[0]!, m[2]!];
    }, 'Finished right after Certificate (mutual TLS)', undefined, undefined, { client: { certificates: [k.client] }, server: { requestCert: true } });
  });

  it('server: a client Finished with wrong verify_data (well encrypted) → decrypt_error', () => {
    serverGets((f) => [flipLast(f.clientEncryptedMessages()[0]!)], 'wrong verify_data in Finished, well encrypted', 'decrypt_error', A.decrypt_error);
  });

  it('server: a flipped bit in the encrypted client Finished → bad_record_mac', () => {
    const s = serverAfterItsFlight();
    const recs = splitRecords(s.f.clientFlight);
    const fin = recs[recs.length - 1]!.slice();
    fin[fin.length - 1]! ^= 1;
    const out = s.victim.feed(...recs.slice(0, -1), fin);
    assertEncryptedFatal('TLS 1.3: flipped bit in the encrypted Finished', s.victim, out, 'bad_record_mac', A.bad_record_mac, s.ours, s.f.client);
  });
});

// --- the ServerHello: versions and key shares ---

/** A client's first flight answered by `serverFlight` rewritten at its ServerHello. */
function clientGetsServerHello(f: Flow, change: (sh: ServerHello) => ServerHello): { v: Victim; out: Uint8Array } {
  const flight = rewriteHandshake(f.serverFlight, (messages) => {
    const sh = decodeHandshake(H.server_hello, messages[0]!.body, { version: TLS12 }) as ServerHello;
    return [encodeHandshake(change(sh), TLS12), ...messages.slice(1).map((m) => m.raw)];
  });
  const v = new Victim(f.client);
  return { v, out: v.feed(flight) };
}

/** The ServerHello with its key_share extension replaced by `data`. */
const withKeyShare = (data: Uint8Array) => (sh: ServerHello): ServerHello => ({
  ...sh,
  extensions: sh.extensions.map((e) => (e.type === ExtensionType.key_share ? { type: e.type, data } : e)),
});

/** KeyShareEntry { group, key_exchange<1..2^16-1> } with a length field of `length` (RFC 8446 Section 4.2.8). */
const keyShareEntry = (group: number, key: Uint8Array, length = key.length) =>
  concatBytes([Uint8Array.of(group >> 8, group & 0xff, length >> 8, length & 0xff), key]);

describe('the ServerHello version at the client', () => {
  it('client: a TLS 1.2 ServerHello choosing SSL 3.0 → protocol_version', () => {
    const { v, out } = clientGetsServerHello(flow({ server: { maxVersion: TLS12 } }).helloToServer(), (sh) => ({ ...sh, legacyVersion: 0x0300 }));
    assertPlainFatal('TLS 1.2 ServerHello choosing SSL 3.0', v, out, 'protocol_version', A.protocol_version);
  });

  it('client: a ServerHello choosing TLS 1.0, below the client\'s minimum TLS 1.2 → protocol_version', () => {
    const { v, out } = clientGetsServerHello(flow({ server: { maxVersion: TLS12 } }).helloToServer(), (sh) => ({ ...sh, legacyVersion: 0x0301 }));
    assertPlainFatal('TLS 1.2 ServerHello choosing TLS 1.0, below the client\'s minimum', v, out, 'protocol_version', A.protocol_version);
  });

  it('client with minVersion TLS 1.3: a TLS 1.2 ServerHello → protocol_version', () => {
    const f = flow({ client: { minVersion: TLS13 } });
    // The TLS 1.2 answer of a TLS 1.2 server to an ordinary client.
    const other = flow({ server: { maxVersion: TLS12 } }).helloToServer();
    const v = new Victim(f.client);
    const out = v.feed(splitRecords(other.serverFlight)[0]!);
    assertPlainFatal('TLS 1.2 ServerHello to a TLS 1.3-only client', v, out, 'protocol_version', A.protocol_version);
  });

  // RFC 8446 Section 4.2.1: a selected version the client did not offer, or below TLS 1.3, is illegal_parameter.
  for (const [name, selected] of [['TLS 1.2', 0x0303], ['SSL 3.0', 0x0300]] as const) {
    it(`client: supported_versions in ServerHello selecting ${name} → illegal_parameter`, () => {
      const { v, out } = clientGetsServerHello(flow().helloToServer(), (sh) => ({
        ...sh,
        extensions: sh.extensions.map((e) => (e.type === ExtensionType.supported_versions ? { type: e.type, data: Uint8Array.of(selected >> 8, selected & 0xff) } : e)),
      }));
      assertPlainFatal(`TLS 1.3: supported_versions in ServerHello selecting ${name}`, v, out, 'illegal_parameter', A.illegal_parameter);
    });
  }
});

describe('bad key shares at the client', () => {
  // RFC 8446 Section 4.2.8.2, RFC 7748 Section 6.1, RFC 8422 Section 5.11: a share that is not a valid
  // point of its group is illegal_parameter; a length that overruns its field is decode_error.
  const shares13: { cls: string; group: number; data: (group: number) => Uint8Array; kind: string; alert: number }[] = [
    { cls: 'X25519 key_share of 31 bytes', group: NamedGroup.x25519, data: (g) => keyShareEntry(g, new Uint8Array(31).fill(5)), kind: 'illegal_parameter', alert: A.illegal_parameter },
    { cls: 'X25519 key_share of 33 bytes', group: NamedGroup.x25519, data: (g) => keyShareEntry(g, new Uint8Array(33).fill(5)), kind: 'illegal_parameter', alert: A.illegal_parameter },
    { cls: 'X25519 all-zero key_share', group: NamedGroup.x25519, data: (g) => keyShareEntry(g, new Uint8Array(32)), kind: 'illegal_parameter', alert: A.illegal_parameter },
    { cls: 'P-256 key_share not on the curve', group: NamedGroup.secp256r1, data: (g) => keyShareEntry(g, Uint8Array.from([4, ...new Uint8Array(64).fill(1)])), kind: 'illegal_parameter', alert: A.illegal_parameter },
    { cls: 'P-256 key_share of the wrong length', group: NamedGroup.secp256r1, data: (g) => keyShareEntry(g, Uint8Array.from([4, ...new Uint8Array(63).fill(1)])), kind: 'illegal_parameter', alert: A.illegal_parameter },
    { cls: 'X25519MLKEM768 key_share of the wrong length', group: NamedGroup.X25519MLKEM768, data: (g) => keyShareEntry(g, new Uint8Array(1000).fill(5)), kind: 'illegal_parameter', alert: A.illegal_parameter },
    { cls: 'key_share whose length overruns the extension', group: NamedGroup.x25519, data: (g) => keyShareEntry(g, new Uint8Array(31).fill(5), 32), kind: 'decode_error', alert: A.decode_error },
    { cls: 'key_share for a group the client sent no share for', group: NamedGroup.x25519, data: () => keyShareEntry(NamedGroup.secp384r1, new Uint8Array(97).fill(4)), kind: 'illegal_parameter', alert: A.illegal_parameter },
  ];
  for (const c of shares13) {
    it(`client: a TLS 1.3 ServerHello with a ${c.cls} → ${alertDescriptionName(c.alert)}`, () => {
      const groups = [c.group];
      const { v, out } = clientGetsServerHello(flow({ client: { groups }, server: { groups } }).helloToServer(), withKeyShare(c.data(c.group)));
      assertPlainFatal(`TLS 1.3: bad server key share in ServerHello (${c.cls})`, v, out, c.kind, c.alert);
    });
  }

  /** A TLS 1.2 server flight with its ServerKeyExchange replaced by one for `point`, signed with the server's real key. */
  function serverKeyExchangeWith(group: number, point: Uint8Array): { v: Victim; out: Uint8Array } {
    const f = flow({ version: TLS12, client: { groups: [group] }, server: { groups: [group] } }).helloToServer();
    const clientRandom = handshakeMessages(f.clientHello)[0]!.subarray(6, 38);
    const flight = rewriteHandshake(f.serverFlight, (messages) => {
      assert.deepEqual(messages.map((m) => m.type), [H.server_hello, H.certificate, H.server_key_exchange, H.server_hello_done]);
      const serverRandom = messages[0]!.body.subarray(2, 34);
      const ske = decodeHandshake(H.server_key_exchange, messages[2]!.body, { version: TLS12, kx: 'ecdhe' }) as ServerKeyExchangeEcdhe;
      const params = encodeServerEcdhParams(group, point);
      // RFC 5246 Section 7.4.3: the signature covers client_random + server_random + params.
      const signature = nodeCryptoProvider.sign(k.rsa.key, ske.signatureScheme, concatBytes([clientRandom, serverRandom, params]));
      const forged = encodeHandshake({ ...ske, namedGroup: group, publicKey: point, params, signature }, TLS12);
      return [messages[0]!.raw, messages[1]!.raw, forged, messages[3]!.raw];
    });
    const v = new Victim(f.client);
    return { v, out: v.feed(flight) };
  }

  const points12: { cls: string; group: number; point: Uint8Array }[] = [
    { cls: 'P-256 point not on the curve', group: NamedGroup.secp256r1, point: Uint8Array.from([4, ...new Uint8Array(64).fill(1)]) },
    { cls: 'P-256 compressed point', group: NamedGroup.secp256r1, point: Uint8Array.from([2, ...new Uint8Array(32).fill(1)]) },
    { cls: 'P-256 point of the wrong length', group: NamedGroup.secp256r1, point: Uint8Array.from([4, ...new Uint8Array(63).fill(1)]) },
    { cls: 'P-256 point at infinity', group: NamedGroup.secp256r1, point: Uint8Array.of(0) },
    { cls: 'X25519 point of 31 bytes', group: NamedGroup.x25519, point: new Uint8Array(31).fill(5) },
    { cls: 'X25519 all-zero point', group: NamedGroup.x25519, point: new Uint8Array(32) },
  ];
  for (const p of points12) {
    it(`client, TLS 1.2: a signed ServerKeyExchange with a ${p.cls} → illegal_parameter`, () => {
      const { v, out } = serverKeyExchangeWith(p.group, p.point);
      assertPlainFatal(`TLS 1.2: bad ECDHE point in a signed ServerKeyExchange (${p.cls})`, v, out, 'illegal_parameter', A.illegal_parameter);
    });
  }

  it('client, TLS 1.2: a ServerKeyExchange whose point length overruns → decode_error', () => {
    const f = flow({ version: TLS12, client: { groups: [NamedGroup.secp256r1] } }).helloToServer();
    const flight = rewriteHandshake(f.serverFlight, (messages) => [
      messages[0]!.raw, messages[1]!.raw, handshake(H.server_key_exchange, [3, 0, 0x17, 65, ...new Uint8Array(10).fill(4)]), messages[3]!.raw,
    ]);
    const v = new Victim(f.client);
    assertPlainFatal('TLS 1.2: ServerKeyExchange whose point length overruns', v, v.feed(flight), 'decode_error', A.decode_error);
  });
});

// --- tickets ---

describe('a ticket altered under a known ticket key is not an error: the server does a full handshake', () => {
  const ticketKeys = [new Uint8Array(48).fill(0x42)];
  /** The ticket layout (src/handshake/resumption.ts): key_name (16) || nonce (12) || AES-256-GCM(state) || tag (16). */
  const flips: { name: string; at: (ticket: Uint8Array) => number }[] = [
    { name: 'the sealed state', at: () => 16 + 12 + 5 },
    { name: 'the nonce', at: () => 16 + 3 },
    { name: 'the tag', at: (t) => t.length - 1 },
  ];

  for (const [label, version] of [['TLS 1.3', TLS13], ['TLS 1.2', TLS12]] as const) {
    /** A session from a first handshake, and a resumption of it (altered or not) against a new server with the same ticket keys. */
    function resume(alter: ((ticket: Uint8Array) => Uint8Array) | undefined): Pair {
      const pinned = { maxVersion: version };
      const first = Pair.create(makeClientConfig(k, pinned), makeServerConfig(k, { ...pinned, ticketKeys }));
      first.handshake();
      const bytes = first.clientEvents.find((e): e is Extract<ConnectionEvent, { type: 'session' }> => e.type === 'session')!.session;
      const session = decodeClientSession(bytes)!;
      assert.ok(session.ticket.length > 16 + 12 + 16, 'the session carries a ticket');
      const offered = alter ? encodeClientSession({ ...session, ticket: alter(session.ticket) }) : bytes;
      // A new server: the same ticket keys, an empty session cache (TLS 1.2 cannot resume by ID).
      const pair = new Pair(
        new ClientConnection(makeClientConfig(k, pinned), { serverName: 'localhost', session: offered }),
        new ServerConnection(makeServerConfig(k, { ...pinned, ticketKeys })),
      );
      pair.handshake();
      return pair;
    }

    it(`${label}: the unaltered ticket resumes (the control)`, () => {
      const pair = resume(undefined);
      assert.equal(pair.client.info.sessionReused, true);
      assert.equal(pair.server.info.sessionReused, true);
    });

    for (const flip of flips) {
      it(`${label}: a bit flipped in ${flip.name} → a full handshake, no alert, no error`, () => {
        const pair = resume((ticket) => {
          const out = ticket.slice();
          out[flip.at(ticket)]! ^= 0x04;
          return out;
        });
        assert.equal(pair.client.info.sessionReused, false);
        assert.equal(pair.server.info.sessionReused, false);
        assert.equal(pair.client.error as unknown, undefined);
        assert.equal(pair.server.error as unknown, undefined);
        assert.deepEqual([...pair.clientEvents, ...pair.serverEvents].filter((e) => e.type === 'alert' || e.type === 'error'), []);
        assert.ok(pair.client.info.peerCertificates.length > 0, 'the server authenticated with its certificate');
        note(`${label}: ticket with a bit flipped in ${flip.name}, under a known ticket key`, 'server', 'none: a full handshake');
      });
    }
  }
});

// --- certificate and message limits ---

describe('certificate and handshake message limits', () => {
  /** A chain of `n` certificates: our leaf and copies of the root. */
  const chainOf = (key: CertifiedKey, n: number): CertifiedKey => ({ chain: [...key.chain, ...Array(n - key.chain.length).fill(k.roots[0]!)], key: key.key });

  it('client, TLS 1.2: a Certificate over maxCertificateMessage (500) → decode_error', () => {
    const f = flow({ version: TLS12, client: { limits: withLimits({ maxCertificateMessage: 500 }) } }).helloToServer();
    const v = new Victim(f.client);
    const out = v.feed(f.serverFlight);
    assertPlainFatal('TLS 1.2: Certificate over maxCertificateMessage', v, out, 'decode_error', A.decode_error);
    assert.match(v.conn.error!.message, /over the limit of 500/);
  });

  it('client, TLS 1.2: a chain over maxChainLength (5 certificates, limit 3) → bad_certificate', () => {
    const f = flow({ version: TLS12, client: { limits: withLimits({ maxChainLength: 3 }) }, server: { certificates: [chainOf(k.rsa, 5)] } }).helloToServer();
    const v = new Victim(f.client);
    const out = v.feed(f.serverFlight);
    assertPlainFatal('TLS 1.2: chain over maxChainLength', v, out, 'bad_certificate', A.bad_certificate);
    assert.match(v.conn.error!.message, /5 certificates/);
  });

  for (const [label, version] of [['TLS 1.2', TLS12], ['TLS 1.3', TLS13]] as const) {
    it(`client, ${label}: a ServerHello over maxHandshakeMessage (64) → decode_error`, () => {
      const f = flow({ version, client: { limits: withLimits({ maxHandshakeMessage: 64 }) } }).helloToServer();
      const v = new Victim(f.client);
      const out = v.feed(f.serverFlight);
      assertPlainFatal(`${label}: ServerHello over maxHandshakeMessage`, v, out, 'decode_error', A.decode_error);
      assert.match(v.conn.error!.message, /over the limit of 64/);
    });
  }

  it('client, TLS 1.2: a ServerKeyExchange over maxHandshakeMessage (256), after a Certificate held to maxCertificateMessage → decode_error', () => {
    const f = flow({ version: TLS12, client: { limits: withLimits({ maxHandshakeMessage: 256 }) } }).helloToServer();
    const sizes = handshakeMessages(f.serverFlight).map((m) => [m[0], m.length - 4]);
    assert.ok(sizes.every(([type, n]) => type === H.certificate || type === H.server_key_exchange || n! <= 256), JSON.stringify(sizes));
    const v = new Victim(f.client);
    const out = v.feed(f.serverFlight);
    assertPlainFatal('TLS 1.2: ServerKeyExchange over maxHandshakeMessage', v, out, 'decode_error', A.decode_error);
    assert.match(v.conn.error!.message, /over the limit of 256/);
  });

  it('server, TLS 1.2, mutual TLS: a client Certificate over maxCertificateMessage (500) → decode_error', () => {
    const f = flow({ version: TLS12, client: { certificates: [k.client] }, server: { requestCert: true, limits: withLimits({ maxCertificateMessage: 500 }) } })
      .helloToServer().serverFlightToClient();
    const v = new Victim(f.server);
    const out = v.feed(f.clientFlight);
    assertPlainFatal('TLS 1.2: client Certificate over maxCertificateMessage (mutual TLS)', v, out, 'decode_error', A.decode_error);
  });

  it('server, TLS 1.2, mutual TLS: a client chain over maxChainLength (5 certificates, limit 3) → bad_certificate', () => {
    const f = flow({ version: TLS12, client: { certificates: [chainOf(k.client, 5)] }, server: { requestCert: true, limits: withLimits({ maxChainLength: 3 }) } })
      .helloToServer().serverFlightToClient();
    const v = new Victim(f.server);
    const out = v.feed(f.clientFlight);
    assertPlainFatal('TLS 1.2: client chain over maxChainLength (mutual TLS)', v, out, 'bad_certificate', A.bad_certificate);
  });

  it('server, TLS 1.3, mutual TLS: a client Certificate over maxCertificateMessage (500) → decode_error', () => {
    const s = serverAfterItsFlight({ client: { certificates: [k.client] }, server: { requestCert: true, limits: withLimits({ maxCertificateMessage: 500 }) } });
    const out = s.victim.feed(s.f.clientFlight);
    assertEncryptedFatal('TLS 1.3: client Certificate over maxCertificateMessage (mutual TLS)', s.victim, out, 'decode_error', A.decode_error, s.ours, s.f.client);
  });

  it('server, TLS 1.3, mutual TLS: a client chain over maxChainLength (5 certificates, limit 3) → bad_certificate', () => {
    const s = serverAfterItsFlight({ client: { certificates: [chainOf(k.client, 5)] }, server: { requestCert: true, limits: withLimits({ maxChainLength: 3 }) } });
    const out = s.victim.feed(s.f.clientFlight);
    assertEncryptedFatal('TLS 1.3: client chain over maxChainLength (mutual TLS)', s.victim, out, 'bad_certificate', A.bad_certificate, s.ours, s.f.client);
  });
});

// --- TLS 1.2: renegotiation floods share the post-handshake cap ---

describe('TLS 1.2 refused renegotiations without application data (cap 32)', () => {
  for (const role of bothRoles) {
    const what = role === 'client' ? 'HelloRequest' : 'ClientHello';
    it(`${role}: 33 ${what}s, each refused with no_renegotiation, then unexpected_message`, () => {
      // The peer takes the 32 no_renegotiation warnings (its own warning cap raised) so it can read the fatal alert.
      const tolerant = { limits: withLimits({ maxWarningAlerts: 100 }) };
      const f = flow({ version: TLS12, client: role === 'server' ? tolerant : {}, server: role === 'client' ? tolerant : {} }).established();
      const keys = f.keys12();
      const peerWrite = role === 'client' ? keys.server(1) : keys.client(1);
      const ours = role === 'client' ? keys.client(1) : keys.server(1);
      const message = role === 'client' ? handshake(H.hello_request, []) : handshakeMessages(f.clientHello)[0]!;
      const v = new Victim(role === 'client' ? f.client : f.server);
      const peer = role === 'client' ? f.server : f.client;
      const warnings = v.feed(...Array.from({ length: 32 }, () => peerWrite.seal(CT.handshake, message)));
      const recs = splitRecords(warnings);
      assert.equal(recs.length, 32);
      for (const r of recs) assert.deepEqual([...ours.open(r).plaintext], [1, A.no_renegotiation]);
      peer.receive(warnings);
      peer.process();
      assert.equal(peer.error as unknown, undefined);
      const out = v.feed(peerWrite.seal(CT.handshake, message));
      assertEncryptedFatal(`TLS 1.2: ${what} flood (cap 32)`, v, out, 'unexpected_message', A.unexpected_message, ours, peer);
    });
  }
});

after(printObserved);
