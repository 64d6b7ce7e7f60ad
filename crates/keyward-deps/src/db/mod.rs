//! The offline OSV database: a directory laid out as osv.dev publishes it
//! (`<Ecosystem>/all.zip`), plus keyward's compact index per ecosystem and
//! `keyward-db.json` written by `db update`. The index sits beside the zip in a database
//! `db update` wrote; for any other directory (a mirror, a read-only copy) it is cached in
//! `~/.cache/keyward/osv-index/<zip sha256>.bin` and the directory is never written.

pub mod index;
pub mod meta;
pub mod status;
pub mod update;

use crate::error::DepsError;
use crate::package::Ecosystem;
use index::EcosystemIndex;
use meta::Meta;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The zip osv.dev publishes per ecosystem.
pub const ZIP_NAME: &str = "all.zip";
/// keyward's index beside it.
pub const INDEX_NAME: &str = "keyward-index.bin";

/// The default database directory: `$XDG_CACHE_HOME/keyward/osv` (or `~/.cache/…`).
pub fn default_dir() -> Option<PathBuf> {
    cache_home().map(|c| c.join("keyward").join("osv"))
}

fn cache_home() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
}

/// An opened database: the loaded indexes and what `db update` recorded.
#[derive(Debug)]
pub struct Database {
    /// The directory.
    pub dir: PathBuf,
    /// One index per ecosystem present.
    pub indexes: Vec<EcosystemIndex>,
    /// The update record, when the database came from `db update`.
    pub meta: Option<Meta>,
    /// Newest modification time of the zips (the age when there is no update record).
    pub zip_time: Option<SystemTime>,
    /// Ecosystems whose index had to be built from the zip in this run.
    pub built: Vec<Ecosystem>,
}

impl Database {
    /// Open `dir`, loading the index of each of `ecosystems` present (building and
    /// caching it when missing or stale). No zip at all is [`DepsError::NoDatabase`].
    pub fn open(dir: &Path, ecosystems: &[Ecosystem]) -> Result<Database, DepsError> {
        let present: Vec<Ecosystem> = Ecosystem::ALL
            .into_iter()
            .filter(|e| dir.join(e.as_str()).join(ZIP_NAME).is_file())
            .collect();
        if present.is_empty() {
            return Err(DepsError::NoDatabase {
                dir: dir.display().to_string(),
            });
        }
        let meta = Meta::load(dir)?;
        let mut db = Database {
            dir: dir.to_path_buf(),
            indexes: Vec::new(),
            meta,
            zip_time: None,
            built: Vec::new(),
        };
        for eco in &present {
            let zip = dir.join(eco.as_str()).join(ZIP_NAME);
            let mtime = std::fs::metadata(&zip).and_then(|m| m.modified()).ok();
            db.zip_time = db.zip_time.max(mtime);
        }
        let owned = db.meta.is_some();
        let wanted: Vec<Ecosystem> = present
            .into_iter()
            .filter(|e| ecosystems.contains(e))
            .collect();
        // One thread per ecosystem: hashing a zip and decoding its index are independent.
        let loaded: Vec<Result<(EcosystemIndex, bool), DepsError>> = std::thread::scope(|s| {
            let handles: Vec<_> = wanted
                .iter()
                .map(|eco| {
                    let zip = dir.join(eco.as_str()).join(ZIP_NAME);
                    s.spawn(move || load_index(*eco, &zip, owned))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("index thread"))
                .collect()
        });
        for r in loaded {
            let (idx, built) = r?;
            if built {
                db.built.push(idx.ecosystem);
            }
            db.indexes.push(idx);
        }
        Ok(db)
    }

    /// The index of `eco`, if the database has it.
    pub fn index(&self, eco: Ecosystem) -> Option<&EcosystemIndex> {
        self.indexes.iter().find(|i| i.ecosystem == eco)
    }

    /// When the database was last updated: the recorded date, else the zips' time.
    pub fn updated_at(&self) -> Option<SystemTime> {
        self.meta
            .as_ref()
            .and_then(Meta::updated_at)
            .or(self.zip_time)
    }
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Load the index for `zip`: from beside it, or from the user cache, when it was built
/// from these exact bytes; otherwise build it and store it — beside the zip only in a
/// database keyward owns (`owned`: written by `db update`), else in the user cache keyed
/// by the zip's hash, so a shared or read-only database directory is never written to.
/// Returns whether it was built.
fn load_index(
    eco: Ecosystem,
    zip: &Path,
    owned: bool,
) -> Result<(EcosystemIndex, bool), DepsError> {
    let bytes = std::fs::read(zip).map_err(|e| DepsError::io(zip.display(), e))?;
    let sha = sha256_hex(&bytes);
    let beside = zip.with_file_name(INDEX_NAME);
    let cached = cache_home().map(|c| {
        c.join("keyward")
            .join("osv-index")
            .join(format!("{sha}.bin"))
    });
    for candidate in std::iter::once(beside.clone()).chain(cached.clone()) {
        if let Ok(b) = std::fs::read(&candidate) {
            if let Some(idx) = EcosystemIndex::from_bytes(&b, &sha) {
                return Ok((idx, false));
            }
        }
    }
    let idx = EcosystemIndex::build(eco, &bytes, &sha).map_err(|message| DepsError::Database {
        path: zip.display().to_string(),
        message,
    })?;
    let data = idx.to_bytes();
    if !owned || write_atomic(&beside, &data).is_err() {
        if let Some(c) = cached {
            // Best effort: without a writable cache the next run parses the zip again.
            let _ = c.parent().map(std::fs::create_dir_all);
            let _ = write_atomic(&c, &data);
        }
    }
    Ok((idx, true))
}

/// Write `data` to `path` through a temporary file in the same directory and a rename,
/// so readers see the old file or the new one, never a partial one.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<(), DepsError> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let result = std::fs::write(&tmp, data).and_then(|_| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| DepsError::io(path.display(), e))
}
