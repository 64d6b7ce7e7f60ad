//! A browser-like client of the dashboard over the real router (in-process `oneshot`):
//! cookies by hand, the CSRF token read from the page.
#![allow(dead_code)]

use super::{harness, Harness};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use keyward_server::http::{app, AppState};
use keyward_server::ServerConfig;
use std::net::SocketAddr;
use tower::ServiceExt;

pub struct Ui {
    pub h: Harness,
    pub router: Router,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find(r#"name="csrf" value=""#)
            .expect("a csrf field")
            + 19;
        self.body[at..].split('"').next().unwrap().to_string()
    }

    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(String::from)
    }
}

pub fn value(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}

impl Ui {
    pub async fn new() -> Ui {
        Ui::with(|s| s).await
    }

    /// With the state changed by `f` before the router is built (`with_ops`).
    pub async fn with(f: impl FnOnce(AppState) -> AppState) -> Ui {
        let mut h = harness(ServerConfig::default()).await;
        h.state = f(h.state);
        let router = app(h.state.clone());
        Ui { h, router }
    }

    pub async fn req(&self, method: &str, path: &str, cookie: &str, form: Option<String>) -> Page {
        self.req_with(method, path, cookie, form, &[]).await
    }

    pub async fn req_with(
        &self,
        method: &str,
        path: &str,
        cookie: &str,
        form: Option<String>,
        headers: &[(&str, &str)],
    ) -> Page {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "keyward.test");
        if !cookie.is_empty() {
            b = b.header("cookie", cookie);
        }
        if form.is_some() {
            b = b.header("content-type", "application/x-www-form-urlencoded");
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let mut req = b
            .body(form.map(Body::from).unwrap_or_else(Body::empty))
            .unwrap();
        let addr: SocketAddr = "10.1.2.3:40000".parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(addr));
        let res = self.router.clone().oneshot(req).await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// Log in with `token`; returns the `Cookie` header value of the session.
    pub async fn login(&self, token: &str) -> String {
        let form = self.req("GET", "/ui/login", "", None).await;
        let login_cookie = value(&form.set_cookie("__Host-keyward_login").unwrap());
        let r = self
            .req(
                "POST",
                "/ui/login",
                &login_cookie,
                Some(format!("csrf={}&token={token}", form.csrf())),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        value(
            &r.set_cookie("__Host-keyward_session")
                .expect("session cookie"),
        )
    }
}
