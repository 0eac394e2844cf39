// Receiving a credential over OpenID4VCI from a real agency issuer (`dojang issuer`) on a real
// dev node, and checking it against the chain's registries with proofs: the same checks the
// Rust wallet makes before it keeps a credential. Damaged credentials and wrong PINs refused.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";

import {
  Client,
  CredentialError,
  TrustedChain,
  VerifiedReader,
  WebCryptoP256Signer,
  checkIssued,
  checkStatus,
  readStatusToken,
  parseOffer,
  receiveCredential,
} from "./helpers.js";
import { startDevNode, type DevNode } from "./devnode.js";
import { AGENCY_DID, AGENCY_VCT, startAgencyIssuer, type AgencyIssuer } from "./agency.js";

let dev: DevNode | undefined;
let agency: AgencyIssuer | undefined;
let genesis: any;
const ISSUER_DID = AGENCY_DID;
const VCT = AGENCY_VCT;

before(async () => {
  dev = await startDevNode("dojang-sdk-ts-credentials-");
  genesis = JSON.parse(readFileSync(join(dev.dir, "home", "genesis.json"), "utf8"));
  agency = await startAgencyIssuer(dev);
});

after(async () => {
  await agency?.stop();
  await dev?.stop();
});

const offer = (pin: boolean) => agency!.offer(pin);

const reader = () => new VerifiedReader(new Client(dev!.url), TrustedChain.fromGenesis(genesis));

test("a credential received over OpenID4VCI checks against the chain, each copy bound to its own browser-style key", async () => {
  const o = await offer(true);
  assert.equal(parseOffer(o.uri).needsPin, true);
  const got = await receiveCredential(o.uri, { pin: o.pin, copies: 2, newKey: () => WebCryptoP256Signer.generate(), reader: reader() });
  assert.equal(got.vct, VCT);
  assert.equal(got.issuer, ISSUER_DID);
  assert.equal(got.copies.length, 2);
  const [a, b] = got.copies;
  assert.notEqual(a!.signer.publicKey.toString(), b!.signer.publicKey.toString(), "no two copies share a key");
  assert.equal(a!.issued.holder.toString(), a!.signer.publicKey.toString());
  assert.equal(a!.issued.claims.income_le_65pct, true);
  assert.equal(a!.issued.claims.household_size, 2);
  assert.ok(a!.issued.height >= 1);
});

test("a wrong or missing PIN gets nothing", async () => {
  const o = await offer(true);
  await assert.rejects(receiveCredential(o.uri, { newKey: () => WebCryptoP256Signer.generate(), reader: reader() }), /PIN/);
  const wrong = o.pin === "000000" ? "111111" : "000000";
  await assert.rejects(receiveCredential(o.uri, { pin: wrong, newKey: () => WebCryptoP256Signer.generate(), reader: reader() }), CredentialError);
});

test("a damaged credential, or one the chain does not vouch for, is refused with the reason", async () => {
  const o = await offer(false);
  const got = await receiveCredential(o.uri, { newKey: () => WebCryptoP256Signer.generate(), reader: reader() });
  const cred = got.copies[0]!.sdJwt;
  const now = Math.floor(Date.now() / 1000);
  assert.equal((await checkIssued(cred, reader(), now)).issuer, ISSUER_DID);
  const [jwt, ...rest] = cred.split("~");
  const [h, p, s] = jwt!.split(".");
  const payload = JSON.parse(Buffer.from(p!, "base64url").toString());
  const flip = (text: string) => {
    const i = Math.floor(text.length / 2);
    return text.slice(0, i) + (text[i] === "A" ? "B" : "A") + text.slice(i + 1);
  };
  const cases: [string, string, RegExp][] = [
    ["payload changed", [`${h}.${Buffer.from(JSON.stringify({ ...payload, exp: payload.exp + 86400 })).toString("base64url")}.${s}`, ...rest].join("~"), /signature/],
    ["signature changed", [`${h}.${p}.${flip(s!)}`, ...rest].join("~"), /signature/],
    ["kid with a second #", [`${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(h!, "base64url").toString()), kid: `${ISSUER_DID}#sign-1#x` })).toString("base64url")}.${p}.${s}`, ...rest].join("~"), /no key 'sign-1#x'/],
    ["disclosure added", cred + Buffer.from(JSON.stringify(["salt", "monthly_income_krw", 1])).toString("base64url") + "~", /referenced by nothing/],
    ["disclosure repeated", [jwt, rest[0], ...rest].join("~"), /twice/],
    ["expired", cred, /expired/],
    ["not an SD-JWT", "garbage", /not an SD-JWT/],
  ];
  for (const [what, text, reason] of cases) {
    const at = what === "expired" ? payload.exp + 1 : now;
    await assert.rejects(checkIssued(text, reader(), at), (e) => e instanceof CredentialError && reason.test(e.message) || assert.fail(`${what}: ${e}`), what);
  }
  for (const bad of ["", "https://x/?credential_offer={}", "openid-credential-offer://?x=1", "openid-credential-offer://?credential_offer=%7B%7D"]) {
    assert.throws(() => parseOffer(bad), CredentialError, bad);
  }
});

test("a credential's status is read from its issuer's list, which must be the one anchored on chain", async () => {
  const o = await offer(false);
  const got = await receiveCredential(o.uri, { newKey: () => WebCryptoP256Signer.generate(), reader: reader() });
  const sdJwt = got.copies[0]!.sdJwt;
  const before = await checkStatus(sdJwt, reader());
  assert.equal(before.status, "valid");
  const entryUri = JSON.parse(Buffer.from(sdJwt.split("~")[0]!.split(".")[1]!, "base64url").toString("utf8")).status.status_list.uri;
  const previous = await fetch(entryUri).then((r) => r.text());
  await agency!.setStatus("revoked");
  try {
    // The list from before the revocation, served again (a stale cache, or an issuer hiding
    // the revocation), is not the one anchored now.
    const replayed = async () => new Response(previous, { status: 200 });
    await assert.rejects(checkStatus(sdJwt, reader(), { fetcher: replayed }), /not the one anchored on chain/);
    const after = await checkStatus(sdJwt, reader());
    assert.equal(after.status, "revoked");
    assert.ok(after.version > before.version, "a new anchored version");
    await agency!.setStatus("suspended");
    assert.equal((await checkStatus(sdJwt, reader())).status, "suspended");
  } finally {
    await agency!.setStatus("valid");
  }
  assert.equal((await checkStatus(sdJwt, reader())).status, "valid");

  // A list served by someone else than the anchor vouches for is refused.
  const fetcher = async () => new Response("eyJ0eXAiOiJzdGF0dXNsaXN0K2p3dCJ9.e30.AA", { status: 200 });
  await assert.rejects(checkStatus(sdJwt, reader(), { fetcher }), /not the one anchored on chain/);
  // Malformed tokens are refused with a reason.
  await assert.rejects(readStatusToken("a.b", "u", 0), CredentialError);
  const token = (sub: string, list: object) =>
    `${Buffer.from(JSON.stringify({ typ: "statuslist+jwt", alg: "ES256" })).toString("base64url")}.${Buffer.from(JSON.stringify({ sub, status_list: list })).toString("base64url")}.AA`;
  await assert.rejects(readStatusToken(token("other", { bits: 2, lst: "eJwDAAAAAAE" }), "u", 0), /subject/);
  await assert.rejects(readStatusToken(token("u", { bits: 3, lst: "eJwDAAAAAAE" }), "u", 0), /3 bits/);
  await assert.rejects(readStatusToken(token("u", { bits: 2, lst: "bm90IHpsaWI" }), "u", 0), /does not inflate/);
  // One byte holds entries 0..3 at 2 bits, lowest bits first: 0b00_10_01_00 is valid, revoked, suspended, valid.
  const one = Buffer.from(zlibOf(Uint8Array.of(0b00_10_01_00))).toString("base64url");
  assert.deepEqual(
    await Promise.all([0, 1, 2, 3].map((i) => readStatusToken(token("u", { bits: 2, lst: one }), "u", i))),
    ["valid", "revoked", "suspended", "valid"],
  );
  await assert.rejects(readStatusToken(token("u", { bits: 2, lst: one }), "u", 4), /beyond the status list/);
  await assert.rejects(readStatusToken(token("u", { bits: 2, lst: "eJxjAAAAAQAB" }), "u", 99), /beyond the status list/);
});

function zlibOf(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(deflateSync(bytes));
}
