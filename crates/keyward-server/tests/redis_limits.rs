//! Two server instances ("replicas") over the same backends share rate limits through the
//! local Redis (`KEYWARD_TEST_REDIS_URL`; skipped with a note when unset).

mod support;

use keyward_server::backend::memory;
use keyward_server::clock::Clock;
use keyward_server::http::AppState;
use keyward_server::ratelimit::Quota;
use keyward_server::token::TokenHasher;
use keyward_server::ServerConfig;
use support::Harness;

fn redis_url() -> Option<String> {
    let url = std::env::var("KEYWARD_TEST_REDIS_URL").ok();
    if url.is_none() {
        eprintln!("SKIPPED: KEYWARD_TEST_REDIS_URL is unset");
    }
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_per_token_and_per_address_limits() {
    let Some(url) = redis_url() else { return };
    let prefix = format!(
        "keyward-test:{}:{}:",
        std::process::id(),
        uuid::Uuid::new_v4()
    );
    let key = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [9u8; 32]);
    let (backends, audit) = memory::backends();
    let config = || ServerConfig {
        per_token: vec![Quota::parse("token", "4/m").unwrap()],
        per_address: vec![Quota::parse("address", "6/m").unwrap()],
        redis_url: Some(url.clone()),
        redis_prefix: prefix.clone(),
        ..ServerConfig::default()
    };
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let state = AppState::build(
            config(),
            backends.clone(),
            TokenHasher::from_base64(&key).unwrap(),
            Clock::default(),
        )
        .await
        .unwrap();
        replicas.push(state);
    }
    let root = support::token(&replicas[0], &["root"], true);
    let hs: Vec<Harness> = replicas
        .into_iter()
        .map(|state| Harness {
            clock: state.clock.clone(),
            state,
            audit: audit.clone(),
            root: root.clone(),
        })
        .collect();
    // per token: 4 per minute across both replicas
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for i in 0..5 {
            v.push(
                hs[i % 2]
                    .send(
                        "GET",
                        "/v1/sys/mounts",
                        &[("x-vault-token", &root)],
                        None,
                        &format!("10.0.0.{i}"),
                    )
                    .await
                    .status
                    .as_u16(),
            );
        }
        v
    };
    assert_eq!(statuses, vec![200, 200, 200, 200, 429]);
    // per address: 6 per minute across both replicas, whoever asks
    let mut v = Vec::new();
    for i in 0..7 {
        v.push(
            hs[i % 2]
                .send("GET", "/v1/sys/health", &[], None, "10.5.5.5")
                .await,
        );
    }
    let codes: Vec<u16> = v.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(codes, vec![200, 200, 200, 200, 200, 200, 429]);
    assert!(
        v[6].headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(v[5].headers["ratelimit"], "\"address-60s\";r=0;t=60");
    // clean up our keys
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(!keys.is_empty(), "counters live in redis");
    let _: () = redis::cmd("DEL")
        .arg(&keys)
        .query_async(&mut c)
        .await
        .unwrap();
}
