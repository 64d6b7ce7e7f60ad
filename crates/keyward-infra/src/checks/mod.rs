//! Checks as data: each `checks/*.toml` file declares one check (id, severity, the policy
//! sentence it enforces, what is checked, the remediation, examples) and how it is
//! evaluated: field requirements (`[[kubernetes]]`, `[[compose]]`, see [`fields`]) and/or
//! named Rust evaluators from [`EVALUATORS`].

pub mod examples;
pub mod fields;
mod images;
mod secrets;
mod settings;
pub mod spec;

pub use spec::CheckSpec;

use crate::error::InfraError;
use crate::finding::{InfraFinding, Site};
use crate::model::Inventory;
use keyward_scan::Scanner;
use std::cell::OnceCell;

/// The check files, embedded in the binary.
const FILES: &[(&str, &str)] = &[
    (
        "run-as-non-root.toml",
        include_str!("../../checks/run-as-non-root.toml"),
    ),
    (
        "run-as-user-and-fsgroup.toml",
        include_str!("../../checks/run-as-user-and-fsgroup.toml"),
    ),
    (
        "seccomp-runtime-default.toml",
        include_str!("../../checks/seccomp-runtime-default.toml"),
    ),
    (
        "drop-all-capabilities.toml",
        include_str!("../../checks/drop-all-capabilities.toml"),
    ),
    (
        "no-privilege-escalation.toml",
        include_str!("../../checks/no-privilege-escalation.toml"),
    ),
    (
        "privileged.toml",
        include_str!("../../checks/privileged.toml"),
    ),
    (
        "host-namespaces.toml",
        include_str!("../../checks/host-namespaces.toml"),
    ),
    (
        "host-path.toml",
        include_str!("../../checks/host-path.toml"),
    ),
    (
        "image-tag.toml",
        include_str!("../../checks/image-tag.toml"),
    ),
    (
        "resources-limits.toml",
        include_str!("../../checks/resources-limits.toml"),
    ),
    (
        "read-only-rootfs.toml",
        include_str!("../../checks/read-only-rootfs.toml"),
    ),
    (
        "networkpolicy-coverage.toml",
        include_str!("../../checks/networkpolicy-coverage.toml"),
    ),
    (
        "networkpolicy-default-deny.toml",
        include_str!("../../checks/networkpolicy-default-deny.toml"),
    ),
    (
        "networkpolicy-allow-all.toml",
        include_str!("../../checks/networkpolicy-allow-all.toml"),
    ),
    (
        "rbac-wildcard.toml",
        include_str!("../../checks/rbac-wildcard.toml"),
    ),
    (
        "rbac-cluster-admin.toml",
        include_str!("../../checks/rbac-cluster-admin.toml"),
    ),
    (
        "rbac-secrets-read.toml",
        include_str!("../../checks/rbac-secrets-read.toml"),
    ),
    (
        "secret-literal-env.toml",
        include_str!("../../checks/secret-literal-env.toml"),
    ),
    (
        "secret-manifest-literal.toml",
        include_str!("../../checks/secret-manifest-literal.toml"),
    ),
    (
        "db-url-sslmode.toml",
        include_str!("../../checks/db-url-sslmode.toml"),
    ),
    (
        "cors-wildcard.toml",
        include_str!("../../checks/cors-wildcard.toml"),
    ),
];

/// The named evaluators a check file may list.
pub const EVALUATORS: &[&str] = &[
    "dockerfile-user",
    "image-tag",
    "secret-literal",
    "secret-manifest",
    "db-url-sslmode",
    "cors-wildcard",
    "networkpolicy-coverage",
    "networkpolicy-default-deny",
    "networkpolicy-allow-all",
    "rbac-wildcard",
    "rbac-cluster-admin",
    "rbac-secrets-read",
];

/// A loaded check.
#[derive(Clone, Debug)]
pub struct Check {
    /// Its declaration.
    pub spec: CheckSpec,
    /// The file it came from.
    pub file: &'static str,
}

/// Every built-in check, in file order.
#[derive(Clone, Debug)]
pub struct Registry {
    checks: Vec<Check>,
}

impl Registry {
    /// Parse and validate the embedded check files.
    pub fn builtin() -> Result<Registry, InfraError> {
        let mut checks: Vec<Check> = Vec::new();
        for (file, text) in FILES {
            let bad = |message: String| InfraError::CheckData {
                file: file.to_string(),
                message,
            };
            let spec: CheckSpec = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
            if format!("{}.toml", spec.id) != *file {
                return Err(bad(format!(
                    "id `{}` does not match the file name",
                    spec.id
                )));
            }
            if let Some(e) = spec
                .evaluators
                .iter()
                .find(|e| !EVALUATORS.contains(&e.as_str()))
            {
                return Err(bad(format!("unknown evaluator `{e}`")));
            }
            let reqs = spec.kubernetes.iter().chain(&spec.compose);
            if let Some(p) = reqs
                .filter_map(|r| r.predicate.as_deref())
                .find(|p| !fields::PREDICATES.contains(p))
            {
                return Err(bad(format!("unknown predicate `{p}`")));
            }
            if spec.evaluators.is_empty() && spec.kubernetes.is_empty() && spec.compose.is_empty() {
                return Err(bad("no requirement and no evaluator".into()));
            }
            if spec.examples.iter().all(|e| e.expect != spec::Expect::Fail)
                || spec.examples.iter().all(|e| e.expect != spec::Expect::Pass)
            {
                return Err(bad(
                    "needs at least one passing and one failing example".into()
                ));
            }
            checks.push(Check { spec, file });
        }
        Ok(Registry { checks })
    }

    /// All checks.
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// The check with `id`.
    pub fn get(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.spec.id == id)
    }

    /// The closest known id to `id`, for "did you mean" hints.
    pub fn suggest(&self, id: &str) -> Option<&str> {
        self.checks
            .iter()
            .map(|c| (strsim::jaro_winkler(id, &c.spec.id), c.spec.id.as_str()))
            .filter(|(s, _)| *s > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, id)| id)
    }
}

/// Builds the secret scanner when (and only when) an evaluator needs it.
pub type ScannerFactory<'a> = &'a dyn Fn() -> Option<Scanner>;

/// What evaluators read and write.
pub struct Ctx<'a> {
    /// Everything read in the run.
    pub inv: &'a Inventory,
    /// Findings produced so far.
    pub out: Vec<InfraFinding>,
    scanner: OnceCell<Option<Scanner>>,
    factory: ScannerFactory<'a>,
}

impl<'a> Ctx<'a> {
    /// A context over `inv`.
    pub fn new(inv: &'a Inventory, factory: ScannerFactory<'a>) -> Ctx<'a> {
        Ctx {
            inv,
            out: Vec::new(),
            scanner: OnceCell::new(),
            factory,
        }
    }

    /// Record a finding of `check` at `site` and return it for notes.
    pub fn emit(
        &mut self,
        check: &Check,
        site: Site,
        message: String,
        field: &str,
    ) -> &mut InfraFinding {
        self.out
            .push(InfraFinding::new(check, site, message, field));
        self.out.last_mut().expect("just pushed")
    }

    /// The secret scanner, built on first use.
    pub fn scanner(&self) -> Option<&Scanner> {
        self.scanner.get_or_init(|| (self.factory)()).as_ref()
    }
}

/// Run one check over the inventory.
pub fn run(check: &Check, ctx: &mut Ctx<'_>) {
    if !check.spec.kubernetes.is_empty() {
        fields::kubernetes(ctx, check);
    }
    if !check.spec.compose.is_empty() {
        fields::compose(ctx, check);
    }
    for e in &check.spec.evaluators {
        match e.as_str() {
            "dockerfile-user" => images::dockerfile_user(ctx, check),
            "image-tag" => images::image_tag(ctx, check),
            "secret-literal" => settings::secret_literal(ctx, check),
            "db-url-sslmode" => settings::db_url_sslmode(ctx, check),
            "cors-wildcard" => settings::cors_wildcard(ctx, check),
            "secret-manifest" => secrets::secret_manifest(ctx, check),
            "networkpolicy-coverage" => crate::netpol::coverage(ctx, check),
            "networkpolicy-default-deny" => crate::netpol::default_deny(ctx, check),
            "networkpolicy-allow-all" => crate::netpol::allow_all(ctx, check),
            "rbac-wildcard" => crate::rbac::wildcard(ctx, check),
            "rbac-cluster-admin" => crate::rbac::cluster_admin(ctx, check),
            "rbac-secrets-read" => crate::rbac::secrets_read(ctx, check),
            other => unreachable!("evaluator `{other}` validated at load"),
        }
    }
}
