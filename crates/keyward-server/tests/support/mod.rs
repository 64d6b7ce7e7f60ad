//! Test servers: the real router over in-memory backends, either called in-process
//! (`oneshot`) or served on 127.0.0.1:<free port> for real clients.
#![allow(dead_code)]

pub mod ui_client;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use keyward_server::backend::memory::{self, MemoryAudit};
use keyward_server::backend::OpContext;
use keyward_server::clock::Clock;
use keyward_server::http::{app, AppState};
use keyward_server::token::{NewToken, TokenHasher};
use keyward_server::ServerConfig;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;

/// A server's state with a root token.
pub struct Harness {
    pub state: AppState,
    pub audit: Arc<MemoryAudit>,
    pub root: String,
    pub clock: Clock,
}

pub async fn harness(config: ServerConfig) -> Harness {
    let (backends, audit) = memory::backends();
    let clock = Clock::default();
    let state = AppState::build(config, backends, TokenHasher::random(), clock.clone())
        .await
        .unwrap();
    let root = token(&state, &["root"], true);
    Harness {
        state,
        audit,
        root,
        clock,
    }
}

/// Create a token directly (as `keyward token create` will).
pub fn token(state: &AppState, policies: &[&str], root: bool) -> String {
    let op = OpContext {
        actor: "test".into(),
        accessor: None,
        remote: None,
        now: state.clock.now(),
    };
    let req = NewToken {
        policies: policies.iter().map(|p| p.to_string()).collect(),
        display_name: if root {
            "root".into()
        } else {
            "token-test".into()
        },
        renewable: !root,
        orphan: true,
        path: if root {
            "auth/token/root".into()
        } else {
            "auth/token/create".into()
        },
        no_expiry: root,
        ..NewToken::default()
    };
    state.tokens.create(req, &op).unwrap().0.to_string()
}

/// A response: status, headers, body (JSON or `Null`).
pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub json: Value,
    pub text: String,
}

impl Harness {
    /// Send one request in-process from 10.1.2.3 (or `remote`).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        self.send(
            method,
            path,
            &[("x-vault-token", token.unwrap_or(""))],
            body.map(|b| b.to_string()),
            "10.1.2.3",
        )
        .await
    }

    /// Full control over headers, body text and client address.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
        remote: &str,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        for (k, v) in headers.iter().filter(|(_, v)| !v.is_empty()) {
            b = b.header(*k, *v);
        }
        let mut req = b
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .unwrap();
        let addr: SocketAddr = format!("{remote}:40000").parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(addr));
        let res = app(self.state.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        Resp {
            status,
            headers,
            json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text,
        }
    }
}

/// Serve `state` on 127.0.0.1:<free port> in a background runtime; returns the address.
/// The server lives until the test process ends.
pub fn serve_in_background(
    make: impl FnOnce() -> ServerConfig + Send + 'static,
) -> (SocketAddr, String, Arc<MemoryAudit>) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let h = harness(make()).await;
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            tx.send((addr, h.root.clone(), h.audit.clone())).unwrap();
            keyward_server::serve::serve(
                listener,
                app(h.state),
                None,
                false,
                std::future::pending(),
            )
            .await
            .unwrap();
        });
    });
    rx.recv().unwrap()
}
