// Session resumption in memory: TLS 1.2 by session ID and by ticket (RFC 5077),
// TLS 1.3 by PSK ticket, across servers sharing ticket keys, and the refusals.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { ClientConfig, ServerConfig } from '../src/config.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../src/connection.js';
import { nodeCryptoProvider } from '../src/crypto/node.js';
import { decodeClientSession, encodeClientSession, MemorySessionStore } from '../src/handshake/resumption.js';
import { ProtocolVersion } from '../src/wire/enums.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

function sessionOf(events: ConnectionEvent[]): Uint8Array {
  const s = events.filter((e): e is Extract<ConnectionEvent, { type: 'session' }> => e.type === 'session').at(-1);
  assert.ok(s, 'the client emitted a session');
  return s.session;
}

function connect(client: ClientConfig, server: ServerConfig, session?: Uint8Array, tamper?: Parameters<typeof Pair.create>[3]): Pair {
  const options = session ? { serverName: 'localhost', session } : { serverName: 'localhost' };
  const pair = new Pair(new ClientConnection(client, options), new ServerConnection(server), tamper);
  pair.handshake();
  return pair;
}

describe('resumption', () => {
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version}: a ticket from the first connection resumes the second`, () => {
      const v = ProtocolVersion[version];
      const client = makeClientConfig(k, { maxVersion: v });
      const server = makeServerConfig(k, { maxVersion: v });
      const first = connect(client, server);
      assert.equal(first.client.info.sessionReused, false);
      const second = connect(client, server, sessionOf(first.clientEvents));
      assert.equal(second.client.info.protocol, version);
      assert.equal(second.client.info.sessionReused, true);
      assert.equal(second.server.info.sessionReused, true);
      assert.equal(second.client.info.peerCertificates.length, 1);
      second.client.write(Uint8Array.of(1, 2, 3));
      second.run();
      assert.deepEqual(second.received('server'), Uint8Array.of(1, 2, 3));
    });

    it(`${version}: a fleet of two servers sharing ticket keys resumes each other's sessions`, () => {
      const v = ProtocolVersion[version];
      const ticketKeys = [nodeCryptoProvider.random(48)];
      const client = makeClientConfig(k, { maxVersion: v });
      const a = makeServerConfig(k, { maxVersion: v, ticketKeys });
      const b = makeServerConfig(k, { maxVersion: v, ticketKeys });
      const first = connect(client, a);
      const second = connect(client, b, sessionOf(first.clientEvents));
      assert.equal(second.server.info.sessionReused, true);
      // A server with other keys cannot open the ticket: a full handshake, not a failure.
      const c = makeServerConfig(k, { maxVersion: v });
      const third = connect(client, c, sessionOf(first.clientEvents));
      assert.equal(third.server.info.sessionReused, false);
    });
  }

  it('TLSv1.2: session-ID resumption without tickets, from the server cache', () => {
    const v = ProtocolVersion['TLSv1.2'];
    const client = makeClientConfig(k, { maxVersion: v });
    const server = makeServerConfig(k, { maxVersion: v, issueTickets: false, sessionStore: new MemorySessionStore() });
    const first = connect(client, server);
    const second = connect(client, server, sessionOf(first.clientEvents));
    assert.equal(second.server.info.sessionReused, true);
  });

  it('TLSv1.2: what the server holds from its keys on, in the trace of a full and of a resumed handshake', () => {
    const v = ProtocolVersion['TLSv1.2'];
    const steps: { step: string; holds: Record<string, unknown> }[] = [];
    const trace: ServerConfig['trace'] = (e) => {
      if (e.kind === 'holds' && e.side === 'server') steps.push({ step: e.step, holds: e.holds });
    };
    const client = makeClientConfig(k, { maxVersion: v });
    const server = makeServerConfig(k, { maxVersion: v, issueTickets: false, trace });
    const held = (step: string) => steps.filter((s) => s.step === step).map((s) => s.holds);
    const first = connect(client, server);
    for (const holds of [...held('ExpectChangeCipherSpec'), ...held('ExpectFinished')]) {
      assert.match(String(holds['certificate']), /^subject .*; issuer .*; \w+ key$/);
      assert.equal(holds['privateKey'], '(held, not shown)');
      assert.equal(typeof holds['keyExchangeGroup'], 'string');
      // A traced server keeps the pre-master secret to show it.
      for (const field of ['preMasterSecret', 'masterSecret', 'clientWriteKey', 'serverWriteKey', 'clientWriteIv', 'serverWriteIv']) {
        assert.ok(holds[field] instanceof Uint8Array && holds[field].length > 0, field);
      }
    }
    assert.equal(held('ExpectChangeCipherSpec').length, 1);
    assert.equal(held('ExpectFinished').length, 1);
    steps.length = 0;
    const second = connect(client, server, sessionOf(first.clientEvents));
    assert.equal(second.server.info.sessionReused, true);
    const resumed = [...held('ExpectChangeCipherSpec'), ...held('ExpectFinished')];
    assert.equal(resumed.length, 2);
    for (const holds of resumed) {
      // Resumed: the stored master secret and new keys; no certificate, group or pre-master secret.
      assert.deepEqual(Object.keys(holds).filter((f) => ['certificate', 'keyExchangeGroup', 'preMasterSecret'].includes(f)), []);
      assert.equal(holds['privateKey'], '(held, not shown)');
      assert.ok(holds['masterSecret'] instanceof Uint8Array && holds['masterSecret'].length === 48);
      assert.ok(holds['clientWriteKey'] instanceof Uint8Array && holds['serverWriteKey'] instanceof Uint8Array);
    }
  });

  it('an expired session is not offered... and the handshake is full', () => {
    let now = Date.now();
    const client = makeClientConfig(k, { now: () => new Date(now) });
    const server = makeServerConfig(k, { sessionTimeout: 60, now: () => new Date(now) });
    const first = connect(client, server);
    now += 61_000;
    const second = connect(client, server, sessionOf(first.clientEvents));
    assert.equal(second.server.info.sessionReused, false);
  });

  it('a session for another server name is not offered', () => {
    const client = makeClientConfig(k);
    const server = makeServerConfig(k);
    const first = connect(client, server);
    const pair = new Pair(new ClientConnection(client, { serverName: '127.0.0.1', session: sessionOf(first.clientEvents) }), new ServerConnection(server));
    pair.handshake();
    assert.equal(pair.server.info.sessionReused, false);
  });

  it('TLSv1.3: a tampered PSK binder is decrypt_error', () => {
    const client = makeClientConfig(k);
    const server = makeServerConfig(k);
    const first = connect(client, server);
    const pair = new Pair(
      new ClientConnection(client, { serverName: 'localhost', session: sessionOf(first.clientEvents) }),
      new ServerConnection(server),
      (from, bytes) => {
        if (from !== 'client' || bytes[5] !== 1) return bytes;
        const copy = bytes.slice();
        copy[copy.length - 1]! ^= 0x01; // the last byte of the ClientHello is the end of the binder
        return copy;
      },
    );
    pair.run();
    assert.equal(pair.server.error?.kind, 'decrypt_error');
    assert.equal(pair.client.error?.code, 'ERR_TLS_ALERT_DECRYPT_ERROR');
  });

  it('garbage session bytes are ignored', () => {
    const pair = new Pair(new ClientConnection(makeClientConfig(k), { serverName: 'localhost', session: Uint8Array.of(1, 2, 3) }), new ServerConnection(makeServerConfig(k)));
    pair.handshake();
    assert.equal(pair.client.info.sessionReused, false);
  });
});

describe('TLS 1.3 PSK modes', () => {
  it('psk_dhe_ke by default: a resumed handshake still agrees a fresh key', () => {
    const client = makeClientConfig(k);
    const server = makeServerConfig(k);
    const second = connect(client, server, sessionOf(connect(client, server).clientEvents));
    assert.equal(second.server.info.sessionReused, true);
    assert.notEqual(second.server.info.group, undefined);
  });

  it('psk_ke only when both sides list it: resumption without (EC)DHE', () => {
    const client = makeClientConfig(k, { pskModes: [0] });
    const server = makeServerConfig(k, { pskModes: [0, 1] });
    const second = connect(client, server, sessionOf(connect(client, server).clientEvents));
    assert.equal(second.client.info.sessionReused, true);
    assert.equal(second.server.info.group, undefined);
    assert.equal(second.client.info.group, undefined);
  });

  it('a server that does not list psk_ke does a full handshake for a psk_ke-only client', () => {
    const client = makeClientConfig(k, { pskModes: [0] });
    const server = makeServerConfig(k);
    const second = connect(client, server, sessionOf(connect(client, server).clientEvents));
    assert.equal(second.server.info.sessionReused, false);
  });
});

// ---------- ticket keys: the ring, its rotation, and a fleet rolling its shared key ----------

/** A TLS 1.2 session store that keeps nothing: resumption can then come from the ticket alone. */
const noStore = { get: () => undefined, set: () => {}, delete: () => {} };

/** The 16-byte key name a ticket starts with (RFC 5077 Section 4's recommended format, which we follow). */
function keyNameOf(session: Uint8Array): string {
  const s = decodeClientSession(session);
  assert.ok(s && s.ticket.length > 0, 'the session holds a ticket');
  return Buffer.from(s.ticket.subarray(0, 16)).toString('hex');
}

const HOUR = 3600;

describe('ticket keys', () => {
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    const v = ProtocolVersion[version];
    /** A server whose own keys rotate every hour and open tickets for three, on a clock the test moves. */
    function rotatingServer(clock: { now: number }) {
      return makeServerConfig(k, {
        maxVersion: v,
        sessionStore: noStore,
        sessionTimeout: 6 * HOUR,
        ticketKeyRotation: HOUR,
        ticketKeyLifetime: 3 * HOUR,
        now: () => new Date(clock.now),
      });
    }

    it(`${version}: a ticket sealed before the server rotates its own key still resumes after the rotation`, () => {
      const clock = { now: Date.now() };
      const client = makeClientConfig(k, { maxVersion: v });
      const server = rotatingServer(clock);
      const ticket = sessionOf(connect(client, server).clientEvents);
      const before = keyNameOf(ticket);
      assert.equal(server.ticketKeyRing.size, 1);

      clock.now += HOUR * 1000 + 1;
      const resumed = connect(client, server, ticket);
      assert.equal(resumed.server.info.sessionReused, true, 'the ticket under the previous key resumes');
      assert.equal(resumed.client.info.sessionReused, true);
      assert.equal(server.ticketKeyRing.size, 2, 'the new key seals, the previous one still opens');
      // The server rotated: what it seals now carries another key name.
      const fresh = sessionOf(connect(client, server).clientEvents);
      assert.notEqual(keyNameOf(fresh), before, 'new tickets are sealed under the new key');
      resumed.client.write(Uint8Array.of(7, 8, 9));
      resumed.run();
      assert.deepEqual(resumed.received('server'), Uint8Array.of(7, 8, 9));
    });

    it(`${version}: a ticket older than the key lifetime does a full handshake, though its own lifetime has not run out`, () => {
      const clock = { now: Date.now() };
      const client = makeClientConfig(k, { maxVersion: v });
      const server = rotatingServer(clock);
      const ticket = sessionOf(connect(client, server).clientEvents);
      // Hours 1 and 2: the key that sealed the ticket is one and two rotations old, and still opens it.
      for (const hour of [1, 2]) {
        clock.now += HOUR * 1000;
        assert.equal(connect(client, server, ticket).server.info.sessionReused, true, `resumed after ${hour} h`);
      }
      assert.ok(server.ticketKeyRing.size <= 3, 'the ring holds no more than lifetime / rotation keys');
      // Hour 3: the key is three hours old, the end of its lifetime; dropped at this rotation.
      clock.now += HOUR * 1000;
      const late = connect(client, server, ticket);
      assert.equal(late.server.info.sessionReused, false, 'a full handshake: the key is gone');
      assert.equal(late.client.info.sessionReused, false);
      assert.equal(late.server.error, undefined);
      assert.equal(server.ticketKeyRing.size, 3);
    });

    it(`${version}: two servers sharing ticket keys resume each other's tickets across a rotation of the shared key`, () => {
      const client = makeClientConfig(k, { maxVersion: v });
      const [k1, k2, k3] = [1, 2, 3].map((n) => new Uint8Array(48).fill(n)) as [Uint8Array, Uint8Array, Uint8Array];
      const a = makeServerConfig(k, { maxVersion: v, sessionStore: noStore, ticketKeys: [k1] });
      const b = makeServerConfig(k, { maxVersion: v, sessionStore: noStore, ticketKeys: [k1] });
      const fromA = sessionOf(connect(client, a).clientEvents);
      assert.equal(keyNameOf(fromA), Buffer.from(k1.subarray(0, 16)).toString('hex'));

      // The fleet rolls to k2, server by server: k1 still opens on both.
      a.ticketKeyRing.install(k2);
      assert.equal(connect(client, b, fromA).server.info.sessionReused, true, 'B (still on k1) resumes A\'s ticket');
      b.ticketKeyRing.install(k2);
      b.ticketKeyRing.install(k2); // installing the current key again changes nothing
      const onB = connect(client, b, fromA);
      assert.equal(onB.server.info.sessionReused, true, 'B resumes A\'s k1 ticket after the roll');
      const fromB = sessionOf(connect(client, b).clientEvents);
      assert.equal(keyNameOf(fromB), Buffer.from(k2.subarray(0, 16)).toString('hex'), 'B seals under k2 now');
      assert.equal(connect(client, a, fromB).server.info.sessionReused, true, 'A resumes B\'s k2 ticket');

      // The next roll drops k1: its tickets do a full handshake; k2's still resume.
      a.ticketKeyRing.install(k3);
      b.ticketKeyRing.install(k3);
      assert.equal(connect(client, a, fromA).server.info.sessionReused, false, 'k1 is two rolls old: full handshake');
      assert.equal(connect(client, b, fromB).server.info.sessionReused, true, 'k2 is the previous key: resumed');
      assert.deepEqual(a.ticketKeyRing.current(), k3);
    });

    it(`${version}: a ticket with any one bit flipped (key name, nonce, sealed state, tag) is a full handshake`, () => {
      const client = makeClientConfig(k, { maxVersion: v });
      const server = makeServerConfig(k, { maxVersion: v, sessionStore: noStore });
      const session = sessionOf(connect(client, server).clientEvents);
      const s = decodeClientSession(session)!;
      assert.equal(connect(client, server, session).server.info.sessionReused, true, 'the ticket as issued resumes');
      for (const at of [0, 15, 16, 27, 28, s.ticket.length - 17, s.ticket.length - 1]) {
        const ticket = s.ticket.slice();
        ticket[at]! ^= 0x04;
        const pair = connect(client, server, encodeClientSession({ ...s, ticket }));
        assert.equal(pair.server.info.sessionReused, false, `bit flipped at byte ${at}: not resumed`);
        assert.equal(pair.client.info.sessionReused, false);
        assert.equal(pair.server.error, undefined, `bit flipped at byte ${at}: no error, just a full handshake`);
      }
    });
  }

  it('install() keeps the key it replaces and drops the one before; the settings are checked', () => {
    const [k1, k2, k3] = [1, 2, 3].map((n) => new Uint8Array(48).fill(n)) as [Uint8Array, Uint8Array, Uint8Array];
    const server = makeServerConfig(k, { ticketKeys: [k1] });
    const ring = server.ticketKeyRing;
    ring.install(k2);
    assert.deepEqual([ring.current(), ring.size, ring.find(k1.subarray(0, 16)) !== undefined], [k2, 2, true]);
    ring.install(k3);
    assert.deepEqual([ring.current(), ring.size, ring.find(k1.subarray(0, 16))], [k3, 2, undefined]);
    assert.throws(() => ring.install(new Uint8Array(32)), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => makeServerConfig(k, { ticketKeyRotation: 0 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => makeServerConfig(k, { ticketKeyRotation: HOUR, ticketKeyLifetime: HOUR - 1 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => makeServerConfig(k, { ticketKeyRotation: 1, ticketKeyLifetime: 17 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => makeServerConfig(k, { ticketKeys: Array.from({ length: 17 }, () => new Uint8Array(48)) }), { code: 'ERR_OUT_OF_RANGE' });
    const defaults = makeServerConfig(k);
    assert.deepEqual([defaults.ticketKeyRotation, defaults.ticketKeyLifetime], [24 * HOUR, 7 * 24 * HOUR]);
  });
});

describe('TLS 1.3: several tickets per handshake (ticketsPerHandshake)', () => {
  const tls13 = { maxVersion: ProtocolVersion['TLSv1.3'] };
  const sessionsOf = (events: ConnectionEvent[]) =>
    events.filter((e): e is Extract<ConnectionEvent, { type: 'session' }> => e.type === 'session').map((e) => e.session);

  it('three tickets after a full handshake, each its own PSK, each resuming; one after a resumption (ticketOnResumption)', () => {
    const client = makeClientConfig(k, tls13);
    const server = makeServerConfig(k, { ...tls13, ticketsPerHandshake: 3 });
    const first = connect(client, server);
    const tickets = sessionsOf(first.clientEvents);
    assert.equal(tickets.length, 3);
    const secrets = tickets.map((t) => Buffer.from(decodeClientSession(t)!.secret).toString('hex'));
    assert.equal(new Set(secrets).size, 3, 'each ticket derives its own PSK (its own nonce)');
    for (const ticket of tickets) {
      const again = connect(client, server, ticket);
      assert.equal(again.server.info.sessionReused, true);
      assert.equal(sessionsOf(again.clientEvents).length, 1);
    }
  });

  it('1 by default; 0 or more than 16 is refused when the config is made', () => {
    const first = connect(makeClientConfig(k, tls13), makeServerConfig(k, tls13));
    assert.equal(sessionsOf(first.clientEvents).length, 1);
    for (const ticketsPerHandshake of [0, 17, 1.5]) {
      assert.throws(() => makeServerConfig(k, { ticketsPerHandshake }), { code: 'ERR_OUT_OF_RANGE' });
    }
  });
});
