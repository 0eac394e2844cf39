use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt as _};
use serde_json::json;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

use crate::AppState;

/// `GET /v1/events`: a server-sent event per finalized block, with its receipts. A slow
/// client that falls behind gets a `lagged` event saying how many blocks it missed, and can
/// fetch them from `/v1/blocks/{height}`. Each event serializes a whole block's receipts, so
/// it is built on the blocking pool.
pub async fn stream(State(s): State<AppState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = s.ledger.subscribe();
    let events = BroadcastStream::new(rx).then(|item| async move {
        let event = tokio::task::spawn_blocking(move || match item {
            Ok(c) => Event::default()
                .event("block")
                .json_data(json!({
                    "height": c.block.header.height,
                    "hash": c.block.hash(),
                    "time_ms": c.block.header.time_ms,
                    "tx_count": c.block.txs.len(),
                    "receipts": c.receipts,
                }))
                .unwrap_or_else(|_| Event::default().event("error")),
            Err(BroadcastStreamRecvError::Lagged(n)) => Event::default().event("lagged").data(n.to_string()),
        })
        .await;
        Ok(event.unwrap_or_else(|_| Event::default().event("error")))
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}
