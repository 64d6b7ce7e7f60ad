//! Grammar of the store commands: `store`, `secret`, `import`, `export`, `run`, `audit`.

use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Where the store is and how to unseal it.
#[derive(Debug, Args, Clone)]
pub struct StoreOpts {
    /// Store: a SQLite file or a postgres:// URL (`?schema=NAME` selects a schema)
    /// [default: .keyward/store.db].
    #[arg(
        long,
        env = "KEYWARD_STORE",
        hide_env_values = true,
        value_name = "PATH|URL"
    )]
    pub store: Option<String>,
    /// Read the master key (base64 of 32 bytes) from FILE instead of $KEYWARD_MASTER_KEY.
    #[arg(long, value_name = "FILE")]
    pub master_key_file: Option<PathBuf>,
    /// Refuse a master key file that others can read (by default keyward warns).
    #[arg(long = "strict", env = "KEYWARD_STRICT", value_parser = clap::builder::FalseyValueParser::new())]
    pub strict_key_file: bool,
}

/// `keyward store …`.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Create an empty store sealed with the master key.
    Init {
        /// Store options.
        #[command(flatten)]
        opts: StoreOpts,
        /// Generate a new random master key, write it to FILE (mode 0600) and use it.
        #[arg(long, value_name = "FILE", conflicts_with = "master_key_file")]
        generate_key: Option<PathBuf>,
    },
    /// Re-wrap every data key under a new master key, in one transaction.
    Rekey {
        /// Store options.
        #[command(flatten)]
        opts: StoreOpts,
        /// Read the new master key from FILE instead of $KEYWARD_NEW_MASTER_KEY.
        #[arg(long, value_name = "FILE")]
        new_master_key_file: Option<PathBuf>,
    },
}

/// `keyward secret …`.
#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Write a new version of ENV/NAME; the value is read from stdin (never from argv).
    Set {
        /// `ENV/NAME`, e.g. production/STRIPE_SECRET_KEY.
        path: String,
        /// Generate the value for this kind instead of reading stdin (jwt-secret, password…).
        #[arg(long, value_name = "KIND")]
        generate: Option<String>,
        /// Fail unless the current version is N (0: the secret must not exist yet).
        #[arg(long, value_name = "N")]
        expected_version: Option<u64>,
        /// Keep stdin byte for byte (by default one trailing newline is dropped).
        #[arg(long)]
        raw: bool,
        /// Kind of value (metadata).
        #[arg(long)]
        kind: Option<String>,
        /// Description (metadata).
        #[arg(long)]
        description: Option<String>,
        /// Owner, a team or person (metadata).
        #[arg(long)]
        owner: Option<String>,
        /// Rotation interval in days (metadata).
        #[arg(long, value_name = "DAYS")]
        rotation_days: Option<u32>,
        /// Store options.
        #[command(flatten)]
        opts: StoreOpts,
    },
    /// Print the current value of ENV/NAME (or another version or stage) to stdout.
    Get {
        /// `ENV/NAME`.
        path: String,
        /// A specific version.
        #[arg(long, value_name = "N", conflicts_with = "stage")]
        version: Option<u64>,
        /// A stage: current, previous or pending.
        #[arg(long)]
        stage: Option<String>,
        /// Store options.
        #[command(flatten)]
        opts: StoreOpts,
    },
    /// List secrets (no values), optionally under a prefix such as `production/`.
    List {
        /// `ENV/`, `ENV/NAME_PREFIX`, or nothing for all.
        prefix: Option<String>,
        /// Include soft-deleted secrets.
        #[arg(long)]
        deleted: bool,
        /// human or json.
        #[arg(long, short = 'f', default_value = "human")]
        format: String,
        /// Store options.
        #[command(flatten)]
        opts: StoreOpts,
    },
    /// Show the versions of ENV/NAME and their stages (no values).
    History {
        /// `ENV/NAME`.
        path: String,
        /// human or json.
        #[arg(long, short = 'f', default_value = "human")]
        format: String,
        /// Store options.
        #[command(flatten)]
        opts: StoreOpts,
    },
    /// Soft-delete ENV/NAME (restorable).
    Rm {
        /// `ENV/NAME`.
        path: String,
        /// Fail unless the current version is N.
        #[arg(long, value_name = "N")]
        expected_version: Option<u64>,
        /// Store options.
        #[command(flatten)]
        opts: StoreOpts,
    },
    /// Undo `secret rm`.
    Restore {
        /// `ENV/NAME`.
        path: String,
        /// Store options.
        #[command(flatten)]
        opts: StoreOpts,
    },
}

/// `keyward import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The environment to import into.
    #[arg(long)]
    pub env: String,
    /// The dotenv file.
    pub file: PathBuf,
    /// Store options.
    #[command(flatten)]
    pub opts: StoreOpts,
}

/// `keyward export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The environment to export.
    #[arg(long)]
    pub env: String,
    /// dotenv, json, k8s or docker.
    #[arg(long, short = 'f', default_value = "dotenv")]
    pub format: String,
    /// Name of the Kubernetes Secret (k8s) [default: ENV-secrets].
    #[arg(long)]
    pub name: Option<String>,
    /// Namespace of the Kubernetes Secret (k8s).
    #[arg(long)]
    pub namespace: Option<String>,
    /// Write to FILE (mode 0600; must not exist) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Succeed even when the environment has no secrets (by default that is an error: a
    /// misspelt environment name must not export nothing and succeed).
    #[arg(long)]
    pub allow_empty: bool,
    /// Store options.
    #[command(flatten)]
    pub opts: StoreOpts,
}

/// `keyward run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The environment whose current secrets are added to the command's environment.
    #[arg(long)]
    pub env: String,
    /// Run the command even when the environment has no secrets (by default that is an
    /// error: a misspelt environment name must not run the program without its secrets).
    #[arg(long)]
    pub allow_empty: bool,
    /// Store options.
    #[command(flatten)]
    pub opts: StoreOpts,
    /// The command and its arguments (after `--`).
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// `keyward audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print audit entries (needs no master key).
    Log {
        /// Only this `ENV/NAME` (or everything under `ENV/` or `ENV`).
        #[arg(long)]
        path: Option<String>,
        /// Only entries at or after T: RFC 3339, a date, or an age such as 24h or 7d.
        #[arg(long, value_name = "T")]
        since: Option<String>,
        /// human or json.
        #[arg(long, short = 'f', default_value = "human")]
        format: String,
        /// Store options.
        #[command(flatten)]
        opts: StoreOpts,
    },
    /// Verify the hash chain; exit 1 naming the first broken entry (needs no master key).
    Verify {
        /// human or json.
        #[arg(long, short = 'f', default_value = "human")]
        format: String,
        /// Store options.
        #[command(flatten)]
        opts: StoreOpts,
    },
}
