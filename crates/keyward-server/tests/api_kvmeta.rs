//! KV v2 metadata, listing, engine config and path/method errors over the real router.

mod support;

use serde_json::json;
use support::harness;

#[tokio::test]
async fn metadata_before_the_first_version_list_and_delete() {
    let h = harness(Default::default()).await;
    let t = Some(h.root.as_str());
    // ESO's PushSecret: custom_metadata first, then data with cas 0
    let r = h
        .call(
            "POST",
            "/v1/secret/metadata/app/eso",
            t,
            Some(json!({"custom_metadata": {"managed-by": "external-secrets"}})),
        )
        .await;
    assert_eq!(r.status, 204);
    let m = h.call("GET", "/v1/secret/metadata/app/eso", t, None).await;
    assert_eq!(m.json["data"]["current_version"], 0);
    assert_eq!(
        m.json["data"]["custom_metadata"]["managed-by"],
        "external-secrets"
    );
    assert_eq!(m.json["data"]["delete_version_after"], "0s");
    let r = h
        .call(
            "POST",
            "/v1/secret/data/app/eso",
            t,
            Some(json!({"data": {"x": "1"}, "options": {"cas": 0}})),
        )
        .await;
    assert_eq!(
        r.json["data"]["custom_metadata"]["managed-by"],
        "external-secrets"
    );
    h.call(
        "POST",
        "/v1/secret/data/app/sub/deep",
        t,
        Some(json!({"data": {"x": "1"}})),
    )
    .await;
    // LIST and GET ?list=true, sorted, folders with a trailing slash
    for (m, p) in [
        ("LIST", "/v1/secret/metadata/app"),
        ("GET", "/v1/secret/metadata/app/?list=true"),
    ] {
        let r = h.call(m, p, t, None).await;
        assert_eq!(r.status, 200, "{m} {p}: {}", r.text);
        assert_eq!(r.json["data"]["keys"], json!(["eso", "sub/"]));
    }
    assert_eq!(
        h.call("LIST", "/v1/secret/metadata/", t, None).await.json["data"]["keys"],
        json!(["app/"])
    );
    let r = h.call("LIST", "/v1/secret/metadata/nothing", t, None).await;
    assert_eq!(
        (r.status.as_u16(), r.text.as_str()),
        (404, r#"{"errors":[]}"#)
    );
    assert_eq!(
        h.call("GET", "/v1/secret/metadata/app?list=maybe", t, None)
            .await
            .status,
        400
    );
    // metadata patch merges custom metadata
    let mp = [
        ("x-vault-token", h.root.as_str()),
        ("content-type", "application/merge-patch+json"),
    ];
    let r = h
        .send(
            "PATCH",
            "/v1/secret/metadata/app/eso",
            &mp,
            Some(json!({"custom_metadata": {"team": "web"}}).to_string()),
            "10.0.0.1",
        )
        .await;
    assert_eq!(r.status, 204);
    let m = h.call("GET", "/v1/secret/metadata/app/eso", t, None).await;
    assert_eq!(
        m.json["data"]["custom_metadata"],
        json!({"managed-by": "external-secrets", "team": "web"})
    );
    assert_eq!(
        h.call("DELETE", "/v1/secret/metadata/app/eso", t, None)
            .await
            .status,
        204
    );
    assert_eq!(
        h.call("GET", "/v1/secret/data/app/eso", t, None)
            .await
            .status,
        404
    );
    assert_eq!(
        h.call("DELETE", "/v1/secret/metadata/never", t, None)
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn max_versions_prunes_and_config_round_trips() {
    let h = harness(Default::default()).await;
    let t = Some(h.root.as_str());
    let r = h.call("GET", "/v1/secret/config", t, None).await;
    assert_eq!(
        r.json["data"],
        json!({"cas_required": false, "delete_version_after": "0s", "max_versions": 10})
    );
    assert_eq!(
        h.call(
            "POST",
            "/v1/secret/config",
            t,
            Some(json!({"max_versions": 2}))
        )
        .await
        .status,
        204
    );
    for i in 0..4 {
        h.call(
            "POST",
            "/v1/secret/data/m",
            t,
            Some(json!({"data": {"i": i}})),
        )
        .await;
    }
    let m = h.call("GET", "/v1/secret/metadata/m", t, None).await;
    assert_eq!(m.json["data"]["oldest_version"], 3);
    assert_eq!(m.json["data"]["current_version"], 4);
    assert_eq!(
        h.call("GET", "/v1/secret/data/m?version=1", t, None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn wrong_paths_methods_and_v1_style_paths() {
    let h = harness(Default::default()).await;
    let t = Some(h.root.as_str());
    let r = h
        .call("GET", "/v1/secret/app/production/jwt", t, None)
        .await;
    assert_eq!(r.status, 404);
    assert!(r.json["warnings"][0]
        .as_str()
        .unwrap()
        .starts_with("Invalid path for a versioned K/V secrets engine"));
    let r = h.call("GET", "/v1/nomount/data/x", t, None).await;
    assert_eq!(r.status, 404);
    assert!(r.json["errors"][0]
        .as_str()
        .unwrap()
        .contains("no handler for route"));
    assert_eq!(
        h.call("OPTIONS", "/v1/secret/data/x", t, None).await.status,
        405
    );
    assert_eq!(
        h.call("LIST", "/v1/secret/data/x", t, None).await.status,
        405
    );
    let r = h.call("GET", "/elsewhere", t, None).await;
    assert_eq!(
        (r.status.as_u16(), r.text.as_str()),
        (404, r#"{"errors":[]}"#)
    );
}
