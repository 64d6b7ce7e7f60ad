//! What a lockfile yields: packages of an ecosystem, each with the place it is declared.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The package ecosystems keyward reads lockfiles for (OSV ecosystem names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Ecosystem {
    /// npm (package-lock.json, yarn.lock, pnpm-lock.yaml, bun.lock).
    #[serde(rename = "npm")]
    Npm,
    /// PyPI (requirements*.txt, poetry.lock, Pipfile.lock, uv.lock, pdm.lock, pylock.toml).
    #[serde(rename = "PyPI")]
    PyPI,
    /// crates.io (Cargo.lock).
    #[serde(rename = "crates.io")]
    CratesIo,
}

impl Ecosystem {
    /// Every ecosystem, in the order `db update` fetches them.
    pub const ALL: [Ecosystem; 3] = [Ecosystem::Npm, Ecosystem::PyPI, Ecosystem::CratesIo];

    /// The OSV ecosystem name, also the database directory name (`PyPI/all.zip`).
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::CratesIo => "crates.io",
        }
    }

    /// Parse an OSV ecosystem name (case-insensitive; `pypi`, `crates.io`, `cargo`, `npm`).
    pub fn parse(s: &str) -> Option<Ecosystem> {
        match s.to_ascii_lowercase().as_str() {
            "npm" => Some(Ecosystem::Npm),
            "pypi" | "python" => Some(Ecosystem::PyPI),
            "crates.io" | "cargo" | "crates" => Some(Ecosystem::CratesIo),
            _ => None,
        }
    }

    /// A package name the way this ecosystem compares names: PEP 503 for PyPI
    /// (lowercase, runs of `-_.` become `-`), as written for npm and crates.io.
    pub fn normalize(self, name: &str) -> String {
        match self {
            Ecosystem::PyPI => pep503(name),
            Ecosystem::Npm | Ecosystem::CratesIo => name.to_string(),
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// PEP 503 normalisation: lowercase, every run of `-`, `_`, `.` replaced by one `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// One dependency as a lockfile pins it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Package {
    /// The ecosystem its advisories come from.
    pub ecosystem: Ecosystem,
    /// The name, normalised the ecosystem's way ([`Ecosystem::normalize`]).
    pub name: String,
    /// The pinned version; `None` when the lockfile pins a git commit, a local path or
    /// only a range (such packages are listed but cannot be matched).
    pub version: Option<String>,
    /// The lockfile, as walked or given.
    pub path: String,
    /// 1-based line where the package is declared.
    pub line: usize,
    /// True when the lockfile marks it as a development-only dependency.
    pub dev: bool,
    /// PEP 508 environment markers of a requirements line (`python_version < "3.8"`),
    /// kept as data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markers: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503_collapses_separators_and_case() {
        assert_eq!(pep503("Django"), "django");
        assert_eq!(pep503("zope.interface"), "zope-interface");
        assert_eq!(
            pep503("combination-._-.also_-._valid"),
            "combination-also-valid"
        );
        assert_eq!(pep503("PyYAML"), "pyyaml");
        assert_eq!(pep503("a__b"), "a-b");
    }

    #[test]
    fn npm_and_cargo_names_are_kept() {
        assert_eq!(Ecosystem::Npm.normalize("@Babel/Core"), "@Babel/Core");
        assert_eq!(Ecosystem::CratesIo.normalize("serde_json"), "serde_json");
    }

    #[test]
    fn ecosystem_names_round_trip() {
        for e in Ecosystem::ALL {
            assert_eq!(Ecosystem::parse(e.as_str()), Some(e));
        }
        assert_eq!(Ecosystem::parse("go"), None);
    }
}
