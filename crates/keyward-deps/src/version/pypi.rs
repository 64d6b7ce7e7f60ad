//! PyPI versions: PEP 440 through `pep440_rs`; strings that are not PEP 440 (about 100
//! in the PyPI advisory data, e.g. `0.9-doduo`, `2013-05-14T20:16:05+0200`) get the
//! legacy setuptools order and sort before every PEP 440 version, as `packaging` did with
//! `LegacyVersion` and as osv-scalibr still does.

use std::cmp::Ordering;
use std::str::FromStr;

/// A PyPI version: PEP 440, or a legacy string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PypiVersion {
    /// A valid PEP 440 version.
    Pep440(pep440_rs::Version),
    /// Not PEP 440: the normalised legacy key.
    Legacy(String),
}

impl PypiVersion {
    /// Parse; never fails (non-PEP 440 strings become [`PypiVersion::Legacy`]).
    pub fn parse(s: &str) -> PypiVersion {
        match pep440_rs::Version::from_str(s.trim()) {
            Ok(v) => PypiVersion::Pep440(v),
            Err(_) => PypiVersion::Legacy(legacy_key(&s.to_ascii_lowercase())),
        }
    }

    /// The normal form with trailing zero release components dropped (legacy strings:
    /// their legacy key).
    pub fn key(&self) -> String {
        match self {
            PypiVersion::Pep440(v) => {
                let mut release = v.release().to_vec();
                while release.len() > 1 && release.last() == Some(&0) {
                    release.pop();
                }
                v.clone().with_release(release).to_string()
            }
            PypiVersion::Legacy(k) => format!("legacy:{k}"),
        }
    }

    /// True for a valid PEP 440 version.
    pub fn is_pep440(&self) -> bool {
        matches!(self, PypiVersion::Pep440(_))
    }
}

impl Ord for PypiVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (PypiVersion::Pep440(a), PypiVersion::Pep440(b)) => a.cmp(b),
            (PypiVersion::Legacy(a), PypiVersion::Legacy(b)) => a.cmp(b),
            (PypiVersion::Legacy(_), PypiVersion::Pep440(_)) => Ordering::Less,
            (PypiVersion::Pep440(_), PypiVersion::Legacy(_)) => Ordering::Greater,
        }
    }
}

impl PartialOrd for PypiVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Split into runs of digits, runs of letters, `.` and `-` (anything else is dropped).
fn tokens(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        if b[i].is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        } else if b[i].is_ascii_lowercase() {
            while i < b.len() && b[i].is_ascii_lowercase() {
                i += 1;
            }
        } else {
            i += 1;
            if !matches!(b[start], b'.' | b'-') {
                continue;
            }
        }
        out.push(&s[start..i]);
    }
    out
}

/// setuptools' legacy `parse_version` key: numbers zero-padded to 8 digits, words
/// prefixed with `*` (`pre`/`preview`/`rc` → `c`, `dev` → `@`, `-` → `final-`), trailing
/// zeros and `final-` markers dropped before a word, `*final` appended.
fn legacy_key(s: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    for t in tokens(s).into_iter().chain(std::iter::once("final")) {
        if t == "." {
            continue;
        }
        let part = match t {
            "pre" | "preview" | "rc" => "*c".to_string(),
            "-" => "*final-".to_string(),
            "dev" => "*@".to_string(),
            d if d.as_bytes()[0].is_ascii_digit() => format!("{d:0>8}"),
            w => format!("*{w}"),
        };
        if part.starts_with('*') {
            if part.as_str() < "*final" {
                while parts.last().is_some_and(|p| p == "*final-") {
                    parts.pop();
                }
            }
            while parts.last().is_some_and(|p| p == "00000000") {
                parts.pop();
            }
        }
        parts.push(part);
    }
    parts.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        PypiVersion::parse(a).cmp(&PypiVersion::parse(b))
    }

    #[test]
    fn pep440_normal_forms_are_equal() {
        assert_eq!(cmp("1.0", "1.0.0"), Ordering::Equal);
        assert_eq!(cmp("1.0-1", "1.0.post1"), Ordering::Equal);
        assert_eq!(cmp("0.9.c", "0.9rc0"), Ordering::Equal);
        assert_eq!(cmp("v1.2", "1.2"), Ordering::Equal);
    }

    #[test]
    fn keys_are_equal_exactly_for_equal_versions() {
        let key = |s: &str| PypiVersion::parse(s).key();
        assert_eq!(key("1.0"), key("1.0.0"));
        assert_eq!(key("1.0-1"), key("1.0.post1"));
        assert_eq!(key("V1.2RC1"), key("1.2rc1"));
        assert_ne!(key("1.0"), key("1.0.1"));
        assert_ne!(key("1.0+local"), key("1.0"));
    }

    #[test]
    fn legacy_sorts_before_pep440() {
        assert!(!PypiVersion::parse("0.9-doduo").is_pep440());
        assert_eq!(cmp("0.9-doduo", "0"), Ordering::Less);
        assert_eq!(cmp("0.9-doduo", "0.9-eevee"), Ordering::Less);
    }
}
