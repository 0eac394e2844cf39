// A held credential's status, shown where the citizen looks at it: checked against the
// issuer's published list, which must be the one the issuer anchored on chain.

import { checkStatus } from "../../sdk-ts/src/index.js";
import { h } from "./dom.js";
import type { Ctx } from "./explorer.js";
import { t } from "./i18n.js";
import type { StoredCredential } from "./vault.js";

/** The credential's status, checked against the issuer's list and its anchor on chain. */
export function statusLine(ctx: Ctx, c: StoredCredential): HTMLElement {
  const el = h("span", { class: "mark pending", "data-status": "pending" }, t("status.checking"));
  const sdJwt = c.copies[0]?.sdJwt;
  if (!sdJwt) return el;
  checkStatus(sdJwt, ctx.reader, { signal: ctx.signal }).then(
    (s) => {
      el.className = s.status === "valid" ? "mark ok" : "mark bad";
      el.dataset.status = s.status;
      const what = s.status === "valid" ? t("status.valid") : s.status === "revoked" ? t("status.revoked") : s.status === "suspended" ? t("status.suspended") : s.status;
      el.textContent = t("status.line", { what, v: s.version, h: s.height });
    },
    (e) => {
      el.className = "mark bad";
      el.dataset.status = "unknown";
      el.textContent = t("status.unknown", { why: (e as Error).message });
    },
  );
  return el;
}

