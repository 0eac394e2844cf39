//! The console's page for one decision, with its appeal replay (ELIG-07): the stored record
//! against its leaf, the leaf against the root anchored on chain, and the recorded condition
//! results against the rule-set version the decision names, both read from the chain with
//! proofs.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use dojang_credentials::TrustView;
use dojang_eligibility::state::{BatchRecord, RuleSetRecord};

use crate::console::{lang, outcome_text, staff_user, to_login, Console, Proven};
use crate::console_page::{esc, kst, page, problem};
use crate::record::leaf_of;
use crate::replay::{replay, Replay};

pub(crate) async fn decision<T: TrustView + Sync + 'static>(
    State(c): State<Arc<Console<T>>>,
    Path((id, seq)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let l = lang(&q, &headers);
    let Some(user) = staff_user(&c, &headers) else { return to_login() };
    let Ok(seq) = seq.parse::<u64>() else {
        return problem(l, StatusCode::BAD_REQUEST, Some(&user), &format!("'{seq}' is not a decision number"));
    };
    let d = match c.service.office.store().decision(seq) {
        Ok(Some(d)) if d.core.program == id => d,
        Ok(_) => {
            return problem(l, StatusCode::NOT_FOUND, Some(&user), &format!("program '{id}' has no decision {seq}"))
        }
        Err(e) => return problem(l, StatusCode::SERVICE_UNAVAILABLE, Some(&user), &e.to_string()),
    };
    let check = |ok: bool, yes: &str, no: &str| {
        if ok {
            format!("<span class=\"ok\">✓ {}</span>", esc(yes))
        } else {
            format!("<span class=\"bad\">✗ {}</span>", esc(no))
        }
    };
    let leaf = check(
        leaf_of(&d.salt, &d.core) == d.leaf,
        l.t("the stored decision hashes to its leaf", "저장된 결정이 잎 해시와 일치"),
        l.t(
            "the stored decision does not hash to its leaf: it was altered",
            "저장된 결정이 잎 해시와 다릅니다: 변경됨",
        ),
    );
    let anchor = match c.service.office.receipt(seq) {
        Ok(Some(r)) => match &r.inclusion {
            Some(inc) => match c
                .chain
                .read(&format!("eligibility/{}", dojang_eligibility::state::batch_key(&id, inc.batch)))
                .await
            {
                Ok(Proven { value: Some(v), height }) => {
                    let on_chain: Result<BatchRecord, _> = serde_json::from_value(v);
                    match on_chain {
                        Ok(b) => {
                            let ok = r.verify(&b.root).is_ok();
                            format!(
                                "{} <span class=\"mark\">{} {height}</span>",
                                check(
                                    ok,
                                    l.t(
                                        "its leaf is under the root anchored on chain",
                                        "잎이 체인에 앵커된 루트 아래에 있음"
                                    ),
                                    l.t(
                                        "its leaf is NOT under the root anchored on chain",
                                        "잎이 체인의 루트 아래에 없음"
                                    )
                                ),
                                l.t("verified at block", "검증 블록")
                            )
                        }
                        Err(e) => format!("<span class=\"bad\">{}</span>", esc(&e.to_string())),
                    }
                }
                Ok(Proven { value: None, .. }) => {
                    check(false, "", l.t("the chain has no such batch", "체인에 그 묶음이 없음"))
                }
                Err(e) => format!(
                    "<span class=\"bad\">{}: {}</span>",
                    l.t("cannot read the chain", "체인을 읽을 수 없음"),
                    esc(&e)
                ),
            },
            None => l.t("not anchored yet", "아직 앵커되지 않음").to_string(),
        },
        Ok(None) => String::new(),
        Err(e) => format!("<span class=\"bad\">{}</span>", esc(&e.to_string())),
    };
    let rules_key = format!("eligibility/{}", dojang_eligibility::state::ruleset_key(&id, d.core.ruleset_version));
    let (replayed, conditions) = match c.chain.read(&rules_key).await {
        Ok(Proven { value: Some(v), height }) => match serde_json::from_value::<RuleSetRecord>(v) {
            Ok(rs) => {
                let verdict = match replay(&d.core, &rs.rules) {
                    Replay::Agrees => check(
                        true,
                        l.t("the replay reaches the recorded outcome", "재실행 결과가 기록된 결과와 같음"),
                        "",
                    ),
                    Replay::Disagrees(why) => {
                        check(false, "", &format!("{}: {why}", l.t("the replay disagrees", "재실행 결과가 다름")))
                    }
                };
                let rows: String = rs
                    .rules
                    .conditions
                    .iter()
                    .map(|cnd| {
                        let held = d.core.conditions.iter().find(|(i, _)| *i == cnd.id).map(|(_, b)| *b);
                        let held = match held {
                            Some(true) => format!("<span class=\"ok\">{}</span>", l.t("held", "충족")),
                            Some(false) => format!("<span class=\"bad\">{}</span>", l.t("failed", "미충족")),
                            None => "—".into(),
                        };
                        let test = serde_json::to_value(&cnd.test).map(|v| v.to_string()).unwrap_or_default();
                        format!(
                            "<tr><td>{}</td><td>{}.{}</td><td><code>{}</code></td><td>{held}</td><td>{}</td></tr>",
                            esc(&cnd.id),
                            esc(&cnd.credential),
                            esc(&cnd.claim.join(".")),
                            esc(&test),
                            esc(&cnd.reason)
                        )
                    })
                    .collect();
                (
                    format!(
                        "{verdict} <span class=\"mark\">{} {height}</span>",
                        l.t("rule set read at block", "규칙 확인 블록")
                    ),
                    rows,
                )
            }
            Err(e) => (format!("<span class=\"bad\">{}</span>", esc(&e.to_string())), String::new()),
        },
        Ok(Proven { value: None, .. }) => (
            check(false, "", l.t("the chain has no such rule-set version", "체인에 해당 규칙 버전이 없음")),
            String::new(),
        ),
        Err(e) => (
            format!("<span class=\"bad\">{}: {}</span>", l.t("cannot read the chain", "체인을 읽을 수 없음"), esc(&e)),
            String::new(),
        ),
    };
    let credentials: String = d
        .core
        .credentials
        .iter()
        .map(|(vct, iss, v)| {
            format!("<li>{} · {} · {} {v}</li>", esc(vct), esc(iss), l.t("status list version", "상태 목록 버전"))
        })
        .collect();
    let body = format!(
        "<p>{}: {}</p><p>{}: {}</p><p>{}: {} · {}: {}</p>\
<h2>{}</h2><ul>{}</ul><h2>{}</h2><ul>{credentials}</ul>\
<h2>{}</h2><p class=\"note\">{}</p><ul><li>{leaf}</li><li>{anchor}</li><li id=\"replay\">{replayed}</li></ul>\
<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{conditions}</tbody></table>",
        l.t("Outcome", "결과"),
        outcome_text(l, &d.core.outcome),
        l.t("Decided", "결정 시각"),
        kst(d.core.decided_at),
        l.t("Policy", "정책"),
        esc(&d.core.policy),
        l.t("rule set", "규칙 버전"),
        d.core.ruleset_version,
        l.t("Claims disclosed (no values are kept)", "공개된 항목 (값은 보관하지 않음)"),
        d.core.disclosed.iter().map(|p| format!("<li>{}</li>", esc(p))).collect::<String>(),
        l.t("Credentials checked", "확인한 자격증명"),
        l.t("Appeal replay", "이의신청 재실행"),
        l.t(
            "The recorded result of each condition is run again through the rule-set version the decision names, read from the chain. The office keeps no claim values; a replay with the values needs the applicant's new presentation.",
            "결정에 기록된 규칙 버전을 체인에서 읽어 각 조건의 기록된 결과로 다시 실행합니다. 사무소는 항목 값을 보관하지 않으므로 값으로 재실행하려면 신청인의 새 제출이 필요합니다.",
        ),
        l.t("Condition", "조건"),
        l.t("Claim", "항목"),
        l.t("Test", "검사"),
        l.t("Recorded", "기록"),
        l.t("Reason given when it fails", "미충족 시 사유"),
    );
    page(l, &format!("{} {} · {}", l.t("Decision", "결정"), seq, id), Some(&user), &body)
}
