//! `keyward scan --staged`: what the next commit will contain, and only what changed.
//!
//! The index is compared with `HEAD`'s tree directory by directory. A directory whose
//! cached tree id in the index (the `TREE` extension, which git invalidates along the path of
//! every `git add`) equals `HEAD`'s tree for it is unchanged and is skipped without reading
//! anything, so the cost follows the staged change, not the size of the repository.

use crate::error::GitError;
use gix::bstr::ByteSlice;
use gix::index::extension::Tree as CacheTree;
use gix::objs::Find;
use gix::ObjectId;
use keyward_core::Finding;
use keyward_scan::source::is_binary;
use keyward_scan::{ScanStats, Scanner, Skipped};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::Ordering;

/// An index entry whose content differs from `HEAD`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StagedChange {
    /// Repository-relative path.
    pub path: String,
    /// The staged blob.
    pub id: ObjectId,
}

/// Index entries (stage 0, regular files) whose blob differs from `HEAD`'s.
pub fn staged_changes(repo: &gix::Repository) -> Result<Vec<StagedChange>, GitError> {
    let index = repo
        .index_or_empty()
        .map_err(|e| GitError::read("index", e))?;
    let head_tree = match repo.head_tree_id_or_empty() {
        Ok(id) if !id.is_empty_tree() => Some(id.detach()),
        Ok(_) => None,
        Err(e) => return Err(GitError::read("HEAD", e)),
    };
    let entries: Vec<(&[u8], &gix::index::Entry)> = index
        .entries()
        .iter()
        .map(|e| (e.path(&index).as_bytes(), e))
        .collect();
    let mut out = Vec::new();
    let mut buf = Vec::new();
    diff_dir(
        repo,
        head_tree,
        index.tree(),
        &entries,
        0,
        &mut buf,
        &mut out,
    )?;
    Ok(out)
}

type Entries<'a> = [(&'a [u8], &'a gix::index::Entry)];

fn diff_dir(
    repo: &gix::Repository,
    head: Option<ObjectId>,
    cache: Option<&CacheTree>,
    entries: &Entries<'_>,
    prefix_len: usize,
    buf: &mut Vec<u8>,
    out: &mut Vec<StagedChange>,
) -> Result<(), GitError> {
    if let (Some(c), Some(h)) = (cache, head) {
        if c.num_entries.is_some() && c.id == h {
            return Ok(());
        }
    }
    // name -> (is tree, id) of HEAD's entries in this directory.
    let mut head_entries: HashMap<Vec<u8>, (bool, ObjectId)> = HashMap::new();
    if let Some(h) = head {
        let data = repo
            .objects
            .try_find(&h, buf)
            .map_err(|e| GitError::read(format!("tree {h}"), e))?
            .ok_or_else(|| GitError::read(format!("tree {h}"), "object missing"))?;
        for e in gix::objs::TreeRefIter::from_bytes(data.data, repo.object_hash()).flatten() {
            head_entries.insert(e.filename.to_vec(), (e.mode.is_tree(), e.oid.to_owned()));
        }
    }
    let mut i = 0;
    while i < entries.len() {
        let (path, entry) = entries[i];
        let rel = &path[prefix_len..];
        if let Some(slash) = rel.find_byte(b'/') {
            let dir = &rel[..slash];
            let dir_prefix = &path[..prefix_len + slash + 1];
            let end = i + entries[i..].partition_point(|(p, _)| p.starts_with(dir_prefix));
            let sub_head = match head_entries.get(dir) {
                Some((true, id)) => Some(*id),
                _ => None,
            };
            let sub_cache =
                cache.and_then(|c| c.children.iter().find(|t| t.name.as_slice() == dir));
            diff_dir(
                repo,
                sub_head,
                sub_cache,
                &entries[i..end],
                prefix_len + slash + 1,
                buf,
                out,
            )?;
            i = end;
            continue;
        }
        i += 1;
        let staged_file = entry.stage_raw() == 0
            && !entry
                .flags
                .contains(gix::index::entry::Flags::INTENT_TO_ADD)
            && (entry.mode == gix::index::entry::Mode::FILE
                || entry.mode == gix::index::entry::Mode::FILE_EXECUTABLE);
        if !staged_file {
            continue;
        }
        if head_entries.get(rel) != Some(&(false, entry.id)) {
            out.push(StagedChange {
                path: String::from_utf8_lossy(path).into_owned(),
                id: entry.id,
            });
        }
    }
    Ok(())
}

/// Scan the staged content of the repository containing `path`.
pub fn scan_staged(
    path: &Path,
    scanner: &Scanner,
    max_file_size: u64,
    exclude: Option<&keyward_scan::source::PathFilter>,
    stats: &ScanStats,
) -> Result<Vec<Finding>, GitError> {
    let repo = crate::repo::open(path)?;
    let changes = staged_changes(&repo)?;
    let mut findings = Vec::new();
    let mut buf = Vec::new();
    for c in changes {
        if exclude.is_some_and(|f| f.excludes(&c.path)) {
            continue;
        }
        let skip = |s| stats.skipped.lock().expect("stats lock").push(s);
        let data = match repo.objects.try_find(&c.id, &mut buf) {
            Ok(Some(d)) => d.data,
            Ok(None) => {
                skip(Skipped::Unreadable(c.path, "staged blob missing".into()));
                continue;
            }
            Err(e) => {
                skip(Skipped::Unreadable(
                    c.path,
                    crate::error::first_line(&e.to_string()),
                ));
                continue;
            }
        };
        if data.len() as u64 > max_file_size {
            skip(Skipped::TooLarge(c.path, data.len() as u64));
        } else if is_binary(data) {
            skip(Skipped::Binary(c.path));
        } else {
            stats.files.fetch_add(1, Ordering::Relaxed);
            stats.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
            // A panic while scanning one file fails that file, not the run.
            if let Some(hits) = keyward_scan::source::scan_counted(scanner, &c.path, data, stats) {
                findings.extend(hits);
            }
        }
    }
    Ok(findings)
}
