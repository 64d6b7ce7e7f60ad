//! [`Tokens`]: create, authenticate, renew and revoke, with TTL caps and expiry warnings.

use super::{accessor, generate, TokenHasher};
use crate::backend::{BackendError, OpContext, TokenRecord, TokenRepo};
use crate::clock::secs_between;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use zeroize::Zeroizing;

/// Token lifetimes (`[server.tokens]`).
#[derive(Clone, Debug)]
pub struct TokenLimits {
    /// TTL when a request names none (Vault's 768h).
    pub default_ttl: Duration,
    /// Hard cap on any token's life (the policy's 90-day API-key rotation).
    pub max_ttl: Duration,
    /// Responses carry a warning when a token's hard limit is closer than this.
    pub warn_before: Duration,
}

impl Default for TokenLimits {
    fn default() -> Self {
        TokenLimits {
            default_ttl: Duration::from_secs(768 * 3600),
            max_ttl: Duration::from_secs(90 * 86400),
            warn_before: Duration::from_secs(14 * 86400),
        }
    }
}

/// A token to create.
#[derive(Clone, Debug, Default)]
pub struct NewToken {
    /// Policy names.
    pub policies: Vec<String>,
    /// Display name.
    pub display_name: String,
    /// Metadata.
    pub meta: BTreeMap<String, String>,
    /// Requested TTL (default: [`TokenLimits::default_ttl`]).
    pub ttl: Option<Duration>,
    /// Hard cap below the server's `max_ttl`.
    pub explicit_max_ttl: Option<Duration>,
    /// Renewable.
    pub renewable: bool,
    /// No parent.
    pub orphan: bool,
    /// Creator's accessor.
    pub parent: Option<String>,
    /// Creating path.
    pub path: String,
    /// Never expires (root tokens only).
    pub no_expiry: bool,
}

/// Why a token was refused (all are 403 `permission denied` on the wire; the audit log and
/// the failed-authentication alert tell them apart).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    /// No token in the request.
    #[error("missing_token")]
    Missing,
    /// Unknown or revoked.
    #[error("invalid_token")]
    Invalid,
    /// Past its expiry.
    #[error("expired_token")]
    Expired,
    /// Storage failed.
    #[error("{0}")]
    Backend(BackendError),
}

/// Token lifecycle over a [`TokenRepo`].
pub struct Tokens {
    repo: Arc<dyn TokenRepo>,
    hasher: TokenHasher,
    /// Lifetimes.
    pub limits: TokenLimits,
}

fn capped(what: &str, asked: Duration, max: Duration) -> String {
    format!(
        "{what} of \"{}s\" exceeded the effective max_ttl of \"{}s\"; TTL value is capped accordingly",
        asked.as_secs(),
        max.as_secs()
    )
}

impl Tokens {
    /// Over `repo`, hashing with `hasher`.
    pub fn new(repo: Arc<dyn TokenRepo>, hasher: TokenHasher, limits: TokenLimits) -> Tokens {
        Tokens {
            repo,
            hasher,
            limits,
        }
    }

    /// The repository.
    pub fn repo(&self) -> &Arc<dyn TokenRepo> {
        &self.repo
    }

    /// Create a token with a fresh random value; returns it (shown once), its record and
    /// warnings (TTL capped).
    pub fn create(
        &self,
        req: NewToken,
        op: &OpContext,
    ) -> Result<(Zeroizing<String>, TokenRecord, Vec<String>), BackendError> {
        let token = generate();
        let (record, warnings) = self.create_with(&token, req, op)?;
        Ok((token, record, warnings))
    }

    /// Create a token with a given value (`--dev-root-token`).
    pub fn create_with(
        &self,
        token: &str,
        req: NewToken,
        op: &OpContext,
    ) -> Result<(TokenRecord, Vec<String>), BackendError> {
        let mut warnings = Vec::new();
        let max = req
            .explicit_max_ttl
            .filter(|d| !d.is_zero())
            .map_or(self.limits.max_ttl, |e| e.min(self.limits.max_ttl));
        let mut ttl = req
            .ttl
            .filter(|d| !d.is_zero())
            .unwrap_or(self.limits.default_ttl);
        if ttl > max {
            warnings.push(capped("TTL", ttl, max));
            ttl = max;
        }
        let now = op.now;
        let record = TokenRecord {
            accessor: accessor(),
            display_name: req.display_name,
            policies: req.policies,
            meta: req.meta,
            creation_time: now,
            creation_ttl: if req.no_expiry { 0 } else { ttl.as_secs() },
            expire_time: (!req.no_expiry).then(|| now + ttl),
            max_expire_time: (!req.no_expiry).then(|| now + max),
            explicit_max_ttl: req.explicit_max_ttl.map_or(0, |d| d.as_secs()),
            renewable: req.renewable && !req.no_expiry,
            orphan: req.orphan,
            parent: req.parent,
            path: req.path,
        };
        self.repo.insert(&self.hasher.hash(token), &record)?;
        Ok((record, warnings))
    }

    /// The live token `token` names.
    pub fn authenticate(&self, token: &str, now: SystemTime) -> Result<TokenRecord, AuthFailure> {
        if token.is_empty() {
            return Err(AuthFailure::Missing);
        }
        let hash = self.hasher.hash(token);
        let (stored, record) = self
            .repo
            .by_hash(&hash)
            .map_err(AuthFailure::Backend)?
            .ok_or(AuthFailure::Invalid)?;
        if !TokenHasher::same(&stored, &hash) {
            return Err(AuthFailure::Invalid);
        }
        if record.expire_time.is_some_and(|t| t <= now) {
            return Err(AuthFailure::Expired);
        }
        Ok(record)
    }

    /// A short, non-secret fingerprint of a presented token (for failed-authentication
    /// alerts about an unknown token): the first 8 hex digits of its keyed hash.
    pub fn fingerprint(&self, token: &str) -> String {
        hex::encode(&self.hasher.hash(token).0[..4])
    }

    /// Extend a token by `increment` (default: its creation TTL), capped at its hard limit.
    pub fn renew(
        &self,
        record: &TokenRecord,
        increment: Option<Duration>,
        op: &OpContext,
    ) -> Result<(TokenRecord, Vec<String>), BackendError> {
        let mut rec = record.clone();
        let mut warnings = Vec::new();
        if rec.expire_time.is_none() {
            return Ok((rec, warnings));
        }
        if !rec.renewable {
            return Err(BackendError::Invalid("lease is not renewable".into()));
        }
        let inc = increment
            .filter(|d| !d.is_zero())
            .unwrap_or(Duration::from_secs(rec.creation_ttl));
        let mut expire = op.now + inc;
        if let Some(max) = rec.max_expire_time {
            if expire > max {
                warnings.push(capped(
                    "TTL",
                    inc,
                    Duration::from_secs(secs_between(rec.creation_time, max)),
                ));
                expire = max;
            }
        }
        self.repo.set_expiry(&rec.accessor, Some(expire), op)?;
        rec.expire_time = Some(expire);
        Ok((rec, warnings))
    }

    /// The warning a response about this token carries when its hard limit is near.
    pub fn expiry_warning(&self, record: &TokenRecord, now: SystemTime) -> Option<String> {
        let end = record.max_expire_time.or(record.expire_time)?;
        let left = secs_between(now, end);
        (left < self.limits.warn_before.as_secs()).then(|| {
            format!(
                "this token expires in {}d {}h and cannot be renewed past that; API tokens are rotated every {} days: create a new token and revoke this one",
                left / 86400,
                left % 86400 / 3600,
                self.limits.max_ttl.as_secs() / 86400
            )
        })
    }
}
