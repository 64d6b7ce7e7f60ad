//! keyward-scan: the detection engine.
//!
//! Rules are data ([`rules`]): each has keywords, a regex with one capture for the secret,
//! an optional entropy floor and an optional structural validator. The [`Scanner`] finds the
//! lines holding any rule keyword with one Aho-Corasick pass over each input; full regexes
//! and validators run only in the small windows around the keywords on those lines. [`filter`] rejects references,
//! placeholders, hashes and other look-alikes. [`source`] walks directories in parallel
//! honouring `.gitignore`/`.keywardignore` and reads stdin.

pub mod context;
pub mod engine;
pub mod entropy;
pub mod error;
pub mod filter;
pub mod post;
pub mod rules;
pub mod shape;
pub mod source;
pub mod syntax;
pub mod validate;

pub use engine::{ScanOutput, ScanPanicked, Scanner};
pub use error::ScanError;
pub use rules::{Rule, RuleSet};
pub use source::{ScanOptions, ScanStats, Skipped};
