//! Command implementations; each returns the process exit code.

mod audit;
mod baseline;
mod checklist;
mod deps;
mod env;
mod exchange;
mod gitscan;
mod hook;
mod infra;
mod init;
mod post;
mod revoke;
mod rotate;
mod rules;
mod scan;
mod secret;
mod serve;
mod store;
mod token;

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
        Command::Baseline(args) => baseline::run(args),
        Command::Hook(cmd) => hook::run(cmd),
        Command::Init(args) => init::run(args),
        Command::Env(cmd) => env::run(cmd),
        Command::Store(cmd) => store::run(cmd),
        Command::Secret(cmd) => secret::run(cmd),
        Command::Import(args) => exchange::import(args),
        Command::Export(args) => exchange::export(args),
        Command::Run(args) => exchange::run(args),
        Command::Audit(cmd) => audit::run(cmd),
        Command::Rotation(cmd) => rotate::rotation(cmd),
        Command::Rotate(args) => rotate::rotate(args),
        Command::Revoke(args) => revoke::revoke(args),
        Command::Incident(cmd) => revoke::incident(cmd),
        Command::Infra(args) => infra::run(args),
        Command::Deps(args) => deps::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Token(cmd) => token::token(cmd),
        Command::Policy(cmd) => token::policy(cmd),
        Command::Checklist(args) => checklist::run(args),
        Command::SecurityMd(args) => checklist::security_md(args),
    }
}
