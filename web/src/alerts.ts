// The worker's alerts (docs/web.md, "Work contracts"): for each contract kept in this browser,
// the deadlines near or missed on the ledger, read with proofs when the page opens; then,
// while the page is open, the ledger's `deadline_near` and `deadline_missed` events for those
// contracts as the node announces them (the stream is the node's report; the contract's page
// checks it against the ledger).

import type { BlockEvent, LedgerContract } from "../../sdk-ts/src/index.js";
import { deadlineState, todayKst } from "./contract.js";
import { fill, h, link, mark } from "./dom.js";
import type { Ctx } from "./explorer.js";
import { t } from "./i18n.js";
import { listContracts } from "./vault.js";

const DEADLINE_EVENTS = new Set(["deadline_near", "deadline_missed"]);

/** A deadline kind as the ledger writes it (`{"kind": "final_pay"}`, …), for people. */
function kindText(kind: unknown): string {
  let k: any = kind;
  if (typeof kind === "string") {
    try {
      k = JSON.parse(kind);
    } catch {
      return kind;
    }
  }
  return typeof k?.kind === "string" ? k.kind.replace(/_/g, " ") : String(kind);
}

interface AlertEvent {
  module: string;
  kind: string;
  attributes: [string, string][];
}

/** The labour deadline events of a block (in its receipts and its block hooks). */
function deadlineEvents(e: BlockEvent): AlertEvent[] {
  const fromReceipts = (e.receipts as any[]).flatMap((r) => (Array.isArray(r?.events) ? r.events : []));
  const all = [...fromReceipts, ...(Array.isArray(e.hook_events) ? e.hook_events : [])] as AlertEvent[];
  return all.filter((x) => x?.module === "labour" && DEADLINE_EVENTS.has(x.kind) && Array.isArray(x.attributes));
}

export function alertsSection(ctx: Ctx): HTMLElement {
  const now = h("div", {});
  const live = h("ul", { id: "live-alerts", "aria-live": "polite" });
  const section = h("section", { id: "alerts", "aria-labelledby": "alerts-h" }, h("h2", { id: "alerts-h" }, t("alerts.title")), now, h("h3", {}, t("alerts.live")), h("p", { class: "note" }, t("alerts.live_note")), live);
  void fill(now, async () => {
    const kept = await listContracts();
    if (!kept.length) return h("p", {}, t("contract.none"));
    const ids = new Map<string, string>();
    const today = todayKst();
    const rows: HTMLElement[] = [];
    for (const c of kept) {
      ids.set(c.contract, c.copy);
      const ledger = await ctx.reader.json<LedgerContract>(`labour/contracts/${c.contract}`);
      for (const d of ledger.value?.deadlines ?? []) {
        const state = deadlineState(d, today);
        const missed = state === "contract.deadline.missed";
        if (!missed && state !== "contract.deadline.near") continue;
        rows.push(h("li", { "data-alert": missed ? "missed" : "near" }, link(`#/wallet/contract/${encodeURIComponent(c.copy)}`, t("contract.title", { id: c.contract })), " — ", t(missed ? "alerts.missed" : "alerts.near", { kind: kindText(d.kind), due: d.due }), " ", mark(ledger)));
      }
    }
    void follow(ctx, ids, live);
    return rows.length ? h("ul", {}, ...rows) : h("p", {}, t("alerts.none"));
  });
  return section;
}

/** The deadline events of the kept contracts as blocks are finalized, until the page is left. */
async function follow(ctx: Ctx, ids: Map<string, string>, live: HTMLElement): Promise<void> {
  try {
    for await (const e of ctx.reader.client.events(ctx.signal)) {
      if (e.kind !== "block") continue;
      for (const ev of deadlineEvents(e)) {
        const attr = Object.fromEntries(ev.attributes);
        const copy = ids.get(attr.contract ?? "");
        if (copy === undefined) continue;
        const missed = ev.kind === "deadline_missed";
        live.prepend(h("li", { "data-alert": missed ? "missed" : "near", "data-live": "true" }, link(`#/wallet/contract/${encodeURIComponent(copy)}`, t("contract.title", { id: attr.contract! })), " — ", t(missed ? "alerts.missed" : "alerts.near", { kind: kindText(attr.deadline), due: attr.due ?? "?" }), " ", t("alerts.block", { h: e.height })));
      }
    }
  } catch (err) {
    if (!ctx.signal.aborted) live.prepend(h("li", { class: "error" }, t("error.load", { reason: (err as Error).message })));
  }
}
