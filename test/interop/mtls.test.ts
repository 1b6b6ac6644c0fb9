// Client certificates (mutual TLS) against the real openssl binary, TLS 1.2 and 1.3, both directions.
//
// Our client presents the test client certificate to `s_server -Verify 1` (which demands one and verifies it
// against the test CA); `s_client -cert -key` presents it to our server with requestCert, ca and
// rejectUnauthorized. Each side's own report is checked: s_server's `Peer certificate:` line and its trace
// of our CertificateVerify, s_client's list of the CA names our CertificateRequest carried, our socket's
// authorized flag and the client certificate it shows. A client certificate from a CA the server does not
// trust, and no certificate at all, are refused with an alert the peer reports.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { makeTestPki, type TestPki } from '../certs/make.js';
import {
  errorCode,
  exchange,
  readTextFile,
  runOpensslClient,
  startOpensslServer,
  stopAllPeers,
  tail,
  waitForExit,
  writeTempFile,
} from './peers.js';
import { connectRejected, connectSecure, startEchoServer, until } from './typetls-peers.js';

const versions = ['TLSv1.2', 'TLSv1.3'] as const;
const flag = (v: (typeof versions)[number]): string => (v === 'TLSv1.3' ? '-tls1_3' : '-tls1_2');

let pki: TestPki;
let caPem: Buffer;
let fileCount = 0;

before(async () => {
  pki = await makeTestPki();
  caPem = readFileSync(pki.caCert);
});
after(stopAllPeers);

const tempPath = (name: string): string => writeTempFile(`mtls-${fileCount++}-${name}`, '');

/** s_server demanding a client certificate from the test CA. */
const startVerifyingServer = (version: (typeof versions)[number], trace: string) =>
  startOpensslServer([
    '-cert', pki.rsaCert, '-key', pki.rsaKey, flag(version),
    '-Verify', '1', '-CAfile', pki.caCert, '-verify_return_error',
    '-brief', '-naccept', '1', '-trace', '-msgfile', trace,
  ]);

for (const version of versions) {
  test(`openssl s_server -Verify 1 <- typetls client with a certificate: ${version}`, { timeout: 20_000 }, async () => {
    const trace = tempPath('trace.txt');
    const server = await startVerifyingServer(version, trace);
    try {
      const socket = await connectSecure({
        host: '127.0.0.1',
        port: server.port,
        servername: 'localhost',
        ca: caPem,
        cert: readFileSync(pki.clientCert),
        key: readFileSync(pki.clientKey),
      });
      assert.equal(socket.getProtocol(), version);
      server.send(Buffer.from('from s_server'));
      const got = await exchange(socket, Buffer.from('from typetls'), 13);
      assert.equal(got.toString(), 'from s_server');
      await until(() => server.stdout().includes('from typetls'), 's_server to print our data');
      await waitForExit(server.child);
      const report = server.stderr();
      assert.match(report, /^Peer certificate: CN = Test Client$/m, tail(report, 12));
      assert.match(report, new RegExp(`^Protocol version: ${version.replace('.', '\\.')}$`, 'm'), tail(report, 12));
      const t = readTextFile(trace);
      assert.match(t, /Received Record[\s\S]*Certificate, Length=[\s\S]*Subject: CN = Test Client/, 's_server received our certificate');
      // Our CertificateVerify: RSA-PSS in TLS 1.3 (RFC 8446 Section 4.4.3); TLS 1.2 may use PKCS#1 too.
      const algorithm = /CertificateVerify, Length=\d+\n\s+Signature Algorithm: (\S+)/.exec(t.split('Received Record').slice(1).join(''))?.[1];
      if (version === 'TLSv1.3') assert.match(algorithm ?? '', /^rsa_pss_rsae_sha(256|384|512)$/, `client CertificateVerify: ${algorithm}`);
      else assert.match(algorithm ?? '', /^rsa_(pss_rsae|pkcs1)_sha(256|384|512)$/, `client CertificateVerify: ${algorithm}`);
    } finally {
      await server.stop();
    }
  });

  test(`openssl s_server -Verify 1 <- typetls client without a certificate is refused: ${version}`, { timeout: 20_000 }, async () => {
    const trace = tempPath('trace.txt');
    const server = await startVerifyingServer(version, trace);
    try {
      const { error } = await connectRejected({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: caPem });
      // RFC 8446 Section 4.4.2.4: certificate_required in TLS 1.3; OpenSSL sends handshake_failure in TLS 1.2.
      const want = version === 'TLSv1.3' ? 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' : 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE';
      assert.equal(errorCode(error), want, `${errorCode(error)}: ${error.message}`);
      await until(() => /peer did not return a certificate/.test(server.stderr()), 's_server to report the missing certificate').catch(() => {});
      assert.match(server.stderr(), /peer did not return a certificate/, tail(server.stderr()));
    } finally {
      await server.stop();
    }
  });
}

/** Our server asking for a client certificate from the test CA and refusing a client without one. */
const startMtlsServer = (version: (typeof versions)[number]) =>
  startEchoServer(
    {
      cert: readFileSync(pki.rsaCert),
      key: readFileSync(pki.rsaKey),
      ca: caPem,
      requestCert: true,
      rejectUnauthorized: true,
      maxVersion: version,
    },
    { endAfter: 5 },
  );

const sClientArgs = (port: number, version: (typeof versions)[number]): string[] => [
  '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', pki.caCert, '-verify_return_error', '-ign_eof', flag(version),
];

for (const version of versions) {
  test(`openssl s_client -cert -key -> typetls server with requestCert: ${version}`, { timeout: 20_000 }, async () => {
    const echo = await startMtlsServer(version);
    try {
      const r = await runOpensslClient([...sClientArgs(echo.port, version), '-cert', pki.clientCert, '-key', pki.clientKey], {
        stdinData: 'hello',
        timeoutMs: 10_000,
      });
      const out = r.stdout.toString('latin1');
      assert.equal(r.code, 0, tail(out + r.stderr));
      if (version === 'TLSv1.2') {
        // RFC 5246 Section 7.4.4: certificate_authorities lists the DNs of the CAs the server accepts.
        assert.match(out, /^Acceptable client certificate CA names\nCN = typetls Test CA$/m, 'our CertificateRequest names the test CA');
      }
      assert.match(out, /^Requested Signature Algorithms: \S*RSA-PSS\+SHA256/m, 'our CertificateRequest lists RSA-PSS');
      assert.match(out, new RegExp(`^New, ${version.replace('.', '\\.')}, Cipher is`, 'm'));
      assert.match(out, /hello/, 'the echo came back');
      await until(() => echo.sessions.length === 1 && echo.sessions[0]!.closed, 'our server connection to end');
      const seen = echo.sessions[0]!;
      assert.equal(seen.authorized, true, `authorizationError: ${seen.authorizationError}`);
      assert.equal(seen.peerCn, 'Test Client');
      assert.equal(seen.protocol, version);
      assert.equal(seen.received.toString(), 'hello');
    } finally {
      await echo.close();
    }
  });

  test(`openssl s_client with a certificate from an unknown CA -> typetls server: ${version}, refused`, { timeout: 20_000 }, async () => {
    const echo = await startMtlsServer(version);
    try {
      const r = await runOpensslClient([...sClientArgs(echo.port, version), '-cert', pki.unknownCert, '-key', pki.unknownKey], {
        stdinData: 'hello',
        timeoutMs: 10_000,
      });
      const out = r.stdout.toString('latin1');
      assert.notEqual(r.code, 0, `s_client must fail:\n${tail(out + r.stderr)}`);
      // RFC 8446 Section 6.2 / RFC 5246 Section 7.2.2: a chain to no trusted anchor is unknown_ca (48).
      assert.match(r.stderr, /alert unknown ca|SSL alert number 48/, tail(r.stderr));
      assert.doesNotMatch(out, /hello/, 'no data reached the refused client');
      await until(() => echo.clientErrors.length >= 1, 'tlsClientError');
      assert.equal(echo.sessions.length, 0, 'no secure connection');
      assert.match(
        errorCode(echo.clientErrors[0]) ?? '',
        /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/,
        `${errorCode(echo.clientErrors[0])}: ${echo.clientErrors[0]!.message}`,
      );
    } finally {
      await echo.close();
    }
  });

  test(`openssl s_client without a certificate -> typetls server with requestCert: ${version}, refused`, { timeout: 20_000 }, async () => {
    const echo = await startMtlsServer(version);
    try {
      const r = await runOpensslClient(sClientArgs(echo.port, version), { stdinData: 'hello', timeoutMs: 10_000 });
      const out = r.stdout.toString('latin1');
      assert.notEqual(r.code, 0, `s_client must fail:\n${tail(out + r.stderr)}`);
      // RFC 8446 Section 4.4.2.4: certificate_required (116); RFC 5246 Section 7.4.6: handshake_failure (40).
      const alert = version === 'TLSv1.3' ? /alert certificate required|SSL alert number 116/ : /alert handshake failure|SSL alert number 40/;
      assert.match(r.stderr, alert, tail(r.stderr));
      assert.doesNotMatch(out, /hello/);
      await until(() => echo.clientErrors.length >= 1, 'tlsClientError');
      assert.equal(echo.sessions.length, 0);
    } finally {
      await echo.close();
    }
  });
}

// RFC 8446 Section 4.2.4: the certificate_authorities extension of a TLS 1.3 CertificateRequest names the CAs the
// server accepts, as the TLS 1.2 message does; OpenSSL and node:tls send it, and clients holding several
// certificates use it to choose one.
test(
  'openssl s_client -> typetls server with requestCert: TLSv1.3 CertificateRequest names the acceptable CAs (certificate_authorities)',
  { timeout: 20_000 },
  async () => {
    const echo = await startMtlsServer('TLSv1.3');
    try {
      const r = await runOpensslClient([...sClientArgs(echo.port, 'TLSv1.3'), '-cert', pki.clientCert, '-key', pki.clientKey], {
        stdinData: 'hello',
        timeoutMs: 10_000,
      });
      const out = r.stdout.toString('latin1');
      assert.equal(r.code, 0, tail(out + r.stderr));
      assert.match(out, /^Acceptable client certificate CA names\nCN = typetls Test CA$/m, tail(out.split('---').slice(0, 4).join('---'), 30));
    } finally {
      await echo.close();
    }
  },
);

test('typetls client with a certificate -> typetls server over 127.0.0.1: getPeerCertificate on the server shows the client (TLS 1.3)', { timeout: 20_000 }, async () => {
  const echo = await startMtlsServer('TLSv1.3');
  try {
    const socket = await connectSecure({
      host: '127.0.0.1',
      port: echo.port,
      servername: 'localhost',
      ca: caPem,
      cert: readFileSync(pki.clientCert),
      key: readFileSync(pki.clientKey),
    });
    assert.equal((await exchange(socket, Buffer.from('hello'), 5)).toString(), 'hello');
    await until(() => echo.sessions.length === 1, 'the connection');
    const seen = echo.sessions[0]!;
    assert.equal(seen.authorized, true);
    const peer = seen.socket.getPeerCertificate() as { subject?: { CN?: string }; issuer?: { CN?: string } };
    assert.equal(peer.subject?.CN, 'Test Client');
    assert.equal(peer.issuer?.CN, 'typetls Test CA');
  } finally {
    await echo.close();
  }
});
