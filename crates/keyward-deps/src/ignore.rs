//! `[[deps.ignore]]`: accepted advisories. An entry suppresses an advisory whose id or
//! any alias equals its `id` (case-insensitively), optionally only for one package and
//! ecosystem, through its `expires` day; after that it is warned about and stops
//! suppressing, exactly like the scanner's `[[allow]]`.

use crate::package::{Ecosystem, Package};
use keyward_core::policy::DepsIgnore;
use keyward_scan::post::date::{format_day, parse_day, Day};
use std::cell::Cell;

/// The live entries, and one warning per expired entry.
pub struct Ignores<'a> {
    live: Vec<(&'a DepsIgnore, Cell<usize>)>,
    /// One line per expired entry, for stderr.
    pub warnings: Vec<String>,
}

impl<'a> Ignores<'a> {
    /// Split `entries` into live and expired as of `today` (entries are validated when
    /// the policy is parsed; an unparseable date counts as expired).
    pub fn new(entries: &'a [DepsIgnore], today: Day) -> Ignores<'a> {
        let mut live = Vec::new();
        let mut warnings = Vec::new();
        for e in entries {
            match parse_day(e.expires.get_ref()) {
                Some(day) if day >= today => live.push((e, Cell::new(0))),
                _ => warnings.push(format!(
                    "[[deps.ignore]] for `{}` expired on {} (reason: {}); it no longer suppresses (today is {})",
                    e.id.get_ref(),
                    e.expires.get_ref(),
                    e.reason.get_ref().trim(),
                    format_day(today)
                )),
            }
        }
        Ignores { live, warnings }
    }

    /// True when a live entry covers the advisory named `names` (id and aliases) for `p`.
    pub fn matches(&self, p: &Package, names: &[&str]) -> bool {
        for (e, used) in &self.live {
            let id = e.id.get_ref().trim();
            if !names.iter().any(|n| n.eq_ignore_ascii_case(id)) {
                continue;
            }
            if let Some(eco) = &e.ecosystem {
                if Ecosystem::parse(eco.get_ref()) != Some(p.ecosystem) {
                    continue;
                }
            }
            if let Some(pkg) = &e.package {
                if p.ecosystem.normalize(pkg) != p.name {
                    continue;
                }
            }
            used.set(used.get() + 1);
            return true;
        }
        false
    }

    /// Live entries that suppressed nothing (worth cleaning up).
    pub fn unused(&self) -> Vec<&str> {
        self.live
            .iter()
            .filter(|(_, n)| n.get() == 0)
            .map(|(e, _)| e.id.get_ref().as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::policy::Policy;
    use std::path::Path;

    fn entries(text: &str) -> Vec<DepsIgnore> {
        Policy::parse(text, Path::new("k.toml"))
            .unwrap()
            .deps
            .ignore
    }

    fn pkg(eco: Ecosystem, name: &str) -> Package {
        Package {
            ecosystem: eco,
            name: name.into(),
            version: Some("1.0".into()),
            path: "x".into(),
            line: 1,
            dev: false,
            markers: None,
        }
    }

    #[test]
    fn matches_id_or_alias_package_and_ecosystem() {
        let e = entries("[[deps.ignore]]\nid = \"cve-2020-1\"\npackage = \"Django\"\necosystem = \"PyPI\"\nreason = \"r\"\nexpires = \"2030-01-01\"\n");
        let ig = Ignores::new(&e, (2029, 12, 31));
        assert!(ig.matches(&pkg(Ecosystem::PyPI, "django"), &["PYSEC-1", "CVE-2020-1"]));
        assert!(!ig.matches(&pkg(Ecosystem::PyPI, "flask"), &["CVE-2020-1"]));
        assert!(!ig.matches(&pkg(Ecosystem::Npm, "django"), &["CVE-2020-1"]));
        assert!(!ig.matches(&pkg(Ecosystem::PyPI, "django"), &["CVE-2020-2"]));
        assert!(ig.unused().is_empty());
    }

    #[test]
    fn live_through_the_expiry_day_then_warned() {
        let e = entries(
            "[[deps.ignore]]\nid = \"X\"\nreason = \"accepted\"\nexpires = \"2030-01-01\"\n",
        );
        let p = pkg(Ecosystem::Npm, "a");
        assert!(Ignores::new(&e, (2030, 1, 1)).matches(&p, &["X"]));
        let ig = Ignores::new(&e, (2030, 1, 2));
        assert!(!ig.matches(&p, &["X"]));
        assert!(
            ig.warnings[0].contains("expired on 2030-01-01 (reason: accepted)"),
            "{:?}",
            ig.warnings
        );
    }
}
