//! Serving for real: HTTPS from PEM files (rustls), graceful shutdown, and JSON logs that
//! never hold a token, a value or a JWT.

mod support;

use keyward_server::serve::{serve, TlsFiles};
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use support::harness;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_graceful_shutdown_and_logs_without_secrets() {
    let logs = Buf::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter("debug")
        .with_writer(move || writer.clone())
        .init();
    keyward_server::install_crypto_provider();
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();

    let h = harness(Default::default()).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let tls = TlsFiles {
        cert: cert_path,
        key: key_path,
    };
    let server = tokio::spawn(serve(
        listener,
        keyward_server::app(h.state.clone()),
        Some(tls),
        false,
        async {
            let _ = stopped.await;
        },
    ));
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let base = format!("https://localhost:{port}/v1");
    let secret = "value-that-must-not-be-logged";
    let r = client
        .post(format!("{base}/secret/data/app/x"))
        .header("X-Vault-Token", &h.root)
        .json(&json!({"data": {"v": secret}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .get(format!("{base}/secret/data/app/x"))
        .bearer_auth(&h.root)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["data"]["data"]["v"], secret);
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtYmUtbG9nZ2Vk";
    client
        .post(format!("{base}/auth/jwt/login"))
        .json(&json!({"role": "r", "jwt": jwt}))
        .send()
        .await
        .unwrap();
    // plain HTTP to the TLS port gets nothing useful
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/v1/sys/health")).await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert!(
        client
            .get(format!("{base}/sys/health"))
            .send()
            .await
            .is_err(),
        "still serving after shutdown"
    );

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("\"path\":\"secret/data/app/x\""),
        "request lines are logged: {text}"
    );
    assert!(text.contains("shutting down"), "{text}");
    for needle in [secret, h.root.as_str(), jwt, "c2lnbmF0dXJl"] {
        assert!(!text.contains(needle), "`{needle}` appears in the logs");
    }
}
