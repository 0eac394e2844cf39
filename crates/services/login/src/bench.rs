//! `dojang bench login`: completed logins per second through the login service's own work —
//! the facility's authorization request, the signed request object for the wallet, the
//! verification of the wallet's presentation (issuer and holder signatures, trust list,
//! status, nonce, policy, residency age, level) and the code exchanged for a signed ID token —
//! on all cores, beside the machine's ES256 verification rate measured in the same run. The
//! wallets' work (signing their presentations) runs between the timed phases and is not
//! counted: it happens on the citizens' phones. Chain state is cached as the service holds it
//! between refreshes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use dojang_credentials::issue::kid_url;
use dojang_credentials::jose::Jws;
use dojang_credentials::status::token_hash;
use dojang_credentials::trust::Snapshot;
use dojang_credentials::*;
use dojang_crypto::{Algorithm, Keypair};
use dojang_login::state::RelyingParty;
use dojang_login::{Action, ActionKind, Level, Registration};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::authorize::AuthorizeParams;
use crate::provider::{Provider, TokenForm, RESIDENT_VCT};
use crate::tokens::Signer;

#[derive(Args, Clone, Debug)]
pub struct LoginBenchArgs {
    /// Logins to run (each its own citizen and credential).
    #[arg(long, default_value_t = 20_000)]
    pub logins: usize,
    /// Worker threads; default: all cores.
    #[arg(long)]
    pub threads: Option<usize>,
}

const REGISTRY: &str = "did:web:registry.seoul.go.kr";
const PROVIDER: &str = "did:web:login.seoul.go.kr";
const ISSUER: &str = "https://login.seoul.go.kr";
const STATUS: &str = "https://registry.seoul.go.kr/status/1";
const FACILITY: &str = "mapo-library";
const POLICY: &str = "login-mapo-library";
const REDIRECT: &str = "https://library.mapo.go.kr/cb";

fn now() -> u64 {
    dojang_types::wall_clock_ms() / 1000
}

fn query() -> DcqlQuery {
    let q = json!({"credentials": [{"id": "resident", "format": "dc+sd-jwt", "meta": {"vct_values": [RESIDENT_VCT]},
        "claims": [{"path": ["resident_of_seoul"]}, {"path": ["program_pseudonyms", FACILITY]}]}]});
    DcqlQuery::parse(&q).expect("the bench's query is valid DCQL")
}

/// A resident credential shaped like the registry's: eleven claims and three facility tokens.
fn claims(i: usize) -> Map<String, Value> {
    json!({
        "resident_of_seoul": true, "resident_6_months": true, "district": "mapo-gu", "months_in_district": 40,
        "age_over_14": true, "age_over_18": true, "age_over_19": true, "age_18_64": true, "age_over_65": false,
        "assurance": "substantial",
        "program_pseudonyms": {FACILITY: format!("t{i:08}"), "jamsil-pool": format!("p{i:08}"), "mapo-district": format!("d{i:08}")},
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

fn facility() -> RelyingParty {
    RelyingParty {
        registration: Registration {
            id: FACILITY.into(),
            name: "Mapo Library".into(),
            provider: PROVIDER.into(),
            redirect_uris: vec![REDIRECT.into()],
            policy: POLICY.into(),
            actions: vec![Action { id: "borrow".into(), kind: ActionKind::Use, level: Level::Low }],
            residency_max_age_days: 365,
            guardian_policy: None,
        },
        registered_ms: 0,
        updated_ms: 0,
        suspended: None,
    }
}

fn snapshot(registry: &IssuerKey, provider_key: &Keypair) -> Snapshot {
    let list = StatusList::new(0);
    let token: Arc<str> = list.to_token(&registry.key, &kid_url(REGISTRY, "r1"), STATUS, now(), 3600).into();
    let mut s = Snapshot::default();
    s.keys.insert(
        (REGISTRY.into(), "r1".into()),
        KeyValidity { public_key: registry.key.public_key(), valid_from: 0, valid_until: None },
    );
    s.keys.insert(
        (PROVIDER.into(), "l1".into()),
        KeyValidity { public_key: provider_key.public_key(), valid_from: 0, valid_until: None },
    );
    s.accreditations.insert(
        (REGISTRY.into(), RESIDENT_VCT.into()),
        Accreditation { active: vec![(0, None)], now: Standing::Active },
    );
    s.anchors.insert(
        (REGISTRY.into(), STATUS.into()),
        StatusAnchor { version: 1, hash: token_hash(&token), anchored_at_ms: 0 },
    );
    s.tokens.insert(STATUS.into(), token);
    s.policies.insert(
        POLICY.into(),
        Policy {
            id: POLICY.into(),
            verifier: PROVIDER.into(),
            dcql: query(),
            legal_basis: "Library Act art. 30".into(),
            purpose: "library login".into(),
            retention_days: 1,
            withdrawn_at: None,
        },
    );
    s
}

/// Runs `work(i)` for i in 0..n on `threads` threads; answers each call's result and time.
fn parallel<R: Send>(threads: usize, n: usize, work: impl Fn(usize) -> R + Sync) -> (Vec<(R, Duration)>, Duration) {
    let start = Instant::now();
    let chunk = n.div_ceil(threads).max(1);
    let out: Vec<(R, Duration)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|from| {
                let work = &work;
                s.spawn(move || {
                    (from..(from + chunk).min(n))
                        .map(|i| {
                            let t = Instant::now();
                            let r = work(i);
                            (r, t.elapsed())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    (out, start.elapsed())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

fn pkce(i: usize) -> (String, String) {
    let verifier = format!("bench-verifier-{i:032}");
    (verifier.clone(), dojang_credentials::jose::b64(&Sha256::digest(verifier.as_bytes())))
}

pub fn run(args: &LoginBenchArgs) -> anyhow::Result<()> {
    let threads =
        args.threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).max(1);
    let n = args.logins.max(1);
    let registry = IssuerKey { did: REGISTRY.into(), kid: "r1".into(), key: Keypair::generate(Algorithm::P256) };
    let provider_key = Keypair::generate(Algorithm::P256);
    let trust = snapshot(&registry, &provider_key);
    let provider = Provider::new(ISSUER, PROVIDER, Signer { key: provider_key, kid: "l1".into() }, trust)
        .with_max_open(n + 1)
        .with_max_per_facility(n + 1);
    let rp = facility();

    // The machine's limit in this run: ES256 verifications per second on all threads.
    let (msg, probe) = (vec![7u8; 600], Keypair::generate(Algorithm::P256));
    let (sig, pk) = (probe.sign(&msg), probe.public_key());
    let es256_n = 20_000;
    let (_, t) = parallel(threads, es256_n, |_| assert!(dojang_crypto::verify(&pk, &msg, &sig)));
    let es256 = es256_n as f64 / t.as_secs_f64();
    eprintln!("ES256 verify: {es256:.0}/s on {threads} threads");

    eprintln!("issuing {n} resident credentials (not measured)...");
    let (holders, _) = parallel(threads, n, |_| Keypair::generate(Algorithm::P256));
    let holders: Vec<Keypair> = holders.into_iter().map(|(k, _)| k).collect();
    let (creds, _) = parallel(threads, n, |i| {
        let spec = CredentialSpec {
            vct: RESIDENT_VCT.into(),
            claims: claims(i),
            holder: holders[i].public_key(),
            status: StatusRef { idx: (i * 7919 % 131_072) as u64, uri: STATUS.into() },
            issued_at: now() - 86_400,
            expires_at: now() + 86_400 * 180,
        };
        issue(&registry, &spec).expect("the bench's credential is valid")
    });

    // Timed: the facility's request and the request object for the wallet.
    let (opened, t_open) = parallel(threads, n, |i| {
        let (_, challenge) = pkce(i);
        let p = AuthorizeParams {
            response_type: Some("code".into()),
            client_id: Some(FACILITY.into()),
            redirect_uri: Some(REDIRECT.into()),
            scope: Some("openid".into()),
            state: Some(format!("s{i}")),
            nonce: Some(format!("n{i}")),
            code_challenge: Some(challenge),
            code_challenge_method: Some("S256".into()),
            ..Default::default()
        };
        let id = provider.authorize(&p, Some(&rp), now()).map_err(|e| e.to_string())?.id;
        let jwt = provider.request_object(&id, &rp, "https://login.seoul.go.kr/r", now()).map_err(|e| e.to_string())?;
        Ok::<_, String>((id, jwt))
    });

    // Not timed: each wallet signs its presentation for its request's nonce.
    let cq = query().credentials[0].clone();
    let (answers, _) = parallel(threads, n, |i| {
        let (id, jwt) = opened[i].0.as_ref().map_err(Clone::clone)?;
        let jws = Jws::parse(jwt).map_err(|e| e.to_string())?;
        let nonce = jws.payload.get("nonce").and_then(Value::as_str).unwrap_or_default().to_string();
        let p = present(&creds[i].0, &holders[i], &cq, &Challenge { nonce: &nonce, audience: PROVIDER, now: now() })
            .map_err(|e| e.to_string())?;
        let mut vp = Map::new();
        vp.insert("resident".into(), json!([p]));
        Ok::<_, String>((id.clone(), vp))
    });

    // Timed: verification of the answer, and the code exchanged for the ID token.
    let (finished, t_finish) = parallel(threads, n, |i| {
        let (id, vp) = answers[i].0.as_ref().map_err(Clone::clone)?;
        let redirect = provider.respond(id, id, vp, &rp, now()).map_err(|(e, _)| e.to_string())?;
        let code = redirect.split("code=").nth(1).and_then(|c| c.split('&').next()).unwrap_or_default().to_string();
        let form = TokenForm {
            grant_type: Some("authorization_code".into()),
            code: Some(code),
            redirect_uri: Some(REDIRECT.into()),
            client_id: Some(FACILITY.into()),
            code_verifier: Some(pkce(i).0),
        };
        provider.token(&form, now()).map(|t| t.id_token.len()).map_err(|e| e.to_string())
    });

    let failures: Vec<&String> = opened
        .iter()
        .filter_map(|(r, _)| r.as_ref().err())
        .chain(finished.iter().filter_map(|(r, _)| r.as_ref().err()))
        .collect();
    anyhow::ensure!(failures.is_empty(), "{} logins failed; the first: {}", failures.len(), failures[0]);
    let mut latency: Vec<Duration> = opened.iter().zip(&finished).map(|((_, a), (_, b))| *a + *b).collect();
    latency.sort();
    let elapsed = (t_open + t_finish).as_secs_f64();
    let rate = n as f64 / elapsed;
    let (p50, p99, max) = (percentile(&latency, 0.50), percentile(&latency, 0.99), percentile(&latency, 1.0));

    println!(
        "logins completed/s   {rate:>9.0}  ({n} logins in {elapsed:.2} s of the service's work on {threads} threads)"
    );
    println!(
        "  request + request object {:.2} s, verification + ID token {:.2} s",
        t_open.as_secs_f64(),
        t_finish.as_secs_f64()
    );
    println!("login latency (service's steps, under that load): p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms");
    println!("ES256 verify/s       {es256:>9.0}  on {threads} threads; a login verifies two signatures and makes two; ratio {:.3}", rate / es256);
    println!(
        "{}",
        json!({
            "bench": "login", "logins_per_s": rate, "logins": n, "threads": threads,
            "p50_ms": p50, "p99_ms": p99, "max_ms": max,
            "open_s": t_open.as_secs_f64(), "finish_s": t_finish.as_secs_f64(),
            "es256_verify_per_s": es256, "ratio_to_es256": rate / es256,
        })
    );
    Ok(())
}
