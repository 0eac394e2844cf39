//! `POST /labour/v1/txs`: a party's signed labour message, relayed to the ledger and waited
//! for. Only for a contract the app drafted, from the party the message is for (the employer
//! registers, amends and submits weeks; the worker signs and answers weeks; either ends the
//! contract), and only when it says what the desk stored: the same worker, dates and
//! commitments. An app cannot put on the ledger anything but what is in the collection.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use dojang_api::Problem;
use dojang_labour::LabourMsg;
use dojang_sdk::ClientError;
use dojang_types::{Address, ModuleMessage as _, SignedTx};
use serde::Deserialize;

use super::api::{admit, body, locked_entry, refused, unprocessable, Answer, Refused};
use super::book::Entry;
use super::chain::ChainError;
use super::Desk;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RelayBody {
    /// Hex of the signed transaction's canonical encoding (as `POST /v1/txs` takes it).
    tx: String,
}

/// Who may send a message about a contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sender {
    Employer,
    Worker,
    Either,
}

fn sender_of(msg: &LabourMsg) -> Sender {
    match msg {
        LabourMsg::Register { .. }
        | LabourMsg::Amend { .. }
        | LabourMsg::Timesheet { .. }
        | LabourMsg::SetDeadline { .. } => Sender::Employer,
        LabourMsg::Sign { .. } | LabourMsg::ConfirmTimesheet { .. } => Sender::Worker,
        _ => Sender::Either,
    }
}

/// Why `msg` does not say what the desk stored for the contract, if it does not.
fn differs_from_stored(msg: &LabourMsg, e: &Entry) -> Option<String> {
    match msg {
        LabourMsg::Register { worker, commitment, starts, ends, .. } => {
            let v1 = e.versions.first()?;
            if *worker != e.worker {
                return Some(format!("the worker is {}, not {worker}", e.worker));
            }
            if *starts != e.starts || *ends != v1.ends {
                return Some("the period is not that of version 1".into());
            }
            (*commitment != v1.commitment).then(|| format!("the commitment is not version 1's ({})", v1.commitment))
        }
        LabourMsg::Amend { commitment, ends, .. } => {
            let last = e.versions.last()?;
            if *commitment != last.commitment || *ends != last.ends || last.version < 2 {
                return Some(format!("it is not version {} as stored (commit to {})", last.version, last.commitment));
            }
            None
        }
        LabourMsg::Sign { version, commitment, .. } => match e.versions.iter().find(|v| v.version == *version) {
            Some(v) if v.commitment == *commitment => None,
            _ => Some(format!("the desk stored no version {version} with that commitment")),
        },
        LabourMsg::Timesheet { monday, commitment, .. } => match e.weeks.get(monday) {
            Some(w) if w.commitment == *commitment => None,
            Some(w) => Some(format!("the commitment is not that of the week stored ({})", w.commitment)),
            None => Some(format!("the desk stored no timesheet for the week of {monday}: store it first")),
        },
        _ => None,
    }
}

fn party(sender: Address, want: Sender, e: &Entry) -> bool {
    match want {
        Sender::Employer => sender == e.employer,
        Sender::Worker => sender == e.worker,
        Sender::Either => sender == e.employer || sender == e.worker,
    }
}

pub async fn relay(State(desk): State<Arc<Desk>>, headers: HeaderMap, bytes: Bytes) -> Answer {
    let client = admit(&desk, &headers)?;
    let req: RelayBody = body(&bytes)?;
    let raw = hex::decode(req.tx.trim_start_matches("0x"))
        .map_err(|e| Problem::bad_request("malformed-transaction", format!("tx is not hex: {e}")))?;
    let tx = SignedTx::decode(&raw).map_err(|e| Problem::bad_request("malformed-transaction", e.to_string()))?;
    if tx.body.chain_id != desk.chain.chain_id {
        return Err(unprocessable("wrong-chain", format!("the transaction is for chain '{}'", tx.body.chain_id)));
    }
    if tx.body.module != LabourMsg::MODULE {
        return Err(unprocessable("not-labour", "the desk relays labour messages only"));
    }
    let msg: LabourMsg = serde_json::from_slice(&tx.body.msg)
        .map_err(|e| unprocessable("invalid-message", format!("not a labour message: {e}")))?;
    let id = msg
        .contract()
        .ok_or_else(|| unprocessable("not-for-apps", "vouching for employers is the federation's, not an app's"))?
        .to_string();
    let (_contract, e) = locked_entry(&desk, client, &id).await?;
    let sender = tx.body.sender_address();
    let want = sender_of(&msg);
    if !party(sender, want, &e) {
        return Err(refused(
            StatusCode::FORBIDDEN,
            "not-the-party",
            format!(
                "{sender} may not send this for contract {id}: it is for {} to send",
                match want {
                    Sender::Employer => "the employer",
                    Sender::Worker => "the worker",
                    Sender::Either => "the employer or the worker",
                }
            ),
        ));
    }
    if let Some(why) = differs_from_stored(&msg, &e) {
        return Err(unprocessable("not-the-stored-document", why));
    }
    let receipt = desk.chain.relay(&tx).await.map_err(node_refusal)?;
    Ok(Json(receipt).into_response())
}

/// The node's or the module's refusal of the relayed transaction, passed on to the app.
fn node_refusal(err: ChainError) -> Refused {
    match err {
        ChainError::Node(ClientError::Refused { code, reason, .. }) => {
            unprocessable("refused-by-ledger", format!("the labour module refused it ({code}): {reason}"))
        }
        ChainError::Node(ClientError::Problem { status: 429, .. }) => Refused::with(
            Problem::new(StatusCode::TOO_MANY_REQUESTS, "node-busy", "the ledger is busy; retry in a few seconds"),
            Some((header::RETRY_AFTER, "5".into())),
        ),
        ChainError::Node(ClientError::Problem { status, kind, detail }) if (400..500).contains(&status) => {
            let code = kind.rsplit('/').next().filter(|c| !c.is_empty()).unwrap_or("refused").to_string();
            let status = if status == 409 { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
            refused(status, &code, format!("the node refused it: {detail}"))
        }
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::book::{VersionRef, WeekRef};
    use dojang_types::Hash;

    fn addr(b: u8) -> Address {
        format!("dj{}", hex::encode([b; 20])).parse().unwrap()
    }

    fn entry() -> Entry {
        Entry {
            client: "app".into(),
            employer: addr(1),
            worker: addr(2),
            starts: "2026-03-02".parse().unwrap(),
            versions: vec![VersionRef {
                version: 1,
                key: "ab".repeat(16),
                commitment: Hash([1; 32]),
                ends: Some("2026-08-31".parse().unwrap()),
            }],
            weeks: [("2026-03-02".parse().unwrap(), WeekRef { key: "cd".repeat(16), commitment: Hash([3; 32]) })]
                .into(),
            declared: Default::default(),
            payments: vec![],
        }
    }

    fn register(worker: Address, commitment: Hash, ends: &str) -> LabourMsg {
        LabourMsg::Register {
            contract: "ab".repeat(16),
            worker,
            commitment,
            starts: "2026-03-02".parse().unwrap(),
            ends: Some(ends.parse().unwrap()),
        }
    }

    #[test]
    fn only_what_was_stored_is_relayed() {
        let e = entry();
        assert_eq!(differs_from_stored(&register(addr(2), Hash([1; 32]), "2026-08-31"), &e), None);
        assert!(differs_from_stored(&register(addr(9), Hash([1; 32]), "2026-08-31"), &e).unwrap().contains("worker"));
        assert!(differs_from_stored(&register(addr(2), Hash([1; 32]), "2027-08-31"), &e).unwrap().contains("period"));
        assert!(differs_from_stored(&register(addr(2), Hash([9; 32]), "2026-08-31"), &e)
            .unwrap()
            .contains("commitment"));
        let sign = |v, c| LabourMsg::Sign { contract: "ab".repeat(16), version: v, commitment: Hash(c) };
        assert_eq!(differs_from_stored(&sign(1, [1; 32]), &e), None);
        assert!(differs_from_stored(&sign(1, [2; 32]), &e).is_some());
        assert!(differs_from_stored(&sign(2, [1; 32]), &e).is_some());
        let amend = LabourMsg::Amend { contract: "ab".repeat(16), commitment: Hash([1; 32]), ends: None };
        assert!(differs_from_stored(&amend, &e).is_some(), "version 1 is no amendment");
        let week = |m: &str, c| LabourMsg::Timesheet {
            contract: "ab".repeat(16),
            monday: m.parse().unwrap(),
            commitment: Hash(c),
        };
        assert_eq!(differs_from_stored(&week("2026-03-02", [3; 32]), &e), None);
        assert!(differs_from_stored(&week("2026-03-02", [4; 32]), &e).is_some());
        assert!(differs_from_stored(&week("2026-03-09", [3; 32]), &e).unwrap().contains("store it first"));
    }

    #[test]
    fn each_message_comes_from_its_party() {
        let e = entry();
        let (employer, worker, stranger) = (addr(1), addr(2), addr(3));
        assert!(party(employer, sender_of(&register(worker, Hash([1; 32]), "2026-08-31")), &e));
        assert!(!party(worker, sender_of(&register(worker, Hash([1; 32]), "2026-08-31")), &e));
        let sign = LabourMsg::Sign { contract: "ab".repeat(16), version: 1, commitment: Hash([1; 32]) };
        assert!(party(worker, sender_of(&sign), &e) && !party(employer, sender_of(&sign), &e));
        let end = LabourMsg::Terminate { contract: "ab".repeat(16), ends: "2026-04-30".parse().unwrap() };
        assert!(party(worker, sender_of(&end), &e) && party(employer, sender_of(&end), &e));
        assert!(!party(stranger, sender_of(&end), &e));
    }
}
