//! The demo's anonymous grievance: the labour rights centre runs in process; a worker paid
//! below the minimum wage obtains this quarter's token for their job (a blind signature, so
//! the centre cannot tie it to them) and files a report with it, as anyone, with no account;
//! the centre's staff read what it holds.

use anyhow::Context;
use dojang_crypto::Keypair;
use serde_json::Value;

use crate::desk::{new_token, ClientEntry};
use crate::grievance::{self, worker, Centre};

/// What the centre received and holds.
pub struct Filed {
    pub report: u64,
    pub employer: String,
    pub period: String,
    /// Whether the reports the centre gives its staff name the worker's account or the
    /// contract. (The centre's store does hold which jobs got a token this quarter, by the
    /// worker's account: that is how it gives one per job. Decision 0017.)
    pub names_worker_or_contract: bool,
}

/// `worker_key` (the worker of `contract`) files one report against its employer.
pub async fn file_one(
    node: &str,
    chain_id: &str,
    store: &std::path::Path,
    worker_key: &Keypair,
    contract: &str,
) -> anyhow::Result<Filed> {
    let (staff_token, staff_hash) = new_token();
    let staff = ClientEntry { id: "centre-staff".into(), token_sha256: staff_hash, employers: vec![], per_minute: 600 };
    let centre = Centre::open(node, store, &[staff]).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(grievance::serve(centre, listener, async {
        let _ = stopped.await;
    }));
    let filed = async {
        let token = worker::obtain_token(&url, chain_id, worker_key, contract).await?;
        let text = "Paid 9,800 KRW an hour since I started, below this year's minimum wage.";
        let report = worker::file_report(&url, &token, text).await?;
        let reports: Value = reqwest::Client::new()
            .get(format!("{url}/grievance/v1/reports"))
            .bearer_auth(&staff_token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let held = reports.to_string();
        let worker_account = worker_key.public_key().address().to_string();
        anyhow::ensure!(
            reports["reports"].as_array().is_some_and(|r| !r.is_empty()),
            "the centre holds no report: {reports}"
        );
        Ok::<_, anyhow::Error>(Filed {
            report,
            employer: token.employer,
            period: token.period,
            names_worker_or_contract: held.contains(&worker_account) || held.contains(contract),
        })
    }
    .await;
    let _ = stop.send(());
    serving.await.context("the centre's server")??;
    filed
}
