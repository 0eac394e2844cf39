//! `dojang demo labour`: part-time contracts end to end on a fresh development chain. The
//! council switches the labour and collections modules on and defines the contracts
//! collection; the federation vouches for the businesses; the labour desk runs in process;
//! an employers' app drafts, stores and registers every contract, each worker signs, eight
//! weeks of timesheets (up to last week) are committed and confirmed, and the insurance
//! reports are declared (but for the employers who never report); the compliance engine's
//! findings are summed by rule, the deadlines it names are put on chain, its weekly pass
//! counts the alerts; and every file of the node outside its private store is searched for
//! the names and workplaces, which must not be there.

mod career;
mod grievance;
mod outsider;
mod people;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use dojang_collections::CollectionsMsg;
use dojang_crypto::{Algorithm, KeyFile, KeyProtection, Keypair};
use dojang_governance::{GovernanceMsg, Role};
use dojang_labour::LabourMsg;
use dojang_sdk::{Client, TxBuilder};
use dojang_service::node::{demo_key, init_demo_home, start_home, WorkDir};
use dojang_service::Run;
use dojang_types::Date;
use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::{json, Value};

use crate::desk::{self, ClientEntry, Desk, DeskSettings};
use crate::setup::{activate, propose};
use dojang_service::scan;
use people::{business_name, workplace, Conduct, Worker};

const COLLECTION: &str = "labour-contracts";

/// The keys of the collection's documents whose values are personal (a wage, a payment, a
/// birth date): found quoted outside the private store, they mean a document leaked whole.
const PERSONAL_FIELDS: [&str; 5] = ["worker_name", "employer_name", "wage_krw", "amount_krw", "worker_birth_date"];

#[derive(Subcommand)]
pub enum Demos {
    /// Part-time workers' contracts, timesheets and findings, end to end.
    Labour(LabourDemoArgs),
}

#[derive(Args)]
pub struct LabourDemoArgs {
    #[arg(long, default_value_t = 50)]
    pub businesses: usize,
    #[arg(long, default_value_t = 400)]
    pub workers: usize,
    /// Weeks of timesheets per worker, from Monday 2 March 2026.
    #[arg(long, default_value_t = 8)]
    pub weeks: usize,
    /// Workers handled at once by the app.
    #[arg(long, default_value_t = 16)]
    pub parallel: usize,
    /// Where the node and the desk keep their files [default: a temporary directory].
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Keep the node and the desk running afterwards, and print the desk's address and the
    /// app's token, to try the API (docs/modules/labour.md) until Ctrl-C.
    #[arg(long)]
    pub stay: bool,
}

pub fn run(demo: Demos) -> Run {
    let Demos::Labour(args) = demo;
    Box::pin(async move {
        if args.businesses == 0 || args.workers == 0 || args.weeks == 0 || args.weeks > 26 {
            bail!("give at least one business and one worker, and 1 to 26 weeks");
        }
        let work = WorkDir::new(args.dir.as_deref(), "dojang-labour-demo");
        let home = work.path().join("node");
        init_demo_home(&home)?;
        let member = member_node(&home)?;
        let node = start_home(&home).await?;
        let result = labour(&args, &node.url, &home, member, work.path()).await;
        node.stop().await;
        result
    })
}

/// Makes the node serve the member organisation of the contracts collection (the
/// small-business federation's node): its member key and `[private] member_key`.
fn member_node(home: &Path) -> anyhow::Result<Keypair> {
    let path = home.join("keys").join("federation-member.json");
    if !path.exists() {
        KeyFile::save_new(&Keypair::generate(Algorithm::Ed25519), &path, KeyProtection::ClearDemo)?;
    }
    let config = home.join("config.toml");
    let mut doc: toml::Table = std::fs::read_to_string(&config)?.parse()?;
    let mut private = toml::Table::new();
    private.insert("member_key".into(), "keys/federation-member.json".into());
    doc.insert("private".into(), toml::Value::Table(private));
    std::fs::write(&config, toml::to_string(&doc)?)?;
    Ok(KeyFile::load(&path)?)
}

/// The council switches both modules on and defines the collection; the federation (an
/// issuer on the demo chain) vouches for every business.
async fn setup(
    client: &Client,
    chain_id: &str,
    home: &Path,
    member: &Keypair,
    employers: &[Keypair],
) -> anyhow::Result<()> {
    let council = TxBuilder::new(chain_id, demo_key(home, "admin")?);
    activate(client, &council, &["collections", "labour"]).await?;
    let expires = dojang_types::wall_clock_ms() + 600_000;
    let define = CollectionsMsg::Define {
        id: COLLECTION.into(),
        members: vec![member.public_key().address()],
        erasure_approvals: 1,
        retention_days: 1095,
    };
    // A second run on the same chain (`--dir` kept) finds the collection and the role there.
    if client.query("collections", &format!("collection/{COLLECTION}"), &[]).await.is_err() {
        propose(client, &council, GovernanceMsg::propose(&define, "part-time contracts and timesheets", expires))
            .await?;
    }
    // The federation's member account records every contract and week the desk stores: an
    // agency's quota, not a citizen's 120 transactions a minute.
    let account = client.query("governance", &format!("account/{}", member.public_key().address()), &[]).await?;
    if account["roles"].get(Role::Issuer.as_str()).is_none() {
        let grant = GovernanceMsg::GrantRole { account: member.public_key().address(), role: Role::Issuer };
        propose(client, &council, GovernanceMsg::propose(&grant, "the federation's member account", expires)).await?;
    }
    let federation = TxBuilder::new(chain_id, demo_key(home, "employment-insurance")?);
    for e in employers {
        client.send(&federation, &LabourMsg::VouchEmployer { employer: e.public_key().address() }).await?;
    }
    Ok(())
}

/// An employers' app: plain HTTP and JSON with its token, messages signed on its side.
struct App {
    http: reqwest::Client,
    base: String,
    token: String,
    chain_id: String,
}

impl App {
    async fn call(&self, req: reqwest::RequestBuilder, what: &str) -> anyhow::Result<Value> {
        let resp = req.bearer_auth(&self.token).send().await.with_context(|| format!("{what}: the desk"))?;
        let status = resp.status();
        let body: Value = resp.json().await.with_context(|| format!("{what}: not JSON"))?;
        if !status.is_success() {
            bail!("{what}: the desk answered {status}: {}", body["detail"]);
        }
        Ok(body)
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.call(self.http.post(format!("{}{path}", self.base)).json(&body), path).await
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.call(self.http.get(format!("{}{path}", self.base)), path).await
    }

    /// Posts a party's own request, signed with their account (the worker asking for their
    /// career certificate), which the app forwards.
    async fn post_signed(&self, path: &str, body: Value, key: &Keypair) -> anyhow::Result<Value> {
        let bytes = serde_json::to_vec(&body)?;
        let signed = dojang_private::request::Signed {
            chain_id: &self.chain_id,
            method: "POST",
            path,
            time_ms: dojang_types::wall_clock_ms(),
            body: &bytes,
            reply_key: None,
        };
        let mut req = self.http.post(format!("{}{path}", self.base)).header("content-type", "application/json");
        for (name, value) in signed.sign(key)? {
            req = req.header(name, value);
        }
        self.call(req.body(bytes), path).await
    }

    /// Signs `sign` (the `{module, msg}` the desk answered, or one the party writes) as `key`
    /// and relays it through the desk.
    async fn relay(&self, key: &Keypair, sign: &Value) -> anyhow::Result<Value> {
        let module = sign["module"].as_str().context("no module to sign")?;
        let tx = TxBuilder::new(self.chain_id.clone(), key.duplicate()).try_build(module, &sign["msg"])?;
        self.post("/labour/v1/txs", json!({"tx": hex::encode(dojang_types::encode(&tx))})).await
    }
}

/// One worker's contract from draft to the last confirmed week, from the Monday `start`. Unless the employer is one that never reports, it declares the insurance reports filed
/// three days after the start.
async fn employ(
    app: &App,
    w: &Worker,
    employer: &Keypair,
    weeks: usize,
    start: Date,
    today: Date,
) -> anyhow::Result<Employed> {
    // A contract ends only after its first week (a short demo may not reach that far back).
    let ended = w.ended_days_ago.map(|n| today.plus_days(-n)).filter(|end| *end >= start.plus_days(6));
    let worker = Keypair::generate(Algorithm::Ed25519);
    let parties = json!({"employer_name": business_name(w.business), "worker_name": w.name});
    let new = json!({
        "employer": employer.public_key().address(),
        "worker": worker.public_key().address(),
        "parties": parties,
        "terms": w.draft(start),
    });
    let stored = app.post("/labour/v1/contracts", new).await?;
    let id = stored["contract"].as_str().context("no contract id")?.to_string();
    app.relay(employer, &stored["sign"]).await?;
    let sign = LabourMsg::Sign {
        contract: id.clone(),
        version: 1,
        commitment: serde_json::from_value(stored["commitment"].clone())?,
    };
    app.relay(&worker, &json!({"module": "labour", "msg": sign})).await?;
    let mut committed = 0;
    // The pay of the weeks, by the month (its last day) each week starts in.
    let mut paid: BTreeMap<Date, u64> = BTreeMap::new();
    for n in 0..weeks {
        let mut week = w.week(start, n);
        if let Some(end) = ended {
            // Not a week that starts after the end, nor a day after it.
            if start.plus_days(7 * n as i64) > end {
                break;
            }
            if let Some(days) = week["days"].as_array_mut() {
                days.retain(|d| d["date"].as_str().is_some_and(|s| s <= end.to_string().as_str()));
            }
        }
        committed += 1;
        let pay = &week["pay"];
        let week_pay = pay["base_krw"].as_u64().unwrap_or(0) + pay["weekly_holiday_krw"].as_u64().unwrap_or(0);
        *paid.entry(serde_json::from_value::<Date>(week["monday"].clone())?.month_end()).or_default() += week_pay;
        let ts = app.post(&format!("/labour/v1/contracts/{id}/timesheets"), json!({"week": week})).await?;
        app.relay(employer, &ts["sign"]).await?;
        let confirm = LabourMsg::ConfirmTimesheet {
            contract: id.clone(),
            monday: serde_json::from_value(week["monday"].clone())?,
            agree: true,
        };
        app.relay(&worker, &json!({"module": "labour", "msg": confirm})).await?;
    }
    if w.conduct != Conduct::Unreported {
        for insurance in dojang_labour::exec::INSURANCES {
            let declared = json!({"insurance": insurance, "reported_on": start.plus_days(3)});
            app.post(&format!("/labour/v1/contracts/{id}/reports"), declared).await?;
        }
    }
    // Each month that ended before the contract did is paid on the 10th of the next (LAB-09);
    // a final pay is never recorded, so the engine finds it due or missed.
    for (month_end, amount) in paid {
        let day = dojang_labour::rules::payment::pay_day_after(month_end, 10);
        if month_end >= today || day > today || ended.is_some_and(|end| month_end >= end) || amount == 0 {
            continue;
        }
        let payment = json!({"date": day, "amount_krw": amount, "covers_until": month_end,
            "payslip": w.payslips, "to_own_account": true});
        app.post(&format!("/labour/v1/contracts/{id}/payments"), json!({"payment": payment})).await?;
    }
    if let Some(end) = ended {
        let terminate = LabourMsg::Terminate { contract: id.clone(), ends: end };
        app.relay(employer, &json!({"module": "labour", "msg": terminate})).await?;
    }
    Ok(Employed { id, weeks: committed, ended: ended.is_some(), worker })
}

/// One worker's contract as the demo made it.
struct Employed {
    id: String,
    weeks: usize,
    ended: bool,
    /// The worker's account key (their wallet's), which signed the contract.
    worker: Keypair,
}

#[derive(Default)]
struct RuleTally {
    contracts: usize,
    findings: usize,
    owed_krw: u64,
}

async fn labour(args: &LabourDemoArgs, url: &str, home: &Path, member: Keypair, work: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let client = Client::new(url);
    let chain_id = client.status().await?["chain_id"].as_str().context("status has no chain_id")?.to_string();
    let employers: Vec<Keypair> = (0..args.businesses).map(|_| Keypair::generate(Algorithm::P256)).collect();
    setup(&client, &chain_id, home, &member, &employers).await?;
    eprintln!("chain ready: labour and collections on, collection defined, {} businesses vouched", employers.len());
    let chain = dojang_sdk::Chain::connect(url).await?;
    // Random, not the clock: two runs on a kept chain may start within the same second, and
    // key ids are never reused (ID-04).
    let run = format!("r{:08x}", rand::random::<u32>());
    let stage = dojang_eligibility_service::demo::setup::Stage { chain: &chain, node: url, home, dir: work, run: &run };
    let hand = career::Stagehand::new(stage, url)?;
    let (_federation_issuer, career_settings) = career::federation_issuer(&hand).await?;

    let (token, hash) = desk::new_token();
    let app_entry = ClientEntry {
        id: "federation-contract-app".into(),
        token_sha256: hash,
        employers: employers.iter().map(|e| e.public_key().address()).collect(),
        per_minute: 100_000,
    };
    let desk = Desk::open(DeskSettings {
        node: url.to_string(),
        member,
        collection: COLLECTION.into(),
        store: work.join("desk.redb"),
        clients: vec![app_entry],
        career: Some(career_settings),
    })
    .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let engine = desk.clone();
    let serving = tokio::spawn(desk::serve(desk, listener, async {
        let _ = stopped.await;
    }));
    let app = App { http: reqwest::Client::new(), base, token, chain_id };

    let workers: Vec<Worker> = (0..args.workers).map(|i| people::worker(i, args.businesses)).collect();
    // The contracts start `weeks` weeks before this week's Monday, so every week is worked.
    let today = Date::from_unix_ms_kst(dojang_types::wall_clock_ms());
    let start = today.plus_days(-i64::from(today.weekday()) - 7 * args.weeks as i64);
    let employed: Vec<Employed> = stream::iter(0..workers.len())
        .map(|i| employ(&app, &workers[i], &employers[workers[i].business], args.weeks, start, today))
        .buffered(args.parallel.max(1))
        .try_collect()
        .await?;
    let timesheets: usize = employed.iter().map(|e| e.weeks).sum();
    let ended = employed.iter().filter(|e| e.ended).count();
    let ids: Vec<String> = employed.iter().map(|e| e.id.clone()).collect();
    eprintln!("{} contracts registered and signed, {timesheets} weeks committed and confirmed", ids.len());

    let mut by_rule: BTreeMap<String, RuleTally> = BTreeMap::new();
    let mut owed_total = 0u64;
    let mut deadlines_set = 0;
    for (i, id) in ids.iter().enumerate() {
        let report = app.get(&format!("/labour/v1/contracts/{id}/findings")).await?;
        for d in report["to_put_on_chain"].as_array().into_iter().flatten() {
            app.relay(&employers[workers[i].business], &d["sign"]).await?;
            deadlines_set += 1;
        }
        owed_total += report["owed_krw"].as_u64().unwrap_or_default();
        let mut seen = std::collections::BTreeSet::new();
        for f in report["findings"].as_array().into_iter().flatten() {
            let rule = f["rule"].as_str().unwrap_or("?").to_string();
            let t = by_rule.entry(rule.clone()).or_default();
            t.findings += 1;
            t.owed_krw += f["owed_krw"].as_u64().unwrap_or_default();
            if seen.insert(rule) {
                t.contracts += 1;
            }
        }
    }

    let pass = engine.engine_pass().await;
    // Each worker whose job ended asks for their certificate; the app forwards the request.
    let mut offers = Vec::with_capacity(ended);
    for e in employed.iter().filter(|e| e.ended) {
        let path = format!("/labour/v1/contracts/{}/career-certificate", e.id);
        offers.push(app.post_signed(&path, json!({}), &e.worker).await?);
    }
    let used = career::receive_and_apply(&hand, &offers).await?;
    // One underpaid worker whose job goes on files an anonymous grievance.
    let complainant = workers.iter().position(|w| w.conduct == Conduct::UnderMinimum && w.ended_days_ago.is_none());
    let filed = match complainant {
        Some(i) => Some(
            grievance::file_one(url, &app.chain_id, &work.join("centre.redb"), &employed[i].worker, &employed[i].id)
                .await?,
        ),
        None => None,
    };
    let mut names: Vec<String> = workers.iter().map(|w| w.name.clone()).collect();
    names.extend((0..args.businesses).flat_map(|b| [business_name(b), workplace(b)]));
    names.sort();
    names.dedup();
    names.extend(used.residents.iter().cloned());
    names.sort();
    names.dedup();
    let mut needles: Vec<(String, Vec<u8>)> = names.iter().flat_map(|n| scan::forms(n)).collect();
    needles.extend(PERSONAL_FIELDS.iter().map(|f| (format!("field {f}"), format!("\"{f}\"").into_bytes())));
    let (outsider, outsider_height) = outsider::follow(home, url, work).await?;
    let places = [home.to_path_buf(), work.join("desk.redb"), work.join("centre.redb"), outsider];
    let skip = [home.join("data").join("private"), home.join("keys")];
    let found = scan::search(&places, &skip, &needles)?;

    println!("labour demo: {} businesses, {} workers, {} weeks each", args.businesses, args.workers, args.weeks);
    println!("contracts registered and signed by their workers: {}", ids.len());
    println!("timesheets committed and confirmed: {timesheets}");
    println!("contracts ended (final pay due 14 days after): {ended}");
    println!("findings by rule (contracts, findings, owed to workers):");
    for (rule, t) in &by_rule {
        println!("  {rule}  {:>5} contracts  {:>6} findings  {:>12} KRW", t.contracts, t.findings, t.owed_krw);
    }
    println!("owed to workers in all: {owed_total} KRW");
    println!(
        "career certificates offered by the desk and received by the workers' wallets: {} of {ended}",
        used.received
    );
    println!(
        "applications to {} with them: {} eligible, not eligible by condition {:?}, refused {:?}",
        used.program, used.eligible, used.not_eligible, used.refused
    );
    println!("deadlines put on chain by employers: {deadlines_set}");
    match &filed {
        Some(f) => println!(
            "anonymous grievance: report {} against employer {} for {}; the reports the centre's staff read name {}",
            f.report,
            f.employer,
            f.period,
            if f.names_worker_or_contract {
                "the worker or the contract"
            } else {
                "neither the worker nor the contract"
            }
        ),
        None => println!("anonymous grievance: none (no underpaid worker with a job in force at this size)"),
    }
    println!(
        "the engine's pass: {} contracts judged, alerts by rule: {}",
        pass.contracts,
        if pass.alerts.is_empty() { "none".to_string() } else { format!("{:?}", pass.alerts) }
    );
    println!(
        "personal data outside the private store: {} (searched {} files, {} bytes, in this node, the desk, the centre and a node outside the collection caught up to height {outsider_height}, for {} names, workplaces and resident numbers, as written and as unsalted SHA-256, and the fields {})",
        if found.hits.is_empty() { "none".to_string() } else { format!("{:?}", found.hits) },
        found.files,
        found.bytes,
        names.len(),
        PERSONAL_FIELDS.join(", ")
    );
    let rules: serde_json::Map<String, Value> = by_rule
        .iter()
        .map(|(r, t)| (r.clone(), json!({"contracts": t.contracts, "findings": t.findings, "owed_krw": t.owed_krw})))
        .collect();
    println!(
        "{}",
        json!({
            "demo": "labour",
            "businesses": args.businesses,
            "workers": args.workers,
            "weeks": args.weeks,
            "contracts": ids.len(),
            "timesheets": timesheets,
            "ended": ended,
            "rules": rules,
            "owed_krw": owed_total,
            "deadlines_set": deadlines_set,
            "career": {"offered": offers.len(), "received": used.received, "eligible": used.eligible,
                "not_eligible": used.not_eligible, "refused": used.refused},
            "engine": {"contracts": pass.contracts, "skipped": pass.skipped, "alerts": pass.alerts},
            "grievance": filed.as_ref().map(|f| json!({"report": f.report, "period": f.period,
                "names_worker_or_contract": f.names_worker_or_contract})),
            "personal_data_hits": found.hits.len(),
            "personal_data_scan": {"files": found.files, "bytes": found.bytes, "outsider_height": outsider_height},
            "seconds": started.elapsed().as_secs_f64(),
        })
    );
    if !found.hits.is_empty() {
        bail!("personal data was found outside the private store");
    }
    if filed.as_ref().is_some_and(|f| f.names_worker_or_contract) {
        bail!("the grievance centre's records name the worker or the contract");
    }
    if args.stay {
        println!("labour desk on {} (app token: {}); Ctrl-C stops the desk and the node", app.base, app.token);
        let _ = tokio::signal::ctrl_c().await;
    }
    let _ = stop.send(());
    serving.await??;
    Ok(())
}
