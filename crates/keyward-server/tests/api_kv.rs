//! KV v2 over the real router, in-process: envelopes, status codes and messages as
//! docs/server.md (from the researched wire contract) says.

mod support;

use serde_json::json;
use support::harness;

#[tokio::test]
async fn write_read_versions_and_envelope() {
    let h = harness(Default::default()).await;
    let t = Some(h.root.as_str());
    let r = h
        .call(
            "POST",
            "/v1/secret/data/app/production/jwt",
            t,
            Some(json!({"data": {"secret": "s1"}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.headers["content-type"], "application/json");
    for k in [
        "request_id",
        "lease_id",
        "renewable",
        "lease_duration",
        "data",
        "wrap_info",
        "warnings",
        "auth",
    ] {
        assert!(r.json.get(k).is_some(), "envelope lacks {k}: {}", r.text);
    }
    assert_eq!(r.json["data"]["version"], 1);
    assert_eq!(r.json["data"]["deletion_time"], "");
    assert_eq!(r.json["data"]["destroyed"], false);
    // PUT is POST
    let r = h
        .call(
            "PUT",
            "/v1/secret/data/app/production/jwt",
            t,
            Some(json!({"data": {"secret": "s2"}, "options": {}})),
        )
        .await;
    assert_eq!(r.json["data"]["version"], 2);
    let r = h
        .call("GET", "/v1/secret/data/app/production/jwt", t, None)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["data"]["data"], json!({"secret": "s2"}));
    assert_eq!(r.json["data"]["metadata"]["version"], 2);
    let r = h
        .call(
            "GET",
            "/v1/secret/data/app/production/jwt?version=1",
            t,
            None,
        )
        .await;
    assert_eq!(r.json["data"]["data"]["secret"], "s1");
    let r = h
        .call(
            "GET",
            "/v1/secret/data/app/production/jwt?version=9",
            t,
            None,
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.text.as_str()),
        (404, r#"{"errors":[]}"#)
    );
    let r = h.call("GET", "/v1/secret/data/nothing/here", t, None).await;
    assert_eq!(
        (r.status.as_u16(), r.text.as_str()),
        (404, r#"{"errors":[]}"#)
    );
}

#[tokio::test]
async fn cas_mismatch_and_required_use_vaults_messages() {
    let h = harness(Default::default()).await;
    let t = Some(h.root.as_str());
    let put = |cas: u64| Some(json!({"data": {"k": "v"}, "options": {"cas": cas}}));
    assert_eq!(
        h.call("POST", "/v1/secret/data/c", t, put(0)).await.status,
        200
    );
    let r = h.call("POST", "/v1/secret/data/c", t, put(0)).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json["errors"][0],
        "check-and-set parameter did not match the current version"
    );
    assert_eq!(
        h.call("POST", "/v1/secret/data/c", t, put(1)).await.status,
        200
    );
    let r = h
        .call(
            "POST",
            "/v1/secret/metadata/c",
            t,
            Some(json!({"cas_required": true})),
        )
        .await;
    assert_eq!(r.status, 204);
    let r = h
        .call(
            "POST",
            "/v1/secret/data/c",
            t,
            Some(json!({"data": {"k": "v"}})),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json["errors"][0],
        "check-and-set parameter required for this call"
    );
    let r = h
        .call(
            "POST",
            "/v1/secret/data/c",
            t,
            Some(json!({"options": {"cas": 2}})),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.json["errors"][0].as_str()),
        (400, Some("no data provided"))
    );
    let r = h
        .send(
            "POST",
            "/v1/secret/data/c",
            &[("x-vault-token", &h.root)],
            Some("{not json".into()),
            "10.0.0.1",
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn deleted_and_destroyed_versions_answer_404_with_the_full_envelope() {
    let h = harness(Default::default()).await;
    let t = Some(h.root.as_str());
    for v in ["a", "b", "c"] {
        h.call(
            "POST",
            "/v1/secret/data/d",
            t,
            Some(json!({"data": {"v": v}})),
        )
        .await;
    }
    assert_eq!(
        h.call("DELETE", "/v1/secret/data/d", t, None).await.status,
        204
    );
    let r = h.call("GET", "/v1/secret/data/d", t, None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json["data"]["data"], json!(null));
    assert_eq!(r.json["data"]["metadata"]["version"], 3);
    assert_ne!(r.json["data"]["metadata"]["deletion_time"], "");
    assert!(r.json["request_id"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(
        h.call(
            "POST",
            "/v1/secret/undelete/d",
            t,
            Some(json!({"versions": [3]}))
        )
        .await
        .status,
        204
    );
    assert_eq!(
        h.call("GET", "/v1/secret/data/d", t, None).await.json["data"]["data"]["v"],
        "c"
    );
    assert_eq!(
        h.call(
            "POST",
            "/v1/secret/delete/d",
            t,
            Some(json!({"versions": [1]}))
        )
        .await
        .status,
        204
    );
    assert_eq!(
        h.call("GET", "/v1/secret/data/d?version=1", t, None)
            .await
            .status,
        404
    );
    assert_eq!(
        h.call(
            "POST",
            "/v1/secret/destroy/d",
            t,
            Some(json!({"versions": [2]}))
        )
        .await
        .status,
        204
    );
    let r = h.call("GET", "/v1/secret/data/d?version=2", t, None).await;
    assert_eq!(
        (r.status.as_u16(), &r.json["data"]["metadata"]["destroyed"]),
        (404, &json!(true))
    );
    // a destroyed version cannot be undeleted
    h.call(
        "POST",
        "/v1/secret/undelete/d",
        t,
        Some(json!({"versions": [2]})),
    )
    .await;
    assert_eq!(
        h.call("GET", "/v1/secret/data/d?version=2", t, None)
            .await
            .status,
        404
    );
    let m = h.call("GET", "/v1/secret/metadata/d", t, None).await;
    assert_eq!(m.json["data"]["versions"]["2"]["destroyed"], true);
    assert_ne!(m.json["data"]["versions"]["1"]["deletion_time"], "");
    let r = h
        .call("POST", "/v1/secret/delete/d", t, Some(json!({})))
        .await;
    assert_eq!(r.status, 400);
    // DELETE on undelete/ is not an operation of that path
    assert_eq!(
        h.call("DELETE", "/v1/secret/undelete/d", t, None)
            .await
            .status,
        405
    );
}

#[tokio::test]
async fn patch_needs_merge_patch_and_merges() {
    let h = harness(Default::default()).await;
    let t = h.root.as_str();
    h.call(
        "POST",
        "/v1/secret/data/p",
        Some(t),
        Some(json!({"data": {"a": "1", "b": "2"}})),
    )
    .await;
    let body = json!({"data": {"b": null, "c": "3"}}).to_string();
    let r = h
        .send(
            "PATCH",
            "/v1/secret/data/p",
            &[("x-vault-token", t), ("content-type", "application/json")],
            Some(body.clone()),
            "10.0.0.1",
        )
        .await;
    assert_eq!(r.status, 415);
    let mp = [
        ("x-vault-token", t),
        ("content-type", "application/merge-patch+json"),
    ];
    let r = h
        .send(
            "PATCH",
            "/v1/secret/data/p",
            &mp,
            Some(body.clone()),
            "10.0.0.1",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["data"]["version"], 2);
    let r = h.call("GET", "/v1/secret/data/p", Some(t), None).await;
    assert_eq!(r.json["data"]["data"], json!({"a": "1", "c": "3"}));
    let r = h
        .send(
            "PATCH",
            "/v1/secret/data/missing",
            &mp,
            Some(body),
            "10.0.0.1",
        )
        .await;
    assert_eq!((r.status.as_u16(), r.text.as_str()), (404, ""));
    let stale = json!({"data": {"a": "x"}, "options": {"cas": 1}}).to_string();
    let r = h
        .send("PATCH", "/v1/secret/data/p", &mp, Some(stale), "10.0.0.1")
        .await;
    assert_eq!(
        r.json["errors"][0],
        "check-and-set parameter did not match the current version"
    );
}
