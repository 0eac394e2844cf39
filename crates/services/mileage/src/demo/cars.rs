//! The demo's cars: one vehicle for each citizen in car mileage, first registered two years
//! and two months ago, its odometer photographed by the car mileage office at the start and
//! the end of the award year. The readings are records of the used-car service (CAR-05: the
//! office is accredited there as a mileage programme); the awards cite them (MIL-04).

use anyhow::Context;
use dojang_cars::{CarsMsg, Party, Record};
use dojang_cars_service::fleet::vin_of;
use dojang_cars_service::setup::{accredit_all, Body};
use dojang_crypto::Keypair;
use dojang_mileage::msg::Evidence;
use dojang_mileage::odometer::Opening;
use dojang_sdk::{Client, TrustedChain, TxBuilder};
use dojang_types::Date;

use crate::car_evidence::odometer_evidence;
use crate::setup::{all_accepted, presign};

/// Days before today of the three readings: first registration, the start and the end of the
/// award year (365 days, against 400 days before it).
const REGISTERED: i64 = 795;
const START: i64 = 395;
const END: i64 = 30;
/// The demo's VINs are serials from here on, apart from the cars demo's.
const FIRST_SERIAL: u64 = 700_000;

pub struct Fleet {
    /// The registration office, then the car mileage office's photo desk.
    bodies: [Body; 2],
    /// Each citizen's (by index) vehicle and how they drove: km a day the year before, and
    /// km driven less in the award year (negative: more).
    cars: Vec<(usize, String, u64, i64)>,
    /// The car mileage office's secret for its evidence salts.
    secret: [u8; 32],
}

impl Fleet {
    /// A vehicle for each of `citizens`; `roll(salt, i, n)` decides how each was driven.
    pub fn new(citizens: impl Iterator<Item = usize>, roll: impl Fn(&str, usize, u64) -> u64) -> Fleet {
        let cars = citizens
            .map(|i| {
                let per_day = 25 + roll("car-rate", i, 20);
                let less = roll("car", i, 4_400) as i64 - 800;
                (i, vin_of(FIRST_SERIAL + i as u64), per_day, less)
            })
            .collect();
        Fleet {
            bodies: [
                Body::new(Party::RegistrationOffice, "Seoul vehicle registration office"),
                Body::new(Party::MileageProgramme, "Seoul car mileage office"),
            ],
            cars,
            secret: rand::random(),
        }
    }

    /// Accredits the two bodies on the used-car service, then records each vehicle's
    /// registration and its two odometer photos.
    pub async fn record(
        &self,
        client: &Client,
        url: &str,
        council: &TxBuilder<Keypair>,
        chain_id: &str,
        today: Date,
    ) -> anyhow::Result<()> {
        accredit_all(client, council, &self.bodies)
            .await
            .context("accrediting the registration office and the car mileage office on the used-car service")?;
        let attest = |vin: &str, record| CarsMsg::Attest { vin: vin.into(), record };
        let registrations = presign(
            &TxBuilder::new(chain_id, self.bodies[0].key.duplicate()),
            self.cars
                .iter()
                .map(|(_, vin, ..)| attest(vin, Record::Registration { on: today.plus_days(-REGISTERED), km: 10 })),
        );
        all_accepted(url, "the vehicles' registrations", &registrations).await?;
        let readings = presign(
            &TxBuilder::new(chain_id, self.bodies[1].key.duplicate()),
            self.cars.iter().flat_map(|&(_, ref vin, per_day, less)| {
                let start = 10 + per_day * (REGISTERED - START) as u64;
                let end = (start + per_day * (START - END) as u64).saturating_add_signed(-less);
                [
                    attest(vin, Record::Odometer { on: today.plus_days(-START), km: start }),
                    attest(vin, Record::Odometer { on: today.plus_days(-END), km: end }),
                ]
            }),
        );
        all_accepted(url, "the odometer photos", &readings).await?;
        println!(
            "The used-car service holds {} vehicles' registrations and their odometer photos a year apart, by the car mileage office.",
            self.cars.len()
        );
        Ok(())
    }

    /// Each citizen's evidence as the office works it out: its vehicle's history read with
    /// proofs, the award year against the year before.
    pub async fn evidence(
        &self,
        client: &Client,
        chain: &TrustedChain,
        today: Date,
    ) -> anyhow::Result<Vec<(usize, Evidence, Opening)>> {
        let mut out = Vec::with_capacity(self.cars.len());
        for (i, vin, ..) in &self.cars {
            let (evidence, opening) = odometer_evidence(client, chain, &self.secret, vin, today).await?;
            out.push((*i, evidence, opening));
        }
        Ok(out)
    }
}
