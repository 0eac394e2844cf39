//! The compliance engine re-checking a city's part-timers every week.
//! Contracts and eight weeks of timesheets each are generated beforehand (not timed), with
//! realistic violations (under-minimum pay, a missed weekly holiday allowance, unpaid
//! premiums, long weeks, a minor at night); then every worker-week is checked against every
//! weekly rule (LAB-02 to LAB-06, with the four-week average of LAB-03) on all cores, reading the
//! legal figures of the dev chain's tables at each work date. The machine's own floor in the
//! same run: the same threads only walking the same weeks (summing minutes).

use std::collections::BTreeMap;
use std::time::Instant;

use dojang_labour::terms::{MinorDocuments, PaymentMethod, Shift, WageBasis};
use dojang_labour::{rules, Terms, Week, WeekPay, WorkDay};
use dojang_types::Date;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const WEEKS: usize = 8;

/// A worker's contract: 2 to 5 shifts of 4 to 8 hours (with the break the law asks) at 10,320
/// to 13,000 KRW an hour, at a workplace of 1 to 30; one in twenty a minor.
fn contract(rng: &mut StdRng, start: Date) -> Terms {
    let days = rng.gen_range(2..=5u8);
    let begin = rng.gen_range(8 * 60..=14 * 60u16);
    let hours = rng.gen_range(4..=8u16);
    let brk = if hours >= 8 { 60 } else { 30 };
    let shifts = (0..days)
        .map(|w| Shift { weekday: w, start: begin, end: begin + hours * 60 + brk, break_minutes: brk })
        .collect();
    let minor = rng.gen_bool(0.05);
    Terms {
        start,
        end: None,
        workplace: String::new(),
        duties: String::new(),
        shifts,
        weekly_holiday: 6,
        wage_krw: rng.gen_range(10_320..=13_000),
        wage_basis: WageBasis::Hourly,
        wage_components: vec![],
        wage_calculation: String::new(),
        payment_day: 10,
        payment_method: PaymentMethod::OwnAccount,
        annual_leave: String::new(),
        part_time: true,
        workplace_employees: rng.gen_range(1..=30),
        worker_birth_date: if minor {
            Date { year: 2009, month: 6, day: 1 }
        } else {
            Date { year: 1998, month: 3, day: 1 }
        },
        minor_documents: MinorDocuments {
            parental_consent: minor,
            age_certificate: minor,
            night_holiday_approval: false,
        },
    }
}

/// A week as worked and paid: mostly the contract; sometimes an hour or two longer, a late
/// evening, a seventh day; pay usually right, sometimes short.
fn week(rng: &mut StdRng, t: &Terms, monday: Date) -> Week {
    let mut days: Vec<WorkDay> = t
        .shifts
        .iter()
        .map(|s| {
            let longer = if rng.gen_bool(0.1) { rng.gen_range(30..=150) } else { 0 };
            WorkDay {
                date: monday.plus_days(i64::from(s.weekday)),
                start: s.start,
                end: (s.end + longer) % 1440,
                break_minutes: s.break_minutes,
                holiday: false,
            }
        })
        .collect();
    if rng.gen_bool(0.03) {
        days.push(WorkDay {
            date: monday.plus_days(6),
            start: 18 * 60,
            end: 23 * 60,
            break_minutes: 30,
            holiday: true,
        });
    }
    let minutes: u64 = days.iter().map(|d| u64::from(d.minutes())).sum();
    let base = (minutes * t.wage_krw).div_ceil(60);
    // Employers pay the allowance on the contracted hours (a worker who habitually works
    // longer is owed more: LAB-03's four-week average).
    let contracted = u64::from(t.weekly_minutes());
    let holiday = if contracted >= 900 { (contracted.min(2400) * 480 * t.wage_krw).div_ceil(2400 * 60) } else { 0 };
    Week {
        monday,
        days,
        pay: WeekPay {
            base_krw: if rng.gen_bool(0.05) { base * 9 / 10 } else { base },
            weekly_holiday_krw: if rng.gen_bool(0.1) { 0 } else { holiday },
            premiums_krw: if rng.gen_bool(0.5) { 0 } else { base / 4 },
        },
        all_contracted_days_worked: rng.gen_bool(0.97),
    }
}

/// Checks `worker_weeks` worker-weeks (eight per worker) and prints what it measured; its part
/// of the benchmark's JSON line.
pub fn run(worker_weeks: usize) -> anyhow::Result<Value> {
    let tables = crate::setup::demo_tables()?;
    let workers = worker_weeks.div_ceil(WEEKS).max(1);
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    // Eight weeks across 1 January: each day read at its own year's minimum wage.
    let first_monday: Date = "2025-11-24".parse().map_err(anyhow::Error::msg)?;
    eprintln!("generating {workers} contracts and {} worker-weeks (not measured)...", workers * WEEKS);
    let people: Vec<(Terms, Vec<Week>)> = (0..workers)
        .map(|i| {
            let mut rng = StdRng::seed_from_u64(i as u64);
            let t = contract(&mut rng, first_monday);
            let weeks = (0..WEEKS).map(|w| week(&mut rng, &t, first_monday.plus_days(7 * w as i64))).collect();
            (t, weeks)
        })
        .collect();
    let chunk = people.len().div_ceil(threads);

    // The floor: the same threads walking the same weeks.
    let t0 = Instant::now();
    let walked: u64 = std::thread::scope(|s| {
        let hs: Vec<_> = people
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || part.iter().flat_map(|(_, ws)| ws).map(|w| u64::from(w.minutes())).sum::<u64>())
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    let walk_secs = t0.elapsed().as_secs_f64();

    let t0 = Instant::now();
    let counted: Vec<anyhow::Result<BTreeMap<&'static str, (u64, u64)>>> = std::thread::scope(|s| {
        let tables = &tables;
        let hs: Vec<_> = people
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let mut by_rule: BTreeMap<&'static str, (u64, u64)> = BTreeMap::new();
                    for (terms, weeks) in part {
                        for i in 0..weeks.len() {
                            let recent = &weeks[i.saturating_sub(3)..=i];
                            for f in rules::week(terms, recent, tables)? {
                                let e = by_rule.entry(f.rule).or_default();
                                e.0 += 1;
                                e.1 += f.owed_krw;
                            }
                        }
                    }
                    Ok(by_rule)
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a checking thread panicked"))))
            .collect()
    });
    let secs = t0.elapsed().as_secs_f64();
    let mut by_rule: BTreeMap<&'static str, (u64, u64)> = BTreeMap::new();
    for part in counted {
        for (rule, (n, owed)) in part? {
            let e = by_rule.entry(rule).or_default();
            e.0 += n;
            e.1 += owed;
        }
    }
    let checked = (workers * WEEKS) as f64;
    let per_s = checked / secs;
    let walk_per_s = checked / walk_secs.max(1e-9);
    let million_s = 1_000_000.0 / per_s;
    println!("worker-weeks checked/s   {per_s:>12.0}  ({checked:.0} worker-weeks of {workers} contracts in {secs:.2} s on {threads} threads; LAB-02..06)");
    println!("1,000,000 worker-weeks   {million_s:>12.1} s  (target < 60 s)");
    println!("floor: worker-weeks walked/s {walk_per_s:>8.0}  (the same threads only summing minutes; {walked} minutes); ratio {:.3}", per_s / walk_per_s);
    for (rule, (n, owed)) in &by_rule {
        println!("  {rule}: {n:>9} findings, {owed:>15} KRW owed");
    }
    let findings: serde_json::Map<String, serde_json::Value> =
        by_rule.iter().map(|(r, (n, owed))| (r.to_string(), json!({"findings": n, "owed_krw": owed}))).collect();
    Ok(json!({"worker_weeks": checked as u64, "contracts": workers, "threads": threads,
               "seconds": secs, "worker_weeks_per_s": per_s, "seconds_per_million": million_s,
               "floor_walk_per_s": walk_per_s, "ratio_to_floor": per_s / walk_per_s, "by_rule": findings}))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bench runs on the dev chain's tables end to end (a small run), and its generated
    /// weeks break the rules the way it says (so the figures it prints measure real findings).
    #[test]
    fn a_small_run_checks_every_week_and_finds_the_planted_violations() {
        let out = run(800).unwrap();
        assert_eq!(out["worker_weeks"], 800);
        let t = crate::setup::demo_tables().unwrap();
        let monday: Date = "2025-11-24".parse().unwrap();
        let (mut findings, mut weeks) = (BTreeMap::<&str, u64>::new(), 0);
        for i in 0..400u64 {
            let mut rng = StdRng::seed_from_u64(i);
            let terms = contract(&mut rng, monday);
            let ws: Vec<Week> = (0..WEEKS).map(|w| week(&mut rng, &terms, monday.plus_days(7 * w as i64))).collect();
            for i in 0..ws.len() {
                weeks += 1;
                for f in rules::week(&terms, &ws[i.saturating_sub(3)..=i], &t).unwrap() {
                    *findings.entry(f.rule).or_default() += 1;
                }
            }
        }
        assert_eq!(weeks, 3_200);
        for rule in ["LAB-02", "LAB-03", "LAB-04", "LAB-05", "LAB-06"] {
            assert!(findings.get(rule).is_some_and(|n| *n > 0), "{rule} planted: {findings:?}");
        }
    }
}
