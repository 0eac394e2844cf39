//! MIL-01 as a property: over random sequences of awards, redemptions, merchant payments,
//! gifts and the passing of time (lots expiring), every programme's books agree with what the
//! accounts' lots hold, after every step.

mod common;

use common::{addr, key, City, DAY_MS};
use proptest::prelude::*;
use serde_json::json;

#[derive(Debug, Clone)]
enum Step {
    AwardEco { to: usize, saving_bp: u64 },
    AwardHours { to: usize, hours: u64 },
    Redeem { by: usize, krw: u64 },
    Pay { by: usize, krw: u64 },
    Gift { from: usize, to: usize, krw: u64 },
    Pass { days: u64 },
}

fn step() -> impl Strategy<Value = Step> {
    let who = 0usize..4;
    prop_oneof![
        (who.clone(), 400u64..1500).prop_map(|(to, saving_bp)| Step::AwardEco { to, saving_bp }),
        (who.clone(), 1u64..50).prop_map(|(to, hours)| Step::AwardHours { to, hours }),
        (who.clone(), 1u64..9_000).prop_map(|(by, krw)| Step::Redeem { by, krw }),
        (who.clone(), 1u64..6_000).prop_map(|(by, krw)| Step::Pay { by, krw }),
        (who.clone(), who, 1u64..6_000).prop_map(|(from, to, krw)| Step::Gift { from, to, krw }),
        (1u64..400).prop_map(|days| Step::Pass { days }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mil_01_the_books_match_the_lots_after_every_step(steps in prop::collection::vec(step(), 1..24)) {
        let c = City::new();
        // Budgets for the years the steps may reach, so awards after New Year still count.
        for year in c.today().year + 1..c.today().year + 12 {
            for p in ["eco", "volunteer"] {
                c.council(json!({"type": "set_budget", "programme": p, "year": year, "krw": 1_000_000}));
            }
        }
        let people: Vec<_> = (0..4).map(|_| c.citizen()).collect();
        let shop = key();
        c.ok(&c.finance, json!({"type": "register_merchant", "account": addr(&shop), "name": "Corner shop", "sink": "zeropay"}));
        // Everyone starts with a lot; the year's budget is ample, and the caps, the balances
        // and expiry refuse what they must.
        for p in &people {
            c.award_hours(p, 10);
        }
        c.assert_conserved();
        for s in &steps {
            let (k, msg) = match *s {
                Step::AwardEco { to, saving_bp } => (&c.eco, json!({"type": "award", "programme": "eco",
                    "account": addr(&people[to]), "evidence": c.evidence("meter-saving", c.today(), saving_bp)})),
                Step::AwardHours { to, hours } => (&c.volunteer, json!({"type": "award", "programme": "volunteer",
                    "account": addr(&people[to]), "evidence": c.evidence("volunteer-hours", c.today(), hours)})),
                Step::Redeem { by, krw } => (&people[by], json!({"type": "redeem", "sink": "local-tax", "amount": krw, "reference": c.fresh()})),
                Step::Pay { by, krw } => (&people[by], json!({"type": "pay", "merchant": addr(&shop), "amount": krw, "request": c.fresh()})),
                Step::Gift { from, to, krw } => (&people[from], json!({"type": "gift", "to": addr(&people[to]), "amount": krw})),
                Step::Pass { days } => {
                    c.chain.advance_clock(days * DAY_MS);
                    c.chain.block();
                    c.assert_conserved();
                    continue;
                }
            };
            // Accepted or refused, the books must agree with the lots.
            c.chain.send(k, "mileage", msg).expect("admitted");
            c.assert_conserved();
        }
    }
}
