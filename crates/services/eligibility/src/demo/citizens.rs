//! Synthetic citizens and the three agencies' records about them. All of this is personal
//! data and stays with the agencies (and, disclosed claim by claim, in the citizens' wallets):
//! names, birth dates, resident numbers and incomes never reach the chain, which a test checks.

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde::Serialize;
use serde_json::{json, Map, Value};
use sha2::{Digest as _, Sha256};

/// Standard median monthly income by household size (KRW, 2026; docs/domain.md marks the figures
/// "(check)"): the agency's own table, used to compute the threshold booleans it issues.
pub const MEDIAN_INCOME_2026: [u64; 6] = [2_564_238, 4_199_292, 5_359_036, 6_494_738, 7_556_719, 8_555_952];

const FAMILY: [&str; 10] = ["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim"];
const GIVEN: [&str; 12] =
    ["Minjun", "Seoyeon", "Jiho", "Hayoon", "Doyun", "Jiwoo", "Eunwoo", "Sua", "Siwoo", "Jiyu", "Yejun", "Haeun"];

/// One synthetic person, as the agencies know them.
#[derive(Debug, Clone, Serialize)]
pub struct Citizen {
    /// The resident registry's subject id (stands in for a resident registration number).
    pub subject: String,
    pub resident_number: String,
    pub name: String,
    pub birth_year: u32,
    pub birth_date: String,
    pub lives_in_seoul: bool,
    /// The district (gu) of the registered address, or `outside-seoul`.
    pub district: String,
    /// Months at the registered address.
    pub months_resident: u32,
    pub household_size: u32,
    pub monthly_income_krw: u64,
    pub employed_full_time: bool,
    pub weekly_hours: u32,
    pub enrolled_public_job: bool,
}

pub fn generate(n: usize, seed: u64) -> Vec<Citizen> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let birth_year = rng.gen_range(1950..2008);
            let (m, d) = (rng.gen_range(1..=12), rng.gen_range(1..=28));
            let household_size = rng.gen_range(1..=5);
            let median = MEDIAN_INCOME_2026[household_size as usize - 1];
            let employed_full_time = rng.gen_bool(0.3);
            Citizen {
                subject: format!("S-{i:05}"),
                resident_number: format!(
                    "{:02}{m:02}{d:02}-{}{:06}",
                    birth_year % 100,
                    if birth_year < 2000 { 1 } else { 3 },
                    rng.gen_range(0..1_000_000)
                ),
                name: format!("{} {}", FAMILY[rng.gen_range(0..FAMILY.len())], GIVEN[rng.gen_range(0..GIVEN.len())]),
                birth_year,
                birth_date: format!("{birth_year}-{m:02}-{d:02}"),
                lives_in_seoul: rng.gen_bool(0.9),
                district: String::new(),
                months_resident: rng.gen_range(0..240),
                household_size,
                monthly_income_krw: (median as f64 * rng.gen_range(0.1..1.8)) as u64,
                employed_full_time,
                weekly_hours: if employed_full_time { rng.gen_range(35..53) } else { rng.gen_range(0..40) },
                enrolled_public_job: rng.gen_bool(0.05),
            }
        })
        .enumerate()
        .map(|(i, mut c)| {
            c.district = if c.lives_in_seoul { DISTRICTS[i % DISTRICTS.len()] } else { OUTSIDE_SEOUL }.into();
            c
        })
        .collect()
}

/// Seoul's 25 districts (gu), as the resident registry names them in its `district` claim.
pub const DISTRICTS: [&str; 25] = [
    "jongno-gu",
    "jung-gu",
    "yongsan-gu",
    "seongdong-gu",
    "gwangjin-gu",
    "dongdaemun-gu",
    "jungnang-gu",
    "seongbuk-gu",
    "gangbuk-gu",
    "dobong-gu",
    "nowon-gu",
    "eunpyeong-gu",
    "seodaemun-gu",
    "mapo-gu",
    "yangcheon-gu",
    "gangseo-gu",
    "guro-gu",
    "geumcheon-gu",
    "yeongdeungpo-gu",
    "dongjak-gu",
    "gwanak-gu",
    "seocho-gu",
    "gangnam-gu",
    "songpa-gu",
    "gangdong-gu",
];

/// The `district` of a person whose registered address is outside the city.
pub const OUTSIDE_SEOUL: &str = "outside-seoul";

/// The agencies' configured year for age bands.
const YEAR: u32 = 2026;

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// The per-program token the resident registry issues (decision 0008): an HMAC-like keyed
/// hash of its own secret, the person and the program, so it is stable per person within a
/// program and unlinkable across programs.
pub fn program_token(agency_secret: &[u8; 32], subject: &str, program: &str) -> String {
    hex::encode(
        &Sha256::new()
            .chain_update(agency_secret)
            .chain_update(subject)
            .chain_update([0])
            .chain_update(program)
            .finalize()[..16],
    )
}

/// Resident registry: residency and age bands, and the program tokens.
pub fn resident_claims(c: &Citizen, secret: &[u8; 32], programs: &[String]) -> Map<String, Value> {
    let age = YEAR - c.birth_year;
    let tokens: Map<String, Value> =
        programs.iter().map(|p| (p.clone(), json!(program_token(secret, &c.subject, p)))).collect();
    obj(json!({
        "resident_of_seoul": c.lives_in_seoul,
        "resident_6_months": c.lives_in_seoul && c.months_resident >= 6,
        "district": c.district,
        "months_in_district": if c.lives_in_seoul { c.months_resident } else { 0 },
        "age_over_14": age >= 14,
        "age_over_16": age >= 16,
        "age_over_18": age >= 18,
        "age_over_19": age >= 19,
        "age_18_64": (18..=64).contains(&age),
        "age_19_34": (19..=34).contains(&age),
        "age_over_65": age >= 65,
        "program_pseudonyms": tokens,
    }))
}

/// Social security information service: income bands for the household size, never the income.
pub fn income_claims(c: &Citizen) -> Map<String, Value> {
    let median = MEDIAN_INCOME_2026[(c.household_size as usize).clamp(1, 6) - 1];
    let le = |pct: u64| c.monthly_income_krw * 100 <= median * pct;
    obj(json!({
        "income_le_50pct": le(50), "income_le_60pct": le(60), "income_le_65pct": le(65),
        "income_le_100pct": le(100), "income_le_150pct": le(150), "household_size": c.household_size,
    }))
}

/// Employment insurance: employment status as booleans.
pub fn employment_claims(c: &Citizen) -> Map<String, Value> {
    obj(json!({
        "employed_full_time": c.employed_full_time,
        "weekly_hours_over_30": c.weekly_hours > 30,
        "enrolled_public_job": c.enrolled_public_job,
    }))
}
