// A strict borsh reader for what the node proves: every read is bounds-checked, enum tags
// outside the known range and bytes left over are refused, so a damaged or hostile answer
// fails with a message instead of being half-read.

export class DecodeError extends Error {
  constructor(what: string, detail: string) {
    super(`${what}: ${detail}`);
    this.name = "DecodeError";
  }
}

export class Reader {
  private at = 0;

  constructor(
    private readonly buf: Uint8Array,
    /** What is being decoded, for error messages ("state proof", "validator set"). */
    readonly what: string,
  ) {}

  fail(detail: string): never {
    throw new DecodeError(this.what, detail);
  }

  take(n: number): Uint8Array {
    if (n > this.buf.length - this.at) this.fail(`ends after ${this.buf.length} bytes; ${n} more were needed at ${this.at}`);
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  u8(): number {
    return this.take(1)[0]!;
  }

  u32(): number {
    const b = this.take(4);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  }

  u64(): bigint {
    const b = this.take(8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }

  /** An enum or option tag, refused when it is not below `count`. */
  tag(count: number, of: string): number {
    const t = this.u8();
    if (t >= count) this.fail(`${of} tag ${t} is not one of 0..${count - 1}`);
    return t;
  }

  /** A `Vec` length, refused above `max` before anything is allocated. */
  len(max: number, of: string): number {
    const n = this.u32();
    if (n > max) this.fail(`${of} holds ${n} items; at most ${max} are allowed`);
    return n;
  }

  string(max: number, of: string): string {
    const n = this.len(max, of);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(this.take(n));
    } catch (e) {
      if (e instanceof DecodeError) throw e;
      return this.fail(`${of} is not UTF-8`);
    }
  }

  /** Refuses bytes after the value: two encodings of one value must not both verify. */
  end(): void {
    if (this.at !== this.buf.length) this.fail(`${this.buf.length - this.at} bytes follow the value`);
  }
}
