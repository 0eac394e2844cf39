// The trustees' side of a poll, checked here from the vector crates/ballot made
// (crates/ballot/tests/vectors/trustees-made-in-rust.json): every dealing checks, the founded
// complaint is judged founded, the key and verification keys are recomputed equal, both
// decryption shares verify and the counts come out; and each tampered element fails, naming
// what is wrong.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { checkDealing, combine, electionKey, judgeComplaint, sumCiphertexts, verificationKey, verifyShare, type ComplaintJson, type DealingJson, type DecryptionShareJson } from "../src/trustees.js";
import type { CiphertextJson } from "../src/voting.js";

const file = fileURLToPath(new URL("../../../crates/ballot/tests/vectors/trustees-made-in-rust.json", import.meta.url));
const v = JSON.parse(readFileSync(file, "utf8")) as {
  context: string;
  threshold: number;
  transport_keys: string[];
  dealings: DealingJson[];
  complaint: ComplaintJson;
  unfounded: ComplaintJson;
  key: string;
  verification_keys: string[];
  totals: CiphertextJson[];
  shares: DecryptionShareJson[];
  max: number;
  counts: number[];
};
const ctx = new TextEncoder().encode(v.context);
const copy = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
/** Another valid encoding: the hex of a different point, so only a check can tell. */
const otherPoint = (hex: string, from: string[]): string => from.find((p) => p !== hex)!;

test("the dealings check, the complaint is founded, the key and verification keys are recomputed", () => {
  for (const d of v.dealings) checkDealing(ctx, v.threshold, [1, 2, 3], d);
  assert.equal(judgeComplaint(ctx, v.dealings[0]!, v.complaint, v.transport_keys[2]!), true);
  const standing = v.dealings.slice(1);
  assert.equal(electionKey(standing), v.key);
  assert.deepEqual([1, 2, 3].map((j) => verificationKey(standing, j)), v.verification_keys);
  assert.notEqual(electionKey(v.dealings), v.key, "the dealing put out changes the key");
});

test("a complaint about a good share is judged false, and a forged one proves nothing", () => {
  const honest = v.dealings[1]!;
  // Trustee 3's founded complaint, moved to another dealing: its proof is about another
  // ephemeral key, so it proves nothing.
  assert.throws(() => judgeComplaint(ctx, honest, { ...v.complaint, dealer: 2 }, v.transport_keys[2]!), /not proven to share one secret/);
  assert.throws(() => judgeComplaint(ctx, v.dealings[0]!, { ...v.complaint, by: 2 }, v.transport_keys[1]!), /not proven to share one secret/);
  assert.throws(() => judgeComplaint(ctx, v.dealings[0]!, { ...v.complaint, dealer: 2 }, v.transport_keys[2]!), /another dealing/);
  assert.throws(() => judgeComplaint(ctx, v.dealings[0]!, { ...v.complaint, by: 40 }, v.transport_keys[2]!), /not a trustee number/);
  // Trustee 3's complaint about the second dealing, whose share to it is good.
  assert.equal(judgeComplaint(ctx, honest, v.unfounded, v.transport_keys[2]!), false);
});

test("a tampered dealing fails its check, naming what is wrong", () => {
  const d = v.dealings[1]!;
  const swapped = copy(d);
  swapped.commitments[0] = otherPoint(d.commitments[0]!, [...v.dealings[2]!.commitments]);
  assert.throws(() => checkDealing(ctx, 2, [1, 2, 3], swapped), /not shown to know the secret/);
  assert.throws(() => checkDealing(ctx, 3, [1, 2, 3], d), /commits to 3 coefficients, not 2/);
  assert.throws(() => checkDealing(ctx, 2, [1, 2, 3, 4], d), /one share to each trustee/);
  const twice = copy(d);
  twice.shares[2]!.to = 1;
  assert.throws(() => checkDealing(ctx, 2, [1, 2, 3], twice), /one share to each trustee/);
  assert.throws(() => checkDealing(new TextEncoder().encode("another poll"), 2, [1, 2, 3], d), /not shown to know/);
  const notPoint = copy(d);
  notPoint.commitments[1] = "ff".repeat(32);
  assert.throws(() => checkDealing(ctx, 2, [1, 2, 3], notPoint), /not the encoding of a ristretto255 point/);
  assert.throws(() => checkDealing(ctx, 2, [1, 2, 3], { ...d, dealer: 0 }), /not a trustee number/);
});

test("both shares verify and decrypt the totals to the counts; a wrong share is named", () => {
  for (const s of v.shares) verifyShare(ctx, s, v.verification_keys[s.trustee - 1]!, v.totals);
  assert.deepEqual(combine(v.totals, v.shares, v.threshold, v.max), v.counts);
  assert.deepEqual(combine(v.totals, [v.shares[1]!, v.shares[0]!], v.threshold, v.max), v.counts, "any order of the same shares");

  const wrong = copy(v.shares[1]!);
  wrong.parts[2] = v.shares[0]!.parts[2]!;
  assert.throws(() => verifyShare(ctx, wrong, v.verification_keys[2]!, v.totals), /trustee 3: its decryption share of total 2 is wrong/);
  assert.throws(() => verifyShare(ctx, v.shares[0]!, v.verification_keys[1]!, v.totals), /trustee 1: its decryption share of total 0 is wrong/);
  assert.throws(() => verifyShare(ctx, v.shares[0]!, v.verification_keys[0]!, v.totals.slice(1)), /3 parts and 3 proofs for 2 totals/);
  const moved = [v.totals[1]!, v.totals[0]!, v.totals[2]!];
  assert.throws(() => verifyShare(ctx, v.shares[0]!, v.verification_keys[0]!, moved), /total 0 is wrong/);
});

test("the counts need k distinct shares and a bound that holds them", () => {
  assert.throws(() => combine(v.totals, [v.shares[0]!], v.threshold, v.max), /1 distinct trustees' shares, where 2 are needed/);
  assert.throws(() => combine(v.totals, [v.shares[0]!, v.shares[0]!], v.threshold, v.max), /where 2 are needed/);
  assert.throws(() => combine(v.totals, v.shares, v.threshold, 1), /total 0 decrypts to no count of at most 1/);
  // Shares are bound to the totals' alphas: they do not decrypt another total.
  const added = sumCiphertexts([v.totals[0]!, v.totals[1]!]);
  assert.throws(() => verifyShare(ctx, v.shares[0]!, v.verification_keys[0]!, [added, v.totals[1]!, v.totals[2]!]), /total 0 is wrong/);
});
