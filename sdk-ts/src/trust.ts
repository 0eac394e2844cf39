// The chain a client trusts: its id, a validator set pinned by the client (from a genesis it
// was given, or on first use) and followed forward only through certificates of the set
// pinned before, the lowest height still accepted and how old a header may be. The node being
// checked never supplies the set it is checked against.

import { fromHex, utf8 } from "./bytes.js";
import type { Client } from "./client.js";
import {
  CommitError,
  MalformedError,
  encodeValidators,
  headerHash,
  merkleRoot,
  validatorsHash,
  verifyCommit,
  type BlockHeader,
  type Commit,
  type CommitCheck,
  type Validator,
} from "./header.js";
import { checkInclusion, type ProvenTx } from "./inclusion.js";
import { PublicKey } from "./keys.js";
import { ProofError, verifyStateProof } from "./proof.js";

/** Where the validator set lives in state. */
export const VALIDATORS_KEY = "ledger/validators";
/** Idle chains still make a block every second or so: a header older than this is stale. */
export const DEFAULT_MAX_AGE_MS = 60_000;
/** How far a header's time may lie ahead of the local clock. */
export const MAX_FUTURE_SKEW_MS = 60_000;
/** Most steps one read may take to follow the validator set: about two per change since the pinned set. */
const MAX_FOLLOW_STEPS = 128;

/** Why an answer was not accepted as verified. */
export class VerifyError extends Error {
  constructor(
    readonly kind: "wrong-chain" | "below-min-height" | "too-old" | "from-the-future" | "follow" | "no-header",
    message: string,
  ) {
    super(message);
    this.name = "VerifyError";
  }
}

/** What the pinned set was when the chain was made: enough to store and restore it. */
export interface PinnedSet {
  chainId: string;
  from: number;
  validators: Validator[];
}

/** A validator set, the first height it is known to decide and the last one followed. */
interface KnownSet {
  from: number;
  /** The highest height a follow step proved this set decides (at least `from`). */
  through: number;
  validators: Validator[];
  hash: string;
}

export class TrustedChain {
  /** Every set pinned or followed, by rising `from`; the last is the current one. */
  private sets: KnownSet[];
  private minHeight = 0;

  /** `validators` decide heights from `from` on (the genesis set decides height 1). */
  constructor(
    readonly chainId: string,
    validators: Validator[],
    from = 1,
    readonly maxAgeMs = DEFAULT_MAX_AGE_MS,
  ) {
    if (validators.length === 0) throw new MalformedError("a pinned validator set cannot be empty");
    this.sets = [{ from, through: from, validators, hash: validatorsHash(validators) }];
  }

  /**
   * Pins the set a genesis file names (it decides height 1): the trust a node operator or
   * an agency hands out with the chain, not what a node answers.
   */
  static fromGenesis(genesis: { chain_id: string; validators: { name: string; public_key: string; power: number }[] }, maxAgeMs = DEFAULT_MAX_AGE_MS): TrustedChain {
    if (typeof genesis?.chain_id !== "string" || !Array.isArray(genesis.validators)) {
      throw new MalformedError("a genesis names its chain_id and validators");
    }
    const set = genesis.validators.map((v) => {
      let address: string;
      try {
        address = PublicKey.parse(v.public_key).address();
      } catch (e) {
        throw new MalformedError(`genesis validator '${v?.name}': ${(e as Error).message}`);
      }
      return { address, public_key: v.public_key, power: v.power, name: v.name };
    });
    return new TrustedChain(genesis.chain_id, set, 1, maxAgeMs);
  }

  /** Every set pinned or followed, oldest first, to keep and [`restore`] later. */
  knownSets(): PinnedSet[] {
    return this.sets.map((k) => ({ chainId: this.chainId, from: k.from, validators: k.validators }));
  }

  /**
   * A chain from sets kept by [`knownSets`] (each was followed through certificates of the
   * one before). Refuses an empty list, sets out of order and sets of another chain.
   */
  static restore(chainId: string, sets: PinnedSet[], maxAgeMs = DEFAULT_MAX_AGE_MS): TrustedChain {
    const [first, ...rest] = sets;
    if (!first) throw new MalformedError("no validator set to restore");
    const chain = new TrustedChain(chainId, first.validators, first.from, maxAgeMs);
    for (const s of [first, ...rest]) {
      if (s.chainId !== chainId) throw new MalformedError(`a kept set is of chain '${s.chainId}'`);
    }
    for (const s of rest) {
      if (!Array.isArray(s.validators) || s.validators.length === 0 || !(s.from > chain.current.from)) {
        throw new MalformedError("kept validator sets are empty or out of order");
      }
      chain.sets.push({ from: s.from, through: s.from, validators: s.validators, hash: validatorsHash(s.validators) });
    }
    return chain;
  }

  private get current(): KnownSet {
    return this.sets[this.sets.length - 1]!;
  }

  /** The current set and the first height it is known to decide. */
  pinned(): PinnedSet {
    return { chainId: this.chainId, from: this.current.from, validators: this.current.validators };
  }

  /** The highest height the current set is known to decide: following starts above it. */
  get followedThrough(): number {
    return this.current.through;
  }

  get pinnedHash(): string {
    return this.current.hash;
  }

  get lowestHeight(): number {
    return this.minHeight;
  }

  /** Refuses reads below `height` from now on (e.g. where a revocation was seen). */
  requireHeight(height: number): void {
    this.minHeight = Math.max(this.minHeight, height);
  }

  /**
   * Chain id, minimum height and age: what a stale or foreign node fails. `current` false
   * checks a block asked for as history: any height, any age. `floor` is the minimum when the
   * request was sent: reads in flight together may come back out of order across a block, and
   * one asked before a later block was seen may honestly be answered below it; one asked after
   * is never accepted below what was seen.
   */
  checkHeader(header: BlockHeader, nowMs: number, current = true, floor = this.minHeight): void {
    if (header.chain_id !== this.chainId) {
      throw new VerifyError("wrong-chain", `the answer is from chain '${header.chain_id}', not '${this.chainId}'`);
    }
    if (current && header.height < floor) {
      throw new VerifyError("below-min-height", `the answer is at height ${header.height}, below ${floor} already seen`);
    }
    if (header.time_ms > nowMs + MAX_FUTURE_SKEW_MS) {
      throw new VerifyError("from-the-future", `the block time ${header.time_ms} is ahead of the local clock ${nowMs}`);
    }
    if (current && nowMs - header.time_ms > this.maxAgeMs) {
      throw new VerifyError("too-old", `the block is ${nowMs - header.time_ms} ms old; at most ${this.maxAgeMs} ms is accepted`);
    }
  }

  /** Whether `header` lies beyond what the current set is known to decide, under another set. */
  needsFollow(header: BlockHeader): boolean {
    return header.height > this.current.through && header.validators_hash !== this.current.hash;
  }

  /**
   * Checks `commit` for `header` with the set it names, if that set may decide its height: a
   * set replaced by a later one certifies nothing at or above the height the later one
   * decides from (its removed majority must not sign new history), and none certifies below
   * the era of the set before it.
   */
  certify(header: BlockHeader, commit: Commit): CommitCheck {
    for (let i = this.sets.length - 1; i >= 0; i--) {
      const set = this.sets[i]!;
      const next = this.sets[i + 1];
      const lowest = i === 0 ? set.from : this.sets[i - 1]!.from;
      if (set.hash !== header.validators_hash || header.height < lowest) continue;
      if (next && header.height >= next.from) continue;
      return verifyCommit(header, commit, set.validators);
    }
    throw new VerifyError(
      "follow",
      `block ${header.height} names validator set ${header.validators_hash.slice(0, 16)}…, which this reader has not followed to that height (current ${this.current.hash.slice(0, 16)}… from height ${this.current.from})`,
    );
  }

  /**
   * One step of following: `set`, proven under `ledger/validators` against the state root of
   * `prev`, decides `prev.height + 1`, if `prev`'s certificate carries more than two thirds of
   * the power of the current set.
   */
  advance(prev: BlockHeader, commit: Commit, set: Validator[], proof: Uint8Array): void {
    const height = prev.height + 1;
    if (prev.chain_id !== this.chainId) throw new VerifyError("wrong-chain", `block from chain '${prev.chain_id}'`);
    if (!Array.isArray(set) || set.length === 0) throw new VerifyError("follow", "the proven set is missing or empty");
    if (height <= this.current.through) throw new VerifyError("follow", `already followed through height ${this.current.through}`);
    verifyCommit(prev, commit, this.current.validators);
    verifyStateProof(utf8(VALIDATORS_KEY), encodeValidators(set), fromHex(prev.state_root), proof);
    const hash = validatorsHash(set);
    // The same set again only moves how far it is known to decide: no new entry.
    if (hash === this.current.hash) this.current.through = height;
    else this.sets.push({ from: height, through: height, validators: set, hash });
  }
}

/** A value read from state and checked end to end. */
export interface Verified<T> {
  value: T;
  height: number;
  blockHash: string;
  blockTimeMs: number;
  commit: CommitCheck;
  /** Milliseconds spent checking (decoding, hashing, signatures, proof), not fetching. */
  checkMs: number;
}

export interface VerifiedBlock {
  header: BlockHeader;
  /** The block's transaction ids in order, proven against the header's `txs_root` (read each with [`VerifiedReader.tx`]). */
  txIds: string[];
  hash: string;
  commit: CommitCheck;
  checkMs: number;
}

const now = () => (globalThis.performance ? globalThis.performance.now() : Date.now());

function hexField(v: unknown, what: string): Uint8Array {
  if (typeof v !== "string") throw new MalformedError(`${what} is missing`);
  try {
    return fromHex(v);
  } catch {
    throw new MalformedError(`${what} is not hex`);
  }
}

/** Reads from one node and accepts only what checks against a [`TrustedChain`]. */
export class VerifiedReader {
  constructor(
    readonly client: Client,
    readonly chain: TrustedChain,
    /** The local clock (Unix ms); replaceable in tests. */
    private readonly clock: () => number = () => Date.now(),
  ) {}

  /**
   * Reads state key `key` with its proof: the header's chain, height and age, its certificate
   * against the followed set, and the Merkle proof against its state root. `null` value: the
   * key is proven absent.
   */
  async state(key: string): Promise<Verified<Uint8Array | null>> {
    const floor = this.chain.lowestHeight;
    const a = await this.client.stateAnswer(key);
    if (a?.height === 0) throw new VerifyError("no-header", "genesis state has no header to check; wait for block 1");
    const header = a?.header as BlockHeader;
    if (!header || header.height !== a.height) throw new MalformedError("the answer's header is missing or of another height");
    this.chain.checkHeader(header, this.clock(), true, floor);
    if (this.chain.needsFollow(header)) await this.follow(header.height);
    const t0 = now();
    const commit = this.chain.certify(header, a.commit);
    const value = a.value_hex === null ? null : hexField(a.value_hex, "value_hex");
    verifyStateProof(utf8(key), value, fromHex(header.state_root), hexField(a.proof_hex, "proof_hex"));
    const checkMs = now() - t0;
    this.chain.requireHeight(header.height);
    return { value, height: header.height, blockHash: headerHash(header), blockTimeMs: header.time_ms, commit, checkMs };
  }

  /** [`state`] with the value decoded as the JSON the node stores (module records are JSON). */
  async json<T = unknown>(key: string): Promise<Verified<T | null>> {
    const v = await this.state(key);
    if (v.value === null) return { ...v, value: null };
    let value: T;
    try {
      value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(v.value)) as T;
    } catch {
      throw new MalformedError(`the proven value under ${key} is not JSON`);
    }
    return { ...v, value };
  }

  /**
   * A block whose header hash, certificate and transaction ids check. A block is history: it
   * is accepted at any height and age (the latest block is still held to the rising minimum).
   */
  async block(height: number | "latest"): Promise<VerifiedBlock> {
    const floor = this.chain.lowestHeight;
    const b = await this.client.get(`/v1/blocks/${height}`);
    const header = b?.block?.header as BlockHeader;
    if (!header || (height !== "latest" && header.height !== height)) throw new MalformedError(`asked for block ${height}, got another`);
    this.chain.checkHeader(header, this.clock(), height === "latest", floor);
    if (this.chain.needsFollow(header)) await this.follow(header.height);
    const t0 = now();
    const commit = this.chain.certify(header, b.commit);
    const hash = headerHash(header);
    const txIds = b.tx_ids;
    if (!Array.isArray(txIds) || !txIds.every((id) => typeof id === "string" && /^[0-9a-f]{64}$/.test(id))) {
      throw new MalformedError("the block's tx_ids are missing or not hashes");
    }
    if (merkleRoot(txIds.map((id: string) => fromHex(id))) !== header.txs_root) {
      throw new ProofError("the block's transaction ids do not lead to its txs_root");
    }
    return { header, txIds, hash, commit, checkMs: now() - t0 };
  }

  /**
   * A committed transaction, its receipt and its block, all proven: see [`checkInclusion`].
   */
  async tx(id: string): Promise<ProvenTx & { block: VerifiedBlock; checkMs: number }> {
    if (!/^[0-9a-f]{64}$/.test(id)) throw new MalformedError(`'${id.slice(0, 70)}' is not a transaction id`);
    const answer = await this.client.get(`/v1/txs/${id}`);
    const height = answer?.inclusion?.height;
    if (typeof height !== "number") throw new MalformedError("the answer does not say which block holds the transaction");
    const block = await this.block(height);
    const t0 = now();
    const proven = checkInclusion(id, answer, block.header);
    return { ...proven, block, checkMs: block.checkMs + now() - t0 };
  }

  /** Follows the current set up to the one deciding `height`, change by change. */
  follow(height: number): Promise<void> {
    // One follow at a time: reads that start together after a change share the steps.
    const run = this.following.then(() => this.followTo(height));
    this.following = run.catch(() => undefined);
    return run;
  }

  private following: Promise<void> = Promise.resolve();

  private async followTo(height: number): Promise<void> {
    const targets = [height];
    for (let i = 0; i < MAX_FOLLOW_STEPS && targets.length > 0; i++) {
      const target = targets[targets.length - 1]!;
      const from = this.chain.followedThrough;
      if (target <= from) {
        targets.pop();
        continue;
      }
      // The node proves the set deciding `target` at the block that last set it.
      const step = await this.fetchStep(target, from);
      if (step === null) {
        // The current set decides `target`: nothing to follow.
        targets.pop();
        continue;
      }
      const changed = step.header.height;
      try {
        this.chain.advance(step.header, step.commit, step.validators, step.proof);
        targets.pop();
      } catch (e) {
        // The set changed more than once since: follow to the set deciding that block first.
        if (e instanceof CommitError && e.kind === "not-enough-power" && changed > from) targets.push(changed);
        else throw e;
      }
    }
    if (targets.length > 0) throw new VerifyError("follow", `following the validator set to ${height} took more than ${MAX_FOLLOW_STEPS} steps`);
  }

  /**
   * The set deciding `height` with the proof kept at the block that set it, and that block.
   * `null` when the node says the set was set before `from` and it is the current set (each
   * header is still checked against it); any other set from before is refused.
   */
  private async fetchStep(height: number, from: number): Promise<{ header: BlockHeader; commit: Commit; validators: Validator[]; proof: Uint8Array } | null> {
    const v = await this.client.get(`/v1/validators?height=${height}`);
    const version = v?.proof?.version;
    if (!Number.isSafeInteger(version) || version < 0 || version >= height) {
      throw new MalformedError(`the set of height ${height} is proven at version ${version}, not below it`);
    }
    if (version < from) {
      if (Array.isArray(v.validators) && validatorsHash(v.validators) === this.chain.pinnedHash) return null;
      throw new VerifyError("follow", `the node says the set deciding ${height} was set at block ${version}, before the set followed through ${from}, but it is not the current set`);
    }
    const b = await this.client.get(`/v1/blocks/${version}`);
    const header = b?.block?.header as BlockHeader;
    if (header?.height !== version) throw new MalformedError(`asked for block ${version}, got another`);
    return { header, commit: b.commit, validators: v.validators, proof: hexField(v.proof.proof_hex, "proof_hex") };
  }
}

