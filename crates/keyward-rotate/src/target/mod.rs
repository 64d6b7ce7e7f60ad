//! Rotation targets: where a secret's value is applied, tested and retired.
//!
//! Every method is idempotent (a resumed rotation may repeat a step) and returns a short
//! detail for the audit log that never contains a value.

pub mod command;
pub mod manual;
pub mod postgres;
pub mod redis;
pub mod scram;

use crate::error::Result;
use keyward_core::policy::rotation::{PgStrategy, TargetSpec};
use keyward_core::SecretBytes;
use keyward_store::SecretPath;
use zeroize::Zeroizing;

/// What a step is about.
#[derive(Clone, Copy, Debug)]
pub struct StepCtx<'a> {
    /// The secret.
    pub path: &'a SecretPath,
    /// The version the value belongs to.
    pub version: u64,
    /// The login (role or user) the value belongs to, for targets with several.
    pub login: Option<&'a str>,
    /// The marker command hooks carry in `KEYWARD_HOOK_ID` (the rotator's id), so a
    /// rotator taking over after a crash can find them ([`crate::orphan`]).
    pub hook_id: Option<&'a str>,
}

/// A place a secret's value lives besides the store.
pub trait Target {
    /// One line for status and audit (`postgres role app (alternating)`), no credentials.
    fn describe(&self) -> String;
    /// The login the next value belongs to, given the current one (alternating roles flip).
    fn next_login(&self, active: Option<&str>) -> Option<String> {
        let _ = active;
        None
    }
    /// Apply `new` (the old value, if any, keeps working where the target allows it).
    fn set(
        &mut self,
        ctx: &StepCtx<'_>,
        new: &SecretBytes,
        old: Option<&SecretBytes>,
    ) -> Result<String>;
    /// Verify `new` works; an error fails the rotation and triggers [`Target::rollback`].
    fn test(&mut self, ctx: &StepCtx<'_>, new: &SecretBytes) -> Result<String>;
    /// Undo [`Target::set`] after a failed test; `old` must keep working.
    fn rollback(
        &mut self,
        ctx: &StepCtx<'_>,
        new: &SecretBytes,
        old: Option<&SecretBytes>,
    ) -> Result<String>;
    /// Retire `old` (after the grace, or at once on revocation); `ctx.login` is its login.
    fn finish(&mut self, ctx: &StepCtx<'_>, old: &SecretBytes) -> Result<String>;
    /// For manual targets: the steps a person must follow; `None` when keyward drives it.
    fn manual_steps(&self) -> Option<Vec<String>> {
        None
    }
    /// For targets that run command hooks: the hooks' timeout (the rotator records each
    /// hook's deadline before it starts).
    fn hook_timeout(&self) -> Option<std::time::Duration> {
        None
    }
}

/// The JWT keyring target: the keyring is the store itself (current + previous during the
/// grace), so set and finish change nothing outside it; test signs and verifies a token.
#[derive(Debug, Default)]
pub struct JwtTarget;

impl Target for JwtTarget {
    fn describe(&self) -> String {
        "jwt keyring".into()
    }
    fn set(&mut self, _: &StepCtx<'_>, _: &SecretBytes, _: Option<&SecretBytes>) -> Result<String> {
        Ok("keyring: new key added as pending".into())
    }
    fn test(&mut self, ctx: &StepCtx<'_>, new: &SecretBytes) -> Result<String> {
        let kid = crate::jwt::kid(ctx.path, ctx.version);
        let token = crate::jwt::sign(new.expose(), &kid, r#"{"sub":"keyward-rotation-test"}"#);
        let ring = crate::jwt::Keyring {
            keys: vec![crate::jwt::KeyEntry::new(kid, new, "pending", None)],
        };
        ring.verify(&token)
            .map(|_| "signed and verified a test token".to_string())
            .map_err(|e| {
                crate::error::RotateError::new(crate::error::RotateErrorKind::TestFailed, e)
            })
    }
    fn rollback(
        &mut self,
        _: &StepCtx<'_>,
        _: &SecretBytes,
        _: Option<&SecretBytes>,
    ) -> Result<String> {
        Ok("keyring unchanged".into())
    }
    fn finish(&mut self, _: &StepCtx<'_>, _: &SecretBytes) -> Result<String> {
        Ok("previous key leaves the keyring".into())
    }
}

/// Build the target for `spec`; `admin_url` is the resolved admin credential for postgres
/// and redis targets.
pub fn build(spec: &TargetSpec, admin_url: Option<Zeroizing<String>>) -> Result<Box<dyn Target>> {
    build_with(spec, admin_url, &[])
}

/// [`build`], naming more environment variables command hooks must not inherit (the
/// policy's admin-URL variables).
pub fn build_with(
    spec: &TargetSpec,
    admin_url: Option<Zeroizing<String>>,
    hook_env_scrub: &[String],
) -> Result<Box<dyn Target>> {
    let need = |what: &str| {
        admin_url.clone().ok_or_else(|| {
            crate::error::RotateError::config(format!("{what} target needs admin credentials"))
        })
    };
    Ok(match spec {
        TargetSpec::Postgres {
            role,
            strategy,
            clone_role,
            ..
        } => Box::new(postgres::PgTarget::new(
            need("postgres")?,
            role.clone(),
            match strategy {
                PgStrategy::Single => None,
                PgStrategy::Alternating => Some(clone_role.clone().unwrap_or_else(|| {
                    format!("{role}{}", keyward_core::policy::rotation::CLONE_SUFFIX)
                })),
            },
        )),
        TargetSpec::Redis { user, .. } => {
            Box::new(redis::RedisTarget::new(need("redis")?, user.clone())?)
        }
        TargetSpec::Jwt {} => Box::new(JwtTarget),
        TargetSpec::Command {
            set,
            test,
            finish,
            rollback,
            timeout_secs,
        } => Box::new(command::CommandTarget {
            set: set.clone(),
            test: test.clone(),
            finish: finish.clone(),
            rollback: rollback.clone(),
            timeout: std::time::Duration::from_secs(timeout_secs.unwrap_or(60)),
            scrub_env: hook_env_scrub.to_vec(),
        }),
        TargetSpec::Manual { steps } => Box::new(manual::ManualTarget {
            steps: steps.clone(),
        }),
    })
}
