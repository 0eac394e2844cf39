// Public keys, addresses and signers. A signer signs the transaction's signing bytes:
// Ed25519 directly, P-256 as ECDSA with SHA-256, 64 bytes r‖s (docs/transactions.md).

import { ed25519 } from "@noble/curves/ed25519";
import { p256 } from "@noble/curves/nist";
import { sha256 } from "@noble/hashes/sha2";

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
    const parts = text.split(":");
    const [alg, hex] = parts;
    if (parts.length !== 2 || (alg !== "ed25519" && alg !== "p256") || hex === undefined) {
      throw new Error(`'${text}' is not ed25519:<hex> or p256:<hex>`);
    }
    return new PublicKey(alg, fromHex(hex.toLowerCase()));
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

/** Object identifiers: id-ecPublicKey (1.2.840.10045.2.1) and prime256v1 (1.2.840.10045.3.1.7). */
const ID_EC_PUBLIC_KEY = "2a8648ce3d0201";
const PRIME256V1 = "2a8648ce3d030107";

/** A reader of DER tag-length-value items, for the few structures a key file holds. */
class Der {
  private at = 0;

  constructor(
    readonly bytes: Uint8Array,
    private readonly fail: (why: string) => never,
  ) {}

  peek(): number | undefined {
    return this.bytes[this.at];
  }

  /** The next item, which must have `tag`; its contents as a reader. */
  take(tag: number, what: string): Der {
    if (this.bytes[this.at] !== tag) this.fail(`expected ${what}`);
    let len = this.bytes[this.at + 1];
    let start = this.at + 2;
    if (len === undefined) return this.fail(`${what} is cut short`);
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n < 1 || n > 2) this.fail(`${what} has an unsupported length`);
      len = 0;
      for (let i = 0; i < n; i++) len = (len << 8) | (this.bytes[start + i] ?? this.fail(`${what} is cut short`));
      start += n;
    }
    if (start + len > this.bytes.length) this.fail(`${what} is cut short`);
    this.at = start + len;
    return new Der(this.bytes.subarray(start, start + len), this.fail);
  }

  /** The next item must be `tag` with exactly these contents (hex). */
  expect(tag: number, hex: string, what: string): void {
    if (toHex(this.take(tag, what).bytes) !== hex) this.fail(`expected ${what}`);
  }

  end(what: string): void {
    if (this.at !== this.bytes.length) this.fail(what);
  }
}

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
   * and OpenSSL export): exactly PrivateKeyInfo { 0, { ecPublicKey, prime256v1 },
   * ECPrivateKey { 1, 32-byte key, [1] public key } }, nothing after it, and the embedded public
   * key must be this private key's.
   */
  static fromPkcs8(der: Uint8Array): P256Signer {
    const fail = (why: string): never => {
      throw new Error(`not a PKCS#8 P-256 private key: ${why}`);
    };
    const outer = new Der(der, fail);
    const info = outer.take(0x30, "PrivateKeyInfo");
    outer.end("bytes after the key");
    info.expect(0x02, "00", "version 0");
    const alg = info.take(0x30, "algorithm");
    alg.expect(0x06, ID_EC_PUBLIC_KEY, "the ecPublicKey algorithm");
    alg.expect(0x06, PRIME256V1, "the P-256 curve");
    alg.end("algorithm parameters");
    const ec = new Der(info.take(0x04, "private key").bytes, fail).take(0x30, "ECPrivateKey");
    info.end("attributes (not used by dojang keys)");
    ec.expect(0x02, "01", "ECPrivateKey version 1");
    const scalar = ec.take(0x04, "the 32-byte key").bytes;
    if (scalar.length !== 32) fail("the key is not 32 bytes");
    if (ec.peek() === 0xa0) ec.take(0xa0, "parameters");
    const pub = ec.take(0xa1, "the public key").take(0x03, "the public key bits").bytes;
    ec.end("ECPrivateKey fields after the public key");
    const signer = new P256Signer(scalar);
    if (pub[0] !== 0 || toHex(pub.subarray(1)) !== toHex(signer.publicKey.bytes)) {
      fail("its public key does not match its private key");
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
      : p256.verify(signature, sha256(message), key.bytes, { lowS: false, format: "compact" });
  } catch {
    return false;
  }
}

/**
 * Builds the Ed25519 base-point tables now rather than inside the first verification (about
 * 40 ms in a browser): a page calls it while its first request is on the network, so the
 * first proof check costs what every later one does.
 */
export function precomputeVerification(): void {
  ed25519.Point.BASE.precompute(8, false);
}

/** The signer of a dojang key file in clear (`secret_hex`: an Ed25519 seed or a P-256 PKCS#8). */
export function keyFileSigner(file: {
  algorithm: string;
  public_key: string;
  address: string;
  secret_hex?: string;
}): Signer {
  if (!file.secret_hex) throw new Error("the key file is encrypted or has no secret; decrypt it with the dojang CLI first");
  const secret = fromHex(file.secret_hex);
  const signer =
    file.algorithm === "ed25519"
      ? new Ed25519Signer(secret)
      : file.algorithm === "p256"
        ? P256Signer.fromPkcs8(secret)
        : null;
  if (!signer) throw new Error(`unknown key algorithm '${file.algorithm}'`);
  // Like the Rust CLI: a file whose secret does not give its recorded key and address is refused.
  if (signer.publicKey.toString() !== PublicKey.parse(file.public_key).toString() || signer.publicKey.address() !== file.address) {
    throw new Error("the key file's secret does not match its public key and address");
  }
  return signer;
}
