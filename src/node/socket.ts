// TLSSocket: a node:tls-compatible Duplex that drives a sans-I/O Connection over any Duplex
// transport (a net.Socket by default, or any stream: STARTTLS, in-memory pairs).
//
// The loop, as in the engine's own sketch: transport 'data' → conn.receive(), conn.process(),
// handle the events, write conn.takeOutput() to the transport.

import { Duplex } from 'node:stream';
import * as net from 'node:net';
import { ClientConnection, ServerConnection, type Connection, type ConnectionEvent, type ConnectionInfo } from '../connection.js';
import type { ClientConfig, ServerConfig } from '../config.js';
import type { TlsError } from '../errors.js';
import { isPskSuite, type CipherSuite } from '../suites.js';
import { NamedGroup } from '../wire/enums.js';
import { SecureContext, type TlsOptions } from './options.js';
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
  /** Parsed options; when absent, one is made from the other options. */
  secureContext?: SecureContext;
  /** The server that accepted the transport (server sockets). */
  server?: net.Server;
  /** Client: the host connected to; the name checked (and sent as SNI) unless `servername` is set. */
  host?: string;
  /** Client: an extra identity check after the handshake, with node semantics (return an Error to fail). */
  checkServerIdentity?: (hostname: string, cert: PeerCertificate) => Error | undefined;
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

function disconnectedError(side: 'client' | 'server'): Error & { code: string } {
  const e = new Error(
    side === 'client'
      ? 'Client network socket disconnected before secure TLS connection was established'
      : 'socket hang up: the client disconnected before the TLS handshake finished',
  ) as Error & { code: string };
  e.code = 'ECONNRESET';
  return e;
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

  readonly #conn: Connection;
  readonly #config: ClientConfig | ServerConfig;
  readonly #isServer: boolean;
  readonly #checkIdentity: TLSSocketOptions['checkServerIdentity'];
  readonly #identityName: string | undefined;
  #secure = false;
  #processing = false;
  #eofPushed = false;
  #pausedTransport = false;
  /** Our writable side finished: end the transport once the last output is written. */
  #endTransport = false;
  #session: Buffer | undefined;
  #writeCallbacks: Callback[] = [];
  /** The transport is a net.Socket: reads arrive in fresh buffers, writes are copied to the kernel. */
  readonly #kernelTransport: boolean;

  constructor(socket: Duplex | undefined, options: TLSSocketOptions = {}) {
    super({ allowHalfOpen: false, decodeStrings: true });
    this.#isServer = options.isServer === true;
    this.server = options.server;
    const context = options.secureContext ?? new SecureContext(options);
    this.transport = socket ?? new net.Socket({ allowHalfOpen: true });

    // node: a server's pskCallback is the server's option; a client's is the connection's.
    const pskCallback = options.pskCallback ?? context.options.pskCallback;
    validateSocketPskCallback(pskCallback);
    if (this.#isServer) {
      const config: ServerConfig = {
        ...context.serverConfig,
        keyLog: undefined,
        ...(pskCallback
          ? {
              pskForIdentity: serverPskForIdentity(pskCallback as ServerPskCallback, this),
              pskIdentityHint: identityHintBytes(options.pskIdentityHint ?? context.options.pskIdentityHint),
            }
          : {}),
      };
      this.#config = config;
      this.#conn = new ServerConnection(config);
      this.servername = undefined;
    } else {
      const config: ClientConfig = {
        ...context.clientConfig,
        keyLog: undefined,
        ...(pskCallback ? { pskForHint: clientPskForHint(pskCallback as ClientPskCallback, this) } : {}),
      };
      this.#config = config;
      // node: the name is `servername` or else the host; an IP address is checked against the
      // certificate's IP SANs and never sent as SNI (the engine decides that from the name).
      this.#identityName = options.servername || options.host || undefined;
      this.servername = options.servername ?? null;
      this.#checkIdentity = options.checkServerIdentity;
      this.#conn = new ClientConnection(config, {
        ...(this.#identityName !== undefined ? { serverName: this.#identityName } : {}),
        // node: a checkServerIdentity of the application replaces the built-in name check.
        verifyServerName: this.#checkIdentity === undefined,
        ...(options.session !== undefined ? { session: new Uint8Array(options.session) } : {}),
        ...(options.earlyData !== undefined ? { earlyData: new Uint8Array(options.earlyData) } : {}),
      });
    }

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
    t.on('data', (data: Buffer | string) => this.#onTransportData(typeof data === 'string' ? Buffer.from(data) : data));
    t.on('end', () => this.#onTransportEnd());
    t.on('close', () => this.#onTransportClose());
    t.on('error', (err: Error) => this.destroy(err));
    t.on('timeout', () => this.emit('timeout'));
    if (t instanceof net.Socket) t.on('connect', () => this.emit('connect'));
    // Start: the client's first flight (ClientHello) goes out at once; a net.Socket still
    // connecting buffers it.
    process.nextTick(() => this.#pump());
  }

  // --- the engine loop ---------------------------------------------------------------------

  #onTransportData(data: Buffer): void {
    if (this.destroyed) return;
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
        if (events.length === 0) break;
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
        if (!this.push(toBuffer(ev.data))) this.#pauseTransport();
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
      default: {
        const never: never = ev;
        void never;
      }
    }
  }

  /** Sends whatever the engine has produced; releases write callbacks once the bytes are accepted. */
  #flush(): void {
    const out = this.#conn.takeOutput();
    const callbacks = this.#secure || this.#conn.error ? this.#writeCallbacks.splice(0) : [];
    const t = this.transport;
    if (out.length > 0 && !t.destroyed && !t.writableEnded) {
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
    this.#secure = true;
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
    this.destroy(pskCallbackError(error) ?? error);
  }

  #pushEof(): void {
    if (this.#eofPushed) return;
    this.#eofPushed = true;
    this.push(null);
  }

  #pauseTransport(): void {
    if (this.#pausedTransport) return;
    this.#pausedTransport = true;
    this.transport.pause();
  }

  #onTransportEnd(): void {
    if (this.destroyed) return;
    if (!this.#secure) {
      this.destroy(disconnectedError(this.#isServer ? 'server' : 'client'));
      return;
    }
    // A missing close_notify is not an error, as in node: the stream simply ends.
    this.#pushEof();
  }

  #onTransportClose(): void {
    if (this.destroyed) return;
    if (!this.#secure) {
      this.destroy(disconnectedError(this.#isServer ? 'server' : 'client'));
      return;
    }
    if (!this.#eofPushed) this.destroy();
  }

  // --- stream.Duplex -----------------------------------------------------------------------

  override _read(): void {
    if (this.#pausedTransport) {
      this.#pausedTransport = false;
      this.transport.resume();
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
    const callbacks = this.#writeCallbacks.splice(0);
    for (const cb of callbacks) cb(error ?? new Error('socket destroyed'));
    callback(error);
  }

  /** net.Socket's destroySoon(): end the writable side, then destroy (http uses it). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  // --- node:tls TLSSocket ------------------------------------------------------------------

  get info(): ConnectionInfo {
    return this.#conn.info;
  }

  get connecting(): boolean {
    return (this.transport as Partial<net.Socket>).connecting ?? false;
  }

  getProtocol(): string | null {
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
    const g = this.#conn.info.group;
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
    const certs = this.#config.certificates;
    if (certs.length === 0) return {};
    const auth = this.#conn.info.cipherSuite?.auth;
    const fits = certs.find((c) =>
      auth === 'ecdsa' ? c.key.algorithm === 'ec' : auth === 'rsa' ? c.key.algorithm.startsWith('rsa') : true,
    );
    return peerCertificate((fits ?? certs[0]!).chain, false);
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

  getSession(): Buffer | undefined {
    return this.#session;
  }

  getFinished(): Buffer | undefined {
    return undefined;
  }

  getPeerFinished(): Buffer | undefined {
    return undefined;
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
