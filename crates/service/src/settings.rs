//! Settings files. Every program of the binary (a node, an issuer, a program office) reads one
//! TOML file, and an operator overrides any setting with `DOJANG_<SECTION>__<KEY>` in the
//! environment (a container, a systemd unit) without editing the file.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// The command line's own variables, which are not settings.
const NOT_SETTINGS: [&str; 10] = [
    "HOME",
    "NODE",
    "WALLET",
    "WALLET_PASSPHRASE",
    "GENESIS",
    "KEY_PASSPHRASE",
    "KEY_PASSPHRASE_FILE",
    "PKCS11_PIN",
    "PKCS11_PIN_FILE",
    "PKCS11_MODULE",
];

/// The log filter and whether to log JSON, for a program whose settings file has no `[log]`
/// (a service, a demo, a benchmark): from `DOJANG_LOG__FILTER` (default `warn`: what needs a
/// look, not every request) and `DOJANG_LOG__FORMAT` (`json` or text).
pub fn log_from_env() -> (String, bool) {
    let filter = std::env::var("DOJANG_LOG__FILTER").unwrap_or_else(|_| "warn".into());
    let json = std::env::var("DOJANG_LOG__FORMAT").is_ok_and(|f| f.trim_matches('"') == "json");
    (filter, json)
}

/// A path from a settings file, relative to the file's directory unless absolute.
pub fn relative(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// Reads a TOML settings file with `DOJANG_<SECTION>__<KEY>` environment overrides applied.
pub fn load_toml<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut doc: toml::Table = text.parse().with_context(|| format!("{} is not valid TOML", path.display()))?;
    apply_env(&mut doc, std::env::vars())?;
    toml::Value::Table(doc).try_into().with_context(|| {
        format!(
            "{} has an invalid setting (or a DOJANG_<SECTION>__<KEY> variable in the environment sets one)",
            path.display()
        )
    })
}

/// Applies the `DOJANG_...` variables among `vars` to `doc`: `__` separates sections, a value
/// is read as TOML (a number, a boolean, an array) and otherwise taken as a string. The `log`
/// section is every program's (`DOJANG_LOG__FILTER`): it applies to a file that has one (a
/// node's), and a service without one logs by the same variables (see [`log_from_env`]).
pub fn apply_env(doc: &mut toml::Table, vars: impl Iterator<Item = (String, String)>) -> anyhow::Result<()> {
    for (name, value) in vars {
        let Some(rest) = name.strip_prefix("DOJANG_") else { continue };
        if NOT_SETTINGS.contains(&rest) || (rest.starts_with("LOG__") && !doc.contains_key("log")) {
            continue;
        }
        let path: Vec<String> = rest.split("__").map(|p| p.to_ascii_lowercase()).collect();
        if path.iter().any(|p| p.is_empty()) {
            bail!("environment variable {name} is not of the form DOJANG_<SECTION>__<KEY>");
        }
        let parsed: toml::Value = format!("v = {value}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or(toml::Value::String(value.clone()));
        let mut table = &mut *doc;
        for part in &path[..path.len() - 1] {
            table = table
                .entry(part.clone())
                .or_insert_with(|| toml::Value::Table(Default::default()))
                .as_table_mut()
                .with_context(|| format!("{name}: '{part}' is not a section"))?;
        }
        table.insert(path[path.len() - 1].clone(), parsed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(v: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>().into_iter()
    }

    #[test]
    fn env_overrides_sections_and_scalars_and_skips_the_command_lines_variables() {
        let mut doc: toml::Table = "moniker = \"n\"\n[api]\nlisten_addr = \"127.0.0.1:8080\"\n".parse().unwrap();
        let v = vars(&[
            ("DOJANG_API__LISTEN_ADDR", "127.0.0.1:9999"),
            ("DOJANG_CONSENSUS__IDLE_BLOCK_INTERVAL_MS", "250"),
            ("DOJANG_API__PEERS", "[\"http://a\", \"http://b\"]"),
            ("DOJANG_MONIKER", "district-office"),
            ("DOJANG_HOME", "/ignored"),
            ("DOJANG_WALLET_PASSPHRASE", "not a setting"),
            ("DOJANG_KEY_PASSPHRASE", "not a setting"),
            ("DOJANG_PKCS11_PIN_FILE", "not a setting"),
            ("OTHER", "x"),
        ]);
        apply_env(&mut doc, v).unwrap();
        assert_eq!(doc["api"]["listen_addr"].as_str(), Some("127.0.0.1:9999"));
        assert_eq!(doc["consensus"]["idle_block_interval_ms"].as_integer(), Some(250));
        assert_eq!(doc["api"]["peers"].as_array().map(Vec::len), Some(2));
        assert_eq!(doc["moniker"].as_str(), Some("district-office"));
        assert_eq!(doc.len(), 3, "only moniker, api and consensus: {doc:?}");
    }

    #[test]
    fn the_log_variables_set_a_files_log_section_and_leave_a_file_without_one_alone() {
        let logs = || vars(&[("DOJANG_LOG__FILTER", "error"), ("DOJANG_LOG__FORMAT", "json")]);
        let mut node: toml::Table = "[log]\nfilter = \"info\"\n".parse().unwrap();
        apply_env(&mut node, logs()).unwrap();
        assert_eq!((node["log"]["filter"].as_str(), node["log"]["format"].as_str()), (Some("error"), Some("json")));
        // A service's file (the labour desk's) has no [log]: it logs by the variables instead.
        let mut desk: toml::Table = "[desk]\nnode = \"http://127.0.0.1:8080\"\n".parse().unwrap();
        apply_env(&mut desk, logs()).unwrap();
        assert_eq!(desk.keys().collect::<Vec<_>>(), ["desk"], "{desk:?}");
    }

    #[test]
    fn malformed_variable_names_and_scalars_used_as_sections_are_refused() {
        let mut doc: toml::Table = "moniker = \"n\"\n".parse().unwrap();
        let err = apply_env(&mut doc, vars(&[("DOJANG_API____X", "1")])).unwrap_err();
        assert!(err.to_string().contains("DOJANG_<SECTION>__<KEY>"), "{err}");
        let err = apply_env(&mut doc, vars(&[("DOJANG_MONIKER__X", "1")])).unwrap_err();
        assert!(err.to_string().contains("'moniker' is not a section"), "{err}");
    }

    #[test]
    fn a_settings_file_that_is_not_toml_or_missing_says_which_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("office.toml");
        std::fs::write(&p, "listen = [").unwrap();
        let err = format!("{:#}", load_toml::<toml::Table>(&p).unwrap_err());
        assert!(err.contains("office.toml is not valid TOML"), "{err}");
        let err = format!("{:#}", load_toml::<toml::Table>(&dir.path().join("none.toml")).unwrap_err());
        assert!(err.contains("cannot read") && err.contains("none.toml"), "{err}");
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        struct Office {
            listen: String,
        }
        std::fs::write(&p, "listen = \"x\"\n").unwrap();
        assert_eq!(load_toml::<Office>(&p).unwrap().listen, "x");
        std::fs::write(&p, "listen = \"x\"\nbogus = 1\n").unwrap();
        let err = format!("{:#}", load_toml::<Office>(&p).unwrap_err());
        assert!(err.contains("invalid setting") && err.contains("DOJANG_") && err.contains("bogus"), "{err}");
    }

    #[test]
    fn relative_paths_are_taken_from_the_settings_directory() {
        assert_eq!(
            relative(Path::new("/etc/dojang"), Path::new("keys/a.json")),
            PathBuf::from("/etc/dojang/keys/a.json")
        );
        assert_eq!(relative(Path::new("/etc/dojang"), Path::new("/k.json")), PathBuf::from("/k.json"));
    }
}
