// `typetls demo` (= `npm start`): an in-process server with a certificate made
// on the spot, a client, the handshake traced step by step with what each side
// holds after every step, then one request and its response. Nothing to set up.

import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import type { ParsedArgs } from './args.js';
import { tlsVersion, wrapWords } from './args.js';
import { describeConnection, describeError, serveHttpOrEcho, type CliTlsSocket, type TlsApi } from './http.js';
import { renderTrace, wantsColor, type RenderOptions } from './render.js';
import { nodeCryptoProvider } from '../crypto/node.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { TraceEvent } from '../trace.js';
import { SignatureScheme } from '../wire/enums.js';
import { buildCertificate } from '../x509/builder.js';
import { KeyUsage, Oid } from '../x509/certificate.js';
import { pemEncode } from '../x509/pem.js';

const width = 80;
const demoTimeoutMs = 20_000;

/** A throwaway PKI: a CA and a server certificate for localhost and 127.0.0.1, all PEM. */
export interface DemoPki {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
}

function rsaKeyPem(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** Makes a fresh CA and a server certificate it signed, in memory (RSA-2048, valid for a day). */
export function makeDemoPki(provider: CryptoProvider = nodeCryptoProvider): DemoPki {
  const caKeyPem = rsaKeyPem();
  const caKey = provider.loadPrivateKey(caKeyPem);
  const serverKeyPem = rsaKeyPem();
  const serverKey = provider.loadPrivateKey(serverKeyPem);
  const now = Date.now();
  const notBefore = new Date(now - 60 * 60 * 1000);
  const notAfter = new Date(now + 24 * 60 * 60 * 1000);
  const caName = { CN: 'typetls demo CA', O: 'typetls' };
  const caDer = buildCertificate(
    provider,
    { subject: caName, notBefore, notAfter, subjectPublicKeyInfo: caKey.spki, isCA: true },
    caKey,
    SignatureScheme.rsa_pkcs1_sha256,
  );
  const serverDer = buildCertificate(
    provider,
    {
      subject: { CN: 'localhost', O: 'typetls' },
      issuer: caName,
      notBefore,
      notAfter,
      subjectPublicKeyInfo: serverKey.spki,
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      keyUsage: KeyUsage.digitalSignature | KeyUsage.keyEncipherment,
      extKeyUsage: [Oid.serverAuth],
    },
    caKey,
    SignatureScheme.rsa_pkcs1_sha256,
  );
  return { caCert: pemEncode('CERTIFICATE', caDer), serverCert: pemEncode('CERTIFICATE', serverDer), serverKey: serverKeyPem };
}

const outline12 = [
  ['ClientHello', 'client: the versions and cipher suites it knows, its random'],
  ['ServerHello', 'server: the version and suite it chose, its random, a session ID'],
  ['Certificate', "server: its certificate chain, with the server's public key"],
  ['ServerKeyExchange', 'server: an ephemeral key share, signed (ECDHE suites only)'],
  ['ServerHelloDone', 'server: nothing more to send for now'],
  [
    'ClientKeyExchange',
    "client: its key share (ECDHE), or a pre-master secret encrypted with the server's public key (RSA). " +
      'Both sides now hold the same pre-master secret and compute the master secret and the session keys ' +
      'from it and the two randoms.',
  ],
  [
    'Finished',
    'client, after ChangeCipherSpec ("from now on I encrypt"): a MAC over every handshake message so far, ' +
      'encrypted with its session keys: proof it holds the right keys',
  ],
  ['Finished', 'server, after its own ChangeCipherSpec: the same proof from the server'],
] as const;

const outline13 = [
  ['ClientHello', 'client: versions, suites, its random and a key share'],
  ['ServerHello', 'server: the version and suite it chose, its random and key share; both sides derive the handshake keys'],
  ['EncryptedExtensions', 'server, encrypted from here on: the rest of its answer'],
  ['Certificate', 'server: its certificate chain'],
  ['CertificateVerify', 'server: a signature over the handshake so far, with its private key'],
  ['Finished', 'server: a MAC over the handshake; both sides derive the application keys'],
  ['Finished', 'client: the same proof from the client'],
] as const;

function intro(maxVersion: string): string {
  const out: string[] = [];
  const para = (text: string) => out.push(...wrapWords(text, width - 2), '');
  out.push('typetls demo: a TLS handshake, step by step', '');
  para(
    'A client and a server, both typetls, are about to talk over 127.0.0.1 inside this process. A certificate ' +
      'authority and a server certificate for "localhost" were just made in memory; the client trusts that ' +
      'authority and nothing else.',
  );
  const tls13 = maxVersion === 'TLSv1.3';
  out.push(tls13 ? 'The handshake (TLS 1.3 when both sides allow it, RFC 8446):' : 'The handshake (TLS 1.2, RFC 5246):');
  const steps = tls13 ? outline13 : outline12;
  steps.forEach(([name, what], i) => {
    const head = `  ${i + 1}. ${name.padEnd(20)}`;
    wrapWords(what, width - head.length - 1).forEach((line, j) => out.push(`${j === 0 ? head : ' '.repeat(head.length)}${line}`));
  });
  out.push('');
  para('Then one HTTP request and its response travel over the encrypted channel.');
  para(
    'Each message is shown once with its fields, by the side that sends it ("client → ClientHello"); the other ' +
      'side\'s line ("server ← ClientHello") marks when it arrives. After each step a box shows what that side ' +
      'now holds, with the real values in hex; the private key is never printed. Printing secrets is for ' +
      'learning only: a real program keeps them to itself.',
  );
  return out.join('\n');
}

/** Runs the demo; resolves with the exit status. */
export async function runDemo(api: TlsApi, args: ParsedArgs, out: Writable): Promise<number> {
  const color = !args.has('no-color') && wantsColor(out);
  const maxVersion = tlsVersion(args.get('max-version') ?? '1.2')!;
  const cipher = args.get('cipher');
  const group = args.get('group');
  const write = (text = '') => out.write(`${text}\n`);
  const render: RenderOptions = { color, width, receivedMessages: 'brief', oneLineWidth: width, maxHexBytes: 96 };

  write(intro(maxVersion));
  const pki = makeDemoPki();

  // Sent messages take the number of their line in the outline above (a suite without
  // ServerKeyExchange skips 4); messages the outline does not list are marked 'Also'.
  let outline: readonly (readonly [string, string])[] = maxVersion === 'TLSv1.3' ? outline13 : outline12;
  let next = 0;
  const annotate = (event: TraceEvent) => {
    // Records repeat what the messages say; the demo leaves them out.
    if (event.kind === 'record') return;
    let text = renderTrace(event, render);
    if (event.kind === 'message' && event.direction === 'sent') {
      // A TLS 1.3 outline, but the server answered in TLS 1.2: number by the TLS 1.2 steps.
      if (outline === outline13 && next === 2 && event.side === 'server' && event.name !== 'EncryptedExtensions') {
        outline = outline12;
        write(`\n(The server chose TLS 1.2: the steps below follow the TLS 1.2 handshake.)`);
      }
      const at = outline.findIndex(([name], i) => i >= next && name === event.name);
      if (at >= 0) next = at + 1;
      const label = at >= 0 ? `Step ${at + 1}` : 'Also  ';
      text = `\n${color ? '\x1b[1m' : ''}${label}${color ? '\x1b[0m' : ''}  ${text}`;
    } else if (event.kind === 'holds') {
      text = `\n${text}`;
    }
    write(text);
  };

  const common: Record<string, unknown> = { maxVersion, trace: annotate };
  if (group) common['ecdhCurve'] = group;
  const server = api.createServer({ ...common, cert: pki.serverCert, key: pki.serverKey }, (socket) => {
    socket.on('error', () => {});
    serveHttpOrEcho(socket, () => describeConnection(socket));
  });
  server.on('tlsClientError', (e: unknown) => write(`server: handshake failed: ${describeError(e)}`));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  write(`The server listens on 127.0.0.1:${port}; the client connects to it.`);

  const request = 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n';
  const result = await new Promise<{ ok: true; response: string; socket: CliTlsSocket } | { ok: false; error: unknown }>((resolve) => {
    const clientOptions: Record<string, unknown> = { ...common, host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCert };
    if (cipher) clientOptions['ciphers'] = cipher;
    const chunks: Buffer[] = [];
    const socket = api.connect(clientOptions, () => {
      const c = socket.getCipher();
      write();
      write(`Handshake complete: ${socket.getProtocol()}, ${c?.standardName ?? c?.name}.`);
      write();
      write('The client sends, encrypted with its session keys:');
      for (const line of request.split('\r\n').slice(0, -2)) write(`  ${line}`);
      socket.write(request);
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, error: Object.assign(new Error('the demo did not finish in time'), { code: 'ETIMEDOUT' }) });
    }, demoTimeoutMs);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, error });
    });
    socket.on('end', () => {
      clearTimeout(timer);
      resolve({ ok: true, response: Buffer.concat(chunks).toString('utf8'), socket });
    });
  });

  server.close();
  if (!result.ok) {
    write(`error: ${describeError(result.error)}`);
    return 1;
  }
  write();
  write('The server answers, encrypted with its session keys, and closes (close_notify):');
  const blank = result.response.indexOf('\r\n\r\n');
  const head = blank < 0 ? result.response : result.response.slice(0, blank);
  const body = blank < 0 ? '' : result.response.slice(blank + 4);
  for (const line of head.split('\r\n')) write(`  ${line}`);
  write('');
  for (const line of body.replace(/\n$/, '').split('\n')) write(`  ${line}`);
  result.socket.end();
  write();
  write('Done: both sides closed.');
  return 0;
}
