//! `[[allow]]` entries of `keyward.toml`: suppress findings by fingerprint or path glob,
//! optionally for one rule, until an optional expiry date.

use super::date::{format_day, parse_day, Day};
use crate::error::ScanError;
use globset::{Glob, GlobMatcher};
use keyward_core::policy::AllowEntry;
use keyward_core::Finding;

/// What applying the allowlist did.
#[derive(Debug, Default)]
pub struct AllowOutcome {
    /// Findings that were suppressed.
    pub suppressed: usize,
    /// One line per expired entry (it no longer suppresses), for stderr.
    pub warnings: Vec<String>,
}

struct Compiled<'a> {
    entry: &'a AllowEntry,
    glob: Option<GlobMatcher>,
}

fn invalid(message: String) -> ScanError {
    ScanError::Path {
        path: "keyward.toml [[allow]]".into(),
        message,
    }
}

/// Drop findings matched by a live entry; expired entries are skipped and warned about.
/// `today` decides expiry (an entry is live through its `expires` day).
pub fn apply_allowlist(
    entries: &[AllowEntry],
    today: Day,
    findings: &mut Vec<Finding>,
) -> Result<AllowOutcome, ScanError> {
    let mut out = AllowOutcome::default();
    let mut live = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let n = i + 1;
        if e.reason.trim().is_empty() {
            return Err(invalid(format!("entry {n} needs a non-empty `reason`")));
        }
        if e.fingerprint.is_none() && e.path.is_none() {
            return Err(invalid(format!(
                "entry {n} needs a `fingerprint` or a `path` glob"
            )));
        }
        if let Some(exp) = &e.expires {
            let day = parse_day(exp).ok_or_else(|| {
                invalid(format!(
                    "entry {n}: expires `{exp}` is not a date (YYYY-MM-DD)"
                ))
            })?;
            if day < today {
                let what = e
                    .fingerprint
                    .as_deref()
                    .or(e.path.as_deref())
                    .unwrap_or("?");
                out.warnings.push(format!(
                    "allow entry for `{what}` expired on {} (reason: {}); it no longer suppresses findings (today is {})",
                    format_day(day),
                    e.reason.trim(),
                    format_day(today)
                ));
                continue;
            }
        }
        let glob = match &e.path {
            Some(p) => Some(
                Glob::new(p)
                    .map_err(|err| invalid(format!("entry {n}: bad path glob `{p}`: {err}")))?
                    .compile_matcher(),
            ),
            None => None,
        };
        live.push(Compiled { entry: e, glob });
    }
    let before = findings.len();
    findings.retain(|f| !live.iter().any(|c| matches(c, f)));
    out.suppressed = before - findings.len();
    Ok(out)
}

fn matches(c: &Compiled<'_>, f: &Finding) -> bool {
    if let Some(fp) = &c.entry.fingerprint {
        // A `kw1:` entry (scheme v1) still matches the value it was computed from.
        let legacy = || {
            fp.starts_with("kw1:")
                && fp
                    == keyward_core::Fingerprint::legacy_v1(&f.rule_id, f.secret.expose()).as_str()
        };
        if fp != f.fingerprint.as_str() && !legacy() {
            return false;
        }
    }
    if let Some(rule) = &c.entry.rule {
        if rule != &f.rule_id {
            return false;
        }
    }
    match &c.glob {
        Some(g) => {
            let p = f
                .location
                .path
                .strip_prefix("./")
                .unwrap_or(&f.location.path);
            g.is_match(p)
        }
        None => true,
    }
}
