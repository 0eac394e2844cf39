//! Contract templates: the standard part-time contracts an employer starts from (after the
//! labour ministry's standard forms), with every item LAB-01 asks for except what only the
//! employer can know (the dates, the wage above the minimum, the workplace's size, the
//! worker's date of birth). A draft from a template fails the linter until those are filled,
//! so a template can never be signed as it stands.

use dojang_labour::terms::{PaymentMethod, Shift, WageBasis};
use dojang_labour::Draft;
use serde::Serialize;

/// A template as the API lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Template {
    pub id: &'static str,
    pub en: &'static str,
    pub ko: &'static str,
    pub draft: Draft,
}

fn shifts(days: &[u8], start: u16, end: u16, break_minutes: u16) -> Vec<Shift> {
    days.iter().map(|&weekday| Shift { weekday, start, end, break_minutes }).collect()
}

fn base(shifts: Vec<Shift>, weekly_holiday: u8, basis: WageBasis, calculation: &str) -> Draft {
    Draft {
        open_ended: false,
        workplace: None,
        duties: None,
        shifts: Some(shifts),
        weekly_holiday: Some(weekly_holiday),
        wage_basis: Some(basis),
        wage_components: Some(vec!["base wage".into(), "weekly holiday allowance".into()]),
        wage_calculation: Some(calculation.into()),
        payment_day: Some(10),
        payment_method: Some(PaymentMethod::OwnAccount),
        annual_leave: Some("as the Labor Standards Act art. 60 grants, in proportion to contracted hours".into()),
        part_time: Some(true),
        ..Draft::default()
    }
}

/// Every template the desk offers.
pub fn templates() -> Vec<Template> {
    vec![
        Template {
            id: "part-time-weekdays",
            en: "Part-time, weekday shifts, hourly wage (Mon-Fri 10:00-15:30, 30 min break)",
            ko: "단시간 근로자, 평일 근무, 시급제 (월~금 10:00-15:30, 휴게 30분)",
            draft: base(
                shifts(&[0, 1, 2, 3, 4], 600, 930, 30),
                6,
                WageBasis::Hourly,
                "hourly wage x hours worked; weekly holiday allowance for weeks of 15 h or more",
            ),
        },
        Template {
            id: "part-time-weekend",
            en: "Part-time, weekend shifts, hourly wage (Sat-Sun 09:00-18:00, 1 h break)",
            ko: "단시간 근로자, 주말 근무, 시급제 (토~일 09:00-18:00, 휴게 1시간)",
            draft: base(
                shifts(&[5, 6], 540, 1080, 60),
                0,
                WageBasis::Hourly,
                "hourly wage x hours worked; weekly holiday allowance for weeks of 15 h or more",
            ),
        },
        Template {
            id: "part-time-evening-monthly",
            en: "Part-time, evening shifts, monthly wage (Mon, Wed, Fri 18:00-22:00)",
            ko: "단시간 근로자, 저녁 근무, 월급제 (월·수·금 18:00-22:00)",
            draft: base(
                shifts(&[0, 2, 4], 1080, 1320, 0),
                6,
                WageBasis::Monthly,
                "fixed monthly wage including the weekly holiday allowance; hours beyond the contract paid hourly",
            ),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_labour::terms::lint;

    #[test]
    fn no_template_passes_the_linter_unfilled_and_each_passes_filled() {
        for t in templates() {
            let missing: Vec<&str> = lint(&t.draft).unwrap_err().iter().map(|p| p.item).collect();
            for item in ["period", "workplace", "duties", "wage_amount", "workplace_employees", "worker_birth_date"] {
                assert!(missing.contains(&item), "{}: {item} should be left to the employer: {missing:?}", t.id);
            }
            let mut d = t.draft.clone();
            d.start = Some("2026-03-02".parse().unwrap());
            d.end = Some("2026-08-31".parse().unwrap());
            d.workplace = Some("Cafe, Mapo-gu".into());
            d.duties = Some("serving".into());
            d.wage_krw = Some(10_320);
            d.workplace_employees = Some(4);
            d.worker_birth_date = Some("2001-05-05".parse().unwrap());
            assert!(lint(&d).is_ok(), "{}: {:?}", t.id, lint(&d).err());
        }
    }
}
