//! Throwaway SoftHSM2 tokens for tests and walk-throughs: a token directory and configuration
//! of its own (`SOFTHSM2_CONF`), so nothing touches the machine's real tokens.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where Debian's `softhsm2` package puts the module; `DOJANG_PKCS11_MODULE` overrides it.
pub const DEBIAN_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// The SoftHSM2 module to use, or why there is none (and how to get it).
pub fn module() -> Result<PathBuf, String> {
    let path = std::env::var_os("DOJANG_PKCS11_MODULE").map_or_else(|| PathBuf::from(DEBIAN_MODULE), PathBuf::from);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "the SoftHSM2 module {} is missing: run scripts/softhsm.sh (installs Debian's softhsm2) or set DOJANG_PKCS11_MODULE",
            path.display()
        ))
    }
}

/// A SoftHSM2 configuration whose tokens live under one directory.
#[derive(Clone, Debug)]
pub struct SoftHsm {
    /// Set `SOFTHSM2_CONF` to this before the module is first loaded in a process.
    pub conf: PathBuf,
    pub module: PathBuf,
}

impl SoftHsm {
    /// Writes `softhsm2.conf` and a `tokens/` directory under `dir`.
    pub fn create(dir: &Path) -> Result<SoftHsm, String> {
        let module = module()?;
        let tokens = dir.join("tokens");
        std::fs::create_dir_all(&tokens).map_err(|e| format!("cannot create {}: {e}", tokens.display()))?;
        let conf = dir.join("softhsm2.conf");
        let text = format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
            tokens.display()
        );
        std::fs::write(&conf, text).map_err(|e| format!("cannot write {}: {e}", conf.display()))?;
        Ok(SoftHsm { conf, module })
    }

    /// Initializes a new token in the first free slot (`softhsm2-util --init-token --free`).
    pub fn init_token(&self, label: &str, so_pin: &str, pin: &str) -> Result<(), String> {
        let out = Command::new("softhsm2-util")
            .env("SOFTHSM2_CONF", &self.conf)
            .args(["--init-token", "--free", "--label", label, "--so-pin", so_pin, "--pin", pin])
            .output()
            .map_err(|e| format!("cannot run softhsm2-util (run scripts/softhsm.sh): {e}"))?;
        if !out.status.success() {
            return Err(format!("softhsm2-util --init-token failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(())
    }
}
