// The node:tls-compatible API: connect(), createServer(), createSecureContext(),
// checkServerIdentity(), and a small https helper.

import * as http from 'node:http';
import * as net from 'node:net';
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { rootCertificates as nodeRootCertificates } from 'node:tls';
import { suiteByName } from '../suites.js';
import { expandCipherString, tls13SuiteNames } from '../cipher-string.js';
import { SecureContext, answersAtOnce, codedError, type TlsOptions } from './options.js';
import type { PeerCertificate } from './peer-certificate.js';
import { TLSSocket as TLSSocketClass, type TLSSocketOptions } from './socket.js';
import { DEFAULT_CIPHERS, DEFAULT_ECDH_CURVE, DEFAULT_MAX_VERSION, DEFAULT_MIN_VERSION, callableClass, tlsModule } from './tls-module.js';
import { invalidArgType, outOfRange, validateBinary, validateObject } from './validate.js';
import type { TicketKeyRing } from '../handshake/resumption.js';
import { validateServerPskOptions, validateSocketPskCallback } from './psk.js';

export { DEFAULT_CIPHERS, DEFAULT_ECDH_CURVE, DEFAULT_MAX_VERSION, DEFAULT_MIN_VERSION, SecureContext };
export type { TlsOptions, TLSSocketOptions, PeerCertificate };

/** node:tls TLSSocket, also callable without `new`. */
export const TLSSocket = callableClass(TLSSocketClass);
export type TLSSocket = TLSSocketClass;

/** node:tls: renegotiations a client may start within CLIENT_RENEG_WINDOW seconds (typetls refuses renegotiation). */
export const CLIENT_RENEG_LIMIT = 3;
export const CLIENT_RENEG_WINDOW = 600;

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

/**
 * The context for a connection or server made without `secureContext`: made through
 * tls.createSecureContext as the module holds it now, as node does, so a program that replaces
 * it sees every context made.
 */
export function contextFor(options: TlsOptions & { secureContext?: SecureContext }): SecureContext {
  if (options.secureContext) return options.secureContext;
  const create = (tlsModule.createSecureContext as typeof createSecureContext | undefined) ?? createSecureContext;
  return create(options);
}

/**
 * node:tls convertALPNProtocols(protocols, out): sets `out.ALPNProtocols` to the protocol list
 * in wire format (RFC 7301 Section 3.1), from an array of names or a copy of a buffer.
 */
export function convertALPNProtocols(protocols: unknown, out: { ALPNProtocols?: Buffer }): void {
  if (Array.isArray(protocols)) {
    const parts: Buffer[] = [];
    protocols.forEach((p: unknown, i) => {
      if (typeof p !== 'string' && !(p instanceof String) && !ArrayBuffer.isView(p) && !(p instanceof ArrayBuffer)) {
        throw invalidArgType('string', ['string', 'Buffer', 'ArrayBuffer'], p);
      }
      const bytes = ArrayBuffer.isView(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : Buffer.from(p as string);
      if (bytes.length > 255) {
        throw outOfRange(`The byte length of the protocol at index ${i} exceeds the maximum length.`, '<= 255', bytes.length, false);
      }
      parts.push(Buffer.from([bytes.length]), bytes);
    });
    out.ALPNProtocols = Buffer.concat(parts);
  } else if (ArrayBuffer.isView(protocols)) {
    out.ALPNProtocols = Buffer.from(protocols.buffer.slice(protocols.byteOffset, protocols.byteOffset + protocols.byteLength));
  }
}

export interface ConnectionOptions extends TLSSocketOptions {
  host?: string;
  port?: number;
  /** A Unix socket (or Windows pipe) to connect to; it takes precedence over `port`, as in node. */
  path?: string;
  /** An already-open transport to run TLS over (STARTTLS); no new TCP connection is made. */
  socket?: Duplex;
  localAddress?: string;
  localPort?: number;
  family?: number;
  /** dns.lookup() hints for the host name. */
  hints?: number;
  /** A dns.lookup()-shaped function resolving the host name. */
  lookup?: net.LookupFunction;
  timeout?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
}

type SecureConnectListener = () => void;

/** Whether connect() has warned of an IP address as `servername` (DEP0123, once per process as node). */
let ipServernameWarned = false;

/**
 * node:tls connect(): connect(options[, callback]), connect(port[, host][, options][, callback]) or
 * connect(path[, options][, callback]). The callback is a one-time 'secureConnect' listener.
 * The options go to net.Socket's connect() as well (path, host, port, lookup, hints, family,
 * localAddress, ...), so the TCP or Unix connection is made exactly as node makes it.
 */
export function connect(options?: ConnectionOptions, callback?: SecureConnectListener): TLSSocket;
export function connect(port: number, host?: string, options?: ConnectionOptions, callback?: SecureConnectListener): TLSSocket;
export function connect(port: number, options?: ConnectionOptions, callback?: SecureConnectListener): TLSSocket;
export function connect(path: string, options?: ConnectionOptions, callback?: SecureConnectListener): TLSSocket;
export function connect(...args: unknown[]): TLSSocket {
  const { options: given, callback } = normalizeConnectArgs(args);
  // Checked before any connection is made, as node checks it when it makes the socket.
  validateSocketPskCallback(given.pskCallback);
  checkMinDHSize(given);
  // As node: the cipher list and the identity check are the module's as they are now.
  const options: ConnectionOptions = { ciphers: tlsModule.DEFAULT_CIPHERS, ...given };
  if (options.checkServerIdentity === undefined && tlsModule.checkServerIdentity !== checkServerIdentity && tlsModule.checkServerIdentity) {
    options.checkServerIdentity = tlsModule.checkServerIdentity as typeof checkServerIdentity;
  }
  if (options.checkServerIdentity !== undefined && typeof options.checkServerIdentity !== 'function') {
    throw invalidArgType('options.checkServerIdentity', 'Function', options.checkServerIdentity);
  }
  const secureContext = contextFor(options);
  const socket = new TLSSocket(options.socket ?? null, {
    ...options,
    secureContext,
    rejectUnauthorized: options.rejectUnauthorized !== false,
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
  if (options.servername && !ipServernameWarned && net.isIP(options.servername)) {
    // node warns once per process (DEP0123); the address is still checked against the certificate.
    ipServernameWarned = true;
    process.emitWarning(
      'Setting the TLS ServerName to an IP address is not permitted by RFC 6066. This will be ignored in a future version.',
      'DeprecationWarning',
      'DEP0123',
    );
  }
  // node: the socket's errors are the program's from here on (no '_tlsError' shield).
  socket._releaseControl();
  if (callback) socket.once('secureConnect', callback);
  if (!options.socket) {
    if (options.timeout) socket.setTimeout(options.timeout);
    socket.connect(options);
  } else {
    socket._start();
  }
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

/** A string that is not a number names a pipe or Unix socket (net's isPipeName). */
const isPipeName = (s: unknown): s is string => typeof s === 'string' && Number.isNaN(Number(s));

/**
 * node's normalizeConnectArgs: net's (options | port[, host] | path) then the TLS options, taken
 * from the second or third argument; an explicit options.host wins over the host argument.
 */
function normalizeConnectArgs(args: unknown[]): { options: ConnectionOptions; callback: SecureConnectListener | undefined } {
  const last = args[args.length - 1];
  const callback = typeof last === 'function' ? (last as SecureConnectListener) : undefined;
  const [a0, a1, a2] = args;
  let options: ConnectionOptions = {};
  if (typeof a0 === 'object' && a0 !== null) options = { ...(a0 as ConnectionOptions) };
  else if (isPipeName(a0)) options.path = a0;
  else if (args.length > 0 && typeof a0 !== 'function') {
    options.port = a0 as number;
    if (typeof a1 === 'string') options.host = a1;
  }
  if (a1 !== null && typeof a1 === 'object') Object.assign(options, a1);
  else if (a2 !== null && typeof a2 === 'object') Object.assign(options, a2);
  return { options, callback };
}

export interface TlsServerOptions extends TlsOptions, net.ServerOpts {
  secureContext?: SecureContext;
  /** Milliseconds a client has to finish the handshake (node: 120000). */
  handshakeTimeout?: number;
}

/** The options node's Server keeps as its own properties and makes its context from (setSecureContext). */
const contextOptionNames = [
  'pfx', 'key', 'passphrase', 'cert', 'clientCertEngine', 'ca', 'minVersion', 'maxVersion', 'secureProtocol', 'crl',
  'sigalgs', 'ciphers', 'ecdhCurve', 'dhparam', 'honorCipherOrder', 'secureOptions', 'sessionIdContext',
  'privateKeyIdentifier', 'privateKeyEngine',
] as const;

/** server.addContext(): hostname patterns, '*' standing for one label as in node. */
function hostnamePattern(servername: string): RegExp {
  const escaped = servername.replace(/([.^$+?\-\\[\]{}])/g, '\\$1').replaceAll('*', '[^.]*');
  return new RegExp(`^${escaped}$`);
}

/**
 * node:tls Server: a net.Server that wraps each accepted socket in a server TLSSocket.
 * Events: 'secureConnection' (tlsSocket), 'tlsClientError' (err, tlsSocket) for a client whose
 * handshake fails (the server keeps serving), 'keylog' (line, tlsSocket).
 *
 * As in node, a server may start without any certificate (for `SNICallback`, addContext() or a
 * later setSecureContext()): a handshake that finds no certificate for the client fails alone.
 */
class TlsServer extends net.Server {
  /** node: the (hostname pattern, context) pairs of addContext(), the last added tried first. */
  readonly _contexts: [RegExp, SecureContext][] = [];
  requestCert: boolean;
  rejectUnauthorized: boolean;
  sessionTimeout: number | undefined;
  ticketKeys: Uint8Array | undefined;
  ALPNProtocols: Buffer | undefined;
  _sharedCreds!: SecureContext;
  readonly #handshakeTimeout: number;
  readonly #sniCallback: TlsOptions['SNICallback'];
  readonly #alpnProtocols: TlsOptions['ALPNProtocols'];
  readonly #alpnCallback: TlsOptions['ALPNCallback'];
  readonly #secureContextOption: SecureContext | undefined;
  readonly #pskCallback: TlsOptions['pskCallback'];
  readonly #pskIdentityHint: string | undefined;

  constructor(options?: TlsServerOptions | ((socket: TLSSocket) => void) | null, secureConnectionListener?: (socket: TLSSocket) => void) {
    if (typeof options === 'function') {
      secureConnectionListener = options;
      options = {};
    } else if (options === undefined || options === null) {
      options = {};
    } else if (typeof options !== 'object') {
      throw invalidArgType('options', 'Object', options);
    }
    const opts: TlsServerOptions = options;
    // net.Server's own options: the TCP sockets are always half-open underneath (TLS ends the
    // stream with close_notify); each TLSSocket gets the server's allowHalfOpen.
    super({
      allowHalfOpen: opts.allowHalfOpen === true,
      pauseOnConnect: opts.pauseOnConnect === true,
      noDelay: opts.noDelay === true,
      keepAlive: opts.keepAlive === true,
      ...(opts.keepAliveInitialDelay !== undefined ? { keepAliveInitialDelay: opts.keepAliveInitialDelay } : {}),
      ...(opts.highWaterMark !== undefined ? { highWaterMark: opts.highWaterMark } : {}),
    });
    // node checks these when the server is made.
    validateServerPskOptions(opts);
    this.#pskCallback = opts.pskCallback;
    this.#pskIdentityHint = opts.pskIdentityHint;
    this.requestCert = opts.requestCert === true;
    this.rejectUnauthorized = opts.rejectUnauthorized !== false;
    this.sessionTimeout = opts.sessionTimeout || undefined;
    this.ticketKeys = opts.ticketKeys || undefined;
    this.#alpnProtocols = opts.ALPNProtocols;
    if (opts.ALPNProtocols) convertALPNProtocols(opts.ALPNProtocols, this);
    // node: checked here for exclusivity only; each socket checks that it is a function.
    this.#alpnCallback = opts.ALPNCallback ?? undefined;
    if (this.#alpnCallback && opts.ALPNProtocols) {
      throw codedError('ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS', 'The ALPNCallback and ALPNProtocols TLS options are mutually exclusive', 'TypeError');
    }
    this.#secureContextOption = opts.secureContext;
    this.#handshakeTimeout = opts.handshakeTimeout ?? 120_000;
    if (typeof this.#handshakeTimeout !== 'number') throw invalidArgType('options.handshakeTimeout', 'number', this.#handshakeTimeout);
    if (opts.SNICallback !== undefined && opts.SNICallback !== null && typeof opts.SNICallback !== 'function') {
      throw invalidArgType('options.SNICallback', 'function', opts.SNICallback);
    }
    this.#sniCallback = opts.SNICallback || undefined;
    this.#install(opts, undefined);
    this.on('connection', (raw: net.Socket) => this.#onConnection(raw));
    if (secureConnectionListener) this.on('secureConnection', secureConnectionListener);
  }

  /** The context options become the server's properties, and its context is made from them. */
  #install(options: TlsServerOptions, ring: TicketKeyRing | undefined): void {
    const self = this as unknown as Record<string, unknown>;
    for (const name of contextOptionNames) self[name] = (options as Record<string, unknown>)[name] || undefined;
    self.honorCipherOrder = options.honorCipherOrder !== undefined ? !!options.honorCipherOrder : true;
    const contextOptions: TlsServerOptions = {
      ...options,
      requestCert: this.requestCert,
      rejectUnauthorized: this.rejectUnauthorized,
      ...(this.sessionTimeout !== undefined ? { sessionTimeout: this.sessionTimeout } : {}),
      ...(this.ticketKeys !== undefined ? { ticketKeys: this.ticketKeys } : {}),
    };
    if (ring === undefined) {
      this._sharedCreds = this.#secureContextOption ?? contextFor({ ...contextOptions, secureContext: undefined });
      if (this.ticketKeys !== undefined) this.setTicketKeys(this.ticketKeys);
    } else {
      this._sharedCreds = new SecureContext(contextOptions, { ticketKeyRing: ring });
    }
  }

  /**
   * Replaces the certificates, keys and other TLS options for new connections, as node does:
   * the context is made from these options alone. The ticket keys carry over (`ticketKeys`
   * among the options is installed as by setTicketKeys()), so tickets issued before still resume.
   */
  setSecureContext(options: TlsOptions): void {
    validateObject(options, 'options');
    const ring = this._sharedCreds.serverConfig.ticketKeyRing;
    this.#install(options, ring);
    if (options.ticketKeys) this.setTicketKeys(options.ticketKeys);
  }

  /**
   * node: addContext(hostname, context) serves `context` (a SecureContext or the options of one)
   * to clients asking for `hostname` by SNI; '*' matches one label. The last match added wins.
   */
  addContext(servername: string, context: SecureContext | TlsOptions): void {
    if (!servername) {
      throw codedError('ERR_TLS_REQUIRED_SERVER_NAME', '"servername" is required parameter for Server.addContext');
    }
    const secureContext = context instanceof SecureContext ? context : contextFor(context as TlsOptions);
    this._contexts.push([hostnamePattern(servername), secureContext]);
  }

  /** The SNI lookup over addContext()'s contexts (node's default SNICallback). */
  #contextForName = answersAtOnce((servername: string, callback: (err: Error | null, ctx?: SecureContext) => void): void => {
    for (let i = this._contexts.length - 1; i >= 0; i--) {
      const [pattern, context] = this._contexts[i]!;
      if (pattern.test(servername)) {
        callback(null, context);
        return;
      }
    }
    callback(null, undefined);
  });

  /** The 48 bytes sealing session tickets now (node: getTicketKeys()). */
  getTicketKeys(): Buffer {
    return Buffer.from(this._sharedCreds.serverConfig.ticketKeyRing.current());
  }

  /**
   * Makes `keys` (48 bytes) the key that seals new tickets (node: setTicketKeys()). The key it
   * replaces still opens tickets, so a fleet rolling its shared key keeps resuming the tickets
   * issued just before; the one before that opens nothing. The server stops rotating keys of its own.
   */
  setTicketKeys(keys: Uint8Array): void {
    validateBinary(keys, 'buffer');
    if ((keys as ArrayBufferView).byteLength !== 48) {
      throw codedError('ERR_INVALID_ARG_VALUE', 'Session ticket keys must be a 48-byte buffer', 'TypeError');
    }
    const view = keys as ArrayBufferView;
    this._sharedCreds.serverConfig.ticketKeyRing.install(new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice());
  }

  /** node (deprecated, DEP0122): setOptions() sets the server's options as properties. */
  setOptions(options: Record<string, unknown>): void {
    process.emitWarning('Server.prototype.setOptions() is deprecated', 'DeprecationWarning', 'DEP0122');
    const self = this as unknown as Record<string, unknown>;
    for (const name of ['requestCert', 'rejectUnauthorized', 'clientCertEngine', ...contextOptionNames]) {
      if (options[name] !== undefined) self[name] = options[name];
    }
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
    const allowHalfOpen = raw.allowHalfOpen;
    raw.allowHalfOpen = true;
    const pauseOnConnect = (this as { pauseOnConnect?: boolean }).pauseOnConnect === true;
    let socket: TLSSocket;
    try {
      socket = new TLSSocket(raw, {
        isServer: true,
        server: this,
        secureContext: this._sharedCreds,
        requestCert: this.requestCert,
        rejectUnauthorized: this.rejectUnauthorized,
        ...(this.#alpnProtocols !== undefined ? { ALPNProtocols: this.#alpnProtocols } : {}),
        ...(this.#alpnCallback !== undefined ? { ALPNCallback: this.#alpnCallback } : {}),
        SNICallback: this.#sniCallback ?? this.#contextForName,
        allowHalfOpen,
        pauseOnConnect,
        // node passes the server's pskCallback and hint to each socket.
        ...(this.#pskCallback ? { pskCallback: this.#pskCallback } : {}),
        ...(this.#pskIdentityHint ? { pskIdentityHint: this.#pskIdentityHint } : {}),
      });
      // The TCP socket stays half open for close_notify; the TLS socket follows the server's option (node: false).
      socket.allowHalfOpen = allowHalfOpen === true;
    } catch (e) {
      raw.destroy();
      this.emit('tlsClientError', e, undefined);
      return;
    }
    // pauseOnConnect pauses the TLSSocket for the application; the handshake still runs.
    if (pauseOnConnect) raw.resume();
    let secure = false;
    const timeoutMs = this.#handshakeTimeout;
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

/** node:tls Server, also callable without `new`. */
export const Server = callableClass(TlsServer);
export type Server = TlsServer;

export function createServer(secureConnectionListener?: (socket: TLSSocket) => void): Server;
export function createServer(options?: TlsServerOptions, secureConnectionListener?: (socket: TLSSocket) => void): Server;
export function createServer(
  a?: TlsServerOptions | ((socket: TLSSocket) => void) | null,
  b?: (socket: TLSSocket) => void,
): Server {
  return new Server(a, b);
}

/** Two streams joined in memory: what one is written, the other reads. */
function duplexPair(): [Duplex, Duplex] {
  const sides: Duplex[] = [];
  const side = (other: () => Duplex): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        other().push(chunk);
        callback();
      },
      final(callback) {
        other().push(null);
        callback();
      },
    });
  sides.push(side(() => sides[1]!), side(() => sides[0]!));
  return [sides[0]!, sides[1]!];
}

let securePairWarned = false;

/**
 * node's deprecated createSecurePair() (DEP0064): `cleartext`, a TLSSocket, runs over
 * `encrypted`, the stream carrying the TLS records. Use TLSSocket instead.
 */
export function createSecurePair(
  secureContext?: SecureContext,
  isServer = false,
  requestCert = !isServer,
  rejectUnauthorized = false,
  options: TLSSocketOptions = {},
): EventEmitter & { encrypted: Duplex; cleartext: TLSSocket; credentials: SecureContext; server: net.Server | undefined; destroy(): void } {
  if (!securePairWarned) {
    securePairWarned = true;
    process.emitWarning('tls.createSecurePair() is deprecated. Please use tls.TLSSocket instead.', 'DeprecationWarning', 'DEP0064');
  }
  const context = secureContext ?? contextFor({});
  const [encrypted, inner] = duplexPair();
  const cleartext = new TLSSocket(inner, { ...options, secureContext: context, isServer, requestCert, rejectUnauthorized });
  const pair = Object.assign(new EventEmitter(), {
    encrypted,
    cleartext,
    credentials: context,
    server: options.server,
    destroy(): void {
      cleartext.destroy();
      encrypted.destroy();
    },
  });
  cleartext.once('secure', () => pair.emit('secure'));
  return pair;
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
