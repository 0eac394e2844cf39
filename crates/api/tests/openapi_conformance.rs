//! Walks the API's own OpenAPI document and, for every operation and every parameter, sends
//! malformed values (undecodable percent-encodings, non-numbers, overflowing and overlong
//! values, repeated parameters). Each must be refused with a 400 problem document whose
//! status the document declares for that operation, and the same request with a good value
//! must not be refused the same way (so the bad value, not something else, was caught).

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use dojang_api::{router, ApiSettings};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

struct Answer {
    status: StatusCode,
    ctype: String,
    body: Value,
}

async fn send(app: &axum::Router, method: &Method, uri: &str, body: Option<&Value>) -> Answer {
    let req = Request::builder()
        .method(method.clone())
        .uri(uri)
        .header("content-type", "application/json")
        .body(body.map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let ctype = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    // An event stream never ends: only its status matters here.
    let body = if ctype.starts_with("text/event-stream") {
        Value::Null
    } else {
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    };
    Answer { status, ctype, body }
}

/// A value the parameter's schema accepts.
fn good_value(name: &str, schema: &Value) -> String {
    match (name, schema["type"].as_str()) {
        ("module", _) => "governance".into(),
        ("path", _) => "role/admin".into(),
        (_, Some("integer")) => schema["minimum"].as_u64().unwrap_or(0).to_string(),
        (_, Some("boolean")) => "true".into(),
        _ if schema["pattern"].as_str().is_some_and(|p| p.contains("{64}")) => "0".repeat(64),
        _ if schema["pattern"].as_str().is_some_and(|p| p.contains("{32}")) => "0".repeat(32),
        _ if schema["pattern"].is_string() => "00".into(),
        _ => "a".into(),
    }
}

/// Values the parameter's schema refuses, or that no schema can accept (bad encodings).
fn bad_values(schema: &Value, in_path: bool) -> Vec<String> {
    let mut bad = vec!["%FF".to_string(), "%C3%28".into(), "%zz".into(), "50%".into()];
    match schema["type"].as_str() {
        Some("integer") => {
            bad.extend(["abc", "-1", "1.5", "+1", "99999999999999999999999"].map(String::from));
            if !in_path {
                bad.push(String::new());
            }
            if let Some(min) = schema["minimum"].as_u64().filter(|m| *m > 0) {
                bad.push((min - 1).to_string());
            }
        }
        Some("boolean") => bad.extend(["maybe", "2"].map(String::from)),
        _ => {}
    }
    if let Some(pattern) = schema["pattern"].as_str() {
        if pattern.contains("a-z0-9_.-") {
            // A plain name: capitals, other punctuation and one character too many.
            bad.extend(["Xyz", "a!b", "..", ".hidden"].map(String::from));
            let max: Option<usize> =
                pattern.split(",").nth(1).and_then(|r| r.split('}').next()).and_then(|n| n.parse().ok());
            if let Some(max) = max {
                bad.push("a".repeat(max + 2));
            }
        } else {
            bad.extend(["xyz", "0"].map(String::from));
        }
        if pattern.contains("{64}") {
            bad.push("0".repeat(63));
        }
    }
    if let Some(max) = schema["maxLength"].as_u64() {
        bad.push("a".repeat(max as usize + 1));
    }
    bad
}

struct Op<'a> {
    method: Method,
    path: &'a str,
    spec: &'a Value,
}

impl Op<'_> {
    fn params(&self) -> Vec<&Value> {
        self.spec["parameters"].as_array().map(|a| a.iter().collect()).unwrap_or_default()
    }

    /// The URI with `overrides` (raw, already percent-encoded) for some parameters; other
    /// path parameters and required query parameters get good values, optional query
    /// parameters are left out.
    fn uri(&self, overrides: &[(&str, String)]) -> String {
        let mut path = self.path.to_string();
        let mut query = Vec::new();
        for p in self.params() {
            let name = p["name"].as_str().unwrap();
            let given = overrides.iter().filter(|(n, _)| *n == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
            let values =
                if given.is_empty() && p["required"] == true { vec![good_value(name, &p["schema"])] } else { given };
            match p["in"].as_str() {
                Some("path") => path = path.replace(&format!("{{{name}}}"), &values[0]),
                _ => query.extend(values.into_iter().map(|v| format!("{name}={v}"))),
            }
        }
        if query.is_empty() {
            path
        } else {
            format!("{path}?{}", query.join("&"))
        }
    }

    fn body(&self) -> Option<Value> {
        let schema = self.spec["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()?;
        Some(if schema.ends_with("SubmitBatch") { json!({ "txs": ["00"] }) } else { json!({ "tx": "00" }) })
    }

    fn declares(&self, status: StatusCode) -> bool {
        self.spec["responses"].get(status.as_str()).is_some()
    }
}

#[tokio::test]
async fn every_malformed_parameter_gets_a_declared_400_problem() {
    let node = common::ledger();
    let app = router(node.ledger.clone(), ApiSettings::default());
    let doc = send(&app, &Method::GET, "/openapi.json", None).await.body;
    let paths = doc["paths"].as_object().expect("the document has paths");
    let mut checked = 0;
    for (path, item) in paths {
        for (method, spec) in item.as_object().unwrap() {
            let op = Op { method: method.to_uppercase().parse().unwrap(), path, spec };
            let body = op.body();
            let label = format!("{} {path}", op.method);

            let baseline = send(&app, &op.method, &op.uri(&[]), body.as_ref()).await;
            assert!(op.declares(baseline.status), "{label}: {} is not declared", baseline.status);

            let mut cases: Vec<(String, String)> = vec![(
                "an undecodable parameter name".into(),
                format!("{}%FF=1", if op.uri(&[]).contains('?') { "&" } else { "?" }),
            )];
            for p in op.params().into_iter().filter(|p| p["in"] != "header") {
                let name = p["name"].as_str().unwrap();
                let schema = &p["schema"];
                let good = send(&app, &op.method, &op.uri(&[(name, good_value(name, schema))]), body.as_ref()).await;
                assert!(op.declares(good.status), "{label} with a good {name}: {} is not declared", good.status);
                let mut uris: Vec<String> =
                    bad_values(schema, p["in"] == "path").into_iter().map(|v| op.uri(&[(name, v)])).collect();
                if p["in"] == "query" {
                    let v = good_value(name, schema);
                    uris.push(op.uri(&[(name, v.clone()), (name, v)]));
                }
                for uri in uris {
                    let bad = send(&app, &op.method, &uri, body.as_ref()).await;
                    let what = format!("{} {uri}", op.method);
                    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{what}: {}", bad.body);
                    assert!(op.declares(bad.status), "{what}: 400 is not declared for {label}");
                    assert_eq!(bad.ctype, "application/problem+json", "{what}");
                    assert_eq!(bad.body["status"], 400, "{what}");
                    assert!(
                        good.status != StatusCode::BAD_REQUEST || good.body["type"] != bad.body["type"],
                        "{what}: refused for the same reason as a good {name} ({}), so the bad value went unnoticed",
                        bad.body["type"]
                    );
                    checked += 1;
                }
            }
            for (what, suffix) in cases.drain(..) {
                let uri = format!("{}{suffix}", op.uri(&[]));
                let bad = send(&app, &op.method, &uri, body.as_ref()).await;
                assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{label} with {what}: {}", bad.body);
                assert!(op.declares(bad.status), "{label}: 400 is not declared");
                assert_eq!(bad.ctype, "application/problem+json", "{label} with {what}");
                checked += 1;
            }
        }
    }
    assert!(paths.len() >= 17, "the document lists every route ({} paths)", paths.len());
    assert!(checked > 100, "only {checked} malformed requests were checked");
}

/// The document of `app`, and what it declares for `method path`.
async fn declared(app: &axum::Router, method: &str, path: &str) -> Vec<String> {
    let doc = send(app, &Method::GET, "/openapi.json", None).await.body;
    doc["paths"][path][method]["responses"].as_object().map(|r| r.keys().cloned().collect()).unwrap_or_default()
}

#[tokio::test]
async fn the_event_stream_cap_answers_a_declared_503_problem_and_frees_a_place_when_a_stream_ends() {
    let node = common::ledger();
    let app = router(node.ledger.clone(), ApiSettings { max_event_streams: 2, ..Default::default() });
    let request = || Request::builder().uri("/v1/events").body(Body::empty()).unwrap();
    let first = app.clone().oneshot(request()).await.unwrap();
    let second = app.clone().oneshot(request()).await.unwrap();
    assert_eq!((first.status(), second.status()), (StatusCode::OK, StatusCode::OK), "two streams fit");

    let third = send(&app, &Method::GET, "/v1/events", None).await;
    assert_eq!(third.status, StatusCode::SERVICE_UNAVAILABLE, "{}", third.body);
    assert_eq!(third.ctype, "application/problem+json");
    assert_eq!(third.body["status"], 503);
    assert!(third.body["type"].as_str().unwrap().ends_with("/problems/too-many-streams"), "{}", third.body);
    assert!(third.body["detail"].as_str().unwrap().contains('2'), "the detail names the cap: {}", third.body);
    let retry = app.clone().oneshot(request()).await.unwrap();
    assert_eq!(retry.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(retry.headers().get("retry-after").map(|v| v.to_str().unwrap()), Some("10"));
    assert!(declared(&app, "get", "/v1/events").await.contains(&"503".to_string()), "503 is declared for /v1/events");

    // A client that goes away releases its place.
    drop(first);
    let again = app.clone().oneshot(request()).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK, "a place was freed when a stream ended");
    drop((second, again));
}

#[tokio::test]
async fn every_operation_declares_the_at_capacity_503() {
    // A connection of the health reserve answers any request but /health and /ready with
    // 503 `at-capacity` (tests/connections.rs, tests/busy_connections.rs): any operation can.
    let node = common::ledger();
    let app = router(node.ledger.clone(), ApiSettings::default());
    let doc = send(&app, &Method::GET, "/openapi.json", None).await.body;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, spec) in item.as_object().unwrap() {
            assert!(spec["responses"].get("503").is_some(), "{method} {path} does not declare 503");
            assert_eq!(spec["responses"]["503"]["$ref"], "#/components/responses/Problem", "{method} {path}");
            checked += 1;
        }
    }
    assert!(checked >= 17, "only {checked} operations");
}
