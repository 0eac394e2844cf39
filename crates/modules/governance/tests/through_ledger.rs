//! Governance handlers through the real ledger path: admission, block execution, commit.

use std::sync::Arc;

use dojang_crypto::{Algorithm, Keypair};
use dojang_governance::Governance;
use dojang_ledger::{BlockApp, Genesis, GenesisValidator, Ledger, LedgerConfig, Router, SubmitError};
use dojang_store::Store;
use dojang_types::{encode, Commit, SignedTx, TxBody, TxError, TxStatus};
use serde_json::json;

struct Chain {
    ledger: Ledger,
    admin: Keypair,
    _dir: tempfile::TempDir,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

fn chain() -> Chain {
    let dir = tempfile::tempdir().unwrap();
    let admin = Keypair::generate(Algorithm::Ed25519);
    let validator = Keypair::generate(Algorithm::Ed25519);
    let genesis = Genesis {
        chain_id: "test-chain".into(),
        genesis_time_ms: 1_700_000_000_000,
        validators: vec![GenesisValidator { name: "city".into(), public_key: validator.public_key(), power: 1 }],
        modules: [(
            "governance".to_string(),
            json!({
                "accounts": [{"address": admin.public_key().address(), "roles": ["admin"], "label": "city admin"}],
                "params": [{"table": "minimum_wage", "key": "hourly_krw", "effective_from": "2025-01-01",
                            "value": 10030, "legal_basis": "Minimum Wage Notice 2024"}]
            }),
        )]
        .into(),
    };
    let store = Store::open(&dir.path().join("db.redb")).unwrap();
    let router = Router::new().with(Arc::new(Governance));
    let ledger = Ledger::open(store, router, genesis, LedgerConfig::default()).unwrap();
    Chain { ledger, admin, _dir: dir }
}

fn tx(k: &Keypair, nonce: u64, msg: serde_json::Value) -> SignedTx {
    k.sign_tx(TxBody {
        chain_id: "test-chain".into(),
        sender: k.public_key(),
        nonce,
        expires_at_ms: now_ms() + 60_000,
        module: "governance".into(),
        msg: serde_json::to_vec(&msg).unwrap(),
    })
}

fn proposer(c: &Chain) -> dojang_types::Address {
    c.ledger.validators()[0].address
}

fn produce_block(c: &Chain) -> dojang_types::Block {
    let height = c.ledger.next_height();
    let block = c.ledger.propose(height, proposer(c), std::time::Duration::from_secs(1)).unwrap();
    let commit = Commit { height, round: 0, block_hash: block.hash(), signatures: vec![] };
    c.ledger.commit(height, &block.hash(), commit).unwrap();
    block
}

#[test]
fn admin_grants_role_and_non_admin_is_refused() {
    let c = chain();
    let issuer = Keypair::generate(Algorithm::P256);
    let grant =
        tx(&c.admin, 1, json!({"type": "grant_role", "account": issuer.public_key().address(), "role": "issuer"}));
    let denied =
        tx(&issuer, 1, json!({"type": "grant_role", "account": issuer.public_key().address(), "role": "admin"}));
    let gid = c.ledger.submit(&encode(&grant)).unwrap();
    let did = c.ledger.submit(&encode(&denied)).unwrap();
    let block = produce_block(&c);
    assert_eq!(block.txs.len(), 2);

    let (r, _) = c.ledger.receipt(&gid).unwrap().unwrap();
    assert_eq!(r.result, TxStatus::Ok);
    assert_eq!(r.events[0].kind, "role_granted");
    let (r, _) = c.ledger.receipt(&did).unwrap().unwrap();
    assert!(matches!(r.result, TxStatus::Failed { ref code, .. } if code == "unauthorized"), "{r:?}");

    let q = c.ledger.query("governance", &format!("account/{}", issuer.public_key().address()), &json!({})).unwrap();
    assert!(q["roles"]["issuer"].is_object(), "{q}");
    assert!(q["roles"].get("admin").is_none());
    let q = c.ledger.query("governance", "role/issuer", &json!({})).unwrap();
    assert_eq!(q["accounts"].as_array().unwrap().len(), 1);
}

#[test]
fn replay_is_rejected_at_admission_and_never_applied_twice() {
    let c = chain();
    let t =
        tx(&c.admin, 9, json!({"type": "grant_role", "account": c.admin.public_key().address(), "role": "auditor"}));
    c.ledger.submit(&encode(&t)).unwrap();
    assert!(matches!(c.ledger.submit(&encode(&t)), Err(SubmitError::Mempool(_))), "duplicate while waiting");
    produce_block(&c);
    assert!(matches!(c.ledger.submit(&encode(&t)), Err(SubmitError::Tx(TxError::Replay(_)))), "replay after commit");

    // A block that smuggles the replay in is invalid for every validator.
    let height = c.ledger.next_height();
    let mut forged = c.ledger.propose(height, proposer(&c), std::time::Duration::from_secs(1)).unwrap();
    forged.txs.push(t);
    let err = c.ledger.validate(&forged).unwrap_err().to_string();
    assert!(err.contains("txs_root"), "{err}");
    forged.header.txs_root = dojang_types::Block::compute_txs_root(&forged.txs);
    let err = c.ledger.validate(&forged).unwrap_err().to_string();
    assert!(err.contains("already committed"), "{err}");
}

#[test]
fn admission_rejects_wrong_chain_bad_signature_and_garbage() {
    let c = chain();
    let grant = json!({"type": "grant_role", "account": c.admin.public_key().address(), "role": "auditor"});
    let mut t = tx(&c.admin, 1, grant);
    t.body.nonce = 2;
    assert!(matches!(c.ledger.submit(&encode(&t)), Err(SubmitError::Tx(TxError::BadSignature))));
    let mut body = t.body.clone();
    body.chain_id = "other".into();
    let wrong = c.admin.sign_tx(body);
    assert!(matches!(c.ledger.submit(&encode(&wrong)), Err(SubmitError::Tx(TxError::WrongChain { .. }))));
    let mut body = t.body.clone();
    body.expires_at_ms = 1;
    let expired = c.admin.sign_tx(body);
    assert!(matches!(c.ledger.submit(&encode(&expired)), Err(SubmitError::Tx(TxError::Expired { .. }))));
    assert!(matches!(c.ledger.submit(b"\x01\x02"), Err(SubmitError::Tx(TxError::Malformed(_)))));
}

#[test]
fn parameters_are_versioned_and_not_retroactive() {
    let c = chain();
    let future = tx(
        &c.admin,
        1,
        json!({"type": "set_param", "table": "minimum_wage", "key": "hourly_krw",
        "effective_from": "2099-01-01", "value": 99999, "legal_basis": "Minimum Wage Notice 2098"}),
    );
    let past = tx(
        &c.admin,
        2,
        json!({"type": "set_param", "table": "minimum_wage", "key": "hourly_krw",
        "effective_from": "2020-01-01", "value": 1, "legal_basis": "none"}),
    );
    let ids: Vec<_> = [&future, &past].iter().map(|t| c.ledger.submit(&encode(*t)).unwrap()).collect();
    // Messages that fail stateless checks never reach a block, not even as failed transactions.
    let malformed = tx(&c.admin, 3, json!({"type": "set_param", "table": "Bad Name"}));
    assert!(matches!(c.ledger.submit(&encode(&malformed)), Err(SubmitError::Tx(TxError::InvalidMessage { .. }))));
    let bad_name = tx(
        &c.admin,
        4,
        json!({"type": "set_param", "table": "Kim Minsu", "key": "x",
        "effective_from": "2099-01-01", "value": 1, "legal_basis": "none"}),
    );
    let err = c.ledger.submit(&encode(&bad_name)).unwrap_err().to_string();
    assert!(err.contains("GOV-03"), "{err}");
    produce_block(&c);
    let status = |i: usize| c.ledger.receipt(&ids[i]).unwrap().unwrap().0.result;
    assert_eq!(status(0), TxStatus::Ok);
    assert!(matches!(status(1), TxStatus::Failed { ref code, .. } if code == "GOV-04"));
    assert!(c.ledger.receipt(&malformed.id()).unwrap().is_none());

    // A proposer that smuggles such a message into a block makes the block invalid.
    let height = c.ledger.next_height();
    let mut forged = c.ledger.propose(height, proposer(&c), std::time::Duration::from_secs(1)).unwrap();
    forged.txs.push(bad_name);
    forged.header.txs_root = dojang_types::Block::compute_txs_root(&forged.txs);
    let err = c.ledger.validate(&forged).unwrap_err().to_string();
    assert!(err.contains("GOV-03"), "{err}");

    let q = |d: &str| c.ledger.query("governance", "param/minimum_wage/hourly_krw", &json!({"as_of": d})).unwrap();
    assert_eq!(q("2025-06-01")["version"]["value"], 10030);
    assert_eq!(q("2099-06-01")["version"]["value"], 99999);
    assert!(c.ledger.query("governance", "param/minimum_wage/hourly_krw", &json!({"as_of": "2024-01-01"})).is_err());
    assert!(c.ledger.query("governance", "nonsense", &json!({})).is_err());
}

#[test]
fn state_root_is_reproducible_from_blocks() {
    let c = chain();
    for n in 0..3 {
        let t = tx(
            &c.admin,
            n,
            json!({"type": "grant_role", "account": Keypair::generate(Algorithm::Ed25519).public_key().address(), "role": "verifier"}),
        );
        c.ledger.submit(&encode(&t)).unwrap();
        let block = produce_block(&c);
        assert_eq!(c.ledger.store().state_root(block.header.height).unwrap(), block.header.state_root);
    }
}

#[test]
fn validator_changes_take_effect_at_the_next_height_and_only_by_admins() {
    let c = chain();
    let newcomer = Keypair::generate(Algorithm::Ed25519).public_key();
    let add = json!({"type": "update_validators", "updates": [{"public_key": newcomer, "power": 1, "name": "district-office-2"}]});
    let stranger = Keypair::generate(Algorithm::Ed25519);
    c.ledger.submit(&dojang_types::encode(&tx(&stranger, 1, add.clone()))).unwrap();
    produce_block(&c);
    assert_eq!(c.ledger.validators().len(), 1, "GOV-01: a non-admin cannot change the set");

    let before = produce_block(&c).header.validators_hash;
    c.ledger.submit(&dojang_types::encode(&tx(&c.admin, 2, add))).unwrap();
    let changed = produce_block(&c);
    assert_eq!(changed.header.validators_hash, before, "the block carrying the change is decided by the old set");
    assert_eq!(c.ledger.validators().len(), 2);
    let next = produce_block(&c);
    assert_eq!(next.header.validators_hash, dojang_types::validators_hash(&c.ledger.validators()));
    assert_ne!(next.header.validators_hash, before);
    let (at_changed, _) = c.ledger.validators_at(changed.header.height).unwrap().unwrap();
    assert_eq!(at_changed.len(), 1, "history: the set that decided the changing block");

    // The last validator cannot be removed; the refusal is a failed receipt, the set unchanged.
    let only = c.ledger.validators()[0].public_key.clone();
    let other = c.ledger.validators()[1].public_key.clone();
    let remove_both = json!({"type": "update_validators", "updates": [
        {"public_key": only, "power": 0, "name": "a"}, {"public_key": other, "power": 0, "name": "b"}]});
    c.ledger.submit(&dojang_types::encode(&tx(&c.admin, 3, remove_both))).unwrap();
    produce_block(&c);
    assert_eq!(c.ledger.validators().len(), 2);

    // A person's name as a node name never enters a block (GOV-07, checked at admission).
    let named =
        json!({"type": "update_validators", "updates": [{"public_key": newcomer, "power": 2, "name": "Kim Minsu"}]});
    let err = c.ledger.submit(&dojang_types::encode(&tx(&c.admin, 4, named))).unwrap_err().to_string();
    assert!(err.contains("GOV-07"), "{err}");
}

#[test]
fn catch_up_refuses_garbage_gaps_and_uncertified_blocks() {
    let source = chain();
    let block = produce_block(&source);
    let bytes = dojang_types::encode(&block);
    let follower = chain();
    let no_votes = Commit { height: 1, round: 0, block_hash: block.hash(), signatures: vec![] };

    let err = follower.ledger.apply_decided(&[(vec![0xff, 0x00], no_votes.clone())]).unwrap_err().to_string();
    assert!(err.contains("does not decode"), "{err}");
    let mut later = block.clone();
    later.header.height = 5;
    let err =
        follower.ledger.apply_decided(&[(dojang_types::encode(&later), no_votes.clone())]).unwrap_err().to_string();
    assert!(err.contains("does not follow"), "{err}");
    let err = follower.ledger.apply_decided(&[(bytes, no_votes)]).unwrap_err().to_string();
    assert!(err.contains("voting power"), "a block without a quorum's signatures is refused: {err}");
    assert_eq!(follower.ledger.head().0, 0, "nothing was applied");
}
