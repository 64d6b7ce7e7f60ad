//! `keyward scan --git` and `--staged`: the git sources of a scan.

use crate::cli::ScanArgs;
use crate::progress::{self, Progress};
use anyhow::{bail, Result};
use keyward_core::Finding;
use keyward_git::{HistoryOptions, Selection};
use keyward_scan::{ScanOptions, ScanStats, Scanner};
use std::path::PathBuf;
use std::sync::Arc;

/// What a git source produced.
pub struct GitRun {
    /// Findings (history findings carry their introducing commit).
    pub findings: Vec<Finding>,
    /// Notes for the report summary.
    pub notes: Vec<String>,
}

/// The one repository path a git scan takes.
fn repo_path(args: &ScanArgs, flag: &str) -> Result<PathBuf> {
    match args.paths.as_slice() {
        [] => Ok(PathBuf::from(".")),
        [p] if p.as_os_str() == "-" => bail!("{flag} reads a repository, not stdin"),
        [p] => Ok(p.clone()),
        _ => bail!("{flag} takes one repository path"),
    }
}

/// `.keywardignore` at the repository path and `[scan] exclude`, unless `--no-ignore`.
pub fn path_filter(
    path: &std::path::Path,
    opts: &ScanOptions,
) -> Result<Option<keyward_scan::source::PathFilter>> {
    if opts.no_ignore {
        return Ok(None);
    }
    Ok(Some(keyward_scan::source::PathFilter::for_root(
        path,
        &opts.exclude,
    )?))
}

/// Run the git source the arguments ask for, if any (`None`: scan files as usual).
pub fn collect(
    args: &ScanArgs,
    scanner: &Scanner,
    opts: &ScanOptions,
    stats: &Arc<ScanStats>,
) -> Result<Option<GitRun>> {
    let g = &args.git;
    if g.staged {
        let path = repo_path(args, "--staged")?;
        let filter = path_filter(&path, opts)?;
        let findings =
            keyward_git::scan_staged(&path, scanner, opts.max_file_size, filter.as_ref(), stats)?;
        return Ok(Some(GitRun {
            findings,
            notes: Vec::new(),
        }));
    }
    if !g.git {
        return Ok(None);
    }
    let path = repo_path(args, "--git")?;
    let selection = match (&g.since, &g.range) {
        (Some(s), _) => Selection::Since(s.clone()),
        (None, Some(r)) => Selection::Range(r.clone()),
        (None, None) => Selection::All,
    };
    let hopts = HistoryOptions {
        selection,
        threads: opts.threads,
        max_file_size: opts.max_file_size,
        exclude: path_filter(&path, opts)?,
        reader: keyward_git::BlobReader::from_env(),
    };
    let progress = Progress::start(stats.clone(), progress::enabled(args.no_progress));
    let run = keyward_git::scan_history(&path, scanner, &hopts, stats);
    progress.finish();
    let run = run?;
    for w in &run.warnings {
        eprintln!("keyward: warning: {w}");
    }
    Ok(Some(GitRun {
        findings: run.findings,
        notes: run.notes,
    }))
}
