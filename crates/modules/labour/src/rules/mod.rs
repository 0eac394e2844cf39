//! The compliance rules LAB-02..12 (LAB-01 is [`crate::terms::lint`]), each a pure function of
//! the contract's terms, what was worked and paid, and the legal tables in force on the dates
//! concerned. [`week`] runs the weekly ones together, as the engine does every week.

pub mod hours;
pub mod insurance;
pub mod leave;
pub mod payment;
pub mod wage;

use crate::finding::Finding;
use crate::tables::{TableError, Tables};
use crate::terms::Terms;
use crate::timesheet::Week;

/// Every weekly rule on the last of `weeks` (the earlier ones, up to three, for LAB-03's
/// four-week average): LAB-02, 03, 04, 05, 06.
pub fn week(terms: &Terms, weeks: &[Week], tables: &Tables) -> Result<Vec<Finding>, TableError> {
    let Some(last) = weeks.last() else { return Ok(vec![]) };
    let mut out = wage::minimum_wage(terms, last, tables)?;
    out.extend(wage::weekly_holiday(terms, weeks, tables)?);
    out.extend(wage::premiums(terms, last, tables)?);
    out.extend(hours::caps(terms, last, tables)?);
    out.extend(hours::breaks(last, tables)?);
    Ok(out)
}
