// The worker's side of a part-time contract (docs/modules/labour.md). The employer's app hands
// the worker a copy of the contract: each version's exact bytes with the salt and key under
// which the private collection committed to them. The wallet recomputes each commitment
// (COL-05) and compares it with the ledger's record, proven against a certified header, before
// the worker signs; the signature is the receipt of the copy (LSA art. 17, CON-03).

import { sha256 } from "@noble/hashes/sha2";

import { concat, fromHex, toHex, utf8 } from "./bytes.js";
import { unb64url } from "./sdjwt.js";

export const COPY_KIND = "dojang/labour/worker-copy/v1";
export const CONTRACT_VERSION_KIND = "dojang/labour/contract-version/v1";
export const COMMITMENT_DOMAIN = "dojang/collections/commitment/v1";
/** Most versions a copy may carry (the ledger's limit, CON-04). */
const MAX_VERSIONS = 100;
/** Most characters of one version's payload (a collection payload is at most 64 KiB). */
const MAX_PAYLOAD_CHARS = 90_000;

export class CopyError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = "CopyError";
  }
}

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
}

/** COL-05: SHA-256 over the domain, the collection and key (each length-prefixed), the salt and the payload; hex. */
export function collectionCommitment(collection: string, key: string, salt: Uint8Array, payload: Uint8Array): string {
  if (salt.length !== 32) throw new CopyError("a salt is 32 bytes");
  const c = utf8(collection);
  const k = utf8(key);
  return toHex(sha256(concat(utf8(COMMITMENT_DOMAIN), u32be(c.length), c, u32be(k.length), k, salt, payload)));
}

export interface CopyVersion {
  version: number;
  key: string;
  commitment: string;
  /** The version as both parties see it: parties (names) and terms. */
  document: { parties: { employer_name: string; worker_name: string }; terms: Record<string, unknown>; [k: string]: unknown };
}

export interface WorkerCopy {
  chainId: string;
  collection: string;
  contract: string;
  employer: string;
  worker: string;
  versions: CopyVersion[];
}

const str = (v: unknown, what: string): string => {
  if (typeof v !== "string" || v.length === 0 || v.length > 200) throw new CopyError(`the copy's ${what} is missing or not text`);
  return v;
};

/**
 * Opens a copy as the desk answers it (JSON), or as a link carries it (base64url of that JSON).
 * Every version's commitment is recomputed from its bytes and salt; a copy that does not hold
 * together is refused with what is wrong.
 */
export function openWorkerCopy(text: string): WorkerCopy {
  let raw: any;
  try {
    const trimmed = text.trim();
    raw = JSON.parse(trimmed.startsWith("{") ? trimmed : new TextDecoder("utf-8", { fatal: true }).decode(unb64url(trimmed, "the copy")));
  } catch {
    throw new CopyError("this is not a contract copy (neither JSON nor base64url JSON)");
  }
  if (raw?.kind !== COPY_KIND) throw new CopyError(`this is not a contract copy (kind is not ${COPY_KIND})`);
  const copy: WorkerCopy = {
    chainId: str(raw.chain_id, "chain id"),
    collection: str(raw.collection, "collection"),
    contract: str(raw.contract, "contract id"),
    employer: str(raw.employer, "employer"),
    worker: str(raw.worker, "worker"),
    versions: [],
  };
  if (!/^[0-9a-f]{32}$/.test(copy.contract)) throw new CopyError("the copy's contract id is not 32 hex digits");
  if (!Array.isArray(raw.versions) || raw.versions.length === 0 || raw.versions.length > MAX_VERSIONS) {
    throw new CopyError(`the copy must hold 1 to ${MAX_VERSIONS} versions`);
  }
  raw.versions.forEach((v: any, i: number) => {
    const what = `version ${i + 1}`;
    if (v?.version !== i + 1) throw new CopyError(`the copy's versions must be 1, 2, … in order (${what} is not)`);
    const key = str(v.key, `${what} key`);
    const commitment = str(v.commitment, `${what} commitment`);
    if (!/^[0-9a-f]{64}$/.test(String(v.salt))) throw new CopyError(`${what}: the salt is not 64 hex digits`);
    let payload: Uint8Array;
    try {
      if (typeof v.payload !== "string" || v.payload.length > MAX_PAYLOAD_CHARS) throw new Error();
      payload = unb64url(v.payload, `${what} payload`);
    } catch {
      throw new CopyError(`${what}: the payload is missing, too long or not base64url`);
    }
    if (collectionCommitment(copy.collection, key, fromHex(v.salt), payload) !== commitment) {
      throw new CopyError(`${what}: the bytes do not give the commitment the copy states; it was altered`);
    }
    let document: any;
    try {
      document = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
    } catch {
      throw new CopyError(`${what}: the document is not JSON`);
    }
    if (document?.kind !== CONTRACT_VERSION_KIND || document.version !== i + 1) throw new CopyError(`${what}: not a version of a contract`);
    if (document.worker !== copy.worker || document.employer !== copy.employer) throw new CopyError(`${what}: names other parties than the copy`);
    if (typeof document.parties?.worker_name !== "string" || typeof document.terms !== "object" || document.terms === null) {
      throw new CopyError(`${what}: has no parties or terms`);
    }
    copy.versions.push({ version: i + 1, key, commitment, document });
  });
  return copy;
}

/** The ledger's record of a contract (`labour/contracts/<id>`), as far as the worker needs it. */
export interface LedgerContract {
  employer: string;
  worker: string;
  starts: string;
  ends: string | null;
  versions: { commitment: string; registered_height: number; signed_height?: number | null; ends?: string | null }[];
  terminated?: boolean;
  deadlines?: { kind: unknown; due: string; met_height?: number | null; missed?: boolean }[];
}

export type VersionState = "signed" | "awaiting-signature" | "not-on-ledger";

/**
 * Each version of the copy against the ledger: signed by the worker, awaiting their signature,
 * or not registered yet. A ledger that names other parties, or commits to other bytes for a
 * version, is refused: the copy is not the contract on the ledger.
 */
export function copyAgainstLedger(copy: WorkerCopy, ledger: LedgerContract): VersionState[] {
  if (ledger.worker !== copy.worker || ledger.employer !== copy.employer) {
    throw new CopyError("the ledger's contract is between other parties than the copy");
  }
  return copy.versions.map((v, i) => {
    const on = ledger.versions[i];
    if (!on) return "not-on-ledger";
    if (on.commitment !== v.commitment) throw new CopyError(`version ${v.version}: the ledger commits to other bytes than the copy's`);
    return on.signed_height != null ? "signed" : "awaiting-signature";
  });
}

/** The worker's signature of a version: the `labour.sign` message (CON-03). */
export function signMessage(copy: WorkerCopy, version: number): { module: string; msg: object } {
  const v = copy.versions[version - 1];
  if (!v) throw new CopyError(`the copy has no version ${version}`);
  return { module: "labour", msg: { type: "sign", contract: copy.contract, version, commitment: v.commitment } };
}
