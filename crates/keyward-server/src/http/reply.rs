//! Responses in Vault's shapes: the success envelope, `{"errors":[…]}`, 204s, and the
//! exceptions (404 with a full envelope for deleted versions, raw bodies for `sys/health`).

use crate::backend::BackendError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// A successful handler result.
#[derive(Debug)]
pub enum Reply {
    /// 200 envelope with `data`.
    Data(Value),
    /// 200 envelope with `auth` (and `data: null`).
    Auth(Value),
    /// 204, no body.
    NoContent,
    /// This status and body as they are (no envelope).
    Raw(StatusCode, Value),
    /// This status, no body (HEAD).
    Status(StatusCode),
    /// 200 with this Markdown text (`text/markdown; charset=utf-8`).
    Markdown(String),
}

/// A failed handler result.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// `errors` list.
    pub errors: Vec<String>,
    /// A full body instead of `{"errors":…}` (envelope-shaped 404s).
    pub body: Option<Value>,
    /// `None`: no body at all.
    pub empty: bool,
}

impl ApiError {
    /// `status` with one message.
    pub fn new(status: StatusCode, msg: impl Into<String>) -> ApiError {
        ApiError {
            status,
            errors: vec![msg.into()],
            body: None,
            empty: false,
        }
    }
    /// 400.
    pub fn bad(msg: impl Into<String>) -> ApiError {
        Self::new(StatusCode::BAD_REQUEST, msg)
    }
    /// 403 `permission denied`, Vault's only answer to a missing, invalid or denied token.
    pub fn denied() -> ApiError {
        Self::new(StatusCode::FORBIDDEN, "permission denied")
    }
    /// 404 `{"errors":[]}`.
    pub fn not_found() -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            errors: vec![],
            body: None,
            empty: false,
        }
    }
    /// 405 as Vault words it.
    pub fn unsupported() -> ApiError {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "1 error occurred:\n\t* unsupported operation\n\n",
        )
    }
    /// 404 for a path nothing handles.
    pub fn no_route(path: &str) -> ApiError {
        Self::new(
            StatusCode::NOT_FOUND,
            format!("no handler for route \"{path}\". route entry not found."),
        )
    }

    /// The response, with `request_id` in envelope-shaped bodies.
    pub fn into_response_with(self, request_id: &str) -> Response {
        if self.empty {
            return self.status.into_response();
        }
        let body = match self.body {
            Some(mut b) => {
                b["request_id"] = json!(request_id);
                b
            }
            None => json!({ "errors": self.errors }),
        };
        json_response(self.status, &body)
    }
}

impl From<BackendError> for ApiError {
    fn from(e: BackendError) -> ApiError {
        match e {
            BackendError::NotFound => ApiError::not_found(),
            BackendError::CasMismatch | BackendError::CasRequired | BackendError::Invalid(_) => {
                ApiError::bad(e.to_string())
            }
            BackendError::Unavailable(_) => {
                tracing::error!(error = %e, "storage error");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage unavailable; try again",
                )
            }
        }
    }
}

/// JSON with exactly `Content-Type: application/json` (hvac compares it verbatim).
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Vault's success envelope.
pub fn envelope(request_id: &str, data: Value, auth: Value, warnings: &[String]) -> Value {
    json!({
        "request_id": request_id,
        "lease_id": "",
        "renewable": false,
        "lease_duration": 0,
        "data": data,
        "wrap_info": null,
        "warnings": if warnings.is_empty() { Value::Null } else { json!(warnings) },
        "auth": auth,
    })
}

impl Reply {
    /// The response.
    pub fn into_response_with(self, request_id: &str, warnings: &[String]) -> Response {
        match self {
            Reply::Data(d) => json_response(
                StatusCode::OK,
                &envelope(request_id, d, Value::Null, warnings),
            ),
            Reply::Auth(a) => json_response(
                StatusCode::OK,
                &envelope(request_id, Value::Null, a, warnings),
            ),
            Reply::NoContent => StatusCode::NO_CONTENT.into_response(),
            Reply::Raw(s, b) => json_response(s, &b),
            Reply::Status(s) => s.into_response(),
            Reply::Markdown(text) => {
                let mut r = (StatusCode::OK, text).into_response();
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/markdown; charset=utf-8"),
                );
                r
            }
        }
    }
}
