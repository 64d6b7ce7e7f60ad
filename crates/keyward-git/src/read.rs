//! Reading unique blobs in pack order on several threads and scanning each once.

use crate::trees::BlobOrigin;
use gix::objs::Find;
use gix::odb::pack::Find as _;
use keyward_core::Finding;
use keyward_scan::source::is_binary;
use keyward_scan::{ScanStats, Scanner, Skipped};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Blobs handed to a worker at a time: neighbours in a pack share delta bases, so a worker
/// that takes a run of them decodes each base once (its pack cache keeps it).
const CHUNK: usize = 64;

/// A finding with the index (into the blob list) of the blob it came from.
pub(crate) type BlobFinding = (usize, Finding);

/// Sort `blobs` by where they are stored (pack, offset; loose objects last), so that reading
/// them walks each pack file forward.
pub(crate) fn sort_by_location(repo: &gix::Repository, blobs: &mut [BlobOrigin]) -> Vec<u64> {
    let mut objects = repo.objects.clone();
    objects.prevent_pack_unload();
    let mut buf = Vec::new();
    let mut keyed: Vec<(u32, u64, u64, BlobOrigin)> = blobs
        .iter()
        .map(|b| match objects.location_by_oid(&b.id, &mut buf) {
            Ok(Some(loc)) => (loc.pack_id, loc.pack_offset, loc.entry_size as u64, *b),
            _ => (u32::MAX, 0, 0, *b),
        })
        .collect();
    keyed.sort_unstable_by_key(|k| (k.0, k.1));
    let mut packed_sizes = Vec::with_capacity(keyed.len());
    for (slot, k) in blobs.iter_mut().zip(keyed) {
        *slot = k.3;
        packed_sizes.push(k.2);
    }
    packed_sizes
}

/// Read and scan every blob with `threads` workers. `packed_sizes[i]` is the stored
/// (compressed) size of blob `i` or 0 when unknown; a blob whose stored size alone exceeds
/// `max_size` is skipped without being inflated.
#[allow(clippy::too_many_arguments)]
pub(crate) fn scan_blobs(
    repo: &gix::Repository,
    scanner: &Scanner,
    blobs: &[BlobOrigin],
    packed_sizes: &[u64],
    paths: &[String],
    max_size: u64,
    threads: usize,
    stats: &ScanStats,
) -> Vec<BlobFinding> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            let mut objects = repo.objects.clone();
            crate::repo::set_pack_cache(&mut objects);
            let (next, results) = (&next, &results);
            s.spawn(move || {
                let mut buf = Vec::with_capacity(1 << 20);
                let mut found = Vec::new();
                loop {
                    let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                    if start >= blobs.len() {
                        break;
                    }
                    for i in start..(start + CHUNK).min(blobs.len()) {
                        let b = &blobs[i];
                        let path = &paths[b.path as usize];
                        if packed_sizes[i] > max_size {
                            skip(stats, Skipped::TooLarge(path.clone(), packed_sizes[i]));
                            continue;
                        }
                        let data = match objects.try_find(&b.id, &mut buf) {
                            Ok(Some(d)) => d.data,
                            Ok(None) => {
                                skip(stats, unreadable(path, &b.id, "object missing"));
                                continue;
                            }
                            Err(e) => {
                                let why = crate::error::first_line(&e.to_string());
                                skip(stats, unreadable(path, &b.id, &why));
                                continue;
                            }
                        };
                        if data.len() as u64 > max_size {
                            skip(stats, Skipped::TooLarge(path.clone(), data.len() as u64));
                            continue;
                        }
                        if is_binary(data) {
                            skip(stats, Skipped::Binary(path.clone()));
                            continue;
                        }
                        stats.files.fetch_add(1, Ordering::Relaxed);
                        stats.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
                        let hits = scanner.scan(path, data);
                        if !hits.is_empty() {
                            stats
                                .findings
                                .fetch_add(hits.len() as u64, Ordering::Relaxed);
                            found.extend(hits.into_iter().map(|f| (i, f)));
                        }
                    }
                }
                results.lock().expect("results lock").extend(found);
            });
        }
    });
    results.into_inner().expect("results lock")
}

fn unreadable(path: &str, id: &gix::ObjectId, why: &str) -> Skipped {
    Skipped::Unreadable(format!("{path} (blob {})", id.to_hex_with_len(12)), why.into())
}

fn skip(stats: &ScanStats, s: Skipped) {
    stats.skipped.lock().expect("stats lock").push(s);
}
