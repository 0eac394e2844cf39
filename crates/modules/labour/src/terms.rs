//! A labour contract's terms as employer and worker agree them. They live in the private
//! collection of the employer, the worker, COMWEL and the district labour office, never on the
//! ledger (which holds their salted commitment). [`lint`] is LAB-01: a draft becomes terms only
//! when every item the law makes mandatory is there, and otherwise the employer is told which,
//! in Korean and English.

use dojang_types::Date;
use serde::{Deserialize, Serialize};

/// Minutes after midnight; an end at or before its start means the next day (a night shift).
pub type Minute = u16;

/// One contracted shift in the weekly schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    pub start: Minute,
    pub end: Minute,
    pub break_minutes: u16,
}

impl Shift {
    /// Minutes worked (the break excluded).
    pub fn minutes(&self) -> u32 {
        span(self.start, self.end).saturating_sub(u32::from(self.break_minutes))
    }
}

/// The length from `start` to `end` in minutes, through midnight when `end <= start`.
pub fn span(start: Minute, end: Minute) -> u32 {
    if end > start {
        u32::from(end - start)
    } else {
        u32::from(end) + 1440 - u32::from(start)
    }
}

/// How the wage amount is stated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WageBasis {
    Hourly,
    Daily,
    Monthly,
}

/// How wages are paid (LSA art. 43: in currency, directly, in full).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// To the worker's own bank account.
    OwnAccount,
    Cash,
}

/// Documents a worker under 18 must have on file (LSA art. 66, 67).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinorDocuments {
    pub parental_consent: bool,
    pub age_certificate: bool,
    /// The labour ministry's approval for night or holiday work (LSA art. 70).
    #[serde(default)]
    pub night_holiday_approval: bool,
}

/// A contract as drafted: any item may still be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    pub start: Option<Date>,
    /// `None` with `open_ended: true` for a contract without a fixed end.
    pub end: Option<Date>,
    #[serde(default)]
    pub open_ended: bool,
    pub workplace: Option<String>,
    pub duties: Option<String>,
    pub shifts: Option<Vec<Shift>>,
    pub weekly_holiday: Option<u8>,
    pub wage_krw: Option<u64>,
    pub wage_basis: Option<WageBasis>,
    pub wage_components: Option<Vec<String>>,
    pub wage_calculation: Option<String>,
    pub payment_day: Option<u8>,
    pub payment_method: Option<PaymentMethod>,
    pub annual_leave: Option<String>,
    pub part_time: Option<bool>,
    /// Employees at the workplace (premiums and annual leave depend on it).
    pub workplace_employees: Option<u32>,
    /// The worker's date of birth (the minors' rules depend on it).
    pub worker_birth_date: Option<Date>,
    #[serde(default)]
    pub minor_documents: MinorDocuments,
}

/// A complete contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    pub start: Date,
    pub end: Option<Date>,
    pub workplace: String,
    pub duties: String,
    pub shifts: Vec<Shift>,
    pub weekly_holiday: u8,
    pub wage_krw: u64,
    pub wage_basis: WageBasis,
    pub wage_components: Vec<String>,
    pub wage_calculation: String,
    pub payment_day: u8,
    pub payment_method: PaymentMethod,
    pub annual_leave: String,
    pub part_time: bool,
    pub workplace_employees: u32,
    pub worker_birth_date: Date,
    pub minor_documents: MinorDocuments,
}

impl Terms {
    /// Contracted minutes per week.
    pub fn weekly_minutes(&self) -> u32 {
        self.shifts.iter().map(Shift::minutes).sum()
    }
}

/// One thing a draft lacks or gets wrong, with the law that asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The item (`period`, `hours`, `wage_amount`, ...).
    pub item: &'static str,
    pub en: String,
    pub ko: String,
}

fn problem(item: &'static str, en: &str, ko: &str) -> Problem {
    Problem { item, en: en.into(), ko: ko.into() }
}

/// The longest free-text item of a contract, in characters: a contract is read by people, and
/// its text travels in credentials (the duties in a career certificate).
pub const MAX_TEXT_CHARS: usize = 500;

fn text(v: &Option<String>) -> Option<String> {
    v.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// LAB-01: the terms, or every mandatory item the draft lacks (LSA art. 17; the Fixed-term and
/// Part-time Workers Act art. 17), and every item it gets wrong.
pub fn lint(d: &Draft) -> Result<Terms, Vec<Problem>> {
    let mut p = Vec::new();
    if d.start.is_none() || (d.end.is_none() && !d.open_ended) {
        p.push(problem(
            "period",
            "the contract period (start, and end or open-ended) is missing",
            "계약 기간(시작일, 종료일 또는 기간의 정함 없음)이 없습니다",
        ));
    }
    if let (Some(s), Some(e)) = (d.start, d.end) {
        if e < s {
            p.push(problem("period", "the contract ends before it starts", "계약 종료일이 시작일보다 앞섭니다"));
        }
    }
    if text(&d.workplace).is_none() {
        p.push(problem("workplace", "the place of work is missing", "근무 장소가 없습니다"));
    }
    if text(&d.duties).is_none() {
        p.push(problem("duties", "the duties are missing", "업무 내용이 없습니다"));
    }
    let components = d.wage_components.iter().flatten().map(|c| ("wage_components", Some(c)));
    let texts = [
        ("workplace", d.workplace.as_ref()),
        ("duties", d.duties.as_ref()),
        ("wage_calculation", d.wage_calculation.as_ref()),
        ("annual_leave", d.annual_leave.as_ref()),
    ];
    for (item, v) in texts.into_iter().chain(components) {
        if v.is_some_and(|v| v.chars().count() > MAX_TEXT_CHARS) {
            p.push(problem(
                item,
                &format!("the {} is longer than {MAX_TEXT_CHARS} characters", item.replace('_', " ")),
                &format!("{item} 항목이 {MAX_TEXT_CHARS}자를 넘습니다"),
            ));
        }
    }
    match &d.shifts {
        None => p.push(problem(
            "hours",
            "the working days and hours (start, end and breaks of each day) are missing",
            "근로일과 근로시간(각 근로일의 시업·종업 시각과 휴게시간)이 없습니다",
        )),
        Some(shifts) if shifts.is_empty() => {
            p.push(problem("hours", "no working day is contracted", "근로일이 하나도 없습니다"))
        }
        Some(shifts) => {
            let mut days = [false; 7];
            for s in shifts {
                if s.weekday > 6 || s.start >= 1440 || s.end > 1440 {
                    p.push(problem(
                        "hours",
                        "a shift has a weekday or time out of range",
                        "근로일 또는 시각이 범위를 벗어났습니다",
                    ));
                } else if s.minutes() == 0 {
                    p.push(problem(
                        "hours",
                        "a shift has no working time after its break",
                        "휴게시간을 빼면 근로시간이 없는 근로일이 있습니다",
                    ));
                } else if std::mem::replace(&mut days[s.weekday as usize], true) {
                    p.push(problem("hours", "a weekday is contracted twice", "같은 요일이 두 번 들어 있습니다"));
                }
            }
            if let Some(h) = d.weekly_holiday {
                if h <= 6 && days[h as usize] {
                    p.push(problem(
                        "weekly_holiday",
                        "the weekly holiday is also a working day",
                        "주휴일이 근로일과 겹칩니다",
                    ));
                }
            }
        }
    }
    if d.weekly_holiday.is_none_or(|h| h > 6) {
        p.push(problem("weekly_holiday", "the weekly paid holiday is missing", "주휴일이 없습니다"));
    }
    if d.wage_krw.is_none_or(|w| w == 0) || d.wage_basis.is_none() {
        p.push(problem(
            "wage_amount",
            "the wage amount and whether it is hourly, daily or monthly are missing",
            "임금액과 시급·일급·월급 구분이 없습니다",
        ));
    }
    if d.wage_components.as_ref().is_none_or(|c| c.iter().all(|x| x.trim().is_empty())) {
        p.push(problem("wage_components", "the wage components are missing", "임금 구성항목이 없습니다"));
    }
    if text(&d.wage_calculation).is_none() {
        p.push(problem("wage_calculation", "how the wage is calculated is missing", "임금 계산방법이 없습니다"));
    }
    if d.payment_day.is_none_or(|x| !(1..=31).contains(&x)) {
        p.push(problem(
            "payment_day",
            "the monthly payment day (1 to 31) is missing",
            "임금 지급일(매월 1~31일)이 없습니다",
        ));
    }
    if d.payment_method.is_none() {
        p.push(problem("payment_method", "the payment method is missing", "임금 지급방법이 없습니다"));
    }
    if text(&d.annual_leave).is_none() {
        p.push(problem("annual_leave", "the paid annual leave is missing", "연차유급휴가가 없습니다"));
    }
    if d.part_time.is_none() {
        p.push(problem(
            "part_time",
            "whether the worker is part-time is missing (part-timers' days and hours per day must be stated)",
            "단시간 근로자 여부가 없습니다(단시간 근로자는 근로일과 근로일별 근로시간을 적어야 합니다)",
        ));
    }
    if d.workplace_employees.is_none_or(|n| n == 0) {
        p.push(problem(
            "workplace_employees",
            "the number of employees at the workplace is missing (premiums and leave depend on it)",
            "사업장 상시 근로자 수가 없습니다(가산수당과 연차가 이에 따라 다릅니다)",
        ));
    }
    if d.worker_birth_date.is_none() {
        p.push(problem(
            "worker_birth_date",
            "the worker's date of birth is missing (the rules for minors depend on it)",
            "근로자 생년월일이 없습니다(연소근로자 규정이 이에 따라 다릅니다)",
        ));
    }
    if !p.is_empty() {
        return Err(p);
    }
    let (Some(start), Some(shifts), Some(weekly_holiday), Some(wage_krw), Some(wage_basis)) =
        (d.start, d.shifts.clone(), d.weekly_holiday, d.wage_krw, d.wage_basis)
    else {
        return Err(vec![problem("draft", "the draft is incomplete", "초안이 완전하지 않습니다")]);
    };
    Ok(Terms {
        start,
        end: d.end,
        workplace: text(&d.workplace).unwrap_or_default(),
        duties: text(&d.duties).unwrap_or_default(),
        shifts,
        weekly_holiday,
        wage_krw,
        wage_basis,
        wage_components: d.wage_components.clone().unwrap_or_default(),
        wage_calculation: text(&d.wage_calculation).unwrap_or_default(),
        payment_day: d.payment_day.unwrap_or(1),
        payment_method: d.payment_method.unwrap_or(PaymentMethod::OwnAccount),
        annual_leave: text(&d.annual_leave).unwrap_or_default(),
        part_time: d.part_time.unwrap_or(true),
        workplace_employees: d.workplace_employees.unwrap_or(1),
        worker_birth_date: d.worker_birth_date.unwrap_or(start),
        minor_documents: d.minor_documents,
    })
}

/// The worker's age in whole years on `date`.
pub fn age_on(birth: Date, date: Date) -> u32 {
    let mut years = u32::from(date.year).saturating_sub(u32::from(birth.year));
    if (date.month, date.day) < (birth.month, birth.day) {
        years = years.saturating_sub(1);
    }
    years
}
