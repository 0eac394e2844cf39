//! The demo's synthetic businesses and workers: names (which must stay off the ledger), and
//! what each worker's employer gets wrong, so the findings show every kind of violation.

use dojang_labour::terms::Shift;
use dojang_types::Date;
use serde_json::{json, Value};

const FAMILY: [&str; 10] = ["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임"];
const GIVEN: [&str; 20] = [
    "민수", "서연", "지훈", "하은", "도윤", "수아", "예준", "지우", "시우", "서윤", "주원", "하린", "건우", "채원",
    "현우", "지민", "우진", "다은", "선우", "예린",
];

/// What the employer does to this worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conduct {
    /// Everything as the law asks.
    Lawful,
    /// The contract's hourly wage is below the minimum, and so is the pay (LAB-02).
    UnderMinimum,
    /// The weekly holiday allowance is never paid (LAB-03).
    NoHolidayPay,
    /// A 16-year-old works evenings past 22:00 without the ministry's approval (LAB-05).
    MinorAtNight,
    /// Pays as the law asks, but never reports the worker to the insurers (LAB-08).
    Unreported,
}

pub struct Worker {
    pub name: String,
    pub business: usize,
    pub conduct: Conduct,
    pub wage_krw: u64,
    /// The contract ends this many days before today: its final pay falls due 14 days after.
    pub ended_days_ago: Option<i64>,
    /// Each month's wages come with a payslip (LAB-09); every tenth worker, from the eighth,
    /// gets none.
    pub payslips: bool,
}

/// A business's registered name.
pub fn business_name(i: usize) -> String {
    format!("도장카페 {}호점", i + 1)
}

pub fn workplace(i: usize) -> String {
    format!("{} (서울 마포구 합정동 {}번지)", business_name(i), 100 + i)
}

/// Worker `i` of `businesses`: the second worker is the minor; every fifth from the third is
/// paid under the minimum, every fifth from the fifth gets no holiday pay, every tenth from
/// the fourth is never reported to the insurers; every twentieth contract has ended.
pub fn worker(i: usize, businesses: usize) -> Worker {
    let name = format!("{}{}", FAMILY[i % FAMILY.len()], GIVEN[(i / FAMILY.len()) % GIVEN.len()]);
    let conduct = match (i, i % 5, i % 10) {
        (1, _, _) => Conduct::MinorAtNight,
        (_, 2, _) => Conduct::UnderMinimum,
        (_, 4, _) => Conduct::NoHolidayPay,
        (_, _, 3) => Conduct::Unreported,
        _ => Conduct::Lawful,
    };
    let wage_krw = if conduct == Conduct::UnderMinimum { 9_800 } else { 10_320 + 50 * (i as u64 % 8) };
    // Every twentieth contract ends: nine days ago (the final pay is due in five days: an alert
    // before) or, from the eleventh, twenty days ago (it was due six days ago: missed).
    let ended_days_ago = match i % 20 {
        0 => Some(9),
        10 => Some(20),
        _ => None,
    };
    Worker { name, business: i % businesses.max(1), conduct, wage_krw, ended_days_ago, payslips: i % 10 != 7 }
}

impl Worker {
    /// The contracted week: weekdays 10:00-15:30 (25 h), or the minor's Friday and Saturday
    /// evenings 17:00-23:00 (11 h).
    pub fn shifts(&self) -> Vec<Shift> {
        let (days, start, end): (&[u8], u16, u16) = match self.conduct {
            Conduct::MinorAtNight => (&[4, 5], 17 * 60, 23 * 60),
            _ => (&[0, 1, 2, 3, 4], 10 * 60, 15 * 60 + 30),
        };
        days.iter().map(|&weekday| Shift { weekday, start, end, break_minutes: 30 }).collect()
    }

    /// The contract's terms as the employer drafts them: from `start`, for half a year.
    pub fn draft(&self, start: Date) -> Value {
        let minor = self.conduct == Conduct::MinorAtNight;
        json!({
            "start": start,
            "end": start.plus_days(26 * 7 - 1),
            "workplace": workplace(self.business),
            "duties": "음료 제조와 매장 관리 / drinks and the counter",
            "shifts": self.shifts(),
            "weekly_holiday": 6,
            "wage_krw": self.wage_krw,
            "wage_basis": "hourly",
            "wage_components": ["base wage", "weekly holiday allowance"],
            "wage_calculation": "hourly wage x hours worked; weekly holiday allowance for weeks of 15 h or more",
            "payment_day": 10,
            "payment_method": "own_account",
            "annual_leave": "as the Labor Standards Act art. 60 grants",
            "part_time": true,
            "workplace_employees": 4,
            "worker_birth_date": if minor { "2009-09-01" } else { "1999-04-15" },
            "minor_documents": {"parental_consent": minor, "age_certificate": minor, "night_holiday_approval": false},
        })
    }

    /// Week `n` (0-based, from the contract's first Monday `start`) as worked and paid.
    pub fn week(&self, start: Date, n: usize) -> Value {
        let monday = start.plus_days(7 * n as i64);
        let shifts = self.shifts();
        let days: Vec<Value> = shifts
            .iter()
            .map(|s| {
                json!({"date": monday.plus_days(i64::from(s.weekday)), "start": s.start, "end": s.end, "break_minutes": s.break_minutes})
            })
            .collect();
        let minutes: u64 = shifts.iter().map(|s| u64::from(s.minutes())).sum();
        let base = minutes * self.wage_krw / 60;
        // 25 h a week earns 25/40 x 8 h = 5 h of allowance; the minor's 11 h earn none.
        let holiday = match self.conduct {
            Conduct::Lawful | Conduct::UnderMinimum | Conduct::Unreported => {
                minutes.min(2400) * 8 * self.wage_krw / (40 * 60)
            }
            Conduct::NoHolidayPay | Conduct::MinorAtNight => 0,
        };
        json!({"monday": monday, "days": days, "pay": {"base_krw": base, "weekly_holiday_krw": holiday}})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_conduct_appears_among_six_workers() {
        let kinds: Vec<Conduct> = (0..6).map(|i| worker(i, 3).conduct).collect();
        for k in
            [Conduct::Lawful, Conduct::UnderMinimum, Conduct::NoHolidayPay, Conduct::MinorAtNight, Conduct::Unreported]
        {
            assert!(kinds.contains(&k), "{k:?} in {kinds:?}");
        }
    }
}
