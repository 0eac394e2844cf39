// The citizen's wallet page: credentials kept in this browser (keys non-extractable), and
// receiving one over OpenID4VCI from an agency's offer link and PIN. Nothing is kept that does
// not check against the chain: the issuer's key, accreditation and type are read with proofs.

import { CredentialError, WebCryptoP256Signer, receiveCredential, type Signer } from "../../sdk-ts/src/index.js";
import { applySection, historySection } from "./apply.js";
import { alertsSection } from "./alerts.js";
import { contractsSection } from "./contract.js";
import { statusLine } from "./status.js";
import { fill, h, kv, mono } from "./dom.js";
import type { Ctx } from "./explorer.js";
import { t, time } from "./i18n.js";
import { aboutPerson, listCredentials, newKeyPair, probeStorage, saveCredential, type StoredCredential } from "./vault.js";

function credentialCard(ctx: Ctx, c: StoredCredential): HTMLElement {
  const what = aboutPerson(c.claims);
  const unused = c.copies.filter((k) => !k.used).length;
  return h(
    "li",
    { class: "credential" },
    h("strong", {}, c.vct),
    kv([
      [t("wallet.issuer"), mono(c.issuer)],
      [t("wallet.received"), time(c.receivedAtMs)],
      [t("wallet.copies"), t("wallet.copies_value", { n: unused, total: c.copies.length })],
      [t("wallet.checked"), t("wallet.checked_value", { h: c.checkedAtHeight })],
      [t("status.title"), statusLine(ctx, c).el],
      [t("wallet.expires"), Date.now() / 1000 >= c.expiresAt ? h("span", { class: "error" }, t("wallet.expired", { at: time(c.expiresAt * 1000) })) : time(c.expiresAt * 1000)],
    ]),
    h("details", {}, h("summary", {}, t("wallet.claims")), h("pre", {}, JSON.stringify(what, null, 2))),
  );
}

export async function wallet(main: HTMLElement, ctx: Ctx, offerArg: string, requestArg = "", contractArg = ""): Promise<void> {
  const list = h("section", { id: "credentials", "aria-labelledby": "cred-h" });
  const result = h("div", { role: "status", "aria-live": "polite" });
  const offer = h("textarea", { id: "offer", rows: "3" }) as HTMLTextAreaElement;
  offer.value = offerArg;
  const pin = h("input", { id: "pin", inputmode: "numeric", autocomplete: "one-time-code" }) as HTMLInputElement;
  const button = h("button", { type: "submit" }, t("wallet.receive")) as HTMLButtonElement;
  const form = h(
    "form",
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        button.disabled = true;
        result.replaceChildren(h("span", { class: "mark pending" }, t("wallet.receiving")));
        try {
          // The offer's code works once: make sure the credential can be kept before using it.
          await probeStorage();
          const pairs: CryptoKeyPair[] = [];
          const newKey = async (): Promise<Signer> => {
            const pair = await newKeyPair();
            pairs.push(pair);
            return WebCryptoP256Signer.fromKeyPair(pair);
          };
          const got = await receiveCredential(offer.value, { pin: pin.value.trim() || undefined, copies: 3, newKey, reader: ctx.reader, signal: ctx.signal });
          const first = got.copies[0]!.issued;
          await saveCredential({
            vct: got.vct,
            issuer: got.issuer,
            receivedAtMs: Date.now(),
            checkedAtHeight: Math.min(...got.copies.map((c) => c.issued.height)),
            expiresAt: Math.min(...got.copies.map((c) => c.issued.expiresAt)),
            claims: first.claims,
            copies: got.copies.map((c, i) => ({ sdJwt: c.sdJwt, keys: pairs[i]!, used: false })),
          });
          result.replaceChildren(h("p", { class: "mark ok", "data-received": "true" }, t("wallet.received_ok", { vct: got.vct, issuer: got.issuer, n: got.copies.length, h: first.height })));
          offer.value = "";
          pin.value = "";
          await showList();
        } catch (err) {
          const why = err instanceof CredentialError ? err.message : `${(err as Error).message}`;
          result.replaceChildren(h("p", { class: "error", role: "alert" }, t("wallet.refused", { why })));
        } finally {
          button.disabled = false;
        }
      },
    },
    h("label", { for: "offer" }, t("wallet.offer")),
    offer,
    h("label", { for: "pin" }, t("wallet.pin")),
    pin,
    button,
  );
  const showList = () =>
    fill(list, async () => {
      const creds = await listCredentials();
      return [h("h2", { id: "cred-h" }, t("wallet.list")), creds.length ? h("ul", { class: "credentials" }, ...creds.map((c) => credentialCard(ctx, c))) : h("p", {}, t("wallet.none"))];
    });
  const history = h("section", { id: "history", "aria-labelledby": "hist-h" });
  const showHistory = () => fill(history, () => historySection(ctx));
  const apply = applySection(ctx, requestArg, async () => {
    await showList();
    await showHistory();
  });
  main.replaceChildren(
    h("h1", {}, t("nav.wallet")),
    h("p", { class: "note" }, t("wallet.explain")),
    list,
    apply,
    contractsSection(ctx, contractArg),
    alertsSection(ctx),
    history,
    h("section", { id: "receive", "aria-labelledby": "recv-h" }, h("h2", { id: "recv-h" }, t("wallet.receive_title")), form, result),
  );
  await Promise.all([showList(), showHistory()]);
}
