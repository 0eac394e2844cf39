// Transactions: the body, its signing bytes and id, the signed encoding a node accepts.
// Byte-identical to the Rust SDK; docs/transactions.md is the specification and its test
// vector is checked by test/vectors.test.ts.

import { sha256 } from "@noble/hashes/sha2";

import { bytes, concat, string, toHex, u64, utf8 } from "./bytes.js";
import { PublicKey, Signer } from "./keys.js";

/** The domain prefix of every signing payload. */
export const TX_DOMAIN = "dojang/tx/v1\n";
/** Most bytes of an encoded transaction a node accepts. */
export const MAX_TX_BYTES = 64 * 1024;

export interface TxBody {
  chainId: string;
  sender: PublicKey;
  nonce: bigint;
  expiresAtMs: bigint;
  module: string;
  /** The module message as JSON bytes, carried verbatim. */
  msg: Uint8Array;
}

export function encodeBody(body: TxBody): Uint8Array {
  const module = utf8(body.module).length;
  if (module === 0 || module > 64) throw new Error("a module name is 1 to 64 bytes");
  return concat(
    string(body.chainId),
    body.sender.borsh(),
    u64(body.nonce),
    u64(body.expiresAtMs),
    string(body.module),
    bytes(body.msg),
  );
}

/** What is signed: the domain prefix, then borsh(body). */
export function signingBytes(body: TxBody): Uint8Array {
  return concat(utf8(TX_DOMAIN), encodeBody(body));
}

/** SHA-256 of the signing bytes, hex: the signature is not part of the id (ECDSA is malleable). */
export function txId(body: TxBody): string {
  return toHex(sha256(signingBytes(body)));
}

export interface SignedTx {
  body: TxBody;
  signature: Uint8Array;
  id: string;
  /** borsh(body) ‖ signature enum: what `POST /v1/txs` takes (as hex). */
  encoded: Uint8Array;
}

/** Signs `body` with `signer`, whose key must be the body's sender. */
export async function signTx(body: TxBody, signer: Signer): Promise<SignedTx> {
  if (signer.publicKey.toString() !== body.sender.toString()) {
    throw new Error(`the signer's key ${signer.publicKey} is not the sender ${body.sender}`);
  }
  // Encoded once: what is signed, what is sent and the id are the same bytes even if the
  // caller changes `body` while an asynchronous signer works.
  const encodedBody = encodeBody(body);
  const signing = concat(utf8(TX_DOMAIN), encodedBody);
  if (encodedBody.length + 65 > MAX_TX_BYTES) {
    throw new Error(`the transaction is ${encodedBody.length + 65} bytes; the limit is ${MAX_TX_BYTES}`);
  }
  const signature = await signer.sign(signing);
  if (signature.length !== 64) throw new Error(`a signature is 64 bytes, not ${signature.length}`);
  const tag = Uint8Array.of(body.sender.algorithm === "ed25519" ? 0 : 1);
  return { body, signature, id: toHex(sha256(signing)), encoded: concat(encodedBody, tag, signature) };
}

/**
 * A module's message: its module's routing name and its JSON form. Numbers above 2^53 do not
 * survive `JSON.stringify` (and BigInt is refused by it): send such fields as strings, as the
 * modules' messages do for amounts that large.
 */
export interface ModuleMessage {
  readonly module: string;
  readonly msg: object;
}

/**
 * Builds and signs transactions for one account on one chain, like the Rust `TxBuilder`:
 * a fresh random nonce and an expiry `ttlMs` ahead for each.
 */
export class TxBuilder {
  ttlMs = 60_000;

  constructor(
    readonly chainId: string,
    readonly signer: Signer,
  ) {}

  async build(message: ModuleMessage, nowMs: number = Date.now()): Promise<SignedTx> {
    const nonce = new DataView(globalThis.crypto.getRandomValues(new Uint8Array(8)).buffer).getBigUint64(0, true);
    return signTx(
      {
        chainId: this.chainId,
        sender: this.signer.publicKey,
        nonce,
        expiresAtMs: BigInt(nowMs + this.ttlMs),
        module: message.module,
        msg: utf8(JSON.stringify(message.msg)),
      },
      this.signer,
    );
  }
}
