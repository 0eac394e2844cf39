//! What the voting module tells the world: the poll's steps, each ballot's tracking code, the
//! counts of turnout, and the result. No event names a person or a choice.

use dojang_ballot::Element;
use dojang_types::{Address, Hash, ModuleEvent};
use serde::{Deserialize, Serialize};

use crate::NAME;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VotingEvent {
    PollCreated {
        poll: String,
        office: Address,
        opens_ms: u64,
        closes_ms: u64,
    },
    Dealt {
        poll: String,
        trustee: u32,
    },
    /// A founded complaint: the dealer's dealing is out of the key.
    DealingRejected {
        poll: String,
        dealer: u32,
        complainer: u32,
    },
    PollOpened {
        poll: String,
        key: Element,
        trustees_in_key: Vec<u32>,
    },
    PollFailed {
        poll: String,
        reason: String,
    },
    CredentialsIssued {
        poll: String,
        issued: u64,
    },
    /// A ballot is on the board under its tracking code (VOTE-08); `replaces` is the code of
    /// the ballot it displaces under the same credential.
    BallotCast {
        poll: String,
        tracking: Hash,
        replaces: Option<Hash>,
    },
    PollClosed {
        poll: String,
        voters: u64,
        ballots: u64,
        issued: u64,
    },
    ShareAccepted {
        poll: String,
        trustee: u32,
    },
    ResultPublished {
        poll: String,
        counts: Vec<Vec<u64>>,
    },
}

impl ModuleEvent for VotingEvent {
    const MODULE: &'static str = NAME;
}
