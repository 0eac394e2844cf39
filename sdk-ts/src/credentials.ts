// A credential checked against the chain, the way the Rust wallet checks one before keeping
// it: signed by a key the chain registers for its issuer and valid when it was issued, by an
// issuer accredited for the type then and in good standing now, of a registered type, bound to
// a holder key, not expired. Every registry record is read with its proof. And receiving one
// over OpenID4VCI (pre-authorized code), each copy bound to a fresh holder key.

import { sameJson } from "./dcql.js";
import { Identity } from "./modules.js";
import { PublicKey, type Signer } from "./keys.js";
import { CredentialError, disclose, jwkOf, keyOfJwk, parseJws, parseSdJwt, verifyJws, b64url } from "./sdjwt.js";
import { utf8 } from "./bytes.js";
import { answerJson, fetcherOf } from "./http.js";
import type { VerifiedReader } from "./trust.js";

/** A credential that checked out, with what the chain said of it. */
export interface Issued {
  issuer: string;
  kid: string;
  vct: string;
  holder: PublicKey;
  issuedAt: number;
  expiresAt: number;
  /** The claims the credential's disclosures reveal (all of them, as issued). */
  claims: Record<string, unknown>;
  /** The height the registry records were proven at. */
  height: number;
}

const ACCEPTED_TYPS = ["dc+sd-jwt", "vc+sd-jwt"];
const DID = /^did:[a-z0-9]+:[A-Za-z0-9._:%-]+$/;
const seconds = (v: unknown, what: string): number => {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new CredentialError(`${what} is not a time in seconds`);
  return v;
};
const floor = (ms: number) => Math.floor(ms / 1000);
const ceil = (ms: number) => Math.ceil(ms / 1000);

/** Checks an issued SD-JWT VC (`nowSec`: the local clock) against the chain through `reader`. */
export async function checkIssued(credential: string, reader: VerifiedReader, nowSec: number): Promise<Issued> {
  const sd = parseSdJwt(credential);
  const jws = parseJws(sd.jwt, "the credential");
  if (!ACCEPTED_TYPS.includes(jws.header.typ)) throw new CredentialError(`typ '${jws.header.typ}' is not an SD-JWT VC`);
  const p = jws.payload;
  const iss = p.iss;
  const vct = p.vct;
  if (typeof iss !== "string" || typeof vct !== "string") throw new CredentialError("the credential names no iss or vct");
  if (!DID.test(iss) || vct.length === 0 || vct.length > 256 || vct.includes("/")) throw new CredentialError("the credential's iss is not a DID or its vct is not a type name");
  const iat = seconds(p.iat, "iat");
  const exp = seconds(p.exp, "exp");
  const kidHeader = jws.header.kid;
  if (typeof kidHeader !== "string") throw new CredentialError("the credential's header has no kid");
  const hash = kidHeader.indexOf("#");
  const [kidDid, kidName] = hash < 0 ? [iss, kidHeader] : [kidHeader.slice(0, hash), kidHeader.slice(hash + 1)];
  if (kidDid !== iss) throw new CredentialError(`kid ${kidHeader} is not a key of ${iss}`);

  const org = await reader.json<any>(Identity.orgKey(iss));
  const key = (org.value?.keys ?? []).find((k: any) => k?.kid === kidName);
  if (!key) throw new CredentialError(`${iss} has no key '${kidName}' registered on chain`);
  verifyJws(jws, PublicKey.parse(key.public_key), "the credential");
  const from = floor(key.valid_from_ms);
  const until = key.valid_until_ms == null ? null : ceil(key.valid_until_ms);
  if (iat < from || (until !== null && iat >= until)) throw new CredentialError(`key ${kidName} of ${iss} was not valid when the credential was issued`);

  const acc = await reader.json<any>(Identity.accreditationKey(iss, vct));
  const periods: any[] = acc.value?.periods ?? [];
  const active = periods.some((q) => iat >= floor(q.from_ms) && (q.until_ms == null || iat < ceil(q.until_ms)));
  if (!active) throw new CredentialError(`${iss} was not accredited on chain to issue ${vct} when it issued this`);
  if (acc.value.standing?.state !== "active") throw new CredentialError(`${iss}'s accreditation for ${vct} is ${acc.value.standing?.state}`);
  const type = await reader.json<any>(Identity.typeKey(vct));
  if (type.value === null) throw new CredentialError(`credential type ${vct} is not registered on chain`);
  if (nowSec >= exp) throw new CredentialError(`the credential expired at ${exp}`);

  const claims = disclose(p, sd.disclosures);
  const holder = keyOfJwk(p.cnf?.jwk);
  const entry = p.status?.status_list;
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw new CredentialError("the credential has no status list entry");
  return { issuer: iss, kid: kidName!, vct, holder, issuedAt: iat, expiresAt: exp, claims, height: Math.min(org.height, acc.height, type.height) };
}

const PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

/** The offer in `openid-credential-offer://?credential_offer=…` (or its bare JSON). */
export function parseOffer(text: string): { issuer: string; configuration: string; code: string; needsPin: boolean } {
  let offerJson = text.trim();
  if (!offerJson.startsWith("{")) {
    let url: URL;
    try {
      url = new URL(offerJson);
    } catch {
      throw new CredentialError("the offer is neither a link nor JSON");
    }
    if (url.protocol !== "openid-credential-offer:") throw new CredentialError(`scheme '${url.protocol}' is not openid-credential-offer`);
    const inner = url.searchParams.get("credential_offer");
    if (!inner) throw new CredentialError("the link has no credential_offer (credential_offer_uri is not supported)");
    offerJson = inner;
  }
  let o: any;
  try {
    o = JSON.parse(offerJson);
  } catch {
    throw new CredentialError("the offer is not JSON");
  }
  const issuer = o?.credential_issuer;
  const ids = o?.credential_configuration_ids;
  const grant = o?.grants?.[PRE_AUTHORIZED];
  if (typeof issuer !== "string" || !/^https?:\/\//.test(issuer) || !Array.isArray(ids) || ids.length !== 1 || typeof ids[0] !== "string" || typeof grant?.["pre-authorized_code"] !== "string") {
    throw new CredentialError("an offer needs credential_issuer, one credential_configuration_id and a pre-authorized_code grant");
  }
  return { issuer: issuer.replace(/\/+$/, ""), configuration: ids[0], code: grant["pre-authorized_code"], needsPin: grant.tx_code !== undefined };
}

/** A received credential: the copies, each with the signer its holder key is. */
export interface Received {
  vct: string;
  issuer: string;
  copies: { sdJwt: string; signer: Signer; issued: Issued }[];
}

/**
 * Receives a credential over OpenID4VCI 1.0 (pre-authorized code, with the PIN the agency sent
 * when the offer asks for one), `copies` copies each bound to a fresh key from `newKey`, and
 * keeps nothing that does not check against the chain ([`checkIssued`]) or is of another type
 * than offered or another holder than asked.
 */
export async function receiveCredential(
  offerText: string,
  options: {
    pin?: string;
    copies?: number;
    newKey: () => Promise<Signer>;
    reader: VerifiedReader;
    fetcher?: typeof fetch;
    nowSec?: number;
    /** Stops the exchange (e.g. the user left the page); each request also times out. */
    signal?: AbortSignal;
  },
): Promise<Received> {
  const offer = parseOffer(offerText);
  if (offer.needsPin && !options.pin) throw new CredentialError("this offer needs the PIN the agency sent you");
  const asked = options.copies ?? 1;
  if (!Number.isSafeInteger(asked) || asked < 1) throw new CredentialError("ask for at least one copy");
  const f = fetcherOf(options);
  const now = options.nowSec ?? Math.floor(Date.now() / 1000);
  const meta = await answerJson(await f(`${offer.issuer}/.well-known/openid-credential-issuer`), "issuer metadata");
  const vct = meta?.credential_configurations_supported?.[offer.configuration]?.vct;
  if (typeof vct !== "string") throw new CredentialError(`the issuer does not offer '${offer.configuration}'`);
  const batch = Number(meta?.batch_credential_issuance?.batch_size ?? 1);
  const copies = Math.max(1, Math.min(asked, Number.isSafeInteger(batch) && batch > 0 ? batch : 1));
  const as = await answerJson(await f(`${offer.issuer}/.well-known/oauth-authorization-server`), "authorization server metadata");
  if (typeof as.token_endpoint !== "string" || typeof meta.nonce_endpoint !== "string" || typeof meta.credential_endpoint !== "string") {
    throw new CredentialError("the issuer's metadata lacks its token, nonce or credential endpoint");
  }
  const form = new URLSearchParams({ grant_type: PRE_AUTHORIZED, "pre-authorized_code": offer.code });
  if (options.pin) form.set("tx_code", options.pin);
  const token = await answerJson(await f(as.token_endpoint, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() }), "token");
  if (typeof token.access_token !== "string") throw new CredentialError("token: no access_token");

  const signers: Signer[] = [];
  const proofs: string[] = [];
  for (let i = 0; i < copies; i++) {
    const signer = await options.newKey();
    const nonce = await answerJson(await f(meta.nonce_endpoint, { method: "POST" }), "nonce");
    const header = b64url(utf8(JSON.stringify({ alg: signer.publicKey.algorithm === "p256" ? "ES256" : "EdDSA", typ: "openid4vci-proof+jwt", jwk: jwkOf(signer.publicKey) })));
    const payload = b64url(utf8(JSON.stringify({ aud: offer.issuer, iat: now, nonce: nonce.c_nonce })));
    const signature = await signer.sign(utf8(`${header}.${payload}`));
    proofs.push(`${header}.${payload}.${b64url(signature)}`);
    signers.push(signer);
  }
  const body = JSON.stringify({ credential_configuration_id: offer.configuration, proofs: { jwt: proofs } });
  const issued = await answerJson(
    await f(meta.credential_endpoint, { method: "POST", headers: { authorization: `Bearer ${token.access_token}`, "content-type": "application/json" }, body }),
    "credential",
  );
  const creds = issued?.credentials;
  if (!Array.isArray(creds) || creds.length !== signers.length) throw new CredentialError(`asked for ${signers.length} copies, got ${Array.isArray(creds) ? creds.length : "none"}`);
  const out: Received["copies"] = [];
  let issuer: string | null = null;
  for (let i = 0; i < creds.length; i++) {
    const sdJwt = creds[i]?.credential;
    if (typeof sdJwt !== "string") throw new CredentialError("a credential is not a string");
    const checked = await checkIssued(sdJwt, options.reader, now);
    if (checked.holder.toString() !== signers[i]!.publicKey.toString()) throw new CredentialError("a copy is bound to another holder key than the one asked for");
    if (checked.vct !== vct) throw new CredentialError(`offered ${vct}, received ${checked.vct}`);
    if (issuer !== null && checked.issuer !== issuer) throw new CredentialError(`copies issued by ${issuer} and ${checked.issuer}`);
    if (out.length > 0 && !sameJson(sameClaims(out[0]!.issued.claims), sameClaims(checked.claims))) {
      throw new CredentialError("the copies say different things; none was kept");
    }
    issuer = checked.issuer;
    out.push({ sdJwt, signer: signers[i]!, issued: checked });
  }
  if (issuer === null || out.length === 0) throw new CredentialError("the issuer sent no copies");
  return { vct, issuer, copies: out };
}

/** What a copy says, without what differs between copies by design (binding, status, times). */
/** The claims every copy must share (not the per-copy key, status entry or times). Compared
 * with sameJson: a nested object's members come back in each copy's own disclosure order. */
function sameClaims(claims: Record<string, unknown>): Record<string, unknown> {
  const differs = new Set(["cnf", "status", "iat", "exp", "nbf"]);
  return Object.fromEntries(Object.entries(claims).filter(([k]) => !differs.has(k)));
}
