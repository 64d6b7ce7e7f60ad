//! Structural validators: checksums, JWT structure, PEM bodies, base64 payloads.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine;

/// Standard base64 that tolerates missing padding.
const STANDARD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
use keyward_core::policy::Validator;

/// What a validator decided about a candidate.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not a secret after all.
    Reject,
    /// A secret, as matched.
    Accept,
    /// A secret whose real value is this decoded payload, rescanned for specific rules.
    /// `generic`: whether the payload itself may be reported when nothing specific is found
    /// inside (false when the variable name says it is not a secret).
    Decoded {
        /// The decoded payload.
        value: Vec<u8>,
        /// Report the payload itself when the rescan finds nothing.
        generic: bool,
    },
}

/// Context a validator may look at: the whole input and the spans of the match.
pub struct Candidate<'a> {
    /// The whole input.
    pub data: &'a [u8],
    /// Span of the full regex match.
    pub whole: (usize, usize),
    /// Span of the secret.
    pub secret: (usize, usize),
}

impl Candidate<'_> {
    fn secret(&self) -> &[u8] {
        &self.data[self.secret.0..self.secret.1]
    }
    fn whole(&self) -> &[u8] {
        &self.data[self.whole.0..self.whole.1]
    }
}

/// Run `validator` on a candidate.
pub fn check(validator: Validator, c: &Candidate<'_>) -> Verdict {
    let ok = |b: bool| if b { Verdict::Accept } else { Verdict::Reject };
    match validator {
        Validator::GithubCrc32 => ok(github_checksum_ok(c.secret())),
        Validator::Jwt => ok(jwt_header(c.secret()).is_some()),
        Validator::PemBody => ok(pem_body_ok(c.secret())),
        Validator::DockerAuth => ok(docker_auth_ok(c.secret())),
        Validator::UrlPassword => ok(!url_is_template(c.whole()) && !user_is_password(c)),
        Validator::K8sSecretData => k8s_secret_data(c),
        Validator::KeywardToken => ok(keyward_core::token::token_checksum_ok(c.secret())),
    }
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Base62 encoding of `n`, left-padded with `0` to `width`.
pub fn base62(mut n: u32, width: usize) -> String {
    let mut out = Vec::new();
    while n > 0 {
        out.push(BASE62[(n % 62) as usize]);
        n /= 62;
    }
    while out.len() < width {
        out.push(b'0');
    }
    out.reverse();
    String::from_utf8(out).expect("ascii")
}

/// GitHub's classic tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) end in a base62 CRC32
/// of the 30 random characters before it.
pub fn github_checksum_ok(token: &[u8]) -> bool {
    let Some(body) = token.get(4..) else {
        return false;
    };
    if body.len() != 36 {
        return false;
    }
    let (random, check) = body.split_at(30);
    base62(crc32fast::hash(random), 6).as_bytes() == check
}

/// Decode a JWT's header; `Some(json)` when it is a JSON object with an `alg`.
pub fn jwt_header(token: &[u8]) -> Option<serde_json::Value> {
    let header = token.split(|&b| b == b'.').next()?;
    let decoded = URL_SAFE_NO_PAD
        .decode(header.strip_suffix(b"=").unwrap_or(header))
        .ok()?;
    let json: serde_json::Value = serde_json::from_slice(&decoded).ok()?;
    json.get("alg")?.as_str()?;
    Some(json)
}

fn pem_body_ok(block: &[u8]) -> bool {
    let text = String::from_utf8_lossy(block)
        .replace("\\n", "\n")
        .replace("\\r", "");
    let body: String = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----") && !l.contains(':'))
        .flat_map(|l| {
            l.trim()
                .trim_matches(|c| c == '"' || c == '\'' || c == ',')
                .chars()
        })
        .filter(|c| !c.is_whitespace())
        .collect();
    if body.len() < 64 || is_placeholder_body(&body) {
        return false;
    }
    // The body must be base64 text, but not necessarily decodable: keys pasted into
    // configuration are often cut or re-wrapped, and a key with one character too many or
    // too few is still a leaked key (a third of such keys used to be missed when the
    // body's length was 1 mod 4). Padding may only close the body (or a PGP checksum).
    let core = body.trim_end_matches('=');
    core.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'='))
        && core.bytes().filter(|&b| b == b'=').count() <= 3
}

fn is_placeholder_body(body: &str) -> bool {
    crate::filter::is_placeholder(body.as_bytes())
}

fn docker_auth_ok(value: &[u8]) -> bool {
    let Ok(decoded) = STANDARD.decode(value) else {
        return false;
    };
    match decoded.iter().position(|&b| b == b':') {
        Some(p) => {
            let pass = &decoded[p + 1..];
            !pass.is_empty() && !crate::filter::is_placeholder(pass)
        }
        None => false,
    }
}

/// `app:app@`, `guest:guest@`: a default where the password repeats the user name.
fn user_is_password(c: &Candidate<'_>) -> bool {
    let before = &c.data[c.whole.0..c.secret.0];
    let user = before
        .strip_suffix(b":")
        .map(|b| b.rsplit(|&x| x == b'/' || x == b':').next().unwrap_or(b""))
        .unwrap_or(b"");
    !user.is_empty() && user.eq_ignore_ascii_case(c.secret())
}

fn url_is_template(url: &[u8]) -> bool {
    let mut lower = url.to_ascii_lowercase();
    // An IPv6 host (`@[2001:db8::5]:5432`) is an address, not a `[placeholder]`.
    if let Some(at) = memchr::memmem::find(&lower, b"@[") {
        if let Some(close) = lower[at..].iter().position(|&b| b == b']') {
            let host = &lower[at + 2..at + close];
            if !host.is_empty()
                && host
                    .iter()
                    .all(|b| b.is_ascii_hexdigit() || b":.%".contains(b))
            {
                lower.drain(at + 1..=at + close);
            }
        }
    }
    const MARKS: &[&[u8]] = &[
        b"<",
        b"{",
        b"[",
        b"your",
        b"example.",
        b"host:port",
        b"@host/",
        b"@hostname",
        b"xxx",
        b"user:pass@",
        b"username:password",
        b"...",
        b"$",
    ];
    MARKS
        .iter()
        .any(|m| memchr::memmem::find(&lower, m).is_some())
}

/// Kubernetes `Secret` data: the value must sit under a `data:` key, decode from base64 to
/// printable text, and its own key must not name a non-secret (`username`, `host`, …).
fn k8s_secret_data(c: &Candidate<'_>) -> Verdict {
    let line_start = c.data[..c.whole.0]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let line = &c.data[line_start..c.whole.1];
    let indent = line.iter().take_while(|&&b| b == b' ').count();
    if indent == 0 || !under_data_key(c.data, line_start, indent) {
        return Verdict::Reject;
    }
    let key_end = line.iter().position(|&b| b == b':').unwrap_or(0);
    let key = &line[indent..key_end];
    let generic = !(crate::filter::is_non_secret_key(key) || key.eq_ignore_ascii_case(b"user"));
    let Ok(decoded) = STANDARD.decode(c.secret()) else {
        return Verdict::Reject;
    };
    let printable = decoded
        .iter()
        .all(|&b| b == b'\n' || b == b'\r' || b == b'\t' || (0x20..0x7f).contains(&b));
    let trimmed = decoded.trim_ascii();
    // Structured payloads (JSON, PEM, config files) are judged by rescanning them; only a
    // plain one-line value can be a placeholder or a reference.
    let structured = trimmed.contains(&b'\n') || trimmed.starts_with(b"{");
    if !printable
        || trimmed.len() < 6
        || !structured
            && (crate::filter::is_placeholder(trimmed) || crate::filter::is_reference(trimmed))
    {
        return Verdict::Reject;
    }
    // A plain word (`production`, `enabled`) is configuration even inside a Secret.
    let generic = generic && (structured || !crate::filter::is_word_like(trimmed));
    Verdict::Decoded {
        value: trimmed.to_vec(),
        generic,
    }
}

/// Walk back from the line at `line_start` to the nearest less-indented line; it must be
/// `data:` (or `binaryData:`).
fn under_data_key(data: &[u8], line_start: usize, indent: usize) -> bool {
    let mut end = line_start;
    while end > 0 {
        let start = data[..end - 1]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let line = &data[start..end - 1];
        end = start;
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() || trimmed.starts_with(b"#") {
            continue;
        }
        let ind = line.iter().take_while(|&&b| b == b' ').count();
        if ind < indent {
            return trimmed == b"data:" || trimmed == b"binaryData:";
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make_github(prefix: &str, random: &str) -> String {
        format!(
            "{prefix}{random}{}",
            base62(crc32fast::hash(random.as_bytes()), 6)
        )
    }

    #[test]
    fn github_checksum_accepts_valid_and_rejects_tampered() {
        let t = make_github("ghp_", "R4nd0mTok3nValu3Abcdefghijklmn");
        assert!(github_checksum_ok(t.as_bytes()), "{t}");
        let mut bad = t.clone().into_bytes();
        bad[10] = if bad[10] == b'a' { b'b' } else { b'a' };
        assert!(!github_checksum_ok(&bad));
    }

    #[test]
    fn jwt_header_needs_alg() {
        let tok = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.sig";
        assert!(jwt_header(tok).is_some());
        // {"typ":"JWT"} without alg
        assert!(jwt_header(b"eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.sig").is_none());
    }

    #[test]
    fn k8s_value_must_sit_under_data() {
        let doc = b"kind: Secret\nmetadata:\n  name: x\ndata:\n  password: UzNjdXJlUEBzc3cwcmQh\n"; // keyward:allow
        let start = doc.len() - 21;
        let c = Candidate {
            data: doc,
            whole: (start - 12, doc.len() - 1),
            secret: (start, doc.len() - 1),
        };
        assert_eq!(
            k8s_secret_data(&c),
            Verdict::Decoded {
                value: b"S3cureP@ssw0rd!".to_vec(),
                generic: true
            }
        );
    }
}
