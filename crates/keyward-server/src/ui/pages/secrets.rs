//! Secrets: every live secret (name, kind, age, last rotated, next due, last read and by
//! whom — never a value), 100 a page, with a chart of each one's age against its rotation
//! interval; and one secret's page with its recent audit entries. Needs `read` on
//! `keyward/secrets` (as `GET /v1/keyward/secrets`).
//!
//! Built from the rotation status (no audit scan) and, for the rows of the page only, the
//! last read of each secret through the audit log's path index — so a page costs the same
//! with a million audit entries as with a hundred.

use super::super::chart::{age_bars, AgeBar};
use super::super::guard::{Done, UiError};
use super::super::{Authed, Ui};
use super::{html, link, ops, param, query, Chrome};
use crate::backend::{AuditLine, AuditLog, AuditQuery, BackendError};
use crate::http::blocking;
use crate::ops::RotationRow;
use crate::policy::Caps;
use askama::Template;
use keyward_rotate::incident::READS;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

/// Rows per page.
pub const PAGE: usize = 100;

/// Whole days from an RFC 3339 time (or a date) to `now`.
pub fn days_since(t: &str, now: SystemTime) -> Option<u64> {
    let then = keyward_rotate::clock::parse(t)?;
    Some(keyward_rotate::clock::days_from(then, now).max(0) as u64)
}

/// A row as shown.
pub struct Shown {
    /// Its rotation status.
    pub row: RotationRow,
    /// Days since the last rotation (or creation).
    pub age: u64,
    /// The last read: when and by whom.
    pub read: Option<(String, String)>,
}

/// The audit queries that find reads of the store secret `path` (`ENV/NAME`): the store's
/// own reads (CLI `secret get`, `export`, `run`) and KV v2 API reads of the same secret
/// through every mount (`<mount>/data/<env_prefix><ENV>/<NAME>`, audited as `api.read`).
fn read_queries(path: &str, mounts: &[(String, String)]) -> Vec<(String, String)> {
    let mut q: Vec<(String, String)> = READS
        .iter()
        .map(|a| (path.to_string(), a.to_string()))
        .collect();
    for (mount, prefix) in mounts {
        q.push((format!("{mount}/data/{prefix}{path}"), "api.read".into()));
    }
    q
}

/// The newest successful read of each of `paths`, each through the path index.
fn last_reads(
    log: &dyn AuditLog,
    paths: &[String],
    mounts: &[(String, String)],
) -> Result<HashMap<String, (String, String)>, BackendError> {
    let mut out = HashMap::new();
    for p in paths {
        let mut best: Option<AuditLine> = None;
        for (path, action) in read_queries(p, mounts) {
            let q = AuditQuery {
                path: Some(path),
                action: Some(action),
                limit: 5,
                ..AuditQuery::default()
            };
            if let Some(e) = log.tail(&q)?.into_iter().find(|e| e.outcome == "ok") {
                if best.as_ref().is_none_or(|b| e.seq > b.seq) {
                    best = Some(e);
                }
            }
        }
        if let Some(e) = best {
            out.insert(p.clone(), (e.time, e.actor));
        }
    }
    Ok(out)
}

async fn shown(ui: &Ui, rows: Vec<RotationRow>, now: SystemTime) -> Result<Vec<Shown>, UiError> {
    let log: Arc<dyn AuditLog> = ui.app.backends.audit.clone();
    let paths: Vec<String> = rows.iter().map(|r| r.path.clone()).collect();
    let mounts: Vec<(String, String)> = (ui.app.config.mounts.iter())
        .map(|m| (m.name.clone(), m.env_prefix.clone()))
        .collect();
    let mut reads = blocking(move || last_reads(log.as_ref(), &paths, &mounts)).await?;
    Ok(rows
        .into_iter()
        .map(|row| Shown {
            age: days_since(&row.last_rotated, now).unwrap_or(0),
            read: reads.remove(&row.path),
            row,
        })
        .collect())
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
    let mut all = ops(ui, |o| o.rotation_status(None)).await?;
    all.retain(|r| filter.is_empty() || r.path.contains(&filter));
    all.sort_by(|x, y| x.path.cmp(&y.path));
    let total = all.len();
    let pages = total.div_ceil(PAGE).max(1);
    let mine: Vec<RotationRow> = all.into_iter().skip((page - 1) * PAGE).take(PAGE).collect();
    let rows = shown(ui, mine, a.now).await?;
    let bars: Vec<AgeBar> = rows
        .iter()
        .map(|s| AgeBar {
            label: s.row.path.clone(),
            age_days: s.age as f64,
            interval_days: s.row.interval_days.map(f64::from),
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
    let env = path.split('/').next().unwrap_or("").to_string();
    let rows = ops(ui, move |o| o.rotation_status(Some(&env))).await?;
    let row = rows.into_iter().find(|r| r.path == path).ok_or_else(|| {
        UiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            format!("no secret {path}"),
        )
    })?;
    let may_audit = a.may("keyward/audit/log", Caps::READ);
    let audit = if may_audit {
        let log = ui.app.backends.audit.clone();
        let q = AuditQuery {
            path: Some(path.to_string()),
            limit: 20,
            ..AuditQuery::default()
        };
        blocking(move || log.tail(&q)).await?
    } else {
        Vec::new()
    };
    let p = DetailPage {
        c: Chrome::of(a, "secrets"),
        can_rotate: a.may(&format!("keyward/rotate/{path}"), Caps::UPDATE),
        s: shown(ui, vec![row], a.now).await?.remove(0),
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

#[cfg(test)]
mod tests {
    use super::read_queries;

    #[test]
    fn kv_api_reads_of_a_secret_count_as_reads() {
        let mounts = vec![
            ("secret".to_string(), String::new()),
            ("kv".to_string(), "app/".to_string()),
        ];
        let q = read_queries("production/JWT_SECRET", &mounts);
        assert!(q.contains(&("production/JWT_SECRET".into(), "read".into())));
        assert!(q.contains(&("production/JWT_SECRET".into(), "export".into())));
        assert!(q.contains(&(
            "secret/data/production/JWT_SECRET".into(),
            "api.read".into()
        )));
        assert!(q.contains(&(
            "kv/data/app/production/JWT_SECRET".into(),
            "api.read".into()
        )));
        // Metadata reads reveal no value and are not asked for.
        assert!(!q.iter().any(|(p, _)| p.contains("/metadata/")));
    }
}
