//! What the independent verifier reads, and how: every record with its Merkle proof and the
//! commit certificate of its header, checked against the validators a genesis file names
//! (never the set the node reports); every ballot's transaction proven into its certified
//! block, which gives its place among the others and its block's time. The one thing read
//! without a proof is the listing of board keys; the proven tally counts the ballots, so a
//! ballot left out of the listing shows as totals and counts that do not match.

use std::collections::BTreeMap;

use anyhow::Context;
use dojang_ballot::{Complaint, Dealing, DecryptionShare};
use dojang_sdk::{Client, ProvenBlock, ProvenTx, TrustedChain, Validator, DEFAULT_MAX_AGE};
use dojang_voting::state::{self, BoardEntry, Poll, Tally};
use serde::de::DeserializeOwned;

/// A ballot on the board: its proven entry and its transaction proven into its block, or why
/// it could not be proven.
#[derive(Clone)]
pub struct OnBoard {
    pub code: String,
    pub sent: Result<(BoardEntry, ProvenTx), String>,
}

/// Everything the verifier recomputes a poll from, each part proven (see the module).
#[derive(Clone)]
pub struct PollData {
    pub id: String,
    pub poll: Poll,
    pub tally: Tally,
    pub dealings: BTreeMap<u32, Dealing>,
    pub complaints: BTreeMap<u32, Complaint>,
    pub shares: BTreeMap<u32, DecryptionShare>,
    pub board: Vec<OnBoard>,
    /// The highest height a record was proven at.
    pub proven_at: u64,
    /// Blocks whose certificate was checked to place the ballots.
    pub blocks_checked: usize,
    /// What was wrong with the node's listing of the board, if anything.
    pub listing: Option<String>,
}

/// Reads with proofs against validators pinned from a genesis: one chain that follows the
/// latest state, one that walks history forward, proving the set that decides each block
/// it reads before checking the block's certificate.
pub struct ProvenReader<'a> {
    client: &'a Client,
    latest: TrustedChain,
    history: TrustedChain,
    proven_at: u64,
}

impl<'a> ProvenReader<'a> {
    pub fn new(client: &'a Client, chain_id: &str, validators: Vec<Validator>) -> Self {
        ProvenReader {
            client,
            latest: TrustedChain::new(chain_id, validators.clone(), DEFAULT_MAX_AGE),
            history: TrustedChain::new(chain_id, validators, DEFAULT_MAX_AGE),
            proven_at: 0,
        }
    }

    /// The record under the voting module's `key`, proven; `None` when proven absent.
    async fn record<T: DeserializeOwned>(&mut self, key: &str) -> anyhow::Result<Option<T>> {
        let full = format!("voting/{key}");
        let s = self.client.read_verified(&full, &self.latest).await.with_context(|| format!("reading {full}"))?;
        self.proven_at = self.proven_at.max(s.height);
        s.value
            .map(|v| serde_json::from_slice(&v).with_context(|| format!("the proven record under {full}")))
            .transpose()
    }

    /// Every tracking code the node lists on the poll's board, at most `max` (not proven: see
    /// the module). A node whose pages do not move forward, or that lists more than `max`, is
    /// stopped there and named in the second value.
    async fn listing(&self, poll: &str, max: u64) -> anyhow::Result<(Vec<String>, Option<String>)> {
        let prefix = format!("voting/board/{poll}/");
        let mut codes = std::collections::BTreeSet::new();
        let mut after: Option<String> = None;
        loop {
            let mut path = format!("/v1/state/keys?prefix={}&limit=200", dojang_types::percent_encode(&prefix));
            if let Some(a) = &after {
                path.push_str(&format!("&after={}", dojang_types::percent_encode(a)));
            }
            let page = self.client.get(&path).await?;
            for k in page["keys"].as_array().context("the key index has no keys")? {
                if let Some(code) = k["key"].as_str().and_then(|key| key.strip_prefix(&prefix)) {
                    codes.insert(code.to_string());
                }
            }
            if codes.len() as u64 > max {
                let kept = codes.into_iter().take(max as usize).collect();
                return Ok((
                    kept,
                    Some(format!("the node lists more than {max} board entries; the rest were not read")),
                ));
            }
            match page["next_after"].as_str() {
                Some(next) if after.as_deref().is_some_and(|a| next <= a) => {
                    let stopped = "the node's listing of the board does not move forward; it was stopped";
                    return Ok((codes.into_iter().collect(), Some(stopped.into())));
                }
                Some(next) => after = Some(next.to_string()),
                None => return Ok((codes.into_iter().collect(), None)),
            }
        }
    }

    /// Block `height` of history. The set that decides it is proven first, from the set that
    /// decided the block before it: a block is never accepted on the signatures of a set the
    /// chain has since replaced (whose retired keys could sign anything).
    async fn proven_block(&self, height: u64) -> Result<ProvenBlock, String> {
        // Following to a height the chain already follows through is a no-op.
        self.client
            .follow(&self.history, height)
            .await
            .map_err(|e| format!("the validators of block {height}: {e}"))?;
        self.client.block_verified(height, &self.history).await.map_err(|e| e.to_string())
    }

    /// Reads poll `id` and everything it is recomputed from.
    pub async fn poll(mut self, id: &str) -> anyhow::Result<PollData> {
        let Some(poll) = self.record::<Poll>(&state::poll_key(id)).await? else {
            anyhow::bail!("the chain has no poll '{id}'");
        };
        let tally: Tally = self.record(&state::tally_key(id)).await?.context("the poll has no tally record")?;
        let n = poll.spec.trustees.len() as u32;
        let mut dealings = BTreeMap::new();
        let mut shares = BTreeMap::new();
        for j in 1..=n {
            if let Some(d) = self.record(&state::dealing_key(id, j)).await? {
                dealings.insert(j, d);
            }
            if let Some(s) = self.record(&state::share_key(id, j)).await? {
                shares.insert(j, s);
            }
        }
        let mut complaints = BTreeMap::new();
        for &j in &poll.disqualified {
            if let Some(c) = self.record(&state::complaint_key(id, j)).await? {
                complaints.insert(j, c);
            }
        }

        let mut entries = Vec::new();
        let mut board = Vec::new();
        // A listing longer than the proven count of ballots by more than a margin is a node's doing.
        let (codes, listing) = self.listing(id, tally.ballots + 1_000).await?;
        for code in codes {
            let key = format!("board/{id}/{code}");
            match self.record::<BoardEntry>(&key).await {
                Ok(Some(entry)) => entries.push((code, entry)),
                Ok(None) => board.push(OnBoard { code, sent: Err("its board entry is proven absent".into()) }),
                Err(e) => board.push(OnBoard { code, sent: Err(format!("{e:#}")) }),
            }
        }
        // History forward: each block once, in rising height.
        entries.sort_by_key(|(_, e)| e.height);
        let mut block: Option<(u64, Result<ProvenBlock, String>)> = None;
        let mut blocks_checked = 0;
        for (code, entry) in entries {
            let current = match block.take() {
                Some((height, b)) if height == entry.height => b,
                _ => {
                    blocks_checked += 1;
                    self.proven_block(entry.height).await
                }
            };
            let sent = match &current {
                Ok(b) => self.client.tx_in(&entry.tx, b).await.map_err(|e| e.to_string()),
                Err(e) => Err(format!("its block {}: {e}", entry.height)),
            };
            block = Some((entry.height, current));
            board.push(OnBoard { code, sent: sent.map(|tx| (entry, tx)) });
        }
        Ok(PollData {
            id: id.to_string(),
            poll,
            tally,
            dealings,
            complaints,
            shares,
            board,
            proven_at: self.proven_at,
            blocks_checked,
            listing,
        })
    }
}
