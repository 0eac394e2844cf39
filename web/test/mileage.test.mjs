// The mileage pages in Debian's Chromium, on a dev node that `dojang demo mileage` filled (20
// citizens, 2 merchants, a year of awards and spending): the wallet's own account, unknown
// until the registrar opens it, then holding the lot the eco office awarded; a merchant's
// screen asking for a payment with a QR code; the citizen paying that request from the wallet
// and the merchant seeing it final; the same request refused a second time; malformed amounts
// and links refused before the node is asked; the finance office's liability report proven
// line by line, and shown as not proven when the node's report is altered. Screenshots go to
// web/test-output/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { OUT, launch } from "./chromium.mjs";
import { Client, TxBuilder, keyFileSigner, toHex } from "../../sdk-ts/dist/src/index.js";
import { startDevNode } from "../../sdk-ts/dist/test/devnode.js";

let dev;
let browser;
let scratch;
let client;
let chainId;
let wallet;
const merchant = { address: "", name: "Mangwon market stall 7" };

const env = () => ({ ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "DOJANG_BIN")), DOJANG_LOG__FILTER: "error" });
const office = (name) => new TxBuilder(chainId, keyFileSigner(JSON.parse(readFileSync(join(scratch, "offices", `${name}.json`), "utf8"))));
const mileage = (msg) => ({ module: "mileage", msg });
const kstToday = () => new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 10);
const random32 = () => toHex(crypto.getRandomValues(new Uint8Array(32)));

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), "dojang-web-mileage-demo-"));
  dev = await startDevNode("dojang-web-mileage-");
  const args = ["demo", "mileage", "--citizens", "20", "--merchants", "2", "--node", dev.url, "--home", join(dev.dir, "home"), "--dir", scratch];
  execFileSync(process.env.DOJANG_BIN, args, { env: env(), stdio: ["ignore", "ignore", "inherit"] });
  client = new Client(dev.url);
  chainId = (await client.status()).chain_id;
  browser = await launch();
  // The citizen's wallet: one browser context keeps its account key (IndexedDB).
  wallet = await page();
});

after(async () => {
  await wallet?.context.close();
  await browser?.close();
  await dev?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function page(locale = "en-GB") {
  const context = await browser.newContext({ locale });
  const p = await context.newPage();
  const errors = [];
  p.on("pageerror", (e) => errors.push(e.message));
  return { p, context, errors };
}

test("the wallet's account: not registered until the registrar opens it, then the eco lot the office awarded", async () => {
  const { p, errors } = wallet;
  await p.goto(`${dev.url}/#/mileage/me`);
  await p.locator('[data-account="none"] [data-verified="true"]').waitFor();
  assert.match(await p.locator("main").innerText(), /not registered for mileage yet/);
  const me = await p.locator("[data-address]").getAttribute("data-address");
  assert.match(me, /^dj[0-9a-f]{40}$/);

  await client.send(office("registrar"), mileage({ type: "register_account", account: me, pseudonym: random32() }));
  const eco = office("eco");
  await client.send(eco, mileage({ type: "enrol", programme: "eco", account: me }));
  const evidence = { kind: "meter-saving", id: random32(), on: kstToday(), measure: 1_200 };
  await client.send(eco, mileage({ type: "award", programme: "eco", account: me, evidence }));
  const finance = office("finance");
  // A merchant of its own: any address the finance office registers (here the test's fresh one).
  merchant.address = `dj${toHex(crypto.getRandomValues(new Uint8Array(20)))}`;
  await client.send(finance, mileage({ type: "register_merchant", account: merchant.address, name: merchant.name, sink: "zeropay" }));

  await p.reload();
  await p.locator('[data-balance="30000"]').waitFor();
  assert.equal(await p.locator("[data-lots]").getAttribute("data-lots"), "1");
  const lot = await p.locator('tr[data-lot="0"]').innerText();
  assert.match(lot, /eco/);
  assert.match(lot, /30,000 won/);
  assert.equal(await p.locator('[data-verified="false"]').count(), 0);
  assert.deepEqual(errors, []);
});

test("a merchant asks with a QR code, the wallet pays the request, the merchant sees it final; a paid request is not offered again; a link whose amount was changed is caught at the merchant", async () => {
  const shop = await page();
  await shop.p.goto(`${dev.url}/#/mileage/merchant/${merchant.address}`);
  await shop.p.locator(`[data-merchant="${merchant.name}"]`).waitFor();
  const asked = [];
  shop.p.on("request", (r) => /\/v1\/(state|query|tx)/.test(r.url()) && asked.push(r.url()));
  for (const bad of ["0", "-5", "12.5", "abc", "10000001"]) {
    await shop.p.fill("#mil-amount", bad);
    await shop.p.locator("form button[type=submit]").click();
    await shop.p.locator("#mil-amount-error", { hasText: "Give a whole number of won from 1 to 10,000,000" }).waitFor();
  }
  assert.deepEqual(asked, [], "a malformed amount asks nothing of the node");
  await shop.p.fill("#mil-amount", "12,500");
  await shop.p.locator("form button[type=submit]").click();
  const link = await shop.p.locator("[data-request-link]").getAttribute("data-request-link");
  assert.match(link, new RegExp(`#/mileage/pay/${merchant.address}/12500/[0-9a-f]{64}$`));
  assert.ok(Number(await shop.p.locator("svg[data-qr-modules]").getAttribute("data-qr-modules")) >= 21, "a QR code is drawn");
  assert.equal(await shop.p.locator('[data-request="waiting"]').count(), 1);
  await shop.p.screenshot({ path: join(OUT, "mileage-merchant-request.png"), fullPage: true });

  const { p, errors } = wallet;
  await p.goto(link);
  await p.locator('[data-amount="12500"]').waitFor();
  await p.locator('[data-pay="button"]:not([disabled])').waitFor();
  assert.match(await p.locator("main").innerText(), new RegExp(merchant.name));
  await p.screenshot({ path: join(OUT, "mileage-pay.png"), fullPage: true });
  await p.locator('[data-pay="button"]').click();
  const paidAt = await p.locator("[data-paid]").getAttribute("data-paid");
  assert.ok(Number(paidAt) > 0);

  await shop.p.locator('[data-request="paid"] [data-verified="true"]').waitFor({ timeout: 30_000 });
  assert.match(await shop.p.locator('[data-request="paid"]').innerText(), new RegExp(`Paid: 12,500 won, final in block ${paidAt}`));
  await shop.p.screenshot({ path: join(OUT, "mileage-merchant-paid.png"), fullPage: true });

  await p.goto(`${dev.url}/#/mileage/me`);
  await p.locator('[data-balance="17500"]').waitFor();
  await p.goto(link);
  await p.locator('[data-pay="already"] [data-verified="true"]').waitFor();
  assert.match(await p.locator('[data-pay="already"]').innerText(), new RegExp(`paid already, in block ${paidAt}`));
  assert.equal(await p.locator('[data-pay="button"]').count(), 0, "a paid request offers no second payment");

  // The customer's wallet is handed the next request with its amount changed from 2,000 to 1.
  await shop.p.fill("#mil-amount", "2000");
  await shop.p.locator("form button[type=submit]").click();
  await shop.p.locator(`[data-request-link*="/2000/"]`).waitFor();
  const asked2000 = await shop.p.locator("[data-request-link]").getAttribute("data-request-link");
  await p.goto(asked2000.replace("/2000/", "/1/"));
  await p.locator('[data-pay="button"]:not([disabled])').click();
  await p.locator("[data-paid]").waitFor();
  await shop.p.locator('[data-request="short"] [data-verified="true"]').waitFor({ timeout: 30_000 });
  assert.match(await shop.p.locator('[data-request="short"]').innerText(), /Paid 1 won, not the 2,000 won asked for/);
  assert.equal(await shop.p.locator('[data-request="paid"]').count(), 0);
  assert.deepEqual(shop.errors, []);
  await shop.context.close();
  await p.goto(`${dev.url}/#/mileage/me`);
  await p.locator('[data-balance="17499"]').waitFor();
  assert.deepEqual(errors, []);
});

test("malformed mileage links are refused before the node is asked", async () => {
  const { p, context, errors } = await page();
  await p.goto(`${dev.url}/#/mileage`);
  await p.locator("#mil-account").waitFor();
  const asked = [];
  p.on("request", (r) => /\/v1\/(state|query|tx)/.test(r.url()) && asked.push(r.url()));
  const good = `dj${"ab".repeat(20)}`;
  for (const bad of [
    `pay/${good}/0/${"cd".repeat(32)}`,
    `pay/${good}/100/${"cd".repeat(31)}`,
    `pay/djXYZ/100/${"cd".repeat(32)}`,
    `pay/${good}/1e3/${"cd".repeat(32)}`,
    `account/${good}/extra`,
    "liability/2026-13",
    "nothing",
  ]) {
    await p.goto(`${dev.url}/#/mileage/${bad}`);
    await p.locator('[data-mileage="bad-link"]').waitFor();
  }
  await p.goto(`${dev.url}/#/mileage`);
  await p.fill("#mil-account", "dj123");
  await p.locator("#mil-account").press("Enter");
  await p.locator("#mil-account-error", { hasText: "That is not what" }).waitFor();
  assert.deepEqual(asked, []);
  // An address no one registered is proven absent.
  await p.goto(`${dev.url}/#/mileage/account/${good}`);
  await p.locator('[data-account="none"] [data-verified="true"]').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test("the liability report is proven line by line, in English and Korean, and an altered report is caught", async () => {
  // The month this year's eco and car lots run out (the last day of the same month a year on),
  // by the chain's clock, which dated the awards.
  const today = new Date((await client.status()).latest_block_time_ms + 9 * 3_600_000).toISOString().slice(0, 10);
  const month = `${Number(today.slice(0, 4)) + 1}-${today.slice(5, 7)}`;
  const { p, context, errors } = await page();
  await p.goto(`${dev.url}/#/mileage/liability/${month}`);
  await p.locator('[data-report="proven"]').waitFor({ timeout: 60_000 });
  const lines = await p.locator("tr[data-line]").count();
  assert.equal(lines, 3, "a line per programme and budget year");
  assert.equal(await p.locator('tr[data-line][data-proven="true"]').count(), lines);
  assert.equal(await p.locator("li[data-expiring]").count(), 3);
  assert.equal(await p.locator('li[data-expiring][data-proven="true"]').count(), 3);
  for (const programme of ["eco", "car"]) {
    const krw = Number(await p.locator(`li[data-expiring="${programme}"]`).getAttribute("data-krw"));
    assert.ok(krw > 0, `${programme}'s lots of this year expire in ${month} (${krw} won)`);
  }
  assert.equal(await p.locator('li[data-expiring="volunteer"]').getAttribute("data-krw"), "0", "volunteering lots live three years");
  await p.screenshot({ path: join(OUT, "mileage-liability.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();

  const ko = await page("ko-KR");
  await ko.p.goto(`${dev.url}/#/mileage/liability/${month}`);
  await ko.p.locator('[data-report="proven"]', { hasText: "모두 증명된 장부와 일치합니다" }).waitFor({ timeout: 60_000 });
  assert.deepEqual(ko.errors, []);
  await ko.context.close();

  // A node whose report says eco holds one won more than its books.
  const liar = await page();
  await liar.p.route("**/v1/query/mileage/liability**", async (route) => {
    const answer = await (await route.fetch()).json();
    const eco = answer.lines.find((l) => l.programme === "eco");
    eco.totals.outstanding += 1;
    await route.fulfill({ json: answer });
  });
  await liar.p.goto(`${dev.url}/#/mileage/liability/${month}`);
  await liar.p.locator('[data-report="mismatch"]').waitFor({ timeout: 60_000 });
  assert.equal(await liar.p.locator('tr[data-proven="false"]').count(), 1);
  assert.equal(await liar.p.locator('tr[data-state="differs"]').getAttribute("data-line"), `eco/${today.slice(0, 4)}`);
  assert.deepEqual(liar.errors, []);
  await liar.context.close();

  // A node whose report leaves the car programme out altogether.
  const quiet = await page();
  await quiet.p.route("**/v1/query/mileage/liability**", async (route) => {
    const answer = await (await route.fetch()).json();
    answer.lines = answer.lines.filter((l) => l.programme !== "car");
    answer.expiring = answer.expiring.filter((e) => e.programme !== "car");
    await route.fulfill({ json: answer });
  });
  await quiet.p.goto(`${dev.url}/#/mileage/liability/${month}`);
  await quiet.p.locator('[data-report="mismatch"]').waitFor({ timeout: 60_000 });
  assert.equal(await quiet.p.locator('tr[data-state="left-out"]').getAttribute("data-line"), `car/${today.slice(0, 4)}`);
  assert.equal(await quiet.p.locator('li[data-expiring="car"]').getAttribute("data-proven"), "false");
  assert.equal(await quiet.p.locator('tr[data-proven="true"]').count(), 2);
  assert.deepEqual(quiet.errors, []);
  await quiet.context.close();

  // An answer that is not a report at all.
  const junk = await page();
  await junk.p.route("**/v1/query/mileage/liability**", (route) => route.fulfill({ json: { lines: "everything is fine" } }));
  await junk.p.goto(`${dev.url}/#/mileage/liability/${month}`);
  await junk.p.locator("main .error", { hasText: "is not a liability report" }).waitFor();
  assert.equal(await junk.p.locator("[data-report]").count(), 0);
  await junk.context.close();
});

test("a merchant the finance office closed shows as closed and offers no payment request", async () => {
  await client.send(office("finance"), mileage({ type: "close_merchant", account: merchant.address }));
  const { p, context, errors } = await page();
  await p.goto(`${dev.url}/#/mileage/merchant/${merchant.address}`);
  await p.locator("[data-closed]").waitFor();
  assert.match(await p.locator("[data-closed]").innerText(), /closed this merchant at block \d+/);
  assert.equal(await p.locator("#mil-amount").count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});
