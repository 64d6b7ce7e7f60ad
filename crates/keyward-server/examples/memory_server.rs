//! Try the HTTP layer before `keyward serve` exists: an in-memory server (nothing is
//! persisted) on 127.0.0.1:8200 (or `$KEYWARD_LISTEN`), KV v2 at `secret/`, a root token
//! printed once on stderr. Stop it with Ctrl-C.
//!
//! ```sh
//! cargo run -p keyward-server --example memory_server
//! BAO_ADDR=http://127.0.0.1:8200 BAO_TOKEN=kwt_… bao kv put secret/app/production/jwt secret=…
//! ```

use keyward_server::backend::memory;
use keyward_server::backend::OpContext;
use keyward_server::clock::Clock;
use keyward_server::token::{NewToken, TokenHasher};
use keyward_server::{app, AppState, ServerConfig};

#[tokio::main]
async fn main() {
    keyward_server::logging::init(std::env::var_os("KEYWARD_LOG_JSON").is_some());
    let (backends, _) = memory::backends();
    let clock = Clock::default();
    let state = AppState::build(
        ServerConfig::default(),
        backends,
        TokenHasher::random(),
        clock.clone(),
    )
    .await
    .expect("default configuration");
    let op = OpContext {
        actor: "memory_server".into(),
        accessor: None,
        remote: None,
        now: clock.now(),
    };
    let root = NewToken {
        policies: vec!["root".into()],
        display_name: "root".into(),
        orphan: true,
        path: "auth/token/root".into(),
        no_expiry: true,
        ..NewToken::default()
    };
    let (token, _, _) = state.tokens.create(root, &op).expect("in-memory insert");
    let addr = std::env::var("KEYWARD_LISTEN").unwrap_or_else(|_| "127.0.0.1:8200".into());
    let listener = std::net::TcpListener::bind(&addr).expect("bind");
    eprintln!(
        "keyward (in-memory) on http://{addr}\nRoot token (shown once): {}",
        token.as_str()
    );
    keyward_server::serve::serve(
        listener,
        app(state),
        None,
        false,
        keyward_server::serve::shutdown_signal(),
    )
    .await
    .expect("serve");
}
