//! A program office's verifier service (docs/domain.md §1, ELIG-01..07): signed presentation
//! requests citing a registered policy, verification of the answers, the program's rule set,
//! duplicate detection by a program-scoped pseudonym, decisions kept as salted leaves in the
//! office's own store, receipts with inclusion proofs under anchored roots, the lottery, and
//! the staff console.

pub mod console;
mod console_decision;
mod console_login;
mod console_page;
pub mod http;
pub mod office;
pub mod pending;
mod poster;
pub mod record;
pub mod replay;
pub mod staff;
pub mod store;

pub use office::{
    open_request, request_kid, Application, ApplyError, Office, Program, SignedRequestClaims, Unanchored,
};
pub use pending::{OfficeBusy, DEFAULT_MAX_PENDING};
pub use record::{Batch, DecisionCore, DecisionRecord, Receipt, ReceiptError};
pub use store::DecisionStore;
