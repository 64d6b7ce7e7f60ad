//! Rotation: every secret's rotation status (overdue first), and a "rotate now" form on
//! the rows whose path the session's token may rotate (`update` on
//! `keyward/rotate/<ENV>/<NAME>`, as `POST /v1/keyward/rotate/…`). Reading needs `read` on
//! `keyward/rotation`.

use super::super::guard::{finish, guard_post, Done, Meta, UiError};
use super::super::{Authed, Ui};
use super::{html, link, ops, param, query, Chrome};
use crate::ops::RotationRow;
use crate::policy::Caps;
use askama::Template;
use axum::extract::{Form, State};
use axum::response::Response;
use serde::Deserialize;

/// A row and whether it may be rotated from here.
pub struct Shown {
    /// Status row.
    pub row: RotationRow,
    /// The rotate form is shown.
    pub can_rotate: bool,
}

#[derive(Template)]
#[template(path = "ui/rotation.html")]
struct Page {
    c: Chrome,
    rows: Vec<Shown>,
    overdue: usize,
    total: usize,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
    notice: Option<String>,
}

/// Rows per page.
pub const PAGE: usize = 100;

/// Overdue rows first (most overdue on top), then by path.
pub fn ordered(mut rows: Vec<RotationRow>) -> Vec<RotationRow> {
    rows.sort_by(|a, b| (b.overdue_days.max(0), &a.path).cmp(&(a.overdue_days.max(0), &b.path)));
    rows
}

async fn render(ui: &Ui, a: &Authed, q: &str) -> Result<Done, UiError> {
    a.require(
        "keyward/rotation",
        Caps::READ,
        "reading the rotation status",
    )?;
    let rows = ordered(ops(ui, |o| o.rotation_status(None)).await?);
    let pairs = query(q);
    let notice = param(&pairs, "rotated").map(|p| format!("rotated {p}"));
    let page: usize = match param(&pairs, "page") {
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| UiError::bad("page must be a number from 1"))?,
        None => 1,
    };
    let total = rows.len();
    let pages = total.div_ceil(PAGE).max(1);
    let to = |p: usize| link(&[("page", Some(&p.to_string()))]);
    let p = Page {
        c: Chrome::of(a, "rotation"),
        overdue: rows.iter().filter(|r| r.overdue_days > 0).count(),
        total,
        page,
        pages,
        prev: (page > 1).then(|| to(page - 1)),
        next: (page < pages).then(|| to(page + 1)),
        rows: rows
            .into_iter()
            .skip((page - 1) * PAGE)
            .take(PAGE)
            .map(|row| Shown {
                can_rotate: a.may(&format!("keyward/rotate/{}", row.path), Caps::UPDATE),
                row,
            })
            .collect(),
        notice,
    };
    html(&p)
}

view!("ui/rotation", render);

/// The rotate form.
#[derive(Deserialize)]
pub struct RotateForm {
    csrf: Option<String>,
    path: String,
}

/// `POST /ui/rotation/rotate`: rotate `ENV/NAME` now, as `keyward rotate` does.
pub async fn rotate(State(ui): State<Ui>, meta: Meta, Form(f): Form<RotateForm>) -> Response {
    let audit_path = "ui/rotation/rotate";
    let a = match guard_post(&ui, &meta, f.csrf.as_deref(), audit_path).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result = async {
        a.require(
            &format!("keyward/rotate/{}", f.path),
            Caps::UPDATE,
            "rotating this secret",
        )?;
        let (path, op) = (f.path.clone(), a.op());
        let r = ops(&ui, move |o| o.rotate(&path, &op)).await?;
        let to = format!("/ui/rotation{}", link(&[("rotated", Some(&f.path))]));
        Ok(Done::Redirect(
            to,
            Some(format!("rotate {}: {}", f.path, r.outcome)),
        ))
    }
    .await;
    finish(&ui, &a, "update", audit_path, result).await
}
