//! keyward's own operations under `/v1/keyward/`: rotation status, rotate, revoke,
//! incidents and the secrets overview, each calling [`crate::ops::Ops`] (the same library
//! functions as `keyward rotation status`, `rotate`, `revoke`, `incident`). Capabilities:
//! `read` for GETs, `update` for rotate and revoke, on the request's own path
//! (`keyward/rotate/production/JWT_SECRET`), so a policy can grant rotation of one
//! environment only.

use super::request::{Ctx, Op};
use super::{ApiError, AppState, Reply};
use crate::ops::{IncidentSummary, Ops, OpsError, Revoked, RotateResult, SecretRow};
use crate::policy::Caps;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;
use utoipa::ToSchema;

impl From<OpsError> for ApiError {
    fn from(e: OpsError) -> ApiError {
        let status = match &e {
            OpsError::NotFound(_) => StatusCode::NOT_FOUND,
            OpsError::Invalid(_) => StatusCode::BAD_REQUEST,
            OpsError::Busy(_) => StatusCode::CONFLICT,
            OpsError::Failed(_) => StatusCode::BAD_GATEWAY,
            OpsError::Unavailable(_) => {
                tracing::error!(error = %e, "storage error");
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage unavailable; try again",
                );
            }
        };
        ApiError::new(status, e.to_string())
    }
}

/// `GET /v1/keyward/rotation` body.
#[derive(Serialize, ToSchema)]
pub struct RotationList {
    /// One row per live secret, as `keyward rotation status -f json` prints them.
    #[schema(value_type = Vec<Object>)]
    pub secrets: Vec<crate::ops::RotationRow>,
}

/// `GET /v1/keyward/incidents` body.
#[derive(Serialize, ToSchema)]
pub struct IncidentList {
    /// Every incident, oldest first.
    pub incidents: Vec<IncidentSummary>,
}

/// `GET /v1/keyward/secrets` body.
#[derive(Serialize, ToSchema)]
pub struct SecretList {
    /// Every live secret (never a value).
    pub secrets: Vec<SecretRow>,
}

/// `POST /v1/keyward/revoke/<ENV>/<NAME>` request body.
#[derive(serde::Deserialize, ToSchema)]
pub struct RevokeRequest {
    /// Why the secret is revoked (recorded in the incident).
    pub reason: String,
}

/// Serve `keyward/<rest>` for the operations; `None` when `rest` is not one of them.
pub async fn route(s: &AppState, ctx: &mut Ctx, rest: &str) -> Option<Result<Reply, ApiError>> {
    let (head, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let r = match (head, tail.is_empty()) {
        ("rotation", true) => rotation(s, ctx).await,
        ("rotate", false) => rotate(s, ctx, tail.to_string()).await,
        ("revoke", false) => revoke(s, ctx, tail.to_string()).await,
        ("incidents", true) => incidents(s, ctx).await,
        ("incidents", false) => incident(s, ctx, tail.to_string()).await,
        ("secrets", true) => secrets(s, ctx).await,
        _ => return None,
    };
    Some(r)
}

/// The operations, or 501 on a server without them (the in-memory backends).
fn ops(s: &AppState) -> Result<Arc<dyn Ops>, ApiError> {
    s.ops.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "keyward's rotation endpoints need a store-backed server (keyward serve)",
        )
    })
}

/// Check the method and capability, then run `f` on the blocking pool.
async fn call<T: Send + 'static>(
    s: &AppState,
    ctx: &Ctx,
    op: Op,
    cap: Caps,
    f: impl FnOnce(&dyn Ops) -> Result<T, OpsError> + Send + 'static,
) -> Result<T, ApiError> {
    if ctx.op != op {
        return Err(ApiError::unsupported());
    }
    ctx.require(&ctx.path, cap)?;
    let ops = ops(s)?;
    tokio::task::spawn_blocking(move || f(ops.as_ref()))
        .await
        .unwrap_or_else(|_| Err(OpsError::Unavailable("an operation panicked".into())))
        .map_err(ApiError::from)
}

fn data<T: Serialize>(v: &T) -> Reply {
    Reply::Data(serde_json::to_value(v).expect("serializable"))
}

/// Rotation status of every secret (`?env=production` for one environment).
#[utoipa::path(get, path = "/v1/keyward/rotation", tag = "rotation",
    params(("env" = Option<String>, Query, description = "Only this environment")),
    responses((status = 200, description = "Rotation status in the envelope's `data`", body = RotationList),
              (status = 403, description = "Needs `read` on `keyward/rotation`")))]
pub(super) async fn rotation(s: &AppState, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let env = ctx.query.get("env").filter(|e| !e.is_empty()).cloned();
    let secrets = call(s, ctx, Op::Read, Caps::READ, move |o| {
        o.rotation_status(env.as_deref())
    })
    .await?;
    Ok(data(&RotationList { secrets }))
}

/// Rotate `ENV/NAME` now (`keyward rotate ENV/NAME`).
#[utoipa::path(post, path = "/v1/keyward/rotate/{env}/{name}", tag = "rotation",
    params(("env" = String, Path), ("name" = String, Path)),
    responses((status = 200, description = "What the rotation left behind", body = RotateResult),
              (status = 403, description = "Needs `update` on `keyward/rotate/<env>/<name>`"),
              (status = 404, description = "No such secret"),
              (status = 409, description = "Another process holds the rotation"),
              (status = 502, description = "The target failed; `current` is untouched")))]
pub(super) async fn rotate(s: &AppState, ctx: &mut Ctx, path: String) -> Result<Reply, ApiError> {
    let op = ctx.op_context();
    let r = call(s, ctx, Op::Write, Caps::UPDATE, move |o| {
        o.rotate(&path, &op)
    })
    .await?;
    ctx.audit_version = r.version;
    ctx.audit_detail = Some(format!("rotate: {}", r.outcome));
    Ok(data(&r))
}

/// Revoke the current version of `ENV/NAME` (`keyward revoke`): opens an incident and
/// rotates with no grace.
#[utoipa::path(post, path = "/v1/keyward/revoke/{env}/{name}", tag = "rotation",
    params(("env" = String, Path), ("name" = String, Path)),
    request_body = RevokeRequest,
    responses((status = 200, description = "The incident and the replacement rotation", body = Revoked),
              (status = 400, description = "No reason given, or already revoked"),
              (status = 403, description = "Needs `update` on `keyward/revoke/<env>/<name>`"),
              (status = 404, description = "No such secret"),
              (status = 502, description = "The target failed; the incident stays open")))]
pub(super) async fn revoke(s: &AppState, ctx: &mut Ctx, path: String) -> Result<Reply, ApiError> {
    if ctx.op != Op::Write {
        return Err(ApiError::unsupported());
    }
    let reason = match serde_json::from_value::<RevokeRequest>(Value::Object(ctx.json()?)) {
        Ok(r) if !r.reason.trim().is_empty() => r.reason,
        _ => {
            return Err(ApiError::bad(
                "\"reason\" must say why the secret is revoked",
            ))
        }
    };
    let op = ctx.op_context();
    let r = call(s, ctx, Op::Write, Caps::UPDATE, move |o| {
        o.revoke(&path, &reason, &op)
    })
    .await?;
    ctx.audit_version = Some(r.incident.version);
    ctx.audit_detail = Some(format!("revoke: incident {}", r.incident.id));
    Ok(data(&r))
}

/// Every incident (`keyward incident list`).
#[utoipa::path(get, path = "/v1/keyward/incidents", tag = "incidents",
    responses((status = 200, description = "Incidents in the envelope's `data`", body = IncidentList),
              (status = 403, description = "Needs `read` on `keyward/incidents`")))]
pub(super) async fn incidents(s: &AppState, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let incidents = call(s, ctx, Op::Read, Caps::READ, |o| o.incidents()).await?;
    Ok(data(&IncidentList { incidents }))
}

/// One incident's report (`keyward incident show`): JSON, or the post-incident report in
/// Markdown with `?format=markdown`.
#[utoipa::path(get, path = "/v1/keyward/incidents/{id}", tag = "incidents",
    params(("id" = String, Path), ("format" = Option<String>, Query, description = "`markdown` for the post-incident report")),
    responses((status = 200, description = "The report (incident, exposure start, reads of the version, actions) in `data`, or Markdown text"),
              (status = 403, description = "Needs `read` on `keyward/incidents/<id>`"),
              (status = 404, description = "No such incident")))]
pub(super) async fn incident(s: &AppState, ctx: &mut Ctx, id: String) -> Result<Reply, ApiError> {
    let markdown = match ctx.query.get("format").map(String::as_str) {
        None | Some("json") => false,
        Some("markdown" | "md") => true,
        Some(other) => {
            return Err(ApiError::bad(format!(
                "unknown format `{other}` (json, markdown)"
            )))
        }
    };
    let missing = format!("no incident {id}");
    let report = call(s, ctx, Op::Read, Caps::READ, move |o| o.incident(&id))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, missing))?;
    if markdown {
        return Ok(Reply::Markdown(report.to_markdown()));
    }
    Ok(data(&report))
}

/// Every live secret with its schedule and last read — never a value.
#[utoipa::path(get, path = "/v1/keyward/secrets", tag = "secrets",
    responses((status = 200, description = "Secrets in the envelope's `data`", body = SecretList),
              (status = 403, description = "Needs `read` on `keyward/secrets`")))]
pub(super) async fn secrets(s: &AppState, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let secrets = call(s, ctx, Op::Read, Caps::READ, |o| o.secrets()).await?;
    Ok(data(&SecretList { secrets }))
}
