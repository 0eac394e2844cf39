//! A card company's points converted into eco-mileage at the published rate (MIL-02): the
//! council registers the company as a partner, its operator converts members' points, and
//! each conversion is read back, both legs or neither.

use std::time::{Duration, Instant};

use anyhow::bail;
use dojang_governance::GovernanceMsg;
use dojang_mileage::msg::MileageMsg;
use dojang_mileage::views::{ConversionQuery, PartnerQuery};
use dojang_sdk::TxBuilder;
use dojang_types::Hash;

use super::{roll, Year};
use crate::demo::programmes::{CARD_BP, CARD_PARTNER};
use crate::setup::{address, key, not_yet, presign, OFFICE_ROLE, PER_SENDER_WINDOW, SENDER_BATCH};

/// Every tenth citizen holds the card and converts its points.
const CARD_HOLDERS: usize = 10;

impl Year<'_> {
    /// The council registers the card company; its operator converts each card holder's
    /// points into eco-mileage. A conversion the holder's eco cap cannot take is refused
    /// whole; the partner's books are checked against every conversion read back.
    pub async fn convert_card_points(&self, council: &TxBuilder, chain_id: &str) -> anyhow::Result<()> {
        let operator = TxBuilder::new(chain_id, key());
        let expires = dojang_types::wall_clock_ms() + 600_000;
        let register = MileageMsg::RegisterPartner {
            id: CARD_PARTNER.into(),
            name: "Hana card points".into(),
            operator: address(&operator.key),
            programme: "eco".into(),
        };
        let grant = GovernanceMsg::GrantRole { account: address(&operator.key), role: OFFICE_ROLE };
        let proposals = [
            council.message(&GovernanceMsg::propose(&register, "card points convert into eco-mileage", expires)),
            council.message(&GovernanceMsg::propose(&grant, "the card operator's quota", expires)),
        ];
        for verdict in self.client.submit_batch(&proposals).await? {
            if let Err(e) = verdict {
                bail!("the node refused the council's proposal: {e}");
            }
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while not_yet(self.client.ask(&PartnerQuery { id: CARD_PARTNER.into() }).await)?.is_none() {
            if Instant::now() > deadline {
                bail!("the card partner was not on chain within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        let holders: Vec<usize> = (0..self.citizens.len()).filter(|i| i % CARD_HOLDERS == 1).collect();
        let receipts: Vec<(usize, Hash, u64)> = holders
            .iter()
            .map(|&i| {
                let receipt = dojang_types::sha256(&[b"dojang/demo/card-receipt", &(i as u64).to_le_bytes()]);
                (i, receipt, 2 * (500 + roll("card-points", i, 20_000)))
            })
            .collect();
        let txs = presign(
            &operator,
            receipts.iter().map(|&(i, receipt, points)| MileageMsg::Convert {
                partner: CARD_PARTNER.into(),
                account: self.account(i),
                points,
                receipt,
            }),
        );
        let sent =
            dojang_sdk::load::send_all(self.url, &txs, SENDER_BATCH, PER_SENDER_WINDOW, Duration::from_secs(120))
                .await?;
        if sent.refused_at_admission + sent.not_final > 0 {
            bail!("conversions: {} refused at admission, {} not final", sent.refused_at_admission, sent.not_final);
        }
        // Each conversion read back: either both legs are on record or neither.
        let (mut converted, mut points_burnt, mut krw_minted) = (0u64, 0u64, 0u64);
        for (_, receipt, points) in &receipts {
            let found =
                not_yet(self.client.ask(&ConversionQuery { partner: CARD_PARTNER.into(), receipt: *receipt }).await)?;
            if let Some(c) = found {
                if c.record.points != *points || c.record.krw != c.record.points * u64::from(CARD_BP) / 10_000 {
                    bail!("conversion {receipt}: {c:?} is not {points} points at {CARD_BP} bp");
                }
                converted += 1;
                points_burnt += c.record.points;
                krw_minted += c.record.krw;
            }
        }
        let partner = self.client.ask(&PartnerQuery { id: CARD_PARTNER.into() }).await?.record;
        if (partner.conversions, partner.points_burnt, partner.krw_minted) != (converted, points_burnt, krw_minted)
            || converted != sent.ok
        {
            bail!(
                "the partner's books ({} conversions, {} points, {} won) are not the {converted} conversions read back ({points_burnt} points, {krw_minted} won; {} final ok)",
                partner.conversions,
                partner.points_burnt,
                partner.krw_minted,
                sent.ok
            );
        }
        println!(
            "Card points (MIL-02): {} holders' conversions, {converted} made ({points_burnt} points burnt, {krw_minted} won minted at {CARD_BP} bp), {} refused whole by the eco cap, with no burn recorded; the partner's books match every conversion read back.",
            receipts.len(),
            sent.refused_in_block
        );
        Ok(())
    }
}
