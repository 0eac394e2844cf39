// The independent verifier of a poll (VOTE-03, VOTE-05, VOTE-07..10), for anyone with a
// browser or Node: it reads every record with its proof against the validators it trusts
// (a [`VerifiedReader`]), every ballot's transaction with its inclusion in a certified block,
// and recomputes what the chain says: the election key and each verification key from the
// dealings that stand (complaints judged again), each ballot's signature, voting credential
// and proofs, the window by the block's time, the order of ballots by their place in the
// chain, the encrypted totals under the re-voting policy, each decryption share and the
// result. Every difference is a problem in the report; nothing the node computed is taken.
//
// What it cannot prove: that the node listed every board entry (the listing of keys has no
// proof). The tally record, which is proven, counts the ballots accepted, so a ballot left
// out of the listing shows as totals and counts that do not match.

import { verifyToken, type VotingToken } from "./blindrsa.js";
import { checkInclusion } from "./inclusion.js";
import type { VerifiedBlock, VerifiedReader } from "./trust.js";
import { checkDealing, combine, electionKey, judgeComplaint, sumCiphertexts, verificationKey, verifyShare, type ComplaintJson, type DealingJson, type DecryptionShareJson } from "./trustees.js";
import { ballotContext, credentialMessage, trackingCode, verifyBallot, type BallotJson, type CiphertextJson, type QuestionShape } from "./voting.js";

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

interface TallyJson {
  totals: CiphertextJson[];
  voters: number;
  ballots: number;
  issued: number;
}

interface BoardJson {
  height: number;
  tx: string;
  replaced?: boolean;
}

/** What the verifier found. `problems` is empty when everything recomputed matches. */
export interface PollReport {
  poll: string;
  status: string;
  dealings: number;
  dealingsStanding: number;
  keyMatches: boolean;
  ballotsOnBoard: number;
  ballotsVerified: number;
  votersCounted: number;
  credentialsIssued: number;
  eligible: number;
  totalsMatch: boolean;
  sharesPosted: number;
  sharesValid: number;
  result: number[][] | null;
  /** What the valid shares decrypt the recomputed totals to, when `threshold` of them are posted. */
  recomputed: number[][] | null;
  resultMatches: boolean | null;
  /** Blocks whose certificate was checked to place ballots in the chain. */
  blocksChecked: number;
  /** The highest height a proven record was read at. */
  provenAt: number;
  problems: string[];
}

export interface VerifyOptions {
  /** Called as ballots are checked, to show progress. */
  onProgress?: (done: number, total: number) => void;
  /** Ballots read and checked at once (default 6). */
  parallel?: number;
}

/** A ballot as it was sent, checked, with its place in the chain. */
interface Cast {
  code: string;
  height: number;
  index: number;
  voter: string;
  replaced: boolean;
  choices: CiphertextJson[];
}

const pad2 = (n: number): string => String(n).padStart(2, "0");
const sameCts = (a: CiphertextJson[], b: CiphertextJson[]): boolean =>
  Array.isArray(b) && a.length === b.length && a.every((c, i) => c.alpha === b[i]?.alpha && c.beta === b[i]?.beta);
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

function sameShapes(a: unknown, b: QuestionShape[]): boolean {
  return Array.isArray(a) && a.length === b.length && b.every((s, i) => a[i]?.options === s.options && a[i]?.min === s.min && a[i]?.max === s.max);
}

/** Runs `work` over `items`, `n` at a time. */
async function pool<T>(items: T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, lane));
}

/** Recomputes poll `poll` from proven chain data and compares. */
export async function verifyPoll(reader: VerifiedReader, poll: string, options: VerifyOptions = {}): Promise<PollReport> {
  let provenAt = 0;
  const proven = async <T>(key: string): Promise<T | null> => {
    const v = await reader.json<T>(key);
    provenAt = Math.max(provenAt, v.height);
    return v.value;
  };
  const p = await proven<PollJson>(`voting/polls/${poll}`);
  if (p === null) throw new Error(`the chain has no poll '${poll}'`);
  const tally = await proven<TallyJson>(`voting/tally/${poll}`);
  if (tally === null) throw new Error(`poll '${poll}' has no tally record`);
  const problems: string[] = [];
  const ctx = new TextEncoder().encode(`dojang/voting/v1/poll/${poll}`);
  const n = p.spec.trustees.length;
  const trustees = Array.from({ length: n }, (_, i) => i + 1);
  const disqualified = p.disqualified ?? [];

  // The key, from the dealings that stand; each dealing put out, by its complaint judged again.
  const dealings = new Map<number, DealingJson>();
  for (const j of trustees) {
    const d = await proven<DealingJson>(`voting/dealings/${poll}/${pad2(j)}`);
    if (d === null) continue;
    try {
      checkDealing(ctx, p.spec.threshold, trustees, d);
    } catch (e) {
      problems.push(`dealing ${j} does not check: ${message(e)}`);
    }
    dealings.set(j, d);
  }
  for (const j of disqualified) {
    const d = dealings.get(j);
    const c = await proven<ComplaintJson>(`voting/complaints/${poll}/${pad2(j)}`);
    const by = c ? p.spec.trustees[c.by - 1] : undefined;
    if (!d || !c) problems.push(`dealing ${j} was put out, but its dealing or the complaint is not on chain`);
    else if (!by) problems.push(`the complaint about dealing ${j} names no trustee of the poll`);
    else {
      try {
        if (!judgeComplaint(ctx, d, c, by.transport_key)) problems.push(`dealing ${j} was put out by a complaint that shows its share good`);
      } catch (e) {
        problems.push(`the complaint that put dealing ${j} out proves nothing: ${message(e)}`);
      }
    }
  }
  const standing = [...dealings].filter(([j]) => !disqualified.includes(j)).map(([, d]) => d);
  let vks: string[] = [];
  let keyMatches = true;
  try {
    vks = trustees.map((j) => verificationKey(standing, j));
    if (p.key) {
      if (standing.length < p.spec.threshold) problems.push(`VOTE-05: the poll opened with ${standing.length} dealings standing, where ${p.spec.threshold} are needed`);
      keyMatches = p.key === electionKey(standing) && JSON.stringify(vks) === JSON.stringify(p.verification_keys ?? []);
    }
  } catch (e) {
    keyMatches = false;
    problems.push(`the key cannot be recomputed: ${message(e)}`);
  }
  if (!keyMatches) problems.push("the election key or a verification key is not what the dealings make");

  // Every ballot on the board, each in its certified block.
  const shapes: QuestionShape[] = p.spec.questions.map((q) => ({ options: q.options.length, min: q.min, max: q.max }));
  const codes = await keysUnder(reader, `voting/board/${poll}/`);
  const blocks = new Map<number, Promise<VerifiedBlock>>();
  const blockAt = (height: number): Promise<VerifiedBlock> => {
    let b = blocks.get(height);
    if (!b) blocks.set(height, (b = reader.block(height)));
    return b;
  };
  const casts: Cast[] = [];
  let done = 0;
  const castOf = async (code: string): Promise<Cast> => {
    const entry = await proven<BoardJson>(`voting/board/${poll}/${code}`);
    if (entry === null) throw new Error("its board entry is gone");
    const answer = await reader.client.get(`/v1/txs/${entry.tx}`);
    const height = answer?.inclusion?.height;
    if (!Number.isInteger(height)) throw new Error("the node does not say which block holds its transaction");
    const block = await blockAt(height);
    const tx = checkInclusion(entry.tx, answer, block.header);
    if (height !== entry.height) throw new Error(`the board says block ${entry.height}, its transaction is in block ${height}`);
    if (tx.receipt.result?.status !== "ok") throw new Error("its transaction failed");
    if (tx.body.module !== "voting") throw new Error("its transaction is not for the voting module");
    let msg: any;
    try {
      msg = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(tx.body.msg));
    } catch {
      throw new Error("its message is not JSON");
    }
    const voter = tx.body.sender.address();
    if (msg?.type !== "cast") throw new Error("its transaction is not a ballot");
    if (msg.poll !== poll || msg.voter !== voter || msg.key !== p.key || !sameShapes(msg.shapes, shapes)) {
      throw new Error("it is not a ballot of this poll from the voting key it names");
    }
    const ballot = msg.ballot as BallotJson;
    if (trackingCode(ballot) !== code) throw new Error("its tracking code is not the ballot's");
    verifyToken(p.spec.registrar_key, credentialMessage(poll, voter), msg.token as VotingToken);
    verifyBallot(ballotContext(poll, voter), p.key!, shapes, ballot);
    const time = block.header.time_ms;
    if (!(time >= p.spec.opens_ms && time < p.spec.closes_ms)) throw new Error(`VOTE-03: it was cast at ${new Date(time).toISOString()}, outside the poll's window`);
    return { code, height, index: block.txIds.indexOf(entry.tx), voter, replaced: entry.replaced === true, choices: ballot.answers.flatMap((a) => a.choices) };
  };
  await pool(codes, options.parallel ?? 6, async (code) => {
    try {
      casts.push(await castOf(code));
    } catch (e) {
      problems.push(`ballot ${code}: ${message(e)}`);
    }
    options.onProgress?.(++done, codes.length);
  });

  // The totals under the re-voting policy, in the chain's order.
  casts.sort((a, b) => a.height - b.height || a.index - b.index);
  const counted = new Map<string, Cast>();
  for (const c of casts) {
    const earlier = counted.get(c.voter);
    if (earlier && p.spec.revote === "reject") problems.push(`VOTE-02: voting key ${c.voter} has two ballots in a one-ballot poll`);
    counted.set(c.voter, c);
  }
  for (const c of casts) {
    const last = counted.get(c.voter) === c;
    if (p.spec.revote === "last_counts" && c.replaced === last) {
      problems.push(`ballot ${c.code}: the board marks it ${c.replaced ? "replaced" : "counted"}, where the order of the chain makes it ${last ? "counted" : "replaced"}`);
    }
  }
  const options_ = shapes.reduce((s, q) => s + q.options, 0);
  let totals: CiphertextJson[] = [];
  try {
    totals = Array.from({ length: options_ }, (_, o) => sumCiphertexts([...counted.values()].map((c) => c.choices[o]!)));
  } catch (e) {
    problems.push(`the totals cannot be recomputed: ${message(e)}`);
  }
  const totalsMatch =
    sameCts(totals, tally.totals) && counted.size === tally.voters && casts.length === tally.ballots;
  if (!totalsMatch) problems.push("the encrypted totals or the counts of voters and ballots are not what the board's ballots make");
  if (counted.size > tally.issued || tally.issued > p.spec.eligible) {
    problems.push(`VOTE-10: ${counted.size} voters, ${tally.issued} credentials issued, ${p.spec.eligible} on the roll`);
  }

  // The decryption shares, and the result from them.
  const shares: DecryptionShareJson[] = [];
  let sharesPosted = 0;
  for (const j of trustees) {
    const s = await proven<DecryptionShareJson>(`voting/shares/${poll}/${pad2(j)}`);
    if (s === null) continue;
    sharesPosted++;
    try {
      if (s.trustee !== j) throw new Error(`trustee ${j}'s record holds trustee ${s.trustee}'s share`);
      verifyShare(ctx, s, vks[j - 1]!, totals);
      shares.push(s);
    } catch (e) {
      problems.push(`VOTE-07: ${message(e)}`);
    }
  }
  let recomputed: number[][] | null = null;
  if (shares.length >= p.spec.threshold && shares.length > 0) {
    try {
      const flat = combine(totals, shares, p.spec.threshold, counted.size);
      let at = 0;
      recomputed = shapes.map((q) => flat.slice(at, (at += q.options)));
    } catch (e) {
      problems.push(`VOTE-07: the valid shares do not decrypt the totals: ${message(e)}`);
    }
  }
  const result = p.result ?? null;
  const resultMatches = result === null ? null : JSON.stringify(result) === JSON.stringify(recomputed);
  if (resultMatches === false) problems.push("VOTE-07: the published result is not what the valid shares decrypt to");
  if (p.status === "tallied" && result === null) problems.push("the poll says tallied and has no result");
  return {
    poll,
    status: p.status,
    dealings: dealings.size,
    dealingsStanding: standing.length,
    keyMatches,
    ballotsOnBoard: codes.length,
    ballotsVerified: casts.length,
    votersCounted: counted.size,
    credentialsIssued: tally.issued,
    eligible: p.spec.eligible,
    totalsMatch,
    sharesPosted,
    sharesValid: shares.length,
    result,
    recomputed,
    resultMatches,
    blocksChecked: blocks.size,
    provenAt,
    problems,
  };
}
