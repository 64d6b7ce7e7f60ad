//! Fresh secret values from the operating system's CSPRNG, in the form each kind needs.

mod fill;

pub use fill::{fill, FillReport, TODO_MARKER};

use crate::Error;
use base64::Engine as _;
use keyward_core::policy::{Generator, Kind};
use keyward_core::SecretBytes;
use zeroize::Zeroizing;

/// The URL-safe alphabet (64 symbols, so every byte maps without bias).
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// Access-key alphabet.
const UPPER_ALNUM: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A fresh value for `kind`, or `None` when keyward cannot make one (Stripe keys are issued
/// by Stripe; URLs, user names and plain values are not random). Values are ASCII.
///
/// * `jwt-secret`: 32 random bytes, standard base64 (like `openssl rand -base64 32`);
/// * passwords and generic secrets: 32–43 characters of `A-Za-z0-9-_`;
/// * `minio-access-key`: 20 characters of `A-Z0-9`.
///
/// # Panics
/// When the operating system's random number generator fails, which on supported
/// platforms does not happen once it is seeded; use [`try_generate`] to handle it.
pub fn generate(kind: Kind) -> Option<SecretBytes> {
    try_generate(kind).expect("the OS random number generator failed")
}

/// Like [`generate`], reporting a failing random number generator as an error.
pub fn try_generate(kind: Kind) -> Result<Option<SecretBytes>, Error> {
    match kind.defaults().generator {
        Some(g) => with(g).map(Some),
        None => Ok(None),
    }
}

/// A value from an explicit generator.
pub fn with(generator: Generator) -> Result<SecretBytes, Error> {
    match generator {
        Generator::Base64 { bytes } => {
            let raw = random_bytes(bytes)?;
            let text = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&*raw));
            Ok(SecretBytes::new(text.as_bytes()))
        }
        Generator::UrlSafe { len } => from_alphabet(URL_SAFE, len),
        Generator::UpperAlnum { len } => from_alphabet(UPPER_ALNUM, len),
    }
}

fn random_bytes(n: usize) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut buf = Zeroizing::new(vec![0u8; n]);
    getrandom::getrandom(&mut buf).map_err(|e| Error::Random(e.to_string()))?;
    Ok(buf)
}

/// `len` symbols drawn uniformly from `alphabet` (rejection sampling, no modulo bias).
fn from_alphabet(alphabet: &[u8], len: usize) -> Result<SecretBytes, Error> {
    let n = alphabet.len();
    let limit = 256 - 256 % n;
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    while out.len() < len {
        for &b in random_bytes(len * 2)?.iter() {
            if (b as usize) < limit && out.len() < len {
                out.push(alphabet[b as usize % n]);
            }
        }
    }
    Ok(SecretBytes::new(out.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_secret_is_32_bytes_base64() {
        let v = generate(Kind::JwtSecret).unwrap();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(v.expose())
            .unwrap();
        assert_eq!(raw.len(), 32);
    }

    #[test]
    fn passwords_are_long_url_safe_and_fresh() {
        let a = generate(Kind::PostgresPassword).unwrap();
        let b = generate(Kind::PostgresPassword).unwrap();
        assert!(a.len() >= 32);
        assert_ne!(a, b);
        assert!(a.expose().iter().all(|c| URL_SAFE.contains(c)));
    }

    #[test]
    fn access_keys_are_upper_alnum() {
        let v = generate(Kind::MinioAccessKey).unwrap();
        assert_eq!(v.len(), 20);
        assert!(v.expose().iter().all(|c| UPPER_ALNUM.contains(c)));
    }

    #[test]
    fn stripe_and_plain_cannot_be_generated() {
        for k in [
            Kind::StripeSecretKey,
            Kind::StripePublishableKey,
            Kind::StripeWebhookSecret,
            Kind::DatabaseUrl,
            Kind::Username,
            Kind::Plain,
        ] {
            assert!(generate(k).is_none(), "{k}");
        }
    }

    #[test]
    fn every_secret_generator_meets_its_own_minimum() {
        for k in Kind::ALL {
            if let Some(v) = generate(k) {
                assert!(v.len() >= k.defaults().min_length, "{k}");
            }
        }
    }
}
