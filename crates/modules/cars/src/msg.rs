//! The cars module's messages. A record names a vehicle by its VIN and an attester by its
//! account; an owner or a buyer is a pseudonymous account. No message names a person: an
//! organisation's public business name is the only name here, and an inspector is known by
//! the account the council accredited and the business they inspect for.

use dojang_types::{Address, Date, Hash};
use serde::{Deserialize, Serialize};

/// Who may attest what (CAR-05): each accredited account is one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// Sells used cars; records sales with the notice (CAR-03).
    Dealer,
    /// A performance and condition inspection business.
    InspectionShop,
    /// A certified inspector: signs inspections and the notices built on them.
    Inspector,
    /// Repairs cars and replaces odometers (the event that starts a new segment, CAR-01).
    MaintenanceShop,
    /// Reports accidents, flood damage and the odometer at a claim.
    Insurer,
    /// The vehicle registration office: first registration, ownership, liens and seizures.
    RegistrationOffice,
    /// The city's car-mileage programme: odometer readings with a photo.
    MileageProgramme,
}

/// The condition grade of a performance and condition inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    Excellent,
    Good,
    Fair,
    Poor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Minor,
    /// Frame or structural damage.
    Major,
    TotalLoss,
}

/// A lien on the vehicle (CAR-08): a registered mortgage, or a seizure (for example for
/// unpaid taxes or fines). Only the kind and a salted reference are on chain: never the
/// creditor or the amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LienKind {
    Mortgage,
    Seizure,
}

/// One fact about a vehicle, dated on the day it was observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Record {
    /// First registration, with the odometer then (the registration office).
    Registration {
        on: Date,
        km: u64,
    },
    /// An odometer reading (periodic inspection, maintenance, a claim, the mileage programme).
    Odometer {
        on: Date,
        km: u64,
    },
    /// A performance and condition inspection (an inspector): flood damage, accident history,
    /// the grade, photos and the full report by content hash.
    Inspection {
        on: Date,
        km: u64,
        flood: bool,
        accident: bool,
        grade: Grade,
        photos: Vec<Hash>,
        report: Hash,
    },
    /// An accident or flood claim (an insurer).
    Accident {
        on: Date,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        km: Option<u64>,
        severity: Severity,
        flood: bool,
    },
    /// A repair (a maintenance shop), the work by content hash.
    Repair {
        on: Date,
        km: u64,
        work: Hash,
    },
    /// The odometer was replaced (a maintenance shop): readings from this date on form a new
    /// segment (CAR-01).
    OdometerReplaced {
        on: Date,
        old_km: u64,
        new_km: u64,
    },
    /// A change of owner (the registration office): the new owner's pseudonymous account.
    Transfer {
        on: Date,
        owner: Address,
    },
    Lien {
        on: Date,
        lien: LienKind,
        reference: Hash,
    },
    LienReleased {
        on: Date,
        reference: Hash,
    },
}

impl Record {
    pub fn on(&self) -> Date {
        match self {
            Record::Registration { on, .. }
            | Record::Odometer { on, .. }
            | Record::Inspection { on, .. }
            | Record::Accident { on, .. }
            | Record::Repair { on, .. }
            | Record::OdometerReplaced { on, .. }
            | Record::Transfer { on, .. }
            | Record::Lien { on, .. }
            | Record::LienReleased { on, .. } => *on,
        }
    }

    /// The odometer reading this record carries, if any.
    pub fn km(&self) -> Option<u64> {
        match self {
            Record::Registration { km, .. }
            | Record::Odometer { km, .. }
            | Record::Inspection { km, .. }
            | Record::Repair { km, .. } => Some(*km),
            Record::Accident { km, .. } => *km,
            Record::OdometerReplaced { .. }
            | Record::Transfer { .. }
            | Record::Lien { .. }
            | Record::LienReleased { .. } => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Record::Registration { .. } => "registration",
            Record::Odometer { .. } => "odometer",
            Record::Inspection { .. } => "inspection",
            Record::Accident { .. } => "accident",
            Record::Repair { .. } => "repair",
            Record::OdometerReplaced { .. } => "odometer_replaced",
            Record::Transfer { .. } => "transfer",
            Record::Lien { .. } => "lien",
            Record::LienReleased { .. } => "lien_released",
        }
    }
}

/// The dealer's notice to the buyer (Motor Vehicle Management Act art. 58; CAR-03, CAR-04):
/// what the inspection found, the liens, the fees. It travels as two compact JWS over these
/// same fields, one by the dealer and one by the inspector ([`SignedNotice`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub vin: String,
    pub dealer: Address,
    pub inspector: Address,
    /// The inspection's number in the vehicle's history.
    pub inspection: u32,
    pub inspected_on: Date,
    pub km: u64,
    pub flood: bool,
    pub accident: bool,
    pub grade: Grade,
    #[serde(default)]
    pub photos: Vec<Hash>,
    /// The liens and seizures disclosed, by their references.
    #[serde(default)]
    pub liens: Vec<Hash>,
    /// The dealer's fees, in KRW.
    pub fees_krw: u64,
    pub issued_on: Date,
}

/// A notice as the buyer receives it: the dealer's and the inspector's compact JWS (EdDSA or
/// ES256, each with its public key as `jwk` in the header, `typ` [`crate::notice::NOTICE_TYP`])
/// over the same payload, the [`Notice`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedNotice {
    pub dealer: String,
    pub inspector: String,
}

/// As JSON: `{"type": "attest", "vin": "KMHDN45D22U123456", "record": {"kind": "odometer", ...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CarsMsg {
    /// The council accredits an account for what its kind may attest (CAR-05).
    /// `organisation` is the business's public name (for an inspector, the business they
    /// inspect for), never a person's name.
    Accredit {
        account: Address,
        party: Party,
        organisation: String,
    },
    /// The council suspends an accredited account: its records are refused until reinstated.
    Suspend {
        account: Address,
        reason: String,
    },
    Reinstate {
        account: Address,
    },
    /// The council voids a record found false (a forged reading, a mistyped registration):
    /// it stays in the history, marked, and no rule reads it any more.
    VoidRecord {
        vin: String,
        seq: u32,
        reason: String,
    },
    /// An accredited account records a fact about a vehicle.
    Attest {
        vin: String,
        record: Record,
    },
    /// The vehicle's owner lets a dealer sell it until a date (CAR-07).
    Mandate {
        vin: String,
        dealer: Address,
        until: Date,
    },
    RevokeMandate {
        vin: String,
        dealer: Address,
    },
    /// A dealer records a sale at delivery, with the notice the buyer received before the
    /// contract; the rescission windows start at delivery (CAR-06).
    RecordSale {
        vin: String,
        notice: SignedNotice,
        buyer: Address,
        contract_on: Date,
        delivered_on: Date,
    },
}

impl CarsMsg {
    /// The VIN the message is about, if any.
    pub fn vin(&self) -> Option<&str> {
        match self {
            CarsMsg::Attest { vin, .. }
            | CarsMsg::VoidRecord { vin, .. }
            | CarsMsg::Mandate { vin, .. }
            | CarsMsg::RevokeMandate { vin, .. }
            | CarsMsg::RecordSale { vin, .. } => Some(vin),
            CarsMsg::Accredit { .. } | CarsMsg::Suspend { .. } | CarsMsg::Reinstate { .. } => None,
        }
    }
}
