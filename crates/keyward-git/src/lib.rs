//! keyward-git: git sources for the scanner, read with `gix` (pure Rust, no network).
//!
//! * [`scan_history`] scans every unique blob reachable from the selected commits
//!   ([`Selection`]: all references, `--since`, `--range`) exactly once, decoding each pack
//!   whole in delta-tree order on several threads ([`BlobReader`]), and labels each finding
//!   with the commit that introduced the blob.
//! * [`scan_staged`] scans what the next commit will contain: index entries whose blob
//!   differs from `HEAD`, found without reading unchanged directories.
//! * [`hooks_dir`] locates the repository's hooks directory.
//!
//! This is a crate of its own so that `gix` stays out of the detection engine.

mod commits;
mod error;
mod history;
mod pack;
mod read;
mod repo;
mod staged;
mod trees;

pub use commits::Selection;
pub use error::GitError;
pub use history::{scan_history, BlobReader, HistoryOptions, HistoryScan};
pub use repo::{hooks_dir, is_shallow, open};
pub use staged::{scan_staged, staged_changes, StagedChange};
