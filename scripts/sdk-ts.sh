#!/usr/bin/env bash
# The TypeScript SDK's tests: the signing vector of docs/transactions.md and a real dev node
# (the debug `dojang` binary). Its npm packages are pinned in sdk-ts/package-lock.json and
# installed into sdk-ts/node_modules (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet -p dojang-node --bin dojang
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
cd sdk-ts
npm ci --no-audit --no-fund --loglevel=error
DOJANG_BIN="$target_dir/debug/dojang" npm test
