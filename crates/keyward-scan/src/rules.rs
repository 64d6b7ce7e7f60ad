//! Rules as data: the built-in rule files (embedded) and user rules, compiled.

use crate::error::ScanError;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use keyward_core::policy::{RuleSpec, Validator};
use keyward_core::{Confidence, Severity};
use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;
use std::collections::HashMap;

/// The built-in rule files, embedded in the binary: (file name, contents).
pub const BUILTIN_RULE_FILES: &[(&str, &str)] = &[
    ("cloud.toml", include_str!("../rules/cloud.toml")),
    ("payments.toml", include_str!("../rules/payments.toml")),
    ("vcs.toml", include_str!("../rules/vcs.toml")),
    ("messaging.toml", include_str!("../rules/messaging.toml")),
    ("ai.toml", include_str!("../rules/ai.toml")),
    ("packages.toml", include_str!("../rules/packages.toml")),
    ("keys.toml", include_str!("../rules/keys.toml")),
    ("urls.toml", include_str!("../rules/urls.toml")),
    ("generic.toml", include_str!("../rules/generic.toml")),
    ("cli.toml", include_str!("../rules/cli.toml")),
    ("kubernetes.toml", include_str!("../rules/kubernetes.toml")),
    ("keyward.toml", include_str!("../rules/keyward.toml")),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default, rename = "rule")]
    rules: Vec<RuleSpec>,
}

/// Where a rule came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Embedded in the binary.
    Builtin,
    /// From `[[rules]]` in `keyward.toml`.
    User,
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// The data it was compiled from.
    pub spec: RuleSpec,
    /// Built-in or user.
    pub origin: Origin,
    /// Parsed severity.
    pub severity: Severity,
    /// Parsed confidence.
    pub confidence: Confidence,
    pub(crate) regex: Regex,
    /// Capture groups that may hold the secret (named `secret*`, else group 1); the first
    /// that participates in a match is the secret.
    pub(crate) secret_groups: Vec<usize>,
    pub(crate) key_group: Option<usize>,
    /// The group named `secret_raw` (an unquoted value), if any: such a value followed by
    /// `(`, `.` or `[` is a code expression, not a literal.
    pub(crate) raw_group: Option<usize>,
    pub(crate) filter_placeholders: bool,
    /// `None`: the match stays on the keyword's line. `Some(n)`: it may extend `n` bytes.
    pub(crate) window: Option<usize>,
}

impl Rule {
    /// Compile one rule spec.
    pub fn compile(spec: RuleSpec, origin: Origin) -> Result<Rule, ScanError> {
        let err = |message: String| ScanError::Rule {
            id: spec.id.clone(),
            message,
        };
        if spec.id.is_empty()
            || !spec
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(err("id must be non-empty kebab-case".into()));
        }
        let severity: Severity = spec.severity.parse().map_err(err)?;
        let confidence = match spec.confidence.as_deref().unwrap_or("medium") {
            "high" => Confidence::High,
            "medium" => Confidence::Medium,
            "low" => Confidence::Low,
            other => return Err(err(format!("unknown confidence `{other}`"))),
        };
        if spec.keywords.is_empty() || spec.keywords.iter().any(|k| k.len() < 2) {
            return Err(err(
                "needs at least one keyword of two or more characters".into()
            ));
        }
        let regex = RegexBuilder::new(&spec.regex)
            .unicode(false)
            .size_limit(1 << 23)
            .build()
            .map_err(|e| err(format!("invalid regex: {e}")))?;
        let names: Vec<Option<&str>> = regex.capture_names().collect();
        let mut secret_groups: Vec<usize> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| n.is_some_and(|n| n.starts_with("secret")))
            .map(|(i, _)| i)
            .collect();
        if secret_groups.is_empty() {
            if names.len() < 2 {
                return Err(err("regex needs a capture group for the secret".into()));
            }
            secret_groups.push(1);
        }
        let key_group = names.iter().position(|n| *n == Some("key"));
        let raw_group = names.iter().position(|n| *n == Some("secret_raw"));
        Ok(Rule {
            severity,
            confidence,
            filter_placeholders: spec.filter_placeholders.unwrap_or(true),
            window: spec.window.map(|w| w.min(1 << 20)),
            regex,
            secret_groups,
            key_group,
            raw_group,
            origin,
            spec,
        })
    }

    /// Rule id.
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// The validator, if any.
    pub fn validator(&self) -> Option<Validator> {
        self.spec.validator
    }
}

/// All rules, with the keyword automaton that selects them.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    pub(crate) keywords: AhoCorasick,
    /// The same keywords for the first, non-overlapping pass that only finds the lines
    /// worth a closer look (far cheaper than an overlapping search over every byte).
    pub(crate) finder: AhoCorasick,
    /// Length of the longest keyword.
    pub(crate) max_keyword_len: usize,
    /// For each keyword pattern id, the rules it triggers.
    pub(crate) keyword_rules: Vec<Vec<u16>>,
}

impl RuleSet {
    /// The built-in rules.
    pub fn builtin() -> Result<RuleSet, ScanError> {
        Self::new(Self::builtin_specs()?, Vec::new(), &[])
    }

    /// Parse the embedded rule files.
    pub fn builtin_specs() -> Result<Vec<RuleSpec>, ScanError> {
        let mut specs = Vec::new();
        for (file, text) in BUILTIN_RULE_FILES {
            let parsed: RuleFile = toml::from_str(text).map_err(|e| ScanError::RuleFile {
                file: file.to_string(),
                message: e.message().to_string(),
            })?;
            specs.extend(parsed.rules);
        }
        Ok(specs)
    }

    /// Built-in rules (minus `disabled` ids) plus user rules.
    pub fn new(
        builtin: Vec<RuleSpec>,
        user: Vec<RuleSpec>,
        disabled: &[String],
    ) -> Result<RuleSet, ScanError> {
        let mut rules = Vec::new();
        for spec in builtin {
            if !disabled.contains(&spec.id) {
                rules.push(Rule::compile(spec, Origin::Builtin)?);
            }
        }
        for spec in user {
            rules.push(Rule::compile(spec, Origin::User)?);
        }
        let mut seen = HashMap::new();
        for r in &rules {
            if seen.insert(r.id().to_string(), ()).is_some() {
                return Err(ScanError::Rule {
                    id: r.id().to_string(),
                    message: "duplicate rule id".into(),
                });
            }
        }
        Self::from_rules(rules)
    }

    fn from_rules(rules: Vec<Rule>) -> Result<RuleSet, ScanError> {
        let mut patterns: Vec<String> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut keyword_rules: Vec<Vec<u16>> = Vec::new();
        for (ri, rule) in rules.iter().enumerate() {
            for kw in &rule.spec.keywords {
                let kw = kw.to_ascii_lowercase();
                let pid = *index.entry(kw.clone()).or_insert_with(|| {
                    patterns.push(kw);
                    keyword_rules.push(Vec::new());
                    patterns.len() - 1
                });
                let ri = u16::try_from(ri).expect("fewer than 65536 rules");
                if !keyword_rules[pid].contains(&ri) {
                    keyword_rules[pid].push(ri);
                }
            }
        }
        let build = |kind: MatchKind| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(kind)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&patterns)
                .map_err(|e| ScanError::Rule {
                    id: "<keywords>".into(),
                    message: e.to_string(),
                })
        };
        Ok(RuleSet {
            keywords: build(MatchKind::Standard)?,
            finder: build(MatchKind::LeftmostFirst)?,
            max_keyword_len: patterns.iter().map(String::len).max().unwrap_or(0),
            rules,
            keyword_rules,
        })
    }

    /// The rules, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// One broken example, as reported by [`check_examples`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    /// Rule id.
    pub rule: String,
    /// `example` or `negative example`.
    pub kind: &'static str,
    /// 1-based index in the rule's list.
    pub index: usize,
    /// What happened.
    pub problem: String,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rule `{}`: {} #{} {}",
            self.rule, self.kind, self.index, self.problem
        )
    }
}

/// Run every rule's examples through the full scanner: each example must yield a finding
/// of its rule, each negative example none. Rules with no examples are reported too.
pub fn check_examples(scanner: &crate::Scanner) -> Vec<ExampleFailure> {
    let mut failures = Vec::new();
    for rule in scanner.rules().rules() {
        let id = rule.id();
        if rule.spec.examples.is_empty() {
            failures.push(ExampleFailure {
                rule: id.into(),
                kind: "example",
                index: 0,
                problem: "missing: every rule needs at least one example".into(),
            });
        }
        for (i, ex) in rule.spec.examples.iter().enumerate() {
            let found = scanner.scan("example", ex.as_bytes());
            if !found.iter().any(|f| f.rule_id == id) {
                let others: Vec<_> = found.iter().map(|f| f.rule_id.as_str()).collect();
                failures.push(ExampleFailure {
                    rule: id.into(),
                    kind: "example",
                    index: i + 1,
                    problem: if others.is_empty() {
                        "was not detected".into()
                    } else {
                        format!("was reported as {} instead", others.join(", "))
                    },
                });
            }
        }
        for (i, ex) in rule.spec.negative_examples.iter().enumerate() {
            if scanner
                .scan("example", ex.as_bytes())
                .iter()
                .any(|f| f.rule_id == id)
            {
                failures.push(ExampleFailure {
                    rule: id.into(),
                    kind: "negative example",
                    index: i + 1,
                    problem: "was detected".into(),
                });
            }
        }
    }
    failures
}
