//! Environments and declared variables (`[environments.*]`, `[variables.*]`).

use super::kinds::Kind;
pub use super::rotation::RotationSpec;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Prefixes that frontend bundlers expose to the browser (Vite, Next.js, Create React App,
/// SvelteKit/Astro). A secret under one of them ships to every visitor.
pub const DEFAULT_FRONTEND_PREFIXES: &[&str] = &["VITE_", "NEXT_PUBLIC_", "REACT_APP_", "PUBLIC_"];

/// Environment names treated as development (no TLS requirement, default user names allowed).
pub const DEV_NAMES: &[&str] = &["development", "dev", "local", "test"];

/// Whether an environment uses Stripe test keys or live keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StripeMode {
    /// `sk_test_…`, `pk_test_…` only.
    Test,
    /// `sk_live_…`, `pk_live_…` only.
    Live,
    /// No expectation (mixing is still reported).
    Any,
}

/// One environment, e.g. `[environments.production]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Stripe mode; default `live` for `production`/`prod`, `test` otherwise.
    #[serde(default)]
    pub stripe_mode: Option<StripeMode>,
    /// Variable-name prefixes a frontend bundle exposes; default
    /// [`DEFAULT_FRONTEND_PREFIXES`].
    #[serde(default)]
    pub frontend_prefixes: Option<Vec<String>>,
    /// Require `sslmode=require` (or `verify-ca`/`verify-full`) on database URLs; default
    /// true except in development (`development`, `dev`, `local`, `test`).
    #[serde(default)]
    pub require_sslmode: Option<bool>,
    /// The dotenv files `keyward env check --env NAME` reads by default (`[".env"]`).
    #[serde(default)]
    pub files: Option<Vec<String>>,
}

impl EnvironmentSpec {
    /// The effective Stripe mode of environment `name`.
    pub fn stripe_mode(&self, name: &str) -> StripeMode {
        self.stripe_mode.unwrap_or(match name {
            "production" | "prod" | "live" => StripeMode::Live,
            _ => StripeMode::Test,
        })
    }

    /// The effective frontend prefixes.
    pub fn frontend_prefixes(&self) -> Vec<String> {
        match &self.frontend_prefixes {
            Some(p) => p.clone(),
            None => DEFAULT_FRONTEND_PREFIXES
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }

    /// Whether database URLs in environment `name` must require TLS.
    pub fn require_sslmode(&self, name: &str) -> bool {
        self.require_sslmode.unwrap_or(!DEV_NAMES.contains(&name))
    }

    /// The default files of this environment.
    pub fn files(&self) -> Vec<String> {
        self.files.clone().unwrap_or_else(|| vec![".env".into()])
    }
}

/// One declared variable, e.g. `[variables.JWT_SECRET]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableSpec {
    /// The variable's kind; default inferred from the name ([`Kind::infer`]).
    #[serde(default)]
    pub kind: Option<Kind>,
    /// Required in every environment.
    #[serde(default)]
    pub required: bool,
    /// Required only in these environments (e.g. `["production"]`).
    #[serde(default)]
    pub required_in: Vec<String>,
    /// Free text shown by `keyward init` and in reports.
    #[serde(default)]
    pub description: Option<String>,
    /// Override the kind's minimum length in characters.
    #[serde(default)]
    pub min_length: Option<usize>,
    /// Override the kind's minimum strength in bits.
    #[serde(default)]
    pub min_bits: Option<u32>,
    /// Rotation settings; defaults come from the kind ([`Kind::defaults`]).
    #[serde(default)]
    pub rotation: Option<RotationSpec>,
}

impl VariableSpec {
    /// The declared kind, or the one inferred from `name`.
    pub fn kind_for(&self, name: &str) -> Kind {
        self.kind.unwrap_or_else(|| Kind::infer(name))
    }

    /// Whether the variable must be present in environment `env`.
    pub fn is_required_in(&self, env: &str) -> bool {
        self.required || self.required_in.iter().any(|e| e == env)
    }
}

/// Cross-field checks serde cannot express: every environment named in `required_in` must
/// be declared when `[environments]` is not empty.
pub fn validate(
    environments: &BTreeMap<String, EnvironmentSpec>,
    variables: &BTreeMap<String, VariableSpec>,
) -> Result<(), String> {
    for (name, spec) in variables {
        if let Some(r) = &spec.rotation {
            r.validate(name)?;
        }
    }
    if environments.is_empty() {
        return Ok(());
    }
    for (name, spec) in variables {
        for env in &spec.required_in {
            if !environments.contains_key(env) {
                let known: Vec<&str> = environments.keys().map(String::as_str).collect();
                return Err(format!(
                    "variables.{name}.required_in names environment `{env}`, which is not declared (declared: {})",
                    known.join(", ")
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_defaults() {
        let e = EnvironmentSpec::default();
        assert_eq!(e.stripe_mode("production"), StripeMode::Live);
        assert_eq!(e.stripe_mode("staging"), StripeMode::Test);
        assert!(e.require_sslmode("staging"));
        assert!(!e.require_sslmode("development"));
        assert!(e.frontend_prefixes().contains(&"VITE_".to_string()));
        assert_eq!(e.files(), vec![".env".to_string()]);
    }

    #[test]
    fn required_in_environment() {
        let v = VariableSpec {
            required_in: vec!["production".into()],
            ..VariableSpec::default()
        };
        assert!(v.is_required_in("production"));
        assert!(!v.is_required_in("development"));
        assert_eq!(v.kind_for("REDIS_PASSWORD"), Kind::RedisPassword);
    }
}
