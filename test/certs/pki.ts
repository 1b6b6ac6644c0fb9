// A small test PKI made with the openssl binary in a temporary directory:
//   root (RSA-2048) → intermediate (ECDSA P-384, pathlen:0) → leaves (RSA-2048, ECDSA P-256)
// plus the odd ones the validator must refuse. Used by src/x509/*.test.ts.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PkiCert {
  readonly pem: string;
  readonly der: Uint8Array;
  readonly keyPem: string;
  readonly path: string;
  readonly keyPath: string;
}

export interface Pki {
  readonly dir: string;
  /** Trusted root, RSA-2048, self-signed. */
  readonly root: PkiCert;
  /** Intermediate CA, ECDSA P-384, signed by root, pathlen:0. */
  readonly intermediate: PkiCert;
  /** RSA-2048 leaf, DNS:localhost, IP:127.0.0.1, serverAuth, signed by intermediate. */
  readonly leafRsa: PkiCert;
  /** ECDSA P-256 leaf, same names, signed by intermediate. */
  readonly leafEc: PkiCert;
  /** Leaf signed by root with RSASSA-PSS (SHA-256, salt 32). */
  readonly leafPss: PkiCert;
  /** A second, untrusted root, and a leaf under it. */
  readonly otherRoot: PkiCert;
  readonly otherLeaf: PkiCert;
  /** Self-signed leaf for localhost. */
  readonly selfSigned: PkiCert;
  /** Leaf with extendedKeyUsage clientAuth only. */
  readonly clientOnly: PkiCert;
  /** Leaf signed by leafRsa (which is CA:FALSE). */
  readonly underNonCa: PkiCert;
  /** Validity 2020-01-01 .. 2021-01-01 (openssl ca -startdate/-enddate). */
  readonly expired: PkiCert;
  /** Validity 2040-01-01 .. 2055-01-01 (GeneralizedTime for the end). */
  readonly notYetValid: PkiCert;
  /** openssl x509 -noout -text of a certificate. */
  text(cert: PkiCert): string;
  openssl(args: readonly string[]): string;
  cleanup(): void;
}

const CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_int]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf_pss]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:pss.localhost,DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_only]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ca]
default_ca = testca
[testca]
dir = .
database = index.txt
new_certs_dir = newcerts
serial = serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[policy_any]
commonName = supplied
organizationName = optional
`;

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'typetls-pki-'));
  const openssl = (args: readonly string[]): string =>
    execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  writeFileSync(join(dir, 'openssl.cnf'), CONFIG);
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  mkdirSync(join(dir, 'newcerts'));

  const key = (name: string, kind: 'rsa' | 'p256' | 'p384') => {
    const args =
      kind === 'rsa'
        ? ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']
        : ['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${kind === 'p256' ? 'P-256' : 'P-384'}`];
    openssl([...args, '-out', `${name}.key`]);
  };
  const csr = (name: string, subj: string) =>
    openssl(['req', '-new', '-config', 'openssl.cnf', '-key', `${name}.key`, '-subj', subj, '-out', `${name}.csr`]);
  const selfSign = (name: string, subj: string, ext: string) =>
    openssl(['req', '-x509', '-new', '-config', 'openssl.cnf', '-extensions', ext, '-key', `${name}.key`, '-subj', subj,
      '-days', '3650', '-sha256', '-out', `${name}.pem`]);
  const sign = (name: string, issuer: string, ext: string, extra: readonly string[] = []) =>
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial',
      '-days', '825', '-sha256', '-extfile', 'openssl.cnf', '-extensions', ext, ...extra, '-out', `${name}.pem`]);

  key('root', 'rsa');
  selfSign('root', '/O=typetls/CN=typetls Test Root', 'v3_ca');
  key('intermediate', 'p384');
  csr('intermediate', '/O=typetls/CN=typetls Test Intermediate');
  sign('intermediate', 'root', 'v3_int');
  key('leafRsa', 'rsa');
  csr('leafRsa', '/O=typetls/CN=localhost');
  sign('leafRsa', 'intermediate', 'leaf');
  key('leafEc', 'p256');
  csr('leafEc', '/CN=localhost');
  sign('leafEc', 'intermediate', 'leaf');
  key('leafPss', 'p256');
  csr('leafPss', '/CN=pss.localhost');
  sign('leafPss', 'root', 'leaf_pss', ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest']);
  key('otherRoot', 'p256');
  selfSign('otherRoot', '/CN=typetls Other Root', 'v3_ca');
  key('otherLeaf', 'p256');
  csr('otherLeaf', '/CN=localhost');
  sign('otherLeaf', 'otherRoot', 'leaf');
  key('selfSigned', 'p256');
  selfSign('selfSigned', '/CN=localhost', 'leaf');
  key('clientOnly', 'p256');
  csr('clientOnly', '/CN=localhost');
  sign('clientOnly', 'intermediate', 'client_only');
  key('underNonCa', 'p256');
  csr('underNonCa', '/CN=localhost');
  sign('underNonCa', 'leafRsa', 'leaf');
  const caSign = (name: string, start: string, end: string) => {
    key(name, 'p256');
    csr(name, '/CN=localhost');
    openssl(['ca', '-batch', '-config', 'openssl.cnf', '-cert', 'intermediate.pem', '-keyfile', 'intermediate.key',
      '-in', `${name}.csr`, '-out', `${name}.pem`, '-startdate', start, '-enddate', end,
      '-extfile', 'openssl.cnf', '-extensions', 'leaf', '-notext']);
  };
  caSign('expired', '20200101000000Z', '20210101000000Z');
  caSign('notYetValid', '20400101000000Z', '20550101000000Z');

  const load = (name: string): PkiCert => {
    const path = join(dir, `${name}.pem`);
    const keyPath = join(dir, `${name}.key`);
    const pem = readFileSync(path, 'utf8');
    const derBytes = execFileSync('openssl', ['x509', '-in', path, '-outform', 'DER'], { cwd: dir });
    return { pem, der: new Uint8Array(derBytes), keyPem: readFileSync(keyPath, 'utf8'), path, keyPath };
  };
  return {
    dir,
    root: load('root'),
    intermediate: load('intermediate'),
    leafRsa: load('leafRsa'),
    leafEc: load('leafEc'),
    leafPss: load('leafPss'),
    otherRoot: load('otherRoot'),
    otherLeaf: load('otherLeaf'),
    selfSigned: load('selfSigned'),
    clientOnly: load('clientOnly'),
    underNonCa: load('underNonCa'),
    expired: load('expired'),
    notYetValid: load('notYetValid'),
    text: (cert) => openssl(['x509', '-in', cert.path, '-noout', '-text']),
    openssl,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
