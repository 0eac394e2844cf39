// Bytes, hex and the borsh pieces the transaction body uses (docs/transactions.md).

const HEX = /^(?:[0-9a-f]{2})*$/;

/** Lower-case hex of `b`. */
export function toHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** Bytes of a hex string; refuses odd lengths, upper case and anything that is not hex. */
export function fromHex(s: string): Uint8Array {
  if (!HEX.test(s)) throw new Error(`not lower-case hex of whole bytes: '${s.slice(0, 40)}'`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

const U32_MAX = 0xffff_ffff;
const U64_MAX = (1n << 64n) - 1n;

/** borsh u32, little-endian. */
export function u32(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > U32_MAX) throw new Error(`${n} is not a u32`);
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** borsh u64, little-endian; from a bigint or a safe integer. */
export function u64(n: bigint | number): Uint8Array {
  const v = typeof n === "bigint" ? n : Number.isSafeInteger(n) && n >= 0 ? BigInt(n) : -1n;
  if (v < 0n || v > U64_MAX) throw new Error(`${n} is not a u64`);
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
}

/** borsh `Vec<u8>`: u32 length, then the bytes. */
export function bytes(b: Uint8Array): Uint8Array {
  return concat(u32(b.length), b);
}

/** borsh `String`: u32 length, then UTF-8. */
export function string(s: string): Uint8Array {
  return bytes(utf8(s));
}
