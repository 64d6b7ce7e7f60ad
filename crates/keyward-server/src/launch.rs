//! Running a server on keyward's store: what `keyward serve` does once its arguments,
//! configuration and keys are read (the CLI is a thin layer over [`run`]).
//!
//! A store-backed server opens a [`StorePool`] (one write handle, a few read handles,
//! reconnecting after database failures), builds the [`AppState`], optionally creates a
//! root token (dev mode), runs the tasks it was given (e.g. the rotation scheduler) and
//! serves until SIGTERM/Ctrl-C.

use crate::backend::store::{backends, StorePool};
use crate::backend::OpContext;
use crate::clock::Clock;
use crate::ops::Ops;
use crate::serve::{serve, shutdown_signal, TlsFiles};
use crate::token::{NewToken, TokenHasher};
use crate::{app, AppState, ServerConfig};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use zeroize::Zeroizing;

/// The root token of a dev server.
pub enum RootToken {
    /// Generate one (printed once).
    Generate,
    /// Use this value (`--dev-root-token`).
    Given(Zeroizing<String>),
}

/// A task started with the server, on its runtime (e.g. the rotation scheduler): it gets
/// the state and runs until the process ends.
pub type StartTask = Box<dyn FnOnce(AppState) + Send>;

/// Everything a store-backed server needs.
pub struct Launch {
    /// The checked `[server]` configuration.
    pub config: ServerConfig,
    /// Store handles.
    pub pool: Arc<StorePool>,
    /// The token-hash key.
    pub hasher: TokenHasher,
    /// A bound listener.
    pub listener: TcpListener,
    /// HTTPS files, if any.
    pub tls: Option<TlsFiles>,
    /// Allow plain HTTP on a non-loopback address.
    pub insecure_http: bool,
    /// Create a root token at start (dev mode).
    pub root_token: Option<RootToken>,
    /// Tasks spawned once the state is built.
    pub tasks: Vec<StartTask>,
    /// keyward's own operations (`/v1/keyward/rotation`, …, and the scheduler).
    pub ops: Option<Arc<dyn Ops>>,
}

/// What a started server tells its caller before serving.
pub struct Ready<'a> {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// `https` or `http`.
    pub scheme: &'static str,
    /// The root token when one was generated (show it once).
    pub root_token: Option<&'a str>,
}

/// Serve until a shutdown signal; `ready` is called once the server accepts requests.
pub fn run(launch: Launch, ready: impl FnOnce(Ready<'_>)) -> Result<(), String> {
    // Storage calls run on the blocking pool and each needs a store handle: more threads
    // than handles only park on the handles' locks, and 64 concurrent requests then cost
    // more in futex wake-ups than in SQL. A few spare threads serve calls that hold no
    // shared handle (rotations on handles of their own, alert and JWKS I/O).
    let rt = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(launch.pool.handles() + 4)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    rt.block_on(async move {
        let Launch {
            config,
            pool,
            hasher,
            listener,
            tls,
            insecure_http,
            root_token,
            tasks,
            ops,
        } = launch;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        crate::serve::check_plain_http(addr, tls.is_some(), insecure_http)
            .map_err(|e| e.to_string())?;
        let b = backends(pool, &config.mounts);
        let clock = Clock::default();
        let mut state = AppState::build(config, b, hasher, clock.clone())
            .await
            .map_err(|e| e.to_string())?;
        if let Some(ops) = ops {
            state = state.with_ops(ops);
        }
        let generated = match root_token {
            None => None,
            Some(root) => Some(create_root(&state, &clock, root).await?),
        };
        for task in tasks {
            task(state.clone());
        }
        ready(Ready {
            addr,
            scheme: if tls.is_some() { "https" } else { "http" },
            root_token: generated
                .as_ref()
                .and_then(|t| t.as_deref().map(|s| s.as_str())),
        });
        serve(listener, app(state), tls, insecure_http, shutdown_signal())
            .await
            .map_err(|e| e.to_string())
    })
}

/// Create the dev root token; returns it when it was generated.
async fn create_root(
    state: &AppState,
    clock: &Clock,
    root: RootToken,
) -> Result<Option<Zeroizing<String>>, String> {
    let op = OpContext {
        actor: "keyward-serve".into(),
        accessor: None,
        remote: None,
        now: clock.now(),
    };
    let req = NewToken {
        policies: vec!["root".into()],
        display_name: "root".into(),
        orphan: true,
        path: "auth/token/root".into(),
        no_expiry: true,
        ..NewToken::default()
    };
    let state = state.clone();
    crate::http::blocking(move || match root {
        RootToken::Generate => state.tokens.create(req, &op).map(|(t, _, _)| Some(t)),
        RootToken::Given(t) => state.tokens.create_with(&t, req, &op).map(|_| None),
    })
    .await
    .map_err(|e| format!("cannot create the root token: {e}"))
}
