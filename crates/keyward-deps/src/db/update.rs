//! `keyward deps db update`: download each ecosystem's `all.zip` from osv.dev (or a mirror
//! with the same layout), verify every document parses by building the index from it, and
//! only then swap the files in, each by an atomic rename. A failed or corrupt download
//! changes nothing.

use super::index::EcosystemIndex;
use super::meta::{EcosystemMeta, Meta};
use super::{sha256_hex, write_atomic, INDEX_NAME, ZIP_NAME};
use crate::error::DepsError;
use crate::package::Ecosystem;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// osv.dev's public bucket, laid out as `<Ecosystem>/all.zip`.
pub const DEFAULT_BASE_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// Largest zip accepted (osv.dev's largest ecosystems are a few hundred MB).
const MAX_ZIP_BYTES: u64 = 1 << 30;

/// Check a base URL: http(s) only, and no credentials (they would end up in messages).
pub fn check_base_url(base: &str) -> Result<String, DepsError> {
    let base = base.trim().trim_end_matches('/');
    let rest = base
        .strip_prefix("https://")
        .or_else(|| base.strip_prefix("http://"))
        .ok_or_else(|| DepsError::Path {
            path: "--url".into(),
            message: "the database URL must start with https:// or http://".into(),
        })?;
    let host = rest.split('/').next().unwrap_or("");
    if host.contains('@') {
        return Err(DepsError::Path {
            path: "--url".into(),
            message: "credentials in the database URL are not supported".into(),
        });
    }
    if host.is_empty() {
        return Err(DepsError::Path {
            path: "--url".into(),
            message: "the database URL has no host".into(),
        });
    }
    Ok(base.to_string())
}

fn download(agent: &ureq::Agent, url: &str) -> Result<Vec<u8>, DepsError> {
    let fail = |message: String| DepsError::Download {
        url: url.to_string(),
        message,
    };
    let mut resp = agent.get(url).call().map_err(|e| fail(e.to_string()))?;
    resp.body_mut()
        .with_config()
        .limit(MAX_ZIP_BYTES)
        .read_to_vec()
        .map_err(|e| fail(e.to_string()))
}

/// Download, verify and install the zips of `ecosystems` from `base` into `dir`.
pub fn update(dir: &Path, base: &str, ecosystems: &[Ecosystem]) -> Result<Meta, DepsError> {
    let base = check_base_url(base)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_global(Some(Duration::from_secs(900)))
        .build()
        .into();
    let mut staged = Vec::new();
    for &eco in ecosystems {
        let url = format!("{base}/{}/{ZIP_NAME}", eco.as_str());
        let bytes = download(&agent, &url)?;
        let sha = sha256_hex(&bytes);
        let idx = EcosystemIndex::build(eco, &bytes, &sha).map_err(|m| DepsError::Download {
            url: url.clone(),
            message: format!("not a valid OSV database: {m}"),
        })?;
        staged.push((eco, bytes, idx));
    }
    install(dir, &base, staged)
}

/// Swap verified zips and their indexes into `dir` and record the update.
fn install(
    dir: &Path,
    base: &str,
    staged: Vec<(Ecosystem, Vec<u8>, EcosystemIndex)>,
) -> Result<Meta, DepsError> {
    let mut meta = Meta::load(dir).ok().flatten().unwrap_or(Meta {
        updated: String::new(),
        source: String::new(),
        ecosystems: Default::default(),
    });
    for (eco, bytes, idx) in staged {
        let sub = dir.join(eco.as_str());
        std::fs::create_dir_all(&sub).map_err(|e| DepsError::io(sub.display(), e))?;
        write_atomic(&sub.join(ZIP_NAME), &bytes)?;
        write_atomic(&sub.join(INDEX_NAME), &idx.to_bytes())?;
        meta.ecosystems.insert(
            eco.as_str().to_string(),
            EcosystemMeta {
                records: idx.records,
                withdrawn: idx.withdrawn,
                sha256: idx.zip_sha256.clone(),
                bytes: bytes.len() as u64,
            },
        );
    }
    meta.updated = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    meta.source = base.to_string();
    meta.store(dir)?;
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(
            check_base_url("https://m.example/osv/").unwrap(),
            "https://m.example/osv"
        );
        assert!(check_base_url("ftp://m.example").is_err());
        let err = check_base_url("https://user:pw@m.example")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("pw"), "{err}");
        assert!(check_base_url("http:///x").is_err());
    }
}
