//! The council's rules through the real ledger: thresholds, expiry, replayed and repeated
//! votes, rejections, guards on power and council size, rules that change mid-vote.

mod common;

use common::{attr, chain, failed_with, now_ms};
use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::SubmitError;
use dojang_types::{encode, TxError, TxStatus};
use serde_json::json;

fn members(c: &common::Chain, idx: &[usize]) -> Vec<dojang_types::Address> {
    idx.iter().map(|&i| c.members[i].public_key().address()).collect()
}

#[test]
fn below_threshold_nothing_changes_and_at_threshold_it_happens_exactly_once() {
    let c = chain();
    let auditor = Keypair::generate(Algorithm::Ed25519).public_key().address();
    let grant = json!({"type": "grant_role", "account": auditor, "role": "auditor"});
    let r = c.run(&c.tx(&c.members[0], c.proposal("governance", grant)));
    assert_eq!(r.result, TxStatus::Ok);
    assert_eq!(attr(&r, "proposal_created", "threshold"), "3");
    let roles = || c.ledger.query("governance", &format!("account/{auditor}"), &json!({})).unwrap()["roles"].clone();
    c.run(&c.tx(&c.members[1], json!({"type": "approve", "id": 1})));
    assert!(roles().as_object().unwrap().is_empty(), "2 of 5 changes nothing");
    assert_eq!(c.proposal_state(1)["status"], "open");

    let r = c.run(&c.tx(&c.members[2], json!({"type": "approve", "id": 1})));
    assert_eq!(r.result, TxStatus::Ok);
    assert!(r.events.iter().any(|e| e.kind == "role_granted"), "{r:?}");
    assert!(r.events.iter().any(|e| e.kind == "proposal_executed"), "{r:?}");
    assert!(roles()["auditor"].is_object());

    // Later approvals do nothing: the proposal is closed, the message ran once.
    let late = c.run(&c.tx(&c.members[3], json!({"type": "approve", "id": 1})));
    assert!(failed_with(&late, "proposal_closed"), "{late:?}");
    let p = c.proposal_state(1);
    assert_eq!(p["status"], "executed");
    assert_eq!(p["approvals"].as_object().unwrap().len(), 3, "{p}");
}

#[test]
fn no_single_key_changes_validators_council_roles_or_parameters() {
    let c = chain();
    let newcomer = Keypair::generate(Algorithm::Ed25519);
    let mut five = members(&c, &[0, 1, 2, 3]);
    five.push(newcomer.public_key().address());
    let changes = [
        json!({"type": "update_validators", "updates": [{"public_key": newcomer.public_key(), "power": 10, "name": "district-office-3"}]}),
        json!({"type": "set_council", "council": {"members": five, "threshold": 3}}),
        json!({"type": "grant_role", "account": newcomer.public_key().address(), "role": "admin"}),
        json!({"type": "revoke_role", "account": c.admin.public_key().address(), "role": "admin"}),
        json!({"type": "set_param", "table": "labour", "key": "weekly_hour_cap", "effective_from": "2099-01-01",
               "value": {"hours": 48}, "legal_basis": "Labor Standards Act art. 50"}),
    ];
    let snapshot = |c: &common::Chain| {
        let q = |path: &str| c.ledger.query("governance", path, &json!({})).unwrap();
        let admin_roles = q(&format!("account/{}", c.admin.public_key().address()))["roles"].clone();
        let council = q("council");
        let param = c.ledger.query("governance", "param/labour/weekly_hour_cap", &json!({})).ok();
        let roles = q(&format!("account/{}", newcomer.public_key().address()))["roles"].clone();
        (c.ledger.validators().len(), council["members"].clone(), council["next"].clone(), roles, admin_roles, param)
    };
    let before = snapshot(&c);
    for (i, change) in changes.iter().enumerate() {
        // Sent directly, by the admin or by any one member: refused at admission.
        for k in [&c.admin, &c.members[0]] {
            let err = c.ledger.submit(&encode(&c.tx(k, change.clone()))).unwrap_err();
            assert!(matches!(err, SubmitError::Tx(TxError::NotPermitted { .. })), "{change}: {err}");
        }
        // Proposed and approved by two of five: nothing changes.
        let r = c.run(&c.tx(&c.members[0], c.proposal("governance", change.clone())));
        let id: u64 = attr(&r, "proposal_created", "id").parse().unwrap();
        c.run(&c.tx(&c.members[1], json!({"type": "approve", "id": id})));
        assert_eq!(snapshot(&c), before, "change {i} below the threshold");
        assert_eq!(c.proposal_state(id)["status"], "open");
    }
    // The third approval of each executes it, once.
    for id in 1..=5u64 {
        let r = c.run(&c.tx(&c.members[2], json!({"type": "approve", "id": id})));
        assert!(r.events.iter().any(|e| e.kind == "proposal_executed"), "{id}: {r:?}");
    }
    let after = snapshot(&c);
    assert_eq!(after.0, 2, "validator added");
    assert!(
        after.1.as_array().is_some_and(|m| m.contains(&json!(newcomer.public_key().address()))),
        "council changed: {:?}",
        after.1
    );
    assert!(after.3["admin"].is_object(), "role granted");
    assert!(after.4.get("admin").is_none(), "role revoked (the newcomer is admin by then)");
    assert!(after.5.is_some(), "parameter set");
}

#[test]
fn replaying_or_repeating_an_approval_does_nothing() {
    let c = chain();
    let grant = json!({"type": "grant_role", "account": c.admin.public_key().address(), "role": "auditor"});
    c.run(&c.tx(&c.members[0], c.proposal("governance", grant)));
    let approve = c.tx(&c.members[1], json!({"type": "approve", "id": 1}));
    assert_eq!(c.run(&approve).result, TxStatus::Ok);
    assert!(matches!(c.ledger.submit(&encode(&approve)), Err(SubmitError::Tx(TxError::Replay(_)))));
    // The same member approving again with a new transaction is refused: one vote each.
    let again = c.run(&c.tx(&c.members[1], json!({"type": "approve", "id": 1})));
    assert!(failed_with(&again, "already_voted"), "{again:?}");
    // The proposer's own approval counts already.
    let own = c.run(&c.tx(&c.members[0], json!({"type": "approve", "id": 1})));
    assert!(failed_with(&own, "already_voted"), "{own:?}");
    let p = c.proposal_state(1);
    assert_eq!(p["status"], "open", "two distinct approvals of three: {p}");
    assert_eq!(p["approvals"].as_object().unwrap().len(), 2);
}

#[test]
fn an_expired_proposal_never_executes() {
    let c = chain();
    let grant = json!({"type": "grant_role", "account": c.admin.public_key().address(), "role": "auditor"});
    let mut msg = c.proposal("governance", grant);
    msg["expires_at_ms"] = json!(now_ms() + 2_500);
    assert_eq!(c.run(&c.tx(&c.members[0], msg)).result, TxStatus::Ok);
    c.run(&c.tx(&c.members[1], json!({"type": "approve", "id": 1})));
    std::thread::sleep(std::time::Duration::from_millis(2_700));
    let r = c.run(&c.tx(&c.members[2], json!({"type": "approve", "id": 1})));
    assert!(failed_with(&r, "GOV-09"), "{r:?}");
    let p = c.proposal_state(1);
    assert_eq!(p["status"], "expired", "{p}");
    let roles =
        c.ledger.query("governance", &format!("account/{}", c.admin.public_key().address()), &json!({})).unwrap();
    assert!(roles["roles"].get("auditor").is_none(), "{roles}");
    let open = |c: &common::Chain| {
        let v = c.ledger.query("governance", "proposals", &json!({"open": true})).unwrap();
        v["proposals"].as_array().unwrap().iter().map(|p| p["id"].as_u64().unwrap()).collect::<Vec<_>>()
    };
    assert_eq!(open(&c), vec![1], "listed as open (reading expired) until a new proposal sweeps it");
    let fresh = json!({"type": "grant_role", "account": c.admin.public_key().address(), "role": "verifier"});
    assert_eq!(c.run(&c.tx(&c.members[0], c.proposal("governance", fresh))).result, TxStatus::Ok);
    assert_eq!(open(&c), vec![2], "a new proposal takes expired ones off the open list");
    assert_eq!(c.proposal_state(1)["status"], "expired", "its record stays");
    // An expiry in the past or beyond 30 days is refused when proposing.
    for expires in [now_ms() - 1, now_ms() + 31 * 24 * 3_600_000] {
        let mut msg = c.proposal(
            "governance",
            json!({"type": "grant_role", "account": c.admin.public_key().address(), "role": "issuer"}),
        );
        msg["expires_at_ms"] = json!(expires);
        assert!(failed_with(&c.run(&c.tx(&c.members[0], msg)), "GOV-09"));
    }
}

#[test]
fn rejections_close_a_proposal_once_the_threshold_is_out_of_reach() {
    let c = chain();
    let grant = json!({"type": "grant_role", "account": c.admin.public_key().address(), "role": "auditor"});
    c.run(&c.tx(&c.members[0], c.proposal("governance", grant)));
    for i in [1, 2] {
        assert_eq!(c.run(&c.tx(&c.members[i], json!({"type": "reject", "id": 1}))).result, TxStatus::Ok);
    }
    assert_eq!(c.proposal_state(1)["status"], "open", "2 rejections of 5 leave 3 possible approvals");
    let r = c.run(&c.tx(&c.members[3], json!({"type": "reject", "id": 1})));
    assert!(r.events.iter().any(|e| e.kind == "proposal_rejected"), "{r:?}");
    assert_eq!(c.proposal_state(1)["status"], "rejected");
    assert!(failed_with(&c.run(&c.tx(&c.members[4], json!({"type": "approve", "id": 1}))), "proposal_closed"));
}

#[test]
fn only_members_propose_and_only_council_matters_can_be_proposed() {
    let c = chain();
    let grant = json!({"type": "grant_role", "account": c.admin.public_key().address(), "role": "auditor"});
    // GOV-08: a non-member's proposal or vote never enters a block.
    for msg in [
        c.proposal("governance", grant.clone()),
        json!({"type": "approve", "id": 1}),
        json!({"type": "reject", "id": 1}),
    ] {
        let err = c.ledger.submit(&encode(&c.tx(&c.admin, msg.clone()))).unwrap_err();
        assert!(
            matches!(&err, SubmitError::Tx(TxError::NotPermitted { needed, .. }) if needed.contains("council")),
            "{msg}: {err}"
        );
    }
    // A proposal carrying a vote, another proposal, an unknown module or a malformed message
    // is refused at admission (GOV-10).
    for (module, msg) in [
        ("governance", json!({"type": "approve", "id": 1})),
        ("governance", c.proposal("governance", json!({"type": "approve", "id": 1}))),
        ("nowhere", json!({"type": "x"})),
        ("governance", json!({"type": "grant_role", "account": "dj1", "role": "king"})),
    ] {
        let err = c.ledger.submit(&encode(&c.tx(&c.members[0], c.proposal(module, msg.clone())))).unwrap_err();
        assert!(matches!(err, SubmitError::Tx(TxError::InvalidMessage { .. })), "{msg}: {err}");
    }
    for reason in ["x".repeat(301), "two\nlines".to_string(), " ".to_string()] {
        let mut msg = c.proposal("governance", grant.clone());
        msg["reason"] = json!(reason);
        let err = c.ledger.submit(&encode(&c.tx(&c.members[0], msg))).unwrap_err().to_string();
        assert!(err.contains("GOV-15"), "{reason:?}: {err}");
    }
}

#[test]
fn a_validator_change_may_move_at_most_a_third_of_the_power() {
    let c = chain();
    let add = |power: u64| json!({"type": "update_validators", "updates": [{"public_key": Keypair::generate(Algorithm::Ed25519).public_key(), "power": power, "name": "district-office-2"}]});
    let too_much = c.pass("governance", add(34));
    let p = c.proposal_state(too_much);
    assert_eq!(p["status"], "failed", "{p}");
    assert_eq!(p["outcome"]["code"], "GOV-12", "{p}");
    assert_eq!(c.ledger.validators().len(), 1);
    let ok = c.pass("governance", add(33));
    assert_eq!(c.proposal_state(ok)["status"], "executed");
    assert_eq!(c.ledger.validators().len(), 2);
}

#[test]
fn two_validator_changes_in_one_block_cannot_move_more_than_a_third_together() {
    let c = chain();
    let add = || json!({"type": "update_validators", "updates": [{"public_key": Keypair::generate(Algorithm::Ed25519).public_key(), "power": 20, "name": "district-office"}]});
    for _ in 0..2 {
        c.run(&c.tx(&c.members[0], c.proposal("governance", add())));
    }
    for id in [1, 2] {
        c.run(&c.tx(&c.members[1], json!({"type": "approve", "id": id})));
    }
    // Both reach the threshold in the same block: 20 each is within a third of 100, 40 is not.
    let first = c.submit(&c.tx(&c.members[2], json!({"type": "approve", "id": 1})));
    let second = c.submit(&c.tx(&c.members[2], json!({"type": "approve", "id": 2})));
    c.block();
    assert_eq!(c.receipt(&first).result, TxStatus::Ok);
    assert_eq!(c.receipt(&second).result, TxStatus::Ok);
    assert_eq!(c.proposal_state(1)["status"], "executed");
    let p = c.proposal_state(2);
    assert_eq!(p["outcome"]["code"], "GOV-12", "measured against the set deciding the block: {p}");
    assert_eq!(c.ledger.validators().len(), 2);
}

#[test]
fn the_council_stays_workable() {
    let c = chain();
    let set = |idx: &[usize], threshold: u32| json!({"type": "set_council", "council": {"members": members(&c, idx), "threshold": threshold}});
    for (idx, threshold) in [(&[0, 1][..], 2), (&[0, 1, 2, 3, 4][..], 2), (&[0, 1, 2][..], 4)] {
        let id = c.pass("governance", set(idx, threshold));
        let p = c.proposal_state(id);
        assert_eq!(p["outcome"]["code"], "GOV-11", "{idx:?} {threshold}: {p}");
    }
    let q = c.ledger.query("governance", "council", &json!({})).unwrap();
    assert_eq!(q["members"].as_array().unwrap().len(), 5);
    assert_eq!(q["threshold"], 3);
}

#[test]
fn a_council_change_applies_from_the_next_block_not_to_votes_in_its_own() {
    let c = chain();
    let newcomer = Keypair::generate(Algorithm::Ed25519);
    let mut next: Vec<_> = members(&c, &[0, 1, 2, 3]);
    next.push(newcomer.public_key().address());
    // Proposal 1 replaces member 4 with the newcomer; proposal 2 grants a role.
    let change = json!({"type": "set_council", "council": {"members": next, "threshold": 3}});
    c.run(&c.tx(&c.members[0], c.proposal("governance", change)));
    c.run(&c.tx(&c.members[1], json!({"type": "approve", "id": 1})));
    let grant = json!({"type": "grant_role", "account": c.admin.public_key().address(), "role": "auditor"});
    c.run(&c.tx(&c.members[0], c.proposal("governance", grant)));
    c.run(&c.tx(&c.members[1], json!({"type": "approve", "id": 2})));

    // One block: the council change passes; in the same block the newcomer may not vote yet
    // (refused at admission), and the outgoing member's approval still counts.
    let passes = c.submit(&c.tx(&c.members[2], json!({"type": "approve", "id": 1})));
    let outgoing_vote = c.submit(&c.tx(&c.members[4], json!({"type": "approve", "id": 2})));
    assert!(c.ledger.submit(&encode(&c.tx(&newcomer, json!({"type": "approve", "id": 2})))).is_err());
    c.block();
    assert_eq!(c.receipt(&passes).result, TxStatus::Ok);
    assert_eq!(c.receipt(&outgoing_vote).result, TxStatus::Ok, "still a member in the block that removes it");
    assert_eq!(c.proposal_state(2)["status"], "executed");

    // From the next block, the new council decides.
    let grant = json!({"type": "grant_role", "account": c.admin.public_key().address(), "role": "issuer"});
    assert_eq!(c.run(&c.tx(&newcomer, c.proposal("governance", grant))).result, TxStatus::Ok);
    let err = c.ledger.submit(&encode(&c.tx(&c.members[4], json!({"type": "approve", "id": 3})))).unwrap_err();
    assert!(matches!(err, SubmitError::Tx(TxError::NotPermitted { .. })), "a removed member: {err}");
    let q = c.ledger.query("governance", "council", &json!({})).unwrap();
    assert!(q["members"].as_array().unwrap().contains(&json!(newcomer.public_key().address())), "{q}");
}
