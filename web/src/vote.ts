// The polls' public pages (docs/modules/voting.md): every poll on the chain, and one poll with
// its rules, its live turnout, its result once the trustees have published it (VOTE-06), and
// a voter's search for their ballot by its tracking code (VOTE-08). Everything shown is read
// with its proof against the pinned validators; nothing here can show how anyone voted.

import { fill, h, kv, mark, mono } from "./dom.js";
import type { Ctx } from "./explorer.js";
import { isKey, t, time } from "./i18n.js";
import { verifierSection } from "./vote-verify.js";
import { votingSection } from "./vote-wallet.js";

const SHOWN = 50;
const POLL_ID = /^[a-z0-9-]{3,64}$/;
const CODE = /^[0-9a-f]{64}$/;

interface PollRecord {
  spec: {
    kind: string;
    title: string;
    questions: { text: string; options: string[]; min: number; max: number }[];
    eligibility: { district: string; min_months_resident?: number; min_age?: number; policy: string };
    opens_ms: number;
    closes_ms: number;
    results_from_ms?: number | null;
    revote: string;
    trustees: unknown[];
    threshold: number;
    eligible: number;
    registrar_key: string;
  };
  status: string;
  key?: string | null;
  result?: number[][] | null;
  failure?: string | null;
}

interface TallyRecord {
  voters: number;
  ballots: number;
  issued: number;
}

/** A text key chosen by a value from the chain, or the value itself when it is not one we know. */
function named(prefix: string, value: string): string {
  const key = `${prefix}.${value}`;
  return isKey(key) ? t(key) : value;
}

export async function polls(main: HTMLElement, ctx: Ctx): Promise<void> {
  const body = h("section", {});
  main.replaceChildren(h("h1", {}, t("vote.title")), h("p", { class: "note" }, t("vote.note")), body);
  await fill(body, async () => {
    const prefix = "voting/polls/";
    const index = await ctx.reader.client.stateKeys(prefix, { limit: SHOWN });
    const ids = index.keys.map((k) => k.key?.slice(prefix.length)).filter((k): k is string => !!k && POLL_ID.test(k));
    if (!ids.length) return h("p", {}, t("vote.none"));
    const rows = ids.map((id) => {
      const title = h("td", {});
      const status = h("td", {});
      const cell = h("td", {}, mark(null));
      void ctx.reader.json<PollRecord>(`${prefix}${id}`).then(
        (v) => {
          title.replaceChildren(v.value?.spec.title ?? "");
          status.replaceChildren(named("vote.status", v.value?.status ?? ""));
          cell.replaceChildren(mark(v));
        },
        (e) => cell.replaceChildren(mark(e as Error)),
      );
      return h("tr", {}, h("td", {}, h("a", { href: `#/vote/${id}` }, mono(id))), title, status, cell);
    });
    return h("table", { class: "list" }, h("tbody", {}, ...rows));
  });
}

function rules(p: PollRecord): HTMLElement {
  const s = p.spec;
  const e = s.eligibility;
  return kv([
    [t("vote.kind"), named("vote.kind", s.kind)],
    [t("vote.window"), t("vote.window_value", { from: time(s.opens_ms), to: time(s.closes_ms) })],
    [t("vote.results_from"), time(s.results_from_ms ?? s.closes_ms)],
    [t("vote.who"), t("vote.who_value", { district: e.district, m: e.min_months_resident ?? 0, a: e.min_age ?? 0 })],
    [t("vote.policy"), mono(e.policy)],
    [t("vote.trustees"), t("vote.trustees_value", { k: s.threshold, n: s.trustees.length })],
    [t("vote.revote"), named("vote.revote", s.revote)],
  ]);
}

function questions(p: PollRecord): HTMLElement[] {
  const shown = p.status === "tallied" && Array.isArray(p.result);
  return p.spec.questions.map((q, i) =>
    h(
      "section",
      { class: "question" },
      h("h3", {}, t("vote.question", { n: i + 1, text: q.text })),
      h("p", { class: "note" }, t("vote.choose", { min: q.min, max: q.max })),
      h(
        "ol",
        {},
        ...q.options.map((o, j) => {
          const n = shown ? p.result?.[i]?.[j] : undefined;
          return h("li", {}, o, n === undefined ? null : h("strong", { "data-count": String(n) }, ` ${t("vote.count", { n })}`));
        }),
      ),
    ),
  );
}

function finder(ctx: Ctx, id: string): HTMLElement {
  const out = h("div", { role: "status", "aria-live": "polite" });
  const code = h("input", { id: "code", autocomplete: "off", spellcheck: "false" }) as HTMLInputElement;
  const form = h(
    "form",
    {
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        const c = code.value.trim().toLowerCase();
        if (!CODE.test(c)) {
          out.replaceChildren(h("p", { class: "error", role: "alert" }, t("vote.bad_code")));
          return;
        }
        await fill(out, async () => {
          const v = await ctx.reader.json<{ height: number; replaced?: boolean }>(`voting/board/${id}/${c}`);
          if (v.value === null) return [h("p", { "data-found": "false" }, t("vote.not_found")), mark(v)];
          const text = v.value.replaced ? t("vote.found_replaced", { h: v.value.height }) : t("vote.found", { h: v.value.height });
          return [h("p", { class: "mark ok", "data-found": "true" }, text), mark(v)];
        });
      },
    },
    h("label", { for: "code" }, t("vote.code")),
    code,
    h("button", { type: "submit" }, t("vote.find_button")),
  );
  return h("section", { "aria-labelledby": "find-h" }, h("h2", { id: "find-h" }, t("vote.find")), h("p", { class: "note" }, t("vote.find_note")), form, out);
}

/** `arg` is the poll's id, then optionally `/` and its registrar's address (from the office's link). */
export async function poll(main: HTMLElement, ctx: Ctx, arg: string): Promise<void> {
  const [id = "", ...rest] = arg.split("/");
  const registrarArg = rest.join("/");
  if (!POLL_ID.test(id)) {
    main.replaceChildren(h("h1", {}, t("vote.not_a_poll", { id })));
    return;
  }
  const head = h("section", {});
  const turnout = h("section", { "aria-labelledby": "turnout-h" });
  main.replaceChildren(head, turnout, finder(ctx, id), verifierSection(ctx, id));
  await fill(head, async () => {
    const v = await ctx.reader.json<PollRecord>(`voting/polls/${id}`);
    if (v.value === null) return [h("h1", {}, t("vote.not_a_poll", { id })), mark(v)];
    const p = v.value;
    return [
      h("h1", {}, p.spec.title),
      h("p", {}, mono(id), " ", mark(v)),
      kv([[t("vote.status"), h("span", { "data-status": p.status }, named("vote.status", p.status))]]),
      p.failure ? h("p", { class: "error" }, t("vote.failure", { why: p.failure })) : null,
      rules(p),
      p.status === "open" && p.key ? votingSection(ctx, { id, key: p.key, registrarKey: p.spec.registrar_key, policy: p.spec.eligibility.policy, revote: p.spec.revote, questions: p.spec.questions }, registrarArg) : null,
      h("h2", {}, t("vote.result")),
      p.status === "tallied" ? null : h("p", { class: "note" }, t("vote.result_hidden", { k: p.spec.threshold })),
      ...questions(p),
    ];
  });
  await fill(turnout, async () => {
    const [tv, pv] = await Promise.all([ctx.reader.json<TallyRecord>(`voting/tally/${id}`), ctx.reader.json<PollRecord>(`voting/polls/${id}`)]);
    if (tv.value === null || pv.value === null) return null;
    return [
      h("h2", { id: "turnout-h" }, t("vote.turnout")),
      kv([
        [t("vote.voters"), h("span", { "data-voters": String(tv.value.voters) }, String(tv.value.voters))],
        [t("vote.ballots"), String(tv.value.ballots)],
        [t("vote.issued"), String(tv.value.issued)],
        [t("vote.roll"), String(pv.value.spec.eligible)],
      ]),
      mark(tv),
    ];
  });
}
