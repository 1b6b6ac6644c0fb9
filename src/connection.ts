// The sans-I/O connection engine. (Interface first; the implementation follows.)

import type { ClientConfig, ServerConfig } from './config.js';
import type { TlsError } from './errors.js';
import type { CipherSuite } from './suites.js';
import type { Certificate } from './x509/certificate.js';

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
  /** The connection failed; the one fatal alert (if any) is in takeOutput(). Sticky. */
  | { readonly type: 'error'; readonly error: TlsError };

export interface ConnectionInfo {
  /** 'TLSv1.2' / 'TLSv1.3' once negotiated (node:tls getProtocol()). */
  readonly protocol: string | undefined;
  readonly version: number | undefined;
  readonly cipherSuite: CipherSuite | undefined;
  /** The (EC)DHE group, when there was one. */
  readonly group: number | undefined;
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
}

export interface Connection {
  readonly side: 'client' | 'server';
  /** Buffers bytes received from the transport. Never throws. */
  receive(bytes: Uint8Array): void;
  /** Handles everything buffered; returns what happened. Never throws: failures are an 'error' event. */
  process(): ConnectionEvent[];
  /** Bytes to send to the transport (may be empty). */
  takeOutput(): Uint8Array;
  /** Queues application data (sent once the handshake is done). Throws TlsError(api_misuse) after close or error. */
  write(data: Uint8Array): void;
  /** Sends close_notify. */
  close(): void;
  readonly handshakeComplete: boolean;
  readonly info: ConnectionInfo;
  /** The sticky error, once failed. */
  readonly error: TlsError | undefined;
}

export interface ClientOptions {
  /** The server name: sent as SNI when it is a DNS name, and checked against the certificate. */
  readonly serverName?: string;
  /** A session from an earlier 'session' event, to resume. */
  readonly session?: Uint8Array;
}

export declare class ClientConnection implements Connection {
  constructor(config: ClientConfig, options?: ClientOptions);
  readonly side: 'client';
  receive(bytes: Uint8Array): void;
  process(): ConnectionEvent[];
  takeOutput(): Uint8Array;
  write(data: Uint8Array): void;
  close(): void;
  readonly handshakeComplete: boolean;
  readonly info: ConnectionInfo;
  readonly error: TlsError | undefined;
}

export declare class ServerConnection implements Connection {
  constructor(config: ServerConfig);
  readonly side: 'server';
  receive(bytes: Uint8Array): void;
  process(): ConnectionEvent[];
  takeOutput(): Uint8Array;
  write(data: Uint8Array): void;
  close(): void;
  readonly handshakeComplete: boolean;
  readonly info: ConnectionInfo;
  readonly error: TlsError | undefined;
}
