//! Version orders per ecosystem: SemVer 2.0 (loosely parsed, as OSV `SEMVER` ranges need)
//! for npm and crates.io, PEP 440 for PyPI.

mod pypi;
mod semver_like;

pub use pypi::PypiVersion;
pub use semver_like::SemverLike;

use crate::package::Ecosystem;
use std::cmp::Ordering;

/// A parsed version of one ecosystem; versions of one ecosystem are totally ordered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Version {
    /// npm and crates.io.
    Semver(SemverLike),
    /// PyPI.
    Pypi(PypiVersion),
}

impl Version {
    /// Parse `s` in `eco`'s scheme. Never fails: strings outside the scheme get the
    /// scheme's fallback order (see [`Version::is_canonical`]).
    pub fn parse(eco: Ecosystem, s: &str) -> Version {
        match eco {
            Ecosystem::PyPI => Version::Pypi(PypiVersion::parse(s)),
            Ecosystem::Npm | Ecosystem::CratesIo => Version::Semver(SemverLike::parse(s)),
        }
    }

    /// True when the string was a real version of the scheme (a PEP 440 version, or a
    /// SemVer-like version starting with a digit), not a fallback such as a git URL or a
    /// legacy PyPI string. Only such package versions are compared against ranges.
    pub fn is_canonical(&self) -> bool {
        match self {
            Version::Semver(v) => v.is_canonical(),
            Version::Pypi(v) => v.is_pep440(),
        }
    }
}

impl Version {
    /// A string equal for two versions exactly when they are equal in the ecosystem's
    /// order (`1.0` and `1.0.0`, `1.0-1` and `1.0.post1`); strings that are not versions of
    /// the scheme keep their own text. Used to look versions up in explicit lists.
    pub fn key(&self, raw: &str) -> String {
        match self {
            Version::Semver(v) if v.is_canonical() => v.key(),
            Version::Pypi(v) if v.is_pep440() => v.key(),
            _ => format!("raw:{}", raw.trim()),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Version::Semver(a), Version::Semver(b)) => a.cmp(b),
            (Version::Pypi(a), Version::Pypi(b)) => a.cmp(b),
            // Never compared in practice (one ecosystem per package); keep Ord total.
            (Version::Semver(_), Version::Pypi(_)) => Ordering::Less,
            (Version::Pypi(_), Version::Semver(_)) => Ordering::Greater,
        }
    }
}

/// Compare two version strings of `eco`.
pub fn compare(eco: Ecosystem, a: &str, b: &str) -> Ordering {
    Version::parse(eco, a).cmp(&Version::parse(eco, b))
}
