//! Dashboard pages over the operations service (a fake `Ops` with 250 secrets): the
//! secrets list paginated 100 a page with its age chart, a hostile secret name escaped
//! everywhere, the secret's page, open incidents on the overview, rotate-now refused by
//! the ACL and audited.

mod support;

use keyward_server::backend::OpContext;
use keyward_server::ops::{
    DueSummary, IncidentReport, IncidentSummary, Ops, OpsError, Revoked, RotateResult, RotationRow,
    SecretRow,
};
use serde_json::json;
use std::sync::Arc;
use support::token;
use support::ui_client::Ui;

struct FakeOps;

fn secret(i: usize) -> SecretRow {
    let name = if i == 7 {
        "<script>alert(1)</script>".to_string()
    } else {
        format!("S{i:03}")
    };
    SecretRow {
        path: format!("production/{name}"),
        env: "production".into(),
        name,
        kind: "api-key".into(),
        description: String::new(),
        current_version: 1,
        created_at: "2026-01-01T00:00:00.000Z".into(),
        last_rotated: Some("2026-01-01T00:00:00.000Z".into()),
        next_due: Some("2026-04-01T00:00:00.000Z".into()),
        overdue_days: 0,
        schedule: "every 90 days".into(),
        target: "manual".into(),
        last_read_at: (i == 1).then(|| "2026-02-01T00:00:00.000Z".into()),
        last_read_by: (i == 1).then(|| "token:deploy".into()),
    }
}

fn status(i: usize) -> RotationRow {
    let s = secret(i);
    RotationRow {
        path: s.path,
        kind: s.kind,
        last_rotated: "2026-01-01T00:00:00.000Z".into(),
        interval_days: Some(90),
        next_due: s.next_due,
        overdue_days: 0,
        schedule: "ok".into(),
        target: "manual".into(),
        state: "idle".into(),
        grace_until: None,
        grace_expired: false,
        login: None,
        last_error: None,
        lease: None,
        lease_stale: false,
    }
}

impl Ops for FakeOps {
    fn rotation_status(&self, _env: Option<&str>) -> Result<Vec<RotationRow>, OpsError> {
        Ok((0..250).map(status).collect())
    }
    fn rotate(&self, _path: &str, _op: &OpContext) -> Result<RotateResult, OpsError> {
        Err(OpsError::Invalid("not in this test".into()))
    }
    fn revoke(&self, _p: &str, _r: &str, _op: &OpContext) -> Result<Revoked, OpsError> {
        Err(OpsError::Invalid("not in this test".into()))
    }
    fn incidents(&self) -> Result<Vec<IncidentSummary>, OpsError> {
        Ok(vec![IncidentSummary {
            id: "INC-production-S001-v1".into(),
            path: "production/S001".into(),
            version: 1,
            reason: "leaked in a <b>log</b>".into(),
            actor: "os:alice".into(),
            opened_at: "2026-02-02T00:00:00.000Z".into(),
            version_created_at: None,
            closed_at: None,
            open: true,
            finding: None,
        }])
    }
    fn incident(&self, _id: &str) -> Result<Option<IncidentReport>, OpsError> {
        Ok(None)
    }
    fn secrets(&self) -> Result<Vec<SecretRow>, OpsError> {
        Ok((0..250).map(secret).collect())
    }
    fn run_due(&self, _op: &OpContext) -> Result<DueSummary, OpsError> {
        Err(OpsError::Invalid("not in this test".into()))
    }
}

fn rows(body: &str) -> usize {
    body.matches("<tr class=").count()
}

#[tokio::test]
async fn secrets_are_paginated_escaped_and_never_show_values() {
    let ui = Ui::with(|s| s.with_ops(Arc::new(FakeOps))).await;
    let c = ui.login(&ui.h.root.clone()).await;
    let p1 = ui.req("GET", "/ui/secrets", &c, None).await;
    assert_eq!(p1.status, 200, "{}", p1.body);
    assert_eq!(rows(&p1.body), 100);
    assert!(p1.body.contains("250 secrets · page 1 of 3"));
    assert!(p1.body.contains(r#"href="/ui/secrets?page=2""#));
    assert!(p1.body.contains("<svg") && p1.body.matches("<rect").count() == 100);
    assert!(
        !p1.body.contains("<script"),
        "hostile name escaped in table and chart"
    );
    assert!(p1.body.contains("&#60;script&#62;") || p1.body.contains("&lt;script&gt;"));
    let p3 = ui.req("GET", "/ui/secrets?page=3", &c, None).await;
    assert_eq!(rows(&p3.body), 50);
    assert!(p3.body.contains("production/S249") && !p3.body.contains("id=\"next\""));
    let filtered = ui.req("GET", "/ui/secrets?q=S00", &c, None).await;
    assert_eq!(rows(&filtered.body), 9, "S000..S009 without S007 (renamed)");
    assert_eq!(
        ui.req("GET", "/ui/secrets?page=0", &c, None).await.status,
        400
    );
    let one = ui.req("GET", "/ui/secrets/production/S001", &c, None).await;
    assert_eq!(one.status, 200);
    assert!(one.body.contains("id=\"secret-path\">production/S001<"));
    assert_eq!(
        ui.req("GET", "/ui/secrets/production/NOPE", &c, None)
            .await
            .status,
        404
    );
    let o = ui.req("GET", "/ui/", &c, None).await;
    assert!(o.body.contains("INC-production-S001-v1"));
    assert!(o.body.contains("leaked in a &#60;b&#62;log") || o.body.contains("&lt;b&gt;"));
}

#[tokio::test]
async fn rotate_now_follows_the_acl() {
    let ui = Ui::with(|s| s.with_ops(Arc::new(FakeOps))).await;
    let t = token(&ui.h.state, &["default"], false);
    let c = ui.login(&t).await;
    let page = ui.req("GET", "/ui/", &c, None).await;
    let csrf = page.csrf();
    let r = ui
        .req(
            "POST",
            "/ui/rotation/rotate",
            &c,
            Some(format!("csrf={csrf}&path=production%2FS001")),
        )
        .await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.body);
    assert!(ui
        .h
        .audit
        .records()
        .iter()
        .any(|r| r.path == "ui/rotation/rotate" && r.outcome == "denied"));
    assert_eq!(ui.req("GET", "/ui/secrets", &c, None).await.status, 403);
}

#[tokio::test]
async fn a_kv_api_read_is_the_secrets_last_read() {
    let ui = Ui::with(|s| s.with_ops(Arc::new(FakeOps))).await;
    let reader = token(&ui.h.state, &["root"], true);
    let path = "/v1/secret/data/production/S002";
    let w =
        ui.h.call(
            "POST",
            path,
            Some(&reader),
            Some(json!({"data": {"v": "x"}})),
        )
        .await;
    assert_eq!(w.status, 200, "{}", w.text);
    let c = ui.login(&ui.h.root.clone()).await;
    let before = ui.req("GET", "/ui/secrets?q=S002", &c, None).await;
    let never = r#"<span class="muted">never</span>"#;
    assert!(before.body.contains(never), "a write is not a read");
    assert_eq!(
        ui.h.call("GET", path, Some(&reader), None).await.status,
        200
    );
    let after = ui.req("GET", "/ui/secrets?q=S002", &c, None).await;
    assert_eq!(rows(&after.body), 1);
    assert!(!after.body.contains(never), "{}", after.body);
    assert!(after.body.contains(" by token:root</td>"), "{}", after.body);
}
