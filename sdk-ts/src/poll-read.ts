// What the independent verifier of a poll reads, and how (sdk-ts/src/poll-verify.ts checks
// it): every record with its proof against the validators a [`VerifiedReader`] trusts, and
// every ballot's transaction proven into its certified block, which gives its place among the
// others and its block's time. The one thing read without a proof is the listing of board
// keys; the proven tally counts the ballots, so a ballot left out of the listing shows as
// totals and counts that do not match.

import { checkInclusion, type ProvenTx } from "./inclusion.js";
import type { VerifiedBlock, VerifiedReader } from "./trust.js";
import type { ComplaintJson, DealingJson, DecryptionShareJson } from "./trustees.js";
import type { CiphertextJson } from "./voting.js";

/** A poll record as the voting module stores it (crates/modules/voting/src/state.rs). */
export interface PollJson {
  spec: {
    questions: { options: string[]; min: number; max: number }[];
    opens_ms: number;
    closes_ms: number;
    revote: "reject" | "last_counts";
    trustees: { account: string; transport_key: string }[];
    threshold: number;
    registrar_key: string;
    eligible: number;
  };
  status: string;
  disqualified?: number[];
  key?: string | null;
  verification_keys?: string[];
  result?: number[][] | null;
}

export interface TallyJson {
  totals: CiphertextJson[];
  voters: number;
  ballots: number;
  issued: number;
}

export interface BoardJson {
  height: number;
  tx: string;
  replaced?: boolean;
}

/** A ballot's transaction proven into its block, with its place and the block's time. */
export interface SentBallot {
  entry: BoardJson;
  tx: ProvenTx;
  index: number;
  timeMs: number;
}

/** A ballot on the board: proven, or why it could not be. */
export type OnBoard = { code: string; sent: SentBallot } | { code: string; error: string };

/** Everything a poll is recomputed from, each part proven (see the file's comment). */
export interface PollData {
  poll: string;
  record: PollJson;
  tally: TallyJson;
  dealings: Map<number, DealingJson>;
  complaints: Map<number, ComplaintJson>;
  shares: Map<number, DecryptionShareJson>;
  board: OnBoard[];
  /** The highest height a record was proven at. */
  provenAt: number;
  /** Blocks whose certificate was checked to place the ballots. */
  blocksChecked: number;
  /** What was wrong with the node's listing of the board, if anything. */
  listing: string | null;
}

export interface ReadOptions {
  /** Called as ballots are read, to show progress. */
  onProgress?: (done: number, total: number) => void;
  /** Ballots read at once (default 6). */
  parallel?: number;
}

const pad2 = (n: number): string => String(n).padStart(2, "0");
/** An error's text, whatever was thrown. */
export const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Every key under `prefix`, page by page, at most `max` (the listing is not proven: see the
 * file's comment). A node whose pages do not move forward, or that lists more than `max`, is
 * stopped there and named.
 */
async function keysUnder(reader: VerifiedReader, prefix: string, max: number): Promise<{ keys: string[]; problem: string | null }> {
  const keys = new Set<string>();
  let after: string | undefined;
  for (;;) {
    const page = await reader.client.stateKeys(prefix, { limit: 200, ...(after === undefined ? {} : { after }) });
    for (const k of Array.isArray(page?.keys) ? page.keys : []) {
      if (typeof k?.key === "string" && k.key.startsWith(prefix)) keys.add(k.key.slice(prefix.length));
    }
    if (keys.size > max) return { keys: [...keys].slice(0, max), problem: `the node lists more than ${max} board entries; the rest were not read` };
    const next = page?.next_after;
    if (typeof next !== "string") return { keys: [...keys], problem: null };
    if (after !== undefined && !(next > after)) return { keys: [...keys], problem: "the node's listing of the board does not move forward; it was stopped" };
    after = next;
  }
}

/** Runs `work` over `items`, `n` at a time. */
async function pool<T>(items: T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, lane));
}

/** Reads poll `poll` and everything it is recomputed from, with proofs. */
export async function readPoll(reader: VerifiedReader, poll: string, options: ReadOptions = {}): Promise<PollData> {
  let provenAt = 0;
  const proven = async <T>(key: string): Promise<T | null> => {
    const v = await reader.json<T>(key);
    provenAt = Math.max(provenAt, v.height);
    return v.value;
  };
  const record = await proven<PollJson>(`voting/polls/${poll}`);
  if (record === null) throw new Error(`the chain has no poll '${poll}'`);
  const tally = await proven<TallyJson>(`voting/tally/${poll}`);
  if (tally === null) throw new Error(`poll '${poll}' has no tally record`);
  const dealings = new Map<number, DealingJson>();
  const shares = new Map<number, DecryptionShareJson>();
  const complaints = new Map<number, ComplaintJson>();
  for (let j = 1; j <= record.spec.trustees.length; j++) {
    const d = await proven<DealingJson>(`voting/dealings/${poll}/${pad2(j)}`);
    if (d !== null) dealings.set(j, d);
    const s = await proven<DecryptionShareJson>(`voting/shares/${poll}/${pad2(j)}`);
    if (s !== null) shares.set(j, s);
  }
  for (const j of record.disqualified ?? []) {
    const c = await proven<ComplaintJson>(`voting/complaints/${poll}/${pad2(j)}`);
    if (c !== null) complaints.set(j, c);
  }

  // A listing longer than the proven count of ballots by more than a margin is a node's doing.
  const listed = await keysUnder(reader, `voting/board/${poll}/`, tally.ballots + 1_000);
  const blocks = new Map<number, Promise<VerifiedBlock>>();
  const blockAt = (height: number): Promise<VerifiedBlock> => {
    let b = blocks.get(height);
    if (!b) blocks.set(height, (b = reader.block(height)));
    return b;
  };
  // The entries one after another (each read raises the lowest height accepted, so reads
  // answered out of order would refuse each other), then their blocks and transactions.
  const entries: { code: string; entry: BoardJson | null; error?: string }[] = [];
  for (const code of listed.keys) {
    try {
      const entry = await proven<BoardJson>(`voting/board/${poll}/${code}`);
      entries.push(entry === null ? { code, entry: null, error: "its board entry is proven absent" } : { code, entry });
    } catch (e) {
      entries.push({ code, entry: null, error: message(e) });
    }
  }
  const sentOf = async (entry: BoardJson): Promise<SentBallot> => {
    const answer = await reader.client.get(`/v1/txs/${entry.tx}`);
    if (answer?.inclusion?.height !== entry.height) throw new Error(`the board says block ${entry.height}, the node places its transaction elsewhere`);
    let block: VerifiedBlock;
    try {
      block = await blockAt(entry.height);
    } catch (e) {
      throw new Error(`its block ${entry.height}: ${message(e)}`);
    }
    const tx = checkInclusion(entry.tx, answer, block.header);
    return { entry, tx, index: block.txIds.indexOf(entry.tx), timeMs: block.header.time_ms };
  };
  const board: OnBoard[] = [];
  let done = 0;
  await pool(entries, options.parallel ?? 6, async ({ code, entry, error }) => {
    try {
      if (!entry) throw new Error(error);
      board.push({ code, sent: await sentOf(entry) });
    } catch (e) {
      board.push({ code, error: message(e) });
    }
    options.onProgress?.(++done, entries.length);
  });
  return { poll, record, tally, dealings, complaints, shares, board, provenAt, blocksChecked: blocks.size, listing: listed.problem };
}
