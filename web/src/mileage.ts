// Mileage pages (DOMAIN.md §6): a citizen's balance and lots, a merchant's payment screen, the
// citizen's payment to a merchant's request, and the finance office's liability report. Chain
// figures carry their proof against the pinned validators. What is not from the chain is named
// as such: the amount a payment link asks for (the merchant's screen checks the paid record
// against it), and the liability report's list of programmes, which is the node's (each line
// it lists is checked against the proven books, and a programme-year whose proven books exist
// but which the report leaves out is flagged).

import { RefusedError, TxBuilder, WebCryptoP256Signer, toHex } from "../../sdk-ts/src/index.js";
import { listedIds } from "./listing.js";
import { qrSvg } from "./qr.js";
import { fill, h, kv, link, mark, mono } from "./dom.js";
import type { Ctx } from "./explorer.js";
import { t } from "./i18n.js";
import { accountKeys } from "./vault.js";

const ADDRESS = /^dj[0-9a-f]{40}$/;
const HASH = /^[0-9a-f]{64}$/;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
/** A merchant asks for at least one won and at most what one account may plausibly hold. */
const MAX_REQUEST_KRW = 10_000_000;
/** How often the merchant's screen looks for the payment. */
const POLL_MS = 250;

const won = (n: number) => t("mil.won", { n: n.toLocaleString("en") });

/** The day in Korea at `ms` (the chain's dates are KST days), as the chain writes dates. Pages
 * pass a proven block's time: the module dates everything by the chain's clock. */
function kstDay(ms: number): string {
  return new Date(ms + 9 * 3_600_000).toISOString().slice(0, 10);
}

/** A lot past its last day is expired by the module before anything is spent from it. */
const spendable = (lots: any[], today: string) => lots.filter((l) => l.expires >= today).reduce((s, l) => s + l.remaining, 0);

function nextMonth(today: string): string {
  const [y, m] = [Number(today.slice(0, 4)), Number(today.slice(5, 7))];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, "0")}`;
}

/** The wallet's own account: the key this browser keeps for the ledger. */
async function myAccount(): Promise<WebCryptoP256Signer> {
  return WebCryptoP256Signer.fromKeyPair(await accountKeys());
}

/** The entry page: a citizen's account, a merchant's screen, the liability report. */
export function index(main: HTMLElement): void {
  const field = (id: string, label: string, placeholder: string, go: (v: string) => string | null) => {
    const input = h("input", { id, name: id, autocomplete: "off", spellcheck: "false", placeholder, "aria-describedby": `${id}-error` }) as HTMLInputElement;
    const error = h("p", { id: `${id}-error`, class: "error", role: "alert" });
    return h(
      "form",
      {
        class: "search",
        onsubmit: (e: Event) => {
          e.preventDefault();
          const target = go(input.value.trim());
          if (target === null) {
            error.textContent = t("mil.bad_input", { what: label });
            input.setAttribute("aria-invalid", "true");
          } else location.hash = target;
        },
      },
      h("label", { for: id }, label),
      input,
      h("button", { type: "submit" }, t("mil.open")),
      error,
    );
  };
  main.replaceChildren(
    h("h1", {}, t("mil.title")),
    h("p", { class: "note" }, t("mil.note")),
    h("p", {}, link("#/mileage/me", t("mil.mine"))),
    field("mil-account", t("mil.account_label"), "dj…", (v) => (ADDRESS.test(v) ? `#/mileage/account/${v}` : null)),
    field("mil-merchant", t("mil.merchant_label"), "dj…", (v) => (ADDRESS.test(v) ? `#/mileage/merchant/${v}` : null)),
    field("mil-month", t("mil.month_label"), nextMonth(kstDay(Date.now())), (v) => {
      const month = v || nextMonth(kstDay(Date.now()));
      return MONTH.test(month) ? `#/mileage/liability/${month}` : null;
    }),
  );
}

/** Routes `#/mileage/...`. */
export async function mileage(main: HTMLElement, ctx: Ctx, arg: string): Promise<void> {
  const [what, ...rest] = arg.split("/");
  if (!what) return index(main);
  if (what === "me" && rest.length === 0) return account(main, ctx, null, true);
  if (what === "account" && ADDRESS.test(rest[0] ?? "") && rest.length === 1) return account(main, ctx, rest[0]!, false);
  if (what === "merchant" && ADDRESS.test(rest[0] ?? "") && rest.length === 1) return merchant(main, ctx, rest[0]!);
  if (what === "liability" && MONTH.test(rest[0] ?? "") && rest.length === 1) return liability(main, ctx, rest[0]!);
  if (what === "pay" && rest.length === 3) {
    const [to, amount, request] = rest as [string, string, string];
    const krw = /^\d{1,8}$/.test(amount) ? Number(amount) : NaN;
    if (ADDRESS.test(to) && HASH.test(request) && krw >= 1 && krw <= MAX_REQUEST_KRW) return pay(main, ctx, to, krw, request);
  }
  main.replaceChildren(h("h1", {}, t("mil.title")), h("p", { class: "error", role: "alert", "data-mileage": "bad-link" }, t("mil.bad_link")));
}

/** A citizen's balance and lots, first in first (MIL-07), with their proof. */
async function account(main: HTMLElement, ctx: Ctx, given: string | null, mine: boolean): Promise<void> {
  const body = h("div", {});
  main.replaceChildren(h("h1", {}, t(mine ? "mil.my_account" : "mil.account")), body);
  await fill(body, async () => {
    const address = given ?? (await myAccount()).publicKey.address();
    const shown = h("p", { "data-address": address }, mono(address));
    const proven = await ctx.reader.json<any>(`mileage/accounts/${address}`);
    const a = proven.value;
    if (a === null) return [shown, h("p", { "data-account": "none" }, t(mine ? "mil.not_registered_mine" : "mil.not_registered"), " ", mark(proven))];
    const today = kstDay(proven.blockTimeMs);
    const soon = kstDay(proven.blockTimeMs + 31 * 86_400_000);
    const balance = spendable(a.lots, today);
    const rows = a.lots.map((l: any, i: number) =>
      h(
        "tr",
        { "data-lot": String(i) },
        h("td", {}, l.programme),
        h("td", {}, l.year),
        h("td", {}, l.expires, l.expires < today ? h("div", { class: "error" }, t("mil.lot_expired")) : l.expires <= soon ? h("div", { class: "note" }, t("mil.lot_soon")) : null),
        h("td", { class: "num" }, won(l.remaining)),
      ),
    );
    return [
      shown,
      kv([
        [t("mil.balance"), h("strong", { "data-balance": String(balance) }, won(balance))],
        [t("mil.registered"), a.registered],
        [t("mil.enrolled"), a.enrolled.join(", ") || "—"],
        [t("mil.proof"), mark(proven)],
      ]),
      h("h2", {}, t("mil.lots")),
      h("p", { class: "note" }, t("mil.lots_note")),
      rows.length
        ? h(
            "table",
            { class: "list", "data-lots": String(rows.length) },
            h("thead", {}, h("tr", {}, ...[t("mil.programme"), t("mil.year"), t("mil.expires"), t("mil.remaining")].map((x) => h("th", { scope: "col" }, x)))),
            h("tbody", {}, ...rows),
          )
        : h("p", {}, t("mil.no_lots")),
    ];
  });
}

/** The merchant's screen: a payment request as a QR code and link, then the payment seen final. */
async function merchant(main: HTMLElement, ctx: Ctx, address: string): Promise<void> {
  const head = h("div", {});
  const screen = h("div", { role: "status", "aria-live": "polite" });
  main.replaceChildren(h("h1", {}, t("mil.merchant")), h("p", {}, mono(address)), head, screen);
  let registered = false;
  await fill(head, async () => {
    const proven = await ctx.reader.json<any>(`mileage/merchants/${address}`);
    const m = proven.value;
    if (m === null) return h("p", { class: "error", "data-merchant": "none" }, t("mil.no_merchant"), " ", mark(proven));
    const day = await ctx.reader.json<any>(`mileage/merchant_days/${address}/${kstDay(proven.blockTimeMs)}`);
    // A closed merchant is paid no more (MIL-08): no request is offered.
    registered = m.closed_at == null;
    return kv([
      [t("mil.merchant_name"), h("strong", { "data-merchant": m.name }, m.name)],
      [t("mil.sink"), m.sink],
      [t("mil.today"), h("span", {}, t("mil.takings", { n: day.value?.payments ?? 0, krw: won(day.value?.krw ?? 0) }), " ", mark(day))],
      [t("mil.paid_settled"), h("span", {}, t("mil.paid_settled_value", { paid: won(m.paid_krw), settled: won(m.settled_krw) }), " ", mark(proven))],
      ...(m.closed_at == null ? [] : [[t("mil.closed"), h("span", { class: "error", "data-closed": String(m.closed_at) }, t("mil.closed_at", { h: m.closed_at }))] as [string, HTMLElement]]),
    ]);
  });
  if (!registered) return;
  const amount = h("input", { id: "mil-amount", name: "amount", inputmode: "numeric", autocomplete: "off", "aria-describedby": "mil-amount-error" }) as HTMLInputElement;
  const error = h("p", { id: "mil-amount-error", class: "error", role: "alert" });
  const form = h(
    "form",
    {
      class: "search",
      onsubmit: (e: Event) => {
        e.preventDefault();
        const v = amount.value.trim().replace(/,/g, "");
        const krw = /^\d{1,8}$/.test(v) ? Number(v) : NaN;
        if (!(krw >= 1 && krw <= MAX_REQUEST_KRW)) {
          error.textContent = t("mil.bad_amount", { max: MAX_REQUEST_KRW.toLocaleString("en") });
          amount.setAttribute("aria-invalid", "true");
          return;
        }
        error.textContent = "";
        amount.removeAttribute("aria-invalid");
        void request(ctx, screen, address, krw);
      },
    },
    h("label", { for: "mil-amount" }, t("mil.amount_label")),
    amount,
    h("button", { type: "submit" }, t("mil.ask")),
    error,
  );
  main.insertBefore(form, screen);
}

/** Shows one payment request and waits, reading with proofs, until it is paid or the page is left. */
async function request(ctx: Ctx, screen: HTMLElement, merchantAddress: string, krw: number): Promise<void> {
  const id = toHex(crypto.getRandomValues(new Uint8Array(32)));
  const url = `${location.origin}${location.pathname}#/mileage/pay/${merchantAddress}/${krw}/${id}`;
  const status = h("p", { "data-request": "waiting" }, t("mil.waiting"));
  screen.replaceChildren(
    h("h2", {}, t("mil.request", { krw: won(krw) })),
    h("div", { class: "qr", role: "img", "aria-label": t("mil.qr_label") }, qrSvg(url)),
    h("p", {}, link(url, t("mil.request_link")), " ", h("code", { "data-request-link": url, class: "mono" }, url)),
    status,
  );
  const shownAt = performance.now();
  while (!ctx.signal.aborted && screen.contains(status)) {
    try {
      const paid = await ctx.reader.json<any>(`mileage/requests/${merchantAddress}/${id}`);
      const p = paid.value;
      if (p !== null) {
        // The link carries the amount; the wallet could have been handed another. The proven
        // record says what was paid.
        if (p.krw === krw) {
          status.setAttribute("data-request", "paid");
          status.replaceChildren(h("strong", { class: "mark ok" }, t("mil.paid", { krw: won(p.krw), h: p.height })), " ", mark(paid));
        } else {
          status.setAttribute("data-request", "short");
          status.replaceChildren(h("strong", { class: "error", role: "alert" }, t("mil.paid_other", { paid: won(p.krw), asked: won(krw), h: p.height })), " ", mark(paid));
        }
        status.setAttribute("data-seen-ms", String(Math.round(performance.now() - shownAt)));
        return;
      }
    } catch (e) {
      status.replaceChildren(t("mil.waiting"), " ", mark(e as Error));
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The citizen pays a merchant's request from this wallet's account (MIL-08). */
async function pay(main: HTMLElement, ctx: Ctx, to: string, krw: number, requestId: string): Promise<void> {
  const body = h("div", {});
  main.replaceChildren(h("h1", {}, t("mil.pay_title")), body);
  await fill(body, async () => {
    const signer = await myAccount();
    const me = signer.publicKey.address();
    const [m, a, done] = await Promise.all([
      ctx.reader.json<any>(`mileage/merchants/${to}`),
      ctx.reader.json<any>(`mileage/accounts/${me}`),
      ctx.reader.json<any>(`mileage/requests/${to}/${requestId}`),
    ]);
    if (m.value === null) return h("p", { class: "error", role: "alert", "data-pay": "no-merchant" }, t("mil.no_merchant"), " ", mark(m));
    if (done.value !== null) return h("p", { "data-pay": "already" }, t("mil.already_paid", { h: done.value.height }), " ", mark(done));
    if (a.value === null) return h("p", { class: "error", role: "alert", "data-pay": "no-account" }, t("mil.not_registered_mine"), " ", mono(me), " ", mark(a));
    const balance = spendable(a.value.lots, kstDay(a.blockTimeMs));
    const result = h("div", { role: "status", "aria-live": "polite" });
    const button = h("button", { type: "button", "data-pay": "button" }, t("mil.pay", { krw: won(krw) })) as HTMLButtonElement;
    button.disabled = balance < krw;
    button.addEventListener("click", async () => {
      button.disabled = true;
      result.replaceChildren(h("span", { class: "mark pending" }, t("mil.paying")));
      try {
        const receipt = await ctx.reader.client.send(new TxBuilder(ctx.status.chain_id, signer), { module: "mileage", msg: { type: "pay", merchant: to, amount: krw, request: requestId } });
        result.replaceChildren(h("p", { class: "mark ok", "data-paid": String(receipt.height) }, t("mil.paid", { krw: won(krw), h: receipt.height })), link("#/mileage/me", t("mil.mine")));
      } catch (e) {
        const why = e instanceof RefusedError ? e.reason : (e as Error).message;
        result.replaceChildren(h("p", { class: "error", role: "alert", "data-refused": e instanceof RefusedError ? e.code : "error" }, t("mil.pay_refused", { why })));
        button.disabled = false;
      }
    });
    return [
      kv([
        [t("mil.to"), h("span", {}, h("strong", {}, m.value.name), " ", mark(m))],
        [t("mil.amount"), h("span", {}, h("strong", { "data-amount": String(krw) }, won(krw)), " ", h("span", { class: "note" }, t("mil.amount_from_link")))],
        [t("mil.from"), h("span", {}, mono(me), " ", t("mil.holding", { krw: won(balance) }), " ", mark(a))],
        [t("mil.request_id"), mono(requestId)],
      ]),
      balance < krw ? h("p", { class: "error", role: "alert", "data-pay": "short" }, t("mil.short", { krw: won(balance) })) : null,
      button,
      result,
    ];
  });
}

/** Most lines a node's report may list (the module's `MAX_LIABILITY_LINES`). */
const MAX_LINES = 1000;
/** Most programmes this page reads the books of. */
const MAX_PROGRAMMES = 200;
const FIGURES = ["minted", "redeemed", "expired", "outstanding"] as const;

/** The programmes the node lists under `mileage/programmes/`: an index, not a proof. */
const listedProgrammes = (ctx: Ctx) => listedIds(ctx, "mileage/programmes/", MAX_PROGRAMMES, (id) => id.length > 0 && !id.includes("/"));

/** The node's report, refused unless it has the report's shape. */
function reportShape(report: any): { lines: { programme: string; year: number; totals: any }[]; expiring: { programme: string; krw: number }[]; complete: boolean } {
  const isYear = (y: unknown) => Number.isInteger(y) && (y as number) >= 0 && (y as number) <= 65_535;
  const ok =
    report &&
    Array.isArray(report.lines) &&
    report.lines.length <= MAX_LINES &&
    report.lines.every((l: any) => typeof l?.programme === "string" && isYear(l.year) && l.totals && FIGURES.every((k) => Number.isSafeInteger(l.totals[k]))) &&
    Array.isArray(report.expiring) &&
    report.expiring.length <= MAX_PROGRAMMES &&
    report.expiring.every((e: any) => typeof e?.programme === "string" && Number.isSafeInteger(e.krw)) &&
    typeof report.complete === "boolean";
  if (!ok) throw new Error(t("mil.report_malformed"));
  return report;
}

/**
 * The finance office's liability report (MIL-10). Each line the node lists is checked against
 * the programme-year's books read with their proof; each programme the node's index lists has
 * its budget years' books read too, so a line the report leaves out is shown and flagged.
 */
async function liability(main: HTMLElement, ctx: Ctx, month: string): Promise<void> {
  const body = h("div", {});
  main.replaceChildren(h("h1", {}, t("mil.liability", { month })), h("p", { class: "note" }, t("mil.liability_note")), body);
  await fill(body, async () => {
    const report = reportShape(await ctx.reader.client.query("mileage", "liability", { month }));
    const reported = new Map<string, any>();
    let problems = 0;
    for (const l of report.lines) {
      const key = `${l.programme}/${String(l.year).padStart(4, "0")}`;
      if (reported.has(key)) problems++;
      reported.set(key, l.totals);
    }
    // What the books hold beside what the report says: every programme-year with a budget.
    const programmes = new Set([...(await listedProgrammes(ctx)), ...report.lines.map((l) => l.programme), ...report.expiring.map((e) => e.programme)]);
    const keys = new Set(reported.keys());
    for (const id of programmes) {
      const p = await ctx.reader.json<any>(`mileage/programmes/${id}`);
      for (const [year] of (p.value?.budgets ?? []) as [number, number][]) keys.add(`${id}/${String(year).padStart(4, "0")}`);
    }
    const rows: HTMLElement[] = [];
    for (const key of [...keys].sort()) {
      const [programme, year] = key.split(/\/(?=\d{4}$)/) as [string, string];
      const proven = await ctx.reader.json<any>(`mileage/totals/${key}`);
      const p = proven.value;
      const said = reported.get(key);
      if (p === null && said === undefined) continue;
      const conserved = p !== null && p.outstanding === p.minted - p.redeemed - p.expired;
      const state = said === undefined ? "left-out" : p !== null && FIGURES.every((k) => p[k] === said[k]) ? (conserved ? "proven" : "not-conserved") : "differs";
      if (state !== "proven") problems++;
      const verdict =
        state === "proven"
          ? mark(proven)
          : h("span", { class: "error" }, t(state === "left-out" ? "mil.left_out" : state === "not-conserved" ? "mil.not_conserved" : "mil.not_proven"), " ", mark(proven));
      rows.push(
        h(
          "tr",
          { "data-line": `${programme}/${Number(year)}`, "data-proven": String(state === "proven"), "data-state": state },
          h("td", {}, programme),
          h("td", {}, Number(year)),
          ...FIGURES.map((k) => h("td", { class: "num" }, p === null ? "—" : won(p[k]))),
          h("td", {}, verdict),
        ),
      );
    }
    const expiring: HTMLElement[] = [];
    const saidExpiring = new Map(report.expiring.map((e) => [e.programme, e.krw] as [string, number]));
    for (const id of [...programmes].sort()) {
      const proven = await ctx.reader.json<number>(`mileage/expiring/${id}/${month}`);
      const krw = proven.value ?? 0;
      const said = saidExpiring.get(id);
      const same = said === krw;
      if (!same) problems++;
      expiring.push(
        h(
          "li",
          { "data-expiring": id, "data-krw": String(krw), "data-proven": String(same) },
          t("mil.expiring_line", { programme: id, krw: won(krw) }),
          " ",
          same ? mark(proven) : h("span", { class: "error" }, t(said === undefined ? "mil.left_out" : "mil.not_proven"), " ", mark(proven)),
        ),
      );
    }
    return [
      h(
        "p",
        { "data-report": problems ? "mismatch" : "proven", class: problems ? "error" : "" },
        problems ? t("mil.report_mismatch", { n: problems }) : t("mil.report_proven", { lines: rows.length, expiring: expiring.length }),
        report.complete ? null : h("span", { class: "error" }, " ", t("mil.incomplete")),
      ),
      h("p", { class: "note" }, t("mil.report_index")),
      h(
        "table",
        { class: "list" },
        h("thead", {}, h("tr", {}, ...[t("mil.programme"), t("mil.year"), t("mil.minted"), t("mil.redeemed"), t("mil.expired"), t("mil.outstanding"), t("mil.proof")].map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", {}, ...rows),
      ),
      h("h2", {}, t("mil.expiring", { month })),
      h("ul", {}, ...expiring),
      h("p", {}, link(`/v1/query/mileage/liability?month=${month}`, t("mil.json"))),
    ];
  });
}
