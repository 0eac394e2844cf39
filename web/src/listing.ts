// What a node's index lists under a state prefix: an index, not a proof. Pages read each
// listed id again with its proof, and compare the count with a proven record where there is
// one; a node can hide an entry from its index, never forge one.

import type { Ctx } from "./explorer.js";

/** Pages of the index read at most, whatever the node says comes next. */
const MAX_PAGES = 50;

/**
 * The ids listed under `prefix`, once each and at most `max`: keys that are not under the
 * prefix or not `valid` ids are skipped, and the listing stops at a page that does not move on.
 */
export async function listedIds(ctx: Ctx, prefix: string, max: number, valid: (id: string) => boolean): Promise<string[]> {
  const ids = new Set<string>();
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES && ids.size < max; page++) {
    const answer = await ctx.reader.client.stateKeys(prefix, { after, limit: 100 });
    for (const k of answer.keys) {
      const id = k.key?.startsWith(prefix) ? k.key.slice(prefix.length) : null;
      if (id !== null && valid(id) && ids.size < max) ids.add(id);
    }
    const next = answer.next_after ?? undefined;
    if (next === undefined || (after !== undefined && next <= after)) break;
    after = next;
  }
  return [...ids];
}
