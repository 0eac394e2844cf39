//! The buyer's evidence package (CAR-06): when a trusted record contradicts a sale's notice
//! inside its window, the buyer takes to the dealer or a court:
//! - the sale as the chain recorded it;
//! - the transaction that recorded it, with the notice both signatures are on;
//! - each contradicting record and the transaction its attester signed;
//! - every proof that ties them to blocks the chain's validators certified.
//!
//! Whoever holds the chain's genesis file checks it offline ([`check`]); no node is asked.

use dojang_cars::msg::{CarsMsg, Record};
use dojang_cars::state::{Contradiction, Entry, Fact, Sale, Vehicle, WindowKind};
use dojang_cars::views::{RecordOfQuery, SaleQuery, VehicleQuery};
use dojang_cars::{notice, rules, NAME};
use dojang_sdk::{BundleBuilder, CheckedBundle, Client, ClientError, ProofBundle, ProvenTx};
use dojang_types::{Address, Date, Hash, RecordQuery, TxStatus, Validator};
use serde::{Deserialize, Serialize};

/// The format an evidence package names, so a later version can be told apart.
pub const FORMAT: &str = "dojang/cars/evidence/v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidencePackage {
    pub format: String,
    pub vin: String,
    pub sale: u32,
    pub proofs: ProofBundle,
}

/// Why a package does not prove what it claims, or could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error(transparent)]
    Node(#[from] ClientError),
    #[error("the package is not evidence of a contradicted notice: {0}")]
    Invalid(String),
}

fn invalid(reason: impl Into<String>) -> EvidenceError {
    EvidenceError::Invalid(reason.into())
}

/// Reads the sale, its vehicle and each contradicting record from the node at `client`, with
/// their transactions, checking each answer against the genesis set as it comes.
pub async fn build(
    client: &Client,
    chain_id: &str,
    genesis: &[Validator],
    vin: &str,
    sale: u32,
) -> Result<EvidencePackage, EvidenceError> {
    // Where to look comes from the node; what is kept is proven below.
    let s = client.ask(&SaleQuery { vin: vin.into(), number: sale }).await?.record;
    if s.contradictions.is_empty() {
        return Err(invalid(format!("no record contradicts the notice of sale {sale} of {vin}")));
    }
    let mut tx_ids = vec![s.tx];
    for c in &s.contradictions {
        tx_ids.push(client.ask(&RecordOfQuery { vin: vin.into(), seq: c.seq }).await?.record.tx);
    }
    let mut b = BundleBuilder::new(client, chain_id, genesis);
    b.txs(&tx_ids).await?;
    b.state(&SaleQuery { vin: vin.into(), number: sale }.state_key()).await?;
    b.state(&VehicleQuery { vin: vin.into() }.state_key()).await?;
    for c in &s.contradictions {
        b.state(&RecordOfQuery { vin: vin.into(), seq: c.seq }.state_key()).await?;
    }
    Ok(EvidencePackage { format: FORMAT.into(), vin: vin.into(), sale, proofs: b.finish() })
}

/// One contradiction, as the package proves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvenContradiction {
    pub seq: u32,
    pub fact: Fact,
    /// The record that contradicts the notice, and who attested it.
    pub record: Record,
    pub attester: Address,
    /// The day (Korean time) of the certified block where the contradiction was found (the
    /// record's, or the sale's for a record already there), and the window's last day.
    pub recorded_on: Date,
    pub window_until: Date,
}

/// What a checked package proves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceReport {
    pub vin: String,
    pub sale: u32,
    pub dealer: Address,
    pub inspector: Address,
    pub notice_hash: Hash,
    pub contract_on: Date,
    pub delivered_on: Date,
    pub contradictions: Vec<ProvenContradiction>,
}

fn decoded<T: serde::de::DeserializeOwned>(checked: &CheckedBundle, key: &str) -> Result<T, EvidenceError> {
    let state = checked.states.get(key).ok_or_else(|| invalid(format!("no proof of {key}")))?;
    let bytes = state.value.as_ref().ok_or_else(|| invalid(format!("the proof shows there is no {key}")))?;
    serde_json::from_slice(bytes).map_err(|e| invalid(format!("{key} does not decode: {e}")))
}

fn proven_tx<'a>(checked: &'a CheckedBundle, id: &Hash, what: &str) -> Result<(&'a ProvenTx, CarsMsg), EvidenceError> {
    let tx = checked.txs.get(id).ok_or_else(|| invalid(format!("no proof of the transaction of {what} ({id})")))?;
    if tx.receipt.result != TxStatus::Ok {
        return Err(invalid(format!("the transaction of {what} failed")));
    }
    if tx.tx.body.module != NAME {
        return Err(invalid(format!("the transaction of {what} is not a cars message")));
    }
    let msg = serde_json::from_slice(&tx.tx.body.msg).map_err(|e| invalid(format!("{what}: {e}")))?;
    Ok((tx, msg))
}

/// Checks every proof in `package` against the chain `chain_id` whose genesis set is
/// `genesis`, then that the proven records say what the package claims: the sale was recorded
/// with the notice its dealer and inspector signed, and each contradiction is a record its
/// attester signed that contradicts the notice by CAR-06, recorded inside the window.
pub fn check(
    package: &EvidencePackage,
    chain_id: &str,
    genesis: &[Validator],
) -> Result<EvidenceReport, EvidenceError> {
    if package.format != FORMAT {
        return Err(invalid(format!("format '{}', where '{FORMAT}' is understood", package.format)));
    }
    let (vin, number) = (package.vin.as_str(), package.sale);
    let checked = package.proofs.check(chain_id, genesis)?;
    let sale: Sale = decoded(&checked, &SaleQuery { vin: vin.into(), number }.state_key())?;
    let vehicle: Vehicle = decoded(&checked, &VehicleQuery { vin: vin.into() }.state_key())?;
    let (sale_tx, msg) = proven_tx(&checked, &sale.tx, "the sale")?;
    let CarsMsg::RecordSale { vin: sold, notice: signed, buyer, contract_on, delivered_on } = msg else {
        return Err(invalid("the sale's transaction does not record a sale"));
    };
    if sold != vin || buyer != sale.buyer || contract_on != sale.contract_on || delivered_on != sale.delivered_on {
        return Err(invalid("the sale's transaction records another sale"));
    }
    let (notice, hash) = notice::open(&signed).map_err(|e| invalid(e.to_string()))?;
    if hash != sale.notice_hash || notice != sale.notice {
        return Err(invalid("the notice in the sale's transaction is not the one the sale records"));
    }
    if sale.contradictions.is_empty() {
        return Err(invalid("no record contradicts the notice"));
    }
    let mut contradictions = Vec::new();
    for Contradiction { seq, fact, height } in sale.contradictions.iter().copied() {
        let entry: Entry = decoded(&checked, &RecordOfQuery { vin: vin.into(), seq }.state_key())?;
        let what = format!("record {seq}");
        let (tx, msg) = proven_tx(&checked, &entry.tx, &what)?;
        let CarsMsg::Attest { vin: attested, record } = msg else {
            return Err(invalid(format!("the transaction of {what} does not attest a record")));
        };
        if attested != vin || record != entry.record || tx.tx.body.sender_address() != entry.by {
            return Err(invalid(format!("the transaction of {what} is not the one recorded")));
        }
        if vehicle.is_voided(seq) {
            return Err(invalid(format!("{what} was voided by the council")));
        }
        if !rules::contradictions_for(&notice, sale.contract_on, &record, &vehicle.replacements).contains(&fact) {
            return Err(invalid(format!("{what} does not contradict the notice's {fact:?} fact")));
        }
        // Found when the record came (or at the sale, for a record already there): the
        // block it was found in is certified, and so is its time.
        let found_ms = if height == tx.height {
            tx.block_time_ms
        } else if height == sale_tx.height {
            sale_tx.block_time_ms
        } else {
            return Err(invalid(format!("{what} was found at height {height}, neither its own block nor the sale's")));
        };
        let recorded_on = Date::from_unix_ms_kst(found_ms);
        let window = sale
            .windows
            .iter()
            .find(|w| w.kind.covers(fact))
            .ok_or_else(|| invalid(format!("the sale has no window for {fact:?}")))?;
        if recorded_on > window.until {
            return Err(invalid(format!(
                "{what} was found on {recorded_on}, after the {} window ({} to {})",
                window_name(window.kind),
                sale.delivered_on,
                window.until
            )));
        }
        contradictions.push(ProvenContradiction {
            seq,
            fact,
            attester: entry.by,
            record,
            recorded_on,
            window_until: window.until,
        });
    }
    Ok(EvidenceReport {
        vin: vin.into(),
        sale: number,
        dealer: notice.dealer,
        inspector: notice.inspector,
        notice_hash: hash,
        contract_on: sale.contract_on,
        delivered_on: sale.delivered_on,
        contradictions,
    })
}

fn window_name(kind: WindowKind) -> &'static str {
    match kind {
        WindowKind::OdometerAccident => "30-day odometer and accident",
        WindowKind::Flood => "90-day flood",
    }
}

impl EvidenceReport {
    /// The report as a person reads it.
    pub fn print(&self) {
        println!(
            "VIN {}, sale {}: delivered {}, contract {}",
            self.vin, self.sale, self.delivered_on, self.contract_on
        );
        println!("notice {} signed by dealer {} and inspector {}", self.notice_hash, self.dealer, self.inspector);
        for c in &self.contradictions {
            println!(
                "  record {} ({}, {}) by {}: contradicts the notice's {:?} fact; found {} (window until {})",
                c.seq,
                c.record.kind(),
                c.record.on(),
                c.attester,
                c.fact,
                c.recorded_on,
                c.window_until
            );
        }
        println!("every proof checks against the genesis's validators");
    }
}
