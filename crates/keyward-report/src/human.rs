//! Human output: findings grouped by file, a closing summary.

use crate::Report;
use keyward_core::Severity;
use std::fmt::Write;

pub(crate) fn paint(on: bool, code: &str, text: &str) -> String {
    if on {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

pub(crate) fn severity_colour(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    }
}

/// Render findings grouped by path, then the summary line.
pub fn render(r: &Report<'_>) -> String {
    let mut out = String::new();
    let mut current: Option<&str> = None;
    for f in r.findings {
        let path = f.location.path.as_str();
        if current != Some(path) {
            if current.is_some() {
                out.push('\n');
            }
            let shown = keyward_core::escape::escape_control(path);
            let _ = writeln!(out, "{}", paint(r.color, "1", &shown));
            current = Some(path);
        }
        let sev = paint(
            r.color,
            severity_colour(f.severity),
            &format!("{:<8}", f.severity.as_str()),
        );
        let at = format!("{}:{}", f.location.line, f.location.column);
        let shown = r.shown_secret(f);
        let _ = writeln!(
            out,
            "  {at:<9}{sev} {} ({}){}{shown}{}",
            f.title,
            f.rule_id,
            if shown.is_empty() { "" } else { "  " },
            context_tag(f),
        );
        if let Some(g) = &f.location.git {
            let short = &g.commit[..g.commit.len().min(12)];
            let _ = writeln!(
                out,
                "           introduced in {short} by {} on {}",
                keyward_core::escape::escape_control(&g.author),
                g.date
            );
        }
        for n in &f.notes {
            let _ = writeln!(
                out,
                "           {}",
                keyward_core::escape::escape_control(n)
            );
        }
        let _ = writeln!(out, "           fingerprint {}", f.fingerprint);
    }
    if !r.findings.is_empty() {
        out.push('\n');
    }
    let s = r.summary;
    let counts = r
        .by_severity_ordered()
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = write!(
        out,
        "{} finding{}{} in {} file{} ({}) in {:.2}s",
        r.findings.len(),
        if r.findings.len() == 1 { "" } else { "s" },
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({counts})")
        },
        s.files,
        if s.files == 1 { "" } else { "s" },
        human_bytes(s.bytes),
        s.duration_ms as f64 / 1000.0
    );
    let passive = r.findings.iter().filter(|f| !f.blocking).count();
    if passive > 0 {
        let _ = write!(
            out,
            "; {passive} not blocking (test, example, vendored or generated)"
        );
    }
    let mut skipped = Vec::new();
    if s.skipped_binary > 0 {
        skipped.push(format!("{} binary", s.skipped_binary));
    }
    if s.skipped_large > 0 {
        skipped.push(format!("{} too large", s.skipped_large));
    }
    if s.unreadable > 0 {
        skipped.push(format!("{} unreadable", s.unreadable));
    }
    if s.skipped_special > 0 {
        skipped.push(format!("{} not regular files", s.skipped_special));
    }
    if s.failed > 0 {
        skipped.push(format!("{} failed", s.failed));
    }
    if !skipped.is_empty() {
        let _ = write!(out, "; skipped {}", skipped.join(", "));
    }
    if s.suppressed > 0 {
        let _ = write!(out, "; {} suppressed by keyward:allow", s.suppressed);
    }
    out.push('\n');
    for n in &s.notes {
        let _ = writeln!(out, "note: {}", keyward_core::escape::escape_control(n));
    }
    out
}

/// ` [test, not blocking]` for findings outside application source; empty for source.
fn context_tag(f: &keyward_core::Finding) -> String {
    match (f.context, f.blocking) {
        (keyward_core::Context::Source, true) => String::new(),
        (c, true) => format!("  [{c}]"),
        (c, false) => format!("  [{c}, not blocking]"),
    }
}

/// `1.2 MB`-style sizes.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
