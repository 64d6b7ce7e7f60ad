//! Post-processing over the complete findings list of one scan (files, stdin or git):
//! the JWT exposure check ([`jwt`]), `[[allow]]` entries ([`allow`]) and baselines
//! ([`baseline`]). Each step only reads or drops findings; none prints a secret.

pub mod allow;
pub mod baseline;
pub mod date;
pub mod jwt;

pub use allow::{apply_allowlist, AllowOutcome};
pub use baseline::{Baseline, BaselineEntry, BaselineOutcome};
pub use jwt::check_jwts;
