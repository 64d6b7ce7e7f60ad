//! keyward API tokens: `kwt_` + 43 random base62 characters (256 bits) + a 6-character
//! base62 CRC32 of the random part, the scheme GitHub uses for its tokens. The prefix and
//! checksum let secret scanners (keyward's own `keyward-token` rule) report a leaked token as
//! verified without asking the server; they add nothing to an attacker's odds of guessing one.

/// Every keyward API token starts with this.
pub const TOKEN_PREFIX: &str = "kwt_";
/// Random base62 characters after the prefix: 43 × log2(62) ≈ 256.03 bits.
pub const TOKEN_RANDOM_LEN: usize = 43;
/// Base62 CRC32 of the random part.
pub const TOKEN_CHECK_LEN: usize = 6;
/// Total length of a token.
pub const TOKEN_LEN: usize = TOKEN_PREFIX.len() + TOKEN_RANDOM_LEN + TOKEN_CHECK_LEN;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Base62 of `n`, left-padded with `0` to `width`.
pub fn base62(mut n: u32, width: usize) -> String {
    let mut out = Vec::with_capacity(width);
    while n > 0 {
        out.push(BASE62[(n % 62) as usize]);
        n /= 62;
    }
    out.resize(out.len().max(width), b'0');
    out.reverse();
    String::from_utf8(out).expect("base62 is ASCII")
}

/// The checksum characters for a token's random part.
pub fn token_checksum(random: &[u8]) -> String {
    base62(crc32fast::hash(random), TOKEN_CHECK_LEN)
}

/// A token built from `random` (which must be `TOKEN_RANDOM_LEN` base62 characters).
pub fn token_from_random(random: &str) -> String {
    format!(
        "{TOKEN_PREFIX}{random}{}",
        token_checksum(random.as_bytes())
    )
}

/// True when `token` has keyward's shape and its checksum holds.
pub fn token_checksum_ok(token: &[u8]) -> bool {
    let Some(body) = token.strip_prefix(TOKEN_PREFIX.as_bytes()) else {
        return false;
    };
    if body.len() != TOKEN_RANDOM_LEN + TOKEN_CHECK_LEN
        || !body.iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    let (random, check) = body.split_at(TOKEN_RANDOM_LEN);
    token_checksum(random).as_bytes() == check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_accepts_built_tokens_and_rejects_edits() {
        let t = token_from_random("Zx8Lq2Vm7Kp3Wr9Tn4BdQh5Jc6Fg1Ys0Ue2Ia3Ob4Pc");
        assert_eq!(t.len(), TOKEN_LEN);
        assert!(token_checksum_ok(t.as_bytes()), "{t}");
        let mut bad = t.clone().into_bytes();
        bad[9] = if bad[9] == b'a' { b'b' } else { b'a' };
        assert!(!token_checksum_ok(&bad));
        assert!(!token_checksum_ok(&t.as_bytes()[..TOKEN_LEN - 1]));
        assert!(!token_checksum_ok(t.replace("kwt_", "kwx_").as_bytes()));
    }

    #[test]
    fn base62_pads_to_width() {
        assert_eq!(base62(0, 6), "000000");
        assert_eq!(base62(61, 2), "0z");
        assert_eq!(base62(u32::MAX, 6), "4gfFC3");
    }
}
