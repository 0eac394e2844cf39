//! Every module's typed queries decode what the module really answers, with the values the
//! chain holds, and every event a block's receipts carry decodes as its module's declared event
//! type: the types clients use are the ones each module builds from, checked here through the
//! real ledger path.

use std::collections::BTreeSet;

use dojang_anchor::events::AnchorEvent;
use dojang_anchor::views::{AnchorQuery, SeriesQuery};
use dojang_anchor::Anchor;
use dojang_collections::events::CollectionsEvent;
use dojang_collections::views::{CollectionQuery, RecordQuery};
use dojang_collections::Collections;
use dojang_crypto::{Algorithm, Keypair};
use dojang_eligibility::events::EligibilityEvent;
use dojang_eligibility::views::{BatchQuery, ProgramQuery, RuleSetQuery};
use dojang_eligibility::Eligibility;
use dojang_governance::views::{AccountQuery, CouncilQuery, ParamQuery, ProposalQuery, ProposalsQuery};
use dojang_governance::{GovernanceEvent, Role};
use dojang_identity::events::IdentityEvent;
use dojang_identity::state::Standing;
use dojang_identity::views::{AccreditationQuery, OrgQuery, PolicyQuery, RootQuery, TypeQuery};
use dojang_identity::Identity;
use dojang_ledger::{BlockApp as _, LedgerEvent, ModuleError, StateRead as _};
use dojang_testkit::Chain;
use dojang_types::{sha256, wall_clock_ms, Date, Event, RecordQuery as _};
use serde_json::json;

const ROOT: &str = "did:web:seoul.go.kr";
const OFFICE: &str = "did:web:jobs.seoul.go.kr";
const VCT: &str = "urn:dojang:income-band:1";

/// Decodes every event of every committed block (each transaction's receipt and what the
/// block hooks emitted) as its module's event type; returns the `module/kind`s it decoded, so a
/// test can say which it expected to see.
fn every_event_decodes(c: &Chain) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for height in 1..c.ledger.next_height() {
        let block = c.ledger.store().block(height).unwrap().expect("a committed block");
        let mut events: Vec<Event> = block.txs.iter().flat_map(|tx| c.receipt(&tx.id()).events).collect();
        let key = dojang_ledger::hook_events_key(height);
        let hooks = c.ledger.committed_state().read_module("ledger", &key[b"ledger/".len()..]).unwrap();
        events.extend(hooks.map(|b| serde_json::from_slice::<Vec<Event>>(&b).unwrap()).unwrap_or_default());
        for e in &events {
            let decoded = match e.module.as_str() {
                "governance" => e.decode::<GovernanceEvent>().map(|r| r.map(drop)),
                "identity" => e.decode::<IdentityEvent>().map(|r| r.map(drop)),
                "eligibility" => e.decode::<EligibilityEvent>().map(|r| r.map(drop)),
                "collections" => e.decode::<CollectionsEvent>().map(|r| r.map(drop)),
                "anchor" => e.decode::<AnchorEvent>().map(|r| r.map(drop)),
                "ledger" => e.decode::<LedgerEvent>().map(|r| r.map(drop)),
                other => panic!("an event of an unknown module {other}: {e:?}"),
            };
            assert_eq!(decoded, Some(Ok(())), "{e:?}");
            seen.insert(format!("{}/{}", e.module, e.kind));
        }
    }
    seen
}

fn saw(seen: &BTreeSet<String>, expected: &[&str]) {
    for kind in expected {
        assert!(seen.contains(*kind), "no {kind} among {seen:?}");
    }
}

fn date(y: u16, m: u8, d: u8) -> Date {
    Date::new(y, m, d).unwrap()
}

#[test]
fn governance_answers_decode_as_declared() {
    let c = Chain::builder()
        .council(3, 2, 2)
        .param(json!({"table": "minimum_wage", "key": "hourly_krw", "effective_from": "2025-01-01",
                      "value": {"krw": 10030}, "legal_basis": "Minimum Wage Notice 2024"}))
        .build();
    let council = c.ask(&CouncilQuery).unwrap();
    let members: Vec<_> = c.members.iter().map(|k| k.public_key().address()).collect();
    assert_eq!((council.members.len(), council.threshold, council.min_members), (3, 2, 2));
    assert!(members.iter().all(|m| council.members.contains(m)));
    assert_eq!(council.account, dojang_governance::council_account());
    assert_eq!(council.next, None);

    let auditor = Keypair::generate(Algorithm::Ed25519);
    let id = c.council(
        "governance",
        json!({"type": "grant_role", "account": auditor.public_key().address(), "role": "auditor"}),
    );
    let p = c.ask(&ProposalQuery(id)).unwrap();
    assert_eq!(
        (p.id, p.status.as_str(), p.approvals.len(), p.proposal.module.as_str()),
        (id, "executed", 2, "governance")
    );
    assert_eq!(p.proposer, members[0]);
    assert_eq!(p.reason, "test resolution");
    let all = c.ask(&ProposalsQuery { open_only: false, limit: 10 }).unwrap();
    assert_eq!(all.proposals.iter().map(|p| p.id).collect::<Vec<_>>(), [id]);
    assert!(c.ask(&ProposalsQuery { open_only: true, limit: 10 }).unwrap().proposals.is_empty());

    let account = c.ask(&AccountQuery(auditor.public_key().address())).unwrap();
    assert_eq!(account.address, auditor.public_key().address());
    assert!(account.roles.contains_key(&Role::Auditor), "{account:?}");

    let wage =
        c.ask(&ParamQuery { table: "minimum_wage".into(), key: "hourly_krw".into(), as_of: date(2026, 3, 1) }).unwrap();
    assert_eq!(wage.as_of, date(2026, 3, 1));
    assert_eq!(wage.version.effective_from, date(2025, 1, 1));
    assert_eq!(serde_json::to_value(wage.version.value).unwrap(), json!({"krw": 10030}));
    let before =
        c.ask(&ParamQuery { table: "minimum_wage".into(), key: "hourly_krw".into(), as_of: date(2024, 12, 31) });
    assert!(matches!(before, Err(ModuleError::NotFound(_))), "no version in force before 2025: {before:?}");
    assert!(matches!(c.ask(&ProposalQuery(999)), Err(ModuleError::NotFound(_))));
    let seen = every_event_decodes(&c);
    saw(&seen, &["governance/proposal_created", "governance/proposal_approved", "governance/proposal_executed"]);
    saw(&seen, &["governance/role_granted"]);
}

/// Root, an office with a policy, a type and an accreditation: the registries' answers.
fn registries(c: &Chain, office: &Keypair) {
    let k = Keypair::generate(Algorithm::P256);
    c.ok(
        &c.admin,
        "identity",
        json!({"type": "register_org", "did": ROOT, "kid": "root-1", "public_key": k.public_key()}),
    );
    c.council("identity", json!({"type": "set_root", "did": ROOT}));
    c.grant(office, "verifier");
    c.ok(office, "identity", json!({"type": "register_org", "did": OFFICE, "kid": "o1", "public_key": k.public_key()}));
    c.ok(
        &c.admin,
        "identity",
        json!({"type": "register_type", "vct": VCT, "schema_hash": sha256(&[b"schema"]),
                                       "concealable": ["income_le_65pct"], "thresholds": ["income_le_65pct"]}),
    );
    c.ok(&c.admin, "identity", json!({"type": "accredit", "issuer": OFFICE, "vct": VCT}));
    let dcql = json!({"credentials": [{"id": "income", "format": "dc+sd-jwt", "meta": {"vct_values": [VCT]},
                                       "claims": [{"path": ["income_le_65pct"]}]}]});
    c.ok(
        office,
        "identity",
        json!({"type": "register_policy", "id": "pw", "verifier": OFFICE, "legal_basis": "act",
                                    "purpose": "jobs", "retention_days": 30, "dcql": dcql}),
    );
}

#[test]
fn identity_and_eligibility_answers_decode_as_declared_with_their_state_keys() {
    let c = Chain::builder().with(Identity).with(Eligibility).build();
    let office = Keypair::generate(Algorithm::Ed25519);
    registries(&c, &office);
    // The keys clients compute for proven reads are the keys the module answers with.
    assert_eq!(RootQuery.state_key(), c.ask(&RootQuery).unwrap().key);
    assert_eq!(OrgQuery(OFFICE.into()).state_key(), c.ask(&OrgQuery(OFFICE.into())).unwrap().key);
    let acc_q = AccreditationQuery { issuer: OFFICE.into(), vct: VCT.into() };
    assert_eq!(acc_q.state_key(), c.ask(&acc_q).unwrap().key);
    assert_eq!(TypeQuery(VCT.into()).state_key(), c.ask(&TypeQuery(VCT.into())).unwrap().key);
    assert_eq!(PolicyQuery("pw".into()).state_key(), c.ask(&PolicyQuery("pw".into())).unwrap().key);
    let root = c.ask(&RootQuery).unwrap();
    assert_eq!((root.key.as_str(), root.record.as_str()), ("identity/root", ROOT));
    let org = c.ask(&OrgQuery(OFFICE.into())).unwrap();
    assert_eq!(org.key, format!("identity/orgs/{OFFICE}"));
    assert_eq!((org.record.did.as_str(), org.record.controller), (OFFICE, office.public_key().address()));
    assert_eq!(org.record.keys.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(), ["o1"]);
    let ty = c.ask(&TypeQuery(VCT.into())).unwrap();
    assert_eq!(ty.record.thresholds, ["income_le_65pct"]);
    let acc = c.ask(&AccreditationQuery { issuer: OFFICE.into(), vct: VCT.into() }).unwrap();
    assert_eq!((acc.record.standing, acc.record.accredited_by.as_str()), (Standing::Active, ROOT));
    assert_eq!(c.ask(&PolicyQuery("pw".into())).unwrap().record.verifier, OFFICE);
    assert!(matches!(c.ask(&OrgQuery("did:web:nobody.kr".into())), Err(ModuleError::NotFound(_))));

    let seed = sha256(&[b"secret seed"]);
    let now = wall_clock_ms();
    c.ok(
        &office,
        "eligibility",
        json!({"type": "register_program", "id": "pw.2026", "office": OFFICE, "name": "Public works",
        "policy": "pw", "window_opens_ms": now - 1000, "window_closes_ms": now + 60_000, "quota": 10,
        "seed_commitment": sha256(&[&seed.0])}),
    );
    let rules = json!({"conditions": [{"id": "income", "credential": "income", "claim": ["income_le_65pct"],
                                       "op": "equals", "value": true, "reason": "income too high"}]});
    c.ok(
        &office,
        "eligibility",
        json!({"type": "publish_rule_set", "program": "pw.2026", "version": 1, "rules": rules}),
    );
    let root_hash = sha256(&[b"decisions"]);
    c.ok(
        &office,
        "eligibility",
        json!({"type": "anchor_decisions", "program": "pw.2026", "root": root_hash, "leaves": 7}),
    );
    let program = c.ask(&ProgramQuery("pw.2026".into())).unwrap();
    assert_eq!(program.key, format!("eligibility/{}", dojang_eligibility::state::program_key("pw.2026")));
    assert_eq!((program.record.quota, program.record.policy.as_str()), (10, "pw"));
    let rs = c.ask(&RuleSetQuery { program: "pw.2026".into(), version: 1 }).unwrap();
    assert_eq!(rs.key, format!("eligibility/{}", dojang_eligibility::state::ruleset_key("pw.2026", 1)));
    assert_eq!(ProgramQuery("pw.2026".into()).state_key(), program.key);
    assert_eq!(RuleSetQuery { program: "pw.2026".into(), version: 1 }.state_key(), rs.key);
    let batch_q = BatchQuery { program: "pw.2026".into(), batch: 1 };
    assert_eq!(batch_q.state_key(), c.ask(&batch_q).unwrap().key);
    let batch = c.ask(&BatchQuery { program: "pw.2026".into(), batch: 1 }).unwrap();
    assert_eq!(batch.record.root, root_hash);
    assert!(matches!(c.ask(&BatchQuery { program: "pw.2026".into(), batch: 2 }), Err(ModuleError::NotFound(_))));
    let r = c.ok(&office, "identity", json!({"type": "withdraw_policy", "id": "pw"}));
    let withdrawn = r.events[0].decode::<IdentityEvent>().unwrap().unwrap();
    assert_eq!(withdrawn, IdentityEvent::PolicyWithdrawn { id: "pw".into() });
    let seen = every_event_decodes(&c);
    saw(&seen, &["identity/org_registered", "identity/root_set", "identity/type_registered", "identity/accredited"]);
    saw(&seen, &["identity/policy_registered", "identity/policy_withdrawn", "governance/role_granted"]);
    saw(&seen, &["eligibility/program_registered", "eligibility/ruleset_published", "eligibility/decisions_anchored"]);
}

#[test]
fn collections_and_anchor_answers_decode_as_declared() {
    let c = Chain::builder().with(Collections).with(Anchor).build();
    let at = c.ledger.next_height() + 2;
    c.council("governance", json!({"type": "activate", "module": "collections", "at_height": at}));
    while c.ledger.next_height() < at {
        c.block();
    }
    let member = Keypair::generate(Algorithm::Ed25519);
    c.council(
        "collections",
        json!({"type": "define", "id": "labour-contracts", "members": [member.public_key().address()],
                                     "erasure_approvals": 1, "retention_days": 30}),
    );
    let def = c.ask(&CollectionQuery("labour-contracts".into())).unwrap();
    assert_eq!((def.id.as_str(), def.collection.retention_days), ("labour-contracts", 30));
    assert_eq!(def.collection.members, [member.public_key().address()]);
    let commitment = sha256(&[b"a salted commitment"]);
    let key = "0123456789abcdef0123456789abcdef";
    let r = c.ok(
        &member,
        "collections",
        json!({"type": "record", "collection": "labour-contracts", "key": key, "commitment": commitment}),
    );
    let rec = c.ask(&RecordQuery { collection: "labour-contracts".into(), key: key.into() }).unwrap();
    assert_eq!((rec.key.as_str(), rec.record.commitment, rec.record.height), (key, commitment, r.height));
    assert_eq!((rec.record.recorded_by, rec.record.purged.clone()), (member.public_key().address(), None));

    let sender = Keypair::generate(Algorithm::Ed25519);
    c.grant(&sender, "auditor");
    let root = sha256(&[b"batch"]);
    let r = c.ok(&sender, "anchor", json!({"type": "anchor", "namespace": "audit.2026", "root": root, "leaves": 12}));
    let series = c
        .ask(&SeriesQuery {
            account: sender.public_key().address(),
            namespace: "audit.2026".into(),
            after: None,
            limit: 10,
        })
        .unwrap();
    assert_eq!(
        (series.account, series.namespace.as_str(), series.records.len()),
        (sender.public_key().address(), "audit.2026", 1)
    );
    let one = c
        .ask(&AnchorQuery {
            account: sender.public_key().address(),
            namespace: "audit.2026".into(),
            height: r.height,
            index: r.index,
        })
        .unwrap();
    assert_eq!((one.root, one.leaves, one.tx_id), (root, 12, r.tx_id));
    let later = SeriesQuery {
        account: sender.public_key().address(),
        namespace: "audit.2026".into(),
        after: Some((r.height, r.index)),
        limit: 10,
    };
    assert!(c.ask(&later).unwrap().records.is_empty(), "nothing after the only anchor");
    let anchored = r.events[0].decode::<AnchorEvent>().unwrap().unwrap();
    let account = sender.public_key().address();
    assert_eq!(
        anchored,
        AnchorEvent::Anchored { account, namespace: "audit.2026".into(), height: r.height, index: r.index, root }
    );
    c.ok(&member, "collections", json!({"type": "request_erasure", "collection": "labour-contracts", "key": key}));
    // A second record purged by its retention deadline: the purge is a block hook's event.
    let other = "fedcba9876543210fedcba9876543210";
    c.ok(
        &member,
        "collections",
        json!({"type": "record", "collection": "labour-contracts", "key": other, "commitment": commitment}),
    );
    c.advance_clock(31 * 86_400_000);
    c.block();
    let purged = c.ask(&RecordQuery { collection: "labour-contracts".into(), key: other.into() }).unwrap();
    assert_eq!(purged.record.purged.map(|p| p.reason).as_deref(), Some("retention"));
    let seen = every_event_decodes(&c);
    saw(&seen, &["governance/activation_scheduled", "collections/collection_defined", "collections/recorded"]);
    saw(&seen, &["collections/erasure_requested", "collections/purged", "anchor/anchored", "ledger/deadline"]);
}

/// Paging parameters arrive from the API as strings: they are read, and a malformed one is
/// refused naming it (before, the anchor series and the role list ignored string limits and
/// cursors and silently answered the first page).
#[test]
fn paging_parameters_are_read_from_strings_and_malformed_ones_refused() {
    let c = Chain::builder().with(Anchor).build();
    let sender = Keypair::generate(Algorithm::Ed25519);
    c.grant(&sender, "auditor");
    for i in 0..3u8 {
        c.ok(&sender, "anchor", json!({"type": "anchor", "namespace": "ns", "root": sha256(&[&[i]]), "leaves": 1}));
    }
    let path = format!("series/{}/ns", sender.public_key().address());
    let page = c.ledger.query("anchor", &path, &json!({"limit": "2"})).unwrap();
    assert_eq!(page["records"].as_array().unwrap().len(), 2, "{page}");
    let first = &page["records"][0];
    let rest = c
        .ledger
        .query(
            "anchor",
            &path,
            &json!({"after_height": first["height"].to_string(), "after_index": first["index"].to_string()}),
        )
        .unwrap();
    assert_eq!(rest["records"].as_array().unwrap().len(), 2, "{rest}");
    assert_ne!(rest["records"][0], *first);
    for (module, path, params) in [
        ("anchor", path.as_str(), json!({"limit": "ten"})),
        ("anchor", path.as_str(), json!({"after_height": "-1"})),
        ("anchor", path.as_str(), json!({"after_height": "1", "after_index": "4294967296"})),
        ("governance", "role/auditor", json!({"limit": "1.5"})),
        ("governance", "proposals", json!({"after": true})),
    ] {
        let e = c.ledger.query(module, path, &params).unwrap_err();
        assert!(matches!(e, ModuleError::InvalidMessage(_)), "{module} {path} {params}: {e}");
    }
    let roles = c.ledger.query("governance", "role/auditor", &json!({"limit": "1"})).unwrap();
    assert_eq!(roles["accounts"].as_array().unwrap().len(), 1, "{roles}");
}
