// A TypeScript client for a dojang node. Transactions are built and signed here with
// Ed25519 or P-256 (in memory, or a browser's non-extractable WebCrypto key) and are
// byte-identical to the Rust SDK's (docs/transactions.md).

export { concat, fromHex, toHex } from "./bytes.js";
export { Ed25519Signer, P256Signer, PublicKey, WebCryptoP256Signer, keyFileSigner, verifySignature } from "./keys.js";
export type { Algorithm, Signer } from "./keys.js";
export { MAX_TX_BYTES, TX_DOMAIN, TxBuilder, encodeBody, signTx, signingBytes, txId } from "./tx.js";
export type { ModuleMessage, SignedTx, TxBody } from "./tx.js";
export { Client, NotFinalError, ProblemError, RefusedError } from "./client.js";
export type { Receipt, Submitted } from "./client.js";
