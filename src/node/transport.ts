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
 * making a socket with known ones. null when this Node keeps them some other way: then the sockets
 * typetls did not make itself are read through 'data' events.
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

/** The net.Socket internals a switch to onread needs. */
interface ReadableHandle {
  _handle?: { useUserBuffer?: (buffer: Uint8Array) => void } | null;
}

/**
 * Switches a TCP socket that the TLSSocket now reads alone to `onread`, as if it had been made
 * with it: from now on each read goes to `callback`, and the socket's Readable gets only its end.
 * That is a socket a server has just accepted, or one the program connected (or is connecting) and
 * handed over, as node:tls's TLSWrap takes over such a socket's handle: nothing unread in its
 * buffer, nobody listening for its data, not paused, not ended. false (and nothing changed) for any
 * other socket, or when this Node's net.Socket keeps its onread state some other way: such a
 * socket is read through its 'data' events.
 */
export function readWithOnread(socket: net.Socket, callback: ReadCallback): boolean {
  const raw = socket as net.Socket & ReadableHandle & Record<symbol, unknown>;
  const handle = raw._handle;
  if (!handle || typeof handle.useUserBuffer !== 'function' || raw.destroyed || raw.readableEnded || raw.readableFlowing === false) return false;
  if (raw.readableLength !== 0 || raw.listenerCount('data') > 0 || raw.listenerCount('readable') > 0) return false;
  onreadSlots ??= findOnreadSlots();
  if (onreadSlots === null || raw[onreadSlots.buffer] !== null) return false;
  const buffer = sharedBuffer();
  raw[onreadSlots.buffer] = buffer;
  raw[onreadSlots.callback] = callback;
  handle.useUserBuffer(buffer);
  return true;
}
