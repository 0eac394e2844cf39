//! A program's public page on the office's service (`GET /programs/<id>`): what the program is
//! for, under which registered policy and law, its window, and how to apply: a link that opens
//! the city's web wallet with the office's request, and the same link as a QR code for a phone
//! (or, without a web wallet, an `openid4vp://` link for wallets registered for that scheme).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use dojang_credentials::links::{qr_svg, request_uri_link, wallet_link, Handoff};
use dojang_credentials::TrustView;

use crate::console_page::{esc, kst, notice, Lang};
use crate::http::Service;

/// The office's base URL, from its response URI (`<public_url>/response`).
fn base(response_uri: &str) -> &str {
    response_uri.strip_suffix("/response").unwrap_or(response_uri)
}

pub(crate) async fn program_page<T: TrustView + Sync + 'static>(
    State(s): State<Arc<Service<T>>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let l = Lang::pick(q.get("lang").map(String::as_str), &headers);
    let Some(p) = s.programs.get(&id) else {
        let mut r = notice(
            l,
            l.t("No such program", "없는 사업"),
            &format!("<p>{}</p>", esc(&format!("this office runs no program '{id}'"))),
        );
        *r.status_mut() = StatusCode::NOT_FOUND;
        return r;
    };
    let request_url =
        format!("{}/programs/{}/request", base(&s.office.response_uri), dojang_types::percent_encode(&id));
    let link = match &s.wallet_url {
        Some(w) => wallet_link(w, Handoff::Request, &request_url),
        None => request_uri_link(&s.office.did, &request_url),
    };
    let qr = match qr_svg(&link) {
        Ok(svg) => svg.split_once("?>").map(|(_, rest)| rest.to_string()).unwrap_or(svg),
        Err(e) => format!("<p class=\"bad\">{}</p>", esc(&e.to_string())),
    };
    let body = format!(
        "<p>{purpose}</p><table><tbody><tr><th>{office}</th><td>{did}</td></tr><tr><th>{basis}</th><td>{law}</td></tr>\
<tr><th>{policy_t}</th><td>{policy}</td></tr><tr><th>{window}</th><td>{opens} – {closes}</td></tr></tbody></table>\
<h2>{how}</h2><p>{explain}</p><p><a id=\"apply\" href=\"{href}\">{apply}</a></p><figure aria-label=\"{qr_label}\">{qr}</figure>\
<p class=\"note\">{raw}: <code>{request}</code></p>",
        purpose = esc(&p.policy.purpose),
        office = l.t("Office", "기관"),
        did = esc(&s.office.did),
        basis = l.t("Legal basis", "법적 근거"),
        law = esc(&p.policy.legal_basis),
        policy_t = l.t("Registered policy", "등록된 정책"),
        policy = esc(&p.policy.id),
        window = l.t("Applications", "신청 기간"),
        opens = kst(p.window_opens_ms / 1000),
        closes = kst(p.window_closes_ms / 1000),
        how = l.t("How to apply", "신청 방법"),
        explain = l.t(
            "Open the link, or scan the code with your phone: your wallet shows exactly what it would send, checked against the policy registered on chain, and sends nothing without your consent.",
            "링크를 열거나 휴대전화로 코드를 찍으세요. 지갑이 체인에 등록된 정책과 대조해 보낼 내용을 정확히 보여 주며, 동의 없이는 아무것도 보내지 않습니다.",
        ),
        href = esc(&link),
        apply = l.t("Apply with your wallet", "지갑으로 신청하기"),
        qr_label = l.t("QR code of the application link", "신청 링크 QR 코드"),
        raw = l.t("The request itself", "요청 주소"),
        request = esc(&request_url),
    );
    notice(l, &id, &body)
}
