//! The partner bank as the city's side sees it: an instruction file goes in, an answer per
//! line comes back (confirmed with a value date, or rejected with a reason code), and the
//! same attempt sent again is answered the same without paying twice. A real bank's adapter
//! implements [`PartnerBank`] over its file channel or API; [`simulator::BankSimulator`] plays
//! the bank in tests and demos.

pub mod file;
pub mod simulator;

use file::{FileError, LineAnswer};

/// A partner bank's file channel.
pub trait PartnerBank {
    /// Delivers attempt `attempt` of an instruction file (its JSON bytes) and returns the
    /// bank's answer per line. Idempotent by (instruction id, attempt).
    fn submit(&mut self, file: &[u8], attempt: u32) -> Result<Vec<LineAnswer>, FileError>;
}

impl PartnerBank for simulator::BankSimulator {
    fn submit(&mut self, file: &[u8], attempt: u32) -> Result<Vec<LineAnswer>, FileError> {
        self.receive(file::parse(file)?, attempt)
    }
}
