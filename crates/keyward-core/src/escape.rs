//! Escaping untrusted text (user names, paths, revoke reasons) for human and Markdown
//! output, so a newline or a terminal escape in it cannot forge a line of a log or a report.

use std::borrow::Cow;

/// True for characters that must never reach a terminal or a report raw: control
/// characters (C0, DEL, C1) and the bidirectional overrides that reorder what a reader sees.
pub fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with control characters written as escapes (`\n`, `\r`, `\t`, `\u{1b}`); borrowed
/// unchanged when there are none.
///
/// ```
/// use keyward_core::escape::escape_control;
/// assert_eq!(escape_control("alice\n  42  forged"), "alice\\n  42  forged");
/// assert_eq!(escape_control("plain"), "plain");
/// ```
pub fn escape_control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`escape_control`], plus the characters Markdown would interpret at the start of a line
/// or inside a table (`|`, `` ` ``, `<`), for text placed into a Markdown report.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in escape_control(text).chars() {
        if matches!(c, '|' | '`' | '<' | '>' | '*' | '_' | '[' | ']' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_14_control_characters_are_escaped() {
        assert_eq!(escape_control("a\nb\rc\td"), "a\\nb\\rc\\td");
        assert_eq!(escape_control("x\x1b[31my"), "x\\u{1b}[31my");
        assert_eq!(escape_control("\u{202E}abc"), "\\u{202e}abc");
        assert_eq!(escape_control("日本語 ✓"), "日本語 ✓");
        assert!(matches!(escape_control("ok"), Cow::Borrowed(_)));
        assert_eq!(escape_markdown("x\n## Forged"), "x\\n\\#\\# Forged");
        assert_eq!(escape_markdown("a|b"), "a\\|b");
    }
}
