// Ballots on the voter's device (docs/decisions/0019-ballot-cryptography.md): exponential
// ElGamal on ristretto255, a proof that each option encrypts 0 or 1 and that each question's
// count is within its [min, max] (VOTE-04), the tracking code (VOTE-08) and the Benaloh audit.
// The byte layout is the Rust crate's (crates/ballot), so the validators accept what this makes;
// the vectors in crates/ballot/tests/vectors are checked by both.

import { RistrettoPoint } from "@noble/curves/ed25519";
import { sha256, sha512 } from "@noble/hashes/sha2";

import { concat, fromHex, toHex, utf8 } from "./bytes.js";

export type Point = InstanceType<typeof RistrettoPoint>;

/** The order of ristretto255. */
export const ORDER = (1n << 252n) + 27742317777372353535851937790883648493n;
export const G: Point = RistrettoPoint.BASE;
const MAX_RANGE = 64;
const MAX_OPTIONS = 50;
const MAX_QUESTIONS = 20;
/** A whole ballot's options and count alternatives at most (crates/modules/voting, rules::ballot_fits). */
const MAX_BALLOT_OPTIONS = 60;
const MAX_BALLOT_COUNT_BRANCHES = 60;

export class BallotError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = "BallotError";
  }
}

export interface QuestionShape {
  options: number;
  min: number;
  max: number;
}
export interface CiphertextJson {
  alpha: string;
  beta: string;
}
export interface BranchJson {
  a: string;
  b: string;
  c: string;
  z: string;
}
export interface RangeProofJson {
  branches: BranchJson[];
}
export interface AnswerJson {
  choices: CiphertextJson[];
  choice_proofs: RangeProofJson[];
  count_proof: RangeProofJson;
}
export interface BallotJson {
  answers: AnswerJson[];
}
/** The randomness of each ciphertext, question by question: what an audit reveals. */
export interface BallotSecrets {
  randomness: string[][];
}

export const mod = (n: bigint): bigint => ((n % ORDER) + ORDER) % ORDER;

export function leToBig(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i] ?? 0);
  return n;
}

function scalarBytes(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = mod(n);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

const scalarHex = (n: bigint): string => toHex(scalarBytes(n));

export function parseScalar(hex: string, what: string): bigint {
  const b = fromHex(hex);
  if (b.length !== 32) throw new BallotError(`${what}: a scalar has 32 bytes, not ${b.length}`);
  const n = leToBig(b);
  if (n >= ORDER) throw new BallotError(`${what}: a scalar not reduced modulo the group order`);
  return n;
}

export function parsePoint(hex: string, what: string): Point {
  try {
    return RistrettoPoint.fromHex(fromHex(hex));
  } catch {
    throw new BallotError(`${what}: not the encoding of a ristretto255 point`);
  }
}

export const pointHex = (p: Point): string => toHex(p.toBytes());

/** s·P, for any scalar including zero. */
export function mul(p: Point, s: bigint): Point {
  const n = mod(s);
  return n === 0n ? RistrettoPoint.ZERO : p.multiply(n);
}

/** s·P in variable time: only for checking, where every value is public. */
export function vmul(p: Point, s: bigint): Point {
  const n = mod(s);
  return n === 0n ? RistrettoPoint.ZERO : p.multiplyUnsafe(n);
}

function randomScalar(): bigint {
  const b = new Uint8Array(64);
  crypto.getRandomValues(b);
  return mod(leToBig(b));
}

/** The Fiat–Shamir hash: SHA-512 over length-prefixed items, reduced modulo the order. */
export class Transcript {
  private parts: Uint8Array[] = [];
  constructor(label: string) {
    this.bytes(utf8("dojang/ballot/v1"));
    this.bytes(utf8(label));
  }
  bytes(b: Uint8Array): this {
    const len = new Uint8Array(8);
    new DataView(len.buffer).setBigUint64(0, BigInt(b.length), false);
    this.parts.push(len, b);
    return this;
  }
  u64(n: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n), false);
    return this.bytes(b);
  }
  hex(h: string): this {
    return this.bytes(fromHex(h));
  }
  challenge(): bigint {
    return mod(leToBig(sha512(concat(...this.parts))));
  }
  /** 32 bytes of output instead of a scalar: the pad a trustee's share is sealed with. */
  key(): Uint8Array {
    return sha512(concat(...this.parts)).subarray(0, 32);
  }
}

export interface Ct {
  alpha: Point;
  beta: Point;
  json: CiphertextJson;
}

export function ct(alpha: Point, beta: Point): Ct {
  return { alpha, beta, json: { alpha: pointHex(alpha), beta: pointHex(beta) } };
}

function encryptWith(key: Point, m: number, r: bigint): Ct {
  return ct(mul(G, r), mul(G, BigInt(m)).add(mul(key, r)));
}

function rangeChallenge(context: Uint8Array, keyHex: string, c: CiphertextJson, lo: number, hi: number, branches: { a: string; b: string }[]): bigint {
  const t = new Transcript("range").bytes(context).hex(keyHex).hex(c.alpha).hex(c.beta).u64(lo).u64(hi);
  for (const br of branches) t.hex(br.a).hex(br.b);
  return t.challenge();
}

function proveRange(context: Uint8Array, key: Point, keyHex: string, c: Ct, r: bigint, value: number, lo: number, hi: number): RangeProofJson {
  if (lo > hi || hi - lo >= MAX_RANGE || value < lo || value > hi) throw new BallotError(`${value} is not one of ${lo}..=${hi}`);
  const real = value - lo;
  const w = randomScalar();
  const cs: bigint[] = [];
  const zs: bigint[] = [];
  const commits: { a: string; b: string }[] = [];
  for (let j = 0; j <= hi - lo; j++) {
    if (j === real) {
      cs.push(0n);
      zs.push(0n);
      commits.push({ a: pointHex(mul(G, w)), b: pointHex(mul(key, w)) });
    } else {
      const cj = randomScalar();
      const zj = randomScalar();
      const shifted = c.beta.subtract(mul(G, BigInt(lo + j)));
      cs.push(cj);
      zs.push(zj);
      commits.push({
        a: pointHex(mul(G, zj).subtract(mul(c.alpha, cj))),
        b: pointHex(mul(key, zj).subtract(mul(shifted, cj))),
      });
    }
  }
  const total = rangeChallenge(context, keyHex, c.json, lo, hi, commits);
  const others = cs.reduce((s, x, j) => (j === real ? s : s + x), 0n);
  cs[real] = mod(total - others);
  zs[real] = mod(w + cs[real] * r);
  return { branches: commits.map((cm, j) => ({ ...cm, c: scalarHex(cs[j] ?? 0n), z: scalarHex(zs[j] ?? 0n) })) };
}

/**
 * Equations `Σ sᵢ·Pᵢ = 0`, each scaled by a fresh random 128-bit weight and summed, then
 * checked by one multi-scalar multiplication: a false equation makes the sum non-zero except
 * with probability about 2⁻¹²⁸. A point object used by several equations (the generator, the
 * election key, a ciphertext's halves) is one term.
 */
class Equations {
  private terms = new Map<Point, bigint>();
  add(p: Point, s: bigint): void {
    this.terms.set(p, mod((this.terms.get(p) ?? 0n) + s));
  }
  holds(): boolean {
    const points: Point[] = [];
    const scalars: bigint[] = [];
    for (const [p, s] of this.terms) {
      if (s !== 0n) {
        points.push(p);
        scalars.push(s);
      }
    }
    return points.length === 0 || RistrettoPoint.msm(points, scalars).equals(RistrettoPoint.ZERO);
  }
}

function weight(): bigint {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return leToBig(b) | 1n;
}

/**
 * Checks a range proof: its shape and challenges now; its equations now, or into `eqs` to be
 * checked with the rest of the ballot.
 */
function verifyRange(context: Uint8Array, key: Point, keyHex: string, c: Ct, lo: number, hi: number, proof: RangeProofJson, eqs?: Equations): void {
  if (!Array.isArray(proof?.branches) || proof.branches.length !== hi - lo + 1) {
    throw new BallotError(`a proof for ${lo}..=${hi} has one alternative per value`);
  }
  const total = rangeChallenge(context, keyHex, c.json, lo, hi, proof.branches);
  let sum = 0n;
  proof.branches.forEach((br, j) => {
    const a = parsePoint(br.a, "a commitment");
    const b = parsePoint(br.b, "a commitment");
    const cj = parseScalar(br.c, "a challenge");
    const zj = parseScalar(br.z, "a response");
    sum += cj;
    const m = BigInt(lo + j);
    if (eqs) {
      // z·G − A − c·α = 0 and z·Y − B − c·β + c·m·G = 0, each with its weight.
      const [w1, w2] = [weight(), weight()];
      eqs.add(G, w1 * zj + w2 * cj * m);
      eqs.add(a, -w1);
      eqs.add(c.alpha, -w1 * cj);
      eqs.add(key, w2 * zj);
      eqs.add(b, -w2);
      eqs.add(c.beta, -w2 * cj);
      return;
    }
    const shifted = c.beta.subtract(vmul(G, m));
    if (!vmul(G, zj).equals(a.add(vmul(c.alpha, cj))) || !vmul(key, zj).equals(b.add(vmul(shifted, cj)))) {
      throw new BallotError("the ciphertext is not proven to encrypt a value in range");
    }
  });
  if (mod(sum) !== total) throw new BallotError("its challenges do not add up to the hash of the statement");
}

/** The election key: a point, and not the identity, under which a ballot would be plaintext. */
function electionKey(hex: string): Point {
  const key = parsePoint(hex, "the election key");
  if (key.equals(RistrettoPoint.ZERO)) throw new BallotError("the election key is the identity: a ballot under it would not be secret");
  return key;
}

function checkShapes(shapes: QuestionShape[]): void {
  if (!Array.isArray(shapes) || shapes.length === 0 || shapes.length > MAX_QUESTIONS) {
    throw new BallotError(`a ballot answers 1 to ${MAX_QUESTIONS} questions`);
  }
  shapes.forEach(checkShape);
  const options = shapes.reduce((n, s) => n + s.options, 0);
  const branches = shapes.reduce((n, s) => n + s.max - s.min + 1, 0);
  if (options > MAX_BALLOT_OPTIONS || branches > MAX_BALLOT_COUNT_BRANCHES) {
    throw new BallotError(`a ballot has at most ${MAX_BALLOT_OPTIONS} options and ${MAX_BALLOT_COUNT_BRANCHES} count alternatives in all`);
  }
}

function checkShape(s: QuestionShape, q: number): void {
  const ok = (n: number) => Number.isInteger(n) && n >= 0;
  if (!ok(s.options) || !ok(s.min) || !ok(s.max) || s.options === 0 || s.options > MAX_OPTIONS || s.min > s.max || s.max > s.options || s.max - s.min >= MAX_RANGE) {
    throw new BallotError(`question ${q}: choose between ${s.min} and ${s.max} of ${s.options} options is not a valid question`);
  }
}

/** The context of a ballot's proofs: the poll and the voting key's account (crates/modules/voting). */
export const ballotContext = (poll: string, voter: string): Uint8Array => utf8(`dojang/voting/v1/poll/${poll}/voter/${voter}`);

/** What the registrar signs blindly for a voting key. */
export const credentialMessage = (poll: string, voter: string): Uint8Array => utf8(`dojang/voting/v1/credential/${poll}/${voter}`);

/** Encrypts the selections (chosen option indices per question) with their proofs. */
export function encryptBallot(context: Uint8Array, keyHex: string, shapes: QuestionShape[], selections: number[][]): { ballot: BallotJson; secrets: BallotSecrets } {
  checkShapes(shapes);
  if (!Array.isArray(selections) || selections.length !== shapes.length || !selections.every(Array.isArray)) {
    throw new BallotError("a ballot answers each of its questions with a list of chosen options");
  }
  const key = electionKey(keyHex);
  const answers: AnswerJson[] = [];
  const randomness: string[][] = [];
  shapes.forEach((shape, q) => {
    const chosen = selections[q] ?? [];
    if (new Set(chosen).size !== chosen.length || chosen.some((o) => !Number.isInteger(o) || o < 0 || o >= shape.options)) {
      throw new BallotError(`question ${q}: each chosen option once, below ${shape.options}`);
    }
    if (chosen.length < shape.min || chosen.length > shape.max) {
      throw new BallotError(`question ${q}: ${chosen.length} chosen, where ${shape.min} to ${shape.max} are allowed`);
    }
    const cts: Ct[] = [];
    const proofs: RangeProofJson[] = [];
    const rs: bigint[] = [];
    for (let o = 0; o < shape.options; o++) {
      const m = chosen.includes(o) ? 1 : 0;
      const r = randomScalar();
      const c = encryptWith(key, m, r);
      proofs.push(proveRange(context, key, keyHex, c, r, m, 0, 1));
      cts.push(c);
      rs.push(r);
    }
    const total = ct(cts.reduce((s, c) => s.add(c.alpha), RistrettoPoint.ZERO), cts.reduce((s, c) => s.add(c.beta), RistrettoPoint.ZERO));
    const rTotal = mod(rs.reduce((s, r) => s + r, 0n));
    const countProof = proveRange(context, key, keyHex, total, rTotal, chosen.length, shape.min, shape.max);
    answers.push({ choices: cts.map((c) => c.json), choice_proofs: proofs, count_proof: countProof });
    randomness.push(rs.map(scalarHex));
  });
  return { ballot: { answers }, secrets: { randomness } };
}

export function parseCt(c: CiphertextJson, what: string): Ct {
  return ct(parsePoint(c?.alpha, `${what}, alpha`), parsePoint(c?.beta, `${what}, beta`));
}

/** Checks a ballot's proofs as a validator does. */
export function verifyBallot(context: Uint8Array, keyHex: string, shapes: QuestionShape[], ballot: BallotJson): void {
  checkShapes(shapes);
  const key = electionKey(keyHex);
  if (!Array.isArray(ballot?.answers) || ballot.answers.length !== shapes.length) {
    throw new BallotError(`the poll has ${shapes.length} questions and the ballot answers another number`);
  }
  // Every proof's equations in one check; if it fails, each proof alone names the one at fault.
  const each = (eqs?: Equations) =>
    shapes.forEach((shape, q) => {
      const a = ballot.answers[q];
      if (!Array.isArray(a?.choices) || !Array.isArray(a?.choice_proofs) || a.choices.length !== shape.options || a.choice_proofs.length !== shape.options) {
        throw new BallotError(`question ${q} has ${shape.options} options: one ciphertext and one proof each`);
      }
      const cts = a.choices.map((c, o) => parseCt(c, `question ${q}, option ${o}`));
      cts.forEach((c, o) => verifyRange(context, key, keyHex, c, 0, 1, a.choice_proofs[o] as RangeProofJson, eqs));
      const total = ct(cts.reduce((s, c) => s.add(c.alpha), RistrettoPoint.ZERO), cts.reduce((s, c) => s.add(c.beta), RistrettoPoint.ZERO));
      verifyRange(context, key, keyHex, total, shape.min, shape.max, a.count_proof, eqs);
    });
  const eqs = new Equations();
  each(eqs);
  if (eqs.holds()) return;
  each();
  throw new BallotError("the ballot's proofs do not hold together");
}

/** The tracking code (VOTE-08): SHA-256 over every ciphertext and proof, in order, as hex. */
export function trackingCode(ballot: BallotJson): string {
  const parts: Uint8Array[] = [utf8("dojang/ballot/v1/tracking")];
  const proof = (p: RangeProofJson) => p.branches.forEach((b) => parts.push(fromHex(b.a), fromHex(b.b), fromHex(b.c), fromHex(b.z)));
  for (const a of ballot.answers) {
    a.choices.forEach((c, o) => {
      parts.push(fromHex(c.alpha), fromHex(c.beta));
      proof(a.choice_proofs[o] as RangeProofJson);
    });
    proof(a.count_proof);
  }
  return toHex(sha256(concat(...parts)));
}

/** A Benaloh audit: what the ballot encrypts, from the randomness its device revealed. */
export function auditBallot(keyHex: string, ballot: BallotJson, secrets: BallotSecrets): number[][] {
  const key = electionKey(keyHex);
  if (secrets.randomness.length !== ballot.answers.length) throw new BallotError("the revealed randomness does not match the ballot's questions");
  return ballot.answers.map((a, q) => {
    const rs = secrets.randomness[q] ?? [];
    if (rs.length !== a.choices.length) throw new BallotError(`question ${q}: randomness for each option, no more`);
    const chosen: number[] = [];
    a.choices.forEach((c, o) => {
      const r = parseScalar(rs[o] ?? "", "a randomness");
      const got = parseCt(c, `question ${q}, option ${o}`);
      const is = (m: number) => {
        const e = encryptWith(key, m, r);
        return e.alpha.equals(got.alpha) && e.beta.equals(got.beta);
      };
      if (is(0)) return;
      if (is(1)) chosen.push(o);
      else throw new BallotError(`question ${q}, option ${o}: the ciphertext is neither 0 nor 1 with the revealed randomness`);
    });
    return chosen;
  });
}
