//! `dojang labour centre`: the labour rights centre's anonymous, rate-limited grievance
//! channel (docs/decisions/0017-anonymous-grievances.md). A worker proves "I hold a contract
//! with employer E in force this quarter" by signing with the account of a contract they
//! signed, and gets one RFC 9474 blind signature per job and quarter under E's key for the
//! quarter. The
//! centre signs without seeing the token. Later, from anywhere and without an account, the token
//! and its signature file one report about E: the centre checks the signature and spends the
//! token's nullifier, and neither it nor E can tell which of E's workers wrote.

mod api;
mod store;
pub mod worker;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use dojang_api::Problem;
use dojang_labour::state::Contract;
use dojang_sdk::Client;
use dojang_service::settings::{load_toml, relative};
use dojang_types::Date;
use serde::Deserialize;

use crate::desk::ClientEntry;

/// `centre.toml`: `[centre]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CentreFile {
    centre: CentreSection,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CentreSection {
    listen_addr: SocketAddr,
    /// A node of the chain, to read contracts.
    node: String,
    /// The centre's store (a redb file): keys, tokens issued, reports.
    store: PathBuf,
    /// The staff who read the reports (`[[centre.staff]]`, from `dojang labour new-client`).
    #[serde(default)]
    staff: Vec<ClientEntry>,
}

/// What the centre's handlers share.
pub struct Centre {
    store: store::Store,
    node: Client,
    chain_id: String,
    staff: crate::desk::Clients,
    /// Keys are made and tokens recorded one at a time.
    issuing: tokio::sync::Mutex<()>,
}

impl Centre {
    pub async fn open(node: &str, store: &Path, staff: &[ClientEntry]) -> anyhow::Result<Arc<Centre>> {
        let client = Client::new(node);
        let chain_id =
            client.status().await?["chain_id"].as_str().context("the node's status has no chain_id")?.to_string();
        Ok(Arc::new(Centre {
            store: store::Store::open(store)?,
            node: client,
            chain_id,
            staff: crate::desk::Clients::new(staff)?,
            issuing: tokio::sync::Mutex::new(()),
        }))
    }

    async fn contract(&self, id: &str) -> Result<Option<Contract>, Problem> {
        crate::desk::ledger_contract(&self.node, id).await.map_err(|e| {
            tracing::warn!(error = %e, "the centre cannot read the ledger");
            Problem::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "node-unavailable",
                "the centre cannot read the ledger just now; try again shortly",
            )
        })
    }

    /// The employer's key for the quarter, made now if there is none (RSA key generation takes
    /// a while: off the async threads, one at a time).
    async fn key_or_new(&self, employer: &str, period: &str) -> Result<blind_rsa_signatures::SecretKey, Problem> {
        let _one = self.issuing.lock().await;
        if let Some(k) = self.store.key(employer, period).map_err(Problem::internal)? {
            return Ok(k);
        }
        let made = tokio::task::spawn_blocking(store::new_key).await.map_err(Problem::internal)?;
        let sk = made.map_err(Problem::internal)?;
        self.store.put_key(employer, period, &sk).map_err(Problem::internal)?;
        Ok(sk)
    }
}

/// The quarter of `d`, as `2026-Q4`: tokens are one per job per quarter.
pub fn period_of(d: Date) -> String {
    format!("{}-Q{}", d.year, (d.month - 1) / 3 + 1)
}

/// The first day of the quarter of `d`.
pub fn quarter_start(d: Date) -> Date {
    Date { month: (d.month - 1) / 3 * 3 + 1, day: 1, ..d }
}

/// Serves the centre on `listener` until `shutdown`.
pub async fn serve(
    centre: Arc<Centre>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    crate::desk::serve_router(api::router(centre), listener, shutdown).await
}

/// Runs the centre from its config until interrupted.
pub async fn run(config: &Path) -> anyhow::Result<()> {
    let file: CentreFile = load_toml(config)?;
    let c = file.centre;
    let base = config.parent().unwrap_or(Path::new("."));
    let centre = Centre::open(&c.node, &relative(base, &c.store), &c.staff).await?;
    let listener = tokio::net::TcpListener::bind(c.listen_addr)
        .await
        .with_context(|| format!("cannot listen on {}", c.listen_addr))?;
    println!("grievance centre on http://{} reading {}", listener.local_addr()?, c.node);
    serve(centre, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert_eq!((period_of(d("2026-01-01")), quarter_start(d("2026-03-31"))), ("2026-Q1".into(), d("2026-01-01")));
        assert_eq!((period_of(d("2026-11-30")), quarter_start(d("2026-11-30"))), ("2026-Q4".into(), d("2026-10-01")));
        assert_eq!(period_of(d("2026-07-01")), "2026-Q3");
    }
}
