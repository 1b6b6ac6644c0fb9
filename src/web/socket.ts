// TLS over web streams: connect(transport, options) and accept(transport, options), in the shape of
// Cloudflare's `connect()` socket (cloudflare:sockets) and Deno's `startTls`. `transport` is any pair of
// byte streams — a Workers TCP socket, a WebSocket adapted to streams, a Deno.Conn's streams — and
// the result is again `{ readable, writable }` of bytes, with `opened` (the handshake), `closed` and
// `close()`. Options keep the node:tls names where they apply. No node:* here: this runs wherever
// ReadableStream, WritableStream and crypto.getRandomValues exist.

import { clientConfig, serverConfig, type CertifiedKey, type ClientConfig, type CommonConfig, type ConfigOptions, type ServerConfig } from '../config.js';
import { ClientConnection, ServerConnection, type Connection, type ConnectionEvent, type TrafficKeys } from '../connection.js';
import { portableCryptoProvider } from '../crypto/portable.js';
import type { CryptoProvider, KeyShare } from '../crypto/provider.js';
import { TlsError } from '../errors.js';
import { NamedGroup, namedGroupName, ProtocolVersion } from '../wire/enums.js';
import { parseCertificate, type Certificate } from '../x509/certificate.js';
import { pemDecode } from '../x509/pem.js';
import { initialShareGroups } from '../handshake/client.js';
import type { Request } from '../handshake/requests.js';
import { WebCryptoHandshake, type SubtleHandshake } from './handshake.js';
import { RecordSplitter, runtimeSubtle, WebCryptoRecords } from './records.js';

/** A byte transport: what a TCP socket, a WebSocket adapter or a test pipe gives. */
export interface ByteTransport {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

/** PEM text (one or more blocks) or DER bytes. */
export type PemOrDer = string | Uint8Array;

export interface TlsCommonOptions {
  /** Trusted CA certificates (PEM or DER); no system store is reachable from a page or a Worker. */
  readonly ca?: PemOrDer | readonly PemOrDer[];
  /** Our certificate chain, leaf first (PEM, or DER of the leaf alone). */
  readonly cert?: PemOrDer;
  /** Our private key: PEM (PKCS#8, PKCS#1, SEC1) or DER PKCS#8. */
  readonly key?: PemOrDer;
  /** ALPN protocols in order of preference. */
  readonly ALPNProtocols?: readonly string[];
  /** 'TLSv1.2' (the default) or 'TLSv1.3', as node:tls names them; 'TLSv1' and 'TLSv1.1' when asked for. */
  readonly minVersion?: string;
  readonly maxVersion?: string;
  /**
   * The key exchange groups in order of preference, as node:tls's ecdhCurve: 'X25519MLKEM768:X25519:P-256'
   * (the IANA names, P-256/P-384/P-521 and prime256v1 too); by default typetls's own list.
   */
  readonly ecdhCurve?: string;
  /** Fail the handshake when the peer's certificate does not verify (default true). */
  readonly rejectUnauthorized?: boolean;
  /** Called with every NSS key-log line (for Wireshark; never in production). */
  readonly keylog?: (line: string) => void;
  /** The crypto provider; the portable one by default. */
  readonly provider?: CryptoProvider;
  /**
   * Use WebCrypto (crypto.subtle) where the runtime has it: true by default. A client makes its ECDH
   * key shares (P-256, P-384, X25519) and checks the server's TLS 1.3 CertificateVerify with it, and
   * both sides seal and open AES-GCM application data records with it, several at once. false keeps
   * everything on the provider.
   */
  readonly webCrypto?: boolean;
}

export interface TlsConnectOptions extends TlsCommonOptions {
  /** The server name: sent as SNI and checked against the certificate. */
  readonly servername?: string;
  /** A session from an earlier connection's `session`, to resume. */
  readonly session?: Uint8Array;
}

export interface TlsAcceptOptions extends TlsCommonOptions {
  /** Ask the client for a certificate (mutual TLS); with rejectUnauthorized it must verify against `ca`. */
  readonly requestCert?: boolean;
  /** 48 bytes sealing session tickets (node:tls `ticketKeys`): give every server of a fleet the same. */
  readonly ticketKeys?: Uint8Array;
}

/** What was negotiated, once `opened` has resolved. */
export interface TlsSocketInfo {
  /** 'TLSv1.3' or 'TLSv1.2' (node:tls getProtocol()). */
  readonly protocol: string;
  /** The IANA name of the cipher suite (node:tls getCipher().standardName). */
  readonly cipher: string;
  /** The key exchange group ('X25519MLKEM768', 'x25519', 'secp256r1', ...), when there was one. */
  readonly group: string | undefined;
  readonly alpnProtocol: string | false;
  /** The peer's chain as it sent it, leaf first. */
  readonly peerCertificates: readonly Certificate[];
  readonly authorized: boolean;
  readonly authorizationError: TlsError | undefined;
  readonly sessionReused: boolean;
}

export interface TlsSocket {
  /** Application data from the peer; it ends at the peer's close_notify. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Application data to the peer; closing it sends close_notify. */
  readonly writable: WritableStream<Uint8Array>;
  /** The handshake: resolves with what was negotiated, rejects with a TlsError (node-style `code`). */
  readonly opened: Promise<TlsSocketInfo>;
  /**
   * Resolves when the connection is over in both directions; rejects with the error that ended it, once the
   * fatal alert (if any) has been handed to the transport and the transport closed.
   */
  readonly closed: Promise<void>;
  /**
   * Sends close_notify and closes the transport. On a failed connection it resolves once the alert has gone
   * out and the transport is closed: an application that also closes the transport itself (a Workers socket's
   * `close()`) does so after `await tls.close()`, or the peer never learns why.
   */
  close(): Promise<void>;
  /** What was negotiated (undefined before the handshake completes). */
  readonly info: TlsSocketInfo | undefined;
  /** The latest session the server gave (client side), for `session` on a later connect(). */
  readonly session: Uint8Array | undefined;
}

const versions: Record<string, number> = {
  TLSv1: ProtocolVersion.TLSv1,
  'TLSv1.1': ProtocolVersion['TLSv1.1'],
  'TLSv1.2': ProtocolVersion['TLSv1.2'],
  'TLSv1.3': ProtocolVersion['TLSv1.3'],
};

function version(name: string | undefined, option: string): number | undefined {
  if (name === undefined) return undefined;
  const v = versions[name];
  if (v === undefined) throw new TlsError('api_misuse', `${option} must be one of ${Object.keys(versions).join(', ')}`, { code: 'ERR_TLS_INVALID_PROTOCOL_VERSION' });
  return v;
}

/** node:tls's names for the NIST curves beside the IANA ones (NamedGroup's keys). */
const curveAliases: Record<string, number> = { 'p-256': NamedGroup.secp256r1, prime256v1: NamedGroup.secp256r1, 'p-384': NamedGroup.secp384r1, 'p-521': NamedGroup.secp521r1 };

function groups(list: string): number[] {
  const byName = new Map<string, number>(Object.entries(NamedGroup).map(([name, id]) => [name.toLowerCase(), id]));
  const out: number[] = [];
  for (const raw of list.split(/[:,]/)) {
    const name = raw.trim().toLowerCase();
    if (name === '') continue;
    const group = curveAliases[name] ?? byName.get(name);
    if (group === undefined) throw new TlsError('api_misuse', `ecdhCurve: unknown group ${JSON.stringify(raw.trim())}`, { code: 'ERR_CRYPTO_OPERATION_FAILED' });
    if (!out.includes(group)) out.push(group);
  }
  if (out.length === 0) throw new TlsError('api_misuse', 'ecdhCurve names no group', { code: 'ERR_CRYPTO_OPERATION_FAILED' });
  return out;
}

/**
 * The certificates of the last few PEM texts given (most often the same `ca` on every connect()), so
 * that a page making many connections decodes and parses them once, as node:tls's SecureContext does.
 */
const parsedPem = new Map<string, readonly Certificate[]>();
const PARSED_PEM_KEPT = 8;

function pemCertificates(pem: string): readonly Certificate[] {
  let parsed = parsedPem.get(pem);
  if (parsed === undefined) {
    parsed = pemDecode(pem).filter((b) => b.label === 'CERTIFICATE').map((b) => parseCertificate(b.der));
    if (parsedPem.size >= PARSED_PEM_KEPT) parsedPem.delete(parsedPem.keys().next().value!);
    parsedPem.set(pem, parsed);
  }
  return parsed;
}

function certificates(input: PemOrDer | readonly PemOrDer[] | undefined): Certificate[] {
  if (input === undefined) return [];
  const list = (Array.isArray(input) ? input : [input]) as readonly PemOrDer[];
  return list.flatMap((item) => (typeof item === 'string' ? pemCertificates(item) : [parseCertificate(item)]));
}

function certifiedKey(provider: CryptoProvider, options: TlsCommonOptions): CertifiedKey | undefined {
  if (options.cert === undefined && options.key === undefined) return undefined;
  if (options.cert === undefined || options.key === undefined) {
    throw new TlsError('api_misuse', 'cert and key must be given together', { code: 'ERR_INVALID_ARG_VALUE' });
  }
  return { chain: certificates(options.cert), key: provider.loadPrivateKey(options.key) };
}

function commonConfig(options: TlsCommonOptions, provider: CryptoProvider) {
  const keylog = options.keylog;
  return {
    provider,
    roots: certificates(options.ca),
    alpnProtocols: options.ALPNProtocols ?? [],
    rejectUnauthorized: options.rejectUnauthorized ?? true,
    ...(options.ecdhCurve !== undefined ? { groups: groups(options.ecdhCurve) } : {}),
    ...(options.minVersion !== undefined ? { minVersion: version(options.minVersion, 'minVersion') } : {}),
    ...(options.maxVersion !== undefined ? { maxVersion: version(options.maxVersion, 'maxVersion') } : {}),
    ...(keylog ? { keyLog: (line: string) => keylog(line) } : {}),
  };
}

/** TLS client over `transport`. The handshake starts at once; `opened` says how it went. */
export function connect(transport: ByteTransport, options: TlsConnectOptions = {}): TlsSocket {
  const provider = options.provider ?? portableCryptoProvider;
  const key = certifiedKey(provider, options);
  const config = clientConfig({
    ...commonConfig(options, provider),
    ...(key ? { certificates: [key] } : {}),
  } as ConfigOptions<ClientConfig>);
  const web = webCrypto(options, provider, config);
  const connection = (keyShares?: readonly KeyShare[]) =>
    new ClientConnection(web === undefined ? config : { ...config, ask: { ...config.ask, signature: true, verify: true } }, {
      ...(options.servername !== undefined ? { serverName: options.servername } : {}),
      ...(options.session !== undefined ? { session: options.session } : {}),
      ...(keyShares !== undefined && keyShares.length > 0 ? { keyShares } : {}),
    });
  // With WebCrypto, the key shares are made first (asynchronously), and the ClientHello with them.
  const conn = web === undefined ? connection() : web.handshake.keyShares(initialShareGroups(config.groups)).then(connection);
  return new StreamSocket(conn, transport, web);
}

/** WebCrypto's part, unless the runtime has none or the application said no. */
interface WebCrypto {
  readonly records: WebCryptoRecords;
  readonly handshake: WebCryptoHandshake;
  /** The connection's config: the rules a 'verify' request is answered by. */
  readonly config: CommonConfig;
}

function webCrypto(options: TlsCommonOptions, provider: CryptoProvider, config: CommonConfig): WebCrypto | undefined {
  if (options.webCrypto === false) return undefined;
  const subtle = runtimeSubtle();
  if (subtle === undefined) return undefined;
  return { records: new WebCryptoRecords(subtle), handshake: new WebCryptoHandshake(subtle as unknown as SubtleHandshake, provider), config };
}

/** TLS server over `transport` (one connection accepted by the application: a WebSocket, a TCP stream). */
export function accept(transport: ByteTransport, options: TlsAcceptOptions): TlsSocket {
  const provider = options.provider ?? portableCryptoProvider;
  const key = certifiedKey(provider, options);
  if (key === undefined) throw new TlsError('api_misuse', 'a server needs cert and key', { code: 'ERR_INVALID_ARG_VALUE' });
  const config = serverConfig({
    ...commonConfig(options, provider),
    certificates: [key],
    requestCert: options.requestCert ?? false,
    ...(options.ticketKeys !== undefined ? { ticketKeys: [options.ticketKeys] } : {}),
  } as ConfigOptions<ServerConfig>);
  return new StreamSocket(new ServerConnection(config), transport, webCrypto(options, provider, config));
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A rejection nobody awaits is not an unhandled one: the same error reaches the streams.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** How many received records may be opening at once, ahead of the application's reading. */
const MAX_RECORDS_AHEAD = 32;

/** A received record and, when the read keys were known, its opening under them, already started. */
interface Incoming {
  readonly record: Uint8Array;
  opening: { readonly key: Uint8Array; readonly seq: number; readonly plaintext: Promise<Uint8Array | undefined> } | undefined;
}

/** Drives one Connection between a byte transport and two application streams. */
class StreamSocket implements TlsSocket {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  info: TlsSocketInfo | undefined;
  session: Uint8Array | undefined;
  private readonly openedD = deferred<TlsSocketInfo>();
  private readonly closedD = deferred<void>();
  private readonly transportWriter: WritableStreamDefaultWriter<Uint8Array>;
  private readonly transportReader: ReadableStreamDefaultReader<Uint8Array>;
  private readableController!: ReadableStreamDefaultController<Uint8Array>;
  /** Resolved when the application wants more data (backpressure on reading the transport). */
  private wantMore: (() => void) | undefined;
  /** Writes to the transport, one after another. */
  private sending: Promise<void> = Promise.resolve();
  private readableDone = false;
  private writableDone = false;
  private failed: unknown;
  /** Once failed: settles when the alert has been sent and the transport closed. */
  private failedTransportClosed: Promise<void> | undefined;

  /** Received records in order, when application data records are opened with WebCrypto. */
  private readonly splitter = new RecordSplitter();
  private incoming: Incoming[] = [];
  /** The read keys and the sequence number the next received record will have, once they are known. */
  private ahead: { keys: TrafficKeys; seq: number } | undefined;
  /** The loop handing `incoming` on in order: the latest one started, and whether it still runs. */
  private consuming: Promise<void> = Promise.resolve();
  private consumerRunning = false;

  /** The connection: a client's is made once its WebCrypto key shares are (`ready`). */
  private conn!: Connection;
  private readonly ready: Promise<void>;
  /** Records on WebCrypto, when it is used. */
  private readonly web: WebCryptoRecords | undefined;

  constructor(conn: Connection | Promise<Connection>, transport: ByteTransport, private readonly webCrypto: WebCrypto | undefined) {
    this.web = webCrypto?.records;
    // STARTTLS: the plaintext part of the protocol must have let go of the streams (releaseLock()).
    for (const [name, stream] of [['readable', transport.readable], ['writable', transport.writable]] as const) {
      if (stream.locked) {
        throw new TlsError('api_misuse', `the transport's ${name} is locked: release the reader or writer used before TLS (releaseLock()) first`, { code: 'ERR_INVALID_STATE' });
      }
    }
    this.transportWriter = transport.writable.getWriter();
    this.transportReader = transport.readable.getReader();
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.readableController = controller;
        },
        pull: () => this.releaseReader(),
        cancel: () => {
          this.readableDone = true;
          // The read loop may be waiting for room in this stream: it goes on reading the transport.
          this.releaseReader();
          this.finishIfDone();
        },
      },
      { highWaterMark: 4 },
    );
    this.writable = new WritableStream<Uint8Array>({
      write: async (chunk) => {
        await this.opened;
        this.throwIfFailed();
        if (!this.sealWithWebCrypto(chunk)) {
          this.conn.write(chunk);
          this.flush();
        }
        await this.sending;
      },
      close: async () => {
        await this.close();
      },
      abort: async (reason) => {
        this.fail(reason instanceof Error ? reason : new TlsError('closed', 'the application aborted the stream'));
      },
    });
    const start = (c: Connection): void => {
      this.conn = c;
      this.flush(); // a client's ClientHello is already waiting
    };
    if (conn instanceof Promise) {
      this.ready = conn.then(start, (e: unknown) => this.fail(e instanceof TlsError ? e : new TlsError('internal_error', 'the connection could not be made', { cause: e })));
    } else {
      start(conn);
      this.ready = Promise.resolve();
    }
    void this.readLoop();
  }

  get opened(): Promise<TlsSocketInfo> {
    return this.openedD.promise;
  }

  get closed(): Promise<void> {
    return this.closedD.promise;
  }

  async close(): Promise<void> {
    await this.ready;
    if (this.failedTransportClosed !== undefined) {
      await this.failedTransportClosed;
      return;
    }
    if (!this.writableDone && this.failed === undefined) {
      this.writableDone = true;
      this.conn.close();
      this.flush();
      await this.sending.catch(() => undefined);
      await this.transportWriter.close().catch(() => undefined);
      // A handshake that never finished will not: opened rejects now rather than never.
      if (!this.conn.handshakeComplete) this.fail(new TlsError('closed', 'the connection was closed before the handshake completed'));
    }
    this.finishIfDone();
  }

  /** Lets the read loop go on when it waits for the application to read. */
  private releaseReader(): void {
    const wake = this.wantMore;
    this.wantMore = undefined;
    wake?.();
  }

  private throwIfFailed(): void {
    if (this.failed !== undefined) throw this.failed;
  }

  private flush(): void {
    if (this.conn === undefined) return;
    const out = this.conn.takeOutput();
    if (out.length === 0) return;
    this.send(out);
  }

  /**
   * Seals `chunk` as application data records with WebCrypto, when the engine hands its write keys
   * over: their sequence numbers are taken now, so that whatever the engine sends later (a KeyUpdate,
   * close_notify) follows them; they go out in this order once sealed. False: the engine writes it.
   */
  private sealWithWebCrypto(chunk: Uint8Array): boolean {
    if (this.web === undefined || chunk.length === 0) return false;
    this.flush(); // the engine's queued output comes first
    const keys = this.conn.trafficKeys('write');
    if (keys === undefined || !this.web.supports(keys)) return false;
    const count = WebCryptoRecords.recordCount(keys, chunk.length);
    if (count > keys.recordsLeft) return false; // the engine sends KeyUpdate where the limit falls
    this.conn.skipRecords('write', count);
    this.send(this.web.seal(keys, chunk));
    return true;
  }

  /** Queues bytes (or bytes still being sealed) for the transport, after everything queued before. */
  private send(out: Uint8Array | Promise<Uint8Array>): void {
    this.sending = this.sending.then(async () => {
      let bytes: Uint8Array;
      try {
        bytes = await out;
      } catch (e) {
        throw new TlsError('internal_error', 'WebCrypto could not seal a record', { cause: e });
      }
      await this.transportWriter.write(bytes);
    }).catch((e: unknown) => {
      // Once we have closed, a close_notify the transport no longer takes is no failure: the peer has gone.
      if (this.writableDone && this.failed === undefined) return;
      this.fail(e instanceof TlsError ? e : new TlsError('closed', 'the transport failed while sending', { cause: e }));
    });
  }

  private handle(events: readonly ConnectionEvent[]): void {
    for (const event of events) {
      switch (event.type) {
        case 'handshakeDone': {
          const i = this.conn.info;
          this.info = {
            protocol: i.protocol!,
            cipher: i.cipherSuite!.standardName,
            group: i.group === undefined ? undefined : namedGroupName(i.group),
            alpnProtocol: i.alpnProtocol,
            peerCertificates: i.peerCertificates,
            authorized: i.authorized,
            authorizationError: i.authorizationError,
            sessionReused: i.sessionReused,
          };
          this.openedD.resolve(this.info);
          break;
        }
        case 'data':
          if (!this.readableDone) this.readableController.enqueue(event.data.slice());
          break;
        case 'peerClosed':
          this.endReadable();
          break;
        case 'session':
          this.session = event.session;
          break;
        case 'error':
          this.fail(event.error);
          break;
        case 'request':
          this.answer(event.request);
          break;
        default:
          break;
      }
    }
  }

  private endReadable(): void {
    if (!this.readableDone) {
      this.readableDone = true;
      try {
        this.readableController.close();
      } catch {
        // already closed by a cancel
      }
    }
    this.finishIfDone();
  }

  /**
   * Answers the engine's request with WebCrypto ('agree', 'signature'), then lets the handshake go on.
   * Other requests are not made by the configs connect() and accept() build.
   */
  private answer(request: Request): void {
    const handshake = this.webCrypto?.handshake;
    let answer: Promise<unknown>;
    if (handshake !== undefined && request.kind === 'agree') answer = handshake.agree(request);
    else if (handshake !== undefined && request.kind === 'signature') answer = handshake.verifySignature(request);
    else if (handshake !== undefined && request.kind === 'verify') answer = handshake.verifyChain(request, this.webCrypto!.config);
    else answer = Promise.reject(new TlsError('internal_error', `no answer to a ${request.kind} request`));
    void answer
      .then((value) => this.conn.resolve(request, value as never), (e: unknown) => this.conn.reject(request, e))
      .then(() => {
        if (this.failed !== undefined) return;
        this.handle(this.conn.process());
        this.flush();
        if (this.web !== undefined) this.reopenAhead();
        this.releaseReader();
      })
      .catch((e: unknown) => this.fail(e instanceof TlsError ? e : new TlsError('internal_error', 'the handshake could not go on', { cause: e })));
  }

  private async readLoop(): Promise<void> {
    await this.ready;
    try {
      for (;;) {
        if (this.failed !== undefined) return;
        if (this.conn.handshakeComplete && !this.readableDone && (this.readableController.desiredSize ?? 1) <= 0) {
          await new Promise<void>((resolve) => (this.wantMore = resolve));
        }
        if (this.web !== undefined) {
          // Records opening with WebCrypto ahead of the application: a bounded number at a time.
          while (this.incoming.length >= MAX_RECORDS_AHEAD && this.failed === undefined) {
            await new Promise<void>((resolve) => (this.wantMore = resolve));
          }
          if (this.failed !== undefined) return;
        }
        const { value, done } = await this.transportReader.read();
        if (done) {
          // Records received before the end are handed on first.
          await this.consuming;
          if (this.failed !== undefined) return;
          // The transport ended without close_notify: before the handshake that is a failure; after
          // it, node:tls ends the stream too (a truncation the application may see from its own framing).
          // Our direction stays open (a TCP half-close): the application ends it with close().
          if (!this.conn.handshakeComplete) this.fail(new TlsError('closed', 'the transport closed before the handshake completed', { code: 'ECONNRESET' }));
          this.endReadable();
          return;
        }
        if (this.web !== undefined) {
          this.splitter.push(value);
          for (let record = this.splitter.next(); record !== undefined; record = this.splitter.next()) {
            this.incoming.push({ record, opening: this.openAhead(record) });
          }
          // The loop clears consumerRunning itself, in the step that finds `incoming` empty, so that
          // records pushed after it are never left without a loop to hand them on.
          if (!this.consumerRunning) {
            this.consumerRunning = true;
            this.consuming = this.consume();
          }
          continue;
        }
        this.conn.receive(value);
        this.handle(this.conn.process());
        this.flush();
      }
    } catch (e) {
      // A transport that fails with a TlsError (the WebSocket adapter's) has said what happened.
      this.fail(e instanceof TlsError ? e : new TlsError('closed', 'the transport failed while receiving', { cause: e }));
    }
  }

  /** Starts opening a received record as the next application data record, when the read keys are known. */
  private openAhead(record: Uint8Array): Incoming['opening'] {
    const ahead = this.ahead;
    if (ahead === undefined) return undefined;
    const seq = ahead.seq++;
    return { key: ahead.keys.key, seq, plaintext: this.web!.open(ahead.keys, seq, record) };
  }

  /**
   * Hands the received records on in order: application data opened with WebCrypto goes to the
   * application (the engine skips its sequence number); every other record goes to the engine as
   * it came. After the engine has read one, the read keys may have changed (the handshake done, a
   * KeyUpdate): the records behind it start opening again under the keys the engine now has.
   */
  private async consume(): Promise<void> {
    try {
      while (this.incoming.length > 0 && this.failed === undefined) {
        const entry = this.incoming[0]!;
        const opening = entry.opening;
        if (this.ahead !== undefined && opening !== undefined) {
          const plaintext = await opening.plaintext;
          if (this.failed !== undefined) return;
          // The read keys changed meanwhile (an answer let the handshake go on): look at the record again.
          if (entry.opening !== opening) continue;
          if (plaintext !== undefined) {
            this.incoming.shift();
            this.conn.skipRecords('read', 1);
            if (!this.readableDone) this.readableController.enqueue(plaintext);
            if (this.incoming.length < MAX_RECORDS_AHEAD / 2) this.releaseReader();
            continue;
          }
        }
        this.incoming.shift();
        this.conn.receive(entry.record);
        this.handle(this.conn.process());
        this.flush();
        this.reopenAhead();
        this.releaseReader();
      }
    } catch (e) {
      this.fail(e instanceof TlsError ? e : new TlsError('internal_error', 'opening a record failed', { cause: e }));
    } finally {
      // In the same step as the loop's last check (no await between): a record pushed after it starts a new loop.
      this.consumerRunning = false;
    }
  }

  /** Takes the read keys from the engine again and reopens the queued records that were opened under others. */
  private reopenAhead(): void {
    const keys = this.conn.trafficKeys('read');
    if (keys === undefined || !this.web!.supports(keys)) {
      this.ahead = undefined;
      for (const entry of this.incoming) entry.opening = undefined;
      return;
    }
    this.ahead = { keys, seq: keys.seq };
    for (const entry of this.incoming) {
      const seq = this.ahead.seq++;
      if (entry.opening?.key !== keys.key || entry.opening.seq !== seq) {
        entry.opening = { key: keys.key, seq, plaintext: this.web!.open(keys, seq, entry.record) };
      }
    }
  }

  private fail(error: unknown): void {
    if (this.failed !== undefined) return;
    this.failed = error;
    this.openedD.reject(error);
    try {
      this.readableController.error(error);
    } catch {
      // already closed
    }
    this.readableDone = true;
    this.writableDone = true;
    this.releaseReader();
    // The fatal alert, if any, is in the output: send it, then close the transport; `closed` rejects after.
    this.flush();
    this.failedTransportClosed = this.sending.then(() => this.transportWriter.close()).catch(() => undefined);
    void this.failedTransportClosed.then(() => this.closedD.reject(error));
    void this.transportReader.cancel().catch(() => undefined);
  }

  private finishIfDone(): void {
    if (this.failed !== undefined || !this.readableDone || !this.writableDone) return;
    void this.transportReader.cancel().catch(() => undefined);
    this.closedD.resolve();
  }
}
