//! Shared helpers for end-to-end tests: the built binary and throw-away file trees.

use assert_cmd::Command;
use tempfile::TempDir;

/// The built `keyward` binary, with colour off and no store from the caller's environment.
pub fn keyward() -> Command {
    let mut c = Command::cargo_bin("keyward").unwrap();
    c.env_remove("KEYWARD_STORE").env("NO_COLOR", "1");
    c
}

/// A temporary directory holding `files` (relative path, contents); directories are created.
pub fn tree(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    dir
}

/// Run `keyward scan -f json` in `dir` with `extra` arguments: (exit code, parsed stdout).
#[allow(dead_code)] // not every test binary that includes this module scans
pub fn json_scan(dir: &std::path::Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = keyward()
        .current_dir(dir)
        .args(["scan", "-f", "json"])
        .args(extra)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    (out.status.code().unwrap(), v)
}
