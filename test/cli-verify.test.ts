// typetls verify, run as a user runs it (node dist/src/cli/main.js verify ...), on certificates made
// here by the openssl binary (test/certs/make.ts plus a small intermediate PKI below). A few cases
// are run through `openssl verify` too, to show where the two agree and why they differ where they do.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { topCommand, verifyCommand, formatHelp } from '../src/cli/args.js';
import { makeTestPki, type TestPki } from './certs/make.js';

const main = join(dirname(fileURLToPath(import.meta.url)), '../src/cli/main.js');
const temp = mkdtempSync(join(tmpdir(), 'typetls-verify-'));
const children = new Set<ChildProcess>();

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
  rmSync(temp, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], timeoutMs = 15_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: temp });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      if (child.pid) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} timed out`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

const verify = (...args: string[]) => run(process.execPath, [main, 'verify', ...args]);
const openssl = (...args: string[]) => run('openssl', args);

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

/** The validity days and key of a certificate as node:crypto reads them, for the expected chain line. */
function expectedLine(depth: number, file: string, subject: string, issuer: string, key: string): string {
  const x = new X509Certificate(readFileSync(file));
  const day = (s: string) => new Date(s).toISOString().slice(0, 10);
  return `${depth} ${subject}  issued by ${issuer}  valid ${day(x.validFrom)}..${day(x.validTo)}  ${key}`;
}

let pki: TestPki;
/** Files of the intermediate PKI made below. */
const f = (name: string) => join(temp, name);

const caExt = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n';
const leafExt = (dns: string) =>
  `subjectAltName=DNS:${dns}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`;

/**
 * test CA → CN=Intermediate CA → CN=inter.test (the good three-certificate chain), and
 * unknown CA → CN=Unknown Intermediate → CN=stranger.test (a chain to a root nobody trusts).
 * EC P-256 keys: fast to make.
 */
async function makeIntermediatePki(p: TestPki): Promise<void> {
  const exec = promisify(execFile);
  const ossl = (...args: string[]) => exec('openssl', args, { cwd: temp });
  writeFileSync(f('ca.ext'), caExt);
  writeFileSync(f('inter-leaf.ext'), leafExt('inter.test'));
  writeFileSync(f('stranger.ext'), leafExt('stranger.test'));
  const names = ['inter', 'inter-leaf', 'uinter', 'stranger'];
  await Promise.all(names.map((n) => ossl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${n}.key`)));
  let serial = 0x7000;
  const issue = async (name: string, cn: string, caCert: string, caKey: string, ext: string) => {
    await ossl('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`);
    await ossl(
      'x509', '-req', '-in', `${name}.csr`, '-CA', caCert, '-CAkey', caKey, '-set_serial', String(serial++),
      '-days', '20', '-sha256', '-extfile', ext, '-out', `${name}.pem`,
    );
  };
  await Promise.all([
    issue('inter', 'Intermediate CA', p.caCert, p.caKey, 'ca.ext'),
    issue('uinter', 'Unknown Intermediate', p.unknownCaCert, p.unknownCaKey, 'ca.ext'),
  ]);
  await Promise.all([
    issue('inter-leaf', 'inter.test', 'inter.pem', 'inter.key', 'inter-leaf.ext'),
    issue('stranger', 'stranger.test', 'uinter.pem', 'uinter.key', 'stranger.ext'),
  ]);
  // A server's usual file: the leaf, then its intermediate.
  writeFileSync(f('bundle.pem'), readFileSync(f('inter-leaf.pem'), 'utf8') + readFileSync(f('inter.pem'), 'utf8'));
}

describe('typetls verify', { skip: !hasOpenssl && 'needs the openssl binary', concurrency: true }, () => {
  before(async () => {
    pki = await makeTestPki();
    await makeIntermediatePki(pki);
  });

  const root = 'CN=typetls Test CA';
  const rootLine = () => expectedLine(1, pki.caCert, root, root, 'rsa 2048');

  it('a good chain: OK, then the chain leaf to root with names, validity and keys', async () => {
    const r = await verify('--ca', pki.caCert, pki.rsaCert);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, ['OK', expectedLine(0, pki.rsaCert, 'CN=localhost', root, 'rsa 2048'), rootLine(), ''].join('\n'));
  });

  it('an ECDSA leaf shows its curve', async () => {
    const r = await verify('--ca', pki.caCert, '--host', 'localhost', pki.ecdsaCert);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, ['OK', expectedLine(0, pki.ecdsaCert, 'CN=localhost', root, 'ec P-256'), rootLine(), ''].join('\n'));
  });

  it('--host with a name the certificate does not have: ERR_TLS_CERT_ALTNAME_INVALID', async () => {
    const r = await verify('--ca', pki.caCert, '--host', 'example.com', pki.rsaCert);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      "error: ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames: " +
        "Host: example.com. is not in the cert's altnames: DNS:localhost, IP Address:127.0.0.1\n",
    );
  });

  it('--host 127.0.0.1 is checked as an IP address: OK with the IP SAN, refused without one', async () => {
    const good = await verify('--ca', pki.caCert, '--host', '127.0.0.1', pki.rsaCert);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /^OK\n0 CN=localhost /);
    // The DNS-only leaf has DNS:localhost; an IP target never matches a DNS name.
    const bad = await verify('--ca', pki.caCert, '--host', '127.0.0.1', pki.dnsOnlyCert);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, "error: ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: \n");
    // ...and the same leaf passes by name.
    assert.equal((await verify('--ca', pki.caCert, '--host', 'localhost', pki.dnsOnlyCert)).code, 0);
  });

  it('an expired leaf: CERT_HAS_EXPIRED', async () => {
    const r = await verify('--ca', pki.caCert, pki.expiredCert);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'error: CERT_HAS_EXPIRED: certificate has expired\n');
  });

  it('a leaf not valid yet: CERT_NOT_YET_VALID', async () => {
    const r = await verify('--ca', pki.caCert, pki.notYetValidCert);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'error: CERT_NOT_YET_VALID: certificate is not yet valid\n');
  });

  it('--at moves the time of validation: before notBefore, after notAfter, and inside', async () => {
    const x = new X509Certificate(readFileSync(pki.rsaCert));
    const from = new Date(x.validFrom).getTime();
    const to = new Date(x.validTo).getTime();
    const iso = (t: number) => new Date(t).toISOString();
    const early = await verify('--ca', pki.caCert, '--at', iso(from - 60_000), pki.rsaCert);
    assert.equal(early.code, 1);
    assert.equal(early.stderr, 'error: CERT_NOT_YET_VALID: certificate is not yet valid\n');
    const late = await verify('--ca', pki.caCert, '--at', iso(to + 60_000), pki.rsaCert);
    assert.equal(late.code, 1);
    assert.equal(late.stderr, 'error: CERT_HAS_EXPIRED: certificate has expired\n');
    // The last second of the leaf's validity is still inside it (the CA outlives the leaf).
    const inside = await verify('--ca', pki.caCert, '--at', iso(to), pki.rsaCert);
    assert.equal(inside.code, 0, inside.stderr);
  });

  it('an unknown CA: what node:tls reports for the same certificates', async () => {
    // A lone leaf whose issuer is nowhere: node:tls reports UNABLE_TO_VERIFY_LEAF_SIGNATURE.
    const lone = await verify('--ca', pki.caCert, pki.unknownCert);
    assert.equal(lone.code, 1);
    assert.equal(lone.stderr, 'error: UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate\n');
    // A path that reaches an intermediate whose issuer is not trusted: UNABLE_TO_GET_ISSUER_CERT_LOCALLY.
    const deeper = await verify('--ca', pki.caCert, '--untrusted', f('uinter.pem'), f('stranger.pem'));
    assert.equal(deeper.code, 1);
    assert.equal(deeper.stderr, 'error: UNABLE_TO_GET_ISSUER_CERT_LOCALLY: unable to get local issuer certificate\n');
    // The untrusted root itself among the intermediates: SELF_SIGNED_CERT_IN_CHAIN.
    const self = await verify('--ca', pki.caCert, '--untrusted', pki.unknownCaCert, pki.unknownCert);
    assert.equal(self.code, 1);
    assert.equal(self.stderr, 'error: SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain\n');
  });

  it('intermediates from --untrusted or after the leaf in its file; --max-depth bounds them', async () => {
    const inter = expectedLine(1, f('inter.pem'), 'CN=Intermediate CA', root, 'ec P-256');
    const expected = [
      'OK',
      expectedLine(0, f('inter-leaf.pem'), 'CN=inter.test', 'CN=Intermediate CA', 'ec P-256'),
      inter,
      expectedLine(2, pki.caCert, root, root, 'rsa 2048'),
      '',
    ].join('\n');
    const untrusted = await verify('--ca', pki.caCert, '--untrusted', f('inter.pem'), '--host', 'inter.test', f('inter-leaf.pem'));
    assert.equal(untrusted.code, 0, untrusted.stderr);
    assert.equal(untrusted.stdout, expected);
    const bundled = await verify('--ca', pki.caCert, '--host', 'inter.test', f('bundle.pem'));
    assert.equal(bundled.code, 0, bundled.stderr);
    assert.equal(bundled.stdout, expected);
    // Irrelevant intermediates do not get in the way.
    const extra = await verify('--ca', pki.caCert, '--untrusted', f('uinter.pem'), '--untrusted', pki.unknownCaCert, f('bundle.pem'));
    assert.equal(extra.stdout, expected);
    const missing = await verify('--ca', pki.caCert, f('inter-leaf.pem'));
    assert.equal(missing.stderr, 'error: UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate\n');
    const tooDeep = await verify('--ca', pki.caCert, '--max-depth', '0', f('bundle.pem'));
    assert.equal(tooDeep.code, 1);
    assert.equal(tooDeep.stderr, 'error: CERT_CHAIN_TOO_LONG: certificate chain too long\n');
    assert.equal((await verify('--ca', pki.caCert, '--max-depth', '1', f('bundle.pem'))).code, 0);
  });

  it('--purpose: a server certificate is not a client certificate, and the other way round', async () => {
    const serverAsClient = await verify('--ca', pki.caCert, '--purpose', 'client', pki.rsaCert);
    assert.equal(serverAsClient.code, 1);
    assert.equal(serverAsClient.stderr, 'error: INVALID_PURPOSE: unsupported certificate purpose\n');
    const clientAsServer = await verify('--ca', pki.caCert, pki.clientCert);
    assert.equal(clientAsServer.stderr, 'error: INVALID_PURPOSE: unsupported certificate purpose\n');
    const client = await verify('--ca', pki.caCert, '--purpose', 'client', pki.clientCert);
    assert.equal(client.code, 0, client.stderr);
    assert.match(client.stdout, /^OK\n0 CN=Test Client  issued by CN=typetls Test CA /);
  });

  it('without --ca the system roots are used: a test leaf is refused, a system root verifies', async () => {
    const r = await verify(pki.rsaCert);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'error: UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate\n');
    // A trusted root is its own path; take one node:crypto calls valid today.
    const now = Date.now();
    const pem = rootCertificates.find((c) => {
      const x = new X509Certificate(c);
      return new Date(x.validFrom).getTime() < now && now < new Date(x.validTo).getTime() && x.subject.includes('CN=');
    });
    assert.ok(pem, 'a valid system root');
    writeFileSync(f('system-root.pem'), pem);
    const self = await verify('--purpose', 'server', f('system-root.pem'));
    assert.equal(self.code, 0, self.stderr);
    assert.equal(self.stdout.split('\n').length, 3, self.stdout); // OK, one certificate, ''
    assert.match(self.stdout, /^OK\n0 .+  issued by .+  valid \d{4}-\d\d-\d\d\.\.\d{4}-\d\d-\d\d  \w/);
  });

  it('--json: an object with the chain, or with the code and message', async () => {
    const good = await verify('--ca', pki.caCert, '--host', 'localhost', '--json', pki.ecdsaCert);
    assert.equal(good.code, 0, good.stderr);
    const leaf = new X509Certificate(readFileSync(pki.ecdsaCert));
    const ca = new X509Certificate(readFileSync(pki.caCert));
    const out = JSON.parse(good.stdout) as { ok: boolean; chain: Array<Record<string, unknown>>; stats: Record<string, number> };
    assert.deepEqual(Object.keys(out), ['ok', 'chain', 'stats']);
    // What path building spent, against its fixed budgets: one signature check for a leaf under its root.
    assert.deepEqual(out.stats, {
      signatureChecks: 1,
      signatureBudget: 100,
      candidates: 1,
      candidateBudget: 2000,
      nameConstraintComparisons: 0,
      nameConstraintBudget: 250000,
    });
    assert.equal(out.ok, true);
    assert.equal(out.chain.length, 2);
    assert.deepEqual(out.chain[0], {
      depth: 0,
      subject: 'CN=localhost',
      issuer: root,
      serialNumber: leaf.serialNumber.toLowerCase(),
      notBefore: new Date(leaf.validFrom).toISOString(),
      notAfter: new Date(leaf.validTo).toISOString(),
      key: { type: 'ec', curve: 'P-256' },
      subjectAltName: 'DNS:localhost, IP Address:127.0.0.1',
      ca: false,
      fingerprint256: leaf.fingerprint256,
    });
    assert.deepEqual(out.chain[1]!['key'], { type: 'rsa', bits: 2048 });
    assert.equal(out.chain[1]!['ca'], true);
    assert.equal(out.chain[1]!['fingerprint256'], ca.fingerprint256);
    assert.equal(out.chain[1]!['subjectAltName'], undefined);

    const bad = await verify('--ca', pki.caCert, '--json', pki.expiredCert);
    assert.equal(bad.code, 1);
    const failed = JSON.parse(bad.stdout) as Record<string, unknown>;
    assert.deepEqual({ ...failed, stats: undefined }, { ok: false, code: 'CERT_HAS_EXPIRED', message: 'certificate has expired', stats: undefined });
    assert.equal((failed['stats'] as Record<string, number>)['signatureChecks'], 1);
    assert.equal(bad.stderr, 'error: CERT_HAS_EXPIRED: certificate has expired\n');
  });

  it('typetls verify --help lists every option in 80 columns; typetls --help names verify', async () => {
    const r = await verify('--help');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, formatHelp(verifyCommand));
    for (const o of ['ca', 'untrusted', 'host', 'purpose', 'at', 'max-depth', 'json', 'help']) {
      assert.ok(verifyCommand.options.some((x) => x.name === o), `--${o} declared`);
      assert.match(r.stdout, new RegExp(`^  (-h, )?--${o}\\b`, 'm'), `--${o} in the help`);
    }
    for (const line of r.stdout.split('\n')) assert.ok(line.length <= 80, `wider than 80 columns: ${line}`);
    const top = await run(process.execPath, [main, '--help']);
    assert.equal(top.stdout, formatHelp(topCommand));
    assert.match(top.stdout, /^ {2}verify +validate a certificate chain/m);
  });

  it('unreadable files and bad arguments: exit 2 with a message naming them', async () => {
    const missing = await verify('--ca', pki.caCert, f('missing.pem'));
    assert.equal(missing.code, 2);
    assert.equal(missing.stdout, '');
    assert.equal(missing.stderr, `error: ENOENT: cannot read certificate ${f('missing.pem')}: no such file or directory\n`);
    const missingCa = await verify('--ca', f('nope.pem'), pki.rsaCert);
    assert.equal(missingCa.code, 2);
    assert.equal(missingCa.stderr, `error: ENOENT: cannot read --ca ${f('nope.pem')}: no such file or directory\n`);
    const keyAsCa = await verify('--ca', pki.rsaKey, pki.rsaCert);
    assert.equal(keyAsCa.code, 2);
    assert.equal(keyAsCa.stderr, `error: ERR_TLS_CERT_PARSE: --ca ${pki.rsaKey}: no CERTIFICATE block in the PEM file\n`);
    writeFileSync(f('garbage.der'), Buffer.from('3003020101ff', 'hex'));
    const garbage = await verify('--ca', pki.caCert, f('garbage.der'));
    assert.equal(garbage.code, 2);
    assert.match(garbage.stderr, new RegExp(`^error: ERR_TLS_CERT_PARSE: certificate ${f('garbage.der')}: not a valid certificate: .+\n$`));

    const usage: Array<[string[], RegExp]> = [
      [['--ca', pki.caCert], /^typetls verify: missing cert\.pem\n/],
      [['--at', 'yesterday', pki.rsaCert], /^typetls verify: --at must be an ISO 8601 date or time .*\(got 'yesterday'\)\n/],
      [['--at', '2026-13-45', pki.rsaCert], /^typetls verify: --at must be an ISO 8601 date/],
      [['--max-depth', '-1', pki.rsaCert], /^typetls verify: --max-depth must be a number from 0 to 999 \(got '-1'\)\n/],
      [['--max-depth', 'two', pki.rsaCert], /^typetls verify: --max-depth must be a number from 0 to 999 \(got 'two'\)\n/],
      [['--purpose', 'email', pki.rsaCert], /^typetls verify: --purpose must be one of server, client \(got 'email'\)\n/],
    ];
    await Promise.all(
      usage.map(async ([args, message]) => {
        const r = await verify(...args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, message, args.join(' '));
        assert.match(r.stderr, /Run "typetls verify --help" for every option\.\n$/);
      }),
    );
  });

  it('agrees with openssl verify on the same files (and where it differs, node:tls is the reference)', async () => {
    // A good chain and name: both OK.
    const ours = await verify('--ca', pki.caCert, '--host', 'localhost', pki.rsaCert);
    const theirs = await openssl('verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', pki.caCert, '-verify_hostname', 'localhost', pki.rsaCert);
    assert.equal(ours.code, 0, ours.stderr);
    assert.equal(theirs.code, 0, theirs.stderr);
    assert.equal(theirs.stdout, `${pki.rsaCert}: OK\n`);

    // Expired: the same failure, word for word (OpenSSL's error 10 string is node's message).
    const oursExpired = await verify('--ca', pki.caCert, '--host', 'localhost', pki.expiredCert);
    const theirsExpired = await openssl('verify', '-CAfile', pki.caCert, '-verify_hostname', 'localhost', pki.expiredCert);
    assert.equal(oursExpired.code, 1);
    assert.notEqual(theirsExpired.code, 0);
    const opensslReason = /error (\d+) at 0 depth lookup: (.+)\n/.exec(theirsExpired.stdout + theirsExpired.stderr);
    assert.ok(opensslReason, theirsExpired.stderr);
    assert.equal(opensslReason[1], '10'); // X509_V_ERR_CERT_HAS_EXPIRED
    assert.equal(oursExpired.stderr, `error: CERT_HAS_EXPIRED: ${opensslReason[2]}\n`);

    // A wrong name: both refuse. OpenSSL says error 62 "hostname mismatch"; node:tls (and typetls)
    // check the name after the chain, as tls.checkServerIdentity, and name it ERR_TLS_CERT_ALTNAME_INVALID.
    const oursName = await verify('--ca', pki.caCert, '--host', 'wrong.example', pki.rsaCert);
    const theirsName = await openssl('verify', '-CAfile', pki.caCert, '-verify_hostname', 'wrong.example', pki.rsaCert);
    assert.equal(oursName.code, 1);
    assert.match(oursName.stderr, /^error: ERR_TLS_CERT_ALTNAME_INVALID: /);
    assert.notEqual(theirsName.code, 0);
    assert.match(theirsName.stdout + theirsName.stderr, /error 62 at 0 depth lookup: hostname mismatch/);

    // An intermediate whose root is not trusted: error 20, the same words.
    const theirsStranger = await openssl('verify', '-CAfile', pki.caCert, '-untrusted', f('uinter.pem'), f('stranger.pem'));
    assert.match(theirsStranger.stdout + theirsStranger.stderr, /error 20 at 1 depth lookup: unable to get local issuer certificate/);

    // The one known difference: for a lone leaf with an unknown issuer `openssl verify` stops at its
    // first error, 20 (unable to get local issuer certificate). node:tls lets OpenSSL go on, and
    // its last error, the one node reports, is 21 (UNABLE_TO_VERIFY_LEAF_SIGNATURE): typetls
    // follows node:tls, as the test above asserts.
    const theirsLone = await openssl('verify', '-CAfile', pki.caCert, pki.unknownCert);
    assert.match(theirsLone.stdout + theirsLone.stderr, /error 20 at 0 depth lookup: unable to get local issuer certificate/);
  });
});
