//! What a rule finds: a violation that happened, or a warning before one would. Each cites its
//! rule id, the dates, the figures and the law, in Korean and English, and what the worker is
//! owed when money is short.

use std::collections::BTreeMap;

use dojang_types::Date;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Not yet a violation: what would become one, and when, unless something changes.
    Warning,
    Violation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `LAB-02` ...
    pub rule: &'static str,
    pub severity: Severity,
    /// The first and last date concerned.
    pub from: Date,
    pub until: Date,
    /// The numbers behind it (hours in minutes, money in KRW, rates in basis points).
    pub figures: BTreeMap<&'static str, i64>,
    /// What the worker is owed because of it.
    pub owed_krw: u64,
    pub law: &'static str,
    pub en: String,
    pub ko: String,
}

impl Finding {
    pub fn new(rule: &'static str, severity: Severity, from: Date, until: Date, law: &'static str) -> Finding {
        Finding {
            rule,
            severity,
            from,
            until,
            figures: BTreeMap::new(),
            owed_krw: 0,
            law,
            en: String::new(),
            ko: String::new(),
        }
    }

    pub fn figure(mut self, name: &'static str, value: impl TryInto<i64>) -> Finding {
        self.figures.insert(name, value.try_into().unwrap_or(i64::MAX));
        self
    }

    pub fn owed(mut self, krw: u64) -> Finding {
        self.owed_krw = krw;
        self
    }

    pub fn says(mut self, en: String, ko: String) -> Finding {
        self.en = en;
        self.ko = ko;
        self
    }
}
