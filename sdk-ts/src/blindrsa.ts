// The voter's side of a voting credential (RFC 9474, RSABSSA-SHA384-PSS-Randomized; the Rust
// side is crates/services/voting/src/credential.rs): blind the credential message under the
// poll's registrar key, hand the blinded message to the registrar, and finalize its blind
// signature into the token a ballot carries. The registrar sees only the blinded message.

import { sha256, sha384 } from "@noble/hashes/sha2";

import { concat } from "./bytes.js";

export class BlindRsaError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = "BlindRsaError";
  }
}

/** The token a ballot carries: base64 of the 32-byte randomizer and of the signature. */
export interface VotingToken {
  randomizer: string;
  signature: string;
}

export interface RsaPublic {
  n: bigint;
  e: bigint;
  /** The modulus's length in bytes. */
  size: number;
  bits: number;
}

const H_LEN = 48;
const S_LEN = 48;

const b64 = (bytes: Uint8Array): string => {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
};

const unb64 = (text: string, what: string): Uint8Array => {
  let raw: string;
  try {
    raw = atob(text.trim());
  } catch {
    throw new BlindRsaError(`${what} is not base64`);
  }
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
};

/** Standard base64 with its padding and nothing else (no spaces, no stray bits), as the
 * validators decode a token: one value, one text. */
const canonicalB64 = (text: unknown, what: string): Uint8Array => {
  if (typeof text !== "string" || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new BlindRsaError(`${what} is not base64`);
  }
  const bytes = unb64(text, what);
  if (b64(bytes) !== text) throw new BlindRsaError(`${what} is not base64 in its one canonical form`);
  return bytes;
};
const toInt = (bytes: Uint8Array): bigint => bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);

const toBytes = (n: bigint, size: number): Uint8Array => {
  const out = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  if (n !== 0n) throw new BlindRsaError("a number does not fit the modulus's size");
  return out;
};

function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = base % m;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}

/** The inverse of `a` modulo `m`, or null when they share a factor. */
function modInverse(a: bigint, m: bigint): bigint | null {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) return null;
  return ((oldS % m) + m) % m;
}

const random = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

/** One DER element: its tag, and where its content starts and ends in `der`. */
function derAt(der: Uint8Array, at: number): { tag: number; start: number; end: number } {
  const tag = der[at];
  let len = der[at + 1];
  if (tag === undefined || len === undefined) throw new BlindRsaError("the registrar key is cut short");
  let start = at + 2;
  if (len & 0x80) {
    const count = len & 0x7f;
    if (count === 0 || count > 4) throw new BlindRsaError("the registrar key has a length it cannot have");
    len = 0;
    for (let i = 0; i < count; i++) len = len * 256 + (der[start + i] ?? NaN);
    start += count;
  }
  const end = start + len;
  if (!Number.isFinite(end) || end > der.length) throw new BlindRsaError("the registrar key is cut short");
  return { tag, start, end };
}

/** The modulus and exponent of an RSA SubjectPublicKeyInfo (rsaEncryption or RSASSA-PSS), base64. */
export function registrarKey(spkiB64: string): RsaPublic {
  const der = unb64(spkiB64, "the registrar key");
  const expect = (el: { tag: number }, tag: number) => {
    if (el.tag !== tag) throw new BlindRsaError("the registrar key is not an RSA SubjectPublicKeyInfo");
  };
  const spki = derAt(der, 0);
  expect(spki, 0x30);
  const algorithm = derAt(der, spki.start);
  expect(algorithm, 0x30);
  const bits = derAt(der, algorithm.end);
  expect(bits, 0x03);
  if (der[bits.start] !== 0) throw new BlindRsaError("the registrar key's bit string has unused bits");
  const rsa = derAt(der, bits.start + 1);
  expect(rsa, 0x30);
  const nEl = derAt(der, rsa.start);
  expect(nEl, 0x02);
  const eEl = derAt(der, nEl.end);
  expect(eEl, 0x02);
  // Sizes before numbers: a hostile key of megabytes is refused before any arithmetic.
  if (nEl.end - nEl.start > 1025 || eEl.end - eEl.start > 8 || eEl.end > rsa.end || rsa.end > bits.end || bits.end > spki.end) {
    throw new BlindRsaError("the registrar key is not an RSA SubjectPublicKeyInfo of 2,048 to 8,192 bits");
  }
  const n = toInt(der.subarray(nEl.start, nEl.end));
  const e = toInt(der.subarray(eEl.start, eEl.end));
  const bitLen = n.toString(2).length;
  if (bitLen < 2048 || bitLen > 8192 || e < 3n || e % 2n === 0n) {
    throw new BlindRsaError(`the registrar key has ${bitLen} bits and exponent ${e}: it needs 2,048 to 8,192 bits and an odd exponent`);
  }
  return { n, e, size: Math.ceil(bitLen / 8), bits: bitLen };
}

function mgf1(seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let counter = 0, at = 0; at < length; counter++) {
    const c = new Uint8Array([counter >>> 24, (counter >>> 16) & 0xff, (counter >>> 8) & 0xff, counter & 0xff]);
    const block = sha384(concat(seed, c));
    out.set(block.subarray(0, Math.min(block.length, length - at)), at);
    at += block.length;
  }
  return out;
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with SHA-384, MGF1-SHA-384 and a 48-byte salt. */
function pssEncode(message: Uint8Array, emBits: number): Uint8Array {
  const emLen = Math.ceil(emBits / 8);
  const mHash = sha384(message);
  const salt = random(S_LEN);
  const h = sha384(concat(new Uint8Array(8), mHash, salt));
  const db = new Uint8Array(emLen - H_LEN - 1);
  db[emLen - S_LEN - H_LEN - 2] = 0x01;
  db.set(salt, emLen - S_LEN - H_LEN - 1);
  const mask = mgf1(h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >>> (8 * emLen - emBits);
  return concat(db, h, new Uint8Array([0xbc]));
}

/** A credential message blinded for the registrar, with what the voter keeps to finalize it. */
export interface Blinded {
  /** Base64, for the registrar (`{"blinded_message": ...}`). */
  blindedMessage: string;
  /** Turns the registrar's blind signature (base64) into the token; fails if it does not verify. */
  finalize(blindSignature: string): VotingToken;
  /** What finalizing needs, as text to keep until the registrar's answer arrives: asked again
   * with the same blinded message, a registrar gives a lost answer again ({@link resumeBlinded}).
   * As secret as the voting key. */
  kept: string;
}

/**
 * The name a registrar's signed request gives the blinded message it will sign
 * (`blinded_message_sha256`): base64url of its SHA-256. A wallet answers only a request that
 * names its own blinded message.
 */
export function blindedDigest(blindedMessageB64: string): string {
  const digest = sha256(unb64(blindedMessageB64, "the blinded message"));
  return b64(digest).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function blinding(key: RsaPublic, randomizer: Uint8Array, encoded: bigint, rInverse: bigint, blinded: bigint): Blinded {
  return {
    blindedMessage: b64(toBytes(blinded, key.size)),
    finalize(blindSignature: string): VotingToken {
      const z = unb64(blindSignature, "the blind signature");
      if (z.length !== key.size) throw new BlindRsaError(`the blind signature has ${z.length} bytes, not ${key.size}`);
      const s = (toInt(z) * rInverse) % key.n;
      if (modPow(s, key.e, key.n) !== encoded) throw new BlindRsaError("the registrar's blind signature does not verify");
      return { randomizer: b64(randomizer), signature: b64(toBytes(s, key.size)) };
    },
    kept: JSON.stringify({ randomizer: b64(randomizer), encoded: encoded.toString(16), r_inverse: rInverse.toString(16) }),
  };
}

/** A blinding kept by {@link Blinded.kept}, under the same registrar key. */
export function resumeBlinded(registrarKeyB64: string, kept: string): Blinded {
  const key = registrarKey(registrarKeyB64);
  let v: any;
  try {
    v = JSON.parse(kept);
  } catch {
    throw new BlindRsaError("the kept blinding is not JSON");
  }
  const hex = (x: unknown, what: string): bigint => {
    if (typeof x !== "string" || !/^[0-9a-f]{1,2048}$/.test(x)) throw new BlindRsaError(`the kept blinding's ${what} is not hex`);
    return BigInt(`0x${x}`);
  };
  const randomizer = unb64(typeof v?.randomizer === "string" ? v.randomizer : "", "the kept randomizer");
  if (randomizer.length !== 32) throw new BlindRsaError("the kept randomizer is not 32 bytes");
  const encoded = hex(v.encoded, "message");
  const rInverse = hex(v.r_inverse, "unblinding factor");
  if (encoded <= 1n || encoded >= key.n || rInverse === 0n || rInverse >= key.n) throw new BlindRsaError("the kept blinding is not for this registrar key");
  const r = modInverse(rInverse, key.n);
  if (r === null) throw new BlindRsaError("the kept blinding is not for this registrar key");
  return blinding(key, randomizer, encoded, rInverse, (encoded * modPow(r, key.e, key.n)) % key.n);
}

/** Blinds `message` (the credential message) under the poll's registrar key (base64 SPKI). */
export function blind(registrarKeyB64: string, message: Uint8Array): Blinded {
  const key = registrarKey(registrarKeyB64);
  const randomizer = random(32);
  const encoded = toInt(pssEncode(concat(randomizer, message), key.bits - 1));
  if (modInverse(encoded, key.n) === null) throw new BlindRsaError("the message shares a factor with the registrar key; blind again");
  let r = 0n;
  let inverse: bigint | null = null;
  while (inverse === null) {
    const bytes = random(key.size);
    bytes[0]! &= 0xff >>> (8 * key.size - key.bits);
    r = toInt(bytes);
    if (r === 0n || r >= key.n) continue;
    inverse = modInverse(r, key.n);
  }
  const blinded = (encoded * modPow(r, key.e, key.n)) % key.n;
  return blinding(key, randomizer, encoded, inverse, blinded);
}

/**
 * Checks a voting token as a validator does (RSASSA-PSS verification, RFC 8017 §8.1.2 and
 * EMSA-PSS-VERIFY §9.1.2, SHA-384 with a 48-byte salt): the registrar's signature over the
 * randomizer and `message`. Throws a [`BlindRsaError`] saying what failed.
 */
export function verifyToken(registrarKeyB64: string, message: Uint8Array, token: VotingToken): void {
  const key = registrarKey(registrarKeyB64);
  const randomizer = canonicalB64(token?.randomizer, "the token's randomizer");
  if (randomizer.length !== 32) throw new BlindRsaError("the token's randomizer is not 32 bytes");
  const sig = canonicalB64(token?.signature, "the token's signature");
  const bad = () => new BlindRsaError("the registrar did not sign this voting key for this poll");
  if (sig.length !== key.size) throw bad();
  const s = toInt(sig);
  if (s >= key.n) throw bad();
  const emBits = key.bits - 1;
  const emLen = Math.ceil(emBits / 8);
  let em: Uint8Array;
  try {
    em = toBytes(modPow(s, key.e, key.n), emLen);
  } catch {
    throw bad();
  }
  const mHash = sha384(concat(randomizer, message));
  if (emLen < H_LEN + S_LEN + 2 || em[emLen - 1] !== 0xbc) throw bad();
  const masked = em.subarray(0, emLen - H_LEN - 1);
  const h = em.subarray(emLen - H_LEN - 1, emLen - 1);
  const top = 0xff >>> (8 * emLen - emBits);
  if ((masked[0]! & ~top) !== 0) throw bad();
  const mask = mgf1(h, masked.length);
  const db = masked.map((b, i) => b ^ mask[i]!);
  db[0]! &= top;
  const padEnd = emLen - H_LEN - S_LEN - 2;
  if (db.subarray(0, padEnd).some((b) => b !== 0) || db[padEnd] !== 0x01) throw bad();
  const salt = db.subarray(db.length - S_LEN);
  const expected = sha384(concat(new Uint8Array(8), mHash, salt));
  if (expected.some((b, i) => b !== h[i])) throw bad();
}
