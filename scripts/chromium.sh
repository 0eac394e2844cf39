#!/usr/bin/env bash
# Makes sure Debian's Chromium (the browser tests drive it with playwright-core; a test tool's
# own browser download cannot work on a closed network) and a Korean font (so screenshots of
# the Korean pages are legible) are installed. Installs them with apt-get when it can;
# otherwise says how and fails.
set -euo pipefail
browser="${DOJANG_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$browser" ] && fc-list 2>/dev/null | grep -qi nanum; then
  exit 0
fi
"$(dirname "$0")/apt-install.sh" "the browser tests drive Chromium; screenshots need a Korean font; or set DOJANG_CHROMIUM" chromium fonts-nanum
if [ ! -x "$browser" ]; then
  echo "scripts/chromium.sh: chromium installed but $browser is missing; set DOJANG_CHROMIUM" >&2
  exit 1
fi
