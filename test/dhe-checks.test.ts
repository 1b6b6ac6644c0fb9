// TLS 1.2 DHE-RSA parameter checks (RFC 7919 Sections 3 and 5.1, RFC 5246 Section 7.4.3), in memory.
//
// Our client: the server's ServerKeyExchange is rewritten in flight and signed again with the server's
// own key, so that the signature is good and only the parameter is wrong. A public value Ys of 0, 1,
// p-1, p or above is illegal_parameter; a prime under 2048 bits (the 768-, 1024- and 1536-bit MODP
// groups of RFC 2409/3526) is insufficient_security; an even prime or a generator out of range is
// illegal_parameter. The edges 2 and p-2, a 2048-bit prime and the unchanged parameters signed again
// are accepted (the client carries on to its ClientKeyExchange), so the cases above fail for the
// reason they name.
//
// Our server: the client's provider hands out a DH share whose public value Yc is out of range; the
// server answers illegal_parameter. The edges 2 and p-2 pass the check (and fail later, at the
// client's Finished, since the two sides then hold different keys).

import assert from 'node:assert/strict';
import { getDiffieHellman } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { CryptoProvider, KeyShare } from '../src/crypto/provider.js';
import { nodeCryptoProvider } from '../src/crypto/node.js';
import { ffdheGroups } from '../src/keys/ffdhe.js';
import { suiteByName } from '../src/suites.js';
import { AlertDescription, AlertLevel, HandshakeType, ProtocolVersion } from '../src/wire/enums.js';
import { decodeHandshake, encodeHandshake, encodeServerDhParams, type ServerHello, type ServerKeyExchangeDhe } from '../src/wire/messages.js';
import { concatBytes, findRecords } from './fuzz/mutator.js';
import { ContentTypes, handshakeMessagesOf, rewriteHandshake } from './flight.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

const TLS12 = ProtocolVersion['TLSv1.2'];
const DHE = suiteByName('DHE-RSA-AES128-GCM-SHA256')!;
const ffdhe2048 = ffdheGroups[0]!;

// --- big-endian numbers ---

const toBig = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`));
function toBytes(n: bigint, length?: number): Uint8Array {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const raw = Uint8Array.from(Buffer.from(hex, 'hex'));
  if (length === undefined || raw.length >= length) return raw;
  const out = new Uint8Array(length);
  out.set(raw, length - raw.length);
  return out;
}

/** The alerts among the plaintext records of `bytes`. */
function alertsIn(bytes: Uint8Array): [number, number][] {
  return findRecords(bytes)
    .filter((r) => r.type === ContentTypes.alert && r.length === 2)
    .map((r) => [bytes[r.offset + 5]!, bytes[r.offset + 6]!]);
}

/** What the table at the end prints: case → what the refusing side said. */
const observed: string[] = [];
after(() => {
  console.log('\nDHE checks (case → outcome):');
  for (const line of observed) console.log(`  ${line}`);
});

describe('our client checks the server\'s DHE parameters', () => {
  type Params = { p: Uint8Array; g: Uint8Array; ys: Uint8Array };

  /**
   * A DHE handshake whose ServerKeyExchange params are replaced by `change(original)` and signed
   * again with the server's key (same scheme, over the same randoms).
   */
  function withServerParams(change: (original: Params) => Params): { pair: Pair; clientOut: Uint8Array } {
    let clientRandom: Uint8Array | undefined;
    let done = false;
    const pair = Pair.create(
      makeClientConfig(k, { maxVersion: TLS12, cipherSuites: [DHE.id] }),
      makeServerConfig(k, { maxVersion: TLS12, cipherSuites: [DHE.id] }),
      'localhost',
      (from, bytes) => {
        if (from === 'client') {
          clientRandom ??= handshakeMessagesOf(bytes)[0]!.body.slice(2, 34);
          return bytes;
        }
        if (done) return bytes;
        done = true;
        const messages = handshakeMessagesOf(bytes);
        const sh = messages.find((m) => m.type === HandshakeType.server_hello)!;
        const serverRandom = (decodeHandshake(sh.type, sh.body, { version: TLS12 }) as ServerHello).random;
        return rewriteHandshake(bytes, (list) =>
          list.map((m) => {
            if (m.type !== HandshakeType.server_key_exchange) return m.raw;
            const ske = decodeHandshake(m.type, m.body, { version: TLS12, kx: 'dhe' }) as ServerKeyExchangeDhe;
            const { p, g, ys } = change({ p: ske.dhP, g: ske.dhG, ys: ske.dhYs });
            const params = encodeServerDhParams(p, g, ys);
            // RFC 5246 Section 7.4.3: the signature covers client_random + server_random + params.
            const signature = nodeCryptoProvider.sign(k.rsa.key, ske.signatureScheme, concatBytes([clientRandom!, serverRandom, params]));
            return encodeHandshake({ ...ske, dhP: p, dhG: g, dhYs: ys, params, signature }, TLS12);
          }),
        );
      },
    );
    // Two flights: the ClientHello out, the rewritten server flight in; then what the client answered.
    pair.run(2);
    return { pair, clientOut: pair.client.takeOutput() };
  }

  function refused(label: string, change: (o: Params) => Params, kind: 'illegal_parameter' | 'insufficient_security'): void {
    it(`${label}: ${kind}`, () => {
      const { pair, clientOut } = withServerParams(change);
      const error = pair.client.error;
      assert.equal(error?.kind, kind, `got ${error?.code}: ${error?.message}`);
      // A prime too small for the client is node's ERR_TLS_DH_PARAM_SIZE (minDHSize).
      assert.equal(error?.code, kind === 'insufficient_security' ? 'ERR_TLS_DH_PARAM_SIZE' : `ERR_TLS_${kind.toUpperCase()}`);
      assert.deepEqual(alertsIn(clientOut), [[AlertLevel.fatal, AlertDescription[kind]]]);
      assert.equal(handshakeMessagesOf(clientOut).length, 0, 'no ClientKeyExchange');
      observed.push(`client, server ${label} → ${error!.code}: ${error!.message}`);
    });
  }

  function accepted(label: string, change: (o: Params) => Params): void {
    it(`${label}: accepted (the client sends its ClientKeyExchange)`, () => {
      const { pair, clientOut } = withServerParams(change);
      assert.equal(pair.client.error, undefined, `${pair.client.error?.code}: ${pair.client.error?.message}`);
      assert.ok(handshakeMessagesOf(clientOut).some((m) => m.type === HandshakeType.client_key_exchange));
      observed.push(`client, server ${label} → accepted`);
    });
  }

  const p = toBig(ffdhe2048.p);
  const len = ffdhe2048.p.length;
  const ys = (n: bigint, length = len) => (o: Params): Params => ({ ...o, ys: toBytes(n, length) });

  refused('Ys = 0', ys(0n, 1), 'illegal_parameter');
  refused('Ys = 0 (256 zero bytes)', ys(0n), 'illegal_parameter');
  refused('Ys = 1', ys(1n, 1), 'illegal_parameter');
  refused('Ys = 1 (zero-padded to the length of p)', ys(1n), 'illegal_parameter');
  refused('Ys = p-1', ys(p - 1n), 'illegal_parameter');
  refused('Ys = p', ys(p), 'illegal_parameter');
  refused('Ys = p+1', ys(p + 1n), 'illegal_parameter');
  refused('Ys = 2^2048-1', ys((1n << 2048n) - 1n), 'illegal_parameter');
  refused('Ys = p + 2^2048 (longer than p)', ys(p + (1n << 2048n)), 'illegal_parameter');
  refused('g = 1', (o) => ({ ...o, g: Uint8Array.of(1) }), 'illegal_parameter');
  refused('g = p-1', (o) => ({ ...o, g: toBytes(p - 1n) }), 'illegal_parameter');
  refused('an even "prime" of 2048 bits (p+1)', (o) => ({ ...o, p: toBytes(p + 1n) }), 'illegal_parameter');
  for (const [name, bits] of [['modp1', 768], ['modp2', 1024], ['modp5', 1536]] as const) {
    refused(`a ${bits}-bit prime (${name})`, (o) => {
      const small = Uint8Array.from(getDiffieHellman(name).getPrime());
      return { p: small, g: Uint8Array.of(2), ys: toBytes(toBig(o.ys) % toBig(small), small.length) };
    }, 'insufficient_security');
  }

  accepted('the unchanged parameters, signed again', (o) => o);
  accepted('Ys = 2', ys(2n));
  accepted('Ys = p-2', ys(p - 2n));
  accepted('a 2048-bit prime that is not ffdhe2048 (modp14)', () => {
    const dh = getDiffieHellman('modp14');
    dh.generateKeys();
    return { p: Uint8Array.from(dh.getPrime()), g: Uint8Array.from(dh.getGenerator()), ys: Uint8Array.from(dh.getPublicKey()) };
  });
});

describe('our server checks the client\'s DHE public value', () => {
  /** The node provider, except that the DH shares it makes announce `publicKey` instead of their own. */
  const lyingAbout = (publicKey: (p: Uint8Array) => Uint8Array): CryptoProvider =>
    new Proxy(nodeCryptoProvider, {
      get(target, prop) {
        if (prop === 'generateDhKeyShare') {
          return (p: Uint8Array, g: Uint8Array): KeyShare => {
            const real = target.generateDhKeyShare(p, g);
            return { group: real.group, publicKey: publicKey(p), agree: (peer) => real.agree(peer) };
          };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });

  function clientSends(label: string, yc: (p: bigint, length: number) => Uint8Array, expect: 'illegal_parameter' | 'not illegal_parameter'): void {
    it(`Yc = ${label}: ${expect === 'illegal_parameter' ? 'illegal_parameter' : 'passes the range check (the keys then differ: the client Finished is bad_record_mac)'}`, () => {
      const pair = Pair.create(
        makeClientConfig(k, {
          maxVersion: TLS12,
          cipherSuites: [DHE.id],
          provider: lyingAbout((pBytes) => yc(toBig(pBytes), pBytes.length)),
        }),
        makeServerConfig(k, { maxVersion: TLS12, cipherSuites: [DHE.id] }),
      );
      pair.run();
      const error = pair.server.error;
      if (expect === 'illegal_parameter') {
        assert.equal(error?.kind, 'illegal_parameter', `got ${error?.code}: ${error?.message}`);
        assert.equal(error?.code, 'ERR_TLS_ILLEGAL_PARAMETER');
        assert.match(error!.message, /DH public value/);
        assert.equal(pair.client.error?.code, 'ERR_TLS_ALERT_ILLEGAL_PARAMETER', 'the client received the alert');
      } else {
        // Not a range failure: the value is a legal one the server shares no secret with, so the
        // client's Finished, sealed under other keys, does not open.
        assert.equal(error?.kind, 'bad_record_mac', `${error?.code}: ${error?.message}`);
      }
      observed.push(`server, client Yc = ${label} → ${error ? `${error.code}: ${error.message}` : 'no error'}`);
    });
  }

  clientSends('0', () => Uint8Array.of(0), 'illegal_parameter');
  clientSends('1', () => Uint8Array.of(1), 'illegal_parameter');
  clientSends('1 (zero-padded)', (_p, n) => toBytes(1n, n), 'illegal_parameter');
  clientSends('p-1', (p, n) => toBytes(p - 1n, n), 'illegal_parameter');
  clientSends('p', (p, n) => toBytes(p, n), 'illegal_parameter');
  clientSends('p+1', (p, n) => toBytes(p + 1n, n), 'illegal_parameter');
  clientSends('2^2048-1', (_p, n) => toBytes((1n << 2048n) - 1n, n), 'illegal_parameter');
  clientSends('2', (_p, n) => toBytes(2n, n), 'not illegal_parameter');
  clientSends('p-2', (p, n) => toBytes(p - 2n, n), 'not illegal_parameter');
});

describe('a server with its own DH group (node:tls dhparam) and the client\'s minimum (minDHSize)', () => {
  const group = (name: string) => {
    const dh = getDiffieHellman(name);
    return { p: Uint8Array.from(dh.getPrime()), g: Uint8Array.from(dh.getGenerator()) };
  };
  const modp2 = group('modp2'); // 1024 bits
  const modp14 = group('modp14'); // 2048 bits, not an RFC 7919 group

  const pairWith = (server: { dhParams: { p: Uint8Array; g: Uint8Array } }, client: { minDhBits?: number } = {}) =>
    Pair.create(
      makeClientConfig(k, { maxVersion: TLS12, cipherSuites: [DHE.id], ...client }),
      makeServerConfig(k, { maxVersion: TLS12, cipherSuites: [DHE.id], ...server }),
    );

  it('the server uses its own 2048-bit prime even though the client lists the RFC 7919 groups', () => {
    const pair = pairWith({ dhParams: modp14 });
    pair.handshake();
    for (const side of [pair.client, pair.server]) {
      assert.equal(side.info.group, undefined, 'no named group');
      assert.equal(side.info.dhBits, 2048);
    }
  });

  it('a 1024-bit prime is refused by default: insufficient_security, ERR_TLS_DH_PARAM_SIZE', () => {
    const pair = pairWith({ dhParams: modp2 });
    pair.run();
    assert.equal(pair.client.error?.kind, 'insufficient_security');
    assert.equal(pair.client.error?.code, 'ERR_TLS_DH_PARAM_SIZE');
    assert.equal(pair.client.error?.message, 'DH parameter size 1024 is less than 2048');
    assert.equal(pair.server.error?.code, 'ERR_TLS_ALERT_INSUFFICIENT_SECURITY', 'the server received the alert');
  });

  it('a client with minDhBits 1024 takes the 1024-bit prime', () => {
    const pair = pairWith({ dhParams: modp2 }, { minDhBits: 1024 });
    pair.handshake();
    assert.equal(pair.client.info.dhBits, 1024);
    assert.equal(pair.server.info.dhBits, 1024);
  });

  it('a prime under 1024 bits, an even one, or a minimum under 1024 is refused when the config is made', () => {
    const modp1 = group('modp1'); // 768 bits
    assert.throws(() => makeServerConfig(k, { dhParams: modp1 }), { code: 'ERR_INVALID_ARG_VALUE', message: 'DH parameter is less than 1024 bits' });
    const even = { p: modp14.p.slice(), g: modp14.g };
    even.p[even.p.length - 1]! ^= 1;
    assert.throws(() => makeServerConfig(k, { dhParams: even }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => makeClientConfig(k, { minDhBits: 512 }), { code: 'ERR_OUT_OF_RANGE' });
  });
});
