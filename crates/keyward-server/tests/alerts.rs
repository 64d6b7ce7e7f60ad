//! Alerts delivered to a local webhook receiver started by the test: failed
//! authentications, revocation, first read and a broken audit chain; JSON and Slack shapes;
//! retried after a failure; never holding a token or a value.

mod support;

use axum::http::StatusCode;
use keyward_server::alerts::{Webhook, WebhookFormat};
use keyward_server::ServerConfig;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{harness, token};

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Value>>>,
    fail_first: Arc<AtomicUsize>,
}

async fn receiver(fail_first: usize) -> (String, Receiver) {
    let r = Receiver::default();
    r.fail_first.store(fail_first, Ordering::SeqCst);
    let state = r.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let state = state.clone();
            async move {
                if state.fail_first.load(Ordering::SeqCst) > 0 {
                    state.fail_first.fetch_sub(1, Ordering::SeqCst);
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                state.got.lock().unwrap().push(body);
                StatusCode::OK
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, r)
}

async fn wait_for(r: &Receiver, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        if r.got.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    r.got.lock().unwrap().clone()
}

fn config(url: &str, slack: &str) -> ServerConfig {
    let mut c = ServerConfig::default();
    c.alerts.failed_auth_threshold = 3;
    c.alerts.first_read = true;
    c.alerts.retry_delays = vec![Duration::from_millis(50), Duration::from_millis(50)];
    c.webhooks = vec![
        Webhook {
            url: url.into(),
            format: WebhookFormat::Json,
            events: vec![],
        },
        Webhook {
            url: slack.into(),
            format: WebhookFormat::Slack,
            events: vec!["failed-auth".into()],
        },
    ];
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_authentications_alert_once_per_threshold_after_a_retry() {
    let (url, json_hook) = receiver(1).await;
    let (slack, slack_hook) = receiver(0).await;
    let h = harness(config(&url, &slack)).await;
    let bad = "kwt_this-is-not-a-real-token-but-it-is-long-enough";
    for _ in 0..3 {
        assert_eq!(
            h.send(
                "GET",
                "/v1/secret/data/x",
                &[("x-vault-token", bad)],
                None,
                "10.7.7.7"
            )
            .await
            .status,
            403
        );
    }
    let got = wait_for(&json_hook, 2).await;
    let by_address = got
        .iter()
        .find(|a| a["details"]["subject_kind"] == "address")
        .expect("address alert");
    assert_eq!(by_address["event"], "failed-auth");
    assert_eq!(by_address["source"], "keyward");
    assert_eq!(by_address["details"]["subject"], "10.7.7.7");
    assert_eq!(by_address["details"]["count"], 3);
    let by_token = got
        .iter()
        .find(|a| a["details"]["subject_kind"] == "token")
        .expect("token alert");
    assert_eq!(
        by_token["details"]["subject"].as_str().unwrap().len(),
        8,
        "a hash prefix, not the token"
    );
    let s = wait_for(&slack_hook, 2).await;
    assert!(
        s[0]["text"]
            .as_str()
            .unwrap()
            .contains("3 failed authentications"),
        "{s:?}"
    );
    let everything = format!("{got:?}{s:?}");
    assert!(!everything.contains(bad), "the token leaked into an alert");
    // the window restarted: two more failures do not alert again
    for _ in 0..2 {
        h.send(
            "GET",
            "/v1/secret/data/x",
            &[("x-vault-token", bad)],
            None,
            "10.7.7.7",
        )
        .await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(json_hook.got.lock().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_first_read_and_broken_audit_chain_alert() {
    let (url, hook) = receiver(0).await;
    let h = harness(config(&url, &url)).await;
    h.call(
        "POST",
        "/v1/secret/data/app/db",
        Some(&h.root),
        Some(json!({"data": {"password": "hunter2-but-longer"}})),
    )
    .await;
    let t = token(&h.state, &["root"], false);
    h.call("GET", "/v1/secret/data/app/db", Some(&t), None)
        .await;
    h.call("GET", "/v1/secret/data/app/db", Some(&t), None)
        .await;
    h.call("POST", "/v1/auth/token/revoke-self", Some(&t), None)
        .await;
    h.audit.tamper(1, "edited");
    assert_eq!(
        h.call("GET", "/v1/keyward/audit/verify", Some(&h.root), None)
            .await
            .status,
        409
    );
    let got = wait_for(&hook, 3).await;
    let events: Vec<&str> = got.iter().map(|a| a["event"].as_str().unwrap()).collect();
    assert_eq!(
        events,
        vec!["first-read", "revocation", "audit-verify-failed"],
        "{got:?}"
    );
    assert_eq!(got[0]["details"]["path"], "secret/data/app/db");
    assert_eq!(got[1]["details"]["display_name"], "token-test");
    let everything = format!("{got:?}");
    assert!(!everything.contains("hunter2-but-longer") && !everything.contains(&t));
}
