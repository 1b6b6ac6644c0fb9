#!/usr/bin/env node
// typetls: the command line (shared/interop-contract.md).
//   typetls server --host 127.0.0.1 --port P --cert c.pem --key k.pem [...]
//   typetls client HOST:PORT [...]
//   typetls demo [...]
//   typetls verify [--ca roots.pem] [--untrusted chain.pem] [--host NAME] cert.pem

import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP, type Socket } from 'node:net';
import {
  clientCommand,
  demoCommand,
  formatHelp,
  formatUsageError,
  parseArgs,
  parseHostPort,
  parsePort,
  serverCommand,
  tlsVersion,
  topCommand,
  UsageError,
  verifyCommand,
  type CommandSpec,
  type ParsedArgs,
} from './args.js';
import { ownCipherString } from '../suites.js';
import { runDemo } from './demo.js';
import { describeConnection, describeError, loadTlsApi, serveHttpOrEcho, type CliTlsSocket } from './http.js';
import { createRenderer } from './render.js';
import { runVerify } from './verify.js';

/** How long the client waits for the handshake. */
const handshakeTimeoutMs = 30_000;

const say = (line: string) => process.stderr.write(`${line}\n`);

/** Reads a file named on the command line; the error names the option. */
function readOption(option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw Object.assign(new Error(`cannot read ${option} ${path}: ${(e as Error).message}`), { code: typeof code === 'string' ? code : 'EINVAL' });
  }
}

/** The options both roles share, in node:tls names (only those given). */
function commonTlsOptions(args: ParsedArgs): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  const min = tlsVersion(args.get('min-version'));
  const max = tlsVersion(args.get('max-version'));
  if (min) options['minVersion'] = min;
  if (max) options['maxVersion'] = max;
  if (min && max && min > max) throw new UsageError('--min-version is above --max-version', args.command);
  // Without --ciphers, typetls's own order (AES-128-GCM first), not node's default string.
  options['ciphers'] = args.get('ciphers') || ownCipherString;
  // A server allows DHE (with the RFC 7919 groups), which node's API leaves off without dhparam.
  options['dhparam'] = 'auto';
  const groups = args.get('groups');
  if (groups) options['ecdhCurve'] = groups;
  const alpn = args.get('alpn');
  if (alpn) {
    const list = alpn.split(',').map((p) => p.trim());
    if (list.some((p) => p === '')) throw new UsageError('--alpn has an empty protocol name', args.command);
    options['ALPNProtocols'] = list;
  }
  if (args.has('trace')) options['trace'] = createRenderer(process.stderr);
  // The command line holds certificates to the CA/Browser Forum profile, as typetls's own API does.
  options['certificateProfile'] = 'webpki';
  const crls = args.all('crl');
  if (crls.length > 0) options['crl'] = crls.map((f) => readOption('--crl', f));
  const psk = pskKey(args);
  const identity = args.get('psk-identity') ?? 'Client_identity';
  if (psk && args.command.name === 'server') {
    options['pskCallback'] = (_socket: unknown, id: string) => (id === identity ? psk : null);
    const hint = args.get('psk-hint');
    if (hint) options['pskIdentityHint'] = hint;
  } else if (psk) {
    options['pskCallback'] = () => ({ psk, identity });
  }
  return options;
}

/** --psk: 1 to 512 bytes in hex (node's and OpenSSL's limit). */
function pskKey(args: ParsedArgs): Buffer | undefined {
  const hex = args.get('psk');
  if (hex === undefined) return undefined;
  if (!/^([0-9a-fA-F]{2}){1,512}$/.test(hex)) throw new UsageError('--psk takes 1 to 512 bytes in hex (an even number of hex digits)', args.command);
  return Buffer.from(hex, 'hex');
}

function keylogWriter(path: string): (line: Uint8Array | string) => void {
  return (line) => {
    const text = typeof line === 'string' ? line : Buffer.from(line).toString('latin1');
    appendFileSync(path, text.endsWith('\n') ? text : `${text}\n`);
  };
}

// ---------------------------------------------------------------------------
// server

async function runServer(args: ParsedArgs): Promise<number> {
  const certs = args.all('cert');
  const keys = args.all('key');
  const pskOnly = args.get('psk') !== undefined && certs.length === 0 && keys.length === 0;
  if (!pskOnly && (certs.length === 0 || keys.length === 0)) throw new UsageError('--cert and --key are required (or --psk alone)', args.command);
  if (certs.length !== keys.length) throw new UsageError(`${certs.length} --cert but ${keys.length} --key: give them in pairs`, args.command);
  const host = args.get('host') ?? '127.0.0.1';
  const port = parsePort(args.get('port') ?? '4433');

  const options = commonTlsOptions(args);
  options['cert'] = certs.map((c) => readOption('--cert', c));
  options['key'] = keys.map((k) => readOption('--key', k));
  const ca = args.get('ca');
  if (ca) options['ca'] = readOption('--ca', ca);
  if (args.has('request-cert')) {
    // The contract's --request-cert means required: no certificate, or one not from --ca, is refused.
    options['requestCert'] = true;
    options['rejectUnauthorized'] = true;
  }

  const api = await loadTlsApi();
  const open = new Set<CliTlsSocket>();
  const server = api.createServer(options, (socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', (e) => say(`connection from ${peer(socket)}: ${describeError(e)}`));
    serveHttpOrEcho(socket, () => describeConnection(socket));
  });
  const keylog = args.get('keylog');
  if (keylog) server.on('keylog', keylogWriter(keylog));
  // A refused or failed handshake never stops the server.
  server.on('tlsClientError', (e: unknown, socket?: CliTlsSocket) => {
    say(`handshake failed${socket ? ` with ${peer(socket)}` : ''}: ${describeError(e)}`);
    socket?.destroy();
  });
  const raw = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    raw.add(s);
    s.on('close', () => raw.delete(s));
  });

  return new Promise<number>((resolve) => {
    server.on('error', (e: unknown) => {
      say(`error: ${describeError(e)}`);
      resolve(1);
    });
    server.listen(port, host, () => {
      const address = server.address();
      const actual = address && typeof address === 'object' ? address.port : port;
      process.stdout.write(`listening on ${host}:${actual}\n`);
    });
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      server.close(() => resolve(0));
      // close_notify on every open connection; connections still in their handshake are dropped.
      for (const s of open) s.end();
      setTimeout(() => {
        for (const s of raw) s.destroy();
        resolve(0);
      }, 1500).unref();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

function peer(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  return socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : 'a client';
}

// ---------------------------------------------------------------------------
// client

async function runClient(args: ParsedArgs): Promise<number> {
  let target: { host: string; port: number };
  try {
    target = parseHostPort(args.positionals[0]!);
  } catch (e) {
    throw new UsageError((e as Error).message, args.command);
  }
  const options = commonTlsOptions(args);
  options['host'] = target.host;
  options['port'] = target.port;
  // Without --servername, HOST: a name is sent as SNI and verified; an IP is verified against IP SANs, no SNI.
  // (node's connect() sends SNI only for a servername, so a host name is passed as one.)
  const servername = args.get('servername') ?? (isIP(target.host) === 0 ? target.host : undefined);
  if (servername) options['servername'] = servername;
  const ca = args.get('ca');
  if (ca) options['ca'] = readOption('--ca', ca);
  const cert = args.get('cert');
  const key = args.get('key');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together', args.command);
  if (cert && key) {
    options['cert'] = readOption('--cert', cert);
    options['key'] = readOption('--key', key);
  }
  options['rejectUnauthorized'] = !args.has('insecure');
  if (args.has('require-ocsp')) options['requireOCSP'] = true;
  if (args.has('cn-fallback')) options['commonNameFallback'] = true;
  const sessIn = args.get('sess-in');
  if (sessIn) options['session'] = readOption('--sess-in', sessIn);
  const sessOut = args.get('sess-out');
  const keylog = args.get('keylog');

  const api = await loadTlsApi();
  return new Promise<number>((resolve) => {
    let connected = false;
    let failure: unknown;
    let sessionSaved = false;
    let done = false;

    const socket = api.connect(options, () => {
      connected = true;
      clearTimeout(timer);
      const cipher = socket.getCipher();
      say(
        `protocol=${socket.getProtocol()} cipher=${cipher?.standardName ?? cipher?.name} ` +
          `resumed=${socket.isSessionReused() ? 'yes' : 'no'} alpn=${socket.alpnProtocol || 'none'}`,
      );
      // stdin ends → end() → close_notify; reading goes on until the server closes.
      process.stdin.pipe(socket);
    });
    const timer = setTimeout(() => {
      failure = Object.assign(new Error(`the handshake did not finish within ${handshakeTimeoutMs / 1000} s`), { code: 'ETIMEDOUT' });
      socket.destroy();
    }, handshakeTimeoutMs);

    socket.pipe(process.stdout, { end: false });
    // Each 'session' event replaces the saved one. In TLS 1.3 tickets come after the handshake,
    // possibly after the first data; the client reads until the server closes, so none is missed.
    socket.on('session', (session: Uint8Array) => {
      if (!sessOut) return;
      writeFileSync(sessOut, session);
      sessionSaved = true;
    });
    if (keylog) socket.on('keylog', keylogWriter(keylog));
    socket.on('error', (e) => {
      failure ??= e;
    });
    socket.on('close', () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      process.stdin.unpipe(socket);
      if (failure === undefined && !connected) {
        failure = Object.assign(new Error('the connection closed before the handshake finished'), { code: 'ECONNRESET' });
      }
      if (failure !== undefined) {
        say(`error: ${describeError(failure)}`);
        resolve(1);
        return;
      }
      if (sessOut && !sessionSaved) {
        const session = socket.getSession();
        if (session) writeFileSync(sessOut, session);
        else say(`note: the server sent no session to save in ${sessOut}`);
      }
      resolve(0);
    });
  });
}

// ---------------------------------------------------------------------------
// dispatch

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  const byName: Record<string, CommandSpec> = { server: serverCommand, client: clientCommand, demo: demoCommand, verify: verifyCommand };
  try {
    if (name === undefined) {
      process.stderr.write(formatHelp(topCommand));
      return 2;
    }
    if (name === 'help') {
      const which = rest[0] === undefined ? topCommand : byName[rest[0]];
      if (!which) throw new UsageError(`unknown command '${rest[0]}'`, topCommand);
      process.stdout.write(formatHelp(which));
      return 0;
    }
    if (name.startsWith('-')) {
      const top = parseArgs(topCommand, argv);
      if (top.help) {
        process.stdout.write(formatHelp(topCommand));
        return 0;
      }
      if (top.has('version')) {
        process.stdout.write(`typetls ${version()}\n`);
        return 0;
      }
      throw new UsageError('a command is needed', topCommand);
    }
    const spec = byName[name];
    if (!spec) throw new UsageError(`unknown command '${name}'`, topCommand);
    const args = parseArgs(spec, rest);
    if (args.help) {
      process.stdout.write(formatHelp(spec));
      return 0;
    }
    switch (spec) {
      case serverCommand:
        return await runServer(args);
      case clientCommand:
        return await runClient(args);
      case verifyCommand:
        return await runVerify(args);
      default:
        return await runDemo(await loadTlsApi(), args, process.stdout);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(formatUsageError(e));
      return 2;
    }
    // The last stderr line names the failure: `error: CODE: message`.
    say(`error: ${describeError(e)}`);
    return 1;
  }
}

// A reader that stops early (`typetls demo | head`) closes the pipe: stop quietly, as other tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  say(`error: ${describeError(e)}`);
  process.exit(1);
});

const code = await main(process.argv.slice(2));
// Let stdout drain (a pipe may still hold the last bytes received), then exit even if stdin is still open.
process.stdout.write('', () => process.exit(code));
