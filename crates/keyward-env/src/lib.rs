//! keyward-env: everything about environment variables.
//!
//! * [`dotenv`]: parse and write dotenv files (comments and order kept, shell-safe quoting).
//! * [`generate`]: fresh values per [`Kind`](keyward_core::policy::Kind) from the OS CSPRNG.
//! * [`fs`]: read dotenv files and write secret files (mode 0600, no silent overwrite).

pub mod dotenv;
pub mod error;
pub mod fs;
pub mod generate;

pub use error::Error;
