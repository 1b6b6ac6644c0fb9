// A deterministic mutation engine for TLS byte streams: a seeded PRNG and
// mutations that know where record headers (RFC 5246 Section 6.2.1) and
// handshake headers (RFC 5246 Section 7.4) sit, so length fields get perturbed
// on purpose, not only by chance. No dependencies: the same seed gives the same
// inputs on every machine.

/** mulberry32: a small 32-bit PRNG, good enough to pick mutations and reproducible everywhere. */
export class Rng {
  private state_: number;

  constructor(seed: number) {
    this.state_ = seed >>> 0;
  }

  /** The current state: `new Rng(rng.state)` draws the same values from here on. */
  get state(): number {
    return this.state_;
  }

  /** The next 32-bit unsigned value. */
  u32(): number {
    this.state_ = (this.state_ + 0x6d2b79f5) >>> 0;
    let t = this.state_;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n); 0 when n <= 0. */
  below(n: number): number {
    if (n <= 0) return 0;
    return this.u32() % n;
  }

  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

/** Byte values that sit on boundaries parsers get wrong. */
export const INTERESTING_BYTES: readonly number[] = [0x00, 0x01, 0x02, 0x03, 0x04, 0x7f, 0x80, 0xfe, 0xff, 0x14, 0x15, 0x16, 0x17, 0x18];

/** 16- and 24-bit lengths worth trying in a length field. */
const INTERESTING_LENGTHS: readonly number[] = [0, 1, 2, 3, 4, 0x7f, 0x80, 0xff, 0x100, 0x3fff, 0x4000, 0x4001, 0x4800, 0x4801, 0x7fff, 0x8000, 0xffff];

/** A record found in a byte string: where its 5-byte header starts, its type, version and length field. */
export interface RecordSpan {
  readonly offset: number;
  readonly type: number;
  readonly version: number;
  readonly length: number;
}

/**
 * Walks a byte string as a sequence of TLS records and returns the headers it
 * finds, stopping at the first header that does not look like one (type 20..23,
 * major version 3) or runs past the end.
 */
export function findRecords(bytes: Uint8Array): RecordSpan[] {
  const out: RecordSpan[] = [];
  let at = 0;
  while (at + 5 <= bytes.length) {
    const type = bytes[at]!;
    const version = (bytes[at + 1]! << 8) | bytes[at + 2]!;
    const length = (bytes[at + 3]! << 8) | bytes[at + 4]!;
    if (type < 20 || type > 23 || bytes[at + 1] !== 3 || at + 5 + length > bytes.length) break;
    out.push({ offset: at, type, version, length });
    at += 5 + length;
  }
  return out;
}

/** Offsets of plausible 4-byte handshake headers inside plaintext handshake records. */
export function findHandshakeHeaders(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (const r of findRecords(bytes)) {
    if (r.type !== 22) continue;
    let at = r.offset + 5;
    const end = r.offset + 5 + r.length;
    while (at + 4 <= end) {
      const length = (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
      out.push(at);
      if (at + 4 + length > end) break;
      at += 4 + length;
    }
  }
  return out;
}

/** The records of a byte string as separate arrays (header included); trailing bytes that are not a record are dropped. */
export function splitRecords(bytes: Uint8Array): Uint8Array[] {
  return findRecords(bytes).map((r) => bytes.slice(r.offset, r.offset + 5 + r.length));
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A record with the given type, version and body. */
export function makeRecord(type: number, version: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out[0] = type;
  out[1] = version >>> 8;
  out[2] = version & 0xff;
  out[3] = (body.length >>> 8) & 0xff;
  out[4] = body.length & 0xff;
  out.set(body, 5);
  return out;
}

export type MutationName =
  | 'bitflip'
  | 'interesting'
  | 'random-byte'
  | 'truncate'
  | 'insert'
  | 'delete'
  | 'duplicate'
  | 'record-length'
  | 'handshake-length'
  | 'record-type'
  | 'fragment'
  | 'reorder'
  | 'drop-record'
  | 'repeat-record';

export const MUTATIONS: readonly MutationName[] = [
  'bitflip', 'interesting', 'random-byte', 'truncate', 'insert', 'delete', 'duplicate',
  'record-length', 'handshake-length', 'record-type', 'fragment', 'reorder', 'drop-record', 'repeat-record',
];

function setU16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

function setU24(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 16) & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = v & 0xff;
}

/** A length near `current` or an interesting one. */
function perturbLength(rng: Rng, current: number, max: number): number {
  switch (rng.below(4)) {
    case 0:
      return Math.max(0, Math.min(max, current + rng.between(-3, 3)));
    case 1:
      return rng.pick(INTERESTING_LENGTHS) & max;
    case 2:
      return rng.below(max + 1);
    default:
      return current ^ (1 << rng.below(max > 0xffff ? 24 : 16)) & max;
  }
}

/** Applies one named mutation; returns a new array (the input is never modified). */
export function applyMutation(input: Uint8Array, name: MutationName, rng: Rng): Uint8Array {
  const b = input.slice();
  const n = b.length;
  switch (name) {
    case 'bitflip': {
      if (n === 0) return b;
      const count = rng.between(1, 4);
      for (let i = 0; i < count; i++) b[rng.below(n)]! ^= 1 << rng.below(8);
      return b;
    }
    case 'interesting': {
      if (n === 0) return b;
      b[rng.below(n)] = rng.pick(INTERESTING_BYTES);
      return b;
    }
    case 'random-byte': {
      if (n === 0) return b;
      b[rng.below(n)] = rng.below(256);
      return b;
    }
    case 'truncate':
      return b.slice(0, rng.below(n + 1));
    case 'insert': {
      const at = rng.below(n + 1);
      const extra = rng.chance(0.5) ? rng.bytes(rng.between(1, 8)) : new Uint8Array(rng.between(1, 8)).fill(rng.pick(INTERESTING_BYTES));
      return concatBytes([b.subarray(0, at), extra, b.subarray(at)]);
    }
    case 'delete': {
      if (n === 0) return b;
      const at = rng.below(n);
      const len = rng.between(1, Math.min(16, n - at));
      return concatBytes([b.subarray(0, at), b.subarray(at + len)]);
    }
    case 'duplicate': {
      if (n === 0) return b;
      const from = rng.below(n);
      const len = rng.between(1, Math.min(64, n - from));
      const at = rng.below(n + 1);
      return concatBytes([b.subarray(0, at), b.slice(from, from + len), b.subarray(at)]);
    }
    case 'record-length': {
      const recs = findRecords(b);
      if (recs.length === 0) return applyMutation(input, 'bitflip', rng);
      const r = rng.pick(recs);
      setU16(b, r.offset + 3, perturbLength(rng, r.length, 0xffff));
      return b;
    }
    case 'handshake-length': {
      const hs = findHandshakeHeaders(b);
      if (hs.length === 0) return applyMutation(input, 'record-length', rng);
      const at = rng.pick(hs);
      const current = (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
      setU24(b, at + 1, perturbLength(rng, current, 0xffffff));
      if (rng.chance(0.3)) b[at] = rng.below(30); // the message type too, now and then
      return b;
    }
    case 'record-type': {
      const recs = findRecords(b);
      if (recs.length === 0) return applyMutation(input, 'interesting', rng);
      const r = rng.pick(recs);
      if (rng.chance(0.7)) b[r.offset] = rng.pick([20, 21, 22, 23, 24, 0, 0xff, 19]);
      else setU16(b, r.offset + 1, rng.pick([0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x0200, 0x0400, 0xfeff, 0x0000]));
      return b;
    }
    case 'fragment':
      return fragmentRecords(b, rng);
    case 'reorder': {
      const recs = splitRecords(b);
      if (recs.length < 2) return applyMutation(input, 'duplicate', rng);
      const i = rng.below(recs.length);
      let j = rng.below(recs.length);
      if (j === i) j = (i + 1) % recs.length;
      [recs[i], recs[j]] = [recs[j]!, recs[i]!];
      return concatBytes(recs);
    }
    case 'drop-record': {
      const recs = splitRecords(b);
      if (recs.length < 2) return applyMutation(input, 'truncate', rng);
      recs.splice(rng.below(recs.length), 1);
      return concatBytes(recs);
    }
    case 'repeat-record': {
      const recs = splitRecords(b);
      if (recs.length === 0) return applyMutation(input, 'duplicate', rng);
      const i = rng.below(recs.length);
      const times = rng.chance(0.2) ? rng.between(2, 40) : 1;
      recs.splice(i, 0, ...Array.from({ length: times }, () => recs[i]!));
      return concatBytes(recs);
    }
  }
}

/**
 * Re-frames records: the body of each chosen record is cut into random-size
 * fragments, each in its own record of the same type and version (what a peer
 * may legally do with handshake records, RFC 5246 Section 6.2.1), now and then
 * with an empty fragment among them. Records from a ChangeCipherSpec on are left whole.
 */
export function fragmentRecords(input: Uint8Array, rng: Rng): Uint8Array {
  const recs = findRecords(input);
  if (recs.length === 0) return input.slice();
  const parts: Uint8Array[] = [];
  let consumed = 0;
  let protectedFromHere = false;
  for (const r of recs) {
    const body = input.subarray(r.offset + 5, r.offset + 5 + r.length);
    consumed = r.offset + 5 + r.length;
    // Records after a ChangeCipherSpec are protected: cutting them only makes bad MACs.
    if (r.type === 20) protectedFromHere = true;
    if (body.length < 2 || protectedFromHere || rng.chance(0.4)) {
      parts.push(input.subarray(r.offset, consumed));
      continue;
    }
    let at = 0;
    while (at < body.length) {
      const size = rng.chance(0.02) ? 0 : rng.between(1, Math.max(1, Math.min(body.length - at, rng.chance(0.5) ? 8 : 512)));
      parts.push(makeRecord(r.type, r.version, body.subarray(at, at + size)));
      at += size;
    }
  }
  parts.push(input.subarray(consumed));
  return concatBytes(parts);
}

/** One to `maxRounds` random mutations in a row; the names applied are returned for the report. */
export function mutate(input: Uint8Array, rng: Rng, maxRounds = 3): { bytes: Uint8Array; applied: MutationName[] } {
  let bytes = input;
  const applied: MutationName[] = [];
  const rounds = rng.between(1, maxRounds);
  for (let i = 0; i < rounds; i++) {
    const name = rng.pick(MUTATIONS);
    bytes = applyMutation(bytes, name, rng);
    applied.push(name);
  }
  return { bytes, applied };
}

/** Cuts a byte string into random delivery chunks (what a TCP stream may do); joined they give the input back. */
export function chunk(input: Uint8Array, rng: Rng): Uint8Array[] {
  if (input.length === 0) return [];
  if (rng.chance(0.5)) return [input];
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < input.length) {
    const size = rng.chance(0.2) ? 1 : rng.between(1, Math.max(1, input.length - at));
    out.push(input.subarray(at, at + size));
    at += size;
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error('not a hex string');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}
