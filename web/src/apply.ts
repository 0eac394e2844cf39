// Answering a program office from the wallet: the office's signed request is checked against
// the chain (its key, its registered policy; a request asking more than the policy allows is
// refused here, before anything is shown to anyone), the page shows exactly what would be
// disclosed and to whom and why, and only on the citizen's "Send" is one unused copy bound to
// the request and sent. Each answer is kept in the disclosure history with the office's
// decision receipt, whose leaf and anchoring are checked against the chain.

import {
  CredentialError,
  ReceiptError,
  WebCryptoP256Signer,
  answerJson,
  bindPresentation,
  checkDecisionReceipt,
  checkSignedRequest,
  fetchRequest,
  fetcherOf,
  sameJson,
  selectDisclosures,
  submitPresentation,
  type Selection,
  type VerifiedRequest,
} from "../../sdk-ts/src/index.js";
import { h, kv, mono } from "./dom.js";
import type { Ctx } from "./explorer.js";
import { statusLine } from "./status.js";
import { t, time } from "./i18n.js";
import { aboutPerson, addDisclosure, listCredentials, listDisclosures, markCopyUsed, putDisclosure, type Disclosure, type StoredCredential } from "./vault.js";

const people = aboutPerson;
const decisionText = (d: string) =>
  d === "eligible" ? t("decision.eligible") : d === "not_eligible" ? t("decision.not_eligible") : d === "manual_review" ? t("decision.manual_review") : d;
const why = (e: unknown) => (e instanceof CredentialError || e instanceof ReceiptError ? e.message : `${(e as Error).message}`);

export interface Planned {
  sel: Selection;
  cred: StoredCredential;
  copy: number;
}

/** For each credential query, a credential of the type with an unused copy, not expired; no copy picked twice. */
export function plan(req: VerifiedRequest, creds: StoredCredential[], nowSec: number): Planned[] {
  const picked = new Set<string>();
  return req.query.credentials.map((q) => {
    for (const cred of creds) {
      if (!q.meta.vct_values.includes(cred.vct) || nowSec >= cred.expiresAt) continue;
      const copy = cred.copies.findIndex((k, i) => !k.used && !picked.has(`${cred.id}/${i}`));
      if (copy < 0) continue;
      picked.add(`${cred.id}/${copy}`);
      return { sel: selectDisclosures(cred.copies[copy]!.sdJwt, q), cred, copy };
    }
    throw new CredentialError(t("apply.no_credential", { vct: q.meta.vct_values.join(", ") }));
  });
}

export function shownTable(claims: Record<string, unknown>): HTMLElement {
  const rows = Object.entries(people(claims)).map(([k, v]): [string, string] => [k, JSON.stringify(v)]);
  return kv(rows.length ? rows : [[t("apply.nothing"), ""]]);
}

/** The receipt line: the leaf always, the anchoring once the office anchored its batch. */
async function receiptLine(ctx: Ctx, receipt: unknown): Promise<HTMLElement> {
  try {
    const c = await checkDecisionReceipt(receipt, ctx.reader);
    if (c.anchored === null) return h("span", { class: "mark pending", "data-receipt": "leaf" }, t("apply.receipt_leaf", { seq: c.seq }));
    return h("span", { class: "mark ok", "data-receipt": "anchored" }, t("apply.receipt_anchored", { seq: c.seq, b: c.anchored.batch, h: c.anchored.height }));
  } catch (e) {
    return h("span", { class: "mark bad", "data-receipt": "bad" }, t("apply.receipt_bad", { why: why(e) }));
  }
}

export function applySection(ctx: Ctx, requestArg: string, changed: () => Promise<void>): HTMLElement {
  const out = h("div", { role: "status", "aria-live": "polite" });
  const link = h("textarea", { id: "request", rows: "2" }) as HTMLTextAreaElement;
  link.value = requestArg;
  const open = h("button", { type: "submit" }, t("apply.open")) as HTMLButtonElement;
  const form = h(
    "form",
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        open.disabled = true;
        out.replaceChildren(h("span", { class: "mark pending" }, t("apply.checking")));
        try {
          const now = Math.floor(Date.now() / 1000);
          const jwt = await fetchRequest(link.value, { signal: ctx.signal });
          const req = await checkSignedRequest(jwt, ctx.reader, now);
          const planned = plan(req, await listCredentials(), now);
          out.replaceChildren(consent(ctx, req, planned, out, changed));
        } catch (err) {
          out.replaceChildren(h("p", { class: "error", role: "alert", "data-refused": "true" }, t("apply.refused", { why: why(err) })));
        } finally {
          open.disabled = false;
        }
      },
    },
    h("label", { for: "request" }, t("apply.link")),
    link,
    open,
  );
  return h("section", { id: "apply", "aria-labelledby": "apply-h" }, h("h2", { id: "apply-h" }, t("apply.title")), form, out);
}

/** The disclosure screen: who asks, under which registered policy, and exactly what they would see. */
/** The disclosure history's record of answering `req` with `planned`, made before anything
 * is sent: the answer fills in the decision, or the refusal. */
export function disclosureRecord(req: VerifiedRequest, planned: Planned[]): Disclosure {
  return {
    atMs: Date.now(),
    verifier: req.clientId,
    policy: req.policy.id,
    purpose: req.policy.purpose,
    legalBasis: req.policy.legal_basis,
    retentionDays: req.policy.retention_days,
    program: req.program,
    credentials: planned.map((p) => ({ vct: p.cred.vct, issuer: p.cred.issuer, shown: people(p.sel.shown) })),
    receiptUrl: null,
    decision: null,
    receipt: null,
    checked: null,
  };
}

/** The `vp_token`: one presentation per planned credential, bound to `req` at `nowSec`. Each
 * copy is spent before it leaves: a copy shown once is never shown again, whatever the answer. */
export async function presentAll(req: VerifiedRequest, planned: Planned[], nowSec: number): Promise<Record<string, string[]>> {
  const vpToken: Record<string, string[]> = {};
  for (const p of planned) {
    const signer = await WebCryptoP256Signer.fromKeyPair(p.cred.copies[p.copy]!.keys);
    vpToken[p.sel.query.id] = [await bindPresentation(p.sel, signer, req, nowSec)];
    await markCopyUsed(p.cred.id!, p.copy);
  }
  return vpToken;
}

function consent(ctx: Ctx, req: VerifiedRequest, planned: Planned[], out: HTMLElement, changed: () => Promise<void>): HTMLElement {
  const send = h("button", { type: "button", id: "send" }, t("apply.send")) as HTMLButtonElement;
  // The status of the very copy each answer would send; a revoked or suspended one is not sent.
  const statuses = planned.map((p) => statusLine(ctx, p.cred, p.copy));
  const blocked = h("p", { class: "error", role: "alert", hidden: true }, t("apply.blocked"));
  void Promise.all(statuses.map((s) => s.settled)).then((all) => {
    if (all.some((s) => s === "revoked" || s === "suspended")) {
      send.disabled = true;
      blocked.hidden = false;
    }
  });
  const decline = h("button", { type: "button", id: "decline" }, t("apply.decline")) as HTMLButtonElement;
  decline.addEventListener("click", () => out.replaceChildren(h("p", { "data-declined": "true" }, t("apply.declined"))));
  send.addEventListener("click", async () => {
    send.disabled = decline.disabled = true;
    out.append(h("p", { class: "mark pending" }, t("apply.sending")));
    const now = Math.floor(Date.now() / 1000);
    const record = disclosureRecord(req, planned);
    try {
      const vpToken = await presentAll(req, planned, now);
      const answer = await submitPresentation(req, vpToken, { signal: ctx.signal });
      record.decision = answer.decision;
      record.receipt = answer.receipt;
      const seq = answer.receipt?.decision?.seq;
      const leaf = answer.receipt?.leaf;
      if (Number.isSafeInteger(seq) && typeof leaf === "string") record.receiptUrl = new URL(`receipts/${seq}?leaf=${leaf}`, req.responseUri).toString();
      await addDisclosure(record);
      out.replaceChildren(
        h("p", { class: "mark ok", "data-decision": answer.decision }, t("apply.decided", { decision: decisionText(answer.decision) })),
        h("p", {}, await receiptLine(ctx, answer.receipt)),
      );
    } catch (err) {
      record.refused = why(err);
      await addDisclosure(record).catch(() => undefined);
      out.replaceChildren(h("p", { class: "error", role: "alert" }, t("apply.not_accepted", { why: why(err) })));
    }
    await changed();
  });
  return h(
    "div",
    { class: "consent", "data-consent": "true" },
    h("h3", {}, t("apply.who")),
    kv([
      [t("apply.office"), mono(req.clientId)],
      [t("apply.purpose"), req.policy.purpose],
      [t("apply.legal_basis"), req.policy.legal_basis],
      [t("apply.policy"), h("span", {}, mono(req.policy.id), " ", h("span", { class: "mark ok", "data-verified": "true" }, t("apply.policy_checked", { h: req.height })))],
      [t("apply.retention"), t("apply.days", { n: req.policy.retention_days })],
      [t("apply.program"), req.program ?? "—"],
    ]),
    h("h3", {}, t("apply.what")),
    ...planned.map((p) =>
      h(
        "div",
        { class: "credential", "data-shown": JSON.stringify(people(p.sel.shown)) },
        h("strong", {}, p.cred.vct),
        " · ",
        mono(p.cred.issuer),
        " ",
        statuses[planned.indexOf(p)]!.el,
        shownTable(p.sel.shown),
      ),
    ),
    h("p", { class: "note" }, t("apply.also")),
    blocked,
    h("p", {}, send, " ", decline),
  );
}

/** The disclosure history (consent receipts), newest first, each receipt re-checkable on chain. */
export async function historySection(ctx: Ctx): Promise<HTMLElement[]> {
  const items = (await listDisclosures()).sort((a, b) => b.atMs - a.atMs);
  if (items.length === 0) return [h("h2", { id: "hist-h" }, t("history.title")), h("p", {}, t("history.none"))];
  return [
    h("h2", { id: "hist-h" }, t("history.title")),
    h(
      "ul",
      { class: "credentials" },
      ...items.map((d) => {
        const status = h("span", {});
        const check = h("button", { type: "button" }, t("history.check")) as HTMLButtonElement;
        check.addEventListener("click", async () => {
          check.disabled = true;
          try {
            let receipt = d.receipt;
            if (d.receiptUrl) {
              const fresh = await answerJson(await fetcherOf({ signal: ctx.signal })(d.receiptUrl), "the receipt");
              // Only the same decision may come back (now with its inclusion proof): the first
              // receipt is the citizen's evidence and is never replaced by another.
              const old = d.receipt as any;
              if (fresh?.leaf !== old?.leaf || fresh?.salt !== old?.salt || !sameJson(fresh?.decision, old?.decision)) {
                throw new ReceiptError("the office now serves another decision under this receipt");
              }
              receipt = fresh;
            }
            const c = await checkDecisionReceipt(receipt, ctx.reader);
            d.receipt = receipt;
            d.checked = { atMs: Date.now(), anchoredBatch: c.anchored?.batch ?? null, height: c.anchored?.height ?? null };
            await putDisclosure(d);
            status.replaceChildren(await receiptLine(ctx, d.receipt));
          } catch (e) {
            status.replaceChildren(h("span", { class: "mark bad", "data-receipt": "bad" }, t("apply.receipt_bad", { why: why(e) })));
          }
          check.disabled = false;
        });
        return h(
          "li",
          { class: "credential", "data-history": "true" },
          h("strong", {}, d.purpose),
          kv([
            [t("history.when"), time(d.atMs)],
            ...(d.facility ? [[t("history.facility"), h("span", { "data-facility": d.facility }, d.facility)] as [string, HTMLElement]] : []),
            [t("apply.office"), mono(d.verifier)],
            [t("apply.policy"), mono(d.policy)],
            [t("history.shown"), h("pre", {}, JSON.stringify(d.credentials.map((c) => ({ [c.vct]: c.shown })), null, 1))],
            [t("history.decision"), d.refused ? h("span", { class: "error" }, d.refused) : d.decision ? decisionText(d.decision) : "—"],
          ]),
          d.receipt ? h("p", {}, check, " ", status) : null,
        );
      }),
    ),
  ];
}
