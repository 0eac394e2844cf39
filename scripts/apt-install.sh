#!/usr/bin/env bash
# Installs Debian packages a test needs: `scripts/apt-install.sh WHY PACKAGE...`. Uses sudo
# when not root; when apt-get is missing or root cannot be had, says what to install and fails.
set -euo pipefail
why="$1"
shift
if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing: $* ($why), and apt-get is not available; install them with your package manager" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "missing: $* ($why); installing needs root: apt-get install $*" >&2
    exit 1
  fi
fi
echo "installing $* ($why)" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "$@" >/dev/null
