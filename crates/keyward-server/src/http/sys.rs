//! `sys/*`: health, seal status, mount discovery (`sys/internal/ui/mounts`, `sys/mounts`)
//! and ACL policies (`sys/policy`, `sys/policies/acl`).

use super::request::{Ctx, Op};
use super::{blocking, ApiError, AppState, Reply};
use crate::clock::unix;
use crate::config::Mount;
use crate::policy::{parse_policy, Caps};
use axum::http::StatusCode;
use serde_json::{json, Map, Value};

const VERSION: &str = concat!("keyward-", env!("CARGO_PKG_VERSION"));

/// Serve `sys/<rest>`.
pub async fn route(s: &AppState, ctx: &mut Ctx, rest: &str) -> Result<Reply, ApiError> {
    if let Some(name) = rest
        .strip_prefix("policy/")
        .or_else(|| rest.strip_prefix("policies/acl/"))
    {
        return policy(s, ctx, name).await;
    }
    match rest {
        "health" => health(s, ctx).await,
        "seal-status" => Ok(Reply::Raw(StatusCode::OK, seal_status(s, ctx))),
        // `bao status` asks; keyward has no HA standby: every replica serves.
        "leader" => Ok(Reply::Raw(
            StatusCode::OK,
            json!({"ha_enabled": false, "is_self": true, "active_time": "0001-01-01T00:00:00Z",
                   "leader_address": "", "leader_cluster_address": "", "performance_standby": false,
                   "performance_standby_last_remote_wal": 0}),
        )),
        "internal/ui/mounts" => ui_mounts(s, ctx),
        "policy" | "policies/acl" => list_policies(s, ctx, rest).await,
        "mounts" => {
            read_only(ctx)?;
            ctx.require("sys/mounts", Caps::READ)?;
            let mut m = Map::new();
            for mount in &s.config.mounts {
                m.insert(format!("{}/", mount.name), mount_json(mount));
            }
            let mut body = Value::Object(m.clone());
            body["data"] = Value::Object(m);
            body["request_id"] = json!(ctx.id);
            Ok(Reply::Raw(StatusCode::OK, body))
        }
        _ => {
            if let Some(p) = rest.strip_prefix("internal/ui/mounts/") {
                return ui_mount(s, ctx, p);
            }
            if let Some(name) = rest.strip_prefix("mounts/") {
                if ctx.op == Op::Write || ctx.op == Op::Delete {
                    return Err(ApiError::bad(
                        "mounts are declared in keyward.toml [server.mounts]",
                    ));
                }
                read_only(ctx)?;
                ctx.require(&format!("sys/mounts/{name}"), Caps::READ)?;
                let m = s
                    .config
                    .mounts
                    .iter()
                    .find(|m| m.name == name.trim_end_matches('/'))
                    .ok_or_else(ApiError::not_found)?;
                let mut body = mount_json(m);
                body["data"] = mount_json(m);
                body["request_id"] = json!(ctx.id);
                return Ok(Reply::Raw(StatusCode::OK, body));
            }
            Err(ApiError::no_route(&ctx.path))
        }
    }
}

fn read_only(ctx: &Ctx) -> Result<(), ApiError> {
    if ctx.op == Op::Read {
        Ok(())
    } else {
        Err(ApiError::unsupported())
    }
}

fn mount_json(m: &Mount) -> Value {
    json!({
        "accessor": m.accessor,
        "config": { "default_lease_ttl": 0, "force_no_cache": false, "max_lease_ttl": 0 },
        "description": m.description,
        "external_entropy_access": false,
        "local": false,
        "options": { "version": "2" },
        "path": format!("{}/", m.name),
        "plugin_version": "",
        "running_plugin_version": VERSION,
        "running_sha256": "",
        "seal_wrap": false,
        "type": "kv",
        "uuid": m.accessor,
    })
}

fn seal_status(s: &AppState, ctx: &Ctx) -> Value {
    let _ = s;
    json!({
        "type": "shamir", "initialized": true, "sealed": false, "t": 1, "n": 1, "progress": 0,
        "nonce": "", "version": VERSION, "build_date": "", "migration": false,
        "cluster_name": "keyward", "cluster_id": "", "recovery_seal": false, "storage_type": "keyward",
        "server_time_utc": unix(ctx.now),
    })
}

async fn health(s: &AppState, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    read_only(ctx)?;
    let kv = s.backends.kv.clone();
    let sealed = blocking(move || kv.health()).await.is_err();
    let code = |name: &str, default: u16| -> Result<StatusCode, ApiError> {
        match ctx.query.get(name) {
            None => Ok(StatusCode::from_u16(default).expect("valid")),
            Some(v) => v
                .parse::<u16>()
                .ok()
                .and_then(|c| StatusCode::from_u16(c).ok())
                .ok_or_else(|| ApiError::bad(format!("invalid {name}"))),
        }
    };
    let status = if sealed {
        code("sealedcode", 503)?
    } else {
        code("activecode", 200)?
    };
    if ctx.method == axum::http::Method::HEAD {
        return Ok(Reply::Status(status));
    }
    Ok(Reply::Raw(
        status,
        json!({
            "initialized": true, "sealed": sealed, "standby": false, "performance_standby": false,
            "replication_performance_mode": "disabled", "replication_dr_mode": "disabled",
            "server_time_utc": unix(ctx.now), "version": VERSION, "cluster_name": "keyward", "cluster_id": "",
        }),
    ))
}

fn ui_mounts(s: &AppState, ctx: &mut Ctx) -> Result<Reply, ApiError> {
    read_only(ctx)?;
    let mut secret = Map::new();
    if let Some(c) = &ctx.caller {
        for m in s
            .config
            .mounts
            .iter()
            .filter(|m| c.acl.any_under(&format!("{}/", m.name)))
        {
            secret.insert(format!("{}/", m.name), mount_json(m));
        }
    }
    Ok(Reply::Data(json!({ "auth": {}, "secret": secret })))
}

/// The CLI, Agent and ESO call this first to learn the mount and its KV version.
fn ui_mount(s: &AppState, ctx: &mut Ctx, path: &str) -> Result<Reply, ApiError> {
    read_only(ctx)?;
    let c = ctx.caller()?;
    let mount = s
        .config
        .mounts
        .iter()
        .find(|m| path == m.name || path.starts_with(&format!("{}/", m.name)))
        .ok_or_else(|| ApiError::bad(format!("no secret engine mount at {path}")))?;
    if !c.acl.any_under(&format!("{}/", mount.name)) {
        return Err(ApiError::denied());
    }
    Ok(Reply::Data(mount_json(mount)))
}

async fn list_policies(s: &AppState, ctx: &mut Ctx, rest: &str) -> Result<Reply, ApiError> {
    match ctx.op {
        Op::Read | Op::List => {
            ctx.require(rest, Caps::LIST)
                .or_else(|_| ctx.require(rest, Caps::READ))?;
            let st = s.clone();
            let names = blocking(move || st.policies.names()).await?;
            Ok(Reply::Data(json!({ "keys": names, "policies": names })))
        }
        _ => Err(ApiError::unsupported()),
    }
}

async fn policy(s: &AppState, ctx: &mut Ctx, name: &str) -> Result<Reply, ApiError> {
    let api = ctx.path.clone();
    let name = name.trim_end_matches('/').to_string();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(ApiError::bad("invalid policy name"));
    }
    let st = s.clone();
    match ctx.op {
        Op::Read => {
            ctx.require(&api, Caps::READ)?;
            let n = name.clone();
            let p = blocking(move || st.policies.get(&n))
                .await?
                .ok_or_else(ApiError::not_found)?;
            Ok(Reply::Data(
                json!({ "name": name, "rules": p.raw, "policy": p.raw }),
            ))
        }
        Op::Write => {
            ctx.require(&api, Caps::UPDATE)
                .or_else(|_| ctx.require(&api, Caps::CREATE))?;
            if name == "root" || s.policies.is_configured(&name) {
                return Err(ApiError::bad(format!("policy `{name}` cannot be changed through the API (built in or declared in keyward.toml)")));
            }
            let body = ctx.json()?;
            let text = body
                .get("policy")
                .or_else(|| body.get("rules"))
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::bad("missing policy"))?;
            let p = parse_policy(&name, text).map_err(|e| ApiError::bad(e.to_string()))?;
            let op = ctx.op_context();
            blocking(move || st.policies.put(&p, &op)).await?;
            Ok(Reply::NoContent)
        }
        Op::Delete => {
            ctx.require(&api, Caps::DELETE)?;
            if name == "root" || name == "default" || s.policies.is_configured(&name) {
                return Err(ApiError::bad(format!("cannot delete policy `{name}`")));
            }
            let op = ctx.op_context();
            blocking(move || st.policies.delete(&name, &op)).await?;
            Ok(Reply::NoContent)
        }
        _ => Err(ApiError::unsupported()),
    }
}
