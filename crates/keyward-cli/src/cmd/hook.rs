//! `keyward hook install|uninstall`: the git pre-commit hook running `keyward scan --staged`.

use crate::cli::HookCommand;
use anyhow::{bail, Context, Result};
use std::path::Path;

/// The line that marks a hook as keyward's own.
const MARKER: &str = "# keyward-managed-hook";

/// The hook script. It runs `keyward` from PATH so the same hook works on every machine.
const SCRIPT: &str = r#"#!/bin/sh
# keyward-managed-hook
# Written by `keyward hook install`; remove with `keyward hook uninstall`.
# Blocks a commit whose staged changes contain a secret (bypass once: git commit --no-verify).
if ! command -v keyward >/dev/null 2>&1; then
    echo "keyward pre-commit hook: keyward is not on PATH; install it or commit with --no-verify" >&2
    exit 1
fi
exec keyward scan --staged --no-progress
"#;

/// Install or remove the hook.
pub fn run(cmd: HookCommand) -> Result<u8> {
    match cmd {
        HookCommand::Install { path, force } => install(&path, force),
        HookCommand::Uninstall { path } => uninstall(&path),
    }
}

fn is_ours(hook: &Path) -> bool {
    std::fs::read_to_string(hook).is_ok_and(|t| t.lines().any(|l| l.trim() == MARKER))
}

fn install(repo: &Path, force: bool) -> Result<u8> {
    let dir = keyward_git::hooks_dir(repo)?;
    let hook = dir.join("pre-commit");
    if hook.exists() && !is_ours(&hook) && !force {
        bail!(
            "{} exists and was not written by keyward; pass --force to replace it, or call `keyward scan --staged` from it",
            hook.display()
        );
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(&hook, SCRIPT).with_context(|| format!("cannot write {}", hook.display()))?;
    make_executable(&hook)?;
    eprintln!("keyward: installed {}", hook.display());
    Ok(super::EXIT_OK)
}

fn uninstall(repo: &Path) -> Result<u8> {
    let hook = keyward_git::hooks_dir(repo)?.join("pre-commit");
    if !hook.exists() {
        eprintln!("keyward: no pre-commit hook at {}", hook.display());
        return Ok(super::EXIT_OK);
    }
    if !is_ours(&hook) {
        bail!(
            "{} was not written by keyward; leaving it in place",
            hook.display()
        );
    }
    std::fs::remove_file(&hook).with_context(|| format!("cannot remove {}", hook.display()))?;
    eprintln!("keyward: removed {}", hook.display());
    Ok(super::EXIT_OK)
}

#[cfg(unix)]
fn make_executable(p: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", p.display()))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> Result<()> {
    Ok(())
}
