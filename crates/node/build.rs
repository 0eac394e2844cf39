//! Stamps the binary with the commit it was built from, for `dojang --version` and the
//! `dojang_build_info` metric: an operator reading a node's version must be able to find its
//! source. A build outside a git checkout (a source archive) says `unknown`.

use std::path::Path;
use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    // Not DOJANG_*: cargo also sets it for the package's tests, whose nodes would read it as a setting.
    println!("cargo:rustc-env=BUILD_GIT_COMMIT={commit}");
    // Rebuild the stamp when the checked-out commit moves (HEAD, or the branch it points at).
    let git = Path::new("../../.git");
    if let Ok(head) = std::fs::read_to_string(git.join("HEAD")) {
        println!("cargo:rerun-if-changed={}", git.join("HEAD").display());
        if let Some(reference) = head.trim().strip_prefix("ref: ") {
            println!("cargo:rerun-if-changed={}", git.join(reference).display());
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
