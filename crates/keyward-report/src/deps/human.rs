//! Human output of `keyward deps`: per lockfile, each vulnerable package with its fix,
//! then its advisories; a closing summary.

use super::DepsReport;
use crate::human::{paint, severity_colour};
use keyward_deps::{AdvisoryKind, VulnerablePackage};
use std::fmt::Write;

/// Render the report.
pub fn render(r: &DepsReport<'_>) -> String {
    let mut out = String::new();
    let mut current: Option<&str> = None;
    for v in r.found {
        let path = v.package.path.as_str();
        if current != Some(path) {
            if current.is_some() {
                out.push('\n');
            }
            let _ = writeln!(out, "{}", paint(r.color, "1", path));
            current = Some(path);
        }
        package(r, v, &mut out);
    }
    if !r.found.is_empty() {
        out.push('\n');
    }
    summary(r, &mut out);
    out
}

fn package(r: &DepsReport<'_>, v: &VulnerablePackage, out: &mut String) {
    let p = &v.package;
    let sev = paint(
        r.color,
        severity_colour(v.severity),
        &format!("{:<8}", v.severity.as_str()),
    );
    let fix = match &v.fixed_version {
        Some(f) => format!("upgrade to {f}"),
        None => "no fixed version".to_string(),
    };
    let _ = writeln!(
        out,
        "  {:<7}{sev} {} {} ({}){}  {fix}",
        p.line,
        p.name,
        p.version.as_deref().unwrap_or("?"),
        p.ecosystem,
        if p.dev { " dev" } else { "" },
    );
    for a in &v.advisories {
        let aliases = if a.aliases.is_empty() {
            String::new()
        } else {
            format!(" ({})", a.aliases.join(", "))
        };
        let kind = if a.kind == AdvisoryKind::Vulnerability {
            String::new()
        } else {
            format!(" [{}]", a.kind.as_str())
        };
        let score = a.score.map(|s| format!(" {s:.1}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "         {}{score} {}{aliases}{kind}: {}",
            paint(r.color, severity_colour(a.severity), a.severity.as_str()),
            a.id,
            a.summary
        );
    }
}

fn summary(r: &DepsReport<'_>, out: &mut String) {
    let s = r.summary;
    let counts = r.counts_line();
    let _ = write!(
        out,
        "{} vulnerable package{}{} in {} lockfile{} ({} packages checked against {} advisories",
        r.found.len(),
        if r.found.len() == 1 { "" } else { "s" },
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({counts})")
        },
        s.lockfiles,
        if s.lockfiles == 1 { "" } else { "s" },
        s.packages - s.unpinned,
        s.advisories,
    );
    if let Some(d) = &s.database_updated {
        let _ = write!(out, ", database of {}", &d[..d.len().min(10)]);
    }
    let _ = writeln!(out, ") in {:.2}s", s.duration_ms as f64 / 1000.0);
    for n in &s.notes {
        let _ = writeln!(out, "note: {n}");
    }
}
