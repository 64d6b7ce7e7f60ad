//! Lockfile readers. [`LockfileKind::detect`] recognises a lockfile by its file name;
//! [`read`] and [`parse`] turn one into [`Package`]s, each with its declaring line.

mod bun;
mod json;
pub mod lines;
mod npm;
mod pipfile;
mod pnpm;
mod requirements;
mod toml_locks;
mod yarn;

use crate::error::DepsError;
use crate::package::{Ecosystem, Package};
use lines::Sink;
use std::path::Path;
use toml_locks::Flavor;

/// The lockfile formats keyward reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LockfileKind {
    /// `package-lock.json` (v1, v2, v3) and `npm-shrinkwrap.json`.
    PackageLock,
    /// `yarn.lock`, v1 and berry.
    YarnLock,
    /// `pnpm-lock.yaml`, v5 to v9.
    PnpmLock,
    /// `bun.lock`.
    BunLock,
    /// `requirements*.txt`.
    Requirements,
    /// `poetry.lock`.
    PoetryLock,
    /// `Pipfile.lock`.
    PipfileLock,
    /// `uv.lock`.
    UvLock,
    /// `pdm.lock`.
    PdmLock,
    /// `pylock.toml` and `pylock.*.toml` (PEP 751).
    PyLock,
    /// `Cargo.lock`.
    CargoLock,
}

impl LockfileKind {
    /// Every kind.
    pub const ALL: [LockfileKind; 11] = [
        LockfileKind::PackageLock,
        LockfileKind::YarnLock,
        LockfileKind::PnpmLock,
        LockfileKind::BunLock,
        LockfileKind::Requirements,
        LockfileKind::PoetryLock,
        LockfileKind::PipfileLock,
        LockfileKind::UvLock,
        LockfileKind::PdmLock,
        LockfileKind::PyLock,
        LockfileKind::CargoLock,
    ];

    /// The kind of a file, from its name alone.
    pub fn detect(file_name: &str) -> Option<LockfileKind> {
        Some(match file_name {
            "package-lock.json" | "npm-shrinkwrap.json" => LockfileKind::PackageLock,
            "yarn.lock" => LockfileKind::YarnLock,
            "pnpm-lock.yaml" => LockfileKind::PnpmLock,
            "bun.lock" => LockfileKind::BunLock,
            "poetry.lock" => LockfileKind::PoetryLock,
            "Pipfile.lock" => LockfileKind::PipfileLock,
            "uv.lock" => LockfileKind::UvLock,
            "pdm.lock" => LockfileKind::PdmLock,
            "pylock.toml" => LockfileKind::PyLock,
            "Cargo.lock" => LockfileKind::CargoLock,
            n if n.starts_with("pylock.") && n.ends_with(".toml") => LockfileKind::PyLock,
            n if n.starts_with("requirements") && n.ends_with(".txt") => LockfileKind::Requirements,
            _ => return None,
        })
    }

    /// The ecosystem its packages belong to.
    pub fn ecosystem(self) -> Ecosystem {
        match self {
            LockfileKind::PackageLock
            | LockfileKind::YarnLock
            | LockfileKind::PnpmLock
            | LockfileKind::BunLock => Ecosystem::Npm,
            LockfileKind::CargoLock => Ecosystem::CratesIo,
            _ => Ecosystem::PyPI,
        }
    }

    /// A typical file name of this kind (for messages and `--stdin-name`).
    pub fn file_name(self) -> &'static str {
        match self {
            LockfileKind::PackageLock => "package-lock.json",
            LockfileKind::YarnLock => "yarn.lock",
            LockfileKind::PnpmLock => "pnpm-lock.yaml",
            LockfileKind::BunLock => "bun.lock",
            LockfileKind::Requirements => "requirements.txt",
            LockfileKind::PoetryLock => "poetry.lock",
            LockfileKind::PipfileLock => "Pipfile.lock",
            LockfileKind::UvLock => "uv.lock",
            LockfileKind::PdmLock => "pdm.lock",
            LockfileKind::PyLock => "pylock.toml",
            LockfileKind::CargoLock => "Cargo.lock",
        }
    }
}

/// Read the lockfile at `file` (shown as `shown`) as `kind`.
pub fn read(kind: LockfileKind, file: &Path, shown: &str) -> Result<Vec<Package>, DepsError> {
    let bytes = std::fs::read(file).map_err(|e| DepsError::io(shown, e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        DepsError::lockfile(
            shown,
            line_of(e.as_bytes(), e.utf8_error().valid_up_to()),
            "not UTF-8 text",
        )
    })?;
    parse_at(kind, shown, &text, Some(file))
}

/// Parse lockfile text of `kind` (shown as `shown`). Requirements includes resolve from
/// the current directory.
pub fn parse(kind: LockfileKind, shown: &str, text: &str) -> Result<Vec<Package>, DepsError> {
    parse_at(kind, shown, text, None)
}

fn parse_at(
    kind: LockfileKind,
    shown: &str,
    text: &str,
    file: Option<&Path>,
) -> Result<Vec<Package>, DepsError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sink = Sink::new(kind.ecosystem(), shown);
    match kind {
        LockfileKind::PackageLock => npm::parse(&mut sink, text)?,
        LockfileKind::YarnLock => yarn::parse(&mut sink, text)?,
        LockfileKind::PnpmLock => pnpm::parse(&mut sink, text)?,
        LockfileKind::BunLock => bun::parse(&mut sink, text)?,
        LockfileKind::Requirements => requirements::parse(&mut sink, shown, text, file)?,
        LockfileKind::PipfileLock => pipfile::parse(&mut sink, text)?,
        LockfileKind::PoetryLock => toml_locks::parse(&mut sink, text, Flavor::Poetry)?,
        LockfileKind::UvLock => toml_locks::parse(&mut sink, text, Flavor::Uv)?,
        LockfileKind::PdmLock => toml_locks::parse(&mut sink, text, Flavor::Pdm)?,
        LockfileKind::PyLock => toml_locks::parse(&mut sink, text, Flavor::Pylock)?,
        LockfileKind::CargoLock => toml_locks::parse(&mut sink, text, Flavor::Cargo)?,
    }
    Ok(sink.packages)
}

/// Guess the format of lockfile text read from stdin (`--stdin-name` overrides this):
/// distinctive keys of each format, requirements when nothing else fits.
pub fn sniff(text: &str) -> LockfileKind {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let has = |s: &str| text.contains(s);
    let line_starts = |s: &str| text.lines().any(|l| l.starts_with(s));
    if t.starts_with('{') {
        if has("\"_meta\"") {
            LockfileKind::PipfileLock
        } else if has("\"workspaces\"") {
            LockfileKind::BunLock
        } else {
            LockfileKind::PackageLock
        }
    } else if has("# yarn lockfile v1") || line_starts("__metadata:") {
        LockfileKind::YarnLock
    } else if line_starts("lockfileVersion:") {
        LockfileKind::PnpmLock
    } else if line_starts("lock-version") || line_starts("[[packages]]") {
        LockfileKind::PyLock
    } else if line_starts("[[package]]") {
        if has("content-hash") {
            LockfileKind::PoetryLock
        } else if has("lock_version") {
            LockfileKind::PdmLock
        } else if line_starts("requires-python") {
            LockfileKind::UvLock
        } else {
            LockfileKind::CargoLock
        }
    } else {
        LockfileKind::Requirements
    }
}

fn line_of(bytes: &[u8], at: usize) -> usize {
    bytes[..at.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_stdin_formats() {
        assert_eq!(
            sniff("{\"lockfileVersion\": 3, \"packages\": {}}"),
            LockfileKind::PackageLock
        );
        assert_eq!(
            sniff("{\"_meta\": {}, \"default\": {}}"),
            LockfileKind::PipfileLock
        );
        assert_eq!(sniff("# yarn lockfile v1\n"), LockfileKind::YarnLock);
        assert_eq!(sniff("lockfileVersion: '9.0'\n"), LockfileKind::PnpmLock);
        assert_eq!(
            sniff("version = 4\n\n[[package]]\nname = \"a\"\n"),
            LockfileKind::CargoLock
        );
        assert_eq!(
            sniff("[[package]]\n[metadata]\ncontent-hash = \"x\"\n"),
            LockfileKind::PoetryLock
        );
        assert_eq!(sniff("django==3.2\n"), LockfileKind::Requirements);
    }

    #[test]
    fn detects_by_file_name() {
        assert_eq!(
            LockfileKind::detect("requirements-dev.txt"),
            Some(LockfileKind::Requirements)
        );
        assert_eq!(
            LockfileKind::detect("pylock.prod.toml"),
            Some(LockfileKind::PyLock)
        );
        assert_eq!(
            LockfileKind::detect("npm-shrinkwrap.json"),
            Some(LockfileKind::PackageLock)
        );
        assert_eq!(LockfileKind::detect("package.json"), None);
        assert_eq!(LockfileKind::detect("Cargo.toml"), None);
        for k in LockfileKind::ALL {
            assert_eq!(LockfileKind::detect(k.file_name()), Some(k));
        }
    }
}
