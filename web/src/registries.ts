// The registries anyone may read: organisations, credential types, verification policies and
// programs. The node's key index says what exists; each entry is read with its own proof.

import { fill, h, list, mark, mono } from "./dom.js";
import type { Ctx } from "./explorer.js";
import { t, type Key } from "./i18n.js";

const SHOWN = 50;

const REGISTRIES: { title: Key; prefix: string; summary: (v: any) => string }[] = [
  { title: "registries.orgs", prefix: "identity/orgs/", summary: (v) => v?.name ?? v?.label ?? "" },
  { title: "registries.types", prefix: "identity/types/", summary: (v) => v?.name ?? v?.description ?? "" },
  { title: "registries.policies", prefix: "identity/policies/", summary: (v) => v?.verifier ?? v?.purpose ?? "" },
  { title: "registries.programs", prefix: "eligibility/programs/", summary: (v) => v?.name ?? v?.office ?? "" },
];

export async function registries(main: HTMLElement, ctx: Ctx): Promise<void> {
  const sections = REGISTRIES.map(() => h("section", {}));
  main.replaceChildren(h("h1", {}, t("registries.title")), h("p", { class: "note" }, t("registries.index")), ...sections);
  const counts: number[] = [];
  await Promise.all(
    REGISTRIES.map((r, i) =>
      fill(sections[i]!, async () => {
        const index = await ctx.reader.client.stateKeys(r.prefix, { limit: SHOWN });
        const keys = index.keys.map((k) => k.key).filter((k): k is string => k !== null);
        const rows = await Promise.all(
          keys.map(async (key) => {
            const cell = h("td", {}, mark(null));
            const details = h("td", {});
            void ctx.reader.json<any>(key).then(
              (v) => {
                cell.replaceChildren(mark(v));
                details.replaceChildren(String(r.summary(v.value)), h("details", {}, h("summary", {}, "JSON"), h("pre", {}, JSON.stringify(v.value, null, 2))));
              },
              (e) => cell.replaceChildren(mark(e as Error)),
            );
            return h("tr", {}, h("td", {}, mono(key.slice(r.prefix.length))), details, cell);
          }),
        );
        counts.push(keys.length);
        return [
          h("h2", {}, t(r.title)),
          rows.length ? h("table", { class: "list" }, h("tbody", {}, ...rows)) : h("p", {}, t("registries.empty")),
          index.next_after ? h("p", { class: "note" }, t("registries.more", { n: SHOWN })) : null,
        ];
      }),
    ),
  );
  if (counts.length === REGISTRIES.length && counts.every((n) => n === 0)) main.append(h("p", { class: "note" }, t("registries.hint")));
}

export async function evidence(main: HTMLElement, ctx: Ctx): Promise<void> {
  const body = h("section", {});
  main.replaceChildren(h("h1", {}, t("evidence.title")), h("p", { class: "note" }, t("evidence.note")), body);
  await fill(body, async () => {
    const v = await ctx.reader.client.get("/v1/evidence?limit=50");
    const items = (Array.isArray(v.evidence) ? v.evidence : []) as any[];
    if (!items.length) return h("p", {}, t("evidence.none"));
    return list(["#", "JSON"], items.map((e, i) => [i + 1, h("pre", {}, JSON.stringify(e, null, 2))]));
  });
}

