// What the page trusts, and changing it: the pinned set's hash to compare with the city's
// published one, and pinning from a genesis file.

import { validatorsHash } from "../../sdk-ts/src/index.js";
import { h, mono } from "./dom.js";
import { t, time } from "./i18n.js";
import { forget, pinGenesis, type PinState } from "./pin.js";

export function banner(footer: HTMLElement, state: PinState): void {
  const hash = validatorsHash(state.pin.validators);
  const source = t(state.pin.source === "genesis" ? "trust.source.genesis" : "trust.source.first");
  footer.replaceChildren(
    h("span", {}, t("trust.pinned", { hash: hash.slice(0, 16) + "…", chain: state.pin.chainId, source, date: time(state.pin.pinnedAtMs) }), " "),
    h("a", { href: "#/trust" }, t("nav.trust")),
  );
}

/** Shown instead of any page while the node serves a chain other than the pinned one. */
export function changed(main: HTMLElement, state: PinState): void {
  main.replaceChildren(
    h("h1", {}, t("trust.title")),
    h("p", { class: "error", role: "alert" }, t("trust.changed", { chain: state.status.chain_id, genesis: String(state.status.genesis_hash).slice(0, 16) + "…", pinned: state.pin.genesisHash.slice(0, 16) + "…" })),
    h("button", { type: "button", class: "secondary", onclick: () => (forget(), location.reload()) }, t("trust.repin")),
    pinForm(state),
  );
}

function pinForm(state: PinState): HTMLElement {
  const area = h("textarea", { id: "genesis", rows: "8", cols: "60" }) as HTMLTextAreaElement;
  const out = h("p", { role: "status" });
  return h(
    "form",
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        try {
          const genesis = JSON.parse(area.value);
          if (genesis?.chain_id !== state.status.chain_id) throw new Error(`the genesis is of chain '${genesis?.chain_id}', this node serves '${state.status.chain_id}'`);
          pinGenesis(area.value, String(state.status.genesis_hash));
          out.textContent = t("trust.pinned_ok");
          location.reload();
        } catch (err) {
          out.textContent = (err as Error).message;
          out.className = "error";
        }
      },
    },
    h("label", { for: "genesis" }, t("trust.paste")),
    h("br"),
    area,
    h("br"),
    h("button", { type: "submit" }, t("trust.pin")),
    out,
  );
}

export function page(main: HTMLElement, state: PinState): void {
  main.replaceChildren(
    h("h1", {}, t("trust.title")),
    h("p", {}, t("trust.explain")),
    h("p", {}, mono(validatorsHash(state.pin.validators))),
    h("ul", {}, ...state.pin.validators.map((v) => h("li", {}, `${v.name} · `, mono(v.address), ` · ${v.power}`))),
    h("section", {}, pinForm(state)),
  );
}
