//! `keyward checklist …` and `keyward security-md` grammar.

use super::{DbDirArg, StoreOpts};
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// `keyward checklist`: evaluate the production checklist from evidence.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ChecklistArgs {
    /// `sign`.
    #[command(subcommand)]
    pub command: Option<ChecklistCommand>,
    /// Evidence options.
    #[command(flatten)]
    pub evidence: EvidenceArgs,
    /// Output format: human, markdown, html or json.
    #[arg(long, short = 'f', default_value = "human", value_name = "FORMAT")]
    pub format: String,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    // `--strict` (also `KEYWARD_STRICT=1`) comes with the store options in
    // `evidence.store`: it refuses a master key file readable by others and, here, also
    // fails a pre-deployment item that is unproven (neither proven nor attested).
}

/// Where the evidence comes from.
#[derive(Debug, Args, Clone)]
pub struct EvidenceArgs {
    /// The project root: the tree scanned, manifests, lockfiles, SECURITY.md.
    #[arg(value_name = "PATH", default_value = ".")]
    pub root: PathBuf,
    /// A SARIF report of another tool (Bandit, Trivy, Semgrep…) feeding the items it
    /// belongs to; repeatable.
    #[arg(long = "evidence", value_name = "FILE.sarif")]
    pub sarif: Vec<PathBuf>,
    /// Also check the certificate a live endpoint presents; repeatable.
    #[arg(long, value_name = "HOST:PORT")]
    pub tls_endpoint: Vec<String>,
    /// The advisory database for `deps`.
    #[command(flatten)]
    pub db: DbDirArg,
    /// The store (contents, rotation, audit chain).
    #[command(flatten)]
    pub store: StoreOpts,
    /// Policy file (default: ./keyward.toml when present).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `keyward checklist <command>`.
#[derive(Debug, Subcommand)]
pub enum ChecklistCommand {
    /// Evaluate the checklist and record it (items, evidence digests, signer) as an entry
    /// of the audit chain.
    Sign {
        /// Who signs off (a person's name).
        #[arg(long, value_name = "NAME")]
        by: String,
        /// Record the sign-off even though a pre-deployment item failed.
        #[arg(long)]
        accept_failures: bool,
        /// Evidence options.
        #[command(flatten)]
        evidence: EvidenceArgs,
    },
}

/// `keyward security-md`: write SECURITY.md's generated sections between markers.
#[derive(Debug, Args)]
pub struct SecurityMdArgs {
    /// Evidence options.
    #[command(flatten)]
    pub evidence: EvidenceArgs,
    /// The file to write (default: SECURITY.md in the project root).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Change nothing; exit 1 when the file is not up to date.
    #[arg(long)]
    pub check: bool,
}
