use std::convert::Infallible;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;
use serde_json::json;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

use crate::problem::Problem;
use crate::AppState;

/// `GET /v1/events`: a server-sent event per finalized block, with its receipts. A slow
/// client that falls behind gets a `lagged` event saying how many blocks it missed, and can
/// fetch them from `/v1/blocks/{height}`. Each event serializes a whole block's receipts, so
/// it is built on the blocking pool.
///
/// A stream holds its connection (which is then never evicted) for as long as the client
/// likes, so at most `max_event_streams` are open at once; beyond that the answer is 503
/// `too-many-streams`, and the connection cap keeps room for everything else.
pub async fn stream(State(s): State<AppState>) -> Response {
    let Ok(permit) = s.event_streams.clone().try_acquire_owned() else {
        let problem = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too-many-streams",
            format!(
                "this node already serves its maximum of {} event streams; retry later, poll /v1/blocks/latest, or use another node",
                s.settings.max_event_streams
            ),
        );
        return ([(header::RETRY_AFTER, "10")], problem).into_response();
    };
    let rx = s.ledger.subscribe();
    let events = BroadcastStream::new(rx).then(|item| async move {
        let event = tokio::task::spawn_blocking(move || match item {
            Ok(c) => {
                let mut data = json!({
                    "height": c.block.header.height,
                    "hash": c.block.hash(),
                    "time_ms": c.block.header.time_ms,
                    "tx_count": c.block.txs.len(),
                    "receipts": c.receipts,
                });
                // What block hooks and deadlines emitted, only when there is something.
                if !c.hook_events.is_empty() {
                    data["hook_events"] = json!(c.hook_events);
                }
                Event::default().event("block").json_data(data).unwrap_or_else(|_| Event::default().event("error"))
            }
            Err(BroadcastStreamRecvError::Lagged(n)) => Event::default().event("lagged").data(n.to_string()),
        })
        .await;
        Ok::<_, Infallible>(event.unwrap_or_else(|_| Event::default().event("error")))
    });
    // The permit is released when the stream is dropped (the client went away, or shutdown).
    let events = events.map(move |e| {
        let _held = &permit;
        e
    });
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
}
