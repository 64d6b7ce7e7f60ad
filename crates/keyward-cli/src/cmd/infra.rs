//! `keyward infra`: check manifests, Dockerfiles, compose and configuration files; list and
//! check the checks; `who-can`.

use crate::cli::{InfraArgs, InfraChecksCommand, InfraCommand, InfraRunArgs, WhoCanArgs};
use crate::output::Output;
use anyhow::Result;
use keyward_core::policy::Policy;
use keyward_infra::engine::{self, Options};
use keyward_infra::model::{InputError, Inventory};
use keyward_infra::{input, Registry};
use keyward_report::objects::{self, ObjectInfo};
use keyward_report::{Format, RuleMeta, Summary};
use serde_json::json;
use std::time::Instant;

pub fn run(args: InfraArgs) -> Result<u8> {
    match args.command {
        None => check(args.run),
        Some(InfraCommand::Checks(InfraChecksCommand::List { format })) => list(&format),
        Some(InfraCommand::Checks(InfraChecksCommand::Check)) => check_examples(),
        Some(InfraCommand::WhoCan(a)) => who_can(a),
    }
}

/// Print input errors (file and line) on stderr; true when there were any.
fn report_input_errors(errors: &[InputError]) -> bool {
    for e in errors {
        eprintln!("keyward: error: {e}");
    }
    !errors.is_empty()
}

fn check(args: InfraRunArgs) -> Result<u8> {
    let started = Instant::now();
    let (policy, _) = Policy::discover(args.config.as_deref())?;
    let fail_on = policy
        .infra
        .fail_on
        .as_deref()
        .or(policy.scan.fail_on.as_deref());
    let out = Output::new(&args.out, fail_on)?;
    let registry = Registry::builtin()?;
    let opts = Options::from_policy(&policy.infra, args.namespace.as_deref(), args.strict);
    let mut inv = Inventory::default();
    let inputs = input::collect(&args.paths, &mut std::io::stdin().lock(), &mut inv)?;
    engine::read_into(&mut inv, &inputs, &opts.namespace);
    let factory = || super::scan::scanner_for(&policy).ok();
    let outcome = engine::evaluate(&inv, &registry, &opts, &factory)?;
    // Free the trees before rendering: the report then reuses their pages instead of
    // faulting in fresh ones, which costs more than the frees (docs/infra.md, "Speed").
    drop(inv);
    for w in &outcome.warnings {
        eprintln!("keyward: warning: {w}");
    }
    let findings: Vec<_> = outcome.findings.iter().map(|f| f.to_core()).collect();
    let objects: Vec<Option<ObjectInfo>> = outcome
        .findings
        .iter()
        .map(|f| {
            f.object.as_ref().map(|o| ObjectInfo {
                kind: o.kind.clone(),
                namespace: o.namespace.clone(),
                name: o.name.clone(),
                container: o.container.clone(),
            })
        })
        .collect();
    let mut notes = vec![format!(
        "{} object(s) checked (Kubernetes objects, compose services, Dockerfiles)",
        outcome.objects
    )];
    notes.extend(outcome.notes.iter().cloned());
    let summary = Summary {
        files: outcome.files,
        bytes: outcome.bytes,
        duration_ms: started.elapsed().as_millis() as u64,
        notes,
        ..Summary::default()
    };
    let rules = rule_meta(&registry);
    let report = keyward_report::Report {
        findings: &findings,
        summary: &summary,
        rules: &rules,
        show_secrets: out.show_secrets,
        color: out.color,
    };
    let text = report.render_extended(out.format, |doc, format| {
        objects::attach(doc, format, &objects)
    });
    out.write(&text)?;
    if report_input_errors(&outcome.errors) {
        return Ok(super::EXIT_ERROR);
    }
    Ok(out.exit_code(&findings))
}

/// The checks, for the SARIF rules table.
fn rule_meta(registry: &Registry) -> Vec<RuleMeta> {
    registry
        .checks()
        .iter()
        .map(|c| RuleMeta {
            id: c.spec.id.clone(),
            title: c.spec.title.clone(),
            severity: c.spec.severity,
            description: Some(format!(
                "{}\n\nChecked: {}\n\nFix: {}",
                c.spec.policy.trim(),
                c.spec.checks.trim(),
                c.spec.remediation.trim()
            )),
        })
        .collect()
}

fn list(format: &str) -> Result<u8> {
    let registry = Registry::builtin()?;
    match format {
        "json" => {
            let v: Vec<_> = registry
                .checks()
                .iter()
                .map(|c| {
                    let s = &c.spec;
                    json!({
                        "id": s.id,
                        "title": s.title,
                        "severity": s.severity,
                        "policy": s.policy.trim(),
                        "checks": s.checks.trim(),
                        "remediation": s.remediation.trim(),
                        "kubernetes": !s.kubernetes.is_empty(),
                        "compose": !s.compose.is_empty(),
                        "evaluators": s.evaluators,
                        "examples": s.examples.len(),
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        "human" | "text" => {
            for c in registry.checks() {
                let s = &c.spec;
                println!("{:<28} {:<9} {}", s.id, s.severity.as_str(), s.title);
            }
            println!(
                "{} checks (`keyward infra checks list -f json` for the policy text and remediation)",
                registry.checks().len()
            );
        }
        other => anyhow::bail!("unknown format `{other}` (expected human or json)"),
    }
    Ok(super::EXIT_OK)
}

fn check_examples() -> Result<u8> {
    let registry = Registry::builtin()?;
    let failures = keyward_infra::checks::examples::check_examples(&registry);
    let examples: usize = registry
        .checks()
        .iter()
        .map(|c| c.spec.examples.len())
        .sum();
    for f in &failures {
        eprintln!("keyward: check failed: {f}");
    }
    if failures.is_empty() {
        println!(
            "ok: {} checks, {examples} examples verified",
            registry.checks().len()
        );
        Ok(super::EXIT_OK)
    } else {
        println!("{} example(s) misbehave", failures.len());
        Ok(super::EXIT_FINDINGS)
    }
}

fn who_can(args: WhoCanArgs) -> Result<u8> {
    let format: Format = args.format.parse().map_err(anyhow::Error::msg)?;
    if format == Format::Sarif {
        anyhow::bail!("who-can prints human or json");
    }
    let namespace = args.namespace.as_deref().unwrap_or("default");
    let mut inv = Inventory::default();
    let inputs = input::collect(&args.paths, &mut std::io::stdin().lock(), &mut inv)?;
    engine::read_into(&mut inv, &inputs, namespace);
    let reach = keyward_infra::rbac::who_can(&inv.objects, &args.verb, &args.resource);
    if format == Format::Json {
        let v: Vec<_> = reach
            .iter()
            .map(|r| {
                json!({
                    "subject": r.subject, "scope": r.scope, "via": r.via,
                    "path": r.path, "line": r.line, "resource_names": r.only_names,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        for r in &reach {
            let names = if r.only_names.is_empty() {
                String::new()
            } else {
                format!(" (only {})", r.only_names.join(", "))
            };
            println!(
                "{}  {}{names}\n    via {}  {}:{}",
                r.subject, r.scope, r.via, r.path, r.line
            );
        }
        let subjects: std::collections::BTreeSet<&str> =
            reach.iter().map(|r| r.subject.as_str()).collect();
        println!(
            "{} subject(s) can {} {}",
            subjects.len(),
            args.verb,
            args.resource
        );
    }
    if report_input_errors(&inv.errors) {
        return Ok(super::EXIT_ERROR);
    }
    Ok(super::EXIT_OK)
}
