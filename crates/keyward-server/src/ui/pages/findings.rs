//! Findings: the reports CI posted to `POST /v1/keyward/reports` — the latest of each kind
//! with its counts by severity, and the trend of each kind as a line chart. Needs `read` on
//! `keyward/reports` (as `GET /v1/keyward/reports`).

use super::super::chart::{lines, Series};
use super::super::guard::{Done, UiError};
use super::super::{Authed, Ui};
use super::Chrome;
use crate::http::blocking;
use crate::policy::Caps;
use crate::reports::{self, Report, SEVERITIES};
use askama::Template;

/// Reports per kind drawn in the trend.
pub const TREND: usize = 30;

/// The latest report of a kind, as shown.
pub struct Latest {
    /// Kind.
    pub kind: String,
    /// When.
    pub time: String,
    /// `severity: n` pairs (or checklist states).
    pub counts: Vec<(String, u64)>,
    /// Problems (findings above info, failed items).
    pub problems: u64,
    /// Reports of this kind kept in the trend.
    pub reports: usize,
}

#[derive(Template)]
#[template(path = "ui/findings.html")]
struct Page {
    c: Chrome,
    latest: Vec<Latest>,
    chart: String,
}

/// Every kind's reports, oldest first.
pub async fn load(ui: &Ui, a: &Authed) -> Result<Vec<Report>, UiError> {
    a.require("keyward/reports", Caps::READ, "reading reports")?;
    let docs = ui.app.backends.docs.clone();
    Ok(blocking(move || reports::list(docs.as_ref(), None, TREND)).await?)
}

fn ordered(r: &Report) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = SEVERITIES
        .iter()
        .filter_map(|s| r.counts.get(*s).map(|n| (s.to_string(), *n)))
        .collect();
    for (k, n) in &r.counts {
        if !SEVERITIES.contains(&k.as_str()) {
            out.push((k.clone(), *n));
        }
    }
    out
}

async fn render(ui: &Ui, a: &Authed, _query: &str) -> Result<Done, UiError> {
    let all = load(ui, a).await?;
    let mut latest = Vec::new();
    let mut series = Vec::new();
    for kind in reports::KINDS {
        let mine: Vec<&Report> = all.iter().filter(|r| r.kind == *kind).collect();
        let Some(last) = mine.last() else { continue };
        latest.push(Latest {
            kind: kind.to_string(),
            time: last.time.clone(),
            counts: ordered(last),
            problems: last.problems(),
            reports: mine.len(),
        });
        series.push(Series {
            label: format!("{kind}: problems per report"),
            points: mine
                .iter()
                .map(|r| (r.unix as f64, r.problems() as f64))
                .collect(),
        });
    }
    let page = Page {
        c: Chrome::of(a, "findings"),
        chart: if series.is_empty() {
            String::new()
        } else {
            lines(&series, 640, 220)
        },
        latest,
    };
    super::html(&page)
}

view!("ui/findings", render);
