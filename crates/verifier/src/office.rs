//! A program office's verifier (ELIG-01..07): it sends signed requests that cite the
//! program's registered policy, checks the answers (every credential check of
//! `dojang_credentials`), applies the program's rule set, detects a second application by the
//! same person through the program-scoped pseudonym, records the decision as a salted leaf,
//! and hands the applicant a receipt.

use std::sync::Mutex;

use dojang_credentials::jose::{sign_compact, Jws};
use dojang_credentials::{Policy, Request, TrustView, Verifier, VerifyError};
use dojang_crypto::Keypair;
use dojang_eligibility::ruleset::Failed;
use dojang_eligibility::{evaluate, Evidence, Handling, Outcome, RuleSet};
use dojang_types::{merkle_proof, merkle_root, sha256, Hash, PublicKey};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::pending::{OfficeBusy, Pending, PendingBook, DEFAULT_MAX_PENDING};
use crate::record::{Batch, DecisionCore, DecisionRecord, Inclusion, Receipt};
use crate::store::{DecisionStore, NewDecision, Recorded, StoreError};

/// The JWT `typ` of a signed request object (RFC 9101).
pub const REQUEST_TYP: &str = "oauth-authz-req+jwt";

/// A program as the office loaded it from the chain (proof-checked by the caller).
#[derive(Debug, Clone)]
pub struct Program {
    pub id: String,
    pub policy: Policy,
    pub ruleset_version: u32,
    pub rules: RuleSet,
    pub quota: u32,
    pub window_opens_ms: u64,
    pub window_closes_ms: u64,
    /// Where the program-scoped pseudonym is: a credential query id and the claim path
    /// (`resident`, `["program_pseudonyms", "<program id>"]`). See docs/decisions/0008.
    pub pseudonym: (String, Vec<String>),
}

/// An applicant's answer: the request's `state` and the `vp_token` (query id → presentations).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Application {
    pub state: String,
    pub vp_token: Map<String, Value>,
}

/// Why an application got no decision.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("no open request with this state (unknown, lapsed or already answered); ask for a new request")]
    UnknownRequest,
    #[error("the application window of '{0}' is not open")]
    WindowClosed(String),
    #[error("the answer has no presentation for '{0}', which the request asked for")]
    MissingCredential(String),
    #[error("the presentation for '{query}' was not accepted: {error}")]
    Presentation { query: String, error: VerifyError },
    #[error("the program's pseudonym was not disclosed ('{0}')")]
    NoPseudonym(String),
    #[error("this person already applied to this program (decision {0}); one application per person")]
    Duplicate(u64),
    #[error(transparent)]
    Replay(VerifyError),
    #[error("the office could not record the decision: {0}")]
    Store(String),
}

impl From<StoreError> for ApplyError {
    fn from(e: StoreError) -> Self {
        ApplyError::Store(e.0)
    }
}

/// Decisions waiting for their anchor: numbers and leaves in leaf order, and their root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unanchored {
    pub seqs: Vec<u64>,
    pub leaves: Vec<Hash>,
    pub root: Hash,
}

/// How long a request may await its answer, in seconds.
pub const REQUEST_LIFETIME: u64 = 600;

pub struct Office<T: TrustView> {
    pub did: String,
    kid: String,
    key: Keypair,
    pub response_uri: String,
    verifier: Verifier<T>,
    store: DecisionStore,
    pending: Mutex<PendingBook>,
}

fn random(bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut raw);
    hex::encode(raw)
}

/// The outcome when a credential's status or its issuer's accreditation failed, as the rule
/// set says to handle it.
fn handled(handling: Handling, id: &str, reason: String) -> Outcome {
    match handling {
        Handling::Reject => Outcome::NotEligible { failed: vec![Failed { id: id.into(), reason }] },
        Handling::ManualReview => Outcome::ManualReview { reason },
    }
}

impl<T: TrustView> Office<T> {
    /// `key`: the office's key registered on chain as `<did>#<kid>` (signs its requests).
    pub fn new(did: &str, kid: &str, key: Keypair, response_uri: &str, trust: T, store: DecisionStore) -> Self {
        Office {
            did: did.into(),
            kid: kid.into(),
            key,
            response_uri: response_uri.into(),
            verifier: Verifier::new(trust, REQUEST_LIFETIME),
            store,
            pending: Mutex::new(PendingBook::new(DEFAULT_MAX_PENDING)),
        }
    }

    /// Allows at most `max` requests awaiting answers at once (see [`crate::pending`]).
    pub fn with_max_pending(mut self, max: usize) -> Self {
        self.pending = Mutex::new(PendingBook::new(max));
        self
    }

    /// How many requests await answers now.
    pub fn pending_count(&self) -> usize {
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// A signed request for `program`: the policy it cites, its DCQL query, a fresh nonce and
    /// state. Returns the compact JWT the wallet receives, or [`OfficeBusy`] when as many
    /// requests as allowed await answers.
    pub fn request(&self, program: &Program, now: u64) -> Result<String, OfficeBusy> {
        self.request_with(program, now, Map::new())
    }

    /// [`Office::request`] with claims of the caller's own in the signed request, for the
    /// wallet to check before it answers (a voting registrar names the blinded message it will
    /// sign). They cannot replace the request's own claims.
    pub fn request_with(&self, program: &Program, now: u64, extra: Map<String, Value>) -> Result<String, OfficeBusy> {
        let (nonce, state) = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.reserve(now)?;
            let (nonce, state) = (self.verifier.nonce(now), random(16));
            let open = Pending { program: program.id.clone(), nonce: nonce.clone(), expires: now + REQUEST_LIFETIME };
            pending.insert(state.clone(), open);
            (nonce, state)
        };
        let payload = json!({
            "iss": self.did, "client_id": self.did, "response_type": "vp_token", "response_mode": "direct_post",
            "response_uri": self.response_uri, "nonce": nonce, "state": state, "policy": program.policy.id,
            "program": program.id, "dcql_query": program.policy.dcql, "iat": now, "exp": now + REQUEST_LIFETIME,
        });
        let mut payload = payload;
        if let Some(claims) = payload.as_object_mut() {
            for (name, value) in extra {
                claims.entry(name).or_insert(value);
            }
        }
        let mut header = Map::new();
        header.insert("typ".into(), json!(REQUEST_TYP));
        header.insert("kid".into(), json!(format!("{}#{}", self.did, self.kid)));
        Ok(sign_compact(&self.key, header, &payload))
    }

    /// The program an open request (by its `state`) was made for, unless it lapsed at `now`.
    pub fn pending_program(&self, state: &str, now: u64) -> Option<String> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).program(state, now)
    }

    /// Decides a group of applications: checks run on all cores, the decisions are written in
    /// one durable transaction, and each applicant gets a receipt (or the reason for none).
    pub fn decide(&self, program: &Program, apps: Vec<Application>, now: u64) -> Vec<Result<Receipt, ApplyError>>
    where
        T: Sync,
    {
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(apps.len().max(1));
        let chunk = apps.len().div_ceil(threads).max(1);
        let checked: Vec<Result<NewDecision, ApplyError>> = std::thread::scope(|s| {
            let handles: Vec<_> = apps
                .chunks(chunk)
                .map(|part| s.spawn(move || part.iter().map(|a| self.check(program, a, now)).collect::<Vec<_>>()))
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
        });
        let mut results: Vec<Option<Result<Receipt, ApplyError>>> = Vec::with_capacity(checked.len());
        let mut to_record = Vec::new();
        let mut slots = Vec::new();
        for (i, c) in checked.into_iter().enumerate() {
            match c {
                Ok(n) => {
                    to_record.push(n);
                    slots.push(i);
                    results.push(None);
                }
                Err(e) => results.push(Some(Err(e))),
            }
        }
        match self.store.record(to_record) {
            Ok(recorded) => {
                for (slot, r) in slots.into_iter().zip(recorded) {
                    results[slot] = Some(match r {
                        Recorded::Stored(d) => {
                            Ok(Receipt { decision: d.core, salt: d.salt, leaf: d.leaf, inclusion: None })
                        }
                        Recorded::Duplicate(seq) => Err(ApplyError::Duplicate(seq)),
                    });
                }
            }
            Err(e) => {
                for slot in slots {
                    results[slot] = Some(Err(e.clone().into()));
                }
            }
        }
        results.into_iter().map(|r| r.unwrap_or(Err(ApplyError::Store("lost result".into())))).collect()
    }

    fn check(&self, program: &Program, app: &Application, now: u64) -> Result<NewDecision, ApplyError> {
        let pending = self.pending.lock().unwrap_or_else(|p| p.into_inner()).take(&app.state, now);
        let pending = pending.filter(|p| p.program == program.id).ok_or(ApplyError::UnknownRequest)?;
        let now_ms = now * 1000;
        if now_ms < program.window_opens_ms || now_ms >= program.window_closes_ms {
            return Err(ApplyError::WindowClosed(program.id.clone()));
        }
        let request =
            Request { nonce: pending.nonce.clone(), audience: self.did.clone(), policy_id: program.policy.id.clone() };
        let mut evidence = Evidence::new();
        let mut disclosed = Vec::new();
        let mut credentials = Vec::new();
        let mut status_problem = None;
        let mut issuer_problem = None;
        for q in &program.policy.dcql.credentials {
            let p = app.vp_token.get(&q.id).and_then(|v| v.get(0)).and_then(Value::as_str);
            let p = p.ok_or_else(|| ApplyError::MissingCredential(q.id.clone()))?;
            match self.verifier.check(p, &request, now) {
                Ok(v) => {
                    disclosed.extend(
                        v.revealed.iter().map(|r| format!("{}:{}", q.id, dojang_credentials::dcql::path_text(r))),
                    );
                    credentials.push((v.vct.clone(), v.issuer.clone(), v.status_version));
                    evidence.insert(q.id.clone(), v.claims);
                }
                Err(
                    e @ (VerifyError::Revoked { .. }
                    | VerifyError::Suspended { .. }
                    | VerifyError::StatusNotValid { .. }),
                ) => {
                    status_problem = Some(format!("credential '{}': {e}", q.id));
                }
                Err(e @ (VerifyError::IssuerSuspended { .. } | VerifyError::IssuerRevoked { .. })) => {
                    issuer_problem = Some(format!("credential '{}': {e}", q.id));
                }
                Err(error) => return Err(ApplyError::Presentation { query: q.id.clone(), error }),
            }
        }
        self.verifier.spend(&pending.nonce, now).map_err(ApplyError::Replay)?;
        let (outcome, conditions) = match (status_problem, issuer_problem) {
            (Some(reason), _) => (handled(program.rules.on_credential_revoked, "credential_status", reason), vec![]),
            (None, Some(reason)) => {
                (handled(program.rules.on_issuer_suspended, "issuer_accreditation", reason), vec![])
            }
            (None, None) => evaluate(&program.rules, &evidence),
        };
        let (pcred, ppath) = &program.pseudonym;
        let pseudonym = evidence
            .get(pcred)
            .and_then(|c| ppath.split_first().and_then(|(f, rest)| rest.iter().try_fold(c.get(f)?, |v, k| v.get(k))))
            .and_then(Value::as_str)
            .map(str::to_string);
        let pseudonym_key = match (pseudonym, evidence.contains_key(pcred)) {
            (Some(p), _) => format!("{}/{p}", program.id),
            (None, true) => return Err(ApplyError::NoPseudonym(ppath.join("."))),
            (None, false) => format!("{}/unreadable-{}", program.id, random(16)),
        };
        let core = DecisionCore {
            program: program.id.clone(),
            seq: 0,
            policy: program.policy.id.clone(),
            ruleset_version: program.ruleset_version,
            outcome,
            conditions,
            disclosed,
            credentials,
            decided_at: now,
        };
        Ok(NewDecision { pseudonym_key, record: DecisionRecord::new(core) })
    }

    /// The applicant's receipt, with its inclusion proof once its batch is anchored.
    pub fn receipt(&self, seq: u64) -> Result<Option<Receipt>, StoreError> {
        let Some(d) = self.store.decision(seq)? else { return Ok(None) };
        let inclusion =
            match d.anchored {
                Some((batch, index)) => self.store.batch(&d.core.program, batch)?.and_then(|b| {
                    merkle_proof(&b.leaves.iter().map(|l| l.0).collect::<Vec<_>>(), index as usize)
                        .map(|proof| Inclusion { batch, index, root: b.root, proof })
                }),
                None => None,
            };
        Ok(Some(Receipt { decision: d.core, salt: d.salt, leaf: d.leaf, inclusion }))
    }

    /// The decisions not yet anchored: their numbers, leaves and Merkle root.
    pub fn unanchored(&self, program: &str) -> Result<Option<Unanchored>, StoreError> {
        let upto: u64 = self.store.meta(&format!("anchored_upto/{program}"))?.unwrap_or(0);
        let ds = self.store.decisions_after(program, upto)?;
        if ds.is_empty() {
            return Ok(None);
        }
        let leaves: Vec<Hash> = ds.iter().map(|d| d.leaf).collect();
        let root = merkle_root(&leaves.iter().map(|l| l.0).collect::<Vec<_>>());
        Ok(Some(Unanchored { seqs: ds.iter().map(|d| d.seq).collect(), leaves, root }))
    }

    /// Records that the chain anchored `batch` (after the anchor transaction is final).
    pub fn anchored(&self, batch: &Batch) -> Result<(), StoreError> {
        self.store.put_batch(batch)
    }

    /// The lottery (after the seed is revealed on chain): eligible decisions ranked by
    /// SHA-256(seed || leaf), the first `quota` selected. Anyone with the seed and the anchored
    /// leaves can recompute it; returns the selected decision numbers in rank order.
    pub fn draw(&self, program: &Program, seed: &Hash) -> Result<Vec<u64>, StoreError> {
        let mut eligible: Vec<(Hash, u64)> = self
            .store
            .decisions_after(&program.id, 0)?
            .into_iter()
            .filter(|d| d.core.outcome == Outcome::Eligible)
            .map(|d| (sha256(&[&seed.0, &d.leaf.0]), d.seq))
            .collect();
        eligible.sort();
        let selected: Vec<u64> = eligible.iter().take(program.quota as usize).map(|(_, s)| *s).collect();
        self.store.put_meta(&format!("draw/{}", program.id), &selected)?;
        Ok(selected)
    }

    pub fn store(&self) -> &DecisionStore {
        &self.store
    }
}

/// A request as the wallet reads it after checking the office's signature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedRequestClaims {
    pub client_id: String,
    pub nonce: String,
    pub state: String,
    pub policy: String,
    pub program: String,
    pub dcql_query: Value,
    pub response_uri: String,
    pub exp: u64,
}

/// Opens a signed request with the office's on-chain key (`kid` is `<did>#<key id>`).
pub fn open_request(jwt: &str, office_key: &PublicKey, now: u64) -> Result<SignedRequestClaims, String> {
    let jws = Jws::parse(jwt).map_err(|e| format!("the request is not a JWT: {e}"))?;
    if jws.typ() != REQUEST_TYP {
        return Err(format!("the request's typ is '{}', not {REQUEST_TYP}", jws.typ()));
    }
    jws.verify(office_key).map_err(|e| format!("the request is not signed by the office's registered key: {e}"))?;
    let claims: SignedRequestClaims = serde_json::from_value(Value::Object(jws.payload.clone()))
        .map_err(|e| format!("the request lacks a field: {e}"))?;
    if claims.exp <= now {
        return Err("the request has expired; ask the office for a new one".into());
    }
    Ok(claims)
}

/// The key id a signed request names (`<did>#<kid>`), to look the key up on chain.
pub fn request_kid(jwt: &str) -> Option<(String, String)> {
    let jws = Jws::parse(jwt).ok()?;
    let kid = jws.header.get("kid")?.as_str()?;
    let (did, k) = kid.split_once('#')?;
    Some((did.to_string(), k.to_string()))
}
