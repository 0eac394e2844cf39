#!/usr/bin/env python3
"""Rebuilds the test vector of docs/transactions.md with nothing but the Python standard
library, to show a non-Rust client how to produce the signing bytes and the transaction id.
If the `cryptography` package is installed, it also signs and checks the signature."""

import hashlib
import json
import struct
import sys

TX_DOMAIN = b"dojang/tx/v1\n"


def borsh_string(s: bytes) -> bytes:
    return struct.pack("<I", len(s)) + s


def tx_body(chain_id, sender_kind, sender_key, nonce, expires_at_ms, module, msg) -> bytes:
    return (
        borsh_string(chain_id.encode())
        + bytes([sender_kind])  # 0 = Ed25519 (32 bytes), 1 = P-256 uncompressed (65 bytes)
        + sender_key
        + struct.pack("<Q", nonce)
        + struct.pack("<Q", expires_at_ms)
        + borsh_string(module.encode())
        + borsh_string(msg)
    )


def main() -> int:
    seed = bytes([1] * 32)
    public = bytes.fromhex("8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c")
    msg = json.dumps(
        {"type": "anchor", "namespace": "demo", "root": "00" * 32, "leaves": 1}, separators=(",", ":")
    ).encode()
    body = tx_body("dojang-dev", 0, public, 1, 1_767_225_600_000, "anchor", msg)
    signing = TX_DOMAIN + body
    tx_id = hashlib.sha256(signing).hexdigest()
    assert tx_id == "88cbfb11f775a148fe00750ff1e98074c4a955438493837c6617c015bd9bd7eb", tx_id
    address = hashlib.sha256(b"dojang/address/v1" + bytes([0]) + public).hexdigest()[:40]
    assert "dj" + address == "dj38c05b9fd30d7976bebe65fa2720e862c2bde26c", address
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    except ImportError:
        print("signing bytes and id match (install 'cryptography' to check the signature too)")
        return 0
    key = Ed25519PrivateKey.from_private_bytes(seed)
    sig = key.sign(signing)
    assert sig.hex().startswith("a2e08e52477fc1b1"), sig.hex()
    encoded = body + bytes([0]) + sig  # signature variant 0 = Ed25519, then 64 bytes
    print("signing bytes, id, signature and encoding match:", encoded.hex()[:32] + "...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
