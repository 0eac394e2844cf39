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
}

export interface ReadOptions {
  /** Called as ballots are read, to show progress. */
  onProgress?: (done: number, total: number) => void;
  /** Ballots read at once (default 6). */
  parallel?: number;
}

const pad2 = (n: number): string => String(n).padStart(2, "0");
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Every key under `prefix`, page by page (the listing is not proven: see the file's comment). */
async function keysUnder(reader: VerifiedReader, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await reader.client.stateKeys(prefix, { limit: 200, ...(after === undefined ? {} : { after }) });
    for (const k of page.keys) if (typeof k.key === "string" && k.key.startsWith(prefix)) out.push(k.key.slice(prefix.length));
    if (typeof page.next_after !== "string") return out;
    after = page.next_after;
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

  const codes = await keysUnder(reader, `voting/board/${poll}/`);
  const blocks = new Map<number, Promise<VerifiedBlock>>();
  const blockAt = (height: number): Promise<VerifiedBlock> => {
    let b = blocks.get(height);
    if (!b) blocks.set(height, (b = reader.block(height)));
    return b;
  };
  const sentOf = async (code: string): Promise<SentBallot> => {
    const entry = await proven<BoardJson>(`voting/board/${poll}/${code}`);
    if (entry === null) throw new Error("its board entry is proven absent");
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
  await pool(codes, options.parallel ?? 6, async (code) => {
    try {
      board.push({ code, sent: await sentOf(code) });
    } catch (e) {
      board.push({ code, error: message(e) });
    }
    options.onProgress?.(++done, codes.length);
  });
  return { poll, record, tally, dealings, complaints, shares, board, provenAt, blocksChecked: blocks.size };
}
