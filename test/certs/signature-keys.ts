// Server certificates for the TLS 1.3 signature schemes beyond RSA-2048 and P-256: an Ed25519 key, an
// RSASSA-PSS key (id-RSASSA-PSS SubjectPublicKeyInfo, for rsa_pss_pss_*), an ECDSA P-384 and an ECDSA
// P-521 key, each issued by the test CA of make.ts with the same names (DNS:localhost, IP:127.0.0.1,
// serverAuth; the P-521 one also clientAuth, to serve as a client certificate too).
// Made once per process with the openssl binary, in make.ts's temp dir (removed at exit).

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTestPki, type TestPki } from './make.js';

const run = promisify(execFile);

export interface SignatureKeyFiles {
  readonly pki: TestPki;
  readonly ed25519: { readonly cert: string; readonly key: string };
  readonly rsaPss: { readonly cert: string; readonly key: string };
  readonly p384: { readonly cert: string; readonly key: string };
  readonly p521: { readonly cert: string; readonly key: string };
}

let cached: Promise<SignatureKeyFiles> | undefined;

/** Makes (once per process) the four certificates; paths are PEM files. */
export function makeSignatureKeys(): Promise<SignatureKeyFiles> {
  cached ??= generate();
  return cached;
}

async function generate(): Promise<SignatureKeyFiles> {
  const pki = await makeTestPki();
  const p = (name: string): string => join(pki.dir, name);
  const openssl = async (...args: string[]): Promise<void> => {
    try {
      await run('openssl', args, { cwd: pki.dir });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`openssl ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
    }
  };
  const extensions = (eku: string): string =>
    ['subjectAltName=DNS:localhost,IP:127.0.0.1', 'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', `extendedKeyUsage=${eku}`, ''].join('\n');
  writeFileSync(p('sigkeys.ext'), extensions('serverAuth'));
  writeFileSync(p('sigkeys-both.ext'), extensions('serverAuth,clientAuth'));
  const make = async (name: string, keyArgs: string[], serial: number, extfile = 'sigkeys.ext'): Promise<{ cert: string; key: string }> => {
    await openssl('genpkey', ...keyArgs, '-out', `${name}.key`);
    await openssl('req', '-new', '-key', `${name}.key`, '-subj', '/CN=localhost', '-out', `${name}.csr`);
    await openssl(
      'x509', '-req', '-in', `${name}.csr`, '-CA', pki.caCert, '-CAkey', pki.caKey, '-set_serial', String(serial),
      '-days', '30', '-sha256', '-out', `${name}.pem`, '-extfile', extfile,
    );
    return { cert: p(`${name}.pem`), key: p(`${name}.key`) };
  };
  const [ed25519, rsaPss, p384, p521] = await Promise.all([
    make('sig-ed25519', ['-algorithm', 'ED25519'], 0x7001),
    make('sig-rsa-pss', ['-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048'], 0x7002),
    make('sig-p384', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'], 0x7003),
    make('sig-p521', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'], 0x7004, 'sigkeys-both.ext'),
  ]);
  return { pki, ed25519, rsaPss, p384, p521 };
}
