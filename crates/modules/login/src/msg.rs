//! What may be asked of the login module. Only the council registers and changes relying
//! parties: a facility that could widen its own registration could ask for anything.

use serde::{Deserialize, Serialize};

/// How sure a login is of who is there (AUTH-07), in the eIDAS terms the EU uses. The order
/// matters: a login that reached `High` satisfies an action that needs `Substantial`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Low,
    Substantial,
    High,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Substantial => "substantial",
            Level::High => "high",
        }
    }

    /// The `acr` value an ID token carries for this level.
    pub fn acr(self) -> String {
        format!("{ACR_PREFIX}{}", self.as_str())
    }

    /// The level an `acr` value names, if it names one.
    pub fn from_acr(acr: &str) -> Option<Level> {
        match acr.strip_prefix(ACR_PREFIX)? {
            "low" => Some(Level::Low),
            "substantial" => Some(Level::Substantial),
            "high" => Some(Level::High),
            _ => None,
        }
    }
}

/// The prefix of every `acr` value the login service speaks.
pub const ACR_PREFIX: &str = "urn:dojang:loa:";

/// What an action does, which sets the least level it may be registered with (AUTH-07).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Reading what the facility shows its members (a library's catalogue, opening hours).
    Read,
    /// Using a service in one's own name (booking a lane, borrowing a book).
    Use,
    /// Applying for something (a programme, a permit).
    Apply,
    /// Signing a contract or a document.
    Sign,
    /// Paying or being paid.
    Payment,
    /// Voting.
    Vote,
}

/// One thing a facility lets a logged-in citizen do, and the level it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub id: String,
    pub kind: ActionKind,
    pub level: Level,
}

/// A relying party's registration as the council passes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// The OpenID Connect `client_id` the facility's software is configured with.
    pub id: String,
    /// The name shown to the citizen in the wallet and on the login page.
    pub name: String,
    /// The login service that may ask on the facility's behalf (an organisation's did:web).
    pub provider: String,
    /// Exact URIs the login may return to (no patterns: RFC 9700 §4.1.3).
    pub redirect_uris: Vec<String>,
    /// The verification policy, registered by `provider`, that bounds what may be asked
    /// (AUTH-04): the wallet refuses anything beyond it.
    pub policy: String,
    /// What the facility offers, each with the level it needs (AUTH-07).
    pub actions: Vec<Action>,
    /// The oldest a residency credential may be, in days (AUTH-08).
    pub residency_max_age_days: u32,
    /// The policy (registered by `provider`) under which a guardian logs in for a ward: the
    /// guardian credential's scope and the ward's token for this facility, and the guardian's
    /// own residency. None: the facility takes no logins on another's behalf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardian_policy: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LoginMsg {
    /// Registers a facility as a relying party (council).
    RegisterRelyingParty(Registration),
    /// Replaces a relying party's registration; its id and provider stay (council).
    UpdateRelyingParty(Registration),
    /// Stops every login to the facility until reinstated (council).
    SuspendRelyingParty { id: String, reason: String },
    /// Lifts a suspension (council).
    ReinstateRelyingParty { id: String },
}
