//! `auth/jwt/*`: `login` (unauthenticated), `role/<name>` and `config`.

use super::request::{Ctx, Op};
use super::token::auth_json;
use super::{blocking, ApiError, AppState, Reply};
use crate::backend::DocKind;
use crate::clock::json_duration;
use crate::jwt::{validate, JwtError, JwtRole};
use crate::policy::Caps;
use crate::token::NewToken;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Serve `auth/jwt/<rest>`.
pub async fn route(s: &AppState, ctx: &mut Ctx, rest: &str) -> Result<Reply, ApiError> {
    match (rest, ctx.op) {
        ("login", Op::Write) => login(s, ctx).await,
        ("config", Op::Read) => {
            ctx.require("auth/jwt/config", Caps::READ)?;
            let j = &s.config.jwt;
            Ok(Reply::Data(json!({
                "jwks_url": j.jwks_url.clone().unwrap_or_default(),
                "jwt_validation_pubkeys": [],
                "bound_issuer": j.bound_issuer.clone().unwrap_or_default(),
                "keys_loaded": j.keys.len(),
            })))
        }
        ("config", Op::Write) => Err(ApiError::bad(
            "JWT keys are configured in keyward.toml [server.jwt]",
        )),
        ("role", Op::List) => {
            ctx.require("auth/jwt/role/", Caps::LIST)?;
            let docs = s.backends.docs.clone();
            let mut keys = blocking(move || docs.list(DocKind::JwtRole)).await?;
            keys.extend(s.config.jwt.roles.keys().cloned());
            keys.sort();
            keys.dedup();
            if keys.is_empty() {
                return Err(ApiError::not_found());
            }
            Ok(Reply::Data(json!({ "keys": keys })))
        }
        (r, op) if r.starts_with("role/") => role(s, ctx, &r["role/".len()..], op).await,
        ("login" | "config" | "role", _) => Err(ApiError::unsupported()),
        _ => Err(ApiError::no_route(&ctx.path)),
    }
}

async fn find_role(s: &AppState, name: &str) -> Result<Option<JwtRole>, ApiError> {
    if let Some(r) = s.config.jwt.roles.get(name) {
        return Ok(Some(r.clone()));
    }
    let (docs, n) = (s.backends.docs.clone(), name.to_string());
    match blocking(move || docs.get(DocKind::JwtRole, &n)).await? {
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|_| ApiError::bad("stored role is corrupt")),
        None => Ok(None),
    }
}

fn strings(body: &Map<String, Value>, name: &str) -> Result<Vec<String>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::String(t)) => Ok(t
            .split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(String::from)
                    .ok_or_else(|| ApiError::bad(format!("invalid {name}")))
            })
            .collect(),
        _ => Err(ApiError::bad(format!("invalid {name}"))),
    }
}

/// A role from Vault's role-write body.
fn role_from(body: &Map<String, Value>) -> Result<JwtRole, ApiError> {
    let mut policies = strings(body, "token_policies")?;
    policies.extend(strings(body, "policies")?);
    if policies.is_empty() {
        return Err(ApiError::bad("token_policies is required"));
    }
    if policies.iter().any(|p| p == "root") {
        return Err(ApiError::bad("a JWT role cannot grant root"));
    }
    let mut bound_claims = BTreeMap::new();
    if let Some(Value::Object(m)) = body.get("bound_claims") {
        for (k, v) in m {
            let vals = match v {
                Value::String(s) => vec![s.clone()],
                Value::Array(a) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect(),
                _ => return Err(ApiError::bad(format!("bound_claims.{k}: strings only"))),
            };
            bound_claims.insert(k.clone(), vals);
        }
    }
    let ttl = match body.get("token_ttl").or_else(|| body.get("ttl")) {
        None | Some(Value::Null) => 3600,
        Some(v) => json_duration(v)
            .ok_or_else(|| ApiError::bad("invalid token_ttl"))?
            .as_secs(),
    };
    Ok(JwtRole {
        bound_audiences: strings(body, "bound_audiences")?,
        bound_subject: body
            .get("bound_subject")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        bound_claims,
        user_claim: body
            .get("user_claim")
            .and_then(Value::as_str)
            .unwrap_or("sub")
            .to_string(),
        token_policies: policies,
        token_ttl: ttl,
    })
}

async fn role(s: &AppState, ctx: &mut Ctx, name: &str, op: Op) -> Result<Reply, ApiError> {
    let api = ctx.path.clone();
    let name = name.trim_end_matches('/').to_string();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(ApiError::bad("invalid role name"));
    }
    let docs = s.backends.docs.clone();
    match op {
        Op::Read => {
            ctx.require(&api, Caps::READ)?;
            let r = find_role(s, &name).await?.ok_or_else(ApiError::not_found)?;
            let mut v = serde_json::to_value(&r).expect("serializable");
            v["role_type"] = json!("jwt");
            Ok(Reply::Data(v))
        }
        Op::Write => {
            ctx.require(&api, Caps::UPDATE)
                .or_else(|_| ctx.require(&api, Caps::CREATE))?;
            if s.config.jwt.roles.contains_key(&name) {
                return Err(ApiError::bad(format!(
                    "role `{name}` is declared in keyward.toml"
                )));
            }
            let r = role_from(&ctx.json()?)?;
            let text = serde_json::to_string(&r).expect("serializable");
            let op = ctx.op_context();
            blocking(move || docs.put(DocKind::JwtRole, &name, &text, &op)).await?;
            Ok(Reply::NoContent)
        }
        Op::Delete => {
            ctx.require(&api, Caps::DELETE)?;
            let op = ctx.op_context();
            blocking(move || docs.delete(DocKind::JwtRole, &name, &op)).await?;
            Ok(Reply::NoContent)
        }
        _ => Err(ApiError::unsupported()),
    }
}

async fn login(s: &AppState, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    ctx.audit_op = Some("login");
    let body = ctx.json()?;
    let role_name = body
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let jwt = body
        .get("jwt")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    ctx.audit_detail = Some(format!("role {role_name}"));
    if jwt.is_empty() {
        return Err(ApiError::bad("missing jwt"));
    }
    let result = match find_role(s, &role_name).await? {
        None => Err(JwtError::RoleNotFound(role_name.clone())),
        Some(role) => validate(
            &jwt,
            &role,
            &s.jwt_keys,
            s.config.jwt.bound_issuer.as_deref(),
        )
        .await
        .map(|(_, user)| (role, user)),
    };
    let (role, user) = match result {
        Ok(ok) => ok,
        Err(e) => {
            ctx.audit_detail = Some(format!("role {role_name}: {e}"));
            super::pipeline::auth_failed(s, ctx, "jwt", None);
            return Err(ApiError::bad(e.to_string()));
        }
    };
    let mut policies = role.token_policies.clone();
    policies.insert(0, "default".into());
    policies.dedup();
    let req = NewToken {
        policies,
        display_name: format!("jwt-{user}"),
        meta: BTreeMap::from([("role".to_string(), role_name.clone())]),
        ttl: Some(std::time::Duration::from_secs(role.token_ttl)),
        renewable: true,
        orphan: true,
        path: "auth/jwt/login".into(),
        ..NewToken::default()
    };
    let (st, mut op) = (s.clone(), ctx.op_context());
    op.actor = format!("jwt-{user}");
    let (token, record, warnings) = blocking(move || st.tokens.create(req, &op)).await?;
    ctx.warnings.extend(warnings);
    ctx.audit_detail = Some(format!(
        "role {role_name}: issued {} to {}",
        record.accessor, record.display_name
    ));
    Ok(Reply::Auth(auth_json(&record, &token, ctx.now)))
}
