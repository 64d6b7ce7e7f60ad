//! keyward-env: everything about environment variables.
//!
//! * [`dotenv`]: parse and write dotenv files (comments and order kept, shell-safe quoting).
//! * [`generate`]: fresh values per [`Kind`](keyward_core::policy::Kind) from the OS CSPRNG.
//! * [`check`]: the `keyward env check` rules, producing findings.
//! * [`init`]: the text of a new, commented `keyward.toml`.
//! * [`fs`]: read dotenv files and write secret files (mode 0600, no silent overwrite).

pub mod check;
pub mod dotenv;
pub mod error;
pub mod fs;
pub mod generate;
pub mod init;

pub use error::Error;
