#!/usr/bin/env bash
# The project's test command (README): every Rust test, including the ones that start real
# nodes on loopback (one with its validator key in SoftHSM2), the non-Rust check of the
# transaction signing test vector (Python, and the TypeScript SDK against it and a real node),
# the web pages in Debian's Chromium against a real node, and schemathesis against the API's
# own OpenAPI document.
set -euo pipefail
cd "$(dirname "$0")/.."
# Python tools live in a project-local venv (.venv, not committed): the IETF SD-JWT reference
# implementation the interoperability test runs, and schemathesis. Tests find them first on PATH.
scripts/venv.sh
export PATH="$PWD/.venv/bin:$PATH"
# SoftHSM2 for the PKCS#11 signer tests (Ed25519 and P-256 keys in a throwaway token).
scripts/softhsm.sh
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi
python3 docs/examples/tx_vector.py
scripts/sdk-ts.sh
scripts/web.sh
scripts/schemathesis.sh
