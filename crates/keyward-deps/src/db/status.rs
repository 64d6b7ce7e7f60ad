//! `keyward deps db status`: what the database holds and how old it is.

use super::meta::describe_age;
use super::{Database, ZIP_NAME};
use crate::error::DepsError;
use crate::package::Ecosystem;
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// One ecosystem of the database.
#[derive(Debug, Serialize)]
pub struct EcosystemStatus {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// Records in the zip.
    pub records: u32,
    /// Withdrawn records (never reported).
    pub withdrawn: u32,
    /// Advisories indexed for this ecosystem.
    pub advisories: usize,
    /// Distinct packages with advisories.
    pub packages: usize,
    /// Size of the zip.
    pub zip_bytes: u64,
}

/// The database as a whole.
#[derive(Debug, Serialize)]
pub struct Status {
    /// The directory.
    pub dir: String,
    /// RFC 3339 time of the last update (or of the newest zip when not recorded).
    pub updated: Option<String>,
    /// True when `db update` recorded it; false when only the zips' time is known.
    pub recorded: bool,
    /// The mirror or osv.dev URL of the last update.
    pub source: Option<String>,
    /// Age in seconds.
    pub age_seconds: Option<u64>,
    /// Older than the allowed age.
    pub stale: bool,
    /// Per ecosystem present.
    pub ecosystems: Vec<EcosystemStatus>,
}

impl Status {
    /// The age in words (`3 days`), if known.
    pub fn age(&self) -> Option<String> {
        self.age_seconds
            .map(|s| describe_age(Duration::from_secs(s)))
    }
}

/// Open every ecosystem of `dir` (building indexes when needed) and describe it.
pub fn status(dir: &Path, max_age_days: u32) -> Result<Status, DepsError> {
    let db = Database::open(dir, &Ecosystem::ALL)?;
    let updated = db.updated_at();
    let age = updated.map(|u| {
        SystemTime::now()
            .duration_since(u)
            .unwrap_or(Duration::ZERO)
            .as_secs()
    });
    let ecosystems = db
        .indexes
        .iter()
        .map(|i| EcosystemStatus {
            ecosystem: i.ecosystem,
            records: i.records,
            withdrawn: i.withdrawn,
            advisories: i.advisories.len(),
            packages: i.packages.len(),
            zip_bytes: std::fs::metadata(dir.join(i.ecosystem.as_str()).join(ZIP_NAME))
                .map(|m| m.len())
                .unwrap_or(0),
        })
        .collect();
    Ok(Status {
        dir: dir.display().to_string(),
        updated: updated.map(|u| humantime::format_rfc3339_seconds(u).to_string()),
        recorded: db.meta.is_some(),
        source: db.meta.as_ref().map(|m| m.source.clone()),
        age_seconds: age,
        stale: age.is_some_and(|a| a > u64::from(max_age_days) * 86_400),
        ecosystems,
    })
}
