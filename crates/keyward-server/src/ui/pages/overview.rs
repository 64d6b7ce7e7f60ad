//! Overview: the checklist's state (the latest checklist report CI posted), failed
//! authentications in the last 24 hours (an indexed count), the audit chain's last
//! verification, and — with the operations service — overdue rotations and open
//! incidents. Each section shows only what the session's token may read.

use super::super::guard::{Done, UiError};
use super::super::{Authed, Ui};
use super::audit::{last_verified, Verified};
use super::Chrome;
use crate::http::blocking;
use crate::policy::Caps;
use crate::reports::{self, Report};
use askama::Template;
use std::time::Duration;

/// Audit outcomes that are failed authentications.
pub const FAILED_AUTH: &[&str] = &["invalid_token", "expired_token", "missing_token"];

/// A checklist item that is not proven.
pub struct Open {
    /// Item id.
    pub id: String,
    /// Its text.
    pub text: String,
    /// `failed`, `unproven`.
    pub state: String,
    /// Why.
    pub reason: String,
}

/// The checklist section.
pub struct ChecklistState {
    /// When CI posted it.
    pub time: String,
    /// Whether a pre-deployment item failed.
    pub blocked: bool,
    /// `state: n`.
    pub counts: Vec<(String, u64)>,
    /// Failed and unproven items.
    pub open: Vec<Open>,
}

fn checklist(r: &Report) -> ChecklistState {
    let open = r.report["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter(|i| matches!(i["state"].as_str(), Some("failed") | Some("unproven")))
                .map(|i| Open {
                    id: i["id"].as_str().unwrap_or("").to_string(),
                    text: i["text"].as_str().unwrap_or("").to_string(),
                    state: i["state"].as_str().unwrap_or("").to_string(),
                    reason: i["reason"].as_str().unwrap_or("").to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    ChecklistState {
        time: r.time.clone(),
        blocked: r.report["blocked"].as_bool().unwrap_or(false),
        counts: r.counts.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        open,
    }
}

#[derive(Template)]
#[template(path = "ui/overview.html")]
struct Page {
    c: Chrome,
    checklist: Option<ChecklistState>,
    may_reports: bool,
    failed_auth: Option<u64>,
    verified: Option<Verified>,
    may_verify: bool,
    overdue: Option<Vec<crate::ops::RotationRow>>,
    open_incidents: Option<Vec<crate::ops::IncidentSummary>>,
}

async fn render(ui: &Ui, a: &Authed, _query: &str) -> Result<Done, UiError> {
    let may_reports = a.may("keyward/reports", Caps::READ);
    let checklist = if may_reports {
        let docs = ui.app.backends.docs.clone();
        let list = blocking(move || reports::list(docs.as_ref(), Some("checklist"), 1)).await?;
        list.last().map(checklist)
    } else {
        None
    };
    let failed_auth = if a.may("keyward/audit/log", Caps::READ) {
        let audit = ui.app.backends.audit.clone();
        let since = a.now - Duration::from_secs(86400);
        Some(blocking(move || audit.count_since(FAILED_AUTH, since)).await?)
    } else {
        None
    };
    // Sections that need the operations service are left out on a server without it.
    let has_ops = ui.app.ops.is_some();
    let overdue = if has_ops && a.may("keyward/rotation", Caps::READ) {
        let rows = super::ops(ui, |o| o.rotation_status(None)).await?;
        Some(super::rotation::ordered(
            rows.into_iter().filter(|r| r.overdue_days > 0).collect(),
        ))
    } else {
        None
    };
    let open_incidents = if has_ops && a.may("keyward/incidents", Caps::READ) {
        let rows = super::ops(ui, |o| o.incidents()).await?;
        Some(rows.into_iter().filter(|r| r.open).collect())
    } else {
        None
    };
    let page = Page {
        overdue,
        open_incidents,
        c: Chrome::of(a, "overview"),
        checklist,
        may_reports,
        failed_auth,
        verified: last_verified(ui),
        may_verify: a.may("keyward/audit/verify", Caps::READ),
    };
    super::html(&page)
}

view!("ui/overview", render);
