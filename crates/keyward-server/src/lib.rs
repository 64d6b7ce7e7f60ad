//! keyward-server: the HTTP layer of `keyward serve`, a secret server that Vault clients
//! (the Vault/OpenBao CLI, `hvac`, External Secrets Operator, Vault Agent templates) speak
//! unchanged.
//!
//! - [`http`]: the Vault-compatible KV v2, token and sys subset (docs/server.md), keyward's
//!   own endpoints, `/metrics`; built with [`http::app`] over an [`http::AppState`].
//! - [`backend`]: the four storage traits the HTTP layer needs (KV, tokens, documents, audit)
//!   and their in-memory implementations.
//! - [`token`], [`policy`], [`jwt`]: hashed tokens, ACL policies, JWT login.
//! - [`ratelimit`], [`alerts`], [`audit`]: GCRA limits (local or Redis), webhook alerts,
//!   group-committed audit.
//! - [`ui`]: the dashboard at `/ui`; [`reports`]: the reports CI posts for it.
//! - [`ops`]: keyward's own operations (rotation, revocation, incidents) behind
//!   `/v1/keyward/`, and the rotation scheduler.
//! - [`serve`]: TLS (rustls) or loopback HTTP, graceful shutdown; [`logging`].

pub mod alerts;
pub mod audit;
pub mod backend;
pub mod clock;
pub mod config;
pub mod http;
pub mod jwt;
pub mod launch;
pub mod logging;
pub mod metrics;
pub mod ops;
pub mod policy;
pub mod ratelimit;
pub mod reports;
pub mod serve;
pub mod token;
pub mod ui;

pub use config::{ConfigError, ServerConfig};
pub use http::{app, AppState};

/// Use `ring` for rustls (TLS serving, webhook and JWKS clients); idempotent.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
