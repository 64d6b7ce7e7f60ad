//! The HTTP layer: one axum [`Router`] whose `/v1/*` requests all go through
//! [`pipeline::dispatch`] (method → operation, namespace and wrapping headers, address rate
//! limit, token, token rate limit, route and ACL check, handler, audit group commit,
//! metrics, one log line), like Vault's own logical router.

mod jwt;
mod keyward;
mod keyward_ops;
mod kv;
mod kvmeta;
mod pipeline;
mod reply;
mod reports;
mod request;
mod routes;
mod sys;
mod token;

pub use keyward::ApiDoc;
pub use reply::{ApiError, Reply};
pub use request::{Caller, Ctx, Op};

use crate::alerts::Alerter;
use crate::audit::AuditWriter;
use crate::backend::{BackendError, Backends, OpContext};
use crate::clock::Clock;
use crate::config::{ConfigError, ServerConfig};
use crate::jwt::JwtKeys;
use crate::metrics::Metrics;
use crate::ops::Ops;
use crate::policy::Policies;
use crate::ratelimit::{gcra::LocalGcra, redis::RedisGcra, Limiter};
use crate::token::{TokenHasher, Tokens};
use axum::routing::{any, get};
use axum::Router;
use std::sync::Arc;

/// Everything a request may need; cheap to clone.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

/// The state behind [`AppState`].
pub struct Inner {
    /// Checked configuration.
    pub config: ServerConfig,
    /// Storage.
    pub backends: Backends,
    /// Token lifecycle.
    pub tokens: Tokens,
    /// Policy resolution.
    pub policies: Policies,
    /// Audit group commit.
    pub audit: AuditWriter,
    /// Alerts.
    pub alerts: Alerter,
    /// Rate limiter.
    pub limiter: Limiter,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Time.
    pub clock: Clock,
    /// JWT verification keys.
    pub jwt_keys: JwtKeys,
    /// keyward's own operations (rotation, revocation, incidents); `None` on the in-memory
    /// backends, where `/v1/keyward/` rotation endpoints answer 501.
    pub ops: Option<Arc<dyn Ops>>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Start a server's machinery (audit writer, alert delivery, Redis connection) on the
    /// current tokio runtime and apply the mounts' declared engine settings.
    pub async fn build(
        config: ServerConfig,
        backends: Backends,
        hasher: TokenHasher,
        clock: Clock,
    ) -> Result<AppState, ConfigError> {
        let metrics = Arc::new(Metrics::default());
        let limiter = match &config.redis_url {
            Some(url) => Limiter::Redis {
                redis: RedisGcra::connect(url, &config.redis_prefix)
                    .await
                    .map_err(ConfigError)?,
                fallback: LocalGcra::default(),
            },
            None => Limiter::Local(LocalGcra::default()),
        };
        let op = OpContext {
            actor: "keyward-serve".into(),
            accessor: None,
            remote: None,
            now: clock.now(),
        };
        for m in &config.mounts {
            if let Some(c) = &m.config {
                let (kv, name, c, op) =
                    (backends.kv.clone(), m.name.clone(), c.clone(), op.clone());
                blocking(move || kv.set_config(&name, &c, &op))
                    .await
                    .map_err(|e| ConfigError(format!("mount {}: {e}", m.name)))?;
            }
        }
        let inner = Inner {
            tokens: Tokens::new(backends.tokens.clone(), hasher, config.tokens.clone()),
            policies: Policies::new(backends.docs.clone(), config.policies.clone()),
            audit: AuditWriter::start(backends.audit.clone(), metrics.clone()),
            alerts: Alerter::start(
                config.webhooks.clone(),
                config.alerts.clone(),
                metrics.clone(),
            ),
            jwt_keys: JwtKeys::new(config.jwt.keys.clone(), config.jwt.jwks_url.clone()),
            limiter,
            metrics,
            clock,
            backends,
            config,
            ops: None,
        };
        Ok(AppState(Arc::new(inner)))
    }

    /// The same state with keyward's own operations. Call it right after
    /// [`AppState::build`], before the state is shared (cloned).
    ///
    /// # Panics
    /// When the state was already cloned.
    pub fn with_ops(mut self, ops: Arc<dyn Ops>) -> AppState {
        Arc::get_mut(&mut self.0)
            .expect("with_ops is called before the state is shared")
            .ops = Some(ops);
        self
    }
}

/// The router: `/v1/*` through the pipeline, `/metrics`, the dashboard under `/ui`, and
/// 404 `{"errors":[]}` elsewhere.
pub fn app(state: AppState) -> Router {
    let ui = crate::ui::router(crate::ui::Ui::new(state.clone()));
    Router::new()
        .route("/metrics", get(keyward::metrics))
        .route("/v1/{*path}", any(pipeline::dispatch))
        .fallback(|| async { reply::ApiError::not_found().into_response_with("") })
        .with_state(state)
        .merge(ui)
}

/// Run a synchronous backend call on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BackendError> + Send + 'static,
) -> Result<T, BackendError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|_| Err(BackendError::Unavailable("a storage call panicked".into())))
}
