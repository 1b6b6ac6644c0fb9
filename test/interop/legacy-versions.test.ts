// TLS 1.0 against the real openssl binary on 127.0.0.1 (OpenSSL only speaks it at @SECLEVEL=0):
//   - a client that does not allow TLS 1.0 (our default, minVersion TLSv1.2) against
//     `openssl s_server -tls1 -cipher 'AES128-SHA:@SECLEVEL=0'` fails with a protocol_version error that
//     names its code: with supported_versions (maxVersion 1.3) OpenSSL finds no common version and sends
//     the alert; with maxVersion 1.2 (legacy_version only) OpenSSL answers TLS 1.0 and our client refuses it;
//   - with minVersion TLSv1 the same server is reached and data moves both ways byte for byte, and
//     OpenSSL's own -trace shows our records split 1/n-1;
//   - `openssl s_client -tls1` against our server with minVersion TLSv1: data echoed byte for byte, and
//     the records s_client receives from us are split 1/n-1 too.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { makeTestPki, type TestPki } from '../certs/make.js';
import { suiteByName, type CipherSuite } from '../../src/suites.js';
import {
  describeDifference, randomBlob, readTextFile, runOpensslClient, startOpensslServer, stopAllPeers, tail, tracedRecords, waitForExit, writeTempFile,
} from './peers.js';
import { connectRejected, connectSecure, readAtLeast, startEchoServer, until } from './typetls-peers.js';

let pki: TestPki;
let ca: Buffer;
let rsa: { cert: Buffer; key: Buffer };
before(async () => {
  pki = await makeTestPki();
  ca = readFileSync(pki.caCert);
  rsa = { cert: readFileSync(pki.rsaCert), key: readFileSync(pki.rsaKey) };
});
after(stopAllPeers);

const CIPHER = 'AES128-SHA:@SECLEVEL=0';
const AES128_SHA = suiteByName('AES128-SHA')!;
const ours = { host: '127.0.0.1', servername: 'localhost' } as const;
const sServer = (...extra: string[]) => ['-cert', pki.rsaCert, '-key', pki.rsaKey, '-tls1', '-cipher', CIPHER, ...extra];
const MAX_FRAGMENT = 16384;

/** The length of a TLS 1.0 CBC record body for `n` plaintext bytes (implicit IV; RFC 7366 sizes with EtM). */
function tls10RecordLength(suite: CipherSuite, n: number, etm: boolean): number {
  const mac = suite.cipher.kind === 'cbc' ? suite.cipher.macLength : 0;
  const padded = (x: number) => Math.ceil((x + 1) / 16) * 16;
  return etm ? padded(n) + mac : padded(n + mac);
}

/** How a write of `size` bytes leaves under 1/n-1 splitting: 1 + the rest of each 16 KiB fragment. */
function splitPieces(size: number): number[] {
  const out: number[] = [];
  for (let at = 0; at < size; at += MAX_FRAGMENT) {
    const chunk = Math.min(MAX_FRAGMENT, size - at);
    out.push(1);
    if (chunk > 1) out.push(chunk - 1);
  }
  return out;
}

/** The ApplicationData record lengths openssl -trace shows in one direction, and whether it negotiated encrypt_then_mac. */
function applicationRecords(trace: string, direction: 'sent' | 'received'): { lengths: number[]; etm: boolean } {
  const lengths = tracedRecords(trace)
    .filter((r) => r.direction === direction && /Content Type = ApplicationData \(23\)/.test(r.text))
    .map((r) => Number(/Length = (\d+)/.exec(r.text)![1]));
  const serverHello = trace.split(/ServerHello, Length=\d+\n/)[1]?.split(/\n(?:Sent|Received) Record\n/)[0] ?? '';
  return { lengths, etm: /extension_type=encrypt_then_mac\(22\)/.test(serverHello) };
}

describe('typetls client -> openssl s_server -tls1 -cipher AES128-SHA:@SECLEVEL=0', () => {
  it('the default client (minVersion TLSv1.2, offering 1.3 and 1.2): ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION from OpenSSL', { timeout: 20_000 }, async () => {
    const s = await startOpensslServer(sServer());
    try {
      const { error, handshakeDone } = await connectRejected({ ...ours, port: s.port, ca });
      assert.equal(handshakeDone, false);
      assert.equal((error as { code?: string }).code, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', String(error));
      assert.match(error.message, /tlsv1 alert protocol version:SSL alert number 70/);
      await until(() => /unsupported protocol/.test(s.stderr()), 's_server to log the refusal');
      console.log(`  default client: ${(error as { code?: string }).code}: ${error.message}`);
    } finally {
      await s.stop();
    }
  });

  it('a client with maxVersion TLSv1.2 (legacy_version only): OpenSSL answers TLS 1.0, our client refuses it with ERR_SSL_UNSUPPORTED_PROTOCOL, as node', { timeout: 20_000 }, async () => {
    const s = await startOpensslServer(sServer());
    try {
      const { error, handshakeDone } = await connectRejected({ ...ours, port: s.port, ca, maxVersion: 'TLSv1.2' });
      assert.equal(handshakeDone, false);
      assert.equal((error as { code?: string }).code, 'ERR_SSL_UNSUPPORTED_PROTOCOL', String(error));
      assert.match(error.message, /server chose TLSv1\b.*TLSv1\.2/);
      // Our alert record says TLS 1.2, the version we offered (as OpenSSL's and node's clients): OpenSSL,
      // having chosen TLS 1.0, reports a wrong version number, as node's own tests expect of the server.
      await until(() => /wrong version number/.test(s.stderr()), 's_server to report the wrong version number');
      console.log(`  maxVersion 1.2 client: ${(error as { code?: string }).code}: ${error.message}`);
    } finally {
      await s.stop();
    }
  });

  it('with minVersion TLSv1: TLSv1 TLS_RSA_WITH_AES_128_CBC_SHA, 100 bytes then 50 000 bytes each way byte for byte, records split 1/n-1 in openssl\'s trace', { timeout: 30_000 }, async () => {
    const msgfile = writeTempFile('tls10-s_server.trace', '');
    const s = await startOpensslServer(sServer('-quiet', '-naccept', '1', '-trace', '-msgfile', msgfile));
    try {
      const socket = await connectSecure({ ...ours, port: s.port, ca, minVersion: 'TLSv1' });
      assert.equal(socket.getProtocol(), 'TLSv1');
      assert.equal(socket.getCipher().standardName, 'TLS_RSA_WITH_AES_128_CBC_SHA');
      const small = randomBlob(100);
      const big = randomBlob(50_000);
      socket.write(small);
      await s.waitForStdout(small.length);
      socket.write(big);
      await s.waitForStdout(small.length + big.length);
      const upstream = s.stdout();
      assert.equal(describeDifference(upstream, Buffer.concat([small, big])), undefined);
      const down = randomBlob(50_000);
      const reading = readAtLeast(socket, down.length);
      s.send(down);
      const got = await reading;
      assert.equal(describeDifference(got, down), undefined);
      socket.end();
      await waitForExit(s.child);
      const { lengths, etm } = applicationRecords(readTextFile(msgfile), 'received');
      const want = [...splitPieces(100), ...splitPieces(50_000)].map((n) => tls10RecordLength(AES128_SHA, n, etm));
      assert.deepEqual(lengths, want, `encrypt_then_mac=${etm}`);
      console.log(`  records s_server received (encrypt_then_mac=${etm}): ${lengths.join(', ')}`);
    } finally {
      await s.stop();
    }
  });
});

describe('openssl s_client -tls1 -cipher AES128-SHA:@SECLEVEL=0 -> typetls server with minVersion TLSv1', () => {
  it('40 000 bytes echoed byte for byte; the records s_client receives from us are split 1/n-1', { timeout: 30_000 }, async () => {
    // Hex text: s_client -quiet copies stdout as is, and no line can be mistaken for an s_client command.
    const payload = Buffer.from(randomBlob(20_000).toString('hex'));
    const server = await startEchoServer({ ...rsa, minVersion: 'TLSv1' }, { endAfter: payload.length });
    const msgfile = writeTempFile('tls10-s_client.trace', '');
    try {
      const r = await runOpensslClient(
        ['-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost', '-CAfile', pki.caCert, '-verify_return_error',
          '-tls1', '-cipher', CIPHER, '-quiet', '-trace', '-msgfile', msgfile],
        { stdinData: payload, timeoutMs: 15_000 },
      );
      assert.equal(r.code, 0, tail(r.stderr));
      assert.equal(describeDifference(r.stdout, payload), undefined, tail(r.stderr));
      assert.equal(server.sessions[0]?.protocol, 'TLSv1');
      assert.equal(server.sessions[0]?.standardName, 'TLS_RSA_WITH_AES_128_CBC_SHA');
      // Our echo writes each chunk it read as it came: every write of more than one byte splits.
      const { lengths, etm } = applicationRecords(readTextFile(msgfile), 'received');
      assert.ok(lengths.length >= 2);
      const one = tls10RecordLength(AES128_SHA, 1, etm);
      const rests = lengths.filter((n) => n !== one).length;
      assert.ok(rests >= 3, `40 000 bytes take at least three records besides the 1-byte ones: ${lengths.join(', ')}`);
      lengths.forEach((n, i) => {
        if (n !== one) assert.equal(lengths[i - 1], one, `record ${i} (${n} bytes) does not follow a 1-byte record: ${lengths.join(', ')}`);
      });
      console.log(`  records s_client received (encrypt_then_mac=${etm}): ${lengths.join(', ')}`);
    } finally {
      await server.close();
    }
  });
});
