//! Creating a node home: config, validator key, genesis (with demo agencies and the legal
//! parameter tables from docs/domain.md when asked).

use std::path::Path;

use anyhow::{bail, Context};
use dojang_crypto::{Algorithm, KeyFile, KeyProtection, Keypair};
use dojang_ledger::{Genesis, GenesisValidator};
use serde_json::{json, Value};

use crate::config::{Config, Home};

/// Demo accounts: organisations, never people. (name, roles, label)
pub const DEMO_ACCOUNTS: &[(&str, &[&str], &str)] = &[
    ("admin", &["admin"], "Seoul city IT administration"),
    ("operator", &["operator"], "Seoul data centre operations"),
    ("resident-registry", &["issuer"], "Resident registration (MOIS) issuing office"),
    ("social-security", &["issuer"], "Social security information service"),
    ("employment-insurance", &["issuer"], "Employment insurance (COMWEL) issuing office"),
    ("public-works-office", &["verifier"], "Public-works job program office"),
    ("youth-allowance-office", &["verifier"], "Youth allowance program office"),
    ("audit-office", &["auditor"], "Seoul audit office"),
];

/// Legal figures as versioned, typed parameters (KRW, basis points, hours, days), from
/// `dojang_service::demo_params`. Figures marked (check) in docs/domain.md stay parameters,
/// never literals in code.
fn demo_params() -> Vec<Value> {
    dojang_service::demo_params()
}

/// Voting power of each genesis validator. A change may move at most a third of the power
/// (GOV-12), so a lone validator with power 100 can admit a second of power 33, and the set
/// grows to four in a few proposals (docs/operations.md).
pub const GENESIS_POWER: u64 = 100;

/// Writes a new single-validator home. With `demo`, adds the demo agencies' keys and roles
/// and the parameter tables; otherwise only an admin account. Every key it writes (validator,
/// network identity, accounts) is protected as `keys` says: encrypted for real chains, in clear
/// and marked for development chains (see docs/decisions/0010-key-files-at-rest.md).
pub fn init_home(
    home: &Home,
    chain_id: &str,
    moniker: &str,
    demo: bool,
    keys: KeyProtection<'_>,
) -> anyhow::Result<Genesis> {
    ensure_free(home)?;
    let validator = new_validator_key(home, keys)?;
    let validators =
        vec![GenesisValidator { name: moniker.to_string(), public_key: validator.public_key(), power: GENESIS_POWER }];
    let genesis = new_genesis(chain_id, validators, demo, &home.0.join("keys"), keys)?;
    write_genesis(&genesis, &home.genesis())?;
    Config::new(moniker).save(&home.config())?;
    Ok(genesis)
}

/// Writes a home that joins an existing chain: its own new key, the chain's genesis file and
/// the peers' addresses. It follows the chain as an observer until governance adds its key.
pub fn join_home(home: &Home, genesis: &Genesis, config: &Config, keys: KeyProtection<'_>) -> anyhow::Result<Keypair> {
    ensure_free(home)?;
    let key = new_validator_key(home, keys)?;
    write_genesis(genesis, &home.genesis())?;
    config.save(&home.config())?;
    Ok(key)
}

fn ensure_free(home: &Home) -> anyhow::Result<()> {
    if home.config().exists() {
        bail!("{} already holds a node (config.toml exists); choose another --home", home.0.display());
    }
    std::fs::create_dir_all(home.0.join("keys")).with_context(|| format!("cannot create {}", home.0.display()))
}

/// The validator key and the network identity, both protected as `keys` says.
fn new_validator_key(home: &Home, keys: KeyProtection<'_>) -> anyhow::Result<Keypair> {
    let key = Keypair::generate(Algorithm::Ed25519);
    KeyFile::save_new(&key, &home.validator_key(), keys)?;
    KeyFile::save_new(&Keypair::generate(Algorithm::Ed25519), &home.network_key(), keys)?;
    Ok(key)
}

/// A genesis for `validators`, with an admin account (and the demo agencies and parameter
/// tables with `demo`) whose keys are written to `keys_dir`.
pub fn new_genesis(
    chain_id: &str,
    validators: Vec<GenesisValidator>,
    demo: bool,
    keys_dir: &Path,
    keys: KeyProtection<'_>,
) -> anyhow::Result<Genesis> {
    std::fs::create_dir_all(keys_dir).with_context(|| format!("cannot create {}", keys_dir.display()))?;
    let mut accounts = Vec::new();
    let mut admin_address = None;
    let names: Vec<(&str, &[&str], &str)> =
        if demo { DEMO_ACCOUNTS.to_vec() } else { vec![("admin", &["admin"][..], "chain administrator")] };
    for (name, roles, label) in names {
        let alg = if name == "admin" { Algorithm::Ed25519 } else { Algorithm::P256 };
        let k = Keypair::generate(alg);
        KeyFile::save_new(&k, &keys_dir.join(format!("{name}.json")), keys)?;
        if name == "admin" {
            admin_address = Some(k.public_key().address());
        }
        accounts.push(json!({"address": k.public_key().address(), "roles": roles, "label": label}));
    }
    let params = if demo { demo_params() } else { vec![] };
    // A council of one, the admin: a development chain or a chain's first day. Agencies
    // enlarge it by its own proposal (`set_council`) before the chain carries real decisions.
    let council = json!({"members": [admin_address.context("the admin account is always created")?], "threshold": 1, "min_members": 1});
    let genesis = Genesis {
        chain_id: chain_id.to_string(),
        genesis_time_ms: dojang_types::wall_clock_ms(),
        validators,
        modules: [("governance".to_string(), json!({"council": council, "accounts": accounts, "params": params}))]
            .into(),
    };
    genesis.validate()?;
    Ok(genesis)
}

pub fn write_genesis(g: &Genesis, path: &Path) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(g)?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use dojang_governance::msg::GenesisParam;
    use dojang_labour::tables::keys;
    use dojang_labour::Tables;

    /// The demo chain carries every figure the labour rules read, in force on any date from
    /// 2025, with the kind of value each rule expects.
    #[test]
    fn the_demo_tables_hold_every_labour_figure() {
        let params: Vec<GenesisParam> =
            super::demo_params().into_iter().map(|v| serde_json::from_value(v).unwrap()).collect();
        let tables = Tables::new(params.into_iter().map(|p| (p.table, p.key, p.effective_from, p.value)));
        let date = "2026-06-01".parse().unwrap();
        for k in keys::ALL {
            assert!(tables.has(k, date), "{}/{} is missing from the demo tables", k.0, k.1);
        }
        assert_eq!(tables.krw(keys::MINIMUM_WAGE, date), Ok(10_320));
        assert_eq!(tables.krw(keys::MINIMUM_WAGE, "2025-12-31".parse().unwrap()), Ok(10_030));
        assert_eq!(tables.bp(keys::PREMIUM_BP, date), Ok(5_000));
    }

    /// And every figure the payments rules read (PAY-01..11), from before any demo project.
    #[test]
    fn the_demo_tables_hold_every_payments_figure() {
        let params: Vec<GenesisParam> =
            super::demo_params().into_iter().map(|v| serde_json::from_value(v).unwrap()).collect();
        let from: dojang_types::Date = "2020-01-01".parse().unwrap();
        for (table, key) in dojang_payments::params::ALL {
            let found = params.iter().find(|p| p.table == table && p.key == key);
            assert!(found.is_some_and(|p| p.effective_from <= from), "{table}/{key} is missing from the demo tables");
        }
    }
}
