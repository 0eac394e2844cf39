// Receiving a credential over OpenID4VCI from a real agency issuer (`dojang issuer`) on a real
// dev node, and checking it against the chain's registries with proofs: the same checks the
// Rust wallet makes before it keeps a credential. Damaged credentials and wrong PINs refused.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

import {
  Client,
  CredentialError,
  TrustedChain,
  VerifiedReader,
  WebCryptoP256Signer,
  checkIssued,
  parseOffer,
  receiveCredential,
} from "./helpers.js";
import { startDevNode, type DevNode } from "./devnode.js";

const BIN = process.env.DOJANG_BIN!;
const ISSUER_DID = "did:web:ssis.seoul.go.kr";
const VCT = "urn:dojang:income-band:1";
const DESK = "desk-token-for-the-test";
let dev: DevNode | undefined;
let issuer: ChildProcess | undefined;
let issuerUrl = "";
let genesis: any;

function dojang(...args: string[]): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DOJANG_")));
  return execFileSync(BIN, args, { env: { ...env, DOJANG_NODE: dev!.url }, encoding: "utf8" });
}

function identityTx(keyName: string, msg: object): void {
  const out = JSON.parse(dojang("tx", "--key", join(dev!.dir, "home", "keys", `${keyName}.json`), "--wait", "identity", JSON.stringify(msg)));
  assert.equal(out.receipt.result.status, "ok", JSON.stringify(out));
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as any).port;
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  dev = await startDevNode("dojang-sdk-ts-credentials-");
  genesis = JSON.parse(readFileSync(join(dev.dir, "home", "genesis.json"), "utf8"));
  // The city is the trust root (registered, then set by the council's proposal).
  const city = join(dev.dir, "city-signing.json");
  dojang("keys", "new", "--out", city, "--algorithm", "p256", "--insecure-clear-keys");
  identityTx("admin", { type: "register_org", did: "did:web:seoul.go.kr", kid: "root-1", public_key: JSON.parse(readFileSync(city, "utf8")).public_key });
  dojang("gov", "propose", "--key", join(dev.dir, "home", "keys", "admin.json"), "--module", "identity", "--reason", "the city is the trust root", JSON.stringify({ type: "set_root", did: "did:web:seoul.go.kr" }));
  const signing = join(dev.dir, "ssis-signing.json");
  dojang("keys", "new", "--out", signing, "--algorithm", "p256", "--insecure-clear-keys");
  const publicKey = JSON.parse(readFileSync(signing, "utf8")).public_key;
  identityTx("social-security", { type: "register_org", did: ISSUER_DID, kid: "sign-1", public_key: publicKey });
  identityTx("admin", {
    type: "register_type",
    vct: VCT,
    schema_hash: "11".repeat(32),
    concealable: ["income_le_65pct", "income_le_150pct", "household_size"],
    thresholds: ["income_le_65pct", "income_le_150pct"],
  });
  identityTx("admin", { type: "accredit", issuer: ISSUER_DID, vct: VCT });
  writeFileSync(
    join(dev.dir, "records.json"),
    JSON.stringify({
      credential_configurations: { income_band: { vct: VCT, validity_days: 90 } },
      subjects: { "S-0001": { income_band: { income_le_65pct: true, income_le_150pct: true, household_size: 2, monthly_income_krw: 1450000 } } },
    }),
  );
  const port = await freePort();
  issuerUrl = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(dev.dir, "issuer.toml"),
    `[issuer]\ndid = "${ISSUER_DID}"\nkid = "sign-1"\npublic_url = "${issuerUrl}"\n\n[service]\nlisten_addr = "127.0.0.1:${port}"\nsigning_key = "ssis-signing.json"\naccount_key = "${join(dev.dir, "home", "keys", "social-security.json")}"\nrecords = "records.json"\nstate_dir = "issuer-state"\nnode = "${dev.url}"\nchain_id = "${genesis.chain_id}"\nadmin_token = "${DESK}"\n`,
  );
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DOJANG_")));
  issuer = spawn(BIN, ["issuer", "--config", join(dev.dir, "issuer.toml")], { stdio: ["ignore", "ignore", "inherit"], env });
  let up = false;
  for (let i = 0; i < 150 && !up && issuer.exitCode === null; i++) {
    up = await fetch(`${issuerUrl}/.well-known/openid-credential-issuer`).then((r) => r.ok, () => false);
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(up, `the issuer did not start (exit ${issuer.exitCode})`);
});

after(async () => {
  if (issuer && issuer.exitCode === null) {
    const exited = new Promise((r) => issuer!.once("exit", r));
    issuer.kill("SIGTERM");
    await exited;
  }
  await dev?.stop();
});

async function offer(pin: boolean): Promise<{ uri: string; pin?: string }> {
  const res = await fetch(`${issuerUrl}/admin/offers`, {
    method: "POST",
    headers: { authorization: `Bearer ${DESK}`, "content-type": "application/json" },
    body: JSON.stringify({ subject: "S-0001", credential_configuration_id: "income_band", pin }),
  });
  const body: any = await res.json();
  assert.ok(res.ok, JSON.stringify(body));
  return { uri: body.credential_offer_uri, pin: body.tx_code };
}

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
  const cases: [string, string, RegExp][] = [
    ["payload changed", [`${h}.${Buffer.from(JSON.stringify({ ...payload, vct: VCT + "x" })).toString("base64url")}.${s}`, ...rest].join("~"), /not registered|signature|accredited/],
    ["signature changed", [`${h}.${p}.${s!.slice(0, -2)}AA`, ...rest].join("~"), /signature/],
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
