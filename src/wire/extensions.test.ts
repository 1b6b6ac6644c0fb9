import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TlsError } from '../errors.js';
import {
  decodeAlpn, decodeCookie, decodeEarlyData, decodeEcPointFormats, decodeKeyShareClient, decodeKeyShareHelloRetry,
  decodeKeyShareServer, decodePreSharedKeyClient, decodePreSharedKeyServer, decodePskKeyExchangeModes,
  decodeRecordSizeLimit, decodeRenegotiationInfo, decodeServerName, decodeSessionTicket, decodeSignatureAlgorithms,
  decodeSupportedGroups, decodeSupportedVersionsClient, decodeSupportedVersionsServer, encodeAlpn, encodeCookie,
  encodedBindersLength, encodeEarlyData, encodeEcPointFormats, encodeKeyShareClient, encodeKeyShareHelloRetry,
  encodeKeyShareServer, encodePreSharedKeyClient, encodePreSharedKeyServer, encodePskKeyExchangeModes,
  encodeRecordSizeLimit, encodeRenegotiationInfo, encodeServerName, encodeSessionTicket, encodeSignatureAlgorithms,
  encodeSupportedGroups, encodeSupportedVersionsClient, encodeSupportedVersionsServer, expectEmptyExtension,
  findExtension,
} from './extensions.js';

const h = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (x) => parseInt(x, 16));
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const fill = (n: number, v: number) => new Uint8Array(n).fill(v);

function throwsKind(fn: () => unknown, kind: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TlsError, `expected a TlsError, got ${String(e)}`);
    assert.equal(e.kind, kind, `kind of "${e.message}"`);
    if (message) assert.match(e.message, message);
    return true;
  });
}

interface Case {
  name: string;
  data: Uint8Array; // the encoding under test
  expected: unknown; // its decoded value
  decode: (d: Uint8Array) => unknown;
  encode: (v: never) => Uint8Array;
  /** Strict prefixes that are themselves valid encodings (by the RFC), with what they decode to. */
  validPrefixes?: Record<number, unknown>;
}

const x25519Key = h('99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c');
const p256Key = Uint8Array.of(4, ...fill(64, 0x11));

const cases: Case[] = [
  {
    name: 'server_name',
    data: encodeServerName('example.com'),
    expected: 'example.com',
    decode: decodeServerName,
    encode: encodeServerName,
    validPrefixes: { 0: '' }, // RFC 6066 Section 3: the server's empty acknowledgement
  },
  { name: 'supported_groups', data: encodeSupportedGroups([0x001d, 0x0017, 0x11ec, 0x0a0a]), expected: [0x001d, 0x0017, 0x11ec, 0x0a0a], decode: decodeSupportedGroups, encode: encodeSupportedGroups },
  { name: 'ec_point_formats', data: encodeEcPointFormats([0, 1, 2]), expected: [0, 1, 2], decode: decodeEcPointFormats, encode: encodeEcPointFormats },
  { name: 'signature_algorithms', data: encodeSignatureAlgorithms([0x0403, 0x0804, 0x0401, 0x0202]), expected: [0x0403, 0x0804, 0x0401, 0x0202], decode: decodeSignatureAlgorithms, encode: encodeSignatureAlgorithms },
  { name: 'alpn', data: encodeAlpn(['h2', 'http/1.1', '\xff\x01']), expected: ['h2', 'http/1.1', '\xff\x01'], decode: decodeAlpn, encode: encodeAlpn },
  { name: 'renegotiation_info (initial)', data: encodeRenegotiationInfo(new Uint8Array(0)), expected: new Uint8Array(0), decode: decodeRenegotiationInfo, encode: encodeRenegotiationInfo },
  { name: 'renegotiation_info (12 bytes)', data: encodeRenegotiationInfo(fill(12, 7)), expected: fill(12, 7), decode: decodeRenegotiationInfo, encode: encodeRenegotiationInfo },
  { name: 'supported_versions (client)', data: encodeSupportedVersionsClient([0x0304, 0x0303, 0x7a7a]), expected: [0x0304, 0x0303, 0x7a7a], decode: decodeSupportedVersionsClient, encode: encodeSupportedVersionsClient },
  { name: 'supported_versions (server)', data: encodeSupportedVersionsServer(0x0304), expected: 0x0304, decode: decodeSupportedVersionsServer, encode: encodeSupportedVersionsServer },
  {
    name: 'key_share (client)',
    data: encodeKeyShareClient([{ group: 0x001d, keyExchange: x25519Key }, { group: 0x0017, keyExchange: p256Key }]),
    expected: [{ group: 0x001d, keyExchange: x25519Key }, { group: 0x0017, keyExchange: p256Key }],
    decode: decodeKeyShareClient,
    encode: encodeKeyShareClient,
  },
  { name: 'key_share (client, empty)', data: encodeKeyShareClient([]), expected: [], decode: decodeKeyShareClient, encode: encodeKeyShareClient },
  { name: 'key_share (server)', data: encodeKeyShareServer({ group: 0x001d, keyExchange: x25519Key }), expected: { group: 0x001d, keyExchange: x25519Key }, decode: decodeKeyShareServer, encode: encodeKeyShareServer },
  { name: 'key_share (HelloRetryRequest)', data: encodeKeyShareHelloRetry(0x0017), expected: 0x0017, decode: decodeKeyShareHelloRetry, encode: encodeKeyShareHelloRetry },
  { name: 'psk_key_exchange_modes', data: encodePskKeyExchangeModes([1, 0]), expected: [1, 0], decode: decodePskKeyExchangeModes, encode: encodePskKeyExchangeModes },
  { name: 'cookie', data: encodeCookie(fill(40, 0xc0)), expected: fill(40, 0xc0), decode: decodeCookie, encode: encodeCookie },
  {
    name: 'early_data (NewSessionTicket)',
    data: encodeEarlyData(16384),
    expected: 16384,
    decode: decodeEarlyData,
    encode: encodeEarlyData,
    validPrefixes: { 0: undefined }, // the empty form of ClientHello and EncryptedExtensions
  },
  { name: 'record_size_limit', data: encodeRecordSizeLimit(16385), expected: 16385, decode: decodeRecordSizeLimit, encode: encodeRecordSizeLimit },
  {
    name: 'pre_shared_key (client)',
    data: encodePreSharedKeyClient({
      identities: [{ identity: fill(20, 0x01), obfuscatedTicketAge: 0xdeadbeef }, { identity: Uint8Array.of(9), obfuscatedTicketAge: 0 }],
      binders: [fill(32, 0xb1), fill(48, 0xb2)],
    }),
    expected: {
      identities: [{ identity: fill(20, 0x01), obfuscatedTicketAge: 0xdeadbeef }, { identity: Uint8Array.of(9), obfuscatedTicketAge: 0 }],
      binders: [fill(32, 0xb1), fill(48, 0xb2)],
    },
    decode: decodePreSharedKeyClient,
    encode: encodePreSharedKeyClient,
  },
  { name: 'pre_shared_key (server)', data: encodePreSharedKeyServer(1), expected: 1, decode: decodePreSharedKeyServer, encode: encodePreSharedKeyServer },
];

describe('extension codecs: round trip, every strict prefix and a trailing byte rejected', () => {
  for (const c of cases) {
    it(c.name, () => {
      const decoded = c.decode(c.data);
      assert.deepEqual(decoded, c.expected);
      assert.equal(hex(c.encode(decoded as never)), hex(c.data), 'decode → encode gives the same bytes');
      for (let i = 0; i < c.data.length; i++) {
        const prefix = c.data.subarray(0, i);
        if (c.validPrefixes && i in c.validPrefixes) {
          assert.deepEqual(c.decode(prefix), c.validPrefixes[i]);
          continue;
        }
        throwsKind(() => c.decode(prefix), 'decode_error');
      }
      throwsKind(() => c.decode(Uint8Array.of(...c.data, 0)), 'decode_error', /trailing bytes/);
    });
  }

  it('session_ticket is the raw ticket', () => {
    const ticket = fill(100, 0x5a);
    assert.deepEqual(decodeSessionTicket(encodeSessionTicket(ticket)), ticket);
    assert.equal(encodeSessionTicket(new Uint8Array(0)).length, 0);
  });

  it('known encodings', () => {
    // RFC 8448 Section 3, from the ClientHello: "server", x25519 key share, supported_versions TLS 1.3.
    assert.equal(hex(encodeServerName('server')), '0009000006736572766572');
    assert.equal(hex(encodeKeyShareClient([{ group: 0x001d, keyExchange: x25519Key }])), '0024001d0020' + hex(x25519Key));
    assert.equal(hex(encodeSupportedVersionsClient([0x0304])), '020304');
    assert.equal(hex(encodeRecordSizeLimit(0x4001)), '4001');
    assert.equal(hex(encodePskKeyExchangeModes([1])), '0101');
    assert.equal(hex(encodeAlpn(['h2'])), '0003026832');
    assert.equal(hex(encodeEarlyData()), '');
  });
});

describe('extension codecs: rejections', () => {
  const table: { name: string; run: () => unknown; kind: string; message?: RegExp }[] = [
    { name: 'server_name with two host_names', run: () => decodeServerName(h('000a 000002 6161 000002 6262')), kind: 'illegal_parameter', message: /more than one host_name/ },
    { name: 'server_name with a space', run: () => decodeServerName(h('0006 000003 612062')), kind: 'illegal_parameter', message: /not printable ASCII/ },
    { name: 'server_name with a byte above 0x7e', run: () => decodeServerName(h('0006 000003 61c362')), kind: 'illegal_parameter' },
    { name: 'server_name with a NUL byte', run: () => decodeServerName(h('0006 000003 610062')), kind: 'illegal_parameter' },
    { name: 'server_name with a trailing dot', run: () => decodeServerName(h('0006 000003 61622e')), kind: 'illegal_parameter', message: /ends with a dot/ },
    { name: 'server_name with an empty list', run: () => decodeServerName(h('0000')), kind: 'decode_error' },
    { name: 'server_name with an empty host_name', run: () => decodeServerName(h('0003 000000')), kind: 'decode_error' },
    { name: 'alpn with an empty list', run: () => decodeAlpn(h('0000')), kind: 'decode_error' },
    { name: 'alpn with an empty name', run: () => decodeAlpn(h('0003 00 016a')), kind: 'decode_error' },
    { name: 'supported_groups empty', run: () => decodeSupportedGroups(h('0000')), kind: 'decode_error', message: /is empty/ },
    { name: 'supported_groups of odd length', run: () => decodeSupportedGroups(h('0003 001d00')), kind: 'decode_error', message: /odd length/ },
    { name: 'signature_algorithms empty', run: () => decodeSignatureAlgorithms(h('0000')), kind: 'decode_error' },
    { name: 'signature_algorithms of odd length', run: () => decodeSignatureAlgorithms(h('0001 04')), kind: 'decode_error', message: /odd length/ },
    { name: 'ec_point_formats empty', run: () => decodeEcPointFormats(h('00')), kind: 'decode_error' },
    { name: 'supported_versions (client) empty', run: () => decodeSupportedVersionsClient(h('00')), kind: 'decode_error' },
    { name: 'supported_versions (client) of odd length', run: () => decodeSupportedVersionsClient(h('03 030403')), kind: 'decode_error' },
    { name: 'key_share with an empty key_exchange', run: () => decodeKeyShareClient(h('0004 001d 0000')), kind: 'illegal_parameter' },
    { name: 'key_share offering a group twice', run: () => decodeKeyShareClient(h('000a 001d 0001 01 001d 0001 02')), kind: 'illegal_parameter', message: /twice/ },
    { name: 'psk_key_exchange_modes empty', run: () => decodePskKeyExchangeModes(h('00')), kind: 'decode_error' },
    { name: 'cookie empty', run: () => decodeCookie(h('0000')), kind: 'decode_error' },
    { name: 'early_data of 2 bytes', run: () => decodeEarlyData(h('0001')), kind: 'decode_error' },
    { name: 'record_size_limit below 64', run: () => decodeRecordSizeLimit(h('003f')), kind: 'illegal_parameter', message: /below the minimum of 64/ },
    {
      name: 'pre_shared_key with fewer binders than identities',
      run: () => decodePreSharedKeyClient(encodePreSharedKeyClient({
        identities: [{ identity: Uint8Array.of(1), obfuscatedTicketAge: 0 }, { identity: Uint8Array.of(2), obfuscatedTicketAge: 0 }],
        binders: [fill(32, 0)],
      })),
      kind: 'illegal_parameter',
      message: /2 identities but 1 binders/,
    },
    {
      name: 'pre_shared_key with a 31-byte binder',
      run: () => decodePreSharedKeyClient(encodePreSharedKeyClient({
        identities: [{ identity: Uint8Array.of(1), obfuscatedTicketAge: 0 }, { identity: Uint8Array.of(2), obfuscatedTicketAge: 0 }],
        binders: [fill(32, 0), fill(31, 0)],
      })),
      kind: 'decode_error',
    },
    {
      name: 'pre_shared_key with an empty identity',
      run: () => decodePreSharedKeyClient(encodePreSharedKeyClient({ identities: [{ identity: new Uint8Array(0), obfuscatedTicketAge: 0 }], binders: [fill(32, 0)] })),
      kind: 'decode_error',
    },
    { name: 'a non-empty extended_master_secret', run: () => expectEmptyExtension(Uint8Array.of(0), 'extended_master_secret'), kind: 'decode_error', message: /extended_master_secret/ },
    { name: 'encoding a non-ASCII server name', run: () => encodeServerName('bücher.example'), kind: 'api_misuse' },
    { name: 'encoding an empty server name', run: () => encodeServerName(''), kind: 'api_misuse' },
    { name: 'encoding an empty ALPN name', run: () => encodeAlpn(['h2', '']), kind: 'api_misuse' },
    { name: 'encoding an ALPN name outside latin1', run: () => encodeAlpn(['h\u0100']), kind: 'api_misuse' },
  ];
  for (const t of table) it(t.name, () => throwsKind(t.run, t.kind, t.message));

  it('accepts the boundary values', () => {
    assert.equal(decodeRecordSizeLimit(h('0040')), 64);
    assert.doesNotThrow(() => expectEmptyExtension(new Uint8Array(0), 'encrypt_then_mac'));
    // Name types other than host_name are skipped (RFC 6066 Section 3).
    assert.equal(decodeServerName(h('000c 010003787878 000003612e62')), 'a.b');
    assert.equal(decodeServerName(h('0006 010003787878')), '');
  });
});

describe('extension helpers', () => {
  it('findExtension returns the first extension of a type', () => {
    const list = [{ type: 0, data: Uint8Array.of(1) }, { type: 43, data: Uint8Array.of(2) }];
    assert.equal(findExtension(list, 43), list[1]);
    assert.equal(findExtension(list, 51), undefined);
  });

  it('encodedBindersLength is the size of the binders list at the end of pre_shared_key', () => {
    const offer = { identities: [{ identity: fill(10, 1), obfuscatedTicketAge: 5 }], binders: [fill(32, 0xee)] };
    const data = encodePreSharedKeyClient(offer);
    const n = encodedBindersLength(offer.binders);
    assert.equal(n, 2 + 1 + 32);
    assert.equal(hex(data.subarray(data.length - n)), '0021' + '20' + 'ee'.repeat(32));
  });
});
