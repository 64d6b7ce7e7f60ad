//! keyward-deps: which pinned dependencies have known advisories, how bad they are and
//! which version fixes them — offline.
//!
//! * [`lockfile`]: readers for npm, yarn, pnpm, bun, pip requirements, poetry, Pipfile,
//!   uv, pdm, pylock and Cargo lockfiles, each package with the line that declares it;
//!   [`walk`] finds them in a tree the way `keyward scan` walks it.
//! * [`version`]: each ecosystem's version order (SemVer-like, PEP 440).
//! * [`osv`] and [`db`]: the OSV schema, the database directory in osv.dev's layout, its
//!   compact index and `db update`.
//! * [`matcher`]: per package, the advisories, the highest severity and the fix.

pub mod affected;
pub mod db;
pub mod error;
pub mod ignore;
pub mod lockfile;
pub mod matcher;
pub mod osv;
pub mod package;
pub mod run;
pub mod version;
pub mod walk;

pub use db::Database;
pub use error::DepsError;
pub use lockfile::LockfileKind;
pub use matcher::{audit, AdvisoryKind, AdvisoryMatch, Audit, VulnerablePackage};
pub use package::{Ecosystem, Package};
