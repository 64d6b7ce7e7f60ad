//! `keyward deps` and `keyward deps db update|status`: a thin layer over keyward-deps.

use crate::cli::{DbCommand, DbDirArg, DepsArgs, DepsCommand};
use crate::output::Output;
use anyhow::{bail, Context, Result};
use keyward_core::policy::Policy;
use keyward_core::Severity;
use keyward_deps::db::{self, status::Status, update};
use keyward_deps::run::{self, Options, DEFAULT_MAX_DB_AGE_DAYS};
use keyward_deps::walk::WalkOptions;
use keyward_deps::{Ecosystem, LockfileKind};
use keyward_report::deps::{DepsReport, DepsSummary};
use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

pub fn run(args: DepsArgs) -> Result<u8> {
    match args.command {
        Some(DepsCommand::Db(cmd)) => db_command(cmd),
        None => check(args),
    }
}

fn db_dir(arg: &DbDirArg) -> Result<PathBuf> {
    match &arg.dir {
        Some(d) => Ok(d.clone()),
        None => db::default_dir()
            .context("no user cache directory (HOME unset): pass --db DIR or set KEYWARD_DEPS_DB"),
    }
}

fn check(args: DepsArgs) -> Result<u8> {
    let started = Instant::now();
    let (policy, _) = Policy::discover(args.config.as_deref())?;
    let out = Output::new(&args.out, policy.deps.fail_on.as_deref())?;
    let (stdin, paths): (Vec<_>, Vec<_>) = args.paths.iter().cloned().partition(|p| p == "-");
    let stdin = if stdin.is_empty() {
        None
    } else {
        let mut text = String::new();
        std::io::stdin()
            .lock()
            .read_to_string(&mut text)
            .context("cannot read the lockfile from stdin")?;
        let kind = match &args.stdin_name {
            Some(n) => LockfileKind::detect(n).with_context(|| {
                format!(
                    "--stdin-name {n}: not a lockfile name keyward reads ({})",
                    keyward_deps::walk::supported_names()
                )
            })?,
            None => keyward_deps::lockfile::sniff(&text),
        };
        Some((kind, text))
    };
    let opts = Options {
        paths,
        stdin,
        walk: WalkOptions {
            no_ignore: args.no_ignore,
            exclude: policy.scan.exclude.clone(),
        },
        db_dir: db_dir(&args.db)?,
        max_db_age_days: policy
            .deps
            .max_db_age_days
            .unwrap_or(DEFAULT_MAX_DB_AGE_DAYS),
        ignores: policy.deps.ignore.clone(),
        today: keyward_scan::post::date::today(),
    };
    let outcome = run::run(&opts)?;
    for w in &outcome.warnings {
        eprintln!("keyward: warning: {w}");
    }
    let summary = DepsSummary {
        lockfiles: outcome.lockfiles.len(),
        packages: outcome.packages,
        unpinned: outcome.unpinned,
        suppressed: outcome.suppressed,
        advisories: outcome.advisories,
        database_updated: outcome.db_updated.clone(),
        duration_ms: started.elapsed().as_millis() as u64,
        errors: outcome.errors.iter().map(|e| e.to_string()).collect(),
        notes: outcome.notes.clone(),
    };
    let report = DepsReport {
        found: &outcome.found,
        summary: &summary,
        color: out.color,
    };
    out.write(&report.render(out.format))?;
    if !outcome.errors.is_empty() {
        for e in &summary.errors {
            eprintln!("keyward: error: {e}");
        }
        return Ok(super::EXIT_ERROR);
    }
    Ok(exit_code(&outcome.found, out.fail_on))
}

fn exit_code(found: &[keyward_deps::VulnerablePackage], fail_on: Severity) -> u8 {
    if found.iter().any(|v| v.severity >= fail_on) {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_OK
    }
}

fn db_command(cmd: DbCommand) -> Result<u8> {
    match cmd {
        DbCommand::Update { url, ecosystem, db } => {
            let dir = db_dir(&db)?;
            let ecosystems = if ecosystem.is_empty() {
                Ecosystem::ALL.to_vec()
            } else {
                ecosystem
                    .iter()
                    .map(|e| {
                        Ecosystem::parse(e).with_context(|| {
                            format!("unknown ecosystem `{e}` (expected npm, PyPI or crates.io)")
                        })
                    })
                    .collect::<Result<Vec<_>>>()?
            };
            let base = url.as_deref().unwrap_or(update::DEFAULT_BASE_URL);
            let meta = update::update(&dir, base, &ecosystems)?;
            println!(
                "updated {} from {} at {}",
                dir.display(),
                meta.source,
                meta.updated
            );
            for eco in &ecosystems {
                if let Some(e) = meta.ecosystems.get(eco.as_str()) {
                    println!(
                        "  {:<10} {:>6} advisories ({} withdrawn), {}",
                        eco.as_str(),
                        e.records,
                        e.withdrawn,
                        keyward_report::human::human_bytes(e.bytes)
                    );
                }
            }
            Ok(super::EXIT_OK)
        }
        DbCommand::Status { db, format, config } => {
            let (policy, _) = Policy::discover(config.as_deref())?;
            let max = policy
                .deps
                .max_db_age_days
                .unwrap_or(DEFAULT_MAX_DB_AGE_DAYS);
            let status = db::status::status(&db_dir(&db)?, max)?;
            match format.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&status)?),
                "human" | "text" => print!("{}", human_status(&status, max)),
                other => bail!("unknown format `{other}` (expected human or json)"),
            }
            Ok(super::EXIT_OK)
        }
    }
}

fn human_status(s: &Status, max_days: u32) -> String {
    let mut out = format!("database  {}\n", s.dir);
    match (&s.updated, s.recorded) {
        (Some(u), true) => out.push_str(&format!(
            "updated   {u} ({} ago) from {}\n",
            s.age().unwrap_or_default(),
            s.source.as_deref().unwrap_or("?")
        )),
        (Some(u), false) => out.push_str(&format!(
            "updated   not recorded (not from `keyward deps db update`); newest zip {u} ({} ago)\n",
            s.age().unwrap_or_default()
        )),
        (None, _) => out.push_str("updated   unknown\n"),
    }
    for e in &s.ecosystems {
        out.push_str(&format!(
            "{:<10}{:>6} advisories ({} withdrawn) for {} packages, {}\n",
            e.ecosystem.as_str(),
            e.records,
            e.withdrawn,
            e.packages,
            keyward_report::human::human_bytes(e.zip_bytes)
        ));
    }
    if s.stale {
        out.push_str(&format!(
            "stale     older than {max_days} days: run `keyward deps db update`\n"
        ));
    }
    out
}
