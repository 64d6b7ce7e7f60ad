//! [`SecretPath`]: the `ENV/NAME` address of a secret.

use crate::error::{ErrorKind, Result, StoreError};
use std::fmt;
use std::str::FromStr;

/// A secret's address: an environment (`production`, `staging`, `dev`) and a variable name
/// (`STRIPE_SECRET_KEY`). Written `ENV/NAME`.
///
/// The environment is `[A-Za-z0-9][A-Za-z0-9_.-]*`; the name is a portable environment
/// variable name, `[A-Za-z_][A-Za-z0-9_]*`, so every stored secret can be exported and
/// injected by `keyward run`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretPath {
    env: String,
    name: String,
}

/// Longest accepted environment or name.
const MAX_PART: usize = 128;

impl SecretPath {
    /// Build from parts, validating both.
    pub fn new(env: &str, name: &str) -> Result<Self> {
        validate_env(env)?;
        validate_name(name)?;
        Ok(SecretPath {
            env: env.to_string(),
            name: name.to_string(),
        })
    }

    /// The environment part.
    pub fn env(&self) -> &str {
        &self.env
    }

    /// The name part.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Check an environment name (`production`, `dev-eu.1`).
pub fn validate_env(env: &str) -> Result<()> {
    let ok = !env.is_empty()
        && env.len() <= MAX_PART
        && env.as_bytes()[0].is_ascii_alphanumeric()
        && env
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::new(
            ErrorKind::InvalidInput,
            format!("invalid environment `{env}` (letters, digits, `_`, `.`, `-`; starting with a letter or digit)"),
        ))
    }
}

/// Check a variable name (`STRIPE_SECRET_KEY`).
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_PART
        && !name.as_bytes()[0].is_ascii_digit()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::new(
            ErrorKind::InvalidInput,
            format!("invalid secret name `{name}` (an environment variable name: letters, digits, `_`, not starting with a digit)"),
        ))
    }
}

impl FromStr for SecretPath {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s.split_once('/') {
            Some((env, name)) => SecretPath::new(env, name),
            None => Err(StoreError::new(
                ErrorKind::InvalidInput,
                format!("invalid secret path `{s}` (expected ENV/NAME, e.g. production/STRIPE_SECRET_KEY)"),
            )),
        }
    }
}

impl fmt::Display for SecretPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.env, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let p: SecretPath = "production/STRIPE_SECRET_KEY".parse().unwrap();
        assert_eq!(p.env(), "production");
        assert_eq!(p.name(), "STRIPE_SECRET_KEY");
        assert_eq!(p.to_string(), "production/STRIPE_SECRET_KEY");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "", "prod", "/X", "prod/", "prod/1X", "prod/A-B", "-p/X", "a/b/c", "p d/X",
        ] {
            assert!(bad.parse::<SecretPath>().is_err(), "{bad}");
        }
    }
}
