//! The dashboard at `/ui` (issue 11 part 4): server-rendered HTML (askama templates,
//! autoescaped, compiled with the crate), plain forms with POST-redirect-GET, no
//! JavaScript. Login takes a token and opens a server-side session ([`session`]); every
//! page runs through [`guard`] (address rate limit, session, the token still live, its
//! ACL, token rate limit) and every request is audited like an API request
//! (path `ui/<page>`). Forms carry the session's CSRF token ([`auth`]).

mod auth;
pub mod chart;
mod guard;
mod pages;
pub mod session;

pub use guard::{Authed, Meta, UiError};

use crate::backend::AuditVerify;
use crate::http::AppState;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use session::{SessionLimits, Sessions};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Session cookie name (`__Host-`: Secure, Path=/, no Domain).
pub const SESSION_COOKIE: &str = "__Host-keyward_session";
/// Login-form CSRF cookie (double submit, before a session exists).
pub const LOGIN_COOKIE: &str = "__Host-keyward_login";
/// The Content-Security-Policy of every dashboard response.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The dashboard's state: the server's, plus its sessions.
#[derive(Clone)]
pub struct Ui {
    /// The server.
    pub app: AppState,
    /// Open sessions.
    pub sessions: Arc<Sessions>,
    /// The last audit-chain verification run from the dashboard, and when.
    pub last_verify: Arc<Mutex<Option<(SystemTime, AuditVerify)>>>,
}

impl Ui {
    /// Over `app`, with default session lifetimes (30 min idle, 8 h absolute).
    pub fn new(app: AppState) -> Ui {
        Ui::with_limits(app, SessionLimits::default())
    }

    /// Over `app`, with these session lifetimes.
    pub fn with_limits(app: AppState, limits: SessionLimits) -> Ui {
        Ui {
            app,
            sessions: Arc::new(Sessions::new(limits)),
            last_verify: Arc::default(),
        }
    }
}

const CSS: &str = include_str!("../../templates/ui/keyward.css");

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

/// Security headers on every dashboard response.
async fn harden(mut r: Response) -> Response {
    let h = r.headers_mut();
    for (k, v) in [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        ("x-frame-options", "DENY"),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    r
}

/// The dashboard's routes, to merge into the server's router.
pub fn router(ui: Ui) -> Router {
    Router::new()
        .route("/ui", get(|| async { Redirect::to("/ui/") }))
        .route("/ui/", get(pages::overview::page))
        .route("/ui/login", get(auth::login_form).post(auth::login))
        .route("/ui/logout", post(auth::logout))
        .route("/ui/static/keyward.css", get(css))
        .route("/ui/tokens", get(pages::tokens::page))
        .route("/ui/tokens/revoke", post(pages::tokens::revoke))
        .route("/ui/audit", get(pages::audit::page))
        .route("/ui/audit/verify", post(pages::audit::verify))
        .route("/ui/findings", get(pages::findings::page))
        .route("/ui/secrets", get(pages::secrets::page))
        .route("/ui/secrets/{*path}", get(pages::secrets::one))
        .route("/ui/rotation", get(pages::rotation::page))
        .route("/ui/rotation/rotate", post(pages::rotation::rotate))
        .route("/ui/incidents", get(pages::incidents::page))
        .route("/ui/incidents/{id}", get(pages::incidents::one))
        .route("/ui/{*rest}", get(pages::not_found).post(pages::not_found))
        .layer(axum::middleware::map_response(harden))
        .with_state(ui)
}
