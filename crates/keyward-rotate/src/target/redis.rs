//! The `redis` target: an ACL user with two passwords during the grace.
//!
//! set adds the new password (`ACL SETUSER u on #sha256`), finish removes the old one
//! (`ACL SETUSER u !sha256`); Redis accepts both in between. Only SHA-256 hashes of the
//! passwords are sent in ACL commands; the test step authenticates with `AUTH u new` on
//! a fresh connection, which Redis enforces.

use super::resp::{Conn, RedisUrl, Reply};
use super::{StepCtx, Target};
use crate::error::{Result, RotateError, RotateErrorKind};
use keyward_core::SecretBytes;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// A Redis ACL user target.
pub struct RedisTarget {
    url: RedisUrl,
    user: String,
}

impl RedisTarget {
    /// `admin_url` is `redis://[user:pass@]host:port`.
    pub fn new(admin_url: Zeroizing<String>, user: String) -> Result<RedisTarget> {
        let url = RedisUrl::parse(&admin_url).ok_or_else(|| {
            RotateError::config("redis admin URL must look like redis://[user:pass@]host:port")
        })?;
        Ok(RedisTarget { url, user })
    }

    fn acl(&self, modifier: String) -> Result<Reply> {
        let mut c =
            Conn::open(&self.url).map_err(|e| RotateError::target(format!("redis: {e}")))?;
        c.call(&[
            b"ACL",
            b"SETUSER",
            self.user.as_bytes(),
            modifier.as_bytes(),
        ])
        .map_err(|e| RotateError::target(format!("redis: {e}")))
    }
}

fn hash(v: &SecretBytes) -> String {
    hex::encode(Sha256::digest(v.expose()))
}

/// Whether `user` can authenticate with `password` on a fresh connection to `url`.
pub fn auth_ok(admin_url: &str, user: &str, password: &[u8]) -> Result<bool> {
    let url = RedisUrl::parse(admin_url).ok_or_else(|| RotateError::config("bad redis URL"))?;
    let bare = RedisUrl {
        user: None,
        pass: None,
        ..url
    };
    let mut c = Conn::open(&bare).map_err(|e| RotateError::target(format!("redis: {e}")))?;
    let reply = c
        .call(&[b"AUTH", user.as_bytes(), password])
        .map_err(|e| RotateError::target(format!("redis: {e}")))?;
    Ok(matches!(reply, Reply::Simple(ref s) if s == "OK"))
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
            Reply::Error(_) => Err(RotateError::target(format!(
                "redis refused ACL SETUSER {} (add password)",
                self.user
            ))),
            _ => Ok(format!(
                "ACL SETUSER {} #<new hash> (old password still valid)",
                self.user
            )),
        }
    }

    fn test(&mut self, _: &StepCtx<'_>, new: &SecretBytes) -> Result<String> {
        let bare = RedisUrl {
            user: None,
            pass: None,
            ..self.url.clone()
        };
        let mut c = Conn::open(&bare).map_err(|e| RotateError::target(format!("redis: {e}")))?;
        let reply = c
            .call(&[b"AUTH", self.user.as_bytes(), new.expose()])
            .map_err(|e| RotateError::target(format!("redis: {e}")))?;
        match reply {
            Reply::Simple(s) if s == "OK" => Ok(format!(
                "AUTH {} with the new password succeeded",
                self.user
            )),
            _ => Err(RotateError::new(
                RotateErrorKind::TestFailed,
                format!("AUTH {} with the new password was refused", self.user),
            )),
        }
    }

    fn rollback(
        &mut self,
        _: &StepCtx<'_>,
        new: &SecretBytes,
        _: Option<&SecretBytes>,
    ) -> Result<String> {
        self.acl(format!("!{}", hash(new)))?;
        Ok(format!("removed the new password from {}", self.user))
    }

    fn finish(&mut self, _: &StepCtx<'_>, old: &SecretBytes) -> Result<String> {
        // Removing a password the user no longer has is an error in Redis: already done.
        match self.acl(format!("!{}", hash(old)))? {
            Reply::Error(e) if !e.contains("does not exist") => Err(RotateError::target(format!(
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
