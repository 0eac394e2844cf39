// A vehicle's history for anyone considering a car (CAR-10): a VIN's timeline with every
// record's attester, flags and proof, its sales with their rescission windows, and what
// contradicted a dealer's notice. The summary and each record are read with their own proofs
// against the pinned validators; the summary's history hash is then recomputed from the
// records' proven bytes, so a node cannot leave a record out. Listing sites embed the same
// view from /embed (a page that may be framed).

import { concat, sha256, toHex } from "../../sdk-ts/src/index.js";
import { fill, h, link, mark, mono } from "./dom.js";
import type { Ctx } from "./explorer.js";
import { isKey, t } from "./i18n.js";

/** CAR-09: the characters a VIN may hold and the value each has in the check digit. */
const VALUES: Record<string, number> = Object.fromEntries(
  [..."0123456789"].map((c, i) => [c, i] as [string, number]).concat(
    [..."ABCDEFGH"].map((c, i) => [c, i + 1]),
    [..."JKLMN"].map((c, i) => [c, i + 1]),
    [["P", 7], ["R", 9]],
    [..."STUVWXYZ"].map((c, i) => [c, i + 2]),
  ),
);
const WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/** Why `vin` is not a VIN as records must write it, or null. */
export function vinProblem(vin: string): string | null {
  const chars = [...vin];
  if (chars.length !== 17) return t("cars.vin_length", { n: chars.length });
  const bad = chars.findIndex((c) => VALUES[c] === undefined);
  if (bad >= 0) return t("cars.vin_char", { c: chars[bad]!, at: bad + 1 });
  const sum = [...vin].reduce((s, c, i) => s + VALUES[c]! * WEIGHTS[i]!, 0);
  const digit = sum % 11 === 10 ? "X" : String(sum % 11);
  return vin[8] === digit ? null : t("cars.vin_check", { want: digit, got: vin[8]! });
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");
const km = (n: number) => `${n.toLocaleString("en")} km`;

/** The vehicle's history hash over the records' exact bytes (as the module chains them). */
function historyHash(records: Uint8Array[]): string {
  const tag = new TextEncoder().encode("dojang/cars/history/v1");
  let h: Uint8Array = new Uint8Array(32);
  for (const r of records) h = sha256(concat(tag, h, sha256(r)));
  return toHex(h);
}

/** The text for a value the chain names (a party, a fact, a window), or the value itself. */
function named(prefix: string, value: string, params: Record<string, string | number> = {}): string {
  const key = `${prefix}.${value}`;
  return isKey(key) ? t(key, params) : value;
}

function yes(b: boolean): string {
  return t(b ? "cars.yes" : "cars.no");
}

/** What a record says, in words. */
function describe(r: any): string {
  switch (r.kind) {
    case "registration":
      return t("cars.rec.registration", { km: km(r.km) });
    case "odometer":
      return t("cars.rec.odometer", { km: km(r.km) });
    case "inspection":
      return t("cars.rec.inspection", { grade: r.grade, flood: yes(r.flood), accident: yes(r.accident), km: km(r.km), photos: r.photos.length });
    case "accident":
      return t("cars.rec.accident", { severity: r.severity, flood: yes(r.flood) });
    case "repair":
      return t("cars.rec.repair", { km: km(r.km) });
    case "odometer_replaced":
      return t("cars.rec.replaced", { old: km(r.old_km), new: km(r.new_km) });
    case "transfer":
      return t("cars.rec.transfer");
    case "lien":
      return t("cars.rec.lien", { lien: r.lien });
    case "lien_released":
      return t("cars.rec.lien_released");
    default:
      return String(r.kind);
  }
}

/** A flag, in words. */
function flag(f: any): string {
  switch (f.flag) {
    case "rollback":
      return t("cars.flag.rollback", { against: f.against, km: km(f.km) });
    case "implausible":
      return t("cars.flag.implausible", { against: f.against, per_day: f.km_per_day });
    case "before_registration":
      return t("cars.flag.before_registration", { on: f.registered_on });
    case "undisclosed_lien":
      return t("cars.flag.undisclosed_lien");
    case "contradicts_notice":
      return t("cars.flag.contradicts", { sale: f.sale, fact: named("cars.fact", f.fact) });
    case "late_replacement":
      return t("cars.flag.late_replacement", { moved: f.moved });
    default:
      return String(f.flag);
  }
}

/** The lookup form: a VIN, checked here before anything is asked of the node. */
export function lookup(main: HTMLElement): void {
  const input = h("input", { id: "vin", name: "vin", autocomplete: "off", spellcheck: "false", maxlength: "17", "aria-describedby": "vin-error" }) as HTMLInputElement;
  const error = h("p", { id: "vin-error", class: "error", role: "alert" });
  const form = h(
    "form",
    {
      class: "search",
      onsubmit: (e: Event) => {
        e.preventDefault();
        const vin = input.value.trim().toUpperCase();
        const problem = vinProblem(vin);
        if (problem) {
          error.textContent = problem;
          input.setAttribute("aria-invalid", "true");
          return;
        }
        location.hash = `#/car/${vin}`;
      },
    },
    h("label", { for: "vin" }, t("cars.vin_label")),
    input,
    h("button", { type: "submit" }, t("cars.look_up")),
    error,
  );
  main.replaceChildren(h("h1", {}, t("cars.title")), h("p", { class: "note" }, t("cars.note")), form);
}

/** A vehicle's history page; `embedded` leaves out what a listing site's frame needs not show. */
export async function car(main: HTMLElement, ctx: Ctx, vin: string, embedded = false): Promise<void> {
  const problem = vinProblem(vin);
  if (problem) {
    main.replaceChildren(h("h1", {}, t("cars.title")), h("p", { class: "error", role: "alert", "data-vin": "invalid" }, problem));
    return;
  }
  const body = h("div", {});
  main.replaceChildren(h("h1", {}, t("cars.history_of"), " ", mono(vin)), body);
  await fill(body, async () => {
    const summary = await ctx.reader.json<any>(`cars/vehicles/${vin}`);
    const v = summary.value;
    if (v === null) return h("p", { "data-history": "none" }, t("cars.none"), " ", mark(summary));
    const raw: Uint8Array[] = [];
    const rows: HTMLElement[] = [];
    const parties = new Map<string, Promise<any>>();
    const partyOf = (account: string) => {
      if (!parties.has(account)) parties.set(account, ctx.reader.json<any>(`cars/parties/${account}`).then((p) => p.value));
      return parties.get(account)!;
    };
    const voided = new Map<number, string>((v.voided ?? []).map((x: any) => [x.seq, x.reason]));
    for (let seq = 1; seq <= v.records; seq++) {
      const r = await ctx.reader.state(`cars/records/${vin}/${pad(seq, 6)}`);
      if (r.value === null) throw new Error(t("cars.missing", { seq }));
      raw.push(r.value);
      const e = JSON.parse(new TextDecoder().decode(r.value));
      const who = h("td", {}, mono(e.by));
      partyOf(e.by).then(
        (p) => p && who.replaceChildren(`${p.organisation} (${named("cars.party", p.party)})`, p.suspended ? h("span", { class: "error" }, ` ${t("cars.suspended")}`) : ""),
        (err) => who.append(" ", mark(err as Error)),
      );
      const flags = (e.flags ?? []).map(flag);
      const note = voided.has(seq) ? t("cars.voided", { reason: voided.get(seq)! }) : "";
      rows.push(
        h(
          "tr",
          { "data-seq": String(seq), "data-flagged": String(flags.length > 0), ...(flags.length ? { class: "flagged" } : {}) },
          h("td", {}, seq),
          h("td", {}, e.record.on),
          h("td", {}, describe(e.record), note ? h("div", { class: "note" }, note) : null),
          who,
          h("td", {}, ...flags.map((f: string) => h("div", { class: "error" }, f))),
          h("td", {}, embedded ? "" : link(`#/tx/${e.tx}`, t("cars.tx")), " ", mark(r)),
        ),
      );
    }
    const whole = historyHash(raw) === v.history_hash;
    if (!whole) throw new Error(t("cars.not_whole"));
    const sales = [];
    for (let n = 1; n <= v.sales; n++) {
      const s = await ctx.reader.json<any>(`cars/sales/${vin}/${pad(n, 4)}`);
      if (s.value !== null) sales.push(sale(s.value, s));
    }
    const open = (v.open_sales ?? []).length;
    return [
      h(
        "table",
        { class: "kv" },
        h(
          "tbody",
          {},
          ...[
            [t("cars.registered"), v.registered_on ?? "—"],
            [t("cars.records"), String(v.records)],
            [t("cars.flagged"), h("span", { "data-flagged-count": String(v.flagged), class: v.flagged ? "error" : "" }, String(v.flagged))],
            [t("cars.liens"), String((v.liens ?? []).length)],
            [t("cars.sales"), String(v.sales)],
            [t("cars.open_windows"), String(open)],
            [t("cars.proof"), h("span", { "data-whole": String(whole) }, t("cars.whole", { n: v.records }), " ", mark(summary))],
          ].map(([k, x]) => h("tr", {}, h("th", { scope: "row" }, k as string), h("td", {}, x as any))),
        ),
      ),
      h("h2", {}, t("cars.timeline")),
      h(
        "table",
        { class: "list", "data-history": "records" },
        h("thead", {}, h("tr", {}, ...["#", t("cars.date"), t("cars.what"), t("cars.by"), t("cars.flags"), t("cars.proof")].map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", {}, ...rows),
      ),
      sales.length ? h("h2", {}, t("cars.sales")) : null,
      ...sales,
      embedded
        ? null
        : h(
            "section",
            {},
            h("h2", {}, t("cars.reuse")),
            h("p", {}, link(`/v1/query/cars/history/${vin}`, t("cars.json"))),
            h("p", { class: "note" }, t("cars.embed_note")),
            h("pre", { "data-embed": "snippet" }, `<iframe src="${location.origin}/embed#/car/${vin}" width="720" height="640" title="${vin}"></iframe>`),
          ),
    ];
  });
}

function sale(s: any, proven: Parameters<typeof mark>[0]): HTMLElement {
  const windows = s.windows.map((w: any) =>
    h("li", { "data-window": w.kind, "data-open": String(w.open) }, named("cars.window", w.kind, { until: w.until }), " — ", t(w.open ? "cars.open" : "cars.closed")),
  );
  const contradictions = (s.contradictions ?? []).map((c: any) =>
    h("li", { class: "error", "data-contradiction": c.fact }, t("cars.contradiction", { seq: c.seq, fact: named("cars.fact", c.fact) })),
  );
  return h(
    "section",
    { "data-sale": String(s.number) },
    h("h3", {}, t("cars.sale", { n: s.number, on: s.delivered_on }), " ", mark(proven)),
    h(
      "p",
      {},
      t("cars.notice", {
        km: km(s.notice.km),
        flood: yes(s.notice.flood),
        accident: yes(s.notice.accident),
        grade: s.notice.grade,
        fees: s.notice.fees_krw.toLocaleString("en"),
      }),
    ),
    h("ul", {}, ...windows),
    contradictions.length ? h("ul", {}, ...contradictions) : h("p", {}, t("cars.no_contradiction")),
  );
}
