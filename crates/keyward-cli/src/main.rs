//! `keyward`: the command-line entry point. Parses arguments, dispatches to the feature
//! crates and maps outcomes to exit codes: 0 clean, 1 findings at or above `--fail-on`
//! (or a failed check), 2 usage or runtime error with a one-line cause on stderr, 141 when
//! the reader of stdout went away (as other Unix tools, 128 + SIGPIPE).

mod cli;
mod cmd;
mod logging;
mod output;
mod progress;

use clap::Parser;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    install_panic_hook();
    let cli = cli::Cli::parse();
    logging::init(cli.verbose);
    match cmd::dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if err.chain().any(is_broken_pipe) {
                return ExitCode::from(output::EXIT_BROKEN_PIPE);
            }
            eprintln!("keyward: error: {}", one_line(&err));
            ExitCode::from(cmd::EXIT_ERROR)
        }
    }
}

/// The chain of causes on one line: empty messages dropped, and a cause left out when
/// the message before it already ends with it (no "not UTF-8 text: not UTF-8 text").
fn one_line(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for e in err.chain() {
        let text = e.to_string().replace(['\n', '\r'], " ");
        let text = text.trim().trim_end_matches(':').trim_end();
        if text.is_empty() || parts.last().is_some_and(|p| p.ends_with(text)) {
            continue;
        }
        parts.push(text.to_string());
    }
    keyward_core::escape::escape_control(&parts.join(": ")).into_owned()
}

fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

/// A panic prints where it happened, never its message (which may quote a secret), and
/// a write to a closed stdout ends the process quietly with 141.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if payload.starts_with("failed printing to std") && payload.contains("os error 32") {
            std::process::exit(i32::from(output::EXIT_BROKEN_PIPE));
        }
        let at = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        eprintln!(
            "keyward: internal error{at} (its message is withheld: it may quote a secret); please report it"
        );
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_23_causes_are_kept_once() {
        let inner = std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text");
        let err = anyhow::Error::new(inner)
            .context("cannot read .env: not UTF-8 text")
            .context("");
        assert_eq!(one_line(&err), "cannot read .env: not UTF-8 text");
        let err = anyhow::anyhow!("connection refused").context("postgres admin connection failed");
        assert_eq!(
            one_line(&err),
            "postgres admin connection failed: connection refused"
        );
    }
}
