// Reading and writing a typetls/web TlsSocket's streams in tests.

import type { TlsSocket } from '../src/web/socket.js';

/** Everything the socket's readable gives until it ends. */
export async function readAllBytes(socket: TlsSocket): Promise<Buffer> {
  const reader = socket.readable.getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  reader.releaseLock();
  return Buffer.concat(chunks);
}

/** Everything the socket's readable gives until it ends, as text. */
export async function readAll(socket: TlsSocket): Promise<string> {
  return (await readAllBytes(socket)).toString('utf8');
}

/** Polls `condition` every 20 ms until it holds or 10 s have passed (the caller asserts what it waited for). */
export async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/** Writes text to the socket's writable and lets go of the writer. */
export async function send(socket: TlsSocket, text: string): Promise<void> {
  const writer = socket.writable.getWriter();
  await writer.write(new TextEncoder().encode(text));
  writer.releaseLock();
}

/** Sends a request and reads the whole answer, until the server ends the stream. */
export async function request(socket: TlsSocket, text: string): Promise<string> {
  await send(socket, text);
  return readAll(socket);
}
