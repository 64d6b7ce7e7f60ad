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
}

impl<'a> Target<'a> {
    /// Parse `raw` in `eco`'s order.
    pub fn new(eco: Ecosystem, raw: &'a str) -> Target<'a> {
        Target {
            eco,
            raw,
            version: Version::parse(eco, raw),
        }
    }
}

/// A parsed event; `None` bound means "0" (before every version).
struct Bound {
    kind: u8,
    at: Option<Version>,
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
    Bound { kind, at }
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

/// True when `v` is inside the range given by `events`.
pub fn in_range(eco: Ecosystem, events: &[Event], v: &Version) -> bool {
    let mut bounds: Vec<Bound> = events.iter().map(|e| bound(eco, e)).collect();
    bounds.sort_by(cmp_bound);
    let mut affected = false;
    for b in &bounds {
        let at_or_below = |inclusive: bool| match &b.at {
            None => true,
            Some(x) if inclusive => x <= v,
            Some(x) => x < v,
        };
        match b.kind {
            INTRODUCED if at_or_below(true) => affected = true,
            FIXED if at_or_below(true) => affected = false,
            LAST_AFFECTED if at_or_below(false) => affected = false,
            LIMIT if at_or_below(true) => return false,
            _ => {}
        }
    }
    affected
}

/// True when the entry lists `t` explicitly or any of its ranges holds it. Versions that
/// are not real versions of the scheme (git URLs, legacy strings) only match the list.
pub fn is_affected(a: &Affect, t: &Target<'_>) -> bool {
    let listed = a
        .versions
        .iter()
        .any(|s| s == t.raw || (t.version.is_canonical() && Version::parse(t.eco, s) == t.version));
    listed || (t.version.is_canonical() && a.ranges.iter().any(|r| in_range(t.eco, r, &t.version)))
}

/// The `fixed` versions of an entry above `t`, lowest first.
pub fn fixes_above(a: &Affect, t: &Target<'_>) -> Vec<(Version, String)> {
    let mut out: Vec<(Version, String)> = a
        .ranges
        .iter()
        .flatten()
        .filter_map(|e| match e {
            Event::Fixed(f) => Some((Version::parse(t.eco, f), f.clone())),
            _ => None,
        })
        .filter(|(v, _)| *v > t.version)
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
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
            versions: vec!["1.0".into(), "git-thing".into()],
            informational: None,
        };
        assert!(is_affected(&a, &Target::new(Ecosystem::PyPI, "1.0.0")));
        assert!(is_affected(&a, &Target::new(Ecosystem::PyPI, "git-thing")));
        assert!(!is_affected(
            &a,
            &Target::new(Ecosystem::PyPI, "other-thing")
        ));
    }
}
