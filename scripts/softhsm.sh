#!/usr/bin/env bash
# Makes sure SoftHSM2 (Debian's `softhsm2`: the PKCS#11 module and softhsm2-util) is installed,
# because the PKCS#11 tests (crates/pkcs11/tests, crates/node/tests/hsm.rs) sign with keys in
# throwaway SoftHSM2 tokens and fail when it is missing. Installs it with apt-get when it can;
# otherwise says how and fails.
set -euo pipefail
module="${DOJANG_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}"
if [ -e "$module" ] && command -v softhsm2-util >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "scripts/softhsm.sh: SoftHSM2 is missing ($module) and apt-get is not available;" >&2
  echo "install SoftHSM2 >= 2.6 with your package manager and set DOJANG_PKCS11_MODULE to its module" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "scripts/softhsm.sh: SoftHSM2 is missing and installing it needs root: apt-get install softhsm2" >&2
    exit 1
  fi
fi
echo "installing softhsm2 (the PKCS#11 tests need it)" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq softhsm2 >/dev/null
if [ ! -e "$module" ]; then
  echo "scripts/softhsm.sh: softhsm2 installed but $module is missing; set DOJANG_PKCS11_MODULE" >&2
  exit 1
fi
