//! The console's pages (and the office's public program pages) as HTML, rendered on the office's server (no script: nothing for a
//! compromised page to run, and every value escaped here), in Korean or English.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The language a page is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ko,
    En,
}

impl Lang {
    /// `?lang=` first, then the `lang` cookie, then the browser's Accept-Language.
    pub fn pick(query: Option<&str>, headers: &HeaderMap) -> Lang {
        let cookie = cookie(headers, "lang");
        let asked = query.or(cookie.as_deref());
        match asked {
            Some("ko") => Lang::Ko,
            Some("en") => Lang::En,
            _ => {
                let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
                if accept.trim_start().to_ascii_lowercase().starts_with("ko") {
                    Lang::Ko
                } else {
                    Lang::En
                }
            }
        }
    }

    /// `en` or `ko` text, whichever this page is in.
    pub fn t<'a>(self, en: &'a str, ko: &'a str) -> &'a str {
        match self {
            Lang::Ko => ko,
            Lang::En => en,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    }
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Text made safe for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub use dojang_types::percent_encode as url_part;

/// A time as Seoul reads it (`YYYY-MM-DD HH:MM KST`) from Unix seconds.
pub fn kst(seconds: u64) -> String {
    let ms = seconds as i64 * 1000 + dojang_types::KST_OFFSET_MS;
    let date = dojang_types::Date::from_days(ms.div_euclid(86_400_000));
    let minute = ms.rem_euclid(86_400_000) / 60_000;
    format!("{date} {:02}:{:02} KST", minute / 60, minute % 60)
}

const STYLE: &str = "body{font-family:system-ui,'Noto Sans KR','NanumGothic',sans-serif;margin:0;color:#1a1a1a;background:#fafafa}\
header{background:#0b3d91;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center}\
header a{color:#fff}header button{color:#0b3d91;background:#fff;border:1px solid #fff;border-radius:.3rem}header form{margin:0}main{padding:1rem;max-width:72rem}\
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}\
th{background:#eef}.ok{color:#0a6b2d;font-weight:600}.bad{color:#a4000f;font-weight:600}.note{color:#555}\
label{display:block;margin-top:.6rem}input,select,button{font:inherit;padding:.3rem}button{cursor:pointer}\
.mark{display:inline-block;padding:.1rem .4rem;border-radius:.3rem;background:#e6f4ea;border:1px solid #0a6b2d}\
@media (max-width:40rem){table{font-size:.85rem}main{padding:.5rem}}";

/// A whole page: the header (with the user and a log-out button when logged in), then `body`.
pub fn page(lang: Lang, title: &str, user: Option<&str>, body: &str) -> Response {
    let who = match user {
        Some(u) => format!(
            "<span>{} <strong>{}</strong></span><form method=\"post\" action=\"/console/logout\"><button type=\"submit\">{}</button></form>",
            lang.t("Signed in as", "로그인:"),
            esc(u),
            lang.t("Log out", "로그아웃")
        ),
        None => String::new(),
    };
    let other = match lang {
        Lang::Ko => "<a href=\"?lang=en\" lang=\"en\">English</a>",
        Lang::En => "<a href=\"?lang=ko\" lang=\"ko\">한국어</a>",
    };
    let html = format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{title} · {console}</title><style>{STYLE}</style></head><body><header><strong><a href=\"/console/programs\">{console}</a></strong>{other}{who}</header>\
<main id=\"main\"><h1>{title}</h1>{body}</main></body></html>",
        code = lang.code(),
        title = esc(title),
        console = lang.t("Program office console", "사업 담당 콘솔"),
    );
    respond(StatusCode::OK, html, lang)
}

/// A public page of the office's service (no console header, no log-in).
pub fn notice(lang: Lang, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{title}</title><style>{STYLE}</style></head><body><main id=\"main\"><h1>{title}</h1>{body}</main></body></html>",
        code = lang.code(),
        title = esc(title),
    );
    respond(StatusCode::OK, html, lang)
}

/// The security headers every console response carries: no script at all, no framing, never cached.
pub fn respond(status: StatusCode, html: String, lang: Lang) -> Response {
    let mut r = (status, html).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // `same-origin`, not `no-referrer`: under `no-referrer` a browser sends `Origin: null` with
    // its own form posts, which the console could not tell from a forged one.
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if let Ok(v) =
        HeaderValue::from_str(&format!("lang={}; Path=/console; SameSite=Strict; Max-Age=31536000", lang.code()))
    {
        h.append(header::SET_COOKIE, v);
    }
    r
}

/// An error page with its status.
pub fn problem(lang: Lang, status: StatusCode, user: Option<&str>, what: &str) -> Response {
    let mut r = page(
        lang,
        lang.t("Something is wrong", "문제가 있습니다"),
        user,
        &format!("<p class=\"bad\" role=\"alert\">{}</p>", esc(what)),
    );
    *r.status_mut() = status;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc("<a href=\"x\" onclick='y'>&</a>"),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn times_are_shown_in_korea_standard_time() {
        assert_eq!(kst(0), "1970-01-01 09:00 KST");
        assert_eq!(kst(1_798_761_600 - 9 * 3600), "2027-01-01 00:00 KST");
        assert_eq!(kst(951_782_400 + 3_600 * 4 + 60 * 7), "2000-02-29 13:07 KST");
    }

    #[test]
    fn language_from_query_cookie_or_browser() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::pick(None, &h), Lang::En);
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("ko-KR,ko;q=0.9"));
        assert_eq!(Lang::pick(None, &h), Lang::Ko);
        h.insert(header::COOKIE, HeaderValue::from_static("session=abc; lang=en"));
        assert_eq!(Lang::pick(None, &h), Lang::En);
        assert_eq!(Lang::pick(Some("ko"), &h), Lang::Ko);
        assert_eq!(cookie(&h, "session").as_deref(), Some("abc"));
    }
}
