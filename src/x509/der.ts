// DER (ITU-T X.690 Section 10) reading and writing for X.509 (RFC 5280).
//
// The reader is strict: definite lengths only, in their shortest form, one-byte
// tags read exactly, and every constructed value read to its end. Every failure
// is TlsError('bad_certificate', 'malformed certificate: ...') naming the field.

import { TlsError } from '../errors.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';

/** Universal tags (X.680 Section 8.6) and the constructed forms X.509 uses. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8String: 0x0c,
  NumericString: 0x12,
  PrintableString: 0x13,
  TeletexString: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  UniversalString: 0x1c,
  BMPString: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** A context-specific tag [n]: constructed for EXPLICIT (and constructed IMPLICIT) fields. */
export function contextTag(n: number, constructed: boolean): number {
  if (n < 0 || n > 30) throw new RangeError(`context tag [${n}] needs the high-tag-number form`);
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

export function malformed(what: string): TlsError {
  return new TlsError('bad_certificate', `malformed certificate: ${what}`);
}

/** One TLV: its tag, its contents, and the whole encoding (tag, length and contents). */
export interface DerElement {
  readonly tag: number;
  readonly contents: Uint8Array;
  readonly raw: Uint8Array;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A cursor over a sequence of DER elements. Built on the wire Reader: every
 * read is bounded by what is left, and constructed values are read through
 * nested readers that must be consumed to their end.
 */
export class DerReader {
  private readonly r: Reader;

  constructor(
    private readonly bytes: Uint8Array,
    readonly context = 'certificate',
  ) {
    this.r = new Reader(bytes, context);
  }

  empty(): boolean {
    return this.r.empty();
  }

  /** The tag of the next element, or undefined at the end. */
  peekTag(): number | undefined {
    return this.r.empty() ? undefined : this.bytes[this.r.position];
  }

  private take(n: number, field: string): Uint8Array {
    if (this.r.remaining < n) throw malformed(`${this.context}.${field} is truncated`);
    return this.r.bytesN(n, field);
  }

  /** Reads the next TLV of any tag (X.690 Section 8.1). */
  element(field: string): DerElement {
    const start = this.r.position;
    const tag = this.take(1, field)[0]!;
    // X.690 Section 8.1.2.4: X.509 uses no tag number above 30.
    if ((tag & 0x1f) === 0x1f) throw malformed(`${this.context}.${field} uses a high tag number`);
    const first = this.take(1, field)[0]!;
    let length: number;
    if (first < 0x80) {
      length = first;
    } else if (first === 0x80) {
      // X.690 Section 10.1: DER uses the definite form only.
      throw malformed(`${this.context}.${field} has an indefinite length`);
    } else {
      const n = first & 0x7f;
      if (n > 4) throw malformed(`${this.context}.${field} has a length of ${n} bytes`);
      const lenBytes = this.take(n, field);
      // X.690 Section 10.1: the length in the fewest octets.
      if (lenBytes[0] === 0) throw malformed(`${this.context}.${field} has a non-minimal length`);
      length = 0;
      for (const b of lenBytes) length = length * 256 + b;
      if (length < 0x80) throw malformed(`${this.context}.${field} has a non-minimal length`);
    }
    const contents = this.take(length, field);
    return { tag, contents, raw: this.bytes.subarray(start, this.r.position) };
  }

  /** The contents of the next element, which must carry `tag`. */
  expect(tag: number, field: string): Uint8Array {
    return this.expectElement(tag, field).contents;
  }

  expectElement(tag: number, field: string): DerElement {
    const actual = this.peekTag();
    if (actual === undefined) throw malformed(`${this.context}.${field} is missing`);
    if (actual !== tag) {
      throw malformed(`${this.context}.${field} has tag 0x${hex2(actual)}, expected 0x${hex2(tag)}`);
    }
    return this.element(field);
  }

  /** The next element when it carries `tag`, else undefined (an OPTIONAL field). */
  optional(tag: number, field: string): DerElement | undefined {
    return this.peekTag() === tag ? this.element(field) : undefined;
  }

  /** A nested reader over a SEQUENCE. */
  sequence(field: string): DerReader {
    return new DerReader(this.expect(Tag.SEQUENCE, field), `${this.context}.${field}`);
  }

  /** A nested reader over a SET. */
  set(field: string): DerReader {
    return new DerReader(this.expect(Tag.SET, field), `${this.context}.${field}`);
  }

  /** [n] EXPLICIT: a nested reader over the wrapped element, or undefined when absent. */
  explicit(n: number, field: string): DerReader | undefined {
    const el = this.optional(contextTag(n, true), field);
    return el === undefined ? undefined : new DerReader(el.contents, `${this.context}.${field}`);
  }

  /** [n] IMPLICIT primitive: the contents, or undefined when absent. */
  implicit(n: number, field: string): Uint8Array | undefined {
    return this.optional(contextTag(n, false), field)?.contents;
  }

  /** INTEGER as big-endian two's-complement bytes, in its minimal form (X.690 Section 8.3.2). */
  integer(field: string): Uint8Array {
    return checkInteger(this.expect(Tag.INTEGER, field), `${this.context}.${field}`);
  }

  /** A non-negative INTEGER that fits a JavaScript number safely. */
  smallInteger(field: string): number {
    return integerValue(this.integer(field), `${this.context}.${field}`);
  }

  /** BIT STRING (X.690 Section 8.6, 11.2): the bytes and the count of unused bits in the last one. */
  bitString(field: string): { bytes: Uint8Array; unusedBits: number } {
    return parseBitString(this.expect(Tag.BIT_STRING, field), `${this.context}.${field}`);
  }

  octetString(field: string): Uint8Array {
    return this.expect(Tag.OCTET_STRING, field);
  }

  /** OBJECT IDENTIFIER as a dotted string (X.690 Section 8.19). */
  oid(field: string): string {
    return decodeOid(this.expect(Tag.OID, field), `${this.context}.${field}`);
  }

  /** BOOLEAN: DER encodes TRUE as 0xff (X.690 Section 11.1). */
  boolean(field: string): boolean {
    return parseBoolean(this.expect(Tag.BOOLEAN, field), `${this.context}.${field}`);
  }

  null(field: string): void {
    if (this.expect(Tag.NULL, field).length !== 0) throw malformed(`${this.context}.${field} is a NULL with contents`);
  }

  /** Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime } (RFC 5280 Section 4.1.2.5). */
  time(field: string): Date {
    const el = this.element(field);
    if (el.tag === Tag.UTCTime) return parseUtcTime(el.contents, `${this.context}.${field}`);
    if (el.tag === Tag.GeneralizedTime) return parseGeneralizedTime(el.contents, `${this.context}.${field}`);
    throw malformed(`${this.context}.${field} is not a UTCTime or GeneralizedTime`);
  }

  /** Any of the directory string types, decoded. */
  string(field: string): string {
    const el = this.element(field);
    const s = decodeString(el.tag, el.contents, `${this.context}.${field}`);
    if (s === undefined) throw malformed(`${this.context}.${field} is not a string type`);
    return s;
  }

  /** Rejects trailing data: the constructed value must be read to its end. */
  end(): void {
    if (!this.r.empty()) throw malformed(`${this.r.remaining} trailing bytes in ${this.context}`);
  }

  /** Reads exactly one element spanning all of `bytes` with `fn`, rejecting trailing data. */
  static readAll<T>(bytes: Uint8Array, context: string, fn: (r: DerReader) => T): T {
    const r = new DerReader(bytes, context);
    const value = fn(r);
    r.end();
    return value;
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

export function toHex(b: Uint8Array, separator = ''): string {
  return Array.from(b, hex2).join(separator);
}

export function checkInteger(b: Uint8Array, field: string): Uint8Array {
  if (b.length === 0) throw malformed(`${field} is an empty INTEGER`);
  // X.690 Section 8.3.2: the first nine bits are not all zero nor all one.
  if (b.length > 1 && ((b[0] === 0x00 && (b[1]! & 0x80) === 0) || (b[0] === 0xff && (b[1]! & 0x80) !== 0))) {
    throw malformed(`${field} is a non-minimal INTEGER`);
  }
  return b;
}

export function integerValue(b: Uint8Array, field: string): number {
  if (b[0]! & 0x80) throw malformed(`${field} is negative`);
  if (b.length > 6) throw malformed(`${field} is too large`);
  let v = 0;
  for (const x of b) v = v * 256 + x;
  return v;
}

export function parseBitString(b: Uint8Array, field: string): { bytes: Uint8Array; unusedBits: number } {
  if (b.length === 0) throw malformed(`${field} is an empty BIT STRING`);
  const unusedBits = b[0]!;
  const bytes = b.subarray(1);
  if (unusedBits > 7 || (bytes.length === 0 && unusedBits !== 0)) {
    throw malformed(`${field} has ${unusedBits} unused bits`);
  }
  // X.690 Section 11.2.1: the unused bits are zero.
  if (unusedBits > 0 && (bytes[bytes.length - 1]! & ((1 << unusedBits) - 1)) !== 0) {
    throw malformed(`${field} has non-zero unused bits`);
  }
  return { bytes, unusedBits };
}

export function parseBoolean(b: Uint8Array, field: string): boolean {
  if (b.length !== 1 || (b[0] !== 0x00 && b[0] !== 0xff)) throw malformed(`${field} is not a DER BOOLEAN`);
  return b[0] === 0xff;
}

export function decodeOid(b: Uint8Array, field: string): string {
  if (b.length === 0) throw malformed(`${field} is an empty OID`);
  const arcs: number[] = [];
  let v = 0;
  let started = false;
  for (let i = 0; i < b.length; i++) {
    const byte = b[i]!;
    // X.690 Section 8.19.2: no leading 0x80 in a subidentifier.
    if (!started && byte === 0x80) throw malformed(`${field} has a non-minimal subidentifier`);
    started = true;
    v = v * 128 + (byte & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) throw malformed(`${field} has a subidentifier that is too large`);
    if ((byte & 0x80) === 0) {
      arcs.push(v);
      v = 0;
      started = false;
    }
  }
  if (started) throw malformed(`${field} ends inside a subidentifier`);
  const first = arcs[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

const DIGITS = /^[0-9]+$/;

function timeFields(s: string, field: string, yearDigits: 2 | 4): Date {
  // RFC 5280 Section 4.1.2.5.1/2: seconds are present and the time ends in Z.
  const len = yearDigits + 10 + 1;
  if (s.length !== len || s[len - 1] !== 'Z' || !DIGITS.test(s.slice(0, len - 1))) {
    throw malformed(`${field} is not in the form ${yearDigits === 2 ? 'YYMMDDHHMMSSZ' : 'YYYYMMDDHHMMSSZ'}`);
  }
  let year = Number(s.slice(0, yearDigits));
  // RFC 5280 Section 4.1.2.5.1: YY >= 50 is 19YY, YY < 50 is 20YY.
  if (yearDigits === 2) year += year >= 50 ? 1900 : 2000;
  const p = (i: number) => Number(s.slice(yearDigits + i, yearDigits + i + 2));
  const [month, day, hour, minute, second] = [p(0), p(2), p(4), p(6), p(8)];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) {
    throw malformed(`${field} is not a valid time`);
  }
  const d = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  d.setUTCFullYear(year); // Date.UTC maps years 0..99 to 1900..1999
  if (d.getUTCDate() !== day) throw malformed(`${field} is not a valid date`);
  return d;
}

export function parseUtcTime(b: Uint8Array, field: string): Date {
  return timeFields(ascii(b, field), field, 2);
}

/**
 * GeneralizedTime. RFC 5280 Section 4.1.2.5.2 says certificates MUST NOT carry fractional seconds,
 * but X.690 Section 11.7 defines their DER form ("YYYYMMDDHHMMSS.fffZ", no trailing zeros) and
 * such certificates exist: the fraction is read (to the millisecond, truncated), not taken for an
 * invalid, hence expired, time. CRLs and OCSP responses use the same type.
 */
export function parseGeneralizedTime(b: Uint8Array, field: string): Date {
  const s = ascii(b, field);
  const fraction = /^(\d{14})\.(\d*[1-9])Z$/.exec(s);
  if (!fraction) return timeFields(s, field, 4);
  const d = timeFields(`${fraction[1]}Z`, field, 4);
  return new Date(d.getTime() + Math.floor(Number(`0.${fraction[2]}`) * 1000));
}

function ascii(b: Uint8Array, field: string): string {
  let s = '';
  for (const c of b) {
    if (c < 0x20 || c > 0x7e) throw malformed(`${field} has a non-printable character`);
    s += String.fromCharCode(c);
  }
  return s;
}

/** Decodes a string of one of the X.520 DirectoryString types (and IA5String); undefined for other tags. */
export function decodeString(tag: number, b: Uint8Array, field: string): string | undefined {
  switch (tag) {
    case Tag.UTF8String:
      try {
        return utf8.decode(b);
      } catch {
        throw malformed(`${field} is not valid UTF-8`);
      }
    case Tag.PrintableString:
    case Tag.NumericString:
      return ascii(b, field);
    case Tag.IA5String: {
      let s = '';
      for (const c of b) {
        if (c > 0x7f) throw malformed(`${field} is not IA5 (ASCII)`);
        s += String.fromCharCode(c);
      }
      return s;
    }
    case Tag.TeletexString: {
      // Read as Latin-1, as most implementations do.
      let s = '';
      for (const c of b) s += String.fromCharCode(c);
      return s;
    }
    case Tag.BMPString: {
      if (b.length % 2 !== 0) throw malformed(`${field} is a BMPString of odd length`);
      let s = '';
      for (let i = 0; i < b.length; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
      return s;
    }
    case Tag.UniversalString: {
      if (b.length % 4 !== 0) throw malformed(`${field} is a UniversalString whose length is not a multiple of 4`);
      let s = '';
      for (let i = 0; i < b.length; i += 4) {
        const cp = ((b[i]! << 24) >>> 0) + ((b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!);
        if (cp > 0x10ffff) throw malformed(`${field} has an invalid code point`);
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------
// Writing. DER lengths depend on the contents, so each element is built from
// its already-encoded children and written once behind its length.

/** One TLV with a definite length in its shortest form. */
export function derTlv(tag: number, contents: Uint8Array): Uint8Array {
  const w = new Writer(contents.length + 6);
  w.u8(tag);
  const n = contents.length;
  if (n < 0x80) {
    w.u8(n);
  } else {
    const lenBytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) lenBytes.unshift(v & 0xff);
    w.u8(0x80 | lenBytes.length);
    for (const b of lenBytes) w.u8(b);
  }
  return w.bytes(contents).finish();
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const w = new Writer();
  for (const p of parts) w.bytes(p);
  return w.finish();
}

export const der = {
  sequence: (...children: Uint8Array[]): Uint8Array => derTlv(Tag.SEQUENCE, concat(children)),
  /** SET OF: DER sorts the encodings (X.690 Section 11.6). */
  set: (...children: Uint8Array[]): Uint8Array => derTlv(Tag.SET, concat([...children].sort(compareBytes))),
  explicit: (n: number, ...children: Uint8Array[]): Uint8Array => derTlv(contextTag(n, true), concat(children)),
  implicit: (n: number, contents: Uint8Array): Uint8Array => derTlv(contextTag(n, false), contents),
  /** An INTEGER from unsigned big-endian bytes (a 0x00 is added when the top bit is set). */
  unsignedInteger(magnitude: Uint8Array): Uint8Array {
    let i = 0;
    while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
    let b = magnitude.subarray(i);
    if (b.length === 0) b = new Uint8Array(1);
    if (b[0]! & 0x80) b = concat([new Uint8Array(1), b]);
    return derTlv(Tag.INTEGER, b);
  },
  smallInteger(v: number): Uint8Array {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`cannot encode ${v} as a small INTEGER`);
    const bytes: number[] = [];
    for (let x = v; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff);
    return der.unsignedInteger(Uint8Array.from(bytes));
  },
  boolean: (v: boolean): Uint8Array => derTlv(Tag.BOOLEAN, Uint8Array.of(v ? 0xff : 0x00)),
  null: (): Uint8Array => derTlv(Tag.NULL, new Uint8Array(0)),
  octetString: (b: Uint8Array): Uint8Array => derTlv(Tag.OCTET_STRING, b),
  bitString: (b: Uint8Array, unusedBits = 0): Uint8Array => derTlv(Tag.BIT_STRING, concat([Uint8Array.of(unusedBits), b])),
  oid: (dotted: string): Uint8Array => derTlv(Tag.OID, encodeOid(dotted)),
  utf8String: (s: string): Uint8Array => derTlv(Tag.UTF8String, new TextEncoder().encode(s)),
  ia5String: (s: string): Uint8Array => derTlv(Tag.IA5String, latin1Bytes(s)),
  printableString: (s: string): Uint8Array => derTlv(Tag.PrintableString, latin1Bytes(s)),
  /** RFC 5280 Section 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
  time(d: Date): Uint8Array {
    const year = d.getUTCFullYear();
    const pad = (v: number) => String(v).padStart(2, '0');
    const rest = `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
    if (year >= 1950 && year < 2050) return derTlv(Tag.UTCTime, latin1Bytes(pad(year % 100) + rest));
    if (year < 0 || year > 9999) throw new RangeError(`year ${year} cannot be encoded`);
    return derTlv(Tag.GeneralizedTime, latin1Bytes(String(year).padStart(4, '0') + rest));
  },
};

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return compareBytes(a, b) === 0;
}

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) throw new RangeError('string is not ASCII');
    out[i] = c;
  }
  return out;
}

export function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((a) => {
    if (!/^[0-9]+$/.test(a)) throw new RangeError(`bad OID ${dotted}`);
    return Number(a);
  });
  if (arcs.length < 2 || arcs[0]! > 2 || (arcs[0]! < 2 && arcs[1]! >= 40)) throw new RangeError(`bad OID ${dotted}`);
  const values = [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)];
  const out: number[] = [];
  for (const v of values) {
    const group: number[] = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) group.unshift((x & 0x7f) | 0x80);
    out.push(...group);
  }
  return Uint8Array.from(out);
}
