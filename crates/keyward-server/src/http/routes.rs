//! The route table: which handler serves an API path, whether it needs a token, and the
//! coarse class used as a metrics label.

use super::request::Ctx;
use super::{jwt, keyward, kv, sys, token, ApiError, AppState, Reply};

/// Whether a path needs a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthNeed {
    /// Never looked at (health, login).
    None,
    /// Used when present (`sys/internal/ui/mounts`).
    Optional,
    /// 403 without one.
    Required,
}

/// The token requirement of `path`.
pub fn auth_need(path: &str) -> AuthNeed {
    match path {
        "sys/health"
        | "sys/seal-status"
        | "sys/leader"
        | "auth/jwt/login"
        | "keyward/openapi.json" => AuthNeed::None,
        "sys/internal/ui/mounts" => AuthNeed::Optional,
        _ => AuthNeed::Required,
    }
}

/// Metrics label for `path`.
pub fn class(path: &str) -> &'static str {
    let mut parts = path.splitn(3, '/');
    match (parts.next(), parts.next()) {
        (Some("sys"), _) => "sys",
        (Some("auth"), Some("token")) => "token",
        (Some("auth"), Some("jwt")) => "jwt",
        (Some("auth"), _) => "auth",
        (Some("keyward"), _) => "keyward",
        (_, Some("data")) => "kv_data",
        (_, Some("metadata")) => "kv_metadata",
        (_, Some(_)) => "kv_other",
        _ => "other",
    }
}

/// Serve `ctx` with the handler its path names.
pub async fn route(s: &AppState, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let path = ctx.path.clone();
    let p = path.trim_end_matches('/');
    if let Some(rest) = p.strip_prefix("sys/") {
        return sys::route(s, ctx, rest).await;
    }
    if let Some(rest) = p.strip_prefix("auth/token/") {
        return token::route(s, ctx, rest).await;
    }
    if let Some(rest) = p.strip_prefix("auth/jwt/") {
        return jwt::route(s, ctx, rest).await;
    }
    if let Some(rest) = p.strip_prefix("keyward/") {
        return keyward::route(s, ctx, rest).await;
    }
    let (mount, rest) = p.split_once('/').unwrap_or((p, ""));
    match s.config.mounts.iter().find(|m| m.name == mount) {
        Some(m) => kv::route(s, ctx, m.name.clone(), rest, path.ends_with('/')).await,
        None => Err(ApiError::no_route(&path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_needs() {
        assert_eq!(class("secret/data/a/b"), "kv_data");
        assert_eq!(class("secret/metadata/"), "kv_metadata");
        assert_eq!(class("auth/token/lookup-self"), "token");
        assert_eq!(class("sys/health"), "sys");
        assert_eq!(auth_need("sys/health"), AuthNeed::None);
        assert_eq!(auth_need("secret/data/x"), AuthNeed::Required);
        assert_eq!(
            auth_need("sys/internal/ui/mounts/secret/x"),
            AuthNeed::Required
        );
    }
}
