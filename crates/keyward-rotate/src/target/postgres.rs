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
//!
//! **No superuser needed**: an admin role with `CREATEROLE` (and, on PostgreSQL 16+,
//! `ADMIN OPTION` on the rotated roles — which a role it created has) can do everything
//! but read `pg_authid`. Then the test step proves the password with a second login under
//! a random wrong password, which must be refused; where the server lets the role in
//! without checking passwords (`trust`), keyward says the password could not be verified.
//!
//! `ALTER ROLE` can fail with "tuple concurrently updated" while another session (e.g.
//! the connection of a rotator killed a moment ago) still changes the same role: that is
//! retried with back-off ([`retry_concurrent`]).

use super::{scram, StepCtx, Target};
use crate::error::{Result, RotateError, RotateErrorKind};
use keyward_core::SecretBytes;
use keyward_store::backend::pg_tls::{describe, PgConnect};
use postgres::Client;
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

    /// The admin connection, with the URL's `sslmode`/`sslrootcert` honoured as libpq
    /// does (keyward_store's `pg_tls`).
    fn admin(&self) -> Result<Client> {
        tracing::debug!(role = %self.role, "connecting to PostgreSQL as admin");
        let fail =
            |why: String| RotateError::target(format!("postgres admin connection failed: {why}"));
        let connect = PgConnect::parse(&self.admin_url).map_err(|e| fail(e.to_string()))?;
        connect.connect().map_err(|e| fail(pg_err(&e)))
    }

    fn login<'a>(&'a self, ctx: &StepCtx<'a>) -> &'a str {
        ctx.login.unwrap_or(&self.role)
    }

    /// Log in as `role` with `password` (the admin URL's host, database and TLS settings)
    /// and run a query.
    fn login_as(&self, role: &str, password: &[u8]) -> std::result::Result<(), String> {
        let mut connect = PgConnect::parse(&self.admin_url).map_err(|e| e.to_string())?;
        connect.config_mut().user(role).password(password);
        let mut client = connect.connect().map_err(|e| pg_err(&e))?;
        client
            .simple_query("SELECT 1")
            .map(drop)
            .map_err(|e| pg_err(&e))
    }

    fn alter(&self, role: &str, sql: &str) -> Result<()> {
        let mut admin = self.admin()?;
        retry_concurrent(|| admin.batch_execute(sql)).map_err(|e| alter_err(role, &e))
    }
}

/// Whether `e` is a transient conflict with another session changing the same catalog
/// row ("tuple concurrently updated", a serialization failure or a deadlock).
pub fn is_concurrent_update(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    e.as_db_error().is_some_and(|db| {
        db.message().contains("tuple concurrently updated")
            || [
                SqlState::T_R_SERIALIZATION_FAILURE,
                SqlState::T_R_DEADLOCK_DETECTED,
            ]
            .contains(db.code())
    })
}

/// Run `f`, retrying [`is_concurrent_update`] failures with exponential back-off
/// (50 ms doubling, about 6 s in all) before giving up with the last error.
pub fn retry_concurrent<T>(
    mut f: impl FnMut() -> std::result::Result<T, postgres::Error>,
) -> std::result::Result<T, postgres::Error> {
    let mut delay = std::time::Duration::from_millis(50);
    for _ in 0..7 {
        match f() {
            Err(e) if is_concurrent_update(&e) => {
                std::thread::sleep(delay);
                delay *= 2;
            }
            other => return other,
        }
    }
    f()
}

/// A failed `ALTER ROLE` in one line, saying what privilege is missing when it is one.
fn alter_err(role: &str, e: &postgres::Error) -> RotateError {
    use postgres::error::SqlState;
    if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) {
        return RotateError::target(format!(
            "postgres: the admin role may not change the password of {role} ({}): it needs CREATEROLE, and on PostgreSQL 16+ ADMIN OPTION on {role} (`GRANT \"{role}\" TO <admin> WITH ADMIN OPTION`); {role} must not be a superuser. keyward needs no superuser",
            pg_err(e)
        ));
    }
    RotateError::target(format!("postgres: {}", pg_err(e)))
}

/// A driver error in one line, without the statement (which may hold a verifier).
fn pg_err(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => describe(e),
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
    verifier_accepts(admin, role, password)?.ok_or_else(|| {
        RotateError::target("postgres: permission denied for table pg_authid".to_string())
    })
}

/// [`password_accepted`], or `None` when the admin role may not read `pg_authid` (not a
/// superuser).
pub fn verifier_accepts(admin: &mut Client, role: &str, password: &[u8]) -> Result<Option<bool>> {
    let row = match admin.query_opt(
        "SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = $1",
        &[&role],
    ) {
        Ok(row) => row,
        Err(e) if e.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) => {
            return Ok(None)
        }
        Err(e) => return Err(RotateError::target(format!("postgres: {}", pg_err(&e)))),
    };
    Ok(Some(match row {
        None => false,
        Some(r) => {
            let can: bool = r.get(0);
            let stored: Option<String> = r.get(1);
            can && scram::matches(stored.as_deref(), password)
        }
    }))
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
        self.alter(role, &set_password_sql(role, new.expose())?)?;
        Ok(format!("ALTER ROLE {role} PASSWORD (scram verifier)"))
    }

    fn test(&mut self, ctx: &StepCtx<'_>, new: &SecretBytes) -> Result<String> {
        let role = self.login(ctx);
        let failed = |why: String| RotateError::new(RotateErrorKind::TestFailed, why);
        self.login_as(role, new.expose())
            .map_err(|e| failed(format!("login as {role} with the new password failed: {e}")))?;
        match verifier_accepts(&mut self.admin()?, role, new.expose())? {
            Some(true) => Ok(format!(
                "logged in as {role}; stored verifier matches the new password"
            )),
            Some(false) => Err(failed(format!(
                "pg_authid does not accept the new password for {role}"
            ))),
            // Not a superuser: a wrong password must be refused for the login to prove
            // anything.
            None => {
                let mut wrong = [0u8; 24];
                getrandom::getrandom(&mut wrong)
                    .map_err(|e| RotateError::target(format!("random: {e}")))?;
                if self.login_as(role, hex::encode(wrong).as_bytes()).is_err() {
                    Ok(format!(
                        "logged in as {role} with the new password, and a wrong password was refused (the admin role cannot read pg_authid)"
                    ))
                } else {
                    Ok(format!(
                        "logged in as {role}, but NOT verified: the server lets {role} in from here without checking its password (trust authentication) and the admin role cannot read pg_authid (not a superuser)"
                    ))
                }
            }
        }
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
                self.alter(role, &set_password_sql(role, old.expose())?)?;
                Ok(format!("restored the previous password of {role}"))
            }
            _ => {
                self.alter(role, &format!("ALTER ROLE {} PASSWORD NULL", ident(role)))?;
                Ok(format!("cleared the password of idle role {role}"))
            }
        }
    }

    fn finish(&mut self, ctx: &StepCtx<'_>, _old: &SecretBytes) -> Result<String> {
        let role = self.login(ctx);
        if self.clone.is_none() {
            return Ok(format!("{role}'s old password was replaced at set"));
        }
        self.alter(role, &format!("ALTER ROLE {} PASSWORD NULL", ident(role)))?;
        Ok(format!("cleared the password of {role} (old login)"))
    }
}
