// Building the page from text: chain data never becomes markup, so nothing a transaction
// carries can run in the page.

import type { CommitCheck } from "../../sdk-ts/src/index.js";
import { t } from "./i18n.js";

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | boolean | ((e: Event) => void)>;

export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v);
    else if (v === true) el.setAttribute(k, "");
    else if (v !== false) el.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** A table of label → value rows. */
export function kv(rows: [string, Child][]): HTMLElement {
  return h("table", { class: "kv" }, h("tbody", {}, ...rows.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, v)))));
}

export function list(head: string[], rows: Child[][]): HTMLElement {
  return h(
    "table",
    { class: "list" },
    h("thead", {}, h("tr", {}, ...head.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c) => h("td", {}, c))))),
  );
}

export const mono = (s: string) => h("span", { class: "mono" }, s);
export const link = (href: string, text: Child) => h("a", { href }, text);
export const short = (hex: string) => (hex.length > 20 ? `${hex.slice(0, 10)}…${hex.slice(-6)}` : hex);

/** Values checked on this page and how long each check took, for the browser test to read. */
export const timings: { checks: number[]; firstVerifiedMs?: number } = { checks: [] };
(globalThis as any).__dojangTimings = timings;

/** The verification mark: what a value was checked against, or why it was not. */
export function mark(result: { height: number; commit: CommitCheck; checkMs: number } | Error | null): HTMLElement {
  if (result === null) return h("span", { class: "mark pending", role: "status" }, t("mark.pending"));
  if (result instanceof Error) {
    return h("span", { class: "mark bad", role: "status", "data-verified": "false" }, t("mark.bad", { reason: result.message }));
  }
  timings.checks.push(result.checkMs);
  timings.firstVerifiedMs ??= performance.now();
  return h(
    "span",
    { class: "mark ok", role: "status", "data-verified": "true", "data-height": String(result.height), title: `${result.checkMs.toFixed(1)} ms` },
    t("mark.ok", { h: result.height, k: result.commit.signed, n: result.commit.members }),
  );
}

/** Replaces `el`'s content with the outcome of `work`, or an error line. */
export async function fill(el: HTMLElement, work: () => Promise<Child | Child[]>): Promise<void> {
  try {
    const out = await work();
    el.replaceChildren(...(Array.isArray(out) ? out : [out]).filter((c): c is Node | string => c !== null && c !== undefined && c !== false).map((c) => (typeof c === "number" ? String(c) : c)));
  } catch (e) {
    el.replaceChildren(h("p", { class: "error", role: "alert" }, t("error.load", { reason: (e as Error).message })));
  }
}
