//! keyward's own endpoints under `/v1/keyward/` (documented by [`ApiDoc`], an OpenAPI 3.1
//! document served at `/v1/keyward/openapi.json`), and `/metrics`.

use super::keyward_ops;
use super::reports;
use super::request::{Ctx, Op};
use super::{blocking, ApiError, AppState, Reply};
use crate::alerts::AlertEvent;
use crate::backend::{AuditVerify, TokenRecord};
use crate::clock::{rfc3339, secs_between};
use crate::policy::Caps;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use std::time::SystemTime;
use utoipa::{OpenApi, ToSchema};

/// The OpenAPI document of keyward's own endpoints (the Vault-compatible surface is
/// Vault's, documented in docs/server.md).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "keyward server",
        description = "keyward's own endpoints beside the Vault-compatible KV v2 and token API"
    ),
    paths(
        tokens,
        audit_verify,
        reports::post,
        reports::get,
        openapi,
        metrics,
        keyward_ops::rotation,
        keyward_ops::rotate,
        keyward_ops::revoke,
        keyward_ops::incidents,
        keyward_ops::incident,
        keyward_ops::secrets
    ),
    components(schemas(
        TokenInfo,
        TokenList,
        AuditVerify,
        keyward_ops::RotationList,
        keyward_ops::IncidentList,
        keyward_ops::SecretList,
        keyward_ops::RevokeRequest,
        crate::ops::RotateResult,
        crate::ops::Revoked,
        crate::ops::IncidentSummary,
        crate::ops::SecretRow,
        crate::ops::DueRow,
        crate::ops::DueSummary,
        crate::reports::Report,
        reports::ReportList,
        reports::NewReport
    ))
)]
pub struct ApiDoc;

/// A token's public facts.
#[derive(Serialize, ToSchema)]
pub struct TokenInfo {
    /// Accessor (`kwa_…`).
    pub accessor: String,
    /// Display name.
    pub display_name: String,
    /// Policies.
    pub policies: Vec<String>,
    /// Creation time (RFC 3339).
    pub creation_time: String,
    /// Expiry (RFC 3339), `null` when it never expires.
    pub expire_time: Option<String>,
    /// Hard limit renewals cannot pass.
    pub max_expire_time: Option<String>,
    /// Days until the hard limit (or expiry).
    pub days_left: Option<u64>,
    /// Expiry warning, when the hard limit is near.
    pub warning: Option<String>,
    /// Path that created it.
    pub path: String,
}

/// `GET /v1/keyward/tokens` body.
#[derive(Serialize, ToSchema)]
pub struct TokenList {
    /// Live tokens.
    pub tokens: Vec<TokenInfo>,
}

fn info(s: &AppState, r: TokenRecord, now: SystemTime) -> TokenInfo {
    TokenInfo {
        warning: s.tokens.expiry_warning(&r, now),
        days_left: r
            .max_expire_time
            .or(r.expire_time)
            .map(|t| secs_between(now, t) / 86400),
        accessor: r.accessor,
        display_name: r.display_name,
        policies: r.policies,
        creation_time: rfc3339(r.creation_time),
        expire_time: r.expire_time.map(rfc3339),
        max_expire_time: r.max_expire_time.map(rfc3339),
        path: r.path,
    }
}

/// Serve `keyward/<rest>`.
pub async fn route(s: &AppState, ctx: &mut Ctx, rest: &str) -> Result<Reply, ApiError> {
    if rest == "reports" {
        return match ctx.op {
            Op::Write => reports::post(s, ctx).await,
            Op::Read => reports::get(s, ctx).await,
            _ => Err(ApiError::unsupported()),
        };
    }
    if let Some(r) = keyward_ops::route(s, ctx, rest).await {
        return r;
    }
    if ctx.op != Op::Read {
        return Err(ApiError::unsupported());
    }
    match rest {
        "tokens" => tokens(s, ctx).await,
        "audit/verify" => audit_verify(s, ctx).await,
        "openapi.json" => openapi(),
        _ => Err(ApiError::no_route(&ctx.path)),
    }
}

/// List live tokens (no token values: they are not stored).
#[utoipa::path(get, path = "/v1/keyward/tokens", tag = "tokens",
    responses((status = 200, description = "Live tokens in the Vault envelope's `data`", body = TokenList),
              (status = 403, description = "Needs `sudo` on `keyward/tokens`")))]
async fn tokens(s: &AppState, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    ctx.require("keyward/tokens", Caps::SUDO)?;
    let repo = s.tokens.repo().clone();
    let now = ctx.now;
    let list = blocking(move || repo.list()).await?;
    let tokens: Vec<TokenInfo> = list
        .into_iter()
        .filter(|r| r.expire_time.is_none_or(|t| t > now))
        .map(|r| info(s, r, now))
        .collect();
    Ok(Reply::Data(
        serde_json::to_value(TokenList { tokens }).expect("serializable"),
    ))
}

/// Recompute the audit chain; a broken chain also raises the `audit-verify-failed` alert.
#[utoipa::path(get, path = "/v1/keyward/audit/verify", tag = "audit",
    responses((status = 200, description = "The chain verifies", body = AuditVerify),
              (status = 409, description = "The chain is broken (`broken_at` names the first bad entry)", body = AuditVerify),
              (status = 403, description = "Needs `read` on `keyward/audit/verify`")))]
async fn audit_verify(s: &AppState, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    ctx.require("keyward/audit/verify", Caps::READ)?;
    let audit = s.backends.audit.clone();
    let v = blocking(move || audit.verify()).await?;
    if let Some(detail) = &v.detail {
        s.alerts.emit(AlertEvent::AuditVerifyFailed {
            detail: detail.clone(),
        });
        let mut body = serde_json::to_value(&v).expect("serializable");
        body["errors"] = json!([format!("audit chain broken: {detail}")]);
        return Ok(Reply::Raw(StatusCode::CONFLICT, body));
    }
    Ok(Reply::Data(serde_json::to_value(&v).expect("serializable")))
}

/// This document.
#[utoipa::path(get, path = "/v1/keyward/openapi.json", tag = "meta",
    responses((status = 200, description = "OpenAPI 3.1 document of keyward's own endpoints")))]
fn openapi() -> Result<Reply, ApiError> {
    Ok(Reply::Raw(
        StatusCode::OK,
        serde_json::to_value(ApiDoc::openapi()).expect("serializable"),
    ))
}

/// Prometheus metrics (OpenMetrics text). Holds counts only: no path, token or value.
#[utoipa::path(get, path = "/metrics", tag = "meta",
    responses((status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text")))]
pub async fn metrics(State(s): State<AppState>) -> Response {
    let mut r = s.metrics.render().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}
