//! JWT login: keys from a JWKS file, a PEM file and a JWKS URL; roles bind audience, subject
//! and (nested) claims to policies; wrong audience, expiry, key, subject or claim refused and
//! audited.

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use keyward_core::policy::Policy;
use keyward_server::ServerConfig;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};
use support::{harness, Harness};

struct Keys {
    rsa_pem: String,
    other_rsa_pem: String,
    ec_pem: String,
    dir: tempfile::TempDir,
    jwks: String,
}

fn rsa_key() -> rsa::RsaPrivateKey {
    rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap()
}

fn keys() -> Keys {
    let dir = tempfile::tempdir().unwrap();
    let rsa = rsa_key();
    let n = URL_SAFE_NO_PAD.encode(rsa.n().to_bytes_be());
    let e = URL_SAFE_NO_PAD.encode(rsa.e().to_bytes_be());
    let jwks = json!({"keys": [{"kty": "RSA", "kid": "rsa1", "alg": "RS256", "use": "sig", "n": n, "e": e}]}).to_string();
    std::fs::write(dir.path().join("jwks.json"), &jwks).unwrap();
    let ec = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    std::fs::write(dir.path().join("ec.pem"), ec.public_key_pem()).unwrap();
    Keys {
        rsa_pem: rsa.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
        other_rsa_pem: rsa_key().to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
        ec_pem: ec.serialize_pem(),
        dir,
        jwks,
    }
}

fn config(dir: &Path, extra: &str) -> ServerConfig {
    let text = format!(
        r#"
[server.policies.app-read]
"secret/data/app/*" = ["read"]
[server.jwt]
{extra}
bound_issuer = "https://kubernetes.default.svc"
[server.jwt.roles.web]
bound_audiences = ["keyward"]
bound_subject = "system:serviceaccount:app:web"
bound_claims = {{ "/kubernetes.io/namespace" = "app" }}
policies = ["app-read"]
token_ttl = "30m"
"#
    );
    let p = Policy::parse(&text, Path::new("keyward.toml")).unwrap();
    ServerConfig::from_section(&p.server.unwrap(), dir, |_| None).unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims(aud: &str, exp: u64, sub: &str, ns: &str) -> Value {
    json!({"iss": "https://kubernetes.default.svc", "aud": [aud], "sub": sub, "exp": exp, "iat": now(),
           "kubernetes.io": {"namespace": ns, "serviceaccount": {"name": "web"}}})
}

fn sign(alg: Algorithm, kid: Option<&str>, pem: &str, claims: &Value) -> String {
    let key = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
        Algorithm::HS256 => EncodingKey::from_secret(pem.as_bytes()),
        _ => EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    };
    let mut h = Header::new(alg);
    h.kid = kid.map(String::from);
    encode(&h, claims, &key).unwrap()
}

async fn login(h: &Harness, role: &str, jwt: &str) -> support::Resp {
    h.call(
        "POST",
        "/v1/auth/jwt/login",
        None,
        Some(json!({"role": role, "jwt": jwt})),
    )
    .await
}

const SUB: &str = "system:serviceaccount:app:web";

#[tokio::test]
async fn service_account_tokens_log_in_and_bad_ones_are_refused_and_audited() {
    let k = keys();
    let h = harness(config(
        k.dir.path(),
        r#"jwks_file = "jwks.json"
pem_files = ["ec.pem"]"#,
    ))
    .await;
    h.call(
        "POST",
        "/v1/secret/data/app/x",
        Some(&h.root),
        Some(json!({"data": {"v": "1"}})),
    )
    .await;
    let good = claims("keyward", now() + 600, SUB, "app");
    let r = login(
        &h,
        "web",
        &sign(Algorithm::RS256, Some("rsa1"), &k.rsa_pem, &good),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["auth"]["policies"], json!(["default", "app-read"]));
    assert_eq!(r.json["auth"]["lease_duration"], 1800);
    assert_eq!(r.json["auth"]["metadata"]["role"], "web");
    let t = r.json["auth"]["client_token"].as_str().unwrap().to_string();
    assert_eq!(
        h.call("GET", "/v1/secret/data/app/x", Some(&t), None)
            .await
            .status,
        200
    );
    assert_eq!(
        h.call("GET", "/v1/auth/token/lookup-self", Some(&t), None)
            .await
            .json["data"]["display_name"],
        format!("jwt-{SUB}")
    );
    let r = login(&h, "web", &sign(Algorithm::ES256, None, &k.ec_pem, &good)).await;
    assert_eq!(r.status, 200, "ES256 from the PEM file: {}", r.text);

    let cases = [
        (
            "audience",
            sign(
                Algorithm::RS256,
                Some("rsa1"),
                &k.rsa_pem,
                &claims("other", now() + 600, SUB, "app"),
            ),
        ),
        (
            "expired",
            sign(
                Algorithm::RS256,
                Some("rsa1"),
                &k.rsa_pem,
                &claims("keyward", now() - 3600, SUB, "app"),
            ),
        ),
        (
            "signature",
            sign(Algorithm::RS256, Some("rsa1"), &k.other_rsa_pem, &good),
        ),
        (
            "bound subject",
            sign(
                Algorithm::RS256,
                Some("rsa1"),
                &k.rsa_pem,
                &claims(
                    "keyward",
                    now() + 600,
                    "system:serviceaccount:app:db",
                    "app",
                ),
            ),
        ),
        (
            "bound claim",
            sign(
                Algorithm::RS256,
                Some("rsa1"),
                &k.rsa_pem,
                &claims("keyward", now() + 600, SUB, "kube-system"),
            ),
        ),
        (
            "not allowed",
            sign(Algorithm::HS256, None, "shared-secret", &good),
        ),
        ("malformed", "not.a.jwt".to_string()),
    ];
    for (why, jwt) in &cases {
        let r = login(&h, "web", jwt).await;
        assert_eq!(r.status, 400, "{why}: {}", r.text);
        assert!(
            r.json["errors"][0].as_str().unwrap().contains(why),
            "{why}: {}",
            r.text
        );
    }
    let r = login(
        &h,
        "nope",
        &sign(Algorithm::RS256, Some("rsa1"), &k.rsa_pem, &good),
    )
    .await;
    assert_eq!(r.json["errors"][0], "role \"nope\" could not be found");
    let logins: Vec<_> = h
        .audit
        .records()
        .into_iter()
        .filter(|r| r.operation == "login")
        .collect();
    assert_eq!(logins.len(), 2 + cases.len() + 1);
    assert_eq!(
        logins.iter().filter(|r| r.outcome == "invalid").count(),
        cases.len() + 1
    );
    assert!(logins
        .iter()
        .any(|r| r.detail.as_deref().is_some_and(|d| d.contains("audience"))));
    let dump = format!("{logins:?}");
    assert!(
        cases.iter().all(|(_, jwt)| !dump.contains(jwt.as_str())),
        "a JWT in the audit log"
    );
    let m = h.call("GET", "/metrics", None, None).await;
    assert!(
        m.text.contains(&format!(
            "keyward_auth_failures_total{{kind=\"jwt\"}} {}",
            cases.len() + 1
        )),
        "{}",
        m.text
    );
}

#[tokio::test]
async fn keys_from_a_jwks_url_and_roles_written_through_the_api() {
    let k = keys();
    let jwks = k.jwks.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/openid/v1/jwks", listener.local_addr().unwrap());
    let router = axum::Router::new().route(
        "/openid/v1/jwks",
        axum::routing::get(move || async move { jwks }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let h = harness(config(k.dir.path(), &format!("jwks_url = \"{url}\""))).await;
    let good = claims("keyward", now() + 600, SUB, "app");
    assert_eq!(
        login(
            &h,
            "web",
            &sign(Algorithm::RS256, Some("rsa1"), &k.rsa_pem, &good)
        )
        .await
        .status,
        200
    );
    let role = json!({"role_type": "jwt", "bound_audiences": ["ci"], "user_claim": "sub", "token_policies": ["app-read"], "token_ttl": "10m"});
    assert_eq!(
        h.call("POST", "/v1/auth/jwt/role/ci", Some(&h.root), Some(role))
            .await
            .status,
        204
    );
    assert_eq!(
        h.call("LIST", "/v1/auth/jwt/role", Some(&h.root), None)
            .await
            .json["data"]["keys"],
        json!(["ci", "web"])
    );
    let r = login(
        &h,
        "ci",
        &sign(
            Algorithm::RS256,
            Some("rsa1"),
            &k.rsa_pem,
            &claims("ci", now() + 600, "repo:acme/app", "x"),
        ),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), &r.json["auth"]["lease_duration"]),
        (200, &json!(600)),
        "{}",
        r.text
    );
    let bad = json!({"token_policies": ["root"]});
    assert_eq!(
        h.call("POST", "/v1/auth/jwt/role/evil", Some(&h.root), Some(bad))
            .await
            .status,
        400
    );
    assert_eq!(
        h.call(
            "POST",
            "/v1/auth/jwt/role/web",
            Some(&h.root),
            Some(json!({"token_policies": ["x"]}))
        )
        .await
        .status,
        400,
        "declared in keyward.toml"
    );
}
