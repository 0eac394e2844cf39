//! Vehicles for the demo and the benchmark: VINs with a right check digit (CAR-09) and the
//! ordinary records of a car's life, dated backwards from today, each from the kind of body
//! that knows it (CAR-05).

use dojang_cars::msg::Grade;
use dojang_cars::vin::check_digit;
use dojang_cars::{Party, Record};
use dojang_types::{sha256, Date, Hash};

/// The serials of the series: six digits.
pub const SERIALS: u64 = 1_000_000;

/// The `n`-th VIN of a make's series: world manufacturer and model `KMHDN45D`, model year
/// `2`, plant `U`, serial `n` (below [`SERIALS`]), and the check digit CAR-09 asks for.
pub fn vin_of(n: u64) -> String {
    let mut bytes = [0u8; 17];
    bytes.copy_from_slice(format!("KMHDN45D02U{:06}", n % SERIALS).as_bytes());
    let digit = check_digit(&bytes).expect("the series uses only VIN characters");
    bytes[8] = digit as u8;
    String::from_utf8(bytes.to_vec()).expect("ASCII")
}

/// Kilometres an ordinary car is driven a day: well inside CAR-02's plausibility.
pub const KM_PER_DAY: u64 = 35;

/// Who records the `r`-th fact of an ordinary history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    RegistrationOffice,
    MaintenanceShop,
    MileageProgramme,
    Insurer,
    Inspector,
}

impl Source {
    /// What the council accredits such a body as.
    pub fn party(self) -> Party {
        match self {
            Source::RegistrationOffice => Party::RegistrationOffice,
            Source::MaintenanceShop => Party::MaintenanceShop,
            Source::MileageProgramme => Party::MileageProgramme,
            Source::Insurer => Party::Insurer,
            Source::Inspector => Party::Inspector,
        }
    }
}

/// A content hash standing for a document kept off chain (a photo, a report, a work order).
pub fn document(vin: &str, what: &str, r: u32) -> Hash {
    sha256(&[vin.as_bytes(), what.as_bytes(), &r.to_le_bytes()])
}

/// The `r`-th record of an ordinary history that starts `first` (the registration, record 0)
/// and who records it: a repair, a mileage-programme reading, an insurer's reading at a
/// policy renewal and an inspection, in turn, every `days_apart` days.
pub fn ordinary(vin: &str, first: Date, r: u32, days_apart: u32) -> (Source, Record) {
    let on = first.plus_days(i64::from(r * days_apart));
    let km = 12 + u64::from(r * days_apart) * KM_PER_DAY;
    if r == 0 {
        return (Source::RegistrationOffice, Record::Registration { on, km });
    }
    match r % 4 {
        1 => (Source::MaintenanceShop, Record::Repair { on, km, work: document(vin, "work", r) }),
        2 => (Source::MileageProgramme, Record::Odometer { on, km }),
        3 => (Source::Insurer, Record::Odometer { on, km }),
        _ => (
            Source::Inspector,
            Record::Inspection {
                on,
                km,
                flood: false,
                accident: false,
                grade: Grade::Good,
                photos: vec![document(vin, "photo-front", r), document(vin, "photo-odometer", r)],
                report: document(vin, "report", r),
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vin_of_the_series_passes_car_09_and_they_differ() {
        let vins: std::collections::BTreeSet<String> = (0..500).map(vin_of).collect();
        assert_eq!(vins.len(), 500);
        for v in &vins {
            dojang_cars::vin::check(v).unwrap_or_else(|e| panic!("{v}: {e}"));
        }
    }

    #[test]
    fn an_ordinary_history_goes_forward_and_each_record_is_by_a_body_that_may_attest_it() {
        let first: Date = "2018-03-01".parse().unwrap();
        let vin = vin_of(7);
        let mut last_km = 0;
        for r in 0..40 {
            let (source, record) = ordinary(&vin, first, r, 90);
            assert_eq!(record.on(), first.plus_days(r as i64 * 90));
            let km = record.km().expect("every ordinary record reads the odometer");
            assert!(km > last_km || r == 0, "record {r} does not go forward");
            last_km = km;
            assert!(
                dojang_cars::rules::may_attest(source.party(), &record),
                "record {r} ({}) by {source:?}",
                record.kind()
            );
        }
    }
}
