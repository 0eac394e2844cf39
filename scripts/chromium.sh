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
if ! command -v apt-get >/dev/null 2>&1; then
  echo "scripts/chromium.sh: Chromium ($browser) or a Korean font is missing and apt-get is not available;" >&2
  echo "install Chromium and a Korean font, and set DOJANG_CHROMIUM to the browser" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "scripts/chromium.sh: installing Chromium needs root: apt-get install chromium fonts-nanum" >&2
    exit 1
  fi
fi
echo "installing chromium and fonts-nanum (the browser tests need them)" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq chromium fonts-nanum >/dev/null
if [ ! -x "$browser" ]; then
  echo "scripts/chromium.sh: chromium installed but $browser is missing; set DOJANG_CHROMIUM" >&2
  exit 1
fi
