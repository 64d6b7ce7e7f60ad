//! Tokens: the live tokens (accessor, name, policies, expiry — never a value) and a revoke
//! form per token. Listing needs `sudo` on `keyward/tokens` and revoking `update` on
//! `auth/token/revoke-accessor`, as through the API.

use super::super::guard::{finish, guard_post, Done, Meta, UiError};
use super::super::{Authed, Ui};
use super::{time, Chrome};
use crate::alerts::AlertEvent;
use crate::http::blocking;
use crate::policy::Caps;
use askama::Template;
use axum::extract::{Form, State};
use axum::response::Response;
use serde::Deserialize;

/// One row.
pub struct Row {
    /// Accessor.
    pub accessor: String,
    /// Display name.
    pub name: String,
    /// Policies, comma-separated.
    pub policies: String,
    /// Created.
    pub created: String,
    /// Expires (or `never`).
    pub expires: String,
    /// The expiry warning, when near.
    pub warning: Option<String>,
    /// Whether this is the session's own token.
    pub own: bool,
}

#[derive(Template)]
#[template(path = "ui/tokens.html")]
struct Page {
    c: Chrome,
    rows: Vec<Row>,
    can_revoke: bool,
    notice: Option<String>,
}

async fn render(ui: &Ui, a: &Authed, query: &str) -> Result<Done, UiError> {
    let notice =
        super::param(&super::query(query), "revoked").map(|n| format!("revoked {n} token(s)"));
    a.require("keyward/tokens", Caps::SUDO, "listing tokens")?;
    let repo = ui.app.tokens.repo().clone();
    let now = a.now;
    let mut list = blocking(move || repo.list()).await?;
    list.retain(|r| r.expire_time.is_none_or(|t| t > now));
    list.sort_by_key(|r| std::cmp::Reverse(r.creation_time));
    let rows = list
        .into_iter()
        .map(|r| Row {
            own: r.accessor == a.record.accessor,
            warning: ui.app.tokens.expiry_warning(&r, now),
            expires: r.expire_time.map_or_else(|| "never".into(), time),
            created: time(r.creation_time),
            policies: r.policies.join(", "),
            name: r.display_name,
            accessor: r.accessor,
        })
        .collect();
    let page = Page {
        c: Chrome::of(a, "tokens"),
        rows,
        can_revoke: a.may("auth/token/revoke-accessor", Caps::UPDATE),
        notice,
    };
    super::html(&page)
}

view!("ui/tokens", render);

/// The revoke form.
#[derive(Deserialize)]
pub struct RevokeForm {
    csrf: Option<String>,
    accessor: String,
}

/// `POST /ui/tokens/revoke`: revoke a token (and its children) by accessor; its sessions
/// end with it.
pub async fn revoke(State(ui): State<Ui>, meta: Meta, Form(f): Form<RevokeForm>) -> Response {
    let path = "ui/tokens/revoke";
    let a = match guard_post(&ui, &meta, f.csrf.as_deref(), path).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result = async {
        a.require(
            "auth/token/revoke-accessor",
            Caps::UPDATE,
            "revoking tokens",
        )?;
        let repo = ui.app.tokens.repo().clone();
        let (acc, op) = (f.accessor.clone(), a.op());
        let target = blocking({
            let (repo, acc) = (repo.clone(), acc.clone());
            move || repo.by_accessor(&acc)
        })
        .await?;
        let revoked = blocking(move || repo.revoke(&acc, &op)).await?;
        for r in &revoked {
            ui.sessions.destroy_accessor(r);
        }
        if !revoked.is_empty() {
            ui.app.alerts.emit(AlertEvent::Revocation {
                accessors: revoked.clone(),
                display_name: target.map(|t| t.display_name).unwrap_or_default(),
                by: a.record.display_name.clone(),
            });
        }
        let detail = format!("revoked {}", revoked.join(","));
        let to = if revoked.contains(&a.record.accessor) {
            "/ui/login".to_string()
        } else {
            format!("/ui/tokens?revoked={}", revoked.len())
        };
        Ok(Done::Redirect(to, Some(detail)))
    }
    .await;
    finish(&ui, &a, "update", path, result).await
}
