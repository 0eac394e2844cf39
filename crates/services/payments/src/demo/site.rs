//! The demo's road project: the ordering department's two officers, the partner bank (the
//! simulator, holding the bank's chain key), the prime, three tiers of subcontractors, an
//! equipment and a material supplier, and 120 workers whose names, resident numbers, bank
//! accounts and wages stay with their employers and the bank.

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use dojang_crypto::{Algorithm, Keypair};
use dojang_eligibility_service::demo::citizens::{self, Citizen};
use dojang_payments::msg::{Answer, PaymentsMsg};
use dojang_payments::state::Progress;
use dojang_payments::views::{BoundAccountQuery, ProgressQuery};
use dojang_sdk::{Client, ClientError, TrustedChain, TxBuilder};
use dojang_types::{Address, Hash};
use serde_json::Value;

use crate::bank::file::{account_commitment, AccountOpening, LineAnswer};
use crate::bank::simulator::{BankSimulator, ChainFacts};
use crate::bank::PartnerBank;
use crate::instruction::{build, Payroll};

pub const PROJECT: &str = "road-2026-17";
pub const PROJECT_KRW: u64 = 6_000_000_000;

/// A contract of the tree: id, parent, kind, amount, and whether its payer gives the
/// guarantee in time (sub-c's payer does not: PAY-05, then PAY-06).
pub const TREE: [(&str, Option<&str>, &str, u64, bool); 6] = [
    ("sub-a", None, "subcontract", 2_500_000_000, true),
    ("sub-b", Some("sub-a"), "subcontract", 1_000_000_000, true),
    ("sub-c", Some("sub-b"), "subcontract", 600_000_000, false),
    ("sub-p", None, "subcontract", 800_000_000, true),
    ("equip", None, "equipment", 150_000_000, true),
    ("mat", None, "material", 9_000_000, true),
];

/// Whose workers: the prime's own (`None`) and the three tiers, 30 each.
pub const CREWS: [Option<&str>; 4] = [None, Some("sub-a"), Some("sub-b"), Some("sub-c")];
pub const CREW_SIZE: usize = 30;

pub struct Worker {
    pub key: Keypair,
    pub person: Citizen,
    pub crew: Option<&'static str>,
    pub account: AccountOpening,
    /// Won an hour, above the minimum wage.
    pub hourly: u64,
}

impl Worker {
    pub fn address(&self) -> Address {
        self.key.public_key().address()
    }
}

pub struct Site {
    pub client: Client,
    /// The chain as the bank trusts it: pinned from the genesis, its clock taken as moved on
    /// by the months the demo has let pass.
    pub trusted: TrustedChain,
    pub chain_id: String,
    pub officers: [Keypair; 2],
    pub bank_key: Keypair,
    pub bank: BankSimulator,
    pub prime: Keypair,
    /// Each contract's contractor, by contract id.
    pub contractors: BTreeMap<&'static str, Keypair>,
    pub workers: Vec<Worker>,
    /// The chain's clock when last read, for signing transactions that expire by it.
    pub chain_now: u64,
    /// Every answer the bank gave, for reconciliation.
    pub answers: Vec<LineAnswer>,
}

pub fn key() -> Keypair {
    Keypair::generate(Algorithm::Ed25519)
}

pub fn address(k: &Keypair) -> Address {
    k.public_key().address()
}

impl Site {
    pub fn new(url: &str, chain_id: String, trusted: TrustedChain) -> Site {
        let people = citizens::generate(CREWS.len() * CREW_SIZE, 18);
        let workers = people
            .into_iter()
            .enumerate()
            .map(|(i, person)| Worker {
                key: key(),
                person,
                crew: CREWS[i / CREW_SIZE],
                account: AccountOpening {
                    number: format!("1002-{:03}-{:06}", 500 + i / 100, 271_828 + i * 7),
                    salt: Hash(rand::random()),
                },
                hourly: 13_000 + (i as u64 * 37) % 6_000,
            })
            .collect();
        Site {
            client: Client::new(url),
            trusted,
            chain_id,
            officers: [key(), key()],
            bank_key: key(),
            bank: BankSimulator::new(),
            prime: key(),
            contractors: TREE.iter().map(|(id, ..)| (*id, key())).collect(),
            workers,
            chain_now: 0,
            answers: Vec::new(),
        }
    }

    /// The node restarted on another address.
    pub fn reconnect(&mut self, url: &str) {
        self.client = Client::new(url);
    }

    pub async fn read_clock(&mut self) -> anyhow::Result<()> {
        let status = self.client.status().await?;
        self.chain_now = status["latest_block_time_ms"].as_u64().context("the node's status has no block time")?;
        Ok(())
    }

    /// The payer of a contract: the prime, or the parent's contractor.
    pub fn payer(&self, contract: &str) -> &Keypair {
        match TREE.iter().find(|c| c.0 == contract).and_then(|c| c.1) {
            Some(parent) => &self.contractors[parent],
            None => &self.prime,
        }
    }

    /// Sends `msg` signed by `by`, to expire by the chain's clock, and waits until it is final.
    pub async fn send(&self, by: &Keypair, msg: &PaymentsMsg) -> Result<Value, ClientError> {
        let tx =
            TxBuilder::new(&self.chain_id, by.duplicate()).message_with(msg, rand::random(), self.chain_now + 600_000);
        self.client.submit_final(&tx).await
    }

    pub async fn must(&self, by: &Keypair, msg: &PaymentsMsg, what: &str) -> anyhow::Result<Value> {
        self.send(by, msg).await.with_context(|| what.to_string())
    }

    /// A progress payment, read with a proof against the trusted chain.
    pub async fn progress(&self, number: u32) -> anyhow::Result<Progress> {
        let q = ProgressQuery { project: PROJECT.into(), number };
        let proven = self.client.ask_verified(&q, &self.trusted).await?;
        Ok(proven.with_context(|| format!("the chain has no progress payment {number}"))?.record)
    }

    /// The bank reads the chain (the instruction's lines and the workers' bound accounts),
    /// takes the file, and reports each line on chain with its own key.
    pub async fn pay(
        &mut self,
        number: u32,
        payroll: &Payroll,
        lines: Option<&[u32]>,
        attempt: u32,
    ) -> anyhow::Result<Vec<LineAnswer>> {
        let pr = self.progress(number).await?;
        let mut bound = BTreeMap::new();
        for l in &pr.lines {
            for w in &l.part.workers {
                let q = BoundAccountQuery { project: PROJECT.into(), worker: *w };
                let c = self.client.ask_verified(&q, &self.trusted).await?;
                bound.insert(*w, c.with_context(|| format!("worker {w} has bound no account"))?.record);
            }
        }
        self.bank.learn(pr.instruction, ChainFacts { lines: pr.lines.clone(), bound });
        let today = dojang_types::Date::from_unix_ms_kst(self.chain_now);
        let file = build(PROJECT, &pr, payroll, lines, today).map_err(anyhow::Error::msg)?;
        let bytes = serde_json::to_vec(&file)?;
        let answers =
            self.bank.submit(&bytes, attempt).map_err(|e| anyhow::anyhow!("the bank refused the file: {e}"))?;
        let statement = PaymentsMsg::Report {
            project: PROJECT.into(),
            number,
            answers: answers
                .iter()
                .map(|a| Answer { line: a.line, attempt: a.attempt, outcome: a.outcome.clone() })
                .collect(),
        };
        self.must(&self.bank_key, &statement, &format!("the bank's statement on month {number}")).await?;
        self.answers.extend(answers.iter().cloned());
        Ok(answers)
    }

    /// Each worker binds an account: the commitment on chain, the account at the bank.
    pub async fn bind_accounts(&mut self) -> anyhow::Result<()> {
        for w in &self.workers {
            self.bank.open_account(&w.account.number);
            let msg = PaymentsMsg::BindAccount {
                project: PROJECT.into(),
                account: account_commitment(&w.account.salt, &w.account.number),
            };
            self.must(&w.key, &msg, "a worker binding their account").await?;
        }
        Ok(())
    }

    /// The worker at `i` moves to a new account (the old one was closed).
    pub async fn rebind(&mut self, i: usize) -> anyhow::Result<()> {
        let new = AccountOpening { number: format!("3333-{:02}-{:07}", 11, 1_414_213 + i), salt: Hash(rand::random()) };
        self.bank.open_account(&new.number);
        let msg =
            PaymentsMsg::BindAccount { project: PROJECT.into(), account: account_commitment(&new.salt, &new.number) };
        let worker = self.workers[i].key.duplicate();
        self.must(&worker, &msg, "the worker binding a new account").await?;
        self.workers[i].account = new;
        Ok(())
    }

    /// Refuses to go on when a step the demo counts on did not happen.
    pub fn expect(&self, ok: bool, what: &str) -> anyhow::Result<()> {
        if !ok {
            bail!("{what}");
        }
        Ok(())
    }
}
