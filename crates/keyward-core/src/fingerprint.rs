//! [`Fingerprint`]: a stable identifier of a finding that lets no one test a guess of the
//! secret (scheme v2, `docs/fingerprints.md`).
//!
//! * `kw2k:` — HMAC-SHA256 under a secret per-repository or per-organisation key
//!   (`KEYWARD_FINGERPRINT_KEY`, from the environment, never argv) over the rule and the
//!   value. Equal for the same secret anywhere; useless for guessing without the key.
//! * `kw2l:` — without a key: a digest of the rule, the path and the line around the value
//!   with the value cut out. Nothing in it depends on the value, so nothing can be guessed.
//! * `kw2f:` is not used: findings about facts (an infra object, a variable name) hash
//!   their non-secret subject with [`Fingerprint::of_fact`] (the `kw1:` form, unchanged).
//!
//! `kw1:` fingerprints of values (a public HMAC over the value) are never produced any
//! more; [`Fingerprint::legacy_v1`] computes one in memory so a `kw1:` baseline or allow
//! entry still matches (see `keyward baseline --migrate`).

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;
use std::sync::OnceLock;

/// The public HMAC key of scheme v1 (values) and of fact fingerprints.
const V1_KEY: &[u8] = b"keyward fingerprint v1";
/// The public HMAC key of location fingerprints (`kw2l:`).
const V2_LOCATION_KEY: &[u8] = b"keyward fingerprint v2 location";
/// The environment variable holding the secret fingerprint key.
pub const KEY_VAR: &str = "KEYWARD_FINGERPRINT_KEY";

/// A fingerprint: `kw2k:`, `kw2l:` or (facts, legacy) `kw1:` followed by 32 hex digits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

/// The secret fingerprint key from `KEYWARD_FINGERPRINT_KEY`, read once.
fn secret_key() -> Option<&'static [u8]> {
    static KEY: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    KEY.get_or_init(|| {
        std::env::var(KEY_VAR)
            .ok()
            .map(|k| k.trim().as_bytes().to_vec())
            .filter(|k| !k.is_empty())
    })
    .as_deref()
}

fn mac(key: &[u8], parts: &[&[u8]]) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            m.update(&[0]);
        }
        m.update(p);
    }
    hex::encode(&m.finalize().into_bytes()[..16])
}

impl Fingerprint {
    /// Whether a secret fingerprint key is configured (`kw2k:` fingerprints).
    pub fn keyed() -> bool {
        secret_key().is_some()
    }

    /// The fingerprint of `secret` found by `rule_id` at `place`, a value-free description
    /// of where it is (path and the line with the value cut out, or path and variable
    /// name): `kw2k:` over the value when a key is configured, else `kw2l:` over `place`.
    pub fn of_secret(rule_id: &str, secret: &[u8], place: &str) -> Self {
        match secret_key() {
            Some(key) => Self::keyed_with(key, rule_id, secret),
            None => Fingerprint(format!(
                "kw2l:{}",
                mac(V2_LOCATION_KEY, &[rule_id.as_bytes(), place.as_bytes()])
            )),
        }
    }

    /// `kw2k:` under an explicit key (tests and [`Fingerprint::matches_value`]).
    pub fn keyed_with(key: &[u8], rule_id: &str, secret: &[u8]) -> Self {
        Fingerprint(format!(
            "kw2k:{}",
            mac(key, &[b"kw2", rule_id.as_bytes(), secret])
        ))
    }

    /// The fingerprint of a finding about a fact that is not secret (an object, a file, a
    /// variable name): a public HMAC over `subject`.
    pub fn of_fact(rule_id: &str, subject: &[u8]) -> Self {
        Fingerprint(format!(
            "kw1:{}",
            mac(V1_KEY, &[rule_id.as_bytes(), subject])
        ))
    }

    /// The `kw1:` fingerprint a value had under scheme v1, for matching old baselines and
    /// allow entries in memory. Never printed or written.
    pub fn legacy_v1(rule_id: &str, secret: &[u8]) -> Self {
        Self::of_fact(rule_id, secret)
    }

    /// A fingerprint for a finding re-labelled under `rule_id` (e.g. a scanner finding
    /// reported as "a real secret in an example file"), derived from its fingerprint
    /// `base`, so it reveals no more than `base` does. Keeps the scheme prefix.
    pub fn derived(rule_id: &str, base: &Fingerprint) -> Self {
        let prefix = base.0.split(':').next().unwrap_or("kw2l");
        Fingerprint(format!(
            "{prefix}:{}",
            mac(
                V2_LOCATION_KEY,
                &[b"derived", rule_id.as_bytes(), base.0.as_bytes()]
            )
        ))
    }

    /// Whether this fingerprint is that of `secret` under `rule_id`: `Some` for `kw1:`
    /// and (with the key) `kw2k:`, `None` when it cannot be told (`kw2l:`, no key).
    pub fn matches_value(&self, rule_id: &str, secret: &[u8]) -> Option<bool> {
        if self.0.starts_with("kw1:") {
            return Some(*self == Self::legacy_v1(rule_id, secret));
        }
        if self.0.starts_with("kw2k:") {
            return secret_key().map(|k| *self == Self::keyed_with(k, rule_id, secret));
        }
        None
    }

    /// Wrap a fingerprint read from a file (baseline, allowlist).
    pub fn from_string(s: impl Into<String>) -> Self {
        Fingerprint(s.into())
    }

    /// The textual form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The value-free place of a match: `path`, then the line holding `data[start..end)` with
/// that span cut out and runs of whitespace collapsed (so re-indenting keeps it).
pub fn place(path: &str, data: &[u8], start: usize, end: usize) -> String {
    let ls = data[..start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let le = data[end..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(data.len(), |p| end + p);
    // Bound the context on minified lines.
    let before = &data[ls.max(start.saturating_sub(256))..start];
    let after = &data[end..le.min(end + 256)];
    let mut out = String::from(path);
    out.push('\0');
    for part in [before, b"\0".as_slice(), after] {
        let text = String::from_utf8_lossy(part);
        out.push_str(&text.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    out
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_9_a_published_fingerprint_does_not_confirm_a_guess() {
        // Without a key: the fingerprint of `hunter2` depends on where it is, not on it.
        let p = place("app.py", b"password = 'hunter2'\n", 12, 19);
        let a = Fingerprint::of_secret("generic-password", b"hunter2", &p);
        let b = Fingerprint::of_secret("generic-password", b"letmein", &p);
        if !Fingerprint::keyed() {
            assert!(a.as_str().starts_with("kw2l:"));
            assert_eq!(a, b, "a guess cannot be told from the truth");
        }
        // With a key: differs per value, but only the key holder can compute it.
        let k1 = Fingerprint::keyed_with(b"org key", "generic-password", b"hunter2");
        assert!(k1.as_str().starts_with("kw2k:"));
        assert_ne!(
            k1,
            Fingerprint::keyed_with(b"other", "generic-password", b"hunter2")
        );
        assert_ne!(k1, Fingerprint::legacy_v1("generic-password", b"hunter2"));
        assert_eq!(k1.as_str().len(), 5 + 32);
    }

    #[test]
    fn place_ignores_the_value_and_indentation() {
        let a = place("f", b"  key = 'abc'\n", 9, 12);
        let b = place("f", b"key   =   'xyz'  \n", 11, 14);
        assert_eq!(a, b);
        assert_ne!(a, place("g", b"  key = 'abc'\n", 9, 12));
        assert!(!a.contains("abc"));
    }

    #[test]
    fn legacy_vector_is_pinned() {
        // HMAC-SHA256("keyward fingerprint v1", "r\0s"), first 128 bits: old baselines
        // match through this.
        let fp = Fingerprint::legacy_v1("r", b"s");
        assert_eq!(fp.as_str(), "kw1:45d0790ba2f843a4f9c86ac4a432db6c");
        assert_eq!(fp.matches_value("r", b"s"), Some(true));
        assert_eq!(fp.matches_value("r", b"t"), Some(false));
        assert_eq!(
            Fingerprint::from_string("kw2l:00").matches_value("r", b"s"),
            None
        );
    }

    #[test]
    fn derived_keeps_the_scheme() {
        let base = Fingerprint::from_string("kw2k:0123");
        let d = Fingerprint::derived("example-real-secret", &base);
        assert!(d.as_str().starts_with("kw2k:"));
        assert_ne!(d, Fingerprint::derived("other", &base));
    }
}
