//! Issue 13, item 24: CI summarizes skipped server-backed tests in one line and fails when
//! a server it expected was skipped (`scripts/test-skips.sh`, called by `.ci/run`).

use std::path::Path;
use std::process::Command;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/test-skips.sh");

fn run(log: &Path, expected: &[&str]) -> (i32, String, String) {
    let out = Command::new("bash")
        .arg(SCRIPT)
        .arg(log)
        .args(expected)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn item_24_ci_fails_when_an_expected_server_was_skipped() {
    assert!(Path::new(SCRIPT).exists(), "{SCRIPT} is missing");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("skips.tsv");
    // Nothing skipped (no log at all, or an empty one): pass.
    let (code, out, _) = run(&log, &["postgres", "redis"]);
    assert_eq!((code, out.as_str()), (0, "skipped tests: none\n"));
    std::fs::write(
        &log,
        "KEYWARD_TEST_POSTGRES_URL\tconformance::a\nKEYWARD_TEST_POSTGRES_URL\trotate::b\nscript\tstore::tty\n",
    )
    .unwrap();
    // Not expected: summarized, not failed.
    let (code, out, _) = run(&log, &["redis"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "skipped tests: 3 (KEYWARD_TEST_POSTGRES_URL: 2, script: 1)\n"
    );
    // Expected: one line that says what, exit 1.
    let (code, out, err) = run(&log, &["postgres", "redis"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("postgres was expected, but 2 test(s) skipped it") && !err.contains("redis"),
        "{err}"
    );
}
