//! Grammar of the server commands: `serve`, `token`, `policy`.

use super::StoreOpts;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Where the server's configuration is.
#[derive(Debug, Args, Clone)]
pub struct ServerOpts {
    /// Store options.
    #[command(flatten)]
    pub store: StoreOpts,
    /// keyward.toml holding the `[server]` section [default: ./keyward.toml when present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `keyward serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Store and configuration.
    #[command(flatten)]
    pub server: ServerOpts,
    /// Address to listen on [default: `[server] listen`, else 127.0.0.1:8200].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Allow plain HTTP on a non-loopback address (behind a TLS-terminating proxy only).
    #[arg(long)]
    pub insecure_http: bool,
    /// Dev mode: a fresh temporary store (deleted at exit), KV v2 at `secret/`, a root token
    /// printed once. For trying keyward out and for tests, never for real secrets.
    #[arg(long)]
    pub dev: bool,
    /// Dev mode: use this root token instead of a random one.
    #[arg(
        long,
        requires = "dev",
        env = "KEYWARD_DEV_ROOT_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub dev_root_token: Option<String>,
    /// Log JSON lines instead of human-readable ones (to stderr).
    #[arg(long)]
    pub log_json: bool,
    /// Store connections used for reads, besides the one for writes.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub read_connections: usize,
}

/// `keyward token …`: API tokens of `keyward serve`, managed directly in the store.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token (printed once; only its keyed hash is stored).
    Create {
        /// Store and configuration.
        #[command(flatten)]
        server: ServerOpts,
        /// A policy the token gets (repeatable; `root` grants everything).
        #[arg(long = "policy", value_name = "NAME")]
        policies: Vec<String>,
        /// Lifetime, e.g. 768h or 30d [default: `[server.tokens] default_ttl`].
        #[arg(long, value_name = "DURATION")]
        ttl: Option<String>,
        /// A name shown in audit entries (`token-NAME`).
        #[arg(long, value_name = "NAME", default_value = "cli")]
        display_name: String,
        /// Output format: human or json.
        #[arg(long, short = 'f', default_value = "human", value_name = "FORMAT")]
        format: String,
    },
    /// List live tokens (accessors, policies, expiry; never a token).
    List {
        /// Store and configuration.
        #[command(flatten)]
        server: ServerOpts,
        /// Output format: human or json.
        #[arg(long, short = 'f', default_value = "human", value_name = "FORMAT")]
        format: String,
    },
    /// Show one token by accessor.
    Lookup {
        /// Store and configuration.
        #[command(flatten)]
        server: ServerOpts,
        /// The token's accessor (`kwa_…`).
        accessor: String,
    },
    /// Revoke a token by accessor, with the tokens it created.
    Revoke {
        /// Store and configuration.
        #[command(flatten)]
        server: ServerOpts,
        /// The token's accessor (`kwa_…`).
        accessor: String,
    },
}

/// `keyward policy …`: ACL policies written through the API (`sys/policy`), in the store.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// List policies (keyward.toml ones marked).
    List {
        /// Store and configuration.
        #[command(flatten)]
        server: ServerOpts,
    },
    /// Print a policy's text.
    Read {
        /// Store and configuration.
        #[command(flatten)]
        server: ServerOpts,
        /// Policy name.
        name: String,
    },
    /// Create or replace a policy from HCL or JSON read from FILE (`-`: stdin).
    Write {
        /// Store and configuration.
        #[command(flatten)]
        server: ServerOpts,
        /// Policy name.
        name: String,
        /// The policy text (`-` for stdin).
        file: PathBuf,
    },
    /// Delete a policy.
    Delete {
        /// Store and configuration.
        #[command(flatten)]
        server: ServerOpts,
        /// Policy name.
        name: String,
    },
}
