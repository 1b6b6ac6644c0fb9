// Revocation with real peers: a CRL that `openssl ca -gencrl` makes, and a stapled OCSP response that
// `openssl ocsp` signs and `openssl s_server -status_file` staples.
// - Our client (node API `crl`) refuses a revoked server certificate with CERT_REVOKED and accepts the good one.
// - Our client (requireOCSP) refuses a server whose stapled response says revoked, accepts good, and
//   wants a response when none is stapled (TLS 1.2 and 1.3).
// - Our server (`crl`, requestCert) refuses a revoked client certificate from openssl s_client.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTestPki, type TestPki } from '../certs/make.js';
import { runOpensslClient, startOpensslServer, stopAllPeers } from './peers.js';
import { connectRejected, connectSecure, startEchoServer } from './typetls-peers.js';
import { checkOcspResponse, verifyCertificateChain } from '../../src/index.js';

let pki: TestPki;
let crl: Buffer;
let revokedClient: { cert: string; key: string };
const ocsp: { good?: string; revoked?: string } = {};

const serialOf = (cert: string) => execFileSync('openssl', ['x509', '-in', cert, '-noout', '-serial']).toString().trim().split('=')[1]!;

before(async () => {
  pki = await makeTestPki();
  const d = (name: string) => join(pki.dir, `rev-${name}`);
  // A client certificate to revoke, issued by the test CA.
  writeFileSync(d('client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', d('client.key'), '-out', d('client.csr'), '-subj', '/CN=Revoked Client'], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-in', d('client.csr'), '-CA', pki.caCert, '-CAkey', pki.caKey, '-CAcreateserial', '-days', '30', '-extfile', d('client.ext'), '-out', d('client.pem')], { stdio: 'ignore' });
  revokedClient = { cert: d('client.pem'), key: d('client.key') };
  // The CA's database: the ECDSA server certificate and that client revoked, the RSA server certificate valid.
  const yesterday = '261205000000Z';
  writeFileSync(
    d('index.txt'),
    [
      `V\t301231235959Z\t\t${serialOf(pki.rsaCert)}\tunknown\t/CN=localhost`,
      `R\t301231235959Z\t${yesterday},keyCompromise\t${serialOf(pki.ecdsaCert)}\tunknown\t/CN=localhost`,
      `R\t301231235959Z\t${yesterday}\t${serialOf(revokedClient.cert)}\tunknown\t/CN=Revoked Client`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    d('ca.cnf'),
    `[ca]\ndefault_ca = d\n[d]\ndatabase = ${d('index.txt')}\ncrlnumber = ${d('crlnumber')}\ndefault_md = sha256\ndefault_crl_days = 7\n`,
  );
  writeFileSync(d('crlnumber'), '1000\n');
  execFileSync('openssl', ['ca', '-gencrl', '-config', d('ca.cnf'), '-cert', pki.caCert, '-keyfile', pki.caKey, '-out', d('crl.pem')], { stdio: 'ignore' });
  crl = readFileSync(d('crl.pem'));
  for (const [name, cert] of [['good', pki.rsaCert], ['revoked', pki.ecdsaCert]] as const) {
    const request = d(`${name}-req.der`);
    const response = d(`${name}-resp.der`);
    execFileSync('openssl', ['ocsp', '-issuer', pki.caCert, '-cert', cert, '-reqout', request, '-no_nonce'], { stdio: 'ignore' });
    execFileSync('openssl', ['ocsp', '-index', d('index.txt'), '-rsigner', pki.caCert, '-rkey', pki.caKey, '-CA', pki.caCert, '-reqin', request, '-respout', response, '-ndays', '1'], { stdio: 'ignore' });
    ocsp[name] = response;
  }
});
after(stopAllPeers);

describe('CRL: openssl verify -crl_check and verifyCertificateChain agree', () => {
  it('the revoked server certificate is CERT_REVOKED, the good one valid; DER works as PEM', async () => {
    const crlFile = join(pki.dir, 'rev-crl.pem');
    const openssl = (cert: string) => {
      try {
        return execFileSync('openssl', ['verify', '-crl_check', '-CAfile', pki.caCert, '-CRLfile', crlFile, cert], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
      } catch (e) {
        return `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}`.trim();
      }
    };
    assert.match(openssl(pki.ecdsaCert), /certificate revoked/);
    assert.match(openssl(pki.rsaCert), /: OK$/);
    const roots = readFileSync(pki.caCert, 'utf8');
    const revoked = await verifyCertificateChain({ leaf: readFileSync(pki.ecdsaCert, 'utf8'), roots, crl: crl.toString(), hostname: 'localhost' });
    assert.equal(revoked.ok ? 'OK' : revoked.code, 'CERT_REVOKED');
    assert.match(revoked.ok ? '' : revoked.message, /keyCompromise/);
    const good = await verifyCertificateChain({ leaf: readFileSync(pki.rsaCert, 'utf8'), roots, crl: crl.toString(), hostname: 'localhost' });
    assert.equal(good.ok ? 'OK' : good.code, 'OK');
    const der = new Uint8Array(execFileSync('openssl', ['crl', '-in', crlFile, '-outform', 'DER']));
    const viaDer = await verifyCertificateChain({ leaf: readFileSync(pki.ecdsaCert, 'utf8'), roots, crl: der });
    assert.equal(viaDer.ok ? 'OK' : viaDer.code, 'CERT_REVOKED');
    // A CRL from another issuer does not cover the certificate: no CRL for it.
    const none = await verifyCertificateChain({ leaf: readFileSync(pki.rsaCert, 'utf8'), roots, crl: [] });
    assert.equal(none.ok ? 'OK' : none.code, 'UNABLE_TO_GET_CRL');
  });
});

describe('CRL with real peers', () => {
  for (const flag of ['-tls1_2', '-tls1_3']) {
    it(`${flag}: our client refuses the revoked server certificate (crl option) and accepts the good one`, { timeout: 30_000 }, async () => {
      const revoked = await startOpensslServer(['-cert', pki.ecdsaCert, '-key', pki.ecdsaKey, flag, '-quiet']);
      const good = await startOpensslServer(['-cert', pki.rsaCert, '-key', pki.rsaKey, flag, '-quiet']);
      try {
        const common = { host: '127.0.0.1', servername: 'localhost', ca: readFileSync(pki.caCert), crl };
        const { error } = await connectRejected({ ...common, port: revoked.port });
        assert.equal((error as Error & { code?: string }).code, 'CERT_REVOKED', error.message);
        const socket = await connectSecure({ ...common, port: good.port });
        assert.equal(socket.authorized, true);
        socket.destroy();
      } finally {
        await revoked.stop();
        await good.stop();
      }
    });
  }

  it('our server refuses a revoked client certificate (crl option) and accepts a good one', { timeout: 30_000 }, async () => {
    const server = await startEchoServer(
      { cert: readFileSync(pki.rsaCert), key: readFileSync(pki.rsaKey), ca: readFileSync(pki.caCert), requestCert: true, rejectUnauthorized: true, crl },
      { endAfter: 5 },
    );
    try {
      const base = ['-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost', '-CAfile', pki.caCert, '-ign_eof'];
      const bad = await runOpensslClient([...base, '-cert', revokedClient.cert, '-key', revokedClient.key], { stdinData: 'ping\n', timeoutMs: 10_000 });
      assert.doesNotMatch(bad.stdout.toString('latin1'), /ping/);
      assert.equal((server.clientErrors[0] as Error & { code?: string } | undefined)?.code, 'CERT_REVOKED');
      const ok = await runOpensslClient([...base, '-cert', pki.clientCert, '-key', pki.clientKey], { stdinData: 'ping\n', timeoutMs: 10_000 });
      assert.match(ok.stdout.toString('latin1'), /ping/);
    } finally {
      await server.close();
    }
  });
});

describe('checkOcspResponse on responses made by openssl ocsp', () => {
  it('good, revoked, another certificate, expired, another signer', () => {
    const ca = readFileSync(pki.caCert, 'utf8');
    const good = readFileSync(ocsp.good!);
    const revoked = readFileSync(ocsp.revoked!);
    assert.equal(checkOcspResponse(good, readFileSync(pki.rsaCert, 'utf8'), ca), undefined);
    assert.equal(checkOcspResponse(revoked, readFileSync(pki.ecdsaCert, 'utf8'), ca)?.code, 'CERT_REVOKED');
    assert.match(checkOcspResponse(good, readFileSync(pki.ecdsaCert, 'utf8'), ca)?.message ?? '', /no matching certID/);
    const later = new Date(Date.now() + 3 * 86400_000);
    assert.match(checkOcspResponse(good, readFileSync(pki.rsaCert, 'utf8'), ca, { time: later })?.message ?? '', /expired/);
    // Checked against another issuer: the signer is neither that issuer nor delegated by it.
    assert.equal(checkOcspResponse(good, readFileSync(pki.rsaCert, 'utf8'), readFileSync(pki.unknownCaCert, 'utf8'))?.code, 'OCSP_VERIFY_FAILED');
    assert.equal(checkOcspResponse(new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x01]), readFileSync(pki.rsaCert, 'utf8'), ca)?.code, 'OCSP_VERIFY_FAILED');
  });
});

describe('stapled OCSP with openssl s_server -status_file', () => {
  for (const flag of ['-tls1_2', '-tls1_3']) {
    it(`${flag}: requireOCSP refuses a revoked response, accepts a good one, wants one when none is stapled`, { timeout: 30_000 }, async () => {
      const revoked = await startOpensslServer(['-cert', pki.ecdsaCert, '-key', pki.ecdsaKey, flag, '-status_file', ocsp.revoked!, '-quiet']);
      const good = await startOpensslServer(['-cert', pki.rsaCert, '-key', pki.rsaKey, flag, '-status_file', ocsp.good!, '-quiet']);
      const bare = await startOpensslServer(['-cert', pki.rsaCert, '-key', pki.rsaKey, flag, '-quiet']);
      try {
        const common = { host: '127.0.0.1', servername: 'localhost', ca: readFileSync(pki.caCert), requireOCSP: true };
        const r = await connectRejected({ ...common, port: revoked.port });
        assert.equal((r.error as Error & { code?: string }).code, 'CERT_REVOKED', r.error.message);
        const socket = await connectSecure({ ...common, port: good.port });
        assert.equal(socket.authorized, true);
        socket.destroy();
        const none = await connectRejected({ ...common, port: bare.port });
        assert.equal((none.error as Error & { code?: string }).code, 'OCSP_VERIFY_NEEDED', none.error.message);
        // Without requireOCSP the response is only handed over ('OCSPResponse'), as in node:tls.
        const unchecked = await connectSecure({ host: '127.0.0.1', servername: 'localhost', ca: readFileSync(pki.caCert), requestOCSP: true, port: revoked.port });
        assert.equal(unchecked.authorized, true);
        unchecked.destroy();
      } finally {
        await revoked.stop();
        await good.stop();
        await bare.stop();
      }
    });
  }
});
