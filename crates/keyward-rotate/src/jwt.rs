//! JWT signing keyrings: the current signing secret plus, during the grace period, the
//! previous one, each with a key id (`kid`). Tokens carry the `kid` in their header; a
//! verifier tries the matching key (or every key when the token has none).
//!
//! [`keyring`] builds the ring from the store; `keyward export` adds `NAME_PREVIOUS` during
//! the grace and `keyward rotation keyring ENV/NAME` prints the JSON form.

use crate::error::Result;
use crate::state::{RotationState, Step};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use keyward_core::SecretBytes;
use keyward_store::{ErrorKind, SecretPath, Stage, Store};
use serde::Serialize;
use sha2::Sha256;

/// The key id of version `version` of `path`: `NAME-vN`.
pub fn kid(path: &SecretPath, version: u64) -> String {
    format!("{}-v{version}", path.name())
}

fn mac(secret: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// Sign `claims` (JSON text) with HS256 under `kid`.
pub fn sign(secret: &[u8], kid: &str, claims: &str) -> String {
    let header = serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": kid}).to_string();
    let input = format!("{}.{}", B64URL.encode(header), B64URL.encode(claims));
    let sig = B64URL.encode(mac(secret, input.as_bytes()));
    format!("{input}.{sig}")
}

/// One key of a ring. `Debug` and `Serialize` of the secret are explicit choices: the
/// secret is only serialized when the caller asks for the keyring itself.
#[derive(Clone, Serialize)]
pub struct KeyEntry {
    /// Key id.
    pub kid: String,
    /// `current`, `previous` or `pending`.
    pub status: String,
    /// When a previous key stops being accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
    /// The secret (UTF-8 text of the stored value).
    pub secret: String,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("kid", &self.kid)
            .field("status", &self.status)
            .field("not_after", &self.not_after)
            .field("secret", &"[REDACTED]")
            .finish()
    }
}

impl Drop for KeyEntry {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret);
    }
}

impl KeyEntry {
    /// A key entry.
    pub fn new(
        kid: String,
        value: &SecretBytes,
        status: &str,
        not_after: Option<String>,
    ) -> KeyEntry {
        KeyEntry {
            kid,
            status: status.to_string(),
            not_after,
            secret: value.to_lossy(),
        }
    }
}

/// A keyring, newest first.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Keyring {
    /// Keys accepted for verification; the first signs.
    pub keys: Vec<KeyEntry>,
}

impl Keyring {
    /// Verify an HS256 token; returns the `kid` that verified it.
    pub fn verify(&self, token: &str) -> std::result::Result<String, String> {
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("not a JWT".into());
        };
        let header: serde_json::Value = B64URL
            .decode(h)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or("bad JWT header")?;
        if header["alg"] != "HS256" {
            return Err("only HS256 tokens are verified".into());
        }
        let sig = B64URL.decode(s).map_err(|_| "bad JWT signature encoding")?;
        let input = format!("{h}.{c}");
        let kid = header["kid"].as_str();
        for k in self
            .keys
            .iter()
            .filter(|k| kid.is_none_or(|id| id == k.kid))
        {
            let mut m =
                Hmac::<Sha256>::new_from_slice(k.secret.as_bytes()).expect("any key length");
            m.update(input.as_bytes());
            if m.verify_slice(&sig).is_ok() {
                return Ok(k.kid.clone());
            }
        }
        Err(match kid {
            Some(id) => format!("no key in the keyring verifies kid {id}"),
            None => "no key in the keyring verifies the token".into(),
        })
    }

    /// The current key, if any.
    pub fn current(&self) -> Option<&KeyEntry> {
        self.keys.iter().find(|k| k.status == "current")
    }
}

/// The keyring of `path`: its current version and, while the rotation's grace runs (now
/// before `grace_until`), its previous one. Reading it is audited as reads.
pub fn keyring(store: &mut Store, path: &SecretPath) -> Result<Keyring> {
    let meta = store.meta(path)?;
    let state = RotationState::of(&meta)?;
    let mut ring = Keyring::default();
    let cur = store.get(path)?;
    ring.keys.push(KeyEntry::new(
        kid(path, cur.version),
        &cur.value,
        "current",
        None,
    ));
    if let Some(prev) = previous_in_grace(store, path, &state)? {
        ring.keys.push(KeyEntry::new(
            kid(path, prev.0),
            &prev.1,
            "previous",
            state.grace_until.clone(),
        ));
    }
    Ok(ring)
}

/// The previous version and value of `path` when its rotation is in the grace period.
pub fn previous_in_grace(
    store: &mut Store,
    path: &SecretPath,
    state: &RotationState,
) -> Result<Option<(u64, SecretBytes)>> {
    let in_grace = state.step == Step::Promoted
        && state
            .grace_until
            .as_deref()
            .and_then(crate::clock::parse)
            .is_some_and(|until| crate::clock::now() < until);
    if !in_grace {
        return Ok(None);
    }
    match store.get_stage(path, Stage::Previous) {
        Ok(r) => Ok(Some((r.version, r.value))),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// For `keyward export`: add `NAME_PREVIOUS` after each JWT secret whose rotation is in
/// its grace period, so services verify tokens signed with either key.
pub fn with_previous(
    store: &mut Store,
    env: &str,
    secrets: Vec<keyward_store::Exported>,
) -> Result<Vec<keyward_store::Exported>> {
    use keyward_core::policy::Kind;
    let mut out = Vec::with_capacity(secrets.len());
    for e in secrets {
        let path = SecretPath::new(env, &e.name)?;
        let meta = store.meta(&path)?;
        let kind = meta
            .kind
            .parse::<Kind>()
            .unwrap_or_else(|_| Kind::infer(&e.name));
        let state = RotationState::of(&meta)?;
        let prev = if kind == Kind::JwtSecret {
            previous_in_grace(store, &path, &state)?
        } else {
            None
        };
        let name = e.name.clone();
        out.push(e);
        if let Some((version, value)) = prev {
            out.push(keyward_store::Exported {
                name: format!("{name}_PREVIOUS"),
                version,
                value,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify_with_kid() {
        let a = SecretBytes::new("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        let b = SecretBytes::new("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
        let t = sign(a.expose(), "J-v1", r#"{"sub":"x"}"#);
        let ring = Keyring {
            keys: vec![
                KeyEntry::new("J-v2".into(), &b, "current", None),
                KeyEntry::new("J-v1".into(), &a, "previous", None),
            ],
        };
        assert_eq!(ring.verify(&t).unwrap(), "J-v1");
        let only_new = Keyring {
            keys: vec![KeyEntry::new("J-v2".into(), &b, "current", None)],
        };
        assert!(only_new.verify(&t).is_err());
        assert!(!format!("{ring:?}").contains("aaaa"));
    }
}
