//! The API description. Every status an operation can answer is declared for it, with the
//! problem document's schema for errors, and parameter schemas are exactly as strict as the
//! handlers (so a schema-driven tester finds no answer the document does not promise).

use axum::Json;
use serde_json::{json, Value};

use crate::state::{MAX_KEYS_PAGE, MAX_KEY_BYTES};

/// A 32-byte hash or transaction id: 64 hex digits, optionally after `0x`.
const HASH_PATTERN: &str = "^(0x)?[0-9a-fA-F]{64}$";

fn op(summary: &str, params: Value, body: Option<&str>, responses: Value) -> Value {
    let mut o = json!({ "summary": summary, "parameters": params, "responses": responses });
    if let Some(schema) = body {
        o["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } });
    }
    o
}

/// Also takes the signed transaction's bytes as they are.
fn with_octet_stream_body(mut op: Value) -> Value {
    op["requestBody"]["content"]["application/octet-stream"] =
        json!({ "schema": { "type": "string", "format": "binary" } });
    op
}

fn path_param(name: &str, desc: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": desc, "schema": schema })
}

fn query_param(name: &str, desc: &str, required: bool, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": required, "description": desc, "schema": schema })
}

/// A whole number as the handlers read it (Rust `u64`).
fn uint(minimum: u64) -> Value {
    json!({ "type": "integer", "minimum": minimum, "maximum": u64::MAX })
}

/// The success answer (status, description, media type) and the error statuses, each
/// answered with a problem document. Every operation can answer 400 (a path or query string
/// that does not decode), 429 (the per-client rate limit) and 503 `at-capacity` (every
/// connection the node allows is busy, and the request came on one of the connections kept
/// for health checks).
fn responses(ok: &[(&str, &str, &str)], errors: &[u16]) -> Value {
    let mut r = serde_json::Map::new();
    for (status, desc, media) in ok {
        r.insert(status.to_string(), json!({ "description": desc, "content": { *media: { "schema": {} } } }));
    }
    for status in [400, 429, 503].iter().chain(errors) {
        r.insert(status.to_string(), json!({ "$ref": "#/components/responses/Problem" }));
    }
    Value::Object(r)
}

const JSON: &str = "application/json";

/// The path of a private collection (and record) and the headers that sign the request.
fn private_params(with_key: bool) -> Value {
    let header = |name: &str, desc: &str| json!({ "name": name, "in": "header", "required": false, "description": desc, "schema": { "type": "string" } });
    let mut params = vec![path_param(
        "collection",
        "collection id",
        json!({ "type": "string", "pattern": "^[a-z0-9][a-z0-9_.-]{0,31}$" }),
    )];
    if with_key {
        params.push(path_param(
            "key",
            "record key, as the member's node drew it",
            json!({ "type": "string", "pattern": "^[0-9a-f]{32}$" }),
        ));
        params.push(header("x-dojang-reply-key", "a one-time X25519 public key (hex) the answer is sealed to"));
    }
    params.extend([
        header("x-dojang-key", "the signing account's public key"),
        header("x-dojang-time", "milliseconds since 1970, within a minute of the node's clock"),
        header("x-dojang-signature", "hex signature over the chain id, method, path, time, body hash and reply key"),
    ]);
    Value::Array(params)
}

/// `GET /openapi.json`: the API description (OpenAPI 3.1).
pub async fn document() -> Json<Value> {
    let height = || uint(0);
    Json(json!({
        "openapi": "3.1.0",
        "info": { "title": "dojang node API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Submit signed transactions, read blocks and receipts, read state with Merkle proofs. Errors are RFC 9457 problem details." },
        "paths": {
            "/health": { "get": op("Liveness: 200 `ok` while blocks are recent, `catching_up` while fetching blocks from peers; 503 with the reason when the last block is too old",
                json!([]), None, responses(&[("200", "live", JSON)], &[503])) },
            "/ready": { "get": op("Readiness for a load balancer: 200 when the node serves reads and takes transactions; 503 with the reason otherwise",
                json!([]), None, responses(&[("200", "ready", JSON)], &[503])) },
            "/metrics": { "get": op("Prometheus metrics", json!([]), None, responses(&[("200", "text exposition format", "text/plain")], &[])) },
            "/openapi.json": { "get": op("This document", json!([]), None, responses(&[("200", "OpenAPI 3.1", JSON)], &[])) },
            "/v1/status": { "get": op("Chain id, height, validators, modules", json!([]), None, responses(&[("200", "status", JSON)], &[])) },
            "/v1/txs": { "post": with_octet_stream_body(op("Submit one signed transaction (hex of its canonical encoding, or an application/octet-stream body)",
                json!([query_param("wait", "answer when the transaction is final", false, json!({ "type": "boolean" })),
                       query_param("timeout_ms", "longest wait (capped by the node's api.max_wait_ms)", false, uint(0))]),
                Some("SubmitTx"),
                responses(&[("200", "final, with receipt", JSON), ("202", "admitted, not final yet", JSON)], &[403, 409, 413, 503]))) },
            "/v1/txs/batch": { "post": op("Submit many transactions; one verdict each", json!([]), Some("SubmitBatch"),
                responses(&[("200", "verdicts", JSON)], &[413])) },
            "/v1/txs/{id}": { "get": op("A committed transaction and its receipt, its exact bytes (tx_hex) and Merkle paths of its id and receipt into the header's txs_root and receipts_root",
                json!([path_param("id", "transaction id", json!({ "type": "string", "pattern": HASH_PATTERN }))]), None,
                responses(&[("200", "transaction", JSON)], &[404])) },
            "/v1/blocks/latest": { "get": op("The last finalized block with its commit certificate", json!([]), None,
                responses(&[("200", "block", JSON)], &[404])) },
            "/v1/blocks/{height}": { "get": op("A finalized block by height", json!([path_param("height", "block height", height())]), None,
                responses(&[("200", "block", JSON)], &[404])) },
            "/v1/blocks/by-hash/{hash}": { "get": op("A finalized block by hash",
                json!([path_param("hash", "block hash", json!({ "type": "string", "pattern": HASH_PATTERN }))]), None,
                responses(&[("200", "block", JSON)], &[404])) },
            "/v1/state": { "get": op("The latest value of a state key with its proof through the state trie, the latest header and its commit certificate (give exactly one of key and key_hex)",
                json!([query_param("key", "state key as text", false, json!({ "type": "string", "minLength": 1, "maxLength": MAX_KEY_BYTES })),
                       query_param("key_hex", "state key as hex", false, json!({ "type": "string", "pattern": "^([0-9a-fA-F]{2})+$", "maxLength": 2 * MAX_KEY_BYTES })),
                       query_param("height", "block height: the latest, which is all a node keeps (410 for an older one)", false, height())]),
                None, responses(&[("200", "value and proof", JSON)], &[404, 410])) },
            "/v1/state/keys": { "get": op("Keys under a prefix in the latest state, in key order: an index to list registries with, each key then read with its proof from /v1/state",
                json!([query_param("prefix", "key prefix as text, e.g. identity/orgs/", true, json!({ "type": "string", "maxLength": MAX_KEY_BYTES })),
                       query_param("after", "continue after this key (next_after of the previous page)", false, json!({ "type": "string", "maxLength": MAX_KEY_BYTES })),
                       query_param("after_hex", "or after this key as hex (next_after_hex)", false, json!({ "type": "string", "pattern": "^([0-9a-fA-F]{2})*$", "maxLength": 2 * MAX_KEY_BYTES })),
                       query_param("limit", "at most this many keys", false, json!({ "type": "integer", "minimum": 1, "maximum": MAX_KEYS_PAGE }))]),
                None, responses(&[("200", "keys", JSON)], &[])) },
            "/v1/query/{module}/{path}": { "get": op("A module's read-only query (e.g. governance param/minimum_wage/hourly_krw?as_of=2026-03-01); the module's own parameters go in the query string",
                json!([path_param("module", "module name", json!({ "type": "string" })), path_param("path", "query path (may contain /)", json!({ "type": "string" }))]),
                None, responses(&[("200", "answer", JSON)], &[404])) },
            "/v1/events": { "get": op("Server-sent events: one `block` event per finalized block with receipts; 503 `too-many-streams` when the node already serves api.max_event_streams",
                json!([]), None, responses(&[("200", "event stream", "text/event-stream")], &[503])) },
            "/v1/validators": { "get": op("The validator set deciding a height (the next if absent), with its proof against block h-1",
                json!([query_param("height", "block height", false, height())]), None,
                responses(&[("200", "validator set", JSON)], &[404])) },
            "/v1/sync/blocks": { "get": op("Finalized blocks with certificates for catch-up (octet-stream, borsh Vec<(block bytes, Commit)>)",
                json!([query_param("from", "first height", true, uint(1)),
                       query_param("max", "at most this many (more than 1000 counts as 1000, 0 as 1)", false, uint(0))]),
                None, responses(&[("200", "blocks", "application/octet-stream")], &[])) },
            "/v1/admin/snapshot": { "get": op("For the node's operator (Authorization: Bearer <admin.token in the node's home>): a consistent copy of the store as of the last finalized block, as a redb file; its height in x-dojang-height. 404 where no token is configured; `dojang backup` uses it",
                json!([{ "name": "Authorization", "in": "header", "required": false, "description": "Bearer <admin token>", "schema": { "type": "string" } }]), None,
                responses(&[("200", "store snapshot", "application/octet-stream")], &[401, 404, 409])) },
            "/v1/node": { "get": op("For the node's operator (Authorization: Bearer <admin.token in the node's home>): health, peers, the height each validator was last heard at, mempool and refusals, commit latency, store size and disk waits, consensus counters, recent warnings. 404 where no token is configured",
                json!([{ "name": "Authorization", "in": "header", "required": false, "description": "Bearer <admin token>", "schema": { "type": "string" } }]), None,
                responses(&[("200", "node report", JSON)], &[401, 404])) },
            "/v1/private/{collection}": {
                "post": {
                    "summary": "Keep a member's payload (the body, as is) under a record key and salt the node draws, before it is recorded; answers the key, the commitment and the `record` message to send. Signed by a member account's key (docs/modules/collections.md)",
                    "parameters": private_params(false),
                    "requestBody": { "required": true, "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } },
                    "responses": responses(&[("201", "stored: the key, the commitment and the record message", JSON)], &[401, 403, 404, 413])
                }
            },
            "/v1/private/{collection}/{key}": {
                "get": op("A private collection's payload and salt for a member, sealed to the one-time reply key the request signed; answered only by a member organisation's node",
                    private_params(true), None,
                    responses(&[("200", "the ledger's commitment and the sealed payload and salt", JSON)], &[401, 403, 404, 410]))
            },
            "/v1/evidence": { "get": op("Equivocation evidence seen by this node, with both signatures",
                json!([query_param("from_height", "lowest height", false, height()),
                       query_param("limit", "at most this many (more than 1000 counts as 1000, 0 as 1)", false, uint(0))]),
                None, responses(&[("200", "evidence", JSON)], &[])) }
        },
        "components": {
            "schemas": {
                "SubmitTx": { "type": "object", "required": ["tx"], "additionalProperties": false,
                              "properties": { "tx": { "type": "string", "pattern": "^(0x)?([0-9a-fA-F]{2})*$",
                                                      "description": "hex of borsh(SignedTx); see docs/transactions.md" } } },
                "SubmitBatch": { "type": "object", "required": ["txs"], "additionalProperties": false,
                                 "properties": { "txs": { "type": "array", "items": { "type": "string" }, "minItems": 1, "maxItems": 20000 } } },
                "Problem": { "type": "object", "required": ["type", "title", "status", "detail"], "additionalProperties": false,
                             "properties": { "type": { "type": "string", "format": "uri" }, "title": { "type": "string" },
                                             "status": { "type": "integer", "minimum": 400, "maximum": 599 }, "detail": { "type": "string" } } }
            },
            "responses": {
                "Problem": { "description": "RFC 9457 problem details",
                             "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
            }
        }
    }))
}
