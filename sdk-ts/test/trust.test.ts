// Following the validator set and decoding hostile bytes, without a node: a synthetic chain
// whose state is one leaf (so its trie proof has no siblings), signed by keys made here.

import { test } from "node:test";
import assert from "node:assert/strict";

import { ed25519 } from "@noble/curves/ed25519";
import { sha256 } from "@noble/hashes/sha2";

import {
  Client,
  CommitError,
  DecodeError,
  Ed25519Signer,
  TrustedChain,
  VALIDATORS_KEY,
  VerifiedReader,
  VerifyError,
  concat,
  decodeStateProof,
  decodeValidators,
  encodeValidators,
  headerHash,
  parseEvents,
  precommitSignBytes,
  toHex,
  validatorsHash,
  type BlockHeader,
  type Commit,
  type Validator,
  utf8Bytes,
} from "./helpers.js";

const CHAIN = "synthetic";
/** The root over no transactions: SHA-256 of nothing. */
const EMPTY_ROOT = toHex(sha256(new Uint8Array(0)));

function member(seedByte: number, name: string): { v: Validator; seed: Uint8Array } {
  const seed = new Uint8Array(32).fill(seedByte);
  const key = new Ed25519Signer(seed).publicKey;
  return { v: { address: key.address(), public_key: key.toString(), power: 10, name }, seed };
}

/** The root of a state holding only `ledger/validators` = `set`, and that leaf's proof. */
function stateOf(set: Validator[]): { root: string; proof: string } {
  const keyPath = sha256(utf8Bytes(VALIDATORS_KEY));
  const valueHash = sha256(encodeValidators(set));
  // A trie of one leaf: the root is that leaf's hash, with the top bit set.
  const root = sha256(concat(keyPath, valueHash));
  root[0] = root[0]! | 0x80;
  // Some(leaf), then zero siblings.
  return { root: toHex(root), proof: toHex(concat(Uint8Array.of(1), keyPath, valueHash, new Uint8Array(4))) };
}

function block(height: number, deciding: Validator[], next: Validator[], signers: Uint8Array[], signerSet: Validator[]) {
  const header: BlockHeader = {
    chain_id: CHAIN,
    height,
    time_ms: Date.now() - 1000,
    prev_hash: "00".repeat(32),
    txs_root: EMPTY_ROOT,
    receipts_root: "00".repeat(32),
    state_root: stateOf(next).root,
    validators_hash: validatorsHash(deciding),
    proposer: deciding[0]!.address,
  };
  const hash = headerHash(header);
  const commit: Commit = {
    height,
    round: 0,
    block_hash: hash,
    signatures: signers.map((seed, i) => ({
      validator: signerSet[i]!.address,
      signature: toHex(ed25519.sign(precommitSignBytes(CHAIN, height, 0, hash, signerSet[i]!.address), seed)),
    })),
  };
  return { block: { header, txs: [] }, commit, hash, tx_ids: [] };
}

/** A node serving blocks 1..3: set A decides 1 and 2, block 2's state names set B, B decides 3. */
function synthetic(forgeStep: boolean) {
  const a = [member(1, "a1"), member(2, "a2"), member(3, "a3")];
  const b = [member(4, "b1"), member(5, "b2"), member(6, "b3")];
  const A = a.map((m) => m.v);
  const B = b.map((m) => m.v);
  // A forged step: block 2 "signed" by B itself, which the pinned set A never agreed to.
  const step = forgeStep ? block(2, A, B, b.map((m) => m.seed), B) : block(2, A, B, a.map((m) => m.seed), A);
  const blocks: Record<string, any> = {
    "1": block(1, A, A, a.map((m) => m.seed), A),
    "2": step,
    "3": block(3, B, B, b.map((m) => m.seed), B),
  };
  const answers = (path: string, search: URLSearchParams): any => {
    const m = path.match(/^\/v1\/blocks\/(\d+)$/);
    if (m) return blocks[m[1]!];
    if (path === "/v1/validators" && search.get("height") === "2") {
      return { height: 2, validators: A, proof: { version: 1, proof_hex: stateOf(A).proof } };
    }
    if (path === "/v1/validators" && search.get("height") === "3") {
      return { height: 3, validators: B, proof: { version: 2, proof_hex: stateOf(B).proof } };
    }
    return undefined;
  };
  const fetcher: typeof fetch = async (input) => {
    const url = new URL(String(input));
    const body = answers(url.pathname, url.searchParams);
    return new Response(JSON.stringify(body ?? { detail: "no" }), { status: body ? 200 : 404 });
  };
  return { A, B, reader: new VerifiedReader(new Client("http://synthetic", fetcher), new TrustedChain(CHAIN, A)) };
}

test("a validator set change is followed through the certificate of the set pinned before it", async () => {
  const { B, reader } = synthetic(false);
  const b3 = await reader.block(3);
  assert.equal(b3.commit.signed, 3);
  assert.equal(reader.chain.pinned().from, 3);
  assert.equal(reader.chain.pinnedHash, validatorsHash(B));
  // History before the change is still checked, with the set that decided it.
  assert.equal((await reader.block(1)).commit.signed, 3);
  assert.equal((await reader.block(2)).header.height, 2);
});

test("reads that start together after a change follow it once and all succeed", async () => {
  const { B, reader } = synthetic(false);
  let asked = 0;
  const inner = (reader.client as any).fetcher as typeof fetch;
  const counting: typeof fetch = async (input, init) => {
    if (new URL(String(input)).pathname === "/v1/validators") asked++;
    return inner(input, init);
  };
  const shared = new VerifiedReader(new Client("http://synthetic", counting), reader.chain);
  const all = await Promise.all([shared.block(3), shared.block(3), shared.block(2), shared.block(3)]);
  assert.deepEqual(all.map((b) => b.header.height), [3, 3, 2, 3]);
  assert.equal(reader.chain.pinnedHash, validatorsHash(B));
  assert.equal(asked, 1, "one follow step for all four reads");
  assert.equal(reader.chain.knownSets().length, 2);
});

test("a replaced set cannot certify a header at or above the height its successor decides from", async () => {
  const a = [member(1, "a1"), member(2, "a2"), member(3, "a3")];
  const { A, reader } = synthetic(false);
  await reader.block(3);
  // The removed majority signs a new block 3 naming itself, with a state root of its choosing.
  const forged = block(3, A, A, a.map((m) => m.seed), A);
  assert.throws(() => reader.chain.certify(forged.block.header, forged.commit), (e) => e instanceof VerifyError && e.kind === "follow");
  const later = block(7, A, A, a.map((m) => m.seed), A);
  assert.throws(() => reader.chain.certify(later.block.header, later.commit), VerifyError);
  // Its own era is still history it may certify.
  const old = block(2, A, A, a.map((m) => m.seed), A);
  assert.equal(reader.chain.certify(old.block.header, old.commit).signed, 3);
});

test("a set change the pinned set did not sign is refused", async () => {
  const { A, reader } = synthetic(true);
  await assert.rejects(reader.block(3), (e) => e instanceof CommitError && e.kind === "not-enough-power");
  // Following checked the set deciding block 2 (still A, certified by A) before refusing the step to 3.
  assert.equal(reader.chain.pinnedHash, validatorsHash(A), "the pinned set is still A");
  assert.equal(reader.chain.followedThrough, 2);
  assert.equal(reader.chain.knownSets().length, 1, "the same set again adds no entry");
});

test("a set changed twice since the pinned one is followed change by change, each under the certificate of the set before", async () => {
  // A decides 1-2 and block 2 sets B; B decides 3-4 and block 4 sets C; C decides 5. The node
  // proves each set where it was set: the set deciding 5 at block 4, the one deciding 3 or 4 at 2.
  const a = [member(1, "a1"), member(2, "a2"), member(3, "a3")];
  const b = [member(4, "b1"), member(5, "b2"), member(6, "b3")];
  const c = [member(7, "c1"), member(8, "c2"), member(9, "c3")];
  const [A, B, C] = [a, b, c].map((s) => s.map((m) => m.v)) as [Validator[], Validator[], Validator[]];
  const seeds = (s: typeof a) => s.map((m) => m.seed);
  const blocks: Record<string, any> = {
    "1": block(1, A, A, seeds(a), A),
    "2": block(2, A, B, seeds(a), A),
    "3": block(3, B, B, seeds(b), B),
    "4": block(4, B, C, seeds(b), B),
    "5": block(5, C, C, seeds(c), C),
  };
  const asked: number[] = [];
  const fetcher: typeof fetch = async (input) => {
    const url = new URL(String(input));
    const m = url.pathname.match(/^\/v1\/blocks\/(\d+)$/);
    let body: any = m ? blocks[m[1]!] : undefined;
    if (url.pathname === "/v1/validators") {
      const h = Number(url.searchParams.get("height"));
      asked.push(h);
      const [set, version] = h >= 5 ? [C, 4] : h >= 3 ? [B, 2] : [A, 0];
      body = { height: h, validators: set, proof: { version, proof_hex: stateOf(set).proof } };
    }
    return new Response(JSON.stringify(body ?? { detail: "no" }), { status: body ? 200 : 404 });
  };
  const reader = new VerifiedReader(new Client("http://synthetic", fetcher), new TrustedChain(CHAIN, A));
  assert.equal((await reader.block(5)).commit.signed, 3);
  assert.equal(reader.chain.pinnedHash, validatorsHash(C));
  assert.deepEqual(asked, [5, 4, 5], "C's step was refused under A, so B's (set at block 2) came first");
  assert.deepEqual(reader.chain.knownSets().map((s) => s.from), [1, 3, 5]);
});

test("a node naming the pinned set as set before it needs no step; another old set, or a proof not below the height, is refused", async () => {
  const a = [member(1, "a1"), member(2, "a2"), member(3, "a3")];
  const b = [member(4, "b1"), member(5, "b2"), member(6, "b3")];
  const [A, B] = [a.map((m) => m.v), b.map((m) => m.v)];
  const reader = (validators: Validator[], version: number) => {
    const paths: string[] = [];
    const fetcher: typeof fetch = async (input) => {
      const url = new URL(String(input));
      paths.push(url.pathname);
      const body = url.pathname === "/v1/validators" ? { validators, proof: { version, proof_hex: stateOf(validators).proof } } : undefined;
      return new Response(JSON.stringify(body ?? { detail: "no" }), { status: body ? 200 : 404 });
    };
    return { paths, r: new VerifiedReader(new Client("http://synthetic", fetcher), new TrustedChain(CHAIN, A)) };
  };
  const same = reader(A, 0);
  await same.r.follow(30);
  assert.deepEqual(same.paths, ["/v1/validators"], "no block fetched, nothing to follow");
  assert.equal(same.r.chain.pinnedHash, validatorsHash(A));
  const other = reader(B, 0);
  await assert.rejects(other.r.follow(30), (e) => e instanceof VerifyError && e.kind === "follow" && /not the current set/.test(e.message));
  assert.equal(other.r.chain.pinnedHash, validatorsHash(A), "nothing pinned");
  const ahead = reader(B, 30);
  await assert.rejects(ahead.r.follow(30), (e) => e instanceof Error && /not below it/.test(e.message));
  assert.deepEqual(ahead.paths, ["/v1/validators"]);
});

test("two thirds of the power is not enough; more than two thirds is", () => {
  const a = [member(1, "a1"), member(2, "a2"), member(3, "a3")];
  const set = a.map((m) => m.v);
  const two = block(1, set, set, a.slice(0, 2).map((m) => m.seed), set);
  assert.throws(() => new TrustedChain(CHAIN, set).certify(two.block.header, two.commit), CommitError);
  const dup = block(1, set, set, [a[0]!.seed, a[0]!.seed, a[1]!.seed], [set[0]!, set[0]!, set[1]!]);
  assert.throws(() => new TrustedChain(CHAIN, set).certify(dup.block.header, dup.commit), CommitError, "a repeated signer counts once");
  const all = block(1, set, set, a.map((m) => m.seed), set);
  assert.equal(new TrustedChain(CHAIN, set).certify(all.block.header, all.commit).signed, 3);
});

test("malformed proofs are refused with what is wrong", () => {
  const leaf = new Uint8Array(64);
  const cases: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["bad option tag", concat(Uint8Array.of(2), leaf, new Uint8Array(4))],
    ["truncated leaf", concat(Uint8Array.of(1), leaf.slice(0, 10))],
    ["too many siblings", concat(Uint8Array.of(0), Uint8Array.of(1, 1, 0, 0))],
    ["truncated sibling", concat(Uint8Array.of(0), Uint8Array.of(1, 0, 0, 0), new Uint8Array(31))],
    ["trailing bytes", concat(Uint8Array.of(0), new Uint8Array(4), Uint8Array.of(0))],
  ];
  for (const [what, bytes] of cases) assert.throws(() => decodeStateProof(bytes), DecodeError, what);
  assert.deepEqual(decodeStateProof(concat(Uint8Array.of(0), new Uint8Array(4))), { leaf: null, siblings: [] });
});

test("headers with fields of the wrong shape are refused before hashing", () => {
  const { block: b } = block(1, [member(1, "a").v], [member(1, "a").v], [], []);
  for (const change of [
    (h: any) => (h.height = -1),
    (h: any) => (h.height = 2 ** 64),
    (h: any) => (h.state_root = "zz"),
    (h: any) => (h.proposer = "xx"),
    (h: any) => delete h.chain_id,
  ]) {
    const h = structuredClone(b.header);
    change(h);
    assert.throws(() => headerHash(h), /header|address/);
  }
});

test("a chain pinned elsewhere, and a header from the future, are refused", () => {
  const { block: b } = block(1, [member(1, "a").v], [member(1, "a").v], [], []);
  const chain = new TrustedChain("another", [member(1, "a").v]);
  assert.throws(() => chain.checkHeader(b.header, Date.now()), (e) => e instanceof VerifyError && e.kind === "wrong-chain");
  const here = new TrustedChain(CHAIN, [member(1, "a").v]);
  assert.throws(() => here.checkHeader(b.header, b.header.time_ms - 120_000), (e) => e instanceof VerifyError && e.kind === "from-the-future");
});

function stream(text: string): ReadableStream<Uint8Array> {
  const bytes = utf8Bytes(text);
  return new ReadableStream({
    start(c) {
      // Split mid-line: events must survive chunk boundaries.
      c.enqueue(bytes.slice(0, 7));
      c.enqueue(bytes.slice(7));
      c.close();
    },
  });
}

test("the event stream parser reads blocks and lags across chunks, and refuses a broken block event", async () => {
  const events = [];
  for await (const e of parseEvents(stream(': keep-alive\n\nevent: block\ndata: {"height":5,"hash":"ab","time_ms":1,"tx_count":0,"receipts":[]}\n\nevent: lagged\ndata: 3\n\n'))) {
    events.push(e);
  }
  assert.deepEqual(events.map((e) => e.kind), ["block", "lagged"]);
  assert.equal((events[0] as any).height, 5);
  assert.equal((events[1] as any).missed, 3);
  await assert.rejects(async () => {
    for await (const _ of parseEvents(stream("event: block\ndata: {not json\n\n"))) void _;
  }, /not JSON/);
});

test("a validator set decodes back from its encoding, and damaged encodings are refused", () => {
  const set = [member(1, "seoul-city-hall").v, member(2, "gangnam-gu").v];
  const bytes = encodeValidators(set);
  assert.deepEqual(decodeValidators(bytes), set);
  assert.throws(() => decodeValidators(bytes.slice(0, -1)), DecodeError);
  assert.throws(() => decodeValidators(concat(bytes, Uint8Array.of(0))), DecodeError);
  const p256 = bytes.slice();
  p256[4 + 20] = 1;
  assert.throws(() => decodeValidators(p256), DecodeError);
  const wrongAddress = bytes.slice();
  wrongAddress[4] = wrongAddress[4]! ^ 1;
  assert.throws(() => decodeValidators(wrongAddress), /does not match its key/);
});

test("followed sets kept and restored need no second follow; kept sets of another chain or out of order are refused", async () => {
  const { B, reader } = synthetic(false);
  await reader.block(3);
  const kept = reader.chain.knownSets();
  assert.equal(kept.length, 2);
  const restored = TrustedChain.restore(CHAIN, JSON.parse(JSON.stringify(kept)));
  assert.equal(restored.pinnedHash, validatorsHash(B));
  // A reader that cannot fetch any validator set still checks both sides of the change.
  const blocksOnly = synthetic(false);
  const noFollow: typeof fetch = async (input) => {
    if (new URL(String(input)).pathname === "/v1/validators") throw new Error("no following here");
    return (blocksOnly.reader.client as any).fetcher(input);
  };
  const r = new VerifiedReader(new Client("http://synthetic", noFollow), restored);
  assert.equal((await r.block(3)).commit.signed, 3);
  assert.equal((await r.block(1)).commit.signed, 3);
  assert.throws(() => TrustedChain.restore(CHAIN, []), /no validator set/);
  assert.throws(() => TrustedChain.restore("other", kept), /of chain/);
  assert.throws(() => TrustedChain.restore(CHAIN, [kept[1]!, kept[0]!]), /out of order/);
});
