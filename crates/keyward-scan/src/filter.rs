//! Precision filters: what looks like a secret but is not one.
//!
//! References (`${VAR}`, `process.env.X`, `{{ .Values.x }}`, …), placeholders
//! (`changeme`, `<your-key>`, `xxxx`, …), documented example keys, hashes, UUIDs,
//! integrity strings and image digests are rejected here, before a match becomes a finding.

use regex::bytes::Regex;
use std::sync::OnceLock;

/// Why a candidate was rejected (used by tests and `--debug` explanations).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// A reference to a value held elsewhere (`${VAR}`, `process.env.X`, …).
    Reference,
    /// A placeholder (`changeme`, `<your-key>`, `xxxx`, …).
    Placeholder,
    /// A hash, UUID, integrity string or digest.
    HashLike,
    /// The variable name says this is not a secret (`password_hash`, `token_url`, …).
    KeyName,
    /// Natural-language text, a path or a URL rather than a credential.
    NotCredential,
}

/// The word lists of `rules/filter-words.toml`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Words {
    placeholder_words: Vec<String>,
    placeholder_parts: Vec<String>,
    documented_examples: Vec<String>,
    non_secret_key_words: Vec<String>,
    non_secret_anywhere: Vec<String>,
}

fn word_lists() -> &'static Words {
    static WORDS: OnceLock<Words> = OnceLock::new();
    WORDS.get_or_init(|| {
        toml::from_str(include_str!("../rules/filter-words.toml"))
            .expect("rules/filter-words.toml is valid (checked by tests)")
    })
}

/// The regex in `cell`, compiled on first use.
pub(crate) fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("static regex"))
}

/// Is `value` a reference to a secret held elsewhere rather than a secret?
pub fn is_reference(value: &[u8]) -> bool {
    // Shell that closes a quote around a variable: `'enable_password = "'$pw'";'` leaves
    // `'$pw'` between the quotes of the pattern.
    if let [q @ (b'\'' | b'"'), inner @ .., last] = value {
        if last == q && inner.first() == Some(&b'$') {
            return is_reference(inner);
        }
    }
    // A BuildKit secret mount (`--secret id=npm_token,env=NPM_TOKEN`) names the secret.
    static MOUNT: OnceLock<Regex> = OnceLock::new();
    if re(
        &MOUNT,
        r"^(?:id|src|source|env|type)=[A-Za-z0-9_./-]+(?:,|$)",
    )
    .is_match(value)
    {
        return true;
    }
    let lower = value.to_ascii_lowercase();
    // `$VAR`, `${VAR}`, `$(cmd)`, `%VAR%` — but not a generated value that happens to
    // start with `$` (`$C56+G(<lRc…`).
    static DOLLAR: OnceLock<Regex> = OnceLock::new();
    if re(
        &DOLLAR,
        r"^\$(?:[{(]|[A-Za-z_][A-Za-z0-9_]*$|[A-Za-z_][A-Za-z0-9_]*[:/.\[-])",
    )
    .is_match(value)
        || value.first() == Some(&b'%') && value.last() == Some(&b'%')
    {
        return true;
    }
    const MARKERS: &[&[u8]] = &[
        b"${",
        b"\\(", // CUE and Swift interpolation: `"\(name)"`
        b"{{",
        b"}}",
        b"#{",
        b"<%",
        b"$(",
        b"process.env",
        b"os.environ",
        b"os.getenv",
        b"getenv(",
        b"env(",
        b"env[",
        b"env.",
        b"import.meta.env",
        b"secrets.",
        b"vault:",
        b"ref+",
        b"secretkeyref",
        b"valuefrom",
        b"config.get",
        b"settings.",
        b"var.",
        b"local.",
        b"data.",
        b"module.",
        b"each.value",
        b"parameters(",
        b"lookup(",
        b"rails.application",
        b"credentials.",
    ];
    // Python `%(name)s` interpolation (ConfigParser, logging) — but not a generated
    // Django key that happens to contain `%(`.
    static PERCENT: OnceLock<Regex> = OnceLock::new();
    if re(&PERCENT, r"%\([A-Za-z_][A-Za-z0-9_.]*\)[sdrfi]").is_match(value) {
        return true;
    }
    // YAML tags: `!vault |` (Ansible Vault), `!Ref`, `!Sub`.
    if value.first() == Some(&b'!') {
        return true;
    }
    // AWS resource names identify a secret held elsewhere.
    if value.starts_with(b"arn:") {
        return true;
    }
    // `${VAR:?message}` leaves `?message` after the name's colon.
    if value.first() == Some(&b'?') {
        return true;
    }
    // `{auth_token}`, `{hostname}`: format-string fields.
    if value.first() == Some(&b'{') && value.last() == Some(&b'}') {
        return true;
    }
    MARKERS
        .iter()
        .any(|m| memchr::memmem::find(&lower, m).is_some())
}

/// Is an assigned value a code expression (`self.password`, `getPassword()`, `cfg["db"]`)
/// rather than a literal? Only meaningful for generic `name = value` rules.
pub fn is_code_expression(value: &[u8]) -> bool {
    static CALL_OR_PATH: OnceLock<Regex> = OnceLock::new();
    if memchr::memmem::find(value, b"::").is_some() || memchr::memmem::find(value, b"->").is_some()
    {
        return true;
    }
    re(
        &CALL_OR_PATH,
        r"^(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+|[A-Za-z_][A-Za-z0-9_.]*\(.*\)|[A-Za-z_][A-Za-z0-9_.]*\[.*\])$",
    )
    .is_match(value)
}

/// Is `value` a placeholder, a documented example or a trivial default?
pub fn is_placeholder(value: &[u8]) -> bool {
    let lower = value.to_ascii_lowercase();
    let text = String::from_utf8_lossy(&lower);
    let trimmed = text.trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace());
    if trimmed.is_empty() || word_lists().placeholder_words.iter().any(|w| w == trimmed) {
        return true;
    }
    if word_lists()
        .placeholder_parts
        .iter()
        .any(|p| trimmed.contains(p.as_str()) && !is_inner_mask_run(trimmed, p))
    {
        return true;
    }
    if word_lists()
        .documented_examples
        .iter()
        .any(|e| memchr::memmem::find(value, e.as_bytes()).is_some())
    {
        return true;
    }
    let bytes = trimmed.as_bytes();
    // `<your-key>`, `db-<env>-password`: an angle-bracketed name to fill in.
    static ANGLE: OnceLock<Regex> = OnceLock::new();
    if re(&ANGLE, r"<[A-Za-z0-9_ .-]+>").is_match(bytes) {
        return true;
    }
    // `[Pagination token]`, `(required)`: a description in brackets.
    if let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) {
        if matches!((first, last), (b'[', b']') | (b'(', b')')) {
            return true;
        }
    }
    // One repeated character (`aaaaaaaa`, `--------`).
    if bytes.len() >= 4 && bytes.iter().all(|&b| b == bytes[0]) {
        return true;
    }
    // After a known prefix, nothing but one repeated character (`sk_live_000000…`).
    if let Some(pos) = bytes.iter().rposition(|&b| b == b'_' || b == b'-') {
        let tail = &bytes[pos + 1..];
        if tail.len() >= 8 && tail.iter().all(|&b| b == tail[0]) {
            return true;
        }
    }
    false
}

/// A run of `*` inside a long generated value (`…v9q***z3m^w7r…`, a Django key) is part
/// of the value, not a mask: at least six characters stand on each side of every run.
fn is_inner_mask_run(value: &str, part: &str) -> bool {
    if !part.bytes().all(|b| b == b'*') {
        return false;
    }
    let pieces: Vec<&str> = value.split('*').filter(|p| !p.is_empty()).collect();
    !value.starts_with('*')
        && !value.ends_with('*')
        && pieces.first().is_some_and(|p| p.len() >= 6)
        && pieces.last().is_some_and(|p| p.len() >= 6)
}

/// Is `value` a hash, UUID, integrity string, bcrypt/argon hash or image digest?
pub fn is_hash_like(value: &[u8]) -> bool {
    static UUID: OnceLock<Regex> = OnceLock::new();
    static PREFIXED: OnceLock<Regex> = OnceLock::new();
    if re(
        &UUID,
        r"(?i)^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$",
    )
    .is_match(value)
    {
        return true;
    }
    re(
        &PREFIXED,
        r"(?i)^(?:sha(?:1|224|256|384|512)[-:]|md5[-:]|\$2[abxy]?\$|\$argon2|\$[156]\$|pbkdf2_|bcrypt\$|scrypt:|[a-z0-9./_-]*@sha256:)",
    )
    .is_match(value)
}

/// True for the words that name the secret itself (`password`, `secret`, `token`, …).
fn is_secret_word(w: &str) -> bool {
    [
        "pass",
        "pwd",
        "secret",
        "token",
        "key",
        "auth",
        "credential",
        "apikey",
    ]
    .iter()
    .any(|s| w.contains(s))
}

/// Does the variable name `key` say its value is not a secret? A qualifier *after* the
/// secret word (`password_file`, `token_url`) describes something else; one *before* it
/// (`EMAIL_HOST_PASSWORD`) only says whose secret it is.
pub fn is_non_secret_key(key: &[u8]) -> bool {
    // `sha256` and `sha` are the same qualifier.
    let words: Vec<String> = split_words(key)
        .into_iter()
        .map(|w| {
            let stem = w.trim_end_matches(|c: char| c.is_ascii_digit());
            if stem.len() >= 2 && stem != "md" {
                stem.to_string()
            } else {
                w
            }
        })
        .collect();
    if words
        .iter()
        .any(|w| word_lists().non_secret_anywhere.contains(w))
    {
        return true;
    }
    // An access key without a secret word (`MINIO_ACCESS_KEY`, `access-key`) is the user
    // name half of a pair; its secret half has its own name.
    let access_key = words.windows(2).any(|p| p[0] == "access" && p[1] == "key")
        || words.iter().any(|w| w == "accesskey");
    if access_key && !words.iter().any(|w| w.contains("secret")) {
        return true;
    }
    let last_secret = words.iter().rposition(|w| is_secret_word(w));
    let tail = match last_secret {
        Some(i) => &words[i + 1..],
        None => &words[..],
    };
    tail.iter()
        .any(|w| word_lists().non_secret_key_words.contains(w))
}

/// Split `DB_PASSWORD`, `dbPassword`, `db-password.file` into lowercase words.
fn split_words(key: &[u8]) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for &b in key {
        let c = b as char;
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Prose, paths and plain URLs are not credentials.
pub fn is_not_credential(value: &[u8]) -> bool {
    // Letters outside ASCII (`Contraseña`, `Passwort ändern`, `密码`, `пароль`): the
    // translated label of a password field, not a generated credential.
    if std::str::from_utf8(value)
        .is_ok_and(|t| t.chars().any(|c| !c.is_ascii() && c.is_alphabetic()))
    {
        return true;
    }
    static SENTENCE: OnceLock<Regex> = OnceLock::new();
    if value.iter().filter(|&&b| b == b' ').count() >= 2
        || re(&SENTENCE, r"^[A-Za-z]+(?: [A-Za-z]+)+[.!?:]?$").is_match(value)
    {
        return true;
    }
    // An AWS SigV4 credential scope (`20150830/us-east-1/iam/aws4_request`).
    if memchr::memmem::find(value, b"aws4_request").is_some() {
        return true;
    }
    if is_base64_of_address(value) {
        return true;
    }
    let starts = |p: &[u8]| value.starts_with(p);
    (starts(b"/") || starts(b"./") || starts(b"../") || starts(b"~/"))
        && !value.contains(&b' ')
        && value.iter().filter(|&&b| b == b'/').count() >= 2
        || starts(b"http://") && !value.contains(&b'@')
        || starts(b"https://") && !value.contains(&b'@')
        || starts(b"file://")
}

/// Base64 of an address (`aHR0cHM6Ly9…` is `https://…`, or an e-mail address or a host
/// name): an encoded identifier, not a credential.
fn is_base64_of_address(value: &[u8]) -> bool {
    use base64::Engine;
    if value.len() < 12
        || !value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
    {
        return false;
    }
    let cfg = base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    let alphabet = if value.iter().any(|b| matches!(b, b'-' | b'_')) {
        &base64::alphabet::URL_SAFE
    } else {
        &base64::alphabet::STANDARD
    };
    let Ok(decoded) = base64::engine::GeneralPurpose::new(alphabet, cfg).decode(value) else {
        return false;
    };
    if !decoded.iter().all(|b| b.is_ascii_graphic()) {
        return false;
    }
    static ADDRESS: OnceLock<Regex> = OnceLock::new();
    re(
        &ADDRESS,
        r"(?i)^(?:[a-z][a-z0-9+.-]*://[^\s]+|[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}|(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?|\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?)$",
    )
    .is_match(&decoded)
}

/// What the file a value sits in says about how to judge it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileContext {
    /// A dotenv file (`.env`, `.env.production`, `app.env`): values there are literals, so
    /// a long all-letters value is still a credential.
    pub dotenv: bool,
    /// The file's syntax family (decides whether an unquoted value is a literal).
    pub lang: crate::syntax::Lang,
    /// A translation catalogue (`locales/de.json`, `*.po`): text-shaped values are labels.
    pub translation: bool,
}

impl FileContext {
    /// Derive the context from a path as walked.
    pub fn for_path(path: &str) -> FileContext {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        FileContext {
            dotenv: name.starts_with(".env") || name.ends_with(".env"),
            lang: crate::syntax::Lang::for_path(path),
            translation: crate::context::is_translation(path),
        }
    }
}

/// Identifier-shaped values (`GetSecretValue`, `aws_secret_access_key`,
/// `secretsmanager:TagResource`, `OAuth2Token`, `Incomplete`) are names, types or prose in
/// code, not generated credentials. A value is identifier-shaped when it has at most two
/// digits and every camel-case word of it reads like a word: lowercase (`access`),
/// capitalised with two or more lowercase letters (`Secret`, `OAuth`), or a short
/// capital-and-lowercase pair (`Of`). Random tokens (`Ew_f1-_tpoNFjAXJXk`) have words like
/// `NFj` and are not.
pub fn is_word_like(value: &[u8]) -> bool {
    // Escaped JSON inside JSON leaves a backslash on the end: `\"GetSecretValue\"`.
    let value = value.strip_suffix(b"\\").unwrap_or(value);
    if !value.iter().any(|b| b.is_ascii_alphabetic())
        || value.iter().filter(|b| b.is_ascii_digit()).count() > 2
        || !value.iter().all(|&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':' | b'/' | b'#')
        })
    {
        return false;
    }
    value
        .split(|b| !b.is_ascii_alphabetic())
        .flat_map(camel_words)
        .all(reads_like_a_word)
}

/// Words and identifiers separated by spaces (`porter unicode61`, `Opret API-Token`) or
/// by `|` (`required|string|max:255`, a validation rule or a union type): text and code,
/// not a credential.
pub fn is_word_list(value: &[u8]) -> bool {
    let spaced = value.contains(&b' ');
    let piped = value.contains(&b'|');
    if !spaced && !piped {
        return false;
    }
    value
        .split(|&b| b == b' ' || b == b'|')
        .filter(|p| !p.is_empty())
        .all(|p| {
            // `max:255`, `digits:6`: a rule name and its number.
            let p = match p.iter().position(|&b| b == b':') {
                Some(i) if p[i + 1..].iter().all(|b| b.is_ascii_digit() || *b == b',') => &p[..i],
                _ => p,
            };
            let p = p.strip_suffix(b",").unwrap_or(p);
            p.is_empty() || is_word_like(p) || p.iter().all(|b| b.is_ascii_punctuation())
        })
}

/// Typed scalars that name-based rules catch: ISO 8601 times (`1937-01-01T12:00:27Z`),
/// durations (`1h2m3s4ms`), and strings of byte escapes (`\x01\x02`).
pub fn is_typed_scalar(value: &[u8]) -> bool {
    static TIME: OnceLock<Regex> = OnceLock::new();
    static DURATION: OnceLock<Regex> = OnceLock::new();
    static ESCAPES: OnceLock<Regex> = OnceLock::new();
    re(
        &TIME,
        r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$",
    )
    .is_match(value)
        || re(&DURATION, r"^(?:\d+(?:\.\d+)?(?:ns|us|ms|s|m|h|d|w))+$").is_match(value)
        || re(
            &ESCAPES,
            r"^(?:\\(?:x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|[0-7]{3}))+$",
        )
        .is_match(value)
}

/// Split `tpoNFjAXJXk` at each lowercase→uppercase step: `tpo`, `NFj`, `AXJXk`.
fn camel_words(piece: &[u8]) -> Vec<&[u8]> {
    let mut words = Vec::new();
    let mut start = 0;
    for i in 1..piece.len() {
        if piece[i - 1].is_ascii_lowercase() && piece[i].is_ascii_uppercase() {
            words.push(&piece[start..i]);
            start = i;
        }
    }
    if start < piece.len() {
        words.push(&piece[start..]);
    }
    words
}

fn reads_like_a_word(w: &[u8]) -> bool {
    /// Two-letter capitalised words that occur in identifiers (`EndOfStream`, `LogIn`).
    const SHORT: &[&[u8]] = &[
        b"Of", b"In", b"To", b"By", b"At", b"Is", b"On", b"Or", b"An", b"As", b"Id", b"Ok", b"No",
        b"Up", b"Do", b"If", b"It", b"My", b"We", b"Be", b"Go", b"So",
    ];
    // Camel splitting leaves every word as an uppercase run then a lowercase run.
    let upper = w.iter().take_while(|b| b.is_ascii_uppercase()).count();
    let lower = w.len() - upper;
    upper == w.len() // `AWS`, `ID`, `SLACK` in `SLACK_BOT_TOKEN`
        || upper == 0 // `access`, `f`
        || upper == 1 && lower >= 2 // `Secret`, `Get`
        || lower >= 3 // `OAuth`, `HTTPServer`
        || SHORT.contains(&w)
}

/// Short lowercase hex strings (resource ids, truncated hashes) are not credentials.
fn is_short_hex(value: &[u8]) -> bool {
    value.len() < 20
        && value
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// Run every filter; `key` is the variable name when the rule captures one (generic
/// `name = value` rules), in which case the stricter literal checks apply too.
///
/// `quoted`: the value is a literal (quoted, or unquoted where the file's syntax makes it a
/// string), so a dotted or call-shaped value (`"QSsEEOFg.CMPuujk"`) is data, not a code
/// expression.
pub fn reject(
    value: &[u8],
    key: Option<&[u8]>,
    ctx: FileContext,
    quoted: bool,
) -> Option<Rejection> {
    if let Some(k) = key {
        if is_non_secret_key(k) {
            return Some(Rejection::KeyName);
        }
    }
    const PUBLIC_PREFIXES: [&[u8]; 4] = [b"pk_live_", b"pk_test_", b"cs_live_", b"cs_test_"];
    if PUBLIC_PREFIXES.iter().any(|p| value.starts_with(p)) {
        // Stripe publishable keys (frontend-safe by policy) and checkout-session ids.
        Some(Rejection::Placeholder)
    } else if is_reference(value) || key.is_some() && !quoted && is_code_expression(value) {
        Some(Rejection::Reference)
    } else if is_hash_like(value) || key.is_some() && is_short_hex(value) {
        Some(Rejection::HashLike)
    } else if is_placeholder(value) {
        Some(Rejection::Placeholder)
    } else if crate::shape::is_between_strings(value)
        || crate::shape::is_class_path(value)
        || key.is_some() && ctx.translation && crate::shape::is_ui_text(value)
        || key.is_some()
            && (is_not_credential(value)
                || crate::shape::is_sql_type(value)
                || crate::shape::is_descriptive_placeholder(value)
                || is_word_list(value)
                || is_typed_scalar(value)
                || crate::syntax::is_version(value)
                || is_word_like(value) && !(ctx.dotenv && value.len() >= 12))
    {
        Some(Rejection::NotCredential)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_rejected() {
        for v in [
            "${DB_PASSWORD}",
            "$DB_PASSWORD",
            "$(openssl rand -base64 32)",
            "process.env.JWT_SECRET",
            "os.environ['X']",
            "os.getenv(\"X\")",
            "{{ .Values.password }}",
            "${{ secrets.STRIPE_KEY }}",
            "var.db_password",
            "settings.SECRET_KEY",
            "arn:aws:kms:us-west-2:417498243647:key/c9fe2447",
        ] {
            assert!(is_reference(v.as_bytes()), "{v}");
        }
        for v in ["self.password", "get_password()", "cfg[\"db\"]"] {
            assert!(is_code_expression(v.as_bytes()), "{v}");
        }
        assert!(!is_code_expression(b"Xk9mP2vL5nQ8wR"));
        for v in [
            "Xk9#mP2vL5nQ8wR",
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "hunter2Pass!",
        ] {
            assert!(!is_reference(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn placeholders_are_rejected() {
        for v in [
            "changeme",
            "your-api-key-here",
            "<your-key>",
            "xxxxxxxxxxxx",
            "********",
            "REPLACE_ME",
            "example",
            "dummy-token",
            "TODO",
            "...",
            "…",
            "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
            "AKIAIOSFODNN7EXAMPLE",
            "sk_test_0000000000000000000000",
            "minioadmin",
            "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        ] {
            assert!(is_placeholder(v.as_bytes()), "{v}");
        }
        for v in [
            "Xk9#mP2vL5nQ8wR",
            "sk_test_9Rf3LmP2qW8tY5uI1oA7sD4g", // keyward:allow (test value)
            "Tr0ub4dor&3",
        ] {
            assert!(!is_placeholder(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn hashes_and_uuids_are_rejected() {
        for v in [
            "550e8400-e29b-41d4-a716-446655440000",
            "sha512-7fwXkqgq1HzVZuo5lUdLj0A0E2V3k2dL7YfX3yJ6YjE=",
            "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "$2b$12$KIXQJ1tTt8Nq2R8bZ6nQxeC6bq1b8nJ0m8r1b6uC5Qq0r5n6xkz6W",
            "nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31",
        ] {
            assert!(is_hash_like(v.as_bytes()), "{v}");
        }
        assert!(!is_hash_like(b"Xk9mP2vL5nQ8wRz"));
    }

    #[test]
    fn key_names_split_on_case_and_separators() {
        assert_eq!(
            split_words(b"dbPassword_hash"),
            vec!["db", "password", "hash"]
        );
        assert!(is_non_secret_key(b"PASSWORD_HASH"));
        assert!(is_non_secret_key(b"tokenUrl"));
        assert!(is_non_secret_key(b"password.file"));
        assert!(!is_non_secret_key(b"DB_PASSWORD"));
        assert!(!is_non_secret_key(b"JWT_SECRET"));
        assert!(!is_non_secret_key(b"SECRET_KEY_BASE"));
        assert!(!is_non_secret_key(b"EMAIL_HOST_PASSWORD"));
        assert!(is_non_secret_key(b"existingSecret"));
        assert!(is_non_secret_key(b"AUTH_PASSWORD_VALIDATORS"));
        assert!(is_non_secret_key(b"password_min_length"));
        assert!(is_non_secret_key(b"api_key_sha256"));
        assert!(is_non_secret_key(b"MINIO_ACCESS_KEY"));
        assert!(!is_non_secret_key(b"MINIO_SECRET_ACCESS_KEY"));
        assert!(is_non_secret_key(b"database"));
        assert!(!is_non_secret_key(b"DATABASE_PASSWORD"));
        assert!(is_non_secret_key(b"tls.crt"));
        assert!(!is_non_secret_key(b"ACCESS_TOKEN"));
    }

    #[test]
    fn identifiers_are_not_credentials_except_long_words_in_dotenv() {
        let code = FileContext::for_path("src/app.py");
        let env = FileContext::for_path("deploy/.env.production");
        assert!(env.dotenv && !code.dotenv);
        let key = Some(&b"PASSWORD"[..]);
        assert!(reject(b"GetSecretValue", key, code, false).is_some());
        assert!(reject(b"aws_secret_access_key", key, code, false).is_some());
        assert!(reject(b"AsmToken::EndOfStatement", key, code, false).is_some());
        assert!(reject(b"48205d4ffd7feba3", key, code, false).is_some());
        assert!(reject(b"OAuth2Token", key, code, false).is_some());
        assert!(reject(b"TokenCredential", key, code, false).is_some());
        assert!(reject(b"EndOfStatement", key, code, false).is_some());
        // Generated tokens with few digits are still credentials.
        assert!(reject(b"Ew_f1-_tpoNFjAXJXk-OMRVcJV", key, code, false).is_none());
        assert!(reject(b"yi4VxVDmIuZgJm_xYGwr", key, code, false).is_none());
        assert!(reject(b"l9i_msGdRUBsoBatmPtOY7", key, code, false).is_none());
        assert!(reject(b"HTTPServerConfig", key, code, false).is_some());
        assert!(reject(b"SLACK_BOT_TOKEN", key, code, false).is_some());
        assert!(reject(b"?JWT_SECRET", key, code, false).is_some());
        assert!(reject(b"GetSecretValue\\", key, code, false).is_some());
        assert!(reject(b"{auth_token}", key, code, false).is_some());
        assert!(reject(b"[Pagination token]", key, code, false).is_some());
        assert!(reject(b"MarbleTeacupLanternRiver", key, env, false).is_none());
        assert!(reject(b"MarbleTeacupLanternRiver", key, code, false).is_some());
        assert!(reject(b"Xk9#mP2vL5nQ8wR", key, code, false).is_none());
        // A dotted value in quotes is data; unquoted it is a code path.
        assert!(reject(b"QSsEEOFgvaNG.CMPuujkJX8hOTae", key, code, true).is_none());
        assert!(reject(b"QSsEEOFgvaNG.CMPuujkJX8hOTae", key, code, false).is_some());
        assert!(reject(b"!vault", key, code, false).is_some());
        assert!(reject(b"$C56+G(<lRcLIS/T(a6^cva0&JvV,xGM4", key, code, true).is_none());
        assert!(is_reference(b"$DB_PASSWORD") && is_reference(b"$HOME/.pgpass"));
        assert!(reject(b"V<44&cMHgibD<&z:7J3isS.aBG3nPTB", key, code, true).is_none());
        assert!(reject(b"db-<env>-password", key, code, true).is_some());
        // Specific rules (no key) are not subject to the word test.
        assert!(reject(b"GetSecretValue", None, code, false).is_none());
    }

    #[test]
    fn prose_paths_and_urls_are_not_credentials() {
        assert!(is_not_credential(b"Please enter your password"));
        assert!(is_not_credential(b"/run/secrets/db_password"));
        assert!(is_not_credential(b"https://vault.internal/v1/secret"));
        assert!(!is_not_credential(b"Xk9#mP2vL5nQ8wR"));
    }
}
