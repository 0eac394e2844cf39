//! The demo's people, as the resident registry knows them: the district's eligible residents
//! and three who are not (another district's resident, one who moved in last month, a
//! fourteen-year-old). All of it is personal data; it stays with the registry and the
//! wallets, which the demo's scan checks.

use dojang_eligibility_service::demo::citizens::{generate, Citizen};

/// The district whose participatory budget is voted on.
pub const DISTRICT: &str = "mapo-gu";
/// Months at the address a voter needs.
pub const MIN_MONTHS: u32 = 3;
/// The youngest a voter may be (one of the registry's age thresholds).
pub const MIN_AGE: u32 = 16;

/// Someone the registrar must refuse, and the reason it must give.
pub struct Ineligible {
    pub citizen: Citizen,
    pub why: &'static str,
}

/// `n` eligible residents of [`DISTRICT`], and the three who are not.
pub fn people(n: usize) -> (Vec<Citizen>, Vec<Ineligible>) {
    let mut all = generate(n + 3, 20_261_130);
    let odd: Vec<Citizen> = all.split_off(n);
    let residents = all
        .into_iter()
        .map(|mut c| {
            c.lives_in_seoul = true;
            c.district = DISTRICT.into();
            c.months_resident = c.months_resident.max(MIN_MONTHS);
            c
        })
        .collect();
    let mut odd = odd.into_iter();
    let mut next = |change: &dyn Fn(&mut Citizen), why| {
        odd.next().map(|mut c| {
            c.lives_in_seoul = true;
            c.district = DISTRICT.into();
            c.months_resident = c.months_resident.max(MIN_MONTHS);
            change(&mut c);
            Ineligible { citizen: c, why }
        })
    };
    let ineligible = [
        next(&|c| c.district = "gangnam-gu".into(), "not registered as a resident of mapo-gu"),
        next(&|c| c.months_resident = 1, "registered at the address for fewer than 3 months"),
        next(
            &|c| {
                c.birth_year = 2012;
                c.birth_date = "2012-05-05".into();
            },
            "younger than 16",
        ),
    ];
    (residents, ineligible.into_iter().flatten().collect())
}
