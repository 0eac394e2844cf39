//! The node's configuration: one TOML file in the home directory, with environment overrides
//! of the form `DOJANG_<SECTION>__<KEY>` (e.g. `DOJANG_API__LISTEN_ADDR=0.0.0.0:8080`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use dojang_api::ApiSettings;
use dojang_consensus::ConsensusSettings;
use dojang_ledger::LedgerConfig;
pub use dojang_service::node::default_home;
pub use dojang_service::settings::{load_toml, relative};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// This node's name in logs and peer lists (an agency's node name, never a person's).
    pub moniker: String,
    #[serde(default)]
    pub log: LogSettings,
    #[serde(default)]
    pub api: ApiSettings,
    #[serde(default)]
    pub consensus: ConsensusSettings,
    #[serde(default)]
    pub ledger: LedgerConfig,
    /// The key that signs this node's votes and proposals: a key file (default) or a PKCS#11
    /// key in an HSM (`kind = "pkcs11"`).
    #[serde(default)]
    pub signer: crate::keys::SignerSettings,
    /// The organisation this node holds private collection payloads for.
    #[serde(default)]
    pub private: PrivateSettings,
    /// The state trie: how many keys to size it for, its cache and its threads.
    #[serde(default)]
    pub state: StateSettings,
}

/// The state trie (decision 0027, docs/operations.md "State trie").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateSettings {
    /// The state keys the chain is expected to reach. The trie's hash table is sized for it
    /// when the node first creates its store and cannot grow while the node runs; the
    /// `state_table_occupancy` metric says how full it is (grow it before 0.8).
    pub expected_keys: u64,
    /// Memory for the trie's cached pages and values together, in MiB.
    pub cache_mb: usize,
    /// Threads computing each block's state root.
    pub threads: usize,
}

impl Default for StateSettings {
    fn default() -> Self {
        let d = dojang_store::StateOptions::default();
        StateSettings { expected_keys: d.expected_keys, cache_mb: d.cache_mb, threads: d.threads }
    }
}

impl StateSettings {
    pub fn options(&self) -> dojang_store::StateOptions {
        dojang_store::StateOptions { expected_keys: self.expected_keys, cache_mb: self.cache_mb, threads: self.threads }
    }
}

/// Private data collections on this node (docs/modules/collections.md).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrivateSettings {
    /// The key file of the member organisation this node serves (relative to the home). The
    /// node holds the payloads of every collection whose members include that account, fetches
    /// them from the other nodes signed with it, and serves them only to members. Without
    /// one the node holds no payloads and refuses every private request.
    pub member_key: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// A tracing filter, e.g. `info` or `info,dojang_ledger=debug`.
    pub filter: String,
    /// `text` or `json`.
    pub format: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings { filter: "info,arc_malachitebft=warn".into(), format: "text".into() }
    }
}

/// The files of a node home directory.
pub struct Home(pub PathBuf);

impl Home {
    pub fn config(&self) -> PathBuf {
        self.0.join("config.toml")
    }
    pub fn genesis(&self) -> PathBuf {
        self.0.join("genesis.json")
    }
    pub fn validator_key(&self) -> PathBuf {
        self.0.join("keys").join("validator.json")
    }
    /// The node's network identity; created on first start if missing.
    pub fn network_key(&self) -> PathBuf {
        self.0.join("keys").join("network.json")
    }
    pub fn data(&self) -> PathBuf {
        self.0.join("data")
    }
    pub fn db(&self) -> PathBuf {
        self.data().join("ledger.redb")
    }
    /// Payloads and salts of private collections, beside the ledger, never inside it.
    pub fn private(&self) -> PathBuf {
        self.data().join("private")
    }
}

impl Config {
    pub fn new(moniker: &str) -> Self {
        Config {
            moniker: moniker.to_string(),
            log: LogSettings::default(),
            api: ApiSettings::default(),
            consensus: ConsensusSettings::default(),
            ledger: LedgerConfig::default(),
            signer: Default::default(),
            private: PrivateSettings::default(),
            state: StateSettings::default(),
        }
    }

    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let text = toml::to_string_pretty(self).context("config serializes")?;
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
    }

    /// Loads the file and applies `DOJANG_<SECTION>__<KEY>` environment overrides.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        if !path.exists() {
            bail!(
                "{} does not exist: create the node's home with `dojang init` (or `dojang dev`) first",
                path.display()
            );
        }
        load_toml(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signer_section_reads_key_file_and_pkcs11_and_refuses_unknown_fields() {
        let c: Config = toml::from_str("moniker = \"a\"").unwrap();
        assert_eq!(c.signer, crate::keys::SignerSettings::default());
        let c: Config = toml::from_str(&toml::to_string(&Config::new("a")).unwrap()).unwrap();
        assert_eq!(c.signer, crate::keys::SignerSettings::default());
        let text = "moniker = \"a\"\n[signer]\nkind = \"pkcs11\"\nmodule = \"/usr/lib/softhsm/libsofthsm2.so\"\ntoken = \"t\"\nkey_label = \"validator\"\npin_file = \"pin\"\n";
        let c: Config = toml::from_str(text).unwrap();
        let crate::keys::SignerSettings::Pkcs11(p) = &c.signer else { panic!("{:?}", c.signer) };
        assert_eq!((p.token.as_str(), p.key_label.as_str()), ("t", "validator"));
        let again: Config = toml::from_str(&toml::to_string(&c).unwrap()).unwrap();
        assert_eq!(again.signer, c.signer);
        assert!(toml::from_str::<Config>(&text.replace("token", "tokn")).is_err());
        let c: Config = toml::from_str("moniker = \"a\"\n[signer]\nkind = \"key_file\"\npath = \"k.json\"\n").unwrap();
        assert!(matches!(c.signer, crate::keys::SignerSettings::KeyFile { path: Some(_) }));
        assert!(toml::from_str::<Config>("moniker = \"a\"\n[signer]\nkind = \"yubikey\"\n").is_err());
    }

    #[test]
    fn unknown_settings_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        std::fs::write(&p, "moniker = \"a\"\nbogus = 1\n").unwrap();
        let err = format!("{:#}", Config::load(&p).unwrap_err());
        assert!(err.contains("bogus"), "{err}");
    }

    #[test]
    fn the_example_production_config_in_deploy_loads_and_tls_paths_are_read() {
        let text = include_str!("../../../deploy/config.production.toml");
        let c: Config = toml::from_str(text).unwrap();
        assert_eq!(c.log.format, "json");
        assert!(matches!(c.signer, crate::keys::SignerSettings::Pkcs11(_)));
        assert_eq!(c.consensus.persistent_peers.len(), 3);
        let with_tls = text
            .replace("# [api.tls]", "[api.tls]")
            .replace("# cert_file", "cert_file")
            .replace("# key_file", "key_file");
        let c: Config = toml::from_str(&with_tls).unwrap();
        let tls = c.api.tls.expect("the tls section");
        assert_eq!(tls.cert_file, std::path::PathBuf::from("tls/fullchain.pem"));
        assert!(toml::from_str::<Config>(&with_tls.replace("key_file", "keyfile")).is_err());
    }
}
