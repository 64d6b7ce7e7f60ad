//! `keyward deps …` grammar.

use super::OutputArgs;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// `keyward deps`: check lockfiles against the offline OSV database.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DepsArgs {
    /// `db update` / `db status`.
    #[command(subcommand)]
    pub command: Option<DepsCommand>,
    /// Lockfiles or directories to check; `-` reads one lockfile from stdin.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// The lockfile format of stdin, as its file name (e.g. poetry.lock); guessed when
    /// omitted.
    #[arg(long, value_name = "NAME")]
    pub stdin_name: Option<String>,
    /// The advisory database.
    #[command(flatten)]
    pub db: DbDirArg,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
    /// Walk everything: ignore `.gitignore` and `.keywardignore`.
    #[arg(long)]
    pub no_ignore: bool,
    /// Policy file (default: ./keyward.toml when present).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Where the database lives.
#[derive(Debug, Args, Clone)]
pub struct DbDirArg {
    /// Database directory (osv.dev layout: <Ecosystem>/all.zip); default: the user cache
    /// directory (~/.cache/keyward/osv).
    #[arg(long = "db", value_name = "DIR", env = "KEYWARD_DEPS_DB")]
    pub dir: Option<PathBuf>,
}

/// `keyward deps <command>`.
#[derive(Debug, Subcommand)]
pub enum DepsCommand {
    /// Download or inspect the offline advisory database.
    #[command(subcommand)]
    Db(DbCommand),
}

/// `keyward deps db …`.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Download each ecosystem's all.zip, verify it parses, swap it in atomically and
    /// record the date.
    Update {
        /// Base URL of osv.dev's layout (a mirror: BASE/<Ecosystem>/all.zip).
        #[arg(long, value_name = "BASE")]
        url: Option<String>,
        /// Only these ecosystems (npm, PyPI, crates.io); default: all three.
        #[arg(long, value_name = "ECOSYSTEM", value_delimiter = ',')]
        ecosystem: Vec<String>,
        /// The database directory.
        #[command(flatten)]
        db: DbDirArg,
    },
    /// Show the database's age and counts.
    Status {
        /// The database directory.
        #[command(flatten)]
        db: DbDirArg,
        /// human or json.
        #[arg(long, short = 'f', default_value = "human", value_name = "FORMAT")]
        format: String,
        /// Policy file (for [deps] max_db_age_days).
        #[arg(long, short = 'c', value_name = "FILE")]
        config: Option<PathBuf>,
    },
}
