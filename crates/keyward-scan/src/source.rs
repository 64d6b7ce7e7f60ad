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
    /// Could not be read (permissions, …).
    Unreadable(String, String),
    /// Not a regular file (a device, a FIFO, a socket, a broken or looping symlink):
    /// nothing to scan, noted with what it is.
    Special(String, String),
    /// Scanning it hit a bug in keyward (a contained panic); the run fails at the end.
    Failed(String),
}

impl Skipped {
    /// True for inputs whose content exists but was not scanned (too large, unreadable,
    /// failed): a scan with one of these is incomplete and is not a success unless the
    /// user allows it (`--allow-skipped`). Binary and special files are classified, not
    /// missed.
    pub fn is_incomplete(&self) -> bool {
        matches!(
            self,
            Skipped::TooLarge(..) | Skipped::Unreadable(..) | Skipped::Failed(_)
        )
    }
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
    /// Matches suppressed by an inline `keyward:allow`.
    pub suppressed: AtomicU64,
    /// What was skipped, and why.
    pub skipped: Mutex<Vec<Skipped>>,
}

impl ScanStats {
    /// Record a skipped input.
    pub fn skip(&self, s: Skipped) {
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
                let ft = entry.file_type();
                if ft.is_some_and(|t| t.is_symlink()) {
                    if let Some(why) = bad_link(entry.path()) {
                        stats.skip(Skipped::Special(display_path(entry.path()), why));
                    }
                } else if !ft.is_some_and(|t| t.is_dir()) {
                    let why = ft.map_or("not a regular file", special_kind);
                    stats.skip(Skipped::Special(display_path(entry.path()), why.into()));
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

/// What a symbolic link that cannot be followed to a file is, or `None` when it can.
fn bad_link(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(_) => None,
        Err(e) if e.raw_os_error() == Some(libc_eloop()) => Some("symbolic link loop".into()),
        Err(_) => Some("broken symbolic link".into()),
    }
}

/// `ELOOP` (40 on Linux, 62 on the BSDs and macOS).
fn libc_eloop() -> i32 {
    if cfg!(any(
        target_os = "macos",
        target_os = "freebsd",
        target_os = "openbsd"
    )) {
        62
    } else {
        40
    }
}

/// A name for a file type that is neither a file, a directory nor a symlink.
fn special_kind(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() {
            return "character device";
        }
        if t.is_block_device() {
            return "block device";
        }
        if t.is_fifo() {
            return "named pipe (FIFO)";
        }
        if t.is_socket() {
            return "socket";
        }
    }
    let _ = t;
    "not a regular file"
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
    // Never open what is not a regular file: a FIFO blocks, /dev/zero never ends.
    match std::fs::metadata(path) {
        Err(_) => {
            if let Some(why) = bad_link(path) {
                return stats.skip(Skipped::Special(shown, why));
            }
        }
        Ok(m) if !m.is_file() => {
            return stats.skip(Skipped::Special(shown, special_kind(m.file_type()).into()))
        }
        Ok(_) => {}
    }
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
            if let Some(findings) = scan_counted(scanner, &shown, buf, stats) {
                if !findings.is_empty() {
                    sink(findings);
                }
            }
        }
    }
}

/// Scan one input under [`Scanner::scan_guarded`], adding to the counters; `None` when
/// the scan failed (recorded as [`Skipped::Failed`]).
pub fn scan_counted(
    scanner: &Scanner,
    shown: &str,
    data: &[u8],
    stats: &ScanStats,
) -> Option<Vec<Finding>> {
    match scanner.scan_guarded(shown, data) {
        Ok(out) => {
            stats
                .findings
                .fetch_add(out.findings.len() as u64, Ordering::Relaxed);
            stats
                .suppressed
                .fetch_add(out.suppressed, Ordering::Relaxed);
            Some(out.findings)
        }
        Err(_) => {
            stats.skip(Skipped::Failed(shown.to_string()));
            None
        }
    }
}

/// How much of stdin is read at a time.
pub const STDIN_CHUNK: usize = 4 << 20;
/// How much of each chunk is carried into the next window, so a secret (or a private key
/// block) that straddles a chunk boundary is still seen whole.
pub const STDIN_OVERLAP: usize = 256 << 10;

/// Scan standard input as one file named `-`, streamed in bounded memory: all of it is
/// scanned, however long (`--max-file-size` does not apply to a stream).
pub fn scan_stdin(
    scanner: &Scanner,
    _opts: &ScanOptions,
    stats: &ScanStats,
) -> Result<Vec<Finding>, ScanError> {
    scan_stream(
        scanner,
        "-",
        std::io::stdin().lock(),
        (STDIN_CHUNK, STDIN_OVERLAP),
        stats,
    )
}

/// Scan a stream in windows of `chunk` new bytes plus the last `overlap` bytes of the
/// previous window (cut at a line start). A window reports only the findings that start
/// before its carried tail; the next window, which holds that tail, reports the rest, so
/// nothing is reported twice and a match shorter than `overlap` is never cut.
pub fn scan_stream(
    scanner: &Scanner,
    name: &str,
    mut input: impl Read,
    (chunk, overlap): (usize, usize),
    stats: &ScanStats,
) -> Result<Vec<Finding>, ScanError> {
    let mut buf: Vec<u8> = Vec::with_capacity(chunk + overlap);
    let (mut base, mut base_line) = (0usize, 0usize);
    let mut found = Vec::new();
    let mut first = true;
    loop {
        let carried = buf.len();
        let eof = fill(&mut input, &mut buf, carried + chunk).map_err(ScanError::Stdin)?;
        stats
            .bytes
            .fetch_add((buf.len() - carried) as u64, Ordering::Relaxed);
        if first {
            first = false;
            if is_binary(&buf) {
                stats.skip(Skipped::Binary(name.to_string()));
                // Drain it so a writer is not killed by SIGPIPE, but scan nothing.
                let _ = std::io::copy(&mut input, &mut std::io::sink());
                return Ok(Vec::new());
            }
            stats.files.fetch_add(1, Ordering::Relaxed);
        }
        let cut = if eof {
            buf.len()
        } else {
            // Cut at a line start when one is near, so columns stay right; never carry
            // more than twice `overlap` (one huge line must not grow the buffer).
            let at = buf.len().saturating_sub(overlap);
            let lo = at.saturating_sub(overlap);
            memchr::memrchr(b'\n', &buf[lo..at]).map_or(at, |p| lo + p + 1)
        };
        let Some(findings) = scan_counted(scanner, name, &buf, stats) else {
            let _ = std::io::copy(&mut input, &mut std::io::sink());
            return Ok(found);
        };
        for mut f in findings {
            if f.location.start >= cut {
                // In the carried tail: the next window reports it.
                stats.findings.fetch_sub(1, Ordering::Relaxed);
                continue;
            }
            f.location.start += base;
            f.location.end += base;
            f.location.line += base_line;
            found.push(f);
        }
        if eof {
            return Ok(found);
        }
        base += cut;
        base_line += memchr::memchr_iter(b'\n', &buf[..cut]).count();
        buf.drain(..cut);
    }
}

/// Read into `buf` until it holds `want` bytes or the input ends; true at end of input.
fn fill(input: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
    while buf.len() < want {
        let n = input
            .by_ref()
            .take((want - buf.len()) as u64)
            .read_to_end(buf)?;
        if n == 0 {
            return Ok(true);
        }
    }
    Ok(false)
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

    /// A secret placed at every offset around a chunk boundary is found exactly once,
    /// at its true line and byte offset.
    #[test]
    fn item_10_streamed_windows_find_secrets_across_boundaries() {
        let scanner = Scanner::new(crate::RuleSet::builtin().unwrap());
        let secret = "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"; // keyward:allow
        for pad in 0..120 {
            let mut text = String::new();
            for i in 0..pad {
                text.push_str(if i % 7 == 0 { "\n" } else { "x" });
            }
            let start = text.len() + 6;
            text.push_str("token ");
            text.push_str(secret);
            text.push_str("\nmore text here\n");
            let line = text[..start].matches('\n').count() + 1;
            let stats = ScanStats::default();
            let found = scan_stream(&scanner, "-", text.as_bytes(), (64, 48), &stats).unwrap();
            let gh: Vec<_> = found
                .iter()
                .filter(|f| f.rule_id.starts_with("github"))
                .collect();
            assert_eq!(gh.len(), 1, "pad {pad}: {found:?}");
            assert_eq!(gh[0].location.start, start, "pad {pad}");
            assert_eq!(gh[0].location.line, line, "pad {pad}");
            assert_eq!(stats.bytes.load(Ordering::Relaxed), text.len() as u64);
        }
    }
}
