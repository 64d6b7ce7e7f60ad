//! [`TokenHasher`]: tokens are stored only as HMAC-SHA256 under a server key.

use crate::backend::TokenHash;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Why a token-hash key was refused. Never quotes the key.
#[derive(Debug, thiserror::Error)]
pub enum HasherError {
    /// Not base64 of 32 bytes.
    #[error("the token-hash key must be base64 of 32 bytes")]
    BadKey,
    /// The key file could not be read.
    #[error("cannot read the token-hash key file {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Computes token hashes. Tokens carry 256 random bits, so one keyed hash is enough (no slow
/// password hash: it would only make every request a CPU lever for attackers). The key keeps
/// a stolen table useless for offline checks of leaked-looking strings.
pub struct TokenHasher {
    key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for TokenHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHasher([REDACTED])")
    }
}

impl TokenHasher {
    /// From base64 of 32 bytes (`KEYWARD_TOKEN_HASH_KEY`).
    pub fn from_base64(text: &str) -> Result<TokenHasher, HasherError> {
        let bytes = Zeroizing::new(
            STANDARD
                .decode(text.trim())
                .map_err(|_| HasherError::BadKey)?,
        );
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| HasherError::BadKey)?;
        Ok(TokenHasher {
            key: Zeroizing::new(key),
        })
    }

    /// From a file holding base64 of 32 bytes.
    pub fn from_file(path: &std::path::Path) -> Result<TokenHasher, HasherError> {
        let text =
            Zeroizing::new(
                std::fs::read_to_string(path).map_err(|source| HasherError::Io {
                    path: path.to_path_buf(),
                    source,
                })?,
            );
        Self::from_base64(&text)
    }

    /// A random key (dev mode and tests: tokens die with the process).
    pub fn random() -> TokenHasher {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(&mut key[..]).expect("the OS random generator failed");
        TokenHasher { key }
    }

    /// The keyed hash of `token`.
    pub fn hash(&self, token: &str) -> TokenHash {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key[..]).expect("any key length");
        mac.update(token.as_bytes());
        TokenHash(mac.finalize().into_bytes().into())
    }

    /// Constant-time equality of two hashes.
    pub fn same(a: &TokenHash, b: &TokenHash) -> bool {
        a.0.ct_eq(&b.0).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_the_key_and_the_token() {
        let k = TokenHasher::from_base64(&STANDARD.encode([7u8; 32])).unwrap();
        let other = TokenHasher::from_base64(&STANDARD.encode([8u8; 32])).unwrap();
        assert_eq!(k.hash("a"), k.hash("a"));
        assert_ne!(k.hash("a"), k.hash("b"));
        assert_ne!(k.hash("a"), other.hash("a"));
        assert!(TokenHasher::same(&k.hash("a"), &k.hash("a")));
        assert!(!TokenHasher::same(&k.hash("a"), &k.hash("b")));
    }

    #[test]
    fn bad_keys_are_refused_without_echo() {
        let err = TokenHasher::from_base64("c2hvcnQ=")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "the token-hash key must be base64 of 32 bytes");
        assert!(format!("{:?}", TokenHasher::random()).contains("REDACTED"));
    }
}
