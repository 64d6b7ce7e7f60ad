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
    // Every section is an independent read (the failed-authentication count and the two
    // listings of every secret's state take tens of milliseconds each at 1M audit entries
    // and 10k secrets), so they run side by side.
    let (checklist, failed_auth, overdue, open_incidents) = tokio::join!(
        async {
            if !may_reports {
                return Ok(None);
            }
            let docs = ui.app.backends.docs.clone();
            let list = blocking(move || reports::list(docs.as_ref(), Some("checklist"), 1)).await?;
            Ok::<_, UiError>(list.last().map(checklist))
        },
        async {
            if !a.may("keyward/audit/log", Caps::READ) {
                return Ok(None);
            }
            let audit = ui.app.backends.audit.clone();
            let since = a.now - Duration::from_secs(86400);
            Ok::<_, UiError>(Some(
                blocking(move || audit.count_since(FAILED_AUTH, since)).await?,
            ))
        },
        // Sections that need the operations service are left out on a server without it.
        async {
            if !(ui.app.ops.is_some() && a.may("keyward/rotation", Caps::READ)) {
                return Ok(None);
            }
            let rows = super::ops(ui, |o| o.rotation_status(None)).await?;
            Ok::<_, UiError>(Some(super::rotation::ordered(
                rows.into_iter().filter(|r| r.overdue_days > 0).collect(),
            )))
        },
        async {
            if !(ui.app.ops.is_some() && a.may("keyward/incidents", Caps::READ)) {
                return Ok(None);
            }
            let rows = super::ops(ui, |o| o.incidents()).await?;
            Ok::<_, UiError>(Some(rows.into_iter().filter(|r| r.open).collect()))
        }
    );
    let (checklist, failed_auth) = (checklist?, failed_auth?);
    let (overdue, open_incidents) = (overdue?, open_incidents?);
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
