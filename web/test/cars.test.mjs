// A vehicle's history in Debian's Chromium, against the chain `dojang demo cars` leaves behind
// (20 vehicles, 6 sales, three planted rollbacks, a flood car caught): looking a VIN up, with
// a mistyped one refused before the node is asked; the flood car's timeline with every record
// and its sale verified, the history hash recomputed, the flood contradiction and the open
// windows shown, in English and Korean; a rolled-back car's flagged record; a VIN the chain
// has never seen proven absent; and the framed page a listing site embeds, which any site may
// frame while the city's own pages may not be. Screenshots go to web/test-output/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { OUT, launch } from "./chromium.mjs";
import { startDevNode } from "../../sdk-ts/dist/test/devnode.js";

let dev;
let browser;
let demo;
let scratch;

const env = () => ({ ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "DOJANG_BIN")), DOJANG_LOG__FILTER: "error" });

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), "dojang-web-cars-demo-"));
  dev = await startDevNode("dojang-web-cars-", (bin, home) => {
    const args = ["demo", "cars", "--vehicles", "20", "--sales", "6", "--dealers", "2", "--inspectors", "2", "--dir", scratch];
    const out = execFileSync(bin, args, { env: env() }).toString();
    demo = JSON.parse(out.trim().split("\n").pop());
    // The demo's node, stopped at its end, becomes this test's node.
    renameSync(join(scratch, "node"), home);
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await dev?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function page(locale = "en-GB") {
  const context = await browser.newContext({ locale });
  const p = await context.newPage();
  const errors = [];
  p.on("pageerror", (e) => errors.push(e.message));
  return { p, context, errors };
}

/** Waits until every record row and the summary carry a verification mark, none failed. */
async function allVerified(p, records) {
  await p.locator('[data-whole="true"]').waitFor({ timeout: 60_000 });
  await p.waitForFunction(() => document.querySelectorAll('[data-verified="true"]').length > 0 && !document.querySelector(".mark.pending"));
  assert.equal(await p.locator('[data-verified="false"]').count(), 0);
  assert.equal(await p.locator("tr[data-seq]").count(), records);
}

test("the demo planted what it reports: three rollbacks, a flood car with evidence, a suspended inspector, no owner's name on the node", () => {
  assert.equal(demo.vehicles, 20);
  assert.equal(demo.sales, 6);
  assert.equal(demo.rollbacks.length, 3);
  assert.deepEqual([...demo.flagged].sort(), [...demo.rollbacks.map((r) => r.vin), demo.flood.vin].sort());
  assert.equal(demo.flood.report.contradictions[0].fact, "flood");
  assert.equal(demo.suspended.refused.code, "CAR-05");
  // The demo fails when the scan finds an owner's name or number; here, that it read the
  // node's files and searched for every owner.
  assert.ok(demo.scan.files > 0 && demo.scan.bytes > 0);
  assert.equal(demo.scan.owners, 20);
});

test("a VIN is checked before the node is asked, and a right one opens the vehicle's history", async () => {
  const { p, context, errors } = await page();
  await p.goto(`${dev.url}/#/cars`);
  await p.locator("#vin").waitFor();
  const asked = [];
  p.on("request", (r) => /\/v1\/(state|query)/.test(r.url()) && asked.push(r.url()));
  const vin = demo.flood.vin;
  const wrong = vin.slice(0, 8) + (vin[8] === "1" ? "2" : "1") + vin.slice(9);
  await p.fill("#vin", wrong);
  await p.locator("form button[type=submit]").click();
  await p.locator("#vin-error", { hasText: "The check digit (character 9)" }).waitFor();
  await p.fill("#vin", "KMHDN45D2U12345");
  await p.locator("form button[type=submit]").click();
  await p.locator("#vin-error", { hasText: "A VIN has 17 characters; this has 15" }).waitFor();
  await p.fill("#vin", vin.slice(0, 16) + "O");
  await p.locator("form button[type=submit]").click();
  await p.locator("#vin-error", { hasText: "'O' (character 17) is not used in VINs" }).waitFor();
  assert.deepEqual(asked, [], "a mistyped VIN is refused without asking the node");
  await p.fill("#vin", vin.toLowerCase());
  await p.locator("form button[type=submit]").click();
  await p.waitForURL(`**/#/car/${vin}`);
  await p.locator("[data-history]").first().waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test("the flood car's history: every record and its sale verified, the flood contradiction inside the open 90-day window", async () => {
  const { p, context, errors } = await page();
  await p.goto(`${dev.url}/#/car/${demo.flood.vin}`);
  const records = demo.flood.report.contradictions[0].seq;
  await allVerified(p, records);
  assert.equal(await p.locator("[data-flagged-count]").getAttribute("data-flagged-count"), "1");
  const flagged = p.locator('tr[data-flagged="true"]');
  assert.equal(await flagged.count(), 1);
  assert.match(await flagged.innerText(), /Contradicts the notice of sale 1: flood damage/);
  assert.match(await flagged.innerText(), /Hangang Insurance/);
  const sale = p.locator('[data-sale="1"]');
  await sale.locator('[data-verified="true"]').waitFor();
  assert.equal(await sale.locator('[data-contradiction="flood"]').count(), 1);
  assert.equal(await sale.locator('[data-window="flood"]').getAttribute("data-open"), "true");
  assert.equal(await sale.locator('[data-window="odometer_accident"]').getAttribute("data-open"), "true");
  assert.match(await sale.innerText(), /flood no/);
  const snippet = await p.locator('[data-embed="snippet"]').innerText();
  assert.ok(snippet.includes(`${dev.url}/embed#/car/${demo.flood.vin}`), snippet);
  // The inspector the council suspended is named as such.
  assert.match(await p.locator("main").innerText(), /Seoul Performance Inspection 2 \(inspector\) \(suspended by the council\)/);
  await p.screenshot({ path: join(OUT, "car-flood.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();

  const ko = await page("ko-KR");
  await ko.p.goto(`${dev.url}/#/car/${demo.flood.vin}`);
  await allVerified(ko.p, records);
  assert.match(await ko.p.locator('tr[data-flagged="true"]').innerText(), /판매 1의 고지 내용과 다름: 침수/);
  assert.match(await ko.p.locator('[data-window="flood"]').innerText(), /숨긴 침수 계약 해제/);
  assert.deepEqual(ko.errors, []);
  await ko.context.close();
});

test("a rolled-back car shows the flagged reading; an unknown VIN is proven absent; a malformed one is refused", async () => {
  const { p, context, errors } = await page();
  const rolled = demo.rollbacks[0];
  await p.goto(`${dev.url}/#/car/${rolled.vin}`);
  await allVerified(p, rolled.record);
  const row = p.locator(`tr[data-seq="${rolled.record}"]`);
  assert.equal(await row.getAttribute("data-flagged"), "true");
  assert.match(await row.innerText(), /Odometer rollback/);
  await p.screenshot({ path: join(OUT, "car-rollback.png"), fullPage: true });

  await p.goto(`${dev.url}/#/car/1M8GDM9AXKP042788`);
  await p.locator('[data-history="none"] [data-verified="true"]').waitFor();
  await p.goto(`${dev.url}/#/car/NOT-A-VIN`);
  await p.locator('[data-vin="invalid"]', { hasText: "A VIN has 17 characters; this has 9" }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test("the history a listing site frames: any site may frame /embed, none the city's own pages; it shows only a vehicle", async (t) => {
  const embed = await fetch(`${dev.url}/embed`);
  assert.equal(embed.status, 200);
  assert.match(embed.headers.get("content-security-policy"), /frame-ancestors \*/);
  const home = await fetch(`${dev.url}/`);
  assert.match(home.headers.get("content-security-policy"), /frame-ancestors 'none'/);

  // A listing site on another origin frames the history.
  const listing = createServer((_, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><title>Used cars</title><iframe id="f" src="${dev.url}/embed#/car/${demo.flood.vin}" width="900" height="900"></iframe>`);
  });
  await new Promise((resolve) => listing.listen(0, "127.0.0.1", resolve));
  t.after(() => listing.close());
  const { p, context, errors } = await page();
  await p.goto(`http://127.0.0.1:${listing.address().port}/`);
  const frame = p.frameLocator("#f");
  await frame.locator('[data-whole="true"]').waitFor({ timeout: 60_000 });
  assert.equal(await frame.locator("nav").count(), 0);
  assert.equal(await frame.locator('[data-embed="snippet"]').count(), 0);
  assert.equal(await frame.locator('tr[data-flagged="true"]').count(), 1);
  await p.screenshot({ path: join(OUT, "car-embedded.png"), fullPage: true });
  const other = await page();
  await other.p.goto(`${dev.url}/embed#/wallet`);
  await other.p.locator("h1", { hasText: "No such page." }).waitFor();
  assert.equal(await other.p.locator("main *").count(), 1, "the framed page shows nothing but 'no such page'");
  assert.deepEqual(errors, []);
  assert.deepEqual(other.errors, []);
  await other.context.close();
  await context.close();
});
