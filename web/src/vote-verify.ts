// The verifier's page (VOTE-07..10): on a poll's page, anyone recomputes the poll in their own
// browser with the SDK's verifier (sdk-ts/src/poll-verify.ts), which trusts only the pinned
// validators, and sees the report: what matched, and each problem by name.

import { verifyPoll, type PollReport } from "../../sdk-ts/src/index.js";
import { h, kv } from "./dom.js";
import type { Ctx } from "./explorer.js";
import { t } from "./i18n.js";

function verdict(ok: boolean): string {
  return t(ok ? "verify.equal" : "verify.differ");
}

function report(r: PollReport): HTMLElement[] {
  const result =
    r.resultMatches === null ? t("verify.result_none") : r.resultMatches ? t("verify.result_equal") : t("verify.result_differs");
  const rows = kv([
    [t("verify.key"), t("verify.key_value", { d: r.dealings, s: r.dealingsStanding, verdict: verdict(r.keyMatches) })],
    [t("verify.ballots"), h("span", { "data-ballots": String(r.ballotsVerified) }, t("verify.ballots_value", { on: r.ballotsOnBoard, ok: r.ballotsVerified }))],
    [t("verify.counts"), t("verify.counts_value", { voters: r.votersCounted, issued: r.credentialsIssued, eligible: r.eligible })],
    [t("verify.totals"), verdict(r.totalsMatch)],
    [t("verify.shares"), t("verify.shares_value", { posted: r.sharesPosted, valid: r.sharesValid })],
    [t("verify.result"), h("span", { "data-recomputed": JSON.stringify(r.recomputed) }, result)],
    [t("verify.proven"), t("verify.proven_value", { h: r.provenAt, b: r.blocksChecked })],
  ]);
  const ok = r.problems.length === 0;
  const outcome = ok
    ? h("p", { class: "mark ok", "data-verify": "ok" }, t("verify.ok"))
    : h(
        "div",
        { "data-verify": "problems", role: "alert" },
        h("p", { class: "error" }, t("verify.problems", { n: r.problems.length })),
        h("ul", {}, ...r.problems.map((p) => h("li", { class: "problem" }, p))),
      );
  return [rows, outcome];
}

/** The section on a poll's page: a button, then progress, then the report. */
export function verifierSection(ctx: Ctx, poll: string): HTMLElement {
  const out = h("div", { role: "status", "aria-live": "polite" });
  const start = h("button", { type: "button", id: "verify", class: "secondary" }, t("verify.start")) as HTMLButtonElement;
  start.addEventListener("click", async () => {
    start.disabled = true;
    out.replaceChildren(h("p", {}, t("verify.reading")));
    try {
      const r = await verifyPoll(ctx.reader, poll, {
        onProgress: (done, total) => out.replaceChildren(h("p", {}, t("verify.progress", { done, total }))),
        onCheck: (done, total) => out.replaceChildren(h("p", {}, t("verify.checking", { done, total }))),
      });
      out.replaceChildren(...report(r));
    } catch (e) {
      out.replaceChildren(h("p", { class: "error", role: "alert", "data-verify": "failed" }, t("verify.failed", { why: (e as Error).message })));
    } finally {
      start.disabled = false;
    }
  });
  return h("section", { "aria-labelledby": "verify-h" }, h("h2", { id: "verify-h" }, t("verify.title")), h("p", { class: "note" }, t("verify.note")), start, out);
}
