//! Proofs: the predicates over [`Evidence`] that items name in `items.toml`. Each gives
//! pass, fail or unknown (the source did not run or had nothing to look at), with a line
//! saying why and the source it rests on.

use crate::evidence::{Evidence, FindingRef};
use crate::sarif::{SarifFacts, SarifResult};
use serde::Serialize;

/// A proof, parsed from its `items.toml` form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proof {
    /// `scan.clean`.
    ScanClean,
    /// `store.required`.
    StoreRequired,
    /// `rotation.on-schedule`.
    RotationOnSchedule,
    /// `audit.intact`.
    AuditIntact,
    /// `deps.clean`.
    DepsClean,
    /// `infra:ID,…`.
    Infra(Vec<String>),
    /// `env:RULE,…`.
    Env(Vec<String>),
    /// `tls.valid`.
    TlsValid,
    /// `tls.renewal`.
    TlsRenewal,
    /// `sarif:TOOL,…`.
    Sarif(Vec<String>),
    /// `sarif-rule:TOOL,…:ID,…`.
    SarifRule(Vec<String>, Vec<String>),
    /// `config.rate-limits`.
    RateLimits,
    /// `config.alerts`.
    Alerts,
    /// `doc.incident-response`.
    IncidentDoc,
}

/// Pass, fail or unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The evidence shows the item holds.
    Pass,
    /// The evidence shows it does not.
    Fail,
    /// No evidence either way.
    Unknown,
}

/// A proof's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProofResult {
    /// The evidence source (`scan`, `tls`, …).
    pub source: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Why, for people (never a secret).
    pub detail: String,
}

/// Severities that count as a finding for proofs: medium and above.
const COUNTED: &[&str] = &["critical", "high", "medium"];

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

impl Proof {
    /// Parse the `items.toml` form.
    pub fn parse(text: &str) -> Result<Proof, String> {
        Ok(match text {
            "scan.clean" => Proof::ScanClean,
            "store.required" => Proof::StoreRequired,
            "rotation.on-schedule" => Proof::RotationOnSchedule,
            "audit.intact" => Proof::AuditIntact,
            "deps.clean" => Proof::DepsClean,
            "tls.valid" => Proof::TlsValid,
            "tls.renewal" => Proof::TlsRenewal,
            "config.rate-limits" => Proof::RateLimits,
            "config.alerts" => Proof::Alerts,
            "doc.incident-response" => Proof::IncidentDoc,
            _ => match text.split_once(':') {
                Some(("infra", ids)) => Proof::Infra(list(ids)),
                Some(("env", ids)) => Proof::Env(list(ids)),
                Some(("sarif", tools)) => Proof::Sarif(list(tools)),
                Some(("sarif-rule", rest)) => match rest.split_once(':') {
                    Some((tools, ids)) => Proof::SarifRule(list(tools), list(ids)),
                    None => return Err(format!("`{text}`: expected sarif-rule:TOOLS:IDS")),
                },
                _ => return Err(format!("unknown proof `{text}`")),
            },
        })
    }

    /// The evidence source it rests on.
    pub fn source(&self) -> &'static str {
        match self {
            Proof::ScanClean => "scan",
            Proof::StoreRequired => "store",
            Proof::RotationOnSchedule => "rotation",
            Proof::AuditIntact => "audit",
            Proof::DepsClean => "deps",
            Proof::Infra(_) => "infra",
            Proof::Env(_) => "env",
            Proof::TlsValid | Proof::TlsRenewal => "tls",
            Proof::Sarif(_) | Proof::SarifRule(..) => "sarif",
            Proof::RateLimits | Proof::Alerts | Proof::IncidentDoc => "config",
        }
    }

    /// Evaluate against `ev`.
    pub fn evaluate(&self, ev: &Evidence) -> ProofResult {
        let (verdict, detail) = self.judge(ev);
        ProofResult {
            source: self.source().to_string(),
            verdict,
            detail,
        }
    }

    fn judge(&self, ev: &Evidence) -> (Verdict, String) {
        use Verdict::*;
        let not_run = || {
            let why = ev
                .unavailable
                .get(self.source())
                .map_or("not run".to_string(), |w| format!("not run: {w}"));
            (Unknown, format!("{}: {why}", self.source()))
        };
        match self {
            Proof::ScanClean => match &ev.scan {
                None => not_run(),
                Some(s) => findings_verdict(
                    "scan",
                    s.findings
                        .iter()
                        .filter(|f| COUNTED.contains(&f.severity.as_str())),
                    format!("scan: no secrets in {} file(s)", s.files),
                ),
            },
            Proof::StoreRequired => match &ev.store {
                None => not_run(),
                Some(s) if !s.missing.is_empty() => (
                    Fail,
                    format!(
                        "store: {} required in {} but not stored: {}",
                        s.missing.len(),
                        s.environment,
                        s.missing.join(", ")
                    ),
                ),
                Some(s) if s.required.is_empty() && s.secrets.is_empty() => (
                    Unknown,
                    format!("store: nothing stored or required in {}", s.environment),
                ),
                Some(s) => (
                    Pass,
                    format!(
                        "store: all {} required variable(s) of {} stored ({} secret(s))",
                        s.required.len(),
                        s.environment,
                        s.secrets.len()
                    ),
                ),
            },
            Proof::RotationOnSchedule => match &ev.rotation {
                None => not_run(),
                Some(r) if r.secrets.is_empty() => (Unknown, "rotation: no stored secrets".into()),
                Some(r) => {
                    let late: Vec<String> = r
                        .secrets
                        .iter()
                        .filter(|s| s.is_late())
                        .map(|s| match s.overdue_days {
                            0 => format!("{} due now", s.path),
                            d => format!("{} overdue by {d} day(s)", s.path),
                        })
                        .collect();
                    if late.is_empty() {
                        (
                            Pass,
                            format!("rotation: {} secret(s) on schedule", r.secrets.len()),
                        )
                    } else {
                        (Fail, format!("rotation: {}", late.join("; ")))
                    }
                }
            },
            Proof::AuditIntact => match &ev.audit {
                None => not_run(),
                Some(a) if a.intact && a.entries > 0 => (
                    Pass,
                    format!(
                        "audit: chain intact, {} entries, head {}",
                        a.entries,
                        &a.head[..a.head.len().min(16)]
                    ),
                ),
                Some(a) if a.intact => (Unknown, "audit: the log is empty".into()),
                Some(a) => (
                    Fail,
                    format!(
                        "audit: chain broken: {}",
                        a.problem.as_deref().unwrap_or("?")
                    ),
                ),
            },
            Proof::DepsClean => {
                match &ev.deps {
                    None => not_run(),
                    Some(d) if d.lockfiles.is_empty() => {
                        (Unknown, "deps: no lockfiles found".into())
                    }
                    Some(d) => {
                        let high: Vec<String> = d
                            .found
                            .iter()
                            .filter(|v| matches!(v.severity.as_str(), "high" | "critical"))
                            .map(|v| {
                                format!(
                                    "{} {} {} ({}: {})",
                                    v.ecosystem,
                                    v.name,
                                    v.version,
                                    v.severity,
                                    v.ids.join(", ")
                                )
                            })
                            .collect();
                        let mut why = Vec::new();
                        if !high.is_empty() {
                            why.push(format!("{} high/critical: {}", high.len(), high.join("; ")));
                        }
                        if d.database_stale {
                            why.push(
                                "the advisory database is stale (run `keyward deps db update`)"
                                    .into(),
                            );
                        }
                        if !d.errors.is_empty() {
                            why.push(format!("unreadable: {}", d.errors.join("; ")));
                        }
                        if why.is_empty() {
                            (Pass, format!("deps: {} package(s) in {} lockfile(s), no high/critical advisory", d.packages, d.lockfiles.len()))
                        } else {
                            (Fail, format!("deps: {}", why.join("; ")))
                        }
                    }
                }
            }
            Proof::Infra(ids) => match &ev.infra {
                None => not_run(),
                Some(i) if i.objects == 0 => (
                    Unknown,
                    "infra: no manifests, compose files or Dockerfiles found".into(),
                ),
                Some(i) => findings_verdict(
                    "infra",
                    i.findings.iter().filter(|f| {
                        ids.contains(&f.rule) && COUNTED.contains(&f.severity.as_str())
                    }),
                    format!("infra: {} object(s) pass {}", i.objects, ids.join(", ")),
                ),
            },
            Proof::Env(ids) => match &ev.env {
                None => not_run(),
                Some(envs) if envs.is_empty() => (Unknown, "env: no dotenv files to check".into()),
                Some(envs) => {
                    let bad = envs
                        .iter()
                        .flat_map(|e| e.findings.iter())
                        .filter(|f| ids.contains(&f.rule));
                    let names: Vec<&str> = envs.iter().map(|e| e.environment.as_str()).collect();
                    findings_verdict(
                        "env",
                        bad,
                        format!("env: {} clean of {}", names.join(", "), ids.join(", ")),
                    )
                }
            },
            Proof::TlsValid | Proof::TlsRenewal => match &ev.tls {
                None => not_run(),
                Some(t) if t.certificates.is_empty() => {
                    (Unknown, "tls: no certificates found".into())
                }
                Some(t) => {
                    let renewal = *self == Proof::TlsRenewal;
                    let bad: Vec<String> = t
                        .certificates
                        .iter()
                        .flat_map(|c| c.problems.iter().map(move |p| (c, p)))
                        .filter(|(_, p)| {
                            !renewal || matches!(p.code.as_str(), "expired" | "expiring")
                        })
                        .map(|(c, p)| format!("{}: {}", c.source, p.message))
                        .collect();
                    if bad.is_empty() {
                        let soonest = t
                            .certificates
                            .iter()
                            .map(|c| c.days_left)
                            .min()
                            .unwrap_or(0);
                        (Pass, format!("tls: {} certificate(s) valid, the soonest expires in {soonest} day(s)", t.certificates.len()))
                    } else {
                        (Fail, format!("tls: {}", bad.join("; ")))
                    }
                }
            },
            Proof::Sarif(tools) => match &ev.sarif {
                None => not_run(),
                Some(s) => sarif_verdict(
                    s,
                    tools,
                    |x| x.level == "error",
                    |names| format!("sarif: {names} report(s) without errors"),
                ),
            },
            Proof::SarifRule(tools, ids) => match &ev.sarif {
                None => not_run(),
                Some(s) => {
                    let ids: Vec<String> = ids.iter().map(|i| i.to_ascii_lowercase()).collect();
                    let hit = |x: &SarifResult| {
                        let rule = x.rule.to_ascii_lowercase();
                        ids.iter().any(|id| rule.contains(id))
                    };
                    sarif_verdict(s, tools, hit, |_| {
                        format!("sarif: no {} result", ids.join("/"))
                    })
                }
            },
            Proof::RateLimits => match ev.config.rate_limits {
                true => (Pass, "config: [server.limits] declares rate limits".into()),
                false => (Unknown, "config: no [server.limits] in keyward.toml".into()),
            },
            Proof::Alerts => match ev.config.alerts {
                true => (Pass, "config: [server.alerts] declares a webhook".into()),
                false => (Unknown, "config: no alert webhook in keyward.toml".into()),
            },
            Proof::IncidentDoc => match &ev.config.incident_response_doc {
                Some(h) => (Pass, format!("SECURITY.md: {h}")),
                None => (
                    Unknown,
                    "SECURITY.md has no incident response section".into(),
                ),
            },
        }
    }
}

/// Fail on the results of `tools`' runs that `bad` selects; unknown without such a run.
fn sarif_verdict(
    s: &SarifFacts,
    tools: &[String],
    bad: impl Fn(&SarifResult) -> bool,
    clean: impl Fn(&str) -> String,
) -> (Verdict, String) {
    let runs: Vec<_> = s.runs_of(tools).collect();
    if runs.is_empty() {
        return (
            Verdict::Unknown,
            format!("sarif: no report from {}", tools.join(", ")),
        );
    }
    let hits: Vec<String> = runs
        .iter()
        .flat_map(|r| r.results.iter().map(move |x| (r, x)))
        .filter(|(_, x)| bad(x))
        .map(|(r, x)| format!("{} {} at {}:{}", r.tool, x.rule, x.path, x.line))
        .collect();
    if hits.is_empty() {
        let names: Vec<&str> = runs.iter().map(|r| r.tool.as_str()).collect();
        return (Verdict::Pass, clean(&names.join(", ")));
    }
    (
        Verdict::Fail,
        format!("sarif: {} result(s): {}", hits.len(), hits.join("; ")),
    )
}

fn findings_verdict<'a>(
    source: &str,
    bad: impl Iterator<Item = &'a FindingRef>,
    clean: String,
) -> (Verdict, String) {
    let bad: Vec<&FindingRef> = bad.collect();
    if bad.is_empty() {
        return (Verdict::Pass, clean);
    }
    let shown: Vec<String> = bad
        .iter()
        .take(5)
        .map(|f| {
            let what = f
                .what
                .as_deref()
                .map(|w| format!(" {w}"))
                .unwrap_or_default();
            format!("{} ({}) at {}:{}{what}", f.rule, f.severity, f.path, f.line)
        })
        .collect();
    let more = if bad.len() > 5 {
        format!(" and {} more", bad.len() - 5)
    } else {
        String::new()
    };
    (
        Verdict::Fail,
        format!(
            "{source}: {} finding(s): {}{more}",
            bad.len(),
            shown.join("; ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::*;

    fn finding(rule: &str, severity: &str) -> FindingRef {
        FindingRef {
            rule: rule.into(),
            severity: severity.into(),
            path: "k8s/web.yaml".into(),
            line: 3,
            what: None,
        }
    }

    #[test]
    fn parse_forms() {
        assert_eq!(Proof::parse("scan.clean").unwrap(), Proof::ScanClean);
        assert_eq!(
            Proof::parse("infra:a, b").unwrap(),
            Proof::Infra(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            Proof::parse("sarif-rule:bandit:B608").unwrap(),
            Proof::SarifRule(vec!["bandit".into()], vec!["B608".into()])
        );
        assert!(Proof::parse("sarif-rule:bandit").is_err());
        assert!(Proof::parse("magic").is_err());
    }

    #[test]
    fn unknown_when_the_source_did_not_run() {
        let mut ev = Evidence::default();
        ev.unavailable.insert("store".into(), "no store".into());
        let r = Proof::StoreRequired.evaluate(&ev);
        assert_eq!(r.verdict, Verdict::Unknown);
        assert!(r.detail.contains("no store"), "{}", r.detail);
    }

    #[test]
    fn infra_fails_only_on_named_checks_at_medium_or_above() {
        let p = Proof::Infra(vec!["run-as-non-root".into()]);
        let mut ev = Evidence {
            infra: Some(InfraFacts {
                objects: 2,
                findings: vec![
                    finding("image-tag", "medium"),
                    finding("run-as-non-root", "low"),
                ],
                errors: vec![],
            }),
            ..Evidence::default()
        };
        assert_eq!(p.evaluate(&ev).verdict, Verdict::Pass);
        ev.infra
            .as_mut()
            .unwrap()
            .findings
            .push(finding("run-as-non-root", "high"));
        let r = p.evaluate(&ev);
        assert_eq!(r.verdict, Verdict::Fail);
        assert!(r.detail.contains("k8s/web.yaml:3"), "{}", r.detail);
        ev.infra.as_mut().unwrap().objects = 0;
        assert_eq!(p.evaluate(&ev).verdict, Verdict::Unknown);
    }

    #[test]
    fn rotation_and_audit() {
        let row = |schedule: &str, d| RotationRow {
            path: "production/JWT_SECRET".into(),
            kind: "jwt-secret".into(),
            schedule: schedule.into(),
            overdue_days: d,
            last_rotated: String::new(),
            next_due: None,
        };
        let mut ev = Evidence {
            rotation: Some(RotationFacts {
                secrets: vec![row("ok", 0)],
            }),
            audit: Some(AuditFacts {
                entries: 3,
                intact: true,
                head: "ab".repeat(32),
                problem: None,
            }),
            ..Evidence::default()
        };
        assert_eq!(
            Proof::RotationOnSchedule.evaluate(&ev).verdict,
            Verdict::Pass
        );
        assert_eq!(Proof::AuditIntact.evaluate(&ev).verdict, Verdict::Pass);
        ev.rotation
            .as_mut()
            .unwrap()
            .secrets
            .push(row("overdue", 12));
        let r = Proof::RotationOnSchedule.evaluate(&ev);
        assert_eq!(r.verdict, Verdict::Fail);
        assert!(r.detail.contains("overdue by 12 day(s)"), "{}", r.detail);
        ev.audit.as_mut().unwrap().intact = false;
        assert_eq!(Proof::AuditIntact.evaluate(&ev).verdict, Verdict::Fail);
    }
}
