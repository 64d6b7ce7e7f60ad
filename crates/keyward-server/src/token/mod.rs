//! API tokens: generation ([`generate`]), keyed hashing ([`TokenHasher`]) and the
//! lifecycle rules ([`Tokens`]: create, authenticate, renew, revoke, expiry warnings).

mod hash;
mod service;

pub use hash::{HasherError, TokenHasher};
pub use service::{AuthFailure, NewToken, TokenLimits, Tokens};

use keyward_core::token::{token_from_random, TOKEN_RANDOM_LEN};
use zeroize::Zeroizing;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` random base62 characters from the OS generator (rejection sampling: no modulo bias).
pub fn random_base62(n: usize) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(n));
    let mut buf = Zeroizing::new([0u8; 64]);
    while out.len() < n {
        getrandom::getrandom(&mut buf[..]).expect("the OS random generator failed");
        for &b in buf.iter() {
            // 248 = 4 × 62: bytes above it would favour the first characters.
            if b < 248 && out.len() < n {
                out.push(BASE62[(b % 62) as usize] as char);
            }
        }
    }
    out
}

/// A new token: `kwt_` + 43 random base62 characters (256 bits) + checksum.
pub fn generate() -> Zeroizing<String> {
    Zeroizing::new(token_from_random(&random_base62(TOKEN_RANDOM_LEN)))
}

/// A new accessor: `kwa_` + 24 random base62 characters. Not a secret.
pub fn accessor() -> String {
    format!("kwa_{}", random_base62(24).as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::token::{token_checksum_ok, TOKEN_LEN};

    #[test]
    fn generated_tokens_carry_a_valid_checksum_and_differ() {
        let a = generate();
        let b = generate();
        assert_eq!(a.len(), TOKEN_LEN);
        assert!(token_checksum_ok(a.as_bytes()));
        assert_ne!(*a, *b);
        assert!(accessor().starts_with("kwa_"));
    }

    #[test]
    fn base62_output_is_roughly_uniform() {
        let s = random_base62(62 * 400);
        let mut counts = [0u32; 62];
        for b in s.bytes() {
            counts[BASE62.iter().position(|&c| c == b).unwrap()] += 1;
        }
        // Expected 400 each; a biased generator (b % 62 over 0..=255) would give the first
        // 8 characters ~25% more.
        assert!(
            counts.iter().all(|&c| (300..=500).contains(&c)),
            "{counts:?}"
        );
    }
}
