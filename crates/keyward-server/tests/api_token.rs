//! `auth/token/*` over the real router: create, lookup, renew, revoke, accessors, TTL caps.

mod support;

use serde_json::json;
use std::time::Duration;
use support::harness;

#[tokio::test]
async fn token_create_lookup_renew_revoke_and_accessors() {
    let h = harness(Default::default()).await;
    let root = Some(h.root.as_str());
    let r = h.call("POST", "/v1/auth/token/create", root, Some(json!({"policies": ["app"], "ttl": "1h", "display_name": "ci", "meta": {"team": "web"}, "no_parent": false, "no_default_policy": false, "num_uses": 0, "renewable": true}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["data"], json!(null));
    let auth = &r.json["auth"];
    let child = auth["client_token"].as_str().unwrap().to_string();
    assert!(
        keyward_core::token::token_checksum_ok(child.as_bytes()),
        "{child}"
    );
    assert_eq!(auth["policies"], json!(["default", "app"]));
    assert_eq!(auth["lease_duration"], 3600);
    assert_eq!(auth["token_type"], "service");
    let accessor = auth["accessor"].as_str().unwrap().to_string();
    let l = h
        .call("GET", "/v1/auth/token/lookup-self", Some(&child), None)
        .await;
    assert_eq!(l.json["data"]["display_name"], "token-ci");
    assert!(l.json["data"]["ttl"].is_u64(), "ESO needs a number");
    assert!(l.json["data"]["expire_time"].is_string());
    assert_eq!(l.json["data"]["type"], "service");
    assert_eq!(l.json["data"]["meta"]["team"], "web");
    let r = h
        .call(
            "POST",
            "/v1/auth/token/renew-self",
            Some(&child),
            Some(json!({"increment": "2h"})),
        )
        .await;
    assert_eq!(r.json["auth"]["lease_duration"], 7200, "{}", r.text);
    let root_l = h
        .call("GET", "/v1/auth/token/lookup-self", root, None)
        .await;
    assert_eq!(root_l.json["data"]["expire_time"], json!(null));
    assert_eq!(root_l.json["data"]["ttl"], 0);
    let list = h.call("LIST", "/v1/auth/token/accessors", root, None).await;
    assert!(list.json["data"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k == accessor.as_str()));
    assert_eq!(
        h.call("LIST", "/v1/auth/token/accessors", Some(&child), None)
            .await
            .status,
        403
    );
    let r = h
        .call(
            "POST",
            "/v1/auth/token/lookup-accessor",
            root,
            Some(json!({"accessor": accessor})),
        )
        .await;
    assert_eq!(
        (
            r.json["data"]["id"].as_str(),
            r.json["data"]["accessor"].as_str()
        ),
        (Some(""), Some(accessor.as_str()))
    );
    // a child may not grant policies it does not hold, nor create orphans
    let r = h
        .call(
            "POST",
            "/v1/auth/token/create",
            Some(&child),
            Some(json!({"policies": ["admin"]})),
        )
        .await;
    assert_eq!(
        r.status, 403,
        "default policy does not allow create: {}",
        r.text
    );
    assert_eq!(
        h.call(
            "POST",
            "/v1/auth/token/revoke-accessor",
            root,
            Some(json!({"accessor": accessor}))
        )
        .await
        .status,
        204
    );
    assert_eq!(
        h.call("GET", "/v1/auth/token/lookup-self", Some(&child), None)
            .await
            .status,
        403
    );
    for bad in [
        json!({"id": "my-token"}),
        json!({"type": "batch"}),
        json!({"num_uses": 3}),
        json!({"period": "1h"}),
    ] {
        assert_eq!(
            h.call("POST", "/v1/auth/token/create", root, Some(bad.clone()))
                .await
                .status,
            400,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn ttl_is_capped_at_90_days_and_near_expiry_warns() {
    let h = harness(Default::default()).await;
    let r = h
        .call(
            "POST",
            "/v1/auth/token/create",
            Some(&h.root),
            Some(json!({"ttl": "2400h"})),
        )
        .await;
    assert_eq!(r.json["auth"]["lease_duration"], 90 * 86400);
    assert!(
        r.json["warnings"][0].as_str().unwrap().contains("capped"),
        "{}",
        r.text
    );
    let t = r.json["auth"]["client_token"].as_str().unwrap().to_string();
    assert_eq!(
        h.call("GET", "/v1/auth/token/lookup-self", Some(&t), None)
            .await
            .json["warnings"],
        json!(null)
    );
    h.clock.advance(Duration::from_secs(80 * 86400));
    let r = h
        .call("GET", "/v1/auth/token/lookup-self", Some(&t), None)
        .await;
    assert!(
        r.json["warnings"][0]
            .as_str()
            .unwrap()
            .contains("rotated every 90 days"),
        "{}",
        r.text
    );
    // renewal cannot pass the hard limit
    let r = h
        .call(
            "POST",
            "/v1/auth/token/renew-self",
            Some(&t),
            Some(json!({"increment": "720h"})),
        )
        .await;
    assert!(
        r.json["auth"]["lease_duration"].as_u64().unwrap() <= 10 * 86400,
        "{}",
        r.text
    );
}
