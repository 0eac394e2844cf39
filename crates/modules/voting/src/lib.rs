//! Voting (DOMAIN.md §3, rules VOTE-01..10): polls whose ballots are secret and whose tally
//! anyone can verify, as Helios, Belenios and ElectionGuard are.
//!
//! - A poll office creates a poll ([`msg::PollSpec`]): questions, window, re-voting policy,
//!   trustees and threshold, the registrar and its key, the size of the roll.
//! - The trustees make the election key together before the poll opens (dealings, and
//!   complaints anyone can judge); at the opening the key is fixed from the dealings that
//!   stand, or the poll fails.
//! - The registrar (off chain) checks each citizen's credentials against the poll's
//!   eligibility and blindly signs a fresh voting key; it records on chain how many it issued.
//! - A ballot comes from that voting key with the registrar's signature, its ciphertexts and
//!   their proofs ([`dojang_ballot`]); it is added to the running encrypted totals, and under
//!   "last counts" replaces the credential's earlier ballot.
//! - At the close the totals are fixed; any `threshold` trustees' decryption shares, each
//!   with its proofs, publish the result.
//!
//! Nothing on chain links a person to a ballot: the voting key is the registrar's blind
//! signature away from anyone's identity.

pub mod credential;
pub mod events;
pub mod exec;
pub mod msg;
pub mod query;
pub mod rules;
pub mod state;

use dojang_ledger::{BlockContext, ModuleError, NoGenesis, Permit, StateRead, StateWrite, TxContext, TypedModule};
use dojang_types::Event;

pub use msg::{PollKind, PollSpec, Question, Revote, VotingMsg};

pub const NAME: &str = "voting";

impl dojang_types::ModuleMessage for VotingMsg {
    const MODULE: &'static str = NAME;
}

/// The voting module as the ledger runs it.
#[derive(Debug, Default)]
pub struct Voting {
    tallies: state::TallyCache,
}

impl TypedModule for Voting {
    const NAME: &'static str = NAME;
    type Msg = VotingMsg;
    type Genesis = NoGenesis;
    /// A running chain gains it by the council's activation.
    const NEEDS_ACTIVATION: bool = true;

    fn init_genesis(&self, _state: &mut dyn StateWrite, _genesis: NoGenesis) -> Result<(), ModuleError> {
        Ok(())
    }

    fn check(&self, msg: &VotingMsg) -> Result<Permit, ModuleError> {
        exec::check(msg)
    }

    fn check_many(&self, msgs: &[&VotingMsg]) -> Vec<Result<Permit, ModuleError>> {
        exec::check_many(msgs)
    }

    fn execute(&self, ctx: &TxContext, state: &mut dyn StateWrite, msg: VotingMsg) -> Result<Vec<Event>, ModuleError> {
        exec::execute(ctx, state, msg, &self.tallies)
    }

    fn query(
        &self,
        state: &dyn StateRead,
        path: &str,
        params: &serde_json::Value,
    ) -> Result<serde_json::Value, ModuleError> {
        query::query(state, path, params)
    }

    fn on_deadline(
        &self,
        ctx: &BlockContext,
        state: &mut dyn StateWrite,
        key: &[u8],
    ) -> Result<Vec<Event>, ModuleError> {
        exec::on_deadline(ctx, state, key)
    }
}
