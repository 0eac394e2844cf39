//! Logging in and out of the console (accounts and sessions: crate::staff).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use dojang_credentials::TrustView;
use serde::Deserialize;

use crate::console::{lang, staff_user, Console, SESSION};
use crate::console_page::{cookie, esc, page, problem, Lang};
use crate::staff::LoginError;

pub(crate) async fn login_form<T: TrustView + Sync + 'static>(
    State(c): State<Arc<Console<T>>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let l = lang(&q, &headers);
    if staff_user(&c, &headers).is_some() {
        return Redirect::to("/console/programs").into_response();
    }
    login_page(l, None)
}

fn login_page(l: Lang, error: Option<&str>) -> Response {
    let error = error.map(|e| format!("<p class=\"bad\" role=\"alert\">{}</p>", esc(e))).unwrap_or_default();
    let body = format!(
        "{error}<p class=\"note\">{}</p><form method=\"post\" action=\"/console/login\">\
<label for=\"user\">{}</label><input id=\"user\" name=\"user\" autocomplete=\"username\" required maxlength=\"64\">\
<label for=\"password\">{}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required maxlength=\"1024\">\
<p><button type=\"submit\">{}</button></p></form>",
        l.t("For the office's staff only. Applicants apply from their wallet.", "사업 담당 직원 전용입니다. 신청은 시민 지갑에서 합니다."),
        l.t("User", "사용자"),
        l.t("Password", "비밀번호"),
        l.t("Log in", "로그인"),
    );
    page(l, l.t("Log in", "로그인"), None, &body)
}

/// The log-in form's fields.
#[derive(Deserialize)]
pub(crate) struct LoginForm {
    user: String,
    password: String,
}

pub(crate) async fn login<T: TrustView + Sync + 'static>(
    State(c): State<Arc<Console<T>>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let l = lang(&q, &headers);
    if !c.same_origin(&headers) {
        return problem(
            l,
            StatusCode::FORBIDDEN,
            None,
            l.t("This form was sent from another site.", "다른 사이트에서 보낸 양식입니다."),
        );
    }
    let Ok(Form(f)) = form else {
        let mut r = login_page(l, Some(l.t("Give a user and a password.", "사용자와 비밀번호를 입력하세요.")));
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return r;
    };
    if f.user.len() > 64 || f.password.len() > 1024 {
        return login_page(l, Some(l.t("Wrong user or password.", "사용자 또는 비밀번호가 틀렸습니다.")));
    }
    let c2 = c.clone();
    let result = tokio::task::spawn_blocking(move || c2.staff.log_in(&f.user, &f.password)).await;
    match result {
        Ok(Ok(token)) => {
            let secure = if c.secure() { "; Secure" } else { "" };
            let mut r = Redirect::to("/console/programs").into_response();
            if let Ok(v) =
                HeaderValue::from_str(&format!("{SESSION}={token}; Path=/console; HttpOnly; SameSite=Strict{secure}"))
            {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Ok(Err(LoginError::Locked { seconds })) => {
            let msg = format!(
                "{} ({seconds} s)",
                l.t(
                    "Too many failed log-ins for this user; try again later.",
                    "로그인 실패가 너무 많습니다. 잠시 후 다시 시도하세요."
                )
            );
            let mut r = login_page(l, Some(&msg));
            *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            r
        }
        Ok(Err(LoginError::Busy)) => {
            let msg = l.t(
                "Too many log-ins at once; try again in a moment.",
                "로그인 요청이 몰렸습니다. 잠시 후 다시 시도하세요.",
            );
            let mut r = login_page(l, Some(msg));
            *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
        Ok(Err(LoginError::Wrong)) => {
            let mut r = login_page(l, Some(l.t("Wrong user or password.", "사용자 또는 비밀번호가 틀렸습니다.")));
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            r
        }
        Err(_) => problem(l, StatusCode::INTERNAL_SERVER_ERROR, None, "the log-in check failed; try again"),
    }
}

pub(crate) async fn logout<T: TrustView + Sync + 'static>(
    State(c): State<Arc<Console<T>>>,
    headers: HeaderMap,
) -> Response {
    if c.same_origin(&headers) {
        if let Some(t) = cookie(&headers, SESSION) {
            c.staff.log_out(&t);
        }
    }
    let mut r = Redirect::to("/console/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("dojang_console=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    r
}
