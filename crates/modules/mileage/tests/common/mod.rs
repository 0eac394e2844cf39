//! A chain with the mileage module on: two programmes (eco-mileage, no gifts, lots for 12
//! months; volunteering, giftable, lots for 36 months), a local-tax sink and a merchants
//! sink, a registrar, a finance office, each programme's issuer, and citizens.

#![allow(dead_code)]

use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::{BlockApp, StateRead};
use dojang_mileage::state::{Account, Totals};
use dojang_mileage::Mileage;
use dojang_testkit::Chain;
use dojang_types::{Address, Date, Event, Hash, Receipt, TxStatus};
use serde_json::{json, Value};

pub const DAY_MS: u64 = 86_400_000;
pub const CAP: u64 = 50_000;

pub struct City {
    pub chain: Chain,
    pub registrar: Keypair,
    pub finance: Keypair,
    pub eco: Keypair,
    pub volunteer: Keypair,
    next_evidence: std::cell::Cell<u64>,
}

pub fn key() -> Keypair {
    Keypair::generate(Algorithm::Ed25519)
}

pub fn addr(k: &Keypair) -> Address {
    k.public_key().address()
}

impl City {
    pub fn new() -> City {
        let chain = Chain::builder().with(Mileage).build();
        let at = chain.ledger.next_height() + 2;
        chain.council("governance", json!({"type": "activate", "module": "mileage", "at_height": at}));
        while chain.ledger.next_height() < at {
            chain.block();
        }
        let city =
            City { chain, registrar: key(), finance: key(), eco: key(), volunteer: key(), next_evidence: 0.into() };
        let today = city.today();
        for (id, name, issuer, gifts, months) in [
            ("eco", "Eco-mileage", &city.eco, false, 12),
            ("volunteer", "Volunteering mileage", &city.volunteer, true, 36),
        ] {
            city.council(json!({"type": "register_programme", "id": id, "name": name, "issuer": addr(issuer),
                "credential": "https://seoul.go.kr/credentials/resident", "cap_per_year_krw": CAP,
                "lot_months": months, "gifts": gifts}));
            city.council(json!({"type": "set_budget", "programme": id, "year": today.year, "krw": 1_000_000}));
        }
        city.council(json!({"type": "set_award_table", "programme": "eco", "effective_from": today, "awards": [
            {"evidence": "meter-saving", "rule": {"rule": "tiers", "tiers": [{"min": 500, "krw": 10_000}, {"min": 1000, "krw": 30_000}]}}]}));
        city.council(json!({"type": "set_award_table", "programme": "volunteer", "effective_from": today, "awards": [
            {"evidence": "volunteer-hours", "rule": {"rule": "per_unit", "krw_per_unit": 700, "max_units": 40}}]}));
        city.council(
            json!({"type": "register_sink", "id": "local-tax", "name": "Local tax payment", "kind": "local_tax"}),
        );
        city.council(
            json!({"type": "register_sink", "id": "zeropay", "name": "ZeroPay merchants", "kind": "merchants"}),
        );
        city.council(json!({"type": "appoint_office", "account": addr(&city.registrar), "office": "registrar", "name": "Resident registry desk"}));
        city.council(json!({"type": "appoint_office", "account": addr(&city.finance), "office": "finance", "name": "City finance office"}));
        city
    }

    pub fn council(&self, msg: Value) {
        self.chain.council("mileage", msg);
    }

    pub fn today(&self) -> Date {
        Date::from_unix_ms_kst(self.chain.ledger.clock_ms())
    }

    pub fn ok(&self, k: &Keypair, msg: Value) -> Receipt {
        self.chain.ok(k, "mileage", msg)
    }

    pub fn code(&self, k: &Keypair, msg: Value) -> String {
        self.chain.code(k, "mileage", msg)
    }

    /// The refusal's reason, for messages that reach execution and fail.
    pub fn reason(&self, k: &Keypair, msg: Value) -> String {
        match self.chain.send(k, "mileage", msg).expect("admitted").result {
            TxStatus::Failed { code, reason } => format!("{code}: {reason}"),
            TxStatus::Ok => "ok".into(),
        }
    }

    /// A registered citizen enrolled in both programmes.
    pub fn citizen(&self) -> Keypair {
        let k = key();
        self.ok(&self.registrar, json!({"type": "register_account", "account": addr(&k), "pseudonym": self.fresh()}));
        self.ok(&self.eco, json!({"type": "enrol", "programme": "eco", "account": addr(&k)}));
        self.ok(&self.volunteer, json!({"type": "enrol", "programme": "volunteer", "account": addr(&k)}));
        k
    }

    /// An id never used before.
    pub fn fresh(&self) -> Hash {
        let n = self.next_evidence.get() + 1;
        self.next_evidence.set(n);
        let mut h = [0u8; 32];
        h[..8].copy_from_slice(&n.to_be_bytes());
        h[31] = 0xe5;
        Hash(h)
    }

    pub fn evidence(&self, kind: &str, on: Date, measure: u64) -> Value {
        json!({"kind": kind, "id": self.fresh(), "on": on, "measure": measure})
    }

    /// Awards eco-mileage for a saving in basis points; the receipt.
    pub fn award_eco(&self, to: &Keypair, saving_bp: u64) -> Receipt {
        let e = self.evidence("meter-saving", self.today(), saving_bp);
        self.ok(&self.eco, json!({"type": "award", "programme": "eco", "account": addr(to), "evidence": e}))
    }

    pub fn award_hours(&self, to: &Keypair, hours: u64) -> Receipt {
        let e = self.evidence("volunteer-hours", self.today(), hours);
        self.ok(&self.volunteer, json!({"type": "award", "programme": "volunteer", "account": addr(to), "evidence": e}))
    }

    pub fn account(&self, k: &Keypair) -> Account {
        self.chain.ask(&dojang_mileage::views::AccountQuery { account: addr(k) }).expect("an account").record
    }

    pub fn totals(&self, programme: &str, year: u16) -> Totals {
        self.chain
            .ask(&dojang_mileage::views::TotalsQuery { programme: programme.into(), year })
            .map(|t| t.record)
            .unwrap_or_default()
    }

    /// MIL-01 from the accounts themselves: per programme and year, what every account's lots
    /// hold equals minted − redeemed − expired in the books.
    pub fn assert_conserved(&self) {
        let view = self.chain.ledger.committed_state();
        let mut held: std::collections::BTreeMap<(String, u16), u64> = Default::default();
        for (_, bytes) in view.scan(b"mileage/accounts/", None, 100_000).unwrap() {
            let a: Account = serde_json::from_slice(&bytes).unwrap();
            for l in a.lots {
                *held.entry((l.programme, l.year)).or_default() += l.remaining;
            }
        }
        let books = view.scan(b"mileage/totals/", None, 100_000).unwrap();
        assert!(!books.is_empty(), "no programme has books yet: nothing was checked");
        for (k, bytes) in books {
            let t: Totals = serde_json::from_slice(&bytes).unwrap();
            let key = String::from_utf8(k).unwrap();
            let mut parts = key.trim_start_matches("mileage/totals/").split('/');
            let (p, y) = (parts.next().unwrap().to_string(), parts.next().unwrap().parse::<u16>().unwrap());
            let in_lots = held.remove(&(p.clone(), y)).unwrap_or(0);
            assert_eq!(in_lots, t.minted - t.redeemed - t.expired, "{p} {y}: {t:?}");
            assert_eq!(in_lots, t.outstanding, "{p} {y}: {t:?}");
        }
        assert!(held.is_empty(), "lots of programmes without books: {held:?}");
        // What lots expiring in each month hold adds up, per programme, to what is outstanding.
        let mut expiring: std::collections::BTreeMap<String, u64> = Default::default();
        for (k, bytes) in view.scan(b"mileage/expiring/", None, 100_000).unwrap() {
            let key = String::from_utf8(k).unwrap();
            let p = key.trim_start_matches("mileage/expiring/").split('/').next().unwrap().to_string();
            *expiring.entry(p).or_default() += serde_json::from_slice::<u64>(&bytes).unwrap();
        }
        let mut outstanding: std::collections::BTreeMap<String, u64> = Default::default();
        for (k, bytes) in view.scan(b"mileage/totals/", None, 100_000).unwrap() {
            let key = String::from_utf8(k).unwrap();
            let p = key.trim_start_matches("mileage/totals/").split('/').next().unwrap().to_string();
            let t: Totals = serde_json::from_slice(&bytes).unwrap();
            if t.outstanding > 0 {
                *outstanding.entry(p).or_default() += t.outstanding;
            }
        }
        assert_eq!(expiring, outstanding, "the monthly expiring figures against the books");
    }

    /// The events the ledger's hooks and deadlines emitted at `height`.
    pub fn hook_events(&self, height: u64) -> Vec<Event> {
        let key = dojang_ledger::hook_events_key(height);
        let rel = &key[b"ledger/".len()..];
        match self.chain.ledger.committed_state().read_module("ledger", rel).unwrap() {
            Some(bytes) => serde_json::from_slice(&bytes).unwrap(),
            None => Vec::new(),
        }
    }

    /// Moves the chain `days` on, a block a day; the kinds of the hook events on the way.
    pub fn pass_days(&self, days: u64) -> Vec<String> {
        let mut kinds = Vec::new();
        for _ in 0..days {
            self.chain.advance_clock(DAY_MS);
            let b = self.chain.block();
            kinds.extend(self.hook_events(b.header.height).into_iter().map(|e| e.kind));
        }
        kinds
    }
}
