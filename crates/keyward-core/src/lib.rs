//! keyward-core: the vocabulary every keyward crate shares.
//!
//! A [`Finding`] is what every detector (scanner, environment checks, dependency checks)
//! produces; a [`Severity`] orders them; a [`Fingerprint`] identifies a leaked secret
//! across runs and machines without revealing it; [`redact`] turns a secret into the only
//! form keyward prints by default. The [`policy`] module models `keyward.toml`.

pub mod escape;
pub mod finding;
pub mod fingerprint;
pub mod policy;
pub mod redact;
pub mod secret;
pub mod token;

pub use finding::{Confidence, Context, Finding, GitOrigin, Location, Severity};
pub use fingerprint::Fingerprint;
pub use redact::redact;
pub use secret::SecretBytes;
