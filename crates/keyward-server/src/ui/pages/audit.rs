//! Audit: the newest entries first, filtered by actor, action or path, 50 a page (keyset
//! pagination on the sequence number, each filter served by an index), and a button that
//! verifies the whole chain. Reading needs `read` on `keyward/audit/log`, verifying `read`
//! on `keyward/audit/verify` (as the API's verify).

use super::super::guard::{finish, guard_post, Done, Meta, UiError};
use super::super::{Authed, Ui};
use super::{link, param, query, time, Chrome};
use crate::alerts::AlertEvent;
use crate::backend::{AuditLine, AuditQuery};
use crate::http::blocking;
use crate::policy::Caps;
use askama::Template;
use axum::extract::{Form, State};
use axum::response::Response;

/// Entries per page.
pub const PAGE: u32 = 50;

/// The last verification, as shown.
pub struct Verified {
    /// When.
    pub at: String,
    /// Whether the chain held.
    pub ok: bool,
    /// Entries checked.
    pub entries: u64,
    /// Why it broke.
    pub detail: String,
}

/// The last verification run from the dashboard, if any.
pub fn last_verified(ui: &Ui) -> Option<Verified> {
    let guard = ui.last_verify.lock().unwrap_or_else(|e| e.into_inner());
    guard.as_ref().map(|(t, v)| Verified {
        at: time(*t),
        ok: v.broken_at.is_none(),
        entries: v.entries,
        detail: v.detail.clone().unwrap_or_default(),
    })
}

#[derive(Template)]
#[template(path = "ui/audit.html")]
struct Page {
    c: Chrome,
    rows: Vec<AuditLine>,
    actor: String,
    action: String,
    path: String,
    next: Option<String>,
    first: Option<String>,
    can_verify: bool,
    verified: Option<Verified>,
}

async fn render(ui: &Ui, a: &Authed, q: &str) -> Result<Done, UiError> {
    a.require("keyward/audit/log", Caps::READ, "reading the audit log")?;
    let pairs = query(q);
    let before = match param(&pairs, "before") {
        Some(b) => Some(
            b.parse::<u64>()
                .map_err(|_| UiError::bad("before must be an entry number"))?,
        ),
        None => None,
    };
    let query = AuditQuery {
        actor: param(&pairs, "actor"),
        action: param(&pairs, "action"),
        path: param(&pairs, "path"),
        before_seq: before,
        limit: PAGE + 1,
    };
    let audit = ui.app.backends.audit.clone();
    let q2 = query.clone();
    let mut rows = blocking(move || audit.tail(&q2)).await?;
    let more = rows.len() > PAGE as usize;
    rows.truncate(PAGE as usize);
    let filters = |before: Option<String>| {
        link(&[
            ("actor", query.actor.as_deref()),
            ("action", query.action.as_deref()),
            ("path", query.path.as_deref()),
            ("before", before.as_deref()),
        ])
    };
    let page = Page {
        c: Chrome::of(a, "audit"),
        next: more
            .then(|| rows.last().map(|r| filters(Some(r.seq.to_string()))))
            .flatten(),
        first: before.map(|_| filters(None)),
        actor: query.actor.clone().unwrap_or_default(),
        action: query.action.clone().unwrap_or_default(),
        path: query.path.clone().unwrap_or_default(),
        rows,
        can_verify: a.may("keyward/audit/verify", Caps::READ),
        verified: last_verified(ui),
    };
    super::html(&page)
}

view!("ui/audit", render);

/// `POST /ui/audit/verify`: recompute the chain; a broken chain raises the
/// `audit-verify-failed` alert, as the API's verify does.
pub async fn verify(
    State(ui): State<Ui>,
    meta: Meta,
    Form(f): Form<super::super::auth::CsrfForm>,
) -> Response {
    let path = "ui/audit/verify";
    let a = match guard_post(&ui, &meta, f.csrf.as_deref(), path).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result = async {
        a.require(
            "keyward/audit/verify",
            Caps::READ,
            "verifying the audit log",
        )?;
        let audit = ui.app.backends.audit.clone();
        let v = blocking(move || audit.verify()).await?;
        if let Some(detail) = &v.detail {
            ui.app.alerts.emit(AlertEvent::AuditVerifyFailed {
                detail: detail.clone(),
            });
        }
        let detail = format!(
            "entries={} broken_at={}",
            v.entries,
            v.broken_at.map_or("none".into(), |b| b.to_string())
        );
        *ui.last_verify.lock().unwrap_or_else(|e| e.into_inner()) = Some((a.now, v));
        Ok(Done::Redirect("/ui/audit".into(), Some(detail)))
    }
    .await;
    finish(&ui, &a, "update", path, result).await
}
