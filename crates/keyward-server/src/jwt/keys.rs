//! Verification keys of the JWT auth method: PEM files, a JWKS file, and a JWKS URL fetched
//! and cached (refetched when a token names a key id it does not know, at most every 30 s).

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::DecodingKey;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Key family, matched against the token's `alg`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// RS256.
    Rsa,
    /// ES256.
    Ec,
}

/// One verification key.
#[derive(Clone)]
pub struct KeyEntry {
    /// `kid`, when the JWKS names one.
    pub kid: Option<String>,
    /// RSA or EC.
    pub family: Family,
    /// The key.
    pub key: DecodingKey,
}

/// Why keys could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(pub String);

/// Parse a JWKS document (RSA and EC keys; others are skipped).
pub fn from_jwks(text: &str) -> Result<Vec<KeyEntry>, KeyError> {
    let set: JwkSet =
        serde_json::from_str(text).map_err(|e| KeyError(format!("invalid JWKS: {e}")))?;
    let mut out = Vec::new();
    for jwk in &set.keys {
        let family = match jwk.algorithm {
            AlgorithmParameters::RSA(_) => Family::Rsa,
            AlgorithmParameters::EllipticCurve(_) => Family::Ec,
            _ => continue,
        };
        let key = DecodingKey::from_jwk(jwk).map_err(|e| KeyError(format!("invalid JWK: {e}")))?;
        out.push(KeyEntry {
            kid: jwk.common.key_id.clone(),
            family,
            key,
        });
    }
    if out.is_empty() {
        return Err(KeyError("the JWKS holds no RSA or EC key".into()));
    }
    Ok(out)
}

/// Parse a PEM public key (RSA or EC).
pub fn from_pem(pem: &[u8]) -> Result<KeyEntry, KeyError> {
    if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
        return Ok(KeyEntry {
            kid: None,
            family: Family::Rsa,
            key,
        });
    }
    DecodingKey::from_ec_pem(pem)
        .map(|key| KeyEntry {
            kid: None,
            family: Family::Ec,
            key,
        })
        .map_err(|_| KeyError("not an RSA or EC public key in PEM".into()))
}

/// All keys of the method.
pub struct JwtKeys {
    fixed: Vec<KeyEntry>,
    url: Option<String>,
    fetched: Mutex<(Option<Instant>, Vec<KeyEntry>)>,
}

/// A fetched JWKS is reused this long.
const JWKS_TTL: Duration = Duration::from_secs(300);
/// Unknown key ids refetch at most this often.
const REFETCH_MIN: Duration = Duration::from_secs(30);

impl JwtKeys {
    /// From loaded keys and an optional JWKS URL.
    pub fn new(fixed: Vec<KeyEntry>, url: Option<String>) -> JwtKeys {
        JwtKeys {
            fixed,
            url,
            fetched: Mutex::new((None, Vec::new())),
        }
    }

    /// Whether any key source is configured.
    pub fn is_configured(&self) -> bool {
        !self.fixed.is_empty() || self.url.is_some()
    }

    /// Keys that may have signed a token with `kid` and `family`.
    pub async fn candidates(&self, kid: Option<&str>, family: Family) -> Vec<KeyEntry> {
        let pick = |keys: &[KeyEntry]| -> Vec<KeyEntry> {
            keys.iter()
                .filter(|k| {
                    k.family == family
                        && (kid.is_none() || k.kid.is_none() || k.kid.as_deref() == kid)
                })
                .cloned()
                .collect()
        };
        let mut out = pick(&self.fixed);
        let Some(url) = &self.url else { return out };
        let (fetched_at, cached) = {
            let f = self.fetched.lock().unwrap_or_else(|e| e.into_inner());
            (f.0, pick(&f.1))
        };
        let stale = fetched_at.is_none_or(|t| t.elapsed() > JWKS_TTL);
        let unknown_kid = cached.is_empty() && fetched_at.is_none_or(|t| t.elapsed() > REFETCH_MIN);
        if stale || unknown_kid {
            match fetch(url).await {
                Ok(keys) => {
                    let picked = pick(&keys);
                    *self.fetched.lock().unwrap_or_else(|e| e.into_inner()) =
                        (Some(Instant::now()), keys);
                    out.extend(picked);
                    return out;
                }
                Err(e) => tracing::warn!(error = %e, "JWKS fetch failed; using cached keys"),
            }
        }
        out.extend(cached);
        out
    }
}

async fn fetch(url: &str) -> Result<Vec<KeyEntry>, KeyError> {
    crate::install_crypto_provider();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| KeyError(format!("http client: {e}")))?;
    let resp = client
        .get(url)
        .send()
        .await
        .map_err(|_| KeyError("JWKS URL unreachable".into()))?;
    if !resp.status().is_success() {
        return Err(KeyError(format!(
            "JWKS URL answered HTTP {}",
            resp.status().as_u16()
        )));
    }
    let text = resp
        .text()
        .await
        .map_err(|_| KeyError("JWKS body unreadable".into()))?;
    from_jwks(&text)
}
