//! `/v1/keyward/reports`: CI posts scan, deps, infra and checklist reports (JSON) for the
//! dashboard's findings and overview pages, and lists them.

use super::request::Ctx;
use super::{blocking, ApiError, AppState, Reply};
use crate::policy::Caps;
use crate::reports::{self, Report};
use serde::Serialize;
use utoipa::ToSchema;

/// `POST /v1/keyward/reports` body.
#[derive(serde::Deserialize, ToSchema)]
pub struct NewReport {
    /// `scan`, `deps`, `infra` or `checklist`.
    pub kind: String,
    /// The report: `keyward scan|deps|infra|checklist -f json` output.
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
}

/// `GET /v1/keyward/reports` body.
#[derive(Serialize, ToSchema)]
pub struct ReportList {
    /// The latest reports of each kind (30 per kind, or `?limit=`), oldest first.
    pub reports: Vec<Report>,
}

/// Store a report CI produced (shown on the dashboard's findings and overview pages).
#[utoipa::path(post, path = "/v1/keyward/reports", tag = "reports", request_body = NewReport,
    responses((status = 200, description = "Stored: id, kind, time and counts by severity (the report itself is not echoed)", body = Report),
              (status = 400, description = "Unknown kind, or the report is not a JSON object"),
              (status = 403, description = "Needs `update` on `keyward/reports`")))]
pub async fn post(s: &AppState, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    ctx.require("keyward/reports", Caps::UPDATE)?;
    let body: NewReport = serde_json::from_slice(&ctx.body).map_err(|_| {
        ApiError::bad("expected {\"kind\": \"scan|deps|infra|checklist\", \"report\": {…}}")
    })?;
    let (docs, op) = (s.backends.docs.clone(), ctx.op_context());
    let kind = body.kind.clone();
    let mut r = blocking(move || reports::store(docs.as_ref(), &kind, body.report, &op)).await?;
    ctx.audit_detail = Some(format!("report {}", r.id));
    r.report = serde_json::Value::Null;
    Ok(Reply::Data(serde_json::to_value(r).expect("serializable")))
}

/// List the latest reports (`?kind=` one kind, `?limit=` per kind, default 30).
#[utoipa::path(get, path = "/v1/keyward/reports", tag = "reports",
    params(("kind" = Option<String>, Query, description = "Only this kind"),
           ("limit" = Option<usize>, Query, description = "Reports per kind (default 30, at most 1000)")),
    responses((status = 200, description = "Reports in the Vault envelope's `data`", body = ReportList),
              (status = 403, description = "Needs `read` on `keyward/reports`")))]
pub async fn get(s: &AppState, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    ctx.require("keyward/reports", Caps::READ)?;
    let kind = ctx.query.get("kind").cloned();
    let limit = match ctx.query.get("limit") {
        Some(l) => l
            .parse::<usize>()
            .map_err(|_| ApiError::bad("limit must be a number"))?
            .min(1000),
        None => 30,
    };
    let docs = s.backends.docs.clone();
    let list = blocking(move || reports::list(docs.as_ref(), kind.as_deref(), limit)).await?;
    Ok(Reply::Data(
        serde_json::to_value(ReportList { reports: list }).expect("serializable"),
    ))
}
