//! [`Fingerprint`]: a stable, keyed, one-way identifier of (rule, secret).

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;

/// The fixed HMAC key. Fingerprints must be equal on every machine and every run so
/// baselines and incidents can refer to them; the key only separates keyward's
/// fingerprints from plain SHA-256 digests of secrets found elsewhere.
const FINGERPRINT_KEY: &[u8] = b"keyward fingerprint v1";

/// `kw1:` followed by 32 hex digits (128 bits of HMAC-SHA256 over rule id and secret).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// Fingerprint of `secret` as found by `rule_id`.
    pub fn of(rule_id: &str, secret: &[u8]) -> Self {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(FINGERPRINT_KEY).expect("HMAC accepts any key length");
        mac.update(rule_id.as_bytes());
        mac.update(&[0]);
        mac.update(secret);
        let digest = mac.finalize().into_bytes();
        Fingerprint(format!("kw1:{}", hex::encode(&digest[..16])))
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

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_keyed_by_rule() {
        let a = Fingerprint::of("stripe-live-secret-key", b"sk_live_abc");
        assert_eq!(a, Fingerprint::of("stripe-live-secret-key", b"sk_live_abc"));
        assert_ne!(a, Fingerprint::of("generic-secret", b"sk_live_abc"));
        assert_ne!(a, Fingerprint::of("stripe-live-secret-key", b"sk_live_abd"));
        assert!(a.as_str().starts_with("kw1:"));
        assert_eq!(a.as_str().len(), 4 + 32);
        assert!(!a.as_str().contains("sk_live"));
    }

    #[test]
    fn known_vector_is_pinned() {
        // Changing the scheme breaks every baseline; this pins it.
        let fp = Fingerprint::of("r", b"s");
        assert_eq!(fp.as_str().len(), 36);
        assert_eq!(fp, Fingerprint::of("r", b"s"));
        // HMAC-SHA256("keyward fingerprint v1", "r\0s"), first 128 bits, computed independently.
        assert_eq!(fp.as_str(), "kw1:45d0790ba2f843a4f9c86ac4a432db6c");
    }
}
