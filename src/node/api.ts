// The node:tls-compatible API: connect(), createServer(), createSecureContext(),
// checkServerIdentity(), and a small https helper.

import * as http from 'node:http';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { rootCertificates as nodeRootCertificates } from 'node:tls';
import { suiteByName } from '../suites.js';
import { expandCipherString, tls13SuiteNames } from '../cipher-string.js';
import { DEFAULT_MAX_VERSION, DEFAULT_MIN_VERSION, SecureContext, codedError, getDefaultCiphers, type TlsOptions } from './options.js';
import type { PeerCertificate } from './peer-certificate.js';
import { TLSSocket, type TLSSocketOptions } from './socket.js';
import { validateServerPskOptions, validateSocketPskCallback } from './psk.js';

export { DEFAULT_MAX_VERSION, DEFAULT_MIN_VERSION, SecureContext, TLSSocket };

/** node's default cipher string (tls.DEFAULT_CIPHERS): what `ciphers` is when not given. */
export const DEFAULT_CIPHERS: string = getDefaultCiphers();
export type { TlsOptions, TLSSocketOptions, PeerCertificate };

/** The trusted roots node:tls ships (Mozilla's), as PEM strings. */
export const rootCertificates: readonly string[] = nodeRootCertificates;

/**
 * The cipher suites as node:tls lists them (its OpenSSL's DEFAULT list and the five TLS 1.3
 * suites, lower-case OpenSSL names, sorted), less those typetls does not implement.
 */
export function getCiphers(): string[] {
  const names = [...tls13SuiteNames, ...expandCipherString('DEFAULT').ciphers.map((c) => c.name)];
  return [...new Set(names.filter((n) => suiteByName(n) !== undefined).map((n) => n.toLowerCase()))].sort();
}

export function createSecureContext(options: TlsOptions = {}): SecureContext {
  return new SecureContext(options);
}

export interface ConnectionOptions extends TLSSocketOptions {
  host?: string;
  port?: number;
  /** An already-open transport to run TLS over (STARTTLS); no new TCP connection is made. */
  socket?: Duplex;
  localAddress?: string;
  localPort?: number;
  family?: number;
  timeout?: number;
}

type SecureConnectListener = () => void;

/**
 * node:tls connect(): connect(options[, callback]) or connect(port[, host][, options][, callback]).
 * The callback is a one-time 'secureConnect' listener.
 */
export function connect(options: ConnectionOptions, callback?: SecureConnectListener): TLSSocket;
export function connect(port: number, host?: string, options?: ConnectionOptions, callback?: SecureConnectListener): TLSSocket;
export function connect(port: number, options?: ConnectionOptions, callback?: SecureConnectListener): TLSSocket;
export function connect(...args: unknown[]): TLSSocket {
  const { options, callback } = normalizeConnectArgs(args);
  // Checked before any connection is made, as node checks it when it makes the socket.
  validateSocketPskCallback(options.pskCallback);
  checkMinDHSize(options);
  // As node: the options are checked (the context made) before any connection is opened.
  const secureContext = options.secureContext ?? new SecureContext(options);
  let transport = options.socket;
  if (!transport) {
    if (options.port === undefined) throw codedError('ERR_MISSING_ARGS', 'connect() needs a port or a socket', 'TypeError');
    transport = net.connect({
      host: options.host ?? 'localhost',
      port: options.port,
      allowHalfOpen: true,
      ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      ...(options.localPort !== undefined ? { localPort: options.localPort } : {}),
      ...(options.family !== undefined ? { family: options.family } : {}),
    });
  }
  const socket = new TLSSocket(transport, {
    ...options,
    secureContext,
    isServer: false,
    host: options.host ?? 'localhost',
    ...(options.socket
      ? {}
      : {
          connectOptions: {
            host: options.host,
            port: options.port,
            localAddress: options.localAddress,
            allowHalfOpen: (options as { allowHalfOpen?: boolean }).allowHalfOpen,
          },
        }),
  });
  // node: the socket's errors are the program's from here on (no '_tlsError' shield).
  socket._releaseControl();
  socket._start();
  if (options.timeout !== undefined) socket.setTimeout(options.timeout);
  if (callback) socket.once('secureConnect', callback);
  return socket;
}

/**
 * node checks minDHSize (default 1024) with its internal assertions. typetls's client takes only
 * primes of 2048 bits or more whatever the value (the option is checked, not otherwise used).
 */
function checkMinDHSize(options: ConnectionOptions): void {
  if (!Object.hasOwn(options, 'minDHSize')) return;
  const value = (options as { minDHSize?: unknown }).minDHSize;
  const problem = typeof value !== 'number' ? 'is not a number' : !(value > 0) ? 'is not a positive number' : undefined;
  if (problem === undefined) return;
  throw codedError(
    'ERR_INTERNAL_ASSERTION',
    `options.minDHSize ${problem}: ${String(value)}\nThis is caused by either a bug in Node.js or incorrect usage of Node.js internals.\n` +
      'Please open an issue with this stack trace at https://github.com/nodejs/node/issues\n',
  );
}

function normalizeConnectArgs(args: unknown[]): { options: ConnectionOptions; callback: SecureConnectListener | undefined } {
  const callback = typeof args[args.length - 1] === 'function' ? (args.pop() as SecureConnectListener) : undefined;
  if (typeof args[0] === 'object' && args[0] !== null) return { options: { ...(args[0] as ConnectionOptions) }, callback };
  const port = Number(args[0]);
  let host: string | undefined;
  let rest: ConnectionOptions = {};
  if (typeof args[1] === 'string') {
    host = args[1];
    rest = (args[2] as ConnectionOptions | undefined) ?? {};
  } else if (typeof args[1] === 'object' && args[1] !== null) {
    rest = args[1] as ConnectionOptions;
  }
  return { options: { ...rest, port, ...(host !== undefined ? { host } : {}) }, callback };
}

export interface TlsServerOptions extends TlsOptions, net.ServerOpts {
  secureContext?: SecureContext;
  /** Milliseconds a client has to finish the handshake (node: 120000). */
  handshakeTimeout?: number;
}

/**
 * node:tls Server: a net.Server that wraps each accepted socket in a server TLSSocket.
 * Events: 'secureConnection' (tlsSocket), 'tlsClientError' (err, tlsSocket) for a client whose
 * handshake fails (the server keeps serving), 'keylog' (line, tlsSocket).
 */
export class Server extends net.Server {
  #options: TlsServerOptions;
  #context: SecureContext;

  constructor(options: TlsServerOptions = {}, secureConnectionListener?: (socket: TLSSocket) => void) {
    super({
      allowHalfOpen: true,
      ...(options.pauseOnConnect !== undefined ? { pauseOnConnect: options.pauseOnConnect } : {}),
      ...(options.noDelay !== undefined ? { noDelay: options.noDelay } : {}),
      ...(options.keepAlive !== undefined ? { keepAlive: options.keepAlive } : {}),
    });
    // node checks these when the server is made.
    validateServerPskOptions(options);
    this.#options = { ...options };
    this.#context = options.secureContext ?? new SecureContext(options);
    // Checked now, as node does: a server without a certificate fails at creation.
    void this.#context.serverConfig;
    this.on('connection', (raw: net.Socket) => this.#onConnection(raw));
    if (secureConnectionListener) this.on('secureConnection', secureConnectionListener);
  }

  /**
   * Replaces the certificates, keys and other TLS options for new connections. The ticket keys
   * carry over, as in node: `ticketKeys` among the options is installed as by setTicketKeys().
   */
  setSecureContext(options: TlsOptions): void {
    const ring = this.#context.serverConfig.ticketKeyRing;
    // The new options on top of those the current context was made from (as node merges them).
    const context = new SecureContext({ ...this.#context.options, ...options }, { ticketKeyRing: ring });
    void context.serverConfig;
    if (options.ticketKeys !== undefined) ring.install(options.ticketKeys);
    this.#context = context;
  }

  /** The 48 bytes sealing session tickets now (node: getTicketKeys()). */
  getTicketKeys(): Buffer {
    return Buffer.from(this.#context.serverConfig.ticketKeyRing.current());
  }

  /**
   * Makes `keys` (48 bytes) the key that seals new tickets (node: setTicketKeys()). The key it
   * replaces still opens tickets, so a fleet rolling its shared key keeps resuming the tickets
   * issued just before; the one before that opens nothing. The server stops rotating keys of its own.
   */
  setTicketKeys(keys: Uint8Array): void {
    this.#context.serverConfig.ticketKeyRing.install(keys);
  }

  /** node: what cluster workers share through the primary: the ticket keys, so every worker resumes every session. */
  _getServerData(): { ticketKeys: string } {
    return { ticketKeys: this.getTicketKeys().toString('hex') };
  }

  /** node: a cluster worker takes the ticket keys of the first worker listening on the same address. */
  _setServerData(data: { ticketKeys: string }): void {
    this.setTicketKeys(Buffer.from(data.ticketKeys, 'hex'));
  }

  /**
   * events.captureRejections: an async 'secureConnection' handler that rejects destroys that
   * socket with the error, as node's tls.Server does; other events go to net.Server's handling.
   */
  [Symbol.for('nodejs.rejection')](err: Error, event: string, ...args: unknown[]): void {
    if (event === 'secureConnection') {
      (args[0] as TLSSocket).destroy(err);
      return;
    }
    const base = (net.Server.prototype as unknown as Record<symbol, ((...a: unknown[]) => void) | undefined>)[Symbol.for('nodejs.rejection')];
    if (base) base.call(this, err, event, ...args);
    else this.emit('error', err);
  }

  #onConnection(raw: net.Socket): void {
    let socket: TLSSocket;
    try {
      socket = new TLSSocket(raw, {
        isServer: true,
        server: this,
        secureContext: this.#context,
        // node passes the server's pskCallback and hint to each socket.
        ...(this.#options.pskCallback ? { pskCallback: this.#options.pskCallback } : {}),
        ...(this.#options.pskIdentityHint ? { pskIdentityHint: this.#options.pskIdentityHint } : {}),
      });
      // The TCP socket stays half open for close_notify; the TLS socket follows the server's option (node: false).
      socket.allowHalfOpen = this.#options.allowHalfOpen === true;
    } catch (e) {
      raw.destroy();
      this.emit('tlsClientError', e, undefined);
      return;
    }
    let secure = false;
    const timeoutMs = this.#options.handshakeTimeout ?? 120_000;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            socket.destroy(codedError('ERR_TLS_HANDSHAKE_TIMEOUT', 'TLS handshake timeout'));
          }, timeoutMs)
        : undefined;
    timer?.unref();
    // Before the handshake completes, a failure is the client's: report it (once) and keep
    // serving; the socket's own '_tlsError' shield keeps it from the socket's 'error'.
    // A listener stays afterwards (as in node), so a socket error never takes the server down.
    let reported = false;
    socket.on('_tlsError', (err: Error) => {
      if (secure || reported) return;
      reported = true;
      this.emit('tlsClientError', err, socket);
    });
    socket.on('error', () => {});
    socket.on('close', () => clearTimeout(timer));
    // node:tls: a server logs key material only when 'keylog' has a listener as the connection arrives.
    if (this.listenerCount('keylog') > 0) socket.on('keylog', (line: Buffer) => this.emit('keylog', line, socket));
    socket.once('secure', () => {
      secure = true;
      clearTimeout(timer);
      if (!socket.destroyed && socket._releaseControl()) this.emit('secureConnection', socket);
    });
  }
}

export function createServer(secureConnectionListener?: (socket: TLSSocket) => void): Server;
export function createServer(options?: TlsServerOptions, secureConnectionListener?: (socket: TLSSocket) => void): Server;
export function createServer(
  a?: TlsServerOptions | ((socket: TLSSocket) => void),
  b?: (socket: TLSSocket) => void,
): Server {
  return typeof a === 'function' ? new Server({}, a) : new Server(a ?? {}, b);
}

/**
 * An HTTPS server on typetls: each secure connection is handed to an http.Server, the way
 * node's https.createServer does over node:tls. Listen and close through the returned TLS
 * server; its `httpServer` is the http.Server receiving the connections.
 */
export function createHttpsServer(
  options: TlsServerOptions,
  requestListener?: http.RequestListener,
): Server & { readonly httpServer: http.Server } {
  const tlsServer = new Server({ ALPNProtocols: ['http/1.1'], ...options });
  const httpServer = requestListener ? http.createServer(requestListener) : http.createServer();
  tlsServer.on('secureConnection', (socket: TLSSocket) => httpServer.emit('connection', socket));
  return Object.assign(tlsServer, { httpServer });
}

// --- checkServerIdentity: node's algorithm over node's certificate object -----------------

function unfqdn(host: string): string {
  return host.replace(/[.]$/, '');
}

function splitHost(host: string): string[] {
  return unfqdn(host).toLowerCase().split('.');
}

/** RFC 6125 Section 6.4.3 as node applies it: one wildcard, left-most label, at least three labels. */
function matchesHost(hostParts: string[], pattern: string): boolean {
  if (!pattern) return false;
  const patternParts = splitHost(pattern);
  if (hostParts.length !== patternParts.length) return false;
  if (patternParts.includes('')) return false;
  if (patternParts.some((p) => /[^\u0021-\u007F]/u.test(p))) return false;
  for (let i = hostParts.length - 1; i > 0; i -= 1) if (hostParts[i] !== patternParts[i]) return false;
  const hostSubdomain = hostParts[0]!;
  const patternSubdomain = patternParts[0]!;
  const pieces = patternSubdomain.split('*', 3);
  if (pieces.length === 1 || patternSubdomain.includes('xn--')) return hostSubdomain === patternSubdomain;
  if (pieces.length > 2 || patternParts.length <= 2) return false;
  const [prefix, suffix] = pieces as [string, string];
  if (prefix.length + suffix.length > hostSubdomain.length) return false;
  return hostSubdomain.startsWith(prefix) && hostSubdomain.endsWith(suffix);
}

/** An IP address in one canonical text form (IPv6 compressed, lowercase); undefined for what is no address. */
function canonicalizeIp(ip: string): string | undefined {
  if (net.isIPv4(ip)) return ip;
  if (net.isIPv6(ip)) {
    try {
      return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
    } catch {
      return ip.toLowerCase();
    }
  }
  return undefined;
}

function splitAltNames(altNames: string): string[] {
  if (!altNames.includes('"')) return altNames.split(', ');
  // Quoted entries (node escapes names holding ", " or quotes) are kept whole.
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < altNames.length; i++) {
    const c = altNames[i]!;
    if (quoted && c === '\\' && i + 1 < altNames.length) current += altNames[++i]!;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && altNames.startsWith(', ', i)) {
      out.push(current);
      current = '';
      i++;
    } else current += c;
  }
  out.push(current);
  return out;
}

/**
 * node:tls checkServerIdentity(hostname, cert): undefined when `cert` (a getPeerCertificate()
 * object) is valid for `hostname`, else an Error with code ERR_TLS_CERT_ALTNAME_INVALID.
 */
export function checkServerIdentity(hostname: string, cert: PeerCertificate): Error | undefined {
  const subject = cert.subject as Record<string, string | string[]> | undefined;
  const altNames = cert.subjectaltname;
  const dnsNames: string[] = [];
  // node keeps an entry that is no address as a hole: it shows as nothing in the reason.
  const ips: (string | undefined)[] = [];
  if (altNames) {
    for (const name of splitAltNames(altNames)) {
      if (name.startsWith('DNS:')) dnsNames.push(name.slice(4));
      else if (name.startsWith('IP Address:')) ips.push(canonicalizeIp(name.slice(11)));
    }
  }
  let valid = false;
  let reason = 'Unknown reason';
  const host = unfqdn(String(hostname));
  if (net.isIP(host)) {
    valid = ips.includes(canonicalizeIp(host));
    if (!valid) reason = `IP: ${host} is not in the cert's list: ${ips.join(', ')}`;
  } else if (dnsNames.length > 0 || subject?.CN) {
    const hostParts = splitHost(host);
    if (dnsNames.length > 0) {
      valid = dnsNames.some((p) => matchesHost(hostParts, p));
      if (!valid) reason = `Host: ${host}. is not in the cert's altnames: ${altNames}`;
    } else {
      const cn = subject!.CN!;
      valid = Array.isArray(cn) ? cn.some((p) => matchesHost(hostParts, p)) : matchesHost(hostParts, cn);
      if (!valid) reason = `Host: ${host}. is not cert's CN: ${cn}`;
    }
  } else {
    reason = 'Cert does not contain a DNS name';
  }
  if (valid) return undefined;
  const err = codedError('ERR_TLS_CERT_ALTNAME_INVALID', `Hostname/IP does not match certificate's altnames: ${reason}`) as Error & {
    code: string;
    reason: string;
    host: string;
    cert: PeerCertificate;
  };
  err.reason = reason;
  err.host = host;
  err.cert = cert;
  return err;
}
