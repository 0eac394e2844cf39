//! What the mileage module tells the world. Accounts appear by address only; no event names a
//! person.

use dojang_types::{Address, Date, Hash, ModuleEvent};
use serde::{Deserialize, Serialize};

use crate::msg::OfficeKind;
use crate::NAME;

/// Lots of one programme and budget year, summed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Portion {
    pub programme: String,
    pub year: u16,
    pub krw: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MileageEvent {
    ProgrammeRegistered {
        programme: String,
        issuer: Address,
    },
    BudgetSet {
        programme: String,
        year: u16,
        krw: u64,
    },
    AwardTableSet {
        programme: String,
        effective_from: Date,
    },
    SinkRegistered {
        sink: String,
    },
    SinkClosed {
        sink: String,
    },
    IssuerSet {
        programme: String,
        issuer: Address,
    },
    MerchantClosed {
        merchant: Address,
    },
    OfficeAppointed {
        account: Address,
        office: OfficeKind,
    },
    OfficeDismissed {
        account: Address,
    },
    AccountRegistered {
        account: Address,
    },
    /// A lost key's account moved to the person's new key: its lots, enrolments and this
    /// year's awards (for the caps) go with it; the old address holds nothing any more.
    AccountReplaced {
        old: Address,
        new: Address,
        moved: Vec<Portion>,
    },
    Enrolled {
        programme: String,
        account: Address,
    },
    /// `krw` of the `table_krw` the table gives went in (the rest was over the cap, MIL-07).
    Awarded {
        programme: String,
        account: Address,
        evidence: Hash,
        krw: u64,
        table_krw: u64,
        expires: Date,
    },
    PartnerRegistered {
        partner: String,
        programme: String,
    },
    /// Both legs of a conversion (MIL-02): `points` of the partner's burnt, `krw` minted.
    Converted {
        partner: String,
        account: Address,
        receipt: Hash,
        points: u64,
        krw: u64,
        expires: Date,
    },
    Redeemed {
        sink: String,
        account: Address,
        reference: Hash,
        krw: u64,
        from: Vec<Portion>,
    },
    MerchantRegistered {
        merchant: Address,
        sink: String,
    },
    Paid {
        merchant: Address,
        account: Address,
        request: Hash,
        krw: u64,
        from: Vec<Portion>,
    },
    Gifted {
        from: Address,
        to: Address,
        krw: u64,
        portions: Vec<Portion>,
    },
    /// Lots whose last day was `day` expired: breakage per programme and year. `held_back`
    /// accounts kept theirs because expiring them would not balance the books (MIL-01).
    Expired {
        day: Date,
        accounts: u32,
        held_back: u32,
        portions: Vec<Portion>,
    },
    Settled {
        merchant: Address,
        day: Date,
        payments: u32,
        krw: u64,
    },
}

impl ModuleEvent for MileageEvent {
    const MODULE: &'static str = NAME;
}
