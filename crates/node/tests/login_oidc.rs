//! The login service with a real OpenID Connect client: `dojang demo login --stay` sets up the
//! chain, the registry, the facilities and the login service; a Python facility built on
//! Authlib (installed in the project's .venv by scripts/venv.sh) logs the citizen in three
//! times, configured only from the discovery document, and validates each ID token.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::EXE;

/// Stops the demo (and the node it started) however the test ends.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

#[test]
fn an_authlib_facility_logs_a_citizen_in_from_discovery_alone() {
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(EXE)
        .args(["demo", "login", "--stay", "--dir"])
        .arg(dir.path())
        .env("DOJANG_LOG__FILTER", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut demo = Demo(child);
    let mut lines = BufReader::new(demo.0.stdout.take().unwrap()).lines().map_while(Result::ok);
    let line = lines
        .by_ref()
        .find(|l| l.starts_with("{\"") && l.contains("\"stay\":true"))
        .expect("the demo prints its JSON line");
    // The rest of the demo's output is read until it stops, so its last line has a reader.
    let drain = std::thread::spawn(move || lines.count());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc/login_authlib.py");
    let out = Command::new("python3").arg(script).env("LOGIN_DEMO", &line).env("DOJANG_BIN", EXE).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}\n(Authlib comes from the project's .venv: run scripts/venv.sh and put .venv/bin first on PATH, as scripts/test.sh does)",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("\"authlib\": \"ok\""), "{stdout}");
    drop(demo);
    let _ = drain.join();
}
