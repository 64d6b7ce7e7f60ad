//! What the readers produce: Kubernetes objects, compose services, Dockerfiles, and the
//! name/value settings and image references found in all of them.

pub mod compose;
pub mod config;
pub mod dockerfile;
pub mod k8s;

pub use compose::ComposeService;
pub use dockerfile::{Dockerfile, Stage};
pub use k8s::{Container, K8sObject, PodView};

use std::sync::Arc;

/// The object a finding is about (`kind`, `namespace`, `name`, `container`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    /// `Deployment`, `ComposeService`, `Dockerfile`, …
    pub kind: String,
    /// The namespace, for namespaced Kubernetes objects.
    pub namespace: Option<String>,
    /// The object's name (a compose service's name, a Dockerfile's final stage).
    pub name: String,
    /// The container, when the finding is about one.
    pub container: Option<String>,
}

impl ObjectRef {
    /// The same object, about one container.
    pub fn with_container(&self, container: &str) -> ObjectRef {
        ObjectRef {
            container: Some(container.to_string()),
            ..self.clone()
        }
    }

    /// `Deployment shop/web (container app)`.
    pub fn describe(&self) -> String {
        let mut s = format!("{} ", self.kind);
        if let Some(ns) = &self.namespace {
            s.push_str(ns);
            s.push('/');
        }
        s.push_str(&self.name);
        if let Some(c) = &self.container {
            s.push_str(&format!(" (container {c})"));
        }
        s
    }
}

/// A suppression written on the object itself (`keyward.dev/allow` annotation or label).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annotated {
    /// The check id.
    pub check: String,
    /// The reason given.
    pub reason: String,
}

/// Something findings can be about and that may carry its own suppressions.
#[derive(Clone, Debug, Default)]
pub struct Unit {
    /// The file.
    pub path: Arc<str>,
    /// The object, when the unit is one (config files have none).
    pub object: Option<ObjectRef>,
    /// Suppressions from a `keyward.dev/allow` annotation, label or Dockerfile `LABEL`.
    pub allow: Vec<Annotated>,
    /// Malformed `keyward.dev/allow` values (no check or no reason), for warnings.
    pub bad_allow: Vec<String>,
}

/// The annotation (and compose / Dockerfile label) holding suppressions.
pub const ALLOW_KEY: &str = "keyward.dev/allow";

impl Unit {
    /// A unit whose suppressions come from the text of a `keyward.dev/allow` value: one
    /// `check: reason` per line (or separated by `;`).
    pub fn new(path: Arc<str>, object: Option<ObjectRef>, allow_text: Option<&str>) -> Unit {
        let mut u = Unit {
            path,
            object,
            ..Unit::default()
        };
        for part in allow_text
            .unwrap_or("")
            .split(['\n', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match part.split_once(':') {
                Some((check, reason)) if !check.trim().is_empty() && !reason.trim().is_empty() => {
                    u.allow.push(Annotated {
                        check: check.trim().to_string(),
                        reason: reason.trim().to_string(),
                    })
                }
                _ => u.bad_allow.push(part.to_string()),
            }
        }
        u
    }
}

/// A name/value pair from any source: container `env`, ConfigMap `data`, compose
/// `environment`, Dockerfile `ENV`/`ARG`, dotenv entries, configuration files.
#[derive(Clone, Debug)]
pub struct Setting {
    /// The unit it belongs to.
    pub unit: usize,
    /// The object (and container) it belongs to, if any.
    pub object: Option<ObjectRef>,
    /// Variable name or configuration key (dotted for nested configuration).
    pub name: String,
    /// The literal value (references such as `${VAR}` are kept as written).
    pub value: String,
    /// 1-based line of the value (of the key when the value spans lines).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The file.
    pub path: Arc<str>,
}

/// An image reference: a container `image`, a compose `image`, a Dockerfile `FROM`.
#[derive(Clone, Debug)]
pub struct ImageRef {
    /// The unit it belongs to.
    pub unit: usize,
    /// The object (and container).
    pub object: Option<ObjectRef>,
    /// The reference as written (Dockerfile `ARG` defaults substituted).
    pub image: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The file.
    pub path: Arc<str>,
}

/// A file or document that could not be read; the run goes on without it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    /// The file (`-` for stdin).
    pub path: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong, in one line.
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// Everything read in one run. Cross-object checks resolve over all of it.
#[derive(Debug, Default)]
pub struct Inventory {
    /// Suppression scopes, indexed by the `unit` of objects, settings and findings.
    pub units: Vec<Unit>,
    /// Kubernetes objects (the items of `List` kinds included).
    pub objects: Vec<K8sObject>,
    /// docker-compose services.
    pub services: Vec<ComposeService>,
    /// Dockerfiles.
    pub dockerfiles: Vec<Dockerfile>,
    /// Name/value settings from every source.
    pub settings: Vec<Setting>,
    /// Image references from every source.
    pub images: Vec<ImageRef>,
    /// Files and documents that could not be read.
    pub errors: Vec<InputError>,
    /// Things skipped on purpose (e.g. unrendered Helm templates), for the summary.
    pub notes: Vec<String>,
    /// Files read.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
}

impl Inventory {
    /// Append `other` (read in parallel), shifting its unit indices after ours.
    pub fn merge(&mut self, mut other: Inventory) {
        let off = self.units.len();
        self.units.append(&mut other.units);
        other.objects.iter_mut().for_each(|o| o.unit += off);
        other.services.iter_mut().for_each(|o| o.unit += off);
        other.dockerfiles.iter_mut().for_each(|o| o.unit += off);
        other.settings.iter_mut().for_each(|o| o.unit += off);
        other.images.iter_mut().for_each(|o| o.unit += off);
        self.objects.append(&mut other.objects);
        self.services.append(&mut other.services);
        self.dockerfiles.append(&mut other.dockerfiles);
        self.settings.append(&mut other.settings);
        self.images.append(&mut other.images);
        self.errors.append(&mut other.errors);
        self.notes.append(&mut other.notes);
        self.files += other.files;
        self.bytes += other.bytes;
    }

    /// Register a unit and return its index.
    pub fn add_unit(&mut self, unit: Unit) -> usize {
        self.units.push(unit);
        self.units.len() - 1
    }
}
