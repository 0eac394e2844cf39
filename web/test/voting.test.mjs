// A poll's public pages in Debian's Chromium, against the chain `dojang demo voting` leaves
// behind (20 residents, a tallied participatory budget): the polls list, the poll with its
// rules, turnout and the published counts (equal to the demo's plaintext count), in English
// and Korean, every value verified; and a voter finding a ballot by its tracking code, with a
// code that is not there and one that is malformed; the verifier on the poll's page, and the
// same verifier from Node naming each element altered in what it read. Screenshots go to
// web/test-output/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { OUT, launch } from "./chromium.mjs";
import { Client, TrustedChain, VerifiedReader, checkPoll, readPoll } from "../../sdk-ts/dist/src/index.js";
import { startDevNode } from "../../sdk-ts/dist/test/devnode.js";

let dev;
let browser;
let demo;
let scratch;

const env = () => ({ ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "DOJANG_BIN")), DOJANG_LOG__FILTER: "error" });

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), "dojang-web-voting-demo-"));
  dev = await startDevNode("dojang-web-voting-", (bin, home) => {
    const out = execFileSync(bin, ["demo", "voting", "--residents", "20", "--dir", scratch], { env: env() }).toString();
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

test("the polls list and a tallied poll show its rules, turnout and counts, verified", async () => {
  const { p, context, errors } = await page();
  await p.goto(`${dev.url}/#/vote`);
  const row = p.locator("tr", { hasText: demo.poll });
  await row.locator('[data-verified="true"]').waitFor();
  assert.match(await row.innerText(), /result published/);
  await row.locator("a").click();
  await p.locator('[data-status="tallied"]').waitFor();
  await p.locator("#turnout-h").waitFor();
  const counts = await p.locator("[data-count]").evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-count"))));
  assert.deepEqual(counts, demo.reference, "the counts shown are the demo's plaintext count");
  assert.equal(await p.locator("[data-voters]").getAttribute("data-voters"), "20");
  const text = await p.locator("main").innerText();
  assert.match(text, /residents of mapo-gu, at the address 3 months or more, aged 16 or over/);
  assert.match(text, /any 2 of 3 decrypt/);
  assert.match(text, /the last ballot counts/);
  assert.equal(await p.locator('[data-verified="false"]').count(), 0);
  assert.ok((await p.locator('[data-verified="true"]').count()) >= 2);
  await p.screenshot({ path: join(OUT, "vote-poll.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();

  const ko = await page("ko-KR");
  await ko.p.goto(`${dev.url}/#/vote/${demo.poll}`);
  await ko.p.locator('[data-status="tallied"]').waitFor();
  assert.equal(await ko.p.locator('[data-status="tallied"]').innerText(), "결과 공개");
  assert.match(await ko.p.locator("main").innerText(), /마지막 투표가 반영됨/);
  assert.deepEqual(ko.errors, []);
  await ko.context.close();
});

test("a voter finds a ballot by its tracking code; an unknown or malformed code says so", async () => {
  const client = new Client(dev.url);
  const prefix = `voting/board/${demo.poll}/`;
  const keys = await client.stateKeys(prefix, { limit: 5 });
  const code = keys.keys[0].key.slice(prefix.length);
  const { p, context, errors } = await page();
  await p.goto(`${dev.url}/#/vote/${demo.poll}`);
  await p.locator('[data-status="tallied"]').waitFor();
  const find = async (value) => {
    await p.fill("#code", value);
    await p.locator("form button[type=submit]").click();
  };
  await find(code);
  await p.locator('[data-found="true"]').waitFor();
  assert.match(await p.locator('[data-found="true"]').innerText(), /on the board/);
  await find("0".repeat(64));
  await p.locator('[data-found="false"]').waitFor();
  await find("not a code");
  await p.locator("text=A tracking code is 64 hexadecimal characters").waitFor();
  await p.screenshot({ path: join(OUT, "vote-find.png"), fullPage: true });
  // A poll id that cannot be one, and one that is not on the chain.
  await p.goto(`${dev.url}/#/vote/NOT%20A%20POLL`);
  await p.locator("h1", { hasText: "There is no poll NOT A POLL" }).waitFor();
  await p.goto(`${dev.url}/#/vote/no-such-poll`);
  await p.locator("h1", { hasText: "There is no poll no-such-poll" }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test("anyone recomputes the poll in the browser: everything matches; a ballot left out of the listing or a transaction altered in transit is named", async () => {
  const { p, context, errors } = await page();
  await p.goto(`${dev.url}/#/vote/${demo.poll}`);
  await p.locator('[data-status="tallied"]').waitFor();
  await p.locator("#verify").click();
  await p.locator("[data-verify]").waitFor({ timeout: 120_000 });
  assert.equal(await p.locator("[data-verify]").getAttribute("data-verify"), "ok", await p.locator("main").innerText());
  const ballots = demo.ballots + demo.revotes;
  assert.equal(Number(await p.locator("[data-ballots]").getAttribute("data-ballots")), ballots, "every ballot, re-votes included, checked");
  const recomputed = JSON.parse(await p.locator("[data-recomputed]").getAttribute("data-recomputed"));
  assert.deepEqual(recomputed.flat(), demo.reference, "the result recomputed from the shares is the demo's plaintext count");
  const text = await p.locator("main").innerText();
  assert.match(text, new RegExp(`${ballots} on the board, ${ballots} with a valid signature`));
  assert.match(text, /2 posted, 2 with valid proofs/);
  assert.match(text, /recomputed from the shares and equal to the published result/);
  await p.screenshot({ path: join(OUT, "vote-verify.png"), fullPage: true });

  // The node's listing of board entries leaves one out: the proven tally counts one more.
  let dropped = null;
  await p.route(/\/v1\/state\/keys\?prefix=voting%2Fboard/, async (route) => {
    const answer = await (await route.fetch()).json();
    dropped = answer.keys.shift().key;
    await route.fulfill({ json: answer });
  });
  await p.locator("#verify").click();
  await p.locator('[data-verify="problems"]').waitFor({ timeout: 120_000 });
  assert.ok(dropped, "the listing was answered through the altering route");
  assert.match(await p.locator(".problem").allInnerTexts().then((x) => x.join("\n")), /encrypted totals or the counts of voters and ballots are not what the board's ballots make/);
  await p.unroute(/\/v1\/state\/keys/);

  // One ballot's transaction altered in transit: its bytes no longer hash to its id.
  let altered = null;
  await p.route(/\/v1\/txs\/[0-9a-f]{64}$/, async (route) => {
    const answer = await (await route.fetch()).json();
    if (altered === null) {
      // A character in the middle of the message (the ballot), not in the signature.
      const at = 2 * Math.floor(answer.tx_hex.length / 4);
      altered = at;
      answer.tx_hex = answer.tx_hex.slice(0, at) + (answer.tx_hex[at] === "0" ? "1" : "0") + answer.tx_hex.slice(at + 1);
    }
    await route.fulfill({ json: answer });
  });
  await p.locator("#verify").click();
  await p.locator('[data-verify="problems"] .problem', { hasText: "do not hash to its id" }).waitFor({ timeout: 120_000 });
  const problems = await p.locator(".problem").allInnerTexts();
  assert.ok(problems.some((x) => /^ballot [0-9a-f]{64}: the transaction's bytes do not hash to its id$/.test(x)), problems.join("\n"));
  assert.ok(problems.some((x) => /encrypted totals/.test(x)), "without that ballot the totals differ");
  assert.deepEqual(errors, []);
  await context.close();
});

test("the TypeScript verifier reads the poll with proofs and names each element altered in what it read", async () => {
  const genesis = JSON.parse(readFileSync(join(dev.dir, "home", "genesis.json"), "utf8"));
  const reader = new VerifiedReader(new Client(dev.url), TrustedChain.fromGenesis(genesis));
  const data = await readPoll(reader, demo.poll);
  const clean = await checkPoll(data);
  assert.deepEqual(clean.problems, []);
  assert.deepEqual(clean.recomputed.flat(), demo.reference);
  assert.equal(clean.ballotsVerified, demo.ballots + demo.revotes);

  const sent = data.board.filter((b) => "sent" in b);
  const voterOf = (b) => b.sent.tx.body.sender.address();
  const revoter = voterOf(sent.find((b) => sent.filter((o) => voterOf(o) === voterOf(b)).length > 1));
  const onBoard = (pick, change) => ({ ...data, board: data.board.map((b) => ("sent" in b && pick(b) ? change(b) : b)) });
  const first = sent[0];
  const withSent = (b, change) => ({ ...b, sent: { ...b.sent, ...change } });
  const swap = (xs, i, j) => xs.map((x, k) => (k === i ? xs[j] : k === j ? xs[i] : x));
  const otherPoint = data.dealings.get(1).commitments[1];
  const otherRegistrar = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "der", type: "spki" }).toString("base64");
  const spec = (change) => ({ ...data, record: { ...data.record, spec: { ...data.record.spec, ...change } } });
  const cases = [
    ["the election key", { ...data, record: { ...data.record, key: otherPoint } }, "election key"],
    ["the published result", { ...data, record: { ...data.record, result: [data.record.result[0].map((n, i) => (i === 0 ? n + 1 : n))] } }, "published result"],
    ["a verification key", { ...data, record: { ...data.record, verification_keys: swap(data.record.verification_keys, 0, 1) } }, "verification key"],
    ["an encrypted total", { ...data, tally: { ...data.tally, totals: swap(data.tally.totals, 0, 1) } }, "encrypted totals"],
    ["the number of voters", { ...data, tally: { ...data.tally, voters: data.tally.voters + 1 } }, "encrypted totals"],
    ["the credentials issued", { ...data, tally: { ...data.tally, issued: 1 } }, "VOTE-10"],
    ["a dealing", { ...data, dealings: new Map([...data.dealings].map(([j, d]) => [j, j === 2 ? { ...d, commitments: swap(d.commitments, 0, 1) } : d])) }, "dealing 2"],
    ["a decryption share", { ...data, shares: new Map([...data.shares].map(([j, s]) => [j, j === 3 ? { ...s, parts: swap(s.parts, 0, 1) } : s])) }, "trustee 3"],
    ["the board's replaced mark", onBoard((b) => voterOf(b) === revoter, (b) => withSent(b, { entry: { ...b.sent.entry, replaced: !b.sent.entry.replaced } })), "the board marks it"],
    ["a ballot cast after the close", onBoard((b) => b === first, (b) => withSent(b, { timeMs: data.record.spec.closes_ms })), "VOTE-03"],
    ["the order of a re-voter's ballots", onBoard((b) => voterOf(b) === revoter, (b) => withSent(b, { tx: { ...b.sent.tx, height: 1e9 - b.sent.tx.height } })), "the board marks it"],
    ["another ballot's transaction", onBoard((b) => b === first, (b) => withSent(b, { tx: sent[1].sent.tx })), "tracking code is not the ballot's"],
    ["a failed transaction", onBoard((b) => b === first, (b) => withSent(b, { tx: { ...b.sent.tx, receipt: { ...b.sent.tx.receipt, result: { status: "failed", code: "x", reason: "y" } } } })), "its transaction failed"],
    ["a ballot that could not be proven", onBoard((b) => b === first, (b) => ({ code: b.code, error: "its block 7: not signed" })), "its block 7: not signed"],
    ["the registrar's key", spec({ registrar_key: otherRegistrar }), "did not sign this voting key"],
    ["the window", spec({ opens_ms: data.record.spec.closes_ms }), "VOTE-03"],
  ];
  for (const [what, altered, named] of cases) {
    const { problems } = await checkPoll(altered);
    assert.ok(problems.some((p) => p.includes(named)), `${what}: ${problems.join("\n")}`);
  }
});
