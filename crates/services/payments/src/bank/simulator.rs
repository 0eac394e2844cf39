//! A partner bank for tests and demos: it keeps accounts, receives instruction files, pays or
//! rejects each line by the rules a bank applies, and answers the same file sent twice with
//! the same answers without paying twice. It checks each worker's account against the
//! commitment the worker bound on chain, and a labour line's per-worker amounts against the
//! line's commitment, so the chain's rule that labour goes only to workers' own accounts
//! holds at the bank too.

use std::collections::BTreeMap;

use dojang_payments::msg::Outcome;
use dojang_payments::state::Line;
use dojang_types::{Address, Hash};

use dojang_payments::msg::PartKind;

use super::file::{account_commitment, lines_commitment, Credit, Creditor, FileError, InstructionFile, LineAnswer};

/// What the bank reads from the chain to check a file: the instruction's lines, and the
/// account commitment each worker bound.
#[derive(Debug, Clone, Default)]
pub struct ChainFacts {
    pub lines: Vec<Line>,
    pub bound: BTreeMap<Address, Hash>,
}

#[derive(Debug, Clone)]
struct Account {
    open: bool,
    credited_krw: u64,
}

/// The simulated partner bank.
#[derive(Debug, Default)]
pub struct BankSimulator {
    accounts: BTreeMap<String, Account>,
    /// Contractors' dedicated accounts, by their chain address.
    dedicated: BTreeMap<Address, String>,
    /// Lines paid this many days after the requested date, by end-to-end id.
    delays: BTreeMap<String, i64>,
    /// Files received, by (instruction, attempt), with the answers given.
    received: BTreeMap<(Hash, u32), (InstructionFile, Vec<LineAnswer>)>,
    /// What the bank read from the chain for each instruction.
    facts: BTreeMap<Hash, ChainFacts>,
    /// Lines paid, by end-to-end id, with their value date: never paid twice.
    paid: BTreeMap<String, dojang_types::Date>,
    mutual_aid_krw: u64,
}

impl BankSimulator {
    pub fn new() -> BankSimulator {
        BankSimulator::default()
    }

    pub fn open_account(&mut self, number: &str) {
        self.accounts.insert(number.into(), Account { open: true, credited_krw: 0 });
    }

    pub fn close_account(&mut self, number: &str) {
        if let Some(a) = self.accounts.get_mut(number) {
            a.open = false;
        }
    }

    /// A contractor's dedicated account for the project.
    pub fn dedicate(&mut self, contractor: Address, number: &str) {
        self.open_account(number);
        self.dedicated.insert(contractor, number.into());
    }

    /// The line with `end_to_end_id` is paid `days` after the requested date.
    pub fn delay(&mut self, end_to_end_id: String, days: i64) {
        self.delays.insert(end_to_end_id, days);
    }

    /// What an account has been credited.
    pub fn credited(&self, number: &str) -> u64 {
        self.accounts.get(number).map_or(0, |a| a.credited_krw)
    }

    pub fn mutual_aid_credited(&self) -> u64 {
        self.mutual_aid_krw
    }

    /// What the bank read from the chain for `instruction` (its lines with a proof, the
    /// workers' bound accounts), before it pays a file for it.
    pub fn learn(&mut self, instruction: Hash, facts: ChainFacts) {
        self.facts.insert(instruction, facts);
    }

    /// Receives attempt `attempt` of a file: the answers per line. The same attempt sent again
    /// gets the same answers and pays nothing more; changed contents under the same attempt
    /// are refused whole.
    pub fn receive(&mut self, file: InstructionFile, attempt: u32) -> Result<Vec<LineAnswer>, FileError> {
        let chain = self.facts.get(&file.instruction).cloned().ok_or_else(|| {
            FileError::Malformed(format!("instruction {} is not on the chain the bank reads", file.instruction))
        })?;
        if let Some((before, answers)) = self.received.get(&(file.instruction, attempt)) {
            return if *before == file {
                Ok(answers.clone())
            } else {
                Err(FileError::ChangedOnResend(file.instruction))
            };
        }
        // Every credit is checked against the chain before anything is paid: a file refused
        // whole has paid no one.
        for credit in &file.credits {
            let line = chain.lines.get(credit.line as usize).ok_or_else(|| FileError::BadLine {
                line: credit.line,
                reason: "the chain's instruction has no such line".into(),
            })?;
            check_credit(credit, line)?;
        }
        let mut answers = Vec::with_capacity(file.credits.len());
        for credit in &file.credits {
            let line = &chain.lines[credit.line as usize];
            let outcome = match self.paid.get(&credit.end_to_end_id) {
                // Paid under another file already: the same answer, nothing paid again.
                Some(value_date) => Outcome::Confirmed { value_date: *value_date },
                None => {
                    let value_date = file
                        .requested_execution
                        .plus_days(self.delays.get(&credit.end_to_end_id).copied().unwrap_or(0));
                    match self.pay(credit, line, &chain) {
                        Ok(()) => {
                            self.paid.insert(credit.end_to_end_id.clone(), value_date);
                            Outcome::Confirmed { value_date }
                        }
                        Err(code) => Outcome::Rejected { code: code.into() },
                    }
                }
            };
            answers.push(LineAnswer {
                instruction: file.instruction,
                line: credit.line,
                attempt: credit.attempt,
                outcome,
            });
        }
        self.received.insert((file.instruction, attempt), (file, answers.clone()));
        Ok(answers)
    }

    /// Pays one credit, or the reason code it is rejected with; a rejected line pays no one.
    fn pay(&mut self, credit: &Credit, line: &Line, chain: &ChainFacts) -> Result<(), &'static str> {
        match &credit.creditor {
            Creditor::Contractor { address } => {
                let number = self.dedicated.get(address).ok_or("no_dedicated_account")?.clone();
                self.credit(&number, credit.krw)
            }
            Creditor::MutualAidFund => {
                self.mutual_aid_krw = self.mutual_aid_krw.saturating_add(credit.krw);
                Ok(())
            }
            Creditor::Workers { credits, lines_salt } => {
                let wages: Vec<(Address, u64)> = credits.iter().map(|c| (c.worker, c.krw)).collect();
                if line.part.lines != Some(lines_commitment(lines_salt, &wages)) {
                    return Err("lines_mismatch");
                }
                if wages.iter().try_fold(0u64, |t, (_, k)| t.checked_add(*k)) != Some(credit.krw) {
                    return Err("amounts_mismatch");
                }
                for c in credits {
                    if chain.bound.get(&c.worker) != Some(&account_commitment(&c.account.salt, &c.account.number)) {
                        return Err("account_not_bound");
                    }
                    match self.accounts.get(&c.account.number) {
                        Some(a) if a.open => {}
                        Some(_) => return Err("account_closed"),
                        None => return Err("no_such_account"),
                    }
                }
                for c in credits {
                    self.credit(&c.account.number, c.krw)?;
                }
                Ok(())
            }
        }
    }

    fn credit(&mut self, number: &str, krw: u64) -> Result<(), &'static str> {
        match self.accounts.get_mut(number) {
            Some(a) if a.open => {
                a.credited_krw = a.credited_krw.saturating_add(krw);
                Ok(())
            }
            Some(_) => Err("account_closed"),
            None => Err("no_such_account"),
        }
    }
}

/// Whether a credit may pay the chain's line at all (PAY-07): its amount, and a creditor of
/// the line's kind: the line's own workers, each once, for labour; the fund for mutual aid;
/// the line's payee for anything else.
fn check_credit(credit: &Credit, line: &Line) -> Result<(), FileError> {
    let bad = |reason: String| FileError::BadLine { line: credit.line, reason };
    if line.part.krw != credit.krw {
        return Err(bad(format!("credits {} won, the chain approved {}", credit.krw, line.part.krw)));
    }
    match (&credit.creditor, line.part.kind) {
        (Creditor::Workers { credits, .. }, PartKind::Labour) => {
            let named: Vec<Address> = credits.iter().map(|c| c.worker).collect();
            if named != line.part.workers {
                return Err(bad("its workers are not the line's workers, each once, in the line's order".into()));
            }
            Ok(())
        }
        (Creditor::MutualAidFund, PartKind::MutualAid) => Ok(()),
        (Creditor::Contractor { address }, kind) if kind != PartKind::Labour && kind != PartKind::MutualAid => {
            if *address != line.payee {
                return Err(bad(format!("it credits {address}, the chain's line pays {}", line.payee)));
            }
            Ok(())
        }
        (_, kind) => Err(bad(format!("a {kind:?} line cannot credit that creditor: labour goes only to its workers"))),
    }
}
