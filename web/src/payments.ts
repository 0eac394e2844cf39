// Subcontract payments pages (DOMAIN.md §7): a project with its contracts and progress
// payments, where the ordering department's officers approve a split from this browser's
// account; a subcontractor's dashboard of what it was paid, when, and what the Act gives it;
// and a worker's receipts from the wallet, each checked against the line the bank confirmed.
// Every chain figure is read with its proof. What is not from the chain is named: the list
// of a project's contracts is the node's index (each listed contract is then proven, and the
// count is checked against the project's own).

import { RefusedError, TxBuilder, WebCryptoP256Signer } from "../../sdk-ts/src/index.js";
import { fill, h, kv, link, mark, mono, short } from "./dom.js";
import { listedIds } from "./listing.js";
import { statusLine } from "./status.js";
import type { Ctx } from "./explorer.js";
import { isKey, t, type Key } from "./i18n.js";
import { accountKeys, listCredentials, type StoredCredential } from "./vault.js";

/** A project or contract id as the module takes it (lowercase, digits, '-', '.', '_'). */
const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** The payment receipt credential (`dojang_payments::receipt::RECEIPT_VCT`). */
export const RECEIPT_VCT = "urn:dojang:pay-receipt:1";
/** Officers a progress payment needs. */
const APPROVALS = 2;
/** Most contracts this page lists from the node's index. */
const MAX_CONTRACTS = 500;

const won = (n: number) => t("pay.won", { n: n.toLocaleString("en") });
/** The text for a name the chain chose (a contract or part kind, a cause), or the name itself. */
const named = (prefix: string, value: string) => {
  const key = `${prefix}${value}`;
  return isKey(key) ? t(key) : value;
};
const progressKey = (project: string, n: number) => `payments/progress/${project}/${String(n).padStart(6, "0")}`;

/** The entry page: a project by id, and the wallet's receipts. */
function index(main: HTMLElement): void {
  const input = h("input", { id: "pay-project", name: "project", autocomplete: "off", spellcheck: "false", placeholder: "road-2026-17", "aria-describedby": "pay-project-error" }) as HTMLInputElement;
  const error = h("p", { id: "pay-project-error", class: "error", role: "alert" });
  const form = h(
    "form",
    {
      class: "search",
      onsubmit: (e: Event) => {
        e.preventDefault();
        const v = input.value.trim();
        if (!ID.test(v)) {
          error.textContent = t("pay.bad_id");
          input.setAttribute("aria-invalid", "true");
        } else location.hash = `#/payments/project/${v}`;
      },
    },
    h("label", { for: "pay-project" }, t("pay.project_label")),
    input,
    h("button", { type: "submit" }, t("pay.open")),
    error,
  );
  main.replaceChildren(h("h1", {}, t("pay.title")), h("p", { class: "note" }, t("pay.note")), form, h("p", {}, link("#/payments/receipts", t("pay.my_receipts"))));
}

/** Routes `#/payments/...`. */
export async function payments(main: HTMLElement, ctx: Ctx, arg: string): Promise<void> {
  const [what, ...rest] = arg.split("/");
  if (!what) return index(main);
  if (what === "project" && rest.length === 1 && ID.test(rest[0]!)) return project(main, ctx, rest[0]!);
  if (what === "contract" && rest.length === 2 && rest.every((x) => ID.test(x))) return contract(main, ctx, rest[0]!, rest[1]!);
  if (what === "receipts" && rest.length === 0) return receipts(main, ctx);
  main.replaceChildren(h("h1", {}, t("pay.title")), h("p", { class: "error", role: "alert", "data-payments": "bad-link" }, t("pay.bad_link")));
}

/** Where each line of a payment stands, as the proven record says; a line has no due day
 * until both officers approved its payment. */
function lineState(l: any, instructed: boolean): { state: string; text: string } {
  if (!instructed) return { state: "awaiting", text: t("pay.line_awaiting") };
  const s = l.status;
  if (s.status === "confirmed") return { state: "confirmed", text: t("pay.line_paid", { on: s.value_date, late: s.late_days, interest: won(s.interest_krw) }) };
  if (s.status === "rejected") return { state: "rejected", text: t("pay.line_rejected", { code: s.code }) };
  return l.missed ? { state: "missed", text: t("pay.line_missed", { due: l.due }) } : { state: "pending", text: t("pay.line_due", { due: l.due }) };
}

function guaranteeText(g: any): { state: string; text: string } {
  if (g.state === "due") return { state: "due", text: t("pay.guarantee_due", { by: g.by }) };
  if (g.state === "given") return { state: "given", text: t("pay.guarantee_given") };
  if (g.state === "missed") return { state: "missed", text: t("pay.guarantee_missed", { by: g.by }) };
  return { state: "not-needed", text: t("pay.guarantee_not_needed") };
}

/** Why the owner pays a contract directly (PAY-06): a cause name, or the missed instalments. */
function direct(d: any): { state: string; text: string } {
  if (d === null || d === undefined) return { state: "none", text: t("pay.direct_no") };
  if (typeof d === "string") return { state: d, text: t("pay.direct_yes", { why: named("pay.direct_", d) }) };
  const n = Number(d?.missed_instalments);
  return { state: "missed_instalments", text: t("pay.direct_yes", { why: t("pay.direct_missed_instalments", { n }) }) };
}

/** The project: its contracts, its progress payments, and approval by this browser's account
 * when it is an officer of the ordering department. */
async function project(main: HTMLElement, ctx: Ctx, id: string): Promise<void> {
  const head = h("div", {});
  const contracts = h("section", { "aria-labelledby": "pay-contracts-h" });
  const payments = h("section", { "aria-labelledby": "pay-payments-h" });
  main.replaceChildren(h("h1", {}, t("pay.project", { id })), head, contracts, payments);
  let p: any = null;
  await fill(head, async () => {
    const proven = await ctx.reader.json<any>(`payments/projects/${id}`);
    p = proven.value;
    if (p === null) return h("p", { class: "error", "data-project": "none" }, t("pay.no_project"), " ", mark(proven));
    return kv([
      [t("pay.name"), h("strong", { "data-project": p.id }, p.name)],
      [t("pay.department"), p.department],
      [t("pay.prime"), mono(p.prime)],
      [t("pay.amount"), won(p.amount_krw)],
      [t("pay.signed"), p.signed],
      [t("pay.change_orders"), String(p.change_orders)],
      [t("pay.proof"), mark(proven)],
    ]);
  });
  if (p === null) return;
  await Promise.all([fill(contracts, () => contractList(ctx, p)), showPayments(ctx, payments, p)]);
}

async function contractList(ctx: Ctx, p: any): Promise<(HTMLElement | null)[]> {
  const prefix = `payments/contracts/${p.id}/`;
  const ids = await listedIds(ctx, prefix, MAX_CONTRACTS, (id) => ID.test(id));
  const rows = await Promise.all(
    ids.map(async (cid) => {
      const proven = await ctx.reader.json<any>(`${prefix}${cid}`);
      const c = proven.value;
      if (c === null) return h("tr", { "data-contract": cid }, h("td", {}, cid), h("td", { colspan: "6", class: "error" }, t("pay.listed_absent"), " ", mark(proven)));
      const g = guaranteeText(c.guarantee);
      const d = direct(c.direct);
      return h(
        "tr",
        { "data-contract": cid },
        h("td", {}, link(`#/payments/contract/${p.id}/${cid}`, cid)),
        h("td", {}, named("pay.kind_", c.kind)),
        h("td", { class: "num" }, won(c.amount_krw)),
        h("td", { class: "num" }, won(c.paid_krw)),
        h("td", { "data-guarantee": g.state }, g.text),
        h("td", { "data-direct": d.state }, c.direct ? d.text : "—"),
        h("td", {}, mark(proven)),
      );
    }),
  );
  const complete = ids.length === p.contracts;
  return [
    h("h2", { id: "pay-contracts-h" }, t("pay.contracts")),
    complete ? null : h("p", { class: "error", "data-index": "incomplete" }, t("pay.index_incomplete", { listed: ids.length, n: p.contracts })),
    h(
      "table",
      { class: "list", "data-contracts": String(ids.length) },
      h("thead", {}, h("tr", {}, ...["pay.contract", "pay.kind", "pay.amount", "pay.paid", "pay.guarantee", "pay.direct", "pay.proof"].map((k) => h("th", { scope: "col" }, t(k as Key))))),
      h("tbody", {}, ...rows),
    ),
  ];
}

/** Each progress payment with its approvals and lines; an approve button for an officer who
 * has not approved a submitted one. */
async function showPayments(ctx: Ctx, section: HTMLElement, p: any, notice: HTMLElement | null = null): Promise<void> {
  await fill(section, async () => {
    // A browser that keeps no account key (no IndexedDB) still reads the payments.
    const signer = await accountKeys().then(
      (k) => WebCryptoP256Signer.fromKeyPair(k),
      () => null,
    );
    const me = signer?.publicKey.address() ?? null;
    const officer = me === null ? null : await ctx.reader.json<any>(`payments/officers/${me}`);
    const mine = signer !== null && officer?.value != null && officer.value.department === p.department;
    const who =
      me === null
        ? h("p", { "data-officer": "false" }, t("pay.no_account"))
        : h("p", { "data-officer": String(mine), "data-me": me }, mine ? t("pay.you_officer", { department: p.department }) : t("pay.you_not_officer"), " ", mono(me), " ", mark(officer));
    const cards: HTMLElement[] = [];
    for (let n = p.progress; n >= 1; n--) {
      const proven = await ctx.reader.json<any>(progressKey(p.id, n));
      const pr = proven.value;
      if (pr === null) {
        cards.push(h("article", { "data-payment": String(n) }, h("p", { class: "error" }, t("pay.payment_absent", { n }), " ", mark(proven))));
        continue;
      }
      const approved = pr.approvals.includes(me);
      const result = h("div", { role: "status", "aria-live": "polite" });
      const button = h("button", { type: "button", "data-approve": String(n) }, t("pay.approve", { n })) as HTMLButtonElement;
      button.addEventListener("click", async () => {
        button.disabled = true;
        result.replaceChildren(h("span", { class: "mark pending" }, t("pay.approving")));
        try {
          const r = await ctx.reader.client.send(new TxBuilder(ctx.status.chain_id, signer!), { module: "payments", msg: { type: "approve", project: p.id, number: n } });
          await showPayments(ctx, section, p, h("p", { class: "mark ok", role: "status", "data-approved": String(r.height) }, t("pay.approved_at", { n, h: r.height })));
        } catch (e) {
          const why = e instanceof RefusedError ? e.reason : (e as Error).message;
          result.replaceChildren(h("p", { class: "error", role: "alert", "data-refused": e instanceof RefusedError ? e.code : "error" }, t("pay.refused", { why })));
          button.disabled = false;
        }
      });
      const canApprove = mine && pr.status === "submitted" && !approved;
      const rows = pr.lines.map((l: any, i: number) => {
        const s = lineState(l, pr.status === "instructed");
        return h(
          "tr",
          { "data-line": String(i), "data-state": s.state },
          h("td", {}, String(i)),
          h("td", {}, named("pay.part_", l.part.kind)),
          h("td", {}, l.part.contract ?? t("pay.prime_own")),
          h("td", { class: "num" }, won(l.part.krw)),
          h("td", {}, l.direct ? t("pay.direct_line") : ""),
          h("td", { class: s.state === "confirmed" ? "" : s.state === "pending" || s.state === "awaiting" ? "note" : "error" }, s.text),
        );
      });
      cards.push(
        h(
          "article",
          { "data-payment": String(n), "data-status": pr.status },
          h("h3", {}, t("pay.payment", { n, krw: won(pr.approved_krw) })),
          kv([
            [t("pay.received"), pr.received],
            [t("pay.status"), t(pr.status === "submitted" ? "pay.status_submitted" : "pay.status_instructed")],
            [t("pay.approvals"), h("span", { "data-approvals": String(pr.approvals.length) }, t("pay.approvals_value", { n: pr.approvals.length, of: APPROVALS }), approved ? h("span", { class: "note" }, " ", t("pay.you_approved")) : null)],
            [t("pay.proof"), mark(proven)],
          ]),
          canApprove ? h("div", {}, h("p", { class: "note" }, t("pay.approve_note")), button, result) : null,
          rows.length
            ? h(
                "table",
                { class: "list" },
                h("thead", {}, h("tr", {}, ...["pay.line", "pay.part", "pay.contract", "pay.amount", "pay.direct", "pay.state"].map((k) => h("th", { scope: "col" }, t(k as Key))))),
                h("tbody", {}, ...rows),
              )
            : null,
        ),
      );
    }
    return [notice, who, h("h2", { id: "pay-payments-h" }, t("pay.payments")), cards.length ? h("div", {}, ...cards) : h("p", {}, t("pay.no_payments"))];
  });
}

/** A subcontractor's dashboard: the contract as the chain holds it and every line paid to it. */
async function contract(main: HTMLElement, ctx: Ctx, projectId: string, id: string): Promise<void> {
  const body = h("div", {});
  main.replaceChildren(h("h1", {}, t("pay.dashboard", { id })), h("p", {}, link(`#/payments/project/${projectId}`, t("pay.back", { project: projectId }))), body);
  await fill(body, async () => {
    const [proven, pp] = await Promise.all([ctx.reader.json<any>(`payments/contracts/${projectId}/${id}`), ctx.reader.json<any>(`payments/projects/${projectId}`)]);
    const c = proven.value;
    if (c === null) return h("p", { class: "error", "data-contract": "none" }, t("pay.no_contract"), " ", mark(proven));
    const g = guaranteeText(c.guarantee);
    const owed = c.pass_through.reduce((s: number, x: any) => s + x.increase_krw, 0);
    const lines: HTMLElement[] = [];
    for (let n = 1; n <= (pp.value?.progress ?? 0); n++) {
      const pr = await ctx.reader.json<any>(progressKey(projectId, n));
      pr.value?.lines.forEach((l: any, i: number) => {
        if (l.part.contract !== id || l.part.kind === "labour") return;
        const s = lineState(l, pr.value.status === "instructed");
        lines.push(
          h(
            "tr",
            { "data-line": `${n}/${i}`, "data-state": s.state },
            h("td", {}, String(n)),
            h("td", {}, named("pay.part_", l.part.kind)),
            h("td", { class: "num" }, won(l.part.krw)),
            h("td", {}, l.due),
            h("td", { class: s.state === "confirmed" ? "" : s.state === "pending" || s.state === "awaiting" ? "note" : "error" }, s.text),
            h("td", {}, mark(pr)),
          ),
        );
      });
    }
    return [
      kv([
        [t("pay.contractor"), mono(c.contractor)],
        [t("pay.payer"), mono(c.payer)],
        [t("pay.kind"), named("pay.kind_", c.kind)],
        [t("pay.amount"), h("strong", { "data-amount": String(c.amount_krw) }, won(c.amount_krw))],
        [t("pay.paid"), h("span", { "data-paid": String(c.paid_krw) }, won(c.paid_krw))],
        [t("pay.interest"), h("span", { "data-interest": String(c.interest_krw) }, won(c.interest_krw))],
        [t("pay.guarantee"), h("span", { "data-guarantee": g.state, class: g.state === "missed" ? "error" : "" }, g.text)],
        [t("pay.missed"), h("span", { "data-missed": String(c.missed.length) }, c.missed.length ? t("pay.missed_value", { list: c.missed.join(", ") }) : "—")],
        [t("pay.direct"), h("span", { "data-direct": direct(c.direct).state }, direct(c.direct).text)],
        [t("pay.pass_through"), h("span", { "data-owed": String(owed) }, owed ? t("pay.owed", { krw: won(owed), by: c.pass_through.map((x: any) => x.by).join(", ") }) : "—")],
        [t("pay.proof"), mark(proven)],
      ]),
      h("h2", {}, t("pay.lines_to", { id })),
      lines.length
        ? h(
            "table",
            { class: "list", "data-lines": String(lines.length) },
            h("thead", {}, h("tr", {}, ...["pay.payment_n", "pay.part", "pay.amount", "pay.due", "pay.state", "pay.proof"].map((k) => h("th", { scope: "col" }, t(k as Key))))),
            h("tbody", {}, ...lines),
          )
        : h("p", {}, t("pay.no_lines")),
    ];
  });
}

/** A receipt's claims as the page shows them, or null when the credential is not a receipt of
 * the expected shape. */
function receiptShape(c: StoredCredential): any | null {
  const r: any = c.claims;
  const ok =
    typeof r?.project === "string" &&
    ID.test(r.project) &&
    typeof r.payment === "string" &&
    /^[a-z0-9][a-z0-9._-]{0,63}\/\d{1,9}\/\d{1,5}$/.test(r.payment) &&
    r.payment.startsWith(`${r.project}/`) &&
    [r.days_worked, r.minutes_worked, r.amount_krw].every((x) => Number.isSafeInteger(x) && x >= 0) &&
    [r.period_start, r.period_end, r.paid_on].every((d) => typeof d === "string" && /^\d{4}-\d{2}-\d{2}$/.test(d));
  return ok ? r : null;
}

/** The worker's receipts from this wallet, each checked against the confirmed line on chain. */
async function receipts(main: HTMLElement, ctx: Ctx): Promise<void> {
  const body = h("div", {});
  main.replaceChildren(h("h1", {}, t("pay.receipts")), h("p", { class: "note" }, t("pay.receipts_note")), body);
  await fill(body, async () => {
    const held = (await listCredentials()).filter((c) => c.vct === RECEIPT_VCT);
    if (!held.length) return h("p", { "data-receipts": "0" }, t("pay.no_receipts"));
    const cards = await Promise.all(
      held.map(async (c) => {
        const r = receiptShape(c);
        if (r === null) return h("li", { class: "error", "data-receipt": "malformed" }, t("pay.receipt_malformed", { issuer: c.issuer }));
        const [, number, line] = r.payment.split("/");
        const proven = await ctx.reader.json<any>(progressKey(r.project, Number(number)));
        const l = proven.value?.lines?.[Number(line)];
        // The chain confirms the line, its day and its employer; the amount and the days are
        // the office's word, which only the employer's payroll shows.
        const confirmed = l?.status?.status === "confirmed" && l.part.kind === "labour" && l.status.value_date === r.paid_on && l.payee === r.employer_account;
        const expired = Date.now() / 1000 >= c.expiresAt;
        const hours = Math.floor(r.minutes_worked / 60);
        return h(
          "li",
          { class: "credential", "data-receipt": r.payment, "data-on-chain": String(confirmed) },
          h("strong", {}, t("pay.receipt_title", { project: r.project, from: r.period_start, to: r.period_end })),
          kv([
            [t("pay.worked"), t("pay.worked_value", { days: r.days_worked, hours, minutes: r.minutes_worked % 60 })],
            [t("pay.paid_you"), h("strong", { "data-amount": String(r.amount_krw) }, won(r.amount_krw))],
            [t("pay.paid_on"), r.paid_on],
            [t("pay.employer"), mono(short(String(r.employer_account)))],
            [t("pay.issued_by"), mono(c.issuer)],
            [
              t("pay.on_chain"),
              h("span", { class: confirmed ? "" : "error" }, t(confirmed ? "pay.receipt_confirmed" : "pay.receipt_not_confirmed", { payment: r.payment }), " ", mark(proven)),
            ],
            [t("status.title"), statusLine(ctx, c).el],
            [t("wallet.expires"), h("span", { class: expired ? "error" : "", "data-expired": String(expired) }, new Date(c.expiresAt * 1000).toISOString().slice(0, 10))],
          ]),
          h("p", { class: "note" }, t("pay.office_word")),
        );
      }),
    );
    return [h("p", { "data-receipts": String(held.length) }, t("pay.receipts_count", { n: held.length })), h("ul", { class: "credentials" }, ...cards)];
  });
}
