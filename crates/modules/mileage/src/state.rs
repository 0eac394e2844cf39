//! The mileage module's records and where they live. No record names a person: an account
//! is an address and the registry's pseudonym for its holder (docs/decisions/0023).

use dojang_ledger::{read_record, write_record, ModuleError, StateRead, StateWrite};
use dojang_types::{Address, Date, Hash};
use serde::{Deserialize, Serialize};

use crate::msg::{Award, OfficeKind, SinkKind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Programme {
    pub id: String,
    pub name: String,
    pub issuer: Address,
    pub credential: String,
    pub cap_per_year_krw: u64,
    pub lot_months: u32,
    pub gifts: bool,
    /// Budget per year, in year order (MIL-03).
    pub budgets: Vec<(u16, u64)>,
    /// Award table versions in date order (MIL-06).
    pub tables: Vec<AwardTable>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardTable {
    pub effective_from: Date,
    pub awards: Vec<Award>,
}

/// A programme's money in one budget year (MIL-01, MIL-10). `outstanding` moves with every
/// lot; the other three with what each message says it did. They must agree after every
/// change: `outstanding = minted − redeemed − expired`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub minted: u64,
    pub redeemed: u64,
    /// Breakage: what lots held when they expired.
    pub expired: u64,
    pub outstanding: u64,
    /// Moved between accounts by gifts (changes no other figure).
    pub gifted: u64,
}

impl Totals {
    /// MIL-01 for this programme and year, or what breaks it.
    pub fn conserved(&self) -> Result<(), String> {
        let expected = self.minted.checked_sub(self.redeemed).and_then(|r| r.checked_sub(self.expired));
        if expected == Some(self.outstanding) {
            Ok(())
        } else {
            Err(format!(
                "outstanding {} but minted {} − redeemed {} − expired {}",
                self.outstanding, self.minted, self.redeemed, self.expired
            ))
        }
    }
}

/// Mileage of one programme and budget year that expires together (MIL-07).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    pub programme: String,
    pub year: u16,
    /// The last day it may be spent.
    pub expires: Date,
    pub remaining: u64,
}

/// A resident's one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub pseudonym: Hash,
    pub registered: Date,
    /// Programmes it is enrolled in (MIL-05).
    pub enrolled: Vec<String>,
    /// Its lots, first in first: spending takes from the front (MIL-07).
    pub lots: Vec<Lot>,
    /// Awarded so far per programme and budget year, for the cap (MIL-07).
    pub awarded: Vec<(String, u16, u64)>,
}

impl Account {
    pub fn balance(&self) -> u64 {
        self.lots.iter().map(|l| l.remaining).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sink {
    pub id: String,
    pub name: String,
    pub kind: SinkKind,
    pub redeemed: u64,
    /// The height the council closed it at: nothing more is spent there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Office {
    pub kind: OfficeKind,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merchant {
    pub name: String,
    /// The sink (of kind `merchants`) its payments count under.
    pub sink: String,
    pub registered: Date,
    pub paid_krw: u64,
    pub settled_krw: u64,
    /// The height the finance office closed it at: it is paid no more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<u64>,
}

/// A merchant's takings of one day, and their settlement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantDay {
    pub payments: u32,
    pub krw: u64,
    /// The height the finance office settled it at.
    pub settled_at: Option<u64>,
}

/// A merchant's payment request, or a bill or voucher at a sink, once paid: what was paid
/// and by which account. The merchant's screen checks the amount it asked for against it, not
/// against the link the customer's wallet opened; a tax office checks a bill the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub height: u64,
    pub krw: u64,
    pub account: Address,
}

/// What an evidence id was awarded for (MIL-04).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Used {
    pub programme: String,
    pub amount: u64,
    pub height: u64,
}

/// Another points scheme whose members convert into a programme (MIL-02), with what it has
/// converted in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partner {
    pub id: String,
    pub name: String,
    pub operator: Address,
    pub programme: String,
    pub conversions: u64,
    /// The partner's points burnt, and the mileage minted for them.
    pub points_burnt: u64,
    pub krw_minted: u64,
}

/// Both legs of one conversion (MIL-02): the partner's points burnt and the mileage minted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversion {
    pub account: Address,
    pub points: u64,
    pub krw: u64,
    pub height: u64,
}

pub fn partner_key(id: &str) -> String {
    format!("partners/{id}")
}
pub fn conversion_key(partner: &str, receipt: &Hash) -> String {
    format!("conversions/{partner}/{receipt}")
}

pub fn programme_key(id: &str) -> String {
    format!("programmes/{id}")
}
pub fn totals_key(programme: &str, year: u16) -> String {
    format!("totals/{programme}/{year:04}")
}
/// What lots of a programme expiring in a month still hold (MIL-10: "expiring next month").
pub fn expiring_key(programme: &str, month: Date) -> String {
    format!("expiring/{programme}/{:04}-{:02}", month.year, month.month)
}
pub fn account_key(a: &Address) -> String {
    format!("accounts/{a}")
}
pub fn person_key(pseudonym: &Hash) -> String {
    format!("people/{pseudonym}")
}
/// An evidence id, whatever its kind and programme: awarded once (MIL-04).
pub fn evidence_key(id: &Hash) -> String {
    format!("evidence/{id}")
}
pub fn sink_key(id: &str) -> String {
    format!("sinks/{id}")
}
pub fn redeemed_key(sink: &str, reference: &Hash) -> String {
    format!("redeemed/{sink}/{reference}")
}
pub fn office_key(a: &Address) -> String {
    format!("offices/{a}")
}
pub fn merchant_key(a: &Address) -> String {
    format!("merchants/{a}")
}
pub fn merchant_day_key(a: &Address, day: Date) -> String {
    format!("merchant_days/{a}/{day}")
}
pub fn merchant_days_prefix(a: &Address) -> String {
    format!("merchant_days/{a}/")
}
pub fn request_key(merchant: &Address, request: &Hash) -> String {
    format!("requests/{merchant}/{request}")
}
/// Accounts holding a lot that expires at the end of `day`, for the expiry deadline.
pub fn due_key(day: Date, a: &Address) -> String {
    format!("due/{day}/{a}")
}
pub fn due_prefix(day: Date) -> String {
    format!("due/{day}/")
}
/// The deadline that expires the lots whose last day is `day`.
pub fn expiry_deadline(day: Date) -> String {
    format!("expire/{day}")
}

pub fn read<T: serde::de::DeserializeOwned>(state: &dyn StateRead, key: &str) -> Result<Option<T>, ModuleError> {
    read_record(state, key.as_bytes())
}

pub fn write<T: Serialize>(state: &mut dyn StateWrite, key: &str, value: &T) {
    write_record(state, key.as_bytes(), value);
}
