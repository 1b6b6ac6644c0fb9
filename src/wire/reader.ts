import { TlsError } from '../errors.js';

/**
 * A bounded cursor over received bytes. Every read is checked against the
 * bytes that are left; every failure is a `decode_error` that names the field.
 * Length-prefixed fields are read through `sub()`, which returns a nested
 * Reader over exactly that field.
 */
export class Reader {
  private offset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    /** What is being read, for error messages: "ServerHello". */
    readonly context = 'message',
  ) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  get position(): number {
    return this.offset;
  }

  empty(): boolean {
    return this.offset === this.bytes.length;
  }

  private need(n: number, field: string): void {
    if (this.bytes.length - this.offset < n) {
      throw new TlsError('decode_error', `missing data in ${this.context}.${field}`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.offset++]!;
  }

  u16(field: string): number {
    this.need(2, field);
    const b = this.bytes, o = this.offset;
    this.offset += 2;
    return (b[o]! << 8) | b[o + 1]!;
  }

  u24(field: string): number {
    this.need(3, field);
    const b = this.bytes, o = this.offset;
    this.offset += 3;
    return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
  }

  u32(field: string): number {
    this.need(4, field);
    const b = this.bytes, o = this.offset;
    this.offset += 4;
    return ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
  }

  /** The next n bytes, as a view (not a copy). */
  bytesN(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** All bytes that are left, as a view. */
  rest(): Uint8Array {
    const out = this.bytes.subarray(this.offset);
    this.offset = this.bytes.length;
    return out;
  }

  /** A length-prefixed vector (prefix of 1, 2 or 3 bytes) as bytes. */
  vector(prefix: 1 | 2 | 3, field: string, min = 0, max = Infinity): Uint8Array {
    const len = prefix === 1 ? this.u8(field) : prefix === 2 ? this.u16(field) : this.u24(field);
    if (len < min || len > max) {
      throw new TlsError('decode_error', `${this.context}.${field} has a length of ${len}, outside ${min}..${max}`);
    }
    return this.bytesN(len, field);
  }

  /** A nested Reader over a length-prefixed field. */
  sub(prefix: 1 | 2 | 3, field: string, min = 0, max = Infinity): Reader {
    return new Reader(this.vector(prefix, field, min, max), `${this.context}.${field}`);
  }

  /** Rejects trailing bytes: the field or message must be read to its end. */
  expectEnd(): void {
    if (this.offset !== this.bytes.length) {
      throw new TlsError('decode_error', `${this.remaining} trailing bytes in ${this.context}`);
    }
  }

  /** Reads a whole buffer with `fn` and rejects anything left over. */
  static readAll<T>(bytes: Uint8Array, context: string, fn: (r: Reader) => T): T {
    const r = new Reader(bytes, context);
    const value = fn(r);
    r.expectEnd();
    return value;
  }

  /** Reads a list of u16 values from a vector whose byte length must be even. */
  u16List(prefix: 1 | 2, field: string, minItems = 0): number[] {
    const r = this.sub(prefix, field);
    if (r.remaining % 2 !== 0) throw new TlsError('decode_error', `${this.context}.${field} has an odd length`);
    if (r.remaining / 2 < minItems) throw new TlsError('decode_error', `${this.context}.${field} is empty`);
    const out: number[] = [];
    while (!r.empty()) out.push(r.u16(field));
    return out;
  }
}
