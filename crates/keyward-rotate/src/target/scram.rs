//! SCRAM-SHA-256 verifiers as PostgreSQL stores them in `pg_authid.rolpassword`
//! (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, RFC 5802/7677).
//!
//! keyward sends PostgreSQL a ready verifier (`ALTER ROLE … PASSWORD 'SCRAM-SHA-256$…'`),
//! so the plaintext never reaches the server or its logs, and checks a password against
//! the stored verifier to prove which password a role accepts even where `pg_hba.conf`
//! trusts local connections.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// PostgreSQL's default iteration count.
pub const ITERATIONS: u32 = 4096;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

/// PBKDF2-HMAC-SHA256 with one output block (SCRAM's `Hi`).
fn salted_password(password: &[u8], salt: &[u8], iterations: u32) -> zeroize::Zeroizing<[u8; 32]> {
    let mut block = salt.to_vec();
    block.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac(password, &block);
    let mut out = zeroize::Zeroizing::new(u);
    for _ in 1..iterations {
        u = hmac(password, &u);
        for (o, b) in out.iter_mut().zip(u.iter()) {
            *o ^= b;
        }
    }
    out
}

fn stored_key(salted: &[u8; 32]) -> [u8; 32] {
    Sha256::digest(hmac(salted, b"Client Key")).into()
}

/// A verifier for `password` with a random salt.
pub fn verifier(password: &[u8]) -> std::io::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| std::io::Error::other(e.to_string()))?;
    let salted = salted_password(password, &salt, ITERATIONS);
    let server_key = hmac(&salted[..], b"Server Key");
    Ok(format!(
        "SCRAM-SHA-256${ITERATIONS}:{}${}:{}",
        B64.encode(salt),
        B64.encode(stored_key(&salted)),
        B64.encode(server_key)
    ))
}

/// Whether `password` matches a stored verifier. `None` or a non-SCRAM value never matches.
pub fn matches(stored: Option<&str>, password: &[u8]) -> bool {
    let Some(rest) = stored.and_then(|s| s.strip_prefix("SCRAM-SHA-256$")) else {
        return false;
    };
    let parse = || -> Option<bool> {
        let (params, keys) = rest.split_once('$')?;
        let (iter, salt) = params.split_once(':')?;
        let (stored_b64, _) = keys.split_once(':')?;
        let iterations: u32 = iter.parse().ok()?;
        let salt = B64.decode(salt).ok()?;
        let expected = B64.decode(stored_b64).ok()?;
        let salted = salted_password(password, &salt, iterations);
        Some(stored_key(&salted).as_slice() == expected.as_slice())
    };
    parse().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rfc7677_vector() {
        let v = verifier(b"correct horse").unwrap();
        assert!(matches(Some(&v), b"correct horse"));
        assert!(!matches(Some(&v), b"wrong"));
        assert!(!matches(None, b"x"));
        // RFC 7677 test vector: user "user", password "pencil".
        let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let salted = salted_password(b"pencil", &salt, 4096);
        let server_key = hmac(&salted[..], b"Server Key");
        let stored = format!(
            "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==${}:{}",
            B64.encode(stored_key(&salted)),
            B64.encode(server_key)
        );
        assert!(matches(Some(&stored), b"pencil"));
        // ClientProof in RFC 7677 = ClientKey XOR ClientSignature; check ClientKey's hash
        // indirectly: the server signature of the RFC's auth message.
        let auth = b"n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        assert_eq!(
            B64.encode(hmac(&server_key, auth)),
            "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
    }
}
