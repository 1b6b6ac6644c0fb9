// A WebSocket as a byte transport: binary messages in, binary messages out, as { readable, writable }
// for connect() and accept(). For a page that reaches a TCP service through a WebSocket relay: TLS runs
// in the page, end to end, and the relay sees only ciphertext. Works with the WHATWG WebSocket of
// browsers, Workers and Deno, Node's (undici) and the `ws` package's, which share the event API below.

import { TlsError } from '../errors.js';
import type { ByteTransport } from './socket.js';

/** The part of the WHATWG WebSocket interface the adapter uses. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
}

/** WebSocket.OPEN and WebSocket.CONNECTING (WHATWG WebSockets, "readyState"). */
const CONNECTING = 0;
const OPEN = 1;

/** The bytes of a binary message, or undefined for a text message. */
function messageBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return undefined;
}

/**
 * The WebSocket's binary messages as a byte stream pair. Message boundaries carry no meaning: TLS
 * records may be split or joined across messages. A text message is an error (the peer is not a
 * byte relay). Closing the writable closes the WebSocket (code 1000).
 */
export function webSocketTransport(ws: WebSocketLike): ByteTransport {
  ws.binaryType = 'arraybuffer';
  let wasOpen = ws.readyState === OPEN;
  ws.addEventListener('open', () => {
    wasOpen = true;
  });
  const opened = new Promise<void>((resolve, reject) => {
    if (ws.readyState === OPEN) return resolve();
    if (ws.readyState !== CONNECTING) return reject(new TlsError('closed', 'the WebSocket is already closed', { code: 'ECONNRESET' }));
    ws.addEventListener('open', () => resolve());
    ws.addEventListener('error', () => reject(new TlsError('closed', 'the WebSocket could not be opened', { code: 'ECONNREFUSED' })));
    ws.addEventListener('close', () => reject(new TlsError('closed', 'the WebSocket closed before it opened', { code: 'ECONNREFUSED' })));
  });
  opened.catch(() => undefined);
  let ended = false;
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      ws.addEventListener('message', (event) => {
        if (ended) return;
        const bytes = messageBytes(event.data);
        if (bytes === undefined) {
          ended = true;
          controller.error(new TlsError('closed', 'the WebSocket sent a text message where bytes were expected', { code: 'ERR_INVALID_ARG_TYPE' }));
          ws.close(1003, 'binary messages only');
          return;
        }
        controller.enqueue(bytes);
      });
      ws.addEventListener('close', () => {
        if (ended) return;
        ended = true;
        controller.close();
      });
      ws.addEventListener('error', () => {
        if (ended) return;
        ended = true;
        controller.error(
          wasOpen
            ? new TlsError('closed', 'the WebSocket failed', { code: 'ECONNRESET' })
            : new TlsError('closed', 'the WebSocket could not be opened', { code: 'ECONNREFUSED' }),
        );
      });
    },
    cancel() {
      ended = true;
      ws.close(1000);
    },
  });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      await opened;
      if (ws.readyState !== OPEN) throw new TlsError('closed', 'the WebSocket is closed', { code: 'EPIPE' });
      ws.send(chunk);
    },
    close() {
      ws.close(1000);
    },
    abort() {
      ws.close(1000);
    },
  });
  return { readable, writable };
}
