//! Value inspection: placeholders, strength estimates, Stripe modes, database URLs.

use base64::Engine as _;

/// Is the value a placeholder (`changeme`, `<your-key>`, `TODO`, `xxxx`, …)?
pub fn is_placeholder(value: &str) -> bool {
    keyward_scan::filter::is_placeholder(value.as_bytes())
}

/// Is the value a reference to another variable or an external store (`${OTHER}`)?
pub fn is_reference(value: &str) -> bool {
    keyward_scan::filter::is_reference(value.as_bytes())
}

/// Shannon entropy in bits per character.
pub fn shannon(value: &str) -> f64 {
    keyward_scan::entropy::shannon(value.as_bytes())
}

/// Strength of a password-like value in bits: length × log2 of the size of the character
/// classes it uses (lower, upper, digits, other printable ASCII, anything else).
pub fn charset_bits(value: &str) -> f64 {
    let (mut lower, mut upper, mut digit, mut symbol, mut other) =
        (false, false, false, false, false);
    for c in value.chars() {
        match c {
            'a'..='z' => lower = true,
            'A'..='Z' => upper = true,
            '0'..='9' => digit = true,
            c if c.is_ascii_graphic() || c == ' ' => symbol = true,
            _ => other = true,
        }
    }
    let size = [
        (lower, 26),
        (upper, 26),
        (digit, 10),
        (symbol, 33),
        (other, 100),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, n)| n)
    .sum::<u32>();
    if size == 0 {
        return 0.0;
    }
    value.chars().count() as f64 * f64::from(size).log2()
}

/// Key size in bits of a JWT/HMAC secret: hex and base64 values count their decoded
/// bytes, never more than the value's character-set estimate; other text counts by
/// [`charset_bits`].
pub fn key_bits(value: &str) -> f64 {
    let estimate = charset_bits(value);
    let v = value.trim_end_matches('=');
    if v.len() >= 16 && v.len() & 1 == 0 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return (v.len() as f64 * 4.0).min(estimate);
    }
    let engines = [
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    if v.len() >= 16 {
        for engine in engines {
            if let Ok(bytes) = engine.decode(v) {
                return (bytes.len() as f64 * 8.0).min(estimate);
            }
        }
    }
    estimate
}

/// A Stripe key's mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StripeKey {
    /// `sk_test_`, `rk_test_` (secret) or `pk_test_` (publishable).
    Test {
        /// A secret or restricted key.
        secret: bool,
    },
    /// `sk_live_`, `rk_live_` or `pk_live_`.
    Live {
        /// A secret or restricted key.
        secret: bool,
    },
}

impl StripeKey {
    /// Recognise a Stripe API key by its prefix.
    pub fn of(value: &str) -> Option<StripeKey> {
        let (kind, rest) = value.split_once('_')?;
        let secret = match kind {
            "sk" | "rk" => true,
            "pk" => false,
            _ => return None,
        };
        if rest.starts_with("live_") {
            Some(StripeKey::Live { secret })
        } else if rest.starts_with("test_") {
            Some(StripeKey::Test { secret })
        } else {
            None
        }
    }

    /// `live` or `test`.
    pub fn mode(self) -> &'static str {
        match self {
            StripeKey::Live { .. } => "live",
            StripeKey::Test { .. } => "test",
        }
    }

    /// A secret (or restricted) key rather than a publishable one.
    pub fn is_secret(self) -> bool {
        match self {
            StripeKey::Live { secret } | StripeKey::Test { secret } => secret,
        }
    }
}

/// The parts of a connection URL the checks need.
#[derive(Debug, PartialEq, Eq)]
pub struct UrlParts<'a> {
    /// Lower-cased scheme.
    pub scheme: String,
    /// The password in the authority, if any.
    pub password: Option<&'a str>,
    /// The `sslmode` query parameter, if any.
    pub sslmode: Option<&'a str>,
}

/// Split `scheme://user:pass@host/db?sslmode=…`; `None` when there is no `://`.
pub fn url_parts(url: &str) -> Option<UrlParts<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let password = authority
        .rsplit_once('@')
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map(|(_, p)| p);
    let query = rest[authority_end..]
        .split_once('?')
        .map(|(_, q)| q.split('#').next().unwrap_or(""))
        .unwrap_or("");
    let sslmode = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case("sslmode"))
        .map(|(_, v)| v);
    Some(UrlParts {
        scheme: scheme.to_ascii_lowercase(),
        password,
        sslmode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_bits() {
        // openssl rand -base64 32
        assert!(key_bits("q3Zk2m9Yp0JbVh1xQe7Lr4Tn6Wc8Ua5Sd2Fg0Hj3Kl8=") >= 256.0);
        // openssl rand -hex 32
        let hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert!(key_bits(hex) >= 256.0);
        assert!(key_bits(&hex[..32]) < 256.0);
        assert!(key_bits("my-jwt-secret-for-dev") < 256.0);
        assert!(key_bits("thisisaverylongjwtsecretthatisnotrandom1234") < 256.0);
    }

    #[test]
    fn stripe_modes() {
        assert_eq!(
            StripeKey::of("sk_live_abc"),
            Some(StripeKey::Live { secret: true })
        );
        assert_eq!(
            StripeKey::of("pk_test_abc"),
            Some(StripeKey::Test { secret: false })
        );
        assert_eq!(StripeKey::of("whsec_abc"), None);
    }

    #[test]
    fn urls() {
        let u = url_parts("postgresql://app:pw@db:5432/app?sslmode=require").unwrap();
        assert_eq!(u.scheme, "postgresql");
        assert_eq!(u.password, Some("pw"));
        assert_eq!(u.sslmode, Some("require"));
        let u = url_parts("postgres://db/app").unwrap();
        assert_eq!((u.password, u.sslmode), (None, None));
        assert!(url_parts("not a url").is_none());
    }
}
