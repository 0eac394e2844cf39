// Jellyfish Merkle state proofs (the node's state tree, jmt with SHA-256): decoded strictly and
// checked against a state root, so a value read from any node needs no trust in that node once
// the root comes from a certified header.

import { sha256 } from "@noble/hashes/sha2";

import { concat, utf8 } from "./bytes.js";
import { Reader } from "./reader.js";

const LEAF_DOMAIN = utf8("JMT::LeafNode");
const INTERNAL_DOMAIN = utf8("JMT::IntrnalNode");
/** The hash of an empty subtree: these 32 ASCII bytes, not a digest. */
const PLACEHOLDER = utf8("SPARSE_MERKLE_PLACEHOLDER_HASH__");
const MAX_SIBLINGS = 256;

interface Leaf {
  keyHash: Uint8Array;
  valueHash: Uint8Array;
}

type Sibling = { kind: "null" } | { kind: "internal"; left: Uint8Array; right: Uint8Array } | { kind: "leaf"; leaf: Leaf };

export interface StateProof {
  leaf: Leaf | null;
  /** Bottom level first. */
  siblings: Sibling[];
}

export class ProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProofError";
  }
}

function leaf(r: Reader): Leaf {
  return { keyHash: r.take(32), valueHash: r.take(32) };
}

/** Decodes a proof's borsh bytes (`proof_hex` in `/v1/state`). */
export function decodeStateProof(bytes: Uint8Array): StateProof {
  const r = new Reader(bytes, "state proof");
  const hasLeaf = r.tag(2, "leaf option") === 1;
  const proofLeaf = hasLeaf ? leaf(r) : null;
  const n = r.len(MAX_SIBLINGS, "siblings");
  const siblings: Sibling[] = [];
  for (let i = 0; i < n; i++) {
    const t = r.tag(3, "sibling");
    if (t === 0) siblings.push({ kind: "null" });
    else if (t === 1) siblings.push({ kind: "internal", left: r.take(32), right: r.take(32) });
    else siblings.push({ kind: "leaf", leaf: leaf(r) });
  }
  r.end();
  return { leaf: proofLeaf, siblings };
}

const leafHash = (l: Leaf) => sha256(concat(LEAF_DOMAIN, l.keyHash, l.valueHash));
const internalHash = (left: Uint8Array, right: Uint8Array) => sha256(concat(INTERNAL_DOMAIN, left, right));

function siblingHash(s: Sibling): Uint8Array {
  if (s.kind === "null") return PLACEHOLDER;
  if (s.kind === "internal") return internalHash(s.left, s.right);
  return leafHash(s.leaf);
}

/** Bit `i` of a 256-bit hash, most significant bit of byte 0 first. */
const bit = (h: Uint8Array, i: number) => ((h[i >> 3]! >> (7 - (i & 7))) & 1) === 1;

function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  while (n < 256 && bit(a, n) === bit(b, n)) n++;
  return n;
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Checks that `value` is stored under `key` (or, with `null`, that nothing is) in the state
 * whose root is `root`. Throws [`ProofError`] saying what does not match.
 */
export function verifyStateProof(key: Uint8Array, value: Uint8Array | null, root: Uint8Array, proofBytes: Uint8Array): void {
  const proof = decodeStateProof(proofBytes);
  const keyHash = sha256(key);
  if (value !== null) {
    if (!proof.leaf) throw new ProofError("the value is claimed present but the proof shows an empty subtree");
    if (!equal(proof.leaf.keyHash, keyHash)) throw new ProofError("the proof is for another key");
    if (!equal(proof.leaf.valueHash, sha256(value))) throw new ProofError("the value does not match the proof");
  } else if (proof.leaf) {
    if (equal(proof.leaf.keyHash, keyHash)) throw new ProofError("the key is claimed absent but the proof shows it present");
    if (commonPrefixBits(keyHash, proof.leaf.keyHash) < proof.siblings.length) {
      throw new ProofError("the proof's leaf does not sit where the absent key would");
    }
  }
  let hash = proof.leaf ? leafHash(proof.leaf) : PLACEHOLDER;
  const n = proof.siblings.length;
  proof.siblings.forEach((s, i) => {
    const sib = siblingHash(s);
    hash = bit(keyHash, n - 1 - i) ? internalHash(sib, hash) : internalHash(hash, sib);
  });
  if (!equal(hash, root)) throw new ProofError("the proof does not lead to the state root");
}
