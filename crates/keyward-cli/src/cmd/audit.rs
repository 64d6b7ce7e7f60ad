//! `keyward audit log|verify`: reading and checking the hash-chained audit log. Neither
//! needs the master key, so an auditor can run them with read access to the database.

use super::store::open_backend;
use super::{EXIT_FINDINGS, EXIT_OK};
use crate::cli::AuditCommand;
use anyhow::{bail, Result};
use keyward_store::{audit, clock, AuditFilter};

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
            for e in &entries {
                let mut line = format!(
                    "{:>6}  {}  {:<12} {:<14} {}",
                    e.seq, e.time, e.actor, e.action, e.outcome
                );
                if let Some(p) = &e.path {
                    line.push_str(&format!("  {p}"));
                }
                if let Some(v) = e.version {
                    line.push_str(&format!(" v{v}"));
                }
                if let Some(r) = &e.remote {
                    line.push_str(&format!("  from {r}"));
                }
                if let Some(d) = &e.detail {
                    line.push_str(&format!("  ({d})"));
                }
                println!("{line}");
            }
            Ok(EXIT_OK)
        }
        AuditCommand::Verify { format, opts } => {
            let mut backend = open_backend(&opts)?;
            let report = audit::verify(backend.as_mut())?;
            match format.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&report)?),
                "human" => match (report.first_broken, &report.reason) {
                    (Some(n), reason) => println!(
                        "audit chain broken at entry {n}: {}",
                        reason.as_deref().unwrap_or("")
                    ),
                    (None, _) => println!(
                        "audit chain intact: {} entries, head {}",
                        report.entries, report.head_hash
                    ),
                },
                other => bail!("unknown format `{other}` (human or json)"),
            }
            Ok(if report.ok() { EXIT_OK } else { EXIT_FINDINGS })
        }
    }
}
