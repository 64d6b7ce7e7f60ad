//! `keyward checklist`, `keyward checklist sign` and `keyward security-md`: a thin layer
//! over keyward-checklist (open the store as far as the keys allow, render, exit codes).

use super::store::{location, master_key};
use super::{EXIT_FINDINGS, EXIT_OK};
use crate::cli::{ChecklistArgs, ChecklistCommand, EvidenceArgs, SecurityMdArgs};
use anyhow::{bail, Context, Result};
use keyward_checklist::{
    render, security_md, sign, Checklist, Evidence, Section, State, StoreAccess,
};
use keyward_core::policy::Policy;
use keyward_store::Store;
use std::io::Write;

/// The store as far as it can be opened: unsealed with a master key, the database alone
/// without one, or nothing (with why) when there is no store.
fn open_store(ev: &EvidenceArgs) -> Result<(Option<Store>, Option<String>)> {
    let loc = location(&ev.store);
    if let keyward_store::Location::Sqlite(p) = &loc {
        if !p.exists() {
            return Ok((None, Some(format!("no store at {}", p.display()))));
        }
    }
    let has_key =
        ev.store.master_key_file.is_some() || std::env::var_os("KEYWARD_MASTER_KEY").is_some();
    if !has_key {
        return Ok((None, None));
    }
    let store = Store::open(loc.open(false)?, master_key(&ev.store)?)?;
    Ok((Some(store), None))
}

/// Collect and evaluate; the store stays open for `sign`.
fn evaluate(ev: &EvidenceArgs) -> Result<(Checklist, Evidence, Policy, Option<Store>)> {
    let (policy, _) = match &ev.config {
        Some(c) => Policy::discover(Some(c))?,
        None => {
            let p = ev.root.join(keyward_core::policy::POLICY_FILE);
            Policy::discover(p.is_file().then_some(p.as_path()))?
        }
    };
    if !ev.root.is_dir() {
        bail!("{}: not a directory", ev.root.display());
    }
    let (mut store, why) = open_store(ev)?;
    let access = match (&mut store, why) {
        (Some(s), _) => StoreAccess::Unsealed(s),
        (None, Some(why)) => StoreAccess::None(why),
        (None, None) => StoreAccess::Backend(location(&ev.store).open(false)?),
    };
    let osv_db = ev
        .db
        .dir
        .clone()
        .or_else(|| keyward_deps::db::default_dir().filter(|d| d.is_dir()));
    let inputs = keyward_checklist::Inputs {
        root: ev.root.clone(),
        policy: &policy,
        store: access,
        osv_db,
        tls_endpoints: ev.tls_endpoint.clone(),
        sarif: ev.sarif.clone(),
        now: keyward_rotate::clock::now(),
    };
    let (checklist, evidence) = keyward_checklist::run(inputs)?;
    Ok((checklist, evidence, policy, store))
}

fn write_out(output: Option<&std::path::Path>, text: &str) -> Result<()> {
    match output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("cannot write to stdout"),
            }
        }
    }
}

/// Exit 1 when a pre-deployment item failed (or, with `strict`, is unproven).
fn exit_code(c: &Checklist, strict: bool) -> u8 {
    let unproven = strict
        && c.section(Section::PreDeployment)
            .any(|i| i.state == State::Unproven);
    if c.blocked || unproven {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// Run `keyward checklist …`.
pub fn run(args: ChecklistArgs) -> Result<u8> {
    if let Some(ChecklistCommand::Sign {
        by,
        accept_failures,
        evidence,
    }) = args.command
    {
        return sign_off(&by, accept_failures, &evidence);
    }
    let render: fn(&Checklist) -> String = match args.format.as_str() {
        "human" | "text" => render::human,
        "markdown" | "md" => render::markdown,
        "html" => render::html,
        "json" => render::json,
        other => bail!("unknown format `{other}` (expected human, markdown, html or json)"),
    };
    let (c, _, _, _) = evaluate(&args.evidence)?;
    write_out(args.output.as_deref(), &render(&c))?;
    Ok(exit_code(&c, args.evidence.store.strict_key_file))
}

fn sign_off(by: &str, accept_failures: bool, ev: &EvidenceArgs) -> Result<u8> {
    if by.trim().is_empty() {
        bail!("--by must name the person signing off");
    }
    let (c, _, _, store) = evaluate(ev)?;
    let Some(mut store) = store else {
        bail!("signing needs the store and its master key (set KEYWARD_MASTER_KEY or pass --master-key-file)");
    };
    if c.blocked && !accept_failures {
        let failed: Vec<&str> = c
            .section(Section::PreDeployment)
            .filter(|i| i.state == State::Failed)
            .map(|i| i.id.as_str())
            .collect();
        eprintln!(
            "keyward: not signed: pre-deployment item(s) failed: {} (`keyward checklist` says why; --accept-failures records the sign-off anyway)",
            failed.join(", ")
        );
        return Ok(EXIT_FINDINGS);
    }
    let seq = sign::sign(&mut store, &c, by)?;
    println!(
        "signed by {} for {}: audit entry {seq}, checklist digest {}",
        by.trim(),
        c.environment,
        c.digest
    );
    let n = &c.counts;
    println!(
        "{} proven, {} attested, {} failed, {} unproven, {} skipped",
        n.proven, n.attested, n.failed, n.unproven, n.skipped
    );
    Ok(EXIT_OK)
}

/// Run `keyward security-md`.
pub fn security_md(args: SecurityMdArgs) -> Result<u8> {
    let path = args
        .output
        .clone()
        .unwrap_or_else(|| args.evidence.root.join("SECURITY.md"));
    let existing = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let (c, evidence, policy, _) = evaluate(&args.evidence)?;
    let sections = security_md::sections(&c, &evidence, &policy);
    let doc = security_md::update(existing.as_deref(), &sections).map_err(|e| {
        anyhow::anyhow!(e
            .to_string()
            .replacen("SECURITY.md", &path.display().to_string(), 1))
    })?;
    let changed = existing.as_deref() != Some(doc.as_str());
    if args.check {
        if changed {
            println!(
                "{} is out of date: run `keyward security-md`",
                path.display()
            );
            return Ok(EXIT_FINDINGS);
        }
        println!("{} is up to date", path.display());
        return Ok(EXIT_OK);
    }
    if changed {
        write_replacing(&path, &doc)?;
    }
    let names: Vec<&str> = sections.iter().map(|s| s.name).collect();
    println!(
        "{} {}: sections {}",
        if !changed {
            "unchanged"
        } else if existing.is_some() {
            "updated"
        } else {
            "wrote"
        },
        path.display(),
        names.join(", ")
    );
    Ok(EXIT_OK)
}

/// Write `text` to a temporary file beside `path`, then rename it over `path`, so a
/// failed write never leaves a half-written SECURITY.md.
fn write_replacing(path: &std::path::Path, text: &str) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(format!(
        ".{}.keyward-tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("SECURITY.md")
    ));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))
}
