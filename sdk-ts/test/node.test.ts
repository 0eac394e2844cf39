// Against a real node (the `dojang` binary named by DOJANG_BIN, which scripts/sdk-ts.sh sets):
// keys the Rust CLI writes give the same public keys and addresses here; transactions signed
// here are admitted, their ids are the node's ids, and refusals come back typed.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { p256 } from "@noble/curves/nist";

import {
  Client,
  Ed25519Signer,
  P256Signer,
  ProblemError,
  keyFileSigner,
  TxBuilder,
  WebCryptoP256Signer,
  fromHex,
  signTx,
  toHex,
  type Signer,
} from "../src/index.js";
import { startDevNode, type DevNode } from "./devnode.js";

const BIN = process.env.DOJANG_BIN;
let dir = "";
let url = "";
let dev: DevNode | undefined;

function keyFile(path: string): { algorithm: string; public_key: string; address: string; secret_hex: string } {
  return JSON.parse(readFileSync(path, "utf8"));
}

before(async () => {
  dev = await startDevNode("dojang-sdk-ts-");
  ({ dir, url } = dev);
});

after(() => dev?.stop());

const anchor = (namespace: string) => ({
  module: "anchor",
  msg: { type: "anchor", namespace, root: toHex(globalThis.crypto.getRandomValues(new Uint8Array(32))), leaves: 1 },
});

test("key files the Rust CLI writes give the same public keys and addresses", () => {
  for (const alg of ["ed25519", "p256"]) {
    const path = join(dir, `${alg}.json`);
    execFileSync(BIN!, ["keys", "new", "--out", path, "--algorithm", alg, "--insecure-clear-keys"], { stdio: "ignore" });
    const f = keyFile(path);
    const signer = keyFileSigner(f);
    assert.equal(signer.publicKey.algorithm, alg);
    assert.equal(signer.publicKey.toString(), f.public_key);
    assert.equal(signer.publicKey.address(), f.address);
  }
  const p256File = keyFile(join(dir, "p256.json"));
  const tampered = p256File.secret_hex.slice(0, -2) + (p256File.secret_hex.endsWith("00") ? "01" : "00");
  assert.throws(() => keyFileSigner({ ...p256File, secret_hex: tampered }), /does not match/);
  assert.throws(() => keyFileSigner({ ...p256File, secret_hex: "3000" }), /PKCS#8/);
  assert.throws(() => keyFileSigner({ ...p256File, secret_hex: undefined }), /encrypted/);
  const ed = keyFile(join(dir, "ed25519.json"));
  assert.throws(() => keyFileSigner({ ...p256File, address: ed.address }), /does not match/);
  assert.throws(() => keyFileSigner({ ...ed, public_key: p256File.public_key }), /does not match/);
});

test("transactions signed here are admitted with the node's own ids; refusals are typed", async () => {
  const client = new Client(url);
  const { chain_id } = await client.status();
  const admin = new Ed25519Signer(fromHex(keyFile(join(dir, "home", "keys", "admin.json")).secret_hex));
  const asAdmin = new TxBuilder(chain_id, admin);

  const tx = await asAdmin.build(anchor("ts-sdk"));
  const submitted = await client.submit(tx, true);
  assert.equal(submitted.id, tx.id, "the node computes the same id");
  assert.equal(submitted.receipt?.tx_id, tx.id);
  assert.deepEqual(submitted.receipt?.result, { status: "ok" });
  assert.equal(submitted.receipt?.events[0]?.kind, "anchored");

  // A P-256 key with no role is refused for its role (a node checks the permit first).
  const stranger = P256Signer.generate();
  const refused = await client.submit(await new TxBuilder(chain_id, stranger).build(anchor("ts-sdk")), false).catch((e) => e);
  assert.ok(refused instanceof ProblemError && refused.status === 403, `${refused}`);
  assert.equal(refused.kind, "not-permitted");

  // The same transaction with one bit of its signature flipped.
  const good = await signTx({ ...tx.body, nonce: tx.body.nonce + 1n }, admin);
  const bad = { ...good, encoded: good.encoded.slice() };
  bad.encoded[bad.encoded.length - 1]! ^= 1;
  const e = await client.submit(bad, false).catch((x) => x);
  assert.ok(e instanceof ProblemError && e.kind === "bad-signature", `${e}`);

  // Another chain's transaction.
  const foreign = await new TxBuilder("another-chain", admin).build(anchor("ts-sdk"));
  const w = await client.submit(foreign, false).catch((x) => x);
  assert.ok(w instanceof ProblemError && w.kind === "wrong-chain", `${w}`);
});

/** Grants `role` to `account` by a proposal of the dev chain's council of one (the admin). */
async function grant(client: Client, chainId: string, admin: Signer, account: string, role: string) {
  const propose = {
    module: "governance",
    msg: {
      type: "propose",
      proposal: { module: "governance", msg: { type: "grant_role", account, role } },
      reason: "sdk test role",
      expires_at_ms: Date.now() + 60_000,
    },
  };
  const r = await client.send(new TxBuilder(chainId, admin), propose);
  assert.ok(r.events.some((e) => e.kind === "proposal_executed"), JSON.stringify(r.events));
}

test("an in-memory P-256 key with a role anchors, and its flipped signature is refused", async () => {
  const client = new Client(url);
  const { chain_id } = await client.status();
  const admin = new Ed25519Signer(fromHex(keyFile(join(dir, "home", "keys", "admin.json")).secret_hex));
  const key = P256Signer.generate();
  await grant(client, chain_id, admin, key.publicKey.address(), "auditor");
  const tx = await new TxBuilder(chain_id, key).build(anchor("ts-p256"));
  const bad = { ...tx, encoded: tx.encoded.slice() };
  bad.encoded[bad.encoded.length - 1]! ^= 1;
  const e = await client.submit(bad, false).catch((x) => x);
  assert.ok(e instanceof ProblemError && e.kind === "bad-signature", `${e}`);
  const ok = await client.submit(tx, true);
  assert.equal(ok.id, tx.id);
  assert.deepEqual(ok.receipt?.result, { status: "ok" });
});

test("a browser's non-extractable P-256 key, granted a role by the council, anchors", async () => {
  const client = new Client(url);
  const { chain_id } = await client.status();
  const admin = new Ed25519Signer(fromHex(keyFile(join(dir, "home", "keys", "admin.json")).secret_hex));
  const web: Signer = await WebCryptoP256Signer.generate();
  const account = web.publicKey.address();
  await grant(client, chain_id, admin, account, "auditor");
  const roles = await client.query("governance", `account/${account}`);
  assert.ok(roles.roles.auditor, JSON.stringify(roles));
  // WebCrypto's s falls in either half of the curve order; the node must take both. Sign until
  // both halves have been seen (each try is a coin toss) and send each.
  const asWeb = new TxBuilder(chain_id, web);
  const halfN = p256.CURVE.n / 2n;
  const seen = new Set<string>();
  for (let i = 0; i < 64 && seen.size < 2; i++) {
    const tx = await asWeb.build(anchor("ts-browser"));
    const half = BigInt("0x" + toHex(tx.signature.subarray(32))) > halfN ? "high" : "low";
    if (seen.has(half)) continue;
    seen.add(half);
    const s = await client.submit(tx, true);
    assert.deepEqual(s.receipt?.result, { status: "ok" }, `a ${half}-s signature`);
  }
  assert.equal(seen.size, 2, "both halves of s were tried");
  for (let i = 0; i < 4; i++) {
    const receipt = await client.send(asWeb, anchor("ts-browser"));
    assert.deepEqual(receipt.result, { status: "ok" });
  }
  const series = await client.query("anchor", `series/${account}/ts-browser`, { limit: "5" });
  assert.equal(series.records.length, 5, "the limit parameter is honoured");
});
