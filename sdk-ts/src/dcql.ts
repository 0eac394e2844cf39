// The part of DCQL (OpenID4VP 1.0 §6) that SD-JWT VCs use, as the Rust wallet reads it: which
// credential types, which claims. A wallet answers a request only if every query it makes fits
// the policy the office registered on chain (ELIG-04, AUTH-04). Fields this subset does not
// know are refused rather than ignored, so a request can never ask for more through a field
// the wallet does not understand.

import { CredentialError } from "./sdjwt.js";

/** The only credential format the platform issues and accepts. */
export const FORMAT = "dc+sd-jwt";

export type PathElement = string | number | null;

export interface ClaimQuery {
  id?: string;
  /** Object keys as strings, array positions as numbers, `null` for every element. */
  path: PathElement[];
  /** When present, the claim matches only if its value is one of these. */
  values?: unknown[];
}

export interface CredentialQuery {
  id: string;
  format: string;
  meta: { vct_values: string[] };
  claims: ClaimQuery[];
}

export interface DcqlQuery {
  credentials: CredentialQuery[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function only(v: Record<string, unknown>, allowed: string[], what: string): void {
  const extra = Object.keys(v).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw new CredentialError(`the query is not valid DCQL for SD-JWT VCs: unknown field '${extra}' in ${what}`);
}

const malformed = (why: string) => new CredentialError(`the query is not valid DCQL for SD-JWT VCs: ${why}`);

/** Parses a DCQL query strictly (unknown fields, empty lists and other formats refused). */
export function parseDcql(v: unknown): DcqlQuery {
  if (!isObject(v)) throw malformed("it is not an object");
  only(v, ["credentials"], "the query");
  if (!Array.isArray(v.credentials) || v.credentials.length === 0) throw malformed("no credential queries");
  const credentials = v.credentials.map((c, i): CredentialQuery => {
    if (!isObject(c)) throw malformed(`credential query ${i} is not an object`);
    only(c, ["id", "format", "meta", "claims"], `credential query ${i}`);
    if (typeof c.id !== "string") throw malformed(`credential query ${i} has no id`);
    if (c.format !== FORMAT) throw malformed(`format '${String(c.format)}' (only ${FORMAT})`);
    if (!isObject(c.meta)) throw malformed(`credential query '${c.id}' has no meta`);
    only(c.meta, ["vct_values"], `the meta of '${c.id}'`);
    const vct = c.meta.vct_values;
    if (!Array.isArray(vct) || vct.length === 0 || !vct.every((t) => typeof t === "string")) throw malformed(`credential query '${c.id}' names no vct`);
    if (c.claims === null) throw malformed(`the claims of '${c.id}' are null`);
    const rawClaims = c.claims ?? [];
    if (!Array.isArray(rawClaims)) throw malformed(`the claims of '${c.id}' are not a list`);
    const claims = rawClaims.map((q, j): ClaimQuery => {
      if (!isObject(q)) throw malformed(`claim ${j} of '${c.id}' is not an object`);
      only(q, ["id", "path", "values"], `claim ${j} of '${c.id}'`);
      const path = q.path;
      const element = (p: unknown) => typeof p === "string" || p === null || (typeof p === "number" && Number.isSafeInteger(p) && p >= 0);
      if (!Array.isArray(path) || path.length === 0 || !path.every(element)) throw malformed(`claim path ${JSON.stringify(path)} in '${c.id}'`);
      if (q.id !== undefined && typeof q.id !== "string") throw malformed(`claim ${j} of '${c.id}' has an id that is not a string`);
      if (q.values !== undefined && !Array.isArray(q.values)) throw malformed(`the values of claim ${j} of '${c.id}' are not a list`);
      return { ...(q.id !== undefined ? { id: q.id } : {}), path: path as PathElement[], ...(q.values !== undefined ? { values: q.values as unknown[] } : {}) };
    });
    return { id: c.id, format: c.format, meta: { vct_values: vct as string[] }, claims };
  });
  return { credentials };
}

/** JSON value equality (objects by members, whatever their order). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
  }
  return false;
}

/** A claim path as people read it: `[resident.age_over_19]`, `*` for any array element. */
export function pathText(path: PathElement[]): string {
  return `[${path.map((p) => (p === null ? "*" : String(p))).join(".")}]`;
}

function claimWithin(asked: ClaimQuery, allowed: ClaimQuery): boolean {
  const pathOk = asked.path.length === allowed.path.length && asked.path.every((a, i) => allowed.path[i] === null || a === allowed.path[i]);
  const valuesOk =
    allowed.values === undefined ? true : asked.values === undefined ? false : asked.values.every((v) => allowed.values!.some((p) => sameJson(v, p)));
  return pathOk && valuesOk;
}

/**
 * Throws unless every credential query of `asked` fits one of `policy`'s: a subset of its types
 * and of its claim paths (and of its allowed values, where the policy restricts them).
 */
export function checkWithin(asked: DcqlQuery, policy: DcqlQuery): void {
  for (const c of asked.credentials) {
    const candidates = policy.credentials.filter((p) => c.meta.vct_values.every((v) => p.meta.vct_values.includes(v)));
    if (candidates.length === 0) throw new CredentialError(`credential query '${c.id}' asks for type(s) ${c.meta.vct_values.join(", ")} that the policy does not allow`);
    for (const claim of c.claims) {
      if (!candidates.some((p) => p.claims.some((pc) => claimWithin(claim, pc)))) {
        throw new CredentialError(`credential query '${c.id}' asks for claim ${pathText(claim.path)} that the policy does not allow`);
      }
    }
  }
}
