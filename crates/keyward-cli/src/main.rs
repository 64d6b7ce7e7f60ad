//! `keyward`: the command-line entry point. Parses arguments, dispatches to the feature
//! crates and maps outcomes to exit codes: 0 clean, 1 findings at or above `--fail-on`
//! (or a failed check), 2 usage or runtime error with a one-line cause on stderr.

mod cli;
mod cmd;
mod output;
mod progress;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cmd::dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // One line: the chain of causes joined, never a backtrace or a value.
            let msg = err
                .chain()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(": ");
            eprintln!("keyward: error: {}", msg.replace('\n', " "));
            ExitCode::from(cmd::EXIT_ERROR)
        }
    }
}
