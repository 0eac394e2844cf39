// A program office's decision receipt, checked by the applicant against the chain (ELIG-05,
// ELIG-06): the receipt's leaf is SHA-256 of its salt and the decision's canonical JSON (the
// bytes the office hashed, field for field), and once the office anchored its batch, a Merkle
// path leads from that leaf to the root the chain holds under
// `eligibility/batches/<program>/<batch>`, read here with its proof.

import { sha256 } from "@noble/hashes/sha2";

import { concat, fromHex, toHex, utf8 } from "./bytes.js";
import { rootFromPath, type MerkleStep } from "./inclusion.js";
import { Eligibility } from "./modules.js";
import type { VerifiedReader } from "./trust.js";

export class ReceiptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReceiptError";
  }
}

const HASH = /^[0-9a-f]{64}$/;
const int = (v: unknown, what: string): number => {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new ReceiptError(`the receipt's ${what} is not a whole number`);
  return v;
};
const str = (v: unknown, what: string): string => {
  if (typeof v !== "string") throw new ReceiptError(`the receipt's ${what} is not text`);
  return v;
};
const list = (v: unknown, what: string): unknown[] => {
  if (!Array.isArray(v)) throw new ReceiptError(`the receipt's ${what} is not a list`);
  return v;
};

function exactly(v: unknown, fields: string[], what: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ReceiptError(`the receipt's ${what} is not an object`);
  const keys = Object.keys(v);
  const unknown = keys.find((k) => !fields.includes(k));
  if (unknown !== undefined) throw new ReceiptError(`the receipt's ${what} has a field '${unknown}' this wallet does not know`);
  return v as Record<string, unknown>;
}

function outcome(v: unknown): Record<string, unknown> {
  const o = exactly(v, ["outcome", "failed", "reason"], "outcome");
  switch (o.outcome) {
    case "eligible":
      exactly(o, ["outcome"], "outcome");
      return { outcome: "eligible" };
    case "not_eligible": {
      exactly(o, ["outcome", "failed"], "outcome");
      const failed = list(o.failed, "failed conditions").map((f) => {
        const x = exactly(f, ["id", "reason"], "failed condition");
        return { id: str(x.id, "condition id"), reason: str(x.reason, "reason") };
      });
      return { outcome: "not_eligible", failed };
    }
    case "manual_review":
      exactly(o, ["outcome", "reason"], "outcome");
      return { outcome: "manual_review", reason: str(o.reason, "reason") };
    default:
      throw new ReceiptError(`the receipt's outcome '${String(o.outcome)}' is not one this wallet knows`);
  }
}

/**
 * The decision's bytes as the office hashed them (serde_json of `DecisionCore`, fields in
 * declaration order), rebuilt field by field so that a stored receipt's key order does not
 * matter and an unknown field is refused rather than silently dropped.
 */
export function decisionBytes(decision: unknown): Uint8Array {
  const d = exactly(
    decision,
    ["program", "seq", "policy", "ruleset_version", "outcome", "conditions", "disclosed", "credentials", "decided_at"],
    "decision",
  );
  const canonical = {
    program: str(d.program, "program"),
    seq: int(d.seq, "decision number"),
    policy: str(d.policy, "policy"),
    ruleset_version: int(d.ruleset_version, "rule-set version"),
    outcome: outcome(d.outcome),
    conditions: list(d.conditions, "conditions").map((c) => {
      const pair = list(c, "condition");
      if (pair.length !== 2 || typeof pair[1] !== "boolean") throw new ReceiptError("a condition is not [id, held]");
      return [str(pair[0], "condition id"), pair[1]];
    }),
    disclosed: list(d.disclosed, "disclosed claims").map((p) => str(p, "disclosed claim")),
    credentials: list(d.credentials, "credentials").map((c) => {
      const t = list(c, "credential");
      if (t.length !== 3) throw new ReceiptError("a credential entry is not [type, issuer, status version]");
      return [str(t[0], "credential type"), str(t[1], "issuer"), int(t[2], "status version")];
    }),
    decided_at: int(d.decided_at, "decision time"),
  };
  return utf8(JSON.stringify(canonical));
}

/** What a receipt check proved. */
export interface CheckedReceipt {
  program: string;
  seq: number;
  outcome: string;
  /** `null`: the leaf matches the decision, but the office has not anchored its batch yet. */
  anchored: { batch: number; height: number; root: string } | null;
}

/** Checks a receipt: its leaf always, and its inclusion under the anchored root when it has one. */
export async function checkDecisionReceipt(receipt: unknown, reader: VerifiedReader): Promise<CheckedReceipt> {
  const r = exactly(receipt, ["decision", "salt", "leaf", "inclusion"], "receipt");
  const salt = str(r.salt, "salt");
  const leaf = str(r.leaf, "leaf");
  if (!HASH.test(salt) || !HASH.test(leaf)) throw new ReceiptError("the receipt's salt or leaf is not a 32-byte hash");
  if (toHex(sha256(concat(fromHex(salt), decisionBytes(r.decision)))) !== leaf) {
    throw new ReceiptError("the receipt's leaf does not match its decision and salt (it was altered)");
  }
  const d = r.decision as Record<string, any>;
  const base = { program: d.program as string, seq: d.seq as number, outcome: d.outcome.outcome as string };
  if (r.inclusion === undefined || r.inclusion === null) return { ...base, anchored: null };
  const inc = exactly(r.inclusion, ["batch", "index", "root", "proof"], "inclusion proof");
  const batch = int(inc.batch, "batch");
  int(inc.index, "position in its batch");
  const root = str(inc.root, "root");
  let derived: string;
  try {
    derived = rootFromPath(fromHex(leaf), list(inc.proof, "proof") as MerkleStep[]);
  } catch (e) {
    throw new ReceiptError(`the receipt's inclusion proof is malformed: ${(e as Error).message}`);
  }
  if (derived !== root) throw new ReceiptError("the inclusion proof does not lead to the receipt's root");
  const onChain = await reader.json<any>(Eligibility.batchKey(base.program, batch));
  if (onChain.value === null) throw new ReceiptError(`the chain has no batch ${batch} of program ${base.program}`);
  if (onChain.value.root !== root) throw new ReceiptError(`the receipt's root is not the root anchored on chain for batch ${batch}`);
  return { ...base, anchored: { batch, height: onChain.value.height, root } };
}
