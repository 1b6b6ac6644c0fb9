// constantTimeEqual (issue 7.4): its results, and that the comparisons of secrets — Finished, PSK
// binders, CBC and encrypt-then-MAC record MACs — go through it, read from the source. Tickets are
// authenticated by the AES-256-GCM tag inside aead().open(), so openTicket compares no bytes
// itself; only the public key name is looked up. No timing is measured: JavaScript gives no
// promise there (SECURITY.md), and the property checked is structural (one helper, no early exit).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { constantTimeEqual } from './provider.js';

const bytes = (n: number, f: (i: number) => number = (i) => (i * 37 + 11) & 0xff) => Uint8Array.from({ length: n }, (_, i) => f(i));

describe('constantTimeEqual', () => {
  it('equal contents are equal, in different buffers and in views at an offset', () => {
    for (const n of [1, 12, 16, 20, 32, 48, 64]) {
      assert.equal(constantTimeEqual(bytes(n), bytes(n)), true, `${n} bytes`);
    }
    const a = bytes(32);
    assert.equal(constantTimeEqual(a, a), true, 'the same buffer');
    const backing = new Uint8Array(40);
    backing.set(a, 5);
    assert.equal(constantTimeEqual(backing.subarray(5, 37), a), true, 'a view at offset 5');
  });

  it('two empty arrays are equal; empty against one byte is not', () => {
    assert.equal(constantTimeEqual(new Uint8Array(0), new Uint8Array(0)), true);
    assert.equal(constantTimeEqual(new Uint8Array(0), Uint8Array.of(0)), false);
    assert.equal(constantTimeEqual(Uint8Array.of(0), new Uint8Array(0)), false);
  });

  it('a difference in the first byte, the last byte, or any single bit of a 48-byte value is unequal', () => {
    const a = bytes(48);
    const first = a.slice();
    first[0]! ^= 0x80;
    assert.equal(constantTimeEqual(a, first), false, 'first byte');
    assert.equal(constantTimeEqual(first, a), false, 'first byte, arguments swapped');
    const last = a.slice();
    last[47]! ^= 0x01;
    assert.equal(constantTimeEqual(a, last), false, 'last byte');
    for (let i = 0; i < a.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const b = a.slice();
        b[i]! ^= 1 << bit;
        assert.equal(constantTimeEqual(a, b), false, `byte ${i} bit ${bit}`);
      }
    }
    // Differences that cancel under a sum but not under OR of XORs.
    assert.equal(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(2, 1)), false);
    assert.equal(constantTimeEqual(Uint8Array.of(0x0f, 0xf0), Uint8Array.of(0xf0, 0x0f)), false);
  });

  it('different lengths are unequal, even when one is a prefix of the other or zero-extended', () => {
    const a = bytes(32);
    assert.equal(constantTimeEqual(a, a.subarray(0, 31)), false, 'a prefix');
    assert.equal(constantTimeEqual(a.subarray(0, 31), a), false, 'a prefix, swapped');
    const extended = new Uint8Array(33);
    extended.set(a);
    assert.equal(constantTimeEqual(a, extended), false, 'zero-extended');
    assert.equal(constantTimeEqual(new Uint8Array(12), new Uint8Array(13)), false, 'all zeros, 12 and 13 bytes');
  });

  it('leaves its arguments as they were', () => {
    const a = bytes(20);
    const b = bytes(20, () => 7);
    const [a0, b0] = [a.slice(), b.slice()];
    constantTimeEqual(a, b);
    assert.deepEqual([a, b], [a0, b0]);
  });
});

// --- the call sites, read from the source ---

/** The repository root: dist/src/crypto/ → ../../../ */
const root = new URL('../../../', import.meta.url);
const source = (path: string): string => readFileSync(new URL(path, root), 'utf8');

/** The text of the function or method whose declaration starts with `head`, braces matched. */
function body(path: string, head: string): string {
  const text = source(path);
  const start = text.indexOf(head);
  assert.ok(start >= 0, `${path}: ${head} not found`);
  // The body's opening brace: the first `{` after the parameter list closes.
  let depth = 0;
  let open = -1;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '{' && depth === 0) {
      open = i;
      break;
    }
  }
  assert.ok(open >= 0, `${path}: no body for ${head}`);
  depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error(`${path}: unbalanced braces after ${head}`);
}

/** How many times `needle` occurs in `text`. */
const count = (text: string, needle: string): number => text.split(needle).length - 1;

/** Every line of `path` matching `pattern`, trimmed. */
const linesMatching = (path: string, pattern: RegExp): string[] => source(path).split('\n').filter((l) => pattern.test(l)).map((l) => l.trim());

const HANDSHAKE = ['client.ts', 'client12.ts', 'client13.ts', 'common.ts', 'resumption.ts', 'server.ts', 'server12.ts', 'server13.ts', 'tls12.ts', 'tls13.ts', 'traffic12.ts', 'traffic13.ts']
  .map((f) => `src/handshake/${f}`);
const SECRET_FILES = [...HANDSHAKE, 'src/record/protection.ts', 'src/record/layer.ts', 'src/record/framer.ts', 'src/keys/prf.ts', 'src/keys/tls13.ts', 'src/keys/transcript.ts', 'src/connection.ts'];

describe('secrets are compared with constantTimeEqual (source check)', () => {
  it('src/crypto/provider.ts: constantTimeEqual returns early only on a length mismatch, and ORs every XOR', () => {
    const fn = body('src/crypto/provider.ts', 'export function constantTimeEqual(');
    assert.match(fn, /if \(a\.length !== b\.length\) return false;/);
    assert.match(fn, /for \(let i = 0; i < a\.length; i\+\+\) diff \|= a\[i\]! \^ b\[i\]!;/);
    assert.equal(count(fn, 'return'), 2, 'one return for the length, one for the result');
    assert.match(fn, /return diff === 0;\s*\}$/);
    assert.doesNotMatch(fn, /\bbreak\b|\bcontinue\b/);
  });

  it('Finished: checkFinished (src/handshake/common.ts) uses it, and all four Finished checks go through checkFinished', () => {
    assert.match(body('src/handshake/common.ts', 'export function checkFinished('), /if \(!constantTimeEqual\(expected, received\)\) \{/);
    const sites = HANDSHAKE.flatMap((path) => linesMatching(path, /\.verifyData\b/).map((line) => `${path}: ${line}`));
    assert.deepEqual(sites.sort(), [
      "src/handshake/client12.ts: checkFinished(expected, finished.verifyData, 'server');",
      "src/handshake/client13.ts: checkFinished(expected, finished.verifyData, 'server');",
      "src/handshake/server12.ts: checkFinished(expected, finished.verifyData, 'client');",
      "src/handshake/server13.ts: checkFinished(expected, finished.verifyData, 'client');",
      // Kept, not compared: the peer's verify_data for getPeerFinished().
      'src/handshake/common.ts: if (m.type === HandshakeType.finished) cx.info.peerFinished = m.verifyData;',
    ].sort());
  });

  it('PSK binder: acceptPsk (src/handshake/server13.ts) compares the binder with it, the only place a binder is read', () => {
    const sites = HANDSHAKE.flatMap((path) => linesMatching(path, /binders\[/).map((line) => `${path}: ${line}`));
    assert.deepEqual(sites, [
      'src/handshake/server13.ts: if (!constantTimeEqual(expected, offered.binders[index]!)) throw binderFailure(state === undefined);',
    ]);
  });

  it('CBC records (src/record/protection.ts): the EtM tag and the MtE MAC are compared with it, the MtE result masked with the padding check', () => {
    const fn = body('src/record/protection.ts', 'export function cbcProtection(');
    assert.equal(count(fn, 'constantTimeEqual('), 2);
    assert.match(fn, /if \(!constantTimeEqual\(expected, body\.subarray\(encryptedLength\)\)\) throw badRecordMac\(\);/, 'encrypt-then-MAC');
    assert.match(fn, /const macGood = constantTimeEqual\(expected, received\) \? 0xff : 0;\s*if \(\(macGood & good\) !== 0xff\) throw badRecordMac\(\);/, 'MAC-then-encrypt');
  });

  it('tickets (src/handshake/resumption.ts): openTicket compares no bytes; the AES-256-GCM open() authenticates, and only the public key name is looked up', () => {
    const fn = body('src/handshake/resumption.ts', 'export function openTicket(');
    assert.match(fn, /const key = keys\.find\(name\);/);
    assert.match(fn, /ticketAead\(provider, key\)\.open\(/);
    // The ticket's AEAD is the key's AES-256-GCM, made once per key.
    assert.match(body('src/handshake/resumption.ts', 'function ticketAead('), /provider\.aead\('AES-256-GCM', key\.subarray\(KEY_NAME\)\)/);
    assert.match(fn, /return plain \? decodeServerState\(plain\) : undefined;/, 'a ticket that does not open is ignored');
    assert.doesNotMatch(fn, /===|!==|bytesEqual|sameBytes|constantTimeEqual|\.every\(/, 'no comparison of bytes in openTicket');
    assert.match(body('src/handshake/resumption.ts', '  find(name: Uint8Array)'), /sameBytes\(k\.bytes\.subarray\(0, KEY_NAME\), name\)/, 'the 16-byte name, which every ticket carries in the clear');
  });

  it('no other byte comparison in the handshake, record and key code, except of public values (each named)', () => {
    const pattern = /\b(bytesEqual|sameBytes|same)\(|\.every\(\(/;
    const found = SECRET_FILES.flatMap((path) => linesMatching(path, pattern).map((line) => ({ path, line })));
    // Each allowed site: the file, a fragment of the line, and what it compares.
    const allowed: { path: string; fragment: string; why: string }[] = [
      { path: 'src/handshake/client.ts', fragment: 'hrr.legacySessionId.every(', why: 'legacy_session_id echoed in a HelloRetryRequest (public)' },
      { path: 'src/handshake/client.ts', fragment: 'sh.legacySessionId.every(', why: 'legacy_session_id echoed in a ServerHello (public)' },
      { path: 'src/handshake/client13.ts', fragment: 'sh.legacySessionId.every(', why: 'legacy_session_id echoed in a ServerHello (public)' },
      { path: 'src/handshake/client12.ts', fragment: 'bytesEqual(g.p, dhP)', why: 'the FFDHE prime in ServerKeyExchange (public)' },
      { path: 'src/handshake/server13.ts', fragment: 'const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);', why: 'its definition' },
      { path: 'src/handshake/server13.ts', fragment: 'same(hello.random, first.random)', why: 'the second ClientHello repeats random (public)' },
      { path: 'src/handshake/server13.ts', fragment: 'same(hello.legacySessionId, first.legacySessionId)', why: 'and legacy_session_id (public)' },
      { path: 'src/handshake/resumption.ts', fragment: 'const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);', why: 'its definition' },
      { path: 'src/handshake/resumption.ts', fragment: 'sameBytes(k.bytes.subarray(0, KEY_NAME), name)', why: 'the ticket key name (public)' },
      // Secret, but both sides come from the application (setTicketKeys), never from the peer.
      { path: 'src/handshake/resumption.ts', fragment: 'sameBytes(previous.bytes, bytes)', why: 'install(): the new ticket key against the current one, both the application\'s' },
    ];
    // A line is explained when, with its allowed comparisons taken out, no comparison is left on it.
    const unexplained = found.filter((f) => pattern.test(allowed.filter((a) => a.path === f.path).reduce((line, a) => line.split(a.fragment).join(''), f.line)));
    assert.deepEqual(unexplained, [], 'a new byte comparison: use constantTimeEqual for secrets, or name the public value here');
    for (const a of allowed) {
      assert.ok(found.some((f) => f.path === a.path && f.line.includes(a.fragment)), `${a.path}: "${a.fragment}" (${a.why}) is gone: update this list`);
    }
  });
});
