//! Suppressions a reviewer can trust: a `keyward.dev/allow: "<check>: <reason>"`
//! annotation (or compose / Dockerfile label) on the object itself, and `[[infra.allow]]`
//! entries of keyward.toml with a reason and an expiry. `--strict` ignores annotations.

use crate::checks::Registry;
use crate::error::InfraError;
use crate::finding::InfraFinding;
use crate::model::Unit;
use globset::{Glob, GlobMatcher};
use keyward_core::policy::{Date, InfraAllow};

/// Today's date (UTC).
pub fn today() -> Date {
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    Date::parse(&now[..10]).expect("RFC 3339 starts with a date")
}

struct Entry<'a> {
    allow: &'a InfraAllow,
    path: Option<GlobMatcher>,
    name: Option<GlobMatcher>,
}

/// What suppression did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings suppressed by annotations.
    pub by_annotation: usize,
    /// Findings suppressed by keyward.toml entries.
    pub by_policy: usize,
    /// Annotation suppressions ignored because of `--strict`.
    pub ignored_strict: usize,
    /// Warnings for stderr (expired entries, malformed annotations).
    pub warnings: Vec<String>,
}

/// The compiled `[[infra.allow]]` entries.
pub struct Suppressor<'a> {
    entries: Vec<Entry<'a>>,
    strict: bool,
    warnings: Vec<String>,
}

fn glob(p: &str, n: usize) -> Result<GlobMatcher, InfraError> {
    Glob::new(p)
        .map(|g| g.compile_matcher())
        .map_err(|e| InfraError::Policy(format!("[[infra.allow]] entry {n}: bad glob `{p}`: {e}")))
}

impl<'a> Suppressor<'a> {
    /// Check the entries (known check ids, valid globs); expired ones are dropped with a
    /// warning.
    pub fn new(
        allow: &'a [InfraAllow],
        registry: &Registry,
        today: Date,
        strict: bool,
    ) -> Result<Suppressor<'a>, InfraError> {
        let mut entries = Vec::new();
        let mut warnings = Vec::new();
        for (i, a) in allow.iter().enumerate() {
            let n = i + 1;
            if registry.get(&a.check).is_none() {
                let hint = registry
                    .suggest(&a.check)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(InfraError::Policy(format!(
                    "[[infra.allow]] entry {n}: unknown check `{}`{hint}",
                    a.check
                )));
            }
            if a.expires < today {
                warnings.push(format!(
                    "[[infra.allow]] entry {n} ({}) expired on {} (reason: {}); it no longer suppresses findings",
                    a.check,
                    a.expires,
                    a.reason.as_str()
                ));
                continue;
            }
            entries.push(Entry {
                allow: a,
                path: a.path.as_deref().map(|p| glob(p, n)).transpose()?,
                name: a.name.as_deref().map(|p| glob(p, n)).transpose()?,
            });
        }
        Ok(Suppressor {
            entries,
            strict,
            warnings,
        })
    }

    /// Drop suppressed findings.
    pub fn apply(
        &self,
        units: &[Unit],
        registry: &Registry,
        findings: &mut Vec<InfraFinding>,
    ) -> Outcome {
        let mut out = Outcome {
            warnings: self.warnings.clone(),
            ..Outcome::default()
        };
        for u in units {
            let what = u.object.as_ref().map_or_else(
                || u.path.to_string(),
                |o| format!("{} in {}", o.describe(), u.path),
            );
            for bad in &u.bad_allow {
                out.warnings.push(format!(
                    "{what}: keyward.dev/allow `{bad}` needs `<check>: <reason>`; ignored"
                ));
            }
            for a in u.allow.iter().filter(|a| registry.get(&a.check).is_none()) {
                out.warnings.push(format!(
                    "{what}: keyward.dev/allow names unknown check `{}`; ignored",
                    a.check
                ));
            }
        }
        findings.retain(|f| {
            if self.entries.iter().any(|e| matches(e, f)) {
                out.by_policy += 1;
                return false;
            }
            let annotated = f
                .unit
                .and_then(|u| units.get(u))
                .is_some_and(|u| u.allow.iter().any(|a| a.check == f.check));
            if annotated && self.strict {
                out.ignored_strict += 1;
            } else if annotated {
                out.by_annotation += 1;
                return false;
            }
            true
        });
        out
    }
}

fn matches(e: &Entry<'_>, f: &InfraFinding) -> bool {
    let a = e.allow;
    let o = f.object.as_ref();
    let path = f.path.strip_prefix("./").unwrap_or(&f.path);
    a.check == f.check
        && e.path.as_ref().is_none_or(|g| g.is_match(path))
        && a.kind
            .as_ref()
            .is_none_or(|k| o.is_some_and(|o| o.kind.eq_ignore_ascii_case(k)))
        && a.namespace
            .as_ref()
            .is_none_or(|n| o.is_some_and(|o| o.namespace.as_ref() == Some(n)))
        && e.name
            .as_ref()
            .is_none_or(|g| o.is_some_and(|o| g.is_match(&o.name)))
        && a.container
            .as_ref()
            .is_none_or(|c| o.is_some_and(|o| o.container.as_ref() == Some(c)))
}
