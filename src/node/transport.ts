// The TCP sockets typetls makes or accepts itself are read with net.Socket's `onread`: libuv reads
// into one buffer the process reuses and calls back, with no 64 KiB buffer allocated per read, no
// Readable.push and no 'data' event. node:tls's TLSWrap reads the same way, in C++.
//
// A read's bytes are copied out of the shared buffer, into memory of the read's size, before the
// callback returns: the engine keeps views of what it is given, and decrypts in place in it.

import * as net from 'node:net';

/** libuv's read size for a stream (net.Socket reads into buffers this large). */
const READ_SIZE = 64 * 1024;

/** The one buffer every such socket reads into; each read is copied out before the next starts. */
let readBuffer: Buffer | undefined;

const sharedBuffer = (): Buffer => (readBuffer ??= Buffer.allocUnsafeSlow(READ_SIZE));

/** What a socket's reads are handed to: called with the socket's `this`, as net.Socket calls `onread.callback`. */
export type ReadCallback = (nread: number, buffer: Buffer) => void;

/** The bytes of one read, copied out of the shared buffer into memory of their own. */
export function copyRead(nread: number, buffer: Buffer): Buffer {
  const data = Buffer.allocUnsafe(nread);
  buffer.copy(data, 0, 0, nread);
  return data;
}

/** A new, unconnected TCP (or IPC) socket whose reads go to `callback` (net.Socket's documented `onread`). */
export function readingSocket(allowHalfOpen: boolean, callback: ReadCallback): net.Socket {
  return new net.Socket({ allowHalfOpen, onread: { buffer: sharedBuffer(), callback } } as net.SocketConstructorOpts);
}

/**
 * net.Socket keeps its onread buffer and callback under symbols of its own; they are found once by
 * making a socket with known ones. null when this Node keeps them some other way: then accepted
 * sockets are read through 'data' events.
 */
let onreadSlots: { buffer: symbol; callback: symbol } | null | undefined;

function findOnreadSlots(): { buffer: symbol; callback: symbol } | null {
  const buffer = new Uint8Array(1);
  const callback = (): void => {};
  const probe = new net.Socket({ onread: { buffer, callback } } as net.SocketConstructorOpts) as unknown as Record<symbol, unknown>;
  const symbols = Object.getOwnPropertySymbols(probe);
  const bufferSlot = symbols.find((s) => probe[s] === buffer);
  const callbackSlot = symbols.find((s) => probe[s] === callback);
  return bufferSlot && callbackSlot ? { buffer: bufferSlot, callback: callbackSlot } : null;
}

/** The net.Socket internals that say whether a socket is one its server has just accepted. */
interface AcceptedSocket {
  _server?: net.Server | null;
  _handle?: { useUserBuffer?: (buffer: Uint8Array) => void } | null;
}

/**
 * Switches a socket `server` has just accepted (nothing read from it yet, nobody listening for its
 * data) to `onread`, as if it had been made with it: from now on each read goes to `callback`.
 * false (and nothing changed) for any other socket, which is then read through 'data' events.
 */
export function readAccepted(socket: net.Socket, server: net.Server, callback: ReadCallback): boolean {
  const raw = socket as net.Socket & AcceptedSocket & Record<symbol, unknown>;
  const handle = raw._handle;
  if (raw._server !== server || !handle || typeof handle.useUserBuffer !== 'function') return false;
  if (raw.bytesRead !== 0 || raw.readableLength !== 0 || raw.listenerCount('data') > 0 || raw.listenerCount('readable') > 0) return false;
  onreadSlots ??= findOnreadSlots();
  if (onreadSlots === null || raw[onreadSlots.buffer] !== null) return false;
  const buffer = sharedBuffer();
  raw[onreadSlots.buffer] = buffer;
  raw[onreadSlots.callback] = callback;
  handle.useUserBuffer(buffer);
  return true;
}
