//! One run: read every input into one inventory, run every enabled check over it, apply
//! suppressions, sort.

use crate::checks::{self, Ctx, Registry, ScannerFactory};
use crate::error::InfraError;
use crate::finding::InfraFinding;
use crate::input::{self, Input};
use crate::model::{InputError, Inventory};
use crate::suppress::{self, Suppressor};
use keyward_core::policy::{Date, InfraAllow, InfraSection};

/// Settings of a run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Namespace of objects that name none.
    pub namespace: String,
    /// Ignore `keyward.dev/allow` annotations and labels.
    pub strict: bool,
    /// Checks not run.
    pub disable: Vec<String>,
    /// `[[infra.allow]]` entries.
    pub allow: Vec<InfraAllow>,
    /// The day expiry is judged against.
    pub today: Date,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            namespace: "default".into(),
            strict: false,
            disable: Vec::new(),
            allow: Vec::new(),
            today: suppress::today(),
        }
    }
}

impl Options {
    /// Options from keyward.toml's `[infra]`; `namespace` (the command line) wins.
    pub fn from_policy(section: &InfraSection, namespace: Option<&str>, strict: bool) -> Options {
        Options {
            namespace: namespace
                .or(section.namespace.as_deref())
                .unwrap_or("default")
                .to_string(),
            strict,
            disable: section.disable.clone(),
            allow: section.allow.clone(),
            today: suppress::today(),
        }
    }
}

/// The result of a run.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings after suppression, sorted by file, line, column and rule.
    pub findings: Vec<InfraFinding>,
    /// Files and documents that could not be read (the run still checked the rest).
    pub errors: Vec<InputError>,
    /// Notes for the summary (skipped templates, suppression counts).
    pub notes: Vec<String>,
    /// Warnings for stderr (expired or malformed suppressions).
    pub warnings: Vec<String>,
    /// Files read.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Kubernetes objects, compose services and Dockerfiles checked.
    pub objects: usize,
}

/// Read every input into one inventory.
pub fn inventory(inputs: &[Input], namespace: &str) -> Inventory {
    let mut inv = Inventory::default();
    read_into(&mut inv, inputs, namespace);
    inv
}

/// Read every input into `inv` (which may already hold errors and notes from collecting
/// the inputs). Files are parsed in parallel, one contiguous share per core, and merged in
/// input order, so the result does not depend on the number of threads.
pub fn read_into(inv: &mut Inventory, inputs: &[Input], namespace: &str) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let bytes: usize = inputs.iter().map(|i| i.text.len()).sum();
    if threads < 2 || inputs.len() < 2 || bytes < 256 << 10 {
        inputs.iter().for_each(|i| input::read(inv, i, namespace));
        return;
    }
    let share = inputs.len().div_ceil(threads);
    let parts: Vec<Inventory> = std::thread::scope(|s| {
        let handles: Vec<_> = inputs
            .chunks(share)
            .map(|chunk| {
                s.spawn(move || {
                    let mut part = Inventory::default();
                    chunk
                        .iter()
                        .for_each(|i| input::read(&mut part, i, namespace));
                    part
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("reader thread"))
            .collect()
    });
    parts.into_iter().for_each(|p| inv.merge(p));
}

/// Run the enabled checks over `inv`. (Callers that exit right after may leak the inventory
/// instead of dropping it: freeing a million nodes one by one is a sizeable part of a run.)
pub fn evaluate(
    inv: &Inventory,
    registry: &Registry,
    opts: &Options,
    scanner: ScannerFactory<'_>,
) -> Result<Outcome, InfraError> {
    for id in &opts.disable {
        if registry.get(id).is_none() {
            let hint = registry
                .suggest(id)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            return Err(InfraError::Policy(format!(
                "disable: unknown check `{id}`{hint}"
            )));
        }
    }
    let suppressor = Suppressor::new(&opts.allow, registry, opts.today, opts.strict)?;
    let mut ctx = Ctx::new(inv, scanner);
    for check in registry
        .checks()
        .iter()
        .filter(|c| !opts.disable.contains(&c.spec.id))
    {
        checks::run(check, &mut ctx);
    }
    let mut findings = std::mem::take(&mut ctx.out);
    drop(ctx);
    let s = suppressor.apply(&inv.units, registry, &mut findings);
    findings.sort_by(|a, b| {
        (&a.path, a.line, a.column, &a.rule).cmp(&(&b.path, b.line, b.column, &b.rule))
    });
    let mut notes = inv.notes.clone();
    if s.by_annotation > 0 {
        notes.push(format!(
            "{} finding(s) suppressed by keyward.dev/allow annotations",
            s.by_annotation
        ));
    }
    if s.by_policy > 0 {
        notes.push(format!(
            "{} finding(s) suppressed by [[infra.allow]] entries",
            s.by_policy
        ));
    }
    if s.ignored_strict > 0 {
        notes.push(format!(
            "{} keyward.dev/allow annotation suppression(s) ignored (--strict)",
            s.ignored_strict
        ));
    }
    Ok(Outcome {
        findings,
        errors: inv.errors.clone(),
        notes,
        warnings: s.warnings,
        files: inv.files,
        bytes: inv.bytes,
        objects: inv.objects.len() + inv.services.len() + inv.dockerfiles.len(),
    })
}

/// Read `inputs` and check them.
pub fn run(
    inputs: &[Input],
    registry: &Registry,
    opts: &Options,
    scanner: ScannerFactory<'_>,
) -> Result<Outcome, InfraError> {
    evaluate(&inventory(inputs, &opts.namespace), registry, opts, scanner)
}
