//! Rate-limited reporting: a condition that can happen thousands of times a second (a
//! connection flood, an unreachable peer) is logged once per interval with a count, so the
//! log stays readable and the disk does not fill.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts occurrences and says when a report is due.
pub(crate) struct Throttle {
    interval: Duration,
    state: Mutex<State>,
}

struct State {
    last_report: Option<Instant>,
    pending: u64,
}

impl Throttle {
    pub fn new(interval: Duration) -> Self {
        Throttle { interval, state: Mutex::new(State { last_report: None, pending: 0 }) }
    }

    /// Counts one occurrence. Returns the number to report (this one included) when the
    /// first occurrence happens or the interval since the last report has passed.
    pub fn hit(&self) -> Option<u64> {
        self.hit_at(Instant::now())
    }

    /// Returns the occurrences not yet reported once the interval has passed, to report
    /// the tail of a burst that stopped.
    pub fn flush(&self) -> Option<u64> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let due = s.last_report.is_none_or(|t| t.elapsed() >= self.interval);
        if s.pending == 0 || !due {
            return None;
        }
        s.last_report = Some(Instant::now());
        Some(std::mem::take(&mut s.pending))
    }

    fn hit_at(&self, now: Instant) -> Option<u64> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.pending += 1;
        let due = s.last_report.is_none_or(|t| now.duration_since(t) >= self.interval);
        if !due {
            return None;
        }
        s.last_report = Some(now);
        Some(std::mem::take(&mut s.pending))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_first_then_once_per_interval_with_the_count() {
        let t = Throttle::new(Duration::from_secs(10));
        let start = Instant::now();
        assert_eq!(t.hit_at(start), Some(1), "the first occurrence is reported at once");
        for i in 1..1000 {
            assert_eq!(t.hit_at(start + Duration::from_millis(i)), None, "a burst is not logged line by line");
        }
        assert_eq!(t.hit_at(start + Duration::from_secs(10)), Some(1000), "the next report counts the burst");
        assert_eq!(t.flush(), None, "nothing pending");
        assert_eq!(t.hit_at(start + Duration::from_secs(11)), None);
        assert_eq!(t.flush(), None, "not due yet: the interval has not passed since the last report");
    }
}
