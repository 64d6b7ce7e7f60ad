//! `keyward env check`: environment files and the process environment against the policy.
//!
//! Every check returns [`Finding`]s with the variable name in the title and the file and
//! line in the location; a value appears only as the finding's secret (redacted on output).
//! Rule ids and severities are listed in [`rules::RULES`].

mod entries;
mod files;
pub mod rules;
pub mod values;

use crate::dotenv::Dotenv;
use crate::Error;
use keyward_core::policy::{EnvironmentSpec, Policy, VariableSpec};
use keyward_core::{Confidence, Finding, Fingerprint, Location, SecretBytes, Severity};
use keyward_scan::Scanner;
use std::path::{Path, PathBuf};

pub use files::{git_status, GitStatus};

/// The path shown for variables read from the process environment.
pub const PROCESS: &str = "<process>";

/// What to check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A dotenv file. Files named like examples (`.env.example`, `.env.sample`,
    /// `.env.template`, `*.dist`) are checked as examples: placeholders are expected there,
    /// real secrets are not.
    File(PathBuf),
    /// The variables of the current process that the policy declares.
    Process,
}

/// The settings of one run.
pub struct Context<'a> {
    /// The policy (possibly the default, empty one).
    pub policy: &'a Policy,
    /// The environment checked, e.g. `development`.
    pub env_name: String,
    /// Its settings (declared, or defaults).
    pub env: EnvironmentSpec,
    /// The scanner used on example files; without one, example files are not scanned.
    pub scanner: Option<&'a Scanner>,
    /// Check whether files are tracked by git or ignored.
    pub git: bool,
}

impl<'a> Context<'a> {
    /// Settings for environment `env_name`. Fails when the policy declares environments
    /// and `env_name` is not one of them.
    pub fn new(
        policy: &'a Policy,
        env_name: &str,
        scanner: Option<&'a Scanner>,
    ) -> Result<Self, String> {
        let env = match policy.environments.get(env_name) {
            Some(e) => e.clone(),
            None if policy.environments.is_empty() => EnvironmentSpec::default(),
            None => {
                let known: Vec<&str> = policy.environments.keys().map(String::as_str).collect();
                return Err(format!(
                    "unknown environment `{env_name}` (keyward.toml declares: {})",
                    known.join(", ")
                ));
            }
        };
        Ok(Context {
            policy,
            env_name: env_name.to_string(),
            env,
            scanner,
            git: true,
        })
    }

    /// The declared spec of `name`, or a default one whose kind is inferred from the name.
    fn spec(&self, name: &str) -> VariableSpec {
        self.policy.variables.get(name).cloned().unwrap_or_default()
    }
}

/// One variable as read from a source.
#[derive(Clone, Debug)]
pub(crate) struct Var {
    pub key: String,
    pub value: String,
    pub location: Location,
}

/// A source after reading.
pub(crate) struct Source {
    pub path: String,
    pub example: bool,
    pub vars: Vec<Var>,
}

/// Is `path` an example file (committed on purpose, placeholders expected)?
pub fn is_example(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    ["example", "sample", "template", ".dist"]
        .iter()
        .any(|m| name.contains(m))
}

/// Run every check over `inputs`. Fails (exit 2 in the CLI) on unreadable or malformed
/// files; everything else is a finding.
pub fn run(ctx: &Context<'_>, inputs: &[Input]) -> Result<Vec<Finding>, Error> {
    let mut findings = Vec::new();
    let mut sources = Vec::new();
    for input in inputs {
        match input {
            Input::File(path) => {
                let bytes = std::fs::read(path).map_err(|source| Error::Read {
                    path: path.clone(),
                    source,
                })?;
                let text = String::from_utf8(bytes).map_err(|_| Error::Read {
                    path: path.clone(),
                    source: std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"),
                })?;
                let doc = crate::dotenv::parse(&text).map_err(|e| Error::syntax(path, e))?;
                let source = file_source(path, &doc);
                if source.example {
                    findings.extend(files::example_secrets(ctx, &source.path, &text));
                } else if ctx.git {
                    findings.extend(files::git_findings(path, &source.path));
                }
                sources.push(source);
            }
            Input::Process => sources.push(process_source(ctx)),
        }
    }
    findings.extend(entries::check(ctx, &sources));
    findings.sort_by(|a, b| {
        (&a.location.path, a.location.line, &a.rule_id).cmp(&(
            &b.location.path,
            b.location.line,
            &b.rule_id,
        ))
    });
    Ok(findings)
}

fn file_source(path: &Path, doc: &Dotenv) -> Source {
    let shown = path.display().to_string();
    Source {
        example: is_example(path),
        vars: doc
            .entries()
            .map(|e| Var {
                key: e.key.clone(),
                value: e.value.clone(),
                location: Location {
                    path: shown.clone(),
                    line: e.line,
                    column: e.column,
                    start: e.value_span.0,
                    end: e.value_span.1,
                    git: None,
                },
            })
            .collect(),
        path: shown,
    }
}

fn process_source(ctx: &Context<'_>) -> Source {
    let vars = ctx
        .policy
        .variables
        .keys()
        .filter_map(|key| {
            let value = std::env::var(key).ok()?;
            Some(Var {
                key: key.clone(),
                value,
                location: file_level(PROCESS),
            })
        })
        .collect();
    Source {
        path: PROCESS.into(),
        example: false,
        vars,
    }
}

/// A location naming a whole file (line 1, column 1).
pub(crate) fn file_level(path: &str) -> Location {
    Location {
        path: path.to_string(),
        line: 1,
        column: 1,
        start: 0,
        end: 0,
        git: None,
    }
}

/// A finding about a value: the value is the finding's secret (redacted on output).
pub(crate) fn about_value(
    rule: &str,
    title: String,
    severity: Severity,
    var: &Var,
    note: Option<String>,
) -> Finding {
    let mut f = Finding::new(
        rule,
        title,
        severity,
        Confidence::High,
        var.location.clone(),
        SecretBytes::new(var.value.as_bytes()),
    );
    if var.value.is_empty() {
        f.redacted = String::new();
    }
    // Per variable, so one placeholder in two variables is two findings; the value only
    // counts under a secret fingerprint key (a weak value must not be guessable from it).
    let place = format!("{}\0{}", f.location.path, var.key);
    f.fingerprint = Fingerprint::of_secret(rule, var.value.as_bytes(), &place);
    f.notes.extend(note);
    f
}

/// A finding about a name or a file: nothing secret; the fingerprint hashes `subject`.
pub(crate) fn about_fact(
    rule: &str,
    title: String,
    severity: Severity,
    location: Location,
    subject: &str,
    note: Option<String>,
) -> Finding {
    let mut f = Finding::new(
        rule,
        title,
        severity,
        Confidence::High,
        location,
        SecretBytes::new(Vec::new()),
    );
    f.redacted = String::new();
    f.fingerprint = Fingerprint::of_fact(rule, subject.as_bytes());
    f.notes.extend(note);
    f
}

/// The default severity of `rule`.
pub(crate) fn severity(rule: &str) -> Severity {
    rules::info(rule).map_or(Severity::Medium, |r| r.severity)
}
