// Logging in to a city facility from the wallet (AUTH-03..07): the login service's signed
// request is checked against the chain (its key and policy, and the facility's registration by
// the council; a request beyond either is refused here, before anything is shown), the page
// shows the facility, what it will learn, and any document to sign, and only on the citizen's
// "Log in" is one unused copy bound to the request (signing the documents' hashes) and sent.
// The answer is kept in the disclosure history under the facility's name (AUTH-06), and the
// browser goes back to the facility.

import {
  CredentialError,
  LoginRefused,
  WebCryptoP256Signer,
  bindPresentation,
  checkLoginRequest,
  checkSignedRequest,
  fetchRequest,
  submitLogin,
  type LoginRequest,
  type VerifiedRequest,
} from "../../sdk-ts/src/index.js";
import { disclosureRecord, plan, shownTable, type Planned } from "./apply.js";
import { h, kv, mono } from "./dom.js";
import type { Ctx } from "./explorer.js";
import { t } from "./i18n.js";
import { addDisclosure, listCredentials, markCopyUsed } from "./vault.js";

const why = (e: unknown) => (e instanceof CredentialError ? e.message : `${(e as Error).message}`);

export async function login(main: HTMLElement, ctx: Ctx, requestArg: string): Promise<void> {
  const out = h("div", { role: "status", "aria-live": "polite" });
  const link = h("textarea", { id: "login-request", rows: "2" }) as HTMLTextAreaElement;
  link.value = requestArg;
  const open = h("button", { type: "submit" }, t("login.open")) as HTMLButtonElement;
  const check = async () => {
    open.disabled = true;
    out.replaceChildren(h("span", { class: "mark pending" }, t("apply.checking")));
    try {
      const now = Math.floor(Date.now() / 1000);
      const jwt = await fetchRequest(link.value, { signal: ctx.signal });
      const req = await checkSignedRequest(jwt, ctx.reader, now);
      const lr = await checkLoginRequest(req, ctx.reader);
      const planned = plan(req, await listCredentials(), now);
      out.replaceChildren(consent(ctx, req, lr, planned, out));
    } catch (err) {
      out.replaceChildren(h("p", { class: "error", role: "alert", "data-refused": "true" }, t("apply.refused", { why: why(err) })));
    } finally {
      open.disabled = false;
    }
  };
  const form = h("form", { onsubmit: (e: Event) => (e.preventDefault(), void check()) }, h("label", { for: "login-request" }, t("login.link")), link, open);
  main.replaceChildren(h("h1", {}, t("login.title")), h("p", { class: "note" }, t("login.explain")), form, out);
  if (requestArg) await check();
}

function consent(ctx: Ctx, req: VerifiedRequest, lr: LoginRequest, planned: Planned[], out: HTMLElement): HTMLElement {
  const send = h("button", { type: "button", id: "login-send" }, t("login.send")) as HTMLButtonElement;
  const decline = h("button", { type: "button", id: "decline" }, t("apply.decline")) as HTMLButtonElement;
  decline.addEventListener("click", () => out.replaceChildren(h("p", { "data-declined": "true" }, t("apply.declined"))));
  send.addEventListener("click", async () => {
    send.disabled = decline.disabled = true;
    const now = Math.floor(Date.now() / 1000);
    const record = { ...disclosureRecord(req, planned), facility: lr.facility.name };
    try {
      const vpToken: Record<string, string[]> = {};
      for (const p of planned) {
        const signer = await WebCryptoP256Signer.fromKeyPair(p.cred.copies[p.copy]!.keys);
        const signs = lr.transactionData.filter((_, i) => lr.documents[i]!.credentialIds.includes(p.sel.query.id));
        vpToken[p.sel.query.id] = [await bindPresentation(p.sel, signer, req, now, signs)];
        await markCopyUsed(p.cred.id!, p.copy);
      }
      const back = await submitLogin(req, lr, vpToken, { signal: ctx.signal });
      record.decision = "logged_in";
      await addDisclosure(record);
      out.replaceChildren(
        h("p", { class: "mark ok", "data-logged-in": "true" }, t("login.done")),
        h("p", {}, h("a", { href: back, id: "login-continue" }, t("login.continue"))),
      );
      location.assign(back);
    } catch (err) {
      record.refused = why(err);
      await addDisclosure(record).catch(() => undefined);
      const back = err instanceof LoginRefused && err.back ? h("p", {}, h("a", { href: err.back, id: "login-back" }, t("login.back"))) : null;
      out.replaceChildren(h("p", { class: "error", role: "alert", "data-login-refused": "true" }, t("login.refused", { why: why(err) })), back ?? "");
    }
  });
  const f = lr.facility;
  return h(
    "div",
    { class: "consent", "data-consent": "login", "data-facility": f.id },
    h("h2", {}, f.name),
    kv([
      [t("login.facility"), h("span", {}, f.name, " ", h("span", { class: "mark ok", "data-verified": "true" }, t("login.registered", { h: lr.height })))],
      [t("login.through"), mono(req.clientId)],
      [t("apply.purpose"), req.policy.purpose],
      [t("apply.legal_basis"), req.policy.legal_basis],
      [t("apply.policy"), mono(req.policy.id)],
    ]),
    lr.onBehalf ? h("p", { class: "note", "data-on-behalf": "true" }, t("login.on_behalf")) : "",
    ...lr.documents.map((d) =>
      h(
        "div",
        { class: "credential", "data-document": d.documentHash },
        h("h3", {}, t("login.sign_title")),
        kv([
          ["", h("strong", {}, d.title)],
          [t("login.hash"), mono(d.documentHash)],
        ]),
        h("p", { class: "note" }, t("login.sign_note")),
      ),
    ),
    h("h3", {}, t("login.what")),
    ...planned.map((p) => h("div", { class: "credential", "data-shown": JSON.stringify(p.sel.shown) }, h("strong", {}, p.cred.vct), " · ", mono(p.cred.issuer), shownTable(p.sel.shown))),
    h("p", { class: "note" }, t("login.pairwise")),
    h("p", {}, send, " ", decline),
  );
}
