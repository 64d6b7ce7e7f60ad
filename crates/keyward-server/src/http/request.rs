//! A request as handlers see it: the operation, the API path, the body, the caller.

use super::ApiError;
use crate::backend::{OpContext, TokenRecord};
use crate::policy::{Acl, Caps};
use axum::http::{HeaderMap, Method};
use bytes::Bytes;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;
use zeroize::Zeroizing;

/// Vault's logical operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// GET (and HEAD).
    Read,
    /// LIST, or GET with `?list=true`.
    List,
    /// POST or PUT (create or update, decided by the handler).
    Write,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
}

impl Op {
    /// From the method and the `list` query parameter; `Err` is the response to send.
    pub fn from(method: &Method, list: Option<&str>) -> Result<Op, ApiError> {
        let list = match list {
            None | Some("") | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(_) => return Err(ApiError::bad("error parsing list parameter")),
        };
        Ok(match method.as_str() {
            "GET" | "HEAD" if list => Op::List,
            "GET" | "HEAD" => Op::Read,
            "LIST" => Op::List,
            "POST" | "PUT" => Op::Write,
            "PATCH" => Op::Patch,
            "DELETE" => Op::Delete,
            _ => return Err(ApiError::unsupported()),
        })
    }

    /// The audit word.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Read => "read",
            Op::List => "list",
            Op::Write => "update",
            Op::Patch => "patch",
            Op::Delete => "delete",
        }
    }
}

/// The authenticated caller.
pub struct Caller {
    /// The token as presented (only echoed back to its own holder by lookup-self).
    pub token: Zeroizing<String>,
    /// Its record.
    pub record: TokenRecord,
    /// What it may do.
    pub acl: Arc<Acl>,
}

/// One request in the pipeline.
pub struct Ctx {
    /// `request_id`.
    pub id: String,
    /// The operation.
    pub op: Op,
    /// HTTP method.
    pub method: Method,
    /// API path without `/v1/` (`secret/data/app/x`).
    pub path: String,
    /// Query parameters.
    pub query: HashMap<String, String>,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
    /// Client address.
    pub remote: Option<IpAddr>,
    /// Request time.
    pub now: SystemTime,
    /// The caller, once authenticated.
    pub caller: Option<Caller>,
    /// Warnings for the envelope.
    pub warnings: Vec<String>,
    /// KV version, for the audit record.
    pub audit_version: Option<u64>,
    /// Detail for the audit record (never a value).
    pub audit_detail: Option<String>,
    /// Overrides the audit operation word (`create` vs `update`, `login`).
    pub audit_op: Option<&'static str>,
}

impl Ctx {
    /// The caller, or 403.
    pub fn caller(&self) -> Result<&Caller, ApiError> {
        self.caller.as_ref().ok_or_else(ApiError::denied)
    }

    /// 403 unless the caller holds `cap` on `path`.
    pub fn require(&self, path: &str, cap: Caps) -> Result<(), ApiError> {
        let c = self.caller()?;
        if c.acl.allows(path, cap) {
            Ok(())
        } else {
            Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "1 error occurred:\n\t* permission denied\n\n",
            ))
        }
    }

    /// Who is acting, for backends.
    pub fn op_context(&self) -> OpContext {
        OpContext {
            actor: self
                .caller
                .as_ref()
                .map_or_else(|| "anonymous".into(), |c| c.record.display_name.clone()),
            accessor: self.caller.as_ref().map(|c| c.record.accessor.clone()),
            remote: self.remote.map(|a| a.to_string()),
            now: self.now,
        }
    }

    /// The body as a JSON object (`{}` when empty).
    pub fn json(&self) -> Result<Map<String, Value>, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Map::new());
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(ApiError::bad(
                "failed to parse JSON input: expected an object",
            )),
            Err(e) => Err(ApiError::bad(format!(
                "failed to parse JSON input: {}",
                e.classify_name()
            ))),
        }
    }

    /// Whether the body declares JSON merge patch.
    pub fn is_merge_patch(&self) -> bool {
        self.headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';').next().map(str::trim) == Some("application/merge-patch+json")
            })
    }
}

trait Classify {
    fn classify_name(&self) -> String;
}

impl Classify for serde_json::Error {
    /// The error without echoing input (a body may hold a secret).
    fn classify_name(&self) -> String {
        format!(
            "{:?} error at line {} column {}",
            self.classify(),
            self.line(),
            self.column()
        )
        .to_lowercase()
    }
}
