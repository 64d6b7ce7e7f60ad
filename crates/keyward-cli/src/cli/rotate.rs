//! Grammar of the rotation commands: `rotation`, `rotate`, `revoke`, `incident`.

use super::StoreOpts;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Options shared by rotation commands: the store and the policy.
#[derive(Debug, Args, Clone)]
pub struct RotateOpts {
    /// Store options.
    #[command(flatten)]
    pub store: StoreOpts,
    /// Policy file with rotation targets (default: ./keyward.toml when present).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `keyward rotation …`.
#[derive(Debug, Subcommand)]
pub enum RotationCommand {
    /// Each secret's last rotation, next due date, overdue days, target, state and last error.
    Status {
        /// Only this environment.
        #[arg(long, short = 'e')]
        env: Option<String>,
        /// human or json.
        #[arg(long, short = 'f', default_value = "human")]
        format: String,
        /// Store and policy options.
        #[command(flatten)]
        opts: RotateOpts,
    },
    /// Print the JWT keyring of ENV/NAME as JSON (current key and, during the grace, the
    /// previous one, with key ids).
    Keyring {
        /// `ENV/NAME`.
        path: String,
        /// Store and policy options.
        #[command(flatten)]
        opts: RotateOpts,
    },
}

/// `keyward rotate ENV/NAME`, `keyward rotate --due`, `keyward rotate confirm ENV/NAME`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// `ENV/NAME` to rotate now, or `confirm ENV/NAME` to close a manual rotation with the
    /// new key read from stdin.
    #[arg(value_name = "ENV/NAME", num_args = 0..=2)]
    pub what: Vec<String>,
    /// Rotate every secret that is due, finish every expired grace and resume interrupted
    /// rotations (for cron or a Kubernetes CronJob); exit 1 if any failed.
    #[arg(long, conflicts_with = "what")]
    pub due: bool,
    /// With --due: only this environment.
    #[arg(long, short = 'e', requires = "due")]
    pub env: Option<String>,
    /// End the running grace of ENV/NAME now instead of starting a rotation.
    #[arg(long, conflicts_with = "abort")]
    pub finish: bool,
    /// Abandon the rotation of ENV/NAME in progress: roll the target back, discard the
    /// pending version and lift the lock on direct writes.
    #[arg(long)]
    pub abort: bool,
    /// With --abort: why (recorded in the audit log).
    #[arg(long, value_name = "TEXT", requires = "abort")]
    pub reason: Option<String>,
    /// Store and policy options.
    #[command(flatten)]
    pub opts: RotateOpts,
}

/// `keyward revoke`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// `ENV/NAME`.
    pub path: String,
    /// The compromised version (default: the current one).
    #[arg(long, value_name = "N")]
    pub version: Option<u64>,
    /// Why (recorded in the incident).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Fingerprint (`kw1:…`) of the scan finding that exposed the secret; its introducing
    /// commit becomes the exposure start.
    #[arg(long, value_name = "FINGERPRINT")]
    pub finding: Option<String>,
    /// The `keyward scan --git -f json` report holding the finding.
    #[arg(long, value_name = "FILE", requires = "finding")]
    pub report: Option<PathBuf>,
    /// human or json.
    #[arg(long, short = 'f', default_value = "human")]
    pub format: String,
    /// Store and policy options.
    #[command(flatten)]
    pub opts: RotateOpts,
}

/// `keyward incident …`.
#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// List recorded incidents.
    List {
        /// human or json.
        #[arg(long, short = 'f', default_value = "human")]
        format: String,
        /// Store options.
        #[command(flatten)]
        opts: StoreOpts,
    },
    /// The post-incident report of ID.
    Show {
        /// The incident id (`INC-ENV-NAME-vN`).
        id: String,
        /// md or json.
        #[arg(long, short = 'f', default_value = "md")]
        format: String,
        /// Store options.
        #[command(flatten)]
        opts: StoreOpts,
    },
}
