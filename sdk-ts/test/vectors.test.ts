// The signing specification's test vector (docs/transactions.md), reproduced byte for byte,
// and the encoders' refusals.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import {
  Ed25519Signer,
  P256Signer,
  PublicKey,
  WebCryptoP256Signer,
  fromHex,
  signTx,
  signingBytes,
  toHex,
  txId,
  verifySignature,
  type TxBody,
} from "../src/index.js";
import { u32, u64 } from "../src/bytes.js";

/** The vector table of docs/transactions.md, read from the document itself. */
function vector(): Record<string, string> {
  const doc = readFileSync(fileURLToPath(new URL("../../../docs/transactions.md", import.meta.url)), "utf8");
  const rows: Record<string, string> = {};
  for (const m of doc.matchAll(/^\| ([a-z ]+) \| `([^`]+)` \|$/gm)) rows[m[1]!] = m[2]!;
  for (const k of ["public key", "address", "signing bytes", "transaction id", "signature", "encoded transaction"]) {
    assert.ok(rows[k], `docs/transactions.md has no '${k}' row`);
  }
  return rows;
}

function vectorBody(sender: PublicKey): TxBody {
  const msg = `{"type":"anchor","namespace":"demo","root":"${"0".repeat(64)}","leaves":1}`;
  return {
    chainId: "dojang-dev",
    sender,
    nonce: 1n,
    expiresAtMs: 1767225600000n,
    module: "anchor",
    msg: new TextEncoder().encode(msg),
  };
}

test("the Ed25519 vector of docs/transactions.md is reproduced byte for byte", async () => {
  const v = vector();
  const signer = new Ed25519Signer(new Uint8Array(32).fill(1));
  assert.equal(signer.publicKey.toString(), v["public key"]);
  assert.equal(signer.publicKey.address(), v["address"]);
  const body = vectorBody(signer.publicKey);
  assert.equal(toHex(signingBytes(body)), v["signing bytes"]);
  assert.equal(txId(body), v["transaction id"]);
  const tx = await signTx(body, signer);
  assert.equal(toHex(tx.signature), v["signature"]);
  assert.equal(toHex(tx.encoded), v["encoded transaction"]);
  assert.equal(tx.id, v["transaction id"]);
});

test("P-256 signatures, in memory and by a non-extractable WebCrypto key, verify over the same bytes", async () => {
  const mem = P256Signer.generate();
  const web = await WebCryptoP256Signer.generate();
  for (const signer of [mem, web]) {
    assert.equal(signer.publicKey.bytes.length, 65);
    const body = vectorBody(signer.publicKey);
    const tx = await signTx(body, signer);
    assert.equal(tx.encoded[tx.encoded.length - 65], 1, "signature tag 1: P-256");
    assert.ok(verifySignature(signer.publicKey, signingBytes(body), tx.signature));
    const other = { ...body, nonce: 2n };
    assert.ok(!verifySignature(signer.publicKey, signingBytes(other), tx.signature), "bound to the body");
  }
  const pair = await globalThis.crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  await assert.rejects(globalThis.crypto.subtle.exportKey("pkcs8", pair.privateKey), "the private key cannot be read out");
});

test("a signer that is not the sender, and malformed keys and numbers, are refused", async () => {
  const a = Ed25519Signer.generate();
  const b = Ed25519Signer.generate();
  await assert.rejects(signTx(vectorBody(a.publicKey), b), /not the sender/);
  assert.throws(() => PublicKey.parse("ed25519:abcd"), /32 bytes/);
  assert.throws(() => PublicKey.parse("rsa:00"), /ed25519:<hex>/);
  assert.throws(() => PublicKey.parse("p256:" + "02" + "00".repeat(64)), /uncompressed/);
  assert.throws(() => fromHex("abc"), /hex/);
  assert.throws(() => fromHex("ZZ"), /hex/);
  assert.throws(() => u64(-1), /u64/);
  assert.throws(() => u64(1n << 64n), /u64/);
  assert.throws(() => u64(2 ** 60), /u64/, "unsafe integers must be bigints");
  assert.throws(() => u32(2 ** 32), /u32/);
  await assert.rejects(signTx({ ...vectorBody(a.publicKey), module: "" }, a), /module/);
  await assert.rejects(signTx({ ...vectorBody(a.publicKey), msg: new Uint8Array(70_000) }, a), /limit/);
  assert.ok(!verifySignature(a.publicKey, new Uint8Array(3), new Uint8Array(10)), "a short signature is no signature");
});
