//! A dealer's sale as the law has it: the owner's mandate (CAR-07), an inspection by an
//! accredited inspector ten days before, the art. 58 notice signed by the dealer and the
//! inspector and handed to the buyer before the contract (CAR-03, CAR-04), the sale recorded
//! at delivery (which opens the rescission windows, CAR-06) and the transfer to the buyer.

use dojang_cars::msg::Grade;
use dojang_cars::notice::sign_both;
use dojang_cars::{CarsMsg, Notice, Record};
use dojang_types::{Address, Date, Hash, SignedTx};

use super::cast::{Owner, Signer};
use super::history::{Car, LAST_RECORD_DAYS_AGO};
use crate::fleet::{document, KM_PER_DAY};

pub const INSPECTED_DAYS_AGO: i64 = 10;
pub const ISSUED_DAYS_AGO: i64 = 5;
pub const CONTRACT_DAYS_AGO: i64 = 3;
pub const DELIVERED_DAYS_AGO: i64 = 2;

/// One sale: the car, who sells it, who inspected it for the notice, who buys it.
pub struct Sale<'a> {
    pub car: &'a Car,
    pub dealer: &'a Signer,
    pub inspector: &'a Signer,
    pub buyer: Address,
}

impl Sale<'_> {
    fn photos(&self) -> Vec<Hash> {
        vec![document(&self.car.vin, "sale-photo-front", 0), document(&self.car.vin, "sale-photo-odometer", 0)]
    }

    fn km(&self) -> u64 {
        self.car.last_km() + (LAST_RECORD_DAYS_AGO - INSPECTED_DAYS_AGO) as u64 * KM_PER_DAY
    }

    /// The owner lets the dealer sell the car for a month.
    pub fn mandate(&self, owner: &Owner, today: Date) -> SignedTx {
        owner.tx.message(&CarsMsg::Mandate {
            vin: self.car.vin.clone(),
            dealer: self.dealer.address(),
            until: today.plus_days(30),
        })
    }

    /// The inspection the notice rests on: no flood, no accident, good.
    pub fn inspection(&self, today: Date) -> SignedTx {
        let record = Record::Inspection {
            on: today.plus_days(-INSPECTED_DAYS_AGO),
            km: self.km(),
            flood: false,
            accident: false,
            grade: Grade::Good,
            photos: self.photos(),
            report: document(&self.car.vin, "sale-report", 0),
        };
        self.inspector.tx.message(&self.car.attest(record))
    }

    /// The art. 58 notice citing inspection `seq`, as the dealer and the inspector sign it.
    pub fn notice(&self, seq: u32, today: Date) -> Notice {
        Notice {
            vin: self.car.vin.clone(),
            dealer: self.dealer.address(),
            inspector: self.inspector.address(),
            inspection: seq,
            inspected_on: today.plus_days(-INSPECTED_DAYS_AGO),
            km: self.km(),
            flood: false,
            accident: false,
            grade: Grade::Good,
            photos: self.photos(),
            liens: vec![],
            fees_krw: 330_000 + (self.car.n as u64 % 5) * 10_000,
            issued_on: today.plus_days(-ISSUED_DAYS_AGO),
        }
    }

    /// The dealer records the sale at delivery, with the signed notice.
    pub fn record(&self, seq: u32, today: Date) -> SignedTx {
        let signed = sign_both(&self.notice(seq, today), &self.dealer.tx.key, &self.inspector.tx.key);
        self.dealer.tx.message(&CarsMsg::RecordSale {
            vin: self.car.vin.clone(),
            notice: signed,
            buyer: self.buyer,
            contract_on: today.plus_days(-CONTRACT_DAYS_AGO),
            delivered_on: today.plus_days(-DELIVERED_DAYS_AGO),
        })
    }

    /// The registration office records the buyer as the owner from delivery.
    pub fn transfer(&self, office: &Signer, today: Date) -> SignedTx {
        let record = Record::Transfer { on: today.plus_days(-DELIVERED_DAYS_AGO), owner: self.buyer };
        office.tx.message(&self.car.attest(record))
    }
}
