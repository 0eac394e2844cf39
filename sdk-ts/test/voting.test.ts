// Ballots made in TypeScript as the wallet makes them: they verify, their audit reveals the
// choices, every tampered part fails; and the vectors shared with the Rust crate
// (crates/ballot/tests/vectors) are checked both ways: a ballot Rust made verifies here with
// the same tracking code, and the ballot made here is the one the Rust test verifies.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { RistrettoPoint } from "@noble/curves/ed25519";

import { BallotError, auditBallot, ballotContext, encryptBallot, trackingCode, verifyBallot, type BallotJson, type QuestionShape } from "../src/index.js";
import { toHex } from "../src/bytes.js";

const vectors = (name: string) => fileURLToPath(new URL(`../../../crates/ballot/tests/vectors/${name}`, import.meta.url));
const KEY = toHex(RistrettoPoint.BASE.multiply(123456789n).toBytes());
const SHAPES: QuestionShape[] = [
  { options: 5, min: 0, max: 2 },
  { options: 2, min: 1, max: 1 },
];
const CONTEXT = ballotContext("mapo-budget-2026", "dj0000000000000000000000000000000000000001");

test("a ballot made here verifies, and its audit reveals the choices", () => {
  const { ballot, secrets } = encryptBallot(CONTEXT, KEY, SHAPES, [[1, 4], [0]]);
  verifyBallot(CONTEXT, KEY, SHAPES, ballot);
  assert.deepEqual(auditBallot(KEY, ballot, secrets), [[1, 4], [0]]);
  assert.match(trackingCode(ballot), /^[0-9a-f]{64}$/);
  const again = encryptBallot(CONTEXT, KEY, SHAPES, [[1, 4], [0]]).ballot;
  assert.notEqual(trackingCode(again), trackingCode(ballot), "the same choices make another ballot");
});

test("selections the poll does not allow are refused", () => {
  for (const bad of [[[0, 1, 2], [0]], [[0], []], [[0, 0], [1]], [[5], [1]], [[0]]]) {
    assert.throws(() => encryptBallot(CONTEXT, KEY, SHAPES, bad), BallotError, JSON.stringify(bad));
  }
  assert.throws(() => encryptBallot(CONTEXT, "00".repeat(31) + "ff", SHAPES, [[0], [0]]), BallotError);
  assert.throws(() => encryptBallot(CONTEXT, "00".repeat(32), SHAPES, [[0], [0]]), /identity/, "a ballot under the identity is plaintext");
  const tooBig = [{ options: 40, min: 0, max: 1 }, { options: 40, min: 0, max: 1 }];
  assert.throws(() => encryptBallot(CONTEXT, KEY, tooBig, [[0], [0]]), /at most 60 options/);
});

test("every tampered part of a ballot fails", () => {
  const { ballot } = encryptBallot(CONTEXT, KEY, SHAPES, [[2], [1]]);
  const copy = (): BallotJson => JSON.parse(JSON.stringify(ballot));
  assert.throws(() => verifyBallot(ballotContext("mapo-budget-2026", "dj00000000000000000000000000000000000000ff"), KEY, SHAPES, ballot), BallotError, "another voter");
  const cases: [string, (b: BallotJson) => void][] = [
    ["two ciphertexts swapped", (b) => b.answers[0].choices.reverse()],
    ["a response replaced", (b) => (b.answers[0].choice_proofs[1].branches[0].z = b.answers[0].choice_proofs[1].branches[1].z)],
    ["a challenge replaced", (b) => (b.answers[1].count_proof.branches[0].c = b.answers[0].count_proof.branches[0].c)],
    ["a branch removed", (b) => b.answers[0].count_proof.branches.pop()],
    ["an option removed", (b) => { b.answers[0].choices.pop(); b.answers[0].choice_proofs.pop(); }],
    ["a point that is not one", (b) => (b.answers[0].choices[0].alpha = "ff".repeat(32))],
    ["a scalar over the order", (b) => (b.answers[0].choice_proofs[0].branches[0].z = "ff".repeat(32))],
    ["hex that is not", (b) => (b.answers[0].choices[0].beta = "zz")],
  ];
  for (const [why, change] of cases) {
    const b = copy();
    change(b);
    assert.throws(() => verifyBallot(CONTEXT, KEY, SHAPES, b), Error, why);
  }
});

test("the ballot Rust made verifies here, with Rust's tracking code and audit", () => {
  const v = JSON.parse(readFileSync(vectors("made-in-rust.json"), "utf8"));
  const context = new TextEncoder().encode(v.context);
  verifyBallot(context, v.key, v.shapes, v.ballot);
  assert.equal(trackingCode(v.ballot), v.tracking);
  assert.deepEqual(auditBallot(v.key, v.ballot, v.secrets), v.selections);
});

test("the committed TypeScript vector, which the Rust test verifies, still verifies here", () => {
  const v = JSON.parse(readFileSync(vectors("made-in-typescript.json"), "utf8"));
  const context = new TextEncoder().encode(v.context);
  verifyBallot(context, v.key, v.shapes, v.ballot);
  assert.equal(trackingCode(v.ballot), v.tracking);
  assert.deepEqual(auditBallot(v.key, v.ballot, v.secrets), v.selections);
});
