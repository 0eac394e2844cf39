#!/usr/bin/env bash
# The project's test command (README): every Rust test, including the ones that start real
# nodes on loopback, plus the non-Rust check of the transaction signing test vector.
set -euo pipefail
cd "$(dirname "$0")/.."
# The SD-JWT interoperability test runs the IETF reference implementation (Python, pinned).
python3 -m pip install --quiet --disable-pip-version-check -r crates/credentials/tests/interop/requirements.txt
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi
python3 docs/examples/tx_vector.py
