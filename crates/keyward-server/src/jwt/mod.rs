//! The JWT auth method (`auth/jwt/login`): a role binds audiences, subject and claims to
//! policies; the token's signature (RS256 or ES256) is checked against [`keys::JwtKeys`].

pub mod keys;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub use keys::{JwtKeys, KeyEntry};

/// A role, as stored (API) or declared (`[server.jwt.roles.NAME]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwtRole {
    /// `aud` must contain one of these (empty: `aud` is not checked).
    #[serde(default)]
    pub bound_audiences: Vec<String>,
    /// `sub` must equal this (empty: any).
    #[serde(default)]
    pub bound_subject: String,
    /// Claims that must have one of the listed values; `/a/b` keys are JSON pointers.
    #[serde(default)]
    pub bound_claims: BTreeMap<String, Vec<String>>,
    /// Claim naming the caller.
    #[serde(default = "default_user_claim")]
    pub user_claim: String,
    /// Policies of the issued token.
    #[serde(default)]
    pub token_policies: Vec<String>,
    /// TTL of the issued token, seconds.
    #[serde(default = "default_ttl")]
    pub token_ttl: u64,
}

fn default_user_claim() -> String {
    "sub".into()
}

fn default_ttl() -> u64 {
    3600
}

/// Why a login was refused. The message is what the client sees (Vault's wording where it
/// has one); it never contains the token.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    /// No such role.
    #[error("role \"{0}\" could not be found")]
    RoleNotFound(String),
    /// The token failed a check.
    #[error("error validating token: {0}")]
    Invalid(String),
}

fn invalid(msg: impl Into<String>) -> JwtError {
    JwtError::Invalid(msg.into())
}

fn claim<'a>(claims: &'a Value, name: &str) -> Option<&'a Value> {
    if name.starts_with('/') {
        claims.pointer(name)
    } else {
        claims.get(name)
    }
}

fn claim_has(value: &Value, wanted: &[String]) -> bool {
    match value {
        Value::String(s) => wanted.iter().any(|w| w == s),
        Value::Array(items) => items.iter().any(|v| claim_has(v, wanted)),
        Value::Bool(b) => wanted.iter().any(|w| *w == b.to_string()),
        Value::Number(n) => wanted.iter().any(|w| *w == n.to_string()),
        _ => false,
    }
}

/// Check `token` against `role`: signature by one of `keys`, `exp`/`nbf` (60 s leeway, as
/// Vault), `iss` when `issuer` is set, audiences, subject and bound claims. Returns the
/// claims and the caller's name (the user claim).
pub async fn validate(
    token: &str,
    role: &JwtRole,
    keys: &JwtKeys,
    issuer: Option<&str>,
) -> Result<(Value, String), JwtError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("malformed token"))?;
    let family = match header.alg {
        Algorithm::RS256 => keys::Family::Rsa,
        Algorithm::ES256 => keys::Family::Ec,
        other => {
            return Err(invalid(format!(
                "signing algorithm {other:?} is not allowed (RS256, ES256)"
            )))
        }
    };
    let mut v = Validation::new(header.alg);
    v.leeway = 60;
    v.validate_nbf = true;
    v.required_spec_claims = ["exp".to_string()].into_iter().collect();
    if role.bound_audiences.is_empty() {
        v.validate_aud = false;
    } else {
        v.set_audience(&role.bound_audiences);
    }
    if let Some(iss) = issuer {
        v.set_issuer(&[iss]);
    }
    let candidates = keys.candidates(header.kid.as_deref(), family).await;
    if candidates.is_empty() {
        return Err(invalid(
            "no known key matches the token's key id and algorithm",
        ));
    }
    let mut last = invalid("failed to verify id token signature");
    let mut claims = None;
    for k in &candidates {
        match jsonwebtoken::decode::<Value>(token, &k.key, &v) {
            Ok(data) => {
                claims = Some(data.claims);
                break;
            }
            Err(e) => {
                last = invalid(match e.kind() {
                    ErrorKind::ExpiredSignature => "token is expired (exp)".into(),
                    ErrorKind::ImmatureSignature => "token is not valid yet (nbf)".into(),
                    ErrorKind::InvalidAudience => "invalid audience (aud) claim: audience claim does not match any expected audience".into(),
                    ErrorKind::InvalidIssuer => "invalid issuer (iss) claim".into(),
                    ErrorKind::MissingRequiredClaim(c) => format!("missing required claim `{c}`"),
                    ErrorKind::InvalidSignature => "failed to verify id token signature".into(),
                    _ => "token could not be verified".into(),
                });
                if !matches!(e.kind(), ErrorKind::InvalidSignature) {
                    return Err(last);
                }
            }
        }
    }
    let claims = claims.ok_or(last)?;
    if !role.bound_subject.is_empty()
        && claims.get("sub").and_then(Value::as_str) != Some(&role.bound_subject)
    {
        return Err(invalid("sub claim does not match bound subject"));
    }
    for (name, wanted) in &role.bound_claims {
        if !claim(&claims, name).is_some_and(|v| claim_has(v, wanted)) {
            return Err(invalid(format!(
                "claim \"{name}\" does not match any associated bound claim values"
            )));
        }
    }
    let user = match claim(&claims, &role.user_claim) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return Err(invalid(format!(
                "claim \"{}\" not found in token",
                role.user_claim
            )))
        }
    };
    Ok((claims, user))
}
