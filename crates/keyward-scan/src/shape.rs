//! Value shapes that are never credentials, whatever the file: a class name, an SQL column
//! type, a phrase that describes what belongs in the slot, the code between two string
//! literals, and the UI text of a translation file.
//!
//! These complement [`crate::filter`]: each is a small, separately tested judgement of what
//! a value *is*, used only for generic `name = value` rules (and the last two for quoted
//! values in any rule).

use crate::filter::re;
use regex::bytes::Regex;
use std::sync::OnceLock;

/// A namespaced class or interface name: `OAuth2\Storage\AccessTokenInterface` (PHP),
/// `App\Models\Token::class`. Two or more backslash-separated segments, each of which reads
/// like a capitalised identifier (a random token split at a backslash does not).
pub fn is_class_path(value: &[u8]) -> bool {
    // Every candidate value passes here: most have no backslash, so skip the split.
    if memchr::memchr(b'\\', value).is_none() {
        return false;
    }
    let value = value.strip_suffix(b"::class").unwrap_or(value);
    let value = value.strip_prefix(b"\\").unwrap_or(value);
    // Escaped inside a double-quoted string or JSON: `App\\Models\\Token`.
    let segments: Vec<&[u8]> = value
        .split(|&b| b == b'\\')
        .filter(|s| !s.is_empty())
        .collect();
    segments.len() >= 2
        && value.windows(3).all(|w| w != b"\\\\\\")
        && segments.iter().all(|s| {
            s[0].is_ascii_uppercase()
                && s.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
                && crate::filter::is_word_like(s)
        })
}

/// An SQL column type (`VARCHAR(80)`, `CHAR(32) NOT NULL`, `TEXT`): a schema map
/// (`"client_secret" => "VARCHAR(80)"`) names the column's type, not its value.
pub fn is_sql_type(value: &[u8]) -> bool {
    static SQL: OnceLock<Regex> = OnceLock::new();
    re(
        &SQL,
        r"(?i)^(?:n?varchar|n?char|character varying|(?:tiny|medium|long)?text|(?:tiny|medium|long)?blob|varbinary|binary|bytea|(?:tiny|small|medium|big)?int(?:eger)?|decimal|numeric|bool(?:ean)?|date(?:time)?|timestamp|uuid|jsonb?)(?:\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\s+(?:not\s+null|null|unsigned|unique|primary\s+key|default\s+\S+))*$",
    )
    .is_match(value)
}

/// A phrase describing the value that belongs in the slot, ending in the secret's own
/// word: `client-secret`, `invalid-token`, `generate_a_new_key`,
/// `get_the_secret_of_above_key`. Lowercase letters only, two to six words joined by `-`
/// or `_`. A query string's next parameter (`invalid-token&eventType=x`) is not part of
/// the value.
pub fn is_descriptive_placeholder(value: &[u8]) -> bool {
    static NEXT_PARAM: OnceLock<Regex> = OnceLock::new();
    let value = match memchr::memchr(b'&', value) {
        Some(i) if re(&NEXT_PARAM, r"^&[A-Za-z_][A-Za-z0-9_]*=").is_match(&value[i..]) => {
            &value[..i]
        }
        _ => value,
    };
    if !value
        .iter()
        .all(|b| b.is_ascii_lowercase() || matches!(b, b'-' | b'_'))
    {
        return false;
    }
    let words: Vec<&[u8]> = value
        .split(|&b| b == b'-' || b == b'_')
        .filter(|w| !w.is_empty())
        .collect();
    const SECRET_WORDS: &[&[u8]] = &[
        b"password",
        b"passwd",
        b"pass",
        b"secret",
        b"token",
        b"key",
        b"apikey",
        b"credential",
        b"credentials",
    ];
    (2..=6).contains(&words.len()) && words.last().is_some_and(|w| SECRET_WORDS.contains(w))
}

/// The code between two string literals, caught by a quoted-value pattern that paired the
/// closing quote of one string with the opening quote of the next:
/// `"password"),e?p.createElement("div"` yields `),e?p.createElement(`. It starts with a
/// closing bracket and ends where the next argument or operand opens (`(`, `[`, `{`, `,`,
/// `+`).
pub fn is_between_strings(value: &[u8]) -> bool {
    matches!(
        (value.first(), value.last()),
        (
            Some(b')' | b']' | b'}'),
            Some(b'(' | b'[' | b'{' | b',' | b'+')
        )
    )
}

/// The UI text of a translation file (`Password (repeat)`, `Re-inserisci`,
/// `Passordbekreftelse (gjenta)`): letters of any script, spaces and the punctuation of
/// prose, no digits. Only meaningful for a value in a translation file (see
/// [`crate::context::is_translation`]), where message ids name a field and values are its
/// label.
pub fn is_ui_text(value: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(value) else {
        return false;
    };
    text.chars().any(char::is_alphabetic)
        && text.chars().all(|c| {
            c.is_alphabetic() || c == ' ' || "-'’().,!?:;…\"«»„“”".contains(c) || c == '\u{a0}'
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_paths() {
        for v in [
            "OAuth2\\Storage\\AccessTokenInterface",
            "OAuth2\\OpenID\\ResponseType\\IdTokenTokenInterface",
            "\\App\\Models\\Token::class",
            "App\\\\Models\\\\ApiKey",
        ] {
            assert!(is_class_path(v.as_bytes()), "{v}");
        }
        for v in ["Xk9\\mP2vL5nQ8wR", "hunter2", "Tk\\q7Zr\\Lm3x", "a\\b"] {
            assert!(!is_class_path(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn sql_types() {
        for v in ["VARCHAR(80)", "char(32) NOT NULL", "TEXT", "decimal(10, 2)"] {
            assert!(is_sql_type(v.as_bytes()), "{v}");
        }
        for v in ["VARCHAR(80)x", "Xk9#mP2vL5", "char32"] {
            assert!(!is_sql_type(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn descriptive_placeholders() {
        for v in [
            "client-secret",
            "invalid-token",
            "has-password",
            "generate_a_new_key",
            "get_the_secret_of_above_key",
            "invalid-token&eventType=documents.update&follow=true",
        ] {
            assert!(is_descriptive_placeholder(v.as_bytes()), "{v}");
        }
        for v in [
            "blue-horse-7391",
            "Tr0ub4dor-password9",
            "password",
            "kx-qz-mv-token-r8",
            "marble-teacup-lantern-river",
            "a-b-c-d-e-f-key",
        ] {
            assert!(!is_descriptive_placeholder(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn code_between_strings() {
        assert!(is_between_strings(b"),e?p.createElement("));
        assert!(is_between_strings(b"]),k?h.default.createElement("));
        assert!(is_between_strings(
            b"),E=n.limitMessage;!D;)n.limit=h,n.limit=[w,"
        ));
        assert!(!is_between_strings(b")Xk9#mP2vL5"));
        assert!(!is_between_strings(b"Xk9(mP2vL5("));
    }

    #[test]
    fn ui_text() {
        for v in [
            "Password (repeat)",
            "Re-inserisci",
            "Passwort (Wiederholung)",
            "Parol (takrorlang)",
            "Contraseña",
        ] {
            assert!(is_ui_text(v.as_bytes()), "{v}");
        }
        for v in ["Xk9#mP2vL5nQ8wR", "s3cr3t", "ghp_abc123"] {
            assert!(!is_ui_text(v.as_bytes()), "{v}");
        }
    }
}
