// The server's view of a TLS 1.3 ticket's age, in memory, with the two sides' clocks set apart.
//
// What the engine does (src/handshake/server13.ts): acceptPsk() skips a ticket once the server's own
// clock says it is `sessionTimeout` seconds old (RFC 8446 Section 4.6.1: never resumed past its
// lifetime), and acceptEarlyData() compares the client's age — obfuscated_ticket_age minus the
// ticket's ticket_age_add, mod 2^32 (Section 4.2.11) — with the age by the server's clock, refusing
// 0-RTT when they differ by more than 10 s (TICKET_AGE_TOLERANCE_MS; Section 8.3: "proceed with the
// handshake but reject 0-RTT"). The client computes its age from its own clock, so moving one clock
// and not the other makes the age the client sends wrong by exactly that much:
//   - ages that agree (both clocks moved 5 s): resumed, 0-RTT accepted;
//   - the client's age off by 60 s, either way: still resumed (the PSK is good), 0-RTT rejected and the
//     data sent again after the handshake; 9 s off is accepted, 11 s off is not;
//   - the server's clock past the ticket lifetime while the client's is not (so the client offers it):
//     a full handshake, nothing resumed.
// And on the wire: the age in the ClientHello is obfuscated (age + ticket_age_add mod 2^32).

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { ClientConfig, ServerConfig } from '../src/config.js';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../src/connection.js';
import { decodeClientSession } from '../src/handshake/resumption.js';
import type { TraceEvent } from '../src/trace.js';
import { ExtensionType, HandshakeType } from '../src/wire/enums.js';
import { decodePreSharedKeyClient, findExtension } from '../src/wire/extensions.js';
import { decodeHandshake, type ClientHello } from '../src/wire/messages.js';
import { handshakeMessagesOf } from './flight.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

const LIFETIME = 300; // seconds: the server's sessionTimeout, sent as ticket_lifetime
const request = new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n');
// Real time (a minute on, as other tests do for freshly made certificates): the client's clock also checks the chain.
const T0 = Date.now() + 60_000;

/** Two clocks that tests move apart. */
class Clocks {
  client = T0;
  server = T0;
  advance(ms: { client?: number; server?: number }): void {
    this.client += ms.client ?? 0;
    this.server += ms.server ?? 0;
  }
}

interface Resumed {
  readonly pair: Pair;
  readonly notes: string[];
  readonly clientHello: ClientHello;
}

/** A fresh ticket at T0 (each test its own: 0-RTT tickets are single-use), then a resumption after `move`. */
function resumeAfter(move: { client?: number; server?: number }): Resumed & { session: Uint8Array } {
  const clocks = new Clocks();
  const client: ClientConfig = makeClientConfig(k, { now: () => new Date(clocks.client) });
  const notes: string[] = [];
  const server: ServerConfig = makeServerConfig(k, {
    now: () => new Date(clocks.server),
    sessionTimeout: LIFETIME,
    maxEarlyData: 16384,
    ticketKeys: [new Uint8Array(48).fill(9)],
    trace: (e: TraceEvent) => void (e.kind === 'note' && notes.push(e.text)),
  });
  const first = Pair.create(client, server);
  first.handshake();
  const s = first.clientEvents.find((e): e is Extract<ConnectionEvent, { type: 'session' }> => e.type === 'session');
  assert.ok(s, 'the first connection gave a session');
  notes.length = 0;

  clocks.advance(move);
  let hello: ClientHello | undefined;
  const pair = new Pair(
    new ClientConnection(client, { serverName: 'localhost', session: s.session, earlyData: request }),
    new ServerConnection(server),
    (from, bytes) => {
      if (from === 'client' && !hello) {
        const m = handshakeMessagesOf(bytes)[0]!;
        hello = decodeHandshake(m.type, m.body, { version: 0x0303 }) as ClientHello;
      }
      return bytes;
    },
  );
  pair.handshake();
  assert.ok(hello && hello.type === HandshakeType.client_hello);
  return { pair, notes, clientHello: hello, session: s.session };
}

const earlyReceived = (events: ConnectionEvent[]): string =>
  events.flatMap((e) => (e.type === 'earlyData' ? [new TextDecoder().decode(e.data)] : [])).join('');
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

function assertZeroRttAccepted(r: Resumed): void {
  assert.equal(r.pair.server.info.sessionReused, true);
  assert.equal(r.pair.server.info.earlyData, 'accepted', r.notes.join('; '));
  assert.equal(r.pair.client.info.earlyData, 'accepted');
  assert.equal(earlyReceived(r.pair.serverEvents), text(request));
  assert.equal(r.pair.received('server').length, 0);
}

function assertResumedWithout0Rtt(r: Resumed): void {
  assert.equal(r.pair.server.info.sessionReused, true, 'the PSK itself is still good');
  assert.equal(r.pair.client.info.sessionReused, true);
  assert.equal(r.pair.server.info.earlyData, 'rejected');
  assert.equal(r.pair.client.info.earlyData, 'rejected');
  assert.equal(earlyReceived(r.pair.serverEvents), '', 'no early data reached the application');
  assert.equal(text(r.pair.received('server')), text(request), 'the client sent it again after the handshake');
  assert.ok(r.notes.includes('0-RTT rejected: the ticket age does not fit'), r.notes.join('; '));
}

describe('TLS 1.3 ticket age: 0-RTT only when the client\'s age fits the server\'s', () => {
  it('both clocks 5 s on: the ages agree, 0-RTT accepted', () => {
    assertZeroRttAccepted(resumeAfter({ client: 5_000, server: 5_000 }));
  });

  it('the server 60 s on, the client not: the client says 0 s, the server knows 60 s — resumed, 0-RTT rejected', () => {
    assertResumedWithout0Rtt(resumeAfter({ server: 60_000 }));
  });

  it('the client 60 s on, the server not: the client says 60 s, the server knows 0 s — resumed, 0-RTT rejected', () => {
    assertResumedWithout0Rtt(resumeAfter({ client: 60_000 }));
  });

  it('9 s apart is within the server\'s 10 s window: accepted', () => {
    assertZeroRttAccepted(resumeAfter({ client: 20_000, server: 29_000 }));
  });

  it('11 s apart is not: rejected', () => {
    assertResumedWithout0Rtt(resumeAfter({ client: 20_000, server: 31_000 }));
  });
});

describe('TLS 1.3 ticket lifetime, by the server\'s clock', () => {
  it(`a ticket ${LIFETIME + 1} s old by the server (the client's clock says 1 s) is not resumed: full handshake`, () => {
    const r = resumeAfter({ client: 1_000, server: (LIFETIME + 1) * 1000 });
    assert.ok(findExtension(r.clientHello.extensions, ExtensionType.pre_shared_key), 'the client still offered the ticket');
    assert.equal(r.pair.server.info.sessionReused, false);
    assert.equal(r.pair.client.info.sessionReused, false);
    assert.equal(r.pair.client.info.earlyData, 'rejected');
    assert.equal(earlyReceived(r.pair.serverEvents), '');
    assert.equal(text(r.pair.received('server')), text(request), 'the early data went again after the full handshake');
    assert.ok(r.pair.client.info.peerCertificates.length > 0, 'a full handshake: the server sent its certificate');
  });

  it(`a ticket ${LIFETIME - 1} s old on both clocks is still resumed (0-RTT too: the ages agree)`, () => {
    assertZeroRttAccepted(resumeAfter({ client: (LIFETIME - 1) * 1000, server: (LIFETIME - 1) * 1000 }));
  });

  it(`exactly ${LIFETIME} s old by the server: expired (the lifetime is an upper bound, not included)`, () => {
    const r = resumeAfter({ client: 1_000, server: LIFETIME * 1000 });
    assert.equal(r.pair.server.info.sessionReused, false);
  });
});

describe('obfuscated_ticket_age on the wire (RFC 8446 Section 4.2.11)', () => {
  it('is the client\'s age in ms plus ticket_age_add, mod 2^32 — not the plain age', () => {
    const age = 7_250;
    const r = resumeAfter({ client: age, server: age });
    const ext = findExtension(r.clientHello.extensions, ExtensionType.pre_shared_key);
    assert.ok(ext);
    const [identity] = decodePreSharedKeyClient(ext.data).identities;
    const session = decodeClientSession(r.session);
    assert.ok(identity && session);
    assert.equal(identity.obfuscatedTicketAge, (age + session.ticketAgeAdd) >>> 0);
    assert.notEqual(identity.obfuscatedTicketAge, age, 'the age is not sent in the clear (ticket_age_add is random)');
  });
});
