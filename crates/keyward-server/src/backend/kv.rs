//! The KV version 2 engine's storage contract and the rules every implementation shares
//! (check-and-set, version pruning, deletion times), so the in-memory and store-backed
//! engines cannot disagree on them.

use super::{BackendError, OpContext};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

/// A secret's fields (`{"password": "…"}`). Values are JSON, as in Vault.
pub type KvData = serde_json::Map<String, serde_json::Value>;

/// Vault's default `max_versions`.
pub const DEFAULT_MAX_VERSIONS: u32 = 10;

/// A key inside a mount: mount name (`secret`) and path (`app/production/jwt`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KvKey {
    /// Mount name without slashes (`secret`).
    pub mount: String,
    /// Path inside the mount, no leading or trailing `/`.
    pub path: String,
}

/// A version's metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvVersion {
    /// 1, 2, 3…
    pub version: u64,
    /// When it was written.
    pub created_time: SystemTime,
    /// When it is (or was) soft-deleted; may be in the future (`delete_version_after`).
    pub deletion_time: Option<SystemTime>,
    /// Its data is gone for good.
    pub destroyed: bool,
}

impl KvVersion {
    /// Deleted or destroyed at `now`: reads answer 404 with the metadata.
    pub fn unavailable(&self, now: SystemTime) -> bool {
        self.destroyed || self.deletion_time.is_some_and(|t| t <= now)
    }
}

/// A key's metadata (exists before its first version when written first, as ESO does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvMetadata {
    /// Every write to this key must carry `cas`.
    pub cas_required: bool,
    /// When the metadata was created.
    pub created_time: SystemTime,
    /// Last change.
    pub updated_time: SystemTime,
    /// Highest version written (0: none yet).
    pub current_version: u64,
    /// Lowest version still kept.
    pub oldest_version: u64,
    /// Versions kept (0: the engine's setting).
    pub max_versions: u32,
    /// Versions are soft-deleted this long after they are written (zero: never).
    pub delete_version_after: Duration,
    /// Free string tags (`managed-by`).
    pub custom_metadata: Option<BTreeMap<String, String>>,
    /// Kept versions.
    pub versions: BTreeMap<u64, KvVersion>,
}

impl KvMetadata {
    /// Fresh metadata at `now`.
    pub fn new(now: SystemTime) -> KvMetadata {
        KvMetadata {
            cas_required: false,
            created_time: now,
            updated_time: now,
            current_version: 0,
            oldest_version: 0,
            max_versions: 0,
            delete_version_after: Duration::ZERO,
            custom_metadata: None,
            versions: BTreeMap::new(),
        }
    }
}

/// What a read found.
#[derive(Clone, Debug, PartialEq)]
pub enum KvRead {
    /// The version's data.
    Data {
        /// Fields.
        data: KvData,
        /// The version read.
        version: KvVersion,
        /// The key's custom metadata.
        custom_metadata: Option<BTreeMap<String, String>>,
    },
    /// The version exists but is deleted or destroyed (Vault answers 404 with metadata).
    Unavailable {
        /// The version asked for.
        version: KvVersion,
        /// The key's custom metadata.
        custom_metadata: Option<BTreeMap<String, String>>,
    },
    /// No such key or version.
    Missing,
}

/// Changes to a key's metadata; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetadataPatch {
    /// New `max_versions`.
    pub max_versions: Option<u32>,
    /// New `cas_required`.
    pub cas_required: Option<bool>,
    /// New `delete_version_after`.
    pub delete_version_after: Option<Duration>,
    /// Replaces the custom metadata.
    pub custom_metadata: Option<BTreeMap<String, String>>,
}

/// An engine's configuration (`<mount>/config`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvConfig {
    /// Versions kept per key.
    pub max_versions: u32,
    /// Every write must carry `cas`.
    pub cas_required: bool,
    /// Versions are soft-deleted this long after they are written (zero: never).
    pub delete_version_after: Duration,
}

impl Default for KvConfig {
    fn default() -> Self {
        KvConfig {
            max_versions: DEFAULT_MAX_VERSIONS,
            cas_required: false,
            delete_version_after: Duration::ZERO,
        }
    }
}

/// Which operation [`KvBackend::versions`] applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionOp {
    /// Soft delete (keeps the data; undelete brings it back).
    Delete,
    /// Clear a soft delete.
    Undelete,
    /// Remove the data for good.
    Destroy,
}

/// Storage of KV version 2 engines. Every method is one transaction.
pub trait KvBackend: Send + Sync {
    /// Read `version` (`None`: the current one) of a key.
    fn read(
        &self,
        key: &KvKey,
        version: Option<u64>,
        now: SystemTime,
    ) -> Result<KvRead, BackendError>;
    /// Write a new version; `cas` is checked with [`check_cas`] inside the transaction, and
    /// versions beyond `max_versions` are pruned ([`versions_to_prune`]).
    fn write(
        &self,
        key: &KvKey,
        data: &KvData,
        cas: Option<u64>,
        op: &OpContext,
    ) -> Result<KvVersion, BackendError>;
    /// Soft-delete the current version (`DELETE <mount>/data/<path>`); no-op when missing.
    fn delete_current(&self, key: &KvKey, op: &OpContext) -> Result<(), BackendError>;
    /// Delete, undelete or destroy the given versions; unknown versions are skipped.
    fn versions(
        &self,
        key: &KvKey,
        what: VersionOp,
        versions: &[u64],
        op: &OpContext,
    ) -> Result<(), BackendError>;
    /// A key's metadata, `None` when the key does not exist.
    fn metadata(&self, key: &KvKey) -> Result<Option<KvMetadata>, BackendError>;
    /// Create or change a key's metadata (works before the first version).
    fn write_metadata(
        &self,
        key: &KvKey,
        patch: &MetadataPatch,
        op: &OpContext,
    ) -> Result<(), BackendError>;
    /// Remove a key, its metadata and every version; no-op when missing.
    fn delete_key(&self, key: &KvKey, op: &OpContext) -> Result<(), BackendError>;
    /// Direct children of `folder` (`""` or `app/`): keys, and sub-folders ending in `/`,
    /// sorted. Empty when there is nothing.
    fn list(&self, mount: &str, folder: &str) -> Result<Vec<String>, BackendError>;
    /// The engine's configuration.
    fn config(&self, mount: &str) -> Result<KvConfig, BackendError>;
    /// Replace the engine's configuration.
    fn set_config(
        &self,
        mount: &str,
        config: &KvConfig,
        op: &OpContext,
    ) -> Result<(), BackendError>;
    /// `Ok` when storage is reachable and unsealed (`sys/health`).
    fn health(&self) -> Result<(), BackendError> {
        Ok(())
    }
}

/// Vault's check-and-set rule. `cas` absent: allowed unless the engine or the key requires
/// it. `cas: 0`: only when the key has no version yet. `cas: N`: only when the current
/// version is N (soft-deleted versions still count).
pub fn check_cas(
    meta: Option<&KvMetadata>,
    cas: Option<u64>,
    engine: &KvConfig,
) -> Result<(), BackendError> {
    let required = engine.cas_required || meta.is_some_and(|m| m.cas_required);
    match cas {
        None if required => Err(BackendError::CasRequired),
        None => Ok(()),
        Some(n) if n == meta.map_or(0, |m| m.current_version) => Ok(()),
        Some(_) => Err(BackendError::CasMismatch),
    }
}

/// The key's `max_versions`, else the engine's, else 10.
pub fn effective_max_versions(meta: &KvMetadata, engine: &KvConfig) -> u32 {
    [meta.max_versions, engine.max_versions]
        .into_iter()
        .find(|&n| n > 0)
        .unwrap_or(DEFAULT_MAX_VERSIONS)
}

/// The oldest versions to drop so that at most `max` remain.
pub fn versions_to_prune(meta: &KvMetadata, max: u32) -> Vec<u64> {
    let excess = meta.versions.len().saturating_sub(max as usize);
    meta.versions.keys().take(excess).copied().collect()
}

/// `deletion_time` of a version written at `created` under `delete_version_after`.
pub fn scheduled_deletion(
    created: SystemTime,
    meta: &KvMetadata,
    engine: &KvConfig,
) -> Option<SystemTime> {
    let after = if meta.delete_version_after.is_zero() {
        engine.delete_version_after
    } else {
        meta.delete_version_after
    };
    (!after.is_zero()).then(|| created + after)
}

/// The direct children of `folder` among `paths` (keys, and sub-folders ending in `/`),
/// sorted and without duplicates: what `LIST` answers.
pub fn children<'a>(paths: impl IntoIterator<Item = &'a str>, folder: &str) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    for p in paths {
        let Some(rest) = p.strip_prefix(folder) else {
            continue;
        };
        match rest.find('/') {
            Some(i) => out.insert(format!("{}/", &rest[..i])),
            None if !rest.is_empty() => out.insert(rest.to_string()),
            None => false,
        };
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(current: u64, cas_required: bool) -> KvMetadata {
        let mut m = KvMetadata::new(SystemTime::UNIX_EPOCH);
        m.current_version = current;
        m.cas_required = cas_required;
        m
    }

    #[test]
    fn cas_rules_follow_vault() {
        let engine = KvConfig::default();
        assert_eq!(check_cas(None, None, &engine), Ok(()));
        assert_eq!(check_cas(None, Some(0), &engine), Ok(()));
        assert_eq!(
            check_cas(None, Some(1), &engine),
            Err(BackendError::CasMismatch)
        );
        assert_eq!(check_cas(Some(&meta(2, false)), Some(2), &engine), Ok(()));
        assert_eq!(
            check_cas(Some(&meta(2, false)), Some(0), &engine),
            Err(BackendError::CasMismatch)
        );
        // Metadata written before the first version: cas 0 still means "no version yet".
        assert_eq!(check_cas(Some(&meta(0, false)), Some(0), &engine), Ok(()));
        assert_eq!(
            check_cas(Some(&meta(1, true)), None, &engine),
            Err(BackendError::CasRequired)
        );
        let strict = KvConfig {
            cas_required: true,
            ..KvConfig::default()
        };
        assert_eq!(
            check_cas(None, None, &strict),
            Err(BackendError::CasRequired)
        );
    }

    #[test]
    fn pruning_keeps_the_newest() {
        let mut m = meta(5, false);
        for v in 1..=5 {
            m.versions.insert(
                v,
                KvVersion {
                    version: v,
                    created_time: SystemTime::UNIX_EPOCH,
                    deletion_time: None,
                    destroyed: false,
                },
            );
        }
        assert_eq!(versions_to_prune(&m, 3), vec![1, 2]);
        assert!(versions_to_prune(&m, 10).is_empty());
        m.max_versions = 2;
        assert_eq!(effective_max_versions(&m, &KvConfig::default()), 2);
    }
}
