//! Pack-aware reading: every object of a pack decoded exactly once, in pack order.
//!
//! Looking blobs up one by one re-resolves delta chains: in a real pack (deep chains, many
//! small blobs) each lookup inflates the chain's bases again unless a cache still holds them.
//! Here each pack's objects are arranged into their delta tree (bases before the deltas built
//! on them, as `git index-pack` does) and decoded on several threads, every base once; the
//! blobs the tree walk selected are scanned as they come out. Objects the walk did not ask for
//! are decoded (they may be bases) but not scanned.
//!
//! A blob can sit in several packs: the first pack to decode it claims it (`done`), so it is
//! scanned once. Blobs no pack yields (loose objects, alternates, packs too sparse in wanted
//! blobs to be worth decoding whole, a pack that failed to decode) stay unclaimed and are read
//! by id afterwards ([`crate::read`]).

use crate::read::{BlobFinding, BlobScan, Job};
use gix::hashtable::HashMap;
use gix::odb::pack;
use gix::ObjectId;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// A pack is decoded whole only when at least one in `SPARSE` of its objects is wanted;
/// sparser packs (a `--range` over a big history) are cheaper to read blob by blob.
const SPARSE: usize = 16;

/// Marks a delta-tree node that is not a wanted blob.
const UNWANTED: u32 = u32::MAX;

/// After this many bytes of pack entries are decoded, the pack's pages are released.
const RELEASE_EVERY: u64 = 64 << 20;

/// The blobs to scan, and which of them have been scanned.
pub(crate) struct Wanted<'a> {
    pub jobs: &'a [Job],
    pub by_id: HashMap<ObjectId, u32>,
    pub done: Vec<AtomicBool>,
}

impl<'a> Wanted<'a> {
    /// Index `jobs` by blob id.
    pub fn new(jobs: &'a [Job]) -> Wanted<'a> {
        let mut by_id = HashMap::default();
        by_id.reserve(jobs.len());
        for (i, (_, id, _)) in jobs.iter().enumerate() {
            by_id.insert(*id, i as u32);
        }
        Wanted {
            jobs,
            by_id,
            done: jobs.iter().map(|_| AtomicBool::new(false)).collect(),
        }
    }

    /// The jobs no pack has claimed yet.
    pub fn remaining(&self) -> Vec<Job> {
        self.jobs
            .iter()
            .zip(&self.done)
            .filter(|(_, d)| !d.load(Ordering::Relaxed))
            .map(|(j, _)| j.clone())
            .collect()
    }
}

/// The `.idx` files of the repository's own pack directory, largest pack first.
pub(crate) fn pack_indices(repo: &gix::Repository) -> Vec<PathBuf> {
    let dir = repo.objects.store_ref().path().join("pack");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut found: Vec<(u64, PathBuf)> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
        .filter_map(|p| {
            let len = std::fs::metadata(p.with_extension("pack")).ok()?.len();
            Some((len, p))
        })
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    found.into_iter().map(|(_, p)| p).collect()
}

/// Scan the wanted blobs stored in the pack at `idx`, appending their findings to `found`.
/// An error means the pack could not be (fully) traversed; blobs it did not reach stay
/// unclaimed.
pub(crate) fn scan_pack(
    idx: &Path,
    hash: gix::hash::Kind,
    wanted: &Wanted<'_>,
    blob: BlobScan<'_>,
    threads: usize,
    found: &Mutex<Vec<BlobFinding>>,
) -> Result<(), String> {
    let bundle = pack::Bundle::at(idx, hash).map_err(|e| e.to_string())?;
    let (index, data) = (&bundle.index, &bundle.pack);
    let mut nodes: Vec<(u64, u32)> = Vec::with_capacity(index.num_objects() as usize);
    let mut hits = 0usize;
    for e in index.iter() {
        let w = match wanted.by_id.get(&e.oid) {
            Some(&i) if !wanted.done[i as usize].load(Ordering::Relaxed) => {
                hits += 1;
                i
            }
            _ => UNWANTED,
        };
        nodes.push((e.pack_offset, w));
    }
    if hits == 0 || hits * SPARSE < nodes.len() {
        return Ok(());
    }
    nodes.sort_unstable_by_key(|n| n.0);
    let interrupt = AtomicBool::new(false);
    let tree = pack::cache::delta::Tree::from_offsets_in_pack(
        data.path(),
        nodes.into_iter(),
        &|n: &(u64, u32)| n.0,
        &|id| Ok(index.lookup(id).map(|i| index.pack_offset_at_index(i))),
        &mut gix::progress::Discard,
        &interrupt,
        hash,
    )
    .map_err(|e| e.to_string())?;
    let mapped = data
        .entry_slice(0..data.data_len() as u64)
        .unwrap_or_default();
    let since_release = AtomicU64::new(0);
    let inspect = |node: &mut (u64, u32),
                   _: &dyn gix::progress::Progress,
                   ctx: pack::cache::delta::traverse::Context<'_>|
     -> gix::error::Result {
        let len = ctx.entry_end - ctx.entry.data_offset;
        if since_release.fetch_add(len, Ordering::Relaxed) + len > RELEASE_EVERY {
            since_release.store(0, Ordering::Relaxed);
            release_pages(mapped);
        }
        let w = node.1;
        if w == UNWANTED || wanted.done[w as usize].swap(true, Ordering::Relaxed) {
            return Ok(());
        }
        let (i, _, path) = &wanted.jobs[w as usize];
        let mut hits = Vec::new();
        blob.scan(*i, path, ctx.decompressed, &mut hits);
        if !hits.is_empty() {
            found.lock().expect("findings lock").append(&mut hits);
        }
        Ok(())
    };
    tree.traverse(
        |slice, pack: &pack::data::File| pack.entry_slice(slice),
        data,
        data.pack_end() as u64,
        inspect,
        pack::cache::delta::traverse::Options {
            object_progress: Box::new(gix::progress::Discard),
            size_progress: &mut gix::progress::Discard,
            thread_limit: Some(threads),
            should_interrupt: &interrupt,
            object_hash: hash,
            alloc_limit_bytes: None,
        },
    )
    .map_err(|e| e.to_string())?;
    release_pages(mapped);
    Ok(())
}

/// Drop this process's mapping of `mapped`'s pages. The pack is mapped read-only from its
/// file, so the pages stay in the page cache and fault back in (unchanged) when read again;
/// without this, every page of a pack decoded whole would count in the resident set, making
/// peak memory grow with the pack's size.
fn release_pages(mapped: &[u8]) {
    #[cfg(unix)]
    if !mapped.is_empty() {
        // SAFETY: `mapped` is the whole read-only file mapping of the pack (page-aligned
        // start). MADV_DONTNEED on a file-backed mapping without private copies only drops
        // page-table entries; later reads see the same file contents.
        unsafe {
            libc::madvise(
                mapped.as_ptr() as *mut libc::c_void,
                mapped.len(),
                libc::MADV_DONTNEED,
            );
        }
    }
}
