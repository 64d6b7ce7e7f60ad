//! `keyward revoke` and `keyward incident list|show`.
//!
//! `--finding FP` names the scan finding that exposed the secret. It is looked up in the
//! JSON report given with `--report` (`keyward scan --git -f json`: path, line, rule,
//! commit, author, date), else in `.keyward/baseline.json` (rule, path, commit; no date).

use super::rotate::open_both;
use super::store::open;
use super::{EXIT_FINDINGS, EXIT_OK};
use crate::cli::{IncidentCommand, RevokeArgs};
use anyhow::{bail, Context, Result};
use keyward_rotate::{incident, FindingRef, Outcome, RotateErrorKind, Rotator};
use keyward_store::SecretPath;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Find `fingerprint` in a scan JSON report (`findings[]`) or a baseline (`entries[]`).
fn find(file: &Path, fingerprint: &str) -> Result<FindingRef> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let doc: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let list = doc["findings"]
        .as_array()
        .or_else(|| doc["entries"].as_array());
    let Some(f) = list
        .into_iter()
        .flatten()
        .find(|f| f["fingerprint"] == fingerprint)
    else {
        bail!("finding {fingerprint} is not in {}", file.display());
    };
    let s = |k: &str| f[k].as_str().map(str::to_string);
    Ok(FindingRef {
        fingerprint: fingerprint.to_string(),
        rule: s("rule"),
        file: s("path"),
        line: f["line"].as_u64(),
        commit: s("commit"),
        author: s("author"),
        date: s("date"),
        matches_revoked_value: None,
    })
}

/// Run `keyward revoke`.
pub fn revoke(args: RevokeArgs) -> Result<u8> {
    if !matches!(args.format.as_str(), "human" | "json") {
        bail!("unknown format `{}` (human or json)", args.format);
    }
    if args.reason.trim().is_empty() {
        bail!("--reason must say why the secret is revoked");
    }
    let path: SecretPath = args.path.parse()?;
    let finding = match &args.finding {
        None => None,
        Some(fp) => {
            let file = args
                .report
                .clone()
                .unwrap_or_else(|| PathBuf::from(".keyward/baseline.json"));
            Some(find(&file, fp)?)
        }
    };
    let (mut store, policy) = open_both(&args.opts)?;
    let mut rot = Rotator::new(&mut store, &policy);
    let (incident, outcome) = match rot.revoke(&path, args.version, &args.reason, finding) {
        Ok(r) => r,
        // Before the incident opens (unknown secret or version, bad config): a usage error.
        Err(e)
            if !matches!(
                e.kind(),
                RotateErrorKind::Target | RotateErrorKind::TestFailed
            ) =>
        {
            return Err(e.into())
        }
        Err(e) => {
            eprintln!("keyward: revocation of {path} failed: {e}");
            eprintln!("keyward: the incident stays open; fix the cause and run `keyward rotate {path}` to resume");
            return Ok(EXIT_FINDINGS);
        }
    };
    if args.format == "json" {
        println!("{}", serde_json::to_string_pretty(&incident)?);
    }
    eprintln!(
        "keyward: {path} version {} revoked; incident {}",
        incident.version, incident.id
    );
    if let Outcome::AwaitingConfirm { steps } = &outcome {
        eprintln!("keyward: replace it by hand, then run `keyward rotate confirm {path}`:");
        for (i, s) in steps.iter().enumerate() {
            eprintln!("  {}. {}", i + 1, s.replace("ENV/NAME", &path.to_string()));
        }
    }
    Ok(EXIT_OK)
}

/// Run `keyward incident …`.
pub fn incident(cmd: IncidentCommand) -> Result<u8> {
    match cmd {
        IncidentCommand::List { format, opts } => {
            let mut store = open(&opts)?;
            let list = incident::list(&mut store)?;
            match format.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&list)?),
                "human" => {
                    let esc = keyward_core::escape::escape_control;
                    for i in &list {
                        println!(
                            "{}  {}  v{}  opened {}  {}  {}",
                            esc(&i.id),
                            esc(&i.path),
                            i.version,
                            i.opened_at,
                            if i.closed_at.is_some() {
                                "closed"
                            } else {
                                "OPEN"
                            },
                            esc(&i.reason)
                        );
                    }
                    if list.is_empty() {
                        println!("no incidents");
                    }
                }
                other => bail!("unknown format `{other}` (human or json)"),
            }
            Ok(EXIT_OK)
        }
        IncidentCommand::Show { id, format, opts } => {
            if !matches!(format.as_str(), "md" | "json") {
                bail!("unknown format `{format}` (md or json)");
            }
            let mut store = open(&opts)?;
            let Some(report) = incident::report(&mut store, &id)? else {
                bail!("no incident {id} (see `keyward incident list`)");
            };
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.to_markdown());
            }
            Ok(EXIT_OK)
        }
    }
}
