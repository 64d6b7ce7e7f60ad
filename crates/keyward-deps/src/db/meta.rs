//! `keyward-db.json`: what `db update` recorded (when, from where, what it holds).

use crate::error::DepsError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// The file name, in the database directory.
pub const META_FILE: &str = "keyward-db.json";

/// One ecosystem's part of the database.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct EcosystemMeta {
    /// Records in the zip.
    pub records: u32,
    /// Withdrawn records.
    pub withdrawn: u32,
    /// SHA-256 of the zip.
    pub sha256: String,
    /// Size of the zip in bytes.
    pub bytes: u64,
}

/// What the last successful `db update` recorded.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Meta {
    /// RFC 3339 time of the update.
    pub updated: String,
    /// The base URL the zips came from.
    pub source: String,
    /// Per ecosystem (OSV name).
    pub ecosystems: BTreeMap<String, EcosystemMeta>,
}

impl Meta {
    /// Read `dir/keyward-db.json`; `Ok(None)` when absent.
    pub fn load(dir: &Path) -> Result<Option<Meta>, DepsError> {
        let path = dir.join(META_FILE);
        match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| DepsError::Database {
                    path: path.display().to_string(),
                    message: format!("not a keyward database record: {e}"),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(DepsError::io(path.display(), e)),
        }
    }

    /// When the update happened.
    pub fn updated_at(&self) -> Option<SystemTime> {
        humantime::parse_rfc3339_weak(&self.updated).ok()
    }

    /// Write atomically (temporary file, then rename).
    pub fn store(&self, dir: &Path) -> Result<(), DepsError> {
        let text = serde_json::to_string_pretty(self).expect("meta serialises");
        super::write_atomic(&dir.join(META_FILE), text.as_bytes())
    }
}

/// `3 days`, `5 hours`, `12 minutes`: an age in the largest whole unit.
pub fn describe_age(age: Duration) -> String {
    let s = age.as_secs();
    let (n, unit) = if s >= 86_400 {
        (s / 86_400, "day")
    } else if s >= 3_600 {
        (s / 3_600, "hour")
    } else {
        (s / 60, "minute")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_naturally() {
        assert_eq!(describe_age(Duration::from_secs(90)), "1 minute");
        assert_eq!(describe_age(Duration::from_secs(3 * 86_400 + 5)), "3 days");
        assert_eq!(describe_age(Duration::from_secs(7_200)), "2 hours");
    }

    #[test]
    fn round_trips_through_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Meta::load(dir.path()).unwrap(), None);
        let m = Meta {
            updated: "2026-01-02T03:04:05Z".into(),
            source: "http://mirror".into(),
            ecosystems: BTreeMap::new(),
        };
        m.store(dir.path()).unwrap();
        assert_eq!(Meta::load(dir.path()).unwrap(), Some(m.clone()));
        assert!(m.updated_at().is_some());
    }
}
