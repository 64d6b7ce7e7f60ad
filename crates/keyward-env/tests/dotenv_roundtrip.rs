//! Property tests: whatever the writer emits, the parser (and a POSIX shell) reads back.

use keyward_env::dotenv::{self, format_entry, parse, quote_value};
use proptest::prelude::*;
use std::process::Command;

/// Values mixing the characters that break naive writers: quotes, `#`, `$`, backticks,
/// backslashes, blanks, newlines, `=`, `~`, and some non-ASCII text.
fn tricky_value() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("#".to_string()),
        Just(" #".to_string()),
        Just("$".to_string()),
        Just("${HOME}".to_string()),
        Just("`id`".to_string()),
        Just("\\".to_string()),
        Just("\\n".to_string()),
        Just(" ".to_string()),
        Just("\t".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("=".to_string()),
        Just("~".to_string()),
        Just("é€".to_string()),
        "[A-Za-z0-9_./:@%+,-]{1,6}",
    ];
    prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

fn key() -> impl Strategy<Value = String> {
    "[A-Z_][A-Z0-9_]{0,12}"
}

proptest! {
    #[test]
    fn single_value_round_trips(value in tricky_value()) {
        let text = format!("{}\n", format_entry("KEY", &value));
        let doc = parse(&text).unwrap();
        prop_assert_eq!(doc.get("KEY"), Some(value.as_str()));
    }

    #[test]
    fn documents_round_trip_with_comments_and_order(
        pairs in prop::collection::vec((key(), tricky_value(), any::<bool>()), 0..8)
    ) {
        let mut doc = dotenv::Dotenv::new();
        doc.push_comment("generated");
        for (k, v, comment) in &pairs {
            if *comment {
                doc.push_comment(&format!("about {k}"));
            }
            doc.items.push(dotenv::Item::Entry(dotenv::Entry::new(k.clone(), v.clone())));
        }
        let text = doc.render();
        let back = parse(&text).unwrap();
        let got: Vec<(String, String)> =
            back.entries().map(|e| (e.key.clone(), e.value.clone())).collect();
        let want: Vec<(String, String)> =
            pairs.iter().map(|(k, v, _)| (k.clone(), v.clone())).collect();
        prop_assert_eq!(got, want);
        // Rendering an unchanged parse is byte-identical.
        prop_assert_eq!(back.render(), text);
    }

    #[test]
    fn parser_never_panics(text in "(?s).{0,200}") {
        let _ = parse(&text);
    }
}

/// What `set -a; . FILE` in a POSIX shell yields, as (key, value) via `printf %s`.
fn shell_value(sh: &str, file: &std::path::Path, key: &str) -> Option<Vec<u8>> {
    let script = format!("set -a; . '{}' && printf %s \"${key}\"", file.display());
    let out = Command::new(sh).arg("-c").arg(script).output().ok()?;
    assert!(
        out.status.success(),
        "{sh}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out.stdout)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The writer's output, sourced by bash and sh, yields exactly the same bytes.
    #[test]
    fn shells_read_the_writer_output_exactly(value in tricky_value()) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("env");
        std::fs::write(&file, format!("KEYWARD_V={}\n", quote_value(&value))).unwrap();
        for sh in ["bash", "sh"] {
            if let Some(got) = shell_value(sh, &file, "KEYWARD_V") {
                prop_assert_eq!(String::from_utf8_lossy(&got), value.as_str(), "{}", sh);
            }
        }
    }
}
