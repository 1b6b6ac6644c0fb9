// X448, P-521 and the RFC 7919 groups against the real openssl binary, both directions: each cell pins
// one group on the openssl side (`-groups`), moves data both ways, and checks the group as openssl
// reports it (s_client -brief's "Server Temp Key", s_server's -trace of the ServerHello or
// ServerKeyExchange it sent) and as our socket reports it. Then ECDSA P-521 certificates: ours
// verified by s_client, s_server's verified by our client, signed with ecdsa_secp521r1_sha512.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { makeTestPki, type TestPki } from '../certs/make.js';
import { makeSignatureKeys, type SignatureKeyFiles } from '../certs/signature-keys.js';
import {
  describeDifference, exchange, randomBlob, readTextFile, runOpensslClient, startOpensslServer, stopAllPeers, tail, waitForExit,
  writeTempFile,
} from './peers.js';
import { connectSecure, startEchoServer, until, type ClientSocket } from './typetls-peers.js';

let pki: TestPki;
let sig: SignatureKeyFiles;
let caPem: Buffer;
let files = 0;

before(async () => {
  pki = await makeTestPki();
  sig = await makeSignatureKeys();
  caPem = readFileSync(pki.caCert);
});
after(stopAllPeers);

interface Cell {
  /** The name openssl takes in -groups and our ecdhCurve takes. */
  readonly group: string;
  readonly version: '1.2' | '1.3';
  /** What s_client -brief prints for the server's share. */
  readonly tempKey: string;
  /** How openssl -trace names the group in ServerHello's key_share or ServerKeyExchange. */
  readonly traced: RegExp;
  /** getEphemeralKeyInfo() on our side. */
  readonly keyInfo: { type: string; name?: string; size: number };
}

const cells: readonly Cell[] = [
  ...(['1.2', '1.3'] as const).flatMap((version) => [
    { group: 'X448', version, tempKey: 'Server Temp Key: X448, 448 bits', traced: /ecdh_x448 \(30\)/, keyInfo: { type: 'ECDH', name: 'X448', size: 448 } },
    {
      group: 'P-521', version, tempKey: 'Server Temp Key: ECDH, secp521r1, 521 bits', traced: /secp521r1 \(P-521\) \(25\)/,
      keyInfo: { type: 'ECDH', name: 'secp521r1', size: 521 },
    },
  ]),
  { group: 'ffdhe2048', version: '1.3', tempKey: 'Server Temp Key: DH, 2048 bits', traced: /ffdhe2048 \(256\)/, keyInfo: { type: 'DH', size: 2048 } },
  { group: 'ffdhe4096', version: '1.3', tempKey: 'Server Temp Key: DH, 4096 bits', traced: /ffdhe4096 \(258\)/, keyInfo: { type: 'DH', size: 4096 } },
];

const versionFlag = (v: '1.2' | '1.3'): string => (v === '1.3' ? '-tls1_3' : '-tls1_2');
const SIZE = 16 * 1024;

for (const cell of cells) {
  test(`openssl s_server -groups ${cell.group} <- typetls client: TLSv${cell.version}`, { timeout: 20_000 }, async () => {
    const trace = writeTempFile(`groups-trace-${files++}.txt`, '');
    const server = await startOpensslServer([
      '-cert', pki.rsaCert, '-key', pki.rsaKey, versionFlag(cell.version), '-groups', cell.group, '-brief', '-naccept', '1', '-trace', '-msgfile', trace,
    ]);
    let socket: ClientSocket | undefined;
    try {
      socket = await connectSecure({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: caPem, ecdhCurve: cell.group });
      assert.equal(socket.getProtocol(), `TLSv${cell.version}`);
      assert.deepEqual(socket.getEphemeralKeyInfo(), cell.keyInfo);
      const fromUs = randomBlob(SIZE);
      const fromServer = randomBlob(SIZE);
      server.send(fromServer);
      assert.equal(describeDifference(await exchange(socket, fromUs, SIZE), fromServer), undefined, 'what our client received');
      await server.waitForStdout(SIZE);
      assert.equal(describeDifference(server.stdout(), fromUs), undefined, 'what s_server received');
      await waitForExit(server.child);
      const sent = readTextFile(trace).split(/\nReceived Record\n/).filter((b) => /ServerHello|ServerKeyExchange/.test(b)).join('\n');
      assert.match(sent, cell.traced, 's_server sent a share of this group');
    } finally {
      socket?.destroy();
      await server.stop();
    }
  });

  test(`openssl s_client -groups ${cell.group} -> typetls server: TLSv${cell.version}`, { timeout: 20_000 }, async () => {
    const echo = await startEchoServer({ cert: readFileSync(pki.rsaCert), key: readFileSync(pki.rsaKey) }, { endAfter: SIZE });
    try {
      const blob = randomBlob(SIZE);
      const result = await runOpensslClient(
        [
          '-connect', `127.0.0.1:${echo.port}`, '-servername', 'localhost', '-CAfile', pki.caCert, '-verify_return_error',
          '-brief', '-ign_eof', '-nocommands', versionFlag(cell.version), '-groups', cell.group,
        ],
        { stdinFile: writeTempFile(`groups-stdin-${files++}.bin`, blob) },
      );
      assert.equal(result.code, 0, `s_client exit ${result.code}: ${tail(result.stderr)}`);
      assert.ok(result.stderr.includes(cell.tempKey), `want "${cell.tempKey}" in:\n${result.stderr}`);
      assert.match(result.stderr, new RegExp(`^Protocol version: TLSv${cell.version.replace('.', '\\.')}$`, 'm'));
      assert.equal(describeDifference(result.stdout, blob), undefined, 's_client got its data echoed');
      await until(() => echo.sessions.length === 1 && echo.sessions[0]!.closed, 'our server connection to close');
      assert.equal(echo.sessions[0]!.error, undefined);
    } finally {
      await echo.close();
    }
  });
}

for (const version of ['1.2', '1.3'] as const) {
  test(`openssl s_client -> typetls server with an ECDSA P-521 certificate: TLSv${version}, ecdsa_secp521r1_sha512`, { timeout: 20_000 }, async () => {
    const echo = await startEchoServer({ cert: readFileSync(sig.p521.cert), key: readFileSync(sig.p521.key) }, { endAfter: 5 });
    try {
      const result = await runOpensslClient(
        [
          '-connect', `127.0.0.1:${echo.port}`, '-servername', 'localhost', '-CAfile', pki.caCert, '-verify_return_error',
          '-brief', '-ign_eof', '-nocommands', versionFlag(version), '-sigalgs', 'ecdsa_secp521r1_sha512',
        ],
        { stdinFile: writeTempFile(`groups-stdin-${files++}.bin`, 'hello') },
      );
      assert.equal(result.code, 0, `s_client exit ${result.code}: ${tail(result.stderr)}`);
      assert.match(result.stderr, /^Signature type: ECDSA$/m, tail(result.stderr));
      assert.match(result.stderr, /^Hash used: SHA512$/m, tail(result.stderr));
      assert.match(result.stderr, /^Verification: OK$/m, tail(result.stderr));
      assert.equal(result.stdout.toString(), 'hello');
    } finally {
      await echo.close();
    }
  });

  test(`openssl s_server with an ECDSA P-521 certificate <- typetls client: TLSv${version}`, { timeout: 20_000 }, async () => {
    const trace = writeTempFile(`groups-trace-${files++}.txt`, '');
    const server = await startOpensslServer([
      '-cert', sig.p521.cert, '-key', sig.p521.key, versionFlag(version), '-brief', '-naccept', '1', '-trace', '-msgfile', trace,
    ]);
    let socket: ClientSocket | undefined;
    try {
      socket = await connectSecure({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: caPem });
      assert.equal(socket.authorized, true);
      const back = randomBlob(100);
      server.send(back);
      assert.equal(describeDifference(await exchange(socket, randomBlob(100), back.length), back), undefined);
      await server.waitForStdout(100);
      await waitForExit(server.child);
      // TLS 1.3 names the curve in the scheme (RFC 8446 Section 4.2.3); in TLS 1.2 the ECDSA schemes
      // name only the hash, and s_server takes the first the client offers.
      const signed = version === '1.3' ? /CertificateVerify, Length=\d+\n\s+Signature Algorithm: ecdsa_secp521r1_sha512 \(0x0603\)/
        : /ServerKeyExchange, Length=\d+\n[\s\S]*?Signature Algorithm: ecdsa_\w+ \(0x0[4-6]03\)/;
      assert.match(readTextFile(trace), signed);
    } finally {
      socket?.destroy();
      await server.stop();
    }
  });
}
