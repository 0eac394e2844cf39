//! `dojang bench eligibility`: N applications end to end in process, as a program office
//! processes a round: the office signs a request, the applicant's wallet opens it and presents
//! three credentials (resident, income, employment), the office verifies all three (six ES256
//! verifications), applies the rule set, records the decision durably (groups share one
//! commit) and returns the receipt. Credentials are issued beforehand (not timed); chain state
//! is cached. Anchoring the round's root is timed separately.

use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use dojang_credentials::issue::kid_url;
use dojang_credentials::status::token_hash;
use dojang_credentials::trust::Snapshot;
use dojang_credentials::*;
use dojang_crypto::{Algorithm, Keypair};
use dojang_eligibility::{Outcome, RuleSet};
use dojang_verifier::{open_request, Application, DecisionStore, Office, Program};
use serde_json::{json, Map, Value};

#[derive(Args, Clone, Debug)]
pub struct EligibilityBenchArgs {
    /// Applications in the round.
    #[arg(long, default_value_t = 20_000)]
    pub applications: usize,
    /// Applications decided per group (one durable commit per group).
    #[arg(long, default_value_t = 128)]
    pub group: usize,
}

const ISS: &str = "did:web:agencies.seoul.go.kr";
const URI: &str = "https://agencies.seoul.go.kr/status/1";
const OFFICE: &str = "did:web:jobs.seoul.go.kr";
const PROGRAM: &str = "public-works.bench";

fn now() -> u64 {
    dojang_types::wall_clock_ms() / 1000
}

fn dcql() -> DcqlQuery {
    let q = json!({"credentials": [
        {"id": "resident", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:dojang:resident:1"]},
         "claims": [{"path": ["resident_of_seoul"]}, {"path": ["age_18_64"]}, {"path": ["program_pseudonyms", PROGRAM]}]},
        {"id": "income", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:dojang:income-band:1"]},
         "claims": [{"path": ["income_le_65pct"]}, {"path": ["household_size"]}]},
        {"id": "employment", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:dojang:employment:1"]},
         "claims": [{"path": ["employed_full_time"]}, {"path": ["enrolled_public_job"]}]},
    ]});
    DcqlQuery::parse(&q).expect("the bench's query is valid")
}

fn rules() -> RuleSet {
    serde_json::from_value(json!({"conditions": [
        {"id": "seoul_resident", "credential": "resident", "claim": ["resident_of_seoul"], "op": "equals", "value": true, "reason": "not a Seoul resident"},
        {"id": "age_18_64", "credential": "resident", "claim": ["age_18_64"], "op": "equals", "value": true, "reason": "age outside 18-64"},
        {"id": "income_le_65pct", "credential": "income", "claim": ["income_le_65pct"], "op": "equals", "value": true, "reason": "income above 65% of median"},
        {"id": "not_employed_full_time", "credential": "employment", "claim": ["employed_full_time"], "op": "equals", "value": false, "reason": "employed full-time"},
        {"id": "no_other_public_job", "credential": "employment", "claim": ["enrolled_public_job"], "op": "equals", "value": false, "reason": "in another public job"},
    ]}))
    .expect("the bench's rule set is valid")
}

struct Applicant {
    holder: Keypair,
    creds: Vec<(&'static str, String)>,
}

fn applicant(issuer: &IssuerKey, i: usize) -> Applicant {
    let holder = Keypair::generate(Algorithm::P256);
    let mk = |vct: &str, claims: Value, k: usize| {
        issue(
            issuer,
            &CredentialSpec {
                vct: vct.into(),
                claims: claims.as_object().cloned().unwrap_or_default(),
                holder: holder.public_key(),
                status: StatusRef { idx: ((i * 3 + k) % 131_072) as u64, uri: URI.into() },
                issued_at: now() - 60,
                expires_at: now() + 86_400,
            },
        )
        .expect("valid credential")
    };
    let creds = vec![
        (
            "resident",
            mk(
                "urn:dojang:resident:1",
                json!({"resident_of_seoul": !i.is_multiple_of(10), "age_18_64": true, "age_19_34": i.is_multiple_of(3),
            "program_pseudonyms": {PROGRAM: format!("p{i:08}")}}),
                0,
            ),
        ),
        (
            "income",
            mk(
                "urn:dojang:income-band:1",
                json!({"income_le_65pct": i.is_multiple_of(2), "income_le_150pct": true, "household_size": 1 + i % 5}),
                1,
            ),
        ),
        (
            "employment",
            mk(
                "urn:dojang:employment:1",
                json!({"employed_full_time": i.is_multiple_of(4), "enrolled_public_job": false}),
                2,
            ),
        ),
    ];
    Applicant { holder, creds }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted.get(((sorted.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0.0)
}

pub fn run(args: &EligibilityBenchArgs) -> anyhow::Result<()> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let issuer = IssuerKey { did: ISS.into(), kid: "k".into(), key: Keypair::generate(Algorithm::P256) };
    let mut snap = Snapshot::default();
    snap.keys.insert(
        (ISS.into(), "k".into()),
        KeyValidity { public_key: issuer.key.public_key(), valid_from: 0, valid_until: None },
    );
    for vct in ["urn:dojang:resident:1", "urn:dojang:income-band:1", "urn:dojang:employment:1"] {
        snap.accreditations
            .insert((ISS.into(), vct.into()), Accreditation { active: vec![(0, None)], now: Standing::Active });
    }
    let token: Arc<str> = StatusList::new(0).to_token(&issuer.key, &kid_url(ISS, "k"), URI, now(), 3600).into();
    snap.anchors
        .insert((ISS.into(), URI.into()), StatusAnchor { version: 1, hash: token_hash(&token), anchored_at_ms: 0 });
    snap.tokens.insert(URI.into(), token);
    let policy = Policy {
        id: PROGRAM.into(),
        verifier: OFFICE.into(),
        dcql: dcql(),
        legal_basis: "bench".into(),
        purpose: "bench".into(),
        retention_days: 30,
        withdrawn_at: None,
    };
    snap.policies.insert(PROGRAM.into(), policy.clone());
    let program = Program {
        id: PROGRAM.into(),
        policy,
        ruleset_version: 1,
        rules: rules(),
        quota: 1000,
        window_opens_ms: 0,
        window_closes_ms: u64::MAX,
        pseudonym: ("resident".into(), vec!["program_pseudonyms".into(), PROGRAM.into()]),
    };
    let dir = std::env::temp_dir().join(format!("dojang-bench-eligibility-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let office_key = Keypair::generate(Algorithm::P256);
    let office_pub = office_key.public_key();
    let office = Office::new(
        OFFICE,
        "o",
        office_key,
        "https://jobs.seoul.go.kr/response",
        snap,
        DecisionStore::open(&dir.join("office.redb"))?,
    );

    // Raw ES256 verification rate in the same run, on all cores.
    let msg = vec![7u8; 700];
    let sig = issuer.key.sign(&msg);
    let pk = issuer.key.public_key();
    let t = Instant::now();
    let per = 4_000;
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| (0..per).all(|_| dojang_crypto::verify(&pk, &msg, &sig)));
        }
    });
    let es256 = (per * threads) as f64 / t.elapsed().as_secs_f64();

    eprintln!("issuing {} credentials for {} applicants (not measured)...", args.applications * 3, args.applications);
    let applicants: Vec<Applicant> = std::thread::scope(|s| {
        let chunk = args.applications.div_ceil(threads);
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let issuer = &issuer;
                s.spawn(move || {
                    (t * chunk..((t + 1) * chunk).min(args.applications))
                        .map(|i| applicant(issuer, i))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });

    let query = dcql();
    let mut latencies = Vec::with_capacity(applicants.len());
    let (mut eligible, mut decided, mut failed) = (0usize, 0usize, 0usize);
    let start = Instant::now();
    let mut office_secs = 0.0;
    for group in applicants.chunks(args.group.max(1)) {
        let prepared: Vec<(Instant, Application)> = std::thread::scope(|s| {
            let chunk = group.len().div_ceil(threads);
            let handles: Vec<_> = group
                .chunks(chunk)
                .map(|part| {
                    let (office, program, query, office_pub) = (&office, &program, &query, &office_pub);
                    s.spawn(move || {
                        part.iter()
                            .map(|a| {
                                let t0 = Instant::now();
                                let jwt =
                                    office.request(program, now()).expect("the bench stays within the office's bound");
                                let claims =
                                    open_request(&jwt, office_pub, now()).expect("the office's own request opens");
                                let mut vp = Map::new();
                                for q in &query.credentials {
                                    let cred =
                                        &a.creds.iter().find(|(id, _)| *id == q.id).expect("three credentials").1;
                                    let ch =
                                        Challenge { nonce: &claims.nonce, audience: &claims.client_id, now: now() };
                                    vp.insert(
                                        q.id.clone(),
                                        json!([present(cred, &a.holder, q, &ch).expect("answers")]),
                                    );
                                }
                                (t0, Application { state: claims.state, vp_token: vp })
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
        });
        let (starts, apps): (Vec<Instant>, Vec<Application>) = prepared.into_iter().unzip();
        let t_office = Instant::now();
        let results = office.decide(&program, apps, now());
        let done = Instant::now();
        office_secs += (done - t_office).as_secs_f64();
        for (t0, r) in starts.iter().zip(&results) {
            latencies.push((done - *t0).as_secs_f64() * 1000.0);
            match r {
                Ok(rc) => {
                    decided += 1;
                    eligible += usize::from(rc.decision.outcome == Outcome::Eligible);
                }
                Err(_) => failed += 1,
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let t = Instant::now();
    let anchored = office.unanchored(PROGRAM)?.map(|u| u.seqs.len()).unwrap_or(0);
    let anchor_ms = t.elapsed().as_secs_f64() * 1000.0;
    latencies.sort_by(f64::total_cmp);
    let _ = std::fs::remove_dir_all(&dir);
    anyhow::ensure!(failed == 0, "{failed} applications got no decision");

    let per_s = decided as f64 / elapsed;
    let office_per_s = decided as f64 / office_secs;
    println!("office decisions/s      {office_per_s:>9.0}  (verification -> rules -> durable decision -> receipt: the office's own work, {office_secs:.2} s)");
    println!("end to end/s            {per_s:>9.0}  ({decided} applications in {elapsed:.2} s with the wallets' work on the same cores, {eligible} eligible; groups of {})", args.group);
    println!("latency per application p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (request -> presentation -> verification -> rules -> durable decision -> receipt)",
        percentile(&latencies, 0.5), percentile(&latencies, 0.99), latencies.last().copied().unwrap_or(0.0));
    println!(
        "anchoring the round     {anchor_ms:>9.0} ms  (Merkle root over {anchored} salted leaves, excluded above)"
    );
    println!("ES256 verify/s          {es256:>9.0}  on {threads} threads; an application needs six (three issuers, three holder bindings)");
    println!(
        "{}",
        json!({"bench": "eligibility", "office_decisions_per_s": office_per_s, "end_to_end_per_s": per_s, "applications": decided, "seconds": elapsed,
        "latency_ms": {"p50": percentile(&latencies, 0.5), "p99": percentile(&latencies, 0.99)}, "anchor_ms": anchor_ms,
        "es256_verify_per_s": es256, "threads": threads})
    );
    Ok(())
}
