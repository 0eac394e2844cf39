//! The council's typed client: propose a typed message of any module, approve or reject, and
//! read the council, proposals and parameters as the module's own answer types. No caller
//! builds governance JSON or picks through receipts by hand.

use dojang_crypto::{Keypair, Signer};
use dojang_governance::views::{
    CouncilQuery, CouncilView, ParamInForce, ParamQuery, ProposalList, ProposalQuery, ProposalView, ProposalsQuery,
};
use dojang_governance::{GovernanceEvent, GovernanceMsg};
use dojang_sdk::{Chain, ClientError, ModuleMessage};
use dojang_types::{Date, Event};
use serde_json::Value;

/// What became of a proposal when it was made or voted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proposed {
    /// It reached the threshold and executed in that block.
    Executed(u64),
    /// It reached the threshold, but its module refused the message when it executed.
    Failed(u64),
    /// Rejections put the threshold out of reach: it is closed.
    Rejected(u64),
    /// It waits for more approvals.
    Open(u64),
}

impl Proposed {
    pub fn id(&self) -> u64 {
        match *self {
            Proposed::Executed(id) | Proposed::Failed(id) | Proposed::Rejected(id) | Proposed::Open(id) => id,
        }
    }

    /// Reads a governance receipt: which proposal it is about and where it stands (and, for
    /// a failed one, the code its module refused the message with).
    pub fn from_receipt(receipt: &Value) -> Result<(Proposed, Option<String>), ClientError> {
        let events: Vec<Event> = serde_json::from_value(receipt["events"].clone())
            .map_err(|e| ClientError::BadAnswer(format!("the receipt's events are malformed: {e}")))?;
        let (mut id, mut outcome, mut code) = (None, None, None);
        for decoded in events.iter().filter_map(|e| e.decode::<GovernanceEvent>()) {
            let event = match decoded {
                Ok(event) => event,
                // A kind this client does not know (a newer node's) is skipped, not fatal.
                Err(e) if e.contains("unknown variant") => continue,
                Err(e) => return Err(ClientError::BadAnswer(format!("a governance event is malformed: {e}"))),
            };
            id = id.or(event.proposal_id());
            match event {
                GovernanceEvent::ProposalExecuted { id, .. } => outcome = Some(Proposed::Executed(id)),
                GovernanceEvent::ProposalFailed { id, code: c } => {
                    outcome = Some(Proposed::Failed(id));
                    code = Some(c);
                }
                GovernanceEvent::ProposalRejected { id } => outcome = Some(Proposed::Rejected(id)),
                _ => {}
            }
        }
        let id = id.ok_or_else(|| ClientError::BadAnswer("the governance receipt names no proposal".into()))?;
        Ok((outcome.unwrap_or(Proposed::Open(id)), code))
    }
}

/// The council, reached through a node.
pub struct Council<'a> {
    chain: &'a Chain,
}

/// How long a proposal made without an explicit expiry stays open.
pub const DEFAULT_EXPIRY_MS: u64 = 7 * 24 * 3_600_000;

impl<'a> Council<'a> {
    pub fn new(chain: &'a Chain) -> Self {
        Council { chain }
    }

    /// Proposes `msg` as `member` (the proposer's approval counts) and waits until final. On a
    /// council of one the proposal executes at once; a proposal whose message its module
    /// refused is an error naming the rule.
    pub async fn propose<M: ModuleMessage>(
        &self,
        member: &Keypair,
        msg: &M,
        reason: &str,
    ) -> Result<Proposed, ClientError> {
        let expires = dojang_types::wall_clock_ms() + DEFAULT_EXPIRY_MS;
        let receipt = self.chain.send(member, &GovernanceMsg::propose(msg, reason, expires)).await?;
        let (proposed, code) = Proposed::from_receipt(&receipt)?;
        if let Proposed::Failed(id) = proposed {
            let code = code.unwrap_or_default();
            return Err(ClientError::Refused {
                module: M::MODULE.into(),
                code,
                reason: format!("the council's message was refused when proposal {id} executed"),
            });
        }
        Ok(proposed)
    }

    /// Sends a governance message (a proposal, an approval, a rejection) with any signer and
    /// says what became of the proposal.
    pub async fn vote<S: Signer>(&self, signer: S, msg: &GovernanceMsg) -> Result<(Proposed, Value), ClientError> {
        let receipt = self.chain.send_signed(signer, msg).await?;
        Ok((Proposed::from_receipt(&receipt)?.0, receipt))
    }

    /// Approves proposal `id` as `member`.
    pub async fn approve(&self, member: &Keypair, id: u64) -> Result<Proposed, ClientError> {
        let (proposed, _) = self.vote(member.duplicate(), &GovernanceMsg::Approve { id }).await?;
        if proposed.id() != id {
            return Err(ClientError::BadAnswer(format!(
                "the approval's receipt names proposal {}, not {id}",
                proposed.id()
            )));
        }
        Ok(proposed)
    }

    pub async fn council(&self) -> Result<CouncilView, ClientError> {
        self.chain.client.ask(&CouncilQuery).await
    }

    pub async fn proposal(&self, id: u64) -> Result<ProposalView, ClientError> {
        self.chain.client.ask(&ProposalQuery(id)).await
    }

    pub async fn proposals(&self, open_only: bool, limit: u32) -> Result<ProposalList, ClientError> {
        self.chain.client.ask(&ProposalsQuery { open_only, limit }).await
    }

    /// The version of `table/key` in force on `as_of`.
    pub async fn param(&self, table: &str, key: &str, as_of: Date) -> Result<ParamInForce, ClientError> {
        self.chain.client.ask(&ParamQuery { table: table.into(), key: key.into(), as_of }).await
    }
}

#[cfg(test)]
mod tests {
    use super::Proposed;
    use serde_json::json;

    const BY: &str = "dj0101010101010101010101010101010101010101";

    fn receipt(kinds: &[&str], id: &str) -> serde_json::Value {
        let events: Vec<_> = kinds
            .iter()
            .map(|k| {
                let attributes = match *k {
                    "proposal_created" => json!([
                        ["id", id],
                        ["by", BY],
                        ["module", "identity"],
                        ["expires_at_ms", "9"],
                        ["threshold", "3"]
                    ]),
                    "proposal_approved" => json!([["id", id], ["by", BY], ["approvals", "3"], ["threshold", "3"]]),
                    "proposal_executed" => json!([["id", id], ["module", "identity"]]),
                    "proposal_failed" => json!([["id", id], ["code", "ID-05"]]),
                    _ => json!([["id", id]]),
                };
                json!({"module": "governance", "kind": k, "attributes": attributes})
            })
            .collect();
        json!({"height": 3, "events": events})
    }

    #[test]
    fn a_receipt_says_which_proposal_and_where_it_stands() {
        assert_eq!(Proposed::from_receipt(&receipt(&["proposal_created"], "4")).unwrap(), (Proposed::Open(4), None));
        let executed = receipt(&["proposal_created", "proposal_approved", "proposal_executed"], "4");
        assert_eq!(Proposed::from_receipt(&executed).unwrap().0, Proposed::Executed(4));
        let failed = Proposed::from_receipt(&receipt(&["proposal_approved", "proposal_failed"], "9")).unwrap();
        assert_eq!(failed, (Proposed::Failed(9), Some("ID-05".to_string())));
        assert_eq!(Proposed::from_receipt(&receipt(&["proposal_rejected"], "2")).unwrap().0, Proposed::Rejected(2));
        let newer = receipt(&["proposal_created", "a_kind_from_a_newer_node"], "5");
        assert_eq!(Proposed::from_receipt(&newer).unwrap().0, Proposed::Open(5), "unknown kinds are skipped");
        let mut broken = receipt(&["proposal_created", "proposal_executed"], "5");
        broken["events"][1]["attributes"][0][1] = json!("five");
        assert!(Proposed::from_receipt(&broken).is_err(), "a malformed known event is not read as still open");
        assert_eq!(Proposed::Rejected(2).id(), 2);
    }

    #[test]
    fn a_receipt_naming_no_proposal_is_an_error_not_a_guess() {
        for bad in [
            json!({}),
            json!({"events": []}),
            receipt(&["proposal_created"], "x"),
            json!({"events": "no"}),
            json!({"events": [{"module": "governance"}]}),
        ] {
            assert!(Proposed::from_receipt(&bad).is_err(), "{bad}");
        }
        let other_module =
            json!({"events": [{"module": "identity", "kind": "proposal_created", "attributes": [["id", "1"]]}]});
        assert!(Proposed::from_receipt(&other_module).is_err());
    }
}
