//! Opening a repository for reading: discovery from a path, object caches, shallow state.

use crate::error::{first_line, GitError};
use std::path::{Path, PathBuf};

/// Bytes of decoded delta bases each object handle keeps (one handle per thread).
pub(crate) const PACK_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// Open the repository containing `path` (like `git -C path`). Honours `GIT_DIR` and
/// `GIT_INDEX_FILE`, which git sets for hooks.
pub fn open(path: &Path) -> Result<gix::Repository, GitError> {
    if std::fs::symlink_metadata(path).is_err() {
        return Err(GitError::Open {
            path: path.to_path_buf(),
            message: "no such file or directory".into(),
        });
    }
    if std::env::var_os("GIT_DIR").is_none() {
        if let Err(e) = gix::discover::upwards(path) {
            let message = first_line(&e.to_string());
            return Err(if message.contains("Could not find a git repository") {
                GitError::NotARepository(path.to_path_buf())
            } else {
                GitError::Open {
                    path: path.to_path_buf(),
                    message,
                }
            });
        }
    }
    let repo =
        gix::ThreadSafeRepository::discover_with_environment_overrides(path).map_err(|e| {
            GitError::Open {
                path: path.to_path_buf(),
                message: first_line(&e.to_string()),
            }
        })?;
    let mut repo = repo.to_thread_local();
    repo.object_cache_size(None);
    set_pack_cache(&mut repo.objects);
    Ok(repo)
}

/// Give an object handle a bounded cache of decoded delta bases.
pub(crate) fn set_pack_cache(objects: &mut gix::OdbHandle) {
    objects.set_pack_cache(|| {
        Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(
            PACK_CACHE_BYTES,
        ))
    });
}

/// The directory holding the repository's hooks: `core.hooksPath` when set, else
/// `<git-dir>/hooks`.
pub fn hooks_dir(path: &Path) -> Result<PathBuf, GitError> {
    let repo = open(path)?;
    let configured = repo
        .config_snapshot()
        .trusted_path("core.hooksPath")
        .ok()
        .flatten();
    Ok(match configured {
        Some(p) if p.is_absolute() => p,
        Some(p) => repo.workdir().unwrap_or_else(|| repo.git_dir()).join(p),
        None => repo.common_dir().join("hooks"),
    })
}

/// Whether the repository is a shallow clone (history before its graft points is missing).
pub fn is_shallow(repo: &gix::Repository) -> bool {
    repo.is_shallow().unwrap_or(false)
}
