#!/usr/bin/env bash
# The pages the node serves: type-checks web/, rebuilds crates/web/assets/app.js and fails if
# it differs from the committed file (the binary embeds the committed one, so the two must
# not drift), then runs the browser tests against a real dev node in Debian's Chromium.
# Needs sdk-ts/ installed and built first (scripts/sdk-ts.sh does both).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/chromium.sh
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
cd web
npm ci --no-audit --no-fund --loglevel=error
npm run build
if ! git diff --quiet -- ../crates/web/assets/app.js; then
  echo "scripts/web.sh: crates/web/assets/app.js is not what web/ builds; run 'cd web && npm run build' and commit it" >&2
  exit 1
fi
DOJANG_BIN="$target_dir/debug/dojang" npm test
