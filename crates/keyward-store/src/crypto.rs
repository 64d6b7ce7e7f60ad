//! Envelope encryption: XChaCha20-Poly1305 data keys per version, wrapped by the KEK.
//!
//! Layouts (all byte strings are `nonce (24) || AEAD ciphertext+tag`):
//! - value: sealed under the version's data key, AAD `keyward/v1/value\0ENV/NAME\0VERSION`;
//! - wrapped data key: the 32-byte data key sealed under the KEK, AAD
//!   `keyward/v1/dek\0ENV/NAME\0VERSION`;
//! - key check value: the constant [`KCV_PLAINTEXT`] sealed under the KEK, AAD
//!   `keyward/v2/kcv` (stores whose secret heads are authenticated) or `keyward/v1/kcv`
//!   (stores written before that; opening one with the key upgrades it);
//! - audit key: 32 random bytes sealed under the KEK.
//!
//! MAC keys are derived with HKDF-SHA256 ([`Key::derive`]), so the keys that authenticate
//! secret heads and the audit head are independent of the data keys, the audit key's
//! value HMACs and each other.
//!
//! Binding path and version into both AADs means a ciphertext (or a wrapped key) copied to
//! another row fails authentication instead of decrypting as the wrong secret.

use crate::error::{ErrorKind, Result, StoreError};
use crate::path::SecretPath;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use keyward_core::SecretBytes;
use secrecy::{ExposeSecret, ExposeSecretMut, SecretBox};
use sha2::Sha256;
use std::fmt;
use zeroize::Zeroizing;

const NONCE_LEN: usize = 24;
/// The plaintext of the key check value.
pub const KCV_PLAINTEXT: &[u8] = b"keyward key check v1";
const KCV_AAD_V1: &[u8] = b"keyward/v1/kcv";
const KCV_AAD: &[u8] = b"keyward/v2/kcv";
const AUDIT_KEY_AAD: &[u8] = b"keyward/v1/audit-key";

/// A 32-byte symmetric key held in a zeroizing, non-printing box.
pub struct Key(SecretBox<[u8; 32]>);

impl Key {
    /// A fresh random key from the OS generator.
    pub fn random() -> Result<Key> {
        // Filled in place on the heap: no copy of the key is left on the stack.
        let mut key = Key(SecretBox::new(Box::new([0u8; 32])));
        fill_random(key.0.expose_secret_mut())?;
        Ok(key)
    }

    /// Wrap raw key bytes (copied; the caller's copy should be zeroized by the caller).
    /// The bytes are copied straight into a zeroed heap allocation, never through a
    /// temporary array on the stack.
    pub fn from_bytes(bytes: &[u8; 32]) -> Key {
        let mut boxed = Box::new([0u8; 32]);
        boxed.copy_from_slice(bytes);
        Key(SecretBox::new(boxed))
    }

    /// Decode a master key: base64 (standard or URL-safe, padding optional, surrounding
    /// whitespace ignored) of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Key> {
        let text = text.trim();
        let decoded = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
                .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(text))
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text))
                .map_err(|_| {
                    StoreError::new(ErrorKind::InvalidKey, "master key is not valid base64")
                })?,
        );
        let bytes: &[u8; 32] = decoded.as_slice().try_into().map_err(|_| {
            StoreError::new(
                ErrorKind::InvalidKey,
                format!(
                    "master key must be base64 of 32 bytes (got {} bytes)",
                    decoded.len()
                ),
            )
        })?;
        Ok(Key::from_bytes(bytes))
    }

    /// The key as base64 (for `keyward store init` printing a newly generated key).
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(self.expose()))
    }

    /// A second copy of this key, in its own zeroizing box (a pool opens one store handle
    /// per connection, each holding the master key).
    pub(crate) fn duplicate(&self) -> Key {
        Key::from_bytes(self.expose())
    }

    fn expose(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }

    /// A key derived from this one for one purpose (HKDF-SHA256, no salt, `info` naming
    /// the purpose): knowing a derived key reveals nothing about this key or its other
    /// derived keys.
    pub fn derive(&self, info: &[u8]) -> Key {
        let mut key = Key(SecretBox::new(Box::new([0u8; 32])));
        hkdf::Hkdf::<Sha256>::new(None, self.expose())
            .expand(info, key.0.expose_secret_mut())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        key
    }

    /// This key as an HMAC-SHA256 key, its pad blocks hashed once ([`MacKey`]).
    pub fn mac_key(&self) -> MacKey {
        MacKey(<Hmac<Sha256> as Mac>::new_from_slice(self.expose()).expect("any key length"))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.expose().into())
    }
}

/// An HMAC-SHA256 key with its inner and outer pad blocks already hashed, so each MAC
/// costs only its data (MACs are computed on every audited read). Not printable.
#[derive(Clone)]
pub struct MacKey(Hmac<Sha256>);

impl MacKey {
    /// HMAC-SHA256 of `data`.
    pub fn mac(&self, data: &[u8]) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// Whether `tag` is the HMAC-SHA256 of `data` (constant-time compare).
    pub fn matches(&self, data: &[u8], tag: &[u8]) -> bool {
        let mut mac = self.0.clone();
        mac.update(data);
        mac.verify_slice(tag).is_ok()
    }
}

impl fmt::Debug for MacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MacKey([REDACTED])")
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key([REDACTED])")
    }
}

/// Fill `buf` from the operating system's random generator.
pub fn fill_random(buf: &mut [u8]) -> Result<()> {
    getrandom::getrandom(buf)
        .map_err(|e| StoreError::new(ErrorKind::Backend, format!("random generator failed: {e}")))
}

fn seal(key: &Key, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut nonce)?;
    let ct = key
        .cipher()
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| StoreError::new(ErrorKind::Backend, "encryption failed"))?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Open a sealed blob; `None` when authentication fails (wrong key, tampered, moved).
fn open(key: &Key, sealed: &[u8], aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE_LEN + 16 {
        return None;
    }
    let (nonce, ct) = sealed.split_at(NONCE_LEN);
    key.cipher()
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad })
        .ok()
        .map(Zeroizing::new)
}

fn row_aad(purpose: &str, path: &SecretPath, version: u64) -> Vec<u8> {
    format!("keyward/v1/{purpose}\0{path}\0{version}").into_bytes()
}

/// A sealed secret version: the ciphertext and its wrapped data key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    /// The data key, sealed under the KEK.
    pub wrapped_key: Vec<u8>,
    /// The value, sealed under the data key.
    pub ciphertext: Vec<u8>,
}

/// Seal `value` as `path` version `version` with a fresh data key wrapped by `kek`.
pub fn seal_value(kek: &Key, path: &SecretPath, version: u64, value: &[u8]) -> Result<Sealed> {
    let dek = Key::random()?;
    let ciphertext = seal(&dek, value, &row_aad("value", path, version))?;
    let wrapped_key = seal(kek, dek.expose(), &row_aad("dek", path, version))?;
    Ok(Sealed {
        wrapped_key,
        ciphertext,
    })
}

fn tampered(path: &SecretPath, version: u64) -> StoreError {
    StoreError::new(
        ErrorKind::Tampered,
        format!("{path} version {version} failed authentication (tampered, or moved from another secret)"),
    )
}

/// Unwrap a version's data key.
fn unwrap_dek(kek: &Key, path: &SecretPath, version: u64, wrapped: &[u8]) -> Result<Key> {
    let raw = open(kek, wrapped, &row_aad("dek", path, version))
        .ok_or_else(|| tampered(path, version))?;
    let bytes: &[u8; 32] = raw
        .as_slice()
        .try_into()
        .map_err(|_| tampered(path, version))?;
    Ok(Key::from_bytes(bytes))
}

/// Decrypt a sealed version. Fails with [`ErrorKind::Tampered`] when either layer does not
/// authenticate for this path and version.
pub fn open_value(
    kek: &Key,
    path: &SecretPath,
    version: u64,
    sealed: &Sealed,
) -> Result<SecretBytes> {
    let dek = unwrap_dek(kek, path, version, &sealed.wrapped_key)?;
    let plain = open(&dek, &sealed.ciphertext, &row_aad("value", path, version))
        .ok_or_else(|| tampered(path, version))?;
    Ok(SecretBytes::new(plain.to_vec()))
}

/// Re-wrap a version's data key from `old` to `new` without touching the ciphertext.
pub fn rewrap_dek(
    old: &Key,
    new: &Key,
    path: &SecretPath,
    version: u64,
    wrapped: &[u8],
) -> Result<Vec<u8>> {
    let dek = unwrap_dek(old, path, version, wrapped)?;
    seal(new, dek.expose(), &row_aad("dek", path, version))
}

/// A key check value for `kek` (the current format: secret heads are authenticated).
pub fn key_check_value(kek: &Key) -> Result<Vec<u8>> {
    seal(kek, KCV_PLAINTEXT, KCV_AAD)
}

/// What a key check value says about its store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KcvFormat {
    /// Written by a keyward that authenticates secret heads and the audit head.
    Current,
    /// Written before that: the store must be upgraded (its heads MACed) when opened.
    Legacy,
}

/// The format of `kcv` when it was made with `kek`; `None` for another key.
pub fn kcv_format(kek: &Key, kcv: &[u8]) -> Option<KcvFormat> {
    let is = |aad| open(kek, kcv, aad).is_some_and(|p| p.as_slice() == KCV_PLAINTEXT);
    if is(KCV_AAD) {
        Some(KcvFormat::Current)
    } else if is(KCV_AAD_V1) {
        Some(KcvFormat::Legacy)
    } else {
        None
    }
}

/// True when `kcv` was made with `kek` (either format).
pub fn key_matches(kek: &Key, kcv: &[u8]) -> bool {
    kcv_format(kek, kcv).is_some()
}

/// A legacy (pre-integrity) key check value, for tests of the upgrade path.
#[doc(hidden)]
pub fn legacy_key_check_value(kek: &Key) -> Result<Vec<u8>> {
    seal(kek, KCV_PLAINTEXT, KCV_AAD_V1)
}

/// Wrap the per-store audit key.
pub fn wrap_audit_key(kek: &Key, audit_key: &Key) -> Result<Vec<u8>> {
    seal(kek, audit_key.expose(), AUDIT_KEY_AAD)
}

/// Unwrap the per-store audit key.
pub fn unwrap_audit_key(kek: &Key, wrapped: &[u8]) -> Result<Key> {
    let raw = open(kek, wrapped, AUDIT_KEY_AAD).ok_or_else(|| {
        StoreError::new(
            ErrorKind::Tampered,
            "the store's audit key failed authentication",
        )
    })?;
    let bytes: &[u8; 32] = raw
        .as_slice()
        .try_into()
        .map_err(|_| StoreError::new(ErrorKind::Corrupt, "the store's audit key is malformed"))?;
    Ok(Key::from_bytes(bytes))
}

/// HMAC-SHA256 of a value under the audit key, bound to its path; hex. This is the only
/// form in which a value reaches the audit log.
pub fn value_hmac(audit_key: &Key, path: &SecretPath, value: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(audit_key.expose()).expect("any key length");
    mac.update(path.to_string().as_bytes());
    mac.update(&[0]);
    mac.update(value);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> SecretPath {
        s.parse().unwrap()
    }

    #[test]
    fn key_from_bytes_copies_into_the_heap_not_a_stack_temporary() {
        // The copy goes straight into a zeroed heap box (no `*bytes` temporary on the
        // stack); the key must still be the same bytes, and `random` fills in place.
        let raw = Zeroizing::new([7u8; 32]);
        let key = Key::from_bytes(&raw);
        assert_eq!(key.expose(), &*raw);
        assert_eq!(Key::from_base64(&key.to_base64()).unwrap().expose(), &*raw);
        let a = Key::random().unwrap();
        let b = Key::random().unwrap();
        assert_ne!(a.expose(), b.expose());
        assert_ne!(a.expose(), &[0u8; 32]);
    }

    #[test]
    fn round_trip_and_binding() {
        let kek = Key::random().unwrap();
        let sealed = seal_value(&kek, &p("prod/A"), 1, b"hunter2").unwrap();
        assert_eq!(
            open_value(&kek, &p("prod/A"), 1, &sealed).unwrap().expose(),
            b"hunter2"
        );
        let e = open_value(&kek, &p("prod/B"), 1, &sealed).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Tampered);
        assert!(open_value(&kek, &p("prod/A"), 2, &sealed).is_err());
        let other = Key::random().unwrap();
        assert!(open_value(&other, &p("prod/A"), 1, &sealed).is_err());
    }

    #[test]
    fn kcv_and_rewrap() {
        let a = Key::random().unwrap();
        let b = Key::random().unwrap();
        let kcv = key_check_value(&a).unwrap();
        assert!(key_matches(&a, &kcv));
        assert!(!key_matches(&b, &kcv));
        let mut sealed = seal_value(&a, &p("e/X"), 3, b"v").unwrap();
        sealed.wrapped_key = rewrap_dek(&a, &b, &p("e/X"), 3, &sealed.wrapped_key).unwrap();
        assert_eq!(
            open_value(&b, &p("e/X"), 3, &sealed).unwrap().expose(),
            b"v"
        );
    }

    #[test]
    fn base64_keys() {
        let k = Key::random().unwrap();
        let text = k.to_base64();
        let back = Key::from_base64(&format!(" {}\n", text.as_str())).unwrap();
        assert_eq!(back.expose(), k.expose());
        assert_eq!(
            Key::from_base64("YWJj").unwrap_err().kind(),
            ErrorKind::InvalidKey
        );
        assert!(!format!("{k:?}").contains(&text[..8]));
    }
}
