//! Command implementations; each returns the process exit code.

mod env;
mod init;
mod rules;
mod scan;

use crate::cli::{Cli, Command};

/// Nothing at or above the threshold.
pub const EXIT_OK: u8 = 0;
/// Findings at or above the threshold, or a failed check.
pub const EXIT_FINDINGS: u8 = 1;
/// Usage or runtime error.
pub const EXIT_ERROR: u8 = 2;

/// Run the parsed command.
pub fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Rules(cmd) => rules::run(cmd),
        Command::Init(args) => init::run(args),
        Command::Env(cmd) => env::run(cmd),
    }
}
