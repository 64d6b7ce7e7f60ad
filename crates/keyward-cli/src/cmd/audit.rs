//! `keyward audit log|verify`: reading and checking the hash-chained audit log. Neither
//! needs the master key, so an auditor can run them with read access to the database;
//! with the master key, `verify` also checks the MACs over the audit head, its checkpoints
//! and every secret's head, which is what detects a truncated log or an edited secret.

use super::store::{location, master_key, open_backend};
use super::{EXIT_FINDINGS, EXIT_OK};
use crate::cli::{AuditCommand, StoreOpts};
use anyhow::{bail, Result};
use keyward_store::{audit, clock, AuditFilter, IntegrityReport, Store};

/// Run `keyward audit …`.
pub fn run(cmd: AuditCommand) -> Result<u8> {
    match cmd {
        AuditCommand::Log {
            path,
            since,
            format,
            opts,
        } => {
            if !matches!(format.as_str(), "human" | "json") {
                bail!("unknown format `{format}` (human or json)");
            }
            // A bare environment name (`--path prod`) means everything under it: paths are
            // always ENV/NAME, so it could never match one exactly.
            let path = path.map(|p| if p.contains('/') { p } else { format!("{p}/") });
            let filter = AuditFilter {
                path,
                since: since.as_deref().map(clock::parse_since).transpose()?,
            };
            let mut backend = open_backend(&opts)?;
            let entries = audit::entries(backend.as_mut(), &filter)?;
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&entries)?);
                return Ok(EXIT_OK);
            }
            // Every field may hold text from outside (a user name, a reason, a path):
            // escaped, so a newline in one cannot forge an entry.
            let esc = keyward_core::escape::escape_control;
            let mut out = String::new();
            for e in &entries {
                let mut line = format!(
                    "{:>6}  {}  {:<12} {:<14} {}",
                    e.seq,
                    esc(&e.time),
                    esc(&e.actor),
                    esc(&e.action),
                    esc(&e.outcome)
                );
                if let Some(p) = &e.path {
                    line.push_str(&format!("  {}", esc(p)));
                }
                if let Some(v) = e.version {
                    line.push_str(&format!(" v{v}"));
                }
                if let Some(r) = &e.remote {
                    line.push_str(&format!("  from {}", esc(r)));
                }
                if let Some(d) = &e.detail {
                    line.push_str(&format!("  ({})", esc(d)));
                }
                out.push_str(&line);
                out.push('\n');
            }
            crate::output::print_stdout(&out)?;
            Ok(EXIT_OK)
        }
        AuditCommand::Verify { format, opts } => {
            if !matches!(format.as_str(), "human" | "json") {
                bail!("unknown format `{format}` (human or json)");
            }
            if has_master_key(&opts) {
                return verify_keyed(&opts, &format);
            }
            let mut backend = open_backend(&opts)?;
            let report = audit::verify(backend.as_mut())?;
            if format == "json" {
                let mut doc = serde_json::to_value(&report)?;
                doc["keyed"] = serde_json::Value::Bool(false);
                println!("{}", serde_json::to_string_pretty(&doc)?);
            } else {
                print_chain(&report);
            }
            eprintln!("keyward: note: without the master key only the hash chain was checked; the audit head MAC, its checkpoints and the secrets' heads were not (set KEYWARD_MASTER_KEY or pass --master-key-file)");
            Ok(if report.ok() { EXIT_OK } else { EXIT_FINDINGS })
        }
    }
}

/// Whether a master key was given (a given but unreadable or wrong one is an error later).
fn has_master_key(opts: &StoreOpts) -> bool {
    opts.master_key_file.is_some() || std::env::var_os("KEYWARD_MASTER_KEY").is_some()
}

fn print_chain(report: &keyward_store::VerifyReport) {
    match (report.first_broken, &report.reason) {
        (Some(n), reason) => println!(
            "audit chain broken at entry {n}: {}",
            reason.as_deref().unwrap_or("")
        ),
        (None, _) => println!(
            "audit chain intact: {} entries, head {}",
            report.entries, report.head_hash
        ),
    }
}

/// `audit verify` with the master key: the chain, its MACs and every secret head.
fn verify_keyed(opts: &StoreOpts, format: &str) -> Result<u8> {
    let kek = master_key(opts)?;
    let mut store = Store::open_read_only(location(opts).open(false)?, kek)?;
    let report: IntegrityReport = store.verify()?;
    if format == "json" {
        let mut doc = serde_json::to_value(&report.chain)?;
        doc["keyed"] = serde_json::Value::Bool(true);
        doc["upgraded"] = report.upgraded.into();
        doc["checkpoints"] = report.audit_macs.checkpoints.into();
        doc["secrets"] = report.secrets.into();
        let problems: Vec<&String> = report
            .audit_macs
            .problems
            .iter()
            .chain(&report.problems)
            .collect();
        doc["problems"] = serde_json::to_value(problems)?;
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print_chain(&report.chain);
        for p in report.audit_macs.problems.iter().chain(&report.problems) {
            println!("integrity: {p}");
        }
        if !report.upgraded {
            println!("not yet authenticated: this store was written by an earlier keyward; any command run with the master key upgrades it (MACs its heads, logged as integrity.upgrade)");
        } else if report.ok() {
            println!(
                "MACs verified: the audit head, {} checkpoints and {} secret heads",
                report.audit_macs.checkpoints, report.secrets
            );
        }
    }
    Ok(if report.ok() { EXIT_OK } else { EXIT_FINDINGS })
}
