//! Contract registrations finalized per second on one validator: a fresh development chain,
//! the labour module switched on by the council, the federation vouching for the employers,
//! then pre-signed `labour.register` transactions from those employers sent in batches and
//! followed to finality over the node's event stream. Accepted and refused receipts are
//! counted apart; the rate counts accepted ones only.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use dojang_crypto::Keypair;
use dojang_labour::LabourMsg;
use dojang_sdk::{Client, TxBuilder};
use dojang_service::machine::Machine;
use dojang_service::node::{demo_key, start_node, WorkDir};
use dojang_types::{sha256, Address, Date, Hash, SignedTx};
use serde_json::{json, Value};

use crate::setup::activate;

/// Transactions in flight (submitted, not yet final) at most.
const WINDOW: u64 = 20_000;
const BATCH: usize = 2_000;
/// The longest the run waits for the last registrations.
const DRAIN: Duration = Duration::from_secs(120);

/// Employer `i`'s key, from a public seed: never give such an account anything on a real chain.
fn employer_key(i: u64) -> Keypair {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&i.to_le_bytes());
    seed[8] = 0x1a;
    Keypair::ed25519_from_seed(seed)
}

fn presign(chain_id: &str, employers: &[Keypair], count: u64) -> anyhow::Result<Vec<SignedTx>> {
    let run: u64 = rand::random();
    let starts: Date = "2026-03-02".parse().map_err(anyhow::Error::msg)?;
    let ends: Date = "2026-08-31".parse().map_err(anyhow::Error::msg)?;
    let expiry = dojang_types::wall_clock_ms() + 600_000;
    let builders: Vec<TxBuilder<Keypair>> = employers.iter().map(|k| TxBuilder::new(chain_id, k.duplicate())).collect();
    (0..count)
        .map(|i| {
            let h = sha256(&[&run.to_le_bytes(), &i.to_le_bytes()]);
            let worker: Address = format!("dj{}", hex::encode(&h.0[..20])).parse().map_err(anyhow::Error::msg)?;
            let msg = LabourMsg::Register {
                contract: hex::encode(&h.0[16..]),
                worker,
                commitment: sha256(&[&h.0, b"commitment"]),
                starts,
                ends: Some(ends),
            };
            Ok(builders[(i % builders.len() as u64) as usize].message_with(&msg, run ^ i, expiry))
        })
        .collect()
}

/// The federation vouches for every employer, in batches, and the run waits until the last is.
async fn vouch(client: &Client, chain_id: &str, federation: Keypair, employers: &[Keypair]) -> anyhow::Result<()> {
    let builder = TxBuilder::new(chain_id, federation);
    let expiry = dojang_types::wall_clock_ms() + 600_000;
    let run: u64 = rand::random();
    for (n, chunk) in employers.chunks(1_000).enumerate() {
        let txs: Vec<SignedTx> = chunk
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let msg = LabourMsg::VouchEmployer { employer: k.public_key().address() };
                builder.message_with(&msg, run ^ ((n * 1_000 + i) as u64), expiry)
            })
            .collect();
        for verdict in client.submit_batch(&txs).await? {
            if let Err(e) = verdict {
                bail!("the node refused a vouching: {e}");
            }
        }
        let last = chunk.last().context("chunks are not empty")?.public_key().address();
        let deadline = Instant::now() + Duration::from_secs(60);
        while client.query("labour", &format!("employer/{last}"), &[]).await.is_err() {
            if Instant::now() > deadline {
                bail!("the employers were not vouched for within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Ok(())
}

/// Registers `count` contracts from `employers` employers and prints what it measured; its
/// part of the benchmark's JSON line.
pub async fn run(count: u64, employers: u64, machine: &Machine) -> anyhow::Result<Value> {
    let work = WorkDir::new(None, "dojang-labour-bench");
    let node = start_node(&work.path().join("node")).await?;
    let result = measure(&node.url, &node.home, count, employers.max(1), machine).await;
    node.stop().await;
    result
}

async fn measure(
    url: &str,
    home: &std::path::Path,
    count: u64,
    employers: u64,
    machine: &Machine,
) -> anyhow::Result<Value> {
    let client = Client::new(url);
    let chain_id = client.status().await?["chain_id"].as_str().context("status has no chain_id")?.to_string();
    activate(&client, &TxBuilder::new(chain_id.clone(), demo_key(home, "admin")?), &["labour"]).await?;
    let keys: Vec<Keypair> = (0..employers).map(employer_key).collect();
    eprintln!("vouching for {employers} employers (not measured)...");
    vouch(&client, &chain_id, demo_key(home, "employment-insurance")?, &keys).await?;
    eprintln!("pre-signing {count} registrations (not measured)...");
    let cid = chain_id.clone();
    let txs = tokio::task::spawn_blocking(move || presign(&cid, &keys, count)).await??;
    let encoded: Vec<(Hash, String)> = txs.iter().map(|t| (t.id(), hex::encode(dojang_types::encode(t)))).collect();
    drop(txs);

    let sent = dojang_sdk::load::send_all(url, &encoded, BATCH, WINDOW, DRAIN).await?;
    let (ok, failed, refused, lost, secs) =
        (sent.ok, sent.refused_in_block, sent.refused_at_admission, sent.not_final, sent.seconds);
    let per_s = ok as f64 / secs;
    let ratio = per_s / machine.ed25519_batched_all_cores;
    println!("registrations finalized/s {per_s:>11.0}  ({ok} of {count} from {employers} employers in {secs:.2} s; target >= 2,000/s)");
    println!("  refused by the module {failed}, at admission {refused}, not final within the wait {lost}");
    println!(
        "  Ed25519 on this machine: {:.0}/s batched on {} cores; registrations/s is {ratio:.3} of that",
        machine.ed25519_batched_all_cores, machine.cores
    );
    Ok(json!({"registrations": count, "employers": employers, "finalized_ok": ok, "refused_in_block": failed,
              "refused_at_admission": refused, "not_final": lost, "seconds": secs, "finalized_per_s": per_s,
              "ratio_to_ed25519": ratio}))
}
