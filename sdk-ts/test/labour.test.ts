// The worker's copy of a contract, on its own: the commitment vector the Rust collections
// module checks too, a copy that holds together, and every way an altered or malformed copy
// is refused before the worker is asked to sign anything.

import { test } from "node:test";
import assert from "node:assert/strict";

import { b64url, utf8Bytes } from "./helpers.js";
import { COPY_KIND, CopyError, collectionCommitment, confirmMessage, copyAgainstLedger, minutesWorked, openWorkerCopy, signMessage, weekAgainstLedger } from "../src/labour.js";

const COLLECTION = "labour-contracts";
const ID = "0123456789abcdef0123456789abcdef";
const SALT = "07".repeat(32);
const EMPLOYER = "dj" + "1".repeat(40);
const WORKER = "dj" + "2".repeat(40);

test("the commitment is the one the Rust collections module computes (COL-05)", () => {
  const payload = utf8Bytes('{"kind":"x","임금":1}');
  const salt = new Uint8Array(32).fill(7);
  assert.equal(collectionCommitment(COLLECTION, ID, salt, payload), "e5df811d6582d37f9371c89b5debda31330d199e156ebe82d68e26e05cda4fff");
  assert.throws(() => collectionCommitment(COLLECTION, ID, new Uint8Array(31), payload), CopyError);
});

function document(version: number, duties: string): Record<string, unknown> {
  return {
    kind: "dojang/labour/contract-version/v1",
    ...(version > 1 ? { contract: ID } : {}),
    version,
    employer: EMPLOYER,
    worker: WORKER,
    parties: { employer_name: "카페 한강", worker_name: "김민수" },
    terms: { start: "2026-03-02", duties, wage_krw: 10320 },
  };
}

function record(key: string, doc: unknown): { key: string; salt: string; payload: string; commitment: string } {
  const payload = utf8Bytes(JSON.stringify(doc));
  const salt = Uint8Array.from(Buffer.from(SALT, "hex"));
  return { key, salt: SALT, payload: b64url(payload), commitment: collectionCommitment(COLLECTION, key, salt, payload) };
}

function timesheet(monday: string, contract = ID): Record<string, unknown> {
  const days = [{ date: monday, start: 600, end: 930, break_minutes: 30 }, { date: monday, start: 1320, end: 120, break_minutes: 60 }];
  return { kind: "dojang/labour/timesheet/v1", contract, week: { monday, days, pay: { base_krw: 52_500 } } };
}

function copy(docs: Record<string, unknown>[], weeks: Record<string, unknown>[] = []): any {
  const versions = docs.map((d, i) => ({ version: i + 1, ...record(i === 0 ? ID : `${ID}-v${i + 1}`, d) }));
  const ws = weeks.map((w, i) => ({ monday: (w.week as any).monday, ...record(`${ID}-w${i}`, w) }));
  return { kind: COPY_KIND, chain_id: "dev", collection: COLLECTION, contract: ID, employer: EMPLOYER, worker: WORKER, versions, weeks: ws };
}

test("a copy opens from JSON or a link's base64url, and stands against the ledger version by version", () => {
  const raw = copy([document(1, "serving"), document(2, "serving and the till")]);
  const fromJson = openWorkerCopy(JSON.stringify(raw));
  const fromLink = openWorkerCopy(b64url(utf8Bytes(JSON.stringify(raw))));
  assert.deepEqual(fromJson, fromLink);
  assert.equal(fromJson.versions[1]!.document.parties.worker_name, "김민수");
  assert.equal(fromJson.versions[1]!.document.terms.duties, "serving and the till");
  const ledger = {
    employer: EMPLOYER,
    worker: WORKER,
    starts: "2026-03-02",
    ends: null,
    versions: [{ commitment: raw.versions[0].commitment, registered_height: 5, signed_height: 7 }, { commitment: raw.versions[1].commitment, registered_height: 9 }],
  };
  assert.deepEqual(copyAgainstLedger(fromJson, ledger), ["signed", "awaiting-signature"]);
  assert.deepEqual(copyAgainstLedger(fromJson, { ...ledger, versions: ledger.versions.slice(0, 1) }), ["signed", "not-on-ledger"]);
  // Only the ledger's last version can be signed: an older unsigned one is superseded.
  const unsignedFirst = { ...ledger, versions: [{ ...ledger.versions[0]!, signed_height: null }, ledger.versions[1]!] };
  assert.deepEqual(copyAgainstLedger(fromJson, unsignedFirst), ["superseded", "awaiting-signature"]);
  assert.deepEqual(signMessage(fromJson, 2), { module: "labour", msg: { type: "sign", contract: ID, version: 2, commitment: raw.versions[1].commitment } });
  assert.throws(() => signMessage(fromJson, 3), CopyError);
  // The ledger committing to other bytes, or naming other parties: not this contract.
  const other = { ...ledger, versions: [{ ...ledger.versions[0]!, commitment: "ab".repeat(32) }] };
  assert.throws(() => copyAgainstLedger(fromJson, other), /other bytes/);
  assert.throws(() => copyAgainstLedger(fromJson, { ...ledger, worker: EMPLOYER }), /other parties/);
  // A copy older than the ledger (a version registered since) is out of date, not "checked".
  const older = openWorkerCopy(JSON.stringify(copy([document(1, "serving")])));
  assert.throws(() => copyAgainstLedger(older, ledger), /out of date/);
});

test("an altered or malformed copy is refused, saying what is wrong", () => {
  const good = copy([document(1, "serving")]);
  const cases: [string, any, RegExp][] = [
    ["not JSON", "%%%", /not a contract copy/],
    ["another kind", { ...good, kind: "x" }, /kind/],
    ["no versions", { ...good, versions: [] }, /1 to 100 versions/],
    ["a bad contract id", { ...good, contract: "xyz" }, /32 hex/],
    ["a wage changed", (() => {
      const c = structuredClone(good);
      const altered = document(1, "serving");
      (altered.terms as any).wage_krw = 9000;
      c.versions[0].payload = b64url(utf8Bytes(JSON.stringify(altered)));
      return c;
    })(), /altered/],
    ["a short salt", (() => { const c = structuredClone(good); c.versions[0].salt = "07"; return c; })(), /64 hex/],
    ["a payload not base64url", (() => { const c = structuredClone(good); c.versions[0].payload = "***"; return c; })(), /base64url/],
    ["versions out of order", (() => { const c = structuredClone(good); c.versions[0].version = 2; return c; })(), /in order/],
    ["another worker in the document", copy([{ ...document(1, "x"), worker: EMPLOYER }]), /other parties/],
    ["a document of another kind", copy([{ ...document(1, "x"), kind: "timesheet" }]), /not a version/],
  ];
  for (const [name, input, says] of cases) {
    const text = typeof input === "string" ? input : JSON.stringify(input);
    assert.throws(() => openWorkerCopy(text), (e: unknown) => e instanceof CopyError && says.test((e as Error).message), name);
  }
});

test("a copy's weeks are checked like its versions, stand against the ledger week by week, and are answered once", () => {
  const raw = copy([document(1, "serving")], [timesheet("2026-03-02"), timesheet("2026-03-09")]);
  const c = openWorkerCopy(JSON.stringify(raw));
  assert.deepEqual(c.weeks.map((w) => w.monday), ["2026-03-02", "2026-03-09"]);
  assert.deepEqual(c.weeks[0]!.week.days.map(minutesWorked), [300, 180], "a night shift ends the next day");
  const rec = (w: any, agreed?: boolean | null) => ({ commitment: w.commitment, height: 9, agreed });
  assert.equal(weekAgainstLedger(c.weeks[0]!, null), "not-on-ledger");
  assert.equal(weekAgainstLedger(c.weeks[0]!, rec(raw.weeks[0])), "awaiting-answer");
  assert.equal(weekAgainstLedger(c.weeks[0]!, rec(raw.weeks[0], true)), "confirmed");
  assert.equal(weekAgainstLedger(c.weeks[0]!, rec(raw.weeks[0], false)), "disputed");
  assert.equal(weekAgainstLedger(c.weeks[0]!, rec(raw.weeks[1])), "ledger-disagrees");
  assert.deepEqual(confirmMessage(c, "2026-03-09", false), { module: "labour", msg: { type: "confirm_timesheet", contract: ID, monday: "2026-03-09", agree: false } });
  assert.throws(() => confirmMessage(c, "2026-03-16", true), CopyError);
  // A copy from before weeks were carried opens with none.
  const { weeks: _, ...without } = raw;
  assert.deepEqual(openWorkerCopy(JSON.stringify(without)).weeks, []);

  const bad: [string, any, RegExp][] = [
    ["hours changed", (() => { const x = structuredClone(raw); const t = timesheet("2026-03-02"); (t.week as any).days[0].end = 1000; x.weeks[0].payload = b64url(utf8Bytes(JSON.stringify(t))); return x; })(), /altered/],
    ["another contract's week", copy([document(1, "s")], [timesheet("2026-03-02", "f".repeat(32))]), /not this contract's timesheet/],
    ["a week under another Monday", (() => { const x = structuredClone(raw); x.weeks[0].monday = "2026-03-16"; return x; })(), /not this contract's timesheet/],
    ["weeks out of order", copy([document(1, "s")], [timesheet("2026-03-09"), timesheet("2026-03-02")]), /date order/],
    ["weeks not a list", { ...raw, weeks: {} }, /list/],
    ["a week without pay", copy([document(1, "s")], [{ ...timesheet("2026-03-02"), week: { monday: "2026-03-02", days: [] } }]), /pay are not/],
    ["a day with a time out of range", copy([document(1, "s")], [{ ...timesheet("2026-03-02"), week: { monday: "2026-03-02", days: [{ date: "2026-03-02", start: -5, end: 60, break_minutes: 0 }], pay: { base_krw: 1 } } }]), /days or the pay/],
  ];
  for (const [name, input, says] of bad) {
    assert.throws(() => openWorkerCopy(JSON.stringify(input)), (e: unknown) => e instanceof CopyError && says.test((e as Error).message), name);
  }
});
