//! Scanning blobs read by id, on worker threads.
//!
//! Used for the blobs no pack decoded whole ([`crate::pack`]): loose objects, sparse packs,
//! or everything with [`crate::BlobReader::Lookup`]. Batches go through a bounded channel;
//! each worker has its own object handle with a cache of decoded delta bases and one reused
//! read buffer. Blobs are read in the order the walk found them (oldest first).

use gix::objs::Find;
use gix::ObjectId;
use keyward_core::Finding;
use keyward_scan::source::is_binary;
use keyward_scan::{ScanStats, Scanner, Skipped};
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};

/// Blobs per batch sent to the workers.
const BATCH: usize = 64;

/// One blob to scan: its index in the walk's blob list, id and path.
pub(crate) type Job = (usize, ObjectId, Arc<str>);

/// A finding with the index (into the walk's blob list) of the blob it came from.
pub(crate) type BlobFinding = (usize, Finding);

/// Read and scan `jobs` on `threads` workers; returns their findings.
pub(crate) fn scan_jobs(
    repo: &gix::Repository,
    jobs: Vec<Job>,
    blob: BlobScan<'_>,
    threads: usize,
) -> Vec<BlobFinding> {
    if jobs.is_empty() {
        return Vec::new();
    }
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Job>>(threads * 16);
    let rx = Mutex::new(rx);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let objects = repo.objects.clone();
                let rx = &rx;
                s.spawn(move || worker(objects, blob, rx))
            })
            .collect();
        let mut jobs = jobs.into_iter();
        loop {
            let batch: Vec<Job> = jobs.by_ref().take(BATCH).collect();
            if batch.is_empty() || tx.send(batch).is_err() {
                break;
            }
        }
        drop(tx);
        let mut found = Vec::new();
        for h in handles {
            found.extend(h.join().expect("scan worker panicked"));
        }
        found
    })
}

/// Scan batches from `jobs` until the channel closes; returns this worker's findings.
fn worker(
    mut objects: gix::OdbHandle,
    blob: BlobScan<'_>,
    jobs: &Mutex<Receiver<Vec<Job>>>,
) -> Vec<BlobFinding> {
    let stats = blob.stats;
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
            blob.scan(i, &path, data, &mut found);
        }
    }
    found
}

/// What scanning a blob needs: the engine, the size limit and the shared counters.
#[derive(Clone, Copy)]
pub(crate) struct BlobScan<'a> {
    pub scanner: &'a Scanner,
    pub max_size: u64,
    pub stats: &'a ScanStats,
}

impl BlobScan<'_> {
    /// Scan one blob's content (skipping it, counted, when too large or binary); findings
    /// are appended to `found` tagged with `i`, the blob's index in the walk's list.
    pub fn scan(&self, i: usize, path: &str, data: &[u8], found: &mut Vec<BlobFinding>) {
        let stats = self.stats;
        if data.len() as u64 > self.max_size {
            skip(
                stats,
                Skipped::TooLarge(path.to_string(), data.len() as u64),
            );
            return;
        }
        if is_binary(data) {
            skip(stats, Skipped::Binary(path.to_string()));
            return;
        }
        stats.files.fetch_add(1, Ordering::Relaxed);
        stats.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
        // A panic while scanning one blob fails that blob, not the run.
        if let Some(hits) = keyward_scan::source::scan_counted(self.scanner, path, data, stats) {
            found.extend(hits.into_iter().map(|f| (i, f)));
        }
    }
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
