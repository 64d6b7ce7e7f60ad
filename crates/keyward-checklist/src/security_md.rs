//! `keyward security-md`: the SECURITY.md sections the policies hold, generated from the
//! policy and the evidence, written between markers so hand-written prose survives:
//!
//! ```text
//! <!-- keyward:begin rotation-schedule -->
//! …generated…
//! <!-- keyward:end rotation-schedule -->
//! ```
//!
//! A file without a section's markers gets the section appended (with a heading the
//! team may reword: headings sit outside the markers); a second run rewrites only what
//! lies between markers.

use crate::error::ChecklistError;
use crate::evaluate::Checklist;
use crate::evidence::Evidence;
use crate::render;
use keyward_core::policy::{Kind, Policy, RotationSpec};
use std::fmt::Write;

/// One generated section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// Marker name.
    pub name: &'static str,
    /// Heading used when the section is appended (`None`: no heading, placed first).
    pub heading: Option<&'static str>,
    /// The generated Markdown (ends with a newline).
    pub body: String,
}

fn begin(name: &str) -> String {
    format!("<!-- keyward:begin {name} -->")
}

fn end(name: &str) -> String {
    format!("<!-- keyward:end {name} -->")
}

/// The sections, from the policy, the evidence and the evaluated checklist.
pub fn sections(c: &Checklist, ev: &Evidence, policy: &Policy) -> Vec<Section> {
    vec![
        Section {
            name: "status",
            heading: None,
            body: status(c, ev),
        },
        Section {
            name: "environment-variables",
            heading: Some("Required Environment Variables"),
            body: variables(policy),
        },
        Section {
            name: "rotation-schedule",
            heading: Some("Rotation Schedule"),
            body: rotation(policy, c),
        },
        Section {
            name: "secret-storage",
            heading: Some("Secret Storage"),
            body: storage(policy, ev),
        },
        Section {
            name: "revocation",
            heading: Some("Revoking Compromised Keys"),
            body: revocation(policy),
        },
        Section {
            name: "checklist",
            heading: Some("Security Checklist for Production"),
            body: render::markdown_items(c),
        },
    ]
}

fn status(c: &Checklist, ev: &Evidence) -> String {
    let day = c.evaluated_at.get(..10).unwrap_or(&c.evaluated_at);
    let mut out = format!(
        "**Last Security Audit**: {day} (keyward checklist, {})\n",
        c.environment
    );
    let Some(d) = &ev.deps else {
        out.push_str("**Status**: dependencies not checked (no advisory database)\n");
        return out;
    };
    let mut parts = Vec::new();
    for eco in &d.ecosystems {
        let found: Vec<_> = d.found.iter().filter(|v| &v.ecosystem == eco).collect();
        let high = found
            .iter()
            .filter(|v| matches!(v.severity.as_str(), "high" | "critical"))
            .count();
        parts.push(match (found.len(), high) {
            (0, _) => format!("✅ 0 known {eco} vulnerabilities"),
            (n, 0) => format!("⚠️ {n} {eco} package(s) with advisories (0 HIGH)"),
            (n, h) => format!("❌ {n} {eco} package(s) with advisories ({h} HIGH or CRITICAL)"),
        });
    }
    if parts.is_empty() {
        parts.push("no lockfiles found".into());
    }
    let _ = writeln!(out, "**Status**: {}", parts.join(" | "));
    let n = &c.counts;
    let _ = writeln!(
        out,
        "**Checklist**: {} proven, {} attested, {} failed, {} unproven",
        n.proven, n.attested, n.failed, n.unproven
    );
    if d.database_stale {
        out.push_str("\n_The advisory database is stale: run `keyward deps db update`._\n");
    }
    out
}

fn variables(policy: &Policy) -> String {
    if policy.variables.is_empty() {
        return "No variables are declared in keyward.toml (`keyward init` declares them from .env.example).\n".into();
    }
    let mut out = String::new();
    for (name, spec) in &policy.variables {
        let kind = spec.kind_for(name);
        let mut line = format!("- `{name}`");
        if let Some(d) = &spec.description {
            let _ = write!(line, " - {}", d.trim());
        }
        let _ = write!(line, " ({}", kind.as_str());
        if spec.required {
            line.push_str("; required");
        } else if !spec.required_in.is_empty() {
            let _ = write!(line, "; required in {}", spec.required_in.join(", "));
        } else {
            line.push_str("; optional");
        }
        line.push(')');
        let _ = writeln!(out, "{line}");
    }
    out
}

fn rotation(policy: &Policy, c: &Checklist) -> String {
    let mut out = String::new();
    for (name, spec) in &policy.variables {
        let kind = spec.kind_for(name);
        if !kind.defaults().secret {
            continue;
        }
        let eff = RotationSpec::effective(spec.rotation.as_ref(), kind, &c.environment);
        let when = match eff.interval_days {
            Some(d) => format!("every {d} days"),
            None => "on security incident or employee offboarding".to_string(),
        };
        let grace = match eff.grace_days {
            0 => String::new(),
            g => format!(" (previous value valid for {g} day(s) after)"),
        };
        let _ = writeln!(out, "- **{name}**: rotate {when}{grace}");
    }
    out.push_str("- **TLS certificates**: before expiration (renewed within ");
    let _ = writeln!(out, "{} days of it)", policy.checklist.tls_renew_days());
    out.push_str(
        "\n`keyward rotation status` shows what is due; `keyward rotate --due` rotates it.\n",
    );
    out
}

fn storage(policy: &Policy, ev: &Evidence) -> String {
    let mut envs: Vec<(String, Option<Vec<String>>)> = policy
        .environments
        .iter()
        .map(|(n, s)| (n.clone(), s.files.clone()))
        .collect();
    if envs.is_empty() {
        envs = vec![
            ("development".into(), Some(vec![".env".into()])),
            ("production".into(), None),
        ];
    }
    let mut out = String::new();
    for (name, files) in envs {
        let _ = write!(out, "- **{name}**: ");
        match files {
            Some(f) => {
                let _ = write!(
                    out,
                    "dotenv file(s) {} (gitignored; never production secrets)",
                    f.join(", ")
                );
            }
            None => {
                let _ = write!(out, "keyward store, paths `{name}/NAME`, injected with `keyward run --env {name}` or exported as a Kubernetes Secret");
            }
        }
        if let Some(s) = ev.store.as_ref().filter(|s| s.environment == name) {
            let _ = write!(out, "; {} secret(s) stored", s.secrets.len());
            if !s.missing.is_empty() {
                let _ = write!(out, ", missing: {}", s.missing.join(", "));
            }
        }
        out.push('\n');
    }
    out
}

/// The revocation steps for a kind, from the policies' "Revoking Compromised Keys".
pub fn revocation_steps(kind: Kind) -> &'static str {
    match kind {
        Kind::StripeSecretKey => "Stripe Dashboard → Developers → API Keys: roll or delete the key; create a restricted key with minimal permissions; `keyward revoke ENV/NAME` records the incident; monitor the Dashboard for unauthorized charges.",
        Kind::StripeWebhookSecret => "Stripe Dashboard → Developers → Webhooks: roll the signing secret; `keyward revoke ENV/NAME`; redeploy so every webhook is verified with the new secret.",
        Kind::StripePublishableKey => "Publishable keys are frontend-safe; roll it with its secret key if that key is revoked.",
        Kind::PostgresPassword | Kind::DatabaseUrl => "`keyward revoke ENV/NAME` sets a new password on the role at once (no grace); then `REVOKE ALL PRIVILEGES` from any role the attacker may have created, and review the database audit logs.",
        Kind::RedisPassword | Kind::RedisUrl => "`keyward revoke ENV/NAME` replaces the ACL user's password at once; `CLIENT KILL USER` drops open connections.",
        Kind::JwtSecret => "`keyward revoke ENV/NAME`: the key leaves the keyring at once, so every session signed with it is logged out.",
        Kind::MinioAccessKey | Kind::MinioSecretKey => "`mc admin user remove` the exposed user after `keyward revoke ENV/NAME` created the new one; review bucket access logs.",
        Kind::ApiKey | Kind::Password | Kind::Secret => "`keyward revoke ENV/NAME` (new value at once, incident recorded); revoke the old value at its issuer.",
        Kind::Username | Kind::Plain => "Not a secret.",
    }
}

fn revocation(policy: &Policy) -> String {
    let mut kinds: Vec<(Kind, Vec<&str>)> = Vec::new();
    for (name, spec) in &policy.variables {
        let kind = spec.kind_for(name);
        if !kind.defaults().secret {
            continue;
        }
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, names)) => names.push(name),
            None => kinds.push((kind, vec![name])),
        }
    }
    let mut out = String::from(
        "Within one hour: identify the scope, revoke, deploy the new value, audit access \
         (`keyward incident show` lists every read of the exposed version).\n\n",
    );
    for (kind, names) in kinds {
        let _ = writeln!(
            out,
            "- **{}** ({}): {}",
            kind.as_str(),
            names.join(", "),
            revocation_steps(kind)
        );
    }
    out
}

/// Where a marked section lies in a document: byte range of the generated body.
fn find(doc: &str, name: &str) -> Result<Option<std::ops::Range<usize>>, ChecklistError> {
    let (b, e) = (begin(name), end(name));
    let Some(start) = doc.find(&b) else {
        if let Some(at) = doc.find(&e) {
            return Err(marker_error(
                doc,
                at,
                &format!("`{e}` without its begin marker"),
            ));
        }
        return Ok(None);
    };
    let body = start + b.len();
    let body = body + doc[body..].find('\n').map_or(0, |n| n + 1);
    match doc[body..].find(&e) {
        Some(off) if !doc[start + b.len()..body + off].contains("<!-- keyward:begin ") => {
            Ok(Some(body..body + off))
        }
        Some(_) => Err(marker_error(
            doc,
            start,
            &format!("`{b}` holds another begin marker before its end"),
        )),
        None => Err(marker_error(doc, start, &format!("`{b}` has no `{e}`"))),
    }
}

fn marker_error(doc: &str, at: usize, message: &str) -> ChecklistError {
    let line = doc[..at].matches('\n').count() + 1;
    ChecklistError::Input {
        path: format!("SECURITY.md:{line}"),
        message: format!("{message}; the file was not changed"),
    }
}

/// The document with every section written: replaced between its markers, or appended.
/// `None` starts a new SECURITY.md.
pub fn update(existing: Option<&str>, sections: &[Section]) -> Result<String, ChecklistError> {
    let mut doc = existing
        .map(str::to_string)
        .unwrap_or_else(|| "# Security Policy\n\n".to_string());
    for s in sections {
        let body = if s.body.ends_with('\n') {
            s.body.clone()
        } else {
            format!("{}\n", s.body)
        };
        match find(&doc, s.name)? {
            Some(range) => doc.replace_range(range, &body),
            None => {
                let block = format!("{}\n{body}{}\n", begin(s.name), end(s.name));
                match s.heading {
                    Some(h) => {
                        if !doc.ends_with("\n\n") {
                            doc.push_str(if doc.ends_with('\n') { "\n" } else { "\n\n" });
                        }
                        let _ = write!(doc, "## {h}\n\n{block}");
                    }
                    // The status block goes right under the title.
                    None => {
                        let at = match doc.strip_prefix('#').and(doc.find('\n')) {
                            Some(n) => n + 1,
                            None => 0,
                        };
                        doc.insert_str(at, &format!("\n{block}"));
                    }
                }
            }
        }
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sec(name: &'static str, heading: Option<&'static str>, body: &str) -> Section {
        Section {
            name,
            heading,
            body: body.into(),
        }
    }

    #[test]
    fn new_file_then_update_keeps_prose() {
        let v1 = [
            sec("status", None, "ok 1\n"),
            sec("rotation-schedule", Some("Rotation Schedule"), "- a\n"),
        ];
        let doc = update(None, &v1).unwrap();
        assert!(doc.starts_with("# Security Policy\n\n<!-- keyward:begin status -->\nok 1\n<!-- keyward:end status -->\n"), "{doc}");
        assert!(
            doc.contains("## Rotation Schedule\n\n<!-- keyward:begin rotation-schedule -->\n- a\n"),
            "{doc}"
        );
        let edited = doc.replace(
            "## Rotation Schedule\n",
            "## Rotation Schedule\n\nWritten by hand.\n",
        ) + "\n## Contact\n\nsecurity@example.com\n";
        let v2 = [
            sec("status", None, "ok 2\n"),
            sec("rotation-schedule", Some("x"), "- b\n"),
        ];
        let again = update(Some(&edited), &v2).unwrap();
        assert_eq!(
            again,
            edited.replace("ok 1", "ok 2").replace("- a\n", "- b\n")
        );
        // Idempotent.
        assert_eq!(update(Some(&again), &v2).unwrap(), again);
    }

    #[test]
    fn broken_markers_are_errors_with_a_line() {
        let doc = "# S\n\nprose\n<!-- keyward:begin status -->\nold\n";
        let e = update(Some(doc), &[sec("status", None, "x")])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("SECURITY.md:4:"), "{e}");
        assert!(e.contains("no `<!-- keyward:end status -->`"), "{e}");
        let doc = "a\n<!-- keyward:end status -->\n";
        let e = update(Some(doc), &[sec("status", None, "x")])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("SECURITY.md:2:") && e.contains("without its begin"),
            "{e}"
        );
    }

    #[test]
    fn every_secret_kind_has_revocation_steps() {
        for k in Kind::ALL {
            assert!(!revocation_steps(k).is_empty());
        }
    }
}
