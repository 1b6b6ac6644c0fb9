// TLSSocket: a node:tls-compatible Duplex that drives a sans-I/O Connection over any Duplex
// transport (a net.Socket by default, or any stream: STARTTLS, in-memory pairs).
//
// The loop, as in the engine's own sketch: transport 'data' → conn.receive(), conn.process(),
// handle the events, write conn.takeOutput() to the transport.

import { appendFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { Duplex } from 'node:stream';
import * as net from 'node:net';
import { ClientConnection, ServerConnection, type Connection, type ConnectionEvent, type ConnectionInfo } from '../connection.js';
import type { ClientConfig, ServerConfig } from '../config.js';
import { decodeClientSession, encodeClientSession, type SessionStore } from '../handshake/resumption.js';
import type { Certificate } from '../x509/certificate.js';
import { TlsError } from '../errors.js';
import { isPskSuite, type CipherSuite } from '../suites.js';
import { NamedGroup, ProtocolVersion } from '../wire/enums.js';
import { bytesEqual } from '../wire/bytes.js';
import { nodeSigalgName } from './sigalgs.js';
import { MIN_SERVER_DH_BITS } from '../keys/ffdhe.js';
import { externalKeyOf } from './signer.js';
import type { AnswerTo, Request } from '../handshake/requests.js';
import { notTlsAtAll, sslError, toNodeError } from './errors.js';
import { stderrTrace, traceAllSockets, warnTracing } from './trace.js';
import { SecureContext, certificatesFor, codedError, isAnsweredAtOnce, serverSocketOptions, validateAlpnCallback, type TlsOptions } from './options.js';
import { tlsKeylogFile, tlsModule } from './tls-module.js';
import { copyRead, readWithOnread, readingSocket } from './transport.js';
import { invalidArgType as nodeInvalidArgType, outOfRange } from './validate.js';
import { peerCertificate, type DetailedPeerCertificate, type PeerCertificate } from './peer-certificate.js';
import {
  clientPskForHint, identityHintBytes, pskCallbackError, serverPskForIdentity, validateSocketPskCallback, type ClientPskCallback, type ServerPskCallback,
} from './psk.js';

/** config.keyLog while 'keylog' has a listener: the lines themselves come as engine events. */
const ENGINE_KEYLOG_ON = (): void => {};

/** receive() options for a transport whose read buffers are ours to write over. */
const OWNED = { owned: true } as const;

export interface TLSSocketOptions extends TlsOptions {
  /** Server side of the handshake (node:tls `isServer`). */
  isServer?: boolean;
  /**
   * Client: the smallest DH prime, in bits, a TLS 1.2 DHE server may use (node:tls minDHSize);
   * 2048 unless given, and never less than 1024. A smaller one fails with ERR_TLS_DH_PARAM_SIZE.
   */
  minDHSize?: number;
  /** Server: the socket starts paused for the application; the handshake still runs. */
  pauseOnConnect?: boolean;
  /** The readable and writable buffer sizes (net.Socket `highWaterMark`). */
  highWaterMark?: number;
  /**
   * net.Socket `onread`: the plaintext is copied into `buffer` (or the buffer `buffer()` returns)
   * and handed to `callback(nread, buffer)` instead of 'data' events; a callback returning
   * false pauses reading.
   */
  onread?: { buffer: Uint8Array | (() => Uint8Array); callback: (nread: number, buffer: Uint8Array) => unknown };
  /** Aborting it destroys the socket with an AbortError (net.Socket `signal`). */
  signal?: AbortSignal;
  /** Parsed options; when absent, one is made from the other options. */
  secureContext?: SecureContext;
  /** The server that accepted the transport (server sockets). */
  server?: net.Server;
  /** Client: the host connected to; the name checked (and sent as SNI) unless `servername` is set. */
  host?: string;
  /** Client: an extra identity check after the handshake, with node semantics (return an Error to fail). */
  checkServerIdentity?: (hostname: string, cert: PeerCertificate) => Error | undefined;
  /** Without a transport of the caller's: whether the socket stays half open when the peer ends (net.Socket's option). */
  allowHalfOpen?: boolean;
  /**
   * Set by connect() when it opened the transport itself: the net options it connected with.
   * A connection lost before the handshake reports them on its ECONNRESET error, as node does.
   */
  connectOptions?: { path?: string; host?: string; port?: number; localAddress?: string; allowHalfOpen?: boolean };
}

export interface CipherNameAndProtocol {
  name: string;
  standardName: string;
  version: string;
}

const toBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** OpenSSL's SSL_CIPHER_get_version(): the lowest protocol a suite exists in, as node reports it. */
function cipherVersion(s: CipherSuite): string {
  if (s.tls13) return 'TLSv1.3';
  const ecdhe = s.kx === 'ecdhe' || s.kx === 'ecdhe_psk';
  if (s.cipher.kind === 'cbc' && s.cipher.macHash === 'sha1') return ecdhe ? 'TLSv1.0' : 'SSLv3';
  // RFC 5487 and RFC 5489 define their SHA-256/384 CBC PSK suites for TLS 1.0 on.
  if (s.cipher.kind === 'cbc' && isPskSuite(s)) return 'TLSv1.0';
  return 'TLSv1.2';
}

const groupInfo: Readonly<Record<number, { type: string; name?: string; size: number }>> = {
  [NamedGroup.x25519]: { type: 'ECDH', name: 'X25519', size: 253 },
  [NamedGroup.x448]: { type: 'ECDH', name: 'X448', size: 448 },
  [NamedGroup.secp256r1]: { type: 'ECDH', name: 'prime256v1', size: 256 },
  [NamedGroup.secp384r1]: { type: 'ECDH', name: 'secp384r1', size: 384 },
  [NamedGroup.secp521r1]: { type: 'ECDH', name: 'secp521r1', size: 521 },
  [NamedGroup.X25519MLKEM768]: { type: 'KEM', name: 'X25519MLKEM768', size: 253 },
  // node:tls names no group for finite-field DH, in TLS 1.2 or 1.3: { type: 'DH', size: 2048 }.
  [NamedGroup.ffdhe2048]: { type: 'DH', size: 2048 },
  [NamedGroup.ffdhe3072]: { type: 'DH', size: 3072 },
  [NamedGroup.ffdhe4096]: { type: 'DH', size: 4096 },
  [NamedGroup.ffdhe6144]: { type: 'DH', size: 6144 },
  [NamedGroup.ffdhe8192]: { type: 'DH', size: 8192 },
};

type Callback = (error?: Error | null) => void;

type ConnectOptions = NonNullable<TLSSocketOptions['connectOptions']>;

/** node's error for a transport lost before the handshake finished: ECONNRESET, with the client's net options. */
function disconnectedError(side: 'client' | 'server', options: ConnectOptions | undefined): Error & { code: string } {
  const e = codedError(
    'ECONNRESET',
    side === 'client' ? 'Client network socket disconnected before secure TLS connection was established' : 'socket hang up',
  ) as Error & { code: string; path?: string; host?: string; port?: number; localAddress?: string };
  if (side === 'client') {
    e.path = options?.path;
    e.host = options?.host;
    e.port = options?.port;
    e.localAddress = options?.localAddress;
  }
  return e;
}

let keylogWarned = false;

/** node's --tls-keylog: the socket's key material appended to `file` (mode 0600), with node's warning once. */
function logKeysTo(socket: Duplex, file: string): void {
  if (!keylogWarned) {
    keylogWarned = true;
    process.emitWarning(`Using --tls-keylog makes TLS connections insecure by writing secret key material to file ${file}`);
  }
  socket.on('keylog', (line: Buffer) => {
    try {
      appendFileSync(file, line, { mode: 0o600 });
    } catch {
      // As node: a log that cannot be written does not affect the connection.
    }
  });
}

/** What a write still pending gets when the socket is torn down under it (node: libuv's ECANCELED). */
function canceledError(): Error {
  const e = codedError('ECANCELED', 'write ECANCELED') as Error & { code: string; errno?: number; syscall?: string };
  e.errno = -125;
  e.syscall = 'write';
  return e;
}

/** The checks node's validators make, with node's ERR_INVALID_ARG_TYPE message. */
function describeReceived(value: unknown): string {
  if (value === null || value === undefined) return ` Received ${String(value)}`;
  if (typeof value === 'function') return ` Received function ${(value as { name?: string }).name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name ? ` Received an instance of ${name}` : ` Received ${JSON.stringify(value)}`;
  }
  let shown = String(value);
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  if (typeof value === 'string') shown = `'${shown}'`;
  return ` Received type ${typeof value} (${shown})`;
}

function invalidArgType(name: string, type: string, value: unknown): Error {
  return codedError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type ${type}.${describeReceived(value)}`, 'TypeError');
}

export class TLSSocket extends Duplex {
  readonly encrypted = true;
  /** Whether the peer's certificate verified (node:tls). */
  authorized = false;
  /** Why it did not: a node-style code such as 'CERT_HAS_EXPIRED'; null when it did (or was not checked), as in node. */
  authorizationError: string | null = null;
  alpnProtocol: string | false | null = null;
  servername: string | false | null | undefined;
  /** The server that accepted this socket (server side). */
  readonly server: net.Server | undefined;
  /** The underlying transport. */
  readonly transport: Duplex;
  /** net.Socket's `timeout`: the idle milliseconds set by setTimeout(), undefined before. */
  timeout: number | undefined = undefined;
  /** node: true until the handshake is done. */
  secureConnecting = true;
  /**
   * node: until a server (or connect()) takes the socket over, handshake errors go to the
   * '_tlsError' event only, so a socket nobody listens to cannot take the process down.
   */
  _controlReleased = false;

  /** The engine, made when first needed so that setServername()/enableTrace() can still shape it. */
  #connection: Connection | undefined;
  readonly #startConnection: () => Connection;
  #config: ClientConfig | ServerConfig;
  readonly #isServer: boolean;
  readonly #checkIdentity: TLSSocketOptions['checkServerIdentity'];
  #identityName: string | undefined;
  /** Whether #identityName goes in the ClientHello as SNI (node: only a `servername` does). */
  #sendServerName = false;
  #secure = false;
  #processing = false;
  #eofPushed = false;
  #pausedTransport = false;
  /** onread: plaintext not yet handed to the callback (the socket paused, or the callback said false). */
  readonly #onreadQueue: Uint8Array[] = [];
  /** onread: the callback returned false; resume() hands over the rest. */
  #onreadHeld = false;
  /** onread: the peer's close came while plaintext was still queued; the end follows it. */
  #eofPending = false;
  /** Our writable side finished: end the transport once the last output is written. */
  #endTransport = false;
  #session: Buffer | undefined;
  #writeCallbacks: Callback[] = [];
  readonly #onread: TLSSocketOptions['onread'];
  /** The transport is a net.Socket: reads arrive in fresh buffers, writes are copied to the kernel. */
  readonly #kernelTransport: boolean;
  readonly #connectOptions: ConnectOptions | undefined;
  /**
   * The peer's first bytes, until there are enough to tell whether they are TLS at all: null
   * before the first read, undefined once told.
   */
  #firstBytes: Buffer | null | undefined = null;
  #hadError = false;
  #sniCallback: TlsOptions['SNICallback'];
  /** The context SNICallback chose: its certificates, and its CAs for the client's certificate. */
  #sniContext: SecureContext | undefined;
  #alpnCallback: TlsOptions['ALPNCallback'];
  /** The certificates setKeyCert() chose (in ALPNCallback), in place of the context's. */
  #keyCertContext: SecureContext | undefined;
  #tracing = false;
  /** The engine waits for an answer (SNICallback, 'resumeSession', 'OCSPRequest', a signer). */
  #waiting = false;
  /** The transport was paused for the wait (the answer did not come inside the callback). */
  #waitPaused = false;
  #newSessions: [Buffer, Buffer][] = [];
  #newSessionPending = false;
  #securePending = false;

  constructor(socket?: Duplex | null, options: TLSSocketOptions = {}) {
    super({
      // net.Socket's rule: a transport of the caller's keeps its own setting; else the option's.
      allowHalfOpen:
        options.connectOptions !== undefined
          ? options.connectOptions.allowHalfOpen === true
          : socket
            ? socket.allowHalfOpen === true
            : options.allowHalfOpen === true,
      decodeStrings: true,
      // 'close' is emitted by _destroy with net.Socket's `hadError` argument.
      emitClose: false,
      ...(typeof options.highWaterMark === 'number' ? { highWaterMark: options.highWaterMark } : {}),
    });
    this.#isServer = options.isServer === true;
    if (this.#isServer && options.SNICallback && typeof options.SNICallback !== 'function') {
      throw nodeInvalidArgType('options.SNICallback', 'function', options.SNICallback);
    }
    if (options.secureContext !== undefined && !(options.secureContext instanceof SecureContext)) {
      throw codedError('ERR_TLS_INVALID_CONTEXT', 'context must be a SecureContext', 'TypeError');
    }
    this.server = options.server;
    this.#connectOptions = options.connectOptions;
    // node makes the context through tls.createSecureContext as the module holds it now.
    const create = tlsModule.createSecureContext as ((o: TlsOptions) => SecureContext) | undefined;
    const context = options.secureContext ?? (create ? create(options) : new SecureContext(options));
    // A socket typetls makes, its server has just accepted or the program handed over untouched
    // is read through net.Socket's onread (./transport.ts); any other transport through its 'data' events.
    const onRead = (nread: number, buffer: Buffer): void => this.#onTransportData(copyRead(nread, buffer));
    this.transport = socket ?? readingSocket(true, onRead);
    this.on('error', this._tlsError);

    // node: a server's pskCallback is the server's option; a client's is the connection's.
    const pskCallback = options.pskCallback ?? context.options.pskCallback;
    validateSocketPskCallback(pskCallback);
    if (this.#isServer) {
      // node: an SNICallback may answer on a later tick. The engine asks for the certificates
      // after the ClientHello and waits; it takes those of the context the callback gave.
      this.#sniCallback = options.SNICallback ?? context.options.SNICallback;
      this.#alpnCallback = validateAlpnCallback(options);
      const base = context.serverConfig;
      const server = this.server;
      // node: with a 'newSession' or 'resumeSession' listener on the server, TLS 1.2 sessions
      // by ID are the program's to keep: new ones go to 'newSession', and a client's ID is
      // looked up through 'resumeSession' (the engine asks and waits for the answer).
      const newSessionListeners = server !== undefined && server.listenerCount('newSession') > 0;
      // The server's own addContext() lookup answers at once: the engine calls it without waiting.
      const sniAtOnce = isAnsweredAtOnce(this.#sniCallback);
      const ask = {
        certificate: (this.#sniCallback !== undefined && !sniAtOnce) || this.#alpnCallback !== undefined,
        session: server !== undefined && server.listenerCount('resumeSession') > 0,
        ocsp: server !== undefined && server.listenerCount('OCSPRequest') > 0,
      };
      const sessionStore: SessionStore = {
        get: (id) => base.sessionStore.get(id),
        set: (id, state, lifetime) => {
          if (newSessionListeners) this.#newSessions.push([Buffer.from(id), Buffer.from(state)]);
          else base.sessionStore.set(id, state, lifetime);
        },
        delete: (id) => base.sessionStore.delete(id),
      };
      const config: ServerConfig = {
        ...base,
        keyLog: undefined,
        ...serverSocketOptions(options),
        // As node's servers: a connection resumed from a ticket keeps that ticket, unless asked.
        ticketOnResumption: options.ticketOnResumption ?? context.options.ticketOnResumption ?? false,
        // As node's OpenSSL: two TLS 1.3 tickets after a full handshake.
        ticketsPerHandshake: 2,
        sessionStore,
        ...(sniAtOnce ? { certificatesFor: certificatesFor(this.#sniCallback!, (ctx) => (this.#sniContext = ctx)) } : {}),
        ...(ask.certificate || ask.session || ask.ocsp ? { ask: { ...base.ask, ...ask } } : {}),
        ...(pskCallback
          ? {
              pskForIdentity: serverPskForIdentity(pskCallback as ServerPskCallback, this),
              pskIdentityHint: identityHintBytes(options.pskIdentityHint ?? context.options.pskIdentityHint),
            }
          : {}),
      };
      this.#config = config;
      this.#startConnection = () => new ServerConnection(config);
      this.servername = undefined;
    } else {
      // node enforces rejectUnauthorized in tls.connect(), which always passes it; a client
      // TLSSocket made by the program checks nothing it was not asked to (node: ssl.verifyError()).
      const config: ClientConfig = {
        ...context.clientConfig,
        keyLog: undefined,
        rejectUnauthorized: options.rejectUnauthorized === true,
        ...(pskCallback ? { pskForHint: clientPskForHint(pskCallback as ClientPskCallback, this) } : {}),
        // node's minDHSize (1024 by default); typetls takes 2048 unless told, and never less than 1024.
        ...(typeof options.minDHSize === 'number' ? { minDhBits: Math.max(MIN_SERVER_DH_BITS, options.minDHSize) } : {}),
      };
      this.#config = config;
      // node: the name is `servername` or else the host; an IP address is checked against the
      // certificate's IP SANs and never sent as SNI (the engine decides that from the name).
      // Only a `servername` (or setServername()) is sent as SNI, never the host alone.
      this.#identityName = options.servername || options.host || undefined;
      this.#sendServerName = Boolean(options.servername);
      this.servername = options.servername ?? null;
      this.#checkIdentity = options.checkServerIdentity;
      this.#startConnection = () =>
        new ClientConnection(config, {
          ...(this.#identityName !== undefined ? { serverName: this.#identityName, sendServerName: this.#sendServerName } : {}),
          // node: a checkServerIdentity of the application replaces the built-in name check.
          verifyServerName: this.#checkIdentity === undefined,
          ...(options.session ? { session: new Uint8Array(options.session) } : {}),
          ...(options.earlyData !== undefined ? { earlyData: new Uint8Array(options.earlyData) } : {}),
        });
    }

    // node: enableTrace (option) or --trace-tls print the handshake to stderr.
    if (options.enableTrace === true || context.options.enableTrace === true || traceAllSockets()) this.enableTrace();

    // node:tls: key material is logged only once something listens for 'keylog' (a listener added
    // before the secrets are derived sees every line); until then the engine formats no line.
    // The lines arrive as 'keylog' events of the engine, emitted between its steps.
    const keyLogging = (event: string | symbol): void => {
      if (event !== 'keylog') return;
      (this.#config as { keyLog: ClientConfig['keyLog'] }).keyLog = ENGINE_KEYLOG_ON;
      this.off('newListener', keyLogging);
    };
    this.on('newListener', keyLogging);

    const t = this.transport;
    this.#kernelTransport = t instanceof net.Socket;
    if (socket && !(t instanceof net.Socket && readWithOnread(t, onRead))) {
      t.on('data', (data: Buffer | string) => this.#onTransportData(typeof data === 'string' ? Buffer.from(data) : data));
    }
    t.on('end', () => this.#onTransportEnd());
    t.on('close', () => this.#onTransportClose());
    t.on('error', (err: Error) => this.destroy(err));
    t.on('timeout', () => this.emit('timeout'));
    if (t instanceof net.Socket) {
      t.on('connect', () => {
        this.emit('connect');
        if (this.#connection) this.#pump();
      });
    }
    if (options.pauseOnConnect) this.pause();
    if (options.onread && typeof options.onread === 'object') {
      this.#onread = options.onread;
      // No 'data' events: reading runs (for 'end') while the plaintext goes to the callback.
      this.resume();
    }
    if (options.signal) this.#abortOn(options.signal);
    if (tlsKeylogFile) logKeysTo(this, tlsKeylogFile);

    // A client starts when told to (_start(), which connect() calls) or at its first write, as
    // in node; a server when the client's first bytes arrive.
  }
  /**
   * net.Socket's connect(port[, host][, listener]) / connect(options[, listener]) / connect(path[, listener])
   * for a TLSSocket made without a transport (node: `new TLSSocket(null, options).connect(...)`);
   * the handshake starts once the connection is up.
   */
  connect(...args: unknown[]): this {
    const listener = typeof args[args.length - 1] === 'function' ? (args.pop() as () => void) : undefined;
    if (listener) this.once('connect', listener);
    // As node's tls.connect(): the handshake starts (the ClientHello is made, and with it a
    // TLS 1.3 pskCallback asked) once the transport is connected.
    (this.transport as net.Socket).connect(...(args as Parameters<net.Socket['connect']>));
    this.transport.once('connect', () => this._start());
    return this;
  }

  /** net.Socket's `signal`: an abort destroys the socket with node's AbortError. */
  #abortOn(signal: AbortSignal): void {
    const abort = (): void => {
      const err = new Error('The operation was aborted', { cause: signal.reason }) as Error & { code: string };
      err.name = 'AbortError';
      err.code = 'ABORT_ERR';
      this.destroy(err);
    };
    if (signal.aborted) {
      process.nextTick(abort);
      return;
    }
    signal.addEventListener('abort', abort, { once: true });
    this.once('close', () => signal.removeEventListener('abort', abort));
  }

  /**
   * onread: the plaintext copied into the program's buffer, as much as it holds at a time, while
   * the socket is not paused and the callback has not returned false (net.Socket's contract); what
   * is left waits, with the transport paused, for resume().
   */
  #deliverToOnread(data: Uint8Array): void {
    this.#onreadQueue.push(data);
    this.#drainOnread();
  }

  #drainOnread(): void {
    const { buffer, callback } = this.#onread!;
    const queue = this.#onreadQueue;
    while (queue.length > 0 && !this.#onreadHeld && !this.isPaused() && !this.destroyed) {
      const data = queue[0]!;
      const target = typeof buffer === 'function' ? buffer() : buffer;
      const n = Math.min(target.length, data.length);
      target.set(data.subarray(0, n), 0);
      if (n === data.length) queue.shift();
      else queue[0] = data.subarray(n);
      if (callback.call(this, n, target) === false) this.#onreadHeld = true;
    }
    if (queue.length > 0 || this.#onreadHeld || this.isPaused()) {
      this.#pauseTransport();
    } else {
      if (this.#eofPending) this.#pushEof();
      this._read();
    }
  }

  override resume(): this {
    super.resume();
    if (this.#onread) {
      this.#onreadHeld = false;
      this.#drainOnread();
    }
    return this;
  }

  /**
   * node: starts a client's handshake (the ClientHello goes out); a net.Socket still
   * connecting buffers it, one not yet told where to connect holds it until it connects.
   */
  _start(): void {
    if (this.destroyed) return;
    this.#pump();
  }

  get #conn(): Connection {
    this.#connection ??= this.#startConnection();
    return this.#connection;
  }

  /** A net.Socket made without a connection yet (new TLSSocket(null)) takes no bytes until it connects. */
  #transportWritable(): boolean {
    const t = this.transport;
    if (t.destroyed || t.writableEnded) return false;
    return !(t instanceof net.Socket) || !t.pending || t.connecting;
  }

  /** node: the handler of the socket's own 'error' listener until its control is released. */
  _tlsError(this: TLSSocket, err: Error): Error | null {
    this.emit('_tlsError', err);
    return this._controlReleased ? err : null;
  }

  /** node: the owner (a server at 'secure', or connect()) takes the socket's errors over. */
  _releaseControl(): boolean {
    if (this._controlReleased) return false;
    this._controlReleased = true;
    this.removeListener('error', this._tlsError);
    return true;
  }

  // --- the engine loop ---------------------------------------------------------------------

  /**
   * The engine waits for the program: the callback or event that answers this request (node's
   * SNICallback, 'resumeSession', 'OCSPRequest'), or the signer of an external key. A program that
   * answers later has the transport paused until it does, so that a peer cannot make us buffer
   * without bound; one that answers inside its callback (a 'resumeSession' on a Map) has already
   * been heard when the callback returns, and the transport is not stopped and restarted for it.
   */
  #answer(request: Request): void {
    this.#waiting = true;
    this.#ask(request);
    if (this.#waiting && !this.destroyed) {
      this.#waitPaused = true;
      this.transport.pause();
    }
  }

  #ask(request: Request): void {
    switch (request.kind) {
      case 'certificate': {
        // node calls SNICallback only for a client that sent a name.
        if (request.serverName === undefined || !this.#sniCallback) {
          this.#answerCertificate(request);
          return;
        }
        this.#sniCallback(
          request.serverName,
          this.#nodeCallback<SecureContext | { context?: unknown } | null>((context) => {
            if (!context) return this.#answerCertificate(request);
            const ctx = context instanceof SecureContext ? context : context.context;
            if (!(ctx instanceof SecureContext)) {
              this.destroy(new TypeError('Invalid SNI context'));
              return;
            }
            // node swaps in the whole context SNICallback gave: its CAs verify the client too.
            this.#sniContext = ctx;
            this.#answerCertificate(request);
          }),
        );
        return;
      }
      case 'session': {
        const done = this.#nodeCallback<Uint8Array | null>((session) => this.#deliver(request, session ? new Uint8Array(session) : undefined));
        if (!this.server?.emit('resumeSession', Buffer.from(request.sessionId), done)) this.#deliver(request, undefined);
        return;
      }
      case 'ocsp': {
        const [leaf, next] = request.chain;
        const issuer = next ?? this.#config.roots.find((r) => bytesEqual(r.subject.raw, leaf!.issuer.raw));
        const done = this.#nodeCallback<Uint8Array | null>((response) => this.#deliver(request, response ? new Uint8Array(response) : undefined));
        if (!this.server?.emit('OCSPRequest', Buffer.from(leaf!.raw), issuer ? Buffer.from(issuer.raw) : null, done)) this.#deliver(request, undefined);
        return;
      }
      case 'sign':
      case 'decrypt': {
        const operation = request.kind === 'sign'
          ? externalKeyOf(request.key).sign(request.scheme, request.data)
          : externalKeyOf(request.key).decrypt(request.ciphertext);
        operation.then(
          (result) => this.#deliver(request, result),
          (err: unknown) => this.#deliver(request, undefined, err ?? new Error('the key operation failed')),
        );
        return;
      }
      case 'verify':
      case 'agree':
      case 'signature':
        // The node API verifies and agrees with the engine's own provider; it never asks.
        this.#deliver(request, undefined, new Error(`no answer to a ${request.kind} request`));
        return;
      default: {
        const never: never = request;
        void never;
      }
    }
  }

  /** Hands the program's answer (or failure) to the engine and goes on, unless the socket is gone. */
  #deliver<R extends Request>(request: R, answer: AnswerTo<R> | undefined, failure?: unknown): void {
    if (this.destroyed || !this.#connection) return;
    const taken = failure === undefined ? this.#connection.resolve(request, answer as AnswerTo<R>) : this.#connection.reject(request, failure);
    if (!taken) return;
    this.#waiting = false;
    if (this.#waitPaused) {
      this.#waitPaused = false;
      if (!this.#pausedTransport) this.transport.resume();
    }
    this.#pump();
  }

  /**
   * The certificates for this client once SNICallback has chosen its context: then node's
   * ALPNCallback, for a client that offers ALPN, picks the protocol (undefined refuses the client
   * with a no_application_protocol alert; a protocol the client did not offer, or a throw, destroys
   * the socket without an alert, as node) and may choose the certificate with setKeyCert().
   */
  #answerCertificate(request: Extract<Request, { kind: 'certificate' }>): void {
    let alpnProtocols: string[] | undefined;
    if (this.#alpnCallback && request.alpnProtocols) {
      const protocols = [...request.alpnProtocols];
      let selected: unknown;
      try {
        selected = this.#alpnCallback.call(this, { servername: request.serverName ?? false, protocols });
        if (selected !== undefined && !protocols.includes(selected as string)) {
          throw codedError(
            'ERR_TLS_ALPN_CALLBACK_INVALID_RESULT',
            `ALPN callback returned a value (${String(selected)}) that did not match any of the client's offered protocols (${protocols.join(', ')})`,
            'TypeError',
          );
        }
      } catch (err) {
        this.destroy(err as Error);
        return;
      }
      if (selected === undefined) {
        this.#deliver(request, undefined, new TlsError('no_application_protocol', 'ALPNCallback refused every protocol the client offered'));
        return;
      }
      alpnProtocols = [selected as string];
    }
    const context = this.#keyCertContext ?? this.#sniContext;
    if (context === undefined && alpnProtocols === undefined) {
      this.#deliver(request, undefined);
      return;
    }
    this.#deliver(request, {
      certificates: context?.certificates ?? [],
      ...(this.#sniContext ? { roots: this.#sniContext.clientConfig.roots } : {}),
      ...(alpnProtocols ? { alpnProtocols } : {}),
    });
  }

  /**
   * node's contract for a program's callback(err, answer): answered once (a second answer
   * destroys the socket with ERR_MULTIPLE_CALLBACK), an error destroys the socket with it (no
   * alert, as node), an answer after the socket is gone is dropped.
   */
  #nodeCallback<T>(take: (answer: T | undefined) => void): (err?: Error | null, answer?: T) => void {
    let once = false;
    return (err, answer) => {
      if (once) {
        this.destroy(codedError('ERR_MULTIPLE_CALLBACK', 'Callback called multiple times'));
        return;
      }
      once = true;
      if (this.destroyed) return;
      if (err) {
        this.destroy(err);
        return;
      }
      take(answer ?? undefined);
    };
  }

  /** 'newSession' for each session the engine made (server with a listener); 'secure' waits for the program's done(). */
  #announceNewSessions(): void {
    for (const [id, data] of this.#newSessions.splice(0)) {
      if (!this.server) continue;
      let once = false;
      this.#newSessionPending = true;
      const done = (): void => {
        if (once) return;
        once = true;
        this.#newSessionPending = false;
        if (this.destroyed) return;
        if (this.#securePending) {
          this.#securePending = false;
          this.#emitSecure();
        }
      };
      if (!this.server.emit('newSession', id, data, done)) done();
    }
  }

  #onTransportData(data: Buffer): void {
    if (this.destroyed) return;
    if (this.#firstBytes !== undefined) {
      // A peer whose first record is not TLS at all gets no alert, as from node (OpenSSL), and
      // nothing else is left to send: the transport closes at once, as node's does, so a peer
      // still sending sees the connection reset rather than a clean end. A first read of three
      // bytes or more (a ClientHello's) is looked at where it is, without a copy.
      const first = this.#firstBytes === null ? data : Buffer.concat([this.#firstBytes, data]);
      const notTls = notTlsAtAll(first);
      if (notTls) {
        this.#firstBytes = undefined;
        this.destroy(toNodeError(notTls));
        return;
      }
      // Fewer: kept (as a copy: the engine may work in place in a read buffer) for the next read.
      this.#firstBytes = first.length >= 3 ? undefined : Buffer.from(first);
    }
    // A net.Socket hands every read over in a buffer of its own: the engine decrypts in place
    // in it. Other transports' chunks (a PassThrough's, a user's stream's) are left untouched.
    this.#conn.receive(data, this.#kernelTransport ? OWNED : undefined);
    this.#pump();
  }

  /** Runs the engine until it has nothing more to say, then sends what it produced. */
  #pump(): void {
    if (this.#processing || this.destroyed) return;
    this.#processing = true;
    try {
      for (;;) {
        const events = this.#conn.process();
        if (this.#newSessions.length > 0) this.#announceNewSessions();
        if (events.length === 0) break;
        // node: a TLS 1.2 session is there for getSession() in the 'secureConnect' handler; the
        // 'session' event itself comes after it.
        for (const ev of events) if (ev.type === 'session') this.#session = Buffer.from(ev.session);
        for (const ev of events) {
          if (this.destroyed) return;
          this.#handle(ev);
        }
      }
    } finally {
      this.#processing = false;
    }
    this.#flush();
  }

  #handle(ev: ConnectionEvent): void {
    switch (ev.type) {
      case 'handshakeDone':
        this.#onHandshakeDone();
        break;
      case 'data':
        if (this.#eofPushed) break;
        if (this.#onread) this.#deliverToOnread(ev.data);
        else if (!this.push(toBuffer(ev.data))) this.#pauseTransport();
        break;
      case 'peerClosed':
        this.#pushEof();
        break;
      case 'alert':
        // A warning alert (RFC 5246 Section 7.2): nothing to do, as in node.
        break;
      case 'keylog':
        this.emit('keylog', Buffer.from(ev.line.endsWith('\n') ? ev.line : `${ev.line}\n`));
        break;
      case 'session':
        this.#session = Buffer.from(ev.session);
        this.emit('session', this.#session);
        break;
      case 'ocspResponse':
        // node:tls: 'OCSPResponse' with the stapled response (requestOCSP).
        this.emit('OCSPResponse', toBuffer(ev.response));
        break;
      case 'earlyData':
        // TLS 1.3 0-RTT data may be a replay: it is handed over apart from the stream, for the
        // application to judge (typetls extension; node:tls has no 0-RTT).
        this.emit('earlyData', toBuffer(ev.data));
        break;
      case 'error':
        this.#fail(ev.error);
        break;
      case 'request':
        this.#answer(ev.request);
        break;
      default: {
        const never: never = ev;
        void never;
      }
    }
  }

  /** Sends whatever the engine has produced; releases write callbacks once the bytes are accepted. */
  #flush(): void {
    if (!this.#transportWritable()) return;
    const out = this.#conn.takeOutput();
    const callbacks = this.#secure || this.#conn.error ? this.#writeCallbacks.splice(0) : [];
    const t = this.transport;
    if (out.length > 0) {
      t.write(toBuffer(out), (err) => {
        // A net.Socket calls back once the bytes are in the kernel: the engine may seal into
        // that memory again. A stream in memory may still hold the chunk, so its output is kept.
        if (!err && this.#kernelTransport) this.#conn.recycleOutput(out);
        callbacks.forEach((cb) => cb(err ?? null));
      });
    } else if (callbacks.length > 0) {
      process.nextTick(() => callbacks.forEach((cb) => cb(this.#conn.error ?? null)));
    }
    if (this.#endTransport && !t.destroyed && !t.writableEnded) t.end();
  }

  #onHandshakeDone(): void {
    const info = this.#conn.info;
    this.authorized = info.authorized;
    this.authorizationError = info.authorizationError?.code ?? null;
    this.alpnProtocol = info.alpnProtocol;
    if (this.#isServer) this.servername = info.serverName ?? false;
    if (!this.#isServer && this.#checkIdentity && this.authorized && this.#identityName !== undefined) {
      // node: the application's check runs after the chain verified; its error fails the
      // connection when rejectUnauthorized, and only marks it unauthorized otherwise.
      const err = this.#checkIdentity(this.#identityName, this.getPeerCertificate(true) as PeerCertificate);
      if (err) {
        if (this.#config.rejectUnauthorized) {
          this.destroy(err);
          return;
        }
        this.authorized = false;
        this.authorizationError = (err as Error & { code?: string }).code ?? err.message;
      }
    }
    if (!this.#isServer && this.#session === undefined && info.protocol === 'TLSv1.3') {
      // node: right after a TLS 1.3 handshake getSession() gives a session that cannot be
      // resumed (the tickets come later, in 'session'); given back as `session`, it is not offered.
      this.#session = Buffer.from(
        encodeClientSession({
          version: info.version ?? 0x0304, cipherSuite: info.cipherSuite?.id ?? 0, serverName: this.#identityName ?? '',
          receivedAt: Date.now(), lifetime: 0, sessionId: new Uint8Array(0), secret: new Uint8Array(0),
          extendedMasterSecret: false, ticket: new Uint8Array(0), ticketAgeAdd: 0, maxEarlyData: 0,
          alpnProtocol: info.alpnProtocol || '', peerCertificates: [],
        }),
      );
    }
    this.#secure = true;
    this.secureConnecting = false;
    if (this.#newSessionPending) this.#securePending = true;
    else this.#emitSecure();
  }

  #emitSecure(): void {
    this.emit('secure');
    if (!this.#isServer) this.emit('secureConnect');
  }

  #fail(error: TlsError | Error): void {
    if (this.destroyed) return;
    // The fatal alert (if any) is in the output: send it, then end the transport.
    this.#flush();
    const t = this.transport;
    if (!t.destroyed && !t.writableEnded) t.end();
    // An error of the application's pskCallback fails the socket as itself, as in node.
    this.destroy(pskCallbackError(error) ?? toNodeError(error));
  }

  #pushEof(): void {
    if (this.#eofPushed) return;
    if (this.#onread && this.#onreadQueue.length > 0) {
      this.#eofPending = true;
      return;
    }
    this.#eofPushed = true;
    // net.Socket's onread asks for a buffer for every read, the one that finds the end too.
    if (typeof this.#onread?.buffer === 'function') this.#onread.buffer();
    this.push(null);
    // As net.Socket does at EOF: with nothing left unread, 'end' comes even if nobody reads,
    // so a socket that only writes still sees its peer's close.
    this.read(0);
  }

  #pauseTransport(): void {
    if (this.#pausedTransport) return;
    this.#pausedTransport = true;
    this.transport.pause();
  }

  #onTransportEnd(): void {
    if (this.destroyed) return;
    if (!this.#secure) {
      this.destroy(disconnectedError(this.#isServer ? 'server' : 'client', this.#connectOptions));
      return;
    }
    // A missing close_notify is not an error, as in node: the stream simply ends.
    this.#pushEof();
  }

  #onTransportClose(): void {
    if (this.destroyed) return;
    if (!this.#secure) {
      this.destroy(disconnectedError(this.#isServer ? 'server' : 'client', this.#connectOptions));
      return;
    }
    if (!this.#eofPushed && !this.#eofPending) this.destroy();
  }

  // --- stream.Duplex -----------------------------------------------------------------------

  override _read(): void {
    if (this.#pausedTransport) {
      this.#pausedTransport = false;
      if (!this.#waiting) this.transport.resume();
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: Callback): void {
    this.#writeChunks([chunk], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: Callback): void {
    // Writes queued while the previous one was in flight go out as one: joined, they fill whole
    // records instead of one short record each (node's TLSWrap does the same with a writev).
    this.#writeChunks([chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk))], callback);
  }

  #writeChunks(chunks: Buffer[], callback: Callback): void {
    try {
      for (const c of chunks) this.#conn.write(c);
    } catch (e) {
      callback(e as Error);
      return;
    }
    // Before the handshake is done the engine queues the data; the callback waits for it.
    this.#writeCallbacks.push(callback);
    if (this.#processing) return; // the running loop flushes
    this.#pump();
  }

  override _final(callback: Callback): void {
    if (!this.#conn.error) {
      try {
        this.#conn.close(); // close_notify, RFC 5246 Section 7.2.1
      } catch {
        // Already closed: nothing more to send.
      }
    }
    // end() may come from inside an event handler while the engine loop runs (a server that
    // ends the socket in 'secureConnection'): the loop's own flush sends the last flight first.
    this.#endTransport = true;
    if (!this.#processing) this.#pump();
    if (!this.#processing) this.#flush();
    callback();
  }

  override _destroy(error: Error | null, callback: Callback): void {
    const t = this.transport;
    if (!t.destroyed) {
      if (t.writableEnded && !t.writableFinished) {
        // Let the last bytes (a fatal alert, close_notify) reach the peer, then close.
        const timer = setTimeout(() => t.destroy(), 2000);
        timer.unref();
        t.once('finish', () => {
          clearTimeout(timer);
          t.destroy();
        });
      } else {
        t.destroy();
      }
    }
    const pending = this.#writeCallbacks.splice(0);
    this.#hadError = error !== null && error !== undefined;
    callback(error);
    // After the stream's own 'error': writes still pending are called back (outside this
    // call, so a throw in a program's callback is its own uncaught exception, as in node), then
    // 'close' with net.Socket's hadError.
    process.nextTick(() => {
      // node: a write the torn-down socket never completed gets ECANCELED, or nothing when the
      // stream is destroyed for good (its callback is the stream's to settle).
      for (const cb of pending) cb(this.destroyed ? null : canceledError());
      this.emit('close', this.#hadError);
    });
  }

  /** net.Socket's destroySoon(): end the writable side, then destroy (http uses it). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  // --- net.Socket ----------------------------------------------------------------------------

  /** Bytes written and not yet sent (net.Socket); undefined once the socket is closed. */
  get bufferSize(): number | undefined {
    return this.destroyed ? undefined : this.writableLength;
  }

  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }

  /** net.Socket: true until the transport is connected. */
  get pending(): boolean {
    return (this.transport as Partial<net.Socket>).pending ?? false;
  }

  get bytesRead(): number {
    return (this.transport as Partial<net.Socket>).bytesRead ?? 0;
  }

  get bytesWritten(): number {
    return (this.transport as Partial<net.Socket>).bytesWritten ?? 0;
  }

  // --- node:tls TLSSocket ------------------------------------------------------------------

  get info(): ConnectionInfo {
    return this.#conn.info;
  }

  get connecting(): boolean {
    return (this.transport as Partial<net.Socket>).connecting ?? false;
  }

  /** The negotiated version's name; null before the handshake and, as node's, once the socket is destroyed. */
  getProtocol(): string | null {
    if (this.destroyed) return null;
    return this.#conn.info.protocol ?? null;
  }

  /** The negotiated suite; like node's, undefined before the handshake (typed as node types it). */
  getCipher(): CipherNameAndProtocol {
    const s = this.#conn.info.cipherSuite;
    if (!s) return undefined as unknown as CipherNameAndProtocol;
    return { name: s.openSslName, standardName: s.standardName, version: cipherVersion(s) };
  }

  getEphemeralKeyInfo(): { type: string; name?: string; size: number } | Record<string, never> | null {
    // node:tls answers only on the client; typetls answers on both sides (the server's page names its group).
    const { group: g, dhBits } = this.#conn.info;
    if (g === undefined && dhBits !== undefined) return { type: 'DH', size: dhBits };
    return (g !== undefined && groupInfo[g]) || {};
  }

  getPeerCertificate(detailed?: false): PeerCertificate | Record<string, never>;
  getPeerCertificate(detailed: true): DetailedPeerCertificate | Record<string, never>;
  getPeerCertificate(detailed?: boolean): PeerCertificate | DetailedPeerCertificate | Record<string, never>;
  getPeerCertificate(detailed = false): PeerCertificate | DetailedPeerCertificate | Record<string, never> {
    return peerCertificate(this.#conn.info.peerCertificates, detailed, this.#config.roots);
  }

  /** The local certificate: for a server with several, the one fitting the negotiated suite. */
  getCertificate(): PeerCertificate | Record<string, never> | null {
    if (this.destroyed) return null;
    const chain = this.#localChain();
    return chain ? peerCertificate(chain, false) : {};
  }

  /** Our certificate chain: for a server with several, the one fitting the negotiated suite. */
  #localChain(): readonly Certificate[] | undefined {
    const certs = this.#sniContext?.certificates ?? this.#config.certificates;
    if (certs.length === 0) return undefined;
    const auth = this.#connection?.info.cipherSuite?.auth;
    const fits = certs.find((c) =>
      auth === 'ecdsa' ? c.key.algorithm === 'ec' : auth === 'rsa' ? c.key.algorithm.startsWith('rsa') : true,
    );
    return (fits ?? certs[0]!).chain;
  }

  isSessionReused(): boolean {
    return this.#conn.info.sessionReused;
  }

  /**
   * TLS 1.3 KeyUpdate (typetls extension, RFC 8446 Section 4.6.3): our writing moves to the
   * next traffic secret; with `requestPeer` the peer is asked to do the same.
   */
  updateKeys(requestPeer = false): void {
    this.#conn.updateKeys(requestPeer);
    this.#flush();
  }

  /** TLS 1.3 0-RTT (typetls extension): 'none', 'accepted', or 'rejected' (then the data went again after the handshake). */
  get earlyData(): 'none' | 'accepted' | 'rejected' {
    return this.#conn.info.earlyData;
  }

  /**
   * The part of node's native `ssl` handle a program may use: verifyError(), the certificate
   * verification error of the handshake (or null), which a client TLSSocket made by the program
   * itself checks instead of rejectUnauthorized. null once the socket is destroyed, as in node.
   */
  get ssl(): { verifyError(): Error | null; readonly fd: number | undefined } | null {
    if (this.destroyed) return null;
    const conn = this.#conn;
    // fd: the transport's file descriptor, as node's handle reports its socket's.
    const fd = (this.transport as { _handle?: { fd?: number } })._handle?.fd;
    return { verifyError: () => conn.info.authorizationError ?? null, fd };
  }

  /**
   * Keying material (RFC 5705; RFC 8446 Section 7.5 in TLS 1.3), equal on both ends of the
   * connection, as node's exportKeyingMaterial(length, label[, context]).
   */
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Buffer {
    if (typeof length !== 'number') throw invalidArgType('length', 'number', length);
    // node's validateUint32(length, 'length', true): a RangeError, as node throws it
    if (!Number.isInteger(length)) throw outOfRange('length', 'an integer', length);
    if (length < 1 || length > 0xffffffff) throw outOfRange('length', '>= 1 && <= 4294967295', length);
    if (typeof label !== 'string') throw invalidArgType('label', 'string', label);
    if (context !== undefined && !ArrayBuffer.isView(context)) {
      throw codedError(
        'ERR_INVALID_ARG_TYPE',
        `The "context" argument must be an instance of Buffer, TypedArray, or DataView.${describeReceived(context)}`,
        'TypeError',
      );
    }
    if (!this.#secure) throw codedError('ERR_TLS_INVALID_STATE', 'TLS socket connection must be securely established');
    const bytes = context === undefined ? undefined : new Uint8Array(context.buffer, context.byteOffset, context.byteLength);
    return toBuffer(this.#conn.exportKeyingMaterial(label, bytes, length));
  }

  /**
   * The peer's certificate as node:crypto's X509Certificate, undefined without one. As in node,
   * its `issuerCertificate` is the next certificate of the chain the peer sent, and so on down
   * that chain; the last one sent has none (undefined).
   */
  getPeerX509Certificate(): X509Certificate | undefined {
    let issuer: X509Certificate | undefined;
    for (const c of [...(this.#connection?.info.peerCertificates ?? [])].reverse()) {
      const x509 = new X509Certificate(toBuffer(c.raw));
      Object.defineProperty(x509, 'issuerCertificate', { value: issuer, configurable: true });
      issuer = x509;
    }
    return issuer;
  }

  /** The local certificate as node:crypto's X509Certificate, undefined without one. */
  getX509Certificate(): X509Certificate | undefined {
    const raw = this.#localChain()?.[0]?.raw;
    return raw ? new X509Certificate(toBuffer(raw)) : undefined;
  }

  /**
   * node: sets the SNI name a client sends; only before the handshake has started, which here
   * is until the first tick after the socket was made.
   */
  /**
   * node: the certificate and key of this server socket, from a SecureContext or the options to
   * make one; chosen in ALPNCallback (or SNICallback), before the server's certificate is sent.
   */
  setKeyCert(context: SecureContext | TlsOptions): void {
    if (!this.#isServer || this.#connection === undefined) return;
    const create = tlsModule.createSecureContext as ((o: TlsOptions) => SecureContext) | undefined;
    this.#keyCertContext = context instanceof SecureContext ? context : create ? create(context) : new SecureContext(context);
  }

  setServername(name: string): void {
    if (typeof name !== 'string') throw invalidArgType('name', 'string', name);
    if (this.#isServer) throw codedError('ERR_TLS_SNI_FROM_SERVER', 'Cannot issue SNI from a TLS server-side socket');
    if (this.#connection === undefined) {
      this.#identityName = name;
      this.#sendServerName = true;
    }
  }

  /**
   * node: renegotiation. TLS 1.3 has none: the callback gets OpenSSL's "wrong ssl version"
   * error (ERR_SSL_WRONG_SSL_VERSION) and false is returned, as from node. typetls does not
   * renegotiate TLS 1.2 either (RFC 5746 renegotiation is refused both ways): the callback
   * gets ERR_TLS_RENEGOTIATION_DISABLED.
   */
  renegotiate(options: { rejectUnauthorized?: boolean; requestCert?: boolean }, callback?: (err: Error | null) => void): boolean | undefined {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalidArgType('options', 'object', options);
    if (callback !== undefined && typeof callback !== 'function') throw invalidArgType('callback', 'function', callback);
    if (this.destroyed) return undefined;
    const err =
      this.getProtocol() === 'TLSv1.3'
        ? sslError('api_misuse', 266, 'wrong ssl version')
        : codedError('ERR_TLS_RENEGOTIATION_DISABLED', 'TLS session renegotiation disabled for this socket');
    if (callback) process.nextTick(callback, err);
    return false;
  }

  /**
   * node: prints the records and handshake messages to stderr, as OpenSSL's SSL_trace() does.
   * typetls traces from the start of the handshake: on a socket whose handshake has started
   * (a client after its first tick, a server once the client has spoken) it changes nothing.
   */
  enableTrace(): void {
    if (this.destroyed) throw codedError('ERR_TLS_INVALID_STATE', 'TLS socket connection must be securely established');
    if (this.#connection !== undefined || this.#tracing) return;
    this.#tracing = true;
    warnTracing();
    const config = this.#config as { trace: ClientConfig['trace'] };
    config.trace = stderrTrace(config.trace);
  }

  /** node: refuses renegotiation from the peer. typetls always does (a no_renegotiation warning, RFC 5746): nothing to change. */
  disableRenegotiation(): void {}

  /**
   * node: the largest plaintext fragment sent, between 512 and 16384 bytes (true), or false
   * for a size outside that range.
   */
  setMaxSendFragment(size: number): boolean {
    if (typeof size !== 'number') throw invalidArgType('size', 'number', size);
    if (!Number.isInteger(size) || size < 512 || size > 16384) return false;
    this.#conn.setMaxSendFragment(size);
    return true;
  }

  /** node: the session ticket the client holds (RFC 5077 / RFC 8446 NewSessionTicket), undefined without one. */
  getTLSTicket(): Buffer | undefined {
    const ticket = this.#session === undefined ? undefined : decodeClientSession(this.#session)?.ticket;
    return ticket && ticket.length > 0 ? Buffer.from(ticket) : undefined;
  }

  getSession(): Buffer | undefined {
    return this.#session;
  }

  /**
   * The signature schemes both sides accept, by OpenSSL's names ('RSA-PSS+SHA256', 'ECDSA+SHA256',
   * 'Ed25519+UNDEF', ...), in the server's order: a server's own schemes that the ClientHello
   * offered, or on a client those of the server's CertificateRequest that we offer (empty when
   * the server asked for no certificate).
   */
  getSharedSigalgs(): string[] {
    const info = this.#conn.info;
    const peer = info.peerSignatureSchemes;
    if (peer === undefined) return [];
    const config = this.#config;
    const shared = this.#isServer
      ? (info.version === ProtocolVersion['TLSv1.3'] ? config.signatureSchemes : (config as ServerConfig).signatureSchemes12).filter((s) => peer.includes(s))
      : peer.filter((s) => config.signatureSchemes.includes(s));
    return shared.map(nodeSigalgName).filter((name): name is string => name !== undefined);
  }

  /** The verify_data of the last Finished message we sent (RFC 5929 tls-unique in TLS 1.2), as node's. */
  getFinished(): Buffer | undefined {
    const data = this.#connection?.info.finished;
    return data ? Buffer.from(data) : undefined;
  }

  /** The verify_data of the last Finished message the peer sent. */
  getPeerFinished(): Buffer | undefined {
    const data = this.#connection?.info.peerFinished;
    return data ? Buffer.from(data) : undefined;
  }

  setNoDelay(noDelay?: boolean): this {
    (this.transport as Partial<net.Socket>).setNoDelay?.(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    (this.transport as Partial<net.Socket>).setKeepAlive?.(enable, initialDelay);
    return this;
  }

  setTimeout(timeout: number, callback?: () => void): this {
    (this.transport as Partial<net.Socket>).setTimeout?.(timeout);
    this.timeout = timeout;
    if (callback) {
      if (timeout === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    return this;
  }

  address(): net.AddressInfo | Record<string, never> {
    return ((this.transport as Partial<net.Socket>).address?.() as net.AddressInfo | undefined) ?? {};
  }

  get remoteAddress(): string | undefined {
    return (this.transport as Partial<net.Socket>).remoteAddress;
  }

  get remotePort(): number | undefined {
    return (this.transport as Partial<net.Socket>).remotePort;
  }

  get remoteFamily(): string | undefined {
    return (this.transport as Partial<net.Socket>).remoteFamily;
  }

  get localAddress(): string | undefined {
    return (this.transport as Partial<net.Socket>).localAddress;
  }

  get localPort(): number | undefined {
    return (this.transport as Partial<net.Socket>).localPort;
  }

  ref(): this {
    (this.transport as Partial<net.Socket>).ref?.();
    return this;
  }

  unref(): this {
    (this.transport as Partial<net.Socket>).unref?.();
    return this;
  }
}
