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
"$(dirname "$0")/apt-install.sh" "the PKCS#11 tests need it; or set DOJANG_PKCS11_MODULE to an installed SoftHSM2 >= 2.6" softhsm2
if [ ! -e "$module" ]; then
  echo "scripts/softhsm.sh: softhsm2 installed but $module is missing; set DOJANG_PKCS11_MODULE" >&2
  exit 1
fi
