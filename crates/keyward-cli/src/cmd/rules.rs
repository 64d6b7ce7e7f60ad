//! `keyward rules list` and `keyward rules check`.

use super::scan::scanner_for;
use crate::cli::RulesCommand;
use anyhow::Result;
use keyward_core::policy::Policy;
use keyward_scan::rules::Origin;
use serde_json::json;

pub fn run(cmd: RulesCommand) -> Result<u8> {
    match cmd {
        RulesCommand::List { format, config } => list(&format, config.as_deref()),
        RulesCommand::Check { config } => check(config.as_deref()),
    }
}

fn list(format: &str, config: Option<&std::path::Path>) -> Result<u8> {
    let (policy, _) = Policy::discover(config)?;
    let scanner = scanner_for(&policy)?;
    let rules = scanner.rules().rules();
    match format {
        "json" => {
            let v: Vec<_> = rules
                .iter()
                .map(|r| {
                    json!({
                        "id": r.id(),
                        "title": r.spec.title,
                        "severity": r.severity,
                        "confidence": r.confidence,
                        "keywords": r.spec.keywords,
                        "regex": r.spec.regex,
                        "entropy": r.spec.entropy,
                        "validator": r.spec.validator,
                        "origin": if r.origin == Origin::Builtin { "builtin" } else { "user" },
                        "examples": r.spec.examples.len(),
                        "negative_examples": r.spec.negative_examples.len(),
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        "human" | "text" => {
            for r in rules {
                println!("{:<36} {:<9} {}", r.id(), r.severity.as_str(), r.spec.title);
            }
            println!("{} rules", rules.len());
        }
        other => anyhow::bail!("unknown format `{other}` (expected human or json)"),
    }
    Ok(super::EXIT_OK)
}

fn check(config: Option<&std::path::Path>) -> Result<u8> {
    let (policy, _) = Policy::discover(config)?;
    let scanner = scanner_for(&policy)?;
    let failures = keyward_scan::rules::check_examples(&scanner);
    let rules = scanner.rules().rules();
    let examples: usize = rules
        .iter()
        .map(|r| r.spec.examples.len() + r.spec.negative_examples.len())
        .sum();
    for f in &failures {
        eprintln!("keyward: rule check failed: {f}");
    }
    if failures.is_empty() {
        println!("ok: {} rules, {examples} examples verified", rules.len());
        Ok(super::EXIT_OK)
    } else {
        println!("{} of {} rules broken", failures.len(), rules.len());
        Ok(super::EXIT_FINDINGS)
    }
}
