//! Diagnostics on stderr with `tracing`: off unless `-v` (info), `-vv` (debug), `-vvv`
//! (trace) or `RUST_LOG` asks. Only keyward's own crates log, and they log names, paths,
//! counts and causes, never a value.

use tracing_subscriber::EnvFilter;

/// Install the subscriber when `-v` or `RUST_LOG` asks for one.
pub fn init(verbose: u8) {
    let filter = match (verbose, std::env::var("RUST_LOG")) {
        (0, Ok(spec)) if !spec.trim().is_empty() => EnvFilter::new(spec),
        (0, _) => return,
        (1, _) => EnvFilter::new("keyward=info"),
        (2, _) => EnvFilter::new("keyward=debug"),
        _ => EnvFilter::new("keyward=trace"),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true)
        .without_time()
        .with_ansi(false)
        .try_init();
}
