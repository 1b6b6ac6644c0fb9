// `typetls demo` (= `npm start`): an in-process server with a certificate made
// on the spot, a client, the handshake traced step by step with what each side
// holds after every step, then one request and its response. Nothing to set up.
//
// Modes (they combine): the default TLS 1.2 handshake of the seed documents;
// --tls13 (the TLS 1.3 flight and its key schedule); --resume (a first full
// handshake, then a second connection that resumes the session, traced);
// --mtls (the server asks for a client certificate).

import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import { tlsVersion, UsageError, wrapWords, type ParsedArgs } from './args.js';
import { extraMessages, outlineFor, OutlineTracker, possibleOutlines, type Outline, type Version } from './outline.js';
import { describeConnection, describeError, serveHttpOrEcho, type CliTlsSocket, type TlsApi } from './http.js';
import { renderTrace, toHex, wantsColor, type RenderOptions } from './render.js';
import { nodeCryptoProvider } from '../crypto/node.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { earlySecret } from '../keys/tls13.js';
import { ownCipherString, suiteById, suiteByName, type CipherSuite } from '../suites.js';
import type { Side, TraceEvent, TraceFields, TraceValue } from '../trace.js';
import { SignatureScheme } from '../wire/enums.js';
import { buildCertificate } from '../x509/builder.js';
import { KeyUsage, Oid } from '../x509/certificate.js';
import { pemEncode } from '../x509/pem.js';

const width = 80;
const demoTimeoutMs = 20_000;

// ---------------------------------------------------------------------------
// A throwaway PKI

/** A throwaway PKI: a CA, a server certificate for localhost and 127.0.0.1, and (for --mtls) a client certificate; all PEM. */
export interface DemoPki {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert?: string;
  readonly clientKey?: string;
}

function keyPem(kind: 'rsa' | 'p256'): string {
  const { privateKey } =
    kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/**
 * Makes a fresh CA and a server certificate it signed, in memory (RSA-2048, valid for a day, or `days`);
 * with `client`, also a client certificate (ECDSA P-256, clientAuth) from the same CA.
 */
export function makeDemoPki(provider: CryptoProvider = nodeCryptoProvider, options: { client?: boolean; days?: number } = {}): DemoPki {
  const caKeyPem = keyPem('rsa');
  const caKey = provider.loadPrivateKey(caKeyPem);
  const serverKeyPem = keyPem('rsa');
  const serverKey = provider.loadPrivateKey(serverKeyPem);
  const now = Date.now();
  const notBefore = new Date(now - 60 * 60 * 1000);
  const notAfter = new Date(now + (options.days ?? 1) * 24 * 60 * 60 * 1000);
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
  const pki = { caCert: pemEncode('CERTIFICATE', caDer), serverCert: pemEncode('CERTIFICATE', serverDer), serverKey: serverKeyPem };
  if (!options.client) return pki;
  const clientKeyPem = keyPem('p256');
  const clientKey = provider.loadPrivateKey(clientKeyPem);
  const clientDer = buildCertificate(
    provider,
    {
      subject: { CN: 'demo client', O: 'typetls' },
      issuer: caName,
      notBefore,
      notAfter,
      subjectPublicKeyInfo: clientKey.spki,
      keyUsage: KeyUsage.digitalSignature,
      extKeyUsage: [Oid.clientAuth],
    },
    caKey,
    SignatureScheme.rsa_pkcs1_sha256,
  );
  return { ...pki, clientCert: pemEncode('CERTIFICATE', clientDer), clientKey: clientKeyPem };
}

// ---------------------------------------------------------------------------
// The words before the trace

function outlineLines(outline: Outline): string[] {
  const out: string[] = [];
  outline.steps.forEach((s, i) => {
    const head = `  ${String(i + 1).padStart(2)}. ${s.name.padEnd(20)}`;
    wrapWords(s.text, width - head.length - 1).forEach((line, j) => out.push(`${j === 0 ? head : ' '.repeat(head.length)}${line}`));
  });
  return out;
}

function handshakeTitle(outline: Outline): string {
  const rfc = outline.version === 'TLSv1.3' ? 'TLS 1.3, RFC 8446' : 'TLS 1.2, RFC 5246';
  const kind = outline.resumed ? 'resumed handshake' : outline.mtls ? 'handshake with client certificates' : 'handshake';
  return `The ${kind} (${rfc}):`;
}

export interface DemoMode {
  readonly version: Version;
  readonly resume: boolean;
  readonly mtls: boolean;
  readonly cipher: string | undefined;
  readonly group: string | undefined;
}

/** The mode the flags ask for. */
export function demoMode(args: ParsedArgs): DemoMode {
  const cipher = args.get('cipher');
  const asked = tlsVersion(args.get('max-version'));
  if (args.has('tls13') && asked === 'TLSv1.2') throw new UsageError('--tls13 and --max-version 1.2 contradict each other', args.command);
  // A TLS 1.3 suite name asks for TLS 1.3.
  const suite = cipher === undefined ? undefined : suiteByName(cipher);
  if (suite?.tls13 && asked === 'TLSv1.2') throw new UsageError(`${cipher} is a TLS 1.3 suite; it cannot be used with --max-version 1.2`, args.command);
  const version: Version = args.has('tls13') || asked === 'TLSv1.3' || suite?.tls13 ? 'TLSv1.3' : 'TLSv1.2';
  return { version, resume: args.has('resume'), mtls: args.has('mtls'), cipher, group: args.get('group') };
}

function intro(mode: DemoMode, outline: Outline): string {
  const out: string[] = [];
  const para = (text: string) => out.push(...wrapWords(text, width - 2), '');
  const v = mode.version === 'TLSv1.3' ? 'TLS 1.3' : 'TLS 1.2';
  const what = mode.resume ? 'resumed' : mode.mtls ? 'mutually authenticated' : '';
  out.push(`typetls demo: a ${what ? `${what} ` : ''}${v} handshake, step by step`, '');
  para(
    'A client and a server, both typetls, are about to talk over 127.0.0.1 inside this process. A certificate ' +
      'authority and a server certificate for "localhost" were just made in memory; the client trusts that ' +
      'authority and nothing else.' +
      (mode.mtls
        ? ' The same authority issued a certificate for the client (ECDSA P-256), and the server is told to ' +
          'ask for one and to trust that authority for it.'
        : ''),
  );
  if (mode.version === 'TLSv1.3') {
    const shares = mode.group
      ? `a key share for ${mode.group}`
      : 'a key share for X25519MLKEM768 (X25519 combined with the post-quantum ML-KEM-768) and a plain X25519 ' +
        'share beside it, for servers that do not know the hybrid';
    para(
      'TLS 1.3 needs one round trip instead of two. The client guesses how the server will agree on a key: ' +
        `its ClientHello already carries ${shares}. The server picks one and answers with its own share in ` +
        'ServerHello. From the two shares both sides compute the same shared secret, which never travels; ' +
        'no pre-master secret is sent, and from ServerHello on the handshake itself is encrypted (the ' +
        'certificate too).',
    );
    para(
      'Every secret comes out of one key schedule (RFC 8446 Section 7.1), a chain of HKDF steps: each ' +
        'secret is derived from the one before it and from a hash of the handshake messages so far, so ' +
        'the keys are tied to this exact handshake:',
    );
    out.push(
      '  early secret       = HKDF-Extract(0, PSK, or zeros without one)',
      '  handshake secret   = HKDF-Extract(Derive-Secret(early, "derived"),',
      '                                    shared secret)',
      '    client/server handshake traffic secret',
      '                     = Derive-Secret(handshake secret, "c hs traffic" /',
      '                           "s hs traffic", ClientHello..ServerHello)',
      '  master secret      = HKDF-Extract(Derive-Secret(handshake, "derived"), 0)',
      '    client/server application traffic secret',
      '                     = Derive-Secret(master secret, "c ap traffic" /',
      '                           "s ap traffic", ClientHello..server Finished)',
      '  each traffic secret → write key = HKDF-Expand-Label(secret, "key", "", length)',
      '                        write IV  = HKDF-Expand-Label(secret, "iv", "", 12)',
      '',
    );
    para(
      'The handshake traffic keys encrypt the rest of the handshake, the application traffic keys the data: ' +
        'they are what TLS 1.2 calls the session keys. There is no MAC key: the AEAD cipher authenticates.',
    );
  }
  if (mode.resume) {
    para(
      mode.version === 'TLSv1.3'
        ? 'First the client makes a full handshake and keeps the ticket the server sends after it ' +
            '(NewSessionTicket). Then it connects again and offers that ticket; the second handshake is the ' +
            'one traced in full.'
        : 'First the client makes a full handshake and keeps the session: the session ID from ServerHello ' +
            'and the ticket from NewSessionTicket, with the master secret they stand for. Then it connects ' +
            'again and offers them; the second handshake is the one traced in full.',
    );
  }
  out.push(handshakeTitle(outline), ...outlineLines(outline), '');
  para('Then one HTTP request and its response travel over the encrypted channel.');
  para(
    'Each message is shown once with its fields, by the side that sends it ("client → ClientHello"); the other ' +
      'side\'s line ("server ← ClientHello") marks when it arrives. After each step a box shows what that side ' +
      'now holds, with the real values in hex; the private key is never printed. Printing secrets is for ' +
      'learning only: a real program keeps them to itself.',
  );
  return out.join('\n');
}

// ---------------------------------------------------------------------------
// The trace, as the demo shows it

/** How each derived secret is computed, by its trace label. */
const derivations: Record<string, readonly string[]> = {
  'master secret': ['PRF(pre-master secret, "master secret",', '    client random + server random)'],
  'extended master secret': [
    'PRF(pre-master secret, "extended master secret",',
    '    hash of the handshake messages so far)   (RFC 7627)',
  ],
  'handshake secret': ['HKDF-Extract(Derive-Secret(early secret, "derived", ""),', '             shared secret)'],
  'client handshake traffic secret': ['Derive-Secret(handshake secret, "c hs traffic",', '              ClientHello..ServerHello)'],
  'server handshake traffic secret': ['Derive-Secret(handshake secret, "s hs traffic",', '              ClientHello..ServerHello)'],
  'master secret 1.3': ['HKDF-Extract(Derive-Secret(handshake secret, "derived", ""), 0)'],
  'client application traffic secret': ['Derive-Secret(master secret, "c ap traffic",', '              ClientHello..server Finished)'],
  'server application traffic secret': ['Derive-Secret(master secret, "s ap traffic",', '              ClientHello..server Finished)'],
  'exporter master secret': ['Derive-Secret(master secret, "exp master",', '              ClientHello..server Finished)'],
};

function hexBlock(bytes: Uint8Array, indent: string): string[] {
  const hex = toHex(bytes);
  const lines: string[] = [];
  for (let i = 0; i < hex.length; i += 64) lines.push(`${indent}${hex.slice(i, i + 64)}`);
  return lines;
}

/** The holds names of the TLS 1.3 application traffic keys, by the engine's trace label (as in holds13()). */
const applicationKeyNames: Record<string, string> = {
  'client application write key': 'clientWriteKey',
  'client application write IV': 'clientWriteIv',
  'server application write key': 'serverWriteKey',
  'server application write IV': 'serverWriteIv',
};

/** In TLS 1.2 a Certificate has no request context and no per-certificate extensions (RFC 5246 Section 7.4.2). */
function tls12Fields(name: string, fields: TraceFields): TraceFields {
  if (name !== 'Certificate') return fields;
  const { certificateRequestContext: _context, certificateList, ...rest } = fields as Record<string, TraceValue>;
  const list = Array.isArray(certificateList)
    ? (certificateList as readonly TraceValue[]).map((entry) => {
        if (typeof entry !== 'object' || entry === null || entry instanceof Uint8Array || Array.isArray(entry)) return entry;
        const { extensions: _extensions, ...cert } = entry as Record<string, TraceValue>;
        return cert;
      })
    : certificateList;
  return { ...rest, certificateList: list };
}

function extensionOf(fields: TraceFields, type: string): TraceFields | undefined {
  const list = fields['extensions'];
  if (!Array.isArray(list)) return undefined;
  return (list as readonly TraceValue[]).find(
    (e): e is TraceFields => typeof e === 'object' && e !== null && !(e instanceof Uint8Array) && !Array.isArray(e) && (e as TraceFields)['type'] === type,
  );
}

/** What an X25519MLKEM768 key share is made of (draft-ietf-tls-ecdhe-mlkem), under the message that carries one. */
function hybridNote(name: string, fields: TraceFields): string | undefined {
  const share = extensionOf(fields, 'key_share');
  if (!share) return undefined;
  const shares = name === 'ClientHello' ? share['clientShares'] : name === 'ServerHello' ? [share['serverShare']] : undefined;
  if (!Array.isArray(shares)) return undefined;
  const hybrid = (shares as readonly TraceValue[]).some(
    (s) => typeof s === 'object' && s !== null && !(s instanceof Uint8Array) && !Array.isArray(s) && (s as TraceFields)['group'] === 'X25519MLKEM768',
  );
  if (!hybrid) return undefined;
  return name === 'ClientHello'
    ? 'The X25519MLKEM768 share is an ML-KEM-768 encapsulation key (1184 bytes) followed by an X25519 public ' +
        'key (32 bytes): the server may use either half, and this hybrid uses both.'
    : "The server's X25519MLKEM768 share is an ML-KEM-768 ciphertext (1088 bytes), a secret sealed with the " +
        "client's encapsulation key that only the client can open, followed by the server's X25519 public key " +
        '(32 bytes). The shared secret is the ML-KEM secret followed by the X25519 secret, 64 bytes: an ' +
        'attacker must break both to learn it.';
}

/**
 * Renders one connection's trace for the demo: numbers the sent messages by the
 * outline's steps (switching outline when the handshake takes another path),
 * explains each secret with its derivation (the TLS 1.3 write key and IV under
 * each traffic secret), and collapses a box that holds nothing new.
 */
class DemoTrace {
  private readonly tracker: OutlineTracker;
  private readonly secrets = new Map<string, Uint8Array>();
  private readonly lastHolds = new Map<Side, string>();
  private readonly latest = new Map<Side, TraceFields>();
  private readonly appSecrets = new Map<Side, Record<string, Uint8Array>>();
  private suite: CipherSuite | undefined;
  private version: Version;
  private pskAccepted = false;
  private earlyShown = false;
  /** Whether the last secret shown was new (not the other side's again): its keys are shown under it. */
  private lastSecretNew = false;

  constructor(
    private readonly write: (text?: string) => void,
    private readonly render: RenderOptions,
    candidates: readonly Outline[],
  ) {
    this.tracker = new OutlineTracker(candidates);
    this.version = this.outline.version;
  }

  private get outline(): Outline {
    return this.tracker.outline;
  }

  private bold(text: string): string {
    return this.render.color ? `\x1b[1m${text}\x1b[0m` : text;
  }

  private dim(text: string): string {
    return this.render.color ? `\x1b[2m${text}\x1b[0m` : text;
  }

  readonly annotate = (event: TraceEvent): void => {
    switch (event.kind) {
      case 'record':
        // Records repeat what the messages say; the demo leaves them out.
        return;
      case 'alert':
        // close_notify is told in words at the end; other alerts show.
        if (event.description !== 0) this.write(renderTrace(event, this.render));
        return;
      case 'message':
        this.message(event);
        return;
      case 'secret':
        this.secret(event.side, event.label, event.value);
        return;
      case 'holds':
        this.holds(event.side, event.step, event.holds);
        return;
      case 'note': {
        const head = `${event.side} · `;
        wrapWords(event.text, width - head.length).forEach((line, i) =>
          this.write(i === 0 ? `${renderTrace({ ...event, text: line }, this.render)}` : `${' '.repeat(head.length)}${line}`),
        );
        return;
      }
      default:
        this.write(renderTrace(event, this.render));
    }
  };

  private message(event: Extract<TraceEvent, { kind: 'message' }>): void {
    if (event.name === 'ServerHello') {
      const id = event.fields['cipherSuite'];
      this.suite = typeof id === 'number' ? suiteById(id) : typeof id === 'string' ? suiteByName(id) : undefined;
      this.version = extensionOf(event.fields, 'supported_versions') ? 'TLSv1.3' : 'TLSv1.2';
      this.pskAccepted = extensionOf(event.fields, 'pre_shared_key') !== undefined;
    }
    const fields = this.version === 'TLSv1.2' ? tls12Fields(event.name, event.fields) : event.fields;
    const text = renderTrace({ ...event, fields }, this.render);
    if (event.direction !== 'sent') {
      this.write(text);
      return;
    }
    let label = 'Also';
    let extra: string | undefined;
    const step = this.tracker.step(event.side, event.name);
    if (step?.switched) {
      this.write();
      this.write(`(The handshake took another path. ${handshakeTitle(this.outline).replace(/:$/, '')}; its steps:)`);
      for (const line of outlineLines(this.outline)) this.write(line);
    }
    if (step) label = `Step ${step.index + 1}`;
    else extra = extraMessages[event.name];
    const [header, ...body] = text.split('\n');
    this.write();
    const labelWidth = Math.max(6, `Step ${this.outline.steps.length}`.length);
    this.write(`${this.bold(label.padEnd(labelWidth))}  ${header}`);
    if (extra) for (const line of wrapWords(extra, width - 8)) this.write(this.dim(`        ${line}`));
    for (const line of body) this.write(line);
    const hybrid = hybridNote(event.name, event.fields);
    if (hybrid) for (const line of wrapWords(hybrid, width - 4)) this.write(this.dim(`    ${line}`));
  }

  private secret(side: Side, label: string, value: Uint8Array): void {
    const tls13 = this.version === 'TLSv1.3';
    if (tls13 && !this.earlyShown && label === 'handshake secret' && this.suite) {
      // The engine starts its trace at the handshake secret; the early secret before it is shown here.
      this.earlyShown = true;
      this.write(`both sides start from the ${this.bold('early secret')}`);
      if (this.pskAccepted) {
        this.write('    = HKDF-Extract(0, PSK), the PSK that goes with the ticket of the first');
        this.write('      connection (each side has it; it never travels)');
      } else {
        this.write('    = HKDF-Extract(0, zeros): no PSK, so the same in every full handshake');
        for (const line of hexBlock(earlySecret(nodeCryptoProvider, this.suite.hash), '      ')) this.write(line);
      }
    }
    const who = side === 'client' ? 'client' : 'server';
    const key = label === 'master secret' && tls13 ? 'master secret 1.3' : label;
    const heldAs = label.endsWith('application traffic secret') || label === 'exporter master secret' || (label === 'master secret' && tls13)
      ? camel(label)
      : applicationKeyNames[label];
    if (heldAs) {
      const held = this.appSecrets.get(side) ?? {};
      held[heldAs] = value;
      this.appSecrets.set(side, held);
    }
    // The engine traces the write key and IV of a TLS 1.3 traffic secret right after it: shown under the
    // secret when that was new, left out when it was the same as the other side's.
    const keyOrIv = / write (key|IV)$/.exec(label);
    if (keyOrIv) {
      if (this.lastSecretNew) this.write(`    → write ${keyOrIv[1]!.padEnd(3)} ${toHex(value)}`);
      return;
    }
    const seen = this.secrets.get(key);
    this.lastSecretNew = !(seen && toHex(seen) === toHex(value));
    if (!this.lastSecretNew) {
      this.write(`${who} derives the same ${label} ${this.dim(`(${toHex(value).slice(0, 16)}…)`)}`);
      return;
    }
    this.secrets.set(key, value);
    this.write(`${who} derives the ${this.bold(label)} (${value.length} bytes)`);
    const how = derivations[key];
    if (how) how.forEach((line, i) => this.write(`    ${i === 0 ? '= ' : '  '}${line}`));
    for (const line of hexBlock(value, '      ')) this.write(line);
  }

  private holds(side: Side, step: string, holds: TraceFields): void {
    // The engine's last state is Traffic: what the side holds once the handshake is complete.
    const stepName = step === 'Traffic' ? 'handshake complete' : step;
    this.latest.set(side, holds);
    const signature = JSON.stringify(holds, (_k, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v));
    const expect = /^Expect([A-Z]\w*)$/.exec(stepName);
    if (this.lastHolds.get(side) === signature) {
      this.write(this.dim(`${side} holds nothing new · ${expect ? `waiting for ${expect[1]}` : stepName}`));
      return;
    }
    this.lastHolds.set(side, signature);
    this.write();
    this.write(renderTrace({ kind: 'holds', side, step: stepName, holds }, this.render));
  }

  /**
   * TLS 1.3: the engine's last box for a side comes before its application secrets
   * when that side finishes; this box adds them, their keys and the exporter master secret.
   */
  finalHolds(side: Side): void {
    const latest = this.latest.get(side);
    const app = this.appSecrets.get(side);
    if (!latest || !app || latest['version'] !== 'TLSv1.3' || latest['clientApplicationTrafficSecret']) return;
    const merged: Record<string, TraceValue> = { ...latest, ...app };
    delete merged['sharedSecret'];
    this.holds(side, 'handshake complete', merged);
  }
}

function camel(label: string): string {
  return label.replace(/ (\w)/g, (_m, c: string) => c.toUpperCase());
}

// ---------------------------------------------------------------------------
// Running it

interface Exchange {
  readonly socket: CliTlsSocket;
  readonly response: string;
  readonly session: Buffer | undefined;
  readonly sessions: number;
}

function exchange(api: TlsApi, options: Record<string, unknown>, onSecure: (socket: CliTlsSocket) => void, request: string): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let session: Buffer | undefined;
    let sessions = 0;
    const socket = api.connect(options, () => {
      onSecure(socket);
      socket.write(request);
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error('the demo did not finish in time'), { code: 'ETIMEDOUT' }));
    }, demoTimeoutMs);
    // node:tls semantics: each 'session' event is a session to keep; the last one wins.
    socket.on('session', (s: Buffer) => {
      session = s;
      sessions++;
    });
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      socket.end();
      resolve({ socket, response: Buffer.concat(chunks).toString('utf8'), session, sessions });
    });
  });
}

function responseLines(response: string): string[] {
  const blank = response.indexOf('\r\n\r\n');
  const head = blank < 0 ? response : response.slice(0, blank);
  const body = blank < 0 ? '' : response.slice(blank + 4);
  return [...head.split('\r\n').map((l) => `  ${l}`), '', ...body.replace(/\n$/, '').split('\n').map((l) => `  ${l}`)];
}

/** Runs the demo; resolves with the exit status. */
export async function runDemo(api: TlsApi, args: ParsedArgs, out: Writable): Promise<number> {
  const color = !args.has('no-color') && wantsColor(out);
  const mode = demoMode(args);
  const write = (text = '') => out.write(`${text}\n`);
  const render: RenderOptions = { color, width, receivedMessages: 'brief', oneLineWidth: width, maxHexBytes: 96 };

  const expected = outlineFor(mode.version, mode.resume, mode.mtls && !mode.resume);
  write(intro(mode, expected));
  const pki = makeDemoPki(nodeCryptoProvider, { client: mode.mtls });

  const common: Record<string, unknown> = { maxVersion: mode.version };
  if (mode.group) common['ecdhCurve'] = mode.group;
  // The server prefers typetls's own order (AES-128-GCM first) over node's default string, so the
  // handshake shown is the one the text describes (SHA-256 key schedule).
  const serverOptions: Record<string, unknown> = { ...common, ciphers: ownCipherString, cert: pki.serverCert, key: pki.serverKey };
  if (mode.mtls) Object.assign(serverOptions, { requestCert: true, rejectUnauthorized: true, ca: pki.caCert });
  // Where both sides' trace events go: the brief first connection of --resume, then the full trace.
  let annotateNow: (event: TraceEvent) => void = () => {};
  const annotate = (event: TraceEvent) => annotateNow(event);
  let trace: DemoTrace | undefined;
  const peers: CliTlsSocket[] = [];
  const server = api.createServer({ ...serverOptions, trace: annotate }, (socket) => {
    peers.push(socket);
    socket.on('error', () => {});
    serveHttpOrEcho(socket, () => describeConnection(socket));
  });
  server.on('tlsClientError', (e: unknown) => write(`server: handshake failed: ${describeError(e)}`));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const request = 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n';
  const clientOptions: Record<string, unknown> = { ...common, host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCert, trace: annotate };
  if (mode.cipher) clientOptions['ciphers'] = mode.cipher;
  if (mode.mtls) Object.assign(clientOptions, { cert: pki.clientCert, key: pki.clientKey });
  // Every path the handshake may take, the expected one first.
  const candidates = (first: Outline) => possibleOutlines(first, mode.mtls);

  try {
    if (mode.resume) {
      write(`The server listens on 127.0.0.1:${port}.`);
      write();
      write(heading(color, 'First connection: a full handshake, its messages in brief'));
      annotateNow = (event: TraceEvent) => {
        if (event.kind !== 'message' || event.direction !== 'sent') return;
        write(`  ${renderTrace(event, render).split('\n')[0]!}`);
        const id = event.fields['legacySessionIdEcho'];
        if (event.name === 'ServerHello' && id instanceof Uint8Array && id.length > 0 && !extensionOf(event.fields, 'supported_versions')) {
          write(`      session ID ${toHex(id).slice(0, 32)}…`);
        }
      };
      const first = await exchange(api, clientOptions, () => {}, request);
      const c = first.socket.getCipher();
      for (const line of wrapWords(`→ ${first.socket.getProtocol()}, ${c?.standardName ?? c?.name}; request and response done; both sides closed.`, width - 4)) {
        write(`  ${line}`);
      }
      if (!first.session) {
        write('The server gave no session to resume: nothing more to show.');
        return 1;
      }
      const kept = `The client kept the session the server gave it ('session' event, ${first.session.length} bytes` +
        `${first.sessions > 1 ? `, the last of ${first.sessions}` : ''}).`;
      for (const line of wrapWords(kept, width - 4)) write(`  ${line}`);
      write();
      write(heading(color, 'Second connection: the client offers that session, traced in full'));
      trace = new DemoTrace(write, render, candidates(expected));
      annotateNow = trace.annotate;
      const second = await exchange(api, { ...clientOptions, session: first.session }, (s) => handshakeDone(s), request);
      finish(second);
    } else {
      write(`The server listens on 127.0.0.1:${port}; the client connects to it.`);
      trace = new DemoTrace(write, render, candidates(expected));
      annotateNow = trace.annotate;
      finish(await exchange(api, clientOptions, (s) => handshakeDone(s), request));
    }
  } catch (error) {
    write(`error: ${describeError(error)}`);
    return 1;
  } finally {
    server.close();
  }
  write();
  write('Done: both sides closed.');
  write();
  for (const line of wrapWords(moreLine(mode), width - 2)) write(line);
  return 0;

  function handshakeDone(socket: CliTlsSocket): void {
    trace?.finalHolds('client');
    const c = socket.getCipher();
    write();
    const done = `Handshake complete: ${socket.getProtocol()}, ${c?.standardName ?? c?.name}${socket.isSessionReused() ? ', resumed' : ''}.`;
    for (const line of wrapWords(done, width - 2)) write(line);
    write();
    write('The client sends, encrypted with its session keys:');
    for (const line of request.split('\r\n').slice(0, -2)) write(`  ${line}`);
  }

  function finish(result: Exchange): void {
    write();
    const words =
      'The server answers, encrypted with its session keys, then sends close_notify (an alert meaning ' +
      '"I am done sending"); the client answers with its own close_notify:';
    for (const line of wrapWords(words, width - 2)) write(line);
    for (const line of responseLines(result.response)) write(line);
    if (mode.mtls) {
      const peer = peers.at(-1) as (CliTlsSocket & { getPeerCertificate?(): { subject?: { CN?: string }; issuer?: { CN?: string } } }) | undefined;
      const cert = peer?.getPeerCertificate?.();
      if (cert?.subject?.CN) {
        write();
        const text = `The server knows who the client is: CN=${cert.subject.CN}, issued by CN=${cert.issuer?.CN ?? '?'}.`;
        for (const line of wrapWords(text, width - 2)) write(line);
      }
    }
  }
}

function heading(color: boolean, text: string): string {
  return color ? `\x1b[1m${text}\x1b[0m` : text;
}

function moreLine(mode: DemoMode): string {
  const others: string[] = [];
  if (mode.version === 'TLSv1.2') others.push('--tls13 (TLS 1.3 and its key schedule)');
  if (!mode.resume) others.push('--resume (a resumed session)');
  if (!mode.mtls) others.push('--mtls (client certificates)');
  if (mode.version === 'TLSv1.2' && !mode.cipher) others.push('--cipher AES128-GCM-SHA256 (RSA key exchange)');
  const help = '"npx typetls demo --help" lists every option.';
  if (others.length === 0) return `More: ${help}`;
  return `More: npm start -- ${others.join(', ')}. They combine (--tls13 --resume); ${help}`;
}

