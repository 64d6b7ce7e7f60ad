//! What runs over a scan's complete findings: the JWT exposure check, the baseline and the
//! `[[allow]]` entries of keyward.toml.

use crate::cli::GitScanArgs;
use anyhow::Result;
use keyward_core::policy::Policy;
use keyward_core::Finding;
use keyward_scan::post::{self, Baseline};

/// Stale baseline entries listed one by one before they are only counted.
const STALE_SHOWN: usize = 10;

/// Annotate, then drop baselined and allowed findings; notes go to the report summary,
/// expired allow entries to stderr.
pub fn apply(
    policy: &Policy,
    git: &GitScanArgs,
    findings: &mut Vec<Finding>,
    notes: &mut Vec<String>,
) -> Result<()> {
    post::check_jwts(findings);
    if let Some(file) = &git.baseline {
        let baseline = Baseline::load(file)?;
        let legacy = baseline.legacy_entries();
        if legacy > 0 {
            notes.push(format!(
                "the baseline {} holds {legacy} kw1: fingerprint(s) (scheme v1, which lets anyone with the file test guesses of a secret); rewrite it with `keyward baseline --migrate -o {}` (docs/fingerprints.md)",
                file.display(),
                file.display()
            ));
        }
        let o = baseline.apply(findings);
        if o.suppressed > 0 {
            notes.push(format!(
                "{} finding(s) in the baseline {} were not reported",
                o.suppressed,
                file.display()
            ));
        }
        for e in o.stale.iter().take(STALE_SHOWN) {
            notes.push(format!(
                "baseline entry {} ({} in {}) no longer matches anything; refresh with `keyward baseline`",
                e.fingerprint, e.rule, e.path
            ));
        }
        if o.stale.len() > STALE_SHOWN {
            notes.push(format!(
                "… and {} more stale baseline entries",
                o.stale.len() - STALE_SHOWN
            ));
        }
    }
    let o = post::apply_allowlist(&policy.allow, post::date::today(), findings)?;
    for w in &o.warnings {
        eprintln!("keyward: warning: {w}");
    }
    if o.suppressed > 0 {
        notes.push(format!(
            "{} finding(s) suppressed by [[allow]] entries",
            o.suppressed
        ));
    }
    Ok(())
}
