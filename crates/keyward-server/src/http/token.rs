//! `auth/token/*`: lookup, renew and revoke (self, by token, by accessor), create, and the
//! accessor list.

use super::request::{Ctx, Op};
use super::{blocking, ApiError, AppState, Reply};
use crate::alerts::AlertEvent;
use crate::backend::TokenRecord;
use crate::clock::{json_duration, rfc3339, secs_between, unix};
use crate::policy::Caps;
use crate::token::{AuthFailure, NewToken};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// Serve `auth/token/<rest>`.
pub async fn route(s: &AppState, ctx: &mut Ctx, rest: &str) -> Result<Reply, ApiError> {
    let api = format!("auth/token/{rest}");
    match (rest, ctx.op) {
        ("lookup-self", Op::Read | Op::Write) => {
            ctx.require(
                &api,
                if ctx.op == Op::Read {
                    Caps::READ
                } else {
                    Caps::UPDATE
                },
            )?;
            let c = ctx.caller()?;
            Ok(Reply::Data(lookup_json(&c.record, Some(&c.token), ctx.now)))
        }
        ("renew-self", Op::Write) => {
            ctx.require(&api, Caps::UPDATE)?;
            let record = ctx.caller()?.record.clone();
            renew(s, ctx, record).await
        }
        ("revoke-self", Op::Write) => {
            ctx.require(&api, Caps::UPDATE)?;
            let accessor = ctx.caller()?.record.accessor.clone();
            revoke(s, ctx, accessor).await
        }
        ("create" | "create-orphan", Op::Write) => {
            ctx.require(&api, Caps::CREATE)
                .or_else(|_| ctx.require(&api, Caps::UPDATE))?;
            create(s, ctx, rest == "create-orphan").await
        }
        ("lookup" | "renew" | "revoke", Op::Write) => {
            ctx.require(&api, Caps::UPDATE)?;
            let token = str_field(&ctx.json()?, "token")?;
            let (t, now) = (s.clone(), ctx.now);
            let tok = token.clone();
            let record =
                match tokio::task::spawn_blocking(move || t.tokens.authenticate(&tok, now)).await {
                    Ok(Ok(r)) => r,
                    Ok(Err(AuthFailure::Backend(e))) => return Err(e.into()),
                    _ if rest == "revoke" => return Ok(Reply::NoContent),
                    _ => return Err(ApiError::bad("bad token")),
                };
            match rest {
                "lookup" => Ok(Reply::Data(lookup_json(&record, Some(&token), ctx.now))),
                "renew" => renew(s, ctx, record).await,
                _ => revoke(s, ctx, record.accessor).await,
            }
        }
        ("lookup-accessor" | "renew-accessor" | "revoke-accessor", Op::Write) => {
            ctx.require(&api, Caps::UPDATE)?;
            let accessor = str_field(&ctx.json()?, "accessor")?;
            let (repo, a) = (s.tokens.repo().clone(), accessor.clone());
            let Some(record) = blocking(move || repo.by_accessor(&a))
                .await?
                .filter(|r| r.expire_time.is_none_or(|t| t > ctx.now))
            else {
                return Err(ApiError::bad("invalid accessor"));
            };
            match rest {
                "lookup-accessor" => Ok(Reply::Data(lookup_json(&record, None, ctx.now))),
                "renew-accessor" => renew(s, ctx, record).await,
                _ => revoke(s, ctx, accessor).await,
            }
        }
        ("accessors", Op::List) => {
            ctx.require("auth/token/accessors/", Caps::SUDO)
                .or_else(|_| ctx.require("auth/token/accessors", Caps::SUDO))?;
            let repo = s.tokens.repo().clone();
            let now = ctx.now;
            let keys: Vec<String> = blocking(move || repo.list())
                .await?
                .into_iter()
                .filter(|r| r.expire_time.is_none_or(|t| t > now))
                .map(|r| r.accessor)
                .collect();
            Ok(Reply::Data(json!({ "keys": keys })))
        }
        (
            "lookup-self" | "renew-self" | "revoke-self" | "create" | "create-orphan" | "lookup"
            | "renew" | "revoke" | "lookup-accessor" | "renew-accessor" | "revoke-accessor"
            | "accessors",
            _,
        ) => Err(ApiError::unsupported()),
        _ => Err(ApiError::no_route(&ctx.path)),
    }
}

fn str_field(body: &Map<String, Value>, name: &str) -> Result<String, ApiError> {
    match body.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(ApiError::bad(format!("missing {name}"))),
    }
}

/// `lookup-self` data. `id` echoes the token to its own holder only (lookup-self, lookup).
pub fn lookup_json(r: &TokenRecord, token: Option<&str>, now: SystemTime) -> Value {
    json!({
        "accessor": r.accessor,
        "creation_time": unix(r.creation_time),
        "creation_ttl": r.creation_ttl,
        "display_name": r.display_name,
        "entity_id": "",
        "expire_time": r.expire_time.map(rfc3339),
        "explicit_max_ttl": r.explicit_max_ttl,
        "id": token.unwrap_or_default(),
        "issue_time": rfc3339(r.creation_time),
        "meta": if r.meta.is_empty() { Value::Null } else { json!(r.meta) },
        "num_uses": 0,
        "orphan": r.orphan,
        "path": r.path,
        "policies": r.policies,
        "renewable": r.renewable,
        "ttl": r.expire_time.map_or(0, |t| secs_between(now, t)),
        "type": "service",
    })
}

/// The `auth` block of create/renew/login responses.
pub fn auth_json(r: &TokenRecord, token: &str, now: SystemTime) -> Value {
    json!({
        "client_token": token,
        "accessor": r.accessor,
        "policies": r.policies,
        "token_policies": r.policies,
        "identity_policies": null,
        "metadata": if r.meta.is_empty() { Value::Null } else { json!(r.meta) },
        "lease_duration": r.expire_time.map_or(0, |t| secs_between(now, t)),
        "renewable": r.renewable,
        "entity_id": "",
        "token_type": "service",
        "orphan": r.orphan,
        "mfa_requirement": null,
        "num_uses": 0,
    })
}

async fn renew(s: &AppState, ctx: &mut Ctx, record: TokenRecord) -> Result<Reply, ApiError> {
    let inc = match ctx.json()?.get("increment") {
        None | Some(Value::Null) => None,
        Some(v) => Some(json_duration(v).ok_or_else(|| ApiError::bad("invalid increment"))?),
    };
    let (st, op, rec) = (s.clone(), ctx.op_context(), record);
    let (rec, warnings) = blocking(move || st.tokens.renew(&rec, inc, &op)).await?;
    ctx.warnings.extend(warnings);
    ctx.audit_detail = Some(format!("renewed {}", rec.accessor));
    // The token itself is not returned on renew by accessor; clients keep theirs.
    let token = ctx
        .caller
        .as_ref()
        .filter(|c| c.record.accessor == rec.accessor)
        .map(|c| c.token.to_string());
    Ok(Reply::Auth(auth_json(
        &rec,
        token.as_deref().unwrap_or_default(),
        ctx.now,
    )))
}

async fn revoke(s: &AppState, ctx: &mut Ctx, accessor: String) -> Result<Reply, ApiError> {
    let (repo, op, a) = (s.tokens.repo().clone(), ctx.op_context(), accessor.clone());
    let target = blocking({
        let (repo, a) = (repo.clone(), a.clone());
        move || repo.by_accessor(&a)
    })
    .await?;
    let revoked = blocking(move || repo.revoke(&a, &op)).await?;
    if !revoked.is_empty() {
        ctx.audit_detail = Some(format!("revoked {}", revoked.join(",")));
        s.alerts.emit(AlertEvent::Revocation {
            accessors: revoked,
            display_name: target.map(|t| t.display_name).unwrap_or_default(),
            by: ctx.op_context().actor,
        });
    }
    Ok(Reply::NoContent)
}

async fn create(s: &AppState, ctx: &mut Ctx, orphan_path: bool) -> Result<Reply, ApiError> {
    let body = ctx.json()?;
    let caller = ctx.caller()?;
    let privileged = caller.acl.is_root() || caller.acl.allows(&ctx.path, Caps::SUDO);
    let strings = |name: &str| -> Result<Vec<String>, ApiError> {
        match body.get(name) {
            None | Some(Value::Null) => Ok(vec![]),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(String::from)
                        .ok_or_else(|| ApiError::bad(format!("invalid {name}")))
                })
                .collect(),
            Some(Value::String(t)) => Ok(t
                .split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect()),
            Some(_) => Err(ApiError::bad(format!("invalid {name}"))),
        }
    };
    let flag = |name: &str| body.get(name).and_then(Value::as_bool).unwrap_or(false);
    if body.get("id").is_some_and(|v| !v.is_null() && v != "") {
        return Err(ApiError::bad(
            "keyward generates token values; `id` is not supported",
        ));
    }
    if body
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t != "service" && t != "default")
    {
        return Err(ApiError::bad("only service tokens are supported"));
    }
    if body.get("num_uses").and_then(Value::as_u64).unwrap_or(0) > 0 {
        return Err(ApiError::bad("num_uses is not supported"));
    }
    if body
        .get("period")
        .is_some_and(|p| json_duration(p).is_some_and(|d| !d.is_zero()))
    {
        return Err(ApiError::bad(
            "periodic tokens are not supported: tokens expire, by policy",
        ));
    }
    let mut policies = strings("policies")?;
    if policies.is_empty() {
        policies = caller
            .record
            .policies
            .iter()
            .filter(|p| *p != "default")
            .cloned()
            .collect();
    }
    if !privileged {
        if let Some(p) = policies
            .iter()
            .find(|p| !caller.record.policies.contains(p))
        {
            return Err(ApiError::bad(format!(
                "child policies must be subset of parent: `{p}` is not"
            )));
        }
    }
    if policies.iter().any(|p| p == "root") && !caller.acl.is_root() {
        return Err(ApiError::bad("root tokens may only be created by root"));
    }
    if !flag("no_default_policy") && !policies.iter().any(|p| p == "default" || p == "root") {
        policies.insert(0, "default".into());
    }
    policies.dedup();
    let orphan = orphan_path || flag("no_parent");
    if orphan && !privileged {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "root or sudo privileges required to create orphan token",
        ));
    }
    let meta: BTreeMap<String, String> = match body.get("meta") {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect(),
        _ => BTreeMap::new(),
    };
    let name = body
        .get("display_name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let duration = |name: &str| -> Result<_, ApiError> {
        match body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => json_duration(v)
                .map(Some)
                .ok_or_else(|| ApiError::bad(format!("invalid {name}"))),
        }
    };
    let req = NewToken {
        policies,
        display_name: if name.is_empty() {
            "token".into()
        } else {
            format!("token-{name}")
        },
        meta,
        ttl: duration("ttl")?,
        explicit_max_ttl: duration("explicit_max_ttl")?,
        renewable: body
            .get("renewable")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        orphan,
        parent: (!orphan).then(|| caller.record.accessor.clone()),
        path: format!(
            "auth/token/{}",
            if orphan_path {
                "create-orphan"
            } else {
                "create"
            }
        ),
        no_expiry: false,
    };
    let (st, op) = (s.clone(), ctx.op_context());
    let (token, record, warnings) = blocking(move || st.tokens.create(req, &op)).await?;
    ctx.warnings.extend(warnings);
    ctx.audit_op = Some("create");
    ctx.audit_detail = Some(format!(
        "created {} ({})",
        record.accessor, record.display_name
    ));
    Ok(Reply::Auth(auth_json(&record, &token, ctx.now)))
}
