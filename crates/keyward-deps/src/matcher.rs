//! Matching packages against the database: per vulnerable package the advisories (OSV
//! records that are one vulnerability under several ids merged by alias), the highest
//! severity, and the lowest version that fixes all of them.

use crate::affected::{is_affected, Ranges, Target};
use crate::db::index::{Affect, EcosystemIndex};
use crate::db::Database;
use crate::osv::{Rating, SeveritySource};
use crate::package::{Ecosystem, Package};
use crate::version::Version;
use keyward_core::Severity;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// What kind of advisory: a vulnerability, or a RustSec informational notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AdvisoryKind {
    /// A vulnerability.
    Vulnerability,
    /// RustSec: the crate is unmaintained.
    Unmaintained,
    /// RustSec: the crate has unsound APIs.
    Unsound,
    /// RustSec: a notice.
    Notice,
}

impl AdvisoryKind {
    fn of(informational: Option<&str>) -> AdvisoryKind {
        match informational {
            None => AdvisoryKind::Vulnerability,
            Some("unmaintained") => AdvisoryKind::Unmaintained,
            Some("unsound") => AdvisoryKind::Unsound,
            Some(_) => AdvisoryKind::Notice,
        }
    }

    /// The lowercase name.
    pub fn as_str(&self) -> &'static str {
        match self {
            AdvisoryKind::Vulnerability => "vulnerability",
            AdvisoryKind::Unmaintained => "unmaintained",
            AdvisoryKind::Unsound => "unsound",
            AdvisoryKind::Notice => "notice",
        }
    }
}

/// One advisory that affects a package (records merged by alias).
#[derive(Clone, Debug, Serialize)]
pub struct AdvisoryMatch {
    /// The id shown (the ecosystem's own database first: GHSA for npm, PYSEC, RUSTSEC).
    pub id: String,
    /// Every other id of the same vulnerability, sorted.
    pub aliases: Vec<String>,
    /// One line.
    pub summary: String,
    /// Its severity.
    pub severity: Severity,
    /// CVSS score when computed from a vector.
    pub score: Option<f32>,
    /// Where the severity came from.
    pub severity_source: SeveritySource,
    /// Vulnerability or informational kind.
    pub kind: AdvisoryKind,
    /// The lowest version above the installed one fixing this advisory, if any.
    pub fixed: Option<String>,
}

/// A package with at least one advisory.
#[derive(Clone, Debug, Serialize)]
pub struct VulnerablePackage {
    /// The package.
    pub package: Package,
    /// The highest advisory severity.
    pub severity: Severity,
    /// The lowest version that fixes every advisory listed, if one is known.
    pub fixed_version: Option<String>,
    /// The advisories, most severe first.
    pub advisories: Vec<AdvisoryMatch>,
}

/// The outcome of an audit.
#[derive(Debug, Default)]
pub struct Audit {
    /// Vulnerable packages, in input order.
    pub found: Vec<VulnerablePackage>,
    /// Advisory matches suppressed by ignore entries.
    pub suppressed: usize,
}

/// Match every package against `db`; `ignored(package, ids)` suppresses an advisory
/// (given its id and aliases). Packages without a version, or with one that is not a
/// version of the ecosystem's scheme, only match explicitly listed versions.
pub fn audit(
    db: &Database,
    packages: &[Package],
    ignored: &dyn Fn(&Package, &[&str]) -> bool,
) -> Audit {
    let mut out = Audit::default();
    // Ranges parsed once per package name, however many versions of it are checked.
    let mut parsed: HashMap<(Ecosystem, &str), Vec<Ranges>> = HashMap::new();
    for p in packages {
        let (Some(idx), Some(version)) = (db.index(p.ecosystem), p.version.as_deref()) else {
            continue;
        };
        let Some(affects) = idx.packages.get(&p.name) else {
            continue;
        };
        let ranges = parsed
            .entry((p.ecosystem, p.name.as_str()))
            .or_insert_with(|| {
                affects
                    .iter()
                    .map(|a| Ranges::new(p.ecosystem, a))
                    .collect()
            });
        let target = Target::new(p.ecosystem, version);
        let mut hits: Vec<Hit<'_>> = affects
            .iter()
            .zip(ranges.iter())
            .filter(|(a, r)| is_affected(a, r, &target))
            .collect();
        let before = hits.len();
        hits.retain(|(a, _)| {
            let adv = &idx.advisories[a.advisory as usize];
            let names: Vec<&str> = std::iter::once(adv.id.as_str())
                .chain(adv.aliases.iter().map(String::as_str))
                .collect();
            !ignored(p, &names)
        });
        out.suppressed += before - hits.len();
        if !hits.is_empty() {
            out.found.push(vulnerable(idx, p, &hits, &target));
        }
    }
    out
}

/// An entry affecting a package, with its parsed ranges.
type Hit<'a> = (&'a Affect, &'a Ranges);

/// Merge and rate the entries `hits` affecting `p`.
fn vulnerable(
    idx: &EcosystemIndex,
    p: &Package,
    hits: &[Hit<'_>],
    target: &Target<'_>,
) -> VulnerablePackage {
    let mut advisories: Vec<AdvisoryMatch> = group(idx, hits)
        .into_iter()
        .map(|members| merge(idx, &members, target))
        .collect();
    advisories.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id)));
    let severity = advisories
        .iter()
        .map(|a| a.severity)
        .max()
        .unwrap_or(Severity::Info);
    VulnerablePackage {
        package: p.clone(),
        severity,
        fixed_version: combined_fix(hits, target),
        advisories,
    }
}

/// The lowest `fixed` version above the installed one that none of `hits` affects.
fn combined_fix(hits: &[Hit<'_>], t: &Target<'_>) -> Option<String> {
    let mut candidates: Vec<(&Version, &str)> = hits
        .iter()
        .flat_map(|(_, r)| r.fixes_above(&t.version))
        .collect();
    candidates.sort_by(|a, b| a.0.cmp(b.0));
    candidates.dedup_by(|a, b| a.0 == b.0);
    candidates.into_iter().find_map(|(_, raw)| {
        let c = Target::new(t.eco, raw);
        (!hits.iter().any(|(a, r)| is_affected(a, r, &c))).then(|| raw.to_string())
    })
}

/// Group entries whose advisories share an id or alias (one vulnerability published by
/// several databases), preserving first-seen order.
fn group<'a>(idx: &EcosystemIndex, hits: &[Hit<'a>]) -> Vec<Vec<Hit<'a>>> {
    let mut groups: Vec<(Vec<String>, Vec<Hit<'a>>)> = Vec::new();
    for &(a, r) in hits {
        let adv = &idx.advisories[a.advisory as usize];
        let names: Vec<String> = std::iter::once(&adv.id)
            .chain(&adv.aliases)
            .cloned()
            .collect();
        let joined: Vec<usize> = groups
            .iter()
            .enumerate()
            .filter(|(_, (ids, _))| names.iter().any(|n| ids.contains(n)))
            .map(|(i, _)| i)
            .collect();
        let mut merged = (names, vec![(a, r)]);
        for &i in joined.iter().rev() {
            let (ids, members) = groups.remove(i);
            merged.0.extend(ids);
            merged.1.splice(0..0, members);
        }
        groups.insert(joined.first().copied().unwrap_or(groups.len()), merged);
    }
    groups.into_iter().map(|(_, m)| m).collect()
}

fn native_prefix(eco: Ecosystem) -> &'static str {
    match eco {
        Ecosystem::Npm => "GHSA-",
        Ecosystem::PyPI => "PYSEC-",
        Ecosystem::CratesIo => "RUSTSEC-",
    }
}

fn merge(idx: &EcosystemIndex, members: &[Hit<'_>], t: &Target<'_>) -> AdvisoryMatch {
    let advs: Vec<_> = members
        .iter()
        .map(|(a, _)| &idx.advisories[a.advisory as usize])
        .collect();
    let primary = advs
        .iter()
        .filter(|a| a.id.starts_with(native_prefix(t.eco)))
        .chain(advs.iter())
        .min_by_key(|a| (!a.id.starts_with(native_prefix(t.eco)), a.id.clone()))
        .expect("a group has members");
    let mut aliases: Vec<String> = advs
        .iter()
        .flat_map(|a| std::iter::once(&a.id).chain(&a.aliases))
        .filter(|n| **n != primary.id)
        .cloned()
        .collect();
    aliases.sort();
    aliases.dedup();
    let informational = members.iter().find_map(|(a, _)| a.informational.as_deref());
    let all_informational = members.iter().all(|(a, _)| a.informational.is_some());
    let kind = if all_informational {
        AdvisoryKind::of(informational)
    } else {
        AdvisoryKind::Vulnerability
    };
    let rating: Rating = if kind == AdvisoryKind::Vulnerability {
        advs.iter()
            .map(|a| a.rating)
            .max_by(|a, b| rank(a).cmp(&rank(b)))
            .expect("a group has members")
    } else {
        crate::osv::rate([], None, true)
    };
    let summary = std::iter::once(&primary.summary)
        .chain(advs.iter().map(|a| &a.summary))
        .find(|s| !s.is_empty())
        .cloned()
        .unwrap_or_default();
    let fixed = combined_fix(members, t);
    AdvisoryMatch {
        id: primary.id.clone(),
        aliases,
        summary,
        severity: rating.severity,
        score: rating.score,
        severity_source: rating.source,
        kind,
        fixed,
    }
}

/// Rated beats unrated; then severity; then score.
fn rank(r: &Rating) -> (bool, Severity, i32) {
    (
        r.source != SeveritySource::Unrated,
        r.severity,
        (r.score.unwrap_or(0.0) * 10.0) as i32,
    )
}

/// Packages grouped per lockfile, for reports: `(path, packages)` in path order.
pub fn by_path(found: &[VulnerablePackage]) -> BTreeMap<&str, Vec<&VulnerablePackage>> {
    let mut m: BTreeMap<&str, Vec<&VulnerablePackage>> = BTreeMap::new();
    for v in found {
        m.entry(v.package.path.as_str()).or_default().push(v);
    }
    m
}
