//! The finance office's view: the liability report read with proofs, the books checked
//! against every account, and the year's passing (lots expiring into breakage, merchants'
//! days settled).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use dojang_mileage::msg::MileageMsg;
use dojang_mileage::views::{Liability, LiabilityQuery, MerchantDayQuery, TotalsQuery};
use dojang_sdk::TrustedChain;
use dojang_service::node::{start_home_with, StartedNode};
use dojang_types::Date;

use super::{Year, A_YEAR_AND_A_MONTH_MS};

fn print(report: &Liability) {
    println!("Liability report (MIL-10), expiring in {}:", report.month);
    println!(
        "  {:<10} {:>5} {:>13} {:>13} {:>13} {:>13}",
        "programme", "year", "minted", "redeemed", "expired", "outstanding"
    );
    for l in &report.lines {
        let t = &l.totals;
        println!(
            "  {:<10} {:>5} {:>13} {:>13} {:>13} {:>13}",
            l.programme, l.year, t.minted, t.redeemed, t.expired, t.outstanding
        );
    }
    for e in &report.expiring {
        println!("  {:<10} expiring in {}: {} won", e.programme, report.month, e.krw);
    }
}

impl Year<'_> {
    /// The liability report, each of its lines read again with its proof against the
    /// validators pinned from the genesis file.
    pub async fn report(&self, month: Date, genesis: &std::path::Path) -> anyhow::Result<()> {
        let report = self.client.ask(&LiabilityQuery { month }).await?;
        print(&report);
        let chain = TrustedChain::from_genesis_file(genesis)?;
        for l in &report.lines {
            let q = TotalsQuery { programme: l.programme.clone(), year: l.year };
            let proven = self.client.ask_verified(&q, &chain).await?.context("a report line without its record")?;
            if proven.record != l.totals {
                bail!("the report's line for {} {} is not what the chain proves", l.programme, l.year);
            }
        }
        println!("  every line read again with its proof against the pinned validators.");
        Ok(())
    }

    /// MIL-01 from the accounts' side: what every citizen's lots hold, per programme and
    /// year, is what the books say is outstanding.
    pub async fn books_match_the_accounts(&self) -> anyhow::Result<()> {
        let mut held: BTreeMap<(String, u16), u64> = BTreeMap::new();
        for a in self.accounts().await? {
            for l in a.lots {
                *held.entry((l.programme, l.year)).or_default() += l.remaining;
            }
        }
        let report = self.client.ask(&LiabilityQuery { month: self.today }).await?;
        for l in &report.lines {
            let in_lots = held.remove(&(l.programme.clone(), l.year)).unwrap_or(0);
            let t = &l.totals;
            if in_lots != t.outstanding || t.outstanding != t.minted - t.redeemed - t.expired {
                bail!("{} {}: the accounts hold {in_lots} won, the books {:?}", l.programme, l.year, t);
            }
        }
        if !held.is_empty() {
            bail!("lots of programmes without books: {held:?}");
        }
        println!("The books match the {} accounts: per programme and year, lots held = minted − redeemed − expired (MIL-01).", self.citizens.len());
        Ok(())
    }

    /// Restarts the node with its clock a year and a month on: this year's eco and car lots
    /// expire by their deadlines, the finance office settles the merchants' days.
    pub async fn pass_a_year(&mut self, node: StartedNode) -> anyhow::Result<StartedNode> {
        println!(
            "A year passes: the node restarts with its clock {} days on (ledger.fault_clock_offset_ms).",
            A_YEAR_AND_A_MONTH_MS / 86_400_000
        );
        let home = node.home.clone();
        node.stop().await;
        let node =
            start_home_with(&home, &[("DOJANG_LEDGER__FAULT_CLOCK_OFFSET_MS", A_YEAR_AND_A_MONTH_MS.to_string())])
                .await?;
        let client = dojang_sdk::Client::new(&node.url);
        let year = self.today.year;
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let mut left = 0;
            for p in ["eco", "car"] {
                left += client.ask(&TotalsQuery { programme: p.into(), year }).await?.record.outstanding;
            }
            if left == 0 {
                break;
            }
            if Instant::now() > deadline {
                bail!("{left} won of this year's eco and car lots had not expired 180 s after the year passed");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // Signed to expire by the chain's clock, now a year ahead of the wall clock.
        let chain_now =
            client.status().await?["latest_block_time_ms"].as_u64().context("the node's status has no block time")?;
        let settle: Vec<_> = self
            .paid_days
            .iter()
            .map(|(merchant, day)| {
                let msg = MileageMsg::Settle { merchant: *merchant, day: *day };
                self.finance.message_with(&msg, rand::random(), chain_now + 600_000)
            })
            .map(|tx| (tx.id(), hex::encode(dojang_types::encode(&tx))))
            .collect();
        crate::setup::all_accepted(&node.url, "the settlements", &settle).await?;
        let mut settled = 0;
        for (merchant, day) in &self.paid_days {
            let d = client.ask(&MerchantDayQuery { account: *merchant, day: *day }).await?.record;
            if d.settled_at.is_none() {
                bail!("{merchant}'s takings of {day} are not settled");
            }
            settled += d.krw;
        }
        println!("The finance office settled {} merchants' takings: {settled} won.", self.paid_days.len());
        let chain_today = Date::from_unix_ms_kst(chain_now);
        let report = client.ask(&LiabilityQuery { month: chain_today.next_month() }).await?;
        print(&report);
        Ok(node)
    }
}
