//! The `postgres` target: `ALTER ROLE … PASSWORD` through an admin connection.
//!
//! - `single`: one login role; set replaces its password, so the old one stops at once.
//! - `alternating`: two login roles sharing a group role's grants; set changes the idle
//!   role and the rotation flips which is current, so the old login works through the
//!   grace; finish clears the old role's password (`PASSWORD NULL`).
//!
//! Passwords are sent as SCRAM-SHA-256 verifiers, never as plaintext. The test step logs
//! in as the role with the new password *and* checks the password against the verifier in
//! `pg_authid` ([`password_accepted`]), which holds even where `pg_hba.conf` trusts
//! local connections and would let any password in.

use super::{scram, StepCtx, Target};
use crate::error::{Result, RotateError, RotateErrorKind};
use keyward_core::SecretBytes;
use postgres::{Client, Config, NoTls};
use std::str::FromStr;
use zeroize::Zeroizing;

/// A PostgreSQL role target.
pub struct PgTarget {
    admin_url: Zeroizing<String>,
    role: String,
    clone: Option<String>,
}

impl PgTarget {
    /// `clone` is the second role for the alternating strategy.
    pub fn new(admin_url: Zeroizing<String>, role: String, clone: Option<String>) -> PgTarget {
        PgTarget {
            admin_url,
            role,
            clone,
        }
    }

    fn admin(&self) -> Result<Client> {
        Client::connect(&self.admin_url, NoTls).map_err(|e| {
            RotateError::target(format!("postgres admin connection failed: {}", pg_err(&e)))
        })
    }

    fn login<'a>(&'a self, ctx: &StepCtx<'a>) -> &'a str {
        ctx.login.unwrap_or(&self.role)
    }

    fn alter(&self, sql: &str) -> Result<()> {
        self.admin()?
            .batch_execute(sql)
            .map_err(|e| RotateError::target(format!("postgres: {}", pg_err(&e))))
    }
}

/// A driver error in one line, without the statement (which may hold a verifier).
fn pg_err(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    }
}

/// `"role"` (names are validated as plain identifiers by the policy).
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn set_password_sql(role: &str, password: &[u8]) -> Result<Zeroizing<String>> {
    let v =
        scram::verifier(password).map_err(|e| RotateError::target(format!("random salt: {e}")))?;
    Ok(Zeroizing::new(format!(
        "ALTER ROLE {} WITH LOGIN PASSWORD '{v}'",
        ident(role)
    )))
}

/// Whether `role` can log in with `password`: it has `LOGIN` and its stored SCRAM verifier
/// matches. Reads `pg_authid` (needs a superuser admin connection).
pub fn password_accepted(admin: &mut Client, role: &str, password: &[u8]) -> Result<bool> {
    let row = admin
        .query_opt(
            "SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = $1",
            &[&role],
        )
        .map_err(|e| RotateError::target(format!("postgres: {}", pg_err(&e))))?;
    Ok(match row {
        None => false,
        Some(r) => {
            let can: bool = r.get(0);
            let stored: Option<String> = r.get(1);
            can && scram::matches(stored.as_deref(), password)
        }
    })
}

impl Target for PgTarget {
    fn describe(&self) -> String {
        match &self.clone {
            None => format!("postgres role {} (single)", self.role),
            Some(c) => format!("postgres roles {}/{} (alternating)", self.role, c),
        }
    }

    fn next_login(&self, active: Option<&str>) -> Option<String> {
        // The first value belongs to `role` by convention, so the first rotation sets the clone.
        match &self.clone {
            None => Some(self.role.clone()),
            Some(c) if active == Some(c.as_str()) => Some(self.role.clone()),
            Some(c) => Some(c.clone()),
        }
    }

    fn set(
        &mut self,
        ctx: &StepCtx<'_>,
        new: &SecretBytes,
        _old: Option<&SecretBytes>,
    ) -> Result<String> {
        let role = self.login(ctx);
        self.alter(&set_password_sql(role, new.expose())?)?;
        Ok(format!("ALTER ROLE {role} PASSWORD (scram verifier)"))
    }

    fn test(&mut self, ctx: &StepCtx<'_>, new: &SecretBytes) -> Result<String> {
        let role = self.login(ctx);
        let failed = |why: String| RotateError::new(RotateErrorKind::TestFailed, why);
        let mut cfg = Config::from_str(&self.admin_url)
            .map_err(|e| RotateError::config(format!("postgres admin URL: {e}")))?;
        cfg.user(role).password(new.expose());
        let mut c = cfg.connect(NoTls).map_err(|e| {
            failed(format!(
                "login as {role} with the new password failed: {}",
                pg_err(&e)
            ))
        })?;
        c.simple_query("SELECT 1")
            .map_err(|e| failed(format!("query as {role} failed: {}", pg_err(&e))))?;
        if !password_accepted(&mut self.admin()?, role, new.expose())? {
            return Err(failed(format!(
                "pg_authid does not accept the new password for {role}"
            )));
        }
        Ok(format!(
            "logged in as {role}; stored verifier matches the new password"
        ))
    }

    fn rollback(
        &mut self,
        ctx: &StepCtx<'_>,
        _new: &SecretBytes,
        old: Option<&SecretBytes>,
    ) -> Result<String> {
        let role = self.login(ctx);
        match (&self.clone, old) {
            (None, Some(old)) => {
                self.alter(&set_password_sql(role, old.expose())?)?;
                Ok(format!("restored the previous password of {role}"))
            }
            _ => {
                self.alter(&format!("ALTER ROLE {} PASSWORD NULL", ident(role)))?;
                Ok(format!("cleared the password of idle role {role}"))
            }
        }
    }

    fn finish(&mut self, ctx: &StepCtx<'_>, _old: &SecretBytes) -> Result<String> {
        let role = self.login(ctx);
        if self.clone.is_none() {
            return Ok(format!("{role}'s old password was replaced at set"));
        }
        self.alter(&format!("ALTER ROLE {} PASSWORD NULL", ident(role)))?;
        Ok(format!("cleared the password of {role} (old login)"))
    }
}
