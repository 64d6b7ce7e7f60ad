//! Redaction: the only form in which keyward prints a secret by default.

/// Known non-secret prefixes that are kept visible so a reader can tell what leaked.
const KEEP_PREFIXES: &[&str] = &[
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "rk_test_",
    "pk_live_",
    "pk_test_",
    "whsec_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxr-",
    "xapp-",
    "SG.",
    "sk-proj-",
    "sk-ant-",
    "npm_",
    "pypi-",
    "AKIA",
    "ASIA",
    "AIza",
    "hf_",
];

/// Redact a secret: keep a known prefix (e.g. `sk_live_`) and the last four characters of
/// long values, replace the rest with `…`. Short values (fewer than 12 characters) show
/// nothing but their length class, so a password can never be guessed from its redaction.
///
/// ```
/// assert_eq!(keyward_core::redact("sk_live_4eC39HqLyjWDarjtT1zdp7dc"), "sk_live_…p7dc");
/// assert_eq!(keyward_core::redact("hunter2"), "…");
/// ```
pub fn redact(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 12 {
        return "…".to_string();
    }
    let prefix = KEEP_PREFIXES
        .iter()
        .find(|p| secret.starts_with(*p))
        .copied()
        .unwrap_or("");
    // Counted in characters, never bytes: a byte index could fall inside a multi-byte
    // character (issue 13 item 0: `OAuthクライアントシークレット` panicked here).
    let tail_len = if chars.len() < 20 && prefix.is_empty() {
        2
    } else {
        4
    };
    // A control character in the tail would reach the terminal raw: shown as U+FFFD.
    let tail: String = chars[chars.len() - tail_len..]
        .iter()
        .map(|&c| {
            if crate::escape::needs_escape(c) {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect();
    if tail_len == 2 {
        return format!("…{tail}");
    }
    format!("{prefix}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_prefix_and_tail_only() {
        let r = redact("sk_live_51H8zQ2KZ3xY9aBcDeFgHiJkL");
        assert_eq!(r, "sk_live_…iJkL");
        assert!(!r.contains("51H8"));
    }

    #[test]
    fn short_values_reveal_nothing() {
        assert_eq!(redact("p@ss"), "…");
        assert_eq!(redact("hunter2hunt"), "…");
    }

    #[test]
    fn medium_values_reveal_two_chars() {
        assert_eq!(redact("Tr0ub4dor&3xyzw"), "…zw");
    }

    #[test]
    fn item_0_multibyte_medium_values_do_not_panic() {
        assert_eq!(redact("OAuthクライアントシークレット"), "…ット");
        assert_eq!(redact("ééééééééééééé"), "…éé");
    }

    #[test]
    fn multibyte_safe() {
        let r = redact("пароль-очень-длинный-секрет");
        assert!(r.starts_with('…'));
        // Medium-length values ending in multi-byte characters (found in real
        // translation files) used to panic on a byte slice.
        assert_eq!(redact("hasło-тест-否正確。"), "…確。");
        assert_eq!(redact("Kennwort-ете)"), "…е)");
    }
}
