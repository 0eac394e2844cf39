// Reads checked end to end against a real dev node: the set pinned from the genesis file (not
// from the node), certificates, Merkle proofs of present and absent keys, block hashes equal
// to the node's, and every kind of tampering refused with its own error.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import {
  Client,
  CommitError,
  Governance,
  Identity,
  MalformedError,
  ProofError,
  TrustedChain,
  VerifiedReader,
  VerifyError,
  headerHash,
  toHex,
  verifyStateProof,
  fromHex,
  utf8Bytes,
  Ed25519Signer,
  TxBuilder,
  Anchor,
  DecodeError,
  decodeValidators,
  encodeValidators,
} from "./helpers.js";
import { startDevNode, type DevNode } from "./devnode.js";

let dev: DevNode | undefined;
let genesis: any;
let admin = "";
let adminSeed = "";

before(async () => {
  dev = await startDevNode("dojang-sdk-ts-verify-");
  genesis = JSON.parse(readFileSync(join(dev.dir, "home", "genesis.json"), "utf8"));
  const adminFile = JSON.parse(readFileSync(join(dev.dir, "home", "keys", "admin.json"), "utf8"));
  admin = adminFile.address;
  adminSeed = adminFile.secret_hex;
  const client = new Client(dev.url);
  for (let i = 0; i < 100 && (await client.status()).height < 2; i++) await new Promise((r) => setTimeout(r, 200));
});

after(() => dev?.stop());

const reader = () => new VerifiedReader(new Client(dev!.url), TrustedChain.fromGenesis(genesis));

/** A fetch that passes requests to the node and lets a test change the JSON answers. */
function tampering(change: (path: string, body: any) => void): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const body = await res.json();
    change(new URL(String(input)).pathname, body);
    return new Response(JSON.stringify(body), { status: res.status, headers: { "content-type": "application/json" } });
  };
}

test("an account's roles are read with a proof checked against the genesis set, and match the module's query", async () => {
  const r = reader();
  const v = await r.json<any>(Governance.accountKey(admin));
  assert.ok(v.value, "the admin has an account record");
  assert.ok(Object.keys(v.value.roles).includes("admin"), `roles: ${Object.keys(v.value.roles)}`);
  assert.equal(v.commit.signed, 1);
  assert.equal(v.commit.members, 1);
  assert.ok(v.height >= 1);
  assert.equal(r.chain.lowestHeight, v.height, "a verified read raises the lowest accepted height");
  const asked = await new Governance(new Client(dev!.url)).account(admin);
  assert.deepEqual(Object.keys(asked.roles).sort(), Object.keys(v.value.roles).sort());
});

test("a key that is not in state is proven absent", async () => {
  const v = await reader().state(Identity.orgKey("did:web:no-such-agency.example"));
  assert.equal(v.value, null);
  assert.equal(v.commit.signed, 1);
});

test("block hashes computed here equal the node's, and each block's certificate checks", async () => {
  const r = reader();
  const client = new Client(dev!.url);
  for (const h of [1, 2]) {
    const b = await client.get(`/v1/blocks/${h}`);
    assert.equal(headerHash(b.block.header), b.hash);
    const v = await r.block(h);
    assert.equal(v.hash, b.hash);
    assert.deepEqual(v.txIds, b.tx_ids);
    assert.equal(v.commit.signed, 1);
  }
  const latest = await r.block("latest");
  assert.ok(latest.header.height >= 2);
  await r.state(Governance.accountKey(admin));
  assert.equal((await r.block(1)).header.height, 1, "history stays readable after a later state read");
});

test("a changed value, proof, state root or signature is refused, each with its own error", async () => {
  const key = Governance.accountKey(admin);
  const cases: [string, (path: string, body: any) => void, (e: unknown) => boolean][] = [
    ["value", (_, b) => (b.value_hex = b.value_hex.slice(0, -2) + (b.value_hex.endsWith("7d") ? "20" : "7d")), (e) => e instanceof ProofError],
    ["absent", (_, b) => (b.value_hex = null), (e) => e instanceof ProofError],
    ["proof", (_, b) => (b.proof_hex = b.proof_hex.slice(0, -2) + (b.proof_hex.endsWith("00") ? "01" : "00")), (e) => e instanceof ProofError],
    ["truncated proof", (_, b) => (b.proof_hex = b.proof_hex.slice(0, 40)), (e) => (e as Error).name === "DecodeError"],
    ["state root", (_, b) => (b.header.state_root = "00".repeat(32)), (e) => e instanceof CommitError && e.kind === "wrong-block"],
    [
      "signature",
      (_, b) => {
        const s = b.commit.signatures[0];
        s.signature = (s.signature[0] === "0" ? "1" : "0") + s.signature.slice(1);
      },
      (e) => e instanceof CommitError && e.kind === "not-enough-power",
    ],
    ["chain", (_, b) => (b.header.chain_id = "another-city"), (e) => e instanceof VerifyError && e.kind === "wrong-chain"],
    ["header missing", (_, b) => delete b.header, (e) => e instanceof MalformedError],
  ];
  for (const [what, change, expected] of cases) {
    const r = new VerifiedReader(new Client(dev!.url, tampering(change)), TrustedChain.fromGenesis(genesis));
    await assert.rejects(r.state(key), (e) => expected(e) || assert.fail(`${what}: unexpected ${e}`), what);
  }
});

test("an answer older than the reader already saw, or older than the allowed age, is refused", async () => {
  const r = reader();
  const first = await r.state(Governance.accountKey(admin));
  r.chain.requireHeight(first.height + 1_000_000);
  await assert.rejects(r.state(Governance.accountKey(admin)), (e) => e instanceof VerifyError && e.kind === "below-min-height");
  const late = new VerifiedReader(new Client(dev!.url), TrustedChain.fromGenesis(genesis), () => Date.now() + 10 * 60_000);
  await assert.rejects(late.state(Governance.accountKey(admin)), (e) => e instanceof VerifyError && e.kind === "too-old");
});

test("two reads in flight across a block: the one asked first and answered lower is accepted; the minimum stays at the higher", async () => {
  // The first state request gets its answer from the node and is held back until a later read
  // at a higher height has come back: what a page reading many keys at once meets every block.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let heldAt!: (h: number) => void;
  const held = new Promise<number>((r) => (heldAt = r));
  let first = true;
  const holding: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (!first || !String(input).includes("/v1/state")) return res;
    first = false;
    const body = await res.json();
    heldAt(body.height);
    await gate;
    return new Response(JSON.stringify(body), { status: res.status, headers: { "content-type": "application/json" } });
  };
  const r = new VerifiedReader(new Client(dev!.url, holding), TrustedChain.fromGenesis(genesis));
  const key = Governance.accountKey(admin);
  const early = r.state(key);
  const low = await held;
  const status = new Client(dev!.url);
  for (let i = 0; i < 100 && (await status.status()).height <= low; i++) await new Promise((res) => setTimeout(res, 100));
  const later = await r.state(key);
  assert.ok(later.height > low, `the later read is at ${later.height}, above the held ${low}`);
  release();
  const answered = await early;
  assert.equal(answered.height, low);
  assert.equal(r.chain.lowestHeight, later.height, "the late answer lowered nothing");
  // A read sent after the minimum rose is held to it: with the minimum above anything the
  // node has, its answer is refused.
  r.chain.requireHeight(later.height + 1_000_000);
  await assert.rejects(r.state(key), (e) => e instanceof VerifyError && e.kind === "below-min-height");
});

test("a set the genesis does not name is never taken from the node", async () => {
  const other = structuredClone(genesis);
  other.validators[0].public_key = "ed25519:" + "11".repeat(32);
  const r = new VerifiedReader(new Client(dev!.url), TrustedChain.fromGenesis(other));
  await assert.rejects(r.state(Governance.accountKey(admin)), (e) => e instanceof VerifyError || e instanceof CommitError);
});

test("the event stream yields finalized blocks and stops when aborted", async () => {
  const client = new Client(dev!.url);
  const abort = new AbortController();
  const seen: number[] = [];
  try {
    for await (const e of client.events(abort.signal)) {
      if (e.kind === "block") seen.push(e.height);
      if (seen.length === 2) break;
    }
  } finally {
    abort.abort();
  }
  assert.equal(seen.length, 2);
  assert.equal(seen[1], seen[0]! + 1, "consecutive blocks");
});

test("a proof checked here for a present key fails for any other key or value", async () => {
  const a = await new Client(dev!.url).get(`/v1/state?key=${encodeURIComponent(Governance.accountKey(admin))}`);
  const root = fromHex(a.header.state_root);
  const proof = fromHex(a.proof_hex);
  verifyStateProof(utf8Bytes(Governance.accountKey(admin)), fromHex(a.value_hex), root, proof);
  assert.throws(() => verifyStateProof(utf8Bytes(Governance.accountKey(admin) + "x"), fromHex(a.value_hex), root, proof), ProofError);
  assert.throws(() => verifyStateProof(utf8Bytes(Governance.accountKey(admin)), utf8Bytes("{}"), root, proof), ProofError);
  assert.equal(toHex(root), a.state_root);
});

test("a committed transaction's bytes, id, signature, block and receipt are proven; any change is refused", async () => {
  const client = new Client(dev!.url);
  const builder = new TxBuilder(genesis.chain_id, new Ed25519Signer(fromHex(adminSeed)));
  const msg = new Anchor(client).anchor("sdk-ts.inclusion", toHex(new Uint8Array(32).fill(7)), 3);
  const receipt = await client.send(builder, msg);
  const id = receipt.tx_id;
  const proven = await reader().tx(id);
  assert.equal(proven.id, id);
  assert.equal(proven.body.module, "anchor");
  assert.equal(proven.receipt.result.status, "ok");
  assert.equal(proven.block.header.height, receipt.height);
  assert.equal(proven.block.commit.signed, 1);
  assert.ok(proven.block.txIds.includes(id), "the block's proven id list holds it");
  const dropped = new VerifiedReader(
    new Client(dev!.url, tampering((path, b) => path.startsWith("/v1/blocks/") && (b.tx_ids = []))),
    TrustedChain.fromGenesis(genesis),
  );
  await assert.rejects(dropped.block(receipt.height), ProofError, "a block whose id list lost an id");
  const cases: [string, (b: any) => void, (e: unknown) => boolean][] = [
    ["tx bytes", (b) => (b.tx_hex = b.tx_hex.slice(0, -2) + (b.tx_hex.endsWith("00") ? "01" : "00")), (e) => e instanceof ProofError],
    ["tx truncated", (b) => (b.tx_hex = b.tx_hex.slice(0, 30)), (e) => e instanceof DecodeError],
    ["receipt outcome", (b) => (b.receipt.result = { status: "failed", code: "x", reason: "y" }), (e) => e instanceof ProofError],
    ["receipt event", (b) => b.receipt.events.push({ module: "anchor", kind: "forged", attributes: [] }), (e) => e instanceof ProofError],
    ["receipt event shape", (b) => b.receipt.events.push({ module: "anchor" }), (e) => e instanceof MalformedError],
    ["tx path", (b) => b.inclusion.tx_proof.push({ sibling: "00".repeat(32), left: true }), (e) => e instanceof ProofError],
    ["receipt path", (b) => b.inclusion.receipt_proof.push({ sibling: "00".repeat(32), left: false }), (e) => e instanceof ProofError],
    ["height", (b) => (b.inclusion.height = 1), (e) => e instanceof ProofError],
  ];
  for (const [what, change, expected] of cases) {
    const fetcher = tampering((path, body) => path.startsWith("/v1/txs/") && change(body));
    const r = new VerifiedReader(new Client(dev!.url, fetcher), TrustedChain.fromGenesis(genesis));
    await assert.rejects(r.tx(id), (e) => expected(e) || assert.fail(`${what}: unexpected ${e}`), what);
  }
});

test("the validator set in state decodes to the genesis set, proven", async () => {
  const v = await reader().state("ledger/validators");
  const set = decodeValidators(v.value!);
  assert.equal(set.length, genesis.validators.length);
  assert.equal(set[0]!.public_key, genesis.validators[0].public_key);
  assert.equal(set[0]!.name, genesis.validators[0].name);
  assert.deepEqual(encodeValidators(set), v.value);
});

test("the typed governance client's proposal executes on a council of one, and its effect is read with a proof", async () => {
  const client = new Client(dev!.url);
  const gov = new Governance(client);
  const admin = new Ed25519Signer(fromHex(adminSeed));
  const builder = new TxBuilder(genesis.chain_id, admin);
  const newcomer = new Ed25519Signer(globalThis.crypto.getRandomValues(new Uint8Array(32))).publicKey.address();
  const r = reader();
  assert.equal((await r.json(Governance.accountKey(newcomer))).value, null, "no roles yet");
  const receipt = await client.send(builder, gov.propose(gov.grantRole(newcomer, "auditor"), "sdk-ts test: an auditor", Date.now() + 3_600_000));
  assert.equal(receipt.result.status, "ok");
  const after = await r.json<any>(Governance.accountKey(newcomer));
  assert.ok(after.value?.roles?.auditor, JSON.stringify(after.value));
  assert.ok(after.height >= receipt.height);
  const proposals = await gov.proposals(5);
  assert.ok(proposals.proposals.some((p: any) => p.reason === "sdk-ts test: an auditor" && p.status === "executed"), JSON.stringify(proposals));
  assert.throws(() => gov.grantRole("not-an-address", "auditor"), MalformedError);
  assert.throws(() => gov.approve(-1), /non-negative/);
  assert.throws(() => gov.propose(gov.grantRole(newcomer, "auditor"), "x", 0), /Unix milliseconds/);
});
