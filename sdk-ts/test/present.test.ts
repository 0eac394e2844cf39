// Answering a real program office (`dojang verifier`) from the SDK, as the browser wallet does:
// the signed request is checked against the chain's registries with proofs, only what the
// query asks is disclosed, the answer is decided, and the receipt's leaf and (once anchored)
// its inclusion under the root on chain are checked. Requests beyond the registered policy,
// from an unregistered key, or sending answers in clear over a network are refused.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";

import {
  Client,
  CredentialError,
  TrustedChain,
  VerifiedReader,
  WebCryptoP256Signer,
  bindPresentation,
  checkDecisionReceipt,
  checkResponseUri,
  checkSignedRequest,
  fetchRequest,
  keyFileSigner,
  parseDcql,
  checkWithin,
  rootFromPath,
  fromHex,
  receiveCredential,
  selectDisclosures,
  submitPresentation,
  type Signer,
} from "./helpers.js";
import { startDevNode, type DevNode } from "./devnode.js";
import { AGENCY_VCT, startAgencyIssuer, type AgencyIssuer } from "./agency.js";
import { OFFICE_DID, POLICY_DCQL, POLICY_ID, PROGRAM_ID, resignedRequest, startProgramOffice, type ProgramOffice } from "./office.js";

let dev: DevNode | undefined;
let agency: AgencyIssuer | undefined;
let office: ProgramOffice | undefined;
let genesis: any;

before(async () => {
  dev = await startDevNode("dojang-sdk-ts-present-");
  genesis = JSON.parse(readFileSync(join(dev.dir, "home", "genesis.json"), "utf8"));
  agency = await startAgencyIssuer(dev);
  office = await startProgramOffice(dev);
});

after(async () => {
  await office?.stop();
  await agency?.stop();
  await dev?.stop();
});

const reader = () => new VerifiedReader(new Client(dev!.url), TrustedChain.fromGenesis(genesis));
const now = () => Math.floor(Date.now() / 1000);

async function credential(): Promise<{ sdJwt: string; signer: Signer }> {
  const o = await agency!.offer(false);
  const got = await receiveCredential(o.uri, { newKey: () => WebCryptoP256Signer.generate(), reader: reader() });
  return { sdJwt: got.copies[0]!.sdJwt, signer: got.copies[0]!.signer };
}

const forged = (change: (claims: any) => void, signer?: Signer, kid?: string) => resignedRequest(office!, change, signer, kid);

test("a wallet answers the office's request within its policy, disclosing only what is asked, and checks its receipt on chain", async () => {
  const held = await credential();
  const jwt = await fetchRequest(office!.requestUrl);
  const req = await checkSignedRequest(jwt, reader(), now());
  assert.equal(req.clientId, OFFICE_DID);
  assert.equal(req.policy.id, POLICY_ID);
  assert.equal(req.policy.purpose, "selecting public-works workers");
  assert.equal(req.program, PROGRAM_ID);
  assert.ok(req.height >= 1);

  const query = req.query.credentials[0]!;
  const sel = selectDisclosures(held.sdJwt, query);
  assert.deepEqual(sel.asked, ["[income_le_65pct]", "[household_size]"]);
  assert.equal(sel.shown.income_le_65pct, true);
  assert.equal(sel.shown.household_size, 2);
  assert.equal(sel.shown.income_le_150pct, undefined, "a claim the query does not ask for stays hidden");
  assert.equal(sel.shown.monthly_income_krw, undefined);
  assert.equal(sel.disclosures.length, 2);

  const presentation = await bindPresentation(sel, held.signer, req, now());
  const answer = await submitPresentation(req, { [query.id]: [presentation] });
  assert.equal(answer.decision, "eligible");
  const checked = await checkDecisionReceipt(answer.receipt, reader());
  assert.equal(checked.program, PROGRAM_ID);
  assert.equal(checked.outcome, "eligible");

  // The office anchors every second; the receipt it serves then carries the inclusion proof.
  const seq = answer.receipt.decision.seq;
  let anchored = null;
  for (let i = 0; i < 100 && anchored === null; i++) {
    const r = await fetch(`${office!.url}/receipts/${seq}?leaf=${answer.receipt.leaf}`).then((x) => x.json());
    if (r.inclusion) anchored = (await checkDecisionReceipt(r, reader())).anchored;
    else await new Promise((ok) => setTimeout(ok, 200));
  }
  assert.ok(anchored, "anchored within 20 s");
  assert.ok(anchored!.batch >= 1 && anchored!.height >= 1);

  // An altered receipt fails: another outcome, a broken path, a root the chain does not hold.
  const altered = structuredClone(answer.receipt);
  altered.decision.outcome = { outcome: "not_eligible", failed: [] };
  await assert.rejects(checkDecisionReceipt(altered, reader()), /does not match its decision and salt/);
  const withFields = structuredClone(answer.receipt);
  withFields.decision.extra = 1;
  await assert.rejects(checkDecisionReceipt(withFields, reader()), /does not know/);
  const anchoredReceipt = await fetch(`${office!.url}/receipts/${seq}?leaf=${answer.receipt.leaf}`).then((x) => x.json());
  const brokenPath = structuredClone(anchoredReceipt);
  brokenPath.inclusion.proof = [{ sibling: "00".repeat(32), left: true }, ...brokenPath.inclusion.proof];
  await assert.rejects(checkDecisionReceipt(brokenPath, reader()), /does not lead to the receipt's root/);
  const ownRoot = structuredClone(anchoredReceipt);
  ownRoot.inclusion.proof = [{ sibling: "11".repeat(32), left: false }];
  ownRoot.inclusion.root = rootFromPath(fromHex(ownRoot.leaf), ownRoot.inclusion.proof);
  await assert.rejects(checkDecisionReceipt(ownRoot, reader()), /not the root anchored on chain/);
  const noBatch = structuredClone(anchoredReceipt);
  noBatch.inclusion.batch = 999;
  await assert.rejects(checkDecisionReceipt(noBatch, reader()), /no batch 999/);

  // The same presentation cannot be posted twice.
  await assert.rejects(submitPresentation(req, { [query.id]: [presentation] }), /did not accept/);
});

test("a receipt for another decision than the one answered is refused", async () => {
  const held = await credential();
  const req = await checkSignedRequest(await fetchRequest(office!.requestUrl), reader(), now());
  const sel = selectDisclosures(held.sdJwt, req.query.credentials[0]!);
  const presentation = await bindPresentation(sel, held.signer, req, now());
  // The office's answer, its receipt swapped for one under another policy.
  const fetcher = async (input: RequestInfo | URL, init?: RequestInit) => {
    const res = await fetch(input, init);
    const body = await res.json();
    body.receipt.decision.policy = "another.policy";
    return new Response(JSON.stringify(body), { status: res.status, headers: { "content-type": "application/json" } });
  };
  await assert.rejects(submitPresentation(req, { [sel.query.id]: [presentation] }, { fetcher }), /not for this decision/);
});

test("a redirect is never followed: a presentation goes only where the request was checked to send it", async () => {
  const server = createServer((_, res) => {
    res.writeHead(307, { location: "http://198.51.100.7/steal" });
    res.end();
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  try {
    const url = `http://127.0.0.1:${(server.address() as any).port}/programs/x/request`;
    await assert.rejects(fetchRequest(url), TypeError);
  } finally {
    server.close();
  }
});

test("a query restricting a claim's values is answered only when the credential's value is allowed", async () => {
  const held = await credential();
  const ask = (values: unknown[]) =>
    parseDcql({ credentials: [{ id: "income", format: "dc+sd-jwt", meta: { vct_values: [AGENCY_VCT] }, claims: [{ path: ["income_le_65pct"], values }] }] }).credentials[0]!;
  assert.deepEqual(selectDisclosures(held.sdJwt, ask([true])).shown.income_le_65pct, true);
  assert.throws(() => selectDisclosures(held.sdJwt, ask([false])), /does not have a value the query accepts/);
  const missing = parseDcql({ credentials: [{ id: "income", format: "dc+sd-jwt", meta: { vct_values: [AGENCY_VCT] }, claims: [{ path: ["no_such_claim"] }] }] }).credentials[0]!;
  assert.throws(() => selectDisclosures(held.sdJwt, missing), /has no claim \[no_such_claim\]/);
  const otherType = parseDcql({ credentials: [{ id: "r", format: "dc+sd-jwt", meta: { vct_values: ["urn:other"] } }] }).credentials[0]!;
  assert.throws(() => selectDisclosures(held.sdJwt, otherType), /is of type/);
});

test("requests beyond the policy, from an unregistered key, altered, expired or answering in clear are refused", async () => {
  const beyond = await forged((c) => c.dcql_query.credentials[0].claims.push({ path: ["monthly_income_krw"] }));
  await assert.rejects(checkSignedRequest(beyond, reader(), now()), /asks more than policy .*monthly_income_krw/);
  const otherType = await forged((c) => (c.dcql_query.credentials[0].meta.vct_values = ["urn:dojang:resident:1"]));
  await assert.rejects(checkSignedRequest(otherType, reader(), now()), /asks more than policy/);
  const stranger = await forged(() => {}, await WebCryptoP256Signer.generate());
  await assert.rejects(checkSignedRequest(stranger, reader(), now()), /signature is not by the expected key/);
  const unknownKey = await forged(() => {}, keyFileSigner(office!.signingKey), `${OFFICE_DID}#o-9`);
  await assert.rejects(checkSignedRequest(unknownKey, reader(), now()), /no key 'o-9' registered/);
  const impostor = await forged((c) => (c.client_id = "did:web:evil.example"));
  await assert.rejects(checkSignedRequest(impostor, reader(), now()), /claims to come from/);
  const expired = await forged((c) => (c.exp = now() - 1));
  await assert.rejects(checkSignedRequest(expired, reader(), now()), /expired/);
  const forever = await forged((c) => (c.exp = now() + 86_400));
  await assert.rejects(checkSignedRequest(forever, reader(), now()), /more than 3600 s/);
  const clear = await forged((c) => (c.response_uri = "http://office.example/response"));
  await assert.rejects(checkSignedRequest(clear, reader(), now()), /unencrypted/);
  const noPolicy = await forged((c) => (c.policy = "no-such-policy"));
  await assert.rejects(checkSignedRequest(noPolicy, reader(), now()), /not registered on chain/);
  const unknownField = await forged((c) => (c.dcql_query.credential_sets = []));
  await assert.rejects(checkSignedRequest(unknownField, reader(), now()), /unknown field 'credential_sets'/);
  const future = await forged((c) => (c.iat = now() + 3600));
  await assert.rejects(checkSignedRequest(future, reader(), now()), /made in the future/);
  const negative = await forged((c) => (c.iat = -5));
  await assert.rejects(checkSignedRequest(negative, reader(), now()), /not a time in seconds/);
  for (const field of ["nonce", "state"]) {
    const missing = await forged((c) => delete c[field]);
    await assert.rejects(checkSignedRequest(missing, reader(), now()), new RegExp(`no usable ${field}`));
  }
  const longNonce = await forged((c) => (c.nonce = "가".repeat(200)));
  await assert.rejects(checkSignedRequest(longNonce, reader(), now()), /no usable nonce/, "512 bytes of UTF-8, as the Rust wallet counts");
  const nullClaims = await forged((c) => (c.dcql_query.credentials[0].claims = null));
  await assert.rejects(checkSignedRequest(nullClaims, reader(), now()), /claims of 'income' are null/);
  const original = await fetchRequest(office!.requestUrl);
  const [h, p, sig] = original.split(".");
  const claims = JSON.parse(Buffer.from(p!, "base64url").toString("utf8"));
  claims.dcql_query.credentials[0].claims.push({ path: ["monthly_income_krw"] });
  const tampered = `${h}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${sig}`;
  await assert.rejects(checkSignedRequest(tampered, reader(), now()), /signature is not by the expected key/);
  for (const bad of ["", "a.b", "not a jwt at all", "x.y.z"]) {
    await assert.rejects(checkSignedRequest(bad, reader(), now()), CredentialError, JSON.stringify(bad));
  }
});

test("DCQL and response URIs are read strictly", () => {
  const policy = parseDcql(POLICY_DCQL);
  checkWithin(parseDcql({ credentials: [{ id: "i", format: "dc+sd-jwt", meta: { vct_values: [AGENCY_VCT] }, claims: [{ path: ["household_size"] }] }] }), policy);
  for (const bad of [null, {}, { credentials: [] }, { credentials: [{ id: "i", format: "mso_mdoc", meta: { vct_values: ["x"] } }] }, { credentials: [{ id: "i", format: "dc+sd-jwt", meta: { vct_values: [] } }] }, { credentials: [{ id: "i", format: "dc+sd-jwt", meta: { vct_values: ["x"] }, claims: [{ path: [] }] }] }, { credentials: [{ id: "i", format: "dc+sd-jwt", meta: { vct_values: ["x"] }, claims: [{ path: [true] }] }] }]) {
    assert.throws(() => parseDcql(bad), CredentialError, JSON.stringify(bad));
  }
  for (const ok of ["https://office.example/response", "http://127.0.0.1:8091/response", "http://localhost/r", "http://[::1]:80/r"]) checkResponseUri(ok);
  for (const bad of ["http://office.example/r", "ftp://x/r", "https://user@x/r", "https://x:99999/r", "https:// x/r", "http://[::1/r", "https:///r"]) {
    assert.throws(() => checkResponseUri(bad), CredentialError, bad);
  }
});
