//! `dojang bench credentials`: issuance and full presentation verification rates on this
//! machine, beside the raw ES256 verification rate measured in the same run. Chain state is
//! cached (a [`Snapshot`], as a verifier holds it between refreshes), so the figure is the
//! verifier's own work: two ECDSA verifications (issuer and holder), SD-JWT processing,
//! accreditation, status list, nonce and policy checks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use dojang_credentials::issue::kid_url;
use dojang_credentials::status::token_hash;
use dojang_credentials::trust::Snapshot;
use dojang_credentials::*;
use dojang_crypto::{Algorithm, Keypair};
use dojang_types::Signature;
use serde_json::{json, Map, Value};

#[derive(Args, Clone, Debug)]
pub struct CredentialBenchArgs {
    /// Seconds for each measured phase.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Distinct presentations prepared (each from its own credential copy and nonce).
    #[arg(long, default_value_t = 30_000)]
    pub presentations: usize,
    /// Worker threads; default: all cores.
    #[arg(long)]
    pub threads: Option<usize>,
}

const ISS: &str = "did:web:income.seoul.go.kr";
const VCT: &str = "urn:dojang:income-band:1";
const URI: &str = "https://income.seoul.go.kr/status/1";
const AUD: &str = "did:web:jobs.seoul.go.kr";
const POLICY: &str = "jobs.public-works.2026";

fn now() -> u64 {
    dojang_types::wall_clock_ms() / 1000
}

/// Ten claims, three of which a program asks for: the shape the design appendix measured.
fn claims(i: usize) -> Map<String, Value> {
    json!({
        "income_le_50pct": false, "income_le_60pct": false, "income_le_65pct": true,
        "income_le_100pct": true, "income_le_150pct": true, "household_size": 1 + i % 5,
        "age_over_19": true, "age_over_65": false, "resident_of_seoul": true, "resident_6_months": true,
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

fn policy() -> DcqlQuery {
    let q = json!({"credentials": [{"id": "income", "format": "dc+sd-jwt", "meta": {"vct_values": [VCT]},
        "claims": [{"path": ["income_le_65pct"]}, {"path": ["household_size"]}, {"path": ["age_over_19"]}]}]});
    DcqlQuery::parse(&q).expect("the bench's query is valid DCQL")
}

fn spec(holder: &Keypair, i: usize) -> CredentialSpec {
    CredentialSpec {
        vct: VCT.into(),
        claims: claims(i),
        holder: holder.public_key(),
        status: StatusRef { idx: (i * 7919 % 131_072) as u64, uri: URI.into() },
        issued_at: now() - 60,
        expires_at: now() + 86_400,
    }
}

/// Runs `work(thread, i)` on `threads` threads for `seconds`; returns operations per second.
fn parallel_rate(threads: usize, seconds: u64, work: impl Fn(usize, usize) + Sync) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let total: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let work = &work;
                s.spawn(move || {
                    let mut n = 0;
                    while Instant::now() < deadline {
                        for _ in 0..64 {
                            work(t, n);
                            n += 1;
                        }
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    total as f64 / start.elapsed().as_secs_f64()
}

pub fn run(args: &CredentialBenchArgs) -> anyhow::Result<()> {
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let issuer = Arc::new(IssuerKey { did: ISS.into(), kid: "key-1".into(), key: Keypair::generate(Algorithm::P256) });

    let message = vec![7u8; 700];
    let sig = issuer.key.sign(&message);
    let Signature::P256(_) = sig else { anyhow::bail!("the issuer key is not P-256") };
    let pk = issuer.key.public_key();
    let es256_one_core = parallel_rate(1, args.seconds, |_, _| {
        assert!(dojang_crypto::verify(&pk, &message, &sig));
    });
    let es256_all = parallel_rate(threads, args.seconds, |_, _| {
        assert!(dojang_crypto::verify(&pk, &message, &sig));
    });
    eprintln!("ES256 verify: {es256_one_core:.0}/s on one core, {es256_all:.0}/s on {threads} threads");

    let holder = Keypair::generate(Algorithm::P256);
    let issuance = parallel_rate(threads, args.seconds, |_, i| {
        issue(&issuer, &spec(&holder, i)).expect("the bench's credential is valid");
    });
    eprintln!("issuance: {issuance:.0} credentials/s on {threads} threads");

    let list = StatusList::new(0);
    let token: Arc<str> = list.to_token(&issuer.key, &kid_url(ISS, "key-1"), URI, now(), 3600).into();
    let mut snap = Snapshot::default();
    snap.keys.insert(
        (ISS.into(), "key-1".into()),
        KeyValidity { public_key: issuer.key.public_key(), valid_from: 0, valid_until: None },
    );
    snap.accreditations
        .insert((ISS.into(), VCT.into()), Accreditation { active: vec![(0, None)], now: Standing::Active });
    snap.anchors
        .insert((ISS.into(), URI.into()), StatusAnchor { version: 1, hash: token_hash(&token), anchored_at_ms: 0 });
    snap.tokens.insert(URI.into(), token);
    snap.policies.insert(
        POLICY.into(),
        Policy {
            id: POLICY.into(),
            verifier: AUD.into(),
            dcql: policy(),
            legal_basis: "Framework Act on Employment Policy art. 16".into(),
            purpose: "bench".into(),
            retention_days: 365,
            withdrawn_at: None,
        },
    );
    let verifier = Verifier::new(snap, 3600);
    let query = policy().credentials[0].clone();

    eprintln!("preparing {} presentations (not measured)...", args.presentations);
    let prepared: Vec<(String, Request)> = std::thread::scope(|s| {
        let per = args.presentations.div_ceil(threads);
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (issuer, verifier, query) = (&issuer, &verifier, &query);
                s.spawn(move || {
                    (t * per..((t + 1) * per).min(args.presentations))
                        .map(|i| {
                            let holder = Keypair::generate(Algorithm::P256);
                            let cred = issue(issuer, &spec(&holder, i)).expect("valid credential");
                            let request = Request {
                                nonce: verifier.nonce(now()),
                                audience: AUD.into(),
                                policy_id: POLICY.into(),
                            };
                            let challenge = Challenge { nonce: &request.nonce, audience: AUD, now: now() };
                            let p =
                                present(&cred, &holder, query, &challenge).expect("the credential answers the query");
                            (p, request)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    let chunk = prepared.len().div_ceil(threads);
    let start = Instant::now();
    let failures: usize = std::thread::scope(|s| {
        let handles: Vec<_> = prepared
            .chunks(chunk)
            .map(|part| {
                let verifier = &verifier;
                s.spawn(move || part.iter().filter(|(p, r)| verifier.verify(p, r, now()).is_err()).count())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(usize::MAX)).sum()
    });
    let elapsed = start.elapsed().as_secs_f64();
    anyhow::ensure!(failures == 0, "{failures} presentations failed verification");
    let verified = prepared.len() as f64 / elapsed;
    let per_presentation_us = elapsed * 1e6 * threads as f64 / prepared.len() as f64;

    println!("presentations verified/s {verified:>9.0}  ({} in {elapsed:.2} s on {threads} threads, {per_presentation_us:.0} µs each per thread)", prepared.len());
    println!("credentials issued/s     {issuance:>9.0}  (10 claims, decoys, ES256, on {threads} threads)");
    println!("ES256 verify/s           {es256_all:>9.0}  on {threads} threads ({es256_one_core:.0} on one core); a presentation needs two");
    println!(
        "{}",
        json!({
            "bench": "credentials",
            "verified_per_s": verified,
            "issued_per_s": issuance,
            "es256_verify_per_s_all_threads": es256_all,
            "es256_verify_per_s_one_core": es256_one_core,
            "threads": threads,
            "presentations": prepared.len(),
        })
    );
    Ok(())
}
