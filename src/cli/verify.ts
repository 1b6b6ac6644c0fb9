// typetls verify: certificate path validation (RFC 5280 Section 6) and the identity check
// (RFC 6125) on files, with the validator the TLS client uses (verifyCertificateChain).
//   typetls verify [--ca roots.pem]... [--untrusted chain.pem]... [--host NAME] cert.pem
// Exit status: 0 valid; 1 not valid (`error: CODE: message`, node:tls's code), 2 bad command line
// or a file that cannot be read as certificates.

import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { nodeCryptoProvider } from '../crypto/node.js';
import { formatName, parseCertificate, type Certificate } from '../x509/certificate.js';
import { formatAltNames, isIpAddress } from '../x509/identity.js';
import { pemDecode } from '../x509/pem.js';
// The package root's verifyCertificateChain is this one bound to node:crypto; importing the root would load
// the whole TLS stack into every command's start-up, so the binding is made here.
import { verifyCertificateChain, type VerifyResult } from '../x509/verify.js';
import { UsageError, type ParsedArgs } from './args.js';

/** Where the command writes: stdout for the result, stderr for the failure line. */
export interface VerifyStreams {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** A named input that cannot be read as certificates (exit status 2). */
export class InputError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'InputError';
  }
}

/** The public key as the chain line shows it: `rsa 2048`, `ec P-256`, `ed25519`. */
export interface KeyDescription {
  readonly type: string;
  readonly bits?: number;
  readonly curve?: string;
}

/** One certificate of the path, as printed (text and --json). */
export interface ChainEntry {
  readonly depth: number;
  readonly subject: string;
  readonly issuer: string;
  /** Hex, as encoded (two's complement, big-endian). */
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly key: KeyDescription;
  /** node:tls's subjectaltname form: `DNS:localhost, IP Address:127.0.0.1`, or undefined when absent. */
  readonly subjectAltName: string | undefined;
  readonly ca: boolean;
  /** SHA-256 of the DER, colon-separated upper-case hex like node's X509Certificate.fingerprint256. */
  readonly fingerprint256: string;
}

const curveNames: Readonly<Record<string, string>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

export function describeKey(cert: Certificate): KeyDescription {
  try {
    const key = createPublicKey({ key: Buffer.from(cert.subjectPublicKeyInfo), format: 'der', type: 'spki' });
    const type = key.asymmetricKeyType ?? cert.publicKeyAlgorithm;
    const details = key.asymmetricKeyDetails ?? {};
    if (details.modulusLength !== undefined) return { type, bits: details.modulusLength };
    if (details.namedCurve !== undefined) return { type, curve: curveNames[details.namedCurve] ?? details.namedCurve };
    return { type };
  } catch {
    // A key node:crypto cannot load is still shown by its algorithm.
    return { type: cert.publicKeyAlgorithm };
  }
}

function formatKey(key: KeyDescription): string {
  return [key.type, key.bits, key.curve].filter((x) => x !== undefined).join(' ');
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

export function describeCertificate(cert: Certificate, depth: number): ChainEntry {
  const digest = createHash('sha256').update(cert.raw).digest('hex').toUpperCase();
  return {
    depth,
    subject: formatName(cert.subject),
    issuer: formatName(cert.issuer),
    serialNumber: hex(cert.serialNumber),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    key: describeKey(cert),
    subjectAltName: cert.subjectAltName ? formatAltNames(cert.subjectAltName) : undefined,
    ca: cert.basicConstraints?.ca ?? false,
    fingerprint256: digest.match(/../g)!.join(':'),
  };
}

/** `0 CN=localhost  issued by CN=typetls Test CA  valid 2026-11-23..2026-12-23  rsa 2048` */
export function formatChainLine(entry: ChainEntry): string {
  const name = (n: string) => (n === '' ? '(empty name)' : n);
  const day = (iso: string) => iso.slice(0, 10);
  return (
    `${entry.depth} ${name(entry.subject)}  issued by ${name(entry.issuer)}  ` +
    `valid ${day(entry.notBefore)}..${day(entry.notAfter)}  ${formatKey(entry.key)}`
  );
}

function readInput(what: string, path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // node's message repeats the code and the path ("ENOENT: no such file or directory, open 'x'").
    const reason = err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
    throw new InputError(err.code ?? 'EINVAL', `cannot read ${what} ${path}: ${reason}`);
  }
}

/**
 * The certificates in a file, DER each: every CERTIFICATE block of a PEM file, or the file itself
 * when it holds no PEM at all (DER). Each is parsed here so that a bad file is named.
 */
export function readCertificates(what: string, path: string): Uint8Array[] {
  const bytes = readInput(what, path);
  const text = Buffer.from(bytes).toString('latin1');
  const bad = (message: string) => new InputError('ERR_TLS_CERT_PARSE', `${what} ${path}: ${message}`);
  let ders: Uint8Array[];
  if (text.includes('-----BEGIN')) {
    try {
      ders = pemDecode(text)
        .filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE')
        .map((b) => b.der);
    } catch (e) {
      throw bad((e as Error).message);
    }
    if (ders.length === 0) throw bad('no CERTIFICATE block in the PEM file');
  } else {
    ders = [bytes];
  }
  ders.forEach((der, i) => {
    try {
      parseCertificate(der);
    } catch (e) {
      throw bad(`${ders.length > 1 ? `certificate ${i + 1}: ` : ''}not a valid certificate: ${(e as Error).message}`);
    }
  });
  return ders;
}

/** A CRL file as bytes (PEM or DER; verifyCertificateChain tells them apart). */
function readCrlFile(path: string): Uint8Array {
  return readInput('--crl', path);
}

/** node:tls rootCertificates, those the parser accepts (as the TLS client uses them). */
function systemRoots(): Uint8Array[] {
  const roots: Uint8Array[] = [];
  for (const pem of rootCertificates) {
    try {
      for (const block of pemDecode(pem)) {
        parseCertificate(block.der);
        roots.push(block.der);
      }
    } catch {
      // skipped, as src/node/options.ts skips it
    }
  }
  return roots;
}

function parseAt(value: string | undefined, args: ParsedArgs): Date | undefined {
  if (value === undefined) return undefined;
  const time = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? new Date(value) : undefined;
  if (time === undefined || Number.isNaN(time.getTime())) {
    throw new UsageError(`--at must be an ISO 8601 date or time such as 2026-01-31 or 2026-01-31T12:00:00Z (got '${value}')`, args.command);
  }
  return time;
}

function parseMaxDepth(value: string | undefined, args: ParsedArgs): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,3}$/.test(value)) throw new UsageError(`--max-depth must be a number from 0 to 999 (got '${value}')`, args.command);
  return Number(value);
}

/** `--host`: an IP address (IPv6 possibly in brackets) goes to `ip`, anything else to `hostname`. */
function parseHost(value: string | undefined): { hostname?: string; ip?: string } {
  if (value === undefined) return {};
  const unbracketed = /^\[(.*)\]$/.exec(value)?.[1] ?? value;
  return isIpAddress(unbracketed) ? { ip: unbracketed } : { hostname: value };
}

/** Runs `typetls verify` on parsed arguments; returns the exit status. */
export async function runVerify(args: ParsedArgs, streams: VerifyStreams = process): Promise<number> {
  const time = parseAt(args.get('at'), args);
  const maxDepth = parseMaxDepth(args.get('max-depth'), args);
  const json = args.has('json');
  let result: VerifyResult;
  try {
    const [leaf, ...extra] = readCertificates('certificate', args.positionals[0]!);
    const intermediates = [...extra, ...args.all('untrusted').flatMap((f) => readCertificates('--untrusted', f))];
    const caFiles = args.all('ca');
    const roots = caFiles.length > 0 ? caFiles.flatMap((f) => readCertificates('--ca', f)) : systemRoots();
    result = await verifyCertificateChain({
      provider: nodeCryptoProvider,
      leaf: leaf!,
      intermediates,
      roots,
      purpose: args.get('purpose') === 'client' ? 'clientAuth' : 'serverAuth',
      ...parseHost(args.get('host')),
      ...(time ? { time } : {}),
      ...(maxDepth !== undefined ? { maxDepth } : {}),
      ...(args.has('cn-fallback') ? { commonNameFallback: true } : {}),
      ...(args.get('profile') === 'node' ? { profile: 'node' as const } : {}),
      ...(args.all('crl').length > 0 ? { crl: args.all('crl').map((f) => readCrlFile(f)) } : {}),
    });
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    streams.stderr.write(`error: ${e.code}: ${e.message}\n`);
    return 2;
  }

  if (!result.ok) {
    if (json) streams.stdout.write(`${JSON.stringify({ ok: false, code: result.code, message: result.message, stats: result.stats }, null, 2)}\n`);
    streams.stderr.write(`error: ${result.code}: ${result.message}\n`);
    return 1;
  }
  const chain = result.chain.map(describeCertificate);
  if (json) {
    streams.stdout.write(`${JSON.stringify({ ok: true, chain, stats: result.stats }, null, 2)}\n`);
  } else {
    streams.stdout.write(['OK', ...chain.map(formatChainLine)].join('\n') + '\n');
  }
  return 0;
}
