// Answering a program office's presentation request (OpenID4VP 1.0, signed request object per
// RFC 9101, `direct_post`), as the Rust wallet does: the request must be signed by a key the
// chain registers for the office it names as `client_id`, valid now; cite a policy that office
// registered and has not withdrawn, asking no more than it allows; carry a nonce and state; not
// be expired or made to live implausibly long; and send the answer only over https (or plain
// http to this machine). Every registry record is read with its proof.

import { utf8 } from "./bytes.js";
import { answerText, fetcherOf, type FetchOptions } from "./http.js";
import { checkWithin, parseDcql, pathText, sameJson, type CredentialQuery, type DcqlQuery, type PathElement } from "./dcql.js";
import { PublicKey, type Signer } from "./keys.js";
import { Identity } from "./modules.js";
import { CredentialError, b64url, digestOf, disclose, parseJws, parseSdJwt, verifyJws, type RevealedPath } from "./sdjwt.js";
import type { VerifiedReader } from "./trust.js";

export const REQUEST_TYP = "oauth-authz-req+jwt";
export const KB_JWT_TYP = "kb+jwt";
/** The longest a request may be valid for, in seconds: a request is answered in minutes. */
export const MAX_REQUEST_LIFETIME = 3600;
/** How far a request's `iat` may lie ahead of this clock, in seconds. */
export const MAX_CLOCK_SKEW = 300;
const MAX_TOKEN_LEN = 512;
const utf8Length = (s: string) => new TextEncoder().encode(s).length;

/** A registered policy as the chain holds it. */
export interface PolicyRecord {
  id: string;
  verifier: string;
  legal_basis: string;
  purpose: string;
  dcql: unknown;
  retention_days: number;
  withdrawn_ms?: number;
}

/** A request that passed every check. */
export interface VerifiedRequest {
  clientId: string;
  nonce: string;
  state: string;
  program: string | null;
  responseUri: string;
  expiresAt: number;
  policy: PolicyRecord;
  query: DcqlQuery;
  /** The block height the office's key and policy were proven at. */
  height: number;
  /** Every claim of the request, as signed: for claims of the office's own (a voting
   * registrar names the blinded message it will sign). */
  claims: Record<string, unknown>;
}

/** As the Rust wallet: not blank, at most 512 bytes of UTF-8. */
const tokenOk = (s: unknown): s is string => typeof s === "string" && s.trim() !== "" && utf8Length(s) <= MAX_TOKEN_LEN;

/**
 * Where an answer may go: `https://` anywhere, plain `http://` only to this machine
 * (127.0.0.1, [::1], localhost), so a presentation never crosses a network unencrypted.
 */
export function checkResponseUri(uri: string, what = "the request's response_uri"): void {
  const bad = (why: string) => new CredentialError(`${what} '${uri}' is refused: ${why}`);
  if (utf8Length(uri) > 2048 || /[\s\u0000-\u001f\u007f-\u009f]/.test(uri)) throw bad("it is too long or holds spaces or control characters");
  const m = /^(https?):\/\/([^/?#]*)/i.exec(uri);
  if (!m) throw bad("it is not an https URL");
  const secure = m[1]!.toLowerCase() === "https";
  const authority = m[2]!.toLowerCase();
  if (authority.includes("@")) throw bad("it carries user information before the host");
  let host: string;
  let port: string;
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    if (close < 0) throw bad("its IPv6 host is not closed by ']'");
    host = authority.slice(0, close + 1);
    port = authority.slice(close + 1);
  } else {
    const colon = authority.indexOf(":");
    host = colon < 0 ? authority : authority.slice(0, colon);
    port = colon < 0 ? "" : authority.slice(colon);
  }
  if (host === "" || host === "[]") throw bad("it names no host");
  if (port !== "" && !/^:[0-9]{1,5}$/.test(port)) throw bad("its port is not a number from 0 to 65535");
  if (port !== "" && Number(port.slice(1)) > 65535) throw bad("its port is not a number from 0 to 65535");
  if (!secure && !["127.0.0.1", "[::1]", "localhost"].includes(host)) {
    throw new CredentialError(`${what} '${uri}' is plain http to another machine: it would travel unencrypted (use https)`);
  }
}

/** Checks a signed request against the chain through `reader` at `nowSec` (seconds). */
export async function checkSignedRequest(jwt: string, reader: VerifiedReader, nowSec: number): Promise<VerifiedRequest> {
  const jws = parseJws(jwt.trim(), "the request");
  if (jws.header.typ !== REQUEST_TYP) throw new CredentialError(`the request's typ is '${jws.header.typ}', not ${REQUEST_TYP}`);
  const kid = jws.header.kid;
  const hash = typeof kid === "string" ? kid.indexOf("#") : -1;
  if (typeof kid !== "string" || hash <= 0 || hash === kid.length - 1) throw new CredentialError("the request does not name its signing key as <did>#<key id>");
  const [did, keyName] = [kid.slice(0, hash), kid.slice(hash + 1)];
  const c = jws.payload;
  if (typeof c.client_id !== "string") throw new CredentialError("the request has no client_id");
  if (c.client_id !== did || (c.iss !== undefined && c.iss !== did)) throw new CredentialError(`the request is signed by ${did} but claims to come from ${c.client_id}`);

  const org = await reader.json<any>(Identity.orgKey(did));
  const key = (org.value?.keys ?? []).find((k: any) => k?.kid === keyName);
  if (!key) throw new CredentialError(`${did} has no key '${keyName}' registered on chain`);
  const from = Math.floor(key.valid_from_ms / 1000);
  const until = key.valid_until_ms == null ? null : Math.ceil(key.valid_until_ms / 1000);
  if (nowSec < from || (until !== null && nowSec >= until)) throw new CredentialError(`${did}'s key '${keyName}' is not valid now (rotated out or revoked)`);
  verifyJws(jws, PublicKey.parse(key.public_key), "the request");

  if (!Number.isSafeInteger(c.exp) || c.exp < 0) throw new CredentialError("the request has no expiry");
  if (c.exp <= nowSec) throw new CredentialError(`the request expired at ${c.exp}; ask the office for a new one`);
  if (c.exp > nowSec + MAX_REQUEST_LIFETIME) throw new CredentialError(`the request claims to be valid until ${c.exp}, more than ${MAX_REQUEST_LIFETIME} s from now`);
  if (c.iat !== undefined && (!Number.isSafeInteger(c.iat) || c.iat < 0)) throw new CredentialError("the request's iat is not a time in seconds");
  if (c.iat !== undefined && c.iat > nowSec + MAX_CLOCK_SKEW) throw new CredentialError(`the request was made in the future (${c.iat})`);
  if (c.response_type !== undefined && c.response_type !== "vp_token") throw new CredentialError(`the request's response_type is '${c.response_type}', not vp_token`);
  for (const name of ["nonce", "state", "policy"] as const) {
    if (!tokenOk(c[name])) throw new CredentialError(`the request has no usable ${name}`);
  }
  if (typeof c.response_uri !== "string") throw new CredentialError("the request has no usable response_uri");
  checkResponseUri(c.response_uri);
  if (c.program !== undefined && !tokenOk(c.program)) throw new CredentialError("the request's program is not a name");

  const rec = await reader.json<PolicyRecord>(Identity.policyKey(c.policy));
  const policy = rec.value;
  if (policy === null) throw new CredentialError(`policy '${c.policy}' is not registered on chain`);
  if (policy.withdrawn_ms != null) throw new CredentialError(`policy '${c.policy}' was withdrawn`);
  if (policy.verifier !== c.client_id) throw new CredentialError(`policy '${c.policy}' belongs to ${policy.verifier}, but the request comes from ${c.client_id}`);
  const query = parseDcql(c.dcql_query);
  try {
    checkWithin(query, parseDcql(policy.dcql));
  } catch (e) {
    throw new CredentialError(`the request asks more than policy '${c.policy}' allows: ${(e as Error).message}`);
  }
  return {
    clientId: c.client_id,
    nonce: c.nonce,
    state: c.state,
    program: c.program ?? null,
    responseUri: c.response_uri,
    expiresAt: c.exp,
    policy,
    query,
    height: Math.min(org.height, rec.height),
    claims: { ...c },
  };
}

/**
 * The signed request a link leads to: `openid4vp://?request_uri=…` (or `…&client_id=…`), an
 * https URL that returns the request, or the compact JWT itself.
 */
export async function fetchRequest(link: string, options: FetchOptions = {}): Promise<string> {
  const text = link.trim();
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(text)) return text;
  let url = text;
  if (/^[a-z0-9+.-]+:\/\/\?/i.test(text) && !/^https?:/i.test(text)) {
    const inner = new URLSearchParams(text.slice(text.indexOf("?") + 1)).get("request_uri");
    if (!inner) throw new CredentialError("the link carries no request_uri");
    url = inner;
  }
  if (!/^https?:\/\//i.test(url)) throw new CredentialError("paste a request link (openid4vp://…, https://…) or the request itself");
  checkResponseUri(url, "the request link");
  const res = await fetcherOf(options)(url);
  const body = await answerText(res, "the request");
  if (!res.ok) throw new CredentialError(`the office refused to give a request (HTTP ${res.status}): ${errorText(body)}`);
  return body.trim();
}

function errorText(body: string): string {
  try {
    const e = JSON.parse(body);
    if (typeof e?.error_description === "string") return e.error_description;
  } catch {
    // Not JSON: the text itself, shortened, is the best description there is.
  }
  return body.slice(0, 200);
}

/** The part of a credential a presentation will show, before it is bound to the request. */
export interface Selection {
  query: CredentialQuery;
  jwt: string;
  disclosures: string[];
  /** Exactly what the office will see: the claims the chosen disclosures reveal, plus every claim the issuer did not make selective. */
  shown: Record<string, unknown>;
  /** The requested claim paths. */
  asked: string[];
}

function lookup(claims: Record<string, unknown>, path: PathElement[]): unknown {
  let v: unknown = claims;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    if (typeof p === "string" && !Array.isArray(v) && Object.hasOwn(v, p)) v = (v as Record<string, unknown>)[p];
    else if (typeof p === "number" && Array.isArray(v) && p < v.length) v = v[p];
    else return undefined;
  }
  return v;
}

/** Picks the disclosures `query` asks for from a credential, and nothing else. */
export function selectDisclosures(credential: string, query: CredentialQuery): Selection {
  const sd = parseSdJwt(credential);
  const jws = parseJws(sd.jwt, "the credential");
  const vct = jws.payload.vct;
  if (!query.meta.vct_values.includes(vct)) throw new CredentialError(`the credential is of type '${vct}', the query asks for ${query.meta.vct_values.join(", ")}`);
  const revealed: RevealedPath[] = [];
  const all = disclose(jws.payload, sd.disclosures, revealed);
  const chosen = new Set<number>();
  for (const claim of query.claims) {
    const value = lookup(all, claim.path);
    if (value === undefined) throw new CredentialError(`the credential has no claim ${pathText(claim.path)} that the query asks for`);
    if (claim.values !== undefined && !claim.values.some((v) => sameJson(v, value))) {
      throw new CredentialError(`the credential's claim ${pathText(claim.path)} does not have a value the query accepts`);
    }
    for (const r of revealed) {
      const n = Math.min(r.path.length, claim.path.length);
      if (r.path.slice(0, n).every((p, i) => p === claim.path[i])) chosen.add(r.index);
    }
  }
  const disclosures = sd.disclosures.filter((_, i) => chosen.has(i));
  return { query, jwt: sd.jwt, disclosures, shown: disclose(jws.payload, disclosures), asked: query.claims.map((c) => pathText(c.path)) };
}

/** Binds a selection to the request: a key-binding JWT over the nonce, the audience and exactly what is presented. */
export async function bindPresentation(
  sel: Selection,
  holder: Signer,
  req: { nonce: string; clientId: string },
  nowSec: number,
  transactionData: string[] = [],
): Promise<string> {
  const presented = `${sel.jwt}~${sel.disclosures.map((d) => `${d}~`).join("")}`;
  const header = b64url(utf8(JSON.stringify({ typ: KB_JWT_TYP, alg: holder.publicKey.algorithm === "p256" ? "ES256" : "EdDSA" })));
  const kb: Record<string, unknown> = { iat: nowSec, aud: req.clientId, nonce: req.nonce, sd_hash: digestOf(presented) };
  // OpenID4VP 1.0 §8.4: what the holder signs besides the challenge (a document's hash).
  if (transactionData.length > 0) {
    kb.transaction_data_hashes = transactionData.map(digestOf);
    kb.transaction_data_hashes_alg = "sha-256";
  }
  const payload = b64url(utf8(JSON.stringify(kb)));
  const signature = await holder.sign(utf8(`${header}.${payload}`));
  return `${presented}${header}.${payload}.${b64url(signature)}`;
}

/** The office's answer to a presentation: its decision and the receipt. */
export interface OfficeAnswer {
  /** `eligible`, `not_eligible` or `manual_review`. */
  decision: string;
  /** The outcome in full (the failed conditions and their reasons, or why it went to review). */
  outcome: { outcome: string; failed?: { id: string; reason: string }[]; reason?: string };
  receipt: any;
}

/** Posts the answer (`vp_token`: query id → presentations; `state`) to the request's response URI. */
export async function submitPresentation(req: VerifiedRequest, vpToken: Record<string, string[]>, options: FetchOptions = {}): Promise<OfficeAnswer> {
  checkResponseUri(req.responseUri);
  const body = new URLSearchParams({ vp_token: JSON.stringify(vpToken), state: req.state });
  const res = await fetcherOf(options)(req.responseUri, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: body.toString(),
  });
  const text = await answerText(res, "the office's answer");
  if (!res.ok) throw new CredentialError(`the office did not accept the answer (HTTP ${res.status}): ${errorText(text)}`);
  let answer: any;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new CredentialError("the office's answer is not JSON");
  }
  const outcome = answer?.decision;
  if (typeof outcome?.outcome !== "string" || typeof answer?.receipt !== "object" || answer.receipt === null) {
    throw new CredentialError("the office's answer has no decision and receipt");
  }
  const r = answer.receipt.decision;
  // The receipt must be for this answer: the program and policy asked under, the outcome given.
  if (r?.policy !== req.policy.id || (req.program !== null && r?.program !== req.program) || !sameJson(r?.outcome, outcome)) {
    throw new CredentialError("the office's receipt is not for this decision (another program, policy or outcome)");
  }
  return { decision: outcome.outcome, outcome, receipt: answer.receipt };
}
