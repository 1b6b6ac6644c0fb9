// The limits of ClientConfig/ServerConfig: what a peer may make us hold.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { clientConfig, defaultLimits, serverConfig } from '../src/config.js';
import { ClientConnection, ServerConnection } from '../src/connection.js';
import { nodeCryptoProvider } from '../src/crypto/node.js';
import { suiteByName } from '../src/suites.js';
import { ContentType, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme } from '../src/wire/enums.js';
import { decodeHandshakeMessage, encodeHandshake, type ClientHello, type Extension } from '../src/wire/messages.js';
import { handshakeMessagesOf } from './flight.js';
import { concatBytes, makeRecord } from './fuzz/mutator.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

describe('limits', () => {
  it('a certificate chain longer than maxChainLength is bad_certificate', () => {
    const long = { chain: [...k.rsa.chain, ...Array(3).fill(k.roots[0]!)], key: k.rsa.key };
    const client = clientConfig({ provider: nodeCryptoProvider, roots: k.roots, limits: { maxChainLength: 3 } });
    const server = serverConfig({ provider: nodeCryptoProvider, certificates: [long] });
    const pair = new Pair(new ClientConnection(client, { serverName: 'localhost' }), new ServerConnection(server));
    pair.run();
    assert.equal(pair.client.error?.kind, 'bad_certificate');
    assert.equal(pair.server.error?.code, 'ERR_TLS_ALERT_BAD_CERTIFICATE');
  });

  it('a Certificate message over maxCertificateMessage is decode_error', () => {
    const client = clientConfig({ provider: nodeCryptoProvider, roots: k.roots, limits: { maxCertificateMessage: 500 } });
    const server = serverConfig({ provider: nodeCryptoProvider, certificates: [k.rsa] });
    const pair = new Pair(new ClientConnection(client, { serverName: 'localhost' }), new ServerConnection(server));
    pair.run();
    assert.equal(pair.client.error?.kind, 'decode_error');
    assert.match(pair.client.error!.message, /over the limit/);
  });

  it('a ClientHello over maxHandshakeMessage is decode_error', () => {
    const client = clientConfig({ provider: nodeCryptoProvider, roots: k.roots });
    const server = serverConfig({ provider: nodeCryptoProvider, certificates: [k.rsa], limits: { maxHandshakeMessage: 256 } });
    const pair = new Pair(new ClientConnection(client, { serverName: 'localhost' }), new ServerConnection(server));
    pair.run();
    assert.equal(pair.server.error?.kind, 'decode_error');
    assert.equal(pair.client.error?.code, 'ERR_TLS_ALERT_DECODE_ERROR');
  });
});

// The protocol's maxima, as tlsfuzzer's test-client-hello-max-size, test-large-number-of-extensions
// and test-extensions send them: each must parse and be answered (RFC 8446 Section 4.1.2, RFC 5246
// Section 7.4.1.2), and a header claiming more than a message's structure allows is decode_error
// before any of its body is buffered.
describe('limits at the protocol maxima: the largest legal ClientHellos are answered', () => {
  const TLS12 = ProtocolVersion['TLSv1.2'];
  const TLS13 = ProtocolVersion['TLSv1.3'];
  const RSA_AES128_CBC = suiteByName('AES128-SHA')!.id;

  /** Our client's ClientHello for `version`, decoded. */
  function clientHello(version: number): ClientHello {
    // One X25519 share (not the 1,216-byte hybrid one), to leave the extension block room.
    const client = new ClientConnection(makeClientConfig(k, { maxVersion: version, groups: [NamedGroup.x25519, NamedGroup.secp256r1] }), { serverName: 'localhost' });
    const [message] = handshakeMessagesOf(client.takeOutput());
    return decodeHandshakeMessage(message!.raw, { version }) as ClientHello;
  }

  /** A handshake message in 2^14-byte plaintext records. */
  function inRecords(message: Uint8Array): Uint8Array {
    const records: Uint8Array[] = [];
    for (let at = 0; at < message.length; at += 16384) records.push(makeRecord(ContentType.handshake, 0x0301, message.subarray(at, at + 16384)));
    return concatBytes(records);
  }

  /** Feeds `hello` to a fresh server; returns the types of the handshake messages it answered with. */
  function answer(hello: ClientHello, version: number): { bodyLength: number; answered: number[]; server: ServerConnection } {
    const encoded = encodeHandshake(hello, version);
    const server = new ServerConnection(makeServerConfig(k, { maxVersion: version, cipherSuites: [...makeServerConfig(k).cipherSuites] }));
    server.receive(inRecords(encoded));
    server.process();
    const answered = handshakeMessagesOf(server.takeOutput()).map((m) => m.type);
    return { bodyLength: encoded.length - 4, answered, server };
  }

  /** Extension types nobody assigned (RFC 8446 Section 4.2: a server ignores the ones it does not know). */
  function unknownExtensions(count: number, dataLength = 0, first = 0x7000): Extension[] {
    return Array.from({ length: count }, (_, i) => ({ type: first + i, data: new Uint8Array(dataLength).fill(0x41) }));
  }

  const extensionBytes = (list: readonly Extension[]): number => list.reduce((n, e) => n + 4 + e.data.length, 0);

  it('the largest ClientHello (131,396 bytes: 32,767 suites, 255 compression methods, 65,535 bytes of extensions) gets a ServerHello', () => {
    const hello = clientHello(TLS12);
    // Unassigned suite values, then one we take, to 32,767 suites (a 65,534-byte list).
    const suites = [...Array.from({ length: 32766 }, (_, i) => 0x0100 + i), RSA_AES128_CBC];
    const compression = Uint8Array.from({ length: 255 }, (_, i) => i);
    const room = 0xffff - extensionBytes(hello.extensions);
    const padding = { type: 0x7000, data: new Uint8Array(room - 4) };
    const max: ClientHello = {
      ...hello, legacySessionId: new Uint8Array(32), cipherSuites: suites, legacyCompressionMethods: compression,
      extensions: [...hello.extensions, padding],
    };
    const { bodyLength, answered, server } = answer(max, TLS12);
    assert.equal(bodyLength, 131396);
    assert.equal(server.error, undefined, `${server.error?.code}: ${server.error?.message}`);
    assert.deepEqual(answered.slice(0, 1), [HandshakeType.server_hello]);
  });

  for (const version of [TLS12, TLS13]) {
    const v = version === TLS13 ? 'TLS 1.3' : 'TLS 1.2';
    it(`${v}: a ClientHello with as many extensions as fit (16,383 in all when empty) gets a ServerHello`, () => {
      const hello = clientHello(version);
      const count = Math.floor((0xffff - extensionBytes(hello.extensions)) / 4);
      const many: ClientHello = { ...hello, extensions: [...unknownExtensions(count), ...hello.extensions] };
      const { answered, server } = answer(many, version);
      assert.ok(many.extensions.length > 16_300, `${many.extensions.length} extensions`);
      assert.equal(server.error, undefined, `${server.error?.code}: ${server.error?.message}`);
      assert.equal(answered[0], HandshakeType.server_hello);
    });

    it(`${v}: a signature_algorithms list as long as fits (32,715 schemes beside TLS 1.2's other extensions) gets a ServerHello`, () => {
      const hello = clientHello(version);
      const others = hello.extensions.filter((e) => e.type !== ExtensionType.signature_algorithms);
      const count = Math.min(32767, Math.floor((0xffff - extensionBytes(others) - 4 - 2) / 2));
      if (version === TLS12) assert.ok(count >= 32715, `${count} schemes`);
      // Unknown schemes first (0x0900.., no algorithm), ours at the end.
      const schemes = [...Array.from({ length: count - 1 }, (_, i) => 0x0900 + i), SignatureScheme.rsa_pss_rsae_sha256];
      const data = new Uint8Array(2 + schemes.length * 2);
      new DataView(data.buffer).setUint16(0, schemes.length * 2);
      schemes.forEach((s, i) => new DataView(data.buffer).setUint16(2 + 2 * i, s));
      const big: ClientHello = { ...hello, extensions: [{ type: ExtensionType.signature_algorithms, data }, ...others] };
      assert.ok(extensionBytes(big.extensions) <= 0xffff);
      const { answered, server } = answer(big, version);
      assert.equal(server.error, undefined, `${server.error?.code}: ${server.error?.message}`);
      assert.equal(answered[0], HandshakeType.server_hello);
    });

    it(`${v}: one extension as large as the block allows beside the others gets a ServerHello`, () => {
      const hello = clientHello(version);
      const room = 0xffff - extensionBytes(hello.extensions) - 4;
      const big: ClientHello = { ...hello, extensions: [...unknownExtensions(1, room), ...hello.extensions] };
      assert.ok(room > 65_000, `${room} bytes`);
      const { answered, server } = answer(big, version);
      assert.equal(server.error, undefined, `${server.error?.code}: ${server.error?.message}`);
      assert.equal(answered[0], HandshakeType.server_hello);
    });
  }

  it('a ClientHello header claiming one byte more than its structure allows is decode_error, from the header alone', () => {
    const server = new ServerConnection(makeServerConfig(k));
    server.receive(makeRecord(ContentType.handshake, 0x0301, Uint8Array.of(HandshakeType.client_hello, 0x02, 0x01, 0x45)));
    server.process();
    assert.equal(server.error?.kind, 'decode_error');
    assert.match(server.error!.message, /131397 bytes, over the limit of 131396/);
  });

  it('a Finished header over 64 bytes, or a ServerHelloDone with a body, is decode_error before the body arrives', () => {
    for (const [type, length] of [[HandshakeType.finished, 65], [HandshakeType.server_hello_done, 1], [HandshakeType.key_update, 2]] as const) {
      const pair = Pair.create(makeClientConfig(k, { maxVersion: TLS12 }), makeServerConfig(k, { maxVersion: TLS12 }));
      pair.server.receive(pair.client.takeOutput());
      pair.server.process();
      pair.server.receive(makeRecord(ContentType.handshake, 0x0303, Uint8Array.of(type, 0, 0, length)));
      pair.server.process();
      assert.equal(pair.server.error?.kind, 'decode_error', `type ${type}: ${pair.server.error?.message}`);
      assert.match(pair.server.error!.message, new RegExp(`type ${type} is ${length} bytes, over the limit`));
    }
  });

  it('maxHandshakeMessage still caps every type below its structure when lowered', () => {
    const server = new ServerConnection(makeServerConfig(k, { limits: { ...defaultLimits, maxHandshakeMessage: 1000 } }));
    server.receive(makeRecord(ContentType.handshake, 0x0301, Uint8Array.of(HandshakeType.client_hello, 0x00, 0x03, 0xe9)));
    server.process();
    assert.equal(server.error?.kind, 'decode_error');
    assert.match(server.error!.message, /1001 bytes, over the limit of 1000/);
  });
});
