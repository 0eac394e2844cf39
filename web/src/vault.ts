// The wallet's store in the browser (IndexedDB): each credential with its copies, and for each
// copy the P-256 key pair it is bound to, created non-extractable, so no script, the page's
// own included, can read the private key out; it can only sign.

import { toHex } from "../../sdk-ts/src/index.js";

/** The registered claims of an SD-JWT VC that say how it works, not what it says of the person. */
export const ENVELOPE = new Set(["iss", "vct", "iat", "exp", "nbf", "cnf", "status", "_sd_alg"]);

/** What a credential's claims say of the person (the envelope left out). */
export const aboutPerson = (claims: Record<string, unknown>) => Object.fromEntries(Object.entries(claims).filter(([k]) => !ENVELOPE.has(k)));

export interface StoredCopy {
  sdJwt: string;
  keys: CryptoKeyPair;
  used: boolean;
}

export interface StoredCredential {
  id?: number;
  vct: string;
  issuer: string;
  receivedAtMs: number;
  /** The block height the issuer's registry records were proven at when received. */
  checkedAtHeight: number;
  /** When the credential expires (Unix seconds). */
  expiresAt: number;
  claims: Record<string, unknown>;
  copies: StoredCopy[];
}

/**
 * One answer to an office (ELIG-06): to whom, under which policy and purpose, what was shown
 * (the exact claims), when, and the decision with its receipt as the office signed it off.
 */
export interface Disclosure {
  id?: number;
  atMs: number;
  verifier: string;
  policy: string;
  purpose: string;
  legalBasis: string;
  retentionDays: number;
  program: string | null;
  credentials: { vct: string; issuer: string; shown: Record<string, unknown> }[];
  /** Where the office serves this receipt again (with its inclusion proof once anchored). */
  receiptUrl: string | null;
  decision: string | null;
  receipt: unknown;
  /** The last check of the receipt against the chain. */
  checked: { atMs: number; anchoredBatch: number | null; height: number | null } | null;
  /** Set when the office refused the answer (what it said). */
  refused?: string;
  /** The facility a login was for (AUTH-06: the login service asks, the facility sees). */
  facility?: string;
}

/** The wallet's account on the ledger (e.g. the worker's, who signs their contracts). */
export interface Account {
  /** `account`, the wallet's account key; `vote/<poll>/<random>`, a voting key. */
  id: string;
  keys: CryptoKeyPair;
  createdAtMs: number;
}

/** A contract copy the worker received (LSA art. 17), as the employer's app handed it over. */
export interface ContractCopy {
  contract: string;
  /** The copy exactly as received (its payloads and salts prove it against the ledger). */
  copy: string;
  savedAtMs: number;
  /** Versions this wallet signed, with the block each signature is in. */
  signed: { version: number; height: number }[];
}

const DB = "dojang-wallet";
const STORE = "credentials";
const HISTORY = "history";
const ACCOUNT = "account";
const CONTRACTS = "contracts";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 3);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
      if (!db.objectStoreNames.contains(HISTORY)) db.createObjectStore(HISTORY, { keyPath: "id", autoIncrement: true });
      if (!db.objectStoreNames.contains(ACCOUNT)) db.createObjectStore(ACCOUNT, { keyPath: "id" });
      if (!db.objectStoreNames.contains(CONTRACTS)) db.createObjectStore(CONTRACTS, { keyPath: "contract" });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("the browser refused the wallet's storage"));
    req.onblocked = () => reject(new Error("another tab holds an older version of the wallet's storage open; close it"));
  });
}

function run<T>(mode: IDBTransactionMode, work: (s: IDBObjectStore) => IDBRequest<T>, store = STORE): Promise<T> {
  return open().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const tx = db.transaction(store, mode);
        const req = work(tx.objectStore(store));
        tx.oncomplete = () => {
          db.close();
          resolve(req.result);
        };
        tx.onerror = () => {
          db.close();
          reject(tx.error ?? new Error("the wallet's storage failed"));
        };
        // A full disk or a quota aborts the transaction at commit without an error event.
        tx.onabort = () => {
          db.close();
          reject(tx.error ?? new Error("the wallet's storage refused the write (full, or blocked by the browser)"));
        };
      }),
  );
}

/** A new P-256 key pair that cannot be exported. */
export function newKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
}

/** Checks the store can be written before anything is asked of an issuer (an offer's code can be used once). */
export const probeStorage = () => run("readonly", (s) => s.count());
export const saveCredential = (c: StoredCredential) => run("readwrite", (s) => s.add(c));
export const listCredentials = () => run<StoredCredential[]>("readonly", (s) => s.getAll() as IDBRequest<StoredCredential[]>);

/**
 * Marks one copy of a credential used, in one transaction that refuses a copy already used (a
 * copy is shown once, so two answers cannot be linked by it, even from two tabs).
 */
export async function markCopyUsed(id: number, copy: number): Promise<void> {
  const db = await open();
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction(STORE, "readwrite");
    const store = tx.objectStore(STORE);
    let refused: Error | null = null;
    const req = store.get(id);
    req.onsuccess = () => {
      const c = req.result as StoredCredential | undefined;
      if (!c || !c.copies[copy]) refused = new Error("the credential is no longer in this wallet");
      else if (c.copies[copy]!.used) refused = new Error("this copy was already shown (another tab?); open the request again");
      if (refused) return tx.abort();
      c!.copies[copy]!.used = true;
      store.put(c);
    };
    tx.oncomplete = () => {
      db.close();
      resolve();
    };
    tx.onabort = tx.onerror = () => {
      db.close();
      reject(refused ?? tx.error ?? new Error("the wallet's storage refused the write"));
    };
  });
}

export const addDisclosure = (d: Disclosure) => run<IDBValidKey>("readwrite", (s) => s.add(d), HISTORY);
export const putDisclosure = (d: Disclosure) => run<IDBValidKey>("readwrite", (s) => s.put(d), HISTORY);
export const listDisclosures = () => run<Disclosure[]>("readonly", (s) => s.getAll() as IDBRequest<Disclosure[]>, HISTORY);

/** The wallet's account key, made (non-extractable) on first use. */
export async function accountKeys(): Promise<CryptoKeyPair> {
  const kept = await run<Account | undefined>("readonly", (s) => s.get("account") as IDBRequest<Account | undefined>, ACCOUNT);
  if (kept) return kept.keys;
  const keys = await newKeyPair();
  // `add`, not `put`: a second tab that made its own key first keeps it, and this one reads it.
  await run("readwrite", (s) => s.add({ id: "account", keys, createdAtMs: Date.now() } satisfies Account), ACCOUNT).catch(() => undefined);
  const now = await run<Account | undefined>("readonly", (s) => s.get("account") as IDBRequest<Account | undefined>, ACCOUNT);
  if (!now) throw new Error("the browser did not keep the wallet's account key");
  return now.keys;
}

/** A voting key is a key pair like the account's: made here, never exportable, so a script on
 * the page can sign with it while the page is open but cannot carry it away. */
export interface VotingKey {
  id: string;
  keys: CryptoKeyPair;
}

/** A new voting key for `poll`, kept in the wallet's store. */
export async function newVotingKey(poll: string): Promise<VotingKey> {
  const keys = await newKeyPair();
  const id = `vote/${poll}/${toHex(crypto.getRandomValues(new Uint8Array(8)))}`;
  await run("readwrite", (s) => s.add({ id, keys, createdAtMs: Date.now() } satisfies Account), ACCOUNT);
  return { id, keys };
}

/** A voting key kept by [`newVotingKey`], or null when this browser no longer has it. */
export async function votingKey(id: string): Promise<VotingKey | null> {
  if (!id.startsWith("vote/")) return null;
  const kept = await run<Account | undefined>("readonly", (s) => s.get(id) as IDBRequest<Account | undefined>, ACCOUNT);
  return kept ? { id, keys: kept.keys } : null;
}

export const saveContract = (c: ContractCopy) => run<IDBValidKey>("readwrite", (s) => s.put(c), CONTRACTS);
export const getContract = (id: string) => run<ContractCopy | undefined>("readonly", (s) => s.get(id) as IDBRequest<ContractCopy | undefined>, CONTRACTS);
export const listContracts = () => run<ContractCopy[]>("readonly", (s) => s.getAll() as IDBRequest<ContractCopy[]>, CONTRACTS);
