//! One `keyward deps` run: find lockfiles, read them (a malformed one is recorded and the
//! others still read), open the database for the ecosystems found, match, and apply the
//! accepted-advisory entries. The CLI renders the result; nothing here prints.

use crate::db::meta::describe_age;
use crate::db::Database;
use crate::error::DepsError;
use crate::ignore::Ignores;
use crate::lockfile::{self, LockfileKind};
use crate::matcher::{audit, VulnerablePackage};
use crate::package::{Ecosystem, Package};
use crate::walk::{discover, Found, WalkOptions};
use keyward_core::policy::DepsIgnore;
use keyward_scan::post::date::Day;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::time::{Duration, SystemTime};

/// Default `[deps] max_db_age_days`.
pub const DEFAULT_MAX_DB_AGE_DAYS: u32 = 7;

/// What to check.
#[derive(Debug, Default)]
pub struct Options {
    /// Files and directories.
    pub paths: Vec<PathBuf>,
    /// A lockfile read from stdin: its format and text.
    pub stdin: Option<(LockfileKind, String)>,
    /// How directories are walked.
    pub walk: WalkOptions,
    /// The database directory.
    pub db_dir: PathBuf,
    /// Warn when the database is older than this.
    pub max_db_age_days: u32,
    /// `[[deps.ignore]]`.
    pub ignores: Vec<DepsIgnore>,
    /// Today (expiry of ignores).
    pub today: Day,
}

/// What a run found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Vulnerable packages, sorted by lockfile, line and name.
    pub found: Vec<VulnerablePackage>,
    /// The lockfiles read (as shown).
    pub lockfiles: Vec<String>,
    /// Packages read (after de-duplication).
    pub packages: usize,
    /// Packages without a pinned version (not matched).
    pub unpinned: usize,
    /// Lockfiles that could not be read, each a one-line error.
    pub errors: Vec<DepsError>,
    /// Advisory matches suppressed by `[[deps.ignore]]`.
    pub suppressed: usize,
    /// Warnings for stderr (expired ignores, a stale database).
    pub warnings: Vec<String>,
    /// Notes for the report summary.
    pub notes: Vec<String>,
    /// When the database was last updated (RFC 3339), if known.
    pub db_updated: Option<String>,
    /// Advisories in the loaded indexes.
    pub advisories: usize,
}

/// Run the audit described by `opts`.
pub fn run(opts: &Options) -> Result<Outcome, DepsError> {
    let mut out = Outcome::default();
    let mut packages: Vec<Package> = Vec::new();
    if let Some((kind, text)) = &opts.stdin {
        out.lockfiles.push("-".into());
        match lockfile::parse(*kind, "-", text) {
            Ok(p) => packages.extend(p),
            Err(e) => out.errors.push(e),
        }
    }
    let found = if opts.paths.is_empty() {
        Vec::new()
    } else {
        discover(&opts.paths, &opts.walk)?
    };
    out.lockfiles.extend(found.iter().map(|f| f.shown.clone()));
    if out.lockfiles.is_empty() {
        out.notes.push("no lockfiles found".into());
        return Ok(out);
    }
    // The ecosystems are known from the file names: the database opens on one thread
    // while the lockfiles are parsed on the others.
    let mut ecosystems: Vec<Ecosystem> = found.iter().map(|f| f.kind.ecosystem()).collect();
    ecosystems.extend(opts.stdin.iter().map(|(k, _)| k.ecosystem()));
    ecosystems.sort();
    ecosystems.dedup();
    let (db, parsed) = std::thread::scope(|s| {
        let db = s.spawn(|| Database::open(&opts.db_dir, &ecosystems));
        let parsed = read_all(&found);
        (db.join().expect("database thread"), parsed)
    });
    for r in parsed {
        match r {
            Ok(p) => packages.extend(p),
            Err(e) => out.errors.push(e),
        }
    }
    packages.sort();
    packages.dedup();
    out.packages = packages.len();
    out.unpinned = packages.iter().filter(|p| p.version.is_none()).count();
    let db = db?;
    for eco in &ecosystems {
        if db.index(*eco).is_none() {
            out.warnings.push(format!(
                "the database in {} has no {eco} advisories: {eco} packages were not checked (run `keyward deps db update`)",
                opts.db_dir.display()
            ));
        }
    }
    stale_warning(&db, opts, &mut out);
    out.advisories = db.indexes.iter().map(|i| i.advisories.len()).sum();
    let ignores = Ignores::new(&opts.ignores, opts.today);
    out.warnings.extend(ignores.warnings.iter().cloned());
    let result = audit(&db, &packages, &|p, names| ignores.matches(p, names));
    out.suppressed = result.suppressed;
    out.found = result.found;
    out.found.sort_by(|a, b| {
        let (p, q) = (&a.package, &b.package);
        (&p.path, p.line, &p.name).cmp(&(&q.path, q.line, &q.name))
    });
    if out.suppressed > 0 {
        out.notes.push(format!(
            "{} advisory match(es) suppressed by [[deps.ignore]] entries",
            out.suppressed
        ));
    }
    for id in ignores.unused() {
        out.notes
            .push(format!("[[deps.ignore]] `{id}` matched nothing"));
    }
    if out.unpinned > 0 {
        out.notes.push(format!(
            "{} package(s) without a pinned version were not checked",
            out.unpinned
        ));
    }
    Ok(out)
}

/// Read every lockfile, in parallel (one worker per core), results in input order.
fn read_all(found: &[Found]) -> Vec<Result<Vec<Package>, DepsError>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, found.len().max(1));
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, Result<Vec<Package>, DepsError>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, AtomicOrdering::Relaxed);
                        let Some(f) = found.get(i) else { break };
                        mine.push((i, lockfile::read(f.kind, &f.path, &f.shown)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("lockfile worker"))
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

fn stale_warning(db: &Database, opts: &Options, out: &mut Outcome) {
    let Some(updated) = db.updated_at() else {
        return;
    };
    out.db_updated = Some(humantime::format_rfc3339_seconds(updated).to_string());
    let age = SystemTime::now()
        .duration_since(updated)
        .unwrap_or(Duration::ZERO);
    let max = Duration::from_secs(u64::from(opts.max_db_age_days) * 86_400);
    if age > max {
        out.warnings.push(format!(
            "the advisory database in {} is {} old (limit {} days, [deps] max_db_age_days); run `keyward deps db update`",
            opts.db_dir.display(),
            describe_age(age),
            opts.max_db_age_days
        ));
    }
}
