//! The demo's year: accounts, awards with their evidence, spending, merchants, the report,
//! the books against the accounts, and the year's passing.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use dojang_eligibility_service::demo::citizens::{self, Citizen};
use dojang_mileage::msg::{Evidence, MileageMsg};
use dojang_mileage::odometer::Opening;
use dojang_mileage::state::Account;
use dojang_mileage::views::{AccountQuery, MerchantDayQuery, TotalsQuery};
use dojang_sdk::{Client, ClientError, TrustedChain, TxBuilder};
use dojang_types::{sha256, Address, Date, Hash};

use super::cars::Fleet;
use super::programmes::CAR_LEAST_KM;
use super::MileageDemoArgs;
use crate::car_evidence::audit_award;
use crate::setup::{
    address, all_accepted, key, not_yet, presign, Offices, ProgrammeSpec, PER_SENDER_WINDOW, SENDER_BATCH,
};

/// How far the chain's clock moves when the year passes: past the end of the twelfth month
/// after this one, when this year's eco and car lots expire.
const A_YEAR_AND_A_MONTH_MS: i64 = 400 * 86_400_000;
/// Every third citizen owns a car and is in car mileage.
const CAR_MEMBERS: usize = 3;

pub struct Year<'a> {
    client: &'a Client,
    url: &'a str,
    issuers: BTreeMap<&'static str, TxBuilder>,
    budgets: BTreeMap<&'static str, u64>,
    registrar: TxBuilder,
    finance: TxBuilder,
    citizens: Vec<TxBuilder>,
    /// Who the citizens are, as the resident registry knows them: names and resident numbers
    /// stay there (the scan checks none reaches the node).
    people: Vec<Citizen>,
    merchants: Vec<Address>,
    today: Date,
    /// The resident registry's key for its tokens, and the registrar's for what it records.
    registry_secret: [u8; 32],
    registrar_secret: [u8; 32],
    /// One eco evidence id awarded, to try again.
    awarded_evidence: Option<Evidence>,
    /// Merchants' days with payments, to settle.
    paid_days: Vec<(Address, Date)>,
    /// The car mileage members' vehicles on the used-car service.
    fleet: Fleet,
    /// One car award as the office would open it for an auditor.
    car_award: Option<(Evidence, Opening)>,
}

/// A number from 0 to `n` - 1, the same every run for one (`salt`, `i`).
fn roll(salt: &str, i: usize, n: u64) -> u64 {
    let h = sha256(&[salt.as_bytes(), &(i as u64).to_le_bytes()]);
    u64::from_le_bytes(h.0[..8].try_into().expect("eight bytes")) % n
}

impl<'a> Year<'a> {
    pub fn new(
        client: &'a Client,
        url: &'a str,
        chain_id: &'a str,
        programmes: &[ProgrammeSpec],
        offices: &Offices,
        today: Date,
        args: &MileageDemoArgs,
    ) -> anyhow::Result<Self> {
        let issuers = programmes.iter().map(|p| (p.id, TxBuilder::new(chain_id, p.issuer.duplicate()))).collect();
        let finance = TxBuilder::new(chain_id, offices.finance.duplicate());
        Ok(Year {
            client,
            url,
            budgets: programmes.iter().map(|p| (p.id, p.budget_krw)).collect(),
            issuers,
            registrar: TxBuilder::new(chain_id, offices.registrar.duplicate()),
            finance,
            citizens: (0..args.citizens).map(|_| TxBuilder::new(chain_id, key())).collect(),
            people: citizens::generate(args.citizens, 17),
            merchants: (0..args.merchants).map(|_| address(&key())).collect(),
            today,
            registry_secret: rand::random(),
            registrar_secret: rand::random(),
            awarded_evidence: None,
            paid_days: Vec::new(),
            fleet: Fleet::new((0..args.citizens).filter(|i| i % CAR_MEMBERS == 0), roll),
            car_award: None,
        })
    }

    /// What the registrar records for citizen `i`: its own keyed hash of the token the
    /// resident registry gives that person for this service (the registry's keyed hash of
    /// the resident number); neither key leaves its office.
    fn person_value(&self, i: usize) -> Hash {
        let number = self.people[i].resident_number.as_bytes();
        let token = sha256(&[b"dojang/demo/registry/mileage", &self.registry_secret, number]);
        sha256(&[b"dojang/demo/registrar", &self.registrar_secret, &token.0])
    }

    /// The citizens as the resident registry knows them.
    pub fn people(&self) -> &[Citizen] {
        &self.people
    }

    fn account(&self, i: usize) -> Address {
        self.citizens[i].key.public_key().address()
    }

    fn issuer(&self, programme: &str) -> &TxBuilder {
        &self.issuers[programme]
    }

    /// The registrar opens each citizen's one account; the issuers enrol them: everyone in
    /// eco-mileage, a third (car owners) in car mileage, half in volunteering.
    pub async fn open_accounts(&mut self) -> anyhow::Result<()> {
        let n = self.citizens.len();
        let opened = presign(
            &self.registrar,
            (0..n).map(|i| MileageMsg::RegisterAccount {
                account: self.account(i),
                // The registrar's keyed hash of the registry's token for the person (decision 0023).
                pseudonym: self.person_value(i),
            }),
        );
        all_accepted(self.url, "the citizens' accounts", &opened).await?;
        for (programme, every) in [("eco", 1), ("car", CAR_MEMBERS), ("volunteer", 2)] {
            let enrol = presign(
                self.issuer(programme),
                (0..n)
                    .filter(|i| i % every == 0)
                    .map(|i| MileageMsg::Enrol { programme: programme.into(), account: self.account(i) }),
            );
            all_accepted(self.url, &format!("the {programme} enrolments"), &enrol).await?;
        }
        println!("The registrar opened {n} accounts, one per person, each under the registry's pseudonym; no name is on chain.");
        Ok(())
    }

    fn evidence(&self, kind: &str, i: usize, on: Date, measure: u64) -> Evidence {
        let id =
            sha256(&[b"dojang/demo/evidence/", kind.as_bytes(), &(i as u64).to_le_bytes(), on.to_string().as_bytes()]);
        Evidence { kind: kind.into(), id, on, measure }
    }

    /// The car mileage members' vehicles and their odometer photos, on the used-car service.
    pub async fn record_cars(&self, council: &TxBuilder, chain_id: &str) -> anyhow::Result<()> {
        self.fleet.record(self.client, self.url, council, chain_id, self.today).await
    }

    /// A year of evidence, each awarded by its programme's issuer at the table's amount:
    /// two half-yearly meter readings, one yearly odometer comparison (read with proofs from
    /// the used-car service), monthly volunteering.
    pub async fn award_the_year(&mut self, chain: &TrustedChain) -> anyhow::Result<()> {
        let n = self.citizens.len();
        let today = self.today;
        let award = |programme: &str, i: usize, evidence: Evidence| MileageMsg::Award {
            programme: programme.into(),
            account: self.account(i),
            evidence,
        };
        let mut eco = Vec::new();
        for (half, days_ago) in [(0, 300), (1, 120)] {
            for i in 0..n {
                let saving = 200 + roll("eco", i * 2 + half, 1_800);
                if saving >= 500 {
                    eco.push(award("eco", i, self.evidence("meter-saving", i, today.plus_days(-days_ago), saving)));
                }
            }
        }
        let read = Instant::now();
        let cars = self.fleet.evidence(self.client, chain, today).await?;
        let earning: Vec<_> = cars.iter().filter(|(_, e, _)| e.measure >= CAR_LEAST_KM).collect();
        println!(
            "The car mileage office read {} vehicles' histories with proofs in {:.1} s: {} drove at least {CAR_LEAST_KM} km less than the year before.",
            cars.len(),
            read.elapsed().as_secs_f64(),
            earning.len()
        );
        let car: Vec<_> = earning.iter().map(|(i, e, _)| award("car", *i, e.clone())).collect();
        let car_award = earning.first().map(|(_, e, o)| (e.clone(), o.clone()));
        let mut volunteer = Vec::new();
        for month in 0..12 {
            for i in (0..n).filter(|i| i % 2 == 0 && roll("vol-active", i * 12 + month, 3) > 0) {
                let hours = 1 + roll("vol", i * 12 + month, 8);
                let on = today.plus_days(-(month as i64 * 30 + 5));
                volunteer.push(award("volunteer", i, self.evidence("volunteer-hours", i * 100 + month, on, hours)));
            }
        }
        if let Some(MileageMsg::Award { evidence, .. }) = eco.first() {
            self.awarded_evidence = Some(evidence.clone());
        }
        self.car_award = car_award;
        for (programme, msgs) in [("eco", eco), ("car", car), ("volunteer", volunteer)] {
            let count = msgs.len();
            let txs = presign(self.issuer(programme), msgs);
            let sent =
                dojang_sdk::load::send_all(self.url, &txs, SENDER_BATCH, PER_SENDER_WINDOW, Duration::from_secs(180))
                    .await?;
            if sent.refused_at_admission + sent.not_final > 0 {
                bail!(
                    "{programme}: {} awards refused at admission, {} not final",
                    sent.refused_at_admission,
                    sent.not_final
                );
            }
            let t = self.client.ask(&TotalsQuery { programme: programme.into(), year: today.year }).await?.record;
            println!(
                "{programme:>9}: {count} pieces of evidence, {} awarded, {} refused in their block; {} won minted of a {} won budget",
                sent.ok,
                sent.refused_in_block,
                t.minted,
                self.budgets[programme]
            );
        }
        Ok(())
    }

    /// An auditor is handed one car award's opening and checks it against the chain: the
    /// award with a proof, the vehicle's readings with proofs, the measure and the table.
    pub async fn audit_a_car_award(&self, chain: &TrustedChain) -> anyhow::Result<()> {
        let (evidence, opening) = self.car_award.as_ref().context("no car award to audit")?;
        let found = audit_award(self.client, chain, "car", evidence, opening).await?;
        let s = &opening.span;
        println!(
            "An auditor opened car award {}: it names {}, whose readings {}, {} and {} on chain give {} km driven less, as claimed; {} won paid at height {} (the table gives {}).",
            evidence.id, opening.vin, s.baseline.seq, s.start.seq, s.end.seq, evidence.measure, found.krw, found.height, found.table_krw
        );
        Ok(())
    }

    /// The car mileage office cites evidence eco-mileage already paid for: refused (MIL-04).
    pub async fn duplicate_evidence_refused(&self) -> anyhow::Result<()> {
        let evidence = self.awarded_evidence.clone().context("no eco evidence was awarded")?;
        let again = MileageMsg::Award { programme: "car".into(), account: self.account(0), evidence };
        match self.client.send(self.issuer("car"), &again).await {
            Err(ClientError::Refused { code, reason, .. }) if code == "MIL-04" => {
                println!("The car office cited evidence eco-mileage had paid for: refused, {reason}");
                Ok(())
            }
            other => bail!("the same evidence awarded twice should be refused with MIL-04, not {other:?}"),
        }
    }

    /// Every citizen's account as the chain holds it now.
    pub async fn accounts(&self) -> anyhow::Result<Vec<Account>> {
        let mut out = Vec::with_capacity(self.citizens.len());
        for chunk in (0..self.citizens.len()).collect::<Vec<_>>().chunks(32) {
            let mut reads = tokio::task::JoinSet::new();
            for &i in chunk {
                let (client, account) = (self.client.clone(), self.account(i));
                reads.spawn(async move { (i, client.ask(&AccountQuery { account }).await) });
            }
            let mut got = Vec::new();
            while let Some(done) = reads.join_next().await {
                let (i, answer) = done?;
                got.push((i, answer.with_context(|| format!("citizen {i}'s account"))?.record));
            }
            got.sort_by_key(|(i, _)| *i);
            out.extend(got.into_iter().map(|(_, a)| a));
        }
        Ok(out)
    }

    /// Local taxes, vouchers, donations and gifts of volunteering mileage, each within what
    /// the account holds.
    pub async fn spend(&mut self) -> anyhow::Result<()> {
        let accounts = self.accounts().await?;
        let mut txs = Vec::new();
        let mut counts: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        for (i, a) in accounts.iter().enumerate() {
            let mut balance = a.balance();
            let mut giftable: u64 = a.lots.iter().filter(|l| l.programme == "volunteer").map(|l| l.remaining).sum();
            let mut spend = |sink: &'static str, want: u64, txs: &mut Vec<_>| {
                let krw = want.min(balance);
                if krw >= 1_000 {
                    let reference = sha256(&[b"dojang/demo/bill/", sink.as_bytes(), &(i as u64).to_le_bytes()]);
                    txs.push(self.citizens[i].message(&MileageMsg::Redeem {
                        sink: sink.into(),
                        amount: krw,
                        reference,
                    }));
                    balance -= krw;
                    giftable = giftable.min(balance);
                    let c = counts.entry(sink).or_default();
                    *c = (c.0 + 1, c.1 + krw);
                }
            };
            if i % 5 == 0 {
                spend("local-tax", 20_000, &mut txs);
            }
            if i % 7 == 1 {
                spend("voucher", 10_000, &mut txs);
            }
            if i % 11 == 2 {
                spend("donation", 3_000, &mut txs);
            }
            if i % 10 == 0 && giftable >= 2_000 && i + 1 < accounts.len() {
                txs.push(self.citizens[i].message(&MileageMsg::Gift { to: self.account(i + 1), amount: 2_000 }));
                let c = counts.entry("gifts").or_default();
                *c = (c.0 + 1, c.1 + 2_000);
            }
        }
        let signed: Vec<(Hash, String)> = txs.iter().map(|t| (t.id(), hex::encode(dojang_types::encode(t)))).collect();
        all_accepted(self.url, "the citizens' spending", &signed).await?;
        for (what, (n, krw)) in counts {
            println!("{what:>9}: {n} payments, {krw} won");
        }
        Ok(())
    }

    /// The finance office registers the merchants; citizens pay them by their payment
    /// requests (the QR code's id), and a few are timed from the wallet's signature to final.
    pub async fn pay_merchants(&mut self) -> anyhow::Result<()> {
        let registered = presign(
            &self.finance,
            self.merchants.iter().enumerate().map(|(i, m)| MileageMsg::RegisterMerchant {
                account: *m,
                name: format!("Market stall {}", i + 1),
                sink: "zeropay".into(),
            }),
        );
        all_accepted(self.url, "the merchants", &registered).await?;
        let accounts = self.accounts().await?;
        let mut txs = Vec::new();
        for (i, a) in accounts.iter().enumerate() {
            let mut balance = a.balance();
            for k in 0..2 {
                let krw = 1_000 + roll("pay", i * 2 + k, 9_000);
                if krw > balance {
                    break;
                }
                balance -= krw;
                let merchant = self.merchants[(i + k) % self.merchants.len()];
                let request = sha256(&[b"dojang/demo/qr/", &merchant.0, &((i * 2 + k) as u64).to_le_bytes()]);
                let tx = self.citizens[i].message(&MileageMsg::Pay { merchant, amount: krw, request });
                txs.push((tx.id(), hex::encode(dojang_types::encode(&tx))));
            }
        }
        all_accepted(self.url, "the merchant payments", &txs).await?;
        // Ten more, each from the wallet's signature to final, from citizens who kept enough
        // after the payments above (two of at most 9,999 won each).
        let (mut slowest, mut timed) = (Duration::ZERO, 0);
        for (i, _) in accounts.iter().enumerate().filter(|(_, a)| a.balance() >= 20_500).take(10) {
            let merchant = self.merchants[i % self.merchants.len()];
            let pay = MileageMsg::Pay { merchant, amount: 500, request: Hash(rand::random()) };
            let started = Instant::now();
            self.client.send(&self.citizens[i], &pay).await?;
            slowest = slowest.max(started.elapsed());
            timed += 1;
        }
        // The days each merchant took payments on, as the chain recorded them (a run may
        // cross midnight; a merchant may have taken nothing).
        let first_day = self.today;
        let last_day = Date::from_unix_ms_kst(dojang_types::wall_clock_ms());
        self.paid_days.clear();
        for m in &self.merchants {
            let mut day = first_day;
            while day <= last_day {
                if not_yet(self.client.ask(&MerchantDayQuery { account: *m, day }).await)?.is_some() {
                    self.paid_days.push((*m, day));
                }
                day = day.plus_days(1);
            }
        }
        println!(
            "{} payments to {} merchants by their payment requests; of {timed} timed one by one, the slowest was final at the merchant {} ms after the wallet signed it.",
            txs.len() + timed,
            self.merchants.len(),
            slowest.as_millis()
        );
        Ok(())
    }
}

mod partner;
mod report;
