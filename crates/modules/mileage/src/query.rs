//! Read-only queries, each record with its state key so that a client can read it again
//! with a proof: `programme/<id>`, `account/<address>`, `totals/<programme>/<year>`,
//! `expiring/<programme>/<YYYY-MM>`, `evidence/<id>`, `sink/<id>`, `office/<address>`,
//! `merchant/<address>`, `merchant-day/<address>/<date>`, `partner/<id>`,
//! `conversion/<partner>/<receipt>`; and two reports:
//! `liability?month=YYYY-MM` (MIL-10) and `settlements/<address>?after=&limit=`.

use dojang_ledger::{decode_record, keyed_answer, query_answer, query_number, ModuleError, StateRead};
use dojang_types::{Address, Date, Hash};
use serde_json::Value;

use crate::state::{
    self, Account, Conversion, Merchant, MerchantDay, Office, Partner, Payment, Programme, Sink, Totals, Used,
};
use crate::views::{ExpiringLine, Liability, LiabilityLine, Settlements};
use crate::NAME;

/// The most days one settlements page holds.
pub const MAX_DAYS_PAGE: usize = 366;
/// The most programme-years a liability report lists.
pub const MAX_LIABILITY_LINES: usize = 1000;

fn invalid(reason: String) -> ModuleError {
    ModuleError::InvalidMessage(reason)
}

fn address(text: &str) -> Result<Address, ModuleError> {
    text.parse().map_err(|e: String| invalid(format!("'{text}' is not an account address: {e}")))
}

fn date(text: &str) -> Result<Date, ModuleError> {
    text.parse().map_err(|e: String| invalid(format!("'{text}' is not a date (YYYY-MM-DD): {e}")))
}

/// `YYYY-MM` as the first day of that month.
fn month(text: &str) -> Result<Date, ModuleError> {
    let bad = || invalid(format!("'{text}' is not a month (YYYY-MM)"));
    let (y, m) = text.split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    Date::new(y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?, 1).map_err(|_| bad())
}

pub fn query(state: &dyn StateRead, path: &str, params: &Value) -> Result<Value, ModuleError> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["programme", id] => keyed_answer::<Programme>(state, NAME, &state::programme_key(id), || format!("programme '{id}'")),
        ["account", a] => {
            let a = address(a)?;
            keyed_answer::<Account>(state, NAME, &state::account_key(&a), || format!("a mileage account {a}"))
        }
        ["totals", p, y] => {
            let year: u16 = y.parse().map_err(|_| invalid(format!("'{y}' is not a year")))?;
            keyed_answer::<Totals>(state, NAME, &state::totals_key(p, year), || format!("money of '{p}' in {year}"))
        }
        ["expiring", p, m] => {
            let m = month(m)?;
            keyed_answer::<u64>(state, NAME, &state::expiring_key(p, m), || format!("lots of '{p}' expiring in {m}"))
        }
        ["evidence", id] => {
            let id: Hash = id.parse().map_err(|e: String| invalid(format!("'{id}' is not an evidence id: {e}")))?;
            keyed_answer::<Used>(state, NAME, &state::evidence_key(&id), || format!("an award for evidence {id}"))
        }
        ["partner", id] => keyed_answer::<Partner>(state, NAME, &state::partner_key(id), || format!("partner '{id}'")),
        ["conversion", partner, r] => {
            let r: Hash = r.parse().map_err(|e: String| invalid(format!("'{r}' is not a receipt id: {e}")))?;
            keyed_answer::<Conversion>(state, NAME, &state::conversion_key(partner, &r), || {
                format!("a conversion of '{partner}' under receipt {r}")
            })
        }
        ["sink", id] => keyed_answer::<Sink>(state, NAME, &state::sink_key(id), || format!("sink '{id}'")),
        ["office", a] => {
            let a = address(a)?;
            keyed_answer::<Office>(state, NAME, &state::office_key(&a), || format!("a mileage office {a}"))
        }
        ["merchant", a] => {
            let a = address(a)?;
            keyed_answer::<Merchant>(state, NAME, &state::merchant_key(&a), || format!("a merchant {a}"))
        }
        ["merchant-day", a, d] => {
            let (a, d) = (address(a)?, date(d)?);
            keyed_answer::<MerchantDay>(state, NAME, &state::merchant_day_key(&a, d), || format!("takings of {a} on {d}"))
        }
        ["request", m, r] => {
            let m = address(m)?;
            let r: Hash = r.parse().map_err(|e: String| invalid(format!("'{r}' is not a request id: {e}")))?;
            keyed_answer::<Payment>(state, NAME, &state::request_key(&m, &r), || format!("a paid request {r} of {m}"))
        }
        ["redeemed", sink, r] => {
            let r: Hash = r.parse().map_err(|e: String| invalid(format!("'{r}' is not a bill's reference: {e}")))?;
            keyed_answer::<Payment>(state, NAME, &state::redeemed_key(sink, &r), || format!("a payment of {r} at '{sink}'"))
        }
        ["liability"] => liability(state, params),
        ["settlements", a] => settlements(state, address(a)?, params),
        _ => Err(invalid(format!(
            "unknown mileage query '{path}' (programme/<id>, account/<address>, totals/<programme>/<year>, \
             expiring/<programme>/<YYYY-MM>, evidence/<id>, sink/<id>, office/<address>, merchant/<address>, \
             merchant-day/<address>/<date>, request/<merchant>/<id>, redeemed/<sink>/<reference>, liability?month=YYYY-MM, settlements/<address>)"
        ))),
    }
}

fn liability(state: &dyn StateRead, params: &Value) -> Result<Value, ModuleError> {
    let m = match params.get("month") {
        Some(Value::String(s)) => month(s)?,
        Some(other) => return Err(invalid(format!("month is YYYY-MM, not {other}"))),
        None => return Err(invalid("liability needs month=YYYY-MM: the month whose expiring lots to report".into())),
    };
    let rows = state.scan(b"totals/", None, MAX_LIABILITY_LINES)?;
    let mut lines = Vec::with_capacity(rows.len());
    let mut expiring = Vec::new();
    for (k, b) in &rows {
        let key = String::from_utf8_lossy(k);
        let mut parts = key.trim_start_matches("totals/").splitn(2, '/');
        let (Some(programme), Some(year)) = (parts.next(), parts.next().and_then(|y| y.parse().ok())) else {
            return Err(ModuleError::Storage(dojang_ledger::StoreError::Corrupt(format!("a totals key '{key}'"))));
        };
        let totals: Totals = decode_record(b, &key)?;
        if expiring.last().is_none_or(|e: &ExpiringLine| e.programme != programme) {
            let krw = state::read::<u64>(state, &state::expiring_key(programme, m))?.unwrap_or(0);
            expiring.push(ExpiringLine { programme: programme.to_string(), krw });
        }
        lines.push(LiabilityLine { programme: programme.to_string(), year, totals });
    }
    let complete = rows.len() < MAX_LIABILITY_LINES;
    query_answer(&Liability { month: format!("{:04}-{:02}", m.year, m.month), lines, expiring, complete })
}

fn settlements(state: &dyn StateRead, merchant: Address, params: &Value) -> Result<Value, ModuleError> {
    let limit = query_number(params, "limit")?.map_or(MAX_DAYS_PAGE, |l| (l as usize).clamp(1, MAX_DAYS_PAGE));
    let after = match params.get("after") {
        Some(Value::String(s)) => Some(state::merchant_day_key(&merchant, date(s)?).into_bytes()),
        Some(other) => return Err(invalid(format!("after is a date YYYY-MM-DD, not {other}"))),
        None => None,
    };
    let prefix = state::merchant_days_prefix(&merchant);
    let rows = state.scan(prefix.as_bytes(), after.as_deref(), limit)?;
    let mut days = Vec::with_capacity(rows.len());
    for (k, b) in &rows {
        let key = String::from_utf8_lossy(k);
        let day = date(key.trim_start_matches(prefix.as_str()))?;
        days.push((day, decode_record::<MerchantDay>(b, &key)?));
    }
    let next_after = (days.len() == limit).then(|| days.last().map(|(d, _)| *d)).flatten();
    query_answer(&Settlements { merchant, days, next_after })
}
