// A credential's status as its issuer publishes it (IETF Token Status List, as the agencies'
// issuers serve it) and as the chain vouches for it: the issuer anchors the SHA-256 of each
// published list token on chain (`identity/status/<did>/<sha256(uri)>`), so the wallet fetches
// the token from the issuer, checks it is exactly the anchored one (read with its proof), and
// reads the credential's entry. The token's signature adds nothing the anchor does not.

import { sha256 } from "@noble/hashes/sha2";

import { toHex, utf8 } from "./bytes.js";
import { answerText, fetcherOf, readCapped, type FetchOptions } from "./http.js";
import { CredentialError, parseJws, parseSdJwt, unb64url } from "./sdjwt.js";
import type { VerifiedReader } from "./trust.js";

export const STATUS_LIST_TYP = "statuslist+jwt";
/** The largest list accepted once inflated (as the Rust verifier). */
const MAX_LIST_BYTES = 4 * 1024 * 1024;

export type CredentialStatus = "valid" | "revoked" | "suspended" | `other:${number}`;

/** What the status check found, and what the chain said of the list. */
export interface StatusCheck {
  status: CredentialStatus;
  /** The anchored list version, the block the anchor was proven at. */
  version: number;
  height: number;
}

/** The state key of an issuer's status list anchor (identity module). */
export function statusAnchorKey(did: string, uri: string): string {
  return `identity/status/${did}/${toHex(sha256(utf8(uri)))}`;
}

function inflate(compressed: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([new Uint8Array(compressed)]).stream().pipeThrough(new DecompressionStream("deflate"));
  return readCapped(stream, MAX_LIST_BYTES, () => new CredentialError(`the status list inflates to more than ${MAX_LIST_BYTES} bytes`));
}

/** The entry at `idx` of a status list token whose subject must be `uri`. */
export async function readStatusToken(token: string, uri: string, idx: number): Promise<CredentialStatus> {
  const jws = parseJws(token, "the status list");
  if (jws.header.typ !== STATUS_LIST_TYP) throw new CredentialError(`the status list's typ is '${jws.header.typ}', not ${STATUS_LIST_TYP}`);
  if (jws.payload.sub !== uri) throw new CredentialError(`the status list's subject is not ${uri}`);
  const bits = jws.payload.status_list?.bits;
  if (bits !== 1 && bits !== 2) throw new CredentialError(`a status list entry has ${bits} bits, not 1 or 2`);
  const lst = jws.payload.status_list?.lst;
  if (typeof lst !== "string") throw new CredentialError("the status list has no lst");
  let bytes: Uint8Array;
  try {
    bytes = await inflate(unb64url(lst, "the status list"));
  } catch (e) {
    throw e instanceof CredentialError ? e : new CredentialError(`the status list does not inflate: ${(e as Error).message}`);
  }
  const bit = idx * bits;
  if (!Number.isSafeInteger(idx) || idx < 0 || bit / 8 >= bytes.length) throw new CredentialError(`index ${idx} is beyond the status list`);
  const value = (bytes[Math.floor(bit / 8)]! >> bit % 8) & ((1 << bits) - 1);
  return value === 0 ? "valid" : value === 1 ? "revoked" : value === 2 ? "suspended" : `other:${value}`;
}

/** Checks a held credential's status against its issuer's list and the anchor on chain. */
export async function checkStatus(credential: string, reader: VerifiedReader, options: FetchOptions = {}): Promise<StatusCheck> {
  const jws = parseJws(parseSdJwt(credential).jwt, "the credential");
  const iss = jws.payload.iss;
  const entry = jws.payload.status?.status_list;
  if (typeof iss !== "string" || typeof entry?.uri !== "string" || !Number.isSafeInteger(entry?.idx)) {
    throw new CredentialError("the credential names no issuer or status list entry");
  }
  const anchor = await reader.json<any>(statusAnchorKey(iss, entry.uri));
  if (anchor.value === null) throw new CredentialError(`${iss} has anchored no status list at ${entry.uri}`);
  const res = await fetcherOf(options)(entry.uri);
  const token = (await answerText(res, "the status list")).trim();
  if (!res.ok) throw new CredentialError(`the issuer's status list answered HTTP ${res.status}`);
  if (toHex(sha256(utf8(token))) !== anchor.value.hash) {
    throw new CredentialError("the issuer serves a status list that is not the one anchored on chain (changed since, or tampered); try again shortly");
  }
  return { status: await readStatusToken(token, entry.uri, entry.idx), version: anchor.value.version, height: anchor.height };
}
