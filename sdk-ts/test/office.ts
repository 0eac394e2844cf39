// A program office on a dev node, set up as docs/examples/credentials_walkthrough.sh does
// (after the agency of agency.ts): the public-works office's organisation and signing key, its
// policy (income band and household size only), a program with a one-condition rule set, and
// its verifier service (`dojang verifier`), with one staff account for the console. Stopped by
// `stop()`.

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { AGENCY_VCT, cleanEnv, freePort } from "./agency.js";
import { b64url, fetchRequest, keyFileSigner, type Signer } from "../src/index.js";
import type { DevNode } from "./devnode.js";

export const OFFICE_DID = "did:web:jobs.seoul.go.kr";
export const POLICY_ID = "jobs.public-works.2026";
export const PROGRAM_ID = "public-works.2026-h1";
export const STAFF_USER = "officer.kim";
export const STAFF_PASSWORD = "a long staff password for the tests";

export const POLICY_DCQL = {
  credentials: [
    { id: "income", format: "dc+sd-jwt", meta: { vct_values: [AGENCY_VCT] }, claims: [{ path: ["income_le_65pct"] }, { path: ["household_size"] }] },
  ],
};

export interface ProgramOffice {
  url: string;
  /** Where a wallet fetches a signed request for the program. */
  requestUrl: string;
  /** The office's request-signing key file (clear), to forge requests in tests. */
  signingKey: any;
  stop(): Promise<void>;
}

export async function startProgramOffice(dev: DevNode): Promise<ProgramOffice> {
  const bin = process.env.DOJANG_BIN!;
  const keys = join(dev.dir, "home", "keys");
  const dojang = (...args: string[]) => execFileSync(bin, args, { env: cleanEnv({ DOJANG_NODE: dev.url }), encoding: "utf8" });
  const tx = (module: string, msg: object) => {
    const out = JSON.parse(dojang("tx", "--key", join(keys, "public-works-office.json"), "--wait", module, JSON.stringify(msg)));
    assert.equal(out.receipt.result.status, "ok", JSON.stringify(out));
  };
  const signingPath = join(dev.dir, "office-signing.json");
  dojang("keys", "new", "--out", signingPath, "--algorithm", "p256", "--insecure-clear-keys");
  const signingKey = JSON.parse(readFileSync(signingPath, "utf8"));
  tx("identity", { type: "register_org", did: OFFICE_DID, kid: "o-1", public_key: signingKey.public_key });
  tx("identity", {
    type: "register_policy",
    id: POLICY_ID,
    verifier: OFFICE_DID,
    legal_basis: "Framework Act on Employment Policy art. 16",
    purpose: "selecting public-works workers",
    retention_days: 365,
    dcql: POLICY_DCQL,
  });
  const now = Date.now();
  tx("eligibility", {
    type: "register_program",
    id: PROGRAM_ID,
    office: OFFICE_DID,
    name: "public-works job",
    policy: POLICY_ID,
    window_opens_ms: now - 60_000,
    window_closes_ms: now + 3_600_000,
    quota: 60,
    seed_commitment: "ab".repeat(32),
  });
  tx("eligibility", {
    type: "publish_rule_set",
    program: PROGRAM_ID,
    version: 1,
    rules: { conditions: [{ id: "income_le_65pct", credential: "income", claim: ["income_le_65pct"], op: "equals", value: true, reason: "household income is above 65% of the median" }] },
  });
  const staffHash = execFileSync(bin, ["verifier", "hash-password"], { input: `${STAFF_PASSWORD}\n`, env: cleanEnv(), encoding: "utf8" }).trim();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(dev.dir, "verifier.toml"),
    [
      "[office]",
      `did = "${OFFICE_DID}"`,
      'kid = "o-1"',
      'signing_key = "office-signing.json"',
      `public_url = "${url}"`,
      `wallet_url = "${dev.url}"`,
      `listen_addr = "127.0.0.1:${port}"`,
      `node = "${dev.url}"`,
      `genesis = "${join(dev.dir, "home", "genesis.json")}"`,
      'store = "office-decisions.redb"',
      `programs = ["${PROGRAM_ID}"]`,
      `account_key = "${join(keys, "public-works-office.json")}"`,
      "anchor_interval_s = 1",
      "",
      "[[office.staff]]",
      `user = "${STAFF_USER}"`,
      `password_hash = "${staffHash}"`,
      "",
    ].join("\n"),
  );
  const child = spawn(bin, ["verifier", "--config", join(dev.dir, "verifier.toml")], { stdio: ["ignore", "ignore", "inherit"], env: cleanEnv() });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  };
  const requestUrl = `${url}/programs/${PROGRAM_ID}/request`;
  let up = false;
  for (let i = 0; i < 150 && !up && child.exitCode === null; i++) {
    up = await fetch(`${url}/console/login`).then((r) => r.ok, () => false);
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  if (!up) {
    await stop();
    assert.fail(`the verifier did not start (exit ${child.exitCode})`);
  }
  return { url, requestUrl, signingKey, stop };
}

/**
 * The office's own request, changed by `change` and signed again (by default with the office's
 * registered key), as an office gone wrong or an attacker with its key would send it.
 */
export async function resignedRequest(office: ProgramOffice, change: (claims: any) => void, signer: Signer = keyFileSigner(office.signingKey), kid = `${OFFICE_DID}#o-1`): Promise<string> {
  const original = await fetchRequest(office.requestUrl);
  const claims = JSON.parse(Buffer.from(original.split(".")[1]!, "base64url").toString("utf8"));
  change(claims);
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const header = b64url(utf8(JSON.stringify({ typ: "oauth-authz-req+jwt", alg: "ES256", kid })));
  const payload = b64url(utf8(JSON.stringify(claims)));
  return `${header}.${payload}.${b64url(await signer.sign(utf8(`${header}.${payload}`)))}`;
}
