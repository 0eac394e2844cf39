// SD-JWT VCs as the agencies' issuers make them (RFC 9901, SD-JWT VC): the issuer-signed JWT
// (ES256 or EdDSA), its disclosures checked against the digests they claim to be, nested and
// in arrays, a digest appearing twice anywhere refused even if not disclosed (RFC 9901 §7.1).
// What this module checks needs no chain; `credentials.ts` checks the issuer against it.

import { sha256 } from "@noble/hashes/sha2";

import { concat, utf8 } from "./bytes.js";
import { PublicKey, verifySignature } from "./keys.js";

export class CredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CredentialError";
  }
}

/** RFC 4648 base64url without padding. */
export function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Strict base64url: the canonical encoding only (no padding, no stray trailing bits), as Rust decodes it. */
export function unb64url(text: string, what: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new CredentialError(`${what} is not base64url`);
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  let raw: string;
  try {
    raw = atob(padded);
  } catch {
    throw new CredentialError(`${what} is not base64url`);
  }
  const bytes = Uint8Array.from(raw, (c) => c.charCodeAt(0));
  if (b64url(bytes) !== text) throw new CredentialError(`${what} is not canonical base64url`);
  return bytes;
}

function json(bytes: Uint8Array, what: string): any {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new CredentialError(`${what} is not JSON`);
  }
}

/** A JSON Web Key for an EC P-256 or Ed25519 public key. */
export interface Jwk {
  kty: string;
  crv: string;
  x: string;
  y?: string;
}

export function jwkOf(key: PublicKey): Jwk {
  if (key.algorithm === "ed25519") return { kty: "OKP", crv: "Ed25519", x: b64url(key.bytes) };
  return { kty: "EC", crv: "P-256", x: b64url(key.bytes.slice(1, 33)), y: b64url(key.bytes.slice(33, 65)) };
}

export function keyOfJwk(jwk: any): PublicKey {
  if (jwk?.kty === "EC" && jwk.crv === "P-256" && typeof jwk.x === "string" && typeof jwk.y === "string") {
    const x = unb64url(jwk.x, "jwk.x");
    const y = unb64url(jwk.y, "jwk.y");
    if (x.length !== 32 || y.length !== 32) throw new CredentialError("a P-256 JWK has 32-byte x and y");
    return new PublicKey("p256", concat(Uint8Array.of(4), x, y));
  }
  if (jwk?.kty === "OKP" && jwk.crv === "Ed25519" && typeof jwk.x === "string" && jwk.y === undefined) {
    const x = unb64url(jwk.x, "jwk.x");
    if (x.length !== 32) throw new CredentialError("an Ed25519 JWK has a 32-byte x");
    return new PublicKey("ed25519", x);
  }
  throw new CredentialError("the JWK is neither EC P-256 nor OKP Ed25519");
}

/** A compact JWS, parsed, not yet verified. */
export interface Jws {
  header: Record<string, any>;
  payload: Record<string, any>;
  signingInput: Uint8Array;
  signature: Uint8Array;
}

export function parseJws(compact: string, what = "JWT"): Jws {
  const parts = compact.split(".");
  if (parts.length !== 3) throw new CredentialError(`${what} is not a compact JWS (three parts)`);
  const [h, p, s] = parts as [string, string, string];
  const header = json(unb64url(h, `${what} header`), `${what} header`);
  const payload = json(unb64url(p, `${what} payload`), `${what} payload`);
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw new CredentialError(`${what} header is not an object`);
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) throw new CredentialError(`${what} payload is not an object`);
  return { header, payload, signingInput: utf8(`${h}.${p}`), signature: unb64url(s, `${what} signature`) };
}

/** Verifies with `key`; the header's `alg` must be that key's (ES256 or EdDSA). */
export function verifyJws(jws: Jws, key: PublicKey, what = "JWT"): void {
  const alg = key.algorithm === "p256" ? "ES256" : "EdDSA";
  if (jws.header.alg !== alg) throw new CredentialError(`${what} is signed with '${jws.header.alg}', the key needs ${alg}`);
  if (jws.signature.length !== 64 || !verifySignature(key, jws.signingInput, jws.signature)) {
    throw new CredentialError(`${what}'s signature is not by the expected key`);
  }
}

/** How deeply a credential may nest objects and arrays (serde_json's limit). */
const MAX_DEPTH = 128;

/** `sha-256` digest of a disclosure as the payload names it. */
export const digestOf = (encoded: string) => b64url(sha256(utf8(encoded)));

interface Disclosure {
  encoded: string;
  name: string | null;
  value: unknown;
}

function parseDisclosure(encoded: string, index: number): Disclosure {
  const v = json(unb64url(encoded, `disclosure ${index}`), `disclosure ${index}`);
  if (Array.isArray(v) && v.length === 3 && typeof v[0] === "string" && typeof v[1] === "string") return { encoded, name: v[1], value: v[2] };
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === "string") return { encoded, name: null, value: v[1] };
  throw new CredentialError(`disclosure ${index} is not [salt, name, value] or [salt, value]`);
}

/** A claim a disclosure revealed (object keys and array positions), and that disclosure's position. */
export interface RevealedPath {
  path: (string | number)[];
  index: number;
}

/** An SD-JWT: the issuer-signed JWT, the disclosures, the key-binding JWT if any. */
export interface SdJwt {
  jwt: string;
  disclosures: string[];
  kbJwt: string | null;
}

export function parseSdJwt(text: string): SdJwt {
  const parts = text.split("~");
  if (parts.length < 2 || !parts[0]) throw new CredentialError("not an SD-JWT (no '~', or no issuer-signed JWT)");
  const middle = parts.slice(1, -1);
  const empty = middle.findIndex((d) => d === "");
  if (empty >= 0) throw new CredentialError(`disclosure ${empty} is empty`);
  const last = parts[parts.length - 1]!;
  return { jwt: parts[0], disclosures: middle, kbJwt: last === "" ? null : last };
}

/**
 * The claims the disclosures reveal, merged into the payload (digests checked; `_sd` and
 * `_sd_alg` removed). Refuses a digest used twice, a disclosure nothing references, and a
 * disclosed name that clashes with a claim. `revealed`, if given, receives each path a
 * disclosure revealed (what a holder needs to present only what is asked).
 */
export function disclose(payload: Record<string, any>, disclosures: string[], revealed?: RevealedPath[]): Record<string, unknown> {
  if (payload._sd_alg !== undefined && payload._sd_alg !== "sha-256") throw new CredentialError(`digest algorithm ${payload._sd_alg} is not sha-256`);
  const byDigest = new Map<string, Disclosure & { index: number }>();
  disclosures.forEach((encoded, i) => {
    const d = parseDisclosure(encoded, i);
    if (byDigest.has(digestOf(encoded))) throw new CredentialError(`disclosure ${i} is given twice`);
    byDigest.set(digestOf(encoded), { ...d, index: i });
  });
  const path: (string | number)[] = [];
  const seen = new Set<string>();
  const used = new Set<string>();
  const take = (dg: unknown): (Disclosure & { index: number }) | undefined => {
    if (typeof dg !== "string") throw new CredentialError("a digest is not a string");
    // A digest may appear once in the whole payload, disclosed or not.
    if (seen.has(dg)) throw new CredentialError(`digest ${dg.slice(0, 12)}… appears twice`);
    seen.add(dg);
    const d = byDigest.get(dg);
    if (d) used.add(dg);
    return d;
  };
  let depth = 0;
  const value = (v: unknown): unknown => {
    if (!v || typeof v !== "object") return v;
    // As deep as serde_json reads (128): deeper nesting is refused, not a stack overflow.
    if (++depth > MAX_DEPTH) throw new CredentialError(`the credential nests deeper than ${MAX_DEPTH} levels`);
    const out = Array.isArray(v) ? array(v) : object(v as Record<string, unknown>);
    depth--;
    return out;
  };
  const array = (items: unknown[]): unknown[] => {
    const out: unknown[] = [];
    for (const item of items) {
      path.push(out.length);
      const isPlaceholder = item && typeof item === "object" && !Array.isArray(item) && Object.keys(item).length === 1 && "..." in item;
      if (!isPlaceholder) {
        out.push(value(item));
      } else {
        const d = take((item as Record<string, unknown>)["..."]);
        if (d) {
          if (d.name !== null) throw new CredentialError("a property disclosure is referenced as an array element");
          revealed?.push({ path: [...path], index: d.index });
          out.push(value(d.value));
        }
      }
      path.pop();
    }
    return out;
  };
  const object = (m: Record<string, unknown>): Record<string, unknown> => {
    // Own properties only, defined (not assigned): a claim named __proto__ stays a claim.
    const out: Record<string, unknown> = Object.create(null);
    const put = (k: string, v: unknown) => Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    for (const [k, v] of Object.entries(m)) {
      if (k === "_sd") continue;
      path.push(k);
      put(k, value(v));
      path.pop();
    }
    const digests = m._sd;
    if (digests === undefined) return out;
    if (!Array.isArray(digests)) throw new CredentialError("'_sd' is not an array");
    for (const dg of digests) {
      const d = take(dg);
      if (!d) continue;
      if (d.name === null) throw new CredentialError("an array-element disclosure is referenced from '_sd'");
      if (d.name === "_sd" || d.name === "..." || Object.hasOwn(out, d.name)) throw new CredentialError(`disclosed claim '${d.name}' clashes`);
      path.push(d.name);
      revealed?.push({ path: [...path], index: d.index });
      put(d.name, value(d.value));
      path.pop();
    }
    return out;
  };
  const claims = value(payload) as Record<string, unknown>;
  delete claims._sd_alg;
  const unused = [...byDigest.keys()].findIndex((dg) => !used.has(dg));
  if (unused >= 0) throw new CredentialError(`disclosure ${unused} is referenced by nothing in the credential`);
  return claims;
}
