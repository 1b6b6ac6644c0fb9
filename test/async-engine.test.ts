// The engine waits for its caller: certificate selection, TLS 1.2 session lookup, private-key
// operations of external keys (sign in both versions and roles, RSA decryption), OCSP responses
// and a custom verifier, each a 'request' event answered later with resolve()/reject(). Real
// engine pairs in memory, including the hostile orderings (an answer after close, twice, an
// error answer) and input that arrives while the handshake waits.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { CertifiedKey } from '../src/config.js';
import { ClientConnection, ServerConnection, type Connection, type ConnectionEvent } from '../src/connection.js';
import { nodeCryptoProvider } from '../src/crypto/node.js';
import type { PrivateKey } from '../src/crypto/provider.js';
import type { Request } from '../src/handshake/requests.js';
import { alertFor, TlsError } from '../src/errors.js';
import type { TraceEvent } from '../src/trace.js';
import { AlertDescription, ProtocolVersion } from '../src/wire/enums.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

const TLS12 = ProtocolVersion['TLSv1.2'];
const TLS13 = ProtocolVersion['TLSv1.3'];

/** The same certificate with its key held "elsewhere": the engine only sees an external key. */
function externally(certified: CertifiedKey): CertifiedKey {
  const real = certified.key;
  const key: PrivateKey = {
    algorithm: real.algorithm, bits: real.bits, spki: real.spki, handle: real, external: true,
    ...(real.namedCurve !== undefined ? { namedCurve: real.namedCurve } : {}),
  };
  return { chain: certified.chain, key };
}

/** What the "remote" key holder answers: the real key does the operation. */
function operate(request: Request): Uint8Array | null {
  if (request.kind === 'sign') return nodeCryptoProvider.sign(request.key.handle as PrivateKey, request.scheme, request.data);
  if (request.kind === 'decrypt') return nodeCryptoProvider.rsaDecryptRaw(request.key.handle as PrivateKey, request.ciphertext);
  throw new Error(`not a key operation: ${request.kind}`);
}

function requests(events: readonly ConnectionEvent[]): Request[] {
  return events.filter((e): e is Extract<ConnectionEvent, { type: 'request' }> => e.type === 'request').map((e) => e.request);
}

/** Runs the pair; each time a side waits, `answer` answers (or leaves it waiting by returning false). */
function drive(pair: Pair, answer: (side: 'client' | 'server', request: Request, conn: Connection) => boolean, rounds = 10): void {
  const asked = new Set<Request>();
  for (let round = 0; round < rounds; round++) {
    pair.run();
    let answered = false;
    for (const [side, conn, events] of [
      ['client', pair.client, pair.clientEvents],
      ['server', pair.server, pair.serverEvents],
    ] as const) {
      for (const request of requests(events)) {
        if (asked.has(request)) continue;
        asked.add(request);
        if (answer(side, request, conn)) {
          answered = true;
          events.push(...conn.process());
        }
      }
    }
    if (!answered) return;
  }
}

function byKeyHolder(_side: 'client' | 'server', request: Request, conn: Connection): boolean {
  return conn.resolve(request, operate(request) as never);
}

function alertsSent(trace: TraceEvent[]): number[] {
  return trace.filter((e): e is Extract<TraceEvent, { kind: 'alert' }> => e.kind === 'alert' && e.direction === 'sent').map((e) => e.description);
}

describe('the engine waits for its caller', () => {
  for (const [version, certified, label] of [
    [TLS13, 'rsa', 'TLS 1.3, RSA-PSS'],
    [TLS13, 'ecdsa', 'TLS 1.3, ECDSA'],
    [TLS12, 'rsa', 'TLS 1.2, ECDHE-RSA'],
    [TLS12, 'ecdsa', 'TLS 1.2, ECDHE-ECDSA'],
  ] as const) {
    it(`${label}: a server with an external key asks for the signature, then completes`, () => {
      const trace: TraceEvent[] = [];
      const server = makeServerConfig(k, { maxVersion: version, certificates: [externally(k[certified])], trace: (e) => trace.push(e) });
      const pair = Pair.create(makeClientConfig(k, { maxVersion: version }), server);
      pair.run();
      const [request] = requests(pair.serverEvents);
      assert.equal(request?.kind, 'sign');
      assert.equal(pair.server.pendingRequest, request);
      assert.equal(pair.client.handshakeComplete, false);
      assert.ok(trace.some((e) => e.kind === 'note' && e.text.startsWith('waiting for the private key operation (sign with')));
      drive(pair, byKeyHolder);
      assert.equal(pair.client.handshakeComplete, true);
      assert.equal(pair.server.handshakeComplete, true);
      assert.equal(pair.server.pendingRequest, undefined);
      assert.equal(pair.client.info.version, version);
      pair.client.write(Uint8Array.of(7));
      pair.run();
      assert.deepEqual(pair.received('server'), Uint8Array.of(7));
    });
  }

  it('TLS 1.2 RSA key exchange: raw decryption by the key holder, the padding checked by the engine', () => {
    const server = makeServerConfig(k, { maxVersion: TLS12, cipherSuites: [0x009c], certificates: [externally(k.rsa)] });
    const pair = Pair.create(makeClientConfig(k, { maxVersion: TLS12, cipherSuites: [0x009c] }), server);
    drive(pair, byKeyHolder);
    assert.deepEqual(requests(pair.serverEvents).map((r) => r.kind), ['decrypt']);
    assert.equal(pair.server.handshakeComplete, true);
  });

  it('TLS 1.2 RSA key exchange: a wrong decryption goes on with random bytes and fails at Finished (implicit rejection)', () => {
    const server = makeServerConfig(k, { maxVersion: TLS12, cipherSuites: [0x009c], certificates: [externally(k.rsa)] });
    const pair = Pair.create(makeClientConfig(k, { maxVersion: TLS12, cipherSuites: [0x009c] }), server);
    drive(pair, (_side, request, conn) => {
      const em = operate(request)!;
      em[em.length - 47] ^= 1; // the client_version byte after the padding
      return conn.resolve(request, em as never);
    });
    // No word of the padding: under the random pre-master secret the client's Finished does not even open.
    assert.equal(alertOf(pair.server.error), AlertDescription.bad_record_mac);
    // null (the ciphertext was no number below the modulus) is the same.
    const again = Pair.create(makeClientConfig(k, { maxVersion: TLS12, cipherSuites: [0x009c] }), server);
    drive(again, (_side, request, conn) => conn.resolve(request, null as never));
    assert.equal(alertOf(again.server.error), AlertDescription.bad_record_mac);
  });

  for (const version of [TLS12, TLS13]) {
    it(`${version === TLS13 ? 'TLS 1.3' : 'TLS 1.2'}: a client certificate with an external key, signed when asked`, () => {
      const client = makeClientConfig(k, { maxVersion: version, certificates: [externally(k.client)] });
      const pair = Pair.create(client, makeServerConfig(k, { maxVersion: version, requestCert: true }));
      drive(pair, byKeyHolder);
      assert.deepEqual(requests(pair.clientEvents).map((r) => r.kind), ['sign']);
      assert.equal(pair.server.handshakeComplete, true);
      assert.equal(pair.server.info.authorized, true);
      assert.equal(pair.server.info.peerCertificates[0]?.raw.length, k.client.chain[0]!.raw.length);
    });
  }

  it('certificate selection answered later chooses the certificate for the name', () => {
    const server = makeServerConfig(k, { ask: { certificate: true } });
    for (const [answer, algorithm] of [[[k.ecdsa], 'ec'], [undefined, 'rsa']] as const) {
      const pair = Pair.create(makeClientConfig(k), server);
      pair.run();
      const [request] = requests(pair.serverEvents);
      assert.equal(request?.kind, 'certificate');
      assert.equal(request.kind === 'certificate' && request.serverName, 'localhost');
      assert.equal(pair.server.takeOutput().length, 0, 'nothing is sent while the certificate is chosen');
      assert.equal(pair.server.resolve(request, answer), true);
      pair.serverEvents.push(...pair.server.process());
      pair.handshake();
      const key = nodeCryptoProvider.loadPublicKey(pair.client.info.peerCertificates[0]!.subjectPublicKeyInfo);
      assert.equal(key.algorithm, algorithm);
    }
  });

  it('certificate selection then an external key: two waits in one handshake', () => {
    const server = makeServerConfig(k, { ask: { certificate: true } });
    const pair = Pair.create(makeClientConfig(k), server);
    drive(pair, (_side, request, conn) =>
      request.kind === 'certificate' ? conn.resolve(request, [externally(k.ecdsa)]) : conn.resolve(request, operate(request) as never),
    );
    assert.deepEqual(requests(pair.serverEvents).map((r) => r.kind), ['certificate', 'sign']);
    assert.equal(pair.client.handshakeComplete, true);
  });

  it('TLS 1.2 session lookup by the caller: resumes from its store; a failed lookup is a full handshake', () => {
    const store = new Map<string, Uint8Array>();
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    const server = makeServerConfig(k, {
      maxVersion: TLS12, issueTickets: false, ask: { session: true },
      sessionStore: { get: () => assert.fail('the store is not asked'), set: (id, state) => void store.set(hex(id), state), delete: () => {} },
    });
    const client = makeClientConfig(k, { maxVersion: TLS12 });
    const first = Pair.create(client, server);
    first.handshake();
    assert.equal(requests(first.serverEvents).length, 0, 'a client with no session ID is not looked up');
    assert.equal(store.size, 1);
    const session = first.clientEvents.filter((e) => e.type === 'session').at(-1);
    assert.ok(session?.type === 'session');

    for (const [answer, reused] of [['store', true], ['error', false], ['none', false]] as const) {
      const pair: Pair = new Pair(new ClientConnection(client, { serverName: 'localhost', session: session.session }), new ServerConnection(server));
      drive(pair, (_side, request, conn) => {
        assert.equal(request.kind, 'session');
        if (answer === 'error') return conn.reject(request, new Error('cache unreachable'));
        return conn.resolve(request, answer === 'store' && request.kind === 'session' ? store.get(hex(request.sessionId)) : undefined);
      });
      assert.equal(pair.server.handshakeComplete, true, answer);
      assert.equal(pair.server.info.sessionReused, reused, answer);
    }
  });

  for (const version of [TLS12, TLS13]) {
    it(`${version === TLS13 ? 'TLS 1.3' : 'TLS 1.2'}: the OCSP response, fetched when asked, is stapled; a failed fetch staples none`, () => {
      const response = Uint8Array.of(0x30, 0x03, 0x0a, 0x01, 0x06); // an OCSPResponse with status 6 (unauthorized): bytes to carry
      const server = makeServerConfig(k, { maxVersion: version, ask: { ocsp: true } });
      const client = makeClientConfig(k, { maxVersion: version, requestOcsp: true });
      const pair = Pair.create(client, server);
      drive(pair, (_side, request, conn) => {
        assert.equal(request.kind === 'ocsp' && request.chain[0], k.rsa.chain[0]);
        return conn.resolve(request, response);
      });
      assert.equal(pair.client.handshakeComplete, true);
      const stapled = pair.clientEvents.find((e) => e.type === 'ocspResponse');
      assert.deepEqual(stapled?.type === 'ocspResponse' && stapled.response, response);

      const failed = Pair.create(client, server);
      drive(failed, (_side, request, conn) => conn.reject(request, new Error('responder down')));
      assert.equal(failed.client.handshakeComplete, true);
      assert.equal(failed.clientEvents.some((e) => e.type === 'ocspResponse'), false);
      // A client that does not ask is not stapled for, and nobody is asked.
      const plain = Pair.create(makeClientConfig(k, { maxVersion: version }), server);
      plain.handshake();
      assert.equal(requests(plain.serverEvents).length, 0);
    });
  }

  for (const version of [TLS12, TLS13]) {
    it(`${version === TLS13 ? 'TLS 1.3' : 'TLS 1.2'}: a custom verifier's verdict decides; a refusal is the certificate's alert`, () => {
      const client = makeClientConfig(k, { maxVersion: version, ask: { verify: true }, roots: [] });
      const trusted = Pair.create(client, makeServerConfig(k, { maxVersion: version }));
      drive(trusted, (_side, request, conn) => {
        assert.equal(request.kind === 'verify' && request.serverName, 'localhost');
        assert.equal(request.kind === 'verify' && request.purpose, 'serverAuth');
        return conn.resolve(request, undefined);
      });
      assert.equal(trusted.client.handshakeComplete, true);
      assert.equal(trusted.client.info.authorized, true);

      const trace: TraceEvent[] = [];
      const refusing = Pair.create({ ...client, trace: (e) => trace.push(e) }, makeServerConfig(k, { maxVersion: version }));
      drive(refusing, (_side, request, conn) => conn.resolve(request, { code: 'CERT_REVOKED', message: 'revoked by policy' }));
      assert.equal(refusing.client.error?.code, 'CERT_REVOKED');
      assert.deepEqual(alertsSent(trace), [AlertDescription.bad_certificate]);
      assert.equal(alertOf(refusing.server.error), AlertDescription.bad_certificate);
    });
  }

  it('TLS 1.3 server verifying a client: the client\'s CertificateVerify, Finished and data wait in the engine meanwhile', () => {
    const server = makeServerConfig(k, { requestCert: true, ask: { verify: true } });
    const pair = Pair.create(makeClientConfig(k, { certificates: [k.client] }), server);
    pair.run();
    assert.equal(pair.client.handshakeComplete, true, 'the TLS 1.3 client is done after its Finished');
    pair.client.write(new TextEncoder().encode('early words'));
    pair.run();
    const [request] = requests(pair.serverEvents);
    assert.equal(request?.kind, 'verify');
    assert.equal(pair.received('server').length, 0);
    assert.equal(pair.server.resolve(request!, undefined), true);
    pair.serverEvents.push(...pair.server.process());
    pair.run();
    assert.equal(pair.server.handshakeComplete, true);
    assert.equal(new TextDecoder().decode(pair.received('server')), 'early words');
  });
});

/** The alert an error stands for: the one received from the peer, or the one this side sent. */
function alertOf(error: TlsError | undefined): number | undefined {
  if (!error) return undefined;
  return error.kind === 'peer_alert' ? error.receivedAlert : alertFor(error);
}

describe('hostile orderings', () => {
  function waitingServer(version: number = TLS13): { pair: Pair; request: Request; trace: TraceEvent[] } {
    const trace: TraceEvent[] = [];
    const server = makeServerConfig(k, { maxVersion: version, certificates: [externally(k.rsa)], trace: (e) => trace.push(e) });
    const pair = Pair.create(makeClientConfig(k, { maxVersion: version }), server);
    pair.run();
    const [request] = requests(pair.serverEvents);
    assert.ok(request);
    return { pair, request, trace };
  }

  it('an answer after close is dropped: nothing more is sent', () => {
    const { pair, request, trace } = waitingServer();
    pair.server.takeOutput();
    pair.server.close();
    const closeNotify = pair.server.takeOutput();
    assert.ok(closeNotify.length > 0);
    assert.equal(pair.server.pendingRequest, undefined);
    assert.equal(pair.server.resolve(request, operate(request) as never), false);
    assert.deepEqual(pair.server.process().filter((e) => e.type !== 'keylog'), []);
    assert.equal(pair.server.takeOutput().length, 0);
    assert.deepEqual(alertsSent(trace), [AlertDescription.close_notify]);
  });

  it('an answer after the connection failed is dropped', () => {
    const { pair, request } = waitingServer();
    // The client gives up: its fatal alert arrives while the server waits, and is read once it goes on.
    pair.server.receive(Uint8Array.of(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28));
    pair.server.reject(request, new TlsError('internal_error', 'signer gone'));
    const events = pair.server.process();
    assert.equal(events.find((e) => e.type === 'error')?.type, 'error');
    assert.equal(pair.server.resolve(request, operate(request) as never), false);
    assert.equal(pair.server.reject(request, new Error('late')), false);
  });

  it('a second answer is refused and changes nothing', () => {
    const { pair, request } = waitingServer();
    assert.equal(pair.server.resolve(request, operate(request) as never), true);
    assert.equal(pair.server.resolve(request, Uint8Array.of(1, 2, 3) as never), false);
    assert.equal(pair.server.reject(request, new Error('late')), false);
    pair.serverEvents.push(...pair.server.process());
    pair.handshake();
    // An answer to a request long gone is refused too.
    assert.equal(pair.server.resolve(request, operate(request) as never), false);
  });

  it('an answer to another connection\'s request is refused', () => {
    const one = waitingServer();
    const two = waitingServer();
    assert.equal(two.pair.server.resolve(one.request, operate(one.request) as never), false);
    assert.equal(two.pair.server.pendingRequest, two.request);
  });

  for (const version of [TLS12, TLS13]) {
    it(`${version === TLS13 ? 'TLS 1.3' : 'TLS 1.2'}: an error answer fails the handshake with internal_error, or the TlsError's own alert`, () => {
      const { pair, request, trace } = waitingServer(version);
      assert.equal(pair.server.reject(request, new Error('HSM unreachable')), true);
      pair.serverEvents.push(...pair.server.process());
      pair.run();
      assert.equal(pair.server.error?.code, 'ERR_TLS_INTERNAL_ERROR');
      assert.match(pair.server.error?.message ?? '', /sign request failed: HSM unreachable/);
      assert.deepEqual(alertsSent(trace), [AlertDescription.internal_error]);
      assert.equal(alertOf(pair.client.error), AlertDescription.internal_error);

      const own = waitingServer(version);
      own.pair.server.reject(own.request, new TlsError('handshake_failure', 'no key for this client'));
      own.pair.server.process();
      assert.deepEqual(alertsSent(own.trace), [AlertDescription.handshake_failure]);
    });
  }

  it('an empty signature is internal_error, not a malformed message', () => {
    const { pair, request, trace } = waitingServer();
    pair.server.resolve(request, new Uint8Array(0) as never);
    pair.server.process();
    assert.deepEqual(alertsSent(trace), [AlertDescription.internal_error]);
  });

  it('bytes arriving while waiting are kept, in order, across several receive() calls', () => {
    const server = makeServerConfig(k, { certificates: [externally(k.rsa)] });
    const client = new ClientConnection(makeClientConfig(k), { serverName: 'localhost' });
    const srv = new ServerConnection(server);
    const hello = client.takeOutput();
    // The ClientHello arrives a byte at a time; the first request comes once it is whole.
    const seen: ConnectionEvent[] = [];
    for (const byte of hello) {
      srv.receive(Uint8Array.of(byte));
      seen.push(...srv.process());
    }
    const [request] = requests(seen);
    assert.equal(request?.kind, 'sign');
    client.receive(srv.takeOutput());
    client.process();
    // Nothing more from the client yet (it waits for the server's Finished); the answer goes on.
    srv.resolve(request!, operate(request!) as never);
    srv.process();
    client.receive(srv.takeOutput());
    client.process();
    assert.equal(client.handshakeComplete, true);
    // The client's Finished and data in pieces; all are read once the server reads again.
    const out = (() => {
      client.write(Uint8Array.of(1, 2, 3));
      return client.takeOutput();
    })();
    srv.receive(out.subarray(0, 10));
    srv.receive(out.subarray(10));
    const events = srv.process();
    assert.equal(srv.handshakeComplete, true);
    assert.deepEqual(events.filter((e) => e.type === 'data').map((e) => e.type === 'data' && [...e.data]), [[1, 2, 3]]);
  });

  it('the synchronous path makes no request', () => {
    const pair = Pair.create(makeClientConfig(k, { certificates: [k.client] }), makeServerConfig(k, { requestCert: true }));
    pair.handshake();
    assert.equal(requests(pair.serverEvents).length + requests(pair.clientEvents).length, 0);
  });
});

