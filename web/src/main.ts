// The pages' entry: language, navigation by the URL fragment, and the verified reader every
// page reads through.

import { Client } from "../../sdk-ts/src/index.js";
import { car, lookup } from "./cars.js";
import { h } from "./dom.js";
import { mileage } from "./mileage.js";
import { payments } from "./payments.js";
import { login } from "./login.js";
import * as explorer from "./explorer.js";
import { lang, setLang, t, type Key } from "./i18n.js";
import { operator } from "./operator.js";
import { connect, remember, type PinState } from "./pin.js";
import { evidence, registries } from "./registries.js";
import { poll, polls } from "./vote.js";
import * as trust from "./trust.js";
import { wallet } from "./wallet.js";

const NAV: [string, Key][] = [
  ["#/", "nav.explorer"],
  ["#/wallet", "nav.wallet"],
  ["#/vote", "nav.polls"],
  ["#/cars", "nav.cars"],
  ["#/mileage", "nav.mileage"],
  ["#/payments", "nav.payments"],
  ["#/registries", "nav.registries"],
  ["#/evidence", "nav.evidence"],
  ["#/trust", "nav.trust"],
  ["#/operator", "nav.operator"],
];

/** The page a listing site frames (`/embed`): one vehicle's history, no navigation. */
const embedded = document.body.hasAttribute("data-embed");

let state: PinState | undefined;
let leave = new AbortController();

function chrome(): void {
  document.documentElement.lang = lang;
  if (embedded) return;
  const nav = document.getElementById("nav")!;
  const here = location.hash || "#/";
  nav.replaceChildren(
    ...NAV.map(([href, key]) => {
      const current = href === "#/" ? here === "#/" || here === "" : here.startsWith(href);
      return h("a", { href, ...(current ? { "aria-current": "page" } : {}) }, t(key));
    }),
  );
  const button = document.getElementById("lang")!;
  button.textContent = t("lang.switch");
  button.setAttribute("aria-label", t("lang.label"));
  document.querySelector(".skip")!.textContent = t("skip");
}

async function route(): Promise<void> {
  leave.abort();
  leave = new AbortController();
  chrome();
  const main = document.getElementById("main")!;
  const footer = document.getElementById("trust")!;
  const parts = (location.hash.replace(/^#\/?/, "") || "").split("/");
  let arg = "";
  try {
    arg = decodeURIComponent(parts.slice(1).join("/"));
  } catch {
    main.replaceChildren(h("h1", {}, t("notfound")));
    return;
  }
  const page = parts[0] ?? "";
  if (embedded && page !== "car") {
    main.replaceChildren(h("h1", {}, t("notfound")));
    return;
  }
  // The operator page reads the node's own report, not the chain: no pin needed.
  if (page === "operator") return operator(main, leave.signal);
  try {
    state ??= await connect(new Client(location.origin));
  } catch (e) {
    main.replaceChildren(h("p", { class: "error", role: "alert" }, t("error.load", { reason: (e as Error).message })));
    return;
  }
  // A framed history names its proof on every value; the trust page is the city's own.
  if (!embedded) trust.banner(footer, state);
  if (!state.ok) {
    // A framed page offers no decision a framing site could trick a visitor into.
    if (embedded) return void main.replaceChildren(h("p", { class: "error", role: "alert" }, t("cars.embed_pin")));
    return trust.changed(main, state);
  }
  const ctx = { reader: state.reader, status: state.status, signal: leave.signal };
  await show(main, ctx, page, arg, state);
  remember(state);
}

async function show(main: HTMLElement, ctx: explorer.Ctx, page: string, arg: string, state: PinState): Promise<void> {
  if (page === "") return explorer.home(main, ctx);
  if (page === "block" && /^\d+$/.test(arg)) return explorer.block(main, ctx, Number(arg));
  if (page === "tx" && /^[0-9a-f]{64}$/.test(arg)) return explorer.tx(main, ctx, arg);
  if (page === "account" && /^dj[0-9a-f]{40}$/.test(arg)) return explorer.account(main, ctx, arg);
  if (page === "state" && arg) return explorer.state(main, ctx, arg);
  if (page === "registries") return registries(main, ctx);
  if (page === "evidence") return evidence(main, ctx);
  if (page === "trust") return trust.page(main, state);
  if (page === "vote") return arg ? poll(main, ctx, arg) : polls(main, ctx);
  if (page === "cars") return lookup(main);
  if (page === "car") return car(main, ctx, arg, embedded);
  if (page === "mileage") return mileage(main, ctx, arg);
  if (page === "payments") return payments(main, ctx, arg);
  if (page === "login") return login(main, ctx, arg);
  if (page === "wallet") {
    const after = (prefix: string) => (arg.startsWith(prefix) ? arg.slice(prefix.length) : "");
    return wallet(main, ctx, after("offer/"), after("request/"), after("contract/"));
  }
  main.replaceChildren(h("h1", {}, t("notfound")));
}

// The skip link moves focus without touching the fragment, which is the page's address.
document.querySelector(".skip")?.addEventListener("click", (e) => {
  e.preventDefault();
  document.getElementById("main")!.focus();
});
document.getElementById("lang")?.addEventListener("click", () => {
  setLang(lang === "ko" ? "en" : "ko");
  void route();
});
window.addEventListener("hashchange", () => void route());
void route();
