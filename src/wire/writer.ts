/** The largest length a prefix of 1, 2 or 3 bytes holds (a table: `2 ** n` is a call to pow). */
const PREFIX_MAX = [0, 0xff, 0xffff, 0xffffff] as const;

/**
 * A growable byte buffer. Length prefixes are written in one pass: reserve the
 * prefix with `prefixed(size, body)` (or `lengthPrefix(size)` → `end()`), write
 * the body, and the prefix is filled in when the body is done.
 */
export class Writer {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialSize = 256) {
    this.buf = new Uint8Array(initialSize);
  }

  get length(): number {
    return this.len;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.reserve(2);
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u24(v: number): this {
    this.reserve(3);
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.buf[this.len++] = (v >>> 24) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** Reserves a length prefix of `size` bytes; call the returned function when the body is written. */
  lengthPrefix(size: 1 | 2 | 3): () => void {
    const at = this.openPrefix(size);
    return () => this.closePrefix(at, size);
  }

  /** Reserves a length prefix; returns where it is, for closePrefix. */
  private openPrefix(size: 1 | 2 | 3): number {
    this.reserve(size);
    const at = this.len;
    this.len += size;
    return at;
  }

  /** Fills in the prefix at `at` with the length of what was written after it. */
  private closePrefix(at: number, size: 1 | 2 | 3): void {
    const n = this.len - at - size;
    const max = PREFIX_MAX[size]!;
    if (n > max) throw new RangeError(`vector of ${n} bytes does not fit a ${size}-byte length prefix`);
    for (let i = 0; i < size; i++) this.buf[at + i] = (n >>> (8 * (size - 1 - i))) & 0xff;
  }

  /** Writes `body` behind a length prefix of `size` bytes. */
  prefixed(size: 1 | 2 | 3, body: (w: this) => void): this {
    const end = this.lengthPrefix(size);
    body(this);
    end();
    return this;
  }

  /** A vector: a length prefix and the bytes. */
  vector(size: 1 | 2 | 3, b: Uint8Array): this {
    const at = this.openPrefix(size);
    this.bytes(b);
    this.closePrefix(at, size);
    return this;
  }

  u16List(size: 1 | 2, values: readonly number[]): this {
    const at = this.openPrefix(size);
    for (const v of values) this.u16(v);
    this.closePrefix(at, size);
    return this;
  }

  /**
   * The bytes written from `start` on, as a view of the buffer (no copy). Written bytes never
   * change, and a buffer outgrown is copied, not reused: the view stays what it was.
   */
  view(start: number, end = this.len): Uint8Array {
    return this.buf.subarray(start, end);
  }

  /** The bytes written so far (a copy that owns its memory). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
