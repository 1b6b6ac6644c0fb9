// A throwaway test PKI made with the openssl binary, for tests that talk to real peers.
//
// One fresh temp dir per process (cached), removed when the process exits. Keys are generated in
// parallel so the whole set takes about a second. Every path returned is a PEM file.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestPki {
  /** The temp dir holding every file below; removed at process exit. */
  readonly dir: string;
  /** The test CA (RSA-2048, CN=typetls Test CA): the trust anchor for every good certificate. */
  readonly caCert: string;
  readonly caKey: string;
  /** Server leaf, RSA-2048, CN=localhost, SAN DNS:localhost + IP:127.0.0.1, EKU serverAuth. */
  readonly rsaCert: string;
  readonly rsaKey: string;
  /** Server leaf, ECDSA P-256, same names and EKU as the RSA one. */
  readonly ecdsaCert: string;
  readonly ecdsaKey: string;
  /** Client leaf, RSA-2048, CN=Test Client, EKU clientAuth. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** Server leaf issued by the test CA, valid 2020-01-01 to 2020-02-01 only. */
  readonly expiredCert: string;
  readonly expiredKey: string;
  /** Server leaf issued by the test CA, valid 2099-01-01 to 2100-01-01 only. */
  readonly notYetValidCert: string;
  readonly notYetValidKey: string;
  /** A second CA that no test trusts (CN=Unknown Test CA). */
  readonly unknownCaCert: string;
  readonly unknownCaKey: string;
  /** Server leaf issued by the unknown CA, otherwise like the RSA leaf. */
  readonly unknownCert: string;
  readonly unknownKey: string;
  /** Server leaf issued by the test CA with SAN DNS:localhost only (no IP SAN). */
  readonly dnsOnlyCert: string;
  readonly dnsOnlyKey: string;
}

const serverExt = (san: string): string =>
  [
    `subjectAltName=${san}`,
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    '',
  ].join('\n');

const clientExt = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth', ''].join(
  '\n',
);

// `openssl x509 -req` cannot take explicit dates in OpenSSL 3.0; `openssl ca` can.
const caConfig = `[ca]
default_ca = d
[d]
database = db/index.txt
serial = db/serial
new_certs_dir = db
default_md = sha256
policy = p
unique_subject = no
[p]
commonName = supplied
[x]
subjectAltName = DNS:localhost,IP:127.0.0.1
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
`;

let cached: Promise<TestPki> | undefined;

/** Makes (once per process) the test PKI; see TestPki for what each file is. */
export function makeTestPki(): Promise<TestPki> {
  cached ??= generate();
  return cached;
}

/**
 * A temp dir removed when the process exits, a path in it, and `openssl` run there (a failure says
 * the command and openssl's stderr).
 */
function workDir(prefix: string): { dir: string; p: (name: string) => string; openssl: (...args: string[]) => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const openssl = async (...args: string[]): Promise<void> => {
    try {
      await run('openssl', args, { cwd: dir });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`openssl ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
    }
  };
  return { dir, p: (name) => join(dir, name), openssl };
}

async function generate(): Promise<TestPki> {
  const { dir, p, openssl } = workDir('typetls-pki-');

  writeFileSync(p('server.ext'), serverExt('DNS:localhost,IP:127.0.0.1'));
  writeFileSync(p('dnsonly.ext'), serverExt('DNS:localhost'));
  writeFileSync(p('client.ext'), clientExt);
  writeFileSync(p('ca.cnf'), caConfig);
  mkdirSync(p('db'));
  writeFileSync(p('db/index.txt'), '');
  writeFileSync(p('db/serial'), '1000\n');

  const selfSignedCa = (name: string, cn: string): Promise<void> =>
    openssl(
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`,
      '-days', '60', '-subj', `/CN=${cn}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    );
  const rsaKey = (name: string): Promise<void> =>
    openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', `${name}.key`);
  const ecKey = (name: string): Promise<void> =>
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);

  // Phase 1: every key (RSA generation dominates; run it all at once).
  await Promise.all([
    selfSignedCa('ca', 'typetls Test CA'),
    selfSignedCa('unknown-ca', 'Unknown Test CA'),
    rsaKey('rsa'),
    ecKey('ecdsa'),
    rsaKey('client'),
    rsaKey('expired'),
    rsaKey('notyet'),
    rsaKey('unknown'),
    rsaKey('dnsonly'),
  ]);

  let serial = 0x5000;
  const csr = (name: string, cn: string): Promise<void> =>
    openssl('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`);
  const issue = async (name: string, cn: string, issuer: string, ext: string): Promise<void> => {
    await csr(name, cn);
    await openssl(
      'x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`,
      '-set_serial', String(serial++), '-days', '30', '-sha256', '-out', `${name}.pem`, '-extfile', ext,
    );
  };
  const dated = async (name: string, start: string, end: string): Promise<void> => {
    await csr(name, 'localhost');
    await openssl(
      'ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', `${name}.csr`,
      '-out', `${name}.pem`, '-startdate', start, '-enddate', end, '-extensions', 'x', '-notext',
    );
  };

  // Phase 2: certificates. The two `openssl ca` runs share one database, so they run one after the other.
  await Promise.all([
    issue('rsa', 'localhost', 'ca', 'server.ext'),
    issue('ecdsa', 'localhost', 'ca', 'server.ext'),
    issue('client', 'Test Client', 'ca', 'client.ext'),
    issue('unknown', 'localhost', 'unknown-ca', 'server.ext'),
    issue('dnsonly', 'localhost', 'ca', 'dnsonly.ext'),
    (async () => {
      await dated('expired', '20200101000000Z', '20200201000000Z');
      await dated('notyet', '20990101000000Z', '21000101000000Z');
    })(),
  ]);

  return {
    dir,
    caCert: p('ca.pem'),
    caKey: p('ca.key'),
    rsaCert: p('rsa.pem'),
    rsaKey: p('rsa.key'),
    ecdsaCert: p('ecdsa.pem'),
    ecdsaKey: p('ecdsa.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    expiredCert: p('expired.pem'),
    expiredKey: p('expired.key'),
    notYetValidCert: p('notyet.pem'),
    notYetValidKey: p('notyet.key'),
    unknownCaCert: p('unknown-ca.pem'),
    unknownCaKey: p('unknown-ca.key'),
    unknownCert: p('unknown.pem'),
    unknownKey: p('unknown.key'),
    dnsOnlyCert: p('dnsonly.pem'),
    dnsOnlyKey: p('dnsonly.key'),
  };
}

/** An ECDSA chain shaped like Let's Encrypt's (ISRG Root X2, E5): every path a PEM file. */
export interface EcdsaChainPki {
  /** The trust anchor: P-384, self-signed, CN=typetls EC Test Root. */
  readonly rootCert: string;
  /** P-384, signed by the root (ecdsa-with-SHA384). */
  readonly intermediateCert: string;
  /** P-256, CN and SAN DNS:localhost, EKU serverAuth, signed by the intermediate (ecdsa-with-SHA384). */
  readonly leafCert: string;
  readonly leafKey: string;
  /** The same leaf with the last byte of its signature changed: it parses, and its signature does not verify. */
  readonly badLeafCert: string;
}

let cachedEcdsaChain: Promise<EcdsaChainPki> | undefined;

/** Makes (once per process) the ECDSA chain; its temp dir is removed at process exit. */
export function makeEcdsaChainPki(): Promise<EcdsaChainPki> {
  cachedEcdsaChain ??= generateEcdsaChain();
  return cachedEcdsaChain;
}

async function generateEcdsaChain(): Promise<EcdsaChainPki> {
  const { dir, p, openssl } = workDir('typetls-ec-pki-');
  writeFileSync(p('ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  writeFileSync(p('leaf.ext'), 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', 'root.key', '-out', 'root.pem', '-days', '30', '-sha384',
    '-subj', '/CN=typetls EC Test Root', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/CN=typetls EC Test Intermediate');
  await openssl('x509', '-req', '-in', 'int.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-out', 'int.pem', '-days', '30', '-sha384', '-extfile', 'ca.ext');
  await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=localhost');
  await openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'int.pem', '-CAkey', 'int.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '30', '-sha384', '-extfile', 'leaf.ext');
  // The last byte of the DER is the last byte of the signature's s: the certificate still parses.
  const { stdout } = await run('openssl', ['x509', '-in', 'leaf.pem', '-outform', 'DER'], { cwd: dir, encoding: 'buffer' });
  const der = Buffer.from(stdout);
  der[der.length - 1]! ^= 0x01;
  writeFileSync(p('bad-leaf.pem'), `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`);
  return { rootCert: p('root.pem'), intermediateCert: p('int.pem'), leafCert: p('leaf.pem'), leafKey: p('leaf.key'), badLeafCert: p('bad-leaf.pem') };
}
