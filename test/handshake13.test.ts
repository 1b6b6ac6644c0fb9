// In-memory TLS 1.3 handshakes between typetls's own client and server: every
// suite and group, HelloRetryRequest, client authentication, version
// negotiation with TLS 1.2 peers and the downgrade sentinel, KeyUpdate.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { defaultLimits } from '../src/config.js';
import { suiteByName } from '../src/suites.js';
import type { TraceEvent } from '../src/trace.js';
import { concatBytes } from '../src/wire/bytes.js';
import { encodeCookie } from '../src/wire/extensions.js';
import { ExtensionType, HandshakeType, NamedGroup, ProtocolVersion } from '../src/wire/enums.js';
import { decodeHandshakeMessage, encodeHandshake, isHelloRetryRequest, type ClientHello, type Extension, type ServerHello } from '../src/wire/messages.js';
import { ContentTypes, handshakeMessagesOf, rewriteHandshake } from './flight.js';
import { findRecords } from './fuzz/mutator.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

const suites13 = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];
const groups: Record<string, number> = {
  X25519: NamedGroup.x25519,
  'P-256': NamedGroup.secp256r1,
  'P-384': NamedGroup.secp384r1,
  X25519MLKEM768: NamedGroup.X25519MLKEM768,
  ffdhe2048: NamedGroup.ffdhe2048,
};

function payload(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + 5) & 0xff;
  return b;
}

describe('TLS 1.3 in memory', () => {
  for (const name of suites13) {
    for (const [g, group] of Object.entries(groups)) {
      it(`${name} ${g}: handshake and 100 KiB both ways`, () => {
        const suite = suiteByName(name)!;
        const pair = Pair.create(makeClientConfig(k, { cipherSuites: [suite.id], groups: [group] }), makeServerConfig(k, { groups: [group] }));
        pair.handshake();
        for (const side of [pair.client, pair.server]) {
          assert.equal(side.info.protocol, 'TLSv1.3');
          assert.equal(side.info.cipherSuite?.standardName, name);
          assert.equal(side.info.group, group);
        }
        const data = payload(100 * 1024);
        pair.client.write(data);
        pair.server.write(data.subarray(0, 33_333));
        pair.run();
        assert.deepEqual(pair.received('server'), data);
        assert.deepEqual(pair.received('client'), data.subarray(0, 33_333));
      });
    }
  }

  it('defaults: TLS 1.3 with X25519MLKEM768, the client sharing X25519 beside it', () => {
    const pair = Pair.create(makeClientConfig(k), makeServerConfig(k));
    pair.handshake();
    assert.equal(pair.client.info.protocol, 'TLSv1.3');
    assert.equal(pair.server.info.group, NamedGroup.X25519MLKEM768);
  });

  it('HelloRetryRequest when the client has no share for the server group', () => {
    const pair = Pair.create(
      makeClientConfig(k, { groups: [NamedGroup.secp256r1, NamedGroup.x25519] }),
      makeServerConfig(k, { groups: [NamedGroup.x25519] }),
    );
    pair.handshake();
    assert.equal(pair.client.info.group, NamedGroup.x25519);
    assert.equal(pair.server.info.group, NamedGroup.x25519);
  });

  describe('HelloRetryRequest with a cookie (RFC 8446 Section 4.2.2): the client echoes it byte for byte', () => {
    /**
     * Our client against our server, made to send a HelloRetryRequest (no P-256 share), with the HRR
     * rewritten in flight by `edit`. Returns the messages and record types of the client's answer.
     * Our server sends no cookie and so cannot finish the handshake; only the client's answer is looked at.
     */
    function answerTo(edit: (hrr: ServerHello) => ServerHello): { hellos: ClientHello[]; records: number[] } {
      const hellos: ClientHello[] = [];
      let records: number[] = [];
      let retried = false;
      const pair = Pair.create(makeClientConfig(k), makeServerConfig(k, { groups: [NamedGroup.secp256r1] }), 'localhost', (from, bytes) => {
        if (from === 'server' && !retried) {
          retried = true;
          return rewriteHandshake(bytes, (messages) =>
            messages.map((m) => encodeHandshake(edit(decodeHandshakeMessage(m.raw, { version: 0x0304 }) as ServerHello), 0x0304)),
          );
        }
        if (from === 'client') {
          for (const m of handshakeMessagesOf(bytes)) if (m.type === HandshakeType.client_hello) hellos.push(decodeHandshakeMessage(m.raw, { version: 0x0304 }) as ClientHello);
          if (retried && records.length === 0) records = findRecords(bytes).map((r) => r.type);
        }
        return bytes;
      });
      pair.run();
      return { hellos, records };
    }
    const cookieOf = (m: { extensions: readonly Extension[] }) => m.extensions.find((e) => e.type === ExtensionType.cookie)?.data;
    const shareOf = (m: { extensions: readonly Extension[] }) => m.extensions.find((e) => e.type === ExtensionType.key_share)?.data;

    for (const [what, cookie, keepShare] of [
      ['a one-byte cookie beside the key_share', Uint8Array.of(0x5a), true],
      ['a 600-byte cookie and no key_share (the client keeps its shares)', Uint8Array.from({ length: 600 }, (_, i) => (i * 7) & 0xff), false],
    ] as const) {
      it(what, () => {
        let sent: Uint8Array | undefined;
        const { hellos, records } = answerTo((hrr) => {
          assert.ok(isHelloRetryRequest(hrr));
          sent = encodeCookie(cookie);
          const extensions = hrr.extensions.filter((e) => keepShare || e.type !== ExtensionType.key_share);
          return { ...hrr, extensions: [...extensions, { type: ExtensionType.cookie, data: sent }] };
        });
        assert.equal(hellos.length, 2, 'the client answered with a second ClientHello');
        const [first, second] = hellos as [ClientHello, ClientHello];
        assert.equal(cookieOf(first), undefined);
        assert.deepEqual(cookieOf(second), sent, 'the extension data, length included, is the HelloRetryRequest\'s');
        if (keepShare) assert.notDeepEqual(shareOf(second), shareOf(first), 'a P-256 share now');
        else assert.deepEqual(shareOf(second), shareOf(first), 'the same shares again');
        // A cookie means the server may be stateless: no ChangeCipherSpec before the second ClientHello.
        assert.deepEqual(records, [ContentTypes.handshake]);
      });
    }

    it('without a cookie in the HelloRetryRequest the second ClientHello has none, after the compatibility ChangeCipherSpec', () => {
      const { hellos, records } = answerTo((hrr) => hrr);
      assert.equal(cookieOf(hellos[1]!), undefined);
      assert.deepEqual(records, [ContentTypes.change_cipher_spec, ContentTypes.handshake]);
    });
  });

  it('ECDSA certificate', () => {
    const pair = Pair.create(makeClientConfig(k), makeServerConfig(k, { certificates: [k.ecdsa] }));
    pair.handshake();
    assert.equal(pair.client.info.protocol, 'TLSv1.3');
  });

  it('mutual authentication, and certificate_required without a client certificate', () => {
    const ok = Pair.create(makeClientConfig(k, { certificates: [k.client] }), makeServerConfig(k, { requestCert: true }));
    ok.handshake();
    assert.equal(ok.server.info.authorized, true);
    const refused = Pair.create(makeClientConfig(k), makeServerConfig(k, { requestCert: true }));
    refused.run();
    assert.equal(refused.server.error?.kind, 'certificate_required');
    assert.equal(refused.client.error?.code, 'ERR_TLS_ALERT_CERTIFICATE_REQUIRED');
  });

  it('a TLS 1.3 client and a TLS 1.2-only server meet at TLS 1.2', () => {
    const pair = Pair.create(makeClientConfig(k), makeServerConfig(k, { maxVersion: ProtocolVersion['TLSv1.2'] }));
    pair.handshake();
    assert.equal(pair.client.info.protocol, 'TLSv1.2');
  });

  it('the downgrade sentinel: a TLS 1.3 server forced to answer 1.2 is refused by a TLS 1.3 client', () => {
    // The client claims 1.2 only in its hello (supported_versions removed in flight), the
    // server (1.3-capable) answers TLS 1.2 with DOWNGRD 01 in its random, and the client notices.
    const pair = Pair.create(makeClientConfig(k), makeServerConfig(k), 'localhost', (from, bytes) => {
      if (from !== 'client' || bytes[5] !== 1) return bytes;
      const copy = bytes.slice();
      // Rename supported_versions (0x002b) to an unknown extension type (0x2b2b): the server no longer sees it.
      for (let i = 9; i + 1 < copy.length; i++) {
        if (copy[i] === 0x00 && copy[i + 1] === 0x2b && copy[i + 2] === 0x00 && (copy[i + 3] === 0x05 || copy[i + 3] === 0x03)) {
          copy[i] = 0x2b;
          break;
        }
      }
      return copy;
    });
    pair.run();
    assert.equal(pair.server.info.protocol, 'TLSv1.2');
    assert.equal(pair.client.error?.kind, 'illegal_parameter');
    assert.match(pair.client.error!.message, /downgrade/);
  });

  it('a client with minVersion TLS 1.3 refuses a TLS 1.2-only server', () => {
    const pair = Pair.create(makeClientConfig(k, { minVersion: ProtocolVersion['TLSv1.3'] }), makeServerConfig(k, { maxVersion: ProtocolVersion['TLSv1.2'] }));
    pair.run();
    assert.equal(pair.server.error?.kind, 'protocol_version');
    assert.equal(pair.client.error?.code, 'ERR_TLS_ALERT_PROTOCOL_VERSION');
  });

  it('the client receives a session ticket', () => {
    const pair = Pair.create(makeClientConfig(k), makeServerConfig(k));
    pair.handshake();
    assert.ok(pair.clientEvents.some((e) => e.type === 'session'));
  });

  it('KeyUpdate: the client updates and asks the server to; data flows both ways after', () => {
    const pair = Pair.create(makeClientConfig(k), makeServerConfig(k));
    pair.handshake();
    pair.client.updateKeys(true);
    pair.client.write(Uint8Array.of(1));
    pair.run();
    pair.server.write(Uint8Array.of(2));
    pair.server.updateKeys(false);
    pair.server.write(Uint8Array.of(3));
    pair.run();
    pair.client.write(Uint8Array.of(4));
    pair.run();
    assert.deepEqual(pair.received('server'), Uint8Array.of(1, 4));
    assert.deepEqual(pair.received('client'), Uint8Array.of(2, 3));
    assert.equal(pair.client.error, undefined);
    assert.equal(pair.server.error, undefined);
  });

  it('KeyUpdate is refused by the API in TLS 1.2 and before the handshake', () => {
    const pair = Pair.create(makeClientConfig(k, { maxVersion: ProtocolVersion['TLSv1.2'] }), makeServerConfig(k));
    assert.throws(() => pair.client.updateKeys(), { code: 'ERR_TLS_INVALID_STATE' });
    pair.handshake();
    assert.throws(() => pair.client.updateKeys(), { code: 'ERR_TLS_INVALID_STATE' });
  });

  describe('automatic KeyUpdate at limits.maxRecordsPerKey (RFC 8446 Section 5.5)', () => {
    /**
     * The sender's records after the handshake as letters: K for a KeyUpdate it sent, r for each
     * protected record (the KeyUpdate's own record among them).
     */
    function sentAfterHandshake(events: TraceEvent[]): string {
      const done = events.findIndex((e) => e.kind === 'note' && /handshake complete/.test(e.text));
      return events
        .slice(done + 1)
        .map((e) => (e.kind === 'message' && e.direction === 'sent' && e.name === 'KeyUpdate' ? 'K' : e.kind === 'record' && e.direction === 'sent' ? 'r' : ''))
        .join('');
    }
    const received = (events: TraceEvent[], name: string): number =>
      events.filter((e) => e.kind === 'message' && e.direction === 'received' && e.name === name).length;

    for (const name of suites13) {
      const suite = suiteByName(name)!;
      it(`${name}: a client limited to 4 records per key sends KeyUpdate before its 5th and 9th record; the server follows, byte for byte`, () => {
        const clientTrace: TraceEvent[] = [];
        const serverTrace: TraceEvent[] = [];
        const pair = Pair.create(
          makeClientConfig(k, { cipherSuites: [suite.id], limits: { ...defaultLimits, maxRecordsPerKey: 4 }, trace: (e) => clientTrace.push(e) }),
          makeServerConfig(k, { issueTickets: false, trace: (e) => serverTrace.push(e) }),
        );
        pair.handshake();
        const sent: Uint8Array[] = [];
        for (let i = 0; i < 10; i++) {
          sent.push(payload(100 + i));
          pair.client.write(sent[i]!);
        }
        pair.run();
        assert.equal(sentAfterHandshake(clientTrace), 'rrrr' + 'Kr' + 'rrrr' + 'Kr' + 'rr');
        assert.equal(received(serverTrace, 'KeyUpdate'), 2, 'the server read both KeyUpdates');
        assert.deepEqual(pair.received('server'), concatBytes(...sent), 'and every byte under the next keys');
        // update_not_requested: the server's own key is not at its limit, so it does not answer.
        assert.equal(serverTrace.filter((e) => e.kind === 'message' && e.direction === 'sent' && e.name === 'KeyUpdate').length, 0);
        pair.server.write(Uint8Array.of(42));
        pair.run();
        assert.deepEqual(pair.received('client'), Uint8Array.of(42));
        assert.equal(pair.client.error, undefined);
        assert.equal(pair.server.error, undefined);
      });
    }

    it('one large write is split where the limit falls: 9 full records under a limit of 4 go 4, KeyUpdate, 4, KeyUpdate, 1', () => {
      const serverTrace: TraceEvent[] = [];
      const clientTrace: TraceEvent[] = [];
      const pair = Pair.create(
        makeClientConfig(k, { trace: (e) => clientTrace.push(e) }),
        makeServerConfig(k, { issueTickets: false, limits: { ...defaultLimits, maxRecordsPerKey: 4 }, trace: (e) => serverTrace.push(e) }),
      );
      pair.handshake();
      const data = payload(9 * 16384);
      pair.server.write(data);
      pair.run();
      assert.equal(sentAfterHandshake(serverTrace), 'rrrr' + 'Kr' + 'rrrr' + 'Kr' + 'r');
      assert.equal(received(clientTrace, 'KeyUpdate'), 2);
      assert.deepEqual(pair.received('client'), data);
    });

    it('data written before the handshake completes is counted and limited too', () => {
      const clientTrace: TraceEvent[] = [];
      const pair = Pair.create(
        makeClientConfig(k, { limits: { ...defaultLimits, maxRecordsPerKey: 2 }, trace: (e) => clientTrace.push(e) }),
        makeServerConfig(k, { issueTickets: false }),
      );
      const sent = [payload(10), payload(20), payload(30), payload(40), payload(50)];
      for (const b of sent) pair.client.write(b);
      pair.handshake();
      assert.equal(sentAfterHandshake(clientTrace), 'rr' + 'Kr' + 'rr' + 'Kr' + 'r');
      assert.deepEqual(pair.received('server'), concatBytes(...sent));
    });

    it('the default is 2^23 records; maxRecordsPerKey must be 1 to 2^24.5', () => {
      assert.equal(makeClientConfig(k).limits.maxRecordsPerKey, 2 ** 23);
      assert.equal(makeServerConfig(k, { limits: { ...defaultLimits, maxRecordsPerKey: 1 } }).limits.maxRecordsPerKey, 1);
      assert.equal(makeClientConfig(k, { limits: { ...defaultLimits, maxRecordsPerKey: Math.floor(2 ** 24.5) } }).limits.maxRecordsPerKey, 23_726_566);
      for (const bad of [0, Math.floor(2 ** 24.5) + 1]) {
        assert.throws(() => makeClientConfig(k, { limits: { ...defaultLimits, maxRecordsPerKey: bad } }), { code: 'ERR_OUT_OF_RANGE' }, String(bad));
      }
    });
  });

  it('a KeyUpdate flood without application data is cut off', () => {
    const pair = Pair.create(makeClientConfig(k), makeServerConfig(k));
    pair.handshake();
    for (let i = 0; i < 40; i++) pair.client.updateKeys(false);
    pair.run();
    assert.equal(pair.server.error?.kind, 'unexpected_message');
  });
});

