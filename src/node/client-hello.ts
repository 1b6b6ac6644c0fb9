// A look at a client's first flight before the engine sees it, for the node:tls callbacks
// that answer later (an asynchronous SNICallback, 'resumeSession'): the adapter holds the
// bytes, asks the program, and feeds the engine once the answer is known. Only what the
// callbacks need is read here; the engine parses and checks everything again itself.

import { ContentType, ExtensionType, HandshakeType } from '../wire/enums.js';
import { findExtension, decodeServerName } from '../wire/extensions.js';
import { decodeHandshakeMessage, type ClientHello } from '../wire/messages.js';

export interface ClientHelloPeek {
  /** The SNI host name, when the client sent one. */
  readonly serverName: string | undefined;
  /** The legacy session ID (a TLS 1.2 client resuming by ID sends the one it holds). */
  readonly sessionId: Uint8Array;
  /** Whether the client presents a TLS 1.2 session ticket (RFC 5077; then the session ID is no cache key). */
  readonly presentsTicket: boolean;
  /** Whether the client offers TLS 1.3 (supported_versions). */
  readonly offersTls13: boolean;
}

/**
 * The ClientHello at the start of `bytes` (plaintext handshake records): 'more' while it is
 * incomplete, undefined when the bytes are no well-formed ClientHello (the engine will say why).
 */
export function peekClientHello(bytes: Uint8Array): ClientHelloPeek | 'more' | undefined {
  const fragments: Uint8Array[] = [];
  let length = 0;
  let at = 0;
  let need = Infinity;
  while (length < need) {
    if (bytes.length < at + 5) return 'more';
    if (bytes[at] !== ContentType.handshake) return undefined;
    const recordLength = (bytes[at + 3]! << 8) | bytes[at + 4]!;
    if (bytes.length < at + 5 + recordLength) return 'more';
    const fragment = bytes.subarray(at + 5, at + 5 + recordLength);
    fragments.push(fragment);
    length += fragment.length;
    at += 5 + recordLength;
    if (need === Infinity && length >= 4) {
      const joined = join(fragments, 4);
      if (joined[0] !== HandshakeType.client_hello) return undefined;
      need = 4 + ((joined[1]! << 16) | (joined[2]! << 8) | joined[3]!);
    }
    if (fragments.length > 64) return undefined;
  }
  const message = join(fragments, need);
  let hello: ClientHello;
  try {
    hello = decodeHandshakeMessage(message, { version: 0x0303 }) as ClientHello;
  } catch {
    return undefined;
  }
  let serverName: string | undefined;
  const sni = findExtension(hello.extensions, ExtensionType.server_name);
  if (sni) {
    try {
      serverName = decodeServerName(sni.data);
    } catch {
      return undefined;
    }
  }
  const versions = findExtension(hello.extensions, ExtensionType.supported_versions);
  const ticket = findExtension(hello.extensions, ExtensionType.session_ticket);
  return {
    serverName,
    sessionId: hello.legacySessionId,
    presentsTicket: ticket !== undefined && ticket.data.length > 0,
    offersTls13: versions !== undefined && containsTls13(versions.data),
  };
}

function containsTls13(data: Uint8Array): boolean {
  for (let i = 1; i + 1 < data.length; i += 2) if (data[i] === 0x03 && data[i + 1] === 0x04) return true;
  return false;
}

function join(fragments: readonly Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let at = 0;
  for (const f of fragments) {
    if (at >= n) break;
    const part = f.subarray(0, n - at);
    out.set(part, at);
    at += part.length;
  }
  return out;
}
