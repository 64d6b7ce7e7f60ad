//! [`dispatch`]: every `/v1/*` request, start to finish.
//!
//! 1. method → [`Op`]; `X-Vault-Namespace` (only root) and `X-Vault-Wrap-TTL` (refused);
//! 2. rate limit per client address;
//! 3. token from `X-Vault-Token`, else `Authorization: Bearer` → caller and ACL, or 403
//!    (counted towards the failed-authentication alert);
//! 4. rate limit per token; 5. the route's handler (which checks capabilities);
//! 6. the audit record, group-committed: no response leaves before it is durable, and a
//!    failed append turns any response into 503 (fail closed); 7. metrics and one log line.

use super::request::{Caller, Ctx, Op};
use super::routes::{self, AuthNeed};
use super::{blocking, ApiError, AppState, Reply};
use crate::backend::AuditRecord;
use crate::ratelimit::Decision;
use crate::token::AuthFailure;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;
use zeroize::Zeroizing;

/// The `/v1/*` handler.
pub async fn dispatch(State(s): State<AppState>, req: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let mut ctx = Ctx {
        id: uuid::Uuid::new_v4().to_string(),
        op: Op::Read,
        method: parts.method.clone(),
        path: parts
            .uri
            .path()
            .strip_prefix("/v1/")
            .unwrap_or_default()
            .to_string(),
        query: Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
            .map(|q| q.0)
            .unwrap_or_default(),
        headers: parts.headers,
        body: Default::default(),
        remote: parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip()),
        now: s.clock.now(),
        caller: None,
        warnings: Vec::new(),
        audit_version: None,
        audit_detail: None,
        audit_op: None,
    };
    let mut limits = Vec::new();
    let mut outcome = None;
    let result = match axum::body::to_bytes(body, s.config.max_request_bytes).await {
        Ok(b) => {
            ctx.body = b;
            run(&s, &mut ctx, &mut limits, &mut outcome).await
        }
        Err(_) => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large",
        )),
    };
    let status = match &result {
        Ok(Reply::Data(_)) | Ok(Reply::Auth(_)) | Ok(Reply::Markdown(_)) => StatusCode::OK,
        Ok(Reply::NoContent) => StatusCode::NO_CONTENT,
        Ok(Reply::Raw(s, _)) | Ok(Reply::Status(s)) => *s,
        Err(e) => e.status,
    };
    let record = AuditRecord {
        time: ctx.now,
        request_id: ctx.id.clone(),
        operation: ctx.audit_op.unwrap_or(ctx.op.as_str()).to_string(),
        path: ctx.path.clone(),
        status: status.as_u16(),
        outcome: outcome.unwrap_or_else(|| outcome_of(status)).to_string(),
        accessor: ctx.caller.as_ref().map(|c| c.record.accessor.clone()),
        display_name: ctx.caller.as_ref().map(|c| c.record.display_name.clone()),
        remote: ctx.remote.map(|a| a.to_string()),
        version: ctx.audit_version,
        detail: ctx.audit_detail.clone(),
    };
    let accessor = record.accessor.clone().unwrap_or_default();
    let (status, mut response) = match s.audit.append(record).await {
        Ok(()) => (
            status,
            match result {
                Ok(r) => r.into_response_with(&ctx.id, &ctx.warnings),
                Err(e) => e.into_response_with(&ctx.id),
            },
        ),
        Err(_) => {
            let e = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "audit log unavailable; request refused",
            );
            (e.status, e.into_response_with(&ctx.id))
        }
    };
    for d in &limits {
        d.headers(response.headers_mut());
    }
    let secs = started.elapsed().as_secs_f64();
    s.metrics.request(
        routes::class(&ctx.path),
        ctx.method.as_str(),
        status.as_u16(),
        secs,
    );
    tracing::info!(
        request_id = %ctx.id,
        method = %ctx.method,
        path = %ctx.path,
        status = status.as_u16(),
        ms = (secs * 1000.0) as u64,
        accessor = %accessor,
        remote = %ctx.remote.map(|a| a.to_string()).unwrap_or_default(),
        "request"
    );
    response
}

fn outcome_of(status: StatusCode) -> &'static str {
    match status.as_u16() {
        200..=299 => "ok",
        403 => "denied",
        404 => "not_found",
        405 => "unsupported",
        413 => "too_large",
        400..=499 => "invalid",
        _ => "error",
    }
}

/// The presented token: `X-Vault-Token` wins over `Authorization: Bearer`.
fn token_from(headers: &HeaderMap) -> Option<Zeroizing<String>> {
    if let Some(t) = headers
        .get("x-vault-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
    {
        if !t.is_empty() {
            return Some(Zeroizing::new(t.to_string()));
        }
    }
    headers
        .get_all(axum::http::header::AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok()?.strip_prefix("Bearer ").map(str::trim))
        .find(|t| !t.is_empty())
        .map(|t| Zeroizing::new(t.to_string()))
}

fn limited(s: &AppState, d: &Decision, scope: &'static str, path: &str) -> Result<(), ApiError> {
    if d.allowed {
        return Ok(());
    }
    s.metrics.rate_limited(scope);
    Err(ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!("request path \"{path}\": rate limit quota exceeded"),
    ))
}

async fn run(
    s: &AppState,
    ctx: &mut Ctx,
    limits: &mut Vec<Decision>,
    outcome: &mut Option<&'static str>,
) -> Result<Reply, ApiError> {
    ctx.op = Op::from(&ctx.method, ctx.query.get("list").map(String::as_str))?;
    let ns = ctx
        .headers
        .get("x-vault-namespace")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim_matches('/');
    if !ns.is_empty() && ns != "root" {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "namespace not found"));
    }
    if ctx
        .headers
        .get("x-vault-wrap-ttl")
        .is_some_and(|v| !v.is_empty())
    {
        return Err(ApiError::bad(
            "keyward does not support response wrapping (X-Vault-Wrap-TTL)",
        ));
    }
    if let Some(addr) = ctx.remote {
        let d = s
            .limiter
            .check(&format!("addr:{addr}"), &s.config.per_address)
            .await;
        let r = limited(s, &d, "address", &ctx.path);
        limits.push(d);
        if r.is_err() {
            *outcome = Some("rate_limited");
        }
        r?;
    }
    let need = routes::auth_need(&ctx.path);
    let token = token_from(&ctx.headers).filter(|_| need != AuthNeed::None);
    match token {
        Some(token) => {
            let (tokens, t, now) = (s.clone(), token.clone(), ctx.now);
            let found = tokio::task::spawn_blocking(move || tokens.tokens.authenticate(&t, now))
                .await
                .unwrap_or(Err(AuthFailure::Invalid));
            match found {
                Ok(record) => {
                    let (p, names) = (s.clone(), record.policies.clone());
                    let acl = blocking(move || p.policies.acl(&names)).await?;
                    ctx.caller = Some(Caller { token, record, acl });
                }
                Err(AuthFailure::Backend(e)) => return Err(e.into()),
                Err(fail) => {
                    let kind = match fail {
                        AuthFailure::Expired => "expired_token",
                        _ => "invalid_token",
                    };
                    auth_failed(s, ctx, kind, Some(&s.tokens.fingerprint(&token)));
                    *outcome = Some(kind);
                    return Err(ApiError::denied());
                }
            }
        }
        None if need == AuthNeed::Required => {
            auth_failed(s, ctx, "missing_token", None);
            *outcome = Some("missing_token");
            return Err(ApiError::denied());
        }
        None => {}
    }
    if let Some(c) = &ctx.caller {
        let d = s
            .limiter
            .check(&format!("token:{}", c.record.accessor), &s.config.per_token)
            .await;
        let r = limited(s, &d, "token", &ctx.path);
        limits.push(d);
        if r.is_err() {
            *outcome = Some("rate_limited");
        }
        r?;
        if let Some(w) = s.tokens.expiry_warning(&c.record, ctx.now) {
            ctx.warnings.push(w);
        }
    }
    routes::route(s, ctx).await
}

/// Count a failed authentication by address and, when a token was presented, by token.
pub(super) fn auth_failed(s: &AppState, ctx: &Ctx, kind: &str, token_fp: Option<&str>) {
    s.metrics.auth_failure(kind);
    if let Some(addr) = ctx.remote {
        s.alerts.auth_failed("address", &addr.to_string());
    }
    if let Some(fp) = token_fp {
        s.alerts.auth_failed("token", fp);
    }
}
