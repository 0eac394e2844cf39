//! Another agency's node, outside the contracts collection: it follows the demo's chain from
//! genesis by catching up from the demo's node, so the personal-data scan can search the
//! whole home of a node that holds the ledger and nothing of the collection.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use dojang_sdk::Client;
use dojang_service::node::{init_follower_home, start_home};

/// Catch-up stops this close to its peer (the node's `CLOSE_ENOUGH`) and consensus sync
/// fetches the rest, which a lone follower has no peer for.
const CATCH_UP_SLACK: u64 = 2;

async fn height(client: &Client) -> anyhow::Result<u64> {
    client.status().await?["height"].as_u64().context("the node's status has no height")
}

/// Starts the outsider in `work/outsider`, lets it catch up to past the demo's last
/// transaction, stops it, and answers its home and the height it reached.
pub async fn follow(of_home: &Path, url: &str, work: &Path) -> anyhow::Result<(PathBuf, u64)> {
    let demo_node = Client::new(url);
    let last = height(&demo_node).await?;
    // The blocks after `last` are the empty ones the chain makes each idle second.
    let deadline = Instant::now() + Duration::from_secs(30);
    while height(&demo_node).await? <= last + CATCH_UP_SLACK {
        if Instant::now() > deadline {
            bail!("the demo's node made no block past {last} in 30 s");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let home = work.join("outsider");
    init_follower_home(&home, of_home, url)?;
    let node = start_home(&home).await?;
    let reached = height(&Client::new(&node.url)).await;
    node.stop().await;
    let reached = reached?;
    if reached < last {
        bail!("the outside node caught up to height {reached} only, short of the demo's last transaction at {last}");
    }
    Ok((home, reached))
}
