//! The mileage queries a client can ask, each with the type of its answer. The one-record
//! queries name the state key they live under, so a citizen, a merchant or the finance office
//! can read them again with a proof against the chain's validators (MIL-10).

use dojang_types::{record_query, Address, Date, Hash, ModuleQuery};
use serde::{Deserialize, Serialize};

use crate::state::{
    self, Account, Conversion, Merchant, MerchantDay, Office, Partner, Payment, Programme, Sink, Totals, Used,
};
use crate::NAME;

record_query!(
    /// `programme/<id>`: a programme with its budgets and award table versions.
    ProgrammeQuery { id: String } => Programme, format!("programme/{id}"), state::programme_key(id)
);
record_query!(
    /// `account/<address>`: an account's lots (first in first) and what it was awarded.
    AccountQuery { account: Address } => Account, format!("account/{account}"), state::account_key(account)
);
record_query!(
    /// `totals/<programme>/<year>`: a programme's money in one budget year (MIL-01, MIL-10).
    TotalsQuery { programme: String, year: u16 } => Totals, format!("totals/{programme}/{year}"), state::totals_key(programme, *year)
);
record_query!(
    /// `expiring/<programme>/<YYYY-MM>`: what lots of a programme whose last day falls in
    /// that month still hold (MIL-10). `month` is any day of the month.
    ExpiringQuery { programme: String, month: Date } => u64,
    format!("expiring/{programme}/{:04}-{:02}", month.year, month.month), state::expiring_key(programme, *month)
);
record_query!(
    /// `evidence/<id>`: what an evidence id was awarded for, if it was (MIL-04).
    EvidenceQuery { id: Hash } => Used, format!("evidence/{id}"), state::evidence_key(id)
);
record_query!(
    /// `partner/<id>`: another points scheme and what it has converted in all (MIL-02).
    PartnerQuery { id: String } => Partner, format!("partner/{id}"), state::partner_key(id)
);
record_query!(
    /// `conversion/<partner>/<receipt>`: both legs of one conversion, for the partner to burn
    /// the points it held once the conversion is final (MIL-02).
    ConversionQuery { partner: String, receipt: Hash } => Conversion,
    format!("conversion/{partner}/{receipt}"), state::conversion_key(partner, receipt)
);
record_query!(
    /// `sink/<id>`: an approved sink and what was spent there (MIL-08).
    SinkQuery { id: String } => Sink, format!("sink/{id}"), state::sink_key(id)
);
record_query!(
    /// `office/<address>`: a registrar or finance office the council appointed.
    OfficeQuery { account: Address } => Office, format!("office/{account}"), state::office_key(account)
);
record_query!(
    /// `merchant/<address>`: a merchant, paid and settled in all.
    MerchantQuery { account: Address } => Merchant, format!("merchant/{account}"), state::merchant_key(account)
);
record_query!(
    /// `merchant-day/<address>/<date>`: a merchant's takings of one day and their settlement.
    MerchantDayQuery { account: Address, day: Date } => MerchantDay,
    format!("merchant-day/{account}/{day}"), state::merchant_day_key(account, *day)
);

record_query!(
    /// `request/<merchant>/<id>`: a payment request once paid, with its amount and payer.
    RequestQuery { merchant: Address, request: Hash } => Payment,
    format!("request/{merchant}/{request}"), state::request_key(merchant, request)
);
record_query!(
    /// `redeemed/<sink>/<reference>`: a bill or voucher paid at a sink, with its amount and payer.
    RedeemedQuery { sink: String, reference: Hash } => Payment,
    format!("redeemed/{sink}/{reference}"), state::redeemed_key(sink, reference)
);

/// One programme's money in one budget year, for the liability report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiabilityLine {
    pub programme: String,
    pub year: u16,
    pub totals: Totals,
}

/// What lots of one programme expiring in the report's month still hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiringLine {
    pub programme: String,
    pub krw: u64,
}

/// The finance office's liability report (MIL-10): outstanding per programme and budget
/// year, what expires in `month`, and breakage so far. Each line is a record a client can read
/// again with its proof ([`TotalsQuery`], [`ExpiringQuery`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Liability {
    pub month: String,
    pub lines: Vec<LiabilityLine>,
    pub expiring: Vec<ExpiringLine>,
    /// False when there were more programme-years than one report lists
    /// ([`crate::query::MAX_LIABILITY_LINES`]): read the rest with [`TotalsQuery`].
    pub complete: bool,
}

/// `liability?month=YYYY-MM`.
pub struct LiabilityQuery {
    pub month: Date,
}

impl ModuleQuery for LiabilityQuery {
    const MODULE: &'static str = NAME;
    type Answer = Liability;
    fn path(&self) -> String {
        "liability".into()
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        vec![("month", format!("{:04}-{:02}", self.month.year, self.month.month))]
    }
}

/// A merchant's settlement report: its days in order, each with its takings and settlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlements {
    pub merchant: Address,
    pub days: Vec<(Date, MerchantDay)>,
    /// Where the next page starts (`after`), when this one is full.
    pub next_after: Option<Date>,
}

/// `settlements/<address>?after=<date>&limit=<n>`.
pub struct SettlementsQuery {
    pub merchant: Address,
    pub after: Option<Date>,
    pub limit: Option<u32>,
}

impl ModuleQuery for SettlementsQuery {
    const MODULE: &'static str = NAME;
    type Answer = Settlements;
    fn path(&self) -> String {
        format!("settlements/{}", self.merchant)
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        if let Some(a) = self.after {
            p.push(("after", a.to_string()));
        }
        if let Some(l) = self.limit {
            p.push(("limit", l.to_string()));
        }
        p
    }
}
