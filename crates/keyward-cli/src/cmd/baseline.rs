//! `keyward baseline`: accept the current findings so later scans report only new ones.

use crate::cli::BaselineArgs;
use anyhow::{Context, Result};
use keyward_core::policy::Policy;
use keyward_core::Finding;
use keyward_git::{HistoryOptions, Selection};
use keyward_scan::post::Baseline;
use keyward_scan::ScanStats;
use std::sync::Mutex;

/// Scan (the tree, or with `--git` the history) and write every finding's fingerprint.
pub fn run(args: BaselineArgs) -> Result<u8> {
    let (policy, _) = Policy::discover(args.config.as_deref())?;
    let scanner = super::scan::scanner_for(&policy)?;
    let opts = super::scan::scan_options(&policy, args.no_ignore, args.threads, None)?;
    let stats = ScanStats::default();
    let findings: Vec<Finding> = if args.git {
        let hopts = HistoryOptions {
            selection: Selection::All,
            threads: args.threads,
            max_file_size: opts.max_file_size,
            exclude: super::gitscan::path_filter(&args.path, &opts)?,
            reader: keyward_git::BlobReader::from_env(),
        };
        let run = keyward_git::scan_history(&args.path, &scanner, &hopts, &stats)?;
        for w in &run.warnings {
            eprintln!("keyward: warning: {w}");
        }
        run.findings
    } else {
        let found = Mutex::new(Vec::new());
        let sink = |f: Vec<Finding>| found.lock().expect("findings lock").extend(f);
        keyward_scan::source::scan_paths(
            &scanner,
            std::slice::from_ref(&args.path),
            &opts,
            &stats,
            &sink,
        )?;
        found.into_inner().expect("findings lock")
    };
    if args.migrate {
        let old = Baseline::load(&args.output)?;
        let (new, dropped) = old.migrate(&findings);
        new.save(&args.output)
            .context("cannot write the baseline")?;
        let mut not_accepted = findings.clone();
        old.apply(&mut not_accepted);
        eprintln!(
            "keyward: rewrote {} with scheme v2 fingerprints: {} kept, {dropped} stale dropped, {} finding(s) not in the old baseline left out",
            args.output.display(),
            new.entries.len(),
            not_accepted.len()
        );
        return Ok(super::EXIT_OK);
    }
    let baseline = Baseline::from_findings(&findings);
    baseline
        .save(&args.output)
        .context("cannot write the baseline")?;
    eprintln!(
        "keyward: wrote {} ({} finding(s), {} fingerprint(s)); scan with `keyward scan --baseline {}`",
        args.output.display(),
        findings.len(),
        baseline.entries.len(),
        args.output.display()
    );
    Ok(super::EXIT_OK)
}
