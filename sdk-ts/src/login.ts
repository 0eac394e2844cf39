// Logging in to a city facility from the wallet (DOMAIN.md §5, AUTH-03/04/06), as the Rust
// wallet does: on top of every check of a signed request (checkSignedRequest), the facility's
// registration is read from the chain with its proof, and the request is refused when the
// facility is not registered, is suspended, is served by another login service, or is asked
// for under any policy but its own (or its guardian policy). Documents to sign (OpenID4VP
// transaction data) are decoded and checked so the page can show them before the citizen
// agrees; the presentation then signs their hashes.

import { answerText, fetcherOf, type FetchOptions } from "./http.js";
import { checkResponseUri, type VerifiedRequest } from "./presentation.js";
import { CredentialError, unb64url } from "./sdjwt.js";
import type { VerifiedReader } from "./trust.js";

/** The only kind of transaction data this wallet signs. */
export const DOCUMENT_SIGNATURE = "urn:dojang:document-signature:1";

/** A facility as the council registered it (the login module's record). */
export interface FacilityRecord {
  id: string;
  name: string;
  provider: string;
  redirect_uris: string[];
  policy: string;
  guardian_policy?: string;
  actions: { id: string; kind: string; level: string }[];
  residency_max_age_days: number;
  suspended?: { at_ms: number; reason: string };
}

/** A document the citizen is asked to sign. */
export interface DocumentToSign {
  title: string;
  documentHash: string;
  credentialIds: string[];
}

/** A login request that passed every check. */
export interface LoginRequest {
  facility: FacilityRecord;
  /** The block height the facility's registration was proven at. */
  height: number;
  /** Whether the request is a guardian's, under the facility's guardian policy. */
  onBehalf: boolean;
  documents: DocumentToSign[];
  /** The transaction data strings as the request carries them (what the presentation signs). */
  transactionData: string[];
}

const SHA256_B64 = /^[A-Za-z0-9_-]{43}$/;

function decodeDocument(encoded: unknown, queryIds: string[]): DocumentToSign {
  if (typeof encoded !== "string") throw new CredentialError("the request's transaction data is not a list of strings");
  let d: any;
  try {
    d = JSON.parse(new TextDecoder().decode(unb64url(encoded, "transaction data")));
  } catch {
    throw new CredentialError("the request's transaction data is not base64url JSON");
  }
  if (d?.type !== DOCUMENT_SIGNATURE) throw new CredentialError(`the request asks the wallet to sign something it cannot show (type '${d?.type}')`);
  if (!Array.isArray(d.credential_ids) || d.credential_ids.length === 0 || !d.credential_ids.every((i: unknown) => typeof i === "string" && queryIds.includes(i))) {
    throw new CredentialError("a document to sign names credentials the request does not ask for");
  }
  if (typeof d.document_hash !== "string" || !SHA256_B64.test(d.document_hash)) throw new CredentialError("a document's hash is not a SHA-256 in base64url");
  if (typeof d.title !== "string" || d.title.trim() === "" || [...d.title].length > 200 || /\p{Cc}/u.test(d.title)) {
    throw new CredentialError("a document's title is empty, too long or holds control characters");
  }
  return { title: d.title, documentHash: d.document_hash, credentialIds: d.credential_ids };
}

/** Checks `req` (already through checkSignedRequest) as a login: see the module comment. */
export async function checkLoginRequest(req: VerifiedRequest, reader: VerifiedReader): Promise<LoginRequest> {
  const named = req.claims.relying_party;
  if (typeof named !== "string" || !/^[a-z0-9._-]{1,64}$/.test(named)) throw new CredentialError("the request names no facility (relying_party)");
  const rec = await reader.json<FacilityRecord>(`login/rp/${named}`);
  const f = rec.value;
  if (f === null) throw new CredentialError(`AUTH-04: '${named}' is not a facility registered for citizen login`);
  if (f.suspended) throw new CredentialError(`the council has suspended '${f.name}': ${f.suspended.reason}`);
  if (f.provider !== req.clientId) throw new CredentialError(`AUTH-04: '${f.name}' logs in through ${f.provider}, but the request comes from ${req.clientId}`);
  const onBehalf = f.guardian_policy !== undefined && req.policy.id === f.guardian_policy;
  if (req.policy.id !== f.policy && !onBehalf) {
    throw new CredentialError(`AUTH-04: '${f.name}' is registered with policy '${f.policy}', but the request cites '${req.policy.id}'`);
  }
  const raw = req.claims.transaction_data;
  if (raw !== undefined && (!Array.isArray(raw) || raw.length > 8)) throw new CredentialError("the request's transaction data is not a list of at most 8 documents");
  const transactionData = (raw ?? []) as string[];
  const ids = req.query.credentials.map((q) => q.id);
  const documents = transactionData.map((t) => decodeDocument(t, ids));
  return { facility: f, height: rec.height, onBehalf, documents, transactionData };
}

/** Whether `uri` is one of the facility's registered redirect URIs with a query added: the
 * only place the wallet sends the browser after a login. */
export function goesBackTo(uri: unknown, facility: FacilityRecord): uri is string {
  return typeof uri === "string" && facility.redirect_uris.some((r) => uri.startsWith(r) && uri.charAt(r.length) === (r.includes("?") ? "&" : "?"));
}

/** Posts the login's answer; answers where the browser goes next (the facility's registered
 * callback, with a code). */
export async function submitLogin(req: VerifiedRequest, login: LoginRequest, vpToken: Record<string, string[]>, options: FetchOptions = {}): Promise<string> {
  checkResponseUri(req.responseUri);
  const body = new URLSearchParams({ vp_token: JSON.stringify(vpToken), state: req.state });
  const res = await fetcherOf(options)(req.responseUri, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: body.toString(),
  });
  const text = await answerText(res, "the login service's answer");
  let answer: any;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new CredentialError(`the login service's answer is not JSON (HTTP ${res.status})`);
  }
  const back = goesBackTo(answer?.redirect_uri, login.facility) ? answer.redirect_uri : null;
  if (!res.ok || answer?.error !== undefined) {
    const why = typeof answer?.error_description === "string" ? answer.error_description : `HTTP ${res.status}`;
    throw new LoginRefused(why, back);
  }
  if (back === null) throw new CredentialError("the login service named no way back to the facility's registered callback");
  return back;
}

/** The login service refused the answer: why, and where the browser goes with the refusal. */
export class LoginRefused extends CredentialError {
  constructor(message: string, readonly back: string | null) {
    super(message);
  }
}

