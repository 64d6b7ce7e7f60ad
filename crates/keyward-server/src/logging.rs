//! Logging for `keyward serve`: `tracing` to stderr, human or JSON lines, filtered by
//! `RUST_LOG` (default `info`). The server logs one event per request with the request id,
//! method, API path, status, latency, token accessor and client address — never a header,
//! a body, a token or a value.

use tracing_subscriber::EnvFilter;

/// Install the global subscriber (once; later calls are ignored).
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}
