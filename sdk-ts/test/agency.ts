// An agency's credential issuer (`dojang issuer`) on a dev node, set up as
// docs/examples/credentials_walkthrough.sh does: the city as trust root, the income-band
// type, the social security agency registered and accredited, one synthetic subject. Used by
// the SDK's and the pages' tests; stopped by `stop()`.

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

import type { DevNode } from "./devnode.js";

export const AGENCY_DID = "did:web:ssis.seoul.go.kr";
export const AGENCY_VCT = "urn:dojang:income-band:1";
const DESK = "desk-token-for-the-tests";

/** Which agency issues what: the income-band agency by default. */
export interface AgencySpec {
  did: string;
  vct: string;
  /** The demo account (a key in the node's home) that controls the organisation. */
  account: string;
  /** Its credential configuration; with `claimsInOffer`, each offer brings its claims. */
  config: string;
  concealable: string[];
  thresholds: string[];
  claimsInOffer: boolean;
  /** The records file's subjects (empty when claims come with each offer). */
  subjects: Record<string, unknown>;
}

export const INCOME_BAND: AgencySpec = {
  did: AGENCY_DID,
  vct: AGENCY_VCT,
  account: "social-security",
  config: "income_band",
  concealable: ["income_le_65pct", "income_le_150pct", "household_size"],
  thresholds: ["income_le_65pct", "income_le_150pct"],
  claimsInOffer: false,
  subjects: { "S-0001": { income_band: { income_le_65pct: true, income_le_150pct: true, household_size: 2, monthly_income_krw: 1450000 } } },
};

export interface AgencyIssuer {
  url: string;
  /** A new offer, for subject S-0001 unless `subject` is given (with `claims` when the
   * configuration takes them with the offer): the offer link, the PIN when asked for, the link
   * that opens the node's web wallet with it, and its QR code. */
  offer(pin: boolean, subject?: string, claims?: object): Promise<{ uri: string; pin?: string; walletLink: string; qrSvg: string }>;
  /** Sets the status of a subject's credential (`valid`, `revoked`, `suspended`), S-0001's by default. */
  setStatus(status: string, subject?: string): Promise<void>;
  stop(): Promise<void>;
}

/** The environment of a child process: the caller's, without its DOJANG_* settings. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DOJANG_"))) as Record<string, string>;
  return { ...env, ...extra };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as any).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startAgencyIssuer(dev: DevNode, spec: AgencySpec = INCOME_BAND): Promise<AgencyIssuer> {
  const bin = process.env.DOJANG_BIN!;
  const keys = join(dev.dir, "home", "keys");
  const genesis = JSON.parse(readFileSync(join(dev.dir, "home", "genesis.json"), "utf8"));
  const dojang = (...args: string[]) => execFileSync(bin, args, { env: cleanEnv({ DOJANG_NODE: dev.url }), encoding: "utf8" });
  const identityTx = (keyName: string, msg: object) => {
    const out = JSON.parse(dojang("tx", "--key", join(keys, `${keyName}.json`), "--wait", "identity", JSON.stringify(msg)));
    assert.equal(out.receipt.result.status, "ok", JSON.stringify(out));
  };
  const newKey = (name: string) => {
    const path = join(dev.dir, name);
    dojang("keys", "new", "--out", path, "--algorithm", "p256", "--insecure-clear-keys");
    return JSON.parse(readFileSync(path, "utf8")).public_key as string;
  };
  identityTx("admin", { type: "register_org", did: "did:web:seoul.go.kr", kid: "root-1", public_key: newKey("city-signing.json") });
  dojang("gov", "propose", "--key", join(keys, "admin.json"), "--module", "identity", "--reason", "the city is the trust root", JSON.stringify({ type: "set_root", did: "did:web:seoul.go.kr" }));
  identityTx("admin", { type: "register_type", vct: spec.vct, schema_hash: "11".repeat(32), concealable: spec.concealable, thresholds: spec.thresholds });
  const signing = `${spec.account}-signing.json`;
  identityTx(spec.account, { type: "register_org", did: spec.did, kid: "sign-1", public_key: newKey(signing) });
  identityTx("admin", { type: "accredit", issuer: spec.did, vct: spec.vct });
  writeFileSync(
    join(dev.dir, "records.json"),
    JSON.stringify({
      credential_configurations: { [spec.config]: { vct: spec.vct, validity_days: 90, claims_in_offer: spec.claimsInOffer } },
      subjects: spec.subjects,
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(dev.dir, "issuer.toml"),
    `[issuer]\ndid = "${spec.did}"\nkid = "sign-1"\npublic_url = "${url}"\nwallet_url = "${dev.url}"\n\n[service]\nlisten_addr = "127.0.0.1:${port}"\nsigning_key = "${signing}"\naccount_key = "${join(keys, `${spec.account}.json`)}"\nrecords = "records.json"\nstate_dir = "issuer-state"\nnode = "${dev.url}"\nchain_id = "${genesis.chain_id}"\nadmin_token = "${DESK}"\n`,
  );
  const child = spawn(bin, ["issuer", "--config", join(dev.dir, "issuer.toml")], { stdio: ["ignore", "ignore", "inherit"], env: cleanEnv() });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  };
  let up = false;
  for (let i = 0; i < 150 && !up && child.exitCode === null; i++) {
    up = await fetch(`${url}/.well-known/openid-credential-issuer`).then((r) => r.ok, () => false);
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  if (!up) {
    await stop();
    assert.fail(`the issuer did not start (exit ${child.exitCode})`);
  }
  const offer = async (pin: boolean, subject = "S-0001", claims?: object) => {
    const res = await fetch(`${url}/admin/offers`, {
      method: "POST",
      headers: { authorization: `Bearer ${DESK}`, "content-type": "application/json" },
      body: JSON.stringify({ subject, credential_configuration_id: spec.config, pin, ...(claims ? { claims } : {}) }),
    });
    const body: any = await res.json();
    assert.ok(res.ok, JSON.stringify(body));
    return { uri: body.credential_offer_uri as string, pin: body.tx_code as string | undefined, walletLink: body.wallet_link as string, qrSvg: body.qr_svg as string };
  };
  const setStatus = async (status: string, subject = "S-0001") => {
    const res = await fetch(`${url}/admin/status`, {
      method: "POST",
      headers: { authorization: `Bearer ${DESK}`, "content-type": "application/json" },
      body: JSON.stringify({ subject, credential_configuration_id: spec.config, status }),
    });
    assert.ok(res.ok, await res.text());
  };
  return { url, offer, setStatus, stop };
}
