//! For test suites (keyward's, and those of programs built on the store): the URLs of the
//! servers a test needs, and a skip that people and CI can see.
//!
//! `cargo test` captures what a test prints with `println!`/`eprintln!` and shows it only
//! for failing tests, so "skipped" notes printed that way are invisible. [`skip`] writes to
//! the process's stderr directly (shown as the tests run) and, when `KEYWARD_TEST_SKIP_LOG`
//! names a file, appends `VAR<TAB>test name` to it; `.ci/run` summarizes that file in one
//! line and fails when a server it expected was skipped (`scripts/test-skips.sh`).

use std::io::Write;

/// The file that skip notes are appended to, when set.
pub const SKIP_LOG_VAR: &str = "KEYWARD_TEST_SKIP_LOG";

/// The URL in the environment variable `var` (e.g. `KEYWARD_TEST_POSTGRES_URL`), or `None`
/// after a visible [`skip`] note when it is unset or empty.
pub fn service_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            skip(var, &format!("{var} not set"));
            None
        }
    }
}

/// Report that the current test skips part of its work because `what` (an environment
/// variable, a tool) is missing: on stderr, uncaptured, and in the skip log.
pub fn skip(what: &str, why: &str) {
    let test = std::thread::current()
        .name()
        .unwrap_or("unknown test")
        .to_string();
    let _ = std::io::stderr().write_all(format!("SKIPPED {test}: {why}\n").as_bytes());
    if let Some(log) = std::env::var_os(SKIP_LOG_VAR).filter(|l| !l.is_empty()) {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
        {
            let _ = f.write_all(format!("{what}\t{test}\n").as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_24_a_skip_is_appended_to_the_skip_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("skips.tsv");
        // The variable is read per call; point it here for this call, then put it back.
        let before = std::env::var_os(SKIP_LOG_VAR);
        std::env::set_var(SKIP_LOG_VAR, &log);
        let url = service_url("KEYWARD_TEST_SURELY_UNSET_URL");
        match before {
            Some(v) => std::env::set_var(SKIP_LOG_VAR, v),
            None => std::env::remove_var(SKIP_LOG_VAR),
        }
        assert_eq!(url, None);
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            text.starts_with("KEYWARD_TEST_SURELY_UNSET_URL\t")
                && text.contains("item_24_a_skip_is_appended_to_the_skip_log"),
            "{text}"
        );
    }
}
