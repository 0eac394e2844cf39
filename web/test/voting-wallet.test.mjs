// A resident votes from the web wallet in Debian's Chromium, against `dojang demo voting
// --stay` (a poll open for an hour, the registry's issuer and the registrar serving): the
// wallet receives the resident credential, registers with the registrar (the disclosure shown
// first: the district, the months at the address, the age threshold and the poll's
// pseudonym, nothing else), audits a ballot (it shows what it holds and is not cast), casts
// one, finds it on the board by its tracking code, and sees the turnout move. The
// registrar's first answer is lost on the way and asked for again (the same blinded message,
// the same signature). A second registration by the same person is refused. Screenshots go to web/test-output/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
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
  scratch = mkdtempSync(join(tmpdir(), "dojang-web-vote-"));
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DOJANG_"))), DOJANG_LOG__FILTER: "error" };
  demo = spawn(bin, ["demo", "voting", "--residents", "20", "--stay", "--dir", scratch], { stdio: ["ignore", "pipe", "inherit"], env });
  stay = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the demo did not set up its poll within 180 s")), 180_000);
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

test("a resident registers, audits a ballot, casts one and finds it; a second registration is refused", async () => {
  const context = await browser.newContext({ locale: "en-GB" });
  const p = await context.newPage();
  const errors = [];
  p.on("pageerror", (e) => errors.push(e.message));

  await p.goto(stay.wallet);
  await p.getByLabel("PIN").fill(stay.pin);
  await p.getByRole("button", { name: "Receive" }).click();
  await p.locator('[data-received="true"]').waitFor({ timeout: 30_000 });

  await p.goto(stay.vote);
  await p.locator('[data-status="open"]').waitFor();
  assert.equal(await p.getByLabel("The registrar's address").inputValue(), stay.registrar);
  await p.getByRole("button", { name: "Get a voting credential" }).click();
  await p.locator("#send-registration").waitFor({ timeout: 20_000 });
  const consent = await p.locator("#voting").innerText();
  assert.match(consent, /did:web:vote\.mapo\.seoul\.go\.kr/);
  assert.match(consent, /district[\s\S]*mapo-gu/);
  assert.match(consent, /months_in_district/);
  assert.match(consent, /age_over_16/);
  assert.match(consent, new RegExp(`program_pseudonyms[\\s\\S]*${stay.poll}`), "the poll's pseudonym, for one credential per person");
  assert.doesNotMatch(consent, /birth|resident_number|resident_of_seoul|age_over_19/i, "nothing beyond the policy is shown as disclosed");
  assert.match(consent, /Legal basis[\s\S]*Mapo-gu Participatory Budget Ordinance/);
  await p.screenshot({ path: join(OUT, "vote-register.png"), fullPage: true });
  // The registrar decides and signs, but its answer is lost on the way.
  let answers = 0;
  await p.route("**/response", async (route) => {
    answers += 1;
    if (answers > 1) return route.continue();
    await route.fetch();
    await route.abort("connectionreset");
  });
  await p.locator("#send-registration").click();
  await p.locator('[data-registered="false"]').waitFor({ timeout: 20_000 });
  // Asked again, the wallet sends the same blinded message and the registrar gives the same
  // signature again (not a second credential).
  await p.getByRole("button", { name: "Get a voting credential" }).click();
  await p.locator("#send-registration").waitFor({ timeout: 20_000 });
  await p.locator("#send-registration").click();
  await p.locator("text=You have a voting credential in this browser").waitFor({ timeout: 20_000 });
  assert.equal(answers, 2);
  await p.unroute("**/response");

  // The voting key is a WebCrypto key that cannot be exported; the page's storage names it
  // and holds no secret of it.
  const stored = await p.evaluate((poll) => localStorage.getItem(`dojang.vote.${poll}`), stay.poll);
  const kept = JSON.parse(stored);
  assert.match(kept.key, /^vote\//);
  assert.ok(!/seed|private|secret/i.test(stored), stored);
  const key = await p.evaluate(
    (id) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("dojang-wallet");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const get = open.result.transaction("account").objectStore("account").get(id);
          get.onsuccess = () => resolve({ extractable: get.result.keys.privateKey.extractable, algorithm: get.result.keys.privateKey.algorithm.name });
          get.onerror = () => reject(get.error);
        };
      }),
    kept.key,
  );
  assert.deepEqual(key, { extractable: false, algorithm: "ECDSA" });

  // Choose the first two projects and make a ballot; audit it: it shows them, and is spoilt.
  await p.locator('input[data-question="0"][data-option="0"]').check();
  await p.locator('input[data-question="0"][data-option="1"]').check();
  await p.locator("#prepare").click();
  const spoilt = await p.locator("[data-prepared]").getAttribute("data-prepared");
  assert.match(spoilt, /^[0-9a-f]{64}$/);
  await p.locator("#audit").click();
  const audited = await p.locator(`[data-audited="${spoilt}"]`).innerText();
  assert.match(audited, /Mangwon market roof, Hangang park lighting/);
  assert.match(audited, /spoilt, not cast/);
  assert.ok(await p.locator("#cast").isDisabled(), "an audited ballot cannot be cast");

  // Make another and cast it.
  await p.locator("#prepare").click();
  await p.locator(`[data-prepared]:not([data-prepared="${spoilt}"])`).waitFor();
  await p.locator("#cast").click();
  await p.locator("[data-cast]").waitFor({ timeout: 90_000 });
  const cast = p.locator("[data-cast]");
  assert.notEqual(await cast.getAttribute("data-cast"), "", await cast.innerText());
  const code = await cast.getAttribute("data-cast");
  assert.match(code, /^[0-9a-f]{64}$/);
  await p.screenshot({ path: join(OUT, "vote-cast.png"), fullPage: true });

  // The board has it; the turnout counts one voter.
  await p.reload();
  await p.locator('[data-voters="1"]').waitFor({ timeout: 20_000 });
  await p.fill("#code", code);
  await p.locator("form button[type=submit]", { hasText: "Find" }).click();
  await p.locator('[data-found="true"]').waitFor();
  await p.fill("#code", spoilt);
  await p.locator("form button[type=submit]", { hasText: "Find" }).click();
  await p.locator('[data-found="false"]').waitFor();

  // The same person again (this browser forgets its voting key): refused by the registrar.
  await p.evaluate((poll) => localStorage.removeItem(`dojang.vote.${poll}`), stay.poll);
  await p.reload();
  await p.getByRole("button", { name: "Get a voting credential" }).click();
  await p.locator("#send-registration").waitFor({ timeout: 20_000 });
  await p.locator("#send-registration").click();
  const refused = await p.locator('[data-registered="false"]').innerText();
  assert.match(refused, /already received a voting credential/);
  assert.deepEqual(errors, []);
  await context.close();
});
