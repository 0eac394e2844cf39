//! The voting rules as pure functions, named by what they check (VOTE-01..10), and the bytes
//! that bind proofs and credentials to their poll and voter.

use dojang_ballot::ballot::{MAX_OPTIONS, MAX_QUESTIONS};
use dojang_ballot::dkg::check_threshold;
use dojang_types::Address;

use crate::msg::{PollSpec, Revote};

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_QUESTION_CHARS: usize = 500;
pub const MAX_OPTION_CHARS: usize = 200;
/// The most options, and the most count alternatives (`max − min + 1`), a whole ballot may
/// have: so that a ballot with its proofs fits in one transaction (64 KiB, about 750 bytes an
/// option), and so that checking a ballot at admission stays cheap.
pub const MAX_BALLOT_OPTIONS: u32 = 60;
pub const MAX_BALLOT_COUNT_BRANCHES: u32 = 60;

/// Whether a ballot of these shapes fits the limits above.
pub fn ballot_fits(shapes: &[dojang_ballot::QuestionShape]) -> Result<(), String> {
    if shapes.is_empty() || shapes.len() > MAX_QUESTIONS {
        return Err(format!("a ballot answers 1 to {MAX_QUESTIONS} questions, not {}", shapes.len()));
    }
    // Summed in u64: the shapes come from outside, and no sum of them may overflow.
    let options: u64 = shapes.iter().map(|s| u64::from(s.options)).sum();
    let branches: u64 = shapes.iter().map(|s| u64::from(s.max.saturating_sub(s.min)) + 1).sum();
    if options > u64::from(MAX_BALLOT_OPTIONS) || branches > u64::from(MAX_BALLOT_COUNT_BRANCHES) {
        return Err(format!(
            "a ballot has at most {MAX_BALLOT_OPTIONS} options and {MAX_BALLOT_COUNT_BRANCHES} count alternatives in all, not {options} and {branches}"
        ));
    }
    Ok(())
}

/// The longest a poll may stay open: a participatory budget runs for weeks, not years.
pub const MAX_WINDOW_MS: u64 = 120 * 86_400_000;
/// How far ahead of its creation a poll may open.
pub const MAX_LEAD_MS: u64 = 366 * 86_400_000;

/// A poll id: 3 to 64 of `a-z`, `0-9` and `-`, chosen by the poll office (it is public).
pub fn poll_id_is_valid(id: &str) -> bool {
    (3..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn text_fits(what: &str, text: &str, max: usize) -> Result<(), String> {
    let n = text.chars().count();
    if n == 0 || n > max {
        return Err(format!("{what} has {n} characters: give 1 to {max}"));
    }
    Ok(())
}

/// What is wrong with a poll as proposed, if anything: its texts, questions, window,
/// trustees, threshold and roll.
pub fn spec_problems(spec: &PollSpec) -> Result<(), String> {
    text_fits("the title", &spec.title, MAX_TITLE_CHARS)?;
    if spec.questions.is_empty() || spec.questions.len() > MAX_QUESTIONS {
        return Err(format!("a poll asks 1 to {MAX_QUESTIONS} questions, not {}", spec.questions.len()));
    }
    for (i, q) in spec.questions.iter().enumerate() {
        text_fits(&format!("question {i}"), &q.text, MAX_QUESTION_CHARS)?;
        if q.options.is_empty() || q.options.len() > MAX_OPTIONS as usize {
            return Err(format!("question {i} has {} options: give 1 to {MAX_OPTIONS}", q.options.len()));
        }
        for (o, label) in q.options.iter().enumerate() {
            text_fits(&format!("question {i}, option {o}"), label, MAX_OPTION_CHARS)?;
        }
        q.shape().check().map_err(|e| format!("question {i}: {e}"))?;
    }
    ballot_fits(&spec.shapes())?;
    eligibility_is_stated(spec)?;
    if spec.opens_ms >= spec.closes_ms || spec.closes_ms - spec.opens_ms > MAX_WINDOW_MS {
        return Err("the poll must close after it opens, and stay open at most 120 days".into());
    }
    if spec.results_from_ms.is_some_and(|r| r < spec.closes_ms) {
        return Err("VOTE-06: results cannot be released before the poll closes".into());
    }
    check_threshold(spec.threshold, spec.trustees.len() as u32).map_err(|e| e.to_string())?;
    let mut accounts: Vec<&Address> = spec.trustees.iter().map(|t| &t.account).collect();
    accounts.sort();
    accounts.dedup();
    if accounts.len() != spec.trustees.len() {
        return Err("each trustee is a different account".into());
    }
    let mut transport: Vec<&[u8; 32]> = spec.trustees.iter().map(|t| t.transport_key.bytes()).collect();
    transport.sort();
    transport.dedup();
    if transport.len() != spec.trustees.len() || transport.iter().any(|k| **k == [0u8; 32]) {
        return Err("VOTE-05: each trustee has its own transport key, and none is the identity".into());
    }
    match spec.dealings_until_ms {
        Some(d) if d < spec.opens_ms => {}
        _ => return Err("VOTE-05: dealings close before the poll opens, so complaints can be made in between".into()),
    }
    if spec.eligible == 0 {
        return Err("VOTE-10: the roll must hold at least one eligible person".into());
    }
    Ok(())
}

/// VOTE-01: eligibility is a credential predicate (a district, months of residence, an age),
/// never a phone number; the district names where residents may vote.
pub fn eligibility_is_stated(spec: &PollSpec) -> Result<(), String> {
    let d = &spec.eligibility.district;
    if d.is_empty() || d.len() > 64 || !d.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
        return Err(format!("VOTE-01: '{d}' is not a district id (e.g. mapo-gu, or seoul for the city)"));
    }
    if spec.eligibility.min_months_resident > 1200 {
        return Err("VOTE-01: a residence over 100 years excludes everyone".into());
    }
    let age = spec.eligibility.min_age;
    if age != 0 && !AGE_THRESHOLDS.contains(&age) {
        return Err(format!(
            "VOTE-01: the resident credential attests ages only as thresholds {AGE_THRESHOLDS:?}; \
             ask for one of them, or 0 for no age condition (not {age})"
        ));
    }
    let policy = &spec.eligibility.policy;
    if policy.is_empty() || policy.len() > 128 || policy.chars().any(char::is_control) {
        return Err("VOTE-01: name the registrar's verification policy (1 to 128 characters)".into());
    }
    Ok(())
}

/// The ages the resident registry attests, each as a boolean claim `age_over_<A>` (so a
/// registrar learns only whether a voter is old enough, never a birth date).
pub const AGE_THRESHOLDS: [u32; 5] = [14, 16, 18, 19, 65];

/// VOTE-03: a ballot counts only inside the window, by the block's time.
pub fn within_window(opens_ms: u64, closes_ms: u64, time_ms: u64) -> bool {
    (opens_ms..closes_ms).contains(&time_ms)
}

/// VOTE-06: decryption shares are taken only once the results may be released.
pub fn results_may_be_released(spec: &PollSpec, time_ms: u64) -> bool {
    time_ms >= spec.results_from_ms.unwrap_or(spec.closes_ms)
}

/// What a second ballot under the same credential does (VOTE-02).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Second {
    Refused,
    Replaces,
}

pub fn second_ballot(revote: Revote) -> Second {
    match revote {
        Revote::Reject => Second::Refused,
        Revote::LastCounts => Second::Replaces,
    }
}

/// VOTE-10: distinct voters never exceed the credentials issued, nor those the roll.
pub fn within_credentials(voters: u64, issued: u64) -> bool {
    voters <= issued
}

pub fn issued_within_roll(issued: u64, eligible: u64) -> bool {
    issued <= eligible
}

/// The context of a poll's key generation and decryption proofs.
pub fn poll_context(poll: &str) -> Vec<u8> {
    format!("dojang/voting/v1/poll/{poll}").into_bytes()
}

/// The context of a ballot's proofs: the poll and the voting key, so a ballot cannot be
/// replayed under another credential.
pub fn ballot_context(poll: &str, voter: &Address) -> Vec<u8> {
    format!("dojang/voting/v1/poll/{poll}/voter/{voter}").into_bytes()
}

/// What the registrar signs blindly: the voting key's account, for this poll.
pub fn credential_message(poll: &str, voter: &Address) -> Vec<u8> {
    format!("dojang/voting/v1/credential/{poll}/{voter}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::{Eligibility, PollKind, Question, Trustee};
    use curve25519_dalek::scalar::Scalar;
    use dojang_ballot::group::G;
    use dojang_ballot::Element;

    fn account(n: u8) -> Address {
        Address([n; 20])
    }

    fn spec() -> PollSpec {
        PollSpec {
            kind: PollKind::YesNo,
            title: "Extend the Han river night market?".into(),
            questions: vec![Question {
                text: "Extend it?".into(),
                options: vec!["yes".into(), "no".into()],
                min: 1,
                max: 1,
            }],
            eligibility: Eligibility {
                district: "seoul".into(),
                min_months_resident: 0,
                min_age: 14,
                policy: "vote-night-market".into(),
            },
            dealings_until_ms: Some(500),
            opens_ms: 1_000,
            closes_ms: 2_000,
            results_from_ms: None,
            revote: Revote::LastCounts,
            trustees: (1..=3)
                .map(|n| Trustee { account: account(n), transport_key: Element::new(Scalar::from(u64::from(n)) * G) })
                .collect(),
            threshold: 2,
            registrar: account(9),
            registrar_key: String::new(),
            eligible: 100,
        }
    }

    #[test]
    fn poll_ids_are_short_lowercase_slugs() {
        for ok in ["mapo-budget-2026", "abc", &"a".repeat(64)] {
            assert!(poll_id_is_valid(ok), "{ok}");
        }
        for bad in ["ab", &"a".repeat(65), "Mapo", "mapo budget", "mapo/2026", "김민수", ""] {
            assert!(!poll_id_is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn vote_01_eligibility_names_a_district_never_a_phone_number() {
        assert_eq!(spec_problems(&spec()), Ok(()));
        for d in ["010-1234-5678", "", "Mapo-gu", "mapo gu"] {
            let mut s = spec();
            s.eligibility.district = d.into();
            assert!(spec_problems(&s).unwrap_err().starts_with("VOTE-01"), "{d}");
        }
        for age in [121, 17, 1] {
            let mut s = spec();
            s.eligibility.min_age = age;
            assert!(spec_problems(&s).unwrap_err().starts_with("VOTE-01"), "{age}");
        }
        for policy in ["", "a\nb", &"p".repeat(129)] {
            let mut s = spec();
            s.eligibility.policy = policy.into();
            assert!(spec_problems(&s).unwrap_err().starts_with("VOTE-01"), "{policy}");
        }
        for age in [0, 14, 16, 18, 19, 65] {
            let mut s = spec();
            s.eligibility.min_age = age;
            assert_eq!(spec_problems(&s), Ok(()), "{age}");
        }
    }

    type Change = Box<dyn Fn(&mut PollSpec)>;

    #[test]
    fn a_poll_is_refused_for_each_thing_wrong_with_it() {
        let cases: Vec<(&str, Change)> = vec![
            ("empty title", Box::new(|s| s.title.clear())),
            ("no questions", Box::new(|s| s.questions.clear())),
            ("max over the options", Box::new(|s| s.questions[0].max = 3)),
            ("min over max", Box::new(|s| s.questions[0].min = 2)),
            ("an empty option", Box::new(|s| s.questions[0].options[1].clear())),
            ("closes before it opens", Box::new(|s| s.closes_ms = s.opens_ms)),
            ("open for a year", Box::new(|s| s.closes_ms = s.opens_ms + 365 * 86_400_000)),
            ("results before the close", Box::new(|s| s.results_from_ms = Some(s.closes_ms - 1))),
            ("threshold over the trustees", Box::new(|s| s.threshold = 4)),
            ("threshold zero", Box::new(|s| s.threshold = 0)),
            ("a trustee twice", Box::new(|s| s.trustees[1].account = s.trustees[0].account)),
            ("an empty roll", Box::new(|s| s.eligible = 0)),
            (
                "two trustees with one transport key",
                Box::new(|s| s.trustees[1].transport_key = s.trustees[0].transport_key),
            ),
            (
                "the identity as a transport key",
                Box::new(|s| s.trustees[2].transport_key = Element::from_bytes(&[0u8; 32]).unwrap()),
            ),
            ("dealings open until the opening", Box::new(|s| s.dealings_until_ms = Some(s.opens_ms))),
            ("no dealing deadline", Box::new(|s| s.dealings_until_ms = None)),
            (
                "a ballot too big for a transaction",
                Box::new(|s| {
                    let q = Question { text: "q".into(), options: vec!["o".into(); 40], min: 0, max: 1 };
                    s.questions = vec![q.clone(), q];
                }),
            ),
        ];
        for (why, change) in cases {
            let mut s = spec();
            change(&mut s);
            assert!(spec_problems(&s).is_err(), "{why}");
        }
    }

    #[test]
    fn vote_03_and_vote_06_the_window_and_the_release_by_chain_time() {
        let s = spec();
        assert!(!within_window(s.opens_ms, s.closes_ms, 999));
        assert!(within_window(s.opens_ms, s.closes_ms, 1_000));
        assert!(within_window(s.opens_ms, s.closes_ms, 1_999));
        assert!(!within_window(s.opens_ms, s.closes_ms, 2_000), "the close is exclusive");
        assert!(!results_may_be_released(&s, 1_999));
        assert!(results_may_be_released(&s, 2_000));
        let mut later = spec();
        later.results_from_ms = Some(5_000);
        assert!(!results_may_be_released(&later, 4_999));
        assert!(results_may_be_released(&later, 5_000));
    }

    #[test]
    fn vote_02_and_vote_10_second_ballots_and_credential_counts() {
        assert_eq!(second_ballot(Revote::Reject), Second::Refused);
        assert_eq!(second_ballot(Revote::LastCounts), Second::Replaces);
        assert!(within_credentials(4, 4));
        assert!(!within_credentials(5, 4));
        assert!(issued_within_roll(100, 100));
        assert!(!issued_within_roll(101, 100));
    }

    #[test]
    fn shapes_from_outside_never_overflow_the_ballot_limits() {
        let huge = dojang_ballot::QuestionShape { options: u32::MAX, min: 0, max: u32::MAX };
        assert!(ballot_fits(&[huge; 3]).is_err());
        assert!(ballot_fits(&[]).is_err());
        assert!(ballot_fits(&vec![dojang_ballot::QuestionShape { options: 1, min: 0, max: 1 }; 21]).is_err());
        assert!(ballot_fits(&[dojang_ballot::QuestionShape { options: 5, min: 0, max: 2 }]).is_ok());
    }

    #[test]
    fn contexts_differ_by_poll_and_voter() {
        assert_ne!(ballot_context("a-poll", &account(1)), ballot_context("a-poll", &account(2)));
        assert_ne!(ballot_context("a-poll", &account(1)), ballot_context("b-poll", &account(1)));
        assert_ne!(credential_message("a-poll", &account(1)), ballot_context("a-poll", &account(1)));
    }
}
