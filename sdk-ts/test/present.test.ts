// Answering a real program office (`dojang verifier`) from the SDK, as the browser wallet does:
// the signed request is checked against the chain's registries with proofs, only what the
// query asks is disclosed, the answer is decided, and the receipt's leaf and (once anchored)
// its inclusion under the root on chain are checked. Requests beyond the registered policy,
// from an unregistered key, or sending answers in clear over a network are refused.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import {
  Client,
  CredentialError,
  ReceiptError,
  TrustedChain,
  VerifiedReader,
  WebCryptoP256Signer,
  bindPresentation,
  b64url,
  checkDecisionReceipt,
  checkResponseUri,
  checkSignedRequest,
  fetchRequest,
  keyFileSigner,
  parseDcql,
  checkWithin,
  receiveCredential,
  selectDisclosures,
  submitPresentation,
  type Signer,
} from "./helpers.js";
import { startDevNode, type DevNode } from "./devnode.js";
import { AGENCY_VCT, startAgencyIssuer, type AgencyIssuer } from "./agency.js";
import { OFFICE_DID, POLICY_DCQL, POLICY_ID, PROGRAM_ID, startProgramOffice, type ProgramOffice } from "./office.js";

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
const utf8 = (s: string) => new TextEncoder().encode(s);

async function credential(): Promise<{ sdJwt: string; signer: Signer }> {
  const o = await agency!.offer(false);
  const got = await receiveCredential(o.uri, { newKey: () => WebCryptoP256Signer.generate(), reader: reader() });
  return { sdJwt: got.copies[0]!.sdJwt, signer: got.copies[0]!.signer };
}

/** A request signed with the office's own registered key, saying whatever `change` makes it say. */
async function forged(change: (claims: any) => void, signer: Signer = keyFileSigner(office!.signingKey), kid = `${OFFICE_DID}#o-1`): Promise<string> {
  const original = await fetchRequest(office!.requestUrl);
  const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(original.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0))));
  change(claims);
  const header = b64url(utf8(JSON.stringify({ typ: "oauth-authz-req+jwt", alg: "ES256", kid })));
  const payload = b64url(utf8(JSON.stringify(claims)));
  return `${header}.${payload}.${b64url(await signer.sign(utf8(`${header}.${payload}`)))}`;
}

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

  // An altered receipt fails: another outcome, or another root.
  const altered = structuredClone(answer.receipt);
  altered.decision.outcome = { outcome: "not_eligible", failed: [] };
  await assert.rejects(checkDecisionReceipt(altered, reader()), ReceiptError);
  const withFields = structuredClone(answer.receipt);
  withFields.decision.extra = 1;
  await assert.rejects(checkDecisionReceipt(withFields, reader()), /does not know/);

  // The same presentation cannot be posted twice.
  await assert.rejects(submitPresentation(req, { [query.id]: [presentation] }), /did not accept/);
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
  const tampered = (await fetchRequest(office!.requestUrl)).replace(/\.([A-Za-z0-9_-]+)\./, (_, p) => `.${p.slice(0, -2)}AA.`);
  await assert.rejects(checkSignedRequest(tampered, reader(), now()), CredentialError);
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
