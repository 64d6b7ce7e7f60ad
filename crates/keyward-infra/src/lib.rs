//! keyward-infra: the policies' Kubernetes, container and configuration rules, checked from
//! the files a team commits.
//!
//! * [`input`] decides how each file is read (Kubernetes YAML streams, Dockerfiles,
//!   docker-compose files, dotenv/YAML/JSON/TOML/properties configuration) and walks
//!   directories; [`yaml`] keeps the line of every node; [`model`] holds what was read.
//! * [`checks`] are data (`checks/*.toml`): id, severity, the policy sentence, what is
//!   checked, remediation and examples; a small set of evaluators does the logic, among
//!   them [`netpol`] (NetworkPolicy coverage, default deny, allow-all) and [`rbac`]
//!   (effective permissions through bindings and aggregated ClusterRoles, `who-can`).
//! * [`suppress`] applies `keyward.dev/allow` annotations and `[[infra.allow]]` entries;
//!   [`engine`] runs it all and returns [`InfraFinding`]s, which become the shared
//!   `keyward_core::Finding` for output.

pub mod checks;
pub mod engine;
pub mod error;
pub mod finding;
pub mod input;
pub mod model;
pub mod netpol;
pub mod rbac;
pub mod selector;
pub mod suppress;
pub mod yaml;

pub use checks::{Check, Registry};
pub use engine::{Options, Outcome};
pub use error::InfraError;
pub use finding::InfraFinding;
pub use model::ObjectRef;
