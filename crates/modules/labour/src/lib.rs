//! Labour (DOMAIN.md §2, rules LAB-01..12): part-time workers' contracts and the compliance
//! engine over them. This crate holds the pure part: the contract's terms and the LAB-01
//! linter ([`terms`]), what was worked and paid ([`timesheet`]), the legal figures as the
//! council's parameter tables hold them ([`tables`]), and the rules ([`rules`]), each a pure
//! function that returns [`Finding`]s citing its rule id, dates, figures and law.
//!
//! Contracts and timesheets are personal data: they live in a private collection, and these
//! functions run where that data is (the employer's and the labour office's services, the
//! worker's wallet), never on the ledger.

pub mod finding;
pub mod rules;
pub mod tables;
pub mod terms;
pub mod timesheet;

pub use finding::{Finding, Severity};
pub use tables::{TableError, Tables};
pub use terms::{lint, Draft, Problem, Terms};
pub use timesheet::{Payment, Week, WeekPay, WorkDay};
