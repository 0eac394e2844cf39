// The operator page: the node's own report (`GET /v1/node`), refreshed every two seconds,
// for the holder of the node's admin token (`admin.token` in its home). The token stays in
// this tab only (session storage) and goes nowhere but this node.

import { h, kv, list, mono } from "./dom.js";
import { t, time } from "./i18n.js";

const TOKEN = "dojang.admin-token";
const REFRESH_MS = 2000;

async function report(token: string): Promise<any> {
  const res = await fetch("/v1/node", { headers: { authorization: `Bearer ${token}` } });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body?.detail ?? `HTTP ${res.status}`);
  return body;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function render(r: any): HTMLElement[] {
  const healthy = r.latest_block_age_ms < 10_000 && !r.catching_up;
  return [
    h("section", { id: "health" },
      h("h2", {}, t("op.health")),
      h("p", { class: healthy ? "mark ok" : "mark bad", role: "status" }, healthy ? t("op.healthy", { ms: r.latest_block_age_ms }) : t("op.stale", { ms: r.latest_block_age_ms })),
      kv([
        [t("chain.id"), mono(r.chain_id)],
        [t("chain.height"), String(r.height)],
        [t("op.version"), `${r.version} (${r.commit})`],
        [t("op.catching_up"), r.catching_up ? t("op.yes_target", { h: r.catch_up_target }) : t("op.no")],
        [t("op.mempool"), `${r.mempool.size} / ${r.mempool.capacity}`],
        [t("op.refused"), Object.entries(r.mempool.refused ?? {}).map(([k, n]) => `${k}: ${n}`).join(", ") || "—"],
        [t("op.latency"), `${r.commit_latency_ms} ms`],
        [t("op.tps"), String(Number(r.tx_per_second).toFixed(1))],
        [t("op.disk"), `${mb(r.store.bytes)} · ${mono(r.store.path).textContent}`],
        [t("op.fsync"), t("op.fsync_value", { last: Number(r.store.last_commit_ms).toFixed(1), mean: Number(r.store.mean_commit_ms).toFixed(1), max: Number(r.store.max_commit_ms).toFixed(1) })],
        [t("op.rounds"), t("op.rounds_value", { started: r.consensus.rounds_started, changes: r.consensus.round_changes, decided: r.consensus.heights_decided })],
      ]),
    ),
    h("section", { id: "op-validators" },
      h("h2", {}, t("validators.title")),
      list([t("validators.name"), t("validators.address"), t("validators.power"), t("op.last_vote")],
        r.validators.map((v: any) => [v.name, mono(v.address), v.power, v.last_vote_height ?? "—"])),
    ),
    h("section", { id: "op-peers" },
      h("h2", {}, t("op.peers", { n: r.peers.length })),
      r.peers.length ? list([t("op.moniker"), t("op.address"), t("op.validator")], r.peers.map((p: any) => [p.moniker, mono(p.address), p.validator ? mono(p.validator) : "—"])) : h("p", {}, t("op.no_peers")),
    ),
    h("section", { id: "op-warnings" },
      h("h2", {}, t("op.warnings", { w: r.warnings_total, e: r.errors_total })),
      r.recent_warnings.length
        ? list([t("block.time"), t("op.level"), t("op.message")], [...r.recent_warnings].reverse().map((w: any) => [time(w.time_ms), w.level, mono(`${w.target}: ${w.message}`)]))
        : h("p", {}, t("op.no_warnings")),
    ),
  ];
}

export function operator(main: HTMLElement, signal: AbortSignal): void {
  const body = h("div", { "aria-live": "polite" });
  const input = h("input", { id: "token", type: "password", autocomplete: "off" }) as HTMLInputElement;
  const form = h("form", {
    class: "search",
    onsubmit: (e: Event) => {
      e.preventDefault();
      sessionStorage.setItem(TOKEN, input.value.trim());
      void refresh();
    },
  }, h("label", { for: "token" }, t("op.token")), input, h("button", { type: "submit" }, t("op.open")));
  main.replaceChildren(h("h1", {}, t("nav.operator")), h("p", { class: "note" }, t("op.explain")), form, body);

  let timer: number | undefined;
  async function refresh(): Promise<void> {
    window.clearTimeout(timer);
    const token = sessionStorage.getItem(TOKEN);
    if (!token || signal.aborted) return;
    try {
      body.replaceChildren(...render(await report(token)));
      form.hidden = true;
    } catch (e) {
      form.hidden = false;
      body.replaceChildren(h("p", { class: "error", role: "alert" }, t("error.load", { reason: (e as Error).message })));
      return;
    }
    timer = window.setTimeout(() => void refresh(), REFRESH_MS);
  }
  signal.addEventListener("abort", () => window.clearTimeout(timer));
  void refresh();
}
