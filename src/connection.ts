// The sans-I/O connection engine: bytes in, bytes out, events. No sockets, no
// timers, no Buffer. One engine drives either role; the handshake itself is
// a chain of State objects (src/handshake/).

import type { ClientConfig, CommonConfig, Limits, ServerConfig } from './config.js';
import { alertFor, asTlsError, peerAlertError, TlsError } from './errors.js';
import type { AeadAlgorithm, CryptoProvider, KeyShare } from './crypto/provider.js';
import { startClient } from './handshake/client.js';
import { traceMessage, type HandshakeContext, type Input, type MutableInfo, type State } from './handshake/common.js';
import { ExpectClientHello, startServer } from './handshake/server.js';
import { ExpectSecondClientHello } from './handshake/server13.js';
import { AwaitAnswer, waitingFor, type AnswerTo, type Request } from './handshake/requests.js';
import { keyLogLine } from './keys/keylog.js';
import { Transcript } from './keys/transcript.js';
import { HandshakeJoiner, MAX_FRAGMENT } from './record/framer.js';
import { Traffic12 } from './handshake/traffic12.js';
import { Traffic13 } from './handshake/traffic13.js';
import { exporter12, exporter13 } from './keys/exporter.js';
import { RecordLayer } from './record/layer.js';
import type { PaddingPolicy, RecordProtection } from './record/protection.js';
import type { Annotator, Side } from './trace.js';
import { AlertDescription, AlertLevel, alertDescriptionName, ContentType, HandshakeType, ProtocolVersion } from './wire/enums.js';
import { encodeHandshakeInto, maxHandshakeBody, type HandshakeMessage } from './wire/messages.js';
import { Writer } from './wire/writer.js';
import type { CipherSuite } from './suites.js';
import type { Certificate } from './x509/certificate.js';

/**
 * The largest body we buffer for a handshake message of `type`: its protocol maximum (a
 * ClientHello of 131,396 bytes parses; RFC 8446 Section 4 and the message structures), and
 * no more than the configured limit (`maxCertificateMessage` for the messages that carry
 * certificates or an OCSP response in a uint24 vector, `maxHandshakeMessage` for the rest).
 */
function handshakeLimit(limits: Limits, type: number): number {
  if (type === HandshakeType.certificate || type === HandshakeType.certificate_status) return limits.maxCertificateMessage;
  return Math.min(maxHandshakeBody(type) ?? limits.maxHandshakeMessage, limits.maxHandshakeMessage);
}

export type ConnectionEvent =
  /** The handshake finished: `info` is complete and application data may flow. */
  | { readonly type: 'handshakeDone' }
  /** Application data received. */
  | { readonly type: 'data'; readonly data: Uint8Array }
  /** The peer sent close_notify: it will send nothing more. */
  | { readonly type: 'peerClosed' }
  /** A warning alert other than close_notify. */
  | { readonly type: 'alert'; readonly level: number; readonly description: number }
  /** A key-log line (NSS format), when a keyLog is configured. */
  | { readonly type: 'keylog'; readonly line: string }
  /** A session the client may resume later (serialised, opaque). */
  | { readonly type: 'session'; readonly session: Uint8Array }
  /** Client: the OCSP response the server stapled for its certificate (DER), when requestOcsp asked for one. */
  | { readonly type: 'ocspResponse'; readonly response: Uint8Array }
  /** Server: TLS 1.3 0-RTT data, received before the handshake completes (it may be a replay: act on it with care). */
  | { readonly type: 'earlyData'; readonly data: Uint8Array }
  /**
   * The handshake waits for the caller: answer with resolve(request, answer) or reject(request, error),
   * then call process() again. Until then no record is read (bytes received are kept).
   */
  | { readonly type: 'request'; readonly request: Request }
  /** The connection failed; the one fatal alert (if any) is in takeOutput(). Sticky. */
  | { readonly type: 'error'; readonly error: TlsError };

export interface ConnectionInfo {
  /** 'TLSv1.2' / 'TLSv1.3' once negotiated (node:tls getProtocol()). */
  readonly protocol: string | undefined;
  readonly version: number | undefined;
  readonly cipherSuite: CipherSuite | undefined;
  /** The (EC)DHE group, when there was one. */
  readonly group: number | undefined;
  /** TLS 1.2 DHE: the size of the prime in bits, also for a prime that is no named group. */
  readonly dhBits: number | undefined;
  /**
   * The signature schemes the peer accepts, in its order: a server reads them from the ClientHello's
   * signature_algorithms, a client from the server's CertificateRequest (undefined without one).
   */
  readonly peerSignatureSchemes: readonly number[] | undefined;
  /** The verify_data of the last Finished we sent, and of the peer's (node:tls getFinished()/getPeerFinished()). */
  readonly finished: Uint8Array | undefined;
  readonly peerFinished: Uint8Array | undefined;
  readonly alpnProtocol: string | false;
  /** SNI: the name the client asked for. */
  readonly serverName: string | undefined;
  /** The peer's chain as it sent it, leaf first. */
  readonly peerCertificates: readonly Certificate[];
  /** Whether the peer's certificate verified; false with `authorizationError` set otherwise. */
  readonly authorized: boolean;
  readonly authorizationError: TlsError | undefined;
  readonly sessionReused: boolean;
  readonly extendedMasterSecret: boolean;
  /** TLS 1.3 0-RTT: not offered, accepted by the server, or rejected (the client then sends the data again). */
  readonly earlyData: 'none' | 'accepted' | 'rejected';
}

export interface ReceiveOptions {
  /** The caller gives the bytes away: the engine may write over them (see Connection.receive). */
  readonly owned?: boolean;
}

export interface Connection {
  readonly side: 'client' | 'server';
  /**
   * Buffers bytes received from the transport. Never throws. With `owned` the caller gives the
   * memory away (a socket's fresh read buffer): records are decrypted in place in it, and the
   * application data handed up are views of it. Without it the bytes are never written.
   */
  receive(bytes: Uint8Array, options?: ReceiveOptions): void;
  /** Handles everything buffered; returns what happened. Never throws: failures are an 'error' event. */
  process(): ConnectionEvent[];
  /** Bytes to send to the transport (may be empty). */
  takeOutput(): Uint8Array;
  /**
   * Hands back what takeOutput() returned once the transport is done with the memory (the
   * bytes are in the kernel, not queued in a stream that still refers to them), so that the
   * next writes seal into it again. Optional: output never handed back is simply collected.
   */
  recycleOutput(bytes: Uint8Array): void;
  /** Queues application data (sent once the handshake is done). Throws TlsError(api_misuse) after close or error. */
  write(data: Uint8Array): void;
  /** Sends close_notify. */
  close(): void;
  /**
   * TLS 1.3 KeyUpdate (RFC 8446 Section 4.6.3): moves our writing to the next
   * traffic secret, and with `requestPeer` asks the peer to do the same.
   * Throws TlsError(api_misuse) before the handshake or in TLS 1.2.
   */
  updateKeys(requestPeer?: boolean): void;
  /**
   * Keying material for `label` and optional `context` (RFC 5705; RFC 8446 Section 7.5 in
   * TLS 1.3, where no context and an empty one are the same), `length` bytes, equal on both
   * ends. Throws TlsError(api_misuse) before the handshake is done.
   */
  exportKeyingMaterial(label: string, context: Uint8Array | undefined, length: number): Uint8Array;
  /** The largest plaintext we put in one record from now on (1..2^14), below any limit the peer set (RFC 8449). */
  setMaxSendFragment(size: number): void;
  /**
   * Answers the request of a 'request' event; the next process() goes on with it. Returns false, and
   * does nothing, when the request is not the one waiting: already answered, or the connection was
   * closed or failed meanwhile (the answer is dropped).
   */
  resolve<R extends Request>(request: R, answer: AnswerTo<R>): boolean;
  /**
   * Answers a request with a failure: a session lookup or an OCSP fetch that failed goes on without
   * (a full handshake, no staple); any other fails the handshake, with the error's alert when it is a
   * TlsError, else internal_error. Returns false as resolve() does.
   */
  reject(request: Request, error: unknown): boolean;
  /**
   * For a caller that protects application data records itself (typetls/web with WebCrypto, as the
   * Linux kernel's kTLS takes the keys from OpenSSL): the AEAD key, IV and next sequence number of
   * one direction. Undefined whenever records of that direction must go through the engine: before
   * the handshake is done, while a request waits, after close_notify or a failure, with a CBC suite
   * or record padding, while received bytes are still buffered (read), or while output is waiting to
   * be taken (write: call takeOutput() first). Holds secrets: never log it.
   */
  trafficKeys(direction: 'read' | 'write'): TrafficKeys | undefined;
  /**
   * The caller opened (read) or sealed (write) `count` application data records under
   * trafficKeys(direction), in order: their sequence numbers are used, and the engine goes on after
   * them. Only for non-empty application data of at most `maxFragment` bytes; every other record
   * (a handshake message, an alert, one that did not open) goes to receive() as it came, and the
   * engine answers it (bad_record_mac, KeyUpdate, ...). Throws TlsError(api_misuse) when
   * trafficKeys(direction) is undefined or `count` is over `recordsLeft`.
   */
  skipRecords(direction: 'read' | 'write', count: number): void;
  /** The request the handshake waits on, if any. */
  readonly pendingRequest: Request | undefined;
  readonly handshakeComplete: boolean;
  readonly info: ConnectionInfo;
  /** The sticky error, once failed. */
  readonly error: TlsError | undefined;
}

/** The first size of a flight's buffer (a TLS 1.3 resumption's flight is about 150 bytes, a full one with a certificate chain a few KiB). */
const FLIGHT_BUFFER = 1024;

/** Connection.trafficKeys(): what protecting application data records outside the engine takes. */
export interface TrafficKeys {
  /** The negotiated version: 0x0304 (TLS 1.3 records, RFC 8446 Section 5.2) or 0x0303 (RFC 5246 Section 6.2.3.3). */
  readonly version: number;
  readonly algorithm: AeadAlgorithm;
  readonly key: Uint8Array;
  /** TLS 1.3: the 12-byte IV (nonce = IV XOR seq); TLS 1.2 AES-GCM: the 4-byte salt (RFC 5288); TLS 1.2 ChaCha20-Poly1305: the 12-byte IV. */
  readonly iv: Uint8Array;
  /** The sequence number of the next record of this direction. */
  readonly seq: number;
  /** The largest plaintext one record may carry (RFC 8449 record_size_limit, setMaxSendFragment()). */
  readonly maxFragment: number;
  /** write: how many records this key may still protect before the engine must send KeyUpdate (limits.maxRecordsPerKey). */
  readonly recordsLeft: number;
}

export interface ClientOptions {
  /**
   * Key shares made before the ClientHello, used in place of the provider's for their groups in the
   * first ClientHello (typetls/web makes them with WebCrypto). A share marked `external` is agreed by
   * the caller: an 'agree' request once the ServerHello names its group.
   */
  readonly keyShares?: readonly KeyShare[];
  /** The server name: sent as SNI when it is a DNS name, and checked against the certificate. */
  readonly serverName?: string;
  /**
   * Check `serverName` against the certificate (RFC 6125); default true. False leaves the
   * name check to the application (node:tls checkServerIdentity); the chain is still verified.
   */
  readonly verifyServerName?: boolean;
  /**
   * Send `serverName` as SNI when it is a DNS name; default true. node:tls sends SNI only for an
   * explicit `servername`, while it checks the certificate against the host too.
   */
  readonly sendServerName?: boolean;
  /** A session from an earlier 'session' event, to resume. */
  readonly session?: Uint8Array;
  /**
   * TLS 1.3 0-RTT: data to send with the ClientHello when the session allows it.
   * If the server rejects it, it is sent again once the handshake is done.
   */
  readonly earlyData?: Uint8Array;
}


/**
 * The engine both connection classes drive. It owns the record layer, the
 * handshake joiner and the transcript, and is the HandshakeContext the states
 * act through. Failure is sticky: the first error sends at most one fatal
 * alert and is returned for every later call.
 */
class Engine implements HandshakeContext {
  readonly provider: CryptoProvider;
  readonly transcript: Transcript;
  readonly trace: Annotator | undefined;
  readonly info: MutableInfo = {
    protocol: undefined,
    version: undefined,
    cipherSuite: undefined,
    group: undefined,
    dhBits: undefined,
    peerSignatureSchemes: undefined,
    finished: undefined,
    peerFinished: undefined,
    alpnProtocol: false,
    serverName: undefined,
    peerCertificates: [],
    authorized: false,
    authorizationError: undefined,
    sessionReused: false,
    extendedMasterSecret: false,
    earlyData: 'none',
  };
  version: number = ProtocolVersion['TLSv1.2'];
  readonly paddingPolicy: PaddingPolicy | undefined;

  private readonly record: RecordLayer;
  private readonly joiner: HandshakeJoiner;
  private state: State | undefined;
  private events: ConnectionEvent[] = [];
  private pendingHandshake: Uint8Array[] = [];
  /** The buffer the pending messages are encoded into (Connection.sendHandshake); a new one per flight. */
  private flight: Writer | undefined;
  /** How many of pendingHandshake were queued by steps that completed: those go out even if a later record fails. */
  private committedHandshake = 0;
  private pendingAppData: Uint8Array[] = [];
  private inbound: Uint8Array[] = [];
  /** Per inbound chunk: whether it was received with `owned`. */
  private inboundOwned: boolean[] = [];
  private failure: TlsError | undefined;
  private sentCloseNotify = false;
  private receivedCloseNotify = false;
  private complete = false;
  private warningsInARow = 0;
  private emptyInARow = 0;
  private recordsUnderKey = 0;
  /** Records of rejected 0-RTT data still to be skipped (RFC 8446 Section 4.2.10). */
  private earlyDataSkip = 0;
  private droppedChangeCipherSpecs = 0;
  /** The caller's answer to the waiting state's request: 0 none yet, 1 a result, 2 an error. */
  private answerKind: 0 | 1 | 2 = 0;
  private answerValue: unknown = undefined;
  private postHandshakeInARow = 0;
  /** The largest plaintext per record the peer takes (RFC 8449), and the one the application set. */
  private peerFragmentLimit = MAX_FRAGMENT;
  private sendFragmentCap = MAX_FRAGMENT;

  constructor(readonly side: Side, readonly config: CommonConfig) {
    this.provider = config.provider;
    this.trace = config.trace;
    this.transcript = new Transcript(config.provider);
    const block = config.recordPadding;
    // RFC 8446 Section 5.4: pad to a multiple of the block, but never past what the peer accepts.
    this.paddingPolicy = block > 0
      ? (inner) => Math.min(Math.ceil(inner / block) * block, this.record.maxFragmentOut + 1)
      : undefined;
    this.joiner = new HandshakeJoiner((type) => {
      // A server waiting for a ClientHello takes nothing else (RFC 5246 Section 7.3, RFC 8446 Section 4):
      // another type is unexpected_message before its length is held to that type's bound, as OpenSSL does.
      if ((this.state instanceof ExpectClientHello || this.state instanceof ExpectSecondClientHello) && type !== HandshakeType.client_hello) {
        throw new TlsError('unexpected_message', `handshake message of type ${type} where a ClientHello belongs`);
      }
      return handshakeLimit(config.limits, type);
    });
    this.record = new RecordLayer(config.trace ? { side, trace: config.trace } : { side });
  }

  /** Runs the first step (the client's ClientHello) under the engine's error handling. */
  start(first: () => State): void {
    this.guard(() => {
      this.state = first();
      this.committedHandshake = this.pendingHandshake.length;
      this.afterStep();
    });
  }

  get handshakeComplete(): boolean {
    return this.complete;
  }

  get error(): TlsError | undefined {
    return this.failure;
  }

  // --- the Connection surface ---

  receive(bytes: Uint8Array, options?: ReceiveOptions): void {
    if (this.failure || bytes.length === 0) return;
    this.inbound.push(bytes);
    this.inboundOwned.push(options?.owned === true);
  }

  process(): ConnectionEvent[] {
    if (!this.failure) {
      this.guard(() => {
        const inbound = this.inbound;
        if (inbound.length > 0) {
          const owned = this.inboundOwned;
          this.inbound = [];
          this.inboundOwned = [];
          for (let i = 0; i < inbound.length; i++) this.record.receive(inbound[i]!, owned[i]);
        }
        if (this.answerKind !== 0 && this.state instanceof AwaitAnswer) this.resumeWithAnswer(this.state);
        this.readRecords();
      });
    }
    const events = this.events;
    this.events = [];
    if (this.failure && !events.some((e) => e.type === 'error')) events.push({ type: 'error', error: this.failure });
    return events;
  }

  get pendingRequest(): Request | undefined {
    const state = this.state;
    return state instanceof AwaitAnswer && this.answerKind === 0 && !this.failure && !this.sentCloseNotify ? state.request : undefined;
  }

  resolve<R extends Request>(request: R, answer: AnswerTo<R>): boolean {
    return this.answer(request, 1, answer);
  }

  reject(request: Request, error: unknown): boolean {
    return this.answer(request, 2, error);
  }

  private answer(request: Request, kind: 1 | 2, value: unknown): boolean {
    if (this.pendingRequest !== request) return false;
    this.answerKind = kind;
    this.answerValue = value;
    return true;
  }

  /** Goes on from the waiting state with the caller's answer, as a step of the handshake. */
  private resumeWithAnswer(state: AwaitAnswer): void {
    const kind = this.answerKind;
    const value = this.answerValue;
    this.answerKind = 0;
    this.answerValue = undefined;
    const what = state.request.kind;
    this.trace?.({ kind: 'note', side: this.side, text: kind === 1 ? `answer received (${what}): going on` : `error answer received (${what})` });
    if (kind === 1) {
      this.enter(state.resume(this, value));
    } else if (state.recover) {
      this.enter(state.recover(this, value));
    } else {
      if (value instanceof TlsError) throw value;
      const detail = value instanceof Error ? value.message : String(value);
      throw new TlsError('internal_error', `the ${what} request failed: ${detail}`, { cause: value });
    }
    // Handshake messages that arrived with the one that made us wait go first.
    this.readQueuedHandshake();
  }

  takeOutput(): Uint8Array {
    this.flushHandshake();
    return this.record.takeOutput();
  }

  recycleOutput(bytes: Uint8Array): void {
    this.record.recycleOutput(bytes);
  }

  write(data: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (this.sentCloseNotify) throw new TlsError('api_misuse', 'write after close', { code: 'ERR_STREAM_WRITE_AFTER_END' });
    if (data.length === 0) return;
    if (!this.complete) {
      this.pendingAppData.push(data.slice());
      return;
    }
    this.guard(() => this.writeApplicationData(data));
  }

  private writeApplicationData(data: Uint8Array): void {
    const state = this.state;
    if (state instanceof Traffic13) {
      this.writeUnderRecordLimit(state, data);
      return;
    }
    if (this.info.version === ProtocolVersion.TLSv1 && this.info.cipherSuite?.cipher.kind === 'cbc') {
      // TLS 1.0 CBC chains its IVs from record to record (BEAST): a one-byte record first
      // makes the IV of the rest unpredictable (1/n-1 record splitting).
      for (let at = 0; at < data.length; at += MAX_FRAGMENT) {
        const chunk = data.subarray(at, at + MAX_FRAGMENT);
        this.record.writeRecord(ContentType.application_data, chunk.subarray(0, 1));
        if (chunk.length > 1) this.record.writeRecord(ContentType.application_data, chunk.subarray(1));
      }
      return;
    }
    this.record.writeRecord(ContentType.application_data, data);
  }

  /**
   * RFC 8446 Section 5.5: a TLS 1.3 write key protects at most limits.maxRecordsPerKey
   * application data records. The write that would go past the limit sends KeyUpdate
   * (update_not_requested: the limit is on our key, not the peer's) and goes on under the
   * next traffic secret, split where the limit falls.
   */
  private writeUnderRecordLimit(state: Traffic13, data: Uint8Array): void {
    const limit = this.config.limits.maxRecordsPerKey;
    const fragment = this.record.maxFragmentOut;
    for (let at = 0; at < data.length; ) {
      if (this.recordsUnderKey >= limit) {
        this.trace?.({ kind: 'note', side: this.side, text: `${limit} records under this key, limits.maxRecordsPerKey: sending KeyUpdate` });
        state.updateWriteKey(this, false);
      }
      const records = Math.min(limit - this.recordsUnderKey, Math.ceil((data.length - at) / fragment));
      const end = Math.min(data.length, at + records * fragment);
      this.record.writeRecord(ContentType.application_data, data.subarray(at, end));
      this.recordsUnderKey += records;
      at = end;
    }
  }

  updateKeys(requestPeer: boolean): void {
    if (this.failure) throw this.failure;
    const state = this.state;
    if (!this.complete || !(state instanceof Traffic13)) {
      throw new TlsError('api_misuse', 'KeyUpdate needs an established TLS 1.3 connection', { code: 'ERR_TLS_INVALID_STATE' });
    }
    if (this.sentCloseNotify) throw new TlsError('api_misuse', 'KeyUpdate after close', { code: 'ERR_STREAM_WRITE_AFTER_END' });
    this.guard(() => state.updateWriteKey(this, requestPeer));
  }

  setMaxSendFragment(size: number): void {
    if (!Number.isInteger(size) || size < 1 || size > MAX_FRAGMENT) throw new TlsError('api_misuse', `fragment size ${size} is not 1..${MAX_FRAGMENT}`);
    this.sendFragmentCap = size;
    this.record.maxFragmentOut = Math.min(this.peerFragmentLimit, size);
  }

  exportKeyingMaterial(label: string, context: Uint8Array | undefined, length: number): Uint8Array {
    const state = this.state;
    if (state instanceof Traffic13) {
      return exporter13(this.provider, state.hs.suite.hash, state.exporterMasterSecret, label, context, length);
    }
    if (state instanceof Traffic12) {
      const hash = state.hs.version >= ProtocolVersion['TLSv1.2'] ? state.hs.suite.hash : undefined;
      return exporter12(this.provider, hash, state.masterSecret, state.hs.clientRandom, state.hs.serverRandom, label, context, length);
    }
    throw new TlsError('api_misuse', 'keying material can be exported only once the handshake is done', { code: 'ERR_TLS_INVALID_STATE' });
  }

  trafficKeys(direction: 'read' | 'write'): TrafficKeys | undefined {
    if (this.failure || !this.complete || this.state instanceof AwaitAnswer) return undefined;
    const version = this.info.version;
    if (version !== ProtocolVersion['TLSv1.3'] && version !== ProtocolVersion['TLSv1.2']) return undefined;
    const { protection, seq } = this.record.direction(direction);
    const keys = protection.keys;
    if (keys === undefined) return undefined;
    if (direction === 'read') {
      if (this.receivedCloseNotify || this.inbound.length > 0 || this.record.holdsInput || this.joiner.pending || this.earlyDataSkip > 0) return undefined;
      return { version, ...keys, seq, maxFragment: this.record.maxFragmentIn, recordsLeft: Number.MAX_SAFE_INTEGER - seq };
    }
    if (this.sentCloseNotify || this.pendingHandshake.length > 0 || this.record.hasOutput || this.paddingPolicy !== undefined) return undefined;
    const recordsLeft = version === ProtocolVersion['TLSv1.3'] ? this.config.limits.maxRecordsPerKey - this.recordsUnderKey : Number.MAX_SAFE_INTEGER - seq;
    return { version, ...keys, seq, maxFragment: this.record.maxFragmentOut, recordsLeft };
  }

  skipRecords(direction: 'read' | 'write', count: number): void {
    const keys = this.trafficKeys(direction);
    if (keys === undefined) throw new TlsError('api_misuse', `the ${direction} direction's records go through the engine now`, { code: 'ERR_TLS_INVALID_STATE' });
    if (!Number.isInteger(count) || count < 0 || count > keys.recordsLeft) {
      throw new TlsError('api_misuse', `cannot skip ${count} records (${keys.recordsLeft} left under this key)`, { code: 'ERR_TLS_INVALID_STATE' });
    }
    if (count === 0) return;
    this.record.skipRecords(direction, count);
    if (direction === 'read') {
      // Application data arrived: the counters of what may not repeat without it start again.
      this.warningsInARow = 0;
      this.postHandshakeInARow = 0;
      this.emptyInARow = 0;
    } else {
      this.recordsUnderKey += count;
    }
  }

  close(): void {
    if (this.failure || this.sentCloseNotify) return;
    this.guard(() => {
      this.flushHandshake();
      this.sendAlert(AlertLevel.warning, AlertDescription.close_notify);
      this.sentCloseNotify = true;
    });
  }

  // --- HandshakeContext ---

  sendHandshake(message: HandshakeMessage): void {
    if (message.type === HandshakeType.finished) this.info.finished = message.verifyData;
    // The flight's messages are encoded one after another into one buffer, which goes to the record
    // layer whole; each message's bytes are a view of it (for the transcript and the trace).
    const bytes = encodeHandshakeInto((this.flight ??= new Writer(FLIGHT_BUFFER)), message, this.version);
    this.transcript.add(bytes);
    traceMessage(this, 'sent', message, bytes);
    this.pendingHandshake.push(bytes);
  }

  sendChangeCipherSpec(): void {
    this.flushHandshake();
    this.record.writeRecord(ContentType.change_cipher_spec, Uint8Array.of(1));
  }

  setReadProtection(protection: RecordProtection): void {
    // RFC 5246 Section 7.1: a key change must fall on a message boundary.
    if (this.joiner.pending) throw new TlsError('unexpected_message', 'a handshake message was split across a key change');
    this.record.setReadProtection(protection);
  }

  setWriteProtection(protection: RecordProtection): void {
    this.flushHandshake();
    this.record.setWriteProtection(protection);
    // A new key has protected nothing yet (RFC 8446 Section 5.5).
    this.recordsUnderKey = 0;
  }

  setRecordVersion(version: number, peerToo = false): void {
    // Messages already queued keep the version they were sent under.
    this.flushHandshake();
    this.record.writeVersion = version;
    if (peerToo) this.record.readVersion = version;
  }

  applyRecordSizeLimits(version: number, peerLimit: number, ourLimit: number): void {
    const inner = version === ProtocolVersion['TLSv1.3'] ? 1 : 0;
    this.peerFragmentLimit = Math.min(MAX_FRAGMENT, peerLimit - inner);
    this.record.maxFragmentOut = Math.min(this.peerFragmentLimit, this.sendFragmentCap);
    this.record.maxFragmentIn = Math.min(MAX_FRAGMENT, ourLimit - inner);
    this.trace?.({ kind: 'note', side: this.side, text: `record_size_limit: we send records of at most ${this.record.maxFragmentOut} bytes and accept ${this.record.maxFragmentIn}` });
  }

  sendWarning(description: number): void {
    this.flushHandshake();
    this.sendAlert(AlertLevel.warning, description);
  }

  emit(event: ConnectionEvent): void {
    this.events.push(event);
  }

  sendEarlyData(data: Uint8Array): void {
    this.flushHandshake();
    this.record.writeRecord(ContentType.application_data, data);
  }

  queueApplicationData(data: Uint8Array): void {
    this.pendingAppData.unshift(data);
  }

  skipRejectedEarlyData(records: number): void {
    this.earlyDataSkip = records;
  }

  keyLog(label: string, clientRandom: Uint8Array, secret: Uint8Array): void {
    if (!this.config.keyLog) return;
    const line = keyLogLine(label, clientRandom, secret);
    this.config.keyLog(line);
    this.events.push({ type: 'keylog', line });
  }

  handshakeDone(): void {
    this.complete = true;
    this.record.batchReads = true;
    // Nothing after the handshake is hashed (no renegotiation, no post-handshake authentication).
    this.transcript.close();
    this.flushHandshake();
    this.trace?.({ kind: 'note', side: this.side, text: 'handshake complete: application data may flow' });
    this.events.push({ type: 'handshakeDone' });
    // Data written before now goes out once the state has moved to Traffic (step()), under its record limit.
  }

  // --- internals ---

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.fail(asTlsError(e));
    }
  }

  private fail(error: TlsError): void {
    if (this.failure) return;
    this.failure = error;
    // Messages of steps that completed were sent as far as the peer can tell (the flight answering a
    // ClientHello read in the same process() as a bad record after it): they go out before the alert.
    // What the failing step had queued does not.
    this.pendingHandshake.length = this.committedHandshake;
    try {
      this.flushHandshake();
    } catch {
      this.pendingHandshake = [];
      this.flight = undefined;
    }
    this.pendingAppData = [];
    const alert = alertFor(error);
    if (alert !== undefined && !this.sentCloseNotify) {
      try {
        this.sendAlert(AlertLevel.fatal, alert);
      } catch {
        // The alert could not be protected: the connection is failing anyway.
      }
    }
    this.trace?.({ kind: 'note', side: this.side, text: `connection failed: ${error.code}: ${error.message}` });
    this.events.push({ type: 'error', error });
  }

  private sendAlert(level: number, description: number): void {
    this.record.writeRecord(ContentType.alert, Uint8Array.of(level, description));
    this.trace?.({ kind: 'alert', side: this.side, direction: 'sent', level, description });
  }

  private flushHandshake(): void {
    this.committedHandshake = 0;
    const flight = this.flight;
    this.flight = undefined;
    if (this.pendingHandshake.length === 0) return;
    const parts = this.pendingHandshake;
    this.pendingHandshake = [];
    // The pending messages lie one after another in the flight's buffer, from its start (a failed
    // step's messages, cut from the end of the list, are left out).
    let length = 0;
    for (const part of parts) length += part.length;
    this.record.writeRecord(ContentType.handshake, flight!.view(0, length));
  }

  private afterStep(): void {
    if (this.trace && this.state) {
      this.trace({ kind: 'holds', side: this.side, step: this.state.name, holds: this.state.holds() });
    }
  }

  private step(input: Input): void {
    this.enter(this.state!.handle(this, input));
  }

  private enter(next: State): void {
    const before = this.state;
    this.state = next;
    this.committedHandshake = this.pendingHandshake.length;
    // A new state is a new step; Traffic handling a KeyUpdate or a ticket stays itself.
    if (next !== before) {
      this.afterStep();
      if (next instanceof AwaitAnswer) {
        this.trace?.({ kind: 'note', side: this.side, text: waitingFor(next.request) });
        this.events.push({ type: 'request', request: next.request });
      }
    }
    if (this.complete && this.pendingAppData.length > 0) {
      for (const data of this.pendingAppData.splice(0)) this.writeApplicationData(data);
    }
  }

  private readRecords(): void {
    for (;;) {
      // A handshake waiting for an answer reads nothing: the bytes stay in the record layer.
      if (this.failure || this.state instanceof AwaitAnswer) return;
      const rec = this.readRecordSkippingEarlyData();
      if (!rec) return;
      if (this.receivedCloseNotify) {
        throw new TlsError('unexpected_message', 'record received after close_notify');
      }
      this.checkEmpty(rec.contentType, rec.plaintext.length);
      switch (rec.contentType) {
        case ContentType.handshake:
          this.warningsInARow = 0;
          // RFC 8446 Section 4.2.10: rejected early data is skipped up to the client's next handshake
          // message; after a HelloRetryRequest that is the second ClientHello, which offers none
          // (Section 4.1.2), so what follows it must open under our keys.
          this.earlyDataSkip = 0;
          this.readHandshake(rec.plaintext);
          break;
        case ContentType.change_cipher_spec:
          this.readChangeCipherSpec(rec.plaintext);
          break;
        case ContentType.alert:
          this.readAlert(rec.plaintext);
          break;
        case ContentType.application_data:
          this.warningsInARow = 0;
          this.postHandshakeInARow = 0;
          if (!this.complete && this.state?.receiveEarlyData) {
            this.state.receiveEarlyData(this, rec.plaintext);
            break;
          }
          // RFC 8446 Section 4.2.10: after a HelloRetryRequest, early data arrives as records we cannot read.
          if (!this.complete && this.earlyDataSkip > 0 && !this.record.readEncrypted) {
            this.earlyDataSkip--;
            break;
          }
          // RFC 5246 Section 6.2.1 / 7.4: application data only after the handshake.
          if (!this.complete) throw new TlsError('unexpected_message', 'application data received before the handshake finished');
          if (this.joiner.pending) throw new TlsError('unexpected_message', 'application data inside a fragmented handshake message');
          if (rec.plaintext.length > 0) this.events.push({ type: 'data', data: rec.plaintext });
          break;
        default:
          throw new TlsError('unexpected_message', `record of unknown content type ${rec.contentType}`);
      }
    }
  }

  /**
   * RFC 8446 Section 4.2.10: a server that rejected 0-RTT skips the records it
   * cannot decrypt with its handshake key, up to a bound; the first record that
   * opens ends the skipping.
   */
  private readRecordSkippingEarlyData(): { contentType: number; plaintext: Uint8Array } | null {
    for (;;) {
      try {
        const rec = this.record.readRecord();
        // A record that opened under our keys ends the skipping (an unprotected ChangeCipherSpec does not).
        if (rec && this.record.readEncrypted && rec.contentType !== ContentType.change_cipher_spec) this.earlyDataSkip = 0;
        return rec;
      } catch (e) {
        if (!(e instanceof TlsError) || e.kind !== 'bad_record_mac' || this.earlyDataSkip === 0) throw e;
        this.earlyDataSkip--;
      }
    }
  }

  /** RFC 5246 Section 6.2.1: zero-length fragments are allowed only for application data, and not forever. */
  private checkEmpty(contentType: number, length: number): void {
    if (length > 0) {
      this.emptyInARow = 0;
      return;
    }
    if (contentType !== ContentType.application_data) {
      throw new TlsError('decode_error', 'empty handshake, alert or ChangeCipherSpec record');
    }
    if (++this.emptyInARow > this.config.limits.maxEmptyRecords) {
      throw new TlsError('unexpected_message', 'too many empty records in a row');
    }
  }

  private readHandshake(fragment: Uint8Array): void {
    this.joiner.push(fragment);
    this.readQueuedHandshake();
  }

  private readQueuedHandshake(): void {
    for (;;) {
      if (this.failure || this.state instanceof AwaitAnswer) return;
      const frame = this.joiner.next();
      if (!frame) return;
      // Counted per message, not per record: one record can carry many (RFC 8446 Section 5.1).
      if (this.complete && ++this.postHandshakeInARow > this.config.limits.maxPostHandshakeMessages) {
        throw new TlsError('unexpected_message', 'too many post-handshake messages without application data');
      }
      this.step({ kind: 'handshake', frame });
    }
  }

  private readChangeCipherSpec(payload: Uint8Array): void {
    // RFC 5246 Section 7.1: one byte of value 1, on a handshake message boundary. RFC 8446 Section 5
    // makes "any other change_cipher_spec value" unexpected_message; RFC 5246 names no alert, and
    // OpenSSL (and tlsfuzzer with it) answers unexpected_message there too.
    if (payload.length !== 1 || payload[0] !== 1) {
      throw new TlsError('unexpected_message', 'ChangeCipherSpec payload is not the single byte 1');
    }
    if (this.joiner.pending) throw new TlsError('unexpected_message', 'ChangeCipherSpec inside a fragmented handshake message');
    if (this.state?.dropsChangeCipherSpec) {
      // A peer sends one (two around a HelloRetryRequest); more is a peer making us spin.
      if (++this.droppedChangeCipherSpecs > this.config.limits.maxChangeCipherSpecs) {
        throw new TlsError('unexpected_message', 'too many ChangeCipherSpec records in a TLS 1.3 handshake');
      }
      this.trace?.({ kind: 'note', side: this.side, text: 'compatibility ChangeCipherSpec received and dropped (RFC 8446 Section 5)' });
      return;
    }
    this.trace?.({ kind: 'message', side: this.side, direction: 'received', name: 'ChangeCipherSpec', fields: {}, bytes: payload });
    this.step({ kind: 'changeCipherSpec' });
  }

  private readAlert(payload: Uint8Array): void {
    // RFC 5246 Section 7.2: two bytes, level and description.
    if (payload.length !== 2) throw new TlsError('decode_error', 'alert record is not two bytes');
    if (this.joiner.pending) throw new TlsError('unexpected_message', 'alert inside a fragmented handshake message');
    const [level, description] = [payload[0]!, payload[1]!];
    this.trace?.({ kind: 'alert', side: this.side, direction: 'received', level, description });
    if (description === AlertDescription.close_notify) {
      this.receivedCloseNotify = true;
      this.events.push({ type: 'peerClosed' });
      return;
    }
    if (level === AlertLevel.fatal) {
      // A fatal alert ends the connection; we send nothing back.
      this.failByPeer(description);
      return;
    }
    if (level !== AlertLevel.warning) throw new TlsError('illegal_parameter', `alert with unknown level ${level}`);
    // RFC 8446 Section 6.2: in TLS 1.3 every alert but close_notify and user_canceled is an error
    // alert "regardless of the AlertLevel in the message", unknown ones included.
    if (this.info.version === ProtocolVersion['TLSv1.3'] && description !== AlertDescription.user_canceled) {
      this.failByPeer(description);
      return;
    }
    if (++this.warningsInARow > this.config.limits.maxWarningAlerts) {
      throw new TlsError('unexpected_message', `too many warning alerts in a row (last: ${alertDescriptionName(description)})`);
    }
    if (!this.complete && description !== AlertDescription.user_canceled) {
      // RFC 5246 Section 7.2.2: no warning may stand in for a handshake message; treat it as fatal.
      throw new TlsError('unexpected_message', `warning alert ${alertDescriptionName(description)} during the handshake`);
    }
    this.events.push({ type: 'alert', level, description });
  }

  /** The peer ended the connection with an error alert: the failure is sticky and we send nothing back. */
  private failByPeer(description: number): void {
    this.failure = peerAlertError(description);
    this.events.push({ type: 'error', error: this.failure });
  }
}

/**
 * The Connection surface over one engine. ClientConnection and ServerConnection
 * differ only in how the engine starts.
 */
class EngineConnection implements Connection {
  protected constructor(
    readonly side: 'client' | 'server',
    private readonly engine: Engine,
  ) {}

  receive(bytes: Uint8Array, options?: ReceiveOptions): void {
    this.engine.receive(bytes, options);
  }
  process(): ConnectionEvent[] {
    return this.engine.process();
  }
  takeOutput(): Uint8Array {
    return this.engine.takeOutput();
  }
  recycleOutput(bytes: Uint8Array): void {
    this.engine.recycleOutput(bytes);
  }
  write(data: Uint8Array): void {
    this.engine.write(data);
  }
  close(): void {
    this.engine.close();
  }
  updateKeys(requestPeer = false): void {
    this.engine.updateKeys(requestPeer);
  }
  exportKeyingMaterial(label: string, context: Uint8Array | undefined, length: number): Uint8Array {
    return this.engine.exportKeyingMaterial(label, context, length);
  }
  resolve<R extends Request>(request: R, answer: AnswerTo<R>): boolean {
    return this.engine.resolve(request, answer);
  }
  reject(request: Request, error: unknown): boolean {
    return this.engine.reject(request, error);
  }
  get pendingRequest(): Request | undefined {
    return this.engine.pendingRequest;
  }
  trafficKeys(direction: 'read' | 'write'): TrafficKeys | undefined {
    return this.engine.trafficKeys(direction);
  }
  skipRecords(direction: 'read' | 'write', count: number): void {
    this.engine.skipRecords(direction, count);
  }
  setMaxSendFragment(size: number): void {
    this.engine.setMaxSendFragment(size);
  }
  get handshakeComplete(): boolean {
    return this.engine.handshakeComplete;
  }
  get info(): ConnectionInfo {
    return this.engine.info;
  }
  get error(): TlsError | undefined {
    return this.engine.error;
  }
}

/** A TLS client connection: call receive()/process()/takeOutput() as bytes move. */
export class ClientConnection extends EngineConnection {
  declare readonly side: 'client';

  constructor(config: ClientConfig, options: ClientOptions = {}) {
    const engine = new Engine('client', config);
    super('client', engine);
    engine.info.serverName = options.serverName;
    engine.start(() => {
      // RFC 5246 Appendix E.1 / RFC 8446 Section 5.1: the first ClientHello's record says TLS 1.0 for old servers.
      engine.setRecordVersion(ProtocolVersion.TLSv1);
      const state = startClient(engine, config, options);
      // Until the ServerHello names a version, our records (an alert refusing it) say the highest
      // TLS 1.0-1.2 version we offered, as OpenSSL's client does; a server that chose another one
      // then reports a wrong version number, as it does with OpenSSL.
      engine.setRecordVersion(Math.min(config.maxVersion, ProtocolVersion['TLSv1.2']));
      return state;
    });
  }
}

/** A TLS server connection for one client. */
export class ServerConnection extends EngineConnection {
  declare readonly side: 'server';

  constructor(config: ServerConfig) {
    const engine = new Engine('server', config);
    super('server', engine);
    engine.start(() => startServer(config));
  }
}
