//! The compact index: an ecosystem's `all.zip` parsed once into what matching needs
//! (advisories with their ratings, affected ranges per normalised package name), stored
//! with `postcard` behind a header naming the zip's SHA-256, so a run loads it in
//! milliseconds and a changed zip is noticed.

use crate::osv::{self, Rating, Record};
use crate::package::Ecosystem;
use crate::version::Version;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Read;

/// Bumped whenever the stored layout changes; older index files are rebuilt.
pub const INDEX_FORMAT: u32 = 2;
const MAGIC: &str = "keyward-osv-index";

/// One advisory, as reported.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Advisory {
    /// OSV id.
    pub id: String,
    /// Its aliases (CVE, GHSA, PYSEC, RUSTSEC ids).
    pub aliases: Vec<String>,
    /// One line.
    pub summary: String,
    /// Severity as rated from the record (informational entries are re-rated per package).
    pub rating: Rating,
}

/// One event of a `SEMVER` or `ECOSYSTEM` range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// Affected from this version on (`"0"`: from the first version).
    Introduced(String),
    /// Fixed in this version.
    Fixed(String),
    /// Affected up to and including this version.
    LastAffected(String),
    /// Nothing from this version on is in the range.
    Limit(String),
}

/// What one advisory says about one package.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Affect {
    /// Index into [`EcosystemIndex::advisories`].
    pub advisory: u32,
    /// Every `SEMVER`/`ECOSYSTEM` range of the entry, each a list of events.
    pub ranges: Vec<Vec<Event>>,
    /// Explicitly listed versions, as sorted [`Version::key`]s (`1.0` and `1.0.0` are one).
    pub versions: Vec<String>,
    /// RustSec `informational` kind (`unmaintained`, `unsound`, `notice`).
    pub informational: Option<String>,
}

/// Everything keyward needs from one ecosystem's zip.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EcosystemIndex {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// SHA-256 (hex) of the zip it was built from.
    pub zip_sha256: String,
    /// Records in the zip.
    pub records: u32,
    /// Withdrawn records (skipped).
    pub withdrawn: u32,
    /// Advisories that are not withdrawn.
    pub advisories: Vec<Advisory>,
    /// Normalised package name → what the advisories say about it.
    pub packages: BTreeMap<String, Vec<Affect>>,
}

impl EcosystemIndex {
    /// Parse every OSV document in `zip` (bytes of `all.zip`); the first document that is
    /// not valid OSV JSON is an error naming it.
    pub fn build(eco: Ecosystem, zip: &[u8], zip_sha256: &str) -> Result<EcosystemIndex, String> {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip))
            .map_err(|e| format!("not a zip archive: {e}"))?;
        let mut idx = EcosystemIndex {
            ecosystem: eco,
            zip_sha256: zip_sha256.to_string(),
            records: 0,
            withdrawn: 0,
            advisories: Vec::new(),
            packages: BTreeMap::new(),
        };
        let mut buf = Vec::new();
        for i in 0..archive.len() {
            let mut file = archive.by_index(i).map_err(|e| format!("entry {i}: {e}"))?;
            let name = file.name().map(|n| n.to_string()).unwrap_or_default();
            if file.is_dir() || !name.ends_with(".json") {
                continue;
            }
            buf.clear();
            file.read_to_end(&mut buf)
                .map_err(|e| format!("{name}: {e}"))?;
            let record: Record =
                serde_json::from_slice(&buf).map_err(|e| format!("{name}: not OSV JSON: {e}"))?;
            idx.add(record);
        }
        if idx.records == 0 {
            return Err("the archive holds no OSV records".into());
        }
        Ok(idx)
    }

    fn add(&mut self, r: Record) {
        self.records += 1;
        if r.withdrawn.is_some() {
            self.withdrawn += 1;
            return;
        }
        let label = r
            .database_specific
            .as_ref()
            .and_then(|d| d.get("severity"))
            .and_then(|s| s.as_str());
        let vectors = r
            .severity
            .iter()
            .chain(r.affected.iter().flat_map(|a| a.severity.iter()))
            .map(|s| (s.kind.as_str(), s.score.as_str()));
        let rating = osv::rate(vectors, label, false);
        let advisory = self.advisories.len() as u32;
        let mut used = false;
        for a in &r.affected {
            let Some(pkg) = &a.package else { continue };
            if pkg.ecosystem != self.ecosystem.as_str() {
                continue;
            }
            let ranges: Vec<Vec<Event>> = a
                .ranges
                .iter()
                .filter(|rg| rg.kind == "SEMVER" || rg.kind == "ECOSYSTEM")
                .map(|rg| rg.events.iter().filter_map(event).collect())
                .collect();
            let informational = a
                .database_specific
                .as_ref()
                .and_then(|d| d.get("informational"))
                .and_then(|s| s.as_str())
                .map(str::to_string);
            self.packages
                .entry(self.ecosystem.normalize(&pkg.name))
                .or_default()
                .push(Affect {
                    advisory,
                    ranges,
                    versions: version_keys(self.ecosystem, &a.versions),
                    informational,
                });
            used = true;
        }
        if used {
            self.advisories.push(Advisory {
                summary: summary(&r),
                id: r.id,
                aliases: r.aliases,
                rating,
            });
        }
    }

    /// Serialise with the header line `keyward-osv-index <format> <zip sha256>`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{MAGIC} {INDEX_FORMAT} {}\n", self.zip_sha256).into_bytes();
        out.extend(postcard::to_stdvec(self).expect("index serialises"));
        out
    }

    /// Load an index file if it was built by this format from the zip `zip_sha256`.
    pub fn from_bytes(bytes: &[u8], zip_sha256: &str) -> Option<EcosystemIndex> {
        let nl = bytes.iter().position(|&b| b == b'\n')?;
        let header = std::str::from_utf8(&bytes[..nl]).ok()?;
        let want = format!("{MAGIC} {INDEX_FORMAT} {zip_sha256}");
        if header != want {
            return None;
        }
        postcard::from_bytes(&bytes[nl + 1..]).ok()
    }
}

/// The lookup keys of an explicit `versions` list, sorted and de-duplicated.
pub fn version_keys(eco: Ecosystem, versions: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = versions
        .iter()
        .map(|v| Version::parse(eco, v).key(v))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn event(e: &osv::Event) -> Option<Event> {
    if let Some(v) = &e.introduced {
        Some(Event::Introduced(v.clone()))
    } else if let Some(v) = &e.fixed {
        Some(Event::Fixed(v.clone()))
    } else if let Some(v) = &e.last_affected {
        Some(Event::LastAffected(v.clone()))
    } else {
        e.limit.as_ref().map(|v| Event::Limit(v.clone()))
    }
}

/// The summary, or the first line of the details (PYSEC records have no summary).
fn summary(r: &Record) -> String {
    let text = r
        .summary
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .or(r.details.as_deref())
        .unwrap_or("");
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut s: String = line.chars().take(160).collect();
    if line.chars().count() > 160 {
        s.push('…');
    }
    s
}
