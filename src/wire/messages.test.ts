import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TlsError } from '../errors.js';
import { ExtensionType, HandshakeType } from './enums.js';
import {
  decodeKeyShareClient, decodeKeyShareServer, decodeServerName, decodeSignatureAlgorithms, decodeSupportedGroups,
  decodeSupportedVersionsClient, decodeSupportedVersionsServer, encodeKeyShareHelloRetry, encodeServerName,
  encodeSupportedVersionsServer, findExtension,
} from './extensions.js';
import {
  decodeHandshake, decodeHandshakeMessage, describeHandshake, encodeHandshake, encodeServerDhParams,
  encodeServerEcdhParams, handshakeMessageName, HELLO_RETRY_REQUEST_RANDOM, isHelloRetryRequest,
  type ClientHello, type DecodeContext, type HandshakeMessage, type ServerHello,
} from './messages.js';

const h = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (x) => parseInt(x, 16));
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const fill = (n: number, v: number) => new Uint8Array(n).fill(v);

const TLS12: DecodeContext = { version: 0x0303 };
const TLS13: DecodeContext = { version: 0x0304 };

function throwsKind(fn: () => unknown, kind: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TlsError, `expected a TlsError, got ${String(e)}`);
    assert.equal(e.kind, kind, `kind of "${e.message}"`);
    if (message) assert.match(e.message, message);
    return true;
  });
}

// RFC 8448 Section 3 (Simple 1-RTT Handshake): the client's ClientHello and the server's ServerHello,
// handshake messages with their 4-byte headers.
const RFC8448_CLIENT_HELLO = h(`
  010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7000006130113031302010000910000
  000b0009000006736572766572ff01000100000a00140012001d001700180019010001010102010301040023000000330026002400
  1d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b0003020304000d0020001e0403050306
  03020308040805080604010501060102010402050206020202002d00020101001c00024001`);
const RFC8448_SERVER_HELLO = h(`
  020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e00330024001d0020c9
  828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304`);

const random = Uint8Array.from({ length: 32 }, (_, i) => i);
const sessionId = fill(32, 0x5e);
const ecPoint = Uint8Array.of(4, ...fill(64, 0x42));

interface Case {
  name: string;
  message: HandshakeMessage;
  context: DecodeContext;
  /** Strict body prefixes that are valid messages too, by the RFC; checked to decode as `prefixOk` says. */
  prefixOk?: (prefix: Uint8Array, message: HandshakeMessage) => boolean;
  /** Whether one extra byte at the end of the body is still a valid message (Finished). */
  trailingOk?: boolean;
}

// RFC 5246 Sections 7.4.1.2 and 7.4.1.3: a hello that stops right after the compression method(s) is a
// valid hello without extensions; that is the one strict prefix of a hello that decodes.
const helloWithoutExtensions = (prefix: Uint8Array, message: HandshakeMessage) =>
  (message.type === HandshakeType.client_hello || message.type === HandshakeType.server_hello) &&
  prefix.length === encodeHandshake({ ...message, extensions: [] }, 0x0303).length - 4;

const clientHello12: ClientHello = {
  type: HandshakeType.client_hello,
  legacyVersion: 0x0303,
  random,
  legacySessionId: sessionId,
  // An unknown suite (0x0a0a, GREASE) and the renegotiation SCSV survive.
  cipherSuites: [0x0a0a, 0xc02f, 0x009c, 0x00ff],
  legacyCompressionMethods: Uint8Array.of(0),
  extensions: [
    { type: ExtensionType.server_name, data: encodeServerName('example.com') },
    { type: ExtensionType.extended_master_secret, data: new Uint8Array(0) },
    { type: 0xfafa, data: Uint8Array.of(1, 2, 3) }, // unknown extension type
    { type: ExtensionType.renegotiation_info, data: Uint8Array.of(0) },
  ],
};

const cases: Case[] = [
  { name: 'ClientHello (TLS 1.2, with extensions)', message: clientHello12, context: TLS12, prefixOk: helloWithoutExtensions },
  {
    name: 'ClientHello (no extensions)',
    message: { ...clientHello12, legacySessionId: new Uint8Array(0), cipherSuites: [0x002f], legacyCompressionMethods: Uint8Array.of(1, 0), extensions: [] },
    context: TLS12,
  },
  {
    name: 'ServerHello (TLS 1.2, with extensions)',
    message: {
      type: HandshakeType.server_hello,
      legacyVersion: 0x0303,
      random,
      legacySessionId: sessionId,
      cipherSuite: 0xc02f,
      legacyCompressionMethod: 0,
      extensions: [{ type: ExtensionType.renegotiation_info, data: Uint8Array.of(0) }, { type: ExtensionType.extended_master_secret, data: new Uint8Array(0) }],
    },
    context: TLS12,
    prefixOk: helloWithoutExtensions,
  },
  {
    name: 'ServerHello (no extensions)',
    message: { type: HandshakeType.server_hello, legacyVersion: 0x0303, random, legacySessionId: new Uint8Array(0), cipherSuite: 0x1234, legacyCompressionMethod: 0, extensions: [] },
    context: TLS12,
  },
  {
    name: 'HelloRetryRequest',
    message: {
      type: HandshakeType.server_hello,
      legacyVersion: 0x0303,
      random: HELLO_RETRY_REQUEST_RANDOM,
      legacySessionId: sessionId,
      cipherSuite: 0x1301,
      legacyCompressionMethod: 0,
      extensions: [
        { type: ExtensionType.supported_versions, data: encodeSupportedVersionsServer(0x0304) },
        { type: ExtensionType.key_share, data: encodeKeyShareHelloRetry(0x0017) },
      ],
    },
    context: TLS12,
    prefixOk: helloWithoutExtensions,
  },
  {
    name: 'Certificate (TLS 1.2)',
    message: { type: HandshakeType.certificate, certificateRequestContext: new Uint8Array(0), certificateList: [{ certData: fill(300, 0x30), extensions: [] }, { certData: Uint8Array.of(0x30), extensions: [] }] },
    context: TLS12,
  },
  {
    name: 'Certificate (TLS 1.2, empty list)',
    message: { type: HandshakeType.certificate, certificateRequestContext: new Uint8Array(0), certificateList: [] },
    context: TLS12,
  },
  {
    name: 'Certificate (TLS 1.3)',
    message: {
      type: HandshakeType.certificate,
      certificateRequestContext: Uint8Array.of(7, 7),
      certificateList: [
        { certData: fill(200, 0x30), extensions: [{ type: ExtensionType.status_request, data: Uint8Array.of(1, 0, 0, 1, 0xaa) }] },
        { certData: fill(100, 0x31), extensions: [] },
      ],
    },
    context: TLS13,
  },
  {
    name: 'ServerKeyExchange (ECDHE)',
    message: {
      type: HandshakeType.server_key_exchange,
      kx: 'ecdhe',
      namedGroup: 0x0017,
      publicKey: ecPoint,
      signatureScheme: 0x0804,
      signature: fill(256, 0x99),
      params: encodeServerEcdhParams(0x0017, ecPoint),
    },
    context: { version: 0x0303, kx: 'ecdhe' },
  },
  {
    name: 'ServerKeyExchange (DHE)',
    message: {
      type: HandshakeType.server_key_exchange,
      kx: 'dhe',
      dhP: fill(256, 0xff),
      dhG: Uint8Array.of(2),
      dhYs: fill(256, 0x12),
      signatureScheme: 0x0401,
      signature: fill(256, 0x98),
      params: encodeServerDhParams(fill(256, 0xff), Uint8Array.of(2), fill(256, 0x12)),
    },
    context: { version: 0x0303, kx: 'dhe' },
  },
  // RFC 4279 Section 2, RFC 5489 Section 2: the PSK suites' ServerKeyExchange, unsigned.
  {
    name: 'ServerKeyExchange (PSK, identity hint)',
    message: { type: HandshakeType.server_key_exchange, kx: 'psk', identityHint: h('6869 6e74'), params: new Uint8Array(0) },
    context: { version: 0x0303, kx: 'psk' },
  },
  {
    name: 'ServerKeyExchange (ECDHE-PSK, empty hint)',
    message: {
      type: HandshakeType.server_key_exchange, kx: 'ecdhe_psk', identityHint: new Uint8Array(0), namedGroup: 0x0017, publicKey: ecPoint,
      params: encodeServerEcdhParams(0x0017, ecPoint),
    },
    context: { version: 0x0303, kx: 'ecdhe_psk' },
  },
  {
    name: 'ServerKeyExchange (DHE-PSK)',
    message: {
      type: HandshakeType.server_key_exchange, kx: 'dhe_psk', identityHint: fill(5, 0x68), dhP: fill(256, 0xff), dhG: Uint8Array.of(2), dhYs: fill(256, 0x12),
      params: encodeServerDhParams(fill(256, 0xff), Uint8Array.of(2), fill(256, 0x12)),
    },
    context: { version: 0x0303, kx: 'dhe_psk' },
  },
  {
    name: 'CertificateRequest (TLS 1.2)',
    message: {
      type: HandshakeType.certificate_request,
      version: 'tls12',
      certificateTypes: Uint8Array.of(1, 64),
      signatureAlgorithms: [0x0403, 0x0804, 0x0401],
      certificateAuthorities: [fill(40, 0x30), fill(3, 0x31)],
    },
    context: TLS12,
  },
  {
    name: 'CertificateRequest (TLS 1.3)',
    message: {
      type: HandshakeType.certificate_request,
      version: 'tls13',
      certificateRequestContext: new Uint8Array(0),
      extensions: [{ type: ExtensionType.signature_algorithms, data: h('0004 0403 0804') }],
    },
    context: TLS13,
  },
  { name: 'ServerHelloDone', message: { type: HandshakeType.server_hello_done }, context: TLS12 },
  { name: 'HelloRequest', message: { type: HandshakeType.hello_request }, context: TLS12 },
  { name: 'EndOfEarlyData', message: { type: HandshakeType.end_of_early_data }, context: TLS13 },
  { name: 'ClientKeyExchange (RSA)', message: { type: HandshakeType.client_key_exchange, kx: 'rsa', exchangeKeys: fill(256, 0xe1) }, context: { version: 0x0303, kx: 'rsa' } },
  { name: 'ClientKeyExchange (ECDHE)', message: { type: HandshakeType.client_key_exchange, kx: 'ecdhe', exchangeKeys: fill(32, 0xe2) }, context: { version: 0x0303, kx: 'ecdhe' } },
  { name: 'ClientKeyExchange (DHE)', message: { type: HandshakeType.client_key_exchange, kx: 'dhe', exchangeKeys: fill(256, 0xe3) }, context: { version: 0x0303, kx: 'dhe' } },
  // RFC 4279 Sections 2-4, RFC 5489 Section 2: psk_identity first.
  {
    name: 'ClientKeyExchange (PSK)',
    message: { type: HandshakeType.client_key_exchange, kx: 'psk', pskIdentity: h('616c 6963 65'), exchangeKeys: new Uint8Array(0) },
    context: { version: 0x0303, kx: 'psk' },
  },
  {
    name: 'ClientKeyExchange (ECDHE-PSK)',
    message: { type: HandshakeType.client_key_exchange, kx: 'ecdhe_psk', pskIdentity: fill(9, 0x61), exchangeKeys: fill(32, 0xe2) },
    context: { version: 0x0303, kx: 'ecdhe_psk' },
  },
  {
    name: 'ClientKeyExchange (DHE-PSK)',
    message: { type: HandshakeType.client_key_exchange, kx: 'dhe_psk', pskIdentity: fill(9, 0x61), exchangeKeys: fill(256, 0xe3) },
    context: { version: 0x0303, kx: 'dhe_psk' },
  },
  {
    name: 'ClientKeyExchange (RSA-PSK)',
    message: { type: HandshakeType.client_key_exchange, kx: 'rsa_psk', pskIdentity: fill(9, 0x61), exchangeKeys: fill(256, 0xe1) },
    context: { version: 0x0303, kx: 'rsa_psk' },
  },
  { name: 'CertificateVerify', message: { type: HandshakeType.certificate_verify, signatureScheme: 0x0403, signature: fill(71, 0x30) }, context: TLS13 },
  // Finished: verify_data is the whole body, so every prefix and every extension of it is a Finished
  // (RFC 5246 Section 7.4.9); its length is checked where it is compared.
  { name: 'Finished (TLS 1.2)', message: { type: HandshakeType.finished, verifyData: fill(12, 0xf1) }, context: TLS12, prefixOk: () => true, trailingOk: true },
  { name: 'Finished (TLS 1.3)', message: { type: HandshakeType.finished, verifyData: fill(32, 0xf2) }, context: TLS13, prefixOk: () => true, trailingOk: true },
  {
    name: 'NewSessionTicket (TLS 1.2)',
    message: { type: HandshakeType.new_session_ticket, version: 'tls12', ticketLifetimeHint: 7200, ticket: fill(150, 0x7a) },
    context: TLS12,
  },
  {
    name: 'NewSessionTicket (TLS 1.3)',
    message: {
      type: HandshakeType.new_session_ticket,
      version: 'tls13',
      ticketLifetime: 604800,
      ticketAgeAdd: 0xfedcba98,
      ticketNonce: Uint8Array.of(0, 0),
      ticket: fill(64, 0x7b),
      extensions: [{ type: ExtensionType.early_data, data: h('00004000') }],
    },
    context: TLS13,
  },
  {
    name: 'EncryptedExtensions',
    message: {
      type: HandshakeType.encrypted_extensions,
      extensions: [{ type: ExtensionType.server_name, data: new Uint8Array(0) }, { type: ExtensionType.application_layer_protocol_negotiation, data: h('0003026832') }],
    },
    context: TLS13,
  },
  { name: 'EncryptedExtensions (empty)', message: { type: HandshakeType.encrypted_extensions, extensions: [] }, context: TLS13 },
  { name: 'KeyUpdate (update_not_requested)', message: { type: HandshakeType.key_update, requestUpdate: 0 }, context: TLS13 },
  { name: 'KeyUpdate (update_requested)', message: { type: HandshakeType.key_update, requestUpdate: 1 }, context: TLS13 },
];

describe('handshake messages: round trip, every strict prefix and a trailing byte rejected', () => {
  for (const c of cases) {
    it(c.name, () => {
      const encoded = encodeHandshake(c.message, c.context.version);
      // The header: type and the u24 length of the body.
      assert.equal(encoded[0], c.message.type);
      assert.equal((encoded[1]! << 16) | (encoded[2]! << 8) | encoded[3]!, encoded.length - 4);
      const body = encoded.subarray(4);

      const decoded = decodeHandshake(c.message.type, body, c.context);
      assert.deepEqual(decoded, c.message);
      assert.equal(hex(encodeHandshake(decoded, c.context.version)), hex(encoded), 'decode → encode gives the same bytes');
      assert.deepEqual(decodeHandshakeMessage(encoded, c.context), c.message);

      // The whole message: its length says where it ends, so no strict prefix is a message.
      for (let i = 0; i < encoded.length; i++) {
        throwsKind(() => decodeHandshakeMessage(encoded.subarray(0, i), c.context), 'decode_error');
      }
      throwsKind(() => decodeHandshakeMessage(Uint8Array.of(...encoded, 0), c.context), 'decode_error', /trailing bytes in Handshake/);

      // The body alone: every field is bounded.
      for (let i = 0; i < body.length; i++) {
        const prefix = body.subarray(0, i);
        if (c.prefixOk?.(prefix, c.message)) {
          const m = decodeHandshake(c.message.type, prefix, c.context);
          assert.equal(m.type, c.message.type);
          if ('extensions' in m && m.type !== HandshakeType.certificate_request) assert.deepEqual(m.extensions, []);
          continue;
        }
        throwsKind(() => decodeHandshake(c.message.type, prefix, c.context), 'decode_error');
      }
      if (!c.trailingOk) throwsKind(() => decodeHandshake(c.message.type, Uint8Array.of(...body, 0), c.context), 'decode_error');
    });
  }

  it('the decoded message does not alias the caller’s buffer', () => {
    const encoded = encodeHandshake({ type: HandshakeType.finished, verifyData: fill(12, 1) }, 0x0303);
    const m = decodeHandshake(HandshakeType.finished, encoded.subarray(4), TLS12);
    encoded.fill(0);
    assert.deepEqual(m, { type: HandshakeType.finished, verifyData: fill(12, 1) });
  });
});

describe('RFC 8448 Section 3 ClientHello and ServerHello', () => {
  it('decodes the ClientHello and re-encodes it byte for byte', () => {
    assert.equal(RFC8448_CLIENT_HELLO.length, 4 + 0xc0);
    const m = decodeHandshakeMessage(RFC8448_CLIENT_HELLO, TLS12);
    assert.equal(m.type, HandshakeType.client_hello);
    if (m.type !== HandshakeType.client_hello) return;
    assert.equal(m.legacyVersion, 0x0303);
    assert.equal(hex(m.random), 'cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7');
    assert.equal(m.legacySessionId.length, 0);
    assert.deepEqual(m.cipherSuites, [0x1301, 0x1303, 0x1302]);
    assert.deepEqual(m.legacyCompressionMethods, Uint8Array.of(0));
    assert.deepEqual(m.extensions.map((e) => e.type), [0, 0xff01, 10, 35, 51, 43, 13, 45, 28]);

    const ext = (t: number) => findExtension(m.extensions, t)!.data;
    assert.equal(decodeServerName(ext(ExtensionType.server_name)), 'server');
    assert.deepEqual(decodeSupportedGroups(ext(ExtensionType.supported_groups)), [0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104]);
    const shares = decodeKeyShareClient(ext(ExtensionType.key_share));
    assert.equal(shares.length, 1);
    assert.equal(shares[0]!.group, 0x001d);
    assert.equal(hex(shares[0]!.keyExchange), '99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c');
    assert.deepEqual(decodeSupportedVersionsClient(ext(ExtensionType.supported_versions)), [0x0304]);
    assert.deepEqual(decodeSignatureAlgorithms(ext(ExtensionType.signature_algorithms)).slice(0, 3), [0x0403, 0x0503, 0x0603]);

    assert.equal(hex(encodeHandshake(m, 0x0303)), hex(RFC8448_CLIENT_HELLO));
  });

  it('decodes the ServerHello and re-encodes it byte for byte', () => {
    const m = decodeHandshakeMessage(RFC8448_SERVER_HELLO, TLS12) as ServerHello;
    assert.equal(m.type, HandshakeType.server_hello);
    assert.equal(m.cipherSuite, 0x1301);
    assert.equal(isHelloRetryRequest(m), false);
    assert.equal(decodeSupportedVersionsServer(findExtension(m.extensions, ExtensionType.supported_versions)!.data), 0x0304);
    const share = decodeKeyShareServer(findExtension(m.extensions, ExtensionType.key_share)!.data);
    assert.equal(share.group, 0x001d);
    assert.equal(hex(share.keyExchange), 'c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f');
    assert.equal(hex(encodeHandshake(m, 0x0304)), hex(RFC8448_SERVER_HELLO));
  });

  it('describes the ClientHello for the trace', () => {
    const m = decodeHandshakeMessage(RFC8448_CLIENT_HELLO, TLS12);
    assert.equal(handshakeMessageName(m), 'ClientHello');
    const f = describeHandshake(m);
    assert.equal(f['legacyVersion'], 'TLSv1.2 (0x0303)');
    assert.deepEqual(f['cipherSuites'], ['TLS_AES_128_GCM_SHA256', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_256_GCM_SHA384']);
    const exts = f['extensions'] as readonly Record<string, unknown>[];
    assert.deepEqual(exts[0], { type: 'server_name', hostName: 'server' });
    assert.deepEqual((exts[2]!['namedGroupList'] as string[]).slice(0, 2), ['x25519', 'secp256r1']);
    assert.deepEqual((exts[2]!['namedGroupList'] as string[]).slice(6), ['ffdhe4096', 'ffdhe6144', 'ffdhe8192']);
    assert.deepEqual(exts[5], { type: 'supported_versions', versions: ['TLSv1.3 (0x0304)'] });
    assert.deepEqual(exts[8], { type: 'record_size_limit', data: Uint8Array.of(0x40, 0x01) });
  });
});

describe('describeHandshake', () => {
  it('gives fields for every message, unknown values as unknown(0x....)', () => {
    for (const c of cases) {
      const f = describeHandshake(c.message);
      assert.equal(typeof f, 'object', c.name);
    }
    const hrr = cases.find((c) => c.name === 'HelloRetryRequest')!.message;
    assert.equal(handshakeMessageName(hrr), 'HelloRetryRequest');
    assert.deepEqual(describeHandshake(hrr)['extensions'], [
      { type: 'supported_versions', selectedVersion: 'TLSv1.3 (0x0304)' },
      { type: 'key_share', selectedGroup: 'secp256r1' },
    ]);
    const ch = describeHandshake(clientHello12);
    assert.deepEqual(ch['cipherSuites'], ['unknown(0x0a0a)', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_RSA_WITH_AES_128_GCM_SHA256', 'unknown(0x00ff)']);
    assert.deepEqual((ch['extensions'] as unknown[])[2], { type: 'unknown(0xfafa)', data: Uint8Array.of(1, 2, 3) });
    // A malformed extension is shown as its bytes rather than failing the trace.
    const bad = describeHandshake({ ...clientHello12, extensions: [{ type: ExtensionType.server_name, data: Uint8Array.of(1) }] });
    assert.deepEqual(bad['extensions'], [{ type: 'server_name', data: Uint8Array.of(1) }]);
    assert.deepEqual(describeHandshake({ type: HandshakeType.key_update, requestUpdate: 1 }), { requestUpdate: 'update_requested' });
  });
});

describe('handshake messages: rejections', () => {
  const helloHead = '0303' + '00'.repeat(32); // legacy_version, random
  const table: { name: string; type: number; body: Uint8Array; context?: DecodeContext; kind: string; message?: RegExp }[] = [
    {
      name: 'duplicate extension in ClientHello',
      type: HandshakeType.client_hello,
      body: h(helloHead + '00 0002 1301 0100 0008 0017 0000 0017 0000'),
      kind: 'decode_error',
      message: /^duplicate extension extended_master_secret in ClientHello$/,
    },
    {
      name: 'duplicate extension in ServerHello',
      type: HandshakeType.server_hello,
      body: h(helloHead + '00 c02f 00 0008 ff01 0000 ff01 0000'),
      kind: 'decode_error',
      message: /duplicate extension renegotiation_info in ServerHello/,
    },
    {
      name: 'duplicate extension in EncryptedExtensions',
      type: HandshakeType.encrypted_extensions,
      body: h('000c 0010 0002 0000 0010 0002 0000'),
      context: TLS13,
      kind: 'decode_error',
      message: /duplicate extension application_layer_protocol_negotiation in EncryptedExtensions/,
    },
    { name: 'odd-length cipher suite list', type: HandshakeType.client_hello, body: h(helloHead + '00 0003 130113 0100'), kind: 'decode_error', message: /cipher_suites has an odd length/ },
    { name: 'empty cipher suite list', type: HandshakeType.client_hello, body: h(helloHead + '00 0000 0100'), kind: 'decode_error', message: /cipher_suites/ },
    { name: 'session id of 33 bytes in ClientHello', type: HandshakeType.client_hello, body: h(helloHead + '21' + '00'.repeat(33) + '0002 1301 0100'), kind: 'decode_error', message: /legacy_session_id has a length of 33/ },
    { name: 'session id of 33 bytes in ServerHello', type: HandshakeType.server_hello, body: h(helloHead + '21' + '00'.repeat(33) + '1301 00'), kind: 'decode_error', message: /legacy_session_id_echo has a length of 33/ },
    { name: 'empty compression method list', type: HandshakeType.client_hello, body: h(helloHead + '00 0002 1301 00'), kind: 'decode_error', message: /legacy_compression_methods/ },
    { name: 'ServerHello cut in its cipher_suite', type: HandshakeType.server_hello, body: h(helloHead + '00 13'), kind: 'decode_error', message: /^missing data in ServerHello\.cipher_suite$/ },
    { name: 'ClientHello with an extension longer than its block', type: HandshakeType.client_hello, body: h(helloHead + '00 0002 1301 0100 0004 0017 0001'), kind: 'decode_error', message: /missing data in ClientHello\.extensions\.extension_data/ },
    { name: 'KeyUpdate request_update of 2', type: HandshakeType.key_update, body: h('02'), context: TLS13, kind: 'illegal_parameter', message: /request_update is 2/ },
    { name: 'KeyUpdate request_update of 255', type: HandshakeType.key_update, body: h('ff'), context: TLS13, kind: 'illegal_parameter' },
    { name: 'unknown handshake type 3 (hello_verify_request)', type: 3, body: new Uint8Array(0), kind: 'unexpected_message', message: /unknown\(0x03\)/ },
    { name: 'message_hash is not a wire message', type: HandshakeType.message_hash, body: new Uint8Array(32), kind: 'unexpected_message' },
    { name: 'unknown handshake type 99', type: 99, body: h('00'), kind: 'unexpected_message' },
    {
      name: 'ServerKeyExchange with an explicit curve',
      type: HandshakeType.server_key_exchange,
      body: h('01 0017 01 04 0804 0000'),
      context: { version: 0x0303, kx: 'ecdhe' },
      kind: 'illegal_parameter',
      message: /curve_type is 1, not named_curve/,
    },
    { name: 'ServerKeyExchange with an empty point', type: HandshakeType.server_key_exchange, body: h('03 0017 00 0804 0000'), context: { version: 0x0303, kx: 'ecdhe' }, kind: 'decode_error' },
    { name: 'ServerKeyExchange with an empty dh_p', type: HandshakeType.server_key_exchange, body: h('0000 0001 02 0001 05 0401 0000'), context: { version: 0x0303, kx: 'dhe' }, kind: 'decode_error' },
    { name: 'ServerKeyExchange for RSA key exchange', type: HandshakeType.server_key_exchange, body: h('03 0017 01 04 0804 0000'), context: { version: 0x0303, kx: 'rsa' }, kind: 'unexpected_message' },
    { name: 'ServerKeyExchange with no key exchange chosen', type: HandshakeType.server_key_exchange, body: h('03 0017 01 04 0804 0000'), kind: 'unexpected_message' },
    { name: 'ClientKeyExchange with no key exchange chosen', type: HandshakeType.client_key_exchange, body: h('0001 00'), kind: 'unexpected_message' },
    { name: 'ClientKeyExchange (ECDHE) with an empty point', type: HandshakeType.client_key_exchange, body: h('00'), context: { version: 0x0303, kx: 'ecdhe' }, kind: 'decode_error' },
    { name: 'ClientKeyExchange (DHE) with an empty dh_Yc', type: HandshakeType.client_key_exchange, body: h('0000'), context: { version: 0x0303, kx: 'dhe' }, kind: 'decode_error' },
    { name: 'Certificate (TLS 1.2) with an empty certificate', type: HandshakeType.certificate, body: h('000003 000000'), kind: 'decode_error', message: /ASN\.1Cert/ },
    { name: 'Certificate (TLS 1.3) with an empty cert_data', type: HandshakeType.certificate, body: h('00 000005 000000 0000'), context: TLS13, kind: 'decode_error', message: /cert_data/ },
    { name: 'CertificateRequest (TLS 1.2) without certificate types', type: HandshakeType.certificate_request, body: h('00 0002 0403 0000'), kind: 'decode_error' },
    { name: 'CertificateRequest (TLS 1.2) without signature algorithms', type: HandshakeType.certificate_request, body: h('01 01 0000 0000'), kind: 'decode_error' },
    { name: 'CertificateRequest (TLS 1.2) with an empty DistinguishedName', type: HandshakeType.certificate_request, body: h('01 01 0002 0403 0002 0000'), kind: 'decode_error' },
    { name: 'CertificateRequest (TLS 1.3) without extensions', type: HandshakeType.certificate_request, body: h('00 0000'), context: TLS13, kind: 'decode_error' },
    { name: 'NewSessionTicket (TLS 1.3) with an empty ticket', type: HandshakeType.new_session_ticket, body: h('00000001 00000002 00 0000 0000'), context: TLS13, kind: 'decode_error', message: /ticket/ },
    { name: 'ServerHelloDone with a body', type: HandshakeType.server_hello_done, body: h('00'), kind: 'decode_error', message: /trailing bytes in ServerHelloDone/ },
    { name: 'HelloRequest with a body', type: HandshakeType.hello_request, body: h('00'), kind: 'decode_error' },
  ];
  for (const t of table) it(t.name, () => throwsKind(() => decodeHandshake(t.type, t.body, t.context ?? TLS12), t.kind, t.message));

  it('refuses to encode what the wire cannot carry', () => {
    throwsKind(() => encodeHandshake({ ...clientHello12, random: new Uint8Array(31) }, 0x0303), 'internal_error', /random is 31 bytes/);
    const ske = cases.find((c) => c.name === 'ServerKeyExchange (ECDHE)')!.message;
    throwsKind(() => encodeHandshake({ ...ske, params: new Uint8Array(3) } as HandshakeMessage, 0x0303), 'internal_error', /params does not match/);
    throwsKind(
      () => encodeHandshake({ type: HandshakeType.certificate, certificateRequestContext: Uint8Array.of(1), certificateList: [] }, 0x0303),
      'internal_error',
    );
    // A session id of 256 bytes overflows its u8 length prefix.
    assert.throws(() => encodeHandshake({ ...clientHello12, legacySessionId: new Uint8Array(256) }, 0x0303), RangeError);
  });
});
