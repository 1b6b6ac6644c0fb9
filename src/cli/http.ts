// What the server does with the decrypted stream: HTTP/1.x requests get a
// small text page naming what was negotiated; anything else is echoed back
// byte for byte. The choice is made on the first bytes of the connection.

import type { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

/** Methods that start an HTTP/1.x request line (RFC 9110 Section 9). */
const methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT'].map((m) => Buffer.from(`${m} `, 'latin1'));

/**
 * 'http' when the bytes start with a method and a space, 'echo' when they can
 * no longer become one, undefined while they are a strict prefix of one.
 */
export function classifyFirstBytes(bytes: Uint8Array): 'http' | 'echo' | undefined {
  let prefix = false;
  for (const m of methods) {
    const n = Math.min(m.length, bytes.length);
    if (Buffer.compare(m.subarray(0, n), bytes.subarray(0, n)) !== 0) continue;
    if (bytes.length >= m.length) return 'http';
    prefix = true;
  }
  return prefix ? undefined : 'echo';
}

export interface HttpRequest {
  readonly method: string;
  readonly target: string;
  readonly version: 'HTTP/1.0' | 'HTTP/1.1';
  /** Header names lower-cased, values trimmed, in order. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** Whether the connection stays open after the response (RFC 9112 Section 9.3). */
  readonly keepAlive: boolean;
}

/** A request the reader cannot accept; the server answers `status` and closes. */
export interface HttpReadError {
  readonly status: 400 | 431 | 501 | 505;
  readonly reason: string;
}

const maxHeadBytes = 64 * 1024;
/** The empty line that ends a request head: CRLF or a bare LF for each line end (RFC 9112 Section 2.2). */
const endOfHead = /\r?\n\r?\n/;
const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Reads HTTP/1.x requests from a byte stream, incrementally: push chunks as they
 * arrive, get back the requests that are complete. A request body announced by
 * Content-Length is read and dropped. After an error, nothing more is read.
 */
export class HttpRequestReader {
  private buffered: Buffer = Buffer.alloc(0);
  /** Body bytes of the current request still to skip. */
  private bodyLeft = 0;
  error: HttpReadError | undefined;

  push(chunk: Uint8Array): HttpRequest[] {
    const requests: HttpRequest[] = [];
    if (this.error) return requests;
    this.buffered = this.buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffered, chunk]);
    for (;;) {
      if (this.bodyLeft > 0) {
        const skip = Math.min(this.bodyLeft, this.buffered.length);
        this.bodyLeft -= skip;
        this.buffered = this.buffered.subarray(skip);
        if (this.bodyLeft > 0) break;
      }
      // RFC 9112 Section 2.2: a server SHOULD ignore at least one empty line before a request-line, and
      // MAY take a bare LF as a line terminator (as `GET / HTTP/1.0\n\n` from simple clients needs).
      for (;;) {
        if (this.buffered[0] === 0x0a) this.buffered = this.buffered.subarray(1);
        else if (this.buffered[0] === 0x0d && this.buffered[1] === 0x0a) this.buffered = this.buffered.subarray(2);
        else break;
      }
      const blank = endOfHead.exec(this.buffered.toString('latin1'));
      const end = blank ? blank.index : -1;
      if (end < 0) {
        if (this.buffered.length > maxHeadBytes) this.error = { status: 431, reason: 'Request Header Fields Too Large' };
        break;
      }
      if (end > maxHeadBytes) {
        this.error = { status: 431, reason: 'Request Header Fields Too Large' };
        break;
      }
      const head = this.buffered.subarray(0, end).toString('latin1');
      this.buffered = this.buffered.subarray(end + blank![0].length);
      const parsed = parseHead(head);
      if ('status' in parsed) {
        this.error = parsed;
        break;
      }
      requests.push(parsed.request);
      this.bodyLeft = parsed.bodyLength;
    }
    return requests;
  }
}

function parseHead(head: string): { request: HttpRequest; bodyLength: number } | HttpReadError {
  const bad: HttpReadError = { status: 400, reason: 'Bad Request' };
  const lines = head.split(/\r?\n/);
  // RFC 9112 Section 3: request-line = method SP request-target SP HTTP-version
  const requestLine = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP\/(\d)\.(\d)$/.exec(lines[0]!);
  if (!requestLine) return bad;
  const [, method, target, major, minor] = requestLine;
  if (major !== '1') return { status: 505, reason: 'HTTP Version Not Supported' };
  const version = minor === '0' ? 'HTTP/1.0' : 'HTTP/1.1';
  const headers: Array<readonly [string, string]> = [];
  for (const line of lines.slice(1)) {
    // RFC 9112 Section 5: field-line = field-name ":" OWS field-value OWS; no obs-fold.
    const colon = line.indexOf(':');
    if (colon <= 0) return bad;
    const name = line.slice(0, colon);
    if (!tokenPattern.test(name)) return bad;
    headers.push([name.toLowerCase(), line.slice(colon + 1).trim()]);
  }
  const values = (name: string) => headers.filter(([n]) => n === name).map(([, v]) => v);
  const connection = values('connection').flatMap((v) => v.toLowerCase().split(',').map((t) => t.trim()));
  const keepAlive = connection.includes('close') ? false : version === 'HTTP/1.1' || connection.includes('keep-alive');
  // RFC 9112 Section 6.1: a body we cannot frame cannot be skipped.
  if (values('transfer-encoding').length > 0) return { status: 501, reason: 'Not Implemented' };
  let bodyLength = 0;
  const lengths = values('content-length');
  if (lengths.length > 0) {
    // RFC 9112 Section 6.3: differing or invalid Content-Length values are an unrecoverable error.
    if (!lengths.every((l) => /^\d{1,15}$/.test(l) && l === lengths[0])) return bad;
    bodyLength = Number(lengths[0]);
  }
  return { request: { method: method!, target: target!, version, headers, keepAlive }, bodyLength };
}

/** A complete HTTP/1.1 response with a text/plain body. */
export function httpResponse(status: number, reason: string, body: string, options: { close: boolean; head?: boolean }): Buffer {
  const bytes = Buffer.from(body, 'utf8');
  const head =
    `HTTP/1.1 ${status} ${reason}\r\n` +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${bytes.length}\r\n` +
    (options.close ? 'Connection: close\r\n' : '') +
    '\r\n';
  return options.head ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), bytes]);
}

/**
 * Serves one decrypted connection: HTTP/1.x requests get `200 OK` with the
 * body `describe()` returns; other data is echoed. After a response that
 * closes, `end()` sends close_notify.
 */
export function serveHttpOrEcho(socket: Duplex, describe: () => string): void {
  let mode: 'undecided' | 'http' | 'echo' | 'done' = 'undecided';
  let pending: Buffer = Buffer.alloc(0);
  const reader = new HttpRequestReader();

  const echo = (chunk: Uint8Array) => {
    // Back-pressure: a 1 MiB echo must not pile up in memory.
    if (!socket.write(chunk)) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  };

  const http = (chunk: Uint8Array) => {
    for (const request of reader.push(chunk)) {
      const close = !request.keepAlive;
      socket.write(httpResponse(200, 'OK', describe(), { close, head: request.method === 'HEAD' }));
      if (close) {
        finish();
        return;
      }
    }
    if (reader.error) {
      socket.write(httpResponse(reader.error.status, reader.error.reason, `${reader.error.reason}\n`, { close: true }));
      finish();
    }
  };

  const finish = () => {
    mode = 'done';
    socket.end();
  };

  socket.on('data', (chunk: Buffer) => {
    if (mode === 'undecided') {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const decided = classifyFirstBytes(pending);
      if (decided === undefined) return;
      mode = decided;
      chunk = pending;
      pending = Buffer.alloc(0);
    }
    if (mode === 'echo') echo(chunk);
    else if (mode === 'http') http(chunk);
  });
  socket.on('end', () => {
    // The peer closed while its first bytes could still have become a request line: they were data.
    if (mode === 'undecided' && pending.length > 0 && socket.writable) socket.write(pending);
    mode = 'done';
  });
}

// ---------------------------------------------------------------------------
// The TLS API the commands drive: the package's node:tls-compatible API
// (src/node/api.ts), seen through the few members the CLI uses.

export interface CliTlsSocket extends Duplex {
  getProtocol(): string | null;
  getCipher(): { name: string; standardName?: string; version: string } | null | undefined;
  readonly alpnProtocol?: string | false | null;
  isSessionReused(): boolean;
  getSession(): Uint8Array | undefined;
  /** node:tls has it on client sockets only; typetls on both. */
  getEphemeralKeyInfo?(): { type?: string; name?: string; size?: number } | object | null;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}

export interface CliTlsServer extends EventEmitter {
  listen(port: number, host: string, callback: () => void): this;
  address(): AddressInfo | string | null;
  close(callback?: (err?: Error) => void): this;
}

export interface TlsApi {
  connect(options: Record<string, unknown>, callback?: () => void): CliTlsSocket;
  createServer(options: Record<string, unknown>, listener?: (socket: CliTlsSocket) => void): CliTlsServer;
}

/** Loads the package's node:tls-compatible API (loaded on use, so `--help` works on its own). */
export async function loadTlsApi(): Promise<TlsApi> {
  const specifier = '../node/api.js';
  return (await import(specifier)) as TlsApi;
}

/** The negotiated group's name, when the socket can tell ('X25519', 'P-256'). */
export function negotiatedGroup(socket: CliTlsSocket): string | undefined {
  const info = socket.getEphemeralKeyInfo?.();
  const name = info && typeof info === 'object' && 'name' in info ? info.name : undefined;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** The server's page: `version=TLSv1.2 cipher=TLS_… group=X25519 alpn=http/1.1` and a newline. */
export function describeConnection(socket: CliTlsSocket): string {
  const cipher = socket.getCipher();
  const parts = [`version=${socket.getProtocol() ?? 'unknown'}`, `cipher=${cipher?.standardName ?? cipher?.name ?? 'unknown'}`];
  const group = negotiatedGroup(socket);
  if (group) parts.push(`group=${group}`);
  if (socket.alpnProtocol) parts.push(`alpn=${socket.alpnProtocol}`);
  return parts.join(' ') + '\n';
}

/** `CODE: message` on one line, for `error: …` lines. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const message = error.message.replace(/\s*\n\s*/g, ' ').trim() || error.name;
    return `${typeof code === 'string' && code !== '' ? code : error.name}: ${message}`;
  }
  return `Error: ${String(error)}`;
}
