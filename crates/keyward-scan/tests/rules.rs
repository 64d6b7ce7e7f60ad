//! Every built-in rule carries examples and negative examples, and they all hold.

use keyward_scan::rules::check_examples;
use keyward_scan::{RuleSet, Scanner};

#[test]
fn builtin_rules_have_enough_examples() {
    let rules = RuleSet::builtin().expect("built-in rules compile");
    assert!(rules.len() >= 60, "only {} rules", rules.len());
    for r in rules.rules() {
        assert!(r.spec.examples.len() >= 2, "{} needs 2 examples", r.id());
        assert!(
            r.spec.negative_examples.len() >= 2,
            "{} needs 2 negative examples",
            r.id()
        );
    }
}

#[test]
fn builtin_rule_examples_hold() {
    let scanner = Scanner::new(RuleSet::builtin().unwrap());
    let failures = check_examples(&scanner);
    assert!(
        failures.is_empty(),
        "{}",
        failures
            .iter()
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn a_broken_rule_is_reported() {
    let mut specs = RuleSet::builtin_specs().unwrap();
    let stripe = specs
        .iter_mut()
        .find(|s| s.id == "stripe-live-secret-key")
        .unwrap();
    stripe.examples.push("no key here".into());
    stripe.negative_examples.push(stripe.examples[0].clone());
    let scanner = Scanner::new(RuleSet::new(specs, vec![], &[]).unwrap());
    let failures = check_examples(&scanner);
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(failures.iter().all(|f| f.rule == "stripe-live-secret-key"));
}

#[test]
fn invalid_rules_are_refused_with_their_id() {
    let mut spec = RuleSet::builtin_specs().unwrap().remove(0);
    spec.id = "my-rule".into();
    spec.regex = "(unclosed".into();
    let err = RuleSet::new(vec![], vec![spec.clone()], &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("rule `my-rule`: invalid regex"), "{err}");
    spec.regex = "no_group_here".into();
    let err = RuleSet::new(vec![], vec![spec], &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("capture group"), "{err}");
}

#[test]
fn disabled_rules_are_dropped() {
    let all = RuleSet::builtin().unwrap().len();
    let some = RuleSet::new(
        RuleSet::builtin_specs().unwrap(),
        vec![],
        &["jwt".to_string()],
    )
    .unwrap();
    assert_eq!(some.len(), all - 1);
    assert!(some.rules().iter().all(|r| r.id() != "jwt"));
}

#[test]
fn a_keyward_token_with_a_valid_checksum_is_a_verified_finding() {
    let scanner = Scanner::new(RuleSet::builtin().unwrap());
    let token =
        keyward_core::token::token_from_random("StZsxnTSWsbCBpWUedoB6SJ95Ypuie2cPzSfldfAd0r");
    let found = scanner.scan(".env", format!("VAULT_TOKEN={token}\n").as_bytes());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].rule_id, "keyward-token");
    assert!(found[0].verified);
    assert!(found[0].notes.iter().any(|n| n.contains("checksum")));
    // One character off: no finding at all (not even an unverified one).
    let mut bad = token.into_bytes();
    bad[10] ^= 0x01;
    let bad = String::from_utf8(bad).unwrap();
    let found = scanner.scan(".env", format!("VAULT_TOKEN={bad}\n").as_bytes());
    assert!(
        found.iter().all(|f| f.rule_id != "keyward-token"),
        "{found:?}"
    );
}
