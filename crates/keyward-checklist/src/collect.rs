//! Computing the evidence: every source run once, in this process, through the same library
//! calls the `scan`, `env check`, `rotation status`, `audit verify`, `deps` and `infra`
//! commands make. A source that cannot run (no store, no master key, no database) is
//! recorded as unavailable; its items are then unproven, never proven.

use crate::error::ChecklistError;
use crate::evidence::*;
use crate::tls::{self, Rules};
use keyward_core::policy::Policy;
use keyward_core::Finding;
use keyward_store::{Backend, Store};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

/// Access to the store, as far as the caller could open it.
pub enum StoreAccess<'a> {
    /// Unsealed with the master key: contents, rotation and the audit chain.
    Unsealed(&'a mut Store),
    /// The database only (no master key): the audit chain.
    Backend(Box<dyn Backend>),
    /// No store; why.
    None(String),
}

/// What to collect evidence from.
pub struct Inputs<'a> {
    /// The project root (the tree scanned, manifests, lockfiles, SECURITY.md).
    pub root: PathBuf,
    /// The policy.
    pub policy: &'a Policy,
    /// The store.
    pub store: StoreAccess<'a>,
    /// The OSV database directory, when one is configured.
    pub osv_db: Option<PathBuf>,
    /// `--tls-endpoint host:port` values.
    pub tls_endpoints: Vec<String>,
    /// `--evidence FILE.sarif` values.
    pub sarif: Vec<PathBuf>,
    /// Now (rotation's clock, `KEYWARD_NOW` honoured by the caller).
    pub now: SystemTime,
}

/// Example dotenv files checked with the first environment, when present.
const EXAMPLES: &[&str] = &[".env.example", ".env.sample", ".env.template"];

fn shown(root: &Path, p: &str) -> String {
    Path::new(p)
        .strip_prefix(root)
        .map(|r| r.display().to_string())
        .unwrap_or_else(|_| p.to_string())
}

fn finding_ref(root: &Path, f: &Finding, what: Option<String>) -> FindingRef {
    FindingRef {
        rule: f.rule_id.clone(),
        severity: f.severity.as_str().to_string(),
        path: shown(root, &f.location.path),
        line: f.location.line,
        what,
    }
}

fn unavailable(ev: &mut Evidence, source: &str, why: impl ToString) {
    ev.unavailable.insert(source.to_string(), why.to_string());
}

/// Run every source.
pub fn collect(inputs: Inputs<'_>) -> Result<Evidence, ChecklistError> {
    let mut ev = Evidence::default();
    let Inputs {
        root,
        policy,
        store,
        osv_db,
        tls_endpoints,
        sarif,
        now,
    } = inputs;
    let scanner = crate::collect::scanner(policy)?;
    ev.scan = Some(scan(&root, policy, &scanner)?);
    ev.env = Some(env(&root, policy, &scanner)?);
    let env_name = policy.checklist.environment().to_string();
    match store {
        StoreAccess::Unsealed(s) => {
            ev.store = Some(store_facts(s, policy, &env_name)?);
            ev.rotation = Some(rotation(s, policy, &env_name, now)?);
            ev.audit = Some(audit(s.verify_audit()?));
        }
        StoreAccess::Backend(mut b) => {
            let why = "no master key (set KEYWARD_MASTER_KEY or pass --master-key-file)";
            unavailable(&mut ev, "store", why);
            unavailable(&mut ev, "rotation", why);
            ev.audit = Some(audit(keyward_store::audit::verify(b.as_mut())?));
        }
        StoreAccess::None(why) => {
            for s in ["store", "rotation", "audit"] {
                unavailable(&mut ev, s, &why);
            }
        }
    }
    match &osv_db {
        Some(dir) => match deps(&root, policy, dir, now) {
            Ok(d) => ev.deps = Some(d),
            Err(e) => unavailable(&mut ev, "deps", e),
        },
        None => unavailable(
            &mut ev,
            "deps",
            "no advisory database (pass --db DIR or set KEYWARD_DEPS_DB)",
        ),
    }
    let rules = Rules {
        now: now
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
        renew_days: policy.checklist.tls_renew_days(),
        production: !matches!(env_name.as_str(), "development" | "dev" | "local" | "test"),
    };
    let (infra, objects) = infra(&root, policy)?;
    ev.infra = Some(infra);
    ev.tls = Some(tls_facts(&root, policy, &objects, &tls_endpoints, rules)?);
    if sarif.is_empty() {
        unavailable(&mut ev, "sarif", "no --evidence reports given");
    } else {
        ev.sarif = Some(crate::sarif::read(&sarif)?);
    }
    ev.config = config(&root, policy);
    Ok(ev)
}

/// The scanner for a policy: built-in rules minus disabled ones, plus user rules.
pub fn scanner(policy: &Policy) -> Result<keyward_scan::Scanner, ChecklistError> {
    let err = |e: keyward_scan::ScanError| ChecklistError::Source {
        source_name: "scan".into(),
        message: e.to_string(),
    };
    let specs = keyward_scan::RuleSet::builtin_specs().map_err(err)?;
    let rules = keyward_scan::RuleSet::new(specs, policy.rules.clone(), &policy.scan.disable_rules)
        .map_err(err)?;
    Ok(keyward_scan::Scanner::new(rules))
}

fn source_err(source: &str, e: impl ToString) -> ChecklistError {
    ChecklistError::Source {
        source_name: source.into(),
        message: e.to_string(),
    }
}

fn scan(
    root: &Path,
    policy: &Policy,
    scanner: &keyward_scan::Scanner,
) -> Result<ScanFacts, ChecklistError> {
    let mut opts = keyward_scan::ScanOptions {
        exclude: policy.scan.exclude.clone(),
        ..keyward_scan::ScanOptions::default()
    };
    if let Some(size) = policy.scan.max_file_size {
        opts.max_file_size = size;
    }
    let stats = keyward_scan::ScanStats::default();
    let found = Mutex::new(Vec::new());
    let sink = |f: Vec<Finding>| found.lock().expect("findings lock").extend(f);
    keyward_scan::source::scan_paths(scanner, &[root.to_path_buf()], &opts, &stats, &sink)
        .map_err(|e| source_err("scan", e))?;
    let mut findings = found.into_inner().expect("findings lock");
    keyward_scan::post::check_jwts(&mut findings);
    // Reviewed false positives ([[allow]]) count; a baseline does not: a leaked key is
    // leaked whether or not it is new.
    keyward_scan::post::apply_allowlist(
        &policy.allow,
        keyward_scan::post::date::today(),
        &mut findings,
    )
    .map_err(|e| source_err("scan", e))?;
    let mut refs: Vec<FindingRef> = findings
        .iter()
        .map(|f| finding_ref(root, f, Some(f.fingerprint.to_string())))
        .collect();
    refs.sort_by(|a, b| (&a.path, a.line, &a.rule).cmp(&(&b.path, b.line, &b.rule)));
    Ok(ScanFacts {
        files: stats.files.load(std::sync::atomic::Ordering::Relaxed),
        findings: refs,
    })
}

/// Environments checked: those declaring `files` in keyward.toml; when none does, `.env`
/// as `development` (the policies keep `.env` files for local development only).
fn env(
    root: &Path,
    policy: &Policy,
    scanner: &keyward_scan::Scanner,
) -> Result<Vec<EnvFacts>, ChecklistError> {
    let mut plan: Vec<(String, Vec<String>)> = policy
        .environments
        .iter()
        .filter_map(|(name, spec)| spec.files.clone().map(|f| (name.clone(), f)))
        .collect();
    if plan.is_empty() {
        plan.push(("development".into(), vec![".env".into()]));
    }
    let mut out = Vec::new();
    for (i, (name, files)) in plan.into_iter().enumerate() {
        let mut paths: Vec<PathBuf> = files
            .iter()
            .map(|f| root.join(f))
            .filter(|p| p.is_file())
            .collect();
        if i == 0 {
            paths.extend(
                EXAMPLES
                    .iter()
                    .map(|e| root.join(e))
                    .filter(|p| p.is_file()),
            );
        }
        if paths.is_empty() {
            continue;
        }
        let ctx = keyward_env::check::Context::new(policy, &name, Some(scanner))
            .map_err(|e| source_err("env", e))?;
        let inputs: Vec<_> = paths
            .iter()
            .cloned()
            .map(keyward_env::check::Input::File)
            .collect();
        let findings = keyward_env::check::run(&ctx, &inputs).map_err(|e| source_err("env", e))?;
        out.push(EnvFacts {
            environment: name,
            files: paths
                .iter()
                .map(|p| shown(root, &p.display().to_string()))
                .collect(),
            findings: findings
                .iter()
                .map(|f| finding_ref(root, f, None))
                .collect(),
        });
    }
    Ok(out)
}

fn store_facts(
    store: &mut Store,
    policy: &Policy,
    env: &str,
) -> Result<StoreFacts, ChecklistError> {
    keyward_store::validate_env(env)?;
    let secrets: Vec<String> = store
        .list(&format!("{env}/"), false)?
        .iter()
        .filter(|m| m.current_version > 0)
        .map(|m| m.path.name().to_string())
        .collect();
    let required: Vec<String> = policy
        .variables
        .iter()
        .filter(|(_, v)| v.is_required_in(env))
        .map(|(k, _)| k.clone())
        .collect();
    let missing = required
        .iter()
        .filter(|r| !secrets.contains(r))
        .cloned()
        .collect();
    Ok(StoreFacts {
        environment: env.to_string(),
        secrets,
        required,
        missing,
    })
}

fn rotation(
    store: &mut Store,
    policy: &Policy,
    env: &str,
    now: SystemTime,
) -> Result<RotationFacts, ChecklistError> {
    let mut secrets = Vec::new();
    for m in store.list(&format!("{env}/"), false)? {
        if m.current_version == 0 && m.state == "{}" {
            continue;
        }
        let r = keyward_rotate::status(policy, &m, now).map_err(|e| source_err("rotation", e))?;
        secrets.push(RotationRow {
            path: r.path,
            kind: r.kind,
            schedule: r.schedule,
            overdue_days: r.overdue_days,
            last_rotated: r.last_rotated,
            next_due: r.next_due,
        });
    }
    Ok(RotationFacts { secrets })
}

fn audit(r: keyward_store::VerifyReport) -> AuditFacts {
    AuditFacts {
        entries: r.entries,
        intact: r.ok(),
        head: r.head_hash.clone(),
        problem: r
            .first_broken
            .map(|n| format!("entry {n}: {}", r.reason.as_deref().unwrap_or(""))),
    }
}

fn deps(
    root: &Path,
    policy: &Policy,
    db: &Path,
    now: SystemTime,
) -> Result<DepsFacts, ChecklistError> {
    let max = policy
        .deps
        .max_db_age_days
        .unwrap_or(keyward_deps::run::DEFAULT_MAX_DB_AGE_DAYS);
    let opts = keyward_deps::run::Options {
        paths: vec![root.to_path_buf()],
        walk: keyward_deps::walk::WalkOptions {
            no_ignore: false,
            exclude: policy.scan.exclude.clone(),
        },
        db_dir: db.to_path_buf(),
        max_db_age_days: max,
        ignores: policy.deps.ignore.clone(),
        today: keyward_scan::post::date::today(),
        ..keyward_deps::run::Options::default()
    };
    let o = keyward_deps::run::run(&opts).map_err(|e| source_err("deps", e))?;
    let stale = o
        .db_updated
        .as_deref()
        .and_then(keyward_rotate::clock::parse)
        .is_none_or(|u| keyward_rotate::clock::days_from(u, now) > i64::from(max));
    let mut ecosystems: Vec<String> = o
        .lockfiles
        .iter()
        .filter_map(|l| {
            let name = Path::new(l).file_name()?.to_str()?;
            Some(
                keyward_deps::LockfileKind::detect(name)?
                    .ecosystem()
                    .as_str()
                    .to_string(),
            )
        })
        .collect();
    ecosystems.sort();
    ecosystems.dedup();
    Ok(DepsFacts {
        lockfiles: o.lockfiles.iter().map(|l| shown(root, l)).collect(),
        ecosystems,
        packages: o.packages,
        found: o
            .found
            .iter()
            .map(|v| VulnRef {
                ecosystem: v.package.ecosystem.as_str().to_string(),
                name: v.package.name.clone(),
                version: v.package.version.clone().unwrap_or_default(),
                severity: v.severity.as_str().to_string(),
                ids: v.advisories.iter().map(|a| a.id.clone()).collect(),
            })
            .collect(),
        database_updated: o.db_updated.clone(),
        database_stale: stale,
        errors: o.errors.iter().map(|e| e.to_string()).collect(),
    })
}

fn infra(
    root: &Path,
    policy: &Policy,
) -> Result<(InfraFacts, Vec<keyward_infra::model::K8sObject>), ChecklistError> {
    use keyward_infra::{engine, input, model::Inventory, Registry};
    let registry = Registry::builtin().map_err(|e| source_err("infra", e))?;
    let opts = engine::Options::from_policy(&policy.infra, None, false);
    let mut inv = Inventory::default();
    let inputs = input::collect(&[root.to_path_buf()], &mut std::io::empty(), &mut inv)
        .map_err(|e| source_err("infra", e))?;
    engine::read_into(&mut inv, &inputs, &opts.namespace);
    let factory = || crate::collect::scanner(policy).ok();
    let o =
        engine::evaluate(&inv, &registry, &opts, &factory).map_err(|e| source_err("infra", e))?;
    let facts = InfraFacts {
        objects: o.objects,
        findings: o
            .findings
            .iter()
            .map(|f| FindingRef {
                rule: f.check.clone(),
                severity: f.severity.as_str().to_string(),
                path: shown(root, &f.path),
                line: f.line,
                what: f.object.as_ref().map(|o| o.describe()),
            })
            .collect(),
        errors: o.errors.iter().map(|e| e.to_string()).collect(),
    };
    Ok((facts, std::mem::take(&mut inv.objects)))
}

fn tls_facts(
    root: &Path,
    policy: &Policy,
    objects: &[keyward_infra::model::K8sObject],
    endpoints: &[String],
    rules: Rules,
) -> Result<TlsFacts, ChecklistError> {
    let mut certs = Vec::new();
    let declared = &policy.checklist.tls;
    for (path, shown) in tls::find::pem_files(root, &policy.scan.exclude) {
        let hosts = declared
            .iter()
            .find(|t| root.join(&t.path) == path)
            .map(|t| t.hosts.clone())
            .unwrap_or_default();
        certs.extend(tls::find::check_pem_file(&path, &shown, &hosts, rules));
    }
    for t in declared {
        let p = root.join(&t.path);
        if !certs
            .iter()
            .any(|c| Path::new(&c.source) == Path::new(&t.path))
        {
            certs.extend(tls::find::check_pem_file(&p, &t.path, &t.hosts, rules));
        }
    }
    certs.extend(tls::find::check_k8s(objects, rules));
    for e in endpoints {
        certs.push(
            tls::endpoint::check(e, rules).map_err(|m| ChecklistError::Input {
                path: e.clone(),
                message: m,
            })?,
        );
    }
    Ok(TlsFacts {
        renew_days: rules.renew_days,
        certificates: certs,
    })
}

fn config(root: &Path, policy: &Policy) -> ConfigFacts {
    let server = policy.server.as_ref();
    let incident = std::fs::read_to_string(root.join("SECURITY.md"))
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| {
                    l.starts_with('#') && l.to_ascii_lowercase().contains("incident response")
                })
                .map(|l| l.trim_start_matches('#').trim().to_string())
        });
    ConfigFacts {
        rate_limits: server
            .is_some_and(|s| !s.limits.per_token.is_empty() || !s.limits.per_address.is_empty()),
        alerts: server.is_some_and(|s| !s.alerts.webhooks.is_empty()),
        incident_response_doc: incident,
    }
}
