// The independent verifier of a poll (VOTE-03, VOTE-05, VOTE-07..10), for anyone with a
// browser or Node. [`readPoll`] reads every record and every ballot's block with their proofs
// (sdk-ts/src/poll-read.ts); [`checkPoll`] recomputes what the chain says: the election key and
// each verification key from the dealings that stand (complaints judged again), each ballot's
// signature (checked as it was read), success, voting credential, proofs and time against the
// window, the order of ballots by their place in the chain, the encrypted totals under the
// re-voting policy, each decryption share and the result. Every difference is a problem in
// the report; nothing the node computed is taken.

import { verifyToken, type VotingToken } from "./blindrsa.js";
import { message, readPoll, type OnBoard, type PollData, type ReadOptions, type SentBallot } from "./poll-read.js";
import type { VerifiedReader } from "./trust.js";
import { checkDealing, combine, electionKey, judgeComplaint, sumCiphertexts, verificationKey, verifyShare, type DecryptionShareJson } from "./trustees.js";
import { ballotContext, credentialMessage, trackingCode, verifyBallot, type BallotJson, type CiphertextJson, type QuestionShape } from "./voting.js";

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

export interface VerifyOptions extends ReadOptions {
  /** Called as ballots are checked, to show progress. */
  onCheck?: (done: number, total: number) => void;
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

const sameCts = (a: CiphertextJson[], b: CiphertextJson[]): boolean =>
  Array.isArray(b) && a.length === b.length && a.every((c, i) => c.alpha === b[i]?.alpha && c.beta === b[i]?.beta);

function sameShapes(a: unknown, b: QuestionShape[]): boolean {
  return Array.isArray(a) && a.length === b.length && b.every((s, i) => a[i]?.options === s.options && a[i]?.min === s.min && a[i]?.max === s.max);
}

/** Checks one proven ballot: see the file's comment. */
function cast(data: PollData, shapes: QuestionShape[], code: string, sent: SentBallot): Cast {
  const { poll, record: p } = data;
  const { tx } = sent;
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
  // Addresses parse in either case on chain; the ballot's context uses the lower-case form.
  if (msg.poll !== poll || String(msg.voter).toLowerCase() !== voter || msg.key !== p.key || !sameShapes(msg.shapes, shapes)) {
    throw new Error("it is not a ballot of this poll from the voting key it names");
  }
  const ballot = msg.ballot as BallotJson;
  if (trackingCode(ballot) !== code) throw new Error("its tracking code is not the ballot's");
  if (!(sent.timeMs >= p.spec.opens_ms && sent.timeMs < p.spec.closes_ms)) {
    throw new Error(`VOTE-03: it was cast at ${new Date(sent.timeMs).toISOString()}, outside the poll's window`);
  }
  verifyToken(p.spec.registrar_key, credentialMessage(poll, voter), msg.token as VotingToken);
  verifyBallot(ballotContext(poll, voter), p.key!, shapes, ballot);
  return { code, height: tx.height, index: sent.index, voter, replaced: sent.entry.replaced === true, choices: ballot.answers.flatMap((a) => a.choices) };
}

/** Reads poll `poll` with proofs and recomputes it. */
export async function verifyPoll(reader: VerifiedReader, poll: string, options: VerifyOptions = {}): Promise<PollReport> {
  return checkPoll(await readPoll(reader, poll, options), options);
}

/**
 * Recomputes a poll from what [`readPoll`] read and compares each part with what the chain
 * records. It yields to the event loop between ballots, so a page stays responsive.
 */
export async function checkPoll(data: PollData, options: { onCheck?: (done: number, total: number) => void } = {}): Promise<PollReport> {
  const { poll, record: p, tally } = data;
  const problems: string[] = [];
  const ctx = new TextEncoder().encode(`dojang/voting/v1/poll/${poll}`);
  const n = p.spec.trustees.length;
  const trustees = Array.from({ length: n }, (_, i) => i + 1);
  const disqualified = p.disqualified ?? [];

  // The key, from the dealings that stand; each dealing put out, by its complaint judged again.
  for (const [j, d] of data.dealings) {
    try {
      if (d.dealer !== j) throw new Error(`the record holds dealer ${d.dealer}'s dealing`);
      checkDealing(ctx, p.spec.threshold, trustees, d);
    } catch (e) {
      problems.push(`dealing ${j} does not check: ${message(e)}`);
    }
  }
  for (const j of disqualified) {
    const d = data.dealings.get(j);
    const c = data.complaints.get(j);
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
  const standing = [...data.dealings].filter(([j]) => !disqualified.includes(j)).map(([, d]) => d);
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

  // Every ballot on the board.
  if (data.listing) problems.push(data.listing);
  const shapes: QuestionShape[] = p.spec.questions.map((q) => ({ options: q.options.length, min: q.min, max: q.max }));
  const casts: Cast[] = [];
  let done = 0;
  for (const b of data.board as OnBoard[]) {
    try {
      if ("error" in b) throw new Error(b.error);
      casts.push(cast(data, shapes, b.code, b.sent));
    } catch (e) {
      problems.push(`ballot ${b.code}: ${message(e)}`);
    }
    options.onCheck?.(++done, data.board.length);
    if (done % 8 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  }
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
  for (const [j, s] of data.shares) {
    try {
      if (s.trustee !== j) throw new Error(`trustee ${j}'s record holds trustee ${s.trustee}'s share`);
      if (j < 1 || j > n) throw new Error(`a share for trustee ${j}, who is not one of the poll's`);
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
    dealings: data.dealings.size,
    dealingsStanding: standing.length,
    keyMatches,
    ballotsOnBoard: data.board.length,
    ballotsVerified: casts.length,
    votersCounted: counted.size,
    credentialsIssued: tally.issued,
    eligible: p.spec.eligible,
    totalsMatch,
    sharesPosted: data.shares.size,
    sharesValid: shares.length,
    result,
    recomputed,
    resultMatches,
    blocksChecked: data.blocksChecked,
    provenAt: data.provenAt,
    problems,
  };
}
