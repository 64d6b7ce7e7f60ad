//! Is a version affected by an OSV entry? OSV's evaluation over every range of the entry
//! (events sorted by version, `introduced: "0"` first; `fixed` and `limit` exclusive,
//! `last_affected` inclusive) and its explicit `versions` list.

use crate::db::index::{Affect, Event};
use crate::package::Ecosystem;
use crate::version::Version;
use std::cmp::Ordering;

/// A version of the package being checked, parsed once.
pub struct Target<'a> {
    /// The ecosystem.
    pub eco: Ecosystem,
    /// The version as written in the lockfile.
    pub raw: &'a str,
    /// The parsed version.
    pub version: Version,
    /// Its key in explicit version lists ([`Version::key`]), computed on first use.
    key: std::cell::OnceCell<String>,
}

impl<'a> Target<'a> {
    /// Parse `raw` in `eco`'s order.
    pub fn new(eco: Ecosystem, raw: &'a str) -> Target<'a> {
        Target {
            eco,
            raw,
            version: Version::parse(eco, raw),
            key: std::cell::OnceCell::new(),
        }
    }

    /// The key of this version in explicit version lists.
    pub fn key(&self) -> &str {
        self.key.get_or_init(|| self.version.key(self.raw))
    }
}

/// A parsed event; `at: None` means "0" (before every version).
struct Bound {
    kind: u8,
    at: Option<Version>,
    raw: String,
}

const INTRODUCED: u8 = 0;
const FIXED: u8 = 1;
const LAST_AFFECTED: u8 = 2;
const LIMIT: u8 = 3;

fn bound(eco: Ecosystem, e: &Event) -> Bound {
    let (kind, v) = match e {
        Event::Introduced(v) => (INTRODUCED, v),
        Event::Fixed(v) => (FIXED, v),
        Event::LastAffected(v) => (LAST_AFFECTED, v),
        Event::Limit(v) => (LIMIT, v),
    };
    let at = (!(kind == INTRODUCED && v == "0")).then(|| Version::parse(eco, v));
    Bound {
        kind,
        at,
        raw: v.clone(),
    }
}

fn cmp_bound(a: &Bound, b: &Bound) -> Ordering {
    match (&a.at, &b.at) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => x.cmp(y),
    }
    .then(a.kind.cmp(&b.kind))
}

/// The ranges of one entry, parsed and sorted once, then asked about many versions.
pub struct Ranges {
    ranges: Vec<Vec<Bound>>,
}

impl Ranges {
    /// Parse every range of `a` in `eco`'s order.
    pub fn new(eco: Ecosystem, a: &Affect) -> Ranges {
        let ranges = a
            .ranges
            .iter()
            .map(|r| {
                let mut b: Vec<Bound> = r.iter().map(|e| bound(eco, e)).collect();
                b.sort_by(cmp_bound);
                b
            })
            .collect();
        Ranges { ranges }
    }

    /// True when any range holds `v`.
    pub fn contains(&self, v: &Version) -> bool {
        self.ranges.iter().any(|r| in_sorted(r, v))
    }

    /// The `fixed` versions above `v`, lowest first.
    pub fn fixes_above(&self, v: &Version) -> Vec<(&Version, &str)> {
        let mut out: Vec<(&Version, &str)> = self
            .ranges
            .iter()
            .flatten()
            .filter(|b| b.kind == FIXED)
            .filter_map(|b| b.at.as_ref().map(|at| (at, b.raw.as_str())))
            .filter(|(at, _)| *at > v)
            .collect();
        out.sort_by(|a, b| a.0.cmp(b.0));
        out
    }
}

/// OSV evaluation of one range whose bounds are sorted.
fn in_sorted(bounds: &[Bound], v: &Version) -> bool {
    let mut affected = false;
    for b in bounds {
        let reached = |inclusive: bool| match &b.at {
            None => true,
            Some(x) if inclusive => x <= v,
            Some(x) => x < v,
        };
        match b.kind {
            INTRODUCED if reached(true) => affected = true,
            FIXED if reached(true) => affected = false,
            LAST_AFFECTED if reached(false) => affected = false,
            LIMIT if reached(true) => return false,
            _ => {}
        }
    }
    affected
}

/// True when `v` is inside the range given by `events`.
pub fn in_range(eco: Ecosystem, events: &[Event], v: &Version) -> bool {
    let mut bounds: Vec<Bound> = events.iter().map(|e| bound(eco, e)).collect();
    bounds.sort_by(cmp_bound);
    in_sorted(&bounds, v)
}

/// True when the entry lists `t` explicitly or any of its (parsed) ranges holds it.
/// Versions that are not real versions of the scheme (git URLs, legacy strings) only
/// match the list.
pub fn is_affected(a: &Affect, ranges: &Ranges, t: &Target<'_>) -> bool {
    (!a.versions.is_empty()
        && a.versions
            .binary_search_by(|k| k.as_str().cmp(t.key()))
            .is_ok())
        || (t.version.is_canonical() && ranges.contains(&t.version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(list: &[(&str, &str)]) -> Vec<Event> {
        list.iter()
            .map(|(k, v)| match *k {
                "i" => Event::Introduced(v.to_string()),
                "f" => Event::Fixed(v.to_string()),
                "l" => Event::LastAffected(v.to_string()),
                _ => Event::Limit(v.to_string()),
            })
            .collect()
    }

    fn hit(eco: Ecosystem, events: &[(&str, &str)], v: &str) -> bool {
        in_range(eco, &ev(events), &Version::parse(eco, v))
    }

    #[test]
    fn introduced_fixed_is_half_open() {
        let r = [("i", "1.0.0"), ("f", "1.2.0")];
        assert!(!hit(Ecosystem::Npm, &r, "0.9.9"));
        assert!(hit(Ecosystem::Npm, &r, "1.0.0"));
        assert!(hit(Ecosystem::Npm, &r, "1.1.9"));
        assert!(!hit(Ecosystem::Npm, &r, "1.2.0"));
        assert!(hit(Ecosystem::Npm, &r, "1.2.0-rc.1"));
    }

    #[test]
    fn last_affected_is_inclusive_and_zero_is_everything() {
        let r = [("i", "0"), ("l", "4.5.1")];
        assert!(hit(Ecosystem::Npm, &r, "0.0.1"));
        assert!(hit(Ecosystem::Npm, &r, "4.5.1"));
        assert!(!hit(Ecosystem::Npm, &r, "4.5.2"));
    }

    #[test]
    fn several_intervals_in_one_range_and_unsorted_events() {
        let r = [("f", "2.0.5"), ("i", "3.0.0"), ("i", "0"), ("f", "3.0.2")];
        assert!(hit(Ecosystem::PyPI, &r, "1.0"));
        assert!(!hit(Ecosystem::PyPI, &r, "2.1"));
        assert!(hit(Ecosystem::PyPI, &r, "3.0.1"));
        assert!(!hit(Ecosystem::PyPI, &r, "3.0.2"));
    }

    #[test]
    fn rustsec_prerelease_zero_introduced() {
        let r = [("i", "0.0.0-0"), ("f", "0.3.0")];
        assert!(hit(Ecosystem::CratesIo, &r, "0.0.0"));
        assert!(hit(Ecosystem::CratesIo, &r, "0.3.0-alpha.1"));
        assert!(!hit(Ecosystem::CratesIo, &r, "0.3.0"));
    }

    #[test]
    fn limit_caps_the_range() {
        let r = [("i", "1.0"), ("lim", "2.0")];
        assert!(hit(Ecosystem::PyPI, &r, "1.5"));
        assert!(!hit(Ecosystem::PyPI, &r, "2.5"));
    }

    #[test]
    fn explicit_versions_and_non_versions() {
        let a = Affect {
            advisory: 0,
            ranges: vec![ev(&[("i", "0")])],
            versions: crate::db::index::version_keys(
                Ecosystem::PyPI,
                &["1.0".into(), "git-thing".into()],
            ),
            informational: None,
        };
        let r = Ranges::new(Ecosystem::PyPI, &a);
        assert!(is_affected(&a, &r, &Target::new(Ecosystem::PyPI, "1.0.0")));
        assert!(is_affected(
            &a,
            &r,
            &Target::new(Ecosystem::PyPI, "git-thing")
        ));
        assert!(!is_affected(
            &a,
            &r,
            &Target::new(Ecosystem::PyPI, "other-thing")
        ));
        let b = Affect {
            ranges: vec![ev(&[("i", "0"), ("f", "2.0"), ("i", "3"), ("f", "1.5")])],
            ..a.clone()
        };
        let v = Version::parse(Ecosystem::PyPI, "1.0");
        let rb = Ranges::new(Ecosystem::PyPI, &b);
        let fixes: Vec<&str> = rb.fixes_above(&v).into_iter().map(|f| f.1).collect();
        assert_eq!(fixes, ["1.5", "2.0"]);
    }
}
