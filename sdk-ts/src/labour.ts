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
export const TIMESHEET_KIND = "dojang/labour/timesheet/v1";
export const COMMITMENT_DOMAIN = "dojang/collections/commitment/v1";
/** Most versions a copy may carry (the ledger's limit, CON-04). */
const MAX_VERSIONS = 100;
/** Most weeks a copy may carry (the desk keeps ten years). */
const MAX_WEEKS = 520;
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

/** One day of a week as the employer recorded it (minutes from midnight). */
export interface WorkDay {
  date: string;
  start: number;
  end: number;
  break_minutes: number;
  holiday?: boolean;
}

export interface CopyWeek {
  monday: string;
  key: string;
  commitment: string;
  week: { monday: string; days: WorkDay[]; pay: { base_krw: number; weekly_holiday_krw?: number; premiums_krw?: number }; all_contracted_days_worked?: boolean };
}

export interface WorkerCopy {
  chainId: string;
  collection: string;
  contract: string;
  employer: string;
  worker: string;
  versions: CopyVersion[];
  /** Every week's timesheet the desk stored, in date order. */
  weeks: CopyWeek[];
}

/** Minutes at work on a day, the break excluded (a shift may end the next day). */
export function minutesWorked(d: WorkDay): number {
  const span = d.end > d.start ? d.end - d.start : d.end + 24 * 60 - d.start;
  return Math.max(0, span - d.break_minutes);
}

/** A record's payload checked against the commitment the copy states; the bytes. */
function checkedPayload(copy: { collection: string }, v: any, what: string): Uint8Array {
  const key = str(v?.key, `${what} key`);
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
  return payload;
}

function json(payload: Uint8Array, what: string): any {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch {
    throw new CopyError(`${what}: the document is not JSON`);
  }
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
    weeks: [],
  };
  if (!/^[0-9a-f]{32}$/.test(copy.contract)) throw new CopyError("the copy's contract id is not 32 hex digits");
  if (!Array.isArray(raw.versions) || raw.versions.length === 0 || raw.versions.length > MAX_VERSIONS) {
    throw new CopyError(`the copy must hold 1 to ${MAX_VERSIONS} versions`);
  }
  raw.versions.forEach((v: any, i: number) => {
    const what = `version ${i + 1}`;
    if (v?.version !== i + 1) throw new CopyError(`the copy's versions must be 1, 2, … in order (${what} is not)`);
    const document = json(checkedPayload(copy, v, what), what);
    if (document?.kind !== CONTRACT_VERSION_KIND || document.version !== i + 1) throw new CopyError(`${what}: not a version of a contract`);
    if (document.worker !== copy.worker || document.employer !== copy.employer) throw new CopyError(`${what}: names other parties than the copy`);
    if (typeof document.parties?.worker_name !== "string" || typeof document.terms !== "object" || document.terms === null) {
      throw new CopyError(`${what}: has no parties or terms`);
    }
    copy.versions.push({ version: i + 1, key: v.key, commitment: v.commitment, document });
  });
  const weeks = raw.weeks ?? [];
  if (!Array.isArray(weeks) || weeks.length > MAX_WEEKS) throw new CopyError(`the copy's weeks must be a list of at most ${MAX_WEEKS}`);
  for (const w of weeks) {
    const monday = str(w?.monday, "week's Monday");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(monday)) throw new CopyError(`week ${monday}: not a date`);
    const what = `week ${monday}`;
    const doc = json(checkedPayload(copy, w, what), what);
    if (doc?.kind !== TIMESHEET_KIND || doc.contract !== copy.contract || doc.week?.monday !== monday || !Array.isArray(doc.week.days)) {
      throw new CopyError(`${what}: not this contract's timesheet for that week`);
    }
    const minute = (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 1440;
    const dayOk = (d: any) => typeof d?.date === "string" && minute(d.start) && minute(d.end) && minute(d.break_minutes);
    const krw = (n: unknown) => n === undefined || (Number.isSafeInteger(n) && (n as number) >= 0);
    const pay = doc.week.pay;
    if (doc.week.days.length > 14 || !doc.week.days.every(dayOk) || typeof pay !== "object" || pay === null || !Number.isSafeInteger(pay.base_krw) || !krw(pay.weekly_holiday_krw) || !krw(pay.premiums_krw)) {
      throw new CopyError(`${what}: the days or the pay are not a timesheet's`);
    }
    if (copy.weeks.length && copy.weeks[copy.weeks.length - 1]!.monday >= monday) throw new CopyError(`the copy's weeks must be in date order (${what} is not)`);
    copy.weeks.push({ monday, key: w.key, commitment: w.commitment, week: doc.week });
  }
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

export type VersionState = "signed" | "awaiting-signature" | "superseded" | "not-on-ledger";

/**
 * Each version of the copy against the ledger: signed by the worker, awaiting their signature
 * (only the ledger's last version can be signed, CON-03), superseded unsigned by a later
 * version, or not registered yet. A ledger that names other parties, or commits to other bytes for a
 * version, is refused: the copy is not the contract on the ledger.
 */
export function copyAgainstLedger(copy: WorkerCopy, ledger: LedgerContract): VersionState[] {
  if (ledger.worker !== copy.worker || ledger.employer !== copy.employer) {
    throw new CopyError("the ledger's contract is between other parties than the copy");
  }
  if (ledger.versions.length > copy.versions.length) {
    throw new CopyError(`the ledger holds ${ledger.versions.length} versions and this copy only ${copy.versions.length}: it is out of date; ask the employer for a new copy`);
  }
  return copy.versions.map((v, i) => {
    const on = ledger.versions[i];
    if (!on) return "not-on-ledger";
    if (on.commitment !== v.commitment) throw new CopyError(`version ${v.version}: the ledger commits to other bytes than the copy's`);
    if (on.signed_height != null) return "signed";
    return i === ledger.versions.length - 1 ? "awaiting-signature" : "superseded";
  });
}

/** The worker's signature of a version: the `labour.sign` message (CON-03). */
export function signMessage(copy: WorkerCopy, version: number): { module: string; msg: object } {
  const v = copy.versions[version - 1];
  if (!v) throw new CopyError(`the copy has no version ${version}`);
  return { module: "labour", msg: { type: "sign", contract: copy.contract, version, commitment: v.commitment } };
}

/** The ledger's record of a week (`labour/timesheets/<id>/<monday>`). */
export interface LedgerWeek {
  commitment: string;
  height: number;
  agreed?: boolean | null;
}

export type WeekState = "not-on-ledger" | "ledger-disagrees" | "awaiting-answer" | "confirmed" | "disputed";

/**
 * A week of the copy against the ledger's record of it (null: none). A ledger that commits to
 * other bytes for the week (a week the employer replaced before committing another) disagrees:
 * the copy's week is not the one to answer.
 */
export function weekAgainstLedger(week: CopyWeek, record: LedgerWeek | null): WeekState {
  if (record === null) return "not-on-ledger";
  if (record.commitment !== week.commitment) return "ledger-disagrees";
  if (record.agreed === true) return "confirmed";
  if (record.agreed === false) return "disputed";
  return "awaiting-answer";
}

/** The worker's answer to a week: the `labour.confirm_timesheet` message (CON-06), once. */
export function confirmMessage(copy: WorkerCopy, monday: string, agree: boolean): { module: string; msg: object } {
  if (!copy.weeks.some((w) => w.monday === monday)) throw new CopyError(`the copy has no week ${monday}`);
  return { module: "labour", msg: { type: "confirm_timesheet", contract: copy.contract, monday, agree } };
}
