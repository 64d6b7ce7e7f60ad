//! Operability over the real router: rate limits, fail-closed audit, body limit, metrics,
//! the OpenAPI document, logs without secrets, and failed-authentication alerts.

mod support;

use keyward_server::ratelimit::Quota;
use keyward_server::ServerConfig;
use serde_json::{json, Value};
use support::{harness, token};

fn limited(per_token: &[&str], per_address: &[&str]) -> ServerConfig {
    ServerConfig {
        per_token: per_token
            .iter()
            .map(|q| Quota::parse("token", q).unwrap())
            .collect(),
        per_address: per_address
            .iter()
            .map(|q| Quota::parse("address", q).unwrap())
            .collect(),
        ..ServerConfig::default()
    }
}

#[tokio::test]
async fn per_token_limit_returns_429_with_retry_after_and_ratelimit_headers() {
    let h = harness(limited(&["3/s", "1000/h"], &[])).await;
    let t = Some(h.root.as_str());
    for i in 0..3 {
        let r = h.call("GET", "/v1/secret/config", t, None).await;
        assert_eq!(r.status, 200, "request {i}");
        assert!(r.headers["ratelimit-policy"]
            .to_str()
            .unwrap()
            .contains("\"token-1s\";q=3;w=1"));
    }
    let r = h.call("GET", "/v1/secret/config", t, None).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.headers["retry-after"], "1");
    assert_eq!(r.headers["ratelimit"], "\"token-1s\";r=0;t=1");
    assert!(r.json["errors"][0]
        .as_str()
        .unwrap()
        .contains("rate limit quota exceeded"));
    // another token is not limited by this one
    let other = token(&h.state, &["default"], false);
    assert_eq!(
        h.call("GET", "/v1/auth/token/lookup-self", Some(&other), None)
            .await
            .status,
        200
    );
    assert!(h
        .audit
        .records()
        .iter()
        .any(|r| r.outcome == "rate_limited"));
}

#[tokio::test]
async fn per_address_limit_applies_before_authentication() {
    let h = harness(limited(&[], &["2/m"])).await;
    for _ in 0..2 {
        assert_eq!(
            h.send("GET", "/v1/secret/data/x", &[], None, "10.9.9.9")
                .await
                .status,
            403
        );
    }
    let r = h
        .send("GET", "/v1/secret/data/x", &[], None, "10.9.9.9")
        .await;
    assert_eq!(r.status, 429);
    assert!(
        r.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 29
    );
    assert_eq!(
        h.send("GET", "/v1/sys/health", &[], None, "10.9.9.8")
            .await
            .status,
        200,
        "other address"
    );
}

#[tokio::test]
async fn an_audit_failure_refuses_the_request() {
    let h = harness(Default::default()).await;
    let t = Some(h.root.as_str());
    h.call(
        "POST",
        "/v1/secret/data/a",
        t,
        Some(json!({"data": {"v": "top-secret-value"}})),
    )
    .await;
    h.audit.set_failing(true);
    let r = h.call("GET", "/v1/secret/data/a", t, None).await;
    assert_eq!(r.status, 503);
    assert!(!r.text.contains("top-secret-value"), "{}", r.text);
    assert_eq!(
        r.json["errors"][0],
        "audit log unavailable; request refused"
    );
    h.audit.set_failing(false);
    assert_eq!(
        h.call("GET", "/v1/secret/data/a", t, None).await.status,
        200
    );
}

#[tokio::test]
async fn concurrent_requests_share_audit_batches() {
    let h = std::sync::Arc::new(harness(Default::default()).await);
    h.call(
        "POST",
        "/v1/secret/data/a",
        Some(&h.root),
        Some(json!({"data": {"v": "1"}})),
    )
    .await;
    let before = h.audit.batches();
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let h = h.clone();
            tokio::spawn(async move {
                h.call("GET", "/v1/secret/data/a", Some(&h.root), None)
                    .await
                    .status
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let batches = h.audit.batches() - before;
    assert!(batches < 200, "{batches} batches for 200 requests");
    assert_eq!(h.audit.records().len(), 201);
}

#[tokio::test]
async fn body_limit_is_413_and_audited() {
    let h = harness(ServerConfig {
        max_request_bytes: 1024,
        ..ServerConfig::default()
    })
    .await;
    let big = json!({"data": {"v": "x".repeat(2000)}});
    let r = h
        .call("POST", "/v1/secret/data/big", Some(&h.root), Some(big))
        .await;
    assert_eq!(r.status, 413);
    assert_eq!(h.audit.records().last().unwrap().outcome, "too_large");
}

#[tokio::test]
async fn metrics_and_openapi() {
    let h = harness(Default::default()).await;
    h.call("GET", "/v1/secret/data/x", None, None).await;
    let m = h.call("GET", "/metrics", None, None).await;
    assert_eq!(m.status, 200);
    assert!(m.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    assert!(
        m.text.contains(
            "keyward_http_requests_total{route=\"kv_data\",method=\"GET\",status=\"403\"} 1"
        ),
        "{}",
        m.text
    );
    assert!(m
        .text
        .contains("keyward_auth_failures_total{kind=\"missing_token\"} 1"));
    assert!(m.text.contains("keyward_audit_batches_total"));
    let doc = h.call("GET", "/v1/keyward/openapi.json", None, None).await;
    assert_eq!(doc.status, 200);
    assert!(doc.json["openapi"].as_str().unwrap().starts_with("3."));
    let paths: Vec<&str> = doc.json["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        paths,
        vec![
            "/metrics",
            "/v1/keyward/audit/verify",
            "/v1/keyward/incidents",
            "/v1/keyward/incidents/{id}",
            "/v1/keyward/openapi.json",
            "/v1/keyward/reports",
            "/v1/keyward/revoke/{env}/{name}",
            "/v1/keyward/rotate/{env}/{name}",
            "/v1/keyward/rotation",
            "/v1/keyward/secrets",
            "/v1/keyward/tokens"
        ]
    );
    // every documented path is served; the rotation operations need a store-backed server
    // (this harness is in memory), and say so with 501
    for p in paths {
        let url = p
            .replace("{env}", "production")
            .replace("{name}", "JWT_SECRET")
            .replace("{id}", "INC-x");
        let (method, body) = match doc.json["paths"][p].get("get") {
            Some(_) => ("GET", None),
            None => ("POST", Some(json!({"reason": "test"}))),
        };
        let r = h.call(method, &url, Some(&h.root), body).await;
        let ops = ["rotat", "revoke", "incidents", "secrets"]
            .iter()
            .any(|w| p.contains(w));
        let want = if ops { 501 } else { 200 };
        assert_eq!(r.status, want, "{method} {p}: {}", r.text);
        if ops {
            assert!(r.text.contains("store-backed server"), "{}", r.text);
        }
    }
}

#[tokio::test]
async fn keyward_tokens_and_audit_verify() {
    let h = harness(Default::default()).await;
    let t = token(&h.state, &["default"], false);
    let r = h
        .call("GET", "/v1/keyward/tokens", Some(&h.root), None)
        .await;
    let list = r.json["data"]["tokens"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(!r.text.contains(&t) && !r.text.contains(&h.root));
    assert_eq!(
        h.call("GET", "/v1/keyward/tokens", Some(&t), None)
            .await
            .status,
        403
    );
    let v = h
        .call("GET", "/v1/keyward/audit/verify", Some(&h.root), None)
        .await;
    assert_eq!(v.json["data"]["broken_at"], Value::Null);
    h.audit.tamper(0, "ok-edited");
    let v = h
        .call("GET", "/v1/keyward/audit/verify", Some(&h.root), None)
        .await;
    assert_eq!(
        (v.status.as_u16(), v.json["broken_at"].as_u64()),
        (409, Some(1))
    );
}
