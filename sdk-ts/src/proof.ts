// State proofs: a path through the node's state trie (NOMT with SHA-256, decision 0027),
// decoded strictly and checked against a state root with the same rules as the Rust SDK
// (dojang_crypto::verify_state_proof), so a value read from any node needs no trust in that
// node once the root comes from a certified header. Tested against proofs NOMT itself made
// (docs/examples/nomt-proofs.json) and against a running node.
//
// The trie is binary. A key's path is SHA-256 of the state key, most significant bit first.
// A leaf is SHA-256(key path ‖ SHA-256(value)) with the top bit set; an internal node is
// SHA-256(left ‖ right) with the top bit cleared; an empty subtree is 32 zero bytes.

import { sha256 } from "@noble/hashes/sha2";

import { concat } from "./bytes.js";
import { Reader } from "./reader.js";

export class ProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProofError";
  }
}

/** One sibling per bit of a 256-bit path at most. */
const MAX_SIBLINGS = 256;
const TERMINATOR = new Uint8Array(32);

export interface StateLeaf {
  keyPath: Uint8Array;
  valueHash: Uint8Array;
}

export interface StateProof {
  /** `null` when the path ends in an empty subtree. */
  leaf: StateLeaf | null;
  /** The root's child level first. */
  siblings: Uint8Array[];
}

/** Decodes `borsh(NomtProof)` (`proof_hex`): an optional leaf, then the siblings. */
export function decodeStateProof(bytes: Uint8Array): StateProof {
  const r = new Reader(bytes, "state proof");
  const leaf = r.tag(2, "leaf option") === 1 ? { keyPath: r.take(32), valueHash: r.take(32) } : null;
  const n = r.len(MAX_SIBLINGS, "siblings");
  const siblings: Uint8Array[] = [];
  for (let i = 0; i < n; i++) siblings.push(r.take(32));
  r.end();
  return { leaf, siblings };
}

function labelled(digest: Uint8Array, leaf: boolean): Uint8Array {
  const out = Uint8Array.from(digest);
  out[0] = leaf ? out[0]! | 0x80 : out[0]! & 0x7f;
  return out;
}

const leafHash = (l: StateLeaf) => labelled(sha256(concat(l.keyPath, l.valueHash)), true);
const internalHash = (left: Uint8Array, right: Uint8Array) => labelled(sha256(concat(left, right)), false);
/** Bit `i` of a path, most significant bit of byte 0 first. */
const bit = (path: Uint8Array, i: number) => ((path[i >> 3]! >> (7 - (i & 7))) & 1) === 1;
const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Checks that `value` is stored under `key` (or, with `null`, that nothing is) in the state
 * whose root is `root` (a certified header's `state_root`). Throws [`ProofError`] saying what
 * does not match.
 */
export function verifyStateProof(key: Uint8Array, value: Uint8Array | null, root: Uint8Array, proofBytes: Uint8Array): void {
  const proof = decodeStateProof(proofBytes);
  const path = sha256(key);
  let node = proof.leaf ? leafHash(proof.leaf) : TERMINATOR;
  // From the deepest sibling up: the path's bit at that depth says which side the node is on.
  for (let depth = proof.siblings.length - 1; depth >= 0; depth--) {
    const sibling = proof.siblings[depth]!;
    node = bit(path, depth) ? internalHash(sibling, node) : internalHash(node, sibling);
  }
  if (!equal(node, root)) throw new ProofError("the proof does not lead to the state root");
  const ownLeaf = proof.leaf !== null && equal(proof.leaf.keyPath, path);
  if (value === null) {
    if (ownLeaf) throw new ProofError("the key is claimed absent but the proof shows a value for it");
    return;
  }
  if (!proof.leaf) throw new ProofError("the value is claimed present but the proof ends in an empty subtree");
  if (!ownLeaf) throw new ProofError("the proof ends at another key's leaf, so the key has no value there");
  if (!equal(proof.leaf.valueHash, sha256(value))) throw new ProofError("the value does not match the proven leaf");
}
