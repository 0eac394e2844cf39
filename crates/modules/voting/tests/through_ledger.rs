//! A poll through the real ledger: trustees deal, the poll opens with their key, voters with
//! the registrar's blind signatures cast encrypted ballots and re-vote, the poll closes, and
//! two of three trustees publish a result equal to the plaintext count. Each VOTE rule is
//! also shown refusing what it forbids.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use blind_rsa_signatures::{KeyPair, Options, SecretKey};
use curve25519_dalek::scalar::Scalar;
use dojang_ballot::dkg::election_key;
use dojang_ballot::group::G;
use dojang_ballot::{Ciphertext, Dealing, DecryptionShare, Element, EncryptedBallot, QuestionShape};
use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::BlockApp;
use dojang_testkit::{event_attr, Chain};
use dojang_types::{Address, TxStatus};
use dojang_voting::rules::{ballot_context, credential_message, poll_context};
use dojang_voting::Voting;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Value};

const POLL: &str = "mapo-budget-2026";
const MINUTE: u64 = 60_000;

struct Setup {
    chain: Chain,
    office: Keypair,
    trustees: Vec<Keypair>,
    transport: Vec<Scalar>,
    registrar: Keypair,
    registrar_sk: SecretKey,
    registrar_spki: String,
    rng: StdRng,
}

fn setup() -> Setup {
    let chain = Chain::builder().with(Voting::default()).build();
    let at = chain.ledger.next_height() + 2;
    chain.council("governance", json!({"type": "activate", "module": "voting", "at_height": at}));
    while chain.ledger.next_height() < at {
        chain.block();
    }
    let k = || Keypair::generate(Algorithm::Ed25519);
    let office = k();
    chain.grant(&office, "verifier");
    let mut rng = StdRng::seed_from_u64(7);
    let kp = KeyPair::generate(&mut rand::thread_rng(), 2048).unwrap();
    let spki = B64.encode(kp.pk.to_spki(Some(&Options::default())).unwrap());
    Setup {
        chain,
        office,
        trustees: (0..3).map(|_| k()).collect(),
        transport: (0..3).map(|_| Scalar::random(&mut rng)).collect(),
        registrar: k(),
        registrar_sk: kp.sk,
        registrar_spki: spki,
        rng,
    }
}

fn spec(s: &Setup, revote: &str, eligible: u64) -> Value {
    let opens = s.chain.ledger.clock_ms() + MINUTE;
    json!({
        "kind": "participatory_budget",
        "title": "마포구 주민참여예산 2026",
        "questions": [{"text": "Which projects should the district fund? (up to 2)",
                       "options": ["park lighting", "library hours", "bike lanes", "senior centre", "market roof"],
                       "min": 0, "max": 2}],
        "eligibility": {"district": "mapo-gu", "min_months_resident": 6, "min_age": 16, "policy": "vote-mapo-budget"},
        "dealings_until_ms": opens - MINUTE / 2, "opens_ms": opens, "closes_ms": opens + 60 * MINUTE,
        "revote": revote,
        "trustees": s.trustees.iter().zip(&s.transport).map(|(t, x)| json!({
            "account": t.public_key().address(), "transport_key": Element::new(x * G)})).collect::<Vec<_>>(),
        "threshold": 2,
        "registrar": s.registrar.public_key().address(),
        "registrar_key": s.registrar_spki,
        "eligible": eligible,
    })
}

fn shapes() -> Vec<QuestionShape> {
    vec![QuestionShape { options: 5, min: 0, max: 2 }]
}

fn transport(s: &Setup) -> Vec<(u32, Element)> {
    s.transport.iter().enumerate().map(|(i, x)| (i as u32 + 1, Element::new(x * G))).collect()
}

/// Every trustee deals; answers the dealings and each trustee's secret share.
fn deal_all(s: &mut Setup) -> (Vec<Dealing>, Vec<Scalar>) {
    let ctx = poll_context(POLL);
    let t = transport(s);
    let mut dealings = Vec::new();
    for i in 0..3 {
        let (d, _) = Dealing::deal(&ctx, i as u32 + 1, 2, &t, &mut s.rng).unwrap();
        let r = s.chain.ok(&s.trustees[i], "voting", json!({"type": "deal", "poll": POLL, "dealing": d}));
        assert_eq!(event_attr(&r, "dealt", "trustee"), (i + 1).to_string());
        dealings.push(d);
    }
    let secrets =
        (0..3).map(|j| dealings.iter().map(|d| d.open(&ctx, j as u32 + 1, &s.transport[j]).unwrap()).sum()).collect();
    (dealings, secrets)
}

/// The registrar's blind signature on `voter`'s voting key, finalized as the wallet does.
fn token(s: &mut Setup, voter: &Address) -> Value {
    let opts = Options::default();
    let pk = s.registrar_sk.public_key().unwrap();
    let msg = credential_message(POLL, voter);
    let blinding = pk.blind(&mut rand::thread_rng(), &msg, true, &opts).unwrap();
    let blind_sig = s.registrar_sk.blind_sign(&mut rand::thread_rng(), &blinding.blind_msg, &opts).unwrap();
    let randomizer = blinding.msg_randomizer.unwrap();
    let sig = pk.finalize(&blind_sig, &blinding.secret, Some(randomizer), &msg, &opts).unwrap();
    json!({"randomizer": B64.encode(randomizer.0), "signature": B64.encode(&sig.0)})
}

fn cast_msg(s: &mut Setup, voter: &Keypair, key: &Element, picks: Vec<u32>, token: Value) -> (Value, String) {
    let addr = voter.public_key().address();
    let (ballot, _) =
        EncryptedBallot::encrypt(&ballot_context(POLL, &addr), key, &shapes(), &[picks], &mut s.rng).unwrap();
    let tracking = hex::encode(ballot.tracking_code());
    let msg = json!({"type": "cast", "poll": POLL, "voter": addr, "key": key, "shapes": shapes(), "token": token, "ballot": ballot});
    (msg, tracking)
}

/// A failed receipt's code, and whether its reason is the credential count or a credential
/// that is not valid.
fn refusal(chain: &Chain, k: &Keypair, msg: Value) -> (String, bool, bool) {
    match chain.send(k, "voting", msg).unwrap().result {
        TxStatus::Failed { code, reason } => {
            (code, reason.contains("credentials issued"), reason.contains("credential is not valid"))
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn q(chain: &Chain, path: &str) -> Value {
    chain.ledger.query("voting", path, &Value::Null).unwrap()
}

fn pass(chain: &Chain, ms: u64) {
    chain.advance_clock(ms);
    chain.block();
}

#[test]
fn a_poll_runs_from_its_key_to_a_result_equal_to_the_plaintext_count_with_one_trustee_absent() {
    let mut s = setup();
    let c = &s.chain;
    let outsider = Keypair::generate(Algorithm::Ed25519);
    assert_eq!(
        c.code(&outsider, "voting", json!({"type": "create_poll", "poll": POLL, "spec": spec(&s, "last_counts", 10)})),
        "not-permitted"
    );
    let mut bad = spec(&s, "last_counts", 10);
    bad["questions"][0]["max"] = json!(6);
    assert_eq!(
        c.code(&s.office, "voting", json!({"type": "create_poll", "poll": POLL, "spec": bad})),
        "invalid-message"
    );
    let mut phone = spec(&s, "last_counts", 10);
    phone["eligibility"]["district"] = json!("010-1234-5678");
    assert_eq!(
        c.code(&s.office, "voting", json!({"type": "create_poll", "poll": POLL, "spec": phone})),
        "invalid-message",
        "VOTE-01"
    );
    c.ok(&s.office, "voting", json!({"type": "create_poll", "poll": POLL, "spec": spec(&s, "last_counts", 10)}));
    let c = &s.chain;
    assert_eq!(q(c, &format!("poll/{POLL}"))["poll"]["status"], "key_generation");

    let (dealings, secrets) = deal_all(&mut s);
    let c = &s.chain;
    let (again, _) = Dealing::deal(&poll_context(POLL), 1, 2, &transport(&s), &mut s.rng).unwrap();
    assert_eq!(c.code(&s.trustees[0], "voting", json!({"type": "deal", "poll": POLL, "dealing": again})), "VOTE-05");

    // Before the opening there is no key, and no ballot is taken.
    let early = Keypair::generate(Algorithm::Ed25519);
    let early_token = token(&mut s, &early.public_key().address());
    let some_key = Element::new(Scalar::from(5u64) * G);
    let (msg, _) = cast_msg(&mut s, &early, &some_key, vec![0], early_token);
    assert_eq!(s.chain.code(&early, "voting", msg), "VOTE-03");

    pass(&s.chain, MINUTE);
    let refs: Vec<&Dealing> = dealings.iter().collect();
    let key = election_key(&refs);
    let p = q(&s.chain, &format!("poll/{POLL}"));
    assert_eq!(
        (p["poll"]["status"].as_str(), p["poll"]["key"].as_str()),
        (Some("open"), Some(hex::encode(key.bytes()).as_str()))
    );

    // VOTE-10: the registrar records credentials issued, never more than the roll, never fewer.
    let reg = s.registrar.duplicate();
    assert_eq!(s.chain.code(&reg, "voting", json!({"type": "record_issued", "poll": POLL, "issued": 11})), "VOTE-10");
    s.chain.ok(&reg, "voting", json!({"type": "record_issued", "poll": POLL, "issued": 4}));
    assert_eq!(s.chain.code(&reg, "voting", json!({"type": "record_issued", "poll": POLL, "issued": 3})), "VOTE-10");
    assert_eq!(
        s.chain.code(&outsider, "voting", json!({"type": "record_issued", "poll": POLL, "issued": 5})),
        "VOTE-10"
    );

    let voters: Vec<Keypair> = (0..5).map(|_| Keypair::generate(Algorithm::Ed25519)).collect();
    let picks = [vec![0, 2], vec![2], vec![], vec![1, 2]];
    let mut reference = [0u64; 5];
    let mut codes = Vec::new();
    for (v, p) in voters.iter().zip(&picks) {
        let t = token(&mut s, &v.public_key().address());
        let (msg, tracking) = cast_msg(&mut s, v, &key, p.clone(), t);
        let r = s.chain.ok(v, "voting", msg);
        assert_eq!(event_attr(&r, "ballot_cast", "tracking"), tracking);
        p.iter().for_each(|&o| reference[o as usize] += 1);
        codes.push(tracking);
    }
    // A fifth credential would exceed the four issued.
    let t = token(&mut s, &voters[4].public_key().address());
    let (msg, _) = cast_msg(&mut s, &voters[4], &key, vec![0], t);
    assert_eq!(refusal(&s.chain, &voters[4], msg), ("VOTE-10".into(), true, false));
    // Another voter's credential is not this key's.
    let stolen = token(&mut s, &voters[0].public_key().address());
    let (msg, _) = cast_msg(&mut s, &voters[4], &key, vec![0], stolen);
    assert_eq!(refusal(&s.chain, &voters[4], msg), ("VOTE-10".into(), false, true));
    // A ballot made for another voting key fails its proofs at admission (VOTE-04).
    let t = token(&mut s, &voters[1].public_key().address());
    let (mut msg, _) = cast_msg(&mut s, &voters[0], &key, vec![1], t);
    msg["voter"] = json!(voters[1].public_key().address());
    assert_eq!(s.chain.code(&voters[1], "voting", msg), "invalid-message");

    // VOTE-02, last counts: voter 0 changes its mind; its first ballot is marked replaced.
    let t = token(&mut s, &voters[0].public_key().address());
    let (msg, tracking) = cast_msg(&mut s, &voters[0], &key, vec![4], t);
    let r = s.chain.ok(&voters[0], "voting", msg);
    assert_eq!(event_attr(&r, "ballot_cast", "replaces"), codes[0]);
    reference[0] -= 1;
    reference[2] -= 1;
    reference[4] += 1;
    assert_eq!(q(&s.chain, &format!("board/{POLL}/{}", codes[0]))["ballot"]["replaced"], true);
    assert_eq!(q(&s.chain, &format!("board/{POLL}/{tracking}"))["ballot"]["replaced"], false);
    let tally = q(&s.chain, &format!("tally/{POLL}"))["tally"].clone();
    assert_eq!(
        (tally["voters"].as_u64(), tally["ballots"].as_u64(), tally["issued"].as_u64()),
        (Some(4), Some(5), Some(4))
    );

    // No decryption share before the close (VOTE-06).
    let totals: Vec<Ciphertext> = serde_json::from_value(tally["totals"].clone()).unwrap();
    let share1 = DecryptionShare::make(&poll_context(POLL), 1, &secrets[0], &totals, &mut s.rng);
    assert_eq!(
        s.chain.code(&s.trustees[0], "voting", json!({"type": "decrypt_share", "poll": POLL, "share": share1})),
        "VOTE-06"
    );

    pass(&s.chain, 60 * MINUTE);
    assert_eq!(q(&s.chain, &format!("poll/{POLL}"))["poll"]["status"], "closed");
    let t = token(&mut s, &voters[3].public_key().address());
    let (msg, _) = cast_msg(&mut s, &voters[3], &key, vec![0], t);
    assert_eq!(s.chain.code(&voters[3], "voting", msg), "VOTE-03", "after the close");

    // Trustee 2 posts a wrong share: refused, and named.
    let mut wrong = DecryptionShare::make(&poll_context(POLL), 2, &secrets[1], &totals, &mut s.rng);
    wrong.parts[3] = Element::new(wrong.parts[3].point() + G);
    let r =
        s.chain.send(&s.trustees[1], "voting", json!({"type": "decrypt_share", "poll": POLL, "share": wrong})).unwrap();
    let text = format!("{:?}", r.result);
    assert!(text.contains("VOTE-07") && text.contains("trustee 2") && text.contains("total 3"), "{text}");

    // Trustees 1 and 3 (trustee 2 absent) publish the result.
    let share1 = DecryptionShare::make(&poll_context(POLL), 1, &secrets[0], &totals, &mut s.rng);
    s.chain.ok(&s.trustees[0], "voting", json!({"type": "decrypt_share", "poll": POLL, "share": share1}));
    let share3 = DecryptionShare::make(&poll_context(POLL), 3, &secrets[2], &totals, &mut s.rng);
    let r = s.chain.ok(&s.trustees[2], "voting", json!({"type": "decrypt_share", "poll": POLL, "share": share3}));
    assert_eq!(event_attr(&r, "result_published", "counts"), json!([reference]).to_string());
    let p = q(&s.chain, &format!("poll/{POLL}"));
    assert_eq!((p["poll"]["status"].as_str(), &p["poll"]["result"]), (Some("tallied"), &json!([reference])));
}

#[test]
fn a_poll_that_takes_one_ballot_refuses_the_second_and_a_poll_without_enough_dealings_fails() {
    let mut s = setup();
    s.chain.ok(&s.office, "voting", json!({"type": "create_poll", "poll": POLL, "spec": spec(&s, "reject", 3)}));
    let (dealings, _) = deal_all(&mut s);
    pass(&s.chain, MINUTE);
    let key = election_key(&dealings.iter().collect::<Vec<_>>());
    s.chain.ok(&s.registrar, "voting", json!({"type": "record_issued", "poll": POLL, "issued": 2}));
    let voter = Keypair::generate(Algorithm::Ed25519);
    let t = token(&mut s, &voter.public_key().address());
    let (msg, _) = cast_msg(&mut s, &voter, &key, vec![1], t.clone());
    s.chain.ok(&voter, "voting", msg);
    let (msg, _) = cast_msg(&mut s, &voter, &key, vec![3], t);
    assert_eq!(s.chain.code(&voter, "voting", msg), "VOTE-02");

    // A second poll where only one trustee deals: it fails at its opening, with the reason.
    // It cannot reuse the first poll's registrar key (a blinded message does not say which
    // poll it is for).
    let other = "seoul-poll-2026";
    let mut sp = spec(&s, "reject", 3);
    sp["closes_ms"] = json!(s.chain.ledger.clock_ms() + 10 * MINUTE);
    assert_eq!(s.chain.code(&s.office, "voting", json!({"type": "create_poll", "poll": other, "spec": sp})), "VOTE-10");
    let second = KeyPair::generate(&mut rand::thread_rng(), 2048).unwrap();
    sp["registrar_key"] = json!(B64.encode(second.pk.to_spki(Some(&Options::default())).unwrap()));
    s.chain.ok(&s.office, "voting", json!({"type": "create_poll", "poll": other, "spec": sp}));
    let (d, _) = Dealing::deal(&poll_context(other), 1, 2, &transport(&s), &mut s.rng).unwrap();
    s.chain.ok(&s.trustees[0], "voting", json!({"type": "deal", "poll": other, "dealing": d}));
    // Trustee 2 deals after the dealings closed: refused, so no one is left without time to
    // complain about its shares.
    pass(&s.chain, MINUTE / 2);
    let (late, _) = Dealing::deal(&poll_context(other), 2, 2, &transport(&s), &mut s.rng).unwrap();
    assert_eq!(
        s.chain.code(&s.trustees[1], "voting", json!({"type": "deal", "poll": other, "dealing": late})),
        "VOTE-05"
    );
    pass(&s.chain, MINUTE / 2);
    let p = q(&s.chain, &format!("poll/{other}"))["poll"].clone();
    assert_eq!(p["status"], "failed");
    assert!(p["failure"].as_str().unwrap().contains("1 dealings stood"), "{p}");
}

#[test]
fn a_founded_complaint_puts_a_cheating_dealer_out_of_the_key_and_the_poll_still_tallies() {
    let mut s = setup();
    s.chain.ok(&s.office, "voting", json!({"type": "create_poll", "poll": POLL, "spec": spec(&s, "reject", 3)}));
    let ctx = poll_context(POLL);
    let t = transport(&s);
    let (mut cheat, _) = Dealing::deal(&ctx, 1, 2, &t, &mut s.rng).unwrap();
    let sealed = &mut cheat.shares.iter_mut().find(|x| x.to == 3).unwrap().sealed;
    *sealed = format!("{}{}", if sealed.starts_with('0') { "1" } else { "0" }, &sealed[1..]);
    s.chain.ok(&s.trustees[0], "voting", json!({"type": "deal", "poll": POLL, "dealing": cheat}));
    let (honest, _) = Dealing::deal(&ctx, 2, 2, &t, &mut s.rng).unwrap();
    s.chain.ok(&s.trustees[1], "voting", json!({"type": "deal", "poll": POLL, "dealing": honest}));
    let (third, _) = Dealing::deal(&ctx, 3, 2, &t, &mut s.rng).unwrap();
    s.chain.ok(&s.trustees[2], "voting", json!({"type": "deal", "poll": POLL, "dealing": third}));

    let unfounded = honest.complain(&ctx, 3, &s.transport[2], &mut s.rng).unwrap();
    assert_eq!(
        s.chain.code(&s.trustees[2], "voting", json!({"type": "complain", "poll": POLL, "complaint": unfounded})),
        "VOTE-05"
    );
    // A dealer cannot withdraw its own dealing by complaining about it.
    let own = cheat.complain(&ctx, 1, &s.transport[0], &mut s.rng).unwrap();
    assert_eq!(
        s.chain.code(&s.trustees[0], "voting", json!({"type": "complain", "poll": POLL, "complaint": own})),
        "VOTE-05"
    );
    let founded = cheat.complain(&ctx, 3, &s.transport[2], &mut s.rng).unwrap();
    assert_eq!(
        s.chain.code(&s.trustees[1], "voting", json!({"type": "complain", "poll": POLL, "complaint": founded})),
        "VOTE-05",
        "only in its own name"
    );
    let r = s.chain.ok(&s.trustees[2], "voting", json!({"type": "complain", "poll": POLL, "complaint": founded}));
    assert_eq!(event_attr(&r, "dealing_rejected", "dealer"), "1");
    // The complaint stays on chain, for anyone to judge again.
    let kept = q(&s.chain, &format!("complaint/{POLL}/1"))["complaint"].clone();
    assert_eq!(kept, serde_json::to_value(&founded).unwrap());
    assert!(s.chain.ledger.query("voting", &format!("complaint/{POLL}/2"), &Value::Null).is_err());
    pass(&s.chain, MINUTE);
    let p = q(&s.chain, &format!("poll/{POLL}"))["poll"].clone();
    let key = election_key(&[&honest, &third]);
    assert_eq!((p["status"].as_str(), p["key"].as_str()), (Some("open"), Some(hex::encode(key.bytes()).as_str())));

    // Without the cheat's dealing the poll still runs to a result: trustees 2 and 3 decrypt
    // with the shares of the two dealings that stand.
    let secrets: Vec<Scalar> = (0..3)
        .map(|j| [&honest, &third].iter().map(|d| d.open(&ctx, j as u32 + 1, &s.transport[j]).unwrap()).sum())
        .collect();
    s.chain.ok(&s.registrar, "voting", json!({"type": "record_issued", "poll": POLL, "issued": 1}));
    let voter = Keypair::generate(Algorithm::Ed25519);
    let t = token(&mut s, &voter.public_key().address());
    let (msg, _) = cast_msg(&mut s, &voter, &key, vec![1, 3], t);
    s.chain.ok(&voter, "voting", msg);
    pass(&s.chain, 60 * MINUTE);
    let tally = q(&s.chain, &format!("tally/{POLL}"))["tally"].clone();
    let totals: Vec<Ciphertext> = serde_json::from_value(tally["totals"].clone()).unwrap();
    for j in [1usize, 2] {
        let share = DecryptionShare::make(&ctx, j as u32 + 1, &secrets[j], &totals, &mut s.rng);
        s.chain.ok(&s.trustees[j], "voting", json!({"type": "decrypt_share", "poll": POLL, "share": share}));
    }
    assert_eq!(q(&s.chain, &format!("poll/{POLL}"))["poll"]["result"], json!([[0, 1, 0, 1, 0]]));
}

#[test]
fn malformed_and_unknown_queries_get_clear_errors() {
    let s = setup();
    let ask = |path: &str| s.chain.ledger.query("voting", path, &Value::Null).unwrap_err().to_string();
    assert!(ask("board/mapo-budget-2026/xyz").contains("is not a tracking code (64 hex)"));
    assert!(ask(&format!("board/mapo-budget-2026/{}", "g".repeat(64))).contains("is not a tracking code"));
    assert!(ask("dealing/mapo-budget-2026/two").contains("'two' is not a trustee number"));
    assert!(ask("share/mapo-budget-2026/-1").contains("is not a trustee number"));
    for unknown in ["", "poll", "polls/x", "poll/a/b", "tally", "board/x"] {
        assert!(ask(unknown).contains("unknown voting query"), "{unknown}: {}", ask(unknown));
    }
    for absent in [
        "poll/no-such-poll",
        "tally/no-such-poll",
        &format!("board/no-such-poll/{}", "0".repeat(64)),
        "dealing/no-such-poll/1",
    ] {
        let answer = ask(absent);
        assert!(answer.starts_with("not found: ") && answer.contains("no-such-poll"), "{absent}: {answer}");
    }
}
