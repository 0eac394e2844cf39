//! The pages the citizen sees at the login service: the login page with the wallet link and
//! its QR code, following the login until the browser goes back to the facility; and the
//! explanation when a facility's request cannot be answered at all.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use dojang_credentials::links::{qr_svg, request_uri_link};

use crate::provider::Progress;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn shell(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"ko\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}\
         .qr svg{{width:240px;height:240px}}a.button{{display:inline-block;padding:.6rem 1rem;background:#0b5;color:#fff;border-radius:.4rem;text-decoration:none}}\
         .problem{{color:#a00}}</style></head><body>{body}</body></html>",
        escape(title)
    )
}

/// A request that cannot be sent back to the facility: told to the citizen.
pub fn problem(status: StatusCode, why: &str) -> Response {
    let body = format!(
        "<h1>로그인할 수 없습니다 · Cannot log in</h1><p class=\"problem\" id=\"problem\">{}</p>\
         <p>Return to the facility's site and start again; if it keeps happening, tell the facility.</p>",
        escape(why)
    );
    (status, Html(shell("Cannot log in", &body))).into_response()
}

/// The login page for a waiting login, or where it went.
pub fn login(client_id: &str, request_uri: &str, wallet_url: Option<&str>, progress: &Progress) -> Response {
    let body = match progress {
        Progress::Waiting { facility, action, level } => {
            let link = request_uri_link(client_id, request_uri);
            let qr = qr_svg(&link).unwrap_or_default();
            let web = wallet_url
                .map(|w| {
                    let to = format!("{}/#/login/{}", w.trim_end_matches('/'), dojang_types::percent_encode(request_uri));
                    format!("<p><a class=\"button\" id=\"web-wallet\" href=\"{}\">웹 지갑으로 · With the web wallet</a></p>", escape(&to))
                })
                .unwrap_or_default();
            format!(
                "<h1>{} 로그인 · Log in to {}</h1>\
                 <p>For <b>{}</b> ({} assurance). Your wallet shows exactly what {} will see before you agree.</p>\
                 <div class=\"qr\">{qr}</div><p><a id=\"wallet-link\" href=\"{}\">지갑 열기 · Open the wallet</a></p>{web}\
                 <p>No smartphone? Ask at the desk: staff scan your citizen card's QR code and you type its PIN on the kiosk.</p>\
                 <p id=\"status\" data-request-uri=\"{}\">지갑의 응답을 기다리는 중 · Waiting for your wallet…</p>\
                 <script>setInterval(async()=>{{const r=await fetch(location.pathname+'/status');if(!r.ok)return;const p=await r.json();\
                 if(p.status==='done'&&p.redirect)location.href=p.redirect;if(p.status==='done'&&!p.redirect)location.reload();if(p.status==='failed'){{document.getElementById('status').textContent=p.reason;\
                 setTimeout(()=>location.href=p.redirect,4000);}}}},1000);</script>",
                escape(facility),
                escape(facility),
                escape(action),
                level.as_str(),
                escape(facility),
                escape(&link),
                escape(request_uri)
            )
        }
        Progress::Done { redirect: Some(redirect) } => {
            format!("<p>로그인 완료 · Logged in. <a id=\"continue\" href=\"{}\">Continue</a></p>", escape(redirect))
        }
        Progress::Done { redirect: None } | Progress::Finished => {
            "<p id=\"finished\">로그인 완료 · Logged in on the device whose wallet answered. This page has nothing more to do.</p>"
                .to_string()
        }
        Progress::Failed { reason, redirect } => format!(
            "<p class=\"problem\" id=\"problem\">{}</p><p><a id=\"continue\" href=\"{}\">Back to the facility</a></p>",
            escape(reason),
            escape(redirect)
        ),
    };
    Html(shell("Log in with the city wallet", &body)).into_response()
}
