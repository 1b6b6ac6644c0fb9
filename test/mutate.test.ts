// A bounded smoke fuzz of both roles (a fixed, seeded count of inputs; the long run is test/fuzz/run.ts): thousands of
// mutated versions of the recorded flights in test/recorded/ go into fresh engines, and after every
// input the invariants of test/fuzz/harness.ts must hold — process() never throws, every error is a
// TlsError with a code, a failure writes at most one alert and then nothing, nothing spins.
//
// The server replays the client's recorded flights with the recorded randoms, so for RSA key
// exchange an unmutated replay completes and mutations reach every state; the client gets the
// server's recorded flights after its own (seeded) ClientHello and fails where the recorded server
// no longer matches it — what matters is the invariant, not the outcome.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Connection, ConnectionEvent } from '../src/connection.js';
import { TlsError } from '../src/errors.js';
import { execute, freshEngine, loadRecordings, runOnce, Watched, type Role } from './fuzz/harness.js';
import { applyMutation, chunk, concatBytes, findHandshakeHeaders, findRecords, fragmentRecords, makeRecord, mutate, MUTATIONS, Rng, splitRecords } from './fuzz/mutator.js';

/**
 * Executions per recording and role, a fixed count so that the test does the same work however busy
 * the machine is (seeded: the same inputs every run); the long run is `npm run fuzz`.
 */
const PER_RECORDING = 400;

const recordings = loadRecordings();
const peerOf = (role: Role) => (role === 'server' ? 'client' : 'server');

describe('mutator', () => {
  it('is deterministic: the same seed gives the same inputs', () => {
    const seed = concatBytes(recordings[0]!.flights.map((f) => f.bytes));
    const run = (s: number) => {
      const rng = new Rng(s);
      return Array.from({ length: 200 }, () => Buffer.from(mutate(seed, rng).bytes).toString('hex'));
    };
    assert.deepEqual(run(42), run(42));
    assert.notDeepEqual(run(42), run(43));
  });

  it('finds the records and handshake headers of a recorded flight', () => {
    const first = recordings.find((r) => r.name === 'tls12-rsa-aes128gcm.hex')!.flights[0]!.bytes;
    const recs = findRecords(first);
    assert.equal(recs.length, 1);
    assert.equal(recs[0]!.type, 22);
    assert.deepEqual(findHandshakeHeaders(first), [5]);
  });

  it('fragments handshake records into records whose bodies join to the original', () => {
    const rng = new Rng(7);
    for (const rec of recordings) {
      for (const f of rec.flights) {
        const cut = fragmentRecords(f.bytes, rng);
        const bodies = (b: Uint8Array) => concatBytes(findRecords(b).map((r) => b.subarray(r.offset + 5, r.offset + 5 + r.length)));
        assert.deepEqual(bodies(cut), bodies(f.bytes));
      }
    }
  });

  it('applies every mutation without throwing, and chunks join back to the input', () => {
    const rng = new Rng(9);
    const input = concatBytes(recordings[0]!.flights.map((f) => f.bytes));
    for (const name of MUTATIONS) for (let i = 0; i < 50; i++) applyMutation(input, name, rng);
    assert.deepEqual(concatBytes(chunk(input, rng)), input);
    assert.deepEqual(concatBytes(splitRecords(input)), input);
    assert.deepEqual(findRecords(makeRecord(23, 0x0303, Uint8Array.of(1, 2))), [{ offset: 0, type: 23, version: 0x0303, length: 2 }]);
  });
});

describe('harness', () => {
  /** A connection that breaks the contract in the way given, to show the checks catch it. */
  function broken(fault: 'throws' | 'two-alerts' | 'talks-after-failure' | 'not-a-tls-error'): Connection {
    const err = new TlsError('decode_error', 'bad');
    let calls = 0;
    let out: Uint8Array = new Uint8Array(0);
    const alert = makeRecord(21, 0x0303, Uint8Array.of(2, 50));
    // Only the members the harness calls; cast, so that members added to Connection later need no change here.
    return {
      side: 'server', handshakeComplete: false, info: {} as Connection['info'],
      get error() { return calls > 0 ? err : undefined; },
      receive() {},
      process(): ConnectionEvent[] {
        calls++;
        if (fault === 'throws' && calls === 1) throw new RangeError('offset is out of bounds');
        if (fault === 'not-a-tls-error') return [{ type: 'error', error: new Error('plain') as TlsError }];
        if (calls === 1) out = fault === 'two-alerts' ? concatBytes([alert, alert]) : alert;
        else if (fault === 'talks-after-failure') out = alert;
        return [{ type: 'error', error: err }];
      },
      takeOutput() { const o = out; out = new Uint8Array(0); return o; },
      write() { throw err; },
      close() {},
    } as unknown as Connection;
  }
  for (const fault of ['throws', 'two-alerts', 'talks-after-failure', 'not-a-tls-error'] as const) {
    it(`reports a connection that ${fault}`, () => {
      const w = new Watched(broken(fault));
      w.feed(Uint8Array.of(1));
      w.feed(Uint8Array.of(2));
      w.checkSilence();
      assert.ok(w.violations.length > 0, `no violation reported for ${fault}`);
    });
  }
});

describe('smoke fuzz of the engine with mutated recorded flights', () => {
  it('baseline: every unmutated replay keeps the invariants', (t) => {
    for (const rec of recordings) {
      for (const role of ['server', 'client'] as const) {
        const flights = rec.flights.filter((f) => f.from === peerOf(role)).map((f) => f.bytes);
        if (flights.length === 0) continue;
        const ex = execute(rec.name, role, freshEngine(role, rec), flights, [], undefined);
        assert.deepEqual(ex.violations, [], `${rec.name} as ${role}`);
        t.diagnostic(`${role} ← ${rec.name}: ${ex.outcome}`);
      }
    }
    // When the engine changes how it draws randoms, re-record: node dist/test/recorded/record.js --update
    const rsa = recordings.find((r) => r.name === 'tls12-rsa-aes128gcm.hex')!;
    const replay = execute(rsa.name, 'server', freshEngine('server', rsa), rsa.flights.filter((f) => f.from === 'client').map((f) => f.bytes), [], undefined);
    if (replay.outcome !== 'handshake done') t.diagnostic(`the RSA server replay no longer completes (${replay.outcome}): re-record the seeds`);
  });

  for (const [role, seed] of [['server', 0x5eed01], ['client', 0x5eed02]] as const) {
    const jobs = recordings.filter((r) => r.flights.some((f) => f.from === peerOf(role)));
    it(`${role}: ${PER_RECORDING * jobs.length} mutated inputs (${PER_RECORDING} per recording) keep every invariant`, (t) => {
      const rng = new Rng(seed);
      const outcomes = new Map<string, number>();
      const failures: string[] = [];
      let executions = 0;
      let slowest = 0;
      for (let i = 0; i < PER_RECORDING; i++) {
        for (const rec of jobs) {
          const ex = runOnce(rec, role, rng);
          executions++;
          slowest = Math.max(slowest, ex.slowest);
          outcomes.set(ex.outcome, (outcomes.get(ex.outcome) ?? 0) + 1);
          if (ex.violations.length > 0 && failures.length < 5) {
            failures.push(`${rec.name} [${ex.applied.join('+')}]: ${ex.violations.join('; ')}\n  inputs: ${ex.inputs.map((b) => Buffer.from(b).toString('hex')).join(' ')}`);
          }
        }
      }
      t.diagnostic(`${role}: ${executions} executions, slowest process() ${slowest.toFixed(1)} ms`);
      for (const [o, n] of [...outcomes.entries()].sort((a, b) => b[1] - a[1])) t.diagnostic(`  ${n} × ${o}`);
      assert.deepEqual(failures, []);
      // The fuzz must get past the first message, or it tests only the ClientHello/ServerHello parser.
      assert.ok(outcomes.size >= 5, `only ${outcomes.size} distinct outcomes`);
    });
  }
});
