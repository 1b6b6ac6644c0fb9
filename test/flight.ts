// Reading and rewriting unprotected flights in the in-memory tests: the handshake messages a flight
// carries, and the same flight rebuilt with some messages replaced. Only for plaintext records (the
// hellos and the TLS 1.2 flights before ChangeCipherSpec); nothing here is under test.

import { concatBytes, findRecords, makeRecord } from './fuzz/mutator.js';

export const ContentTypes = { change_cipher_spec: 20, alert: 21, handshake: 22, application_data: 23 } as const;

/** One handshake message: its type, its body, and the whole encoding (4-byte header included). */
export interface FlightMessage {
  readonly type: number;
  readonly body: Uint8Array;
  readonly raw: Uint8Array;
}

/** The handshake messages of the plaintext handshake records in `flight`, in order. */
export function handshakeMessagesOf(flight: Uint8Array): FlightMessage[] {
  const joined = concatBytes(
    findRecords(flight)
      .filter((r) => r.type === ContentTypes.handshake)
      .map((r) => flight.subarray(r.offset + 5, r.offset + 5 + r.length)),
  );
  const out: FlightMessage[] = [];
  for (let at = 0; at + 4 <= joined.length; ) {
    const n = (joined[at + 1]! << 16) | (joined[at + 2]! << 8) | joined[at + 3]!;
    const raw = joined.slice(at, at + 4 + n);
    out.push({ type: raw[0]!, body: raw.subarray(4), raw });
    at += 4 + n;
  }
  return out;
}

/** A handshake message from its type and body. */
export function handshakeMessage(type: number, body: Uint8Array): Uint8Array {
  const n = body.length;
  return concatBytes([Uint8Array.of(type, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff), body]);
}

/**
 * `flight` with its plaintext handshake records replaced by one record holding the messages as
 * `edit` returns them; records of other types (ChangeCipherSpec, alerts, protected records) keep
 * their place after it. The record version is the first handshake record's.
 */
export function rewriteHandshake(flight: Uint8Array, edit: (messages: FlightMessage[]) => Uint8Array[]): Uint8Array {
  const records = findRecords(flight);
  const first = records.find((r) => r.type === ContentTypes.handshake);
  if (!first) return flight;
  const body = concatBytes(edit(handshakeMessagesOf(flight)));
  const parts: Uint8Array[] = [];
  let placed = false;
  for (const r of records) {
    if (r.type === ContentTypes.handshake) {
      if (!placed) parts.push(makeRecord(ContentTypes.handshake, first.version, body));
      placed = true;
      continue;
    }
    parts.push(flight.subarray(r.offset, r.offset + 5 + r.length));
  }
  return concatBytes(parts);
}

/** The records of `bytes` with their content types and the lengths their headers give. */
export function recordHeaders(bytes: Uint8Array): { type: number; length: number }[] {
  return findRecords(bytes).map((r) => ({ type: r.type, length: r.length }));
}
