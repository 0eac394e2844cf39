//! What may be asked of the mileage module. Amounts are whole KRW: one mileage is one won
//! (MIL-02), so a balance, an award and a payment are the same unit.

use dojang_types::{Address, Date, Hash};
use serde::{Deserialize, Serialize};

/// A rule of an award table: how much one piece of evidence earns, from its measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum AwardRule {
    /// The amount of the highest tier whose `min` the measure reaches; nothing below the
    /// lowest (eco-mileage: energy saved in basis points, 500 -> 10,000 won, ...).
    Tiers { tiers: Vec<Tier> },
    /// `krw_per_unit` for each unit measured, at most `max_units` (volunteering: 700 won an hour).
    PerUnit { krw_per_unit: u64, max_units: u64 },
    /// A published conversion rate from another points scheme: `measure × bp / 10,000` won,
    /// rounded down (MIL-02).
    Rate { bp: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub min: u64,
    pub krw: u64,
}

/// One line of an award table: the rule for one kind of evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Award {
    /// The evidence kind it pays for (`meter-saving`, `odometer-reduction`, `volunteer-hours`).
    pub evidence: String,
    pub rule: AwardRule,
}

/// The evidence an award cites (MIL-04): its kind, an id unique across every programme (the
/// hash of the signed meter reading, of the odometer attestation, of the volunteering
/// record), the date it speaks of, and its measure in the unit the table reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub kind: String,
    pub id: Hash,
    pub on: Date,
    pub measure: u64,
}

/// Where mileage may be spent (MIL-08).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkKind {
    LocalTax,
    Voucher,
    Donation,
    /// Payment at registered merchants, settled by the finance office.
    Merchants,
}

/// An office the council appoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfficeKind {
    /// Checks a resident's credential and registers their one account.
    Registrar,
    /// Registers merchants and settles their payments.
    Finance,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum MileageMsg {
    /// The council registers a programme (MIL-03, MIL-05, MIL-07, MIL-09).
    RegisterProgramme {
        id: String,
        /// Its public name (`Eco-mileage`).
        name: String,
        /// The office whose account alone awards it (MIL-03).
        issuer: Address,
        /// The credential type the issuer checks before enrolling an account (MIL-05).
        credential: String,
        /// Most one account may be awarded in one budget year (MIL-07).
        cap_per_year_krw: u64,
        /// Lots live this many whole months after the month of their award (MIL-07).
        lot_months: u32,
        /// Whether its mileage may be given to another account (MIL-09).
        gifts: bool,
    },
    /// The council sets a programme's budget for one year (MIL-03).
    SetBudget {
        programme: String,
        year: u16,
        krw: u64,
    },
    /// The council adds a version of a programme's award table, in force from a date (MIL-06):
    /// today or later, except the first version, which may price evidence from before.
    SetAwardTable {
        programme: String,
        effective_from: Date,
        awards: Vec<Award>,
    },
    /// The council approves a place mileage may be spent (MIL-08).
    RegisterSink {
        id: String,
        name: String,
        kind: SinkKind,
    },
    AppointOffice {
        account: Address,
        office: OfficeKind,
        name: String,
    },
    DismissOffice {
        account: Address,
    },
    /// A registrar opens a resident's one account. `pseudonym` is the registrar's own keyed
    /// hash of the token the resident registry gives that person for this service: neither
    /// office alone can name the account (docs/decisions/0023).
    RegisterAccount {
        account: Address,
        pseudonym: Hash,
    },
    /// A registrar moves a person's account to a new key when the old one is lost: the person
    /// shows the same registry token, so `pseudonym` (the registrar's keyed hash of it) names
    /// the account already open. The lots move as they are; nothing is minted or redeemed.
    ReplaceAccount {
        old: Address,
        new: Address,
        pseudonym: Hash,
    },
    /// A programme's issuer enrols an account whose credential it checked (MIL-05).
    Enrol {
        programme: String,
        account: Address,
    },
    /// A programme's issuer awards an account for evidence (MIL-03..07).
    Award {
        programme: String,
        account: Address,
        evidence: Evidence,
    },
    /// The holder spends at a sink other than merchants (a local tax bill, a voucher, a
    /// donation); `reference` is the bill's or voucher's id there, paid once.
    Redeem {
        sink: String,
        amount: u64,
        reference: Hash,
    },
    /// The finance office registers a merchant that takes mileage, under a sink of kind
    /// `merchants` (MIL-08).
    RegisterMerchant {
        account: Address,
        name: String,
        sink: String,
    },
    /// The holder pays a merchant's payment request (the QR code): `request` is its id,
    /// paid once.
    Pay {
        merchant: Address,
        amount: u64,
        request: Hash,
    },
    /// The holder gives mileage to another account, from programmes that allow it (MIL-09).
    Gift {
        to: Address,
        amount: u64,
    },
    /// The council registers another points scheme (a card company's, a district's) whose
    /// members may convert its points into `programme` (MIL-02). The programme's award table
    /// publishes the rate, as a `rate` line for evidence kind `points-<id>`, in versions.
    RegisterPartner {
        id: String,
        name: String,
        /// The scheme's operator, who signs each conversion.
        operator: Address,
        programme: String,
    },
    /// A partner's operator converts a member's points: the burn of `points` at the partner,
    /// under its own `receipt`, is recorded and mileage is minted at the published rate in the
    /// same change. A refusal leaves neither (MIL-02), so the operator burns the points it
    /// holds for the member only once the conversion is final, and releases them otherwise.
    Convert {
        partner: String,
        account: Address,
        points: u64,
        receipt: Hash,
    },
    /// The council hands a programme to another issuing office (a new office, or the same
    /// office's new key): awards from the old one are refused from then on (MIL-03).
    SetIssuer {
        programme: String,
        issuer: Address,
    },
    /// The council stops a sink taking mileage (MIL-08). What was spent there stays in the
    /// books; its merchants can no longer be paid, and their past days are still settled.
    CloseSink {
        id: String,
    },
    /// The finance office stops a merchant taking mileage; its past days are still settled.
    CloseMerchant {
        account: Address,
    },
    /// The finance office settles one merchant's payments of one past day.
    Settle {
        merchant: Address,
        day: Date,
    },
}
