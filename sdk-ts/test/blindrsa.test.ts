// The voter's side of RFC 9474 against OpenSSL (node:crypto): a credential message blinded
// here, signed blind with the registrar's private key, and finalized here is an RSASSA-PSS
// signature (SHA-384, 48-byte salt) on randomizer || message that OpenSSL verifies, which is
// what the validators check (crates/modules/voting/src/credential.rs). A wrong blind signature
// and malformed keys are refused.

import { test } from "node:test";
import assert from "node:assert/strict";
import { constants, generateKeyPairSync, privateDecrypt, randomBytes, sign, verify, type KeyObject } from "node:crypto";

import { createHash } from "node:crypto";

import { BlindRsaError, blind, blindedDigest, registrarKey, resumeBlinded, verifyToken } from "../src/blindrsa.js";
import { credentialMessage } from "../src/voting.js";

/** The registrar's side, by OpenSSL: a raw RSA private operation on the blinded message. */
const blindSign = (privateKey: KeyObject, blindedB64: string): string =>
  privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, Buffer.from(blindedB64, "base64")).toString("base64");

/** A DER length's bytes. */
const derLen = (n: number): Buffer => (n < 128 ? Buffer.from([n]) : n < 256 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]));

/** The same RSA key as an id-RSASSA-PSS SubjectPublicKeyInfo, as the Rust registrar writes it
 * (the algorithm identifier taken from an RSA-PSS key OpenSSL made). */
function asPss(spki: Buffer): Buffer {
  const pss = generateKeyPairSync("rsa-pss", { modulusLength: 2048 }).publicKey.export({ format: "der", type: "spki" });
  const algorithm = (der: Buffer) => der.subarray(4, 4 + 2 + der[5]!);
  const rest = spki.subarray(4 + algorithm(spki).length);
  const body = Buffer.concat([algorithm(pss), rest]);
  return Buffer.concat([Buffer.from([0x30]), derLen(body.length), body]);
}

for (const form of ["rsaEncryption", "id-RSASSA-PSS"] as const) {
  test(`a registrar key as ${form}: blinded, signed blind, finalized, and OpenSSL verifies the token`, () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const der = publicKey.export({ format: "der", type: "spki" });
    const spki = (form === "rsaEncryption" ? der : asPss(der)).toString("base64");
    assert.notEqual(form === "id-RSASSA-PSS", spki === der.toString("base64"));
    assert.equal(registrarKey(spki).bits, 2048);
    const message = credentialMessage("mapo-budget-2027", "dj" + "ab".repeat(20));
    const b = blind(spki, message);
    assert.equal(Buffer.from(b.blindedMessage, "base64").length, 256);
    const token = b.finalize(blindSign(privateKey, b.blindedMessage));
    const signed = Buffer.concat([Buffer.from(token.randomizer, "base64"), message]);
    const sig = Buffer.from(token.signature, "base64");
    const opts = { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 };
    assert.ok(verify("sha384", signed, opts, sig), "OpenSSL verifies the finalized signature");
    assert.ok(!verify("sha384", Buffer.concat([signed, Buffer.from("x")]), opts, sig), "and nothing else");
    verifyToken(spki, message, token);
    assert.throws(() => verifyToken(spki, credentialMessage("mapo-budget-2027", "dj" + "cd".repeat(20)), token), /did not sign this voting key/);
    // Two blindings of one message look unrelated.
    assert.notEqual(blind(spki, message).blindedMessage, b.blindedMessage);
  });
}

test("a blind signature that is not the registrar's, or is malformed, is refused", () => {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const spki = publicKey.export({ format: "der", type: "spki" }).toString("base64");
  const b = blind(spki, credentialMessage("p", "dj" + "00".repeat(20)));
  const good = Buffer.from(blindSign(privateKey, b.blindedMessage), "base64");
  // One bit changed: a number the registrar never signed.
  const altered = Buffer.from(good);
  altered[200] ^= 1;
  assert.throws(() => b.finalize(altered.toString("base64")), /does not verify/);
  assert.throws(() => b.finalize(Buffer.alloc(255).toString("base64")), /255 bytes, not 256/);
  assert.throws(() => b.finalize("***"), BlindRsaError);
  assert.ok(b.finalize(good.toString("base64")).signature.length > 0);
});

test("keys that are not 2,048-bit-or-more RSA SubjectPublicKeyInfo are refused with a reason", () => {
  const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "der", type: "spki" });
  assert.throws(() => registrarKey(small.toString("base64")), /1024 bits/);
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "der", type: "spki" });
  assert.throws(() => registrarKey(ec.toString("base64")), BlindRsaError);
  const full = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "der", type: "spki" });
  assert.throws(() => registrarKey(full.subarray(0, 100).toString("base64")), /cut short/);
  assert.throws(() => registrarKey("not base64!"), /not base64/);
  assert.throws(() => registrarKey(""), BlindRsaError);
});

test("a kept blinding resumes to the same blinded message and finalizes the same signature; a damaged one is refused", () => {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const spki = publicKey.export({ format: "der", type: "spki" }).toString("base64");
  const b = blind(spki, credentialMessage("p", "dj" + "11".repeat(20)));
  const resumed = resumeBlinded(spki, b.kept);
  assert.equal(resumed.blindedMessage, b.blindedMessage, "the registrar is asked with the very same message");
  const sig = blindSign(privateKey, b.blindedMessage);
  assert.deepEqual(resumed.finalize(sig), b.finalize(sig));
  // The request's name for it: base64url SHA-256 of the blinded bytes.
  const digest = createHash("sha256").update(Buffer.from(b.blindedMessage, "base64")).digest("base64url");
  assert.equal(blindedDigest(b.blindedMessage), digest);
  assert.notEqual(blindedDigest(blind(spki, credentialMessage("p", "dj" + "11".repeat(20))).blindedMessage), digest);

  const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "der", type: "spki" }).toString("base64");
  const kept = JSON.parse(b.kept);
  assert.throws(() => resumeBlinded(spki, "{"), /not JSON/);
  assert.throws(() => resumeBlinded(spki, JSON.stringify({ ...kept, encoded: "xyz" })), /not hex/);
  assert.throws(() => resumeBlinded(spki, JSON.stringify({ ...kept, randomizer: "AAAA" })), /32 bytes/);
  assert.throws(() => resumeBlinded(spki, JSON.stringify({ ...kept, r_inverse: "0" })), /not for this registrar key/);
  // Under another key the numbers make another blinded message, which the signature does not finalize.
  assert.throws(() => resumeBlinded(other, b.kept).finalize(sig), BlindRsaError);
});

test("a token OpenSSL signed (RSASSA-PSS, SHA-384, 48-byte salt) verifies as the validators check it; anything altered is refused", () => {
  // A modulus of 3,070 or 3,071 bits (not whole bytes): the encoded message's top bits are masked.
  const odd = generateKeyPairSync("rsa", { modulusLength: 3071 });
  const oddMessage = credentialMessage("mapo-budget-2027", "dj" + "01".repeat(20));
  const oddRandomizer = randomBytes(32);
  const oddSig = sign("sha384", Buffer.concat([oddRandomizer, oddMessage]), { key: odd.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 });
  const oddSpki = odd.publicKey.export({ format: "der", type: "spki" }).toString("base64");
  assert.notEqual(registrarKey(oddSpki).bits % 8, 0, "a modulus whose length is not whole bytes");
  verifyToken(oddSpki, oddMessage, { randomizer: oddRandomizer.toString("base64"), signature: oddSig.toString("base64") });
  assert.throws(() => verifyToken(oddSpki, credentialMessage("x", "dj" + "01".repeat(20)), { randomizer: oddRandomizer.toString("base64"), signature: oddSig.toString("base64") }), /did not sign/);

  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });
  const der = publicKey.export({ format: "der", type: "spki" });
  const message = credentialMessage("mapo-budget-2027", "dj" + "ef".repeat(20));
  const randomizer = randomBytes(32);
  const signature = sign("sha384", Buffer.concat([randomizer, message]), { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 });
  const token = { randomizer: randomizer.toString("base64"), signature: signature.toString("base64") };
  for (const spki of [der, asPss(der)].map((d) => d.toString("base64"))) verifyToken(spki, message, token);
  const spki = der.toString("base64");
  const flipped = Buffer.from(signature);
  flipped[100] ^= 4;
  const otherRandomizer = Buffer.from(randomizer);
  otherRandomizer[0] ^= 1;
  const shortSalt = sign("sha384", Buffer.concat([randomizer, message]), { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  const sha256Signed = sign("sha256", Buffer.concat([randomizer, message]), { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 });
  for (const [bad, why] of [
    [{ ...token, signature: flipped.toString("base64") }, /did not sign/],
    [{ ...token, randomizer: otherRandomizer.toString("base64") }, /did not sign/],
    [{ ...token, signature: shortSalt.toString("base64") }, /did not sign/],
    [{ ...token, signature: sha256Signed.toString("base64") }, /did not sign/],
    [{ ...token, signature: Buffer.alloc(384, 0xff).toString("base64") }, /did not sign/],
    [{ ...token, signature: signature.subarray(1).toString("base64") }, /did not sign/],
    [{ ...token, randomizer: randomizer.subarray(1).toString("base64") }, /not 32 bytes/],
    [{ ...token, signature: "***" }, /not base64/],
    [{ ...token, signature: ` ${token.signature}` }, /not base64/],
    [{ ...token, randomizer: token.randomizer.replace(/=+$/, "") }, /not base64/],
    [{ ...token, randomizer: token.randomizer.replace(/.=$/, (m) => (m[0] === "A" ? "B=" : "A=")) }, /not base64|did not sign/],
    [{ randomizer: 7, signature: null }, BlindRsaError],
  ] as const) {
    assert.throws(() => verifyToken(spki, message, bad as never), why as never);
  }
  assert.throws(() => verifyToken(spki, credentialMessage("another-poll", "dj" + "ef".repeat(20)), token), /did not sign/);
  const other = generateKeyPairSync("rsa", { modulusLength: 3072 }).publicKey.export({ format: "der", type: "spki" }).toString("base64");
  assert.throws(() => verifyToken(other, message, token), /did not sign/);
});
