//! `keyward infra …` grammar.

use super::OutputArgs;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// `keyward infra`: check files, or one of the subcommands.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct InfraArgs {
    /// List or check the checks, or ask who can do what.
    #[command(subcommand)]
    pub command: Option<InfraCommand>,
    /// What to check.
    #[command(flatten)]
    pub run: InfraRunArgs,
}

/// `keyward infra [PATH…]`.
#[derive(Debug, Args)]
pub struct InfraRunArgs {
    /// Manifests, Dockerfiles, compose and configuration files, or directories to walk;
    /// `-` reads stdin (`helm template … | keyward infra -`).
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
    /// Namespace of objects that name none (default: [infra] namespace, else `default`).
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// Ignore `keyward.dev/allow` annotations and labels (keyward.toml entries still apply).
    #[arg(long)]
    pub strict: bool,
    /// Policy file (default: ./keyward.toml when present).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `keyward infra …` subcommands.
#[derive(Debug, Subcommand)]
pub enum InfraCommand {
    /// List the checks, or verify every check's examples.
    #[command(subcommand)]
    Checks(InfraChecksCommand),
    /// Who can VERB RESOURCE (e.g. `who-can list secrets`), through which binding and rule.
    WhoCan(WhoCanArgs),
}

/// `keyward infra checks …`.
#[derive(Debug, Subcommand)]
pub enum InfraChecksCommand {
    /// List the checks: id, severity, title (json: everything, policy text included).
    List {
        /// human or json.
        #[arg(long, short = 'f', default_value = "human")]
        format: String,
    },
    /// Run every check's passing and failing examples; exit 1 when one misbehaves.
    Check,
}

/// `keyward infra who-can`.
#[derive(Debug, Args)]
pub struct WhoCanArgs {
    /// A verb: get, list, watch, create, update, patch, delete, …
    #[arg(value_name = "VERB")]
    pub verb: String,
    /// A resource, optionally with its API group: `secrets`, `pods/exec`, `deployments.apps`.
    #[arg(value_name = "RESOURCE")]
    pub resource: String,
    /// Files or directories with the RBAC objects; `-` reads stdin.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Namespace of objects that name none.
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// human or json.
    #[arg(long, short = 'f', default_value = "human")]
    pub format: String,
}
