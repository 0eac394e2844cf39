//! The legal figures the payments rules read, by their parameter table and key (governance
//! `set_param`), each at the version in force on the date that matters. A chain running the
//! service needs each set; `dojang demo payments` sets the figures of 2026.

use dojang_governance::readers::{count_in_force, days_in_force, krw_in_force};
use dojang_ledger::{ModuleError, StateRead};
use dojang_types::Date;

/// PAY-01: the most days from receipt of the work to payment (60).
pub const DUE_DAYS: (&str, &str) = ("payments", "due_days");
/// PAY-02: days to pass a payment through once the prime is paid (15).
pub const PASS_THROUGH_DAYS: (&str, &str) = ("payments", "pass_through_days");
/// PAY-03: late interest a year, in basis points (the Fair Trade Commission's rate).
pub const LATE_INTEREST_BP: (&str, &str) = ("payments", "late_interest_bp");
/// PAY-05: days after signing to give the payment guarantee (30), for contracts over
/// `GUARANTEE_OVER_KRW` (KRW 10 M).
pub const GUARANTEE_DAYS: (&str, &str) = ("payments", "guarantee_days");
pub const GUARANTEE_OVER_KRW: (&str, &str) = ("payments", "guarantee_over_krw");
/// PAY-06: missed instalments after which the owner pays directly (2).
pub const DIRECT_AFTER_MISSED: (&str, &str) = ("payments", "direct_after_missed");
/// PAY-09: days to pass a change order through (30).
pub const CHANGE_ORDER_DAYS: (&str, &str) = ("payments", "change_order_days");
/// PAY-11: the retirement mutual-aid contribution per worker-day.
pub const MUTUAL_AID_DAILY_KRW: (&str, &str) = ("payments", "mutual_aid_daily_krw");
/// Days before a due day that a reminder is raised.
pub const REMINDER_DAYS: (&str, &str) = ("payments", "reminder_days");

/// Every figure the rules read: a chain running the service needs each in force.
pub const ALL: [(&str, &str); 9] = [
    DUE_DAYS,
    PASS_THROUGH_DAYS,
    LATE_INTEREST_BP,
    GUARANTEE_DAYS,
    GUARANTEE_OVER_KRW,
    DIRECT_AFTER_MISSED,
    CHANGE_ORDER_DAYS,
    MUTUAL_AID_DAILY_KRW,
    REMINDER_DAYS,
];

pub fn days(state: &dyn StateRead, param: (&str, &str), on: Date) -> Result<u32, ModuleError> {
    days_in_force(state, param, on)
}

pub fn krw(state: &dyn StateRead, param: (&str, &str), on: Date) -> Result<u64, ModuleError> {
    krw_in_force(state, param, on)
}

pub fn count(state: &dyn StateRead, param: (&str, &str), on: Date) -> Result<u64, ModuleError> {
    count_in_force(state, param, on)
}
