// The wallet's store in the browser (IndexedDB): each credential with its copies, and for each
// copy the P-256 key pair it is bound to, created non-extractable, so no script, the page's
// own included, can read the private key out; it can only sign.

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

const DB = "dojang-wallet";
const STORE = "credentials";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("the browser refused the wallet's storage"));
    req.onblocked = () => reject(new Error("another tab holds an older version of the wallet's storage open; close it"));
  });
}

function run<T>(mode: IDBTransactionMode, work: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return open().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        const req = work(tx.objectStore(STORE));
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
