// The trustees' side of a poll, checked from what they published (VOTE-05, VOTE-07), with
// the byte layout of crates/ballot (dkg.rs, tally.rs): each dealing's commitments and its
// proof of the first coefficient; a complaint, judged again; the election key and each
// trustee's verification key, from the commitments of the dealings that stand; each
// decryption share's proofs; and the counts, from any `k` verified shares. Nothing here needs a
// secret: it is what an observer recomputes. The vector in
// crates/ballot/tests/vectors/trustees-made-in-rust.json is checked by both sides.

import { invert } from "@noble/curves/abstract/modular";
import { RistrettoPoint } from "@noble/curves/ed25519";

import { concat, fromHex } from "./bytes.js";
import { BallotError, G, ORDER, Transcript, leToBig, mod, parsePoint, parseScalar, pointHex, vmul, type CiphertextJson, type Point } from "./voting.js";

export interface KnowledgeProofJson {
  a: string;
  z: string;
}
export interface DlogEqProofJson {
  a: string;
  b: string;
  z: string;
}
export interface SealedShareJson {
  to: number;
  ephemeral: string;
  sealed: string;
}
export interface DealingJson {
  dealer: number;
  commitments: string[];
  proof: KnowledgeProofJson;
  shares: SealedShareJson[];
}
export interface ComplaintJson {
  dealer: number;
  by: number;
  shared: string;
  proof: DlogEqProofJson;
}
export interface DecryptionShareJson {
  trustee: number;
  parts: string[];
  proofs: DlogEqProofJson[];
}

/** The most trustees a poll may have (crates/ballot, dkg::MAX_TRUSTEES). */
const MAX_TRUSTEES = 32;

const be32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
};

const text = (s: string): Uint8Array => new TextEncoder().encode(s);


function trusteeNumber(n: unknown, what: string): number {
  if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > MAX_TRUSTEES) throw new BallotError(`${what} is not a trustee number 1..${MAX_TRUSTEES}`);
  return n as number;
}

/** `Σₖ jᵏ·Cₖ`: what `f(j)·G` must be. */
function committedValue(commitments: Point[], j: number): Point {
  let acc = RistrettoPoint.ZERO;
  let power = 1n;
  for (const c of commitments) {
    acc = acc.add(vmul(c, power));
    power = mod(power * BigInt(j));
  }
  return acc;
}

function commitmentsOf(d: DealingJson): Point[] {
  if (!Array.isArray(d?.commitments)) throw new BallotError("a dealing without commitments");
  return d.commitments.map((c, i) => parsePoint(c, `dealer ${d.dealer}, commitment ${i}`));
}

/**
 * What anyone checks of a dealing: `k` commitments, one sealed share to each trustee and no
 * one else, and the proof that the dealer knows its first coefficient.
 */
export function checkDealing(context: Uint8Array, k: number, trustees: number[], d: DealingJson): void {
  const dealer = trusteeNumber(d?.dealer, "the dealer");
  const commitments = commitmentsOf(d);
  if (commitments.length !== k) throw new BallotError(`a dealing commits to ${k} coefficients, not ${commitments.length}`);
  const to = (Array.isArray(d.shares) ? d.shares : []).map((s) => s?.to).sort((a, b) => a - b);
  const expected = [...trustees].sort((a, b) => a - b);
  if (to.length !== expected.length || to.some((t, i) => t !== expected[i])) {
    throw new BallotError("a dealing seals one share to each trustee, and none to anyone else");
  }
  const ctx = concat(context, text("/dealer/"), be32(dealer));
  const a = parsePoint(d.proof?.a, `dealer ${dealer}, its proof`);
  const z = parseScalar(d.proof?.z, `dealer ${dealer}, its proof`);
  const c = new Transcript("knowledge").bytes(ctx).hex(d.commitments[0]!).hex(d.proof.a).challenge();
  if (!vmul(G, z).equals(a.add(vmul(commitments[0]!, c)))) {
    throw new BallotError(`dealer ${dealer}: the prover is not shown to know the secret of its key`);
  }
}

function dlogEqChallenge(label: string, context: Uint8Array, x: string, h: string, d: string, p: DlogEqProofJson): bigint {
  return new Transcript(label).bytes(context).hex(x).hex(h).hex(d).hex(p.a).hex(p.b).challenge();
}

/** Chaum–Pedersen: `log_G(x) = log_h(d)`. Points are given as the hex they were published as. */
function dlogEq(label: string, context: Uint8Array, x: string, h: string, d: string, p: DlogEqProofJson, what: string): boolean {
  const [X, H, D] = [parsePoint(x, what), parsePoint(h, what), parsePoint(d, what)];
  const a = parsePoint(p?.a, `${what}, its proof`);
  const b = parsePoint(p?.b, `${what}, its proof`);
  const z = parseScalar(p?.z, `${what}, its proof`);
  const c = dlogEqChallenge(label, context, x, h, d, p);
  return vmul(G, z).equals(a.add(vmul(X, c))) && vmul(H, z).equals(b.add(vmul(D, c)));
}

/**
 * Judges a complaint against its dealing: `true` when the dealer sealed a bad share (the
 * dealing is out), `false` when the share was good (the complaint is false). Throws when the
 * complaint's proof fails: it proves nothing.
 */
export function judgeComplaint(context: Uint8Array, d: DealingJson, complaint: ComplaintJson, complainerTransport: string): boolean {
  if (complaint?.dealer !== d?.dealer) throw new BallotError("the complaint is about another dealing");
  const by = trusteeNumber(complaint.by, "the complainer");
  const sealed = (d.shares ?? []).find((s) => s?.to === by);
  if (!sealed) throw new BallotError(`no share for trustee ${by}`);
  if (!dlogEq("complaint", context, complainerTransport, sealed.ephemeral, complaint.shared, complaint.proof, `the complaint about dealer ${d.dealer}`)) {
    throw new BallotError("the two points are not proven to share one secret");
  }
  let bytes: Uint8Array;
  try {
    bytes = fromHex(sealed.sealed);
  } catch {
    return true;
  }
  if (bytes.length !== 32) return true;
  const pad = new Transcript("share")
    .bytes(context)
    .u64(d.dealer)
    .u64(by)
    .hex(sealed.ephemeral)
    .hex(complainerTransport)
    .hex(complaint.shared)
    .key();
  const value = leToBig(bytes.map((x, i) => x ^ pad[i]!));
  if (value >= ORDER) return true;
  return !vmul(G, value).equals(committedValue(commitmentsOf(d), by));
}

/** The election key: the sum of the standing dealings' first commitments. */
export function electionKey(standing: DealingJson[]): string {
  return pointHex(standing.reduce((y, d) => y.add(commitmentsOf(d)[0] ?? RistrettoPoint.ZERO), RistrettoPoint.ZERO));
}

/** Trustee `j`'s verification key `xⱼ·G`, from the commitments alone. */
export function verificationKey(standing: DealingJson[], j: number): string {
  return pointHex(standing.reduce((x, d) => x.add(committedValue(commitmentsOf(d), j)), RistrettoPoint.ZERO));
}

/** The homomorphic sum of ciphertexts, as published hex. */
export function sumCiphertexts(cts: CiphertextJson[]): CiphertextJson {
  let alpha = RistrettoPoint.ZERO;
  let beta = RistrettoPoint.ZERO;
  cts.forEach((c, i) => {
    alpha = alpha.add(parsePoint(c?.alpha, `ciphertext ${i}, alpha`));
    beta = beta.add(parsePoint(c?.beta, `ciphertext ${i}, beta`));
  });
  return { alpha: pointHex(alpha), beta: pointHex(beta) };
}

/** Checks every part of a decryption share; a failure names the trustee and the total. */
export function verifyShare(context: Uint8Array, share: DecryptionShareJson, verificationKey: string, totals: CiphertextJson[]): void {
  const j = trusteeNumber(share?.trustee, "the share's trustee");
  if (!Array.isArray(share.parts) || !Array.isArray(share.proofs) || share.parts.length !== totals.length || share.proofs.length !== totals.length) {
    throw new BallotError(`trustee ${j}: ${share.parts?.length} parts and ${share.proofs?.length} proofs for ${totals.length} totals`);
  }
  const ctx = concat(context, text("/trustee/"), be32(j));
  totals.forEach((t, i) => {
    if (!dlogEq("decryption", ctx, verificationKey, t.alpha, share.parts[i]!, share.proofs[i]!, `trustee ${j}, total ${i}`)) {
      throw new BallotError(`trustee ${j}: its decryption share of total ${i} is wrong`);
    }
  });
}

/** `λⱼ = Π_{m ≠ j} m / (m − j)` over the trustees present. */
function lagrangeAtZero(present: number[], j: number): bigint {
  let num = 1n;
  let den = 1n;
  for (const m of present) {
    if (m === j) continue;
    num = mod(num * BigInt(m));
    den = mod(den * BigInt(m - j));
  }
  return mod(num * invert(den, ORDER));
}


/**
 * The counts from `k` or more verified shares (the first `k` are used). `max` bounds every
 * count (the ballots summed); a total that decrypts to no count up to it is an error.
 */
export function combine(totals: CiphertextJson[], shares: DecryptionShareJson[], k: number, max: number): number[] {
  const present = [...new Set(shares.map((s) => s.trustee))];
  if (present.length !== shares.length || present.length < k || present.includes(0)) {
    throw new BallotError(`${Math.min(present.length, shares.length)} distinct trustees' shares, where ${k} are needed`);
  }
  const used = shares.slice(0, k);
  const ids = used.map((s) => s.trustee);
  const lambdas = ids.map((j) => lagrangeAtZero(ids, j));
  // Baby steps j·G for j < step, then giant steps of step·G: √max point additions each way
  // (the table capped as crates/ballot caps it).
  const step = Math.min(Math.floor(Math.sqrt(max)), 1 << 20) + 1;
  const babies = new Map<string, number>();
  let p = RistrettoPoint.ZERO;
  for (let j = 0; j < step; j++) {
    babies.set(pointHex(p), j);
    p = p.add(G);
  }
  const giant = vmul(G, BigInt(step));
  return totals.map((t, i) => {
    const combined = used.reduce((acc, s, n) => acc.add(vmul(parsePoint(s.parts[i]!, `trustee ${s.trustee}, part ${i}`), lambdas[n]!)), RistrettoPoint.ZERO);
    let m = parsePoint(t.beta, `total ${i}, beta`).subtract(combined);
    for (let base = 0; base <= max; base += step) {
      const j = babies.get(pointHex(m));
      if (j !== undefined && base + j <= max) return base + j;
      if (j !== undefined) break;
      m = m.subtract(giant);
    }
    throw new BallotError(`total ${i} decrypts to no count of at most ${max}`);
  });
}
