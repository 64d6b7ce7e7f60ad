//! The policy file, `keyward.toml`: parsed strictly. Unknown keys are an error that names
//! the line, the column and the closest known key.

pub mod checklist;
pub mod deps;
pub mod env;
mod error;
pub mod infra;
pub mod kinds;
pub mod rotation;
mod rules;
mod scan;
pub mod server;

pub use checklist::{Attestation, ChecklistSection, TlsFile};
pub use deps::{DepsIgnore, DepsSection};
pub use env::{EnvironmentSpec, RotationSpec, StripeMode, VariableSpec, DEV_NAMES};
pub use error::{line_col, PolicyError};
pub use infra::{Date, InfraAllow, InfraSection};
pub use kinds::{Generator, Kind, KindDefaults};
pub use rules::{RuleSpec, Validator};
pub use scan::{AllowEntry, ScanSection};
pub use server::ServerSection;

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The default file name, looked up at the repository root (the current directory).
pub const POLICY_FILE: &str = "keyward.toml";

/// The whole `keyward.toml`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Scanner settings.
    #[serde(default)]
    pub scan: ScanSection,
    /// User-defined detection rules, same format as the built-in ones.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    /// Suppressions by fingerprint or path glob, each with a reason and optional expiry.
    #[serde(default)]
    pub allow: Vec<AllowEntry>,
    /// Environments (development, staging, production, …).
    #[serde(default)]
    pub environments: BTreeMap<String, EnvironmentSpec>,
    /// Declared variables and their kinds.
    #[serde(default)]
    pub variables: BTreeMap<String, VariableSpec>,
    /// `keyward infra` settings and reviewed suppressions.
    #[serde(default)]
    pub infra: InfraSection,
    /// `keyward deps` settings and accepted advisories (`[[deps.ignore]]`).
    #[serde(default)]
    pub deps: DepsSection,
    /// `keyward serve` settings.
    #[serde(default)]
    pub server: Option<ServerSection>,
    /// `keyward checklist` settings and attestations.
    #[serde(default)]
    pub checklist: ChecklistSection,
}

impl Policy {
    /// Parse policy text; `origin` names the file in error messages.
    pub fn parse(text: &str, origin: &Path) -> Result<Policy, PolicyError> {
        let policy: Policy =
            toml::from_str(text).map_err(|e| PolicyError::from_toml(e, text, origin))?;
        env::validate(&policy.environments, &policy.variables).map_err(|message| {
            PolicyError::Invalid {
                path: origin.to_path_buf(),
                message,
            }
        })?;
        deps::validate(&policy.deps, text, origin)?;
        Ok(policy)
    }

    /// Read and parse a policy file.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Load `path` if given (it must exist), else `./keyward.toml` if it exists, else the
    /// default policy. Returns the policy and the file it came from.
    pub fn discover(path: Option<&Path>) -> Result<(Policy, Option<PathBuf>), PolicyError> {
        match path {
            Some(p) => Ok((Self::load(p)?, Some(p.to_path_buf()))),
            None => {
                let p = PathBuf::from(POLICY_FILE);
                if p.is_file() {
                    Ok((Self::load(&p)?, Some(p)))
                } else {
                    Ok((Policy::default(), None))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_policy_is_valid() {
        let p = Policy::parse("", Path::new("keyward.toml")).unwrap();
        assert!(p.rules.is_empty());
    }

    #[test]
    fn unknown_top_level_key_names_line_and_suggestion() {
        let err = Policy::parse("\n[scann]\nmax_file_size = 3\n", Path::new("keyward.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("keyward.toml:2:"), "{err}");
        assert!(err.contains("did you mean `scan`"), "{err}");
    }

    #[test]
    fn unknown_nested_key_is_an_error() {
        let err = Policy::parse("[scan]\nmax_file_sise = 3\n", Path::new("k.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("k.toml:2:1"), "{err}");
        assert!(err.contains("did you mean `max_file_size`"), "{err}");
    }
}
