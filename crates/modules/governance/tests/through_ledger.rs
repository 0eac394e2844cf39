//! Governance handlers through the real ledger path: admission, block execution, commit.

mod common;

use common::chain;
use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::{BlockApp, SubmitError};
use dojang_types::{encode, Commit, TxError, TxStatus};
use serde_json::json;

fn not_permitted(e: SubmitError) -> bool {
    matches!(e, SubmitError::Tx(TxError::NotPermitted { .. }))
}

#[test]
fn roles_change_only_by_the_council_and_every_step_is_queryable() {
    let c = chain();
    let issuer = Keypair::generate(Algorithm::P256);
    let grant = json!({"type": "grant_role", "account": issuer.public_key().address(), "role": "issuer"});
    // Neither the admin nor any one member may grant directly: refused at admission with
    // what was needed.
    for k in [&c.admin, &c.members[0]] {
        let err = c.ledger.submit(&encode(&c.tx(k, grant.clone()))).unwrap_err();
        assert!(err.to_string().contains("council"), "{err}");
        assert!(not_permitted(err));
    }
    let id = c.pass("governance", grant);
    let p = c.proposal_state(id);
    assert_eq!(p["status"], "executed", "{p}");
    assert_eq!(p["approvals"].as_object().unwrap().len(), 3, "{p}");
    let q = c.ledger.query("governance", &format!("account/{}", issuer.public_key().address()), &json!({})).unwrap();
    assert!(q["roles"]["issuer"].is_object(), "{q}");
    assert_eq!(q["roles"]["issuer"]["granted_by"], json!(dojang_governance::council_account()), "{q}");
    let q = c.ledger.query("governance", "role/issuer", &json!({})).unwrap();
    assert_eq!(q["accounts"].as_array().unwrap().len(), 1);
    let listed = c.ledger.query("governance", "proposals", &json!({})).unwrap();
    assert_eq!(listed["proposals"][0]["id"], id, "{listed}");
    let open = c.ledger.query("governance", "proposals", &json!({"open": "true"})).unwrap();
    assert_eq!(open["proposals"].as_array().unwrap().len(), 0, "{open}");
}

#[test]
fn replay_is_rejected_at_admission_and_never_applied_twice() {
    let c = chain();
    let propose = c.tx(
        &c.members[0],
        c.proposal(
            "governance",
            json!({"type": "grant_role", "account": c.admin.public_key().address(), "role": "auditor"}),
        ),
    );
    let r = c.run(&propose);
    assert_eq!(r.result, TxStatus::Ok);
    let t = c.tx(&c.members[1], json!({"type": "approve", "id": 1}));
    c.ledger.submit(&encode(&t)).unwrap();
    assert!(matches!(c.ledger.submit(&encode(&t)), Err(SubmitError::Mempool(_))), "duplicate while waiting");
    c.block();
    assert!(matches!(c.ledger.submit(&encode(&t)), Err(SubmitError::Tx(TxError::Replay(_)))), "replay after commit");

    // A block that smuggles the replay in is invalid for every validator.
    let height = c.ledger.next_height();
    let proposer = c.ledger.validators()[0].address;
    let mut forged = c.ledger.propose(height, proposer, std::time::Duration::from_secs(1)).unwrap();
    forged.txs.push(t);
    let err = c.ledger.validate(&forged).unwrap_err().to_string();
    assert!(err.contains("txs_root"), "{err}");
    forged.header.txs_root = dojang_types::Block::compute_txs_root(&forged.txs);
    let err = c.ledger.validate(&forged).unwrap_err().to_string();
    assert!(err.contains("already committed"), "{err}");
    assert_eq!(c.proposal_state(1)["approvals"].as_object().unwrap().len(), 2);
}

#[test]
fn admission_rejects_wrong_chain_bad_signature_and_garbage() {
    let c = chain();
    let approve = json!({"type": "approve", "id": 1});
    let k = &c.members[0];
    let mut t = c.tx(k, approve);
    t.body.nonce += 1_000;
    assert!(matches!(c.ledger.submit(&encode(&t)), Err(SubmitError::Tx(TxError::BadSignature))));
    let mut body = t.body.clone();
    body.chain_id = "other".into();
    let wrong = k.sign_tx(body);
    assert!(matches!(c.ledger.submit(&encode(&wrong)), Err(SubmitError::Tx(TxError::WrongChain { .. }))));
    let mut body = t.body.clone();
    body.expires_at_ms = 1;
    let expired = k.sign_tx(body);
    assert!(matches!(c.ledger.submit(&encode(&expired)), Err(SubmitError::Tx(TxError::Expired { .. }))));
    assert!(matches!(c.ledger.submit(b"\x01\x02"), Err(SubmitError::Tx(TxError::Malformed(_)))));
    for garbage in
        [json!({"type": "approve"}), json!({"type": "approve", "id": -1}), json!({"type": "propose"}), json!([1])]
    {
        let err = c.ledger.submit(&encode(&c.tx(k, garbage.clone()))).unwrap_err();
        assert!(matches!(err, SubmitError::Tx(TxError::InvalidMessage { .. })), "{garbage}: {err}");
    }
}

#[test]
fn parameters_are_typed_versioned_and_not_retroactive() {
    let c = chain();
    let set = |from: &str, value: serde_json::Value| {
        json!({"type": "set_param", "table": "minimum_wage", "key": "hourly_krw",
        "effective_from": from, "value": value, "legal_basis": "Minimum Wage Notice 2098"})
    };
    let future = c.pass("governance", set("2099-01-01", json!({"krw": 99999})));
    assert_eq!(c.proposal_state(future)["status"], "executed");
    // A retroactive change passes the vote but is refused when it executes: recorded as failed.
    let past = c.pass("governance", set("2020-01-01", json!({"krw": 1})));
    let p = c.proposal_state(past);
    assert_eq!(p["status"], "failed", "{p}");
    assert_eq!(p["outcome"]["code"], "GOV-04", "{p}");

    // Floats, bare numbers, free JSON and strings are refused at admission (GOV-14), as are
    // bad names (GOV-03): such a proposal never enters a block.
    let m = &c.members[0];
    for value in [
        json!(15.5),
        json!(10030),
        json!({"krw": 1.5}),
        json!({"krw": -1}),
        json!({"note": "x"}),
        json!({"krw": 1, "days": 2}),
        json!("10030"),
        json!({"basis_points": 1e3}),
    ] {
        let err =
            c.ledger.submit(&encode(&c.tx(m, c.proposal("governance", set("2099-02-01", value.clone()))))).unwrap_err();
        assert!(matches!(err, SubmitError::Tx(TxError::InvalidMessage { .. })), "{value}: {err}");
    }
    let bad_name = c.tx(
        m,
        c.proposal(
            "governance",
            json!({"type": "set_param", "table": "Kim Minsu", "key": "x",
        "effective_from": "2099-01-01", "value": {"count": 1}, "legal_basis": "none"}),
        ),
    );
    let err = c.ledger.submit(&encode(&bad_name)).unwrap_err().to_string();
    assert!(err.contains("GOV-03"), "{err}");

    // A proposer that smuggles such a message into a block makes the block invalid.
    let height = c.ledger.next_height();
    let proposer = c.ledger.validators()[0].address;
    let mut forged = c.ledger.propose(height, proposer, std::time::Duration::from_secs(1)).unwrap();
    forged.txs.push(bad_name);
    forged.header.txs_root = dojang_types::Block::compute_txs_root(&forged.txs);
    let err = c.ledger.validate(&forged).unwrap_err().to_string();
    assert!(err.contains("GOV-03"), "{err}");

    let q = |d: &str| c.ledger.query("governance", "param/minimum_wage/hourly_krw", &json!({"as_of": d})).unwrap();
    assert_eq!(q("2025-06-01")["version"]["value"], json!({"krw": 10030}));
    assert_eq!(q("2099-06-01")["version"]["value"], json!({"krw": 99999}));
    assert!(c.ledger.query("governance", "param/minimum_wage/hourly_krw", &json!({"as_of": "2024-01-01"})).is_err());
    assert!(c.ledger.query("governance", "nonsense", &json!({})).is_err());
}

#[test]
fn state_root_is_reproducible_from_blocks() {
    let c = chain();
    for _ in 0..2 {
        let account = Keypair::generate(Algorithm::Ed25519).public_key().address();
        c.pass("governance", json!({"type": "grant_role", "account": account, "role": "verifier"}));
        let block = c.block();
        assert_eq!(c.ledger.store().state_root(block.header.height).unwrap(), block.header.state_root);
    }
}

#[test]
fn validator_changes_take_effect_at_the_next_height_and_only_by_the_council() {
    let c = chain();
    let newcomer = Keypair::generate(Algorithm::Ed25519).public_key();
    let add = json!({"type": "update_validators", "updates": [{"public_key": newcomer, "power": 33, "name": "district-office-2"}]});
    let err = c.ledger.submit(&encode(&c.tx(&c.admin, add.clone()))).unwrap_err();
    assert!(not_permitted(err), "GOV-01: the admin alone cannot change the set");

    let before = c.block().header.validators_hash;
    let r = c.run(&c.tx(&c.members[0], c.proposal("governance", add)));
    assert_eq!(r.result, TxStatus::Ok);
    c.run(&c.tx(&c.members[1], json!({"type": "approve", "id": 1})));
    assert_eq!(c.ledger.validators().len(), 1, "two of five approvals change nothing");
    let id = c.submit(&c.tx(&c.members[2], json!({"type": "approve", "id": 1})));
    let changed = c.block();
    assert_eq!(c.receipt(&id).result, TxStatus::Ok);
    assert_eq!(changed.header.validators_hash, before, "the block carrying the change is decided by the old set");
    assert_eq!(c.ledger.validators().len(), 2);
    let next = c.block();
    assert_eq!(next.header.validators_hash, dojang_types::validators_hash(&c.ledger.validators()));
    assert_ne!(next.header.validators_hash, before);
    let (at_changed, _) = c.ledger.validators_at(changed.header.height).unwrap().unwrap();
    assert_eq!(at_changed.len(), 1, "history: the set that decided the changing block");

    // The last validator cannot be removed; the refusal closes the proposal as failed.
    let only = c.ledger.validators()[0].public_key.clone();
    let other = c.ledger.validators()[1].public_key.clone();
    let remove_both = json!({"type": "update_validators", "updates": [
        {"public_key": only, "power": 0, "name": "a"}, {"public_key": other, "power": 0, "name": "b"}]});
    let id = c.pass("governance", remove_both);
    assert_eq!(c.proposal_state(id)["status"], "failed");
    assert_eq!(c.ledger.validators().len(), 2);

    // A person's name as a node name never enters a block (GOV-07, checked at admission).
    let named =
        json!({"type": "update_validators", "updates": [{"public_key": newcomer, "power": 2, "name": "Kim Minsu"}]});
    let err = c.ledger.submit(&encode(&c.tx(&c.members[0], c.proposal("governance", named)))).unwrap_err().to_string();
    assert!(err.contains("GOV-07"), "{err}");
    let err = c.ledger.submit(&encode(&c.tx(&c.admin, json!({"type": "approve", "id": 1})))).unwrap_err();
    assert!(not_permitted(err), "GOV-08: only members vote");
}

#[test]
fn catch_up_refuses_garbage_gaps_and_uncertified_blocks() {
    let source = chain();
    let block = source.block();
    let bytes = encode(&block);
    let follower = chain();
    let no_votes = Commit { height: 1, round: 0, block_hash: block.hash(), signatures: vec![] };

    let err = follower.ledger.apply_decided(&[(vec![0xff, 0x00], no_votes.clone())]).unwrap_err().to_string();
    assert!(err.contains("does not decode"), "{err}");
    let mut later = block.clone();
    later.header.height = 5;
    let err = follower.ledger.apply_decided(&[(encode(&later), no_votes.clone())]).unwrap_err().to_string();
    assert!(err.contains("does not follow"), "{err}");
    let err = follower.ledger.apply_decided(&[(bytes, no_votes)]).unwrap_err().to_string();
    assert!(err.contains("voting power"), "a block without a quorum's signatures is refused: {err}");
    assert_eq!(follower.ledger.head().0, 0, "nothing was applied");
}

#[test]
fn other_modules_read_roles_and_the_parameter_in_force_through_typed_readers() {
    use dojang_governance::{readers, ParamValue, Role};
    let c = chain();
    let d = |s: &str| s.parse::<dojang_types::Date>().unwrap();
    let state = c.ledger.committed_state();
    assert_eq!(
        readers::param_in_force(&state, "minimum_wage", "hourly_krw", d("2025-06-01")).unwrap(),
        Some(ParamValue::Krw(10030))
    );
    assert_eq!(readers::param_in_force(&state, "minimum_wage", "hourly_krw", d("2024-06-01")).unwrap(), None);
    assert_eq!(readers::param_in_force(&state, "minimum_wage", "nothing", d("2025-06-01")).unwrap(), None);
    assert!(readers::holds_role(&state, &c.admin.public_key().address(), Role::Admin).unwrap());
    assert!(!readers::holds_role(&state, &c.members[0].public_key().address(), Role::Admin).unwrap());
    assert!(readers::is_council_member(&state, &c.members[0].public_key().address()).unwrap());
    assert!(!readers::is_council_member(&state, &c.admin.public_key().address()).unwrap());
}
