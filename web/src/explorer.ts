// The explorer's pages: the chain at a glance with live blocks, a block, a transaction and
// its receipt, an account's roles and anchors, any state key. Every value comes through the
// verified reader and carries its mark.

import { Governance, decodeValidators, toHex, type VerifiedReader } from "../../sdk-ts/src/index.js";
import { fill, h, kv, link, list, mark, mono, short } from "./dom.js";
import { t, time } from "./i18n.js";

export interface Ctx {
  reader: VerifiedReader;
  status: any;
  /** Aborted when the page is left: live streams stop. */
  signal: AbortSignal;
}

const json = (v: unknown) => h("pre", {}, JSON.stringify(v, null, 2));

/** Bytes as the JSON they hold (module messages and records are JSON), else as hex. */
function readable(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return toHex(bytes);
  }
}

function search(): HTMLElement {
  const input = h("input", { id: "q", name: "q", type: "search", autocomplete: "off", placeholder: t("home.search") }) as HTMLInputElement;
  return h(
    "form",
    {
      class: "search",
      role: "search",
      onsubmit: (e: Event) => {
        e.preventDefault();
        const q = input.value.trim();
        if (/^\d+$/.test(q)) location.hash = `#/block/${q}`;
        else if (/^[0-9a-f]{64}$/.test(q)) location.hash = `#/tx/${q}`;
        else if (/^dj[0-9a-f]{40}$/.test(q)) location.hash = `#/account/${q}`;
        else if (q) location.hash = `#/state/${encodeURIComponent(q)}`;
      },
    },
    h("label", { for: "q", class: "sr-only" }, t("home.search")),
    input,
    h("button", { type: "submit" }, t("home.go")),
  );
}

export async function home(main: HTMLElement, ctx: Ctx): Promise<void> {
  const chain = h("section", { id: "chain", "aria-labelledby": "chain-h" });
  const validators = h("section", { id: "validators", "aria-labelledby": "val-h" });
  const blocks = h("ul", { class: "blocks" });
  main.replaceChildren(
    h("h1", {}, t("home.title")),
    search(),
    chain,
    validators,
    h("section", { id: "latest", "aria-labelledby": "blocks-h" }, h("h2", { id: "blocks-h" }, t("blocks.title")), h("p", { class: "note" }, t("blocks.live")), h("div", { "aria-live": "polite" }, blocks)),
  );
  await Promise.all([
    fill(chain, async () => {
      const b = await ctx.reader.block("latest");
      return [
        h("h2", { id: "chain-h" }, t("chain.title")),
        mark({ height: b.header.height, commit: b.commit, checkMs: b.checkMs }),
        kv([
          [t("chain.id"), mono(b.header.chain_id)],
          [t("chain.latest"), link(`#/block/${b.header.height}`, `#${b.header.height} · ${time(b.header.time_ms)}`)],
          [t("chain.genesis"), h("span", {}, mono(String(ctx.status.genesis_hash)), " ", h("span", { class: "note" }, t("chain.reported")))],
        ]),
      ];
    }),
    fill(validators, async () => {
      const v = await ctx.reader.state("ledger/validators");
      const set = v.value ? decodeValidators(v.value) : [];
      return [
        h("h2", { id: "val-h" }, t("validators.title")),
        mark(v),
        list(
          [t("validators.name"), t("validators.address"), t("validators.power")],
          set.map((m) => [m.name, mono(m.address), m.power]),
        ),
      ];
    }),
  ]);
  const height = ctx.status.height as number;
  for (let i = Math.max(1, height - 9); i <= height; i++) blocks.prepend(blockRow(ctx, i));
  void live(ctx, blocks, height);
}

function blockRow(ctx: Ctx, height: number): HTMLElement {
  const li = h("li", {}, link(`#/block/${height}`, `#${height}`), " ", mark(null));
  void ctx.reader.block(height).then(
    (b) => li.replaceChildren(link(`#/block/${height}`, `#${height}`), ` · ${time(b.header.time_ms)} · ${t("blocks.txs", { n: b.txIds.length })} `, mark({ height, commit: b.commit, checkMs: b.checkMs })),
    (e) => li.replaceChildren(link(`#/block/${height}`, `#${height}`), " ", mark(e as Error)),
  );
  return li;
}

/** Adds each finalized block as the stream announces it, and any the page missed between. */
async function live(ctx: Ctx, blocks: HTMLElement, shown: number): Promise<void> {
  try {
    for await (const e of ctx.reader.client.events(ctx.signal)) {
      if (e.kind !== "block" || e.height <= shown) continue;
      for (let h = Math.max(shown + 1, e.height - 20); h < e.height; h++) blocks.prepend(blockRow(ctx, h));
      blocks.prepend(blockRow(ctx, e.height));
      shown = e.height;
      while (blocks.children.length > 20) blocks.lastElementChild?.remove();
    }
  } catch {
    // Left the page (aborted), or the node ended the stream: the list stays as it is.
  }
}

export async function block(main: HTMLElement, ctx: Ctx, height: number): Promise<void> {
  main.replaceChildren(h("h1", {}, t("block.title", { h: height })));
  const body = h("section", {});
  main.append(body);
  await fill(body, async () => {
    const b = await ctx.reader.block(height);
    const hd = b.header;
    return [
      mark({ height: hd.height, commit: b.commit, checkMs: b.checkMs }),
      kv([
        [t("block.hash"), mono(b.hash)],
        [t("block.time"), time(hd.time_ms)],
        [t("block.proposer"), link(`#/account/${hd.proposer}`, mono(hd.proposer))],
        [t("block.prev"), hd.height > 1 ? link(`#/block/${hd.height - 1}`, mono(short(hd.prev_hash))) : mono(short(hd.prev_hash))],
        [t("block.state_root"), mono(hd.state_root)],
      ]),
      h("h2", {}, t("block.txs")),
      b.txIds.length ? h("ol", {}, ...b.txIds.map((id) => h("li", {}, link(`#/tx/${id}`, mono(id))))) : h("p", {}, t("block.none")),
    ];
  });
}

export async function tx(main: HTMLElement, ctx: Ctx, id: string): Promise<void> {
  main.replaceChildren(h("h1", {}, t("tx.title")));
  const body = h("section", {});
  main.append(body);
  await fill(body, async () => {
    const p = await ctx.reader.tx(id);
    const r = p.receipt;
    const message = readable(p.body.msg);
    return [
      mark({ height: p.height, commit: p.block.commit, checkMs: p.checkMs }),
      kv([
        [t("tx.id"), mono(p.id)],
        [t("tx.block"), link(`#/block/${p.height}`, `#${p.height}`)],
        [t("tx.module"), p.body.module],
        [t("tx.sender"), link(`#/account/${p.body.sender.address()}`, mono(p.body.sender.address()))],
        [t("tx.nonce"), String(p.body.nonce)],
        [t("tx.expires"), time(Number(p.body.expiresAtMs))],
        [t("tx.result"), r.result.status === "ok" ? t("tx.ok") : t("tx.failed", { code: r.result.code })],
        r.result.status === "failed" ? [t("tx.reason"), r.result.reason] : null,
      ].filter((x): x is [string, HTMLElement | string] => x !== null)),
      h("h2", {}, t("tx.message")),
      json(message),
      h("h2", {}, t("tx.events")),
      r.events.length ? list(["module", "kind", "attributes"], r.events.map((e) => [e.module, e.kind, mono(e.attributes.map(([k, v]) => `${k}=${v}`).join(" "))])) : h("p", {}, "—"),
    ];
  });
}

export async function account(main: HTMLElement, ctx: Ctx, address: string): Promise<void> {
  main.replaceChildren(h("h1", {}, t("account.title", { a: short(address) })), h("p", {}, mono(address)));
  const roles = h("section", { id: "roles" });
  const anchors = h("section", { id: "anchors" });
  main.append(roles, anchors);
  await Promise.all([
    fill(roles, async () => {
      const v = await ctx.reader.json<any>(Governance.accountKey(address));
      const granted = Object.entries(v.value?.roles ?? {}) as [string, any][];
      return [
        h("h2", {}, t("account.roles")),
        mark(v),
        granted.length ? list([t("account.roles"), ""], granted.map(([role, g]) => [role, t("account.granted", { h: g.height })])) : h("p", {}, t("account.none")),
      ];
    }),
    fill(anchors, async () => {
      const prefix = `anchor/records/${address}/`;
      const keys = await ctx.reader.client.stateKeys(prefix, { limit: 20 });
      const rows = await Promise.all(
        (keys.keys as { key: string | null }[]).filter((k) => k.key).map(async ({ key }) => {
          const v = await ctx.reader.json<any>(key!);
          return [mono(key!.slice(prefix.length)), mono(short(String(v.value?.root ?? ""))), mark(v)];
        }),
      );
      return [h("h2", {}, t("account.anchors")), rows.length ? list(["series / height.index", "root", ""], rows) : h("p", {}, t("account.no_anchors"))];
    }),
  ]);
}

export async function state(main: HTMLElement, ctx: Ctx, key: string): Promise<void> {
  main.replaceChildren(h("h1", {}, t("state.title", { k: key })));
  const body = h("section", {});
  main.append(body);
  await fill(body, async () => {
    const v = await ctx.reader.state(key);
    if (v.value === null) return [mark(v), h("p", {}, t("state.absent"))];
    return [mark(v), json(readable(v.value))];
  });
}
