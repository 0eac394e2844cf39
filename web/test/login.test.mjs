// A resident logs in to two facilities from the web wallet in Debian's Chromium, against
// `dojang demo login --stay` (the council's facilities, the registry, the login service): the
// facility's side is played here with nothing but the discovery document (an authorization
// request with PKCE, the code exchanged, the ID token checked against the published key). The
// wallet shows the facility and exactly what it will see, and a document's title and hash
// before signing it; the history names the facility. Screenshots go to web/test-output/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, createPublicKey, randomBytes, verify } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { OUT, launch } from "./chromium.mjs";

let demo;
let stay;
let browser;
let scratch;

before(async () => {
  const bin = process.env.DOJANG_BIN;
  assert.ok(bin, "set DOJANG_BIN to the dojang binary (scripts/web.sh does)");
  scratch = mkdtempSync(join(tmpdir(), "dojang-web-login-"));
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DOJANG_"))), DOJANG_LOG__FILTER: "error" };
  demo = spawn(bin, ["demo", "login", "--stay", "--dir", scratch], { stdio: ["ignore", "pipe", "inherit"], env });
  stay = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the demo did not set up within 180 s")), 180_000);
    createInterface({ input: demo.stdout }).on("line", (line) => {
      if (!line.startsWith("{")) return;
      const v = JSON.parse(line);
      if (v.stay) {
        clearTimeout(timer);
        resolve(v);
      }
    });
    demo.on("exit", (code) => reject(new Error(`the demo exited (${code})`)));
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (demo && demo.exitCode === null && demo.signalCode === null) {
    const exited = new Promise((resolve) => demo.once("exit", resolve));
    demo.kill("SIGTERM");
    await exited;
  }
  rmSync(scratch, { recursive: true, force: true });
});

const b64u = (bytes) => Buffer.from(bytes).toString("base64url");
const facility = (id) => stay.facilities.find((f) => f.client_id === id);

/** The facility's web application starting a login: the authorization request it sends the browser to. */
async function start(id, params = {}) {
  const meta = await (await fetch(`${stay.issuer}/.well-known/openid-configuration`)).json();
  assert.equal(meta.issuer, stay.issuer);
  const f = facility(id);
  const s = { meta, f, verifier: b64u(randomBytes(32)), state: b64u(randomBytes(16)), nonce: b64u(randomBytes(16)) };
  const u = new URL(meta.authorization_endpoint);
  const q = {
    response_type: "code", client_id: f.client_id, redirect_uri: f.redirect_uri, scope: "openid", state: s.state, nonce: s.nonce,
    code_challenge: b64u(createHash("sha256").update(s.verifier).digest()), code_challenge_method: "S256", ...params,
  };
  for (const [k, v] of Object.entries(q)) u.searchParams.set(k, v);
  s.authorize = u.toString();
  return s;
}

/** The browser is back at the facility: the code exchanged, the ID token checked. */
async function finish(s, callback) {
  const cb = new URL(callback);
  assert.equal(cb.searchParams.get("state"), s.state);
  assert.equal(cb.searchParams.get("iss"), stay.issuer);
  const body = new URLSearchParams({
    grant_type: "authorization_code", code: cb.searchParams.get("code"), redirect_uri: s.f.redirect_uri,
    client_id: s.f.client_id, code_verifier: s.verifier,
  });
  const tokens = await (await fetch(s.meta.token_endpoint, { method: "POST", body })).json();
  assert.ok(tokens.id_token, JSON.stringify(tokens));
  const jwks = await (await fetch(s.meta.jwks_uri)).json();
  const [h, p, sig] = tokens.id_token.split(".");
  const header = JSON.parse(Buffer.from(h, "base64url"));
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: "jwk" });
  assert.ok(verify("sha256", Buffer.from(`${h}.${p}`), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(sig, "base64url")), "signed with the published key");
  const claims = JSON.parse(Buffer.from(p, "base64url"));
  assert.equal(claims.iss, stay.issuer);
  assert.equal(claims.aud, s.f.client_id);
  assert.equal(claims.nonce, s.nonce);
  return claims;
}

test("a resident logs in to the library and signs at the district office from the web wallet", async () => {
  const context = await browser.newContext({ locale: "en-GB" });
  const p = await context.newPage();
  const errors = [];
  p.on("pageerror", (e) => errors.push(e.message));
  // The facilities' callbacks (no server listens there): answered here, as their web apps would.
  await p.route(/^http:\/\/127\.0\.0\.1\/[a-z-]+\/callback/, (route) => route.fulfill({ status: 200, contentType: "text/html", body: "<p>facility</p>" }));

  await p.goto(stay.browser.wallet);
  await p.getByLabel("PIN").fill(stay.browser.pin);
  await p.getByRole("button", { name: "Receive" }).click();
  await p.locator('[data-received="true"], #receive [role="alert"]').first().waitFor({ timeout: 30_000 });
  assert.equal(await p.locator('[data-received="true"]').count(), 1, await p.locator("#receive").innerText());

  // The library: residency only, under a subject of its own.
  const lib = await start("mapo-library", { action: "borrow" });
  await p.goto(lib.authorize);
  assert.match(await p.locator("body").innerText(), /Mapo Seogang Library/);
  await p.locator("#web-wallet").click();
  await p.locator('[data-consent="login"]').waitFor({ timeout: 20_000 });
  const consent = await p.locator('[data-consent="login"]').innerText();
  assert.match(consent, /Mapo Seogang Library/);
  assert.match(consent, /registered by the council/);
  assert.match(consent, /did:web:login\.seoul\.go\.kr/);
  assert.match(consent, /resident_of_seoul/);
  assert.doesNotMatch(consent, /age_over_65|assurance|district/, "nothing beyond the library's registration");
  await p.screenshot({ path: join(OUT, "login-consent.png"), fullPage: true });
  await p.locator("#login-send").click();
  await p.waitForURL(/mapo-library\/callback\?code=/, { timeout: 20_000 });
  const claims = await finish(lib, p.url());
  assert.equal(claims.resident_of_seoul, true);
  assert.equal(claims.acr, "urn:dojang:loa:low");
  assert.equal(claims.age_over_65, undefined);

  // The district office: a contract signed, its title and hash shown first.
  const text = "Mangwon market stall lease, 2027";
  const hash = b64u(createHash("sha256").update(text).digest());
  const dis = await start("mapo-district", { action: "sign-contract", document_hash: hash, document_title: "Stall lease 2027" });
  await p.goto(dis.authorize);
  await p.locator("#web-wallet").click();
  await p.locator(`[data-document="${hash}"]`).waitFor({ timeout: 20_000 });
  assert.match(await p.locator(`[data-document="${hash}"]`).innerText(), /Stall lease 2027/);
  await p.screenshot({ path: join(OUT, "login-sign.png"), fullPage: true });
  await p.locator("#login-send").click();
  await p.waitForURL(/mapo-district\/callback\?code=/, { timeout: 20_000 });
  const signed = await finish(dis, p.url());
  assert.equal(signed.acr, "urn:dojang:loa:high", "the browser's credential was enrolled in person");
  assert.equal(signed.document_signature.document_hash, hash);
  assert.equal(signed.document_signature.title, "Stall lease 2027");
  assert.notEqual(signed.sub, claims.sub, "two facilities, two subjects");

  // AUTH-06: the history names each facility.
  await p.goto(new URL("/#/wallet", stay.node).toString());
  await p.locator('[data-facility="마포구립서강도서관 Mapo Seogang Library"]').waitFor({ timeout: 20_000 });
  await p.locator('[data-facility="마포구청 Mapo District Office"]').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test("a login link that is not the login service's request is refused before anything is shown", async () => {
  const context = await browser.newContext({ locale: "en-GB" });
  const p = await context.newPage();
  // A real address that answers, but with no signed request: the service's public keys.
  await p.goto(new URL(`/#/login/${encodeURIComponent(`${stay.issuer}/jwks`)}`, stay.node).toString());
  await p.locator('[data-refused="true"]').waitFor({ timeout: 20_000 });
  assert.equal(await p.locator('[data-consent="login"]').count(), 0);
  await context.close();
});
