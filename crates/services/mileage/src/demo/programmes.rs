//! The demo's three programmes, as Seoul ran them (DOMAIN.md §6): eco-mileage pays for a
//! household's energy saving (10,000 to 50,000 won a half-year), car mileage for driving less
//! (20,000 to 70,000 won a year), volunteering 700 won an hour up to 50,000 a year, giftable,
//! valid three years (Nowon-gu's NW coin).

use dojang_mileage::msg::{Award, AwardRule, Tier};
use dojang_mileage::rules;

use crate::setup::{key, ProgrammeSpec};

/// The card company whose points convert into eco-mileage (MIL-02), and its published rate:
/// a point is half a won.
pub const CARD_PARTNER: &str = "card";
pub const CARD_BP: u32 = 5_000;

/// The least car mileage pays for: kilometres driven less than the year before.
pub const CAR_LEAST_KM: u64 = 500;

fn tiers(evidence: &str, tiers: &[(u64, u64)]) -> Vec<Award> {
    let tiers = tiers.iter().map(|&(min, krw)| Tier { min, krw }).collect();
    vec![Award { evidence: evidence.into(), rule: AwardRule::Tiers { tiers } }]
}

pub fn all() -> Vec<ProgrammeSpec> {
    vec![
        ProgrammeSpec {
            id: "eco",
            name: "Eco-mileage",
            issuer: key(),
            credential: "https://seoul.go.kr/credentials/resident",
            cap_per_year_krw: 100_000,
            lot_months: 12,
            gifts: false,
            budget_krw: 1_000_000_000,
            // Energy saved against the same half-year before, in basis points.
            awards: [
                tiers("meter-saving", &[(500, 10_000), (1_000, 30_000), (1_500, 50_000)]),
                vec![Award { evidence: rules::partner_kind(CARD_PARTNER), rule: AwardRule::Rate { bp: CARD_BP } }],
            ]
            .concat(),
        },
        ProgrammeSpec {
            id: "car",
            name: "Car mileage",
            issuer: key(),
            credential: "https://seoul.go.kr/credentials/vehicle-owner",
            cap_per_year_krw: 70_000,
            lot_months: 12,
            gifts: false,
            budget_krw: 300_000_000,
            // Kilometres driven less than the year before, from odometer attestations.
            awards: tiers(
                "odometer-reduction",
                &[(CAR_LEAST_KM, 20_000), (1_000, 30_000), (2_000, 50_000), (3_000, 70_000)],
            ),
        },
        ProgrammeSpec {
            id: "volunteer",
            name: "Volunteering mileage",
            issuer: key(),
            credential: "https://seoul.go.kr/credentials/resident",
            cap_per_year_krw: 50_000,
            lot_months: 36,
            gifts: true,
            budget_krw: 200_000_000,
            awards: vec![Award {
                evidence: "volunteer-hours".into(),
                rule: AwardRule::PerUnit { krw_per_unit: 700, max_units: 8 },
            }],
        },
    ]
}
