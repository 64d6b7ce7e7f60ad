//! Incidents: every incident (open ones first) and one incident's post-incident report
//! (exposure window, reads of the revoked version, actions taken), as
//! `keyward incident show` renders it. Needs `read` on `keyward/incidents` (and on
//! `keyward/incidents/<id>` for a report), as the API.

use super::super::guard::{finish, guard, Done, Meta, UiError};
use super::super::{Authed, Ui};
use super::{html, ops, Chrome};
use crate::ops::IncidentSummary;
use crate::policy::Caps;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

#[derive(Template)]
#[template(path = "ui/incidents.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<IncidentSummary>,
}

async fn render(ui: &Ui, a: &Authed, _q: &str) -> Result<Done, UiError> {
    a.require("keyward/incidents", Caps::READ, "reading incidents")?;
    let mut rows = ops(ui, |o| o.incidents()).await?;
    rows.reverse();
    rows.sort_by_key(|r| !r.open);
    html(&ListPage {
        c: Chrome::of(a, "incidents"),
        rows,
    })
}

view!("ui/incidents", render);

#[derive(Template)]
#[template(path = "ui/incident.html")]
struct ReportPage {
    c: Chrome,
    id: String,
    report: String,
}

async fn report(ui: &Ui, a: &Authed, id: &str) -> Result<Done, UiError> {
    a.require(
        &format!("keyward/incidents/{id}"),
        Caps::READ,
        "reading this incident",
    )?;
    let wanted = id.to_string();
    let r = ops(ui, move |o| o.incident(&wanted))
        .await?
        .ok_or_else(|| {
            UiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no incident {id}"),
            )
        })?;
    html(&ReportPage {
        c: Chrome::of(a, "incidents"),
        id: id.to_string(),
        report: r.to_markdown(),
    })
}

/// `GET /ui/incidents/{id}`: the post-incident report.
pub async fn one(State(ui): State<Ui>, Path(id): Path<String>, meta: Meta) -> Response {
    let a = match guard(&ui, &meta).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result = report(&ui, &a, &id).await;
    finish(&ui, &a, "read", &format!("ui/incidents/{id}"), result).await
}
