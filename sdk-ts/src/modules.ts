// Typed clients for the modules the node runs: the state key of each record (read with a
// proof through a [`VerifiedReader`]) and the module's queries (answered by the node, not
// proven). Keys mirror each module's `state_key` in Rust (crates/modules/*/src/views.rs).

import type { Client } from "./client.js";
import { addressBytes } from "./header.js";
import type { ModuleMessage } from "./tx.js";
import type { Verified, VerifiedReader } from "./trust.js";

const pad = (n: number, width: number) => {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${n} is not a non-negative integer`);
  return String(n).padStart(width, "0");
};

/** Refuses a key part that would change the key's shape (a `/`) or is empty. */
function part(s: string, what: string): string {
  if (typeof s !== "string" || s.length === 0 || s.includes("/")) throw new Error(`${what} '${s}' is empty or holds '/'`);
  return s;
}

abstract class ModuleClient {
  abstract readonly name: string;
  constructor(protected readonly client: Client) {}

  protected ask<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    return this.client.query(this.name, path, params);
  }

  /** A module message for [`TxBuilder.build`]. */
  message(msg: Record<string, unknown>): ModuleMessage {
    return { module: this.name, msg };
  }
}

export interface RoleGrant {
  /** `null` for roles written in the genesis file. */
  granted_by: string | null;
  height: number;
}

export interface AccountView {
  address: string;
  roles: Record<string, RoleGrant>;
  label: string;
}

export class Governance extends ModuleClient {
  readonly name = "governance";
  static accountKey = (address: string) => (addressBytes(address), `governance/accounts/${address}`);
  static paramKey = (table: string, key: string) => `governance/params/${part(table, "table")}/${part(key, "key")}`;

  council(): Promise<{ account: string; members: string[]; threshold: number; min_members: number; next: unknown }> {
    return this.ask("council");
  }
  proposal(id: number): Promise<any> {
    return this.ask(`proposal/${pad(id, 1)}`);
  }
  proposals(limit = 50, open = false): Promise<{ proposals: any[] }> {
    return this.ask("proposals", open ? { limit: String(limit), open: "true" } : { limit: String(limit) });
  }
  account(address: string): Promise<AccountView> {
    return this.ask(`account/${address}`);
  }
  role(role: string): Promise<any> {
    return this.ask(`role/${part(role, "role")}`);
  }
  param(table: string, key: string, asOf: string): Promise<any> {
    return this.ask(`param/${part(table, "table")}/${part(key, "key")}`, { as_of: asOf });
  }
  /**
   * A council member's proposal that the council execute `proposal` (any module's message);
   * the proposer's approval counts, and at the threshold it executes in the same block.
   */
  propose(proposal: ModuleMessage, reason: string, expiresAtMs: number): ModuleMessage {
    if (!Number.isSafeInteger(expiresAtMs) || expiresAtMs <= 0) throw new Error("expiresAtMs is a time in Unix milliseconds");
    return this.message({ type: "propose", proposal: { module: proposal.module, msg: proposal.msg }, reason, expires_at_ms: expiresAtMs });
  }
  approve(id: number): ModuleMessage {
    pad(id, 1);
    return this.message({ type: "approve", id });
  }
  reject(id: number): ModuleMessage {
    pad(id, 1);
    return this.message({ type: "reject", id });
  }
  /** The council's message granting `role` (admin, issuer, verifier, auditor, operator, …). */
  grantRole(account: string, role: string): ModuleMessage {
    addressBytes(account);
    return this.message({ type: "grant_role", account, role: part(role, "role") });
  }
  revokeRole(account: string, role: string): ModuleMessage {
    addressBytes(account);
    return this.message({ type: "revoke_role", account, role: part(role, "role") });
  }

  /** An account's roles, proven. `null`: the account has none. */
  verifiedAccount(reader: VerifiedReader, address: string): Promise<Verified<any>> {
    return reader.json(Governance.accountKey(address));
  }
}

export class Identity extends ModuleClient {
  readonly name = "identity";
  static orgKey = (did: string) => `identity/orgs/${part(did, "DID")}`;
  static typeKey = (vct: string) => `identity/types/${vct}`;
  static policyKey = (id: string) => `identity/policies/${part(id, "policy id")}`;
  static accreditationKey = (issuer: string, vct: string) => `identity/accreditations/${part(issuer, "issuer")}/${vct}`;
  static rootKey = "identity/root";

  org(did: string): Promise<any> {
    return this.ask(`org/${part(did, "DID")}`);
  }
  type(vct: string): Promise<any> {
    return this.ask(`type/${part(vct, "credential type")}`);
  }
  policy(id: string): Promise<any> {
    return this.ask(`policy/${part(id, "policy id")}`);
  }
  accreditation(issuer: string, vct: string): Promise<any> {
    return this.ask(`accreditation/${part(issuer, "issuer")}/${part(vct, "credential type")}`);
  }
}

export class Eligibility extends ModuleClient {
  readonly name = "eligibility";
  static programKey = (id: string) => `eligibility/programs/${part(id, "program id")}`;
  static rulesetKey = (program: string, version: number) => `eligibility/rulesets/${part(program, "program id")}/${pad(version, 6)}`;
  static batchKey = (program: string, batch: number) => `eligibility/batches/${part(program, "program id")}/${pad(batch, 12)}`;

  program(id: string): Promise<any> {
    return this.ask(`program/${part(id, "program id")}`);
  }
  ruleset(program: string, version: number): Promise<any> {
    return this.ask(`ruleset/${part(program, "program id")}/${pad(version, 1)}`);
  }
  batch(program: string, batch: number): Promise<any> {
    return this.ask(`batch/${part(program, "program id")}/${pad(batch, 1)}`);
  }
}

export class Anchor extends ModuleClient {
  readonly name = "anchor";
  static recordKey = (account: string, namespace: string, height: number, index: number) =>
    (addressBytes(account), `anchor/records/${account}/${part(namespace, "namespace")}/${pad(height, 20)}.${pad(index, 10)}`);

  series(account: string, namespace: string, limit = 50): Promise<any> {
    return this.ask(`series/${account}/${part(namespace, "namespace")}`, { limit: String(limit) });
  }
  record(account: string, namespace: string, height: number, index: number): Promise<any> {
    return this.ask(`record/${account}/${part(namespace, "namespace")}/${pad(height, 1)}/${pad(index, 1)}`);
  }
  /** The anchor message: a Merkle root over `leaves` salted records of a series. */
  anchor(namespace: string, rootHex: string, leaves: number): ModuleMessage {
    if (!/^[0-9a-f]{64}$/.test(rootHex)) throw new Error("an anchored root is 32 bytes of lower-case hex");
    return this.message({ type: "anchor", namespace: part(namespace, "namespace"), root: rootHex, leaves });
  }
}

export class Collections extends ModuleClient {
  readonly name = "collections";
  collections(): Promise<{ collections: string[] }> {
    return this.ask("collections");
  }
  collection(id: string): Promise<any> {
    return this.ask(`collection/${part(id, "collection id")}`);
  }
  record(collection: string, key: string): Promise<any> {
    return this.ask(`record/${part(collection, "collection id")}/${part(key, "key")}`);
  }
}
