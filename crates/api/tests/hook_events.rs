//! The event stream carries what block hooks and deadlines emitted, and nothing extra when
//! they emitted nothing.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use dojang_api::{router, ApiSettings};
use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::{
    BlockApp, BlockContext, Genesis, GenesisValidator, Ledger, LedgerConfig, ModuleError, NoGenesis, Permit, Router,
    StateRead, StateWrite, TxContext, TypedModule,
};
use dojang_store::Store;
use dojang_types::{Commit, Event};
use http_body_util::BodyExt;
use tower::ServiceExt;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NoMsg {}

/// Emits a `tick` at the end of every block.
struct Ticker;

impl TypedModule for Ticker {
    const NAME: &'static str = "ticker";
    type Msg = NoMsg;
    type Genesis = NoGenesis;

    fn init_genesis(&self, _: &mut dyn StateWrite, _: NoGenesis) -> Result<(), ModuleError> {
        Ok(())
    }

    fn check(&self, _: &NoMsg) -> Result<Permit, ModuleError> {
        Ok(Permit::OwnRules)
    }

    fn execute(&self, _: &TxContext, _: &mut dyn StateWrite, _: NoMsg) -> Result<Vec<Event>, ModuleError> {
        Ok(vec![])
    }

    fn end_block(&self, ctx: &BlockContext, _: &mut dyn StateWrite) -> Result<Vec<Event>, ModuleError> {
        Ok(vec![Event::new("ticker", "tick").with("height", ctx.height)])
    }

    fn query(&self, _: &dyn StateRead, _: &str, _: &serde_json::Value) -> Result<serde_json::Value, ModuleError> {
        Ok(serde_json::Value::Null)
    }
}

async fn first_block_event(with_ticker: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let genesis = Genesis {
        chain_id: "hooks".into(),
        genesis_time_ms: 1_700_000_000_000,
        validators: vec![GenesisValidator {
            name: "v".into(),
            public_key: Keypair::generate(Algorithm::Ed25519).public_key(),
            power: 1,
        }],
        modules: Default::default(),
    };
    let routes = if with_ticker { Router::new().with_typed(Ticker) } else { Router::new() };
    let store = Store::open(&dir.path().join("db.redb")).unwrap();
    let ledger = Arc::new(Ledger::open(store, routes, genesis, LedgerConfig::default()).unwrap());
    let app = router(ledger.clone(), ApiSettings::default());
    let resp = app.oneshot(Request::builder().uri("/v1/events").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let h = ledger.next_height();
    let b = ledger.propose(h, Default::default(), Duration::from_secs(1)).unwrap();
    ledger.commit(h, &b.hash(), Commit { height: h, round: 0, block_hash: b.hash(), signatures: vec![] }).unwrap();
    let mut body = resp.into_body();
    let frame = tokio::time::timeout(Duration::from_secs(5), body.frame()).await.unwrap().unwrap().unwrap();
    String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap()
}

#[tokio::test]
async fn block_events_carry_hook_events_only_when_there_are_some() {
    let text = first_block_event(true).await;
    assert!(text.starts_with("event: block"), "{text}");
    assert!(text.contains("\"hook_events\"") && text.contains("\"tick\""), "{text}");
    let quiet = first_block_event(false).await;
    assert!(quiet.starts_with("event: block") && !quiet.contains("hook_events"), "{quiet}");
}
