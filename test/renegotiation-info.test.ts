// RFC 5746 secure renegotiation signalling in an initial TLS 1.2 handshake, in memory, with hellos
// rewritten in flight:
//   - Section 3.6: a ClientHello with only TLS_EMPTY_RENEGOTIATION_INFO_SCSV (no extension) gets an empty
//     renegotiation_info in the ServerHello; one with neither gets none (a server answers only what was
//     offered); one with both gets exactly one;
//   - Section 3.6: a ClientHello whose renegotiation_info is not empty is refused with handshake_failure;
//   - Section 3.4: our client refuses a ServerHello whose renegotiation_info is not empty with
//     handshake_failure.
// Each refusal is checked as the error on the refusing side and as the fatal alert it wrote.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ClientConnection, ServerConnection } from '../src/connection.js';
import { AlertDescription, AlertLevel, ExtensionType, HandshakeType, ProtocolVersion } from '../src/wire/enums.js';
import { decodeRenegotiationInfo, encodeRenegotiationInfo, findExtension } from '../src/wire/extensions.js';
import { decodeHandshake, encodeHandshake, type ClientHello, type ServerHello } from '../src/wire/messages.js';
import { findRecords, makeRecord } from './fuzz/mutator.js';
import { ContentTypes, handshakeMessagesOf, rewriteHandshake } from './flight.js';
import { makeClientConfig, makeServerConfig, Pair, testKeys, type TestKeys } from './pair.js';

let k: TestKeys;
before(async () => {
  k = await testKeys();
});

const TLS12 = ProtocolVersion['TLSv1.2'];
const SCSV = 0x00ff;

/** Our client's ClientHello (TLS 1.2 pinned), decoded. */
function clientHello(): ClientHello {
  const client = new ClientConnection(makeClientConfig(k, { maxVersion: TLS12 }), { serverName: 'localhost' });
  const m = handshakeMessagesOf(client.takeOutput())[0]!;
  return decodeHandshake(m.type, m.body, { version: TLS12 }) as ClientHello;
}

/** Sends `hello` to a fresh TLS 1.2 server; returns the server and what it wrote. */
function toServer(hello: ClientHello): { server: ServerConnection; output: Uint8Array } {
  const server = new ServerConnection(makeServerConfig(k, { maxVersion: TLS12 }));
  server.receive(makeRecord(ContentTypes.handshake, ProtocolVersion.TLSv1, encodeHandshake(hello, TLS12)));
  server.process();
  return { server, output: server.takeOutput() };
}

function serverHelloOf(flight: Uint8Array): ServerHello {
  const m = handshakeMessagesOf(flight).find((x) => x.type === HandshakeType.server_hello);
  assert.ok(m, 'the server answered with a ServerHello');
  return decodeHandshake(m.type, m.body, { version: TLS12 }) as ServerHello;
}

/** The alerts (level, description) among the plaintext records of `bytes`. */
function alertsIn(bytes: Uint8Array): [number, number][] {
  return findRecords(bytes)
    .filter((r) => r.type === ContentTypes.alert && r.length === 2)
    .map((r) => [bytes[r.offset + 5]!, bytes[r.offset + 6]!]);
}

const withoutRenegotiationInfo = (hello: ClientHello): ClientHello => ({
  ...hello,
  extensions: hello.extensions.filter((e) => e.type !== ExtensionType.renegotiation_info),
});

describe('RFC 5746: the server answers the client\'s signal', () => {
  it('a ClientHello with only the SCSV (no renegotiation_info) gets an empty renegotiation_info', () => {
    const hello = withoutRenegotiationInfo(clientHello());
    assert.equal(findExtension(hello.extensions, ExtensionType.renegotiation_info), undefined);
    const { server, output } = toServer({ ...hello, cipherSuites: [...hello.cipherSuites, SCSV] });
    assert.equal(server.error, undefined);
    const ext = findExtension(serverHelloOf(output).extensions, ExtensionType.renegotiation_info);
    assert.ok(ext, 'ServerHello carries renegotiation_info');
    assert.deepEqual(ext.data, Uint8Array.of(0), 'renegotiated_connection is empty: the one length byte 0');
  });

  it('a ClientHello with the SCSV first in its list is read the same way', () => {
    const hello = withoutRenegotiationInfo(clientHello());
    const { output } = toServer({ ...hello, cipherSuites: [SCSV, ...hello.cipherSuites] });
    const ext = findExtension(serverHelloOf(output).extensions, ExtensionType.renegotiation_info);
    assert.deepEqual(ext?.data, Uint8Array.of(0));
  });

  it('a ClientHello with neither the SCSV nor the extension gets no renegotiation_info', () => {
    const hello = withoutRenegotiationInfo(clientHello());
    assert.ok(!hello.cipherSuites.includes(SCSV));
    const { server, output } = toServer(hello);
    assert.equal(server.error, undefined);
    assert.equal(findExtension(serverHelloOf(output).extensions, ExtensionType.renegotiation_info), undefined);
  });

  it('a ClientHello with both the SCSV and an empty extension gets exactly one empty renegotiation_info', () => {
    const hello = clientHello();
    const { output } = toServer({ ...hello, cipherSuites: [...hello.cipherSuites, SCSV] });
    const found = serverHelloOf(output).extensions.filter((e) => e.type === ExtensionType.renegotiation_info);
    assert.equal(found.length, 1);
    assert.deepEqual(found[0]!.data, Uint8Array.of(0));
  });

  it('a ClientHello whose initial renegotiation_info is not empty is refused with handshake_failure', () => {
    const hello = clientHello();
    const forged = {
      ...hello,
      extensions: hello.extensions.map((e) =>
        e.type === ExtensionType.renegotiation_info ? { type: e.type, data: encodeRenegotiationInfo(new Uint8Array(12).fill(0xab)) } : e,
      ),
    };
    const { server, output } = toServer(forged);
    assert.equal(server.error?.kind, 'handshake_failure');
    assert.equal(server.error?.code, 'ERR_TLS_HANDSHAKE_FAILURE');
    assert.match(server.error!.message, /renegotiation_info/);
    assert.equal(handshakeMessagesOf(output).length, 0, 'no ServerHello');
    assert.deepEqual(alertsIn(output), [[AlertLevel.fatal, AlertDescription.handshake_failure]]);
  });
});

describe('RFC 5746: our client checks the server\'s answer', () => {
  /** A TLS 1.2 pair whose first server flight has its ServerHello's renegotiation_info replaced. */
  function withServerRenegotiationInfo(data: Uint8Array | undefined): Pair {
    let done = false;
    const pair = Pair.create(makeClientConfig(k, { maxVersion: TLS12 }), makeServerConfig(k, { maxVersion: TLS12 }), 'localhost', (from, bytes) => {
      if (from !== 'server' || done) return bytes;
      done = true;
      return rewriteHandshake(bytes, (messages) =>
        messages.map((m) => {
          if (m.type !== HandshakeType.server_hello) return m.raw;
          const sh = decodeHandshake(m.type, m.body, { version: TLS12 }) as ServerHello;
          const others = sh.extensions.filter((e) => e.type !== ExtensionType.renegotiation_info);
          const extensions = data === undefined ? others : [{ type: ExtensionType.renegotiation_info, data }, ...others];
          return encodeHandshake({ ...sh, extensions }, TLS12);
        }),
      );
    });
    return pair;
  }

  it('a ServerHello with a non-empty renegotiation_info in the initial handshake: handshake_failure', () => {
    const forged = encodeRenegotiationInfo(new Uint8Array(24).fill(0xcd));
    assert.equal(decodeRenegotiationInfo(forged).length, 24);
    const pair = withServerRenegotiationInfo(forged);
    // Two flights: the ClientHello out, the forged server flight in; then what the client wrote back.
    pair.run(2);
    const sentByClient = pair.client.takeOutput();
    assert.equal(pair.client.error?.kind, 'handshake_failure');
    assert.equal(pair.client.error?.code, 'ERR_TLS_HANDSHAKE_FAILURE');
    assert.match(pair.client.error!.message, /renegotiation_info/);
    assert.deepEqual(alertsIn(sentByClient), [[AlertLevel.fatal, AlertDescription.handshake_failure]]);
    assert.equal(pair.client.handshakeComplete, false);
  });

  it('the rewriting itself is sound: the same ServerHello with the empty renegotiation_info re-encoded completes', () => {
    // The control for the case above: only the extension's content differs. (The transcript then still
    // matches, since the bytes are the same as the server's.)
    const pair = withServerRenegotiationInfo(encodeRenegotiationInfo(new Uint8Array(0)));
    pair.handshake();
    assert.equal(pair.client.info.protocol, 'TLSv1.2');
  });
});
