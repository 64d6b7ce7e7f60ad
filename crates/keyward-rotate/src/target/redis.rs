//! The `redis` target: an ACL user with two passwords during the grace.
//!
//! set adds the new password (`ACL SETUSER u on #sha256`), finish removes the old one
//! (`ACL SETUSER u !sha256`); Redis accepts both in between. Only SHA-256 hashes of the
//! passwords are sent in ACL commands; the test step authenticates with `AUTH u new` on
//! a fresh connection, which Redis enforces. The client is the maintained `redis` crate
//! (synchronous connection, 5 s timeouts), the same crate the server's shared rate limits
//! use.

use super::{StepCtx, Target};
use crate::error::{Result, RotateError, RotateErrorKind};
use ::redis::{ConnectionInfo, IntoConnectionInfo, RedisConnectionInfo};
use keyward_core::SecretBytes;
use sha2::{Digest, Sha256};
use std::time::Duration;
use zeroize::Zeroizing;

const TIMEOUT: Duration = Duration::from_secs(5);

/// A Redis ACL user target.
pub struct RedisTarget {
    info: ConnectionInfo,
    user: String,
}

/// Parse `redis://[user:pass@]host:port[/db]` (no secret in the error).
fn parse(url: &str) -> Result<ConnectionInfo> {
    if !url.starts_with("redis://") {
        return Err(RotateError::config(
            "redis admin URL must look like redis://[user:pass@]host:port (rediss:// is not supported yet)",
        ));
    }
    url.into_connection_info().map_err(|_| {
        RotateError::config("redis admin URL must look like redis://[user:pass@]host:port")
    })
}

/// A connection to `info` (authenticated with its credentials, if any).
fn connect(info: &ConnectionInfo) -> Result<::redis::Connection> {
    let fail = |e: ::redis::RedisError| RotateError::target(format!("redis: {}", one_line(&e)));
    let client = ::redis::Client::open(info.clone()).map_err(fail)?;
    let conn = client.get_connection_with_timeout(TIMEOUT).map_err(fail)?;
    conn.set_read_timeout(Some(TIMEOUT)).map_err(fail)?;
    conn.set_write_timeout(Some(TIMEOUT)).map_err(fail)?;
    Ok(conn)
}

/// `info` without credentials (a connection that then authenticates as someone else).
fn bare(info: &ConnectionInfo) -> ConnectionInfo {
    let db = info.redis_settings().db();
    info.clone()
        .set_redis_settings(RedisConnectionInfo::default().set_db(db))
}

/// A driver error in one line (server replies never echo a password: keyward sends only
/// hashes in ACL commands, and `AUTH` failures say `WRONGPASS` without the argument).
fn one_line(e: &::redis::RedisError) -> String {
    e.to_string().replace('\n', " ")
}

impl RedisTarget {
    /// `admin_url` is `redis://[user:pass@]host:port`.
    pub fn new(admin_url: Zeroizing<String>, user: String) -> Result<RedisTarget> {
        Ok(RedisTarget {
            info: parse(&admin_url)?,
            user,
        })
    }

    /// `ACL SETUSER user modifier`: `Ok(Err(reply))` when Redis refused it, `Err` when
    /// Redis could not be reached.
    fn acl(&self, modifier: String) -> Result<std::result::Result<(), String>> {
        let mut c = connect(&self.info)?;
        let reply: ::redis::RedisResult<()> = ::redis::cmd("ACL")
            .arg("SETUSER")
            .arg(&self.user)
            .arg(&modifier)
            .query(&mut c);
        match reply {
            Ok(()) => Ok(Ok(())),
            Err(e) if e.code().is_some() => Ok(Err(one_line(&e))),
            Err(e) => Err(RotateError::target(format!("redis: {}", one_line(&e)))),
        }
    }

    /// `AUTH user password` on a fresh connection without the admin's credentials.
    fn auth(&self, password: &[u8]) -> Result<bool> {
        auth_with(&self.info, &self.user, password)
    }
}

fn auth_with(info: &ConnectionInfo, user: &str, password: &[u8]) -> Result<bool> {
    let mut c = connect(&bare(info))?;
    let reply: ::redis::RedisResult<String> =
        ::redis::cmd("AUTH").arg(user).arg(password).query(&mut c);
    match reply {
        Ok(ok) => Ok(ok == "OK"),
        Err(e) if e.code().is_some() => Ok(false),
        Err(e) => Err(RotateError::target(format!("redis: {}", one_line(&e)))),
    }
}

fn hash(v: &SecretBytes) -> String {
    hex::encode(Sha256::digest(v.expose()))
}

/// Whether `user` can authenticate with `password` on a fresh connection to `url`.
pub fn auth_ok(admin_url: &str, user: &str, password: &[u8]) -> Result<bool> {
    auth_with(&parse(admin_url)?, user, password)
}

impl Target for RedisTarget {
    fn describe(&self) -> String {
        format!("redis ACL user {}", self.user)
    }

    fn set(
        &mut self,
        _: &StepCtx<'_>,
        new: &SecretBytes,
        _: Option<&SecretBytes>,
    ) -> Result<String> {
        match self.acl(format!("#{}", hash(new)))? {
            Err(_) => Err(RotateError::target(format!(
                "redis refused ACL SETUSER {} (add password)",
                self.user
            ))),
            Ok(()) => Ok(format!(
                "ACL SETUSER {} #<new hash> (old password still valid)",
                self.user
            )),
        }
    }

    fn test(&mut self, _: &StepCtx<'_>, new: &SecretBytes) -> Result<String> {
        if self.auth(new.expose())? {
            Ok(format!(
                "AUTH {} with the new password succeeded",
                self.user
            ))
        } else {
            Err(RotateError::new(
                RotateErrorKind::TestFailed,
                format!("AUTH {} with the new password was refused", self.user),
            ))
        }
    }

    fn rollback(
        &mut self,
        _: &StepCtx<'_>,
        new: &SecretBytes,
        _: Option<&SecretBytes>,
    ) -> Result<String> {
        // A refusal means the new hash is not there (never added, or already removed).
        let _refused = self.acl(format!("!{}", hash(new)))?;
        Ok(format!("removed the new password from {}", self.user))
    }

    fn finish(&mut self, _: &StepCtx<'_>, old: &SecretBytes) -> Result<String> {
        // Removing a password the user no longer has is an error in Redis: already done.
        match self.acl(format!("!{}", hash(old)))? {
            Err(e) if !e.contains("does not exist") => Err(RotateError::target(format!(
                "redis refused ACL SETUSER {} (remove password)",
                self.user
            ))),
            _ => Ok(format!(
                "ACL SETUSER {} !<old hash>: old password removed",
                self.user
            )),
        }
    }
}
