#!/usr/bin/env bash
# Creates (or updates) the project-local Python venv in .venv with the pinned tools the tests use.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=scripts/requirements.txt
if [ ! -x .venv/bin/python3 ]; then
  python3 -m venv .venv
fi
stamp=.venv/.requirements
if ! cmp -s "$requirements" "$stamp"; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$stamp"
fi
