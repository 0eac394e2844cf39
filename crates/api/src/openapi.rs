use axum::Json;
use serde_json::{json, Value};

fn op(summary: &str, params: Value, body: Option<&str>, responses: Value) -> Value {
    let mut o = json!({ "summary": summary, "parameters": params, "responses": responses });
    if let Some(schema) = body {
        o["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } });
    }
    o
}

fn path_param(name: &str, desc: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": desc, "schema": { "type": "string" } })
}

fn query_param(name: &str, desc: &str, kind: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": desc, "schema": { "type": kind } })
}

fn ok(desc: &str) -> Value {
    json!({ "200": { "description": desc }, "4XX": { "$ref": "#/components/responses/Problem" } })
}

/// `GET /openapi.json`: the API description (OpenAPI 3.1).
pub async fn document() -> Json<Value> {
    Json(json!({
        "openapi": "3.1.0",
        "info": { "title": "dojang node API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Submit signed transactions, read blocks and receipts, read state with Merkle proofs. Errors are RFC 9457 problem details." },
        "paths": {
            "/health": { "get": op("Liveness and age of the last block", json!([]), None, ok("status")) },
            "/metrics": { "get": op("Prometheus metrics", json!([]), None, ok("text exposition format")) },
            "/v1/status": { "get": op("Chain id, height, validators, modules", json!([]), None, ok("status")) },
            "/v1/txs": { "post": op("Submit one signed transaction (hex of its canonical encoding, or an application/octet-stream body)",
                json!([query_param("wait", "answer when the transaction is final", "boolean"), query_param("timeout_ms", "longest wait", "integer")]),
                Some("SubmitTx"),
                json!({ "200": { "description": "final, with receipt" }, "202": { "description": "admitted, not final yet" },
                        "4XX": { "$ref": "#/components/responses/Problem" }, "503": { "$ref": "#/components/responses/Problem" } })) },
            "/v1/txs/batch": { "post": op("Submit many transactions; one verdict each", json!([]), Some("SubmitBatch"), ok("verdicts")) },
            "/v1/txs/{id}": { "get": op("A committed transaction and its receipt", json!([path_param("id", "transaction id (hex)")]), None, ok("transaction")) },
            "/v1/blocks/latest": { "get": op("The last finalized block with its commit certificate", json!([]), None, ok("block")) },
            "/v1/blocks/{height}": { "get": op("A finalized block by height", json!([path_param("height", "block height")]), None, ok("block")) },
            "/v1/blocks/by-hash/{hash}": { "get": op("A finalized block by hash", json!([path_param("hash", "block hash (hex)")]), None, ok("block")) },
            "/v1/state": { "get": op("A state value with a Jellyfish Merkle proof, the header and its commit certificate",
                json!([query_param("key", "state key as text", "string"), query_param("key_hex", "state key as hex", "string"), query_param("height", "block height (latest if absent)", "integer")]),
                None, ok("value and proof")) },
            "/v1/query/{module}/{path}": { "get": op("A module's read-only query (e.g. governance param/minimum_wage/hourly_krw?as_of=2026-03-01)",
                json!([path_param("module", "module name"), path_param("path", "query path")]), None, ok("answer")) },
            "/v1/events": { "get": op("Server-sent events: one `block` event per finalized block with receipts", json!([]), None,
                json!({ "200": { "description": "text/event-stream" } })) },
            "/v1/validators": { "get": op("The validator set deciding a height (the next if absent), with its proof against block h-1",
                json!([query_param("height", "block height", "integer")]), None, ok("validator set")) },
            "/v1/sync/blocks": { "get": op("Finalized blocks with certificates for catch-up (octet-stream, borsh Vec<(block bytes, Commit)>)",
                json!([query_param("from", "first height (>= 1)", "integer"), query_param("max", "at most this many (<= 1000)", "integer")]),
                None, json!({ "200": { "description": "application/octet-stream" } })) },
            "/v1/evidence": { "get": op("Equivocation evidence seen by this node, with both signatures",
                json!([query_param("from_height", "lowest height", "integer"), query_param("limit", "at most this many (<= 1000)", "integer")]),
                None, ok("evidence")) }
        },
        "components": {
            "schemas": {
                "SubmitTx": { "type": "object", "required": ["tx"], "additionalProperties": false,
                              "properties": { "tx": { "type": "string", "description": "hex of borsh(SignedTx); see docs/transactions.md" } } },
                "SubmitBatch": { "type": "object", "required": ["txs"], "additionalProperties": false,
                                 "properties": { "txs": { "type": "array", "items": { "type": "string" }, "minItems": 1, "maxItems": 20000 } } },
                "Problem": { "type": "object", "properties": { "type": { "type": "string" }, "title": { "type": "string" },
                             "status": { "type": "integer" }, "detail": { "type": "string" } } }
            },
            "responses": {
                "Problem": { "description": "RFC 9457 problem details",
                             "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
            }
        }
    }))
}
