// A held credential's status, shown where the citizen looks at it: checked against the
// issuer's published list, which must be the one the issuer anchored on chain.

import { checkStatus } from "../../sdk-ts/src/index.js";
import { h } from "./dom.js";
import type { Ctx } from "./explorer.js";
import { t } from "./i18n.js";
import type { StoredCredential } from "./vault.js";

/**
 * The status of one copy (each copy has its own entry in the issuer's list): by default the
 * copy an answer would use next. `settled` resolves with the status once known.
 */
export function statusLine(ctx: Ctx, c: StoredCredential, copy = Math.max(0, c.copies.findIndex((k) => !k.used))): { el: HTMLElement; settled: Promise<string> } {
  const el = h("span", { class: "mark pending", "data-status": "pending" }, t("status.checking"));
  const sdJwt = c.copies[copy]?.sdJwt;
  const settle = (status: string, text: string, ok: boolean) => {
    el.className = ok ? "mark ok" : "mark bad";
    el.dataset.status = status;
    el.textContent = text;
    return status;
  };
  if (!sdJwt) return { el, settled: Promise.resolve(settle("unknown", t("status.unknown", { why: t("status.no_copy") }), false)) };
  const settled = checkStatus(sdJwt, ctx.reader, { signal: ctx.signal }).then(
    (s) => {
      const what = s.status === "valid" ? t("status.valid") : s.status === "revoked" ? t("status.revoked") : s.status === "suspended" ? t("status.suspended") : s.status;
      return settle(s.status, t("status.line", { what, v: s.version, h: s.height }), s.status === "valid");
    },
    (e) => settle("unknown", t("status.unknown", { why: (e as Error).message }), false),
  );
  return { el, settled };
}
