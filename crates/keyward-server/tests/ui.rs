//! The dashboard over the real router (in-process): session cookie flags, security
//! headers, CSRF refusals, expired and revoked sessions, escaping, pagination, reports.

mod support;

use axum::http::StatusCode;
use serde_json::json;
use std::time::Duration;
use support::token;
use support::ui_client::{value, Ui};

#[tokio::test]
async fn login_sets_a_hardened_session_cookie_and_every_page_carries_the_csp() {
    let ui = Ui::new().await;
    let form = ui.req("GET", "/ui/login", "", None).await;
    assert_eq!(form.status, 200);
    assert_eq!(
        form.headers["content-security-policy"],
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    assert_eq!(form.headers["x-content-type-options"], "nosniff");
    assert_eq!(form.headers["referrer-policy"], "no-referrer");
    assert_eq!(form.headers["cache-control"], "no-store");
    assert!(!form.body.contains("<script"), "no JavaScript at all");

    let login_cookie = value(&form.set_cookie("__Host-keyward_login").unwrap());
    let root = ui.h.root.clone();
    let r = ui
        .req(
            "POST",
            "/ui/login",
            &login_cookie,
            Some(format!("csrf={}&token={root}", form.csrf())),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/ui/");
    let c = r.set_cookie("__Host-keyward_session").unwrap();
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(c.split("; ").any(|f| f == flag), "{flag} missing in {c}");
    }
    assert!(!c.contains("Domain"), "{c}");
    let id = value(&c)["__Host-keyward_session=".len()..].to_string();
    assert!(id.len() >= 43, "256-bit id");
    assert!(!c.contains(&root), "the token is never in a cookie");

    let overview = ui.req("GET", "/ui/", &value(&c), None).await;
    assert_eq!(overview.status, 200, "{}", overview.body);
    assert!(overview.body.contains("Failed authentications"));
    assert!(overview.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    let css = ui.req("GET", "/ui/static/keyward.css", "", None).await;
    assert_eq!(css.status, 200);
    assert!(css.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));

    let records = ui.h.audit.records();
    let login = records.iter().find(|r| r.path == "ui/login").unwrap();
    assert_eq!(
        (login.operation.as_str(), login.outcome.as_str()),
        ("login", "ok")
    );
    assert!(records
        .iter()
        .any(|r| r.path == "ui/overview" && r.outcome == "ok"));
    assert!(records
        .iter()
        .all(|r| !format!("{r:?}").contains(&root) && !format!("{r:?}").contains(&id)));
}

#[tokio::test]
async fn a_failed_login_is_refused_audited_and_counted() {
    let ui = Ui::new().await;
    let form = ui.req("GET", "/ui/login", "", None).await;
    let login_cookie = value(&form.set_cookie("__Host-keyward_login").unwrap());
    let r = ui
        .req(
            "POST",
            "/ui/login",
            &login_cookie,
            Some(format!("csrf={}&token=kwt_wrong", form.csrf())),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("login failed"));
    assert!(r.set_cookie("__Host-keyward_session").is_none());
    assert!(ui
        .h
        .audit
        .records()
        .iter()
        .any(|r| r.path == "ui/login" && r.outcome == "invalid_token"));
    // Without the login form's CSRF cookie the token is not even looked at.
    let r = ui
        .req(
            "POST",
            "/ui/login",
            "",
            Some(format!("csrf=x&token={}", ui.h.root)),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The overview counts the failure.
    let c = ui.login(&ui.h.root.clone()).await;
    let o = ui.req("GET", "/ui/", &c, None).await;
    assert!(o.body.contains(r#"id="failed-auth">1<"#), "{}", o.body);
}

#[tokio::test]
async fn pages_without_a_session_redirect_to_login() {
    let ui = Ui::new().await;
    for path in [
        "/ui/",
        "/ui/tokens",
        "/ui/audit",
        "/ui/findings",
        "/ui/no-such-page",
    ] {
        let r = ui.req("GET", path, "", None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.location(), "/ui/login", "{path}");
        let r = ui
            .req("GET", path, "__Host-keyward_session=forged", None)
            .await;
        assert_eq!(r.location(), "/ui/login", "{path} with a forged id");
    }
    let r = ui
        .req("POST", "/ui/tokens/revoke", "", Some("accessor=x".into()))
        .await;
    assert_eq!(r.location(), "/ui/login");
}

#[tokio::test]
async fn forms_without_the_csrf_token_or_from_another_origin_are_refused() {
    let ui = Ui::new().await;
    let c = ui.login(&ui.h.root.clone()).await;
    let victim = token(&ui.h.state, &["default"], false);
    let acc = accessor_of(&ui, &victim).await;
    let tokens = ui.req("GET", "/ui/tokens", &c, None).await;
    let csrf = tokens.csrf();
    for (form, headers) in [
        (format!("accessor={acc}"), vec![]),
        (format!("accessor={acc}&csrf=wrong"), vec![]),
        (
            format!("accessor={acc}&csrf={csrf}"),
            vec![("origin", "https://evil.example")],
        ),
    ] {
        let r = ui
            .req_with(
                "POST",
                "/ui/tokens/revoke",
                &c,
                Some(form.clone()),
                &headers,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{form}");
        assert!(r.body.contains("CSRF"), "{}", r.body);
    }
    let r = ui
        .call_api("GET", "/v1/auth/token/lookup-self", &victim)
        .await;
    assert_eq!(r, 200, "the token survived every refused form");
    assert_eq!(
        ui.h.audit
            .records()
            .iter()
            .filter(|r| r.path == "ui/tokens/revoke" && r.outcome == "csrf")
            .count(),
        3
    );
    // The real form works (same origin, right token) and the token is refused afterwards.
    let r = ui
        .req_with(
            "POST",
            "/ui/tokens/revoke",
            &c,
            Some(format!("accessor={acc}&csrf={csrf}")),
            &[("origin", "https://keyward.test")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        ui.call_api("GET", "/v1/auth/token/lookup-self", &victim)
            .await,
        403
    );
}

impl Ui {
    async fn call_api(&self, method: &str, path: &str, token: &str) -> u16 {
        let r = self
            .req_with(method, path, "", None, &[("x-vault-token", token)])
            .await;
        r.status.as_u16()
    }
}

async fn accessor_of(ui: &Ui, token: &str) -> String {
    let r =
        ui.h.call("GET", "/v1/auth/token/lookup-self", Some(token), None)
            .await;
    r.json["data"]["accessor"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn sessions_expire_when_idle_and_end_with_their_token() {
    let ui = Ui::new().await;
    let c = ui.login(&ui.h.root.clone()).await;
    ui.h.clock.advance(Duration::from_secs(29 * 60));
    assert_eq!(ui.req("GET", "/ui/", &c, None).await.status, 200);
    ui.h.clock.advance(Duration::from_secs(31 * 60));
    let r = ui.req("GET", "/ui/", &c, None).await;
    assert_eq!(r.location(), "/ui/login", "idle for 31 minutes");

    let t = token(&ui.h.state, &["root"], false);
    let c = ui.login(&t).await;
    assert_eq!(ui.req("GET", "/ui/tokens", &c, None).await.status, 200);
    let r =
        ui.h.call("POST", "/v1/auth/token/revoke-self", Some(&t), None)
            .await;
    assert_eq!(r.status, 204);
    let r = ui.req("GET", "/ui/tokens", &c, None).await;
    assert_eq!(r.location(), "/ui/login", "revoked token, dead session");
}

#[tokio::test]
async fn pages_follow_the_tokens_acl() {
    let ui = Ui::new().await;
    let t = token(&ui.h.state, &["default"], false);
    let c = ui.login(&t).await;
    let r = ui.req("GET", "/ui/tokens", &c, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("permission denied"));
    let r = ui.req("GET", "/ui/audit", &c, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let o = ui.req("GET", "/ui/", &c, None).await;
    assert_eq!(o.status, 200);
    assert!(o.body.contains("may not read the audit log"));
    assert!(ui
        .h
        .audit
        .records()
        .iter()
        .any(|r| r.path == "ui/tokens" && r.outcome == "denied"));
}

#[tokio::test]
async fn hostile_names_are_escaped() {
    let ui = Ui::new().await;
    let root = ui.h.root.clone();
    let hostile = "<script>alert(1)</script>";
    let r =
        ui.h.call(
            "POST",
            "/v1/auth/token/create",
            Some(&root),
            Some(json!({"display_name": hostile, "policies": ["default"]})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let t = r.json["auth"]["client_token"].as_str().unwrap().to_string();
    ui.h.call("GET", "/v1/secret/data/x", Some(&t), None).await;
    let c = ui.login(&root).await;
    for page in ["/ui/tokens", "/ui/audit"] {
        let p = ui.req("GET", page, &c, None).await;
        assert_eq!(p.status, 200);
        let escaped = p.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
            || p.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;");
        assert!(escaped, "{page}: {}", p.body);
        assert!(!p.body.contains("<script"), "{page}");
    }
}

#[tokio::test]
async fn the_audit_tail_is_paginated_and_filtered() {
    let ui = Ui::new().await;
    let root = ui.h.root.clone();
    for i in 0..70 {
        ui.h.call("GET", &format!("/v1/secret/data/p{i}"), Some(&root), None)
            .await;
    }
    let c = ui.login(&root).await;
    let first = ui.req("GET", "/ui/audit", &c, None).await;
    assert_eq!(first.body.matches("<tr class=").count(), 50);
    let at = first
        .body
        .find(r#"href="/ui/audit?before="#)
        .expect("older link")
        + 6;
    let next = first.body[at..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let second = ui.req("GET", &next, &c, None).await;
    let rows = second.body.matches("<tr class=").count();
    assert!((21..=50).contains(&rows), "{rows}");
    assert!(second.body.contains("secret/data/p0<"));
    assert!(!first.body.contains("secret/data/p0<"));
    let filtered = ui
        .req("GET", "/ui/audit?path=secret%2Fdata%2Fp7", &c, None)
        .await;
    assert_eq!(
        filtered.body.matches("<tr class=").count(),
        1,
        "{}",
        filtered.body
    );
    let bad = ui.req("GET", "/ui/audit?before=x", &c, None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn reports_posted_by_ci_show_on_findings_and_overview() {
    let ui = Ui::new().await;
    let root = ui.h.root.clone();
    for high in [3, 1] {
        ui.h.clock.advance(Duration::from_secs(60));
        let r = ui
            .h
            .call(
                "POST",
                "/v1/keyward/reports",
                Some(&root),
                Some(json!({"kind": "scan", "report": {"summary": {"by_severity": {"high": high, "low": 2}}}})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json["data"]["counts"]["high"], high);
    }
    let checklist = json!({"kind": "checklist", "report": {
        "blocked": true, "counts": {"failed": 1, "proven": 4},
        "items": [{"id": "pre.no-secrets", "text": "No secrets in code", "state": "failed", "reason": "1 leaked key"}]}});
    assert_eq!(
        ui.h.call("POST", "/v1/keyward/reports", Some(&root), Some(checklist))
            .await
            .status,
        200
    );
    let bad =
        ui.h.call(
            "POST",
            "/v1/keyward/reports",
            Some(&root),
            Some(json!({"kind": "x", "report": {}})),
        )
        .await;
    assert_eq!(bad.status, 400);
    let list =
        ui.h.call("GET", "/v1/keyward/reports?kind=scan", Some(&root), None)
            .await;
    assert_eq!(list.json["data"]["reports"].as_array().unwrap().len(), 2);
    let other = token(&ui.h.state, &["default"], false);
    assert_eq!(
        ui.h.call("GET", "/v1/keyward/reports", Some(&other), None)
            .await
            .status,
        403
    );

    let c = ui.login(&root).await;
    let f = ui.req("GET", "/ui/findings", &c, None).await;
    assert_eq!(f.status, 200);
    assert!(f.body.contains("<polyline"), "trend chart");
    assert!(f.body.contains("high: 1, low: 2"), "{}", f.body);
    let o = ui.req("GET", "/ui/", &c, None).await;
    assert!(o.body.contains("Blocked") && o.body.contains("No secrets in code"));
}
