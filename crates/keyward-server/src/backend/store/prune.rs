//! Destroying KV versions for good: `destroy` and pruning past `max_versions` delete the
//! sealed value from the store (`Store::destroy_versions`), as Vault deletes the data, and
//! keep the version's metadata (`destroyed: true` in the KV record).

use super::actor;
use super::pool::StorePool;
use crate::backend::{BackendError, OpContext};
use keyward_store::{SecretPath, Stage, VersionInfo};

/// The versions a write of one new version pushes out of the newest `keep`, among the
/// store's `versions` before the write (`flagged`: already destroyed in the KV record).
/// Never the current version (it becomes the previous one) or a pending one.
pub(super) fn pushed_out(
    versions: &[VersionInfo],
    keep: u32,
    flagged: impl Fn(u64) -> bool,
) -> Vec<u64> {
    let mut all: Vec<&VersionInfo> = versions
        .iter()
        .filter(|v| v.stage != Stage::Pending)
        .collect();
    all.sort_by_key(|v| v.version);
    let excess = (all.len() + 1).saturating_sub(keep.max(1) as usize);
    all.into_iter()
        .take(excess)
        .filter(|v| v.stage != Stage::Current)
        .map(|v| v.version)
        .filter(|&v| !flagged(v))
        .collect()
}

/// Delete the sealed values of `versions` of `path` from the store.
pub(super) fn destroy(
    pool: &StorePool,
    path: &SecretPath,
    versions: &[u64],
    op: &OpContext,
) -> Result<(), BackendError> {
    if versions.is_empty() {
        return Ok(());
    }
    pool.write(|s| s.destroy_versions(&actor(op), path, versions))
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(version: u64, stage: Stage) -> VersionInfo {
        VersionInfo {
            version,
            stage,
            created_at: String::new(),
            created_by: String::new(),
        }
    }

    #[test]
    fn a_write_pushes_out_the_oldest_beyond_keep() {
        let vs = [
            v(1, Stage::Retired),
            v(2, Stage::Retired),
            v(3, Stage::Current),
        ];
        assert_eq!(pushed_out(&vs, 2, |_| false), vec![1, 2]);
        assert_eq!(pushed_out(&vs, 3, |_| false), vec![1]);
        assert_eq!(pushed_out(&vs, 10, |_| false), Vec::<u64>::new());
        assert_eq!(pushed_out(&vs, 2, |v| v == 1), vec![2]);
        // The current value (previous after the write) and a pending one stay.
        let vs = [
            v(1, Stage::Previous),
            v(2, Stage::Current),
            v(3, Stage::Pending),
        ];
        assert_eq!(pushed_out(&vs, 1, |_| false), vec![1]);
    }
}
