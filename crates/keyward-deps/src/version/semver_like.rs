//! SemVer 2.0 ordering over the version strings OSV data and lockfiles actually hold:
//! a leading `v`, any number of numeric components of any size, `-prerelease`, `+build`.
//!
//! The `semver` crate rejects several of these (`v1.2.3`, 30-digit components,
//! `1.1.3.4.5`), which OSV `SEMVER` ranges must still order, so the order is implemented
//! here and checked against `semver::Version` on every pair the crate parses (see the
//! differential test) and against osv-scalibr's vectors.

use std::cmp::Ordering;

/// A SemVer-like version: numeric release components, prerelease identifiers; build
/// metadata is dropped (it never affects precedence).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SemverLike {
    release: Vec<String>,
    pre: Vec<String>,
    canonical: bool,
}

impl SemverLike {
    /// Parse leniently; never fails.
    pub fn parse(s: &str) -> SemverLike {
        let s = s.trim();
        let s = s.strip_prefix('v').unwrap_or(s);
        let canonical = s.starts_with(|c: char| c.is_ascii_digit());
        let mut release = Vec::new();
        let mut rest = s;
        loop {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                break;
            }
            release.push(trim_zeros(&rest[..digits]).to_string());
            rest = &rest[digits..];
            match rest.strip_prefix('.') {
                Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => rest = r,
                _ => break,
            }
        }
        let rest = rest.split('+').next().unwrap_or("");
        let rest = rest.strip_prefix('-').unwrap_or(rest);
        let pre = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split('.').map(str::to_string).collect()
        };
        SemverLike {
            release,
            pre,
            canonical,
        }
    }

    /// A canonical form: trailing zero components dropped, prerelease kept, build dropped.
    pub fn key(&self) -> String {
        let mut release: &[String] = &self.release;
        while release.len() > 1 && release.last().is_some_and(|c| c == "0") {
            release = &release[..release.len() - 1];
        }
        let mut k = release.join(".");
        if !self.pre.is_empty() {
            k.push('-');
            k.push_str(&self.pre.join("."));
        }
        k
    }

    /// True when the string started with a digit (after an optional `v`).
    pub fn is_canonical(&self) -> bool {
        self.canonical
    }
}

fn trim_zeros(d: &str) -> &str {
    let t = d.trim_start_matches('0');
    if t.is_empty() {
        "0"
    } else {
        t
    }
}

fn is_numeric(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Compare two digit strings (leading zeros already trimmed) as unbounded integers.
fn cmp_numeric(a: &str, b: &str) -> Ordering {
    let (a, b) = (trim_zeros(a), trim_zeros(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn cmp_identifier(a: &str, b: &str) -> Ordering {
    match (is_numeric(a), is_numeric(b)) {
        (true, true) => cmp_numeric(a, b),
        (false, false) => a.cmp(b),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
    }
}

impl Ord for SemverLike {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.release.len().max(other.release.len());
        for i in 0..n {
            let a = self.release.get(i).map_or("0", String::as_str);
            let b = other.release.get(i).map_or("0", String::as_str);
            match cmp_numeric(a, b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            (false, false) => {}
        }
        for (a, b) in self.pre.iter().zip(&other.pre) {
            match cmp_identifier(a, b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        self.pre.len().cmp(&other.pre.len())
    }
}

impl PartialOrd for SemverLike {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        SemverLike::parse(a).cmp(&SemverLike::parse(b))
    }

    #[test]
    fn rustsec_zero_prereleases_sort_first() {
        assert_eq!(cmp("0.0.0-0", "0.0.0"), Ordering::Less);
        assert_eq!(cmp("0.0.0-0", "0.1.0-alpha"), Ordering::Less);
        assert_eq!(cmp("1.2.3-0", "1.2.3-alpha"), Ordering::Less);
    }

    #[test]
    fn build_metadata_is_ignored_and_v_prefix_accepted() {
        assert_eq!(cmp("v1.2.3+x", "1.2.3"), Ordering::Equal);
        assert!(SemverLike::parse("v1.0.0").is_canonical());
        assert!(!SemverLike::parse("git+https://x/y#abc").is_canonical());
    }

    fn version() -> impl Strategy<Value = String> {
        let num = prop_oneof![Just("0".to_string()), "[1-9][0-9]{0,3}"];
        let ident = prop_oneof![num.clone(), "[a-zA-Z][a-zA-Z0-9-]{0,5}"];
        (
            num.clone(),
            num.clone(),
            num,
            proptest::collection::vec(ident, 0..3),
            proptest::option::of("[a-z0-9]{1,4}"),
        )
            .prop_map(|(a, b, c, pre, build)| {
                let mut s = format!("{a}.{b}.{c}");
                if !pre.is_empty() {
                    s.push('-');
                    s.push_str(&pre.join("."));
                }
                if let Some(b) = build {
                    s.push('+');
                    s.push_str(&b);
                }
                s
            })
    }

    proptest! {
        /// Wherever the `semver` crate parses both strings, the orders agree.
        #[test]
        fn agrees_with_the_semver_crate(a in version(), b in version()) {
            let (sa, sb) = (semver::Version::parse(&a), semver::Version::parse(&b));
            if let (Ok(sa), Ok(sb)) = (sa, sb) {
                prop_assert_eq!(sa.cmp_precedence(&sb), cmp(&a, &b), "{} vs {}", a, b);
            }
        }
    }
}
