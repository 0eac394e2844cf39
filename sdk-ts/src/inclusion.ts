// A committed transaction proven end to end: its exact bytes decode to a body whose hash is
// the id asked for and whose signature is the sender's, its id sits under the certified
// header's `txs_root` and its receipt's commitment under `receipts_root` (Merkle paths from
// `GET /v1/txs/{id}`). The receipt's reason text is not committed (it may be reworded between
// releases); its code is.

import { sha256 } from "@noble/hashes/sha2";

import { concat, fromHex, string, toHex, u32, u64, utf8 } from "./bytes.js";
import type { Receipt } from "./client.js";
import { MalformedError } from "./header.js";
import { PublicKey, verifySignature } from "./keys.js";
import { DecodeError, Reader } from "./reader.js";
import { ProofError } from "./proof.js";
import { MAX_TX_BYTES, TX_DOMAIN, type TxBody } from "./tx.js";

export interface MerkleStep {
  sibling: string;
  left: boolean;
}

/** A receipt as the node serves it (the same shape the client's submit-and-wait returns). */
export type ReceiptJson = Receipt;

/** Decodes an encoded transaction (borsh body ‖ signature enum), strictly. */
export function decodeTx(encoded: Uint8Array): { body: TxBody; bodyBytes: Uint8Array; signature: Uint8Array } {
  if (encoded.length > MAX_TX_BYTES) throw new DecodeError("transaction", `${encoded.length} bytes; at most ${MAX_TX_BYTES}`);
  const r = new Reader(encoded, "transaction");
  const chainId = r.string(256, "chain id");
  const keyTag = r.tag(2, "public key");
  const sender = new PublicKey(keyTag === 0 ? "ed25519" : "p256", r.take(keyTag === 0 ? 32 : 65).slice());
  const nonce = r.u64();
  const expiresAtMs = r.u64();
  const module = r.string(64, "module");
  const msg = r.take(r.len(MAX_TX_BYTES, "message")).slice();
  const bodyEnd = encoded.length - 65;
  if (bodyEnd < 0) r.fail("no signature follows the body");
  const sigTag = r.tag(2, "signature");
  if (sigTag !== keyTag) r.fail("the signature type does not match the sender's key type");
  const signature = r.take(64).slice();
  r.end();
  return { body: { chainId, sender, nonce, expiresAtMs, module, msg }, bodyBytes: encoded.slice(0, bodyEnd), signature };
}

/** The bytes a header's `receipts_root` commits to for one receipt (its code, not its reason). */
export function receiptCommitment(r: ReceiptJson): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(r?.tx_id ?? "")) throw new MalformedError("receipt.tx_id is not a hash");
  if (!Array.isArray(r.events)) throw new MalformedError("receipt.events is not a list");
  const code = r.result?.status === "ok" ? Uint8Array.of(0) : r.result?.status === "failed" ? concat(Uint8Array.of(1), string(r.result.code)) : null;
  if (!code) throw new MalformedError("receipt.result.status is neither ok nor failed");
  const events = r.events.map((e) => {
    if (typeof e?.module !== "string" || typeof e.kind !== "string" || !Array.isArray(e.attributes)) {
      throw new MalformedError("a receipt event lacks its module, kind or attributes");
    }
    return concat(
      string(e.module),
      string(e.kind),
      u32(e.attributes.length),
      ...e.attributes.map((a) => {
        if (!Array.isArray(a) || a.length !== 2 || typeof a[0] !== "string" || typeof a[1] !== "string") {
          throw new MalformedError("a receipt event attribute is not a [key, value] pair of strings");
        }
        return concat(string(a[0]), string(a[1]));
      }),
    );
  });
  return concat(utf8("dojang/receipt/v1\n"), fromHex(r.tx_id), u64(r.height), u32(r.index), code, u32(events.length), ...events);
}

/** The root a leaf and its path lead to (the ledger's binary Merkle tree). */
export function rootFromPath(leaf: Uint8Array, path: MerkleStep[]): string {
  if (!Array.isArray(path) || path.length > 64) throw new MalformedError("a Merkle path is a list of at most 64 steps");
  let acc = sha256(concat(Uint8Array.of(0), leaf));
  for (const step of path) {
    if (typeof step?.sibling !== "string" || !/^[0-9a-f]{64}$/.test(step.sibling) || typeof step.left !== "boolean") {
      throw new MalformedError("a Merkle step is {sibling: hash, left: bool}");
    }
    const sib = fromHex(step.sibling);
    acc = step.left ? sha256(concat(Uint8Array.of(1), sib, acc)) : sha256(concat(Uint8Array.of(1), acc, sib));
  }
  return toHex(acc);
}

/** What [`checkInclusion`] proved. */
export interface ProvenTx {
  id: string;
  body: TxBody;
  receipt: ReceiptJson;
  height: number;
}

/**
 * Checks a `/v1/txs/{id}` answer against a header already certified (its `txs_root` and
 * `receipts_root`): the bytes, the id, the signature, both Merkle paths.
 */
export function checkInclusion(
  id: string,
  answer: any,
  header: { height: number; txs_root: string; receipts_root: string },
): ProvenTx {
  const encoded = typeof answer?.tx_hex === "string" ? fromHex(answer.tx_hex) : null;
  if (!encoded) throw new MalformedError("the answer has no tx_hex");
  const { body, bodyBytes, signature } = decodeTx(encoded);
  const signing = concat(utf8(TX_DOMAIN), bodyBytes);
  if (toHex(sha256(signing)) !== id) throw new ProofError("the transaction's bytes do not hash to its id");
  if (!verifySignature(body.sender, signing, signature)) throw new ProofError("the transaction's signature is not its sender's");
  const receipt = answer.receipt as ReceiptJson;
  if (receipt?.tx_id !== id || receipt.height !== header.height) throw new ProofError("the receipt is for another transaction or height");
  const inc = answer.inclusion;
  if (inc?.height !== header.height) throw new ProofError("the inclusion paths are for another block");
  if (rootFromPath(fromHex(id), inc.tx_proof) !== header.txs_root) throw new ProofError("the id's path does not lead to the block's txs_root");
  if (rootFromPath(receiptCommitment(receipt), inc.receipt_proof) !== header.receipts_root) {
    throw new ProofError("the receipt's path does not lead to the block's receipts_root");
  }
  return { id, body, receipt, height: header.height };
}
