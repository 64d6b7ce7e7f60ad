//! `keyward scan --git`: every unique blob of the selected history, scanned once, each
//! finding labelled with the commit that introduced it.

use crate::commits::{self, Selection};
use crate::error::GitError;
use crate::{pack, read, repo, trees};
use gix::objs::Find;
use keyward_core::{Finding, GitOrigin};
use keyward_scan::{ScanStats, Scanner};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Options for a history scan.
#[derive(Clone, Debug)]
pub struct HistoryOptions {
    /// Which commits.
    pub selection: Selection,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Blobs larger than this are skipped and counted.
    pub max_file_size: u64,
    /// Paths (as first seen in history) to leave out: `.keywardignore` and `[scan] exclude`.
    pub exclude: Option<keyward_scan::source::PathFilter>,
    /// How blob contents are read (the default decodes packs whole).
    pub reader: BlobReader,
}

/// How a history scan reads the blobs it selected. Both give the same findings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BlobReader {
    /// Decode each pack that holds enough selected blobs whole, in pack order, every delta
    /// base once, on all threads; read the rest (loose objects, sparse packs) by id.
    #[default]
    Auto,
    /// Read every blob by id through a delta-base cache (slower on real packs; kept as the
    /// reference the pack reader is tested against).
    Lookup,
}

impl BlobReader {
    /// `KEYWARD_GIT_READER=lookup` selects [`BlobReader::Lookup`] (for benchmarks and
    /// bisecting a difference); anything else, or unset, [`BlobReader::Auto`].
    pub fn from_env() -> BlobReader {
        match std::env::var("KEYWARD_GIT_READER").as_deref() {
            Ok("lookup") => BlobReader::Lookup,
            _ => BlobReader::Auto,
        }
    }
}

/// What a history scan produced besides the counters in [`ScanStats`].
#[derive(Debug, Default)]
pub struct HistoryScan {
    /// Findings, each with `location.git` set to its introducing commit.
    pub findings: Vec<Finding>,
    /// Facts for the report summary (shallow clone, commit and blob counts).
    pub notes: Vec<String>,
    /// Problems that did not stop the scan (unreadable trees, missing commits).
    pub warnings: Vec<String>,
    /// Commits selected.
    pub commits: usize,
    /// Unique blobs introduced by those commits.
    pub blobs: usize,
}

/// Scan the history of the repository containing `path`.
pub fn scan_history(
    path: &Path,
    scanner: &Scanner,
    opts: &HistoryOptions,
    stats: &ScanStats,
) -> Result<HistoryScan, GitError> {
    let timing = std::env::var_os("KEYWARD_GIT_TIMING").is_some();
    let t0 = std::time::Instant::now();
    let lap = |what: &str| {
        if timing {
            eprintln!(
                "keyward: timing: {what} at {:.3}s",
                t0.elapsed().as_secs_f64()
            );
        }
    };
    let repo = repo::open(path)?;
    let set = commits::select(&repo, &opts.selection)?;
    lap("commits selected");
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let mut jobs: Vec<read::Job> = Vec::new();
    let mut on_blob = |i: usize, b: &trees::BlobOrigin, path: &Arc<str>| {
        if !opts.exclude.as_ref().is_some_and(|f| f.excludes(path)) {
            jobs.push((i, b.id, path.clone()));
        }
    };
    let index = trees::index_blobs(&repo, &set, &mut on_blob)?;
    lap("trees walked");
    let blob = read::BlobScan {
        scanner,
        max_size: opts.max_file_size,
        stats,
    };
    let wanted = pack::Wanted::new(&jobs);
    let found = Mutex::new(Vec::new());
    let mut pack_errors = Vec::new();
    let (hash, indices) = (repo.object_hash(), pack::pack_indices(&repo));
    // The tree walk read commits and trees through the object store's own mapping of the
    // packs, touching pages all over them; closing the store unmaps them, so they do not
    // stay resident beside the decoder's mapping (on prometheus/prometheus: ~300 MB).
    drop(repo);
    if opts.reader == BlobReader::Auto {
        for idx in indices {
            if let Err(e) = pack::scan_pack(&idx, hash, &wanted, blob, threads, &found) {
                pack_errors.push(format!(
                    "pack {} could not be decoded whole ({}); its blobs were read one by one",
                    idx.file_name().unwrap_or_default().to_string_lossy(),
                    crate::error::first_line(&e)
                ));
            }
        }
        lap("packs decoded");
    }
    let rest = wanted.remaining();
    drop(wanted);
    let repo = repo::open(path)?;
    let mut found = found.into_inner().expect("findings lock");
    found.extend(read::scan_jobs(&repo, rest, blob, threads));
    lap("blobs scanned");
    let mut out = HistoryScan {
        commits: set.commits.len(),
        blobs: index.blobs.len(),
        ..HistoryScan::default()
    };
    if repo::is_shallow(&repo) {
        out.notes.push(
            "shallow clone: only the history present locally was scanned \
             (run `git fetch --unshallow` for all of it)"
                .into(),
        );
    } else if set.missing > 0 {
        out.warnings.push(format!(
            "{} commit(s) referenced by the history are missing from the object database",
            set.missing
        ));
    }
    out.warnings.extend(pack_errors);
    for (id, p) in &index.unreadable {
        out.warnings.push(format!(
            "tree {} at `{}` could not be read; its files were not scanned",
            id.to_hex_with_len(12),
            if p.is_empty() { "/" } else { p }
        ));
    }
    out.notes.push(format!(
        "git history: {} commit(s), {} unique blob(s)",
        set.commits.len(),
        index.blobs.len()
    ));
    let mut origins: HashMap<u32, GitOrigin> = HashMap::new();
    for (bi, mut f) in found {
        let ci = index.blobs[bi].commit;
        let origin = origins
            .entry(ci)
            .or_insert_with(|| origin_of(&repo, &set.commits[ci as usize].id));
        f.location.git = Some(origin.clone());
        out.findings.push(f);
    }
    Ok(out)
}

/// Author, date and summary of a commit (placeholders when it cannot be read).
pub(crate) fn origin_of(repo: &gix::Repository, id: &gix::ObjectId) -> GitOrigin {
    let mut buf = Vec::new();
    let mut origin = GitOrigin {
        commit: id.to_string(),
        author: String::new(),
        date: String::new(),
        summary: String::new(),
    };
    let Ok(Some(data)) = repo.objects.try_find(id, &mut buf) else {
        return origin;
    };
    let Ok(c) = gix::objs::CommitRef::from_bytes(data.data, repo.object_hash()) else {
        return origin;
    };
    if let Ok(a) = c.author() {
        origin.author = format!("{} <{}>", a.name, a.email);
    }
    if let Ok(t) = c.committer().and_then(|s| s.time()) {
        origin.date = t.format_or_unix(gix::date::time::format::ISO8601_STRICT);
    }
    origin.summary = String::from_utf8_lossy(c.message_summary().as_ref()).into_owned();
    origin
}
