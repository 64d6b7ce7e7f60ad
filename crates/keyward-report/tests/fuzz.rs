//! Fuzzing (issue 13 item 0): arbitrary UTF-8 and arbitrary bytes, mixed with fragments
//! that make rules fire (assignments, provider prefixes, multi-byte text, control and
//! bidi characters), through the scanner and every redaction and output path. Nothing
//! may panic, a redaction never shows the value, and human output carries no raw
//! control character.
//!
//! Cases per property: `KEYWARD_FUZZ_CASES` (default 256; CI runs more for a bounded time).

use keyward_core::Finding;
use keyward_report::{Format, Report, RuleMeta, Summary};
use keyward_scan::{RuleSet, Scanner};
use proptest::prelude::*;
use std::sync::OnceLock;

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| Scanner::new(RuleSet::builtin().unwrap()))
}

fn cases() -> u32 {
    std::env::var("KEYWARD_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Pieces that reach the interesting paths: keywords, quotes, prefixes, multi-byte text.
const FRAGMENTS: &[&str] = &[
    "password = \"",
    "\"Client secret\": \"",
    "secret_key=",
    "DB_PASS=",
    "token: ",
    "sk_live_",
    "ghp_",
    "AKIA",
    "eyJhbGciOiJIUzI1NiJ9.",
    "-----BEGIN PRIVATE KEY-----\n",
    "\"",
    "'",
    "\n",
    "\\n",
    " keyward:allow",
    "クライアントシークレット",
    "пароль",
    "é",
    "🔑",
    "\u{202e}",
    "\u{1b}[31m",
    "\r",
    "\t",
    "=",
    "Zt5Hw9Lq3Vx8Kn2P",
];

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(FRAGMENTS).prop_map(str::to_string),
        2 => any::<String>(),
        1 => "[a-zA-Z0-9+/_-]{1,48}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(piece(), 0..40).prop_map(|v| v.concat())
}

fn meta(scanner: &Scanner) -> Vec<RuleMeta> {
    scanner
        .rules()
        .rules()
        .iter()
        .map(|r| RuleMeta {
            id: r.id().to_string(),
            title: r.spec.title.clone(),
            severity: r.severity,
            description: r.spec.description.clone(),
        })
        .collect()
}

/// Scan `data` under a hostile path and render every format both ways.
fn exercise(path: &str, data: &[u8]) {
    let out = scanner().scan_full(path, data);
    let findings: Vec<Finding> = out.findings;
    for f in &findings {
        let value = f.reveal();
        let shown = keyward_core::redact(&value);
        assert_eq!(shown, f.redacted);
        if value.chars().count() >= 8 {
            assert!(!shown.contains(&value), "redaction shows the value");
        }
        assert!(f.location.start <= f.location.end && f.location.end <= data.len());
        let fp = f.fingerprint.as_str();
        assert!(fp.starts_with("kw2l:") || fp.starts_with("kw2k:"), "{fp}");
    }
    let summary = Summary {
        files: 1,
        bytes: data.len() as u64,
        suppressed: out.suppressed,
        notes: vec![format!("note about {path}")],
        ..Summary::default()
    };
    let rules = meta(scanner());
    for show_secrets in [false, true] {
        let report = Report {
            findings: &findings,
            summary: &summary,
            rules: &rules,
            show_secrets,
            color: false,
        };
        let human = report.render(Format::Human);
        if !show_secrets {
            assert!(
                !human.chars().any(|c| c.is_control() && c != '\n'),
                "raw control character in human output: {human:?}"
            );
        }
        for format in [Format::Json, Format::Sarif] {
            let text = report.render(format);
            serde_json::from_str::<serde_json::Value>(&text).expect("valid JSON");
        }
    }
    let _ = keyward_core::escape::escape_markdown(&String::from_utf8_lossy(data));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_utf8_never_panics_or_leaks(body in text(), name in text()) {
        exercise(&format!("dir/{name}.txt"), body.as_bytes());
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..2048),
        prefix in proptest::sample::select(FRAGMENTS),
    ) {
        let mut data = prefix.as_bytes().to_vec();
        data.extend_from_slice(&body);
        exercise("bytes.bin", &data);
    }

    #[test]
    fn redaction_of_any_string_is_safe(value in any::<String>()) {
        let shown = keyward_core::redact(&value);
        if value.chars().count() >= 8 {
            prop_assert!(!shown.contains(&value));
        }
        prop_assert!(shown.chars().count() <= 4 + 1 + 12);
    }
}

#[test]
fn item_0_the_reported_crash_input_scans() {
    exercise(
        "locales/ja.json",
        "{\"Client secret\": \"OAuthクライアントシークレット\"}\n".as_bytes(),
    );
}
