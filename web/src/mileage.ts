// Mileage pages (DOMAIN.md §6): a citizen's balance and lots, a merchant's payment screen, the
// citizen's payment to a merchant's request, and the finance office's liability report. Every
// figure shown is read with its proof against the pinned validators; the liability report is
// the node's answer checked line by line against the proven books (MIL-10).

import { RefusedError, TxBuilder, WebCryptoP256Signer, toHex } from "../../sdk-ts/src/index.js";
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

/** Today in Korea (the chain's dates are KST days), as the chain writes dates. */
function kstToday(nowMs = Date.now()): string {
  return new Date(nowMs + 9 * 3_600_000).toISOString().slice(0, 10);
}

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
    field("mil-month", t("mil.month_label"), nextMonth(kstToday()), (v) => (MONTH.test(v || nextMonth(kstToday())) ? `#/mileage/liability/${v || nextMonth(kstToday())}` : null)),
  );
}

/** Routes `#/mileage/...`. */
export async function mileage(main: HTMLElement, ctx: Ctx, arg: string): Promise<void> {
  const [what, ...rest] = arg.split("/");
  if (!what) return index(main);
  if (what === "me") return account(main, ctx, (await myAccount()).publicKey.address(), true);
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
async function account(main: HTMLElement, ctx: Ctx, address: string, mine: boolean): Promise<void> {
  const body = h("div", {});
  main.replaceChildren(h("h1", {}, t(mine ? "mil.my_account" : "mil.account")), h("p", { "data-address": address }, mono(address)), body);
  await fill(body, async () => {
    const proven = await ctx.reader.json<any>(`mileage/accounts/${address}`);
    const a = proven.value;
    if (a === null) return h("p", { "data-account": "none" }, t(mine ? "mil.not_registered_mine" : "mil.not_registered"), " ", mark(proven));
    const today = kstToday();
    const soon = kstToday(Date.now() + 31 * 86_400_000);
    const balance = a.lots.reduce((s: number, l: any) => s + l.remaining, 0);
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
    registered = true;
    const day = await ctx.reader.json<any>(`mileage/merchant_days/${address}/${kstToday()}`);
    return kv([
      [t("mil.merchant_name"), h("strong", { "data-merchant": m.name }, m.name)],
      [t("mil.sink"), m.sink],
      [t("mil.today"), h("span", {}, t("mil.takings", { n: day.value?.payments ?? 0, krw: won(day.value?.krw ?? 0) }), " ", mark(day))],
      [t("mil.paid_settled"), h("span", {}, t("mil.paid_settled_value", { paid: won(m.paid_krw), settled: won(m.settled_krw) }), " ", mark(proven))],
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
      const paid = await ctx.reader.json<number>(`mileage/requests/${merchantAddress}/${id}`);
      if (paid.value !== null) {
        status.setAttribute("data-request", "paid");
        status.replaceChildren(h("strong", { class: "mark ok" }, t("mil.paid", { krw: won(krw), h: paid.value })), " ", mark(paid));
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
      ctx.reader.json<number>(`mileage/requests/${to}/${requestId}`),
    ]);
    if (m.value === null) return h("p", { class: "error", role: "alert", "data-pay": "no-merchant" }, t("mil.no_merchant"), " ", mark(m));
    if (done.value !== null) return h("p", { "data-pay": "already" }, t("mil.already_paid", { h: done.value }), " ", mark(done));
    if (a.value === null) return h("p", { class: "error", role: "alert", "data-pay": "no-account" }, t("mil.not_registered_mine"), " ", mono(me), " ", mark(a));
    const balance = a.value.lots.reduce((s: number, l: any) => s + l.remaining, 0);
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
        [t("mil.amount"), h("strong", { "data-amount": String(krw) }, won(krw))],
        [t("mil.from"), h("span", {}, mono(me), " ", t("mil.holding", { krw: won(balance) }), " ", mark(a))],
        [t("mil.request_id"), mono(requestId)],
      ]),
      balance < krw ? h("p", { class: "error", role: "alert", "data-pay": "short" }, t("mil.short", { krw: won(balance) })) : null,
      button,
      result,
    ];
  });
}

/** The finance office's liability report (MIL-10): the node's answer, each line proven. */
async function liability(main: HTMLElement, ctx: Ctx, month: string): Promise<void> {
  const body = h("div", {});
  main.replaceChildren(h("h1", {}, t("mil.liability", { month })), h("p", { class: "note" }, t("mil.liability_note")), body);
  await fill(body, async () => {
    const report = await ctx.reader.client.query("mileage", "liability", { month });
    const rows: HTMLElement[] = [];
    let problems = 0;
    for (const l of report.lines as any[]) {
      const proven = await ctx.reader.json<any>(`mileage/totals/${l.programme}/${String(l.year).padStart(4, "0")}`);
      const p = proven.value;
      const same = p !== null && ["minted", "redeemed", "expired", "outstanding"].every((k) => p[k] === l.totals[k]);
      const conserved = p !== null && p.outstanding === p.minted - p.redeemed - p.expired;
      if (!same || !conserved) problems++;
      const shown = p ?? l.totals;
      rows.push(
        h(
          "tr",
          { "data-line": `${l.programme}/${l.year}`, "data-proven": String(same && conserved) },
          h("td", {}, l.programme),
          h("td", {}, l.year),
          ...["minted", "redeemed", "expired", "outstanding"].map((k) => h("td", { class: "num" }, won(shown[k]))),
          h("td", {}, same ? (conserved ? mark(proven) : h("span", { class: "error" }, t("mil.not_conserved"))) : h("span", { class: "error" }, t("mil.not_proven"))),
        ),
      );
    }
    const expiring: HTMLElement[] = [];
    for (const e of report.expiring as any[]) {
      const proven = await ctx.reader.json<number>(`mileage/expiring/${e.programme}/${month}`);
      const same = (proven.value ?? 0) === e.krw;
      if (!same) problems++;
      expiring.push(h("li", { "data-expiring": e.programme, "data-krw": String(proven.value ?? 0), "data-proven": String(same) }, t("mil.expiring_line", { programme: e.programme, krw: won(proven.value ?? 0) }), " ", same ? mark(proven) : h("span", { class: "error" }, t("mil.not_proven"))));
    }
    return [
      h(
        "p",
        { "data-report": problems ? "mismatch" : "proven", class: problems ? "error" : "" },
        problems ? t("mil.report_mismatch", { n: problems }) : t("mil.report_proven", { n: rows.length + expiring.length }),
        report.complete === false ? h("span", { class: "error" }, " ", t("mil.incomplete")) : null,
      ),
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
