//! Secrets: every live secret (name, kind, age, last rotated, next due, last read and by
//! whom — never a value), 100 a page, with a chart of each one's age against its rotation
//! interval; and one secret's page with its recent audit entries. Needs `read` on
//! `keyward/secrets` (as `GET /v1/keyward/secrets`).

use super::super::chart::{age_bars, AgeBar};
use super::super::guard::{Done, UiError};
use super::super::{Authed, Ui};
use super::{html, link, ops, param, query, Chrome};
use crate::backend::{AuditLine, AuditQuery};
use crate::http::blocking;
use crate::ops::SecretRow;
use crate::policy::Caps;
use askama::Template;
use std::time::SystemTime;

/// Rows per page.
pub const PAGE: usize = 100;

/// Whole days from an RFC 3339 time (or a date) to `now`.
pub fn days_since(t: &str, now: SystemTime) -> Option<f64> {
    let then = keyward_rotate::clock::parse(t)?;
    Some(keyward_rotate::clock::days_from(then, now).max(0) as f64)
}

/// The rotation interval in days: from the last rotation to the next due date.
fn interval(row: &SecretRow) -> Option<f64> {
    let last = keyward_rotate::clock::parse(row.last_rotated.as_deref()?)?;
    let due = keyward_rotate::clock::parse(row.next_due.as_deref()?)?;
    Some(keyward_rotate::clock::days_from(last, due) as f64)
}

/// A row as shown.
pub struct Shown {
    /// The row.
    pub row: SecretRow,
    /// Age in days (since the last rotation, else creation).
    pub age: u64,
}

#[derive(Template)]
#[template(path = "ui/secrets.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Shown>,
    total: usize,
    filter: String,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
    chart: String,
}

async fn render(ui: &Ui, a: &Authed, q: &str) -> Result<Done, UiError> {
    a.require("keyward/secrets", Caps::READ, "listing secrets")?;
    let pairs = query(q);
    let filter = param(&pairs, "q").unwrap_or_default();
    let page: usize = match param(&pairs, "page") {
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| UiError::bad("page must be a number from 1"))?,
        None => 1,
    };
    let mut all = ops(ui, |o| o.secrets()).await?;
    if !filter.is_empty() {
        all.retain(|r| r.path.contains(&filter));
    }
    let total = all.len();
    let pages = total.div_ceil(PAGE).max(1);
    let rows: Vec<Shown> = all
        .into_iter()
        .skip((page - 1) * PAGE)
        .take(PAGE)
        .map(|row| Shown {
            age: days_since(
                row.last_rotated.as_deref().unwrap_or(&row.created_at),
                a.now,
            )
            .unwrap_or(0.0) as u64,
            row,
        })
        .collect();
    let bars: Vec<AgeBar> = rows
        .iter()
        .map(|s| AgeBar {
            label: s.row.path.clone(),
            age_days: s.age as f64,
            interval_days: interval(&s.row),
        })
        .collect();
    let f = (!filter.is_empty()).then_some(filter.as_str());
    let to = |p: usize| link(&[("q", f), ("page", Some(&p.to_string()))]);
    let p = ListPage {
        c: Chrome::of(a, "secrets"),
        chart: if bars.is_empty() {
            String::new()
        } else {
            age_bars(&bars)
        },
        prev: (page > 1).then(|| to(page - 1)),
        next: (page < pages).then(|| to(page + 1)),
        rows,
        total,
        filter: filter.clone(),
        page,
        pages,
    };
    html(&p)
}

view!("ui/secrets", render);

#[derive(Template)]
#[template(path = "ui/secret.html")]
struct DetailPage {
    c: Chrome,
    s: Shown,
    audit: Vec<AuditLine>,
    can_rotate: bool,
    may_audit: bool,
}

async fn detail(ui: &Ui, a: &Authed, path: &str) -> Result<Done, UiError> {
    a.require("keyward/secrets", Caps::READ, "reading secrets")?;
    let wanted = path.to_string();
    let row = ops(ui, move |o| {
        Ok(o.secrets()?.into_iter().find(|r| r.path == wanted))
    })
    .await?
    .ok_or_else(|| {
        UiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            format!("no secret {path}"),
        )
    })?;
    let may_audit = a.may("keyward/audit/log", Caps::READ);
    let audit = if may_audit {
        let (log, q) = (
            ui.app.backends.audit.clone(),
            AuditQuery {
                path: Some(path.to_string()),
                limit: 20,
                ..AuditQuery::default()
            },
        );
        blocking(move || log.tail(&q)).await?
    } else {
        Vec::new()
    };
    let p = DetailPage {
        c: Chrome::of(a, "secrets"),
        can_rotate: a.may(&format!("keyward/rotate/{path}"), Caps::UPDATE),
        s: Shown {
            age: days_since(
                row.last_rotated.as_deref().unwrap_or(&row.created_at),
                a.now,
            )
            .unwrap_or(0.0) as u64,
            row,
        },
        audit,
        may_audit,
    };
    html(&p)
}

/// `GET /ui/secrets/{*path}`: one secret (`ENV/NAME`).
pub async fn one(
    axum::extract::State(ui): axum::extract::State<Ui>,
    axum::extract::Path(path): axum::extract::Path<String>,
    meta: super::super::Meta,
) -> axum::response::Response {
    let a = match super::super::guard::guard(&ui, &meta).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result = detail(&ui, &a, &path).await;
    super::super::guard::finish(&ui, &a, "read", &format!("ui/secrets/{path}"), result).await
}
