//! Sources: a parallel directory walk honouring `.gitignore` and `.keywardignore`, and stdin.

use crate::engine::Scanner;
use crate::error::ScanError;
use ignore::{WalkBuilder, WalkState};
use keyward_core::Finding;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// The ignore file keyward reads besides `.gitignore` (gitignore syntax).
pub const IGNORE_FILE: &str = ".keywardignore";
/// How many leading bytes are checked for NUL to call a file binary.
const BINARY_PROBE: usize = 8192;

/// Options for a file-system scan.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Files larger than this are skipped and counted.
    pub max_file_size: u64,
    /// Scan everything: ignore no `.gitignore`/`.keywardignore`.
    pub no_ignore: bool,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Extra gitignore-style globs to skip.
    pub exclude: Vec<String>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            max_file_size: 8 * 1024 * 1024,
            no_ignore: false,
            threads: 0,
            exclude: Vec::new(),
        }
    }
}

/// Why a file was not scanned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skipped {
    /// Contains NUL bytes near its start.
    Binary(String),
    /// Larger than `--max-file-size`.
    TooLarge(String, u64),
    /// Could not be read (permissions, broken symlink, …).
    Unreadable(String, String),
}

/// Counters shared by the workers; readable while a scan runs (for progress).
#[derive(Debug, Default)]
pub struct ScanStats {
    /// Files scanned.
    pub files: AtomicU64,
    /// Bytes scanned.
    pub bytes: AtomicU64,
    /// Findings so far.
    pub findings: AtomicU64,
    /// What was skipped, and why.
    pub skipped: Mutex<Vec<Skipped>>,
}

impl ScanStats {
    fn skip(&self, s: Skipped) {
        self.skipped.lock().expect("stats lock").push(s);
    }

    /// Number of skipped files matching `pred`.
    pub fn count_skipped(&self, pred: impl Fn(&Skipped) -> bool) -> usize {
        self.skipped
            .lock()
            .expect("stats lock")
            .iter()
            .filter(|s| pred(s))
            .count()
    }
}

/// Paths to leave out of sources that are not a directory walk (git history, the index):
/// the `.keywardignore` at a repository's root plus `[scan] exclude` globs, with gitignore
/// semantics, matched against repository-relative paths.
#[derive(Clone, Debug)]
pub struct PathFilter {
    rules: ignore::gitignore::Gitignore,
}

impl PathFilter {
    /// Read `root/.keywardignore` (when present) and add `exclude` globs.
    pub fn for_root(root: &Path, exclude: &[String]) -> Result<PathFilter, ScanError> {
        let mut b = ignore::gitignore::GitignoreBuilder::new(root);
        let file = root.join(IGNORE_FILE);
        if file.is_file() {
            if let Some(e) = b.add(&file) {
                return Err(ScanError::Path {
                    path: file.display().to_string(),
                    message: e.to_string(),
                });
            }
        }
        for g in exclude {
            b.add_line(None, g).map_err(|e| ScanError::Path {
                path: g.clone(),
                message: format!("bad exclude glob: {e}"),
            })?;
        }
        let rules = b.build().map_err(|e| ScanError::Path {
            path: root.display().to_string(),
            message: e.to_string(),
        })?;
        Ok(PathFilter { rules })
    }

    /// True when the repository-relative `path` (or a directory above it) is excluded.
    pub fn excludes(&self, path: &str) -> bool {
        self.rules
            .matched_path_or_any_parents(path.trim_start_matches('/'), false)
            .is_ignore()
    }
}

/// True when `data` looks binary (a NUL byte in its first 8 KiB).
pub fn is_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(BINARY_PROBE)]).is_some()
}

/// Check every path exists before a scan starts (a missing path is a usage error).
pub fn check_paths(paths: &[PathBuf]) -> Result<(), ScanError> {
    for p in paths {
        if p.as_os_str() != "-" && std::fs::symlink_metadata(p).is_err() {
            return Err(ScanError::Path {
                path: p.display().to_string(),
                message: "no such file or directory".into(),
            });
        }
    }
    Ok(())
}

fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// Walk `paths` in parallel and scan every file; `sink` receives each file's findings.
pub fn scan_paths(
    scanner: &Scanner,
    paths: &[PathBuf],
    opts: &ScanOptions,
    stats: &ScanStats,
    sink: &(dyn Fn(Vec<Finding>) + Sync),
) -> Result<(), ScanError> {
    check_paths(paths)?;
    let Some((first, rest)) = paths.split_first() else {
        return Ok(());
    };
    let mut builder = WalkBuilder::new(first);
    for p in rest {
        builder.add(p);
    }
    builder
        .hidden(false)
        .parents(!opts.no_ignore)
        .ignore(!opts.no_ignore)
        .git_ignore(!opts.no_ignore)
        .git_global(false)
        .git_exclude(!opts.no_ignore)
        .require_git(false)
        .follow_links(false)
        .threads(opts.threads)
        .filter_entry(|e| e.file_name() != ".git");
    if !opts.no_ignore {
        builder.add_custom_ignore_filename(IGNORE_FILE);
    }
    if !opts.exclude.is_empty() {
        let mut ov = ignore::overrides::OverrideBuilder::new(".");
        for g in &opts.exclude {
            ov.add(&format!("!{g}")).map_err(|e| ScanError::Path {
                path: g.clone(),
                message: format!("bad exclude glob: {e}"),
            })?;
        }
        builder.overrides(ov.build().map_err(|e| ScanError::Path {
            path: "exclude".into(),
            message: e.to_string(),
        })?);
    }
    builder.build_parallel().run(|| {
        let mut buf = Vec::with_capacity(64 * 1024);
        Box::new(move |entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    stats.skip(Skipped::Unreadable(
                        err_path(&err),
                        err.to_string().lines().next().unwrap_or("").to_string(),
                    ));
                    return WalkState::Continue;
                }
            };
            let is_file = entry.file_type().is_some_and(|t| t.is_file())
                || entry.file_type().is_some_and(|t| t.is_symlink()) && entry.depth() == 0;
            if !is_file {
                if entry.file_type().is_some_and(|t| t.is_symlink())
                    && std::fs::metadata(entry.path()).is_err()
                {
                    stats.skip(Skipped::Unreadable(
                        display_path(entry.path()),
                        "broken symbolic link".into(),
                    ));
                }
                return WalkState::Continue;
            }
            scan_file(scanner, entry.path(), opts, stats, sink, &mut buf);
            WalkState::Continue
        })
    });
    Ok(())
}

fn err_path(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { path, .. } => display_path(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            err_path(err)
        }
        _ => String::from("?"),
    }
}

fn scan_file(
    scanner: &Scanner,
    path: &Path,
    opts: &ScanOptions,
    stats: &ScanStats,
    sink: &(dyn Fn(Vec<Finding>) + Sync),
    buf: &mut Vec<u8>,
) {
    let shown = display_path(path);
    let result = std::fs::File::open(path).and_then(|f| {
        let len = f.metadata()?.len();
        if len > opts.max_file_size {
            return Ok(Some(len));
        }
        buf.clear();
        buf.reserve(len as usize + 1);
        (&f).take(opts.max_file_size + 1).read_to_end(buf)?;
        Ok(None)
    });
    match result {
        Err(e) => stats.skip(Skipped::Unreadable(shown, e.to_string())),
        Ok(Some(len)) => stats.skip(Skipped::TooLarge(shown, len)),
        Ok(None) if buf.len() as u64 > opts.max_file_size => {
            stats.skip(Skipped::TooLarge(shown, buf.len() as u64))
        }
        Ok(None) if is_binary(buf) => stats.skip(Skipped::Binary(shown)),
        Ok(None) => {
            stats.files.fetch_add(1, Ordering::Relaxed);
            stats.bytes.fetch_add(buf.len() as u64, Ordering::Relaxed);
            let findings = scanner.scan(&shown, buf);
            if !findings.is_empty() {
                stats
                    .findings
                    .fetch_add(findings.len() as u64, Ordering::Relaxed);
                sink(findings);
            }
        }
    }
}

/// Scan standard input as one file named `-`.
pub fn scan_stdin(
    scanner: &Scanner,
    opts: &ScanOptions,
    stats: &ScanStats,
) -> Result<Vec<Finding>, ScanError> {
    let mut data = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut data)
        .map_err(ScanError::Stdin)?;
    if data.len() as u64 > opts.max_file_size {
        stats.skip(Skipped::TooLarge("-".into(), data.len() as u64));
        return Ok(Vec::new());
    }
    stats.files.fetch_add(1, Ordering::Relaxed);
    stats.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
    let findings = scanner.scan("-", &data);
    stats
        .findings
        .fetch_add(findings.len() as u64, Ordering::Relaxed);
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_filter_reads_keywardignore_and_globs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(IGNORE_FILE), "fixtures/\n*.snap\n").unwrap();
        let f = PathFilter::for_root(dir.path(), &["vendor/**".to_string()]).unwrap();
        assert!(f.excludes("fixtures/a/.env"));
        assert!(f.excludes("src/x.snap"));
        assert!(f.excludes("vendor/lib/k.pem"));
        assert!(!f.excludes("src/config.py"));
    }
}
