// The wallet answering a real program office (`dojang verifier`) in Debian's Chromium, and the
// office's console: the citizen sees exactly what will be disclosed and to whom, may decline,
// sends, gets the decision and a receipt checked against the chain; a request asking beyond the
// registered policy is refused in the page; the office's staff log in to the console and see
// the decision, its appeal replay and its anchoring. Screenshots go to web/test-output/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";

import { OUT, launch } from "./chromium.mjs";
import { startDevNode } from "../../sdk-ts/dist/test/devnode.js";
import { startAgencyIssuer } from "../../sdk-ts/dist/test/agency.js";
import { OFFICE_DID, PROGRAM_ID, STAFF_PASSWORD, STAFF_USER, resignedRequest, startProgramOffice } from "../../sdk-ts/dist/test/office.js";


let dev;
let agency;
let office;
let browser;

before(async () => {
  dev = await startDevNode("dojang-web-apply-");
  agency = await startAgencyIssuer(dev);
  office = await startProgramOffice(dev);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await office?.stop();
  await agency?.stop();
  await dev?.stop();
});

async function page() {
  const context = await browser.newContext({ locale: "en-GB" });
  const p = await context.newPage();
  const errors = [];
  p.on("pageerror", (e) => errors.push(e.message));
  return { p, context, errors };
}

test("a citizen applies: sees exactly what is disclosed, may decline, sends, and gets a decision whose receipt checks on chain", async () => {
  const { p, context, errors } = await page();
  // The agency's link (what the QR code its desk shows holds) opens the wallet with the offer.
  const offer = await agency.offer(false);
  assert.equal(offer.walletLink, `${dev.url}/#/wallet/offer/${encodeURIComponent(offer.uri)}`);
  assert.match(offer.qrSvg, /<svg[\s\S]*<\/svg>/);
  await p.goto(offer.walletLink);
  await p.locator("#credentials", { hasText: "No credentials yet." }).waitFor();
  assert.equal(await p.getByLabel("Offer link from the agency").inputValue(), offer.uri);
  await p.getByRole("button", { name: "Receive" }).click();
  await p.locator('[data-received="true"]').waitFor({ timeout: 20_000 });

  // The program's public page links to the wallet with the office's request (and shows the
  // link as a QR code); look, and decline: nothing is sent, nothing recorded.
  await p.goto(`${office.url}/programs/${PROGRAM_ID}`);
  assert.match(await p.locator("main").innerText(), /selecting public-works workers/);
  assert.equal(await p.locator("figure svg").count(), 1, "the QR code is on the page");
  await p.screenshot({ path: join(OUT, "office-program-page.png"), fullPage: true });
  await p.getByRole("link", { name: "Apply with your wallet" }).click();
  await p.locator("#credentials", { hasText: "3 of 3" }).waitFor();
  assert.equal(await p.getByLabel("Request link from the program office").inputValue(), office.requestUrl);
  await p.getByRole("button", { name: "Open the request" }).click();
  await p.locator('[data-consent="true"]').waitFor({ timeout: 20_000 });
  const consent = await p.locator('[data-consent="true"]').innerText();
  assert.match(consent, new RegExp(OFFICE_DID));
  assert.match(consent, /selecting public-works workers/);
  assert.match(consent, /Framework Act on Employment Policy art\. 16/);
  assert.match(consent, /key and policy checked against block \d+/);
  assert.match(consent, /365 days/);
  const shown = JSON.parse(await p.locator("[data-shown]").getAttribute("data-shown"));
  assert.deepEqual(shown, { income_le_65pct: true, household_size: 2 }, "exactly the asked claims, not the income or the 150% band");
  await p.screenshot({ path: join(OUT, "wallet-disclosure.png"), fullPage: true });
  await p.getByRole("button", { name: "Decline" }).click();
  await p.locator('[data-declined="true"]').waitFor();
  assert.match(await p.locator("#history").innerText(), /not answered any office yet/);
  assert.match(await p.locator("#credentials").innerText(), /3 of 3/, "declining spends no copy");
  await p.locator('#credentials [data-status="valid"]').waitFor({ timeout: 20_000 });
  assert.match(await p.locator("#credentials [data-status]").innerText(), /not revoked or suspended \(issuer's list version \d+, anchored on chain, checked at block \d+\)/);

  // Open it again and send.
  await p.getByRole("button", { name: "Open the request" }).click();
  await p.locator('[data-consent="true"]').waitFor({ timeout: 20_000 });
  await p.getByRole("button", { name: "Send" }).click();
  await p.locator('[data-decision="eligible"]').waitFor({ timeout: 20_000 });
  assert.match(await p.locator("#apply").innerText(), /The office decided: eligible/);
  assert.match(await p.locator("#apply [data-receipt]").innerText(), /Receipt for decision \d+/);
  assert.notEqual(await p.locator("#apply [data-receipt]").getAttribute("data-receipt"), "bad");
  await p.locator("#credentials", { hasText: "2 of 3" }).waitFor();
  const history = await p.locator("#history").innerText();
  assert.match(history, /selecting public-works workers/);
  assert.match(history, /household_size/);
  assert.doesNotMatch(history, /monthly_income_krw/);

  // The office anchors its decisions every second: the receipt then proves inclusion on chain.
  const check = p.getByRole("button", { name: "Check the receipt on chain" });
  for (let i = 0; i < 40; i++) {
    await check.click();
    await p.locator("#history [data-receipt]").waitFor();
    if ((await p.locator("#history [data-receipt]").getAttribute("data-receipt")) === "anchored") break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.match(await p.locator("#history [data-receipt]").innerText(), /included in batch \d+ anchored on chain at block \d+/);
  await p.screenshot({ path: join(OUT, "wallet-receipt.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test("a credential the issuer revokes shows as revoked in the wallet and on the disclosure screen", async () => {
  const { p, context, errors } = await page();
  const offer = await agency.offer(false);
  await p.goto(offer.walletLink);
  await p.getByRole("button", { name: "Receive" }).click();
  await p.locator('[data-received="true"]').waitFor({ timeout: 20_000 });
  await p.locator('#credentials [data-status="valid"]').waitFor({ timeout: 20_000 });
  await agency.setStatus("revoked");
  try {
    await p.reload();
    await p.locator('#credentials [data-status="revoked"]').waitFor({ timeout: 20_000 });
    assert.match(await p.locator("#credentials [data-status]").innerText(), /revoked by the issuer/);
    await p.getByLabel("Request link from the program office").fill(office.requestUrl);
    await p.getByRole("button", { name: "Open the request" }).click();
    await p.locator('[data-consent="true"] [data-status="revoked"]').waitFor({ timeout: 20_000 });
    assert.equal(await p.getByRole("button", { name: "Send" }).isDisabled(), true, "a revoked copy is not sent");
    assert.match(await p.locator('[data-consent="true"] [role="alert"]').innerText(), /revoked or suspended this credential/);
    await p.screenshot({ path: join(OUT, "wallet-revoked.png"), fullPage: true });
  } finally {
    await agency.setStatus("valid");
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test("a request asking beyond the registered policy is refused in the page, and nothing is sent", async () => {
  const { p, context, errors } = await page();
  const posted = [];
  p.on("request", (r) => {
    if (r.method() === "POST") posted.push(r.url());
  });
  await p.goto(dev.url + "/#/wallet");
  await p.locator("#history").waitFor();
  const beyond = await resignedRequest(office, (c) => c.dcql_query.credentials[0].claims.push({ path: ["monthly_income_krw"] }));
  await p.getByLabel("Request link from the program office").fill(beyond);
  await p.getByRole("button", { name: "Open the request" }).click();
  await p.locator('[data-refused="true"]').waitFor({ timeout: 20_000 });
  const text = await p.locator('[data-refused="true"]').innerText();
  assert.match(text, /Refused, nothing was sent/);
  assert.match(text, /asks more than policy 'jobs\.public-works\.2026' allows.*monthly_income_krw/);
  assert.equal(await p.locator('[data-consent="true"]').count(), 0, "no disclosure screen for a refused request");
  assert.deepEqual(posted, [], "nothing was posted anywhere");
  await p.screenshot({ path: join(OUT, "wallet-refused.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

// After the first test's application: the office holds exactly that one decision.
test("office staff log in to the console and see the decision, its appeal replay and its anchoring", async () => {
  const { p, context, errors } = await page();
  await p.goto(office.url + "/console/programs");
  await p.getByLabel("User").waitFor();
  assert.match(p.url(), /\/console\/login$/, "closed without a log-in");
  await p.getByLabel("User").fill(STAFF_USER);
  await p.getByLabel("Password").fill("not the password");
  await p.getByRole("button", { name: "Log in" }).click();
  await p.getByRole("alert").waitFor();
  assert.match(await p.getByRole("alert").innerText(), /Wrong user or password/);
  await p.getByLabel("User").fill(STAFF_USER);
  await p.getByLabel("Password").fill(STAFF_PASSWORD);
  await p.getByRole("button", { name: "Log in" }).click();
  await p.getByRole("link", { name: PROGRAM_ID }).waitFor();
  assert.match(await p.locator("main").innerText(), /1 \(1 \/ 0 \/ 0\)/, "one decision, eligible");
  await p.getByRole("link", { name: PROGRAM_ID }).click();
  await p.getByRole("link", { name: "1", exact: true }).click();
  const detail = await p.locator("main").innerText();
  assert.match(detail, /Outcome: eligible/);
  assert.match(detail, /income_le_65pct/);
  assert.match(detail, /the stored decision hashes to its leaf/);
  assert.match(detail, /its leaf is under the root anchored on chain/);
  assert.match(detail, /the replay reaches the recorded outcome/);
  assert.match(detail, /verified at block \d+/);
  await p.screenshot({ path: join(OUT, "console-decision.png"), fullPage: true });
  await p.getByRole("link", { name: "한국어" }).click();
  assert.match(await p.locator("main").innerText(), /이의신청 재실행/);
  await p.getByRole("button", { name: "로그아웃" }).click();
  await p.getByLabel("사용자").waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});
