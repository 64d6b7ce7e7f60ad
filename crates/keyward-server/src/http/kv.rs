//! KV version 2 data endpoints: `data/`, `delete/`, `undelete/`, `destroy/` (metadata and
//! config are in [`super::kvmeta`]).

use super::request::{Ctx, Op};
use super::{blocking, kvmeta, ApiError, AppState, Reply};
use crate::backend::kv::VersionOp;
use crate::backend::{BackendError, KvData, KvKey, KvRead, KvVersion};
use crate::clock::rfc3339;
use crate::policy::Caps;
use axum::http::StatusCode;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Serve `<mount>/<rest>`.
pub async fn route(
    s: &AppState,
    ctx: &mut Ctx,
    mount: String,
    rest: &str,
    trailing: bool,
) -> Result<Reply, ApiError> {
    let (sub, key) = rest.split_once('/').unwrap_or((rest, ""));
    match sub {
        "data" if !key.is_empty() => data(s, ctx, kv_key(&mount, key)?).await,
        "metadata" => kvmeta::metadata(s, ctx, &mount, key, trailing).await,
        "delete" | "undelete" | "destroy" if !key.is_empty() => {
            versions(s, ctx, &mount, sub, kv_key(&mount, key)?).await
        }
        "config" if key.is_empty() => kvmeta::config(s, ctx, &mount).await,
        _ => Err(ApiError {
            status: StatusCode::NOT_FOUND,
            errors: vec![],
            body: Some(json!({
                "errors": [],
                "warnings": ["Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation."],
            })),
            empty: false,
        }),
    }
}

/// A checked key: no empty or dot segments.
pub fn kv_key(mount: &str, path: &str) -> Result<KvKey, ApiError> {
    let path = path.trim_end_matches('/');
    if path.is_empty()
        || path.len() > 1024
        || path
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(ApiError::bad("invalid key path"));
    }
    Ok(KvKey {
        mount: mount.to_string(),
        path: path.to_string(),
    })
}

/// A version's metadata as Vault prints it.
pub fn version_json(v: &KvVersion, custom: &Option<BTreeMap<String, String>>) -> Value {
    json!({
        "created_time": rfc3339(v.created_time),
        "custom_metadata": custom,
        "deletion_time": v.deletion_time.map(rfc3339).unwrap_or_default(),
        "destroyed": v.destroyed,
        "version": v.version,
    })
}

fn cas_of(body: &Map<String, Value>) -> Result<Option<u64>, ApiError> {
    match body.get("options").and_then(|o| o.get("cas")) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| ApiError::bad("invalid cas parameter")),
        Some(Value::String(t)) => t
            .parse()
            .map(Some)
            .map_err(|_| ApiError::bad("invalid cas parameter")),
        Some(_) => Err(ApiError::bad("invalid cas parameter")),
    }
}

/// JSON merge patch (RFC 7386): `null` removes a key, objects merge recursively.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let t = target.as_object_mut().expect("object");
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

async fn data(s: &AppState, ctx: &mut Ctx, key: KvKey) -> Result<Reply, ApiError> {
    let api = format!("{}/data/{}", key.mount, key.path);
    match ctx.op {
        Op::Read => read(s, ctx, key, &api).await,
        Op::Write => {
            let body = ctx.json()?;
            let Some(Value::Object(fields)) = body.get("data") else {
                return Err(ApiError::bad("no data provided"));
            };
            let cas = cas_of(&body)?;
            let (kv, k) = (s.backends.kv.clone(), key.clone());
            let exists = blocking(move || kv.metadata(&k)).await?.is_some();
            ctx.audit_op = Some(if exists { "update" } else { "create" });
            ctx.require(&api, if exists { Caps::UPDATE } else { Caps::CREATE })?;
            write(s, ctx, key, fields.clone(), cas).await
        }
        Op::Patch => patch(s, ctx, key, &api).await,
        Op::Delete => {
            ctx.require(&api, Caps::DELETE)?;
            let (kv, op) = (s.backends.kv.clone(), ctx.op_context());
            blocking(move || kv.delete_current(&key, &op)).await?;
            Ok(Reply::NoContent)
        }
        Op::List => Err(ApiError::unsupported()),
    }
}

async fn read(s: &AppState, ctx: &mut Ctx, key: KvKey, api: &str) -> Result<Reply, ApiError> {
    ctx.require(api, Caps::READ)?;
    let version = match ctx.query.get("version").map(String::as_str) {
        None | Some("") => None,
        Some(v) => Some(
            v.parse::<u64>()
                .map_err(|_| ApiError::bad("invalid version"))?,
        ),
    };
    let (kv, k, now) = (s.backends.kv.clone(), key.clone(), ctx.now);
    match blocking(move || kv.read(&k, version, now)).await? {
        KvRead::Data {
            data,
            version,
            custom_metadata,
        } => {
            ctx.audit_version = Some(version.version);
            if let Some(c) = &ctx.caller {
                s.alerts
                    .read(&c.record.accessor, &c.record.display_name, api);
            }
            Ok(Reply::Data(
                json!({ "data": data, "metadata": version_json(&version, &custom_metadata) }),
            ))
        }
        KvRead::Unavailable {
            version,
            custom_metadata,
        } => {
            ctx.audit_version = Some(version.version);
            let body = super::reply::envelope(
                "",
                json!({ "data": null, "metadata": version_json(&version, &custom_metadata) }),
                Value::Null,
                &[],
            );
            Err(ApiError {
                status: StatusCode::NOT_FOUND,
                errors: vec![],
                body: Some(body),
                empty: false,
            })
        }
        KvRead::Missing => Err(ApiError::not_found()),
    }
}

async fn write(
    s: &AppState,
    ctx: &mut Ctx,
    key: KvKey,
    fields: KvData,
    cas: Option<u64>,
) -> Result<Reply, ApiError> {
    let (kv, op, k) = (s.backends.kv.clone(), ctx.op_context(), key.clone());
    let v = blocking(move || kv.write(&k, &fields, cas, &op)).await?;
    ctx.audit_version = Some(v.version);
    let (kv, k) = (s.backends.kv.clone(), key);
    let custom = blocking(move || kv.metadata(&k))
        .await?
        .and_then(|m| m.custom_metadata);
    Ok(Reply::Data(version_json(&v, &custom)))
}

async fn patch(s: &AppState, ctx: &mut Ctx, key: KvKey, api: &str) -> Result<Reply, ApiError> {
    if !ctx.is_merge_patch() {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "PATCH requires Content-Type: application/merge-patch+json",
        ));
    }
    ctx.require(api, Caps::PATCH)?;
    let body = ctx.json()?;
    let Some(p @ Value::Object(_)) = body.get("data") else {
        return Err(ApiError::bad("no data provided"));
    };
    let asked = cas_of(&body)?;
    // Read, merge, write with cas = the version read; retry when another writer got in
    // between (unless the client pinned the version itself).
    for _ in 0..3 {
        let (kv, k, now) = (s.backends.kv.clone(), key.clone(), ctx.now);
        let (data, version) = match blocking(move || kv.read(&k, None, now)).await? {
            KvRead::Data { data, version, .. } => (data, version),
            _ => {
                return Err(ApiError {
                    status: StatusCode::NOT_FOUND,
                    errors: vec![],
                    body: None,
                    empty: true,
                })
            }
        };
        if asked.is_some_and(|c| c != version.version) {
            return Err(BackendError::CasMismatch.into());
        }
        let mut merged = Value::Object(data);
        merge_patch(&mut merged, p);
        let Value::Object(fields) = merged else {
            unreachable!("merge of objects")
        };
        match write(s, ctx, key.clone(), fields, Some(version.version)).await {
            Err(e)
                if asked.is_none()
                    && e.errors
                        .first()
                        .is_some_and(|m| m == &BackendError::CasMismatch.to_string()) =>
            {
                continue
            }
            other => return other,
        }
    }
    Err(BackendError::CasMismatch.into())
}

async fn versions(
    s: &AppState,
    ctx: &mut Ctx,
    mount: &str,
    sub: &str,
    key: KvKey,
) -> Result<Reply, ApiError> {
    if ctx.op != Op::Write {
        return Err(ApiError::unsupported());
    }
    ctx.require(&format!("{mount}/{sub}/{}", key.path), Caps::UPDATE)?;
    let body = ctx.json()?;
    let list: Vec<u64> = match body.get("versions") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|t| t.parse().ok()))
            })
            .collect::<Option<_>>()
            .ok_or_else(|| ApiError::bad("versions must be a list of numbers"))?,
        _ => vec![],
    };
    if list.is_empty() {
        return Err(ApiError::bad("no version number provided"));
    }
    let what = match sub {
        "delete" => VersionOp::Delete,
        "undelete" => VersionOp::Undelete,
        _ => VersionOp::Destroy,
    };
    ctx.audit_detail = Some(format!("versions {list:?}"));
    let (kv, op) = (s.backends.kv.clone(), ctx.op_context());
    blocking(move || kv.versions(&key, what, &list, &op)).await?;
    Ok(Reply::NoContent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut t = json!({"a": "1", "b": {"c": "2", "d": "3"}, "e": "4"});
        merge_patch(
            &mut t,
            &json!({"a": "9", "b": {"c": null}, "e": null, "f": "5"}),
        );
        assert_eq!(t, json!({"a": "9", "b": {"d": "3"}, "f": "5"}));
    }

    #[test]
    fn key_paths_are_checked() {
        assert!(kv_key("secret", "app/production/jwt").is_ok());
        assert!(kv_key("secret", "a//b").is_err());
        assert!(kv_key("secret", "a/../b").is_err());
    }
}
