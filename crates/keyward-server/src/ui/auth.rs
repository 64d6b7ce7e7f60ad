//! Login and logout. The login form takes a token, checks it with the API's token service,
//! and audits the attempt like an API login (path `ui/login`); a failure counts towards the
//! failed-authentication alert and metrics like a bad API token. Success opens a session
//! and sets `__Host-keyward_session` (HttpOnly, Secure, SameSite=Strict, Path=/). The form
//! itself is protected by a double-submit cookie (`__Host-keyward_login`), since there is
//! no session yet.

use super::guard::{address_limit, error_page, finish, guard_post, record, Done, Meta, UiError};
use super::pages::LoginPage;
use super::session::{random_id, same};
use super::{Ui, LOGIN_COOKIE, SESSION_COOKIE};
use crate::token::AuthFailure;
use askama::Template;
use axum::extract::{Form, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use zeroize::Zeroizing;

fn cookie(name: &str, value: &str, max_age: u64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}={value}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age={max_age}"
    ))
    .expect("cookie characters are base64url")
}

fn login_page(status: StatusCode, error: Option<&str>) -> Response {
    let csrf = random_id();
    let html = LoginPage { csrf: &csrf, error }
        .render()
        .unwrap_or_default();
    let mut r = (status, Html(html)).into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, cookie(LOGIN_COOKIE, &csrf, 3600));
    r
}

/// `GET /ui/login`.
pub async fn login_form(State(ui): State<Ui>, meta: Meta) -> Response {
    if let Err(r) = address_limit(&ui, &meta).await {
        return r;
    }
    login_page(StatusCode::OK, None)
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
    csrf: Option<String>,
}

impl Drop for LoginForm {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.token.zeroize();
    }
}

/// `POST /ui/login`.
pub async fn login(State(ui): State<Ui>, meta: Meta, Form(f): Form<LoginForm>) -> Response {
    if let Err(r) = address_limit(&ui, &meta).await {
        return r;
    }
    let now = ui.app.clock.now();
    let csrf_ok = meta.same_origin()
        && match (meta.cookie(LOGIN_COOKIE), f.csrf.as_deref()) {
            (Some(c), Some(p)) => same(&c, p),
            _ => false,
        };
    if !csrf_ok {
        return error_page(&UiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "this login form was not sent by this dashboard (missing or wrong CSRF token); reload the page and try again",
        ));
    }
    let token = Zeroizing::new(f.token.trim().to_string());
    let (app, t) = (ui.app.clone(), token.clone());
    let found = tokio::task::spawn_blocking(move || app.tokens.authenticate(&t, now))
        .await
        .unwrap_or(Err(AuthFailure::Invalid));
    let (status, outcome, rec) = match &found {
        Ok(r) => (StatusCode::SEE_OTHER, "ok", Some(r.clone())),
        Err(AuthFailure::Backend(e)) => {
            return error_page(&UiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "error",
                e.to_string(),
            ));
        }
        Err(AuthFailure::Missing) => (StatusCode::FORBIDDEN, "missing_token", None),
        Err(AuthFailure::Expired) => (StatusCode::FORBIDDEN, "expired_token", None),
        Err(AuthFailure::Invalid) => (StatusCode::FORBIDDEN, "invalid_token", None),
    };
    let mut audit = record(meta.remote, now, "login", "ui/login", status, outcome);
    if let Some(r) = &rec {
        audit.accessor = Some(r.accessor.clone());
        audit.display_name = Some(r.display_name.clone());
    }
    if ui.app.audit.append(audit).await.is_err() {
        return error_page(&UiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "error",
            "audit log unavailable; request refused",
        ));
    }
    let Some(r) = rec else {
        ui.app.metrics.auth_failure(outcome);
        if let Some(a) = meta.remote {
            ui.app.alerts.auth_failed("address", &a.to_string());
        }
        if !token.is_empty() {
            ui.app
                .alerts
                .auth_failed("token", &ui.app.tokens.fingerprint(&token));
        }
        return login_page(
            StatusCode::FORBIDDEN,
            Some("login failed: the token is unknown, revoked or expired"),
        );
    };
    let (id, _) = ui.sessions.open(&r.accessor, now);
    let mut resp = Redirect::to("/ui/").into_response();
    let h = resp.headers_mut();
    h.append(
        header::SET_COOKIE,
        cookie(SESSION_COOKIE, &id, ui.sessions.limits.absolute.as_secs()),
    );
    h.append(header::SET_COOKIE, cookie(LOGIN_COOKIE, "", 0));
    resp
}

/// A form that only carries the CSRF token.
#[derive(Deserialize)]
pub struct CsrfForm {
    /// The session's CSRF token.
    pub csrf: Option<String>,
}

/// `POST /ui/logout`: the session is destroyed and its cookie cleared.
pub async fn logout(State(ui): State<Ui>, meta: Meta, Form(f): Form<CsrfForm>) -> Response {
    let a = match guard_post(&ui, &meta, f.csrf.as_deref(), "ui/logout").await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Some(id) = meta.cookie(SESSION_COOKIE) {
        ui.sessions.destroy(&id);
    }
    let mut r = finish(
        &ui,
        &a,
        "logout",
        "ui/logout",
        Ok(Done::Redirect("/ui/login".into(), None)),
    )
    .await;
    r.headers_mut()
        .append(header::SET_COOKIE, cookie(SESSION_COOKIE, "", 0));
    r
}
