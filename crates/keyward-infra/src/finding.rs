//! [`InfraFinding`]: a check's result, with the object it is about, turned into the shared
//! [`Finding`] for output.

use crate::checks::Check;
use crate::model::ObjectRef;
use keyward_core::{Confidence, Finding, Fingerprint, Location, SecretBytes, Severity};
use std::sync::Arc;

/// Where a finding points and what it is about.
#[derive(Clone, Debug)]
pub struct Site {
    /// The file.
    pub path: Arc<str>,
    /// 1-based line and column.
    pub at: (usize, usize),
    /// The suppression scope.
    pub unit: Option<usize>,
    /// The object (and container).
    pub object: Option<ObjectRef>,
}

/// One finding of a check.
#[derive(Clone, Debug)]
pub struct InfraFinding {
    /// The check that produced it (what suppressions and `disable` name).
    pub check: String,
    /// The rule id shown: the check id, or the scanner's rule for a secret found inside a
    /// committed Secret.
    pub rule: String,
    /// Severity.
    pub severity: Severity,
    /// What is wrong, one line, never a secret value.
    pub message: String,
    /// The file.
    pub path: Arc<str>,
    /// 1-based line of the offending field (or of its closest parent when it is missing).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The suppression scope (object annotations / labels).
    pub unit: Option<usize>,
    /// The object and container it is about.
    pub object: Option<ObjectRef>,
    /// A secret value the finding is about (printed only redacted).
    pub secret: Option<SecretBytes>,
    /// What the fingerprint hashes: the object and field, never the secret.
    pub subject: String,
    /// A fingerprint decided elsewhere (the scanner's, for secrets found in Secrets).
    pub fingerprint: Option<Fingerprint>,
    /// Extra facts (how a permission is reached, which policies select a pod, …).
    pub notes: Vec<String>,
}

impl InfraFinding {
    /// A finding of `check` at `site`; `field` names what is wrong in the object (it goes
    /// into the fingerprint, never a value).
    pub fn new(check: &Check, site: Site, message: String, field: &str) -> InfraFinding {
        let subject = match &site.object {
            Some(o) => format!(
                "{}\0{}\0{}\0{}\0{field}",
                o.kind,
                o.namespace.as_deref().unwrap_or(""),
                o.name,
                o.container.as_deref().unwrap_or("")
            ),
            None => format!("{}\0{field}", site.path),
        };
        InfraFinding {
            check: check.spec.id.clone(),
            rule: check.spec.id.clone(),
            severity: check.spec.severity,
            message,
            path: site.path,
            line: site.at.0,
            column: site.at.1,
            unit: site.unit,
            object: site.object,
            secret: None,
            subject,
            fingerprint: None,
            notes: Vec::new(),
        }
    }

    /// The shared finding: the title says which object, the secret (if any) is redacted on
    /// output, the fingerprint hashes the rule and the subject.
    pub fn to_core(&self) -> Finding {
        let title = match &self.object {
            Some(o) => format!("{}: {}", o.describe(), self.message),
            None => self.message.clone(),
        };
        let location = Location {
            path: self.path.to_string(),
            line: self.line,
            column: self.column.max(1),
            start: 0,
            end: 0,
            git: None,
        };
        let secret = self
            .secret
            .clone()
            .unwrap_or_else(|| SecretBytes::new(Vec::new()));
        let empty = secret.is_empty();
        let mut f = Finding::new(
            self.rule.clone(),
            title,
            self.severity,
            Confidence::High,
            location,
            secret,
        );
        if empty {
            f.redacted = String::new();
        }
        f.fingerprint = self
            .fingerprint
            .clone()
            .unwrap_or_else(|| Fingerprint::of_fact(&self.rule, self.subject.as_bytes()));
        f.notes = self.notes.clone();
        f
    }
}
