//! What every dashboard request goes through: [`Meta`] (headers, client address),
//! [`guard`] (address rate limit, session, the session's token still live, its ACL, token
//! rate limit), [`guard_post`] (plus same-origin and the CSRF token), and [`finish`] (the
//! audit record, group-committed before the response leaves, and the page).

use super::session::Session;
use super::{Ui, SESSION_COOKIE};
use crate::backend::{AuditRecord, TokenRecord};
use crate::http::blocking;
use crate::policy::{Acl, Caps};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::SystemTime;

/// Request facts every handler needs.
pub struct Meta {
    /// Headers.
    pub headers: HeaderMap,
    /// Client address.
    pub remote: Option<IpAddr>,
    /// Query string (without `?`).
    pub query: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Meta, Self::Rejection> {
        Ok(Meta {
            headers: parts.headers.clone(),
            remote: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
            query: parts.uri.query().unwrap_or("").to_string(),
        })
    }
}

impl Meta {
    /// The value of cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }

    /// Whether `Origin` (else `Referer`), when sent, names this server (its `Host`).
    /// `Origin: null` counts as not sent: browsers send it for every form post from a page
    /// served with `Referrer-Policy: no-referrer` (as the dashboard's are); the CSRF token
    /// and the SameSite=Strict cookie still protect such a post.
    pub fn same_origin(&self) -> bool {
        let host = self
            .headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let authority = |url: &str| {
            url.split_once("://")
                .map(|(_, rest)| rest.split('/').next().unwrap_or("").to_string())
        };
        let claimed = self
            .headers
            .get(header::ORIGIN)
            .filter(|v| v.as_bytes() != b"null")
            .or_else(|| self.headers.get(header::REFERER))
            .and_then(|v| v.to_str().ok());
        match claimed {
            None => true,
            Some(url) => authority(url).is_some_and(|a| !host.is_empty() && a == host),
        }
    }
}

/// A refused or failed dashboard request: the status and a one-line cause shown on the
/// error page (never a value or a token).
#[derive(Debug)]
pub struct UiError {
    /// HTTP status.
    pub status: StatusCode,
    /// One line.
    pub message: String,
    /// Audit outcome word.
    pub outcome: &'static str,
}

impl UiError {
    /// `status` with `message`.
    pub fn new(status: StatusCode, outcome: &'static str, message: impl Into<String>) -> Self {
        UiError {
            status,
            message: message.into(),
            outcome,
        }
    }
    /// 403: the token's policies do not allow this.
    pub fn denied(what: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "denied",
            format!("permission denied: your token's policies do not allow {what}"),
        )
    }
    /// 400.
    pub fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid", message)
    }
}

impl From<crate::backend::BackendError> for UiError {
    fn from(e: crate::backend::BackendError) -> Self {
        use crate::backend::BackendError as B;
        match e {
            B::NotFound => Self::new(StatusCode::NOT_FOUND, "not_found", "not found"),
            B::Unavailable(m) => Self::new(StatusCode::SERVICE_UNAVAILABLE, "error", m),
            other => Self::bad(other.to_string()),
        }
    }
}

/// An authenticated dashboard request.
pub struct Authed {
    /// The session.
    pub session: Session,
    /// Its token's record.
    pub record: TokenRecord,
    /// Its token's ACL.
    pub acl: Arc<Acl>,
    /// Client address.
    pub remote: Option<IpAddr>,
    /// Request time.
    pub now: SystemTime,
}

impl Authed {
    /// `Ok` when the session's token holds `cap` on `path` (the API's rule).
    pub fn require(&self, path: &str, cap: Caps, what: &str) -> Result<(), UiError> {
        if self.acl.allows(path, cap) {
            Ok(())
        } else {
            Err(UiError::denied(what))
        }
    }

    /// Whether it may (for showing or hiding a section or a form).
    pub fn may(&self, path: &str, cap: Caps) -> bool {
        self.acl.allows(path, cap)
    }

    /// Who acts, for backends.
    pub fn op(&self) -> crate::backend::OpContext {
        crate::backend::OpContext {
            actor: self.record.display_name.clone(),
            accessor: Some(self.record.accessor.clone()),
            remote: self.remote.map(|a| a.to_string()),
            now: self.now,
        }
    }
}

fn to_login() -> Response {
    Redirect::to("/ui/login").into_response()
}

/// 429 unless `key` is within `windows`.
async fn limit(ui: &Ui, key: String, windows: &[crate::ratelimit::Quota]) -> Result<(), Response> {
    let d = ui.app.limiter.check(&key, windows).await;
    if d.allowed {
        return Ok(());
    }
    ui.app.metrics.rate_limited(if key.starts_with("addr:") {
        "address"
    } else {
        "token"
    });
    let mut r = error_page(&UiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "rate limit quota exceeded; try again shortly",
    ));
    d.headers(r.headers_mut());
    Err(r)
}

/// The client address's rate limit (before authentication).
pub async fn address_limit(ui: &Ui, meta: &Meta) -> Result<(), Response> {
    match meta.remote {
        Some(a) => limit(ui, format!("addr:{a}"), &ui.app.config.per_address).await,
        None => Ok(()),
    }
}

/// The session of this request, or the response to send instead (303 to the login page
/// without a live session, 429 over a rate limit).
pub async fn guard(ui: &Ui, meta: &Meta) -> Result<Authed, Response> {
    address_limit(ui, meta).await?;
    let now = ui.app.clock.now();
    let Some(id) = meta.cookie(SESSION_COOKIE) else {
        return Err(to_login());
    };
    let Some(session) = ui.sessions.get(&id, now) else {
        return Err(to_login());
    };
    let (repo, acc) = (ui.app.tokens.repo().clone(), session.accessor.clone());
    let record = match blocking(move || repo.by_accessor(&acc)).await {
        Ok(Some(r)) if r.expire_time.is_none_or(|t| t > now) => r,
        Ok(_) => {
            // Revoked or expired: every session of that token ends.
            ui.sessions.destroy_accessor(&session.accessor);
            return Err(to_login());
        }
        Err(e) => return Err(error_page(&e.into())),
    };
    let (p, names) = (ui.app.clone(), record.policies.clone());
    let acl = blocking(move || p.policies.acl(&names))
        .await
        .map_err(|e| error_page(&e.into()))?;
    limit(
        ui,
        format!("token:{}", record.accessor),
        &ui.app.config.per_token,
    )
    .await?;
    Ok(Authed {
        session,
        record,
        acl,
        remote: meta.remote,
        now,
    })
}

/// [`guard`] for a form post: also same-origin (`Origin`/`Referer`) and the session's CSRF
/// token (constant time); a refusal is a 403 page, audited.
pub async fn guard_post(
    ui: &Ui,
    meta: &Meta,
    csrf: Option<&str>,
    path: &str,
) -> Result<Authed, Response> {
    let a = guard(ui, meta).await?;
    let ok = meta.same_origin() && csrf.is_some_and(|c| a.session.csrf_ok(c));
    if ok {
        return Ok(a);
    }
    let e = UiError::new(
        StatusCode::FORBIDDEN,
        "csrf",
        "this form was not sent by this dashboard (missing or wrong CSRF token, or another origin); reload the page and try again",
    );
    Err(finish(ui, &a, "update", path, Err(e)).await)
}

/// The audit record of a dashboard request (caller and detail filled in by the caller).
pub fn record(
    remote: Option<IpAddr>,
    now: SystemTime,
    op: &str,
    path: &str,
    status: StatusCode,
    outcome: &str,
) -> AuditRecord {
    AuditRecord {
        time: now,
        request_id: uuid::Uuid::new_v4().to_string(),
        operation: op.to_string(),
        path: path.to_string(),
        status: status.as_u16(),
        outcome: outcome.to_string(),
        accessor: None,
        display_name: None,
        remote: remote.map(|r| r.to_string()),
        version: None,
        detail: None,
    }
}

/// What a handler produced: a page, or a redirect after a successful form (with an
/// audit detail).
pub enum Done {
    /// 200 with this HTML.
    Page(String),
    /// 303 to this location; the detail goes to the audit record.
    Redirect(String, Option<String>),
}

/// Audit the request (fail closed: 503 if the record cannot be written), then answer.
pub async fn finish(
    ui: &Ui,
    a: &Authed,
    op: &str,
    path: &str,
    result: Result<Done, UiError>,
) -> Response {
    let (status, outcome, detail) = match &result {
        Ok(Done::Page(_)) => (StatusCode::OK, "ok", None),
        Ok(Done::Redirect(_, d)) => (StatusCode::SEE_OTHER, "ok", d.clone()),
        Err(e) => (e.status, e.outcome, Some(e.message.clone())),
    };
    let mut rec = record(a.remote, a.now, op, path, status, outcome);
    rec.accessor = Some(a.record.accessor.clone());
    rec.display_name = Some(a.record.display_name.clone());
    rec.detail = detail;
    if ui.app.audit.append(rec).await.is_err() {
        return error_page(&UiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "error",
            "audit log unavailable; request refused",
        ));
    }
    match result {
        Ok(Done::Page(html)) => Html(html).into_response(),
        Ok(Done::Redirect(to, _)) => Redirect::to(&to).into_response(),
        Err(e) => error_page(&e),
    }
}

/// The error page for `e`.
pub fn error_page(e: &UiError) -> Response {
    use askama::Template;
    let html = super::pages::ErrorPage {
        status: e.status.as_u16(),
        message: &e.message,
    }
    .render()
    .unwrap_or_else(|_| "error".into());
    (e.status, Html(html)).into_response()
}
