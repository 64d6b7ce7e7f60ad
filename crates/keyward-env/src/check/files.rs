//! File-level checks: environment files tracked by git or not ignored, and real secrets in
//! example files.
//!
//! Inside a git work tree the `git` CLI decides (`git ls-files --error-unmatch` for
//! tracked, `git check-ignore` for ignored), so every ignore source git honours counts
//! (nested `.gitignore`, `.git/info/exclude`, `core.excludesFile`). Outside a work tree, or
//! without git installed, the `.gitignore` files of the file's directory and its parents
//! are read with the `ignore` crate.

use super::rules::{EXAMPLE_REAL_SECRET, FILE_NOT_IGNORED, FILE_TRACKED};
use super::{about_fact, file_level, severity, Context};
use keyward_core::Finding;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What git thinks of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GitStatus {
    /// In the index: committed or about to be.
    Tracked,
    /// Not tracked, and an ignore rule covers it.
    Ignored,
    /// Not tracked, and nothing ignores it: one `git add .` away from a commit.
    NotIgnored,
}

/// The status of `path` (which must exist).
pub fn git_status(path: &Path) -> GitStatus {
    git_cli(path).unwrap_or_else(|| gitignore_files(path))
}

fn dir_and_name(path: &Path) -> (PathBuf, PathBuf) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(PathBuf::from).unwrap_or_default();
    (dir, name)
}

fn git(dir: &Path, args: &[&str], name: &Path) -> Option<i32> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .arg("--")
        .arg(name)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?
        .code()
}

/// `None` when git is missing or `path` is not inside a work tree.
fn git_cli(path: &Path) -> Option<GitStatus> {
    let (dir, name) = dir_and_name(path);
    let inside = Command::new("git")
        .arg("-C")
        .arg(&dir)
        .args(["rev-parse", "--is-inside-work-tree"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !inside.status.success() || !inside.stdout.starts_with(b"true") {
        return None;
    }
    if git(&dir, &["ls-files", "--error-unmatch"], &name)? == 0 {
        return Some(GitStatus::Tracked);
    }
    match git(&dir, &["check-ignore", "-q"], &name)? {
        0 => Some(GitStatus::Ignored),
        1 => Some(GitStatus::NotIgnored),
        _ => None,
    }
}

/// Outside a repository: the nearest `.gitignore` (from the file's directory up) that has
/// an opinion decides.
fn gitignore_files(path: &Path) -> GitStatus {
    let Ok(abs) = std::path::absolute(path) else {
        return GitStatus::NotIgnored;
    };
    let mut dir = abs.parent();
    while let Some(d) = dir {
        let file = d.join(".gitignore");
        if file.is_file() {
            let mut b = ignore::gitignore::GitignoreBuilder::new(d);
            if b.add(&file).is_none() {
                if let Ok(gi) = b.build() {
                    let m = gi.matched_path_or_any_parents(&abs, false);
                    if m.is_ignore() {
                        return GitStatus::Ignored;
                    }
                    if m.is_whitelist() {
                        return GitStatus::NotIgnored;
                    }
                }
            }
        }
        dir = d.parent();
    }
    GitStatus::NotIgnored
}

/// Findings for a non-example environment file.
pub(crate) fn git_findings(path: &Path, shown: &str) -> Option<Finding> {
    let (rule, title, note) = match git_status(path) {
        GitStatus::Ignored => return None,
        GitStatus::Tracked => (
            FILE_TRACKED,
            format!("{shown} is tracked by git"),
            "git rm --cached it, add it to .gitignore, and rotate every secret it held",
        ),
        GitStatus::NotIgnored => (
            FILE_NOT_IGNORED,
            format!("{shown} is not covered by .gitignore"),
            "add it to .gitignore",
        ),
    };
    Some(about_fact(
        rule,
        title,
        severity(rule),
        file_level(shown),
        shown,
        Some(note.into()),
    ))
}

/// Scanner findings in an example file, re-labelled as `env-example-real-secret` (the
/// scanner's rule id and severity are kept: a live key is worse than a test key).
pub(crate) fn example_secrets(ctx: &Context<'_>, shown: &str, text: &str) -> Vec<Finding> {
    let Some(scanner) = ctx.scanner else {
        return Vec::new();
    };
    scanner
        .scan(shown, text.as_bytes())
        .into_iter()
        .map(|mut f| {
            f.notes
                .insert(0, format!("detected as {} ({})", f.rule_id, f.title));
            f.title = format!("{shown} holds a real secret; example files hold placeholders");
            f.rule_id = EXAMPLE_REAL_SECRET.to_string();
            f.fingerprint = keyward_core::Fingerprint::derived(EXAMPLE_REAL_SECRET, &f.fingerprint);
            f
        })
        .collect()
}
