//! Dotenv files: a parser that keeps comments and order, and a writer whose output a POSIX
//! shell reads back byte for byte.
//!
//! # Syntax read
//!
//! * `KEY=value`, optionally preceded by `export ` and blanks; blanks around `=` are allowed.
//!   Keys are shell identifiers (`[A-Za-z_][A-Za-z0-9_]*`).
//! * Blank lines and lines starting with `#` are kept verbatim.
//! * A value is a concatenation of segments, as in a shell word:
//!   - `'…'`: literal, may span lines, no escapes (write `'\''` for a quote);
//!   - `"…"`: may span lines; `\n`, `\r`, `\t` are control characters (dotenv convention),
//!     `\"`, `\\`, `\$`, `` \` `` the character itself, backslash-newline is removed, any other
//!     `\x` is kept as is;
//!   - unquoted text: `\x` is `x`; blanks inside are kept (`KEY=two words`, as dotenv tools
//!     accept), blanks followed by `#` start a comment, `#` elsewhere is part of the value.
//! * `$` is never expanded: `${OTHER}` stays literally in the value (keyward reports such
//!   values as references, not as secrets).
//!
//! Anything else (a line without `=`, an invalid name, an unterminated quote) is a
//! [`ParseError`] with its line and column.
//!
//! # Writing
//!
//! [`quote_value`] leaves values of safe characters bare and single-quotes everything else
//! (`'` becomes `'\''`), so `set -a; . ./file` in bash or dash yields exactly the value,
//! including quotes, `$`, backticks, blanks and newlines. [`Dotenv::render`] keeps untouched
//! lines byte for byte and re-emits changed entries in that form.

mod parse;

pub use parse::{is_valid_key, parse, ParseError};

use std::fmt::Write as _;

/// A parsed dotenv file: its lines in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dotenv {
    /// Blank lines, comments and entries, in file order.
    pub items: Vec<Item>,
}

/// One line (or, for multi-line values, several lines) of a dotenv file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A blank line or a comment, verbatim, without its line ending.
    Raw(String),
    /// A `KEY=value` entry.
    Entry(Entry),
}

/// A `KEY=value` entry.
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    /// The variable name.
    pub key: String,
    /// The value after unquoting. Treat it as secret.
    pub value: String,
    /// Written with an `export ` prefix.
    pub export: bool,
    /// Text of a trailing `# comment`, without the `#`.
    pub comment: Option<String>,
    /// 1-based line of the key.
    pub line: usize,
    /// 1-based column of the entry (of `export` or the key).
    pub column: usize,
    /// 1-based line where the value starts.
    pub value_line: usize,
    /// Byte span `[start, end)` of the value as written (quotes included) in the source.
    pub value_span: (usize, usize),
    /// The source text of the entry with its line ending; `None` once the entry changed.
    raw: Option<String>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("key", &self.key)
            .field("value", &"[REDACTED]")
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

impl Entry {
    /// A new entry, rendered in the canonical form.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Entry {
        Entry {
            key: key.into(),
            value: value.into(),
            export: false,
            comment: None,
            line: 0,
            column: 0,
            value_line: 0,
            value_span: (0, 0),
            raw: None,
        }
    }

    /// Replace the value; the entry is then re-rendered canonically (its comment kept).
    pub fn set_value(&mut self, value: impl Into<String>) {
        self.value = value.into();
        self.raw = None;
    }
}

impl Dotenv {
    /// An empty file.
    pub fn new() -> Dotenv {
        Dotenv::default()
    }

    /// The entries in file order (duplicates included).
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.items.iter().filter_map(|i| match i {
            Item::Entry(e) => Some(e),
            Item::Raw(_) => None,
        })
    }

    /// Mutable entries in file order.
    pub fn entries_mut(&mut self) -> impl Iterator<Item = &mut Entry> {
        self.items.iter_mut().filter_map(|i| match i {
            Item::Entry(e) => Some(e),
            Item::Raw(_) => None,
        })
    }

    /// The value of `key`; the last occurrence wins, as when a shell sources the file.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries()
            .filter(|e| e.key == key)
            .last()
            .map(|e| e.value.as_str())
    }

    /// Set `key` to `value`: updates the last occurrence in place, or appends an entry.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        match self.entries_mut().filter(|e| e.key == key).last() {
            Some(e) => e.set_value(value),
            None => self.items.push(Item::Entry(Entry::new(key, value))),
        }
    }

    /// Append a comment line (`text` without the leading `#`).
    pub fn push_comment(&mut self, text: &str) {
        for line in text.lines() {
            self.items
                .push(Item::Raw(format!("# {line}").trim_end().to_string()));
        }
    }

    /// The file text: unchanged lines verbatim, changed or new entries canonically.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for item in &self.items {
            match item {
                Item::Raw(text) => {
                    out.push_str(text);
                    out.push('\n');
                }
                Item::Entry(e) => match &e.raw {
                    Some(raw) => {
                        out.push_str(raw);
                        if !raw.ends_with('\n') {
                            out.push('\n');
                        }
                    }
                    None => {
                        if e.export {
                            out.push_str("export ");
                        }
                        out.push_str(&format_entry(&e.key, &e.value));
                        if let Some(c) = &e.comment {
                            let _ = write!(out, " #{c}");
                        }
                        out.push('\n');
                    }
                },
            }
        }
        out
    }
}

/// Characters that never need quoting in a shell assignment value. `~` is excluded (tilde
/// expansion), as are `#`, `$`, quotes, backslash, blanks, globs and braces.
fn is_bare(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_-.,/:@%+=".contains(&b)
}

/// The value as it must be written after `KEY=`: bare when every character is safe,
/// otherwise single-quoted with `'` written as `'\''`. Both `bash`/`sh` sourcing and
/// [`parse`] read it back exactly. Values must not contain NUL (no shell can hold one).
///
/// ```
/// use keyward_env::dotenv::quote_value;
/// assert_eq!(quote_value("abc123"), "abc123");
/// assert_eq!(quote_value("it's $5"), r"'it'\''s $5'");
/// ```
pub fn quote_value(value: &str) -> String {
    if value.bytes().all(is_bare) {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// `KEY=quoted-value` (no line ending).
pub fn format_entry(key: &str, value: &str) -> String {
    format!("{key}={}", quote_value(value))
}

/// Render pairs as a dotenv file, one `KEY=value` line each, in the given order.
pub fn render_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        out.push_str(&format_entry(k, v));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests;
