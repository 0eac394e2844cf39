// The subcontract payments pages in Debian's Chromium, against a real dev node with the
// payments module on: a project with a subcontract, a material supply and the prime's crew;
// the browser's account appointed an officer of the ordering department approves the prime's
// split from the page, and a second officer's approval instructs it; the bank confirms three
// lines and rejects one; the subcontractor's dashboard shows its guarantee due, its line paid,
// with proofs; a worker's wallet receives a payment receipt from the payments office's issuer
// and the receipts page finds its line confirmed on chain with the receipt's own status, while
// a receipt naming the rejected line, or the right line and another employer, is shown as not
// confirmed. Malformed links are refused before the node is asked.
// Screenshots go to web/test-output/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { OUT, launch } from "./chromium.mjs";
import { Client, Ed25519Signer, Governance, TxBuilder, keyFileSigner, toHex } from "../../sdk-ts/dist/src/index.js";
import { startDevNode } from "../../sdk-ts/dist/test/devnode.js";
import { startAgencyIssuer } from "../../sdk-ts/dist/test/agency.js";

const PROJECT = "road-web-1";
const DEPARTMENT = "Infrastructure Headquarters";
const RECEIPT_VCT = "urn:dojang:pay-receipt:1";
const RECEIPT_CLAIMS = ["project", "employer_account", "payment", "period_start", "period_end", "days_worked", "minutes_worked", "amount_krw", "paid_on", "late_interest_on_line_krw", "minimum_wage_met"];

let dev;
let browser;
let client;
let chainId;
let gov;
let admin;
let office;
let issuer;
const officer2 = Ed25519Signer.generate();
const bank = Ed25519Signer.generate();
const prime = Ed25519Signer.generate();
const sub = Ed25519Signer.generate();
const supplier = Ed25519Signer.generate();
const workers = [0, 1, 2].map(() => Ed25519Signer.generate());
const kstToday = () => new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 10);
const hex32 = () => toHex(crypto.getRandomValues(new Uint8Array(32)));
const addr = (s) => s.publicKey.address();

async function send(signer, msg) {
  const r = await client.send(new TxBuilder(chainId, signer), { module: "payments", msg });
  assert.equal(r.result.status, "ok", JSON.stringify(r));
  return r;
}

async function council(msg, reason) {
  await client.send(admin, gov.propose({ module: "payments", msg }, reason, Date.now() + 600_000));
}

before(async () => {
  dev = await startDevNode("dojang-web-payments-");
  client = new Client(dev.url);
  chainId = (await client.status()).chain_id;
  const home = join(dev.dir, "home");
  admin = new TxBuilder(chainId, keyFileSigner(JSON.parse(readFileSync(join(home, "keys", "admin.json"), "utf8"))));
  gov = new Governance(client);
  const at = (await client.status()).height + 4;
  await client.send(admin, gov.propose({ module: "governance", msg: { type: "activate", module: "payments", version: null, at_height: at } }, "payments on", Date.now() + 600_000));
  while ((await client.status()).height < at) await new Promise((r) => setTimeout(r, 200));
  browser = await launch();
  office = await page();
});

after(async () => {
  await office?.context.close();
  await browser?.close();
  await issuer?.stop();
  await dev?.stop();
});

async function page(locale = "en-GB") {
  const context = await browser.newContext({ locale });
  const p = await context.newPage();
  const errors = [];
  p.on("pageerror", (e) => errors.push(e.message));
  return { p, context, errors };
}

test("the project page: the browser's officer approves the prime's split, the second officer instructs it, and every line shows where it stands", async () => {
  const { p, errors } = office;
  await p.goto(`${dev.url}/#/payments/project/${PROJECT}`);
  await p.locator('[data-project="none"] [data-verified="true"]').waitFor();

  // The council appoints a second officer and the bank (the browser's account comes later).
  const today = kstToday();
  await council({ type: "appoint_officer", account: addr(officer2), department: DEPARTMENT }, "an ordering officer");
  await council({ type: "appoint_bank", account: addr(bank), name: "Seoul partner bank" }, "the partner bank");
  await send(officer2, { type: "register_project", id: PROJECT, name: "Road 7 widening", prime: addr(prime), amount_krw: 1_000_000_000, signed: today });
  await send(prime, { type: "register_contract", project: PROJECT, id: "sub-a", parent: null, contractor: addr(sub), kind: "subcontract", amount_krw: 300_000_000, signed: today, agreed_days: 30 });
  await send(prime, { type: "register_contract", project: PROJECT, id: "mat", parent: null, contractor: addr(supplier), kind: "material", amount_krw: 8_000_000, signed: today, agreed_days: 30 });
  for (const w of workers) {
    await send(prime, { type: "engage_worker", project: PROJECT, contract: null, worker: addr(w) });
    await send(w, { type: "bind_account", project: PROJECT, account: hex32() });
  }
  const parts = [
    { kind: "labour", krw: 6_000_000, method: "transfer", workers: workers.map(addr), lines: hex32() },
    { contract: "sub-a", kind: "subcontract", krw: 10_000_000, method: "transfer" },
    { contract: "mat", kind: "material", krw: 1_000_000, method: "transfer" },
    { kind: "mutual_aid", krw: 60 * 6_500, method: "transfer", worker_days: 60 },
  ];
  const approved_krw = parts.reduce((s, x) => s + x.krw, 0);
  await send(prime, { type: "submit_progress", project: PROJECT, number: 1, approved_krw, received: today, parts });

  await p.reload();
  await p.locator('[data-payment="1"][data-status="submitted"]').waitFor();
  assert.equal(await p.locator('[data-officer="false"]').count(), 1, "not an officer yet: no button");
  assert.equal(await p.locator("[data-approve]").count(), 0);
  const me = await p.locator("[data-me]").getAttribute("data-me");
  assert.match(me, /^dj[0-9a-f]{40}$/);
  await council({ type: "appoint_officer", account: me, department: DEPARTMENT }, "the browser's officer");

  await p.reload();
  await p.locator('[data-officer="true"] [data-verified="true"]').waitFor();
  assert.equal(await p.locator("[data-contracts]").getAttribute("data-contracts"), "2");
  assert.equal(await p.locator('[data-contract="sub-a"] [data-guarantee="due"]').count(), 1, "sub-a owes a guarantee (PAY-05)");
  assert.equal(await p.locator('[data-contract="mat"] [data-guarantee="not-needed"]').count(), 1);
  assert.match(await p.locator('[data-payment="1"]').innerText(), /0 of 2 officers/);
  const waiting = await p.locator('[data-payment="1"] tr[data-line]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-state")));
  assert.deepEqual(waiting, ["awaiting", "awaiting", "awaiting", "awaiting"], "no due day before the instruction");
  await p.screenshot({ path: join(OUT, "payments-approve.png"), fullPage: true });
  await p.locator('[data-approve="1"]').click();
  await p.locator('[data-payment="1"] [data-approvals="1"]').waitFor();
  assert.match(await p.locator("[data-approved]").innerText(), /Your approval of payment 1 is final at block \d+/);
  assert.match(await p.locator('[data-payment="1"]').innerText(), /1 of 2 officers \(including yours\)/);
  assert.equal(await p.locator("[data-approve]").count(), 0, "no second approval from the same account");

  await send(officer2, { type: "approve", project: PROJECT, number: 1 });
  const answers = [0, 1, 2, 3].map((line) => ({ line, attempt: 1, outcome: line === 2 ? { outcome: "rejected", code: "ac04" } : { outcome: "confirmed", value_date: today } }));
  await send(bank, { type: "report", project: PROJECT, number: 1, answers });
  await p.reload();
  await p.locator('[data-payment="1"][data-status="instructed"]').waitFor();
  const states = await p.locator('[data-payment="1"] tr[data-line]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-state")));
  assert.deepEqual(states, ["confirmed", "confirmed", "rejected", "confirmed"]);
  assert.match(await p.locator('[data-payment="1"] tr[data-line="2"]').innerText(), /rejected by the bank \(ac04\)/);
  assert.equal(await p.locator('[data-verified="false"]').count(), 0);
  assert.deepEqual(errors, []);
});

test("a subcontractor's dashboard: the contract, its guarantee and its lines, with proofs; an unknown contract proven absent", async () => {
  const { p, errors } = await page();
  await p.goto(`${dev.url}/#/payments/contract/${PROJECT}/sub-a`);
  await p.locator('[data-paid="10000000"]').waitFor();
  assert.equal(await p.locator('[data-amount="300000000"]').count(), 1);
  assert.equal(await p.locator('[data-guarantee="due"]').count(), 1);
  assert.equal(await p.locator('[data-direct="none"]').count(), 1);
  assert.equal(await p.locator("[data-lines]").getAttribute("data-lines"), "1");
  assert.equal(await p.locator('tr[data-line="1/1"]').getAttribute("data-state"), "confirmed");
  assert.ok((await p.locator('[data-verified="true"]').count()) >= 2);
  await p.screenshot({ path: join(OUT, "payments-dashboard.png"), fullPage: true });
  await p.goto(`${dev.url}/#/payments/contract/${PROJECT}/nobody`);
  await p.locator('[data-contract="none"] [data-verified="true"]').waitFor();
  assert.deepEqual(errors, []);
});

test("malformed payments links are refused before the node is asked", async () => {
  const { p, errors } = await page();
  const asked = [];
  p.on("request", (r) => /\/v1\/(state|query)/.test(r.url()) && asked.push(r.url()));
  await p.goto(`${dev.url}/#/payments`);
  await p.locator("#pay-project").waitFor();
  for (const bad of ["Road 7", "../x", "", "a".repeat(65)]) {
    await p.fill("#pay-project", bad);
    await p.locator("form button[type=submit]").click();
    await p.locator("#pay-project-error", { hasText: "A project id is 1 to 64 lowercase" }).waitFor();
  }
  for (const link of ["project/UPPER", "contract/only-one", "receipts/x", "nonsense", "project/a/b"]) {
    asked.length = 0;
    await p.goto(`${dev.url}/#/payments/${link}`);
    await p.locator('[data-payments="bad-link"]').waitFor();
    assert.deepEqual(asked.filter((u) => u.includes("payments")), [], `${link} asked the node`);
  }
  assert.deepEqual(errors, []);
});

test("a worker's receipts: received into the wallet from the payments office, the confirmed line found on chain, a receipt for a rejected line or another employer shown as not confirmed", async () => {
  issuer = await startAgencyIssuer(dev, {
    did: "did:web:pay.seoul.go.kr",
    vct: RECEIPT_VCT,
    account: "employment-insurance",
    config: "receipt",
    concealable: RECEIPT_CLAIMS,
    thresholds: [],
    claimsInOffer: true,
    subjects: {},
  });
  const today = kstToday();
  const receipt = (payment, amount, employer = addr(prime)) => ({
    project: PROJECT,
    employer_account: employer,
    payment,
    period_start: today,
    period_end: today,
    days_worked: 20,
    minutes_worked: 20 * 480 + 30,
    amount_krw: amount,
    paid_on: today,
    late_interest_on_line_krw: 0,
    minimum_wage_met: true,
  });
  const { p, errors } = await page();
  await p.goto(`${dev.url}/#/payments/receipts`);
  await p.locator('[data-receipts="0"]').waitFor();
  // The confirmed labour line; the rejected material line; the confirmed labour line said to
  // be another employer's.
  const offers = [
    [`${PROJECT}/1/0`, 2_000_000, addr(prime)],
    [`${PROJECT}/1/2`, 1_000_000, addr(prime)],
    [`${PROJECT}/1/0`, 2_000_000, addr(sub)],
  ];
  for (const [i, [payment, amount, employer]] of offers.entries()) {
    const offer = await issuer.offer(true, `${payment}/${addr(workers[0])}/${i}`, receipt(payment, amount, employer));
    await p.goto(offer.walletLink);
    await p.fill("#pin", offer.pin);
    await p.locator("#receive button[type=submit]").click();
    await p.locator('[data-received="true"]').waitFor({ timeout: 30_000 });
  }
  await p.goto(`${dev.url}/#/payments/receipts`);
  await p.locator('[data-receipts="3"]').waitFor();
  const good = p.locator(`[data-receipt="${PROJECT}/1/0"]`).first();
  await good.locator('[data-verified="true"]').waitFor();
  assert.equal(await good.getAttribute("data-on-chain"), "true");
  assert.equal(await good.locator('[data-amount="2000000"]').count(), 1);
  assert.match(await good.innerText(), /20 days, 160 h 30 min/);
  const bad = p.locator(`[data-receipt="${PROJECT}/1/2"]`);
  assert.equal(await bad.getAttribute("data-on-chain"), "false");
  assert.match(await bad.innerText(), /not a labour line the bank confirmed/);
  const other = p.locator(`[data-receipt="${PROJECT}/1/0"]`).nth(1);
  assert.equal(await other.getAttribute("data-on-chain"), "false", "a confirmed line, but not this employer's");
  // Each receipt's own status on the issuer's anchored list, and its expiry.
  await good.locator('[data-status="valid"]').waitFor();
  assert.equal(await good.locator('[data-expired="false"]').count(), 1);
  await p.screenshot({ path: join(OUT, "payments-receipts.png"), fullPage: true });
  assert.deepEqual(errors, []);
});
