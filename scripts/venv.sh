#!/usr/bin/env bash
# Creates (or updates) the project-local Python venv in .venv with the pinned tools the tests use.
set -euo pipefail
cd "$(dirname "$0")/.."
# Every package, direct or pulled in, is pinned by scripts/constraints.txt; nothing is installed
# outside .venv.
requirements=scripts/requirements.txt
constraints=scripts/constraints.txt
if [ ! -x .venv/bin/python3 ]; then
  python3 -m venv .venv
fi
stamp=.venv/.requirements
if ! cat "$requirements" "$constraints" | cmp -s - "$stamp"; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements" -c "$constraints"
  cat "$requirements" "$constraints" > "$stamp"
fi
