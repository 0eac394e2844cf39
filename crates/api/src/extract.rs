//! Strict decoding of what a request carries in its URI. Axum's defaults are lenient where
//! a ledger must not be: a `%FF` in a query becomes U+FFFD (so a client could read a state
//! key it did not ask for), a malformed escape passes through as text, a repeated parameter
//! silently wins over the first. Here each of those is a 400 problem.

use std::collections::BTreeSet;

use axum::extract::{FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::Uri;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::problem::Problem;

/// Why a percent-encoded part of a URI cannot be decoded.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DecodeError {
    #[error("has a '%' not followed by two hex digits (write a literal '%' as %25)")]
    BadEscape,
    #[error("is not UTF-8 text once percent-decoded")]
    NotUtf8,
}

/// Percent-decodes `raw` strictly: every `%` starts two hex digits and the result is UTF-8.
/// In a query, `+` stands for a space.
pub(crate) fn decode(raw: &str, plus_is_space: bool) -> Result<String, DecodeError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
                let digit = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
                let [hi, lo] = hex.ok_or(DecodeError::BadEscape)? else { return Err(DecodeError::BadEscape) };
                out.push(digit(*hi) << 4 | digit(*lo));
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| DecodeError::NotUtf8)
}

/// Client-sent text for an error message, cut short.
pub(crate) fn shown(name: &str) -> String {
    let short: String = name.chars().take(40).collect();
    if short.len() < name.len() {
        format!("{short}…")
    } else {
        short
    }
}

/// The query's parameters as (name, raw value) pairs, names decoded.
fn pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap_or((p, "")))
}

fn check_uri(uri: &Uri) -> Result<(), Problem> {
    decode(uri.path(), false).map_err(|e| Problem::bad_request("malformed-path", format!("the path {e}")))?;
    for (name, value) in pairs(uri.query().unwrap_or("")) {
        let name = decode(name, true)
            .map_err(|e| Problem::bad_request("malformed-query", format!("a query parameter name {e}")))?;
        decode(value, true).map_err(|e| {
            Problem::bad_request("malformed-query", format!("the value of query parameter '{}' {e}", shown(&name)))
        })?;
    }
    Ok(())
}

/// Refuses, for every route, a path or query string that does not decode strictly.
pub(crate) async fn strict_uri(req: Request, next: Next) -> Response {
    if let Err(p) = check_uri(req.uri()) {
        return p.into_response();
    }
    next.run(req).await
}

/// Like axum's `Query`, but a parameter given twice is refused instead of one of its values
/// being dropped, and every rejection is a problem document. (Encoding was checked by
/// [`strict_uri`].)
pub(crate) struct StrictQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for StrictQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let mut seen = BTreeSet::new();
        for (name, _) in pairs(parts.uri.query().unwrap_or("")) {
            let name = decode(name, true)
                .map_err(|e| Problem::bad_request("malformed-query", format!("a query parameter name {e}")))?;
            if !seen.insert(name.clone()) {
                return Err(Problem::bad_request(
                    "malformed-query",
                    format!("query parameter '{}' is given more than once", shown(&name)),
                ));
            }
        }
        let Query(value) = Query::<T>::try_from_uri(&parts.uri)?;
        Ok(StrictQuery(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_is_strict() {
        assert_eq!(decode("a%20b+c", true).unwrap(), "a b c");
        assert_eq!(decode("a+b", false).unwrap(), "a+b", "a path keeps its plus signs");
        assert_eq!(decode("%ED%95%9C", true).unwrap(), "한");
        assert_eq!(decode("%FF", true), Err(DecodeError::NotUtf8));
        assert_eq!(decode("%C3", true), Err(DecodeError::NotUtf8), "a cut multi-byte character");
        assert_eq!(decode("%zz", true), Err(DecodeError::BadEscape));
        assert_eq!(decode("50%", true), Err(DecodeError::BadEscape));
        assert_eq!(decode("%4", true), Err(DecodeError::BadEscape));
        assert_eq!(decode("%+1", true), Err(DecodeError::BadEscape), "from_str_radix would take a sign");
    }
}
