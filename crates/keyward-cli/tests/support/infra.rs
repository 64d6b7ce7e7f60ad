//! Shared helper of the `keyward infra` end-to-end suites.

use super::files::keyward;
use serde_json::Value;
use std::path::Path;

/// Run `keyward infra -f json ARGS` in `dir`: exit code, parsed stdout, stderr.
pub fn infra_json(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = keyward()
        .current_dir(dir)
        .args(["infra", "-f", "json"])
        .args(args)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code().unwrap(),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
