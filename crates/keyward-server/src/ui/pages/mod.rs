//! One module per page; the template structs shared by all of them.

/// `pub async fn page` (`GET`): [`guard`], then `$render(&ui, &authed, query)`, then
/// [`finish`](super::guard::finish) (audited as a `read` of `$path`).
macro_rules! view {
    ($path:literal, $render:path) => {
        /// The page (`GET`).
        pub async fn page(
            axum::extract::State(ui): axum::extract::State<$crate::ui::Ui>,
            meta: $crate::ui::Meta,
        ) -> axum::response::Response {
            let a = match $crate::ui::guard::guard(&ui, &meta).await {
                Ok(a) => a,
                Err(r) => return r,
            };
            let result = $render(&ui, &a, &meta.query).await;
            $crate::ui::guard::finish(&ui, &a, "read", $path, result).await
        }
    };
}

pub mod audit;
pub mod findings;
pub mod incidents;
pub mod overview;
pub mod rotation;
pub mod secrets;
pub mod tokens;

use super::guard::{guard, Meta};
use super::Ui;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// What every signed-in page shows around its content: who is signed in, the navigation,
/// and the CSRF token for the logout form.
pub struct Chrome {
    /// The token's display name.
    pub user: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// The current page (`overview`, `secrets`, …).
    pub nav: &'static str,
}

impl Chrome {
    /// For `a` on page `nav`.
    pub fn of(a: &super::Authed, nav: &'static str) -> Chrome {
        Chrome {
            user: a.record.display_name.clone(),
            csrf: a.session.csrf.clone(),
            nav,
        }
    }
}

/// The login page.
#[derive(Template)]
#[template(path = "ui/login.html")]
pub struct LoginPage<'a> {
    /// Login-form CSRF token (also in the `__Host-keyward_login` cookie).
    pub csrf: &'a str,
    /// Why the last attempt failed.
    pub error: Option<&'a str>,
}

/// An error page.
#[derive(Template)]
#[template(path = "ui/error.html")]
pub struct ErrorPage<'a> {
    /// HTTP status.
    pub status: u16,
    /// One line.
    pub message: &'a str,
}

/// Any other `/ui/…` path: to the login page without a session, else 404.
pub async fn not_found(State(ui): State<Ui>, meta: Meta) -> Response {
    match guard(&ui, &meta).await {
        Err(r) => r,
        Ok(_) => {
            let html = ErrorPage {
                status: 404,
                message: "no such page",
            }
            .render()
            .unwrap_or_default();
            (StatusCode::NOT_FOUND, Html(html)).into_response()
        }
    }
}

/// Query parameters as pairs (`a=1&b=x`), percent-decoded.
pub fn query(q: &str) -> Vec<(String, String)> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(
        &format!("/?{q}").parse().unwrap_or_default(),
    )
    .map(|q| q.0)
    .unwrap_or_default()
}

/// The value of parameter `name`, trimmed, when non-empty.
pub fn param(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A link's query string with these parameters (percent-encoded).
pub fn link(params: &[(&str, Option<&str>)]) -> String {
    let mut out = String::new();
    for (k, v) in params {
        if let Some(v) = v {
            out.push(if out.is_empty() { '?' } else { '&' });
            out.push_str(k);
            out.push('=');
            for b in v.bytes() {
                match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        out.push(b as char)
                    }
                    _ => out.push_str(&format!("%{b:02X}")),
                }
            }
        }
    }
    out
}

/// A rendered template as a page.
pub fn html(t: &impl Template) -> Result<super::guard::Done, super::UiError> {
    t.render()
        .map(super::guard::Done::Page)
        .map_err(|e| super::UiError::bad(format!("cannot render the page: {e}")))
}

/// `SystemTime` as RFC 3339 (seconds).
pub fn time(t: std::time::SystemTime) -> String {
    crate::clock::rfc3339(t)
}

/// Run `f` on the server's operations (rotation, incidents, secrets) on the blocking pool;
/// 501 on a server without them (the in-memory backends).
pub async fn ops<T: Send + 'static>(
    ui: &Ui,
    f: impl FnOnce(&dyn crate::ops::Ops) -> Result<T, crate::ops::OpsError> + Send + 'static,
) -> Result<T, super::UiError> {
    use crate::ops::OpsError as E;
    let ops = ui.app.ops.clone().ok_or_else(|| {
        super::UiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "error",
            "this page needs a store-backed server (keyward serve)",
        )
    })?;
    tokio::task::spawn_blocking(move || f(ops.as_ref()))
        .await
        .unwrap_or_else(|_| Err(E::Unavailable("an operation panicked".into())))
        .map_err(|e| {
            let (status, outcome) = match &e {
                E::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
                E::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid"),
                E::Busy(_) => (StatusCode::CONFLICT, "invalid"),
                E::Failed(_) => (StatusCode::BAD_GATEWAY, "error"),
                E::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "error"),
            };
            super::UiError::new(status, outcome, e.to_string())
        })
}
