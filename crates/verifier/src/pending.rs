//! The requests an office has sent and awaits answers to: each lapses after its lifetime, and
//! at most a fixed number are open at once, so a flood of request fetches cannot grow the
//! office's memory without bound. When full (after lapsed ones are dropped), new requests are
//! refused with [`OfficeBusy`] until answers or lapses free room.

use std::collections::{HashMap, VecDeque};

/// How many requests may await answers at once by default: more than any program's
/// applicants in one request lifetime, bounded in memory (about 100 bytes each).
pub const DEFAULT_MAX_PENDING: usize = 100_000;

/// The office has as many open requests as it allows; the caller should retry later (HTTP 503).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the office has {0} requests awaiting answers, as many as it allows; try again in a few minutes")]
pub struct OfficeBusy(pub usize);

#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub program: String,
    pub nonce: String,
    pub expires: u64,
}

/// Open requests by `state`, with their expiry order for sweeping.
#[derive(Debug)]
pub(crate) struct PendingBook {
    by_state: HashMap<String, Pending>,
    /// (expiry, state) in the order requests were made; answered ones are skipped when swept.
    order: VecDeque<(u64, String)>,
    capacity: usize,
}

impl PendingBook {
    pub fn new(capacity: usize) -> Self {
        PendingBook { by_state: HashMap::new(), order: VecDeque::new(), capacity: capacity.max(1) }
    }

    /// Drops every request lapsed at `now` (the front of `order`, as lifetimes are equal).
    fn sweep(&mut self, now: u64) {
        while let Some((expires, _)) = self.order.front() {
            if *expires > now {
                break;
            }
            if let Some((_, state)) = self.order.pop_front() {
                if self.by_state.get(&state).is_some_and(|p| p.expires <= now) {
                    self.by_state.remove(&state);
                }
            }
        }
    }

    /// Room for one more request, after dropping lapsed ones.
    pub fn reserve(&mut self, now: u64) -> Result<(), OfficeBusy> {
        self.sweep(now);
        if self.by_state.len() >= self.capacity {
            return Err(OfficeBusy(self.capacity));
        }
        Ok(())
    }

    pub fn insert(&mut self, state: String, pending: Pending) {
        self.order.push_back((pending.expires, state.clone()));
        self.by_state.insert(state, pending);
        // Answered requests leave their place in `order` until they would have lapsed; keep
        // that list bounded too under a fast stream of answers.
        if self.order.len() > 2 * self.capacity {
            let by_state = &self.by_state;
            self.order.retain(|(_, s)| by_state.contains_key(s));
        }
    }

    /// Takes an open request (an answer uses it up); `None` when unknown or lapsed at `now`.
    pub fn take(&mut self, state: &str, now: u64) -> Option<Pending> {
        self.by_state.remove(state).filter(|p| p.expires > now)
    }

    /// The program an open request is for, if it has not lapsed at `now`.
    pub fn program(&self, state: &str, now: u64) -> Option<String> {
        self.by_state.get(state).filter(|p| p.expires > now).map(|p| p.program.clone())
    }

    pub fn len(&self) -> usize {
        self.by_state.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(expires: u64) -> Pending {
        Pending { program: "p".into(), nonce: "n".into(), expires }
    }

    #[test]
    fn requests_lapse_and_the_bound_holds() {
        let mut book = PendingBook::new(3);
        for (i, t) in [100, 101, 102].into_iter().enumerate() {
            book.reserve(t).unwrap();
            book.insert(format!("s{i}"), pending(t + 600));
        }
        assert_eq!(book.reserve(103), Err(OfficeBusy(3)), "full: the fourth is refused");
        assert_eq!(book.len(), 3);
        assert_eq!(book.program("s0", 699).as_deref(), Some("p"));
        assert_eq!(book.program("s0", 700), None, "lapsed requests are not open");
        assert!(book.take("s0", 700).is_none(), "a lapsed request cannot be answered");
        // At 701 the first two lapsed: room again, and the lapsed ones are gone.
        book.reserve(701).unwrap();
        assert_eq!(book.len(), 1);
        book.insert("s3".into(), pending(1301));
        book.reserve(701).unwrap();
        book.insert("s4".into(), pending(1301));
        assert_eq!(book.reserve(701), Err(OfficeBusy(3)));
        // An answer frees its place.
        assert!(book.take("s2", 701).is_some());
        assert!(book.take("s2", 701).is_none(), "answered once");
        assert!(book.reserve(701).is_ok());
    }

    #[test]
    fn the_expiry_list_stays_bounded_when_answers_come_fast() {
        let mut book = PendingBook::new(2);
        for i in 0..1000 {
            book.reserve(10).unwrap();
            book.insert(format!("s{i}"), pending(610));
            assert!(book.take(&format!("s{i}"), 10).is_some());
            assert!(book.order.len() <= 4, "{} entries", book.order.len());
        }
        assert_eq!(book.len(), 0);
    }
}
