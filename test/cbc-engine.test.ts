// CBC padding against the MAC at engine level, for both roles (issue 7.4; RFC 5246 Section 6.2.3.2,
// RFC 7366). After a real TLS 1.2 handshake with a CBC suite, with and without encrypt_then_mac, the
// peer's side of the record layer is played by hand with the session keys and records are laid out
// byte by byte: (a) padding wrong under a MAC that is right, (b) padding right under a MAC that is
// wrong, (c) a body too short for a block or for the MAC. Whatever the flaw, the victim must answer
// the same way at the same point: the records before the forged one delivered, nothing after it
// processed, one fatal bad_record_mac alert (opened with the victim's write keys), ERR_TLS_BAD_RECORD_MAC
// with the same message, then silence. A correctly laid out record (the control) must be accepted,
// so each case shows that the layout, not the crafting, was refused.
//
// No timing is measured: the promise here is structural (one error, one alert, one point). The
// branch-free padding check and the MAC over a padding-independent length are in
// src/record/protection.ts (cbcProtection.open, extractPadding).

import assert from 'node:assert/strict';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { ClientConnection, ServerConnection, type Connection } from '../src/connection.js';
import { nodeCryptoProvider } from '../src/crypto/node.js';
import { TlsError } from '../src/errors.js';
import { verifyData } from '../src/keys/prf.js';
import { suiteByName, type CipherSuite } from '../src/suites.js';
import { AlertDescription, ExtensionType, HandshakeType } from '../src/wire/enums.js';
import { decodeHandshake, encodeHandshake, type ClientHello, type ServerHello } from '../src/wire/messages.js';
import { concatBytes, splitRecords, toHex } from './fuzz/mutator.js';
import { makeClientConfig, makeServerConfig, testKeys, type TestKeys } from './pair.js';
import { assertSilence, bothRoles, cbcSessionKeys, CT, type Direction, handshake, handshakeMessages, record, type Role, TLS12, Victim } from './victim.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

const SUITES: readonly CipherSuite[] = [suiteByName('ECDHE-RSA-AES128-SHA')!, suiteByName('AES128-SHA256')!];
const BLOCK = 16;

// --- a handshake that negotiates the record layout we want ---

/** A hello re-encoded without encrypt_then_mac (RFC 7366 Section 2), everything else the same. */
function withoutEncryptThenMac(message: Uint8Array): Uint8Array {
  const type = message[0]!;
  const decoded = decodeHandshake(type, message.subarray(4), { version: TLS12 }) as ClientHello | ServerHello;
  assert.ok(decoded.extensions.some((e) => e.type === ExtensionType.encrypt_then_mac), 'the hello had encrypt_then_mac to take out');
  return encodeHandshake({ ...decoded, extensions: decoded.extensions.filter((e) => e.type !== ExtensionType.encrypt_then_mac) }, TLS12);
}

function step(to: Connection, bytes: Uint8Array): Uint8Array {
  to.receive(bytes);
  to.process();
  assert.equal(to.error as unknown, undefined, `setup step failed: ${to.error?.code} ${to.error?.message}`);
  return to.takeOutput();
}

const transcriptHash = (suite: CipherSuite, messages: readonly Uint8Array[]) => nodeCryptoProvider.hash(suite.hash, concatBytes(messages));

/** The victim's keys for the peer's records (raw, to lay them out by hand), and what opens the victim's own. */
interface Established {
  readonly victim: Victim;
  readonly suite: CipherSuite;
  readonly encryptThenMac: boolean;
  readonly peerKey: Uint8Array;
  readonly peerMacKey: Uint8Array;
  /** The peer's next sequence number: its Finished took 0. */
  readonly peerSeq: number;
  /** Opens what the victim writes (its Finished took 0). */
  readonly ours: Direction;
}

/**
 * A TLS 1.2 handshake with `suite` whose victim ends in Traffic. The engine always offers
 * encrypt_then_mac, so for MAC-then-encrypt the extension is taken out of the hello the victim
 * reads: the server's ClientHello, or the client's ServerHello. The two sides' transcripts then
 * differ, so the peer's Finished is computed here from the victim's transcript and master secret
 * (from its own key log) and sealed with its keys, as an honest peer that never saw the
 * extension would. With encrypt_then_mac nothing is altered, and the Finished computed here must
 * equal the real peer's, which checks this reconstruction.
 */
function establish(role: Role, suite: CipherSuite, encryptThenMac: boolean): Established {
  const logs = { client: [] as string[], server: [] as string[] };
  const client = new ClientConnection(
    makeClientConfig(k, { maxVersion: TLS12, cipherSuites: [suite.id], keyLog: (l) => logs.client.push(l) }),
    { serverName: 'localhost' },
  );
  // No NewSessionTicket: the client that reads a stripped ServerHello was promised none.
  const server = new ServerConnection(makeServerConfig(k, { maxVersion: TLS12, issueTickets: false, keyLog: (l) => logs.server.push(l) }));
  const strip = !encryptThenMac;

  const [clientHello] = handshakeMessages(client.takeOutput());
  const helloToServer = strip && role === 'server' ? withoutEncryptThenMac(clientHello!) : clientHello!;
  const serverMessages = handshakeMessages(step(server, record(CT.handshake, helloToServer)));
  assert.equal(serverMessages[0]![0], HandshakeType.server_hello);
  assert.equal(serverMessages.at(-1)![0], HandshakeType.server_hello_done);
  if (strip && role === 'client') serverMessages[0] = withoutEncryptThenMac(serverMessages[0]!);
  const serverHasEtm = (decodeHandshake(HandshakeType.server_hello, serverMessages[0]!.subarray(4), { version: TLS12 }) as ServerHello)
    .extensions.some((e) => e.type === ExtensionType.encrypt_then_mac);
  assert.equal(serverHasEtm, encryptThenMac, 'the ServerHello the client reads says the layout we want');
  const serverRandom = serverMessages[0]!.slice(4 + 2, 4 + 2 + 32);

  const clientFlight = step(client, record(CT.handshake, concatBytes(serverMessages)));
  const [ckeRecord, ccsRecord, clientFinishedRecord, ...more] = splitRecords(clientFlight);
  assert.deepEqual([ckeRecord![0], ccsRecord![0], clientFinishedRecord![0], more.length], [CT.handshake, CT.change_cipher_spec, CT.handshake, 0]);
  const [cke] = handshakeMessages(ckeRecord!);
  assert.equal(cke![0], HandshakeType.client_key_exchange);

  // The server derives its master secret from ClientKeyExchange; the Finished waits for it.
  if (role === 'server') step(server, concatBytes([ckeRecord!, ccsRecord!]));
  const keyLogLine = logs[role].find((l) => l.startsWith('CLIENT_RANDOM '));
  assert.ok(keyLogLine, `a CLIENT_RANDOM line from the ${role}`);
  const keys = cbcSessionKeys(suite, keyLogLine, serverRandom, encryptThenMac);
  const finished = (label: 'client finished' | 'server finished', messages: Uint8Array[]) =>
    handshake(HandshakeType.finished, verifyData(nodeCryptoProvider, suite.hash, keys.masterSecret, label, transcriptHash(suite, messages)));

  if (role === 'server') {
    // RFC 5246 Section 7.4.9: the client's verify_data over the server's transcript.
    const clientFinished = finished('client finished', [helloToServer, ...serverMessages, cke!]);
    if (!strip) assert.equal(toHex(keys.client(0).open(clientFinishedRecord!).plaintext), toHex(clientFinished), 'our client Finished is the real one');
    step(server, keys.client(0).seal(CT.handshake, clientFinished));
    assert.ok(server.handshakeComplete, 'the server finished its handshake');
    return {
      victim: new Victim(server), suite, encryptThenMac,
      peerKey: keys.keyBlock.clientWriteKey, peerMacKey: keys.keyBlock.clientWriteMacKey, peerSeq: 1, ours: keys.server(1),
    };
  }
  const clientFinished = keys.client(0).open(clientFinishedRecord!).plaintext;
  const serverFinished = finished('server finished', [clientHello!, ...serverMessages, cke!, clientFinished]);
  if (!strip) {
    const answer = splitRecords(step(server, clientFlight));
    assert.equal(toHex(keys.server(0).open(answer.at(-1)!).plaintext), toHex(serverFinished), 'our server Finished is the real one');
  }
  step(client, concatBytes([record(CT.change_cipher_spec, [1]), keys.server(0).seal(CT.handshake, serverFinished)]));
  assert.ok(client.handshakeComplete, 'the client finished its handshake');
  return {
    victim: new Victim(client), suite, encryptThenMac,
    peerKey: keys.keyBlock.serverWriteKey, peerMacKey: keys.keyBlock.serverWriteMacKey, peerSeq: 1, ours: keys.client(1),
  };
}

// --- records laid out by hand (node:crypto directly, not the code under test) ---

/** HMAC(MAC_write_key, seq_num + type + version + length + data): RFC 5246 Section 6.2.3.1, RFC 7366 Section 3. */
function recordMac(e: Established, seq: number, contentType: number, data: Uint8Array): Uint8Array {
  const c = e.suite.cipher;
  if (c.kind !== 'cbc') throw new Error('CBC suites only');
  const header = new Uint8Array(13);
  new DataView(header.buffer).setBigUint64(0, BigInt(seq));
  header[8] = contentType;
  header[9] = TLS12 >> 8;
  header[10] = TLS12 & 0xff;
  header[11] = data.length >> 8;
  header[12] = data.length & 0xff;
  return new Uint8Array(createHmac(c.macHash, e.peerMacKey).update(header).update(data).digest());
}

interface Layout {
  /** The padding for this content, padding_length + 1 bytes each holding padding_length, given its right length. */
  readonly padding?: (rightLength: number) => Uint8Array;
  /** The MAC given the right one. */
  readonly mac?: (right: Uint8Array) => Uint8Array;
  /** The sequence number and content type the MAC is computed for (the record's own by default). */
  readonly macSeq?: number;
  readonly macType?: number;
  /** The finished body given the well-formed one. */
  readonly body?: (right: Uint8Array) => Uint8Array;
}

const rightPadding = (n: number) => new Uint8Array(n + 1).fill(n);

/**
 * An application_data record of `content` at `seq` from the peer: IV || ENC(content || MAC ||
 * padding) for MAC-then-encrypt (RFC 5246 Section 6.2.3.2), IV || ENC(content || padding) || MAC
 * for encrypt-then-MAC (RFC 7366 Section 3), with `layout` changing one part.
 */
function layRecord(e: Established, seq: number, content: Uint8Array, layout: Layout = {}): Uint8Array {
  const c = e.suite.cipher;
  if (c.kind !== 'cbc') throw new Error('CBC suites only');
  const mac = (data: Uint8Array): Uint8Array => {
    const right = recordMac(e, layout.macSeq ?? seq, layout.macType ?? CT.application_data, data);
    return layout.mac ? layout.mac(right) : right;
  };
  const encrypt = (iv: Uint8Array, data: Uint8Array): Uint8Array => {
    assert.equal(data.length % BLOCK, 0, 'the layout keeps whole blocks');
    const cipher = createCipheriv(`aes-${c.keyLength * 8}-cbc`, e.peerKey, iv).setAutoPadding(false);
    return new Uint8Array(Buffer.concat([cipher.update(data), cipher.final()]));
  };
  const padded = (data: Uint8Array): Uint8Array => {
    const rightLength = (BLOCK - ((data.length + 1) % BLOCK)) % BLOCK;
    return concatBytes([data, layout.padding ? layout.padding(rightLength) : rightPadding(rightLength)]);
  };
  const iv = new Uint8Array(randomBytes(BLOCK));
  let body: Uint8Array;
  if (e.encryptThenMac) {
    const encrypted = concatBytes([iv, encrypt(iv, padded(content))]);
    body = concatBytes([encrypted, mac(encrypted)]);
  } else {
    body = concatBytes([iv, encrypt(iv, padded(concatBytes([content, mac(content)])))]);
  }
  return record(CT.application_data, layout.body ? layout.body(body) : body);
}

// --- the flaws ---

const text = (s: string) => new TextEncoder().encode(s);
const FORGED = text('a forged record of 26 bytes');

interface Flaw {
  readonly name: string;
  readonly kind: 'padding' | 'mac' | 'length';
  /** Only for this layout, when the flaw exists in one of them. */
  readonly only?: 'etm' | 'mte';
  readonly layout: (e: Established) => Layout;
}

const macLength = (e: Established): number => (e.suite.cipher.kind === 'cbc' ? e.suite.cipher.macLength : 0);

const FLAWS: readonly Flaw[] = [
  // (a) padding wrong, MAC right.
  {
    name: 'one padding byte differs from padding_length (MAC right)', kind: 'padding',
    // One block more than needed, so that there is a padding byte to get wrong whatever the length.
    layout: () => ({ padding: (n) => { const p = rightPadding(n + BLOCK); p[0]! ^= 1; return p; } }),
  },
  {
    name: 'padding_length 255, longer than the record (MAC right)', kind: 'padding',
    layout: () => ({ padding: (n) => new Uint8Array(n + 1).fill(255) }),
  },
  {
    name: 'SSL 3.0-style padding: arbitrary bytes, right padding_length (MAC right)', kind: 'padding',
    layout: () => ({ padding: (n) => { const p = new Uint8Array(n + BLOCK + 1).fill(0xa5); p[p.length - 1] = n + BLOCK; return p; } }),
  },
  {
    name: 'padding_length one short: a padding byte left over (MAC right)', kind: 'padding',
    layout: () => ({ padding: (n) => { const p = rightPadding(n + BLOCK); p[p.length - 1] = n + BLOCK - 1; return p; } }),
  },
  // (b) padding right, MAC wrong.
  { name: 'one MAC bit flipped (padding right)', kind: 'mac', layout: () => ({ mac: (m) => { const x = m.slice(); x[x.length - 1]! ^= 1; return x; } }) },
  { name: 'MAC for the next sequence number (padding right)', kind: 'mac', layout: (e) => ({ macSeq: e.peerSeq + 2 }) },
  { name: 'MAC for content type handshake (padding right)', kind: 'mac', layout: () => ({ macType: CT.handshake }) },
  // (c) too short for a block or for the MAC.
  { name: '15-byte body: less than one block', kind: 'length', layout: () => ({ body: (b) => b.subarray(0, BLOCK - 1) }) },
  { name: 'the IV alone: no ciphertext, no MAC', kind: 'length', layout: () => ({ body: (b) => b.subarray(0, BLOCK) }) },
  { name: 'last byte dropped: not a whole number of blocks', kind: 'length', layout: () => ({ body: (b) => b.subarray(0, b.length - 1) }) },
  {
    name: 'IV and one block: shorter than the MAC and a padding byte', kind: 'length', only: 'mte',
    layout: () => ({ body: (b) => b.subarray(0, 2 * BLOCK) }),
  },
  {
    name: 'last block dropped: whole blocks, the MAC cut', kind: 'length', only: 'mte',
    layout: () => ({ body: (b) => b.subarray(0, b.length - BLOCK) }),
  },
  {
    name: 'one byte less than the MAC, nothing else', kind: 'length', only: 'etm',
    layout: (e) => ({ body: (b) => b.subarray(b.length - macLength(e) + 1) }),
  },
  {
    name: 'the MAC alone: no IV, no ciphertext', kind: 'length', only: 'etm',
    layout: (e) => ({ body: (b) => b.subarray(b.length - macLength(e)) }),
  },
  {
    name: 'IV and a MAC that is right for it: no ciphertext block', kind: 'length', only: 'etm',
    layout: (e) => ({
      body: (b) => concatBytes([b.subarray(0, BLOCK), recordMac(e, e.peerSeq + 1, CT.application_data, b.subarray(0, BLOCK))]),
    }),
  },
];

// --- what the victim does ---

/**
 * Feeds, in one read: a good record, the forged one, a good record sealed for the sequence number
 * after it. Returns the victim's answer, checked to be the same single failure at the same point.
 */
function refuse(e: Established, flaw: Flaw): { message: string; alertRecordLength: number } {
  const v = e.victim;
  const input = concatBytes([
    layRecord(e, e.peerSeq, text('before')),
    layRecord(e, e.peerSeq + 1, FORGED, flaw.layout(e)),
    layRecord(e, e.peerSeq + 2, text('after')),
  ]);
  const out = v.feed(input);
  assert.deepEqual(v.thrown, [], 'no exception escaped');
  // The same point: the record before delivered, the forged one refused, nothing after it processed.
  assert.deepEqual(v.events.map((ev) => ev.type), ['data', 'error'], 'one record delivered, then the failure');
  assert.equal(new TextDecoder().decode((v.events[0] as { data: Uint8Array }).data), 'before');
  const err = v.conn.error;
  assert.ok(err instanceof TlsError, 'a failure');
  assert.equal(err.kind, 'bad_record_mac', `kind (${err.code}: ${err.message})`);
  assert.equal(err.code, 'ERR_TLS_BAD_RECORD_MAC');
  assert.equal(v.errors()[0], err);
  // The same single alert: one record, sealed with the victim's keys, fatal bad_record_mac.
  const records = splitRecords(out);
  assert.equal(records.length, 1, `one record, got ${toHex(out)}`);
  assert.equal(records[0]!.length, out.length);
  assert.equal(records[0]![0], CT.alert, 'a TLS 1.2 alert record');
  const opened = e.ours.open(records[0]!);
  assert.equal(opened.contentType, CT.alert);
  assert.deepEqual([...opened.plaintext], [2, AlertDescription.bad_record_mac]);
  assertSilence(v, err);
  return { message: err.message, alertRecordLength: out.length };
}

for (const suite of SUITES) {
  for (const encryptThenMac of [true, false]) {
    const layoutName = encryptThenMac ? 'encrypt_then_mac' : 'MAC-then-encrypt';
    describe(`CBC records refused alike: TLS 1.2 ${suite.openSslName}, ${layoutName}`, () => {
      for (const role of bothRoles) {
        it(`${role}: the control — a record laid out by hand the right way is accepted`, () => {
          const e = establish(role, suite, encryptThenMac);
          const out = e.victim.feed(concatBytes([
            layRecord(e, e.peerSeq, text('before')), layRecord(e, e.peerSeq + 1, FORGED), layRecord(e, e.peerSeq + 2, text('after')),
          ]));
          assert.deepEqual(e.victim.thrown, []);
          assert.equal(e.victim.conn.error, undefined, `control refused: ${e.victim.conn.error?.message}`);
          assert.equal(out.length, 0);
          const data = e.victim.events.map((ev) => (ev.type === 'data' ? new TextDecoder().decode(ev.data) : ev.type));
          assert.deepEqual(data, ['before', new TextDecoder().decode(FORGED), 'after']);
          // The victim's own records open under the layout we think it negotiated.
          e.victim.conn.write(text('probe'));
          assert.equal(new TextDecoder().decode(e.ours.open(e.victim.conn.takeOutput()).plaintext), 'probe');
        });

        const flaws = FLAWS.filter((f) => f.only === undefined || f.only === (encryptThenMac ? 'etm' : 'mte'));
        const answers = new Map<string, { message: string; alertRecordLength: number }>();
        for (const flaw of flaws) {
          it(`${role}: ${flaw.name} → one bad_record_mac alert at that record, ERR_TLS_BAD_RECORD_MAC`, () => {
            answers.set(flaw.name, refuse(establish(role, suite, encryptThenMac), flaw));
          });
        }
        it(`${role}: padding, MAC and length flaws are answered identically (same message, same alert record)`, () => {
          assert.equal(answers.size, flaws.length, 'every flaw case ran');
          const kinds = new Set(flaws.map((f) => f.kind));
          assert.deepEqual([...kinds].sort(), ['length', 'mac', 'padding']);
          const distinct = new Set([...answers.values()].map((a) => JSON.stringify(a)));
          assert.equal(distinct.size, 1, `answers differ: ${JSON.stringify([...answers])}`);
        });
      }
    });
  }
}
