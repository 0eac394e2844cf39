// Block headers, validator sets and commit certificates as the node serves them in JSON, with
// the bytes the Rust types hash and sign (borsh, domain-separated), so a browser can check a
// header's certificate against a validator set it pinned itself.

import { ed25519 } from "@noble/curves/ed25519";
import { sha256 } from "@noble/hashes/sha2";

import { concat, fromHex, string, toHex, u32, u64, utf8 } from "./bytes.js";
import { PublicKey } from "./keys.js";
import { Reader } from "./reader.js";

/** The most validators a set may hold (as the ledger bounds it). */
const MAX_VALIDATORS = 100;

/** A header as `/v1/blocks/{height}` and `/v1/state` give it. */
export interface BlockHeader {
  chain_id: string;
  height: number;
  time_ms: number;
  prev_hash: string;
  txs_root: string;
  receipts_root: string;
  state_root: string;
  validators_hash: string;
  proposer: string;
}

export interface CommitSignature {
  validator: string;
  signature: string;
}

/** The finality certificate of a block: precommits for its hash at its height and round. */
export interface Commit {
  height: number;
  round: number;
  block_hash: string;
  signatures: CommitSignature[];
}

export interface Validator {
  address: string;
  public_key: string;
  power: number;
  name: string;
}

/** The shape of the answer is wrong: a field missing, of the wrong type or out of range. */
export class MalformedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedError";
  }
}

function hash32(v: unknown, what: string): Uint8Array {
  if (typeof v !== "string" || v.length !== 64) throw new MalformedError(`${what} is not a 32-byte hex hash`);
  try {
    return fromHex(v);
  } catch {
    throw new MalformedError(`${what} is not a 32-byte hex hash`);
  }
}

function integer(v: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0 || v > max) {
    throw new MalformedError(`${what} is not an integer from 0 to ${max}`);
  }
  return v;
}

/** The 20 bytes of a `dj…` address. */
export function addressBytes(address: unknown, what = "address"): Uint8Array {
  if (typeof address !== "string" || !/^dj[0-9a-f]{40}$/.test(address)) {
    throw new MalformedError(`${what} '${String(address).slice(0, 50)}' is not dj followed by 40 hex digits`);
  }
  return fromHex(address.slice(2));
}

/** borsh(header): what the header hash covers. */
export function encodeHeader(h: BlockHeader): Uint8Array {
  if (typeof h?.chain_id !== "string") throw new MalformedError("header.chain_id is not a string");
  return concat(
    string(h.chain_id),
    u64(integer(h.height, "header.height")),
    u64(integer(h.time_ms, "header.time_ms")),
    hash32(h.prev_hash, "header.prev_hash"),
    hash32(h.txs_root, "header.txs_root"),
    hash32(h.receipts_root, "header.receipts_root"),
    hash32(h.state_root, "header.state_root"),
    hash32(h.validators_hash, "header.validators_hash"),
    addressBytes(h.proposer, "header.proposer"),
  );
}

/** The block hash: SHA-256("dojang/header/v1\n" ‖ borsh(header)), hex. */
export function headerHash(h: BlockHeader): string {
  return toHex(sha256(concat(utf8("dojang/header/v1\n"), encodeHeader(h))));
}

/** The bytes a validator signs for a precommit of `blockHash` (hex). */
export function precommitSignBytes(chainId: string, height: number, round: number, blockHash: string, validator: string): Uint8Array {
  return concat(
    utf8("dojang/vote/v1\n"),
    string(chainId),
    u64(height),
    u32(round),
    Uint8Array.of(1),
    Uint8Array.of(1),
    hash32(blockHash, "block hash"),
    addressBytes(validator, "validator"),
  );
}

function validatorKey(v: Validator): PublicKey {
  let key: PublicKey;
  try {
    key = PublicKey.parse(v.public_key);
  } catch (e) {
    throw new MalformedError(`validator ${v.address}: ${(e as Error).message}`);
  }
  if (key.algorithm !== "ed25519") throw new MalformedError(`validator ${v.address} has a ${key.algorithm} key; consensus keys are Ed25519`);
  return key;
}

function checkValidator(v: Validator): void {
  addressBytes(v?.address, "validator address");
  integer(v.power, `validator ${v.address} power`);
  if (typeof v.name !== "string") throw new MalformedError(`validator ${v.address} has no name`);
  const key = validatorKey(v);
  if (key.address() !== v.address) throw new MalformedError(`validator ${v.address} does not match its key's address ${key.address()}`);
}

/** The validator set's hash as headers carry it: members in address order, address ‖ key ‖ power (big-endian). */
export function validatorsHash(set: Validator[]): string {
  set.forEach(checkValidator);
  const sorted = [...set].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const parts = sorted.map((v) => {
    const power = new Uint8Array(8);
    new DataView(power.buffer).setBigUint64(0, BigInt(v.power), false);
    return concat(addressBytes(v.address), validatorKey(v).bytes, power);
  });
  return toHex(sha256(concat(utf8("dojang/validators/v1\n"), ...parts)));
}

/** borsh(Vec<Validator>): the value stored under `ledger/validators`, which proofs cover. */
export function encodeValidators(set: Validator[]): Uint8Array {
  set.forEach(checkValidator);
  return concat(
    u32(set.length),
    ...set.map((v) => concat(addressBytes(v.address), validatorKey(v).borsh(), u64(v.power), string(v.name))),
  );
}

/** Decodes borsh(Vec<Validator>), the value under `ledger/validators`, strictly. */
export function decodeValidators(bytes: Uint8Array): Validator[] {
  const r = new Reader(bytes, "validator set");
  const n = r.len(MAX_VALIDATORS, "validator set");
  const set: Validator[] = [];
  for (let i = 0; i < n; i++) {
    const address = "dj" + toHex(r.take(20));
    if (r.tag(2, "public key") !== 0) r.fail(`validator ${address} has a P-256 key; consensus keys are Ed25519`);
    const public_key = "ed25519:" + toHex(r.take(32));
    const power = r.u64();
    if (power > BigInt(Number.MAX_SAFE_INTEGER)) r.fail(`validator ${address} has a power beyond 2^53`);
    set.push({ address, public_key, power: Number(power), name: r.string(1024, "validator name") });
  }
  r.end();
  set.forEach(checkValidator);
  return set;
}

/** The certificate does not finalize the header under the given set. */
export class CommitError extends Error {
  constructor(
    readonly kind: "wrong-block" | "not-enough-power",
    message: string,
    /** Power of valid distinct signers, and the set's total. */
    readonly got = 0n,
    readonly total = 0n,
  ) {
    super(message);
    this.name = "CommitError";
  }
}

/** How a certificate checked: who signed and with how much of the power. */
export interface CommitCheck {
  signers: string[];
  signed: number;
  members: number;
  power: bigint;
  totalPower: bigint;
}

/**
 * Checks that `commit` finalizes `header` under `validators` (the set deciding its height):
 * valid precommits for this block hash by distinct members holding more than two thirds of the
 * power. Signatures by non-members or that do not verify add nothing.
 */
export function verifyCommit(header: BlockHeader, commit: Commit, validators: Validator[]): CommitCheck {
  const hash = headerHash(header);
  if (commit?.block_hash !== hash || commit.height !== header.height) {
    throw new CommitError("wrong-block", `the certificate is for block ${String(commit?.block_hash).slice(0, 16)}… at ${commit?.height}, not ${hash.slice(0, 16)}… at ${header.height}`);
  }
  const round = integer(commit.round, "commit.round", 0xffff_ffff);
  if (!Array.isArray(commit.signatures)) throw new MalformedError("commit.signatures is not a list");
  const total = validators.reduce((n, v) => n + BigInt(integer(v.power, "power")), 0n);
  const signers: string[] = [];
  let got = 0n;
  for (const s of commit.signatures) {
    const v = validators.find((m) => m.address === s?.validator);
    if (!v || signers.includes(v.address)) continue;
    if (typeof s.signature !== "string" || !/^[0-9a-f]{128}$/.test(s.signature)) continue;
    const msg = precommitSignBytes(header.chain_id, header.height, round, hash, v.address);
    let ok = false;
    try {
      ok = ed25519.verify(fromHex(s.signature), msg, validatorKey(v).bytes, { zip215: false });
    } catch {
      ok = false;
    }
    if (ok) {
      signers.push(v.address);
      got += BigInt(v.power);
    }
  }
  if (got * 3n <= total * 2n) {
    throw new CommitError("not-enough-power", `the certificate carries ${got} of ${total} voting power; more than two thirds is needed`, got, total);
  }
  return { signers, signed: signers.length, members: validators.length, power: got, totalPower: total };
}

/** RFC 6962-style root over `leaves` (0x00 leaf prefix, 0x01 inner, odd node promoted): the txs and receipts roots. */
export function merkleRoot(leaves: Uint8Array[]): string {
  if (leaves.length === 0) return toHex(sha256(new Uint8Array(0)));
  let level = leaves.map((l) => sha256(concat(Uint8Array.of(0), l)));
  while (level.length > 1) {
    const up: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const b = level[i + 1];
      up.push(b ? sha256(concat(Uint8Array.of(1), level[i]!, b)) : level[i]!);
    }
    level = up;
  }
  return toHex(level[0]!);
}
