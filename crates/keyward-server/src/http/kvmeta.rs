//! KV version 2 metadata, listing and engine configuration.

use super::kv::{kv_key, merge_patch};
use super::request::{Ctx, Op};
use super::{blocking, ApiError, AppState, Reply};
use crate::backend::{KvConfig, KvMetadata, MetadataPatch};
use crate::clock::{json_duration, rfc3339};
use crate::policy::Caps;
use axum::http::StatusCode;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// Go's `time.Duration` text, as Vault prints `delete_version_after` (`0s`, `1h0m0s`).
pub fn go_duration(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    if h > 0 {
        format!("{h}h{m}m{sec}s")
    } else if m > 0 {
        format!("{m}m{sec}s")
    } else {
        format!("{sec}s")
    }
}

fn metadata_json(m: &KvMetadata) -> Value {
    let versions: Map<String, Value> = m
        .versions
        .values()
        .map(|v| {
            (
                v.version.to_string(),
                json!({
                    "created_time": rfc3339(v.created_time),
                    "deletion_time": v.deletion_time.map(rfc3339).unwrap_or_default(),
                    "destroyed": v.destroyed,
                }),
            )
        })
        .collect();
    json!({
        "cas_required": m.cas_required,
        "created_time": rfc3339(m.created_time),
        "current_version": m.current_version,
        "custom_metadata": m.custom_metadata,
        "delete_version_after": go_duration(m.delete_version_after),
        "max_versions": m.max_versions,
        "oldest_version": m.oldest_version,
        "updated_time": rfc3339(m.updated_time),
        "versions": versions,
    })
}

/// Vault's limits on custom metadata.
const MAX_CUSTOM_KEYS: usize = 64;

fn custom_metadata(v: &Value) -> Result<BTreeMap<String, String>, ApiError> {
    let Value::Object(m) = v else {
        return Err(ApiError::bad("custom_metadata must be a map of strings"));
    };
    if m.len() > MAX_CUSTOM_KEYS {
        return Err(ApiError::bad(format!(
            "custom_metadata has more than {MAX_CUSTOM_KEYS} keys"
        )));
    }
    m.iter()
        .map(|(k, v)| match v {
            Value::String(s) if k.len() <= 128 && s.len() <= 512 && !k.is_empty() => {
                Ok((k.clone(), s.clone()))
            }
            Value::String(_) => Err(ApiError::bad(
                "custom_metadata keys are 1-128 bytes, values at most 512",
            )),
            _ => Err(ApiError::bad("custom_metadata must be a map of strings")),
        })
        .collect()
}

fn patch_of(body: &Map<String, Value>) -> Result<MetadataPatch, ApiError> {
    let mut p = MetadataPatch::default();
    if let Some(v) = body.get("max_versions").filter(|v| !v.is_null()) {
        p.max_versions = Some(
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| ApiError::bad("invalid max_versions"))?,
        );
    }
    if let Some(v) = body.get("cas_required").filter(|v| !v.is_null()) {
        p.cas_required = Some(
            v.as_bool()
                .ok_or_else(|| ApiError::bad("invalid cas_required"))?,
        );
    }
    if let Some(v) = body.get("delete_version_after").filter(|v| !v.is_null()) {
        p.delete_version_after =
            Some(json_duration(v).ok_or_else(|| ApiError::bad("invalid delete_version_after"))?);
    }
    if let Some(v) = body.get("custom_metadata").filter(|v| !v.is_null()) {
        p.custom_metadata = Some(custom_metadata(v)?);
    }
    Ok(p)
}

/// `<mount>/metadata/<key>`: read, list, write, patch, delete.
pub async fn metadata(
    s: &AppState,
    ctx: &mut Ctx,
    mount: &str,
    key: &str,
    trailing: bool,
) -> Result<Reply, ApiError> {
    if ctx.op == Op::List {
        let folder = if key.is_empty() {
            String::new()
        } else {
            format!("{}/", key.trim_end_matches('/'))
        };
        ctx.require(&format!("{mount}/metadata/{folder}"), Caps::LIST)?;
        let (kv, m) = (s.backends.kv.clone(), mount.to_string());
        let keys = blocking(move || kv.list(&m, &folder)).await?;
        return if keys.is_empty() {
            Err(ApiError::not_found())
        } else {
            Ok(Reply::Data(json!({ "keys": keys })))
        };
    }
    if trailing || key.is_empty() {
        return Err(ApiError::unsupported());
    }
    let k = kv_key(mount, key)?;
    let api = format!("{mount}/metadata/{}", k.path);
    let kv = s.backends.kv.clone();
    match ctx.op {
        Op::Read => {
            ctx.require(&api, Caps::READ)?;
            match blocking(move || kv.metadata(&k)).await? {
                Some(m) => Ok(Reply::Data(metadata_json(&m))),
                None => Err(ApiError::not_found()),
            }
        }
        Op::Write => {
            let p = patch_of(&ctx.json()?)?;
            let (kv2, k2) = (kv.clone(), k.clone());
            let exists = blocking(move || kv2.metadata(&k2)).await?.is_some();
            ctx.audit_op = Some(if exists { "update" } else { "create" });
            ctx.require(&api, if exists { Caps::UPDATE } else { Caps::CREATE })?;
            let op = ctx.op_context();
            blocking(move || kv.write_metadata(&k, &p, &op)).await?;
            Ok(Reply::NoContent)
        }
        Op::Patch => {
            if !ctx.is_merge_patch() {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "PATCH requires Content-Type: application/merge-patch+json",
                ));
            }
            ctx.require(&api, Caps::PATCH)?;
            let mut body = ctx.json()?;
            let (kv2, k2) = (kv.clone(), k.clone());
            let Some(current) = blocking(move || kv2.metadata(&k2)).await? else {
                return Err(ApiError::not_found());
            };
            if let Some(c) = body
                .get("custom_metadata")
                .filter(|c| c.is_object())
                .cloned()
            {
                let mut merged = json!(current.custom_metadata.unwrap_or_default());
                merge_patch(&mut merged, &c);
                body.insert("custom_metadata".into(), merged);
            }
            let p = patch_of(&body)?;
            let op = ctx.op_context();
            blocking(move || kv.write_metadata(&k, &p, &op)).await?;
            Ok(Reply::NoContent)
        }
        Op::Delete => {
            ctx.require(&api, Caps::DELETE)?;
            let op = ctx.op_context();
            blocking(move || kv.delete_key(&k, &op)).await?;
            Ok(Reply::NoContent)
        }
        Op::List => unreachable!("handled above"),
    }
}

/// `<mount>/config`.
pub async fn config(s: &AppState, ctx: &mut Ctx, mount: &str) -> Result<Reply, ApiError> {
    let api = format!("{mount}/config");
    let (kv, m) = (s.backends.kv.clone(), mount.to_string());
    let current = blocking({
        let (kv, m) = (kv.clone(), m.clone());
        move || kv.config(&m)
    });
    match ctx.op {
        Op::Read => {
            ctx.require(&api, Caps::READ)?;
            let c = current.await?;
            Ok(Reply::Data(json!({
                "cas_required": c.cas_required,
                "delete_version_after": go_duration(c.delete_version_after),
                "max_versions": c.max_versions,
            })))
        }
        Op::Write => {
            ctx.require(&api, Caps::UPDATE)?;
            let p = patch_of(&ctx.json()?)?;
            let c = current.await?;
            let new = KvConfig {
                max_versions: p.max_versions.unwrap_or(c.max_versions),
                cas_required: p.cas_required.unwrap_or(c.cas_required),
                delete_version_after: p.delete_version_after.unwrap_or(c.delete_version_after),
            };
            let op = ctx.op_context();
            blocking(move || kv.set_config(&m, &new, &op)).await?;
            Ok(Reply::NoContent)
        }
        _ => Err(ApiError::unsupported()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(go_duration(Duration::ZERO), "0s");
        assert_eq!(go_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(go_duration(Duration::from_secs(768 * 3600)), "768h0m0s");
    }
}
