// Public keys, addresses and signers. A signer signs the transaction's signing bytes:
// Ed25519 directly, P-256 as ECDSA with SHA-256, 64 bytes r‖s (docs/transactions.md).

import { ed25519 } from "@noble/curves/ed25519";
import { p256 } from "@noble/curves/p256";
import { sha256 } from "@noble/hashes/sha256";

import { concat, fromHex, toHex, utf8 } from "./bytes.js";

export type Algorithm = "ed25519" | "p256";

/** A public key: Ed25519 (32 bytes) or P-256 (65 bytes, uncompressed `04‖x‖y`). */
export class PublicKey {
  constructor(
    readonly algorithm: Algorithm,
    readonly bytes: Uint8Array,
  ) {
    const want = algorithm === "ed25519" ? 32 : 65;
    if (bytes.length !== want) throw new Error(`a ${algorithm} public key is ${want} bytes, not ${bytes.length}`);
    if (algorithm === "p256" && bytes[0] !== 4) throw new Error("a P-256 public key must be uncompressed (04‖x‖y)");
  }

  /** `ed25519:<hex>` or `p256:<hex>`, as the node prints keys. */
  static parse(text: string): PublicKey {
    const [alg, hex] = text.split(":");
    if ((alg !== "ed25519" && alg !== "p256") || hex === undefined) {
      throw new Error(`'${text}' is not ed25519:<hex> or p256:<hex>`);
    }
    return new PublicKey(alg, fromHex(hex));
  }

  toString(): string {
    return `${this.algorithm}:${toHex(this.bytes)}`;
  }

  /** The borsh enum the body carries: tag 0 (Ed25519) or 1 (P-256), then the key. */
  borsh(): Uint8Array {
    return concat(Uint8Array.of(this.algorithm === "ed25519" ? 0 : 1), this.bytes);
  }

  /** `dj` ‖ hex of the first 20 bytes of SHA-256("dojang/address/v1" ‖ borsh(key)). */
  address(): string {
    return "dj" + toHex(sha256(concat(utf8("dojang/address/v1"), this.borsh())).slice(0, 20));
  }
}

/** Anything that signs for one key: a key in memory, a browser's non-extractable key, an HSM. */
export interface Signer {
  readonly publicKey: PublicKey;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** An Ed25519 key from its 32-byte secret seed. */
export class Ed25519Signer implements Signer {
  readonly publicKey: PublicKey;

  constructor(private readonly seed: Uint8Array) {
    if (seed.length !== 32) throw new Error("an Ed25519 secret seed is 32 bytes");
    this.publicKey = new PublicKey("ed25519", ed25519.getPublicKey(seed));
  }

  static generate(): Ed25519Signer {
    return new Ed25519Signer(ed25519.utils.randomPrivateKey());
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return ed25519.sign(message, this.seed);
  }
}

/** The P-256 curve's object identifier (1.2.840.10045.3.1.7), DER-encoded. */
const P256_OID = "06082a8648ce3d030107";
/** ECPrivateKey version 1, then the 32-byte private key octet string's header. */
const EC_PRIVATE_KEY_V1 = "0201010420";

/** A P-256 key from its 32-byte secret scalar (or a PKCS#8 key with `fromPkcs8`). */
export class P256Signer implements Signer {
  readonly publicKey: PublicKey;

  constructor(private readonly secret: Uint8Array) {
    if (secret.length !== 32) throw new Error("a P-256 secret key is 32 bytes");
    this.publicKey = new PublicKey("p256", p256.getPublicKey(secret, false));
  }

  static generate(): P256Signer {
    return new P256Signer(p256.utils.randomPrivateKey());
  }

  /**
   * From a PKCS#8 DER private key (what a dojang key file holds for P-256, and what WebCrypto
   * and OpenSSL export). Only P-256 keys are taken; an embedded public key must match.
   */
  static fromPkcs8(der: Uint8Array): P256Signer {
    const hex = toHex(der);
    if (!hex.startsWith("30") || !hex.includes(P256_OID)) throw new Error("not a PKCS#8 P-256 private key");
    const at = hex.indexOf(EC_PRIVATE_KEY_V1);
    if (at < 0 || hex.length < at + EC_PRIVATE_KEY_V1.length + 64) throw new Error("the PKCS#8 key holds no 32-byte P-256 scalar");
    const start = at + EC_PRIVATE_KEY_V1.length;
    const signer = new P256Signer(fromHex(hex.slice(start, start + 64)));
    const embedded = hex.indexOf("034200", start + 64);
    if (embedded >= 0 && hex.slice(embedded + 6, embedded + 6 + 130) !== toHex(signer.publicKey.bytes)) {
      throw new Error("the PKCS#8 key's public key does not match its private key");
    }
    return signer;
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return p256.sign(sha256(message), this.secret).toCompactRawBytes();
  }
}

/**
 * A P-256 key held by WebCrypto, created non-extractable: the page can sign with it but no
 * script can read it out. WebCrypto's ECDSA signatures are already r‖s, 64 bytes.
 */
export class WebCryptoP256Signer implements Signer {
  private constructor(
    readonly publicKey: PublicKey,
    private readonly key: CryptoKey,
  ) {}

  /** A new key pair whose private half cannot be exported. */
  static async generate(subtle: SubtleCrypto = globalThis.crypto.subtle): Promise<WebCryptoP256Signer> {
    const pair = await subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
    return WebCryptoP256Signer.fromKeyPair(pair, subtle);
  }

  /** A stored key pair (e.g. from IndexedDB). */
  static async fromKeyPair(pair: CryptoKeyPair, subtle: SubtleCrypto = globalThis.crypto.subtle): Promise<WebCryptoP256Signer> {
    const raw = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
    const signer = new WebCryptoP256Signer(new PublicKey("p256", raw), pair.privateKey);
    signer.subtle = subtle;
    return signer;
  }

  private subtle: SubtleCrypto = globalThis.crypto.subtle;

  async sign(message: Uint8Array): Promise<Uint8Array> {
    // A copy on its own ArrayBuffer: WebCrypto takes no views of shared memory.
    const sig = await this.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, this.key, new Uint8Array(message));
    return new Uint8Array(sig);
  }
}

/** Checks a signature the way a node does (P-256 accepts either half of s, as the node does). */
export function verifySignature(key: PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    return key.algorithm === "ed25519"
      ? ed25519.verify(signature, message, key.bytes)
      : p256.verify(signature, sha256(message), key.bytes, { lowS: false });
  } catch {
    return false;
  }
}

/** The signer of a dojang key file in clear (`secret_hex`: an Ed25519 seed or a P-256 PKCS#8). */
export function keyFileSigner(file: { algorithm: string; secret_hex?: string }): Signer {
  if (!file.secret_hex) throw new Error("the key file is encrypted or has no secret; decrypt it with the dojang CLI first");
  const secret = fromHex(file.secret_hex);
  if (file.algorithm === "ed25519") return new Ed25519Signer(secret);
  if (file.algorithm === "p256") return P256Signer.fromPkcs8(secret);
  throw new Error(`unknown key algorithm '${file.algorithm}'`);
}
