//! The JWT exposure check: decode every JWT finding's header and claims into notes, and
//! try to verify HMAC-signed tokens (HS256/384/512) against every other secret found in
//! the same scan and a list of common weak signing secrets. A token that verifies proves
//! its signing key leaked: the finding is marked verified, raised to critical, and a note
//! names where the key is (path:line, never the value).

use base64::Engine as _;
use hmac::{Hmac, Mac};
use keyward_core::{Finding, Severity};
use serde_json::Value;
use sha2::{Sha256, Sha384, Sha512};

/// The rule id whose findings are JWTs.
pub const JWT_RULE: &str = "jwt";

/// Signing secrets seen in tutorials, defaults and leaked configs.
const WEAK_SECRETS: &[&str] = &[
    "secret",
    "your-256-bit-secret",
    "your-384-bit-secret",
    "your-512-bit-secret",
    "changeme",
    "change-me",
    "password",
    "jwt_secret",
    "jwt-secret",
    "jwtsecret",
    "secretkey",
    "secret_key",
    "secret-key",
    "mysecret",
    "my-secret",
    "my_secret",
    "supersecret",
    "super-secret",
    "shhhhh",
    "keyboard cat",
    "test",
    "dev",
    "default",
    "admin",
    "123456",
    "your_jwt_secret",
    "your-jwt-secret",
    "jwt-secret-key",
    "s3cr3t",
    "key",
];

/// Claim and header values longer than this are shortened in notes.
const MAX_SHOWN: usize = 40;

/// Decode, annotate and try to verify every JWT finding in `findings`.
pub fn check_jwts(findings: &mut [Finding]) {
    let jwt_idx: Vec<usize> = (0..findings.len())
        .filter(|&i| findings[i].rule_id == JWT_RULE)
        .collect();
    if jwt_idx.is_empty() {
        return;
    }
    // Candidate keys: every non-JWT secret in the scan, deduplicated by fingerprint.
    let mut seen = std::collections::HashSet::new();
    let candidates: Vec<usize> = (0..findings.len())
        .filter(|&i| findings[i].rule_id != JWT_RULE)
        .filter(|&i| seen.insert(findings[i].fingerprint.clone()))
        .collect();
    for i in jwt_idx {
        let token = findings[i].secret.expose().to_vec();
        let Some(jwt) = Decoded::parse(&token) else {
            continue;
        };
        let mut notes = vec![jwt.describe()];
        if let Some(alg) = jwt.hmac_alg() {
            let by_finding = candidates
                .iter()
                .find(|&&c| jwt.verifies(alg, findings[c].secret.expose()));
            if let Some(&c) = by_finding {
                let k = &findings[c];
                let mut at = format!("{}:{}", k.location.path, k.location.line);
                if let Some(g) = &k.location.git {
                    at.push_str(&format!(
                        " (commit {})",
                        &g.commit[..g.commit.len().min(12)]
                    ));
                }
                notes.push(format!(
                    "verified: the {alg} signature verifies with the secret found at {at} ({}); the signing key leaked, rotate it",
                    k.rule_id
                ));
            } else if WEAK_SECRETS.iter().any(|w| jwt.verifies(alg, w.as_bytes())) {
                notes.push(format!(
                    "verified: the {alg} signature verifies with a common weak secret from keyward's built-in list; anyone can forge tokens, rotate the key"
                ));
            }
        }
        let f = &mut findings[i];
        if notes.len() > 1 {
            f.verified = true;
            f.severity = Severity::Critical;
        }
        f.notes.extend(notes);
    }
}

/// A JWT split and decoded.
struct Decoded<'a> {
    signing_input: &'a [u8],
    signature: Vec<u8>,
    header: Value,
    claims: Value,
}

fn b64(part: &[u8]) -> Option<Vec<u8>> {
    let trimmed: &[u8] = match part.iter().rposition(|&b| b != b'=') {
        Some(p) => &part[..=p],
        None => part,
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(trimmed)
        .ok()
}

impl<'a> Decoded<'a> {
    fn parse(token: &'a [u8]) -> Option<Self> {
        let mut parts = token.split(|&b| b == b'.');
        let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        Some(Decoded {
            signing_input: &token[..h.len() + 1 + c.len()],
            signature: b64(s)?,
            header: serde_json::from_slice(&b64(h)?).ok()?,
            claims: serde_json::from_slice(&b64(c)?).unwrap_or(Value::Null),
        })
    }

    fn hmac_alg(&self) -> Option<&'static str> {
        match self.header.get("alg")?.as_str()? {
            "HS256" => Some("HS256"),
            "HS384" => Some("HS384"),
            "HS512" => Some("HS512"),
            _ => None,
        }
    }

    fn verifies(&self, alg: &str, key: &[u8]) -> bool {
        fn check<M: Mac + hmac::digest::KeyInit>(key: &[u8], input: &[u8], sig: &[u8]) -> bool {
            let Ok(mut m) = <M as Mac>::new_from_slice(key) else {
                return false;
            };
            m.update(input);
            m.verify_slice(sig).is_ok()
        }
        match alg {
            "HS256" => check::<Hmac<Sha256>>(key, self.signing_input, &self.signature),
            "HS384" => check::<Hmac<Sha384>>(key, self.signing_input, &self.signature),
            "HS512" => check::<Hmac<Sha512>>(key, self.signing_input, &self.signature),
            _ => false,
        }
    }

    /// `JWT alg=HS256 kid=… iss=… sub=… exp=…`, long values shortened.
    fn describe(&self) -> String {
        let mut parts = vec!["JWT".to_string()];
        for (name, v) in [
            ("alg", self.header.get("alg")),
            ("kid", self.header.get("kid")),
            ("iss", self.claims.get("iss")),
            ("sub", self.claims.get("sub")),
        ] {
            if let Some(v) = v {
                parts.push(format!("{name}={}", shown(v)));
            }
        }
        if let Some(exp) = self.claims.get("exp").and_then(Value::as_i64) {
            let day = super::date::civil_from_days(exp.div_euclid(86_400));
            let expired = exp
                < std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
            parts.push(format!(
                "exp={}{}",
                super::date::format_day(day),
                if expired { " (expired)" } else { "" }
            ));
        } else if self.claims.is_object() {
            parts.push("exp=none (never expires)".into());
        }
        parts.join(" ")
    }
}

fn shown(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let s: String = s.chars().filter(|c| !c.is_control()).collect();
    if s.chars().count() > MAX_SHOWN {
        let head: String = s.chars().take(MAX_SHOWN - 10).collect();
        let tail: String = s
            .chars()
            .rev()
            .take(6)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("{head}…{tail}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::{Confidence, Location, SecretBytes};

    fn b64e(b: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    }

    fn forge(key: &[u8]) -> String {
        let input = format!(
            "{}.{}",
            b64e(br#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#),
            b64e(br#"{"sub":"user-42","iss":"https://auth.example","exp":4102444800}"#)
        );
        let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
        m.update(input.as_bytes());
        format!("{input}.{}", b64e(&m.finalize().into_bytes()))
    }

    fn finding(rule: &str, path: &str, secret: &[u8]) -> Finding {
        Finding::new(
            rule,
            rule,
            Severity::High,
            Confidence::High,
            Location {
                path: path.into(),
                line: 3,
                column: 1,
                start: 0,
                end: 0,
                git: None,
            },
            SecretBytes::new(secret.to_vec()),
        )
    }

    #[test]
    fn verifies_against_a_secret_found_in_the_same_scan() {
        let key = b"Qx7vL2mP9kR4tW8zN3bY6cF1hJ5dG0sA";
        let mut fs = vec![
            finding("jwt", "src/api.js", forge(key).as_bytes()),
            finding("generic-secret", ".env", key),
        ];
        check_jwts(&mut fs);
        assert!(fs[0].verified);
        assert_eq!(fs[0].severity, Severity::Critical);
        let notes = fs[0].notes.join("\n");
        assert!(
            notes.contains("alg=HS256 kid=k1 iss=https://auth.example sub=user-42 exp=2100-01-01"),
            "{notes}"
        );
        assert!(notes.contains(".env:3"), "{notes}");
        assert!(!notes.contains("Qx7vL2"), "secret value leaked into a note");
    }

    #[test]
    fn verifies_against_weak_secrets_and_not_otherwise() {
        let mut fs = vec![finding(
            "jwt",
            "a",
            forge(b"your-256-bit-secret").as_bytes(),
        )];
        check_jwts(&mut fs);
        assert!(fs[0].verified);
        let mut fs = vec![finding(
            "jwt",
            "a",
            forge(b"N0t-a-kn0wn-k3y-at-all-9f8e7d").as_bytes(),
        )];
        check_jwts(&mut fs);
        assert!(!fs[0].verified);
        assert!(fs[0].notes[0].starts_with("JWT alg=HS256"));
    }
}
