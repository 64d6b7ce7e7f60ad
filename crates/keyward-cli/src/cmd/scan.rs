//! `keyward scan`.

use crate::cli::ScanArgs;
use crate::output::{parse_size, Output};
use crate::progress::{self, Progress};
use anyhow::Result;
use keyward_core::policy::Policy;
use keyward_core::{Context, Finding};
use keyward_report::{RuleMeta, Summary};
use keyward_scan::{RuleSet, ScanOptions, ScanStats, Scanner, Skipped};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Build the scanner for a policy: built-in rules minus disabled ones, plus user rules,
/// failing generic-rule findings only in the policy's `fail_contexts`.
pub fn scanner_for(policy: &Policy) -> Result<Scanner> {
    let rules = RuleSet::new(
        RuleSet::builtin_specs()?,
        policy.rules.clone(),
        &policy.scan.disable_rules,
    )?;
    let fail = match &policy.scan.fail_contexts {
        Some(list) => contexts(list, "[scan] fail_contexts")?,
        None => vec![Context::Source],
    };
    Ok(Scanner::new(rules).with_fail_contexts(fail))
}

/// Parse a list of context names, naming `what` in the error.
fn contexts(list: &[String], what: &str) -> Result<Vec<Context>> {
    list.iter()
        .map(|c| c.parse::<Context>())
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("{what}: {e}"))
}

/// The contexts to report: `--context` wins over `[scan] contexts`; `None` is all.
fn reported_contexts(policy: &Policy, flag: Option<&str>) -> Result<Option<Vec<Context>>> {
    match (flag, &policy.scan.contexts) {
        (Some(f), _) => Context::parse_list(f)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("--context: {e}")),
        (None, Some(list)) => contexts(list, "[scan] contexts").map(Some),
        (None, None) => Ok(None),
    }
}

/// Walk options from the policy's `[scan]` section and the command line (which wins).
pub fn scan_options(
    policy: &Policy,
    no_ignore: bool,
    threads: usize,
    max_file_size: Option<&str>,
) -> Result<ScanOptions> {
    let mut opts = ScanOptions {
        no_ignore,
        threads,
        exclude: policy.scan.exclude.clone(),
        ..ScanOptions::default()
    };
    if let Some(size) = policy.scan.max_file_size {
        opts.max_file_size = size;
    }
    if let Some(size) = max_file_size {
        opts.max_file_size = parse_size(size)?;
    }
    Ok(opts)
}

/// Rule metadata for reports.
pub fn rule_meta(scanner: &Scanner) -> Vec<RuleMeta> {
    scanner
        .rules()
        .rules()
        .iter()
        .map(|r| RuleMeta {
            id: r.id().to_string(),
            title: r.spec.title.clone(),
            severity: r.severity,
            description: r.spec.description.clone(),
        })
        .collect()
}

pub fn run(args: ScanArgs) -> Result<u8> {
    let started = Instant::now();
    let (policy, _) = Policy::discover(args.config.as_deref())?;
    let out = Output::new(&args.out, policy.scan.fail_on.as_deref())?;
    let scanner = scanner_for(&policy)?;
    let wanted = reported_contexts(&policy, args.context.as_deref())?;
    let opts = scan_options(
        &policy,
        args.no_ignore,
        args.threads,
        args.max_file_size.as_deref(),
    )?;
    let (stdin, paths): (Vec<_>, Vec<_>) = args.paths.iter().cloned().partition(|p| p == "-");
    keyward_scan::source::check_paths(&paths)?;

    let stats = Arc::new(ScanStats::default());
    let findings = Mutex::new(Vec::<Finding>::new());
    if !stdin.is_empty() {
        let found = keyward_scan::source::scan_stdin(&scanner, &opts, &stats)?;
        findings.lock().expect("findings lock").extend(found);
    }
    let git_run = super::gitscan::collect(&args, &scanner, &opts, &stats)?;
    if !paths.is_empty() && git_run.is_none() {
        let progress = Progress::start(stats.clone(), progress::enabled(args.no_progress));
        let sink = |found: Vec<Finding>| findings.lock().expect("findings lock").extend(found);
        keyward_scan::source::scan_paths(&scanner, &paths, &opts, &stats, &sink)?;
        progress.finish();
    }
    let mut findings = findings.into_inner().expect("findings lock");
    let mut extra_notes = Vec::new();
    if let Some(run) = git_run {
        findings.extend(run.findings);
        extra_notes.extend(run.notes);
    }
    if let Some(wanted) = &wanted {
        findings.retain(|f| wanted.contains(&f.context));
    }
    super::post::apply(&policy, &args.git, &mut findings, &mut extra_notes)?;
    findings.sort_by(|a, b| {
        (&a.location.path, a.location.line, a.location.column).cmp(&(
            &b.location.path,
            b.location.line,
            b.location.column,
        ))
    });

    let mut summary = summarize(&stats, started, opts.max_file_size);
    summary.notes.extend(extra_notes);
    let rules = rule_meta(&scanner);
    let code = out.report(&findings, &summary, &rules)?;
    Ok(incomplete_exit(&summary, args.allow_skipped).unwrap_or(code))
}

/// A scan that missed content is never a silent success: exit 2 when an input failed (a
/// bug in keyward), or was too large or unreadable unless `--allow-skipped`.
pub fn incomplete_exit(summary: &Summary, allow_skipped: bool) -> Option<u8> {
    if summary.failed > 0 {
        eprintln!(
            "keyward: error: {} input(s) could not be scanned because of an internal error (see above); the scan is incomplete",
            summary.failed
        );
        return Some(super::EXIT_ERROR);
    }
    let missed = summary.skipped_large + summary.unreadable;
    if missed > 0 && !allow_skipped {
        eprintln!(
            "keyward: error: {missed} input(s) were not scanned (too large or unreadable); the scan is incomplete (pass --allow-skipped to accept that)"
        );
        return Some(super::EXIT_ERROR);
    }
    None
}

/// Turn the workers' counters into a summary, printing a warning per unreadable file.
fn summarize(stats: &ScanStats, started: Instant, max_size: u64) -> Summary {
    let skipped = stats.skipped.lock().expect("stats lock");
    let mut summary = Summary {
        files: stats.files.load(Ordering::Relaxed),
        bytes: stats.bytes.load(Ordering::Relaxed),
        suppressed: stats.suppressed.load(Ordering::Relaxed),
        duration_ms: started.elapsed().as_millis() as u64,
        ..Summary::default()
    };
    let esc = keyward_core::escape::escape_control;
    for s in skipped.iter() {
        match s {
            Skipped::Binary(_) => summary.skipped_binary += 1,
            Skipped::TooLarge(..) => summary.skipped_large += 1,
            Skipped::Unreadable(path, why) => {
                summary.unreadable += 1;
                eprintln!("keyward: warning: {}: {why}", esc(path));
            }
            Skipped::Special(path, what) => {
                summary.skipped_special += 1;
                summary
                    .notes
                    .push(format!("{} skipped: {what}, not a regular file", esc(path)));
            }
            Skipped::Failed(path) => {
                summary.failed += 1;
                eprintln!(
                    "keyward: error: {}: scanning failed on an internal error; other inputs were scanned",
                    esc(path)
                );
            }
        }
    }
    if summary.skipped_large > 0 {
        summary.notes.push(format!(
            "{} file(s) larger than {} were skipped (raise --max-file-size to scan them)",
            summary.skipped_large,
            crate::output::flag_size(max_size)
        ));
    }
    summary
}
