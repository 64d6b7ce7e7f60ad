//! What one run computed: the facts of every evidence source, serializable, so each source
//! has a digest that a sign-off records. Facts never hold a secret value: findings are
//! referenced by rule, place and fingerprint only.

use crate::sarif::SarifFacts;
use crate::tls::CertFacts;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// A finding, by reference: what, how bad, where (no value, no redacted form).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FindingRef {
    /// Rule or check id.
    pub rule: String,
    /// `critical` … `info`.
    pub severity: String,
    /// File.
    pub path: String,
    /// 1-based line (0 when none).
    pub line: usize,
    /// The object (infra) or fingerprint (scan), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub what: Option<String>,
}

/// `keyward scan` of the tree.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ScanFacts {
    /// Files scanned.
    pub files: u64,
    /// Findings (after `[[allow]]` entries and the baseline).
    pub findings: Vec<FindingRef>,
}

/// `keyward env check` of one environment's dotenv files.
#[derive(Clone, Debug, Default, Serialize)]
pub struct EnvFacts {
    /// The environment.
    pub environment: String,
    /// The files checked.
    pub files: Vec<String>,
    /// Findings.
    pub findings: Vec<FindingRef>,
}

/// What the store holds for the checklist's environment.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StoreFacts {
    /// The environment.
    pub environment: String,
    /// Secrets with a current version in that environment.
    pub secrets: Vec<String>,
    /// Variables `keyward.toml` requires there.
    pub required: Vec<String>,
    /// Required variables without a current version in the store.
    pub missing: Vec<String>,
}

/// One secret's rotation schedule.
#[derive(Clone, Debug, Serialize)]
pub struct RotationRow {
    /// `ENV/NAME`.
    pub path: String,
    /// Kind.
    pub kind: String,
    /// `overdue`, `due`, `due-soon`, `ok`, `on-demand`.
    pub schedule: String,
    /// Days past due.
    pub overdue_days: i64,
    /// Last rotation (or creation).
    pub last_rotated: String,
    /// Next due, when scheduled.
    pub next_due: Option<String>,
}

/// `keyward rotation status`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RotationFacts {
    /// Every stored secret's schedule.
    pub secrets: Vec<RotationRow>,
}

/// `keyward audit verify` (hash chain).
#[derive(Clone, Debug, Default, Serialize)]
pub struct AuditFacts {
    /// Entries.
    pub entries: u64,
    /// Whether the chain verifies.
    pub intact: bool,
    /// The head hash, to anchor elsewhere.
    pub head: String,
    /// Why it does not verify.
    pub problem: Option<String>,
}

/// One vulnerable package.
#[derive(Clone, Debug, Serialize)]
pub struct VulnRef {
    /// `npm`, `PyPI`, `crates.io`.
    pub ecosystem: String,
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Highest severity.
    pub severity: String,
    /// Advisory ids.
    pub ids: Vec<String>,
}

/// `keyward deps`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DepsFacts {
    /// Lockfiles read.
    pub lockfiles: Vec<String>,
    /// Ecosystems of the lockfiles read.
    pub ecosystems: Vec<String>,
    /// Packages read.
    pub packages: usize,
    /// Vulnerable packages.
    pub found: Vec<VulnRef>,
    /// When the database was updated, if known.
    pub database_updated: Option<String>,
    /// Whether the database is older than `[deps] max_db_age_days`.
    pub database_stale: bool,
    /// Lockfiles that could not be read.
    pub errors: Vec<String>,
}

/// `keyward infra`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct InfraFacts {
    /// Objects checked (Kubernetes objects, compose services, Dockerfiles).
    pub objects: usize,
    /// Findings.
    pub findings: Vec<FindingRef>,
    /// Files that could not be read.
    pub errors: Vec<String>,
}

/// TLS certificates found and checked.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TlsFacts {
    /// The renewal window used, in days.
    pub renew_days: u32,
    /// Every certificate.
    pub certificates: Vec<CertFacts>,
}

/// Settings read from `keyward.toml` and the tree.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ConfigFacts {
    /// `[server.limits]` declares limits.
    pub rate_limits: bool,
    /// `[server.alerts]` declares a webhook.
    pub alerts: bool,
    /// SECURITY.md has an incident response section.
    pub incident_response_doc: Option<String>,
}

/// Every source's facts; `None` when the source could not run (see `unavailable`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Evidence {
    /// Secret scan of the tree.
    pub scan: Option<ScanFacts>,
    /// Environment checks, one per environment whose files exist.
    pub env: Option<Vec<EnvFacts>>,
    /// Store contents for the environment.
    pub store: Option<StoreFacts>,
    /// Rotation status.
    pub rotation: Option<RotationFacts>,
    /// Audit chain.
    pub audit: Option<AuditFacts>,
    /// Dependency advisories.
    pub deps: Option<DepsFacts>,
    /// Infrastructure checks.
    pub infra: Option<InfraFacts>,
    /// TLS certificates.
    pub tls: Option<TlsFacts>,
    /// SARIF reports of other tools.
    pub sarif: Option<SarifFacts>,
    /// Settings.
    pub config: ConfigFacts,
    /// Why a source did not run (`store`: "no store at .keyward/store.db").
    pub unavailable: BTreeMap<String, String>,
}

/// A source's name, summary and digest, as shown and signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceDigest {
    /// `scan`, `env`, `store`, …
    pub source: String,
    /// SHA-256 (hex) of the source's facts as JSON; `None` when it did not run.
    pub digest: Option<String>,
    /// One line for people.
    pub summary: String,
}

/// SHA-256 (hex) of `value` serialized as JSON.
pub fn digest<T: Serialize>(value: &T) -> String {
    let bytes = serde_json::to_vec(value).expect("facts serialize");
    hex::encode(Sha256::digest(bytes))
}

impl Evidence {
    /// Every source with its digest and summary, in a fixed order.
    pub fn digests(&self) -> Vec<SourceDigest> {
        let mut out = Vec::new();
        let mut add = |source: &str, digest: Option<String>, summary: String| {
            let summary = match (&digest, self.unavailable.get(source)) {
                (None, Some(why)) => format!("not run: {why}"),
                (None, None) => "not run".to_string(),
                _ => summary,
            };
            out.push(SourceDigest {
                source: source.into(),
                digest,
                summary,
            });
        };
        add(
            "scan",
            self.scan.as_ref().map(digest),
            self.scan.as_ref().map_or(String::new(), |s| {
                format!("{} file(s), {} finding(s)", s.files, s.findings.len())
            }),
        );
        add(
            "env",
            self.env.as_ref().map(digest),
            self.env.as_ref().map_or(String::new(), |e| {
                e.iter()
                    .map(|f| format!("{}: {} finding(s)", f.environment, f.findings.len()))
                    .collect::<Vec<_>>()
                    .join("; ")
            }),
        );
        add(
            "store",
            self.store.as_ref().map(digest),
            self.store.as_ref().map_or(String::new(), |s| {
                format!(
                    "{}: {} secret(s), {} of {} required missing",
                    s.environment,
                    s.secrets.len(),
                    s.missing.len(),
                    s.required.len()
                )
            }),
        );
        add(
            "rotation",
            self.rotation.as_ref().map(digest),
            self.rotation.as_ref().map_or(String::new(), |r| {
                let overdue = r.secrets.iter().filter(|s| s.is_late()).count();
                format!("{} secret(s), {overdue} overdue or due", r.secrets.len())
            }),
        );
        add(
            "audit",
            self.audit.as_ref().map(digest),
            self.audit
                .as_ref()
                .map_or(String::new(), |a| match a.intact {
                    true => format!("chain intact, {} entries, head {}", a.entries, a.head),
                    false => format!("chain broken: {}", a.problem.as_deref().unwrap_or("?")),
                }),
        );
        add(
            "deps",
            self.deps.as_ref().map(digest),
            self.deps.as_ref().map_or(String::new(), |d| {
                format!(
                    "{} lockfile(s), {} vulnerable package(s){}",
                    d.lockfiles.len(),
                    d.found.len(),
                    if d.database_stale {
                        ", database stale"
                    } else {
                        ""
                    }
                )
            }),
        );
        add(
            "infra",
            self.infra.as_ref().map(digest),
            self.infra.as_ref().map_or(String::new(), |i| {
                format!("{} object(s), {} finding(s)", i.objects, i.findings.len())
            }),
        );
        add(
            "tls",
            self.tls.as_ref().map(digest),
            self.tls.as_ref().map_or(String::new(), |t| {
                let bad = t
                    .certificates
                    .iter()
                    .filter(|c| !c.problems.is_empty())
                    .count();
                format!(
                    "{} certificate(s), {bad} with problems",
                    t.certificates.len()
                )
            }),
        );
        add(
            "sarif",
            self.sarif.as_ref().map(digest),
            self.sarif.as_ref().map_or(String::new(), |s| {
                let tools: Vec<String> = s.runs.iter().map(|r| r.tool.clone()).collect();
                format!("{} report(s): {}", s.runs.len(), tools.join(", "))
            }),
        );
        add(
            "config",
            Some(digest(&self.config)),
            format!(
                "rate limits {}, alerts {}",
                yes(self.config.rate_limits),
                yes(self.config.alerts)
            ),
        );
        out
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "declared"
    } else {
        "not declared"
    }
}

impl RotationRow {
    /// Overdue or due now.
    pub fn is_late(&self) -> bool {
        matches!(self.schedule.as_str(), "overdue" | "due")
    }
}
