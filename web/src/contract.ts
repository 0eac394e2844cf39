// The worker's contracts in the wallet (docs/modules/labour.md): the account the employer names
// as worker, a contract copy opened from the employer's link, checked version by version against
// the ledger (the bytes give the commitment the ledger holds, read with a proof), shown in
// full, and signed from this browser: the signature is the receipt of the copy (LSA art. 17).
// The copy is kept here; names and wages never leave the browser.

import {
  CopyError,
  RefusedError,
  TxBuilder,
  WebCryptoP256Signer,
  confirmMessage,
  copyAgainstLedger,
  minutesWorked,
  openWorkerCopy,
  signMessage,
  weekAgainstLedger,
  type LedgerContract,
  type LedgerWeek,
  type VersionState,
  type WorkerCopy,
} from "../../sdk-ts/src/index.js";
import { fill, h, kv, link, list, mark, mono } from "./dom.js";
import type { Ctx } from "./explorer.js";
import { lang, t, type Key } from "./i18n.js";
import { accountKeys, getContract, listContracts, saveContract } from "./vault.js";

/** Ledger reads (each with its proof) made at once for a contract's weeks. */
const READS_AT_ONCE = 8;

/** Days before a deadline when the wallet shows it as near (the ledger alerts 5 days ahead). */
const NEAR_DAYS = 5;

const account = async () => WebCryptoP256Signer.fromKeyPair(await accountKeys());

const hhmm = (m: number) => `${String(Math.floor(m / 60) % 24).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
const WEEKDAYS: Record<"en" | "ko", string[]> = {
  en: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
  ko: ["월", "화", "수", "목", "금", "토", "일"],
};

function terms(doc: WorkerCopy["versions"][number]["document"]): HTMLElement {
  const x = doc.terms as any;
  const shifts = Array.isArray(x.shifts)
    ? x.shifts.map((s: any) => `${WEEKDAYS[lang][s.weekday] ?? "?"} ${hhmm(s.start)}–${hhmm(s.end)} (${t("contract.break", { m: s.break_minutes })})`).join(", ")
    : "";
  return kv([
    [t("contract.employer"), doc.parties.employer_name],
    [t("contract.worker"), doc.parties.worker_name],
    [t("contract.period"), `${x.start} – ${x.end ?? t("contract.open_ended")}`],
    [t("contract.workplace"), String(x.workplace ?? "")],
    [t("contract.duties"), String(x.duties ?? "")],
    [t("contract.hours"), shifts],
    [t("contract.wage"), `${Number(x.wage_krw).toLocaleString(lang === "ko" ? "ko-KR" : "en-GB")} KRW (${x.wage_basis})`],
    [t("contract.payday"), t("contract.payday_value", { d: x.payment_day, how: String(x.payment_method) })],
    [t("contract.leave"), String(x.annual_leave ?? "")],
  ]);
}

/** A deadline's state on `today`, as the text key that names it. */
export function deadlineState(d: NonNullable<LedgerContract["deadlines"]>[number], today: string): Key {
  if (d.met_height != null) return "contract.deadline.met";
  if (d.missed || d.due < today) return "contract.deadline.missed";
  const days = (Date.parse(d.due) - Date.parse(today)) / 86_400_000;
  return days <= NEAR_DAYS ? "contract.deadline.near" : "contract.deadline.open";
}

/**
 * The weeks of the copy, each against the ledger's record read with its proof; the worker
 * confirms or disputes a week the ledger awaits an answer for (CON-06, once).
 */
async function weeksTable(ctx: Ctx, copy: WorkerCopy, mine: boolean, answer: (monday: string, agree: boolean) => Promise<boolean>): Promise<HTMLElement> {
  if (!copy.weeks.length) return h("p", {}, t("contract.no_weeks"));
  const krw = (n: number) => n.toLocaleString(lang === "ko" ? "ko-KR" : "en-GB");
  // A few proof reads at a time, not one per week at once.
  const records: (LedgerWeek | null)[] = [];
  for (let i = 0; i < copy.weeks.length; i += READS_AT_ONCE) {
    const batch = copy.weeks.slice(i, i + READS_AT_ONCE);
    records.push(...(await Promise.all(batch.map(async (w) => (await ctx.reader.json<LedgerWeek>(`labour/timesheets/${copy.contract}/${w.monday}`)).value))));
  }
  const rows = await Promise.all(
    copy.weeks.map(async (w, i) => {
      const state = weekAgainstLedger(w, records[i]!);
      const minutes = w.week.days.reduce((sum, d) => sum + minutesWorked(d), 0);
      const pay = (w.week.pay.base_krw ?? 0) + (w.week.pay.weekly_holiday_krw ?? 0) + (w.week.pay.premiums_krw ?? 0);
      const actions = h("span", {});
      const shown = h("span", { "data-week": w.monday, "data-state": state }, t(`contract.week.${state}` as Key));
      if (mine && state === "awaiting-answer") {
        for (const agree of [true, false]) {
          const b = h("button", { type: "button", class: agree ? "" : "secondary" }, t(agree ? "contract.week_confirm" : "contract.week_dispute", { m: w.monday })) as HTMLButtonElement;
          b.addEventListener("click", async () => {
            // Both answers wait while one is on its way: a week is answered once (CON-06).
            const both = [...actions.querySelectorAll("button")] as HTMLButtonElement[];
            both.forEach((x) => (x.disabled = true));
            if (!(await answer(w.monday, agree))) {
              both.forEach((x) => (x.disabled = false));
              return;
            }
            const now = agree ? "confirmed" : "disputed";
            shown.setAttribute("data-state", now);
            shown.textContent = t(`contract.week.${now}`);
            actions.replaceChildren();
          });
          actions.append(b);
        }
      }
      return [w.monday, String(w.week.days.length), `${Math.floor(minutes / 60)}h ${minutes % 60}m`, `${krw(pay)} KRW`, shown, actions];
    }),
  );
  return list([t("contract.week_monday"), t("contract.week_days"), t("contract.week_hours"), t("contract.week_pay"), t("contract.week_state"), ""], rows);
}

/** Today in Korea (UTC+9), where the law's dates apply. */
export const todayKst = () => new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 10);

/** Opens `text` (a copy or its link's fragment) into `out`, checked against the ledger. */
export async function showContract(out: HTMLElement, ctx: Ctx, text: string, onSigned: () => Promise<void>): Promise<void> {
  await fill(out, async () => {
    let copy: WorkerCopy;
    try {
      copy = openWorkerCopy(text);
    } catch (e) {
      return h("p", { class: "error", role: "alert" }, t("contract.bad_copy", { why: (e as Error).message }));
    }
    const node = await ctx.reader.client.status();
    if (node.chain_id !== copy.chainId) return h("p", { class: "error", role: "alert" }, t("contract.other_chain", { copy: copy.chainId, node: node.chain_id }));
    const ledger = await ctx.reader.json<LedgerContract>(`labour/contracts/${copy.contract}`);
    if (ledger.value === null) return h("p", { class: "error", role: "alert" }, t("contract.not_registered", { id: copy.contract }));
    let states: VersionState[];
    try {
      states = copyAgainstLedger(copy, ledger.value);
    } catch (e) {
      return h("p", { class: "error", role: "alert" }, t("contract.bad_copy", { why: (e as CopyError).message }));
    }
    const me = await account();
    const mine = me.publicKey.address() === copy.worker;
    const kept = await getContract(copy.contract);
    const result = h("div", { role: "status", "aria-live": "polite" });
    const pending = states.indexOf("awaiting-signature");
    // The terms shown are those the button signs, or else the last the worker signed: never a
    // version the ledger does not hold, which nothing vouches for.
    const shownAt = pending >= 0 ? pending : states.lastIndexOf("signed");
    if (shownAt < 0) return h("p", { class: "error", role: "alert" }, t("contract.not_registered", { id: copy.contract }));
    const shown = copy.versions[shownAt]!;
    const today = todayKst();
    let keepButton: HTMLButtonElement | undefined;
    const sign = async (version: number, button: HTMLButtonElement) => {
      button.disabled = true;
      result.replaceChildren(h("span", { class: "mark pending" }, t("contract.signing")));
      try {
        const receipt = await ctx.reader.client.send(new TxBuilder(copy.chainId, me), signMessage(copy, version));
        const before = (await getContract(copy.contract))?.signed ?? [];
        await saveContract({ contract: copy.contract, copy: text, savedAtMs: Date.now(), signed: [...before, { version, height: receipt.height }] });
        keepButton?.remove();
        result.replaceChildren(h("p", { class: "mark ok", "data-signed": String(version) }, t("contract.signed_ok", { v: version, h: receipt.height })));
        await onSigned();
      } catch (e) {
        const why = e instanceof RefusedError ? e.message : (e as Error).message;
        result.replaceChildren(h("p", { class: "error", role: "alert" }, t("contract.refused", { why })));
        button.disabled = false;
      }
    };
    const answer = async (monday: string, agree: boolean) => {
      result.replaceChildren(h("span", { class: "mark pending" }, t("contract.signing")));
      try {
        const receipt = await ctx.reader.client.send(new TxBuilder(copy.chainId, me), confirmMessage(copy, monday, agree));
        result.replaceChildren(h("p", { class: "mark ok", "data-answered": monday }, t(agree ? "contract.week_confirmed_ok" : "contract.week_disputed_ok", { m: monday, h: receipt.height })));
        return true;
      } catch (e) {
        result.replaceChildren(h("p", { class: "error", role: "alert" }, t("contract.refused", { why: (e as Error).message })));
        return false;
      }
    };
    const actions: HTMLElement[] = [];
    if (!mine) actions.push(h("p", { class: "error", role: "alert" }, t("contract.not_yours", { worker: copy.worker })));
    else if (pending >= 0) {
      const b = h("button", { type: "button" }, t("contract.sign", { v: pending + 1 })) as HTMLButtonElement;
      b.addEventListener("click", () => void sign(pending + 1, b));
      actions.push(b);
    }
    if (!kept) {
      keepButton = h("button", { type: "button", class: "secondary" }, t("contract.keep")) as HTMLButtonElement;
      const keep = keepButton;
      keep.addEventListener("click", async () => {
        // Kept with whatever this browser recorded meanwhile (a signature in another tab).
        const signed = (await getContract(copy.contract))?.signed ?? [];
        await saveContract({ contract: copy.contract, copy: text, savedAtMs: Date.now(), signed });
        keep.replaceWith(h("span", { class: "mark ok", "data-kept": "true" }, t("contract.kept")));
        await onSigned();
      });
      actions.push(keep);
    }
    const deadlines = ledger.value.deadlines ?? [];
    return [
      h("h2", { id: "contract-h" }, t("contract.title", { id: copy.contract })),
      h("p", {}, mark(ledger), " ", h("span", { "data-checked": "true" }, t("contract.checked"))),
      h("p", { "data-shown-version": String(shown.version) }, t("contract.shown_version", { v: shown.version, state: t(`contract.state.${states[shownAt]!}` as Key) })),
      terms(shown.document),
      h("h3", {}, t("contract.versions")),
      h("ul", {}, ...copy.versions.map((v, i) => h("li", { "data-version": String(v.version), "data-state": states[i]! }, t("contract.version", { v: v.version }), " — ", t(`contract.state.${states[i]!}` as Key), " ", mono(v.commitment.slice(0, 16))))),
      h("h3", {}, t("contract.weeks")),
      await weeksTable(ctx, copy, mine, answer),
      h("h3", {}, t("contract.deadlines")),
      deadlines.length
        ? h("ul", {}, ...deadlines.map((d) => {
            const state = deadlineState(d, today);
            return h("li", { "data-deadline": state.split(".").pop()! }, `${JSON.stringify((d.kind as any)?.kind ?? d.kind)} — ${d.due} — `, t(state));
          }))
        : h("p", {}, t("contract.no_deadlines")),
      h("div", { class: "actions" }, ...actions),
      result,
    ];
  });
}

/** The wallet's contracts: the account to give the employer, opening a copy, the copies kept. */
export function contractsSection(ctx: Ctx, copyArg: string): HTMLElement {
  const section = h("section", { id: "contracts", "aria-labelledby": "contracts-h" });
  const who = h("p", {});
  const kept = h("div", {});
  const opened = h("div", { id: "contract" });
  const input = h("textarea", { id: "copy", rows: "3" }) as HTMLTextAreaElement;
  input.value = copyArg;
  const refresh = () =>
    fill(kept, async () => {
      const all = await listContracts();
      if (!all.length) return h("p", {}, t("contract.none"));
      return h("ul", {}, ...all.map((c) => h("li", {}, link(`#/wallet/contract/${encodeURIComponent(c.copy)}`, t("contract.title", { id: c.contract })), " ", c.signed.length ? t("contract.signed_list", { v: c.signed.map((s) => s.version).join(", ") }) : "")));
    });
  const form = h(
    "form",
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        void showContract(opened, ctx, fragmentOf(input.value), refresh);
      },
    },
    h("label", { for: "copy" }, t("contract.open")),
    input,
    h("button", { type: "submit" }, t("contract.open_button")),
  );
  section.append(h("h2", { id: "contracts-h" }, t("contract.section")), who, form, opened, h("h3", {}, t("contract.list")), kept);
  void fill(who, async () => {
    const address = (await account()).publicKey.address();
    return [t("contract.account"), " ", h("strong", { class: "mono", "data-account": address }, address), h("br", {}), h("small", {}, t("contract.account_note"))];
  });
  void refresh();
  if (copyArg) void showContract(opened, ctx, copyArg, refresh);
  return section;
}

/** The copy in a pasted wallet link (`…#/wallet/contract/<copy>`), or the text as pasted. */
function fragmentOf(text: string): string {
  const at = text.indexOf("#/wallet/contract/");
  if (at < 0) return text.trim();
  try {
    return decodeURIComponent(text.slice(at + "#/wallet/contract/".length).trim());
  } catch {
    return text.trim();
  }
}
