// The worker's side of a part-time contract in Debian's Chromium, against a real dev node with
// the labour and collections modules on and a real labour desk (`dojang labour desk`): the
// wallet shows the account the employer names; the employers' app drafts and registers the
// contract and hands over the copy as a link; the wallet checks it against the ledger, shows
// it, and the worker signs from the browser (the receipt of the copy, recorded on the ledger).
// An altered copy and another wallet's attempt are refused. Screenshots go to web/test-output/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { OUT, launch } from "./chromium.mjs";
import { Client, Ed25519Signer, Governance, TxBuilder, b64url, keyFileSigner, toHex } from "../../sdk-ts/dist/src/index.js";
import { startDevNode } from "../../sdk-ts/dist/test/devnode.js";

const CHAIN = "web-labour";
const WORKER_NAME = "김민수 WEBTEST";
let dev;
let desk;
let browser;
let employer;
let token;

const env = () => ({ ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "DOJANG_BIN")), DOJANG_LOG__FILTER: "error" });

before(async () => {
  let bin = "";
  dev = await startDevNode("dojang-web-labour-", (b, home) => {
    bin = b;
    execFileSync(b, ["init", "--insecure-clear-keys", "--demo", "--home", home, "--chain-id", CHAIN], { env: env() });
    execFileSync(b, ["keys", "new", "--insecure-clear-keys", "--out", join(home, "keys", "member.json")], { env: env() });
    // The node serves the collection's member organisation: `[private] member_key`.
    const config = join(home, "config.toml");
    const text = readFileSync(config, "utf8");
    assert.match(text, /^\[private\]$/m);
    writeFileSync(config, text.replace(/^\[private\]$/m, '[private]\nmember_key = "keys/member.json"'));
  });
  const home = join(dev.dir, "home");
  const client = new Client(dev.url);
  const key = (name) => keyFileSigner(JSON.parse(readFileSync(join(home, "keys", `${name}.json`), "utf8")));
  const admin = new TxBuilder(CHAIN, key("admin"));
  const gov = new Governance(client);
  const expires = Date.now() + 600_000;
  let at = 0;
  for (const module of ["collections", "labour"]) {
    at = (await client.status()).height + 4;
    await client.send(admin, gov.propose({ module: "governance", msg: { type: "activate", module, version: null, at_height: at } }, `${module} on`, expires));
  }
  while ((await client.status()).height < at) await new Promise((r) => setTimeout(r, 200));
  const member = JSON.parse(readFileSync(join(home, "keys", "member.json"), "utf8")).address;
  const define = { module: "collections", msg: { type: "define", id: "labour-contracts", members: [member], erasure_approvals: 1, retention_days: 1095 } };
  await client.send(admin, gov.propose(define, "part-time contracts", expires));
  employer = Ed25519Signer.generate();
  await client.send(new TxBuilder(CHAIN, key("employment-insurance")), { module: "labour", msg: { type: "vouch_employer", employer: employer.publicKey.address() } });

  // The desk, with one app acting for the employer.
  const made = execFileSync(bin, ["labour", "new-client", "--id", "web-app"], { env: env() }).toString();
  token = made.match(/# token: (\S+)/)[1];
  const lines = made.split("\n").filter((l) => !l.startsWith("#")).join("\n").replace("employers = []", `employers = ["${employer.publicKey.address()}"]`);
  const config = join(dev.dir, "desk.toml");
  writeFileSync(config, `[desk]\nlisten_addr = "127.0.0.1:0"\nnode = "${dev.url}"\nmember_key = "home/keys/member.json"\nstore = "desk.redb"\n\n${lines}\n`);
  const proc = spawn(bin, ["labour", "desk", "--config", config], { stdio: ["ignore", "pipe", "inherit"], env: env() });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the desk did not start within 30 s")), 30_000);
    createInterface({ input: proc.stdout }).on("line", (line) => {
      const m = line.match(/^labour desk on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on("exit", (code) => reject(new Error(`the desk exited (${code})`)));
  });
  desk = { url, proc };
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (desk) {
    const exited = new Promise((r) => desk.proc.once("exit", r));
    desk.proc.kill("SIGTERM");
    await exited;
  }
  await dev?.stop();
});

/** The employers' app: plain HTTP with its token. */
async function app(method, path, body) {
  const res = await fetch(desk.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function wallet() {
  const context = await browser.newContext({ locale: "en-GB" });
  const p = await context.newPage();
  const errors = [];
  p.on("pageerror", (e) => errors.push(e.message));
  await p.goto(`${dev.url}/#/wallet`);
  const address = await p.locator("[data-account]").getAttribute("data-account", { timeout: 20_000 });
  return { p, context, errors, address };
}

test("a worker opens the contract copy in the wallet, sees it checked against the ledger, and signs it from the browser", async () => {
  const { p, context, errors, address } = await wallet();
  assert.match(address, /^dj[0-9a-f]{40}$/);

  // The employer's app drafts the contract naming that account, and the employer registers it.
  const templates = await app("GET", "/labour/v1/templates");
  const terms = templates.templates.find((t) => t.id === "part-time-weekdays").draft;
  Object.assign(terms, { start: "2026-03-02", end: "2027-02-28", workplace: "Cafe WEBTEST, Mapo-gu", duties: "serving", wage_krw: 10_500, workplace_employees: 4, worker_birth_date: "2001-05-05" });
  const stored = await app("POST", "/labour/v1/contracts", {
    employer: employer.publicKey.address(),
    worker: address,
    parties: { employer_name: "카페 WEBTEST", worker_name: WORKER_NAME },
    terms,
  });
  const tx = await new TxBuilder(CHAIN, employer).build(stored.sign);
  await app("POST", "/labour/v1/txs", { tx: toHex(tx.encoded) });
  const copy = await app("GET", `/labour/v1/contracts/${stored.contract}/copy`);
  const link = `${dev.url}/#/wallet/contract/${b64url(new TextEncoder().encode(JSON.stringify(copy)))}`;

  // The link opens the copy: checked against the ledger, shown in full, awaiting the signature.
  await p.goto(link);
  await p.locator("[data-checked]").waitFor({ timeout: 20_000 });
  const shown = await p.locator("#contract").innerText();
  for (const text of [WORKER_NAME, "카페 WEBTEST", "Cafe WEBTEST, Mapo-gu", "10,500 KRW", "2026-03-02 – 2027-02-28"]) assert.ok(shown.includes(text), `${text} in ${shown}`);
  assert.equal(await p.locator('#contract [data-version="1"]').getAttribute("data-state"), "awaiting-signature");
  assert.equal(await p.locator('#contract [data-verified="true"]').count(), 1, "the ledger's record carries a verified mark");
  await p.screenshot({ path: join(OUT, "wallet-contract.png"), fullPage: true });

  // The worker signs: the ledger records it, and the wallet keeps the copy.
  await p.getByRole("button", { name: "Sign version 1 (this is also your receipt of the copy)" }).click();
  await p.locator('[data-signed="1"]').waitFor({ timeout: 30_000 });
  const ledger = (await app("GET", `/labour/v1/contracts/${stored.contract}`)).ledger;
  assert.ok(ledger.versions[0].signed_height > 0, JSON.stringify(ledger));
  await p.goto(`${dev.url}/#/wallet`);
  await p.locator("#contracts", { hasText: "(signed: version 1)" }).waitFor({ timeout: 20_000 });

  // Two weeks committed by the employer: the worker confirms one and disputes the other (CON-06).
  for (const monday of ["2026-03-02", "2026-03-09"]) {
    const days = [0, 1, 2, 3, 4].map((i) => ({ date: `2026-03-${String(Number(monday.slice(8)) + i).padStart(2, "0")}`, start: 600, end: 930, break_minutes: 30 }));
    const ts = await app("POST", `/labour/v1/contracts/${stored.contract}/timesheets`, { week: { monday, days, pay: { base_krw: 25 * 10_500 } } });
    await app("POST", "/labour/v1/txs", { tx: toHex((await new TxBuilder(CHAIN, employer).build(ts.sign)).encoded) });
  }
  const withWeeks = await app("GET", `/labour/v1/contracts/${stored.contract}/copy`);
  await p.goto(`${dev.url}/#/wallet/contract/${b64url(new TextEncoder().encode(JSON.stringify(withWeeks)))}`);
  await p.locator('[data-week="2026-03-02"][data-state="awaiting-answer"]').waitFor({ timeout: 20_000 });
  assert.match(await p.locator("#contract table.list").innerText(), /25h 0m[\s\S]*262,500 KRW/);
  await p.getByRole("button", { name: "Confirm the week of 2026-03-02" }).click();
  await p.locator('[data-answered="2026-03-02"]').waitFor({ timeout: 30_000 });
  await p.getByRole("button", { name: "Dispute the week of 2026-03-09" }).click();
  await p.locator('[data-answered="2026-03-09"]').waitFor({ timeout: 30_000 });
  assert.equal(await p.locator('[data-week="2026-03-09"]').getAttribute("data-state"), "disputed");
  assert.equal(await p.locator('[data-week="2026-03-02"]').getAttribute("data-state"), "confirmed");
  assert.equal(await p.getByRole("button", { name: /the week of/ }).count(), 0, "each week is answered once");
  const chain = new Client(dev.url);
  for (const [monday, agreed] of [["2026-03-02", true], ["2026-03-09", false]]) {
    const week = (await chain.query("labour", `timesheet/${stored.contract}/${monday}`)).timesheet;
    assert.equal(week.agreed, agreed, `${monday}: ${JSON.stringify(week)}`);
  }
  await p.screenshot({ path: join(OUT, "wallet-contract-weeks.png"), fullPage: true });
  const weeksLink = `${dev.url}/#/wallet/contract/${b64url(new TextEncoder().encode(JSON.stringify(withWeeks)))}`;

  // Alerts: a deadline the employer puts on the ledger reaches the open wallet as it happens
  // (the node's event), and on the next visit it is read from the ledger with a proof.
  await p.goto(`${dev.url}/#/wallet`);
  await p.locator("#alerts", { hasText: "No deadline is near or missed." }).waitFor({ timeout: 20_000 });
  await new Promise((r) => setTimeout(r, 500));
  const due = new Date(Date.now() + 9 * 3_600_000 + 3 * 86_400_000).toISOString().slice(0, 10);
  const deadline = { module: "labour", msg: { type: "set_deadline", contract: stored.contract, deadline: { kind: "wage_payment", month_end: "2026-10-31" }, due } };
  await app("POST", "/labour/v1/txs", { tx: toHex((await new TxBuilder(CHAIN, employer).build(deadline)).encoded) });
  await p.locator('#live-alerts [data-alert="near"][data-live="true"]').waitFor({ timeout: 30_000 });
  assert.match(await p.locator("#live-alerts").innerText(), new RegExp(`wage payment due ${due}: due soon`));
  await p.reload();
  await p.locator('#alerts [data-alert="near"] [data-verified="true"]').waitFor({ timeout: 20_000 });
  await p.screenshot({ path: join(OUT, "wallet-alerts.png"), fullPage: true });

  // An altered copy (the wage changed in its text) is refused before anything is signed.
  const altered = structuredClone(copy);
  const doc = JSON.parse(Buffer.from(altered.versions[0].payload, "base64url").toString("utf8"));
  doc.terms.wage_krw = 12_000;
  altered.versions[0].payload = Buffer.from(JSON.stringify(doc)).toString("base64url");
  await p.getByLabel("Contract copy from your employer (the link or the text)").fill(JSON.stringify(altered));
  await p.getByRole("button", { name: "Open the copy" }).click();
  await p.locator("#contract", { hasText: "cannot be trusted" }).waitFor({ timeout: 20_000 });
  assert.match(await p.locator("#contract").innerText(), /altered/);
  assert.deepEqual(errors, []);
  await context.close();

  // Another wallet (another browser profile, another account) cannot sign for this worker.
  const other = await wallet();
  await other.p.goto(link);
  await other.p.locator("#contract", { hasText: "names another account as its worker" }).waitFor({ timeout: 20_000 });
  assert.equal(await other.p.getByRole("button", { name: /Sign version/ }).count(), 0);
  assert.equal(await other.p.locator('#contract [data-version="1"]').getAttribute("data-state"), "signed");
  await other.p.goto(`${dev.url}/#/wallet`);
  await other.p.goto(weeksLink);
  await other.p.locator('[data-week="2026-03-02"]').waitFor({ timeout: 20_000 });
  assert.equal(await other.p.getByRole("button", { name: /the week of/ }).count(), 0, "only the worker answers a week");

  // Once an amendment is registered, the old copy is out of date: not shown as the contract.
  const amended = await app("POST", `/labour/v1/contracts/${stored.contract}/versions`, { terms: { ...terms, duties: "serving and the till" } });
  await app("POST", "/labour/v1/txs", { tx: toHex((await new TxBuilder(CHAIN, employer).build(amended.sign)).encoded) });
  await other.p.goto(`${dev.url}/#/wallet`);
  await other.p.goto(link);
  await other.p.locator("#contract", { hasText: "out of date" }).waitFor({ timeout: 20_000 });
  assert.equal(await other.p.locator("#contract [data-checked]").count(), 0);
  await other.context.close();
});
