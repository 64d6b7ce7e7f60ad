//! [`SecretBytes`]: a byte string that zeroizes on drop and never prints itself.

use std::fmt;
use zeroize::Zeroizing;

/// Secret material kept in memory only. `Debug` and `Display` print `[REDACTED]`;
/// there is deliberately no `Serialize` implementation.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Wrap bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        SecretBytes(Zeroizing::new(bytes.into()))
    }

    /// The raw bytes. Callers must not log or print them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Lossy UTF-8 text of the secret. Callers must not log or print it.
    pub fn to_lossy(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBytes([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = SecretBytes::new(b"hunter2-super-secret".to_vec());
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("REDACTED"));
    }
}
