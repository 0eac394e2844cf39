// State proofs (NOMT paths, decision 0027) checked against proofs a real NOMT database made
// (docs/examples/nomt-proofs.json, which a Rust test regenerates and compares), and every way
// of making them say something else refused.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { DecodeError, ProofError, decodeStateProof, fromHex, toHex, verifyStateProof } from "../src/index.js";

interface Case {
  what: string;
  key: string;
  value: string | null;
  proof_hex: string;
}

interface Vectors {
  root: string;
  cases: Case[];
  empty: { root: string; case: Case };
}

const vectors: Vectors = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../docs/examples/nomt-proofs.json", import.meta.url)), "utf8"),
);
const enc = (s: string) => new TextEncoder().encode(s);
const check = (root: string, c: Case) =>
  verifyStateProof(enc(c.key), c.value === null ? null : enc(c.value), fromHex(root), fromHex(c.proof_hex));

test("every proof NOMT made checks against its root", () => {
  assert.equal(vectors.cases.length, 6);
  const kinds = vectors.cases.map((c) => (c.value === null ? (decodeStateProof(fromHex(c.proof_hex)).leaf ? "absent at a leaf" : "absent at an empty subtree") : "present"));
  assert.deepEqual(kinds, ["present", "present", "present", "present", "absent at a leaf", "absent at an empty subtree"]);
  for (const c of vectors.cases) check(vectors.root, c);
  assert.equal(vectors.empty.root, "0".repeat(64));
  check(vectors.empty.root, vectors.empty.case);
});

test("a proof cannot be made to say another value, another key or another presence", () => {
  const [present, , , last, atLeaf, atEmpty] = vectors.cases as [Case, Case, Case, Case, Case, Case];
  const refused = (c: Case, why: RegExp) => assert.throws(() => check(vectors.root, c), (e: unknown) => e instanceof ProofError && why.test(e.message));
  refused({ ...present, value: null }, /claimed absent/);
  refused({ ...present, value: "another value" }, /does not match the proven leaf/);
  refused({ ...atLeaf, value: "value of key 0" }, /another key's leaf/);
  refused({ ...atEmpty, value: "value of key 0" }, /empty subtree/);
  assert.throws(() => check(vectors.root, { ...present, key: last.key }), ProofError);
  const root = fromHex(vectors.root);
  root[31]! ^= 1;
  assert.throws(() => check(toHex(root), present), /does not lead to the state root/);
});

test("any altered byte of a proof is refused", () => {
  const c = vectors.cases[0]!;
  const bytes = fromHex(c.proof_hex);
  for (let i = 0; i < bytes.length; i++) {
    const altered = Uint8Array.from(bytes);
    altered[i]! ^= 0x01;
    assert.throws(() => check(vectors.root, { ...c, proof_hex: toHex(altered) }), (e: unknown) => e instanceof ProofError || e instanceof DecodeError, `byte ${i}`);
  }
});

test("malformed proofs are refused with what is wrong", () => {
  const c = vectors.cases[0]!;
  const bytes = fromHex(c.proof_hex);
  const decodeFails = (b: Uint8Array, why: RegExp) =>
    assert.throws(() => check(vectors.root, { ...c, proof_hex: toHex(b) }), (e: unknown) => e instanceof DecodeError && why.test(e.message));
  decodeFails(new Uint8Array(0), /ends after 0 bytes/);
  decodeFails(bytes.subarray(0, bytes.length - 1), /more were needed/);
  decodeFails(Uint8Array.from([...bytes, 0]), /1 bytes follow/);
  decodeFails(Uint8Array.from([2, ...bytes.subarray(1)]), /leaf option tag 2/);
  decodeFails(Uint8Array.from([0, 0xff, 0xff, 0xff, 0xff]), /at most 256/);
  decodeFails(Uint8Array.from([0, 1, 1, 0, 0, ...new Uint8Array(257 * 32)]), /257 items; at most 256/);
});
