//! Baselines (`.keyward/baseline.json`): the fingerprints of findings a team has accepted
//! as known, so that a scan reports only new ones. Never holds a secret value.

use crate::error::ScanError;
use keyward_core::{Finding, Fingerprint};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// The default baseline location, relative to the repository root.
pub const DEFAULT_BASELINE: &str = ".keyward/baseline.json";
/// The baseline file format version.
pub const BASELINE_VERSION: u32 = 1;

/// One accepted finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    /// The finding's fingerprint (`kw2k:…`/`kw2l:…`; `kw1:…` in old files), the only
    /// thing matched on.
    pub fingerprint: String,
    /// Rule id, for readers.
    pub rule: String,
    /// Path where it was found, for readers.
    pub path: String,
    /// Commit that introduced it (history baselines only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// The baseline file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version ([`BASELINE_VERSION`]).
    pub version: u32,
    /// Accepted findings, one per fingerprint, sorted by path then fingerprint.
    pub entries: Vec<BaselineEntry>,
}

/// What applying a baseline did.
#[derive(Debug, Default)]
pub struct BaselineOutcome {
    /// Findings silenced because their fingerprint is in the baseline.
    pub suppressed: usize,
    /// Baseline entries that matched nothing in this scan (fixed, or out of scope).
    pub stale: Vec<BaselineEntry>,
}

impl Baseline {
    /// A baseline accepting every finding in `findings` (one entry per fingerprint, the
    /// first location kept).
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        let mut by_fp: BTreeMap<String, BaselineEntry> = BTreeMap::new();
        for f in findings {
            by_fp
                .entry(f.fingerprint.as_str().to_string())
                .or_insert_with(|| BaselineEntry {
                    fingerprint: f.fingerprint.as_str().to_string(),
                    rule: f.rule_id.clone(),
                    path: f.location.path.clone(),
                    commit: f.location.git.as_ref().map(|g| g.commit.clone()),
                });
        }
        let mut entries: Vec<_> = by_fp.into_values().collect();
        entries.sort_by(|a, b| (&a.path, &a.fingerprint).cmp(&(&b.path, &b.fingerprint)));
        Baseline {
            version: BASELINE_VERSION,
            entries,
        }
    }

    /// Read a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, ScanError> {
        let err = |message: String| ScanError::Path {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.kind().to_string()))?;
        let b: Baseline =
            serde_json::from_str(&text).map_err(|e| err(format!("not a keyward baseline: {e}")))?;
        if b.version != BASELINE_VERSION {
            return Err(err(format!(
                "baseline version {} is not supported (expected {BASELINE_VERSION})",
                b.version
            )));
        }
        Ok(b)
    }

    /// Write the baseline (creating its directory), pretty-printed with a final newline.
    pub fn save(&self, path: &Path) -> Result<(), ScanError> {
        let err = |e: std::io::Error| ScanError::Path {
            path: path.display().to_string(),
            message: e.kind().to_string(),
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let mut text = serde_json::to_string_pretty(self).expect("baseline serializes");
        text.push('\n');
        std::fs::write(path, text).map_err(err)
    }

    /// How many entries use scheme v1 (`kw1:` over a value), which lets anyone holding
    /// the file test guesses of a secret; `keyward baseline --migrate` rewrites them.
    pub fn legacy_entries(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.fingerprint.starts_with("kw1:"))
            .count()
    }

    /// The fingerprints of `f` a baseline entry may hold: its own, and its scheme-v1
    /// fingerprint (computed in memory only, for baselines written before scheme v2).
    fn keys_of(f: &Finding) -> [String; 2] {
        [
            f.fingerprint.as_str().to_string(),
            Fingerprint::legacy_v1(&f.rule_id, f.secret.expose())
                .as_str()
                .to_string(),
        ]
    }

    /// Drop findings whose fingerprint is in the baseline (a `kw1:` entry still matches
    /// the value it was computed from); report entries matching nothing.
    pub fn apply(&self, findings: &mut Vec<Finding>) -> BaselineOutcome {
        let known: HashSet<&str> = self
            .entries
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        let present: HashSet<String> = findings.iter().flat_map(Self::keys_of).collect();
        let before = findings.len();
        findings.retain(|f| !Self::keys_of(f).iter().any(|k| known.contains(k.as_str())));
        BaselineOutcome {
            suppressed: before - findings.len(),
            stale: self
                .entries
                .iter()
                .filter(|e| !present.contains(&e.fingerprint))
                .cloned()
                .collect(),
        }
    }

    /// This baseline rewritten with the current scheme: every entry that matches one of
    /// `findings` (as [`Baseline::apply`] matches) becomes that finding's current
    /// fingerprint; entries matching nothing are dropped (returned count). Findings the
    /// baseline did not accept are not added.
    pub fn migrate(&self, findings: &[Finding]) -> (Baseline, usize) {
        let known: HashSet<&str> = self
            .entries
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        let accepted: Vec<Finding> = findings
            .iter()
            .filter(|f| Self::keys_of(f).iter().any(|k| known.contains(k.as_str())))
            .cloned()
            .collect();
        let stale = self.apply(&mut findings.to_vec()).stale.len();
        (Baseline::from_findings(&accepted), stale)
    }
}
