// The signing specification's test vector (docs/transactions.md), reproduced byte for byte,
// and the encoders' refusals.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import {
  Client,
  Ed25519Signer,
  NotFinalError,
  ProblemError,
  TxBuilder,
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
  const pair = await globalThis.crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const web = await WebCryptoP256Signer.fromKeyPair(pair);
  for (const signer of [mem, web]) {
    assert.equal(signer.publicKey.bytes.length, 65);
    const body = vectorBody(signer.publicKey);
    const tx = await signTx(body, signer);
    assert.equal(tx.encoded[tx.encoded.length - 65], 1, "signature tag 1: P-256");
    assert.ok(verifySignature(signer.publicKey, signingBytes(body), tx.signature));
    const other = { ...body, nonce: 2n };
    assert.ok(!verifySignature(signer.publicKey, signingBytes(other), tx.signature), "bound to the body");
  }
  await assert.rejects(globalThis.crypto.subtle.exportKey("pkcs8", pair.privateKey), "the signer's key cannot be read out");
  await assert.rejects(globalThis.crypto.subtle.exportKey("jwk", pair.privateKey));
  // A signature WebCrypto made is checked by a second implementation (node:crypto, OpenSSL).
  const { createPublicKey, verify } = await import("node:crypto");
  const spki = createPublicKey({ key: Buffer.from(await globalThis.crypto.subtle.exportKey("spki", pair.publicKey)), format: "der", type: "spki" });
  const body = vectorBody(web.publicKey);
  const tx = await signTx(body, web);
  assert.ok(verify("sha256", signingBytes(body), { key: spki, dsaEncoding: "ieee-p1363" }, tx.signature));
  const mtx = await signTx(vectorBody(mem.publicKey), mem);
  const memSpki = createPublicKey({ key: { kty: "EC", crv: "P-256", x: b64url(mem.publicKey.bytes.subarray(1, 33)), y: b64url(mem.publicKey.bytes.subarray(33)) }, format: "jwk" });
  assert.ok(verify("sha256", signingBytes(mtx.body), { key: memSpki, dsaEncoding: "ieee-p1363" }, mtx.signature));
});

const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url");

test("PKCS#8 keys are read exactly: OpenSSL's own export works, damaged ones are refused", async () => {
  const { generateKeyPairSync } = await import("node:crypto");
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const der = new Uint8Array(privateKey.export({ format: "der", type: "pkcs8" }));
  const signer = P256Signer.fromPkcs8(der);
  const raw = new Uint8Array(publicKey.export({ format: "der", type: "spki" })).subarray(-65);
  assert.equal(toHex(signer.publicKey.bytes), toHex(raw));
  const hex = toHex(der);
  for (const [bad, why] of [
    [hex + "00", /bytes after/],
    [hex.slice(0, -2), /cut short|expected/],
    [hex.replace("2a8648ce3d030107", "2b8104000a000000".slice(0, 16)), /P-256 curve/],
    ["3000", /PrivateKeyInfo|version|expected/],
    ["", /PrivateKeyInfo/],
  ] as const) {
    assert.throws(() => P256Signer.fromPkcs8(fromHex(bad)), why, bad.slice(0, 20));
  }
  // The embedded public key is required and must be this key's.
  const flipped = hex.slice(0, -2) + (hex.endsWith("00") ? "01" : "00");
  assert.throws(() => P256Signer.fromPkcs8(fromHex(flipped)), /does not match/);
});

test("a signer that is not the sender, and malformed keys and numbers, are refused", async () => {
  const a = Ed25519Signer.generate();
  const b = Ed25519Signer.generate();
  await assert.rejects(signTx(vectorBody(a.publicKey), b), /not the sender/);
  assert.throws(() => PublicKey.parse("ed25519:abcd"), /32 bytes/);
  assert.throws(() => PublicKey.parse("rsa:00"), /ed25519:<hex>/);
  assert.throws(() => PublicKey.parse(a.publicKey.toString() + ":junk"), /ed25519:<hex>/);
  assert.equal(PublicKey.parse(a.publicKey.toString().toUpperCase().replace("ED25519", "ed25519")).toString(), a.publicKey.toString());
  assert.throws(() => PublicKey.parse("p256:" + "02" + "00".repeat(64)), /uncompressed/);
  assert.throws(() => fromHex("abc"), /hex/);
  assert.throws(() => fromHex("ZZ"), /hex/);
  assert.throws(() => u64(-1), /u64/);
  assert.throws(() => u64(1n << 64n), /u64/);
  assert.throws(() => u64(2 ** 60), /u64/, "unsafe integers must be bigints");
  assert.throws(() => u32(2 ** 32), /u32/);
  await assert.rejects(signTx({ ...vectorBody(a.publicKey), module: "" }, a), /module/);
  await assert.rejects(signTx({ ...vectorBody(a.publicKey), module: "m".repeat(65) }, a), /module/);
  await assert.rejects(signTx({ ...vectorBody(a.publicKey), msg: new Uint8Array(70_000) }, a), /limit/);
  assert.ok(!verifySignature(a.publicKey, new Uint8Array(3), new Uint8Array(10)), "a short signature is no signature");
});

test("the client encodes query paths and parameters, refuses '..', and types its refusals", async () => {
  const seen: string[] = [];
  const answers: Response[] = [];
  const fake = (async (input: RequestInfo | URL) => {
    seen.push(String(input));
    return answers.shift() ?? new Response("{}", { status: 200 });
  }) as typeof fetch;
  const client = new Client("http://node.example/", fake);
  await client.query("identity", "org/did:web:a b", { as_of: "2026-03-01", q: "a&b=c" });
  assert.equal(seen[0], "http://node.example/v1/query/identity/org/did%3Aweb%3Aa%20b?as_of=2026-03-01&q=a%26b%3Dc");
  assert.throws(() => client.query("governance", "../status"), /not a query path/);
  assert.throws(() => client.query("governance", "a//b"), /not a query path/);
  answers.push(new Response("<html>bad gateway</html>", { status: 502 }));
  const e = await client.status().catch((x) => x);
  assert.ok(e instanceof ProblemError && e.status === 502 && e.kind === "http-error" && e.detail.includes("bad gateway"), `${e}`);
  answers.push(new Response(JSON.stringify({ type: "https://dojang.dev/problems/replay", detail: "spent" }), { status: 409 }));
  const r = await client.status().catch((x) => x);
  assert.ok(r instanceof ProblemError && r.kind === "replay" && r.detail === "spent", `${r}`);
  const signer = Ed25519Signer.generate();
  answers.push(new Response(JSON.stringify({ id: "ab" }), { status: 202 }));
  const nf = await client.send(new TxBuilder("c", signer), { module: "anchor", msg: {} }).catch((x) => x);
  assert.ok(nf instanceof NotFinalError && nf.id === "ab", `${nf}`);
  assert.ok(seen.at(-1)!.endsWith("/v1/txs?wait=true&timeout_ms=30000"));
});
