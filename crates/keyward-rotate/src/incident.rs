//! Incident reports: what was revoked, when that version was created, the exposure start
//! (the introducing commit of the scan finding), every audit-log read of the version and
//! each action taken, with time and outcome. Reads and actions come from the audit log.

use crate::error::Result;
use crate::state::{IncidentRecord, RotationState};
use keyward_store::{AuditEntry, AuditFilter, Store};
use serde::Serialize;

/// A full incident report.
#[derive(Clone, Debug, Serialize)]
pub struct IncidentReport {
    /// The recorded incident.
    #[serde(flatten)]
    pub incident: IncidentRecord,
    /// When exposure started: the finding's commit date, else the version's creation.
    pub exposure_start: Option<String>,
    /// Where the exposure start comes from (`commit <sha>` or `version created`).
    pub exposure_source: String,
    /// Every access to the revoked version's value (read, export, run), oldest first.
    pub reads: Vec<AuditLine>,
    /// Rotation and revocation actions since the incident opened.
    pub actions: Vec<AuditLine>,
}

/// An audit entry as shown in a report (no value HMACs).
#[derive(Clone, Debug, Serialize)]
pub struct AuditLine {
    /// Sequence number in the audit log.
    pub seq: u64,
    /// Time.
    pub time: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Version concerned.
    pub version: Option<u64>,
    /// Outcome.
    pub outcome: String,
    /// Detail (never a value).
    pub detail: Option<String>,
}

impl From<&AuditEntry> for AuditLine {
    fn from(e: &AuditEntry) -> Self {
        AuditLine {
            seq: e.seq,
            time: e.time.clone(),
            actor: e.actor.clone(),
            action: e.action.clone(),
            version: e.version,
            outcome: e.outcome.clone(),
            detail: e.detail.clone(),
        }
    }
}

/// Every incident in the store, oldest first.
pub fn list(store: &mut Store) -> Result<Vec<IncidentRecord>> {
    let mut out: Vec<IncidentRecord> = Vec::new();
    for m in store.list("", true)? {
        out.extend(RotationState::of(&m)?.incidents);
    }
    out.sort_by(|a, b| a.opened_at.cmp(&b.opened_at));
    Ok(out)
}

/// The store audit actions that reveal a secret's value (what "read" means in an incident
/// report and in "last read").
pub const READS: &[&str] = &["read", "export", "run"];

/// The report of incident `id`; `None` when there is none.
pub fn report(store: &mut Store, id: &str) -> Result<Option<IncidentReport>> {
    let Some(incident) = list(store)?
        .into_iter()
        .find(|i| i.id.eq_ignore_ascii_case(id))
    else {
        return Ok(None);
    };
    let entries = store.audit_log(&AuditFilter {
        path: Some(incident.path.clone()),
        since: None,
    })?;
    let reads = entries
        .iter()
        .filter(|e| e.version == Some(incident.version) && READS.contains(&e.action.as_str()))
        .map(AuditLine::from)
        .collect();
    let actions = entries
        .iter()
        .filter(|e| {
            e.time >= incident.opened_at
                && !READS.contains(&e.action.as_str())
                && e.action != "update_meta"
        })
        .map(AuditLine::from)
        .collect();
    let (exposure_start, exposure_source) = match incident
        .finding
        .as_ref()
        .and_then(|f| f.date.clone().map(|d| (d, f)))
    {
        Some((date, f)) => (
            Some(date),
            format!("commit {}", f.commit.clone().unwrap_or_default()),
        ),
        None => (
            incident.version_created_at.clone(),
            "version created (no finding given)".into(),
        ),
    };
    Ok(Some(IncidentReport {
        incident,
        exposure_start,
        exposure_source,
        reads,
        actions,
    }))
}

impl IncidentReport {
    /// The post-incident report in Markdown.
    pub fn to_markdown(&self) -> String {
        // Every field that came from outside (reason, actor, paths, commit metadata) is
        // escaped: a newline in a reason must not add lines to the report.
        let i = &self.incident;
        let opt = |o: &Option<String>| o.as_deref().map_or_else(|| "—".into(), md);
        let mut s = format!("# Incident {}\n\n", md(&i.id));
        s += &format!("- **Revoked**: {} version {}\n", md(&i.path), i.version);
        s += &format!("- **Reason**: {}\n", md(&i.reason));
        s += &format!(
            "- **Revoked by**: {} at {}\n",
            md(&i.actor),
            md(&i.opened_at)
        );
        s += &format!("- **Version created**: {}\n", opt(&i.version_created_at));
        s += &format!(
            "- **Exposure start**: {} ({})\n",
            opt(&self.exposure_start),
            md(&self.exposure_source)
        );
        s += &format!("- **Closed**: {}\n", opt(&i.closed_at));
        if let Some(f) = &i.finding {
            s += "\n## Finding\n\n";
            s += &format!("- Fingerprint: `{}`\n", f.fingerprint.replace('`', "'"));
            s += &format!("- Rule: {}\n", opt(&f.rule));
            s += &format!(
                "- Location: {}:{}\n",
                opt(&f.file),
                f.line.map_or("—".into(), |l| l.to_string())
            );
            s += &format!(
                "- Introduced by commit {} ({}, {})\n",
                opt(&f.commit),
                opt(&f.author),
                opt(&f.date)
            );
            if let Some(m) = f.matches_revoked_value {
                s += &format!(
                    "- Fingerprint matches the revoked value: {}\n",
                    if m { "yes" } else { "no" }
                );
            }
        }
        s += &format!(
            "\n## Reads of version {} ({})\n\n",
            i.version,
            self.reads.len()
        );
        s += &table(&self.reads);
        s += &format!("\n## Actions ({})\n\n", self.actions.len());
        s += &table(&self.actions);
        s
    }
}

/// Escape untrusted text for the Markdown report.
fn md(text: &str) -> String {
    keyward_core::escape::escape_markdown(text)
}

fn table(lines: &[AuditLine]) -> String {
    if lines.is_empty() {
        return "None recorded.\n".into();
    }
    let mut s = "| # | time | actor | action | version | outcome | detail |\n|---|---|---|---|---|---|---|\n".to_string();
    for l in lines {
        s += &format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            l.seq,
            md(&l.time),
            md(&l.actor),
            md(&l.action),
            l.version.map_or(String::new(), |v| v.to_string()),
            md(&l.outcome),
            md(l.detail.as_deref().unwrap_or_default())
        );
    }
    s
}
