//! Tokens, policies, headers and sys endpoints over the real router, in-process.

mod support;

use serde_json::json;
use std::time::Duration;
use support::{harness, token};

#[tokio::test]
async fn missing_bad_expired_and_revoked_tokens_get_403() {
    let h = harness(Default::default()).await;
    let r = h.call("GET", "/v1/secret/data/x", None, None).await;
    assert_eq!(
        (r.status.as_u16(), r.json["errors"][0].as_str()),
        (403, Some("permission denied"))
    );
    assert_eq!(
        h.call("GET", "/v1/secret/data/x", Some("kwt_nope"), None)
            .await
            .status,
        403
    );
    let t = token(&h.state, &["default"], false);
    assert_eq!(
        h.call("GET", "/v1/auth/token/lookup-self", Some(&t), None)
            .await
            .status,
        200
    );
    h.clock.advance(Duration::from_secs(769 * 3600));
    assert_eq!(
        h.call("GET", "/v1/auth/token/lookup-self", Some(&t), None)
            .await
            .status,
        403,
        "expired"
    );
    let t2 = token(&h.state, &["default"], false);
    assert_eq!(
        h.call("POST", "/v1/auth/token/revoke-self", Some(&t2), None)
            .await
            .status,
        204
    );
    assert_eq!(
        h.call("GET", "/v1/auth/token/lookup-self", Some(&t2), None)
            .await
            .status,
        403,
        "revoked"
    );
    let outcomes: Vec<String> = h
        .audit
        .records()
        .iter()
        .map(|r| r.outcome.clone())
        .collect();
    for o in ["missing_token", "invalid_token", "expired_token"] {
        assert!(
            outcomes.iter().any(|x| x == o),
            "{o} not audited: {outcomes:?}"
        );
    }
    // never the token itself
    let dump = format!("{:?}", h.audit.records());
    assert!(!dump.contains(&t) && !dump.contains(&h.root));
}

#[tokio::test]
async fn x_vault_token_wins_over_bearer_and_bearer_alone_works() {
    let h = harness(Default::default()).await;
    let weak = token(&h.state, &["default"], false);
    let r = h
        .send(
            "GET",
            "/v1/sys/mounts",
            &[("authorization", &format!("Bearer {}", h.root))],
            None,
            "10.0.0.1",
        )
        .await;
    assert_eq!(r.status, 200);
    let both = [
        ("x-vault-token", weak.as_str()),
        ("authorization", &format!("Bearer {}", h.root)),
    ];
    assert_eq!(
        h.send("GET", "/v1/sys/mounts", &both, None, "10.0.0.1")
            .await
            .status,
        403
    );
    let basic = [("authorization", "Basic dXNlcjpwYXNz")];
    assert_eq!(
        h.send("GET", "/v1/sys/mounts", &basic, None, "10.0.0.1")
            .await
            .status,
        403
    );
    // X-Vault-Request is accepted and ignored
    let r = h
        .send(
            "GET",
            "/v1/sys/mounts",
            &[("x-vault-token", &h.root), ("x-vault-request", "true")],
            None,
            "10.0.0.1",
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["secret/"]["options"]["version"], "2");
    assert_eq!(r.json["data"]["secret/"]["type"], "kv");
}

#[tokio::test]
async fn namespace_and_wrapping_headers() {
    let h = harness(Default::default()).await;
    let t = h.root.as_str();
    for ns in ["", "root", "root/"] {
        let r = h
            .send(
                "GET",
                "/v1/sys/mounts",
                &[("x-vault-token", t), ("x-vault-namespace", ns)],
                None,
                "10.0.0.1",
            )
            .await;
        assert_eq!(r.status, 200, "namespace {ns:?}");
    }
    let r = h
        .send(
            "GET",
            "/v1/sys/mounts",
            &[("x-vault-token", t), ("x-vault-namespace", "team-a")],
            None,
            "10.0.0.1",
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.json["errors"][0].as_str()),
        (404, Some("namespace not found"))
    );
    let r = h
        .send(
            "GET",
            "/v1/secret/data/x",
            &[("x-vault-token", t), ("x-vault-wrap-ttl", "60s")],
            None,
            "10.0.0.1",
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.json["errors"][0].as_str().unwrap().contains("wrapping"));
}

#[tokio::test]
async fn a_restricted_token_is_refused_where_its_policy_denies() {
    let h = harness(Default::default()).await;
    let root = Some(h.root.as_str());
    let hcl = r#"
path "secret/data/app/production/*" { capabilities = ["read"] }
path "secret/metadata/app/production/" { capabilities = ["list"] }
path "secret/+/app/staging/*" { capabilities = ["deny"] }
"#;
    assert_eq!(
        h.call(
            "PUT",
            "/v1/sys/policy/app-read",
            root,
            Some(json!({"policy": hcl}))
        )
        .await
        .status,
        204
    );
    let r = h.call("GET", "/v1/sys/policy/app-read", root, None).await;
    assert_eq!(r.json["data"]["rules"], hcl);
    assert!(
        h.call("GET", "/v1/sys/policy", root, None).await.json["data"]["policies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "app-read")
    );
    assert_eq!(
        h.call("GET", "/v1/sys/policies/acl/app-read", root, None)
            .await
            .status,
        200
    );
    h.call(
        "POST",
        "/v1/secret/data/app/production/db",
        root,
        Some(json!({"data": {"p": "1"}})),
    )
    .await;
    let t = h
        .call(
            "POST",
            "/v1/auth/token/create",
            root,
            Some(json!({"policies": ["app-read"]})),
        )
        .await
        .json["auth"]["client_token"]
        .as_str()
        .unwrap()
        .to_string();
    let t = Some(t.as_str());
    assert_eq!(
        h.call("GET", "/v1/secret/data/app/production/db", t, None)
            .await
            .status,
        200
    );
    assert_eq!(
        h.call("LIST", "/v1/secret/metadata/app/production", t, None)
            .await
            .status,
        200
    );
    let r = h
        .call(
            "POST",
            "/v1/secret/data/app/production/db",
            t,
            Some(json!({"data": {"p": "2"}})),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.json["errors"][0].as_str()),
        (403, Some("1 error occurred:\n\t* permission denied\n\n"))
    );
    assert_eq!(
        h.call("GET", "/v1/secret/data/app/staging/db", t, None)
            .await
            .status,
        403
    );
    assert_eq!(
        h.call("GET", "/v1/secret/metadata/app/production/db", t, None)
            .await
            .status,
        403
    );
    assert_eq!(h.call("GET", "/v1/sys/mounts", t, None).await.status, 403);
    // the CLI's preflight works with any capability under the mount
    let r = h
        .call(
            "GET",
            "/v1/sys/internal/ui/mounts/secret/app/production/db",
            t,
            None,
        )
        .await;
    assert_eq!(
        (
            r.status.as_u16(),
            r.json["data"]["path"].as_str(),
            r.json["data"]["options"]["version"].as_str()
        ),
        (200, Some("secret/"), Some("2"))
    );
    assert_eq!(
        h.call("GET", "/v1/sys/internal/ui/mounts/secret/x", None, None)
            .await
            .status,
        403
    );
    let r = h
        .call("GET", "/v1/sys/internal/ui/mounts", None, None)
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.json["data"]["secret"]),
        (200, &json!({}))
    );
    // bad policies are refused; root cannot be rewritten
    assert_eq!(
        h.call(
            "PUT",
            "/v1/sys/policy/x",
            root,
            Some(json!({"policy": "path \"a\" { capabilities = [\"fly\"] }"}))
        )
        .await
        .status,
        400
    );
    assert_eq!(
        h.call(
            "PUT",
            "/v1/sys/policy/root",
            root,
            Some(json!({"policy": ""}))
        )
        .await
        .status,
        400
    );
    assert_eq!(
        h.call("DELETE", "/v1/sys/policy/app-read", root, None)
            .await
            .status,
        204
    );
    assert_eq!(
        h.call("GET", "/v1/sys/policy/app-read", root, None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn health_head_and_overrides_need_no_token() {
    let h = harness(Default::default()).await;
    let r = h.call("GET", "/v1/sys/health", None, None).await;
    assert_eq!(
        (r.status.as_u16(), &r.json["sealed"], &r.json["initialized"]),
        (200, &json!(false), &json!(true))
    );
    let r = h.call("HEAD", "/v1/sys/health", None, None).await;
    assert_eq!((r.status.as_u16(), r.text.as_str()), (200, ""));
    assert_eq!(
        h.call("GET", "/v1/sys/health?activecode=299", None, None)
            .await
            .status,
        299
    );
    assert_eq!(
        h.call("GET", "/v1/sys/seal-status", None, None).await.json["sealed"],
        false
    );
    let r = h.call("GET", "/v1/sys/leader", None, None).await;
    assert_eq!(
        (r.status.as_u16(), &r.json["ha_enabled"]),
        (200, &json!(false))
    );
    // sealed-code override applies only when storage is unhealthy; a bad code is refused
    assert_eq!(
        h.call("GET", "/v1/sys/health?activecode=abc", None, None)
            .await
            .status,
        400
    );
}
