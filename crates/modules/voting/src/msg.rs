//! The voting module's messages. A poll's questions and options are public text written by a
//! poll office; a ballot is ciphertexts and proofs under a pseudonymous voting key; nothing
//! here names a voter.

use dojang_ballot::{Complaint, Dealing, DecryptionShare, Element, EncryptedBallot, QuestionShape};
use dojang_types::Address;
use serde::{Deserialize, Deserializer, Serialize};

/// What kind of vote, as the city runs them (DOMAIN.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PollKind {
    Policy,
    ParticipatoryBudget,
    CitizensPoll,
    YesNo,
}

/// What happens to a second ballot under the same credential (VOTE-02).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Revote {
    /// The second ballot is refused.
    Reject,
    /// The later ballot replaces the earlier one in the tally.
    LastCounts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub text: String,
    pub options: Vec<String>,
    pub min: u32,
    pub max: u32,
}

impl Question {
    pub fn shape(&self) -> QuestionShape {
        QuestionShape { options: self.options.len() as u32, min: self.min, max: self.max }
    }
}

/// Who may vote (VOTE-01): the predicate the poll's registrar checks on the citizen's
/// credentials before it issues a voting credential. On chain so anyone can read what was
/// required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Eligibility {
    /// A district of Seoul (e.g. `mapo-gu`), or `seoul` for the whole city.
    pub district: String,
    #[serde(default)]
    pub min_months_resident: u32,
    /// 0, or one of the ages the resident credential attests as `age_over_<A>`
    /// ([`crate::rules::AGE_THRESHOLDS`]): the registry never discloses a birth date.
    #[serde(default)]
    pub min_age: u32,
    /// The verification policy, registered in the identity registries by the registrar's
    /// organisation, under which the registrar asks for the resident credential: anyone can
    /// read on chain exactly which claims a voter had to show.
    pub policy: String,
}

/// A trustee: its account (which posts its dealing and decryption share) and the key other
/// trustees seal its key shares to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trustee {
    pub account: Address,
    pub transport_key: Element,
}

/// The registrar's blind signature on the voting key, finalized by the voter's device
/// (RFC 9474, randomized): base64 of the 32-byte randomizer and of the signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    pub randomizer: String,
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollSpec {
    pub kind: PollKind,
    pub title: String,
    pub questions: Vec<Question>,
    pub eligibility: Eligibility,
    /// Trustees post their dealings until this time (chain time); between it and the opening
    /// they complain about bad shares, so a dealing posted at the last moment cannot leave
    /// others without a share they can use (VOTE-05). Required; optional only in the type so a
    /// missing one is refused with a reason.
    #[serde(default)]
    pub dealings_until_ms: Option<u64>,
    /// The voting window, chain time (VOTE-03).
    pub opens_ms: u64,
    pub closes_ms: u64,
    /// No decryption share is taken before this (VOTE-06); at the close when absent.
    #[serde(default)]
    pub results_from_ms: Option<u64>,
    pub revote: Revote,
    pub trustees: Vec<Trustee>,
    /// Any `threshold` trustees decrypt the tally; fewer learn nothing.
    pub threshold: u32,
    /// The registrar's account (it records how many credentials it issued) and its RSA key
    /// (SubjectPublicKeyInfo, base64), fixed when the poll is created (VOTE-09).
    pub registrar: Address,
    pub registrar_key: String,
    /// How many people the roll holds: credentials issued never exceed it (VOTE-10).
    pub eligible: u64,
}

impl PollSpec {
    /// Each question's shape, as a ballot for this poll must have.
    pub fn shapes(&self) -> Vec<QuestionShape> {
        self.questions.iter().map(|q| q.shape()).collect()
    }

    /// Counts for every option, question after question, split by question.
    pub fn counts_by_question(&self, flat: &[u64]) -> Vec<Vec<u64>> {
        let mut rest = flat;
        self.questions
            .iter()
            .map(|q| {
                let (head, tail) = rest.split_at(q.options.len().min(rest.len()));
                rest = tail;
                head.to_vec()
            })
            .collect()
    }
}

/// As JSON: `{"type": "create_poll", "poll": "mapo-budget-2026", "spec": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "MsgFields")]
pub enum VotingMsg {
    /// A poll office creates a poll, before it opens.
    CreatePoll { poll: String, spec: PollSpec },
    /// A trustee publishes its dealing for the election key, before the poll opens.
    Deal { poll: String, dealing: Dealing },
    /// A trustee shows that a dealer sealed it a bad share; a founded complaint puts the
    /// dealing out of the key.
    Complain { poll: String, complaint: Box<Complaint> },
    /// The registrar records how many voting credentials it has issued in all.
    RecordIssued { poll: String, issued: u64 },
    /// A ballot, sent from the voting key `voter` that the registrar signed blindly. The
    /// election key and the questions' shapes are repeated so the proofs are checked before
    /// the ballot reaches a block; they must be the poll's.
    Cast {
        poll: String,
        voter: Address,
        key: Element,
        shapes: Vec<QuestionShape>,
        token: Token,
        ballot: EncryptedBallot,
    },
    /// A trustee's decryption share of the closed poll's totals.
    DecryptShare { poll: String, share: DecryptionShare },
}

impl VotingMsg {
    pub fn poll(&self) -> &str {
        match self {
            VotingMsg::CreatePoll { poll, .. }
            | VotingMsg::Deal { poll, .. }
            | VotingMsg::Complain { poll, .. }
            | VotingMsg::RecordIssued { poll, .. }
            | VotingMsg::Cast { poll, .. }
            | VotingMsg::DecryptShare { poll, .. } => poll,
        }
    }
}

/// A message's `type`, as [`MsgFields`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum MsgKind {
    CreatePoll,
    Deal,
    Complain,
    RecordIssued,
    Cast,
    DecryptShare,
}

impl MsgKind {
    fn name(self) -> &'static str {
        match self {
            MsgKind::CreatePoll => "create_poll",
            MsgKind::Deal => "deal",
            MsgKind::Complain => "complain",
            MsgKind::RecordIssued => "record_issued",
            MsgKind::Cast => "cast",
            MsgKind::DecryptShare => "decrypt_share",
        }
    }

    /// The fields this type of message takes besides `type` and `poll`.
    fn fields(self) -> &'static [&'static str] {
        match self {
            MsgKind::CreatePoll => &["spec"],
            MsgKind::Deal => &["dealing"],
            MsgKind::Complain => &["complaint"],
            MsgKind::RecordIssued => &["issued"],
            MsgKind::Cast => &["voter", "key", "shapes", "token", "ballot"],
            MsgKind::DecryptShare => &["share"],
        }
    }
}

/// Every field any voting message has, read in one pass. serde's tagged enums first copy a
/// whole message aside to find its `type` wherever it is; for a ballot (seventy hex strings)
/// that copy costs as much as reading it. Which fields the type takes is checked after, so a
/// message is refused for a field its type does not take, as for one no type takes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MsgFields {
    #[serde(rename = "type")]
    kind: MsgKind,
    poll: String,
    #[serde(default, deserialize_with = "present")]
    spec: Option<PollSpec>,
    #[serde(default, deserialize_with = "present")]
    dealing: Option<Dealing>,
    #[serde(default, deserialize_with = "present")]
    complaint: Option<Box<Complaint>>,
    #[serde(default, deserialize_with = "present")]
    issued: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    voter: Option<Address>,
    #[serde(default, deserialize_with = "present")]
    key: Option<Element>,
    #[serde(default, deserialize_with = "present")]
    shapes: Option<Vec<QuestionShape>>,
    #[serde(default, deserialize_with = "present")]
    token: Option<Token>,
    #[serde(default, deserialize_with = "present")]
    ballot: Option<EncryptedBallot>,
    #[serde(default, deserialize_with = "present")]
    share: Option<DecryptionShare>,
}

/// A field that is there must hold a value: `null` is not "absent".
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

fn needs<T>(value: Option<T>, field: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("missing field `{field}`"))
}

impl TryFrom<MsgFields> for VotingMsg {
    type Error = String;

    fn try_from(f: MsgFields) -> Result<Self, String> {
        let given = [
            ("spec", f.spec.is_some()),
            ("dealing", f.dealing.is_some()),
            ("complaint", f.complaint.is_some()),
            ("issued", f.issued.is_some()),
            ("voter", f.voter.is_some()),
            ("key", f.key.is_some()),
            ("shapes", f.shapes.is_some()),
            ("token", f.token.is_some()),
            ("ballot", f.ballot.is_some()),
            ("share", f.share.is_some()),
        ];
        let takes = f.kind.fields();
        if let Some((extra, _)) = given.iter().find(|(name, there)| *there && !takes.contains(name)) {
            return Err(format!(
                "unknown field `{extra}`: a `{}` message takes `type`, `poll` and `{}`",
                f.kind.name(),
                takes.join("`, `")
            ));
        }
        let poll = f.poll;
        Ok(match f.kind {
            MsgKind::CreatePoll => VotingMsg::CreatePoll { poll, spec: needs(f.spec, "spec")? },
            MsgKind::Deal => VotingMsg::Deal { poll, dealing: needs(f.dealing, "dealing")? },
            MsgKind::Complain => VotingMsg::Complain { poll, complaint: needs(f.complaint, "complaint")? },
            MsgKind::RecordIssued => VotingMsg::RecordIssued { poll, issued: needs(f.issued, "issued")? },
            MsgKind::Cast => VotingMsg::Cast {
                poll,
                voter: needs(f.voter, "voter")?,
                key: needs(f.key, "key")?,
                shapes: needs(f.shapes, "shapes")?,
                token: needs(f.token, "token")?,
                ballot: needs(f.ballot, "ballot")?,
            },
            MsgKind::DecryptShare => VotingMsg::DecryptShare { poll, share: needs(f.share, "share")? },
        })
    }
}
