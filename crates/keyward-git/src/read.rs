//! Scanning blobs on worker threads while the tree walk is still finding them.
//!
//! The walk (oldest commit first) hands out batches of new blobs through a bounded channel;
//! each worker has its own object handle with a cache of decoded delta bases and one reused
//! read buffer. Blobs are read in the order the walk finds them, which for packs written
//! by `git fast-import` or a push is close to pack order.

use gix::objs::Find;
use gix::ObjectId;
use keyward_core::Finding;
use keyward_scan::source::is_binary;
use keyward_scan::{ScanStats, Scanner, Skipped};
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};

/// Blobs per batch sent to the workers.
pub(crate) const BATCH: usize = 64;

/// One blob to scan: its index in the walk's blob list, id and path.
pub(crate) type Job = (usize, ObjectId, Arc<str>);

/// A finding with the index (into the walk's blob list) of the blob it came from.
pub(crate) type BlobFinding = (usize, Finding);

/// Scan batches from `jobs` until the channel closes; returns this worker's findings.
pub(crate) fn worker(
    mut objects: gix::OdbHandle,
    scanner: &Scanner,
    jobs: &Mutex<Receiver<Vec<Job>>>,
    max_size: u64,
    stats: &ScanStats,
) -> Vec<BlobFinding> {
    let mut buf = Vec::with_capacity(1 << 20);
    let mut found = Vec::new();
    crate::repo::set_pack_cache(&mut objects);
    loop {
        let batch = match jobs.lock().expect("job queue").recv() {
            Ok(b) => b,
            Err(_) => break,
        };
        for (i, id, path) in batch {
            let data = match objects.try_find(&id, &mut buf) {
                Ok(Some(d)) => d.data,
                Ok(None) => {
                    skip(stats, unreadable(&path, &id, "object missing"));
                    continue;
                }
                Err(e) => {
                    let why = crate::error::first_line(&e.to_string());
                    skip(stats, unreadable(&path, &id, &why));
                    continue;
                }
            };
            if data.len() as u64 > max_size {
                skip(
                    stats,
                    Skipped::TooLarge(path.to_string(), data.len() as u64),
                );
                continue;
            }
            if is_binary(data) {
                skip(stats, Skipped::Binary(path.to_string()));
                continue;
            }
            stats.files.fetch_add(1, Ordering::Relaxed);
            stats.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
            // A panic while scanning one blob fails that blob, not the run.
            if let Some(hits) = keyward_scan::source::scan_counted(scanner, &path, data, stats) {
                found.extend(hits.into_iter().map(|f| (i, f)));
            }
        }
    }
    found
}

fn unreadable(path: &str, id: &ObjectId, why: &str) -> Skipped {
    Skipped::Unreadable(
        format!("{path} (blob {})", id.to_hex_with_len(12)),
        why.into(),
    )
}

fn skip(stats: &ScanStats, s: Skipped) {
    stats.skipped.lock().expect("stats lock").push(s);
}
