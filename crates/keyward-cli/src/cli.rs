//! Command-line grammar (clap derive).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

mod checklist;
mod deps;
mod infra;
mod rotate;
mod serve;
mod store;
pub use checklist::{ChecklistArgs, ChecklistCommand, EvidenceArgs, SecurityMdArgs};
pub use deps::{DbCommand, DbDirArg, DepsArgs, DepsCommand};
pub use infra::{InfraArgs, InfraChecksCommand, InfraCommand, InfraRunArgs, WhoCanArgs};
pub use rotate::{IncidentCommand, RevokeArgs, RotateArgs, RotateOpts, RotationCommand};
pub use serve::{PolicyCommand, ServeArgs, ServerOpts, TokenCommand};
pub use store::{
    AuditCommand, ExportArgs, ImportArgs, RunArgs, SecretCommand, StoreCommand, StoreOpts,
};

/// keyward makes a team's security policy true: it finds secrets, checks environments,
/// stores and rotates secrets, and keeps a tamper-evident audit log.
#[derive(Debug, Parser)]
#[command(name = "keyward", version, max_term_width = 100)]
pub struct Cli {
    /// Diagnostics on stderr: -v info, -vv debug, -vvv trace (or set RUST_LOG). Values are
    /// never logged.
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files, directories or stdin (`-`) for secrets.
    Scan(ScanArgs),
    /// List or check the detection rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Write a baseline of current findings (.keyward/baseline.json) so scans report only new ones.
    Baseline(BaselineArgs),
    /// Install or remove the git pre-commit hook that runs `keyward scan --staged`.
    #[command(subcommand)]
    Hook(HookCommand),
    /// Write a commented keyward.toml (variables taken from .env.example when present).
    Init(InitArgs),
    /// Check environment files against the policy, or generate one.
    #[command(subcommand)]
    Env(EnvCommand),
    /// Create the encrypted secret store, or move it to a new master key.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Write, read, list and delete secrets in the store.
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Import a dotenv file into an environment of the store.
    Import(ImportArgs),
    /// Export an environment's current secrets as dotenv, JSON, a Kubernetes Secret or a
    /// docker env-file.
    Export(ExportArgs),
    /// Run a command with an environment's secrets added to its environment.
    Run(RunArgs),
    /// Show or verify the tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Show rotation status of the store's secrets, or print a JWT keyring.
    #[command(subcommand)]
    Rotation(RotationCommand),
    /// Rotate ENV/NAME now, every due secret (--due), or confirm a manual rotation.
    Rotate(RotateArgs),
    /// Revoke a compromised version: rotate at once with no grace and record an incident.
    Revoke(RevokeArgs),
    /// List incidents or show a post-incident report.
    #[command(subcommand)]
    Incident(IncidentCommand),
    /// Check Kubernetes manifests, Dockerfiles, compose and configuration files against the
    /// policies (pod security, NetworkPolicies, RBAC, literal secrets, sslmode, CORS).
    Infra(InfraArgs),
    /// Check lockfiles for dependencies with known advisories (offline OSV database), or
    /// manage the database (`deps db update|status`).
    Deps(DepsArgs),
    /// Serve the store over a Vault-compatible HTTP API (KV v2, token auth, policies, JWT
    /// login), or try it with `--dev`.
    Serve(ServeArgs),
    /// Create, list, look up and revoke API tokens of `keyward serve`.
    #[command(subcommand)]
    Token(TokenCommand),
    /// List, read, write and delete ACL policies of `keyward serve`.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Evaluate the production checklist from evidence (scan, env, store, rotation, audit,
    /// deps, infra, TLS, SARIF) and attestations; `sign` records it in the audit chain.
    Checklist(ChecklistArgs),
    /// Write or update SECURITY.md's generated sections (status, variables, rotation,
    /// storage, revocation, checklist) between markers, keeping hand-written prose.
    SecurityMd(SecurityMdArgs),
}

/// Output options shared by reporting commands.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Output format: human, json or sarif.
    #[arg(long, short = 'f', default_value = "human", value_name = "FORMAT")]
    pub format: String,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print secrets unredacted (never the default).
    #[arg(long)]
    pub show_secrets: bool,
    /// Exit 1 when a finding is at or above this severity (info, low, medium, high, critical).
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,
    /// Colour: auto, always or never.
    #[arg(long, default_value = "auto", value_name = "WHEN")]
    pub color: String,
}

/// `keyward scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads stdin.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
    /// Scan everything: ignore `.gitignore` and `.keywardignore`.
    #[arg(long)]
    pub no_ignore: bool,
    /// Skip files larger than this (bytes, or with K/M/G suffix).
    #[arg(long, value_name = "SIZE")]
    pub max_file_size: Option<String>,
    /// Policy file (default: ./keyward.toml when present).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Never show progress, even on a terminal.
    #[arg(long)]
    pub no_progress: bool,
    /// Exit as usual even when inputs were too large or unreadable (by default such an
    /// incomplete scan exits 2).
    #[arg(long)]
    pub allow_skipped: bool,
    /// Report only findings in these contexts (comma-separated: source, test, example,
    /// vendored, generated); default all. Overrides `[scan] contexts`.
    #[arg(long, value_name = "LIST")]
    pub context: Option<String>,
    /// Git sources, baselines (see docs/git.md).
    #[command(flatten)]
    pub git: GitScanArgs,
}

/// `keyward scan` options for git history, staged changes and baselines.
#[derive(Debug, Args, Clone, Default)]
pub struct GitScanArgs {
    /// Scan the git history of the repository at PATH (every blob reachable from all refs,
    /// each once, with the commit that introduced it).
    #[arg(long, conflicts_with = "staged")]
    pub git: bool,
    /// With --git: only commits after REV, or committed since DATE (YYYY-MM-DD).
    #[arg(
        long,
        value_name = "REV|DATE",
        requires = "git",
        conflicts_with = "range"
    )]
    pub since: Option<String>,
    /// With --git: only the commits of A..B (reachable from B, not from A), e.g. a PR.
    #[arg(long, value_name = "A..B", requires = "git")]
    pub range: Option<String>,
    /// Scan what the next commit will contain: staged files that differ from HEAD.
    #[arg(long)]
    pub staged: bool,
    /// Report only findings not in this baseline (default .keyward/baseline.json).
    #[arg(long, value_name = "FILE", num_args = 0..=1,
          default_missing_value = ".keyward/baseline.json")]
    pub baseline: Option<PathBuf>,
}

/// `keyward rules …`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules (built-in and from keyward.toml).
    List {
        /// human or json.
        #[arg(long, short = 'f', default_value = "human")]
        format: String,
        /// Policy file with user rules.
        #[arg(long, short = 'c', value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Verify every rule's examples and negative examples; exit 1 on a broken rule.
    Check {
        /// Policy file with user rules.
        #[arg(long, short = 'c', value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

/// `keyward init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the policy.
    #[arg(long, short = 'o', value_name = "FILE", default_value = "keyward.toml")]
    pub output: PathBuf,
    /// Example file to declare variables from (default: .env.example when present).
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

/// `keyward env …`.
#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// Check dotenv files and/or the process environment against keyward.toml.
    Check(EnvCheckArgs),
    /// Write a dotenv file from an example, with fresh values for every secret.
    Generate(EnvGenerateArgs),
}

/// `keyward env check`.
#[derive(Debug, Args)]
pub struct EnvCheckArgs {
    /// Dotenv files (default: the environment's `files`, normally .env, plus any
    /// .env.example / .env.sample / .env.template present).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The environment to check against.
    #[arg(long, short = 'e', value_name = "NAME", default_value = "development")]
    pub env: String,
    /// Check the variables keyward.toml declares in this process's environment (files
    /// are then only read when given).
    #[arg(long)]
    pub process: bool,
    /// Skip the git checks (tracked / not ignored).
    #[arg(long)]
    pub no_git: bool,
    /// Policy file (default: ./keyward.toml when present).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `keyward env generate`.
#[derive(Debug, Args)]
pub struct EnvGenerateArgs {
    /// The example to start from.
    #[arg(long, value_name = "FILE", default_value = ".env.example")]
    pub from: PathBuf,
    /// The file to write (mode 0600).
    #[arg(long, value_name = "FILE", default_value = ".env")]
    pub out: PathBuf,
    /// The environment the values are for (decides Stripe key hints and required variables).
    #[arg(long, short = 'e', value_name = "NAME", default_value = "development")]
    pub env: String,
    /// Overwrite an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Policy file (default: ./keyward.toml when present).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `keyward baseline`.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Directory to scan (with --git: the repository).
    #[arg(value_name = "PATH", default_value = ".")]
    pub path: PathBuf,
    /// Baseline the whole git history instead of the working tree.
    #[arg(long)]
    pub git: bool,
    /// Where to write it.
    #[arg(
        long,
        short = 'o',
        value_name = "FILE",
        default_value = ".keyward/baseline.json"
    )]
    pub output: PathBuf,
    /// Policy file (default: ./keyward.toml when present).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Scan everything: ignore `.gitignore` and `.keywardignore`.
    #[arg(long)]
    pub no_ignore: bool,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Rewrite the existing baseline at --output with the current fingerprint scheme:
    /// entries (kw1: included) that match a current finding get its new fingerprint,
    /// entries matching nothing are dropped, and no new finding is accepted.
    #[arg(long)]
    pub migrate: bool,
}

/// `keyward hook …`.
#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Write .git/hooks/pre-commit running `keyward scan --staged`.
    Install {
        /// The repository (default: the current directory).
        #[arg(value_name = "PATH", default_value = ".")]
        path: PathBuf,
        /// Replace a pre-commit hook keyward did not write.
        #[arg(long)]
        force: bool,
    },
    /// Remove the pre-commit hook keyward wrote (a foreign hook is left alone).
    Uninstall {
        /// The repository (default: the current directory).
        #[arg(value_name = "PATH", default_value = ".")]
        path: PathBuf,
    },
}

#[cfg(test)]
mod tests {
    /// clap checks every subcommand's flags for clashes (two `--strict`s, say) only when
    /// that subcommand is parsed; this walks the whole tree so a clash fails here.
    #[test]
    fn every_subcommand_has_consistent_flags() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
