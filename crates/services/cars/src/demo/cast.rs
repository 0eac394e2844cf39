//! Who takes part in the demo: the accredited bodies (the registration office, dealers,
//! inspectors, maintenance shops, insurers, the mileage programme) and the owners. An owner is
//! a person in the registration office's own register (name, resident number) and a
//! pseudonymous account on chain; the register stays at the office, off the ledger.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use dojang_cars::Party;
use dojang_crypto::{Algorithm, Keypair};
use dojang_eligibility_service::demo::citizens::{self, Citizen};
use dojang_sdk::TxBuilder;
use dojang_types::Address;
use serde_json::json;

use crate::fleet::Source;
use crate::setup::Body;

/// Maintenance shops and insurers: enough that each records for many cars.
const SHOPS: usize = 20;
const INSURERS: usize = 4;
/// The registration offices of four districts, and four desks of the mileage programme: no
/// one account has more than a node's share of waiting transactions
/// (`ledger.mempool.max_per_account`) while the fleet's years are recorded at once.
const OFFICES: [&str; 4] = ["Gangnam", "Mapo", "Nowon", "Yeongdeungpo"];
const MILEAGE_DESKS: usize = 4;

/// An accredited body ready to sign on the demo's chain.
pub struct Signer {
    pub organisation: String,
    pub tx: TxBuilder,
}

impl Signer {
    pub fn address(&self) -> Address {
        self.tx.key.public_key().address()
    }
}

pub struct Cast {
    pub offices: Vec<Signer>,
    pub dealers: Vec<Signer>,
    /// The last one is the inspector the council suspends.
    pub inspectors: Vec<Signer>,
    pub shops: Vec<Signer>,
    pub insurers: Vec<Signer>,
    pub mileage: Vec<Signer>,
}

/// The bodies the council accredits, before they have a chain to sign for.
pub fn bodies(dealers: usize, inspectors: usize) -> Vec<Body> {
    let mut b: Vec<Body> = OFFICES
        .iter()
        .map(|d| Body::new(Party::RegistrationOffice, format!("Seoul Vehicle Registration Office, {d}-gu")))
        .collect();
    b.extend((1..=dealers).map(|i| Body::new(Party::Dealer, format!("Janganpyeong Motors {i}"))));
    b.extend((1..=inspectors).map(|i| Body::new(Party::Inspector, format!("Seoul Performance Inspection {i}"))));
    b.extend((1..=SHOPS).map(|i| Body::new(Party::MaintenanceShop, format!("Dongdaemun Auto Repair {i}"))));
    b.extend((1..=INSURERS).map(|i| Body::new(Party::Insurer, format!("Hangang Insurance {i}"))));
    b.extend(
        (1..=MILEAGE_DESKS)
            .map(|i| Body::new(Party::MileageProgramme, format!("Seoul Car Mileage Programme, desk {i}"))),
    );
    b
}

impl Cast {
    /// The accredited bodies (as [`bodies`] made them), grouped by kind, ready to sign on
    /// `chain_id`.
    pub fn new(chain_id: &str, bodies: Vec<Body>) -> Cast {
        let mut by_kind: BTreeMap<Party, Vec<Signer>> = BTreeMap::new();
        for b in bodies {
            let signer = Signer { organisation: b.organisation, tx: TxBuilder::new(chain_id, b.key) };
            by_kind.entry(b.party).or_default().push(signer);
        }
        let mut take = |party| by_kind.remove(&party).unwrap_or_default();
        Cast {
            offices: take(Party::RegistrationOffice),
            dealers: take(Party::Dealer),
            inspectors: take(Party::Inspector),
            shops: take(Party::MaintenanceShop),
            insurers: take(Party::Insurer),
            mileage: take(Party::MileageProgramme),
        }
    }

    /// The body that records what `source` knows for vehicle `n`.
    pub fn for_source(&self, source: Source, n: usize) -> &Signer {
        match source {
            Source::RegistrationOffice => &self.offices[n % self.offices.len()],
            Source::MaintenanceShop => &self.shops[n % self.shops.len()],
            Source::MileageProgramme => &self.mileage[n % self.mileage.len()],
            Source::Insurer => &self.insurers[n % self.insurers.len()],
            Source::Inspector => &self.inspectors[n % (self.inspectors.len() - 1)],
        }
    }
}

/// An owner: the person in the office's register and the account the chain knows.
pub struct Owner {
    pub person: Citizen,
    /// The owner's pseudonymous account, a fresh key on the owner's phone.
    pub tx: TxBuilder,
}

/// One owner per vehicle; the people come from a fixed seed (the demo is reproducible).
pub fn owners(n: usize, chain_id: &str) -> Vec<Owner> {
    citizens::generate(n, 16)
        .into_iter()
        .map(|person| Owner { person, tx: TxBuilder::new(chain_id, Keypair::generate(Algorithm::Ed25519)) })
        .collect()
}

/// Writes the registration offices' own register (owner-only): each VIN's owner by name and
/// resident number, beside the pseudonymous account the chain knows, one file for each run
/// (named by its first VIN). This is where the personal data lives; the scan checks it never
/// reaches the node.
pub fn write_register(dir: &Path, vins: &[&str], owners: &[Owner]) -> anyhow::Result<PathBuf> {
    let first = vins.first().copied().unwrap_or("none");
    let path = dir.join("registration-office").join(format!("owners-from-{first}.json"));
    std::fs::create_dir_all(path.parent().expect("a parent"))?;
    let rows: Vec<_> = vins
        .iter()
        .zip(owners)
        .map(|(vin, o)| {
            json!({"vin": vin, "name": o.person.name, "resident_number": o.person.resident_number,
                   "account": o.tx.key.public_key().address()})
        })
        .collect();
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&path)?;
    // A register from an earlier run (`--dir` kept) is owner-only from now on too.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(&serde_json::to_vec_pretty(&rows)?)?;
    Ok(path)
}
