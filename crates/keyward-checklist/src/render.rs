//! The checklist for people: plain text (grouped, one line per item and its reason),
//! Markdown (task lists, for PRs and SECURITY.md) and a standalone HTML page (no script,
//! every value escaped). JSON is the [`Checklist`] model itself.

use crate::evaluate::{Checklist, ItemResult, State};
use crate::items::Section;
use std::fmt::Write;

fn mark(s: State) -> &'static str {
    match s {
        State::Proven => "PROVEN  ",
        State::Attested => "ATTESTED",
        State::Failed => "FAILED  ",
        State::Unproven => "UNPROVEN",
        State::Skipped => "SKIPPED ",
    }
}

fn summary_line(c: &Checklist) -> String {
    let n = &c.counts;
    format!(
        "{} proven, {} attested, {} failed, {} unproven, {} skipped",
        n.proven, n.attested, n.failed, n.unproven, n.skipped
    )
}

/// Plain text.
pub fn human(c: &Checklist) -> String {
    let mut out = format!(
        "Security checklist for {} ({})\n",
        c.environment, c.evaluated_at
    );
    for s in Section::ALL {
        let _ = writeln!(out, "\n{}", s.title());
        for i in c.section(s) {
            let _ = writeln!(out, "  {} {}  [{}]", mark(i.state), i.text, i.id);
            let _ = writeln!(out, "           {}", i.reason);
        }
    }
    let _ = writeln!(out, "\nEvidence");
    for e in &c.evidence {
        let d = e.digest.as_deref().map(|d| &d[..12]).unwrap_or("-");
        let _ = writeln!(out, "  {:<9} {:<12} {}", e.source, d, e.summary);
    }
    let _ = writeln!(out, "\n{}", summary_line(c));
    if c.blocked {
        let _ = writeln!(out, "deployment blocked: a pre-deployment item failed");
    }
    out
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn md_item(i: &ItemResult) -> String {
    let x = if matches!(i.state, State::Proven | State::Attested) {
        "x"
    } else {
        " "
    };
    let state = match i.state {
        State::Proven => "proven".to_string(),
        State::Attested => {
            let a = i.attestation.as_ref().expect("attested items have one");
            format!("attested by {} on {}, until {}", a.by, a.date, a.expires)
        }
        State::Failed => "**FAILED**".to_string(),
        State::Unproven => "unproven".to_string(),
        State::Skipped => "skipped".to_string(),
    };
    let mut line = format!("- [{x}] {} — {state}", md_escape(&i.text));
    if matches!(i.state, State::Failed | State::Skipped) {
        let _ = write!(line, ": {}", md_escape(&i.reason));
    }
    line
}

/// Markdown task lists per section (also SECURITY.md's checklist section).
pub fn markdown_items(c: &Checklist) -> String {
    let mut out = String::new();
    for s in Section::ALL {
        let _ = writeln!(out, "### {}\n", s.title());
        for i in c.section(s) {
            let _ = writeln!(out, "{}", md_item(i));
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "_Evaluated by keyward for {} on {}: {}._",
        c.environment,
        c.evaluated_at.get(..10).unwrap_or(&c.evaluated_at),
        summary_line(c)
    );
    out
}

/// A Markdown report.
pub fn markdown(c: &Checklist) -> String {
    let mut out = format!("## Security checklist: {}\n\n", c.environment);
    out.push_str(&markdown_items(c));
    out.push_str("\n| evidence | digest | summary |\n| --- | --- | --- |\n");
    for e in &c.evidence {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} |",
            e.source,
            e.digest.as_deref().map(|d| &d[..12]).unwrap_or("-"),
            md_escape(&e.summary)
        );
    }
    let _ = writeln!(out, "\nChecklist digest: `{}`", c.digest);
    out
}

/// Escape text for HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A standalone HTML page.
pub fn html(c: &Checklist) -> String {
    let e = html_escape;
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <title>Security checklist</title>\n<style>\
         body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}\
         table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}\
         td,th{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}\
         .proven{background:#e6f4ea}.attested{background:#e8f0fe}.failed{background:#fce8e6}\
         .unproven{background:#fef7e0}.skipped{color:#666}code{font-size:.85em}\
         </style></head><body>\n",
    );
    let _ = writeln!(
        out,
        "<h1>Security checklist: {}</h1>\n<p>Evaluated {} — {}{}</p>",
        e(&c.environment),
        e(&c.evaluated_at),
        e(&summary_line(c)),
        if c.blocked {
            " — <strong>deployment blocked</strong>"
        } else {
            ""
        }
    );
    for s in Section::ALL {
        let _ = writeln!(
            out,
            "<h2>{}</h2>\n<table><tr><th>item</th><th>state</th><th>why</th></tr>",
            e(s.title())
        );
        for i in c.section(s) {
            let _ = writeln!(
                out,
                "<tr class=\"{st}\"><td>{}<br><code>{}</code></td><td>{st}</td><td>{}</td></tr>",
                e(&i.text),
                e(&i.id),
                e(&i.reason),
                st = i.state.as_str()
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str(
        "<h2>Evidence</h2>\n<table><tr><th>source</th><th>digest</th><th>summary</th></tr>\n",
    );
    for s in &c.evidence {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            e(&s.source),
            e(s.digest.as_deref().unwrap_or("-")),
            e(&s.summary)
        );
    }
    let _ = writeln!(
        out,
        "</table>\n<p>Checklist digest <code>{}</code></p>\n</body></html>",
        e(&c.digest)
    );
    out
}

/// JSON (the model, pretty-printed).
pub fn json(c: &Checklist) -> String {
    let mut s = serde_json::to_string_pretty(c).expect("checklist serializes");
    s.push('\n');
    s
}
